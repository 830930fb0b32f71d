/*
 * The supervisor's messages to a started session: terminal input and
 * size, STOP, PAUSE, RESUME and the answer to an approval.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/util.h"
#include "worker/agent.h"
#include "worker/command.h"
#include "worker/execpol.h"
#include "worker/gate.h"
#include "worker/output.h"
#include "worker/provider.h"
#include "worker/ptyio.h"
#include "worker/wstate.h"

/* Queue bytes for the CLI's terminal. */
static void
command_pty_input(const char *data, size_t len)
{
	if (wk.pid <= 0 || wk.exited || wk.master == -1) {
		log_debug("input dropped: no CLI running");
		return;
	}
	(void)ptyio_input(wk.master, wk.input, wk.write_ev, data, len,
	    WORKER_INPUT_MAX);
}

/* Whether the CLI is there to be told anything. */
static int
command_live(void)
{
	return (wk.pid > 0 && !wk.exited && !wk.closing);
}

/* STOP {graceful}: honoured before the CLI runs, escalated while STOPPING. */
void
command_stop(struct json_object *o)
{
	struct json_object	*v;
	int			 graceful = 1;

	if (json_object_object_get_ex(o, "graceful", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			wstate_peer_gone("STOP with a graceful that is not a "
			    "boolean");
		graceful = json_object_get_boolean(v);
	}
	if (wk.closing)
		return;
	if (wk.pid <= 0) {
		log_info("stop requested before the provider started");
		wk.stop_early = 1;
		return;
	}
	if (wk.exited)
		return;
	if (wk.state == ST_STOPPING) {
		if (!graceful) {
			log_info("forced stop while stopping");
			evtimer_del(wk.kill_ev);
			wstate_signal(SIGKILL);
		}
		return;
	}
	wstate_stop(STOP_REQUESTED, "stop requested", graceful);
}

/* Whether the CLI is live and in state want; if not, what is ignored. */
static int
command_in(enum session_state want, const char *what)
{
	if (command_live() && wk.state == want)
		return (1);
	log_warnx("%s ignored in state %s", what, session_state_name(wk.state));
	return (0);
}

/* PAUSE: freeze the CLI. Only from RUNNING: WAITING cannot move there. */
void
command_pause(void)
{
	if (!command_in(ST_RUNNING, "pause"))
		return;
	wstate_signal(SIGSTOP);
	wk.paused_from = wk.state;
	wstate_move(ST_PAUSED_BY_HUMAN, "paused on request");
}

/* RESUME: thaw the CLI and return to where it was. */
void
command_resume(void)
{
	if (!command_in(ST_PAUSED_BY_HUMAN, "resume"))
		return;
	wstate_signal(SIGCONT);
	wstate_move(session_state_can_move(ST_PAUSED_BY_HUMAN, wk.paused_from) ?
	    wk.paused_from : ST_RUNNING, "resumed on request");
	if (wk.out != NULL)
		output_recheck(wk.out);
	/* Held execs that could not be asked about while paused. */
	if (wk.exec != NULL)
		execpol_recheck(wk.exec);
}

/* An approval was answered: RUNNING again once none is left waiting. */
static void
command_approval_done(const char *reason)
{
	gate_approval_done(agent_pending(), reason);
}

/*
 * APPROVE {approvalId, decision, note?}: a provider prompt is answered on
 * the pty; a held exec proceeds or fails with EACCES, and then, denied,
 * the session stops FAILED (DESIGN section 3) unless the config says
 * approval_deny_continues.
 */
void
command_approve(struct json_object *o)
{
	struct json_object	*v;
	const char		*id, *decision, *note = NULL, *keys;
	char			 cmd[1200];
	int			 allow;

	id = jsonget_str(o, "approvalId");
	decision = jsonget_str(o, "decision");
	if (((v = jsonget_member(o, "note")) != NULL &&
	    jsonget_string(v, "note", &note, NULL, 0) == -1) ||
	    id == NULL || decision == NULL || (strcmp(decision, "allow") != 0 &&
	    strcmp(decision, "deny") != 0))
		wstate_peer_gone("malformed APPROVE");
	allow = strcmp(decision, "allow") == 0;
	/* The CLI's own approval: told over its protocol; it goes on. */
	if (!wk.closing && agent_approve(id, allow, note) == 0) {
		command_approval_done(allow ? "approval allowed" :
		    "approval denied");
		return;
	}
	if (command_live() && wk.approval_id[0] != '\0' &&
	    strcmp(id, wk.approval_id) == 0) {
		keys = allow ? wk.provider->approve_keys :
		    wk.provider->deny_keys;
		wk.approval_id[0] = '\0';
		command_pty_input(keys, strlen(keys));
		command_approval_done(allow ? "approval allowed" :
		    "approval denied");
		return;
	}
	if (wk.closing || wk.exec == NULL ||
	    execpol_resolve(wk.exec, id, allow, cmd, sizeof cmd) == -1) {
		log_warnx("approval %.40s is not pending: ignored", id);
		return;
	}
	if (allow || wk.deny_continues || wk.stopping != STOP_NONE ||
	    !command_live()) {
		command_approval_done(allow ? "approval allowed" :
		    "approval denied");
		return;
	}
	free(wk.denied);
	if (note != NULL && *note != '\0')
		wk.denied = xasprintf("approval denied: %s (%s)", cmd, note);
	else
		wk.denied = xasprintf("approval denied: %s", cmd);
	wstate_stop(STOP_DENIED, wk.denied, 1);
}

/* INPUT {data}: to the CLI's terminal; a driven CLI's user message. */
void
command_input(struct json_object *o)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, "data", &v) ||
	    !json_object_is_type(v, json_type_string))
		wstate_peer_gone("INPUT without a data string");
	if (!command_live())
		return;
	if (wk.driven != DRV_NONE) {
		agent_input(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		return;
	}
	command_pty_input(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
}

/* RESIZE {cols, rows}: the pty's window size (remembered before spawn). */
void
command_resize(struct json_object *o)
{
	int64_t		cols, rows;

	if (jsonget_int(jsonget_member(o, "cols"), "cols", 1, 1000, &cols,
	    NULL, 0) == -1 ||
	    jsonget_int(jsonget_member(o, "rows"), "rows", 1, 1000, &rows,
	    NULL, 0) == -1)
		wstate_peer_gone("malformed RESIZE");
	wk.cols = (int)cols;
	wk.rows = (int)rows;
	if (wk.master == -1)
		return;
	ptyio_resize(wk.master, (int)cols, (int)rows);
}
