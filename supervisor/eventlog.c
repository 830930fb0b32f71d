/* The durable per-session event log: one JSON line per event, seq 1..N. */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "common/util.h"
#include "supervisor/eventlog.h"

struct eventlog {
	int			 fd;
	char			*path;
	off_t			*offs;		/* offs[i]: start of seq i+1 */
	uint64_t		 n;
	uint64_t		 cap;
	off_t			 size;
	int			 dirty;
	TAILQ_ENTRY(eventlog)	 entry;
};
static TAILQ_HEAD(, eventlog) eventlogs = TAILQ_HEAD_INITIALIZER(eventlogs);

/* Remember where the line of the next seq starts. */
static void
eventlog_index(struct eventlog *el, off_t off)
{
	if (el->n == el->cap) {
		el->cap = el->cap == 0 ? 64 : el->cap * 2;
		el->offs = xrealloc(el->offs, el->cap * sizeof *el->offs);
	}
	el->offs[el->n++] = off;
}

/*
 * Index an existing log. A last line without its newline is what a crash
 * in the middle of a write leaves: it is cut off, it was never acknowledged.
 */
static int
eventlog_scan(struct eventlog *el)
{
	char	 buf[65536];
	off_t	 off = 0, line = 0;
	ssize_t	 n, i;

	for (;;) {
		n = pread(el->fd, buf, sizeof buf, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			if (off + i > line)
				eventlog_index(el, line);
			line = off + i + 1;
		}
		off += n;
	}
	if (line != off) {
		log_warnx("%s: cutting a partial last line (%lld bytes)",
		    el->path, (long long)(off - line));
		if (ftruncate(el->fd, line) == -1)
			return (-1);
	}
	el->size = line;
	return (0);
}

struct eventlog *
eventlog_open(const char *dir, uint64_t *last, char *cause, size_t causelen)
{
	struct eventlog	*el;

	if (mkdir_p(dir, 0700) == -1) {
		snprintf(cause, causelen, "%s: %s", dir, strerror(errno));
		return (NULL);
	}
	el = xcalloc(1, sizeof *el);
	el->path = xasprintf("%s/events.jsonl", dir);
	el->fd = open(el->path, O_RDWR|O_CREAT|O_APPEND|O_CLOEXEC, 0600);
	if (el->fd == -1 || eventlog_scan(el) == -1) {
		snprintf(cause, causelen, "%s: %s", el->path, strerror(errno));
		if (el->fd != -1)
			close(el->fd);
		free(el->path);
		free(el->offs);
		free(el);
		return (NULL);
	}
	*last = el->n;
	TAILQ_INSERT_TAIL(&eventlogs, el, entry);
	return (el);
}

void
eventlog_close(struct eventlog *el)
{
	if (el == NULL)
		return;
	if (el->dirty)
		fdatasync(el->fd);
	TAILQ_REMOVE(&eventlogs, el, entry);
	close(el->fd);
	free(el->path);
	free(el->offs);
	free(el);
}

int
eventlog_append(struct eventlog *el, uint64_t seq, const char *line,
    size_t len)
{
	struct iovec	iov[2];
	size_t		done = 0, total = len + 1;
	ssize_t		n;

	if (seq != el->n + 1) {
		log_warnx("%s: seq %llu after %llu", el->path,
		    (unsigned long long)seq, (unsigned long long)el->n);
		return (-1);
	}
	while (done < total) {
		iov[0].iov_base = (char *)line + (done < len ? done : len);
		iov[0].iov_len = done < len ? len - done : 0;
		iov[1].iov_base = (char *)"\n";
		iov[1].iov_len = 1;
		n = writev(el->fd, iov, 2);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: write", el->path);
			/* Leave no partial line behind for the reader. */
			if (ftruncate(el->fd, el->size) == -1)
				log_warn("%s: ftruncate", el->path);
			return (-1);
		}
		done += (size_t)n;
	}
	eventlog_index(el, el->size);
	el->size += (off_t)total;
	el->dirty = 1;
	return (0);
}

void
eventlog_sync(struct eventlog *el)
{
	if (!el->dirty)
		return;
	if (fdatasync(el->fd) == -1)
		log_warn("%s: fdatasync", el->path);
	el->dirty = 0;
}

void
eventlog_sync_all(void)
{
	struct eventlog	*el;

	TAILQ_FOREACH(el, &eventlogs, entry)
		eventlog_sync(el);
}

size_t
eventlog_bytes(const struct eventlog *el)
{
	return ((size_t)el->size);
}

/*
 * The lines of a seq range are contiguous in the file and hold no raw
 * newline (JSON escapes it), so one read and newline → comma is enough.
 */
int
eventlog_read(struct eventlog *el, uint64_t after, size_t limit,
    struct evbuffer *out, size_t *count, uint64_t *last)
{
	uint64_t	 end;
	off_t		 from, to;
	size_t		 len, got = 0, i;
	char		*buf;
	ssize_t		 n;

	*count = 0;
	*last = after;
	if (after >= el->n || limit == 0)
		return (0);
	end = after + limit < el->n ? after + limit : el->n;
	from = el->offs[after];
	to = end < el->n ? el->offs[end] : el->size;
	len = (size_t)(to - from);
	buf = xmalloc(len);
	while (got < len) {
		n = pread(el->fd, buf + got, len - got, from + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return (-1);
		}
		got += (size_t)n;
	}
	for (i = 0; i + 1 < len; i++)
		if (buf[i] == '\n')
			buf[i] = ',';
	evbuffer_add(out, buf, len - 1);
	free(buf);
	*count = (size_t)(end - after);
	*last = end;
	return (0);
}
