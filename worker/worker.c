/* The worker process: one session, from START to SESSION_ENDED. */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/frame.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/proto.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "host/overlay.h"
#include "host/quota.h"
#include "worker/agent.h"
#include "worker/changes.h"
#include "worker/command.h"
#include "worker/confine.h"
#include "worker/diff.h"
#include "worker/execpol.h"
#include "worker/gate.h"
#include "worker/launch.h"
#include "worker/output.h"
#include "worker/provider.h"
#include "worker/proxy.h"
#include "worker/ptyio.h"
#include "worker/spawn.h"
#include "worker/start.h"
#include "worker/usage.h"
#include "worker/watch.h"
#include "worker/worker.h"
#include "worker/workspace.h"
#include "worker/wstate.h"

static void	worker_finish(void);
static void	worker_schedule(enum worker_step);

/* The usage units after ran_ms of the CLI (usage.c). */
static struct json_object *
worker_usage(int64_t ran_ms)
{
	struct usage_counts	 c;
	struct json_object	*units;

	memset(&c, 0, sizeof c);
	c.ran_ms = ran_ms;
	c.terminal_bytes = wk.out != NULL ? output_sent(wk.out) : 0;
	c.files_touched = wk.watch != NULL ? watch_paths(wk.watch) :
	    wk.files_touched;
	c.commands_run = wk.commands_run;
	c.approvals = wk.approvals;
	/* A driven CLI's transcript too. */
	c.terminal_bytes += agent_sent();
	units = usage_units(&c, wk.cg, &wk.cg_reading);
	agent_usage(units);
	return (units);
}

/* USAGE_TICK while the CLI runs: the totals so far. */
static void
worker_usage_tick_cb(int fd, short events, void *arg)
{
	struct json_object	*ev, *units;
	int64_t			 now = mono_ms();

	if (wk.closing || wk.exited || wk.spawn_ms == 0)
		return;
	changes_quota_check();
	if (wk.closing || wk.exited)
		return;
	units = worker_usage(now - wk.spawn_ms);
	ev = event_create(EV_USAGE_TICK);
	json_object_object_add(ev, "providerId",
	    json_object_new_string(wk.provider->name));
	json_object_object_add(ev, "units", units);
	json_object_object_add(ev, "intervalMs",
	    json_object_new_int64(now - wk.usage_last_ms));
	wk.usage_last_ms = now;
	wstate_emit(ev);
}

/* Start the USAGE_TICK timer once the CLI runs. */
static void
worker_usage_start(void)
{
	struct timeval	tv;

	if (wk.usage_tick_ms <= 0)
		return;
	wk.usage_last_ms = wk.spawn_ms;
	if ((wk.usage_ev = event_new(wk.base, -1, EV_PERSIST,
	    worker_usage_tick_cb, NULL)) == NULL)
		fatalx("event_new");
	tv.tv_sec = wk.usage_tick_ms / 1000;
	tv.tv_usec = (wk.usage_tick_ms % 1000) * 1000;
	evtimer_add(wk.usage_ev, &tv);
}

/*
 * The session's cgroup (usage.c). Without one the session still runs,
 * unlimited, and says so.
 */
static void
worker_cg_create(void)
{
	char	cause[WORKER_CAUSE_MAX];

	if (wk.cg_base == NULL)
		return;
	wk.cg = usage_cg_create(wk.cg_base, wk.session_id, &wk.cg_limits,
	    cause, sizeof cause);
	if (wk.cg != NULL)
		return;
	log_warnx("no cgroup: %s", cause);
	wstate_alert("resources", "session runs without resource limits",
	    cause, NULL);
}

/* The end of the session's accounting: stop ticking, drop the cgroup. */
static void
worker_cg_end(void)
{
	if (wk.usage_ev != NULL) {
		event_free(wk.usage_ev);
		wk.usage_ev = NULL;
	}
	cgroup_destroy(wk.cg);
	wk.cg = NULL;
}

/*
 * The session is over (the final state is set): send SESSION_ENDED, then
 * wait for the channel to drain before exiting.
 */
