/*
 * Exec policy: the notify loop. Each execve and execveat notification is
 * read, decided (allowed, refused or held for a human) and answered.
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
#include "worker/execpol.h"
#include "worker/execpol_int.h"

/* Answer a notification: 0 lets the exec run, else it fails with -error. */
int
execnotify_respond(struct execpol *ep, uint64_t id, int error)
{
	memset(ep->resp, 0, sizeof *ep->resp);
	ep->resp->id = id;
	if (error == 0)
		ep->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		ep->resp->error = -error;
	if (seccomp_notify_respond(ep->fd, ep->resp) == 0)
		return (0);
	/* The target died (ENOENT) or was interrupted: nothing to answer. */
	if (errno != ENOENT && errno != EINTR)
		log_warn("seccomp_notify_respond");
	return (-1);
}

/* {program, argv, cwd, pid} of an exec for an event's context. */
static struct json_object *
execnotify_context(struct execpol *ep, const struct execpol_exec *x)
{
	struct json_object	*o, *a;
	size_t			 i;
	char			*s;

	o = json_object_new_object();
	s = exectarget_clean(ep, x->path);
	json_object_object_add(o, "program", json_object_new_string(s));
	free(s);
	a = json_object_new_array();
	for (i = 0; i < x->argc; i++) {
		s = exectarget_clean(ep, x->argv[i]);
		json_object_array_add(a, json_object_new_string(s));
		free(s);
	}
	json_object_object_add(o, "argv", a);
	if (x->cwd != NULL) {
		s = exectarget_clean(ep, x->cwd);
		json_object_object_add(o, "cwd", json_object_new_string(s));
		free(s);
	}
	json_object_object_add(o, "pid", json_object_new_int((int)x->pid));
	return (o);
}

/*
 * Fail an exec and remember it: a shell searching PATH tries the same
 * command in the next directory (/usr/bin/rm, then /bin/rm), which must
 * fail the same way without a second alert or approval.
 */
int
execnotify_refuse(struct execpol *ep, uint64_t id, const struct execpol_exec *x,
    int error)
{
	struct execpol_verdict	*v;
	struct execpol_exec	*copy;
	size_t			 i;

	v = &ep->verdicts[ep->nextv++ % EXECPOL_VERDICTS];
	exectarget_exec_free(v->x);
	copy = xcalloc(1, sizeof *copy);
	copy->pid = x->pid;
	copy->path = xstrdup(x->path);
	copy->argc = x->argc;
	copy->argv = xcalloc(x->argc + 1, sizeof *copy->argv);
	for (i = 0; i < x->argc; i++)
		copy->argv[i] = xstrdup(x->argv[i]);
	v->x = copy;
	v->error = error;
	v->at = mono_ms();
	return (execnotify_respond(ep, id, error));
}

/* The error of a recent refusal of the same exec by the same task, or 0. */
static int
execnotify_refused(struct execpol *ep, const struct execpol_exec *x)
{
	struct execpol_verdict	*v;
	size_t			 i;

	for (i = 0; i < EXECPOL_VERDICTS; i++) {
		v = &ep->verdicts[i];
		if (v->x != NULL && mono_ms() - v->at < EXECPOL_VERDICT_MS &&
		    exectarget_same(v->x, x, 1))
			return (v->error);
	}
	return (0);
}

/* Fail an exec the lists do not allow: EACCES and ALERT_RAISED. */
static void
execnotify_deny(struct execpol *ep, uint64_t id, const struct execpol_exec *x,
    const char *rule, const char *pattern)
{
	struct json_object	*ctx;
	char			*desc;

	if (execnotify_refuse(ep, id, x, EACCES) == -1)
		return;
	if (pattern != NULL)
		desc = xasprintf("%s: denied by %s pattern '%s'", x->line,
		    rule, pattern);
	else if (strcmp(rule, "git") == 0)
		desc = xasprintf("%s: too many ways for git to read it",
		    x->line);
	else
		desc = xasprintf("%s: not in %s", x->line, rule);
	log_info("exec %s", desc);
	ctx = execnotify_context(ep, x);
	json_object_object_add(ctx, "rule", json_object_new_string(rule));
	if (pattern != NULL)
		json_object_object_add(ctx, "pattern",
		    json_object_new_string(pattern));
	exectarget_emit(ep, event_alert("policy", "command denied", desc, ctx));
	free(desc);
}

