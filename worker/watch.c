/* Changes to the workspace as they happen: recursive inotify, .git left out. */
#include "config.h"

#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/util.h"
#include "worker/watch.h"

#define WATCH_MASK	(IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_MODIFY | \
			 IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
/* Through /proc/self/fd, whose link is the one thing to follow. */
#define WATCH_FD_MASK	(WATCH_MASK & ~IN_DONT_FOLLOW)
#define WATCH_BUCKETS	1024
#define WATCH_READ_SIZE	(64 * 1024)
#define WATCH_NEVER	INT64_MIN

/* A path reported at least once: when, per reason. */
struct watch_seen {
	char			*path;
	int64_t			 last[3];
	struct watch_seen	*next;
};

/*
 * A file created a moment ago, not reported yet: an atomic write's temp
 * file (x.tmp.123, renamed to x) that is gone within WATCH_COALESCE_MS is
 * never reported at all.
 */
struct watch_new {
	char			*path;
	int64_t			 born;
	TAILQ_ENTRY(watch_new)	 entry;
};

struct watch {
	int			 fd;
	struct event		*ev;
	struct event		*timer;		/* the oldest new file is due */
	TAILQ_HEAD(, watch_new)	 fresh;
	char			*root;
	struct watch_cb		 cb;
	size_t			 max;		/* 0: the kernel's limit */
	int			 alerted;	/* out of watches, said once */

	char			**dirs;		/* by wd: relative path, "" root */
	size_t			 ndirs;		/* slots */
	size_t			 live;		/* watches held */

	struct watch_seen	*seen[WATCH_BUCKETS];
	size_t			 paths;
};

static const char *watch_reasons[] = { "read", "write", "delete" };

/* What creates the inotify instance; tests make it fail. */
static int (*watch_init)(int) = inotify_init1;

/* For tests: create the inotify instance with f (NULL: inotify_init1). */
void
watch_set_init(int (*f)(int))
{
	watch_init = f != NULL ? f : inotify_init1;
}

/* "read", "write" or "delete". */
const char *
watch_reason_name(enum watch_reason r)
{
	if ((int)r < 0 || (size_t)r >= nitems(watch_reasons))
		return ("unknown");
	return (watch_reasons[r]);
}

/* Whether path is room or lies below it; room is relative, may be dotted. */
int
watch_in_room(const char *path, const char *room)
{
	size_t	len;

	while (room[0] == '.' && room[1] == '/')
		room += 2;
	while (room[0] == '/')
		room++;
	len = strlen(room);
	while (len > 0 && room[len - 1] == '/')
		len--;
	if (len == 0 || (len == 1 && room[0] == '.'))
		return (1);
	if (strncmp(path, room, len) != 0)
		return (0);
	return (path[len] == '\0' || path[len] == '/');
}

/* FNV-1a of a path. */
static size_t
watch_hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h % WATCH_BUCKETS);
}

/* Report a path, unless it was reported for that reason very recently. */
static void
watch_report(struct watch *w, const char *path, enum watch_reason r)
{
	struct watch_seen	*s;
	size_t			 h;
	int64_t			 now = mono_ms();
	int			 i;

	if (r != WATCH_READ && w->cb.changed != NULL)
		w->cb.changed(w->cb.arg);
	h = watch_hash(path);
	for (s = w->seen[h]; s != NULL; s = s->next)
		if (strcmp(s->path, path) == 0)
			break;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->path = xstrdup(path);
		for (i = 0; i < 3; i++)
			s->last[i] = WATCH_NEVER;
		s->next = w->seen[h];
		w->seen[h] = s;
		w->paths++;
	}
	if (s->last[r] != WATCH_NEVER && now - s->last[r] < WATCH_COALESCE_MS)
		return;
	s->last[r] = now;
	if (w->cb.touched != NULL)
		w->cb.touched(path, r, w->cb.arg);
}

/* The new file at path, not reported yet, or NULL. */
static struct watch_new *
watch_new_find(struct watch *w, const char *path)
{
	struct watch_new	*n;

	TAILQ_FOREACH(n, &w->fresh, entry)
		if (strcmp(n->path, path) == 0)
			return (n);
	return (NULL);
}

/* Forget a new file. */
static void
watch_new_free(struct watch *w, struct watch_new *n)
{
	TAILQ_REMOVE(&w->fresh, n, entry);
	free(n->path);
	free(n);
}

/*
 * Report the new files whose time is up (all of them when forced) as
 * written, and wake up when the next one is due.
 */
static void
watch_new_expire(struct watch *w, int force)
{
	struct watch_new	*n;
	struct timeval		 tv;
	int64_t			 now = mono_ms(), due;

	while ((n = TAILQ_FIRST(&w->fresh)) != NULL &&
	    (force || now - n->born >= WATCH_COALESCE_MS)) {
		TAILQ_REMOVE(&w->fresh, n, entry);
		watch_report(w, n->path, WATCH_WRITE);
		free(n->path);
		free(n);
	}
	if (n == NULL || w->timer == NULL)
		return;
	due = n->born + WATCH_COALESCE_MS - now;
	tv.tv_sec = due / 1000;
	tv.tv_usec = (due % 1000) * 1000 + 1000;
	evtimer_add(w->timer, &tv);
}