static void
worker_end(void)
{
	struct json_object	*ev, *usage;
	int64_t			 now = mono_ms(), ran = 0;
	int			 sig;

	ev = event_create(EV_SESSION_ENDED);
	json_object_object_add(ev, "finalState",
	    json_object_new_string(session_state_name(wk.state)));
	if (wk.exited && WIFEXITED(wk.status))
		json_object_object_add(ev, "exitCode",
		    json_object_new_int(WEXITSTATUS(wk.status)));
	else
		json_object_object_add(ev, "exitCode", NULL);
	if (wk.exited && WIFSIGNALED(wk.status)) {
		sig = WTERMSIG(wk.status);
		json_object_object_add(ev, "signal",
		    json_object_new_string(signal_name(sig)));
	}
	json_object_object_add(ev, "totalDurationMs",
	    json_object_new_int64(now - wk.start_ms));
	if (wk.spawn_ms > 0)
		ran = (wk.exited ? wk.exit_ms : now) - wk.spawn_ms;
	usage = worker_usage(ran);
	/* After the final reading: whatever is left in the cgroup dies. */
	worker_cg_end();
	json_object_object_add(usage, "connectionsRefused",
	    json_object_new_int64((int64_t)wk.net_refused));
	json_object_object_add(ev, "totalUsage", usage);
	agent_ended(ev);
	wstate_emit(ev);

	wk.closing = 1;
	bufferevent_setwatermark(wk.chan, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(wk.chan)) == 0) {
		wstate_exit();
		return;
	}
	if (wk.linger_ev != NULL) {
		struct timeval	tv = { WORKER_LINGER_MS / 1000, 0 };

		evtimer_add(wk.linger_ev, &tv);
	}
}

/* The session failed before or while starting the CLI. */
static void
worker_fail(const char *reason)
{
	changes_end();
	wstate_move(ST_FAILED, reason);
	worker_end();
}

/* The pty can take input again. */
static void
worker_pty_write_cb(int fd, short events, void *arg)
{
	ptyio_write(wk.master, wk.input, wk.write_ev);
}

/* Output from the CLI, or the end of it. */
static void
worker_pty_read_cb(int fd, short events, void *arg)
{
	unsigned char	buf[WORKER_READ_SIZE];
	ssize_t		n;

	n = ptyio_read(wk.master, buf, sizeof buf);
	if (n > 0) {
		output_feed(wk.out, buf, (size_t)n);
		/* Test runners' summary lines, as soon as they are read. */
		if (wk.exec != NULL)
			testrun_output(wk.exec, (const char *)buf, (size_t)n);
		return;
	}
	if (n == 0)
		return;
	wk.pty_eof = 1;
	if (wk.reading) {
		event_del(wk.read_ev);
		wk.reading = 0;
	}
	if (wk.exited)
		worker_finish();
}

/* Reap children; when the CLI has exited, drain its last output. */
static void
worker_sigchld_cb(int sig, short events, void *arg)
{
	struct timeval	tv = { 0, WORKER_DRAIN_MS * 1000 };
	pid_t		pid;
	int		status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != wk.pid || wk.exited)
			continue;
		wk.exited = 1;
		wk.status = status;
		/* Init (pid 1) reports how the agent itself ended. */
		if (wk.sb_status_fd != -1) {
			wk.status = status = confine_status(wk.sb_status_fd,
			    status);
			close(wk.sb_status_fd);
			wk.sb_status_fd = -1;
		}
		wk.exit_ms = mono_ms();
		if (WIFEXITED(status))
			log_info("provider exited with code %d",
			    WEXITSTATUS(status));
		else
			log_info("provider killed by signal %d",
			    WTERMSIG(status));
	}
	if (!wk.exited || wk.closing || evtimer_pending(wk.drain_ev, NULL))
		return;
	if (wk.pty_eof) {
		worker_finish();
		return;
	}
	/* What it wrote before exiting is still in the pty: read it all. */
	if (!wk.reading) {
		event_add(wk.read_ev, NULL);
		wk.reading = 1;
	}
	evtimer_add(wk.drain_ev, &tv);
}