/* The parent of a process, or 0. */
static pid_t
execnotify_ppid(pid_t pid)
{
	char	path[64], *text, *p;
	long	ppid = 0;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((text = read_file(path, NULL)) == NULL)
		return (0);
	/* "pid (comm) S ppid ...": comm may hold anything but the last ')'. */
	if ((p = strrchr(text, ')')) != NULL && p[1] == ' ' && p[2] != '\0' &&
	    p[3] == ' ')
		ppid = strtol(p + 4, NULL, 10);
	free(text);
	return (ppid > 0 ? (pid_t)ppid : 0);
}

/* Whether pid runs under a test run still going (make check → make). */
static int
execnotify_nested(struct execpol *ep, pid_t pid)
{
	struct execpol_run	*r;
	int			 depth;

	for (depth = 0; pid > 1 && depth < EXECPOL_DEPTH; depth++) {
		TAILQ_FOREACH(r, &ep->runs, entry)
			if (!r->exited && r->pid == pid)
				return (1);
		pid = execnotify_ppid(pid);
	}
	return (0);
}

/* The start time of a process (/proc/<pid>/stat field 22), or 0. */
static unsigned long long
execnotify_start_time(pid_t pid)
{
	char			 path[64], *text, *p;
	unsigned long long	 start = 0;
	int			 field;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((text = read_file(path, NULL)) == NULL)
		return (0);
	/* After "pid (comm)" come fields 3, 4, ...: skip to the 22nd. */
	if ((p = strrchr(text, ')')) != NULL) {
		for (field = 2; field < 22 && p != NULL; field++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			start = strtoull(p + 1, NULL, 10);
	}
	free(text);
	return (start);
}

/* Remember an allowed git command (taking its readings) for its children. */
void
execnotify_grant(struct execpol *ep, struct execpol_exec *x,
    const struct execpol_gate *g)
{
	struct execnotify_grant	*gr;

	if (x->git == NULL)
		return;
	gr = &ep->grants[ep->nextg++ % EXECPOL_GRANTS];
	execmatch_git_free(gr->readings);
	gr->pid = exectarget_tgid(x->pid);
	gr->start = execnotify_start_time(gr->pid);
	gr->gate = g;
	gr->readings = x->git;
	x->git = NULL;
}

/* Whether two argv vectors are the same words. */
static int
execnotify_strv_eq(char **a, char **b)
{
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return (0);
	return (*a == NULL && *b == NULL);
}

/*
 * Whether x is the receiving end of a push: git receive-pack, run by git
 * push on a local remote or through ssh on another host.
 */
static int
execnotify_transport(const struct execpol_exec *x)
{
	size_t	i;

	for (i = 0; x->git != NULL && x->git[i] != NULL; i++)
		if (x->git[i][1] != NULL &&
		    strcmp(x->git[i][1], "receive-pack") == 0)
			return (1);
	for (i = 1; i < x->argc; i++)
		if (strstr(x->argv[i], "git-receive-pack") != NULL)
			return (1);
	return (0);
}

/*
 * Whether x, held by g, runs under a git command allowed for g (itself
 * or an ancestor, still the same process) as part of it: one of its
 * readings (git re-executing an alias), or its push's receiving end.
 */
static int
execnotify_granted(struct execpol *ep, const struct execpol_exec *x,
    const struct execpol_gate *g)
{
	struct execnotify_grant	*gr;
	pid_t			 pid;
	size_t			 i, j, k;
	int			 depth, transport;

	transport = execnotify_transport(x);
	if (x->git == NULL && !transport)
		return (0);
	pid = exectarget_tgid(x->pid);
	for (depth = 0; pid > 1 && depth < EXECPOL_DEPTH; depth++) {
		for (i = 0; i < EXECPOL_GRANTS; i++) {
			gr = &ep->grants[i];
			if (gr->readings == NULL || gr->pid != pid ||
			    gr->gate != g ||
			    gr->start != execnotify_start_time(pid))
				continue;
			if (transport)
				return (1);
			for (j = 0; x->git[j] != NULL; j++)
				for (k = 0; gr->readings[k] != NULL; k++)
					if (execnotify_strv_eq(x->git[j],
					    gr->readings[k]))
						return (1);
		}
		pid = execnotify_ppid(pid);
	}
	return (0);
}

/* Let an exec run: a test run is followed, then it is counted. */
void
execnotify_allow(struct execpol *ep, uint64_t id, const struct execpol_exec *x)
{
	struct execpol_run	*r = NULL;
	struct json_object	*ev;

	log_debug("exec %s", x->line);
	if (!ep->finished && execmatch_find(ep->tests, x) != NULL &&
	    !execnotify_nested(ep, x->pid))
		r = testrun_start(ep, x);
	if (execnotify_respond(ep, id, 0) == -1) {
		if (r != NULL)
			testrun_free(r);
		return;
	}
	if (ep->finished)
		return;
	ep->cb.ran(ep->cb.arg);
	if (r == NULL)
		return;
	log_info("test run %s started", r->command);
	ev = event_create(EV_TEST_RUN_STARTED);
	json_object_object_add(ev, "command", json_object_new_string(
	    r->command));
	if (r->files != NULL)
		/* The event keeps a reference of its own. */
		json_object_object_add(ev, "testFiles",
		    json_object_get(r->files));
	exectarget_emit(ep, ev);
}

void
execnotify_hold_free(struct execpol *ep, struct execnotify_hold *h)
{
	TAILQ_REMOVE(&ep->holds, h, entry);
	exectarget_exec_free(h->x);
	free(h->pattern);
	free(h);
}

/* The approval object of a held exec. */
static struct json_object *
execnotify_approval(struct execpol *ep, const struct execnotify_hold *h)
{
	struct json_object	*ap, *ctx;
	char			 ts[40];
	int64_t			 now = now_ms();

	ap = json_object_new_object();
	json_object_object_add(ap, "approvalId",
	    json_object_new_string(h->approval));
	json_object_object_add(ap, "sessionId",
	    json_object_new_string(ep->session_id));
	json_object_object_add(ap, "category",
	    json_object_new_string(h->gate->category));
	json_object_object_add(ap, "summary", json_object_new_string(
	    h->x->line));
	json_object_object_add(ap, "risk", json_object_new_string(
	    h->gate->risk));
	ctx = execnotify_context(ep, h->x);
	json_object_object_add(ctx, "pattern",
	    json_object_new_string(h->pattern));
	json_object_object_add(ap, "context", ctx);
	iso8601_ms(now, ts, sizeof ts);
	json_object_object_add(ap, "requestedAt", json_object_new_string(ts));
	iso8601_ms(now + ep->timeout_ms, ts, sizeof ts);
	json_object_object_add(ap, "timeoutAt", json_object_new_string(ts));
	return (ap);
}

/* Ask for a human's answer to a held exec, if the session can ask now. */
void
execnotify_ask(struct execpol *ep, struct execnotify_hold *h)
{
	struct json_object	*ap;
	int			 rv;

	ap = execnotify_approval(ep, h);
	rv = ep->finished ? -1 : ep->cb.request(ap, ep->cb.arg);
	json_object_put(ap);
	if (rv == 1) {
		h->requested = 1;
		log_info("exec %s held for approval %s (%s)", h->x->line,
		    h->approval, h->gate->category);
	} else if (rv == -1) {
		log_info("exec %s refused: no approval can be asked for now",
		    h->x->line);
		(void)execnotify_refuse(ep, h->id, h->x, EACCES);
		execnotify_hold_free(ep, h);
	}
}

/* Hold an exec of a gated category. */
void
execnotify_hold(struct execpol *ep, uint64_t id, struct execpol_exec *x,
    const struct execpol_gate *g, const char *pattern)
{
	struct execnotify_hold	*h;

	h = xcalloc(1, sizeof *h);
	h->id = id;
	h->gate = g;
	h->pattern = xstrdup(pattern);
	h->x = x;
	uuid_v4(h->approval);
	TAILQ_INSERT_TAIL(&ep->holds, h, entry);
	execnotify_ask(ep, h);
}

/*
 * A held exec interrupted by a signal the target handles is restarted by
 * the kernel as a new notification: the same task, the same exec, the
 * old id gone. It keeps its approval.
 */
static int
execnotify_rebind(struct execpol *ep, uint64_t id, const struct execpol_exec *x)
{
	struct execnotify_hold	*h;

	TAILQ_FOREACH(h, &ep->holds, entry) {
		if (h->x->pid != x->pid || !exectarget_same(h->x, x, 0) ||
		    seccomp_notify_id_valid(ep->fd, h->id) == 0)
			continue;
		log_debug("exec %s restarted while held", x->line);
		h->id = id;
		return (1);
	}
	return (0);
}

/*
 * Another command starts: the output of runs that have exited ends here,
 * whatever the settle time would still let in.
 */
static void
execnotify_runs_close(struct execpol *ep)
{
	struct execpol_run	*r;
	int			 drained = 0;

	TAILQ_FOREACH(r, &ep->runs, entry) {
		/* What the run printed before it exited is read by now. */
		if (r->exited && !r->closed && !drained++ &&
		    ep->cb.drain != NULL)
			ep->cb.drain(ep->cb.arg);
	}
	TAILQ_FOREACH(r, &ep->runs, entry) {
		if (r->exited && !r->closed) {
			r->closed = 1;
			r->out_end = ep->out_total;
		}
	}
}

/* Decide one exec. */
static void
execnotify_handle(struct execpol *ep, const struct seccomp_notif *req)
{
	struct execpol_exec	*x;
	char			***script = NULL;
	const char		*p;
	size_t			 i;
	int			 error;

	if (!ep->seen_first) {
		/* The CLI itself, from our own spawn. */
		ep->seen_first = 1;
		exectarget_learn(ep, req);
		(void)execnotify_respond(ep, req->id, 0);
		return;
	}
	if ((x = exectarget_read(ep, req, &error)) == NULL) {
		if (error == -1)
			(void)execnotify_respond(ep, req->id, 0);
		else if (error == EFAULT)
			(void)execnotify_respond(ep, req->id, EFAULT);
		else if (error == EACCES) {
			/* Unseen is not allowed: fail closed. */
			if (!ep->mem_alert++)
				log_warnx("cannot read the memory of exec "
				    "targets: every exec fails");
			(void)execnotify_respond(ep, req->id, EACCES);
		}
		return;
	}
	if (ep->finished) {
		(void)execnotify_respond(ep, req->id, EACCES);
		goto done;
	}
	if (x->missing != 0) {
		log_debug("exec %s: %s", x->line, strerror(x->missing));
		(void)execnotify_respond(ep, req->id, x->missing);
		goto done;
	}
	if (execnotify_rebind(ep, req->id, x))
		goto done;
	execnotify_runs_close(ep);
	if ((error = execnotify_refused(ep, x)) != 0) {
		log_debug("exec %s: refused again", x->line);
		(void)execnotify_respond(ep, req->id, error);
		goto done;
	}
	if (x->git_unsure && (ep->deny[0] != NULL || ep->allow[0] != NULL ||
	    ep->ngates > 0)) {
		execnotify_deny(ep, req->id, x, "git", NULL);
		goto done;
	}
	/* A wrapper shell is also read by its script's commands. */
	script = execwrap_commands(x);
	x->wrapper = script != NULL;
	if ((p = execmatch_find(ep->deny, x)) != NULL ||
	    (p = execwrap_find(ep->deny, script)) != NULL) {
		execnotify_deny(ep, req->id, x, "policy.shellDenylist", p);
		goto done;
	}
	if (ep->allow != NULL && ep->allow[0] != NULL && !x->wrapper &&
	    !execmatch_own(ep, x) && !execmatch_allowed(ep->allow, x)) {
		execnotify_deny(ep, req->id, x, "policy.shellAllowlist", NULL);
		goto done;
	}
	for (i = 0; i < ep->ngates; i++) {
		if ((p = execmatch_find(ep->gates[i].patterns, x)) != NULL) {
			if (execnotify_granted(ep, x, &ep->gates[i])) {
				log_info("exec %s: allowed with the approved "
				    "command that runs it", x->line);
				continue;
			}
			/* A human allowed it already, through the CLI. */
			if (execnotify_preapproved(ep, x->argv, x->argc)) {
				log_info("exec %s: approved through the "
				    "CLI's own approval", x->line);
				/* Its own children (a push's transport). */
				execnotify_grant(ep, x, &ep->gates[i]);
				break;
			}
			/* The hold owns x from here. */
			execnotify_hold(ep, req->id, x, &ep->gates[i], p);
			execmatch_git_free(script);
			return;
		}
	}
	execnotify_allow(ep, req->id, x);
done:
	execmatch_git_free(script);
	exectarget_exec_free(x);
}

/*
 * The listener is readable. A notification is received only when poll
 * says one is pending: receiving blocks otherwise, and the listener also
 * turns readable (POLLHUP) for good once the whole tree is gone.
 */
void
execnotify_cb(int fd, short events, void *arg)
{
	struct execpol	*ep = arg;
	struct pollfd	 pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, 0) == -1 || !(pfd.revents & POLLIN)) {
		if (pfd.revents & (POLLHUP|POLLERR|POLLNVAL)) {
			log_debug("exec policy: no process left to watch");
			event_del(ep->ev);
		}
		return;
	}
	/* The kernel wants a zeroed request (its size has not changed). */
	memset(ep->req, 0, sizeof *ep->req);
	if (seccomp_notify_receive(fd, ep->req) != 0) {
		/* ENOENT: the target died before we took it. */
		if (errno != ENOENT && errno != EINTR)
			log_warn("seccomp_notify_receive");
		return;
	}
	execnotify_handle(ep, ep->req);
}