/* The oldest new file is due. */
static void
watch_timer_cb(int fd, short events, void *arg)
{
	watch_new_expire(arg, 0);
}

/*
 * A file event: a file created is held back for WATCH_COALESCE_MS, and
 * what happens to it meanwhile is folded in; gone by then (deleted or
 * renamed away), it is not reported.
 */
static void
watch_file(struct watch *w, const char *path, uint32_t mask, int reads)
{
	struct watch_new	*n;

	n = watch_new_find(w, path);
	if (mask & (IN_DELETE | IN_MOVED_FROM)) {
		if (n == NULL)
			watch_report(w, path, WATCH_DELETE);
		else {
			watch_new_free(w, n);
			if (w->cb.changed != NULL)
				w->cb.changed(w->cb.arg);
		}
	} else if (mask & (IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE |
	    IN_MOVED_TO)) {
		if (n == NULL && (mask & IN_CREATE)) {
			n = xcalloc(1, sizeof *n);
			n->path = xstrdup(path);
			n->born = mono_ms();
			TAILQ_INSERT_TAIL(&w->fresh, n, entry);
		}
		if (n == NULL)
			watch_report(w, path, WATCH_WRITE);
		else if (w->cb.changed != NULL)
			w->cb.changed(w->cb.arg);
	} else if ((mask & IN_CLOSE_NOWRITE) && reads && n == NULL)
		watch_report(w, path, WATCH_READ);
}

/* A relative path joined: dir "" is the root. */
static char *
watch_join(const char *dir, const char *name)
{
	if (*dir == '\0')
		return (xstrdup(name));
	return (xasprintf("%s/%s", dir, name));
}

/*
 * Out of inotify watches, the session's (capped) or the system's: say so
 * once, keep watching what we have.
 */
static void
watch_full(struct watch *w, const char *rel, int capped)
{
	char	*desc;

	if (w->alerted)
		return;
	log_warnx("out of inotify watches at '%s'%s", *rel ? rel : ".",
	    capped ? " (the session's cap)" : "");
	w->alerted = 1;
	if (w->cb.alert == NULL)
		return;
	if (capped)
		desc = xasprintf("The session reached its cap of %zu inotify "
		    "watches (max_watches) at '%s': FILE_TOUCHED is partial "
		    "from now on, changes in directories not yet watched are "
		    "not reported. The diff summary still covers them.",
		    w->max, *rel ? rel : ".");
	else
		desc = xasprintf("The system ran out of inotify watches (fs."
		    "inotify.max_user_watches) at '%s': changes below it are "
		    "not reported as FILE_TOUCHED. The diff summary still "
		    "covers them.", *rel ? rel : ".");
	w->cb.alert(capped ? "resources" : "workspace",
	    "workspace only partly watched", desc, w->cb.arg);
	free(desc);
}

/*
 * Watch directory rel and everything below it but .git. With report, the
 * files found are reported as written: they appeared before the watch did
 * (a directory created, or moved in, and filled at once). Nothing is
 * watched or read through a symlink.
 */
static void
watch_add(struct watch *w, const char *rel, int report)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*sub, proc[64];
	int		 wd, isdir, fd, dfd;
	size_t		 n;

	if (w->max > 0 && w->live >= w->max) {
		watch_full(w, rel, 1);
		return;
	}
	if ((fd = dir_open_beneath(w->root, rel, O_PATH)) == -1) {
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
			log_warn("open %s/%s", w->root, rel);
		return;
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if ((wd = inotify_add_watch(w->fd, proc, WATCH_FD_MASK)) == -1) {
		if (errno == ENOSPC)
			watch_full(w, rel, 0);
		else if (errno != ENOENT && errno != ENOTDIR)
			log_warn("inotify_add_watch %s/%s", w->root, rel);
		close(fd);
		return;
	}
	if ((size_t)wd >= w->ndirs) {
		n = w->ndirs == 0 ? 64 : w->ndirs;
		while (n <= (size_t)wd)
			n *= 2;
		w->dirs = xrealloc(w->dirs, n * sizeof *w->dirs);
		memset(w->dirs + w->ndirs, 0, (n - w->ndirs) * sizeof *w->dirs);
		w->ndirs = n;
	}
	if (w->dirs[wd] == NULL)
		w->live++;
	free(w->dirs[wd]);
	w->dirs[wd] = xstrdup(rel);

	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		isdir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN)
			isdir = fstatat(dfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		sub = watch_join(rel, de->d_name);
		if (isdir)
			watch_add(w, sub, report);
		else if (report)
			watch_report(w, sub, WATCH_WRITE);
		free(sub);
	}
	closedir(d);
}