/* The CLI's last output did not end within the drain time. */
static void
worker_drain_cb(int fd, short events, void *arg)
{
	worker_finish();
}

/* The CLI exited and its output is read: say how it ended. */
static void
worker_finish(void)
{
	enum session_state	 final;
	struct json_object	*ids;
	char			*reason, *secs;
	int			 sig;

	if (wk.closing)
		return;
	if (wk.reading)
		event_del(wk.read_ev);
	wk.reading = 0;
	event_del(wk.write_ev);
	evtimer_del(wk.drain_ev);
	evtimer_del(wk.timeout_ev);
	evtimer_del(wk.kill_ev);
	/* Whatever is left of its process group goes with it. */
	killpg(wk.pid, SIGKILL);
	output_flush(wk.out);
	close(wk.master);
	wk.master = -1;
	/* A driven CLI's last records and transcript. */
	agent_finish();
	/* Approvals nobody answered, before they are let go: one ALERT. */
	ids = json_object_new_array();
	agent_end_approvals(ids);
	gate_pending_alert(ids);
	json_object_put(ids);
	/* The last test runs, before the final state. */
	if (wk.exec != NULL)
		execpol_finish(wk.exec);

	if (wk.stopping == STOP_REQUESTED) {
		final = ST_COMPLETED;
		reason = xstrdup("stopped on request");
	} else if (wk.stopping == STOP_IDLE) {
		final = ST_COMPLETED;
		reason = xstrdup("idle after its last turn");
	} else if (wk.stopping == STOP_DENIED ||
	    wk.stopping == STOP_DRIVER) {
		final = ST_FAILED;
		reason = xstrdup(wk.denied);
	} else if (wk.stopping == STOP_QUOTA) {
		final = ST_FAILED;
		reason = xasprintf("disk quota exceeded (limit %lld MiB)",
		    wk.spec.quota_bytes / (1024 * 1024));
	} else if (wk.stopping == STOP_TIMEOUT) {
		final = ST_FAILED;
		secs = usage_seconds(wk.timeout_ms);
		reason = xasprintf("session timed out after %s s", secs);
		free(secs);
	} else if (!(WIFEXITED(wk.status) && WEXITSTATUS(wk.status) == 0) &&
	    usage_oom(wk.cg, &wk.cg_reading)) {
		/* The CLI died and the cgroup's OOM killer had struck. */
		final = ST_FAILED;
		if (wk.cg_limits.memory_max > 0)
			reason = xasprintf("out of memory (limit %lld MiB)",
			    (long long)(wk.cg_limits.memory_max /
			    (1024 * 1024)));
		else
			reason = xstrdup("out of memory (no limit set)");
	} else if (WIFEXITED(wk.status)) {
		final = WEXITSTATUS(wk.status) == 0 ? ST_COMPLETED : ST_FAILED;
		reason = xasprintf("provider exited with code %d",
		    WEXITSTATUS(wk.status));
	} else {
		final = ST_FAILED;
		sig = WTERMSIG(wk.status);
		reason = xasprintf("provider killed by signal %d (%s)", sig,
		    signal_name(sig));
	}
	changes_end();
	wstate_move(final, reason);
	free(reason);
	worker_end();
}

/* The grace is over: SIGKILL. */
static void
worker_kill_cb(int fd, short events, void *arg)
{
	log_info("provider still running after %lld ms: killing it",
	    (long long)wk.grace_ms);
	wstate_signal(SIGKILL);
}

/* The session ran out of time. */
static void
worker_timeout_cb(int fd, short events, void *arg)
{
	char	*secs, *reason;

	if (wk.closing || wk.exited || wk.stopping != STOP_NONE)
		return;
	secs = usage_seconds(wk.timeout_ms);
	reason = xasprintf("timed out after %s s", secs);
	wstate_stop(STOP_TIMEOUT, reason, 1);
	free(reason);
	free(secs);
}