/* Remember a command a human allowed through the CLI's own approval. */
void
execnotify_preapprove(struct execpol *ep, char *const *argv, size_t argc)
{
	size_t	i, slot;

	if (ep == NULL || argc == 0)
		return;
	slot = ep->nextp++ % EXECPOL_PREAPPROVALS;
	strv_free(ep->pre[slot]);
	ep->pre[slot] = xcalloc(argc + 1, sizeof *ep->pre[slot]);
	for (i = 0; i < argc; i++)
		ep->pre[slot][i] = xstrdup(argv[i]);
	ep->pre_until[slot] = mono_ms() + EXECPOL_PREAPPROVE_MS;
}

/* Whether argv is pre-approved (same words, argv[0] by its base name). */
int
execnotify_preapproved(struct execpol *ep, char *const *argv, size_t argc)
{
	char	**p;
	size_t	  i, j;
	int64_t	  now = mono_ms();

	if (ep == NULL || argc == 0)
		return (0);
	for (i = 0; i < EXECPOL_PREAPPROVALS; i++) {
		if ((p = ep->pre[i]) == NULL || ep->pre_until[i] < now ||
		    strv_len(p) != argc ||
		    strcmp(execmatch_base(p[0]), execmatch_base(argv[0])) != 0)
			continue;
		for (j = 1; j < argc; j++)
			if (strcmp(p[j], argv[j]) != 0)
				break;
		if (j < argc)
			continue;
		strv_free(p);
		ep->pre[i] = NULL;
		return (1);
	}
	return (0);
}
