/*
 * Approvals and the exec policy as the session sees them: a provider's
 * prompt or a held exec becomes APPROVAL_REQUESTED (the session WAITING
 * until the last is answered), and the policy's events go out as the
 * session's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/event.h"
#include "common/util.h"
#include "worker/execpol.h"
#include "worker/gate.h"
#include "worker/output.h"
#include "worker/wstate.h"

/*
 * Send APPROVAL_REQUESTED for ap (borrowed) and wait for the answer. A
 * provider prompt and held execs (execpol.c) may wait at the same time;
 * the session is WAITING_FOR_APPROVAL until the last one is answered.
 */
void
gate_approval_send(struct json_object *ap)
{
	struct json_object	*ev;

	wk.approvals++;
	ev = event_create(EV_APPROVAL_REQUESTED);
	/* The event keeps a reference of its own. */
	json_object_object_add(ev, "approval", json_object_get(ap));
	wstate_emit(ev);
	if (wk.state == ST_RUNNING)
		wstate_move(ST_WAITING_FOR_APPROVAL, "approval requested");
}

/*
 * An approval was answered: RUNNING again once none is left waiting (a
 * prompt, held execs, and others of the caller's, a driver's).
 */
void
gate_approval_done(size_t others, const char *reason)
{
	if (wk.state == ST_WAITING_FOR_APPROVAL && wk.approval_id[0] == '\0' &&
	    (wk.exec == NULL || execpol_pending(wk.exec) == 0) && others == 0)
		wstate_move(ST_RUNNING, reason);
}

/*
 * An approval prompt: request an approval and wait. While paused it is
 * offered again on resume; while stopping, or with a prompt already
 * waiting, it is dropped.
 */
int
gate_prompt_cb(const char *summary, void *arg)
{
	struct json_object	*ap;
	char			 ts[32];
	int64_t			 now = now_ms();

	if (wk.state == ST_PAUSED_BY_HUMAN)
		return (0);
	if ((wk.state != ST_RUNNING && wk.state != ST_WAITING_FOR_APPROVAL) ||
	    wk.closing || wk.approval_id[0] != '\0')
		return (1);
	uuid_v4(wk.approval_id);

	ap = json_object_new_object();
	json_object_object_add(ap, "approvalId",
	    json_object_new_string(wk.approval_id));
	json_object_object_add(ap, "sessionId",
	    json_object_new_string(wk.session_id));
	json_object_object_add(ap, "category", json_object_new_string("shell"));
	json_object_object_add(ap, "summary", json_object_new_string(summary));
	json_object_object_add(ap, "risk", json_object_new_string("medium"));
	iso8601_ms(now, ts, sizeof ts);
	json_object_object_add(ap, "requestedAt", json_object_new_string(ts));
	iso8601_ms(now + wk.approval_timeout_ms, ts, sizeof ts);
	json_object_object_add(ap, "timeoutAt", json_object_new_string(ts));
	gate_approval_send(ap);
	json_object_put(ap);
	return (1);
}

/* An event of the exec policy (TEST_RUN_*, ALERT_RAISED). */
static void
gate_exec_event_cb(struct json_object *ev, void *arg)
{
	if (wk.closing) {
		json_object_put(ev);
		return;
	}
	wstate_emit(ev);
}

/* A gated exec is held: ask a human now (1), later (0) or never (-1). */
static int
gate_exec_request_cb(struct json_object *ap, void *arg)
{
	if (wk.pid <= 0 || wk.exited || wk.closing || wk.stopping != STOP_NONE)
		return (-1);
	if (wk.state == ST_PAUSED_BY_HUMAN)
		return (0);
	if (wk.state != ST_RUNNING && wk.state != ST_WAITING_FOR_APPROVAL)
		return (-1);
	gate_approval_send(ap);
	return (1);
}

/* One more command ran (commandsRun). */
static void
gate_exec_ran_cb(void *arg)
{
	/* A driven session counts the CLI's tool calls instead (agent.c). */
	if (wk.driven == DRV_NONE)
		wk.commands_run++;
}

/* What the pty holds now, read before the policy ends a test run. */
static void
gate_exec_drain_cb(void *arg)
{
	unsigned char	buf[WORKER_READ_SIZE];
	ssize_t		n;

	/* EOF and errors are left to worker_pty_read_cb. */
	if (!wk.reading || wk.master == -1 || wk.closing ||
	    (n = read(wk.master, buf, sizeof buf)) <= 0)
		return;
	output_feed(wk.out, buf, (size_t)n);
	testrun_output(wk.exec, (const char *)buf, (size_t)n);
}

/* The exec policy takes the listener of the CLI's tree. */
void
gate_exec_start(void)
{
	struct execpol_cb	 cb = { gate_exec_event_cb,
				    gate_exec_request_cb, gate_exec_ran_cb,
				    gate_exec_drain_cb, NULL };
	struct execpol_params	 pp;
	static char		*none[] = { NULL };

	memset(&pp, 0, sizeof pp);
	pp.session_id = wk.session_id;
	pp.allow = wk.task.shell_allow;
	pp.deny = wk.task.shell_deny;
	pp.categories = wk.task.approval_for;
	pp.patterns = wk.exec_patterns;
	/* A driven CLI reports its commands: agent.c follows test runs. */
	pp.tests = wk.driven != DRV_NONE ? none : wk.exec_tests;
	pp.env = wk.env;
	pp.timeout_ms = wk.approval_timeout_ms;
	pp.cli = wk.detect.path;
	wk.exec = execpol_create(wk.base, wk.notify_fd, &pp, &cb);
	wk.notify_fd = -1;
}

void
gate_pending_alert(struct json_object *ids)
{
	static int		 raised;
	struct json_object	*all, *ctx, *id;
	char			*desc;
	size_t			 i, n;

	if (raised || wk.closing)
		return;
	all = json_object_new_array();
	for (i = 0; ids != NULL && json_object_is_type(ids, json_type_array) &&
	    i < json_object_array_length(ids); i++) {
		id = json_object_array_get_idx(ids, i);
		/* all keeps a reference of its own. */
		if (json_object_is_type(id, json_type_string))
			json_object_array_add(all, json_object_get(id));
	}
	if (wk.approval_id[0] != '\0')
		json_object_array_add(all,
		    json_object_new_string(wk.approval_id));
	if (wk.exec != NULL)
		execpol_pending_ids(wk.exec, all);
	if ((n = json_object_array_length(all)) == 0) {
		json_object_put(all);
		return;
	}
	raised = 1;
	desc = xasprintf("%zu approval%s still waiting when the session "
	    "ended: denied", n, n == 1 ? " was" : "s were");
	ctx = json_object_new_object();
	json_object_object_add(ctx, "approvalIds", all);
	wstate_alert("approval", "session ended with approvals pending", desc,
	    ctx);
	free(desc);
}