/* Take what START says (and what it owns) into the session's globals. */
static void
worker_take_start(struct start *st)
{
	struct config	*c = st->cfg;

	wk.cfg = c;
	wk.env = st->env;
	wk.provider = st->provider;
	wk.spec = st->spec;
	wk.workspace_dir = c->workspace_dir;
	wk.dir = st->dir;
	wk.task = st->task;
	wk.room_path = st->room_path;
	wk.path = c->agent_path;
	wk.home = st->home;
	wk.lang = st->lang;
	wk.cols = st->cols;
	wk.rows = st->rows;
	wk.timeout_ms = c->session_timeout_ms;
	wk.grace_ms = c->stop_grace_ms;
	wk.sandboxed = c->sandbox;
	wk.sbp = st->sbp;
	wk.sb_expose = st->sb_expose;
	wk.diff_opts = st->diff_opts;
	wk.max_watches = st->max_watches;
	wk.cg_base = st->cg_base;
	wk.cg_limits = st->cg_limits;
	wk.usage_tick_ms = c->usage_tick_ms;
	/* Every session asks its spawn for an exec listener. */
	wk.exec_notify = 1;
	wk.exec_patterns = c->exec_approval_patterns;
	wk.exec_tests = st->exec_tests;
	wk.approval_timeout_ms = c->approval_timeout_ms;
	/* The request's policy.limits may have lowered it. */
	wk.idle_ms = st->idle_ms >= 0 ? st->idle_ms : c->agent_idle_timeout_ms;
	wk.deny_continues = c->approval_deny_continues;
	wk.net_allow = st->net_allow;
	wk.net_listen = st->net_listen;
	wk.net_open = st->net_open;
	/* All of it is wk's now (worker_cleanup frees it). */
	memset(st, 0, sizeof *st);
}

/* START: who we are, then the steps to start the CLI. */
static void
worker_start(struct json_object *o)
{
	struct start	 st;
	const char	*id;
	char		 cause[WORKER_CAUSE_MAX], *reason;
	size_t		 i;

	wk.started = 1;
	wk.start_ms = mono_ms();
	/* Kept for the session: the strings in wk borrow from it. */
	wk.start = json_object_get(o);
	id = jsonget_str(jsonget_member(o, "session"), "sessionId");
	if (id == NULL || !uuid_valid(id))
		wstate_peer_gone("START without a valid session.sessionId");
	wk.session_id = id;
	log_settag("worker[%.8s]", id);

	if (start_parse(o, &st, cause, sizeof cause) == -1) {
		start_free(&st);
		reason = xasprintf("invalid START: %s", cause);
		log_warnx("%s", reason);
		worker_fail(reason);
		free(reason);
		return;
	}
	worker_take_start(&st);
	log_info("session %s: provider %s, repository %s", wk.session_id,
	    wk.provider->name, wk.spec.repo_path != NULL ? wk.spec.repo_path :
	    "(none)");
	if (wk.env != NULL) {
		/* Names only: the values are secrets. */
		i = 0;
		json_object_object_foreach(wk.env, k, v) {
			(void)v;
			log_debug("env %zu: %s", i++, k);
		}
	}
	wstate_move(ST_PREPARING_WORKSPACE, NULL);
	worker_schedule(STEP_WORKSPACE);
}

/* Run a step on a later loop turn, after any pending channel input. */
static void
worker_schedule(enum worker_step step)
{
	struct timeval	tv = { 0, 0 };

	wk.step = step;
	evtimer_add(wk.step_ev, &tv);
}

/*
 * An overlay workspace: the diff reads the start tree and index from the
 * cached checkout's .git, the lower, which the agent cannot write.
 */
static void
worker_pristine(void)
{
	char	*lower;

	free(wk.pristine);
	wk.pristine = NULL;
	wk.diff_opts.pristine = NULL;
	if ((lower = overlay_lower(wk.dir)) == NULL)
		return;
	wk.pristine = xasprintf("%s/.git", lower);
	wk.diff_opts.pristine = wk.pristine;
	free(lower);
}

