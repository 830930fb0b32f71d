/* Requests that control a live session: input, resize, pause, stop, approve. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "supervisor/approval.h"
#include "supervisor/control.h"
#include "supervisor/pool.h"
#include "supervisor/server.h"
#include "supervisor/session.h"

#define CONTROL_STOP_BACKSTOP_MS	5000	/* beyond the stop grace */

/* A request needs the session live and its worker attached. */
static int
control_need_live(struct session *s, const char *what, struct sess_err *err)
{
	if (s->ended || session_state_final(s->state) || s->worker == NULL) {
		SESS_ERR(err, 409, "INVALID_STATE", "session is %s; %s needs a "
		    "live session", session_state_name(s->state), what);
		return (-1);
	}
	return (0);
}

static int
control_send(struct session *s, struct json_object *o, struct sess_err *err)
{
	int	rv;

	rv = pool_send(s->worker, o);
	json_object_put(o);
	if (rv == -1) {
		SESS_ERR(err, 409, "INVALID_STATE",
		    "the session's worker is gone");
		return (-1);
	}
	return (0);
}

static struct json_object *
control_msg(const char *type)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(type));
	return (o);
}

int
control_input(struct session *s, const char *data, size_t len,
    struct sess_err *err)
{
	struct json_object	*o;

	if (control_need_live(s, "input", err) == -1)
		return (-1);
	o = control_msg("INPUT");
	json_object_object_add(o, "data",
	    json_object_new_string_len(data, (int)len));
	return (control_send(s, o, err));
}

int
control_resize(struct session *s, int cols, int rows, struct sess_err *err)
{
	struct json_object	*o;

	if (control_need_live(s, "resize", err) == -1)
		return (-1);
	o = control_msg("RESIZE");
	json_object_object_add(o, "cols", json_object_new_int(cols));
	json_object_object_add(o, "rows", json_object_new_int(rows));
	return (control_send(s, o, err));
}

/* PAUSE or RESUME (what), sent only from the one state it leaves. */
static int
control_pause_resume(struct session *s, const char *what,
    enum session_state from, const char *type, const char *done,
    struct sess_err *err)
{
	if (control_need_live(s, what, err) == -1)
		return (-1);
	if (s->state != from) {
		SESS_ERR(err, 409, "INVALID_STATE", "session is %s; only a %s "
		    "session can be %s", session_state_name(s->state),
		    session_state_name(from), done);
		return (-1);
	}
	return (control_send(s, control_msg(type), err));
}

int
control_pause(struct session *s, struct sess_err *err)
{
	/* A pending approval is answered, not paused (DESIGN section 3). */
	return (control_pause_resume(s, "pause", ST_RUNNING, "PAUSE",
	    "paused", err));
}

int
control_resume(struct session *s, struct sess_err *err)
{
	return (control_pause_resume(s, "resume", ST_PAUSED_BY_HUMAN,
	    "RESUME", "resumed", err));
}

int
control_stop(struct session *s, int graceful, struct sess_err *err)
{
	struct json_object	*o;

	if (control_need_live(s, "stop", err) == -1)
		return (-1);
	o = control_msg("STOP");
	json_object_object_add(o, "graceful",
	    json_object_new_boolean(graceful));
	if (control_send(s, o, err) == -1)
		return (-1);
	s->stop_requested = 1;
	session_arm_backstop(s, (graceful ? server_cfg->stop_grace_ms : 0) +
	    CONTROL_STOP_BACKSTOP_MS);
	log_info("session %s: %s stop requested", s->id,
	    graceful ? "graceful" : "forced");
	return (0);
}

int
control_approve(struct session *s, const char *id, const char *decision,
    const char *note, const char *by, struct sess_err *err)
{
	struct json_object	*o;
	const char		*status;

	if ((status = approval_status(s->approvals, id)) == NULL) {
		SESS_ERR(err, 404, "NOT_FOUND", "no approval '%.40s' in this "
		    "session", id);
		return (-1);
	}
	if (strcmp(status, "expired") == 0) {
		SESS_ERR(err, 409, "EXPIRED", "approval '%.40s' expired: "
		    "nobody answered it in time, so it was denied", id);
		return (-1);
	}
	if (strcmp(status, "pending") != 0) {
		SESS_ERR(err, 409, "ALREADY_RESOLVED", "approval '%.40s' is "
		    "already resolved (%s)", id, status);
		return (-1);
	}
	if (control_need_live(s, "an approval", err) == -1)
		return (-1);
	o = control_msg("APPROVE");
	json_object_object_add(o, "approvalId", json_object_new_string(id));
	json_object_object_add(o, "decision",
	    json_object_new_string(decision));
	if (note != NULL)
		json_object_object_add(o, "note", json_object_new_string(note));
	if (control_send(s, o, err) == -1)
		return (-1);
	/*
	 * Who answered: the authenticated user, else "api" (auth.c names
	 * a loopback client without credentials "local", a static token
	 * "token": neither is a user).
	 */
	if (by == NULL || *by == '\0' || strcmp(by, "-") == 0 ||
	    strcmp(by, "local") == 0 || strcmp(by, "token") == 0)
		by = "api";
	approval_resolve(s->approvals, id, decision, by, note);
	return (0);
}

void
control_stop_all(void)
{
	struct session	*s;
	struct sess_err	 err;

	for (s = session_first(); s != NULL; s = session_next(s)) {
		if (!s->ended && s->worker != NULL)
			control_stop(s, 1, &err);
		else if (!s->ended)
			session_end(s, ST_FAILED, "supervisor shutting down");
	}
}