/* Stop watching a directory moved away, and everything below it. */
static void
watch_remove(struct watch *w, const char *rel)
{
	size_t	i, len = strlen(rel);

	for (i = 0; i < w->ndirs; i++) {
		if (w->dirs[i] == NULL || strncmp(w->dirs[i], rel, len) != 0 ||
		    (w->dirs[i][len] != '\0' && w->dirs[i][len] != '/'))
			continue;
		inotify_rm_watch(w->fd, (int)i);
		free(w->dirs[i]);
		w->dirs[i] = NULL;
		w->live--;
	}
}

/* One inotify event. */
static void
watch_event(struct watch *w, const struct inotify_event *ie, int reads)
{
	const char	*dir;
	char		*path;
	int		 isdir = (ie->mask & IN_ISDIR) != 0;

	if (ie->mask & IN_Q_OVERFLOW) {
		log_warnx("inotify queue overflowed: changes were missed");
		return;
	}
	if (ie->wd < 0 || (size_t)ie->wd >= w->ndirs ||
	    (dir = w->dirs[ie->wd]) == NULL)
		return;
	if (ie->mask & IN_IGNORED) {
		free(w->dirs[ie->wd]);
		w->dirs[ie->wd] = NULL;
		w->live--;
		return;
	}
	/* Events on the directory itself have no name. */
	if (ie->len == 0 || ie->name[0] == '\0' ||
	    strcmp(ie->name, ".git") == 0)
		return;
	path = watch_join(dir, ie->name);
	if (isdir) {
		if (ie->mask & (IN_CREATE | IN_MOVED_TO))
			watch_add(w, path, 1);
		else if (ie->mask & IN_MOVED_FROM)
			watch_remove(w, path);
	} else
		watch_file(w, path, ie->mask, reads);
	free(path);
}

/* Read what is queued; reads reported only when asked. */
static void
watch_read(struct watch *w, int reads)
{
	char				 buf[WATCH_READ_SIZE]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	ssize_t				 n;
	char				*p;

	for (;;) {
		n = read(w->fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN)
				log_warn("inotify read");
			return;
		}
		for (p = buf; p < buf + n; p += sizeof *ie + ie->len) {
			ie = (const struct inotify_event *)p;
			watch_event(w, ie, reads);
		}
		watch_new_expire(w, 0);
	}
}

/* The inotify descriptor is readable. */
static void
watch_read_cb(int fd, short events, void *arg)
{
	watch_read(arg, 1);
}

/* Watch root and below; NULL with a cause. */
struct watch *
watch_create(struct event_base *base, const char *root,
    const struct watch_cb *cb, size_t max_watches, char *cause,
    size_t causelen)
{
	struct watch	*w;
	int		 save;

	w = xcalloc(1, sizeof *w);
	TAILQ_INIT(&w->fresh);
	w->cb = *cb;
	w->max = max_watches;
	w->root = xstrdup(root);
	if ((w->fd = watch_init(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		save = errno;
		snprintf(cause, causelen, "inotify_init1: %s", strerror(errno));
		free(w->root);
		free(w);
		errno = save;
		return (NULL);
	}
	watch_add(w, "", 0);
	if (w->live == 0 && !w->alerted) {
		save = errno;
		snprintf(cause, causelen, "cannot watch '%s': %s", root,
		    strerror(errno));
		watch_free(w);
		errno = save;
		return (NULL);
	}
	if ((w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST,
	    watch_read_cb, w)) == NULL || event_add(w->ev, NULL) == -1)
		fatalx("watch: event_new");
	if ((w->timer = evtimer_new(base, watch_timer_cb, w)) == NULL)
		fatalx("watch: evtimer_new");
	return (w);
}

/*
 * Read and report what is queued now, new files not yet due included;
 * reads too unless told otherwise.
 */
void
watch_flush(struct watch *w, int reads)
{
	if (w == NULL)
		return;
	watch_read(w, reads);
	watch_new_expire(w, 1);
}

/* Free the paths reported so far, every bucket's chain. */
static void
watch_seen_free(struct watch *w)
{
	struct watch_seen	*s, *next;
	size_t			 i;

	for (i = 0; i < WATCH_BUCKETS; i++) {
		for (s = w->seen[i]; s != NULL; s = next) {
			next = s->next;
			free(s->path);
			free(s);
		}
	}
}

/* Stop watching and free; what was still queued is dropped. */
void
watch_free(struct watch *w)
{
	size_t	i;

	if (w == NULL)
		return;
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->timer != NULL)
		event_free(w->timer);
	while (!TAILQ_EMPTY(&w->fresh))
		watch_new_free(w, TAILQ_FIRST(&w->fresh));
	close(w->fd);
	for (i = 0; i < w->ndirs; i++)
		free(w->dirs[i]);
	free(w->dirs);
	watch_seen_free(w);
	free(w->root);
	free(w);
}

/* Distinct paths reported so far. */
size_t
watch_paths(const struct watch *w)
{
	return (w != NULL ? w->paths : 0);
}

/* Directories watched now. */
size_t
watch_dirs(const struct watch *w)
{
	return (w != NULL ? w->live : 0);
}