/* Clone and check out the workspace. */
static void
worker_step_workspace(void)
{
	struct watch_cb	wcb = { changes_touched_cb, changes_changed_cb,
			    changes_watch_alert_cb, NULL };
	char		cause[WORKER_CAUSE_MAX], commit[64];

	if (workspace_create(&wk.spec, commit, cause, sizeof cause) == -1) {
		log_warnx("workspace: %s", cause);
		worker_fail(cause);
		return;
	}
	log_info("workspace %s at %s%s%s", wk.dir, commit,
	    wk.spec.branch_name != NULL ? " on branch " : "",
	    wk.spec.branch_name != NULL ? wk.spec.branch_name : "");
	/* From here on, not before: the checkout is not the agent's doing. */
	snprintf(wk.commit, sizeof wk.commit, "%s", commit);
	if (wk.spec.quota_bytes > 0)
		wk.quota_path = overlay_private(wk.dir);
	worker_pristine();
	if ((wk.watch = watch_create(wk.base, wk.dir, &wcb, wk.max_watches,
	    cause, sizeof cause)) == NULL)
		changes_watch_failed(cause, errno);
	wstate_move(ST_STARTING_PROVIDER, NULL);
	worker_schedule(STEP_PROVIDER);
}

/* Start the CLI on its pty; the session is RUNNING. */
static void
worker_step_spawn(void)
{
	struct json_object	*ev;
	struct timeval		 tv;
	char			 cause[WORKER_CAUSE_MAX];

	/* Before the fork, so an early exit is not missed. */
	if ((wk.sigchld_ev = evsignal_new(wk.base, SIGCHLD, worker_sigchld_cb,
	    NULL)) == NULL || evsignal_add(wk.sigchld_ev, NULL) == -1)
		fatalx("evsignal SIGCHLD");

	/* The session's cgroup, for the spawn to put the CLI in. */
	worker_cg_create();
	if (launch_spawn(cause, sizeof cause) == -1) {
		log_warnx("%s", cause);
		worker_fail(cause);
		return;
	}
	wk.spawn_ms = mono_ms();
	usage_cg_attach(wk.cg, wk.pid);
	log_info("provider %s started, pid %ld", wk.provider->name,
	    (long)wk.pid);

	if ((wk.input = evbuffer_new()) == NULL ||
	    (wk.read_ev = event_new(wk.base, wk.master, EV_READ|EV_PERSIST,
	    worker_pty_read_cb, NULL)) == NULL ||
	    (wk.write_ev = event_new(wk.base, wk.master, EV_WRITE|EV_PERSIST,
	    worker_pty_write_cb, NULL)) == NULL)
		fatalx("worker: out of memory");
	event_add(wk.read_ev, NULL);
	wk.reading = 1;

	ev = event_create(EV_SESSION_STARTED);
	json_object_object_add(ev, "providerId",
	    json_object_new_string(wk.provider->name));
	json_object_object_add(ev, "providerVersion",
	    json_object_new_string(wk.version));
	json_object_object_add(ev, "workspacePath",
	    json_object_new_string(wk.dir));
	if (wk.room_path != NULL)
		json_object_object_add(ev, "roomPath",
		    json_object_new_string(wk.room_path));
	json_object_object_add(ev, "providerPid",
	    json_object_new_int((int)wk.pid));
	wstate_emit(ev);
	wstate_move(ST_RUNNING, NULL);
	/* A structured CLI: the handshake and the task's turn. */
	if (wk.driven != DRV_NONE)
		agent_start();

	if (wk.timeout_ms > 0) {
		tv.tv_sec = wk.timeout_ms / 1000;
		tv.tv_usec = (wk.timeout_ms % 1000) * 1000;
		evtimer_add(wk.timeout_ev, &tv);
	}
	worker_usage_start();
}

/* The next start step, unless a STOP came first. */
static void
worker_step_cb(int fd, short events, void *arg)
{
	char	*reason;

	if (wk.closing)
		return;
	if (wk.stop_early) {
		wstate_move(ST_STOPPING, "stop requested");
		changes_end();
		wstate_move(ST_COMPLETED, "stopped before start");
		worker_end();
		return;
	}
	switch (wk.step) {
	case STEP_WORKSPACE:
		worker_step_workspace();
		break;
	case STEP_PROVIDER:
		if ((reason = launch_provider()) != NULL) {
			worker_fail(reason);
			free(reason);
		} else
			worker_schedule(STEP_SPAWN);
		break;
	case STEP_SPAWN:
		worker_step_spawn();
		break;
	}
}

