/*
 * Exec policy: test runs followed from their exec to their exit (a pidfd,
 * and the proc connector for nested runs), with their output kept for
 * the summary.
 */
#include "config.h"

#include <sys/pidfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <seccomp.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/escstrip.h"
#include "worker/execpol.h"
#include "worker/execpol_int.h"

/* Ask the proc connector for every exit (or stop asking). */
static int
testrun_nl_send(int fd, enum proc_cn_mcast_op op)
{
	union {
		struct nlmsghdr	hdr;
		char		buf[NLMSG_SPACE(sizeof (struct cn_msg) +
				    sizeof (enum proc_cn_mcast_op))];
	} m;
	struct cn_msg	*cn;

	memset(&m, 0, sizeof m);
	m.hdr.nlmsg_len = NLMSG_LENGTH(sizeof *cn + sizeof op);
	m.hdr.nlmsg_type = NLMSG_DONE;
	m.hdr.nlmsg_pid = 0;
	cn = NLMSG_DATA(&m.hdr);
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof op;
	memcpy(cn->data, &op, sizeof op);
	return (send(fd, &m, m.hdr.nlmsg_len, 0) == -1 ? -1 : 0);
}

/* Record the exit of a run's process. */
static void
testrun_exited(struct execpol_run *r)
{
	struct timeval	tv = { 0, EXECPOL_SETTLE_MS * 1000 };

	if (r->exited)
		return;
	r->exited = 1;
	r->end_ms = mono_ms();
	/* What it printed last is still on its way through the pty. */
	evtimer_add(r->settle_ev, &tv);
}

/* Read every exit the connector has for us. */
void
testrun_nl_drain(struct execpol *ep)
{
	union {
		struct nlmsghdr	hdr;
		char		buf[EXECPOL_NLBUF];
	} m;
	struct nlmsghdr		*h;
	struct cn_msg		*cn;
	struct proc_event	 pe;
	struct execpol_run	*r;
	ssize_t			 n;
	size_t			 len;

	if (ep->nl_fd == -1)
		return;
	for (;;) {
		n = recv(ep->nl_fd, &m, sizeof m, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			/* Exits were lost: the pidfds still see ours. */
			log_debug("proc connector: events lost");
			continue;
		}
		if (n <= 0)
			return;
		len = (size_t)n;
		for (h = &m.hdr; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof *cn + sizeof pe))
				continue;
			cn = NLMSG_DATA(h);
			/* At offset 36: copied out to be aligned. */
			memcpy(&pe, cn->data, sizeof pe);
			if (pe.what != PROC_EVENT_EXIT ||
			    pe.event_data.exit.process_pid !=
			    pe.event_data.exit.process_tgid)
				continue;
			TAILQ_FOREACH(r, &ep->runs, entry) {
				if (r->pid != pe.event_data.exit.process_pid ||
				    r->has_status)
					continue;
				r->has_status = 1;
				r->status = (int)pe.event_data.exit.exit_code;
				testrun_exited(r);
			}
		}
	}
}

static void
testrun_nl_cb(int fd, short events, void *arg)
{
	testrun_nl_drain(arg);
}

/* Listen to the proc connector while test runs are open; -1 if we can't. */
static int
testrun_nl_open(struct execpol *ep)
{
	struct sockaddr_nl	sa;
	int			fd, size = 1024 * 1024;

	if (ep->nl_fd != -1)
		return (0);
	if (ep->nl_failed)
		return (-1);
	fd = socket(PF_NETLINK, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC,
	    NETLINK_CONNECTOR);
	if (fd == -1)
		goto fail;
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		goto fail;
	/* Every exit on the host comes by: room for bursts. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof size) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	if (testrun_nl_send(fd, PROC_CN_MCAST_LISTEN) == -1)
		goto fail;
	if ((ep->nl_ev = event_new(ep->base, fd, EV_READ|EV_PERSIST,
	    testrun_nl_cb, ep)) == NULL)
		fatalx("event_new");
	event_add(ep->nl_ev, NULL);
	ep->nl_fd = fd;
	return (0);

fail:
	log_warn("test runs get no exit code: proc connector");
	if (fd != -1)
		close(fd);
	ep->nl_failed = 1;
	return (-1);
}

/* No test run is open: stop hearing about every exit on the host. */
void
testrun_nl_close(struct execpol *ep)
{
	if (ep->nl_fd == -1)
		return;
	(void)testrun_nl_send(ep->nl_fd, PROC_CN_MCAST_IGNORE);
	event_free(ep->nl_ev);
	ep->nl_ev = NULL;
	close(ep->nl_fd);
	ep->nl_fd = -1;
}

/* The run's pidfd is readable: its process is gone. */
static void
testrun_pidfd_cb(int fd, short events, void *arg)
{
	struct execpol_run	*r = arg;

	/* The connector told its exit code before the pidfd woke. */
	testrun_nl_drain(r->ep);
	testrun_exited(r);
}

/*
 * Its output has had time to arrive: TEST_RUN_FINISHED, after those of
 * the runs that ended before it (timers due at once fire in any order).
 */
static void
testrun_settle_cb(int fd, short events, void *arg)
{
	struct execpol_run	*r = arg, *x, *next;
	int64_t			 end = r->end_ms;

	for (x = TAILQ_FIRST(&r->ep->runs); x != NULL; x = next) {
		next = TAILQ_NEXT(x, entry);
		if (x->exited && x->end_ms <= end) {
			evtimer_del(x->settle_ev);
			testrun_end(x);
		}
	}
}

void
testrun_free(struct execpol_run *r)
{
	struct execpol	*ep = r->ep;

	TAILQ_REMOVE(&ep->runs, r, entry);
	if (r->exit_ev != NULL)
		event_free(r->exit_ev);
	event_free(r->settle_ev);
	if (r->pidfd != -1)
		close(r->pidfd);
	json_object_put(r->files);
	free(r->command);
	free(r);
	if (TAILQ_EMPTY(&ep->runs)) {
		testrun_nl_close(ep);
		ep->tail_len = 0;
	}
}

/*
 * The arguments of a test command that look like test files or packages:
 * not options, and with a '/' or a '.' in them.
 */
static struct json_object *
testrun_test_files(struct execpol *ep, const struct execpol_exec *x)
{
	struct json_object	*a;
	size_t			 i;
	char			*s;

	a = json_object_new_array();
	for (i = 1; i < x->argc && json_object_array_length(a) < 64; i++) {
		if (x->argv[i][0] == '-' || x->argv[i][0] == '\0' ||
		    strchr(x->argv[i], '=') != NULL ||
		    strpbrk(x->argv[i], "/.") == NULL)
			continue;
		s = exectarget_clean(ep, x->argv[i]);
		json_object_array_add(a, json_object_new_string(s));
		free(s);
	}
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return (NULL);
	}
	return (a);
}

