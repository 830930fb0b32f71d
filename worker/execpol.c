/*
 * Exec policy: every execve and execveat of the agent's process tree stops
 * in the kernel (seccomp user notification, SCMP_ACT_NOTIFY) until the
 * worker answers. The worker reads the program and argv from the target's
 * memory, then lets it run (SECCOMP_USER_NOTIF_FLAG_CONTINUE), fails it
 * with EACCES (shell deny or allow list), or holds it for a human's
 * approval (gated categories). Allowed test runners are followed to their
 * exit for TEST_RUN_STARTED and TEST_RUN_FINISHED.
 *
 * What this can and cannot guarantee. The kernel reads the pathname and
 * argv again when the exec proceeds after CONTINUE, so a program with a
 * second thread (or shared memory) can change them between our check and
 * the real exec; it can also copy or rename a binary to dodge a name, or
 * do the same work without exec at all (a shell builtin, an interpreter, a
 * library call). This is a policy layer for a cooperative agent that makes
 * mistakes, not a security boundary: the sandbox (namespaces, Landlock,
 * seccomp deny rules, cgroup) is the boundary.
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

struct execpol *
execpol_create(struct event_base *base, int fd,
    const struct execpol_params *pp, const struct execpol_cb *cb)
{
	struct execpol	*ep;

	ep = xcalloc(1, sizeof *ep);
	ep->base = base;
	ep->fd = fd;
	ep->nl_fd = -1;
	ep->cb = *cb;
	TAILQ_INIT(&ep->holds);
	TAILQ_INIT(&ep->runs);
	(void)set_cloexec(fd);
	if (seccomp_notify_alloc(&ep->req, &ep->resp) != 0) {
		/* The kernel's sizes are those of our headers, then. */
		ep->req = xcalloc(1, sizeof *ep->req);
		ep->resp = xcalloc(1, sizeof *ep->resp);
		ep->own_alloc = 1;
	}
	ep->session_id = xstrdup(pp->session_id != NULL ? pp->session_id :
	    "");
	ep->allow = execmatch_strv((const char *const *)pp->allow);
	ep->deny = execmatch_strv((const char *const *)pp->deny);
	execmatch_gates(ep, pp);
	execmatch_own_set(ep, pp->cli);
	ep->tests = execmatch_strv(pp->tests != NULL ?
	    (const char *const *)pp->tests : execmatch_default_tests());
	ep->timeout_ms = pp->timeout_ms > 0 ? pp->timeout_ms :
	    EXECPOL_TIMEOUT_MS;
	ep->redact = redact_create();
	if (pp->env != NULL && json_object_is_type(pp->env,
	    json_type_object)) {
		json_object_object_foreach(pp->env, k, v) {
			(void)k;
			if (json_object_is_type(v, json_type_string))
				redact_add(ep->redact,
				    json_object_get_string(v));
		}
	}
	ep->tail = xmalloc(2 * EXECPOL_TAIL);
	if ((ep->ev = event_new(base, fd, EV_READ|EV_PERSIST,
	    execnotify_cb, ep)) == NULL)
		fatalx("event_new");
	event_add(ep->ev, NULL);
	log_debug("exec policy: %zu allow, %zu deny patterns, %zu gated "
	    "categories, %zu test patterns", strv_len(ep->allow),
	    strv_len(ep->deny), ep->ngates, strv_len(ep->tests));
	return (ep);
}

/* Fail every held exec (the session is ending). */
static void
execpol_release(struct execpol *ep)
{
	struct execnotify_hold	*h;

	while ((h = TAILQ_FIRST(&ep->holds)) != NULL) {
		(void)execnotify_respond(ep, h->id, EACCES);
		execnotify_hold_free(ep, h);
	}
}

void
execpol_free(struct execpol *ep)
{
	struct execpol_run	*r;
	size_t			 i;

	if (ep == NULL)
		return;
	ep->finished = 1;
	execpol_release(ep);
	while ((r = TAILQ_FIRST(&ep->runs)) != NULL)
		testrun_free(r);
	testrun_nl_close(ep);
	event_free(ep->ev);
	close(ep->fd);
	if (ep->own_alloc) {
		free(ep->req);
		free(ep->resp);
	} else
		seccomp_notify_free(ep->req, ep->resp);
	for (i = 0; i < ep->ngates; i++) {
		free(ep->gates[i].category);
		strv_free(ep->gates[i].patterns);
	}
	free(ep->gates);
	free(ep->cli);
	strv_free(ep->cli_dirs);
	for (i = 0; i < EXECPOL_VERDICTS; i++)
		exectarget_exec_free(ep->verdicts[i].x);
	for (i = 0; i < EXECPOL_GRANTS; i++)
		execmatch_git_free(ep->grants[i].readings);
	for (i = 0; i < EXECPOL_PREAPPROVALS; i++)
		strv_free(ep->pre[i]);
	for (i = 0; i < ep->nknown; i++) {
		free(ep->known[i].path);
		strv_free(ep->known[i].names);
	}
	free(ep->known);
	strv_free(ep->allow);
	strv_free(ep->deny);
	strv_free(ep->tests);
	redact_free(ep->redact);
	free(ep->session_id);
	free(ep->tail);
	free(ep);
}

size_t
execpol_hashes(const struct execpol *ep)
{
	return (ep->hashes);
}

int
execpol_resolve(struct execpol *ep, const char *id, int allow, char *buf,
    size_t len)
{
	struct execnotify_hold	*h;

	TAILQ_FOREACH(h, &ep->holds, entry)
		if (h->requested && strcmp(h->approval, id) == 0)
			break;
	if (h == NULL)
		return (-1);
	snprintf(buf, len, "%s", h->x->line);
	log_info("exec %s %s by approval %s", h->x->line, allow ? "allowed" :
	    "denied", id);
	if (allow) {
		/* Before the exec proceeds: its pid is still the one. */
		execnotify_grant(ep, h->x, h->gate);
		execnotify_allow(ep, h->id, h->x);
	} else
		(void)execnotify_refuse(ep, h->id, h->x, EACCES);
	execnotify_hold_free(ep, h);
	return (0);
}

size_t
execpol_pending(const struct execpol *ep)
{
	const struct execnotify_hold	*h;
	size_t				 n = 0;

	TAILQ_FOREACH(h, &ep->holds, entry)
		if (h->requested)
			n++;
	return (n);
}

void
execpol_pending_ids(const struct execpol *ep, struct json_object *ids)
{
	const struct execnotify_hold	*h;

	TAILQ_FOREACH(h, &ep->holds, entry)
		if (h->requested)
			json_object_array_add(ids,
			    json_object_new_string(h->approval));
}

void
execpol_recheck(struct execpol *ep)
{
	struct execnotify_hold	*h, *next;

	for (h = TAILQ_FIRST(&ep->holds); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (!h->requested)
			execnotify_ask(ep, h);
	}
}

void
execpol_finish(struct execpol *ep)
{
	struct execpol_run	*r;

	if (ep->finished)
		return;
	testrun_nl_drain(ep);
	while ((r = TAILQ_FIRST(&ep->runs)) != NULL)
		testrun_end(r);
	ep->finished = 1;
	execpol_release(ep);
}