/* One message from the supervisor. */
static void
worker_dispatch(struct json_object *o, enum msg_type type)
{
	char	why[64];

	if (!wk.started && type != MSG_START) {
		snprintf(why, sizeof why, "%s before START",
		    msg_type_name(type));
		wstate_peer_gone(why);
	}
	switch (type) {
	case MSG_START:
		if (wk.started)
			wstate_peer_gone("START sent twice");
		worker_start(o);
		break;
	case MSG_INPUT:
		command_input(o);
		break;
	case MSG_RESIZE:
		command_resize(o);
		break;
	case MSG_STOP:
		command_stop(o);
		break;
	case MSG_PAUSE:
		command_pause();
		break;
	case MSG_RESUME:
		command_resume();
		break;
	case MSG_APPROVE:
		command_approve(o);
		break;
	default:
		snprintf(why, sizeof why, "%s is not a supervisor message",
		    msg_type_name(type));
		wstate_peer_gone(why);
	}
}

/* One message from the supervisor, off the channel's peer. */
static void
worker_peer_dispatch_cb(struct peer *p, struct json_object *o,
    enum msg_type type, enum event_type ev, void *arg)
{
	worker_dispatch(o, type);
}

/* The channel drained: read the pty again, or exit once all is sent. */
static void
worker_peer_drained_cb(struct peer *p, void *arg)
{
	size_t	len;

	len = evbuffer_get_length(bufferevent_get_output(wk.chan));
	if (wk.closing) {
		if (len == 0)
			wstate_exit();
		return;
	}
	if (wk.throttled && len <= WORKER_LOW_WATER) {
		wk.throttled = 0;
		if (!wk.reading && !wk.pty_eof && wk.read_ev != NULL) {
			event_add(wk.read_ev, NULL);
			wk.reading = 1;
			log_debug("channel drained: pty resumed");
		}
	}
}

/* EOF, an error or a bad frame on the channel: the supervisor is gone. */
static void
worker_peer_gone_cb(struct peer *p, enum peer_gone why, const char *cause,
    void *arg)
{
	char	*msg;

	switch (why) {
	case PEER_BAD_FRAME:
		msg = xasprintf("protocol error from the supervisor: %s",
		    cause);
		wstate_peer_gone(msg);
		break;
	case PEER_EOF:
		if (wk.closing)
			break;
		wstate_peer_gone("supervisor closed the channel");
		break;
	case PEER_ERROR:
		if (wk.closing)
			break;
		wstate_peer_gone("channel error");
		break;
	}
	wstate_exit();
}

static const struct peer_ops worker_peer_ops = {
	worker_peer_dispatch_cb, worker_peer_gone_cb, worker_peer_drained_cb
};

/* The session's output could not be flushed in time; exit anyway. */
static void
worker_linger_cb(int fd, short events, void *arg)
{
	log_warnx("channel did not drain within %d ms", WORKER_LINGER_MS);
	wstate_exit();
}