/* A test run is about to start: watch for its exit before it can exit. */
struct execpol_run *
testrun_start(struct execpol *ep, const struct execpol_exec *x)
{
	struct execpol_run	*r;

	r = xcalloc(1, sizeof *r);
	r->ep = ep;
	r->pid = exectarget_tgid(x->pid);
	r->command = xstrdup(x->line);
	r->files = testrun_test_files(ep, x);
	r->start_ms = mono_ms();
	r->out_start = ep->out_total;
	if ((r->settle_ev = evtimer_new(ep->base, testrun_settle_cb,
	    r)) == NULL)
		fatalx("evtimer_new");
	(void)testrun_nl_open(ep);
	if ((r->pidfd = pidfd_open(r->pid, 0)) != -1) {
		if ((r->exit_ev = event_new(ep->base, r->pidfd, EV_READ,
		    testrun_pidfd_cb, r)) == NULL)
			fatalx("event_new");
		event_add(r->exit_ev, NULL);
	} else if (ep->nl_fd == -1)
		log_warn("test run %ld: no way to see its end: pidfd_open",
		    (long)r->pid);
	TAILQ_INSERT_TAIL(&ep->runs, r, entry);
	return (r);
}

/* TEST_RUN_FINISHED for a run (its exit seen, or the session ending). */
void
testrun_end(struct execpol_run *r)
{
	struct execpol		*ep = r->ep;
	struct json_object	*ev;
	const char		*text = NULL;
	uint64_t		 first;
	size_t			 len = 0;

	if (!r->closed)
		r->out_end = ep->out_total;
	first = ep->out_total - ep->tail_len;
	if (r->out_end > r->out_start && r->out_end > first) {
		text = ep->tail + (r->out_start > first ? r->out_start - first :
		    0);
		len = (size_t)(r->out_end - (r->out_start > first ?
		    r->out_start : first));
	}
	ev = event_create(EV_TEST_RUN_FINISHED);
	json_object_object_add(ev, "command", json_object_new_string(
	    r->command));
	if (r->has_status && WIFEXITED(r->status))
		json_object_object_add(ev, "exitCode",
		    json_object_new_int(WEXITSTATUS(r->status)));
	else
		json_object_object_add(ev, "exitCode", NULL);
	if (r->has_status && WIFSIGNALED(r->status))
		json_object_object_add(ev, "signal", json_object_new_string(
		    signal_name(WTERMSIG(r->status))));
	testsum_counts(ev, text, len);
	json_object_object_add(ev, "duration", json_object_new_int64(
	    (r->exited ? r->end_ms : mono_ms()) - r->start_ms));
	log_info("test run %s ended%s", r->command, r->exited ? "" :
	    " with the session");
	exectarget_emit(ep, ev);
	testrun_free(r);
}

/* Keep pty output, escapes and controls stripped, while runs are open. */
void
testrun_output(struct execpol *ep, const char *data, size_t len)
{
	unsigned char	c;
	size_t		i;

	if (TAILQ_EMPTY(&ep->runs))
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)data[i];
		if (!escstrip_byte(&ep->esc, c))
			continue;
		if (c == '\r')
			c = '\n';
		else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			continue;
		if (ep->tail_len == 2 * EXECPOL_TAIL) {
			memmove(ep->tail, ep->tail + EXECPOL_TAIL,
			    EXECPOL_TAIL);
			ep->tail_len = EXECPOL_TAIL;
		}
		ep->tail[ep->tail_len++] = (char)c;
		ep->out_total++;
	}
}