/* Free the session (all is sent), for a clean exit under the sanitizers. */
static void
worker_cleanup(void)
{
	struct event	**evs[] = { &wk.step_ev, &wk.sigchld_ev, &wk.read_ev,
			    &wk.write_ev, &wk.timeout_ev, &wk.kill_ev,
			    &wk.drain_ev, &wk.linger_ev, &wk.quiet_ev };
	size_t		  i;

	for (i = 0; i < nitems(evs); i++) {
		if (*evs[i] != NULL)
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
	agent_free();
	diff_cancel(wk.diff_job);
	watch_free(wk.watch);
	output_free(wk.out);
	execpol_free(wk.exec);
	strv_free(wk.exec_tests);
	free(wk.denied);
	free(wk.diff_failed);
	free(wk.pristine);
	if (wk.input != NULL)
		evbuffer_free(wk.input);
	if (wk.master != -1)
		close(wk.master);
	proxy_free(wk.proxy);
	strv_free(wk.net_allow);
	strv_free(wk.net_listen);
	strv_free(wk.net_alerted);
	free(wk.quota_path);
	peer_free(wk.peer);
	event_base_free(wk.base);
	provider_detect_clear(&wk.detect);
	config_free(wk.cfg);
	strv_free(wk.argv);
	free(wk.prompt);
	free(wk.version);
	free(wk.dir);
	strv_free(wk.spec.allowed_roots);
	strv_free(wk.sb_expose);
	strv_free(wk.task.constraints);
	strv_free(wk.task.acceptance);
	strv_free(wk.task.shell_allow);
	strv_free(wk.task.shell_deny);
	strv_free(wk.task.approval_for);
	json_object_put(wk.start);
}

#ifdef RUNNERD_TEST_HOOKS
/* Test builds: inotify_init1 as it fails at fs.inotify.max_user_instances. */
static int
worker_test_inotify_fail(int flags)
{
	(void)flags;
	errno = EMFILE;
	return (-1);
}
#endif


/* The worker: READY, then one session on the channel, then exit. */
void
worker_main(int verbose)
{
	struct json_object	*ready;
	char			 cause[FRAME_CAUSE_MAX];

	log_init(verbose, "worker");
	signal(SIGPIPE, SIG_IGN);
#ifdef RUNNERD_TEST_HOOKS
	if (getenv("RUNNERD_TEST_INOTIFY_FAIL") != NULL)
		watch_set_init(worker_test_inotify_fail);
#endif
	memset(&wk, 0, sizeof wk);
	wk.pid = -1;
	wk.master = -1;
	wk.notify_fd = wk.sb_status_fd = wk.proxy_fd = -1;
	wk.stdin_fd = wk.stdout_fd = -1;
	wk.state = ST_CREATED;

	if ((wk.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (event_base_priority_init(wk.base, WORKER_PRIOS) == -1)
		fatalx("event_base_priority_init");
	if (set_nonblock(CHANNEL_FD) == -1 || set_cloexec(CHANNEL_FD) == -1)
		fatal("channel fd %d", CHANNEL_FD);
	wk.peer = peer_create(wk.base, CHANNEL_FD, &worker_peer_ops, NULL);
	if (wk.peer == NULL)
		fatalx("peer_create");
	wk.chan = peer_bufferevent(wk.peer);
	bufferevent_setwatermark(wk.chan, EV_WRITE, WORKER_LOW_WATER, 0);

	if ((wk.step_ev = evtimer_new(wk.base, worker_step_cb, NULL)) == NULL ||
	    event_priority_set(wk.step_ev, WORKER_PRIO_STEP) == -1 ||
	    (wk.timeout_ev = evtimer_new(wk.base, worker_timeout_cb,
	    NULL)) == NULL ||
	    (wk.kill_ev = evtimer_new(wk.base, worker_kill_cb, NULL)) == NULL ||
	    (wk.drain_ev = evtimer_new(wk.base, worker_drain_cb,
	    NULL)) == NULL ||
	    (wk.linger_ev = evtimer_new(wk.base, worker_linger_cb,
	    NULL)) == NULL ||
	    (wk.quiet_ev = evtimer_new(wk.base, changes_quiet_cb,
	    NULL)) == NULL)
		fatalx("evtimer_new");

	ready = json_object_new_object();
	json_object_object_add(ready, "type", json_object_new_string("READY"));
	json_object_object_add(ready, "pid", json_object_new_int(getpid()));
	json_object_object_add(ready, "protocol",
	    json_object_new_int(PROTO_VERSION));
	if (frame_write(bufferevent_get_output(wk.chan), ready, cause,
	    sizeof cause) == -1)
		fatalx("READY: %s", cause);
	json_object_put(ready);

	event_base_dispatch(wk.base);
	worker_cleanup();
	exit(0);
}
