/* Sessions: the table, the lifecycle seen from the supervisor, requests. */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "host/overlay.h"
#include "host/sandbox.h"
#include "supervisor/approval.h"
#include "supervisor/eventlog.h"
#include "supervisor/mapping.h"
#include "supervisor/pool.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sessionrec.h"
#include "supervisor/startmsg.h"

#define SESSION_TIMEOUT_BACKSTOP_MS	10000	/* beyond timeout + grace */

static TAILQ_HEAD(, session) sessions = TAILQ_HEAD_INITIALIZER(sessions);

#define SESSION_LISTENERS_MAX	8
#define SESSION_STAMP_SLACK	4096	/* ids, repoRef, ts, seq added */

static session_listener	 listeners[SESSION_LISTENERS_MAX];
static size_t		 nlisteners;

/* Counters for GET /metrics. */
static struct {
	uint64_t	started;
	uint64_t	ended[ST__COUNT];
	uint64_t	events[EV__COUNT];
	uint64_t	event_bytes;
	uint64_t	terminal_bytes;
	uint64_t	dropped[EV__COUNT];
	uint64_t	no_watch;
} session_stats;

static void	session_emit(struct session *, struct json_object *);
static void	session_finished(struct session *);
static void	session_approval_resolved_cb(struct json_object *, void *);
static void	session_approval_expired_cb(struct json_object *, void *);
static void	session_worker_event_cb(struct json_object *, enum event_type,
		    void *);
static void	session_worker_gone_cb(const char *, void *);

static const struct approval_ops session_approval_ops = {
	session_approval_resolved_cb, session_approval_expired_cb
};

static void
session_add_time(struct json_object *o, const char *key, int64_t ms)
{
	char	buf[40];

	if (ms == 0) {
		json_object_object_add(o, key, NULL);
		return;
	}
	iso8601_ms(ms, buf, sizeof buf);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static struct json_object *
session_str_or_null(const char *s)
{
	return (s != NULL ? json_object_new_string(s) : NULL);
}

struct json_object *
session_state_json(struct session *s)
{
	struct json_object	*o, *v;

	o = json_object_new_object();
	json_object_object_add(o, "sessionId", json_object_new_string(s->id));
	json_object_object_add(o, "agentId",
	    json_object_new_string(s->agent_id));
	json_object_object_add(o, "villageId",
	    json_object_new_string(s->village_id));
	json_object_object_add(o, "agentName",
	    session_str_or_null(s->agent_name));
	json_object_object_add(o, "orgId", json_object_new_string(s->org_id));
	json_object_object_add(o, "userId",
	    json_object_new_string(s->user_id));
	json_object_object_add(o, "state",
	    json_object_new_string(session_state_name(s->state)));
	json_object_object_add(o, "providerId",
	    json_object_new_string(s->provider_id));
	json_object_object_add(o, "providerVersion",
	    session_str_or_null(s->provider_version));
	json_object_object_add(o, "workspace",
	    session_str_or_null(s->workspace));
	if (json_object_object_get_ex(s->record, "repoRef", &v))
		json_object_object_add(o, "repoRef", json_object_get(v));
	session_add_time(o, "createdAt", s->created_at);
	session_add_time(o, "startedAt", s->started_at);
	session_add_time(o, "endedAt", s->ended_at);
	json_object_object_add(o, "providerPid", s->provider_pid > 0 ?
	    json_object_new_int(s->provider_pid) : NULL);
	json_object_object_add(o, "lastEventSeq",
	    json_object_new_int64((int64_t)s->last_seq));
	json_object_object_add(o, "pendingApprovals",
	    approval_pending(s->approvals));
	json_object_object_add(o, "errorMessage",
	    session_str_or_null(s->error_message));
	json_object_object_add(o, "exitCode", s->has_exit_code ?
	    json_object_new_int(s->exit_code) : NULL);
	sessionrec_agent_json(s, o);
	return (o);
}

/* Write session.json (sessionrec.c). */
static void
session_save(struct session *s)
{
	struct json_object	*o;

	o = session_state_json(s);
	sessionrec_save(s, o);
	json_object_put(o);
}

static struct session *
session_alloc(const char *id)
{
	struct session	*s;

	s = xcalloc(1, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s", id);
	mapping_agent_id(s->id, s->agent_id);
	s->approvals = approval_create(&session_approval_ops, s, s->id);
	s->state = ST_CREATED;
	return (s);
}

static void
session_free(struct session *s)
{
	approval_free(s->approvals);
	if (s->backstop != NULL)
		event_free(s->backstop);
	eventlog_close(s->log);
	json_object_put(s->record);
	json_object_put(s->last_usage);
	json_object_put(s->total_usage);
	json_object_put(s->held_diff);
	free(s->final_message);
	free(s->summary);
	free(s->org_id);
	free(s->user_id);
	free(s->village_id);
	free(s->agent_name);
	free(s->provider_id);
	free(s->error_message);
	free(s->workspace);
	free(s->provider_version);
	free(s);
}

struct session *
session_find(const char *id)
{
	struct session	*s;

	TAILQ_FOREACH(s, &sessions, entry)
		if (strcmp(s->id, id) == 0)
			return (s);
	return (NULL);
}

struct session *
session_first(void)
{
	return (TAILQ_FIRST(&sessions));
}

struct session *
session_next(struct session *s)
{
	return (TAILQ_NEXT(s, entry));
}

int
session_active_count(void)
{
	struct session	*s;
	int		 n = 0;

	TAILQ_FOREACH(s, &sessions, entry)
		if (!s->ended)
			n++;
	return (n);
}

/* The supervisor gives up on a worker that does not end when it should. */
static void
session_backstop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;

	if (s->ended)
		return;
	if (s->stop_requested) {
		log_warnx("session %s: worker did not stop in time", s->id);
		pool_kill(s->worker, "did not stop in time");
		session_end(s, ST_COMPLETED, "stopped on request (worker "
		    "killed after the grace period)");
	} else {
		log_warnx("session %s: worker unresponsive past the timeout",
		    s->id);
		pool_kill(s->worker, "unresponsive past the session timeout");
		session_end(s, ST_FAILED, "session timed out (worker "
		    "unresponsive)");
	}
}

void
session_arm_backstop(struct session *s, int64_t ms)
{
	struct timeval	tv;

	if (s->backstop == NULL)
		s->backstop = evtimer_new(server_base, session_backstop_cb, s);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->backstop, &tv);
}

/*
 * sandbox_required names layers a session may not run without: when one
 * is missing on this host (or the sandbox is off), refuse with 503.
 */
static int
session_sandbox_check(struct sess_err *err)
{
	char	names[160];

	/* The config checked the names when it was loaded. */
	if (sandbox_missing(server_cfg->sandbox, server_cfg->sandbox_layers,
	    names, sizeof names) == 0)
		return (0);
	if (!server_cfg->sandbox)
		SESS_ERR(err, 503, "SANDBOX_UNAVAILABLE", "the sandbox is off "
		    "(sandbox: false) but sandbox_required names: %s", names);
	else
		SESS_ERR(err, 503, "SANDBOX_UNAVAILABLE", "required sandbox "
		    "layers are unavailable on this host: %s (see GET "
		    "/healthz)", names);
	return (-1);
}

int
session_start(struct json_object *req, struct json_object *env,
    const char *org, const char *user, struct session **sp,
    struct sess_err *err)
{
	struct session		*s;
	struct json_object	*names, *start;
	char			 id[37], cause[256], *dir;
	const char		*v;

	if (server_exiting) {
		SESS_ERR(err, 503, "SHUTTING_DOWN", "runnerd is shutting down");
		return (-1);
	}
	if (session_active_count() >= server_cfg->max_sessions) {
		SESS_ERR(err, 429, "SESSION_LIMIT", "session limit reached: %d "
		    "sessions are running (RUNNER_MAX_SESSIONS); try again "
		    "when one ends", server_cfg->max_sessions);
		return (-1);
	}
	/* Fail closed when a required sandbox layer is missing. */
	if (session_sandbox_check(err) == -1)
		return (-1);
	uuid_v4(id);
	s = session_alloc(id);
	s->org_id = xstrdup(org);
	s->user_id = xstrdup(user);
	v = jsonget_str(req, "villageId");
	s->village_id = xstrdup(v != NULL ? v : "demo");
	if ((v = jsonget_str(req, "agentName")) != NULL)
		s->agent_name = xstrdup(v);
	s->provider_id = xstrdup(jsonget_str(req, "providerId"));
	s->created_at = now_ms();

	/* Records keep the names of env variables, never their values. */
	s->record = json_object_new_object();
	json_object_object_foreach(req, k, rv)
		json_object_object_add(s->record, k, json_object_get(rv));
	names = json_object_new_array();
	json_object_object_foreach(env, name, ev) {
		(void)ev;
		json_object_array_add(names, json_object_new_string(name));
	}
	json_object_object_add(s->record, "envNames", names);

	dir = sessionrec_dir(s->id);
	s->log = eventlog_open(dir, &s->last_seq, cause, sizeof cause);
	free(dir);
	if (s->log == NULL) {
		log_warnx("session %s: %s", s->id, cause);
		SESS_ERR(err, 500, "INTERNAL", "cannot create the session's "
		    "event log");
		session_free(s);
		return (-1);
	}
	if ((s->worker = pool_take(session_worker_event_cb,
	    session_worker_gone_cb, s)) == NULL) {
		SESS_ERR(err, 503, "NO_WORKER",
		    "cannot start a worker process");
		eventlog_close(s->log);
		s->log = NULL;
		dir = sessionrec_dir(s->id);
		rm_rf(dir);
		free(dir);
		session_free(s);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	session_save(s);

	start = startmsg_create(s, env);
	if (pool_send(s->worker, start) == -1) {
		json_object_put(start);
		session_end(s, ST_FAILED, "cannot send START to the worker");
		*sp = s;
		return (0);
	}
	json_object_put(start);
	session_arm_backstop(s, server_cfg->session_timeout_ms +
	    server_cfg->stop_grace_ms + SESSION_TIMEOUT_BACKSTOP_MS);
	session_stats.started++;
	log_info("session %s: started by %s (org %s), provider %s, worker %ld",
	    s->id, s->user_id, s->org_id, s->provider_id,
	    (long)pool_pid(s->worker));
	*sp = s;
	return (0);
}

void
session_add_listener(session_listener cb)
{
	if (nlisteners == SESSION_LISTENERS_MAX)
		fatalx("too many session listeners");
	listeners[nlisteners++] = cb;
}

/* Hand a recorded event to every listener. */
static void
session_publish(struct session *s, struct json_object *ev, enum event_type t,
    const char *line, size_t len)
{
	size_t	i;

	for (i = 0; i < nlisteners; i++)
		listeners[i](s, ev, t, line, len);
}

/*
 * Past the log cap (DESIGN 10), terminal output and FILE_TOUCHED are
 * counted, not stored. A DIFF_SUMMARY that would cross the cap is held
 * instead, its files[] cut to EVENT_DIFF_FILES_CAPPED: the last one held
 * is stored just before SESSION_ENDED, so the log says what changed and
 * exceeds the cap by a small constant. Lifecycle events are always kept.
 * One ALERT_RAISED says so.
 */
static int
session_over_cap(struct session *s, struct json_object *ev, int t)
{
	struct json_object	*alert, *v;
	char			 desc[400];
	size_t			 bytes = eventlog_bytes(s->log), len;

	if (s->flushing)
		return (0);
	switch (t) {
	case EV_TERMINAL_CHUNK:
	case EV_FILE_TOUCHED:
		if (bytes < server_cfg->max_log_bytes)
			return (0);
		break;
	case EV_DIFF_SUMMARY:
		/* Stamped, it grows by the ids, repoRef, ts and seq. */
		json_object_to_json_string_length(ev, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (bytes + len + SESSION_STAMP_SLACK <
		    server_cfg->max_log_bytes)
			return (0);
		break;
	default:
		return (0);
	}
	if (t == EV_TERMINAL_CHUNK &&
	    json_object_object_get_ex(ev, "data", &v))
		s->dropped_bytes += (size_t)json_object_get_string_len(v);
	else if (t == EV_FILE_TOUCHED)
		s->dropped_touched++;
	else if (t == EV_DIFF_SUMMARY) {
		if (s->held_diff != NULL)
			s->dropped_diffs++;
		json_object_put(s->held_diff);
		s->held_diff = NULL;
		json_object_deep_copy(ev, &s->held_diff, NULL);
		event_diff_trim(s->held_diff, EVENT_DIFF_FILES_CAPPED);
	}
	if (t >= 0 && t < EV__COUNT)
		session_stats.dropped[t]++;
	if (s->capped)
		return (1);
	s->capped = 1;
	snprintf(desc, sizeof desc, "the session's event log reached %zu "
	    "bytes; further terminal output and FILE_TOUCHED events are "
	    "counted, not stored, and only the last DIFF_SUMMARY is stored, "
	    "before SESSION_ENDED, with its file list cut",
	    server_cfg->max_log_bytes);
	alert = event_alert("storage", "terminal output truncated", desc,
	    NULL);
	session_emit(s, alert);
	json_object_put(alert);
	return (1);
}

/* The DIFF_SUMMARY held past the log cap, stored now (SESSION_ENDED). */
static void
session_flush_diff(struct session *s)
{
	struct json_object	*ev;

	if ((ev = s->held_diff) == NULL)
		return;
	s->held_diff = NULL;
	s->flushing = 1;
	session_emit(s, ev);
	s->flushing = 0;
	json_object_put(ev);
}

/*
 * Record one event: stamp it, append it to the durable log, then let the
 * world see it. The log comes first; nothing sees an event it does not hold.
 */
static void
session_emit(struct session *s, struct json_object *ev)
{
	struct json_object	*v;
	const char		*line;
	size_t			 len;
	int			 t, sync = 0;
	uint64_t		 seq;

	if (!json_object_object_get_ex(ev, "type", &v))
		return;
	t = event_type_from_name(json_object_get_string(v));
	if (t == EV_SESSION_ENDED)
		session_flush_diff(s);
	if (session_over_cap(s, ev, t))
		return;
	seq = s->last_seq + 1;
	json_object_object_add(ev, "sessionId", json_object_new_string(s->id));
	json_object_object_add(ev, "orgId", json_object_new_string(s->org_id));
	if (json_object_object_get_ex(s->record, "repoRef", &v))
		json_object_object_add(ev, "repoRef", json_object_get(v));
	json_object_object_add(ev, "ts", json_object_new_int64(now_ms()));
	json_object_object_add(ev, "seq", json_object_new_int64((int64_t)seq));
	line = json_object_to_json_string_length(ev,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (eventlog_append(s->log, seq, line, len) == -1) {
		log_warnx("session %s: event %llu not recorded", s->id,
		    (unsigned long long)seq);
		return;
	}
	s->last_seq = seq;
	if ((int)t >= 0 && t < EV__COUNT)
		session_stats.events[t]++;
	session_stats.event_bytes += len;

	switch (t) {
	case EV_SESSION_STATE_CHANGED:
		v = json_object_object_get(ev, "newState");
		s->state = session_state_from_name(json_object_get_string(v));
		if (s->state == ST_FAILED && s->error_message == NULL) {
			v = json_object_object_get(ev, "reason");
			if (v != NULL)
				s->error_message =
				    xstrdup(json_object_get_string(v));
		}
		sync = 1;
		break;
	case EV_SESSION_ENDED:
		s->ended = 1;
		s->ended_at = now_ms();
		sessionrec_keep_end(s, ev);
		sync = 1;
		break;
	case EV_AGENT_MESSAGE:
		sessionrec_keep_end(s, ev);
		break;
	case EV_APPROVAL_REQUESTED:
	case EV_APPROVAL_RESOLVED:
		sync = 1;
		break;
	}
	if (sync) {
		eventlog_sync(s->log);
		session_save(s);
	}
	session_publish(s, ev, t, line, len);
}

/* Change state with a SESSION_STATE_CHANGED of our own. */
static void
session_move(struct session *s, enum session_state to, const char *reason)
{
	struct json_object	*ev;

	if (!session_state_can_move(s->state, to))
		return;
	ev = event_state_changed(s->state, to, reason);
	session_emit(s, ev);
	json_object_put(ev);
}

/*
 * The worker's own counts from its last USAGE_TICK, for a SESSION_ENDED
 * the supervisor makes: better than zeros for what only the worker sees.
 */
static void
session_last_usage(struct session *s, struct json_object *usage)
{
	static const char *const keys[] = {
		"filesTouched", "commandsRun", "cpuSeconds", "peakMemoryBytes"
	};
	struct json_object	*v;
	size_t			 i;

	for (i = 0; s->last_usage != NULL && i < nitems(keys); i++) {
		if (!json_object_object_get_ex(s->last_usage, keys[i], &v) ||
		    !(json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)))
			continue;
		/* usage shares the value with last_usage: a ref each. */
		json_object_object_add(usage, keys[i], json_object_get(v));
	}
}

/*
 * End a session from the supervisor's side (crash, protocol error, restart,
 * backstop): the final transition and SESSION_ENDED, unless already ended.
 */
void
session_end(struct session *s, enum session_state final, const char *reason)
{
	struct json_object	*ev, *usage;
	struct pool_worker	*w;

	if (s->ended)
		return;
	if (!session_state_final(s->state)) {
		if (final == ST_FAILED && s->error_message == NULL)
			s->error_message = xstrdup(reason);
		if (!session_state_can_move(s->state, final))
			session_move(s, ST_STOPPING, reason);
		session_move(s, final, reason);
	}
	approval_close(s->approvals);
	ev = event_create(EV_SESSION_ENDED);
	json_object_object_add(ev, "finalState",
	    json_object_new_string(session_state_name(s->state)));
	json_object_object_add(ev, "exitCode", s->has_exit_code ?
	    json_object_new_int(s->exit_code) : NULL);
	json_object_object_add(ev, "totalDurationMs",
	    json_object_new_int64(now_ms() - s->created_at));
	usage = json_object_new_object();
	json_object_object_add(usage, "agentSeconds", json_object_new_int64(
	    s->started_at != 0 ? (now_ms() - s->started_at) / 1000 : 0));
	json_object_object_add(usage, "terminalKb",
	    json_object_new_int64((int64_t)(s->terminal_bytes / 1024)));
	json_object_object_add(usage, "filesTouched", json_object_new_int(0));
	json_object_object_add(usage, "commandsRun", json_object_new_int(0));
	session_last_usage(s, usage);
	json_object_object_add(usage, "approvalsRequested",
	    json_object_new_int(approval_count(s->approvals)));
	json_object_object_add(ev, "totalUsage", usage);
	session_emit(s, ev);
	json_object_put(ev);
	session_finished(s);
	if ((w = s->worker) != NULL) {
		s->worker = NULL;
		pool_release(w);
	}
	/* The agent is in its own session and process group: take it too. */
	if (s->provider_pid > 0)
		kill(-s->provider_pid, SIGKILL);
	/* And whatever is left in its cgroup, with the cgroup. */
	cgroup_remove_later(server_base, cgroup_resolved(), s->id);
}

/* Bookkeeping once SESSION_ENDED is recorded, whoever sent it. */
static void
session_finished(struct session *s)
{
	if (s->backstop != NULL)
		evtimer_del(s->backstop);
	if ((int)s->state >= 0 && s->state < ST__COUNT)
		session_stats.ended[s->state]++;
	log_info("session %s: %s%s%s", s->id, session_state_name(s->state),
	    s->error_message != NULL ? ": " : "",
	    s->error_message != NULL ? s->error_message : "");
}

/* A member an event must have, of a type; NULL with a cause if not. */
static struct json_object *
session_event_member(struct json_object *ev, enum event_type t,
    const char *key, json_type type, char *cause, size_t causelen)
{
	struct json_object	*v;

	if (json_object_object_get_ex(ev, key, &v) &&
	    json_object_is_type(v, type))
		return (v);
	snprintf(cause, causelen, "%s without %s", event_type_name(t), key);
	return (NULL);
}

/* A worker's event is untrusted: check it, then record it. */
static void
session_worker_event(struct session *s, struct json_object *ev,
    enum event_type t)
{
	struct json_object	*v, *ap;
	const char		*ns, *ps;
	char			 cause[160], *reason;
	int			 to, from;
	struct pool_worker	*w;

	if (s->ended) {
		snprintf(cause, sizeof cause, "%s after SESSION_ENDED",
		    event_type_name(t));
		goto bad;
	}
	/* These are ours to stamp. */
	json_object_object_del(ev, "sessionId");
	json_object_object_del(ev, "orgId");
	json_object_object_del(ev, "seq");
	json_object_object_del(ev, "ts");
	json_object_object_del(ev, "repoRef");

	switch (t) {
	case EV_SESSION_STATE_CHANGED:
		ps = jsonget_str(ev, "previousState");
		ns = jsonget_str(ev, "newState");
		from = ps != NULL ? session_state_from_name(ps) : -1;
		to = ns != NULL ? session_state_from_name(ns) : -1;
		if (from != (int)s->state || to == -1 ||
		    !session_state_can_move(s->state, to)) {
			snprintf(cause, sizeof cause, "bad transition %.30s "
			    "-> %.30s in state %s", ps != NULL ? ps : "?",
			    ns != NULL ? ns : "?",
			    session_state_name(s->state));
			goto bad;
		}
		break;
	case EV_SESSION_STARTED:
		if (json_object_object_get_ex(ev, "providerPid", &v) &&
		    json_object_is_type(v, json_type_int) &&
		    json_object_get_int(v) > 1)
			s->provider_pid = json_object_get_int(v);
		if ((ps = jsonget_str(ev, "providerVersion")) != NULL) {
			free(s->provider_version);
			s->provider_version = xstrdup(ps);
		}
		if ((ps = jsonget_str(ev, "workspacePath")) != NULL) {
			free(s->workspace);
			s->workspace = xstrdup(ps);
		}
		s->started_at = now_ms();
		break;
	case EV_TERMINAL_CHUNK:
		if ((v = session_event_member(ev, t, "data", json_type_string,
		    cause, sizeof cause)) == NULL)
			goto bad;
		s->terminal_bytes += (size_t)json_object_get_string_len(v);
		session_stats.terminal_bytes +=
		    (size_t)json_object_get_string_len(v);
		break;
	case EV_APPROVAL_REQUESTED:
		if (!json_object_object_get_ex(ev, "approval", &ap) ||
		    approval_request(s->approvals, ap,
		    server_cfg->approval_timeout_ms) == -1) {
			snprintf(cause, sizeof cause, "APPROVAL_REQUESTED "
			    "without a new approvalId");
			goto bad;
		}
		break;
	case EV_APPROVAL_RESOLVED:
		snprintf(cause, sizeof cause, "APPROVAL_RESOLVED is the "
		    "supervisor's to send");
		goto bad;
	case EV_ALERT_RAISED:
		/* The worker runs without inotify: /healthz says so. */
		if (json_object_object_get_ex(ev, "context", &v) &&
		    json_object_object_get_ex(v, "reason", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v),
		    "inotify_unavailable") == 0 && !s->no_watch) {
			s->no_watch = 1;
			session_stats.no_watch++;
		}
		break;
	case EV_AGENT_MESSAGE:
		if (session_event_member(ev, t, "text", json_type_string,
		    cause, sizeof cause) == NULL)
			goto bad;
		break;
	case EV_USAGE_TICK:
		if ((v = session_event_member(ev, t, "units", json_type_object,
		    cause, sizeof cause)) == NULL)
			goto bad;
		json_object_put(s->last_usage);
		s->last_usage = NULL;
		json_object_deep_copy(v, &s->last_usage, NULL);
		break;
	case EV_SESSION_ENDED:
		if (!sessionrec_end_valid(ev)) {
			snprintf(cause, sizeof cause, "SESSION_ENDED with a "
			    "finalMessage or summary that is not a string");
			goto bad;
		}
		if (!session_state_final(s->state)) {
			snprintf(cause, sizeof cause, "SESSION_ENDED in state "
			    "%s", session_state_name(s->state));
			goto bad;
		}
		if (json_object_object_get_ex(ev, "exitCode", &v) &&
		    json_object_is_type(v, json_type_int)) {
			s->has_exit_code = 1;
			s->exit_code = json_object_get_int(v);
		}
		json_object_object_add(ev, "finalState",
		    json_object_new_string(session_state_name(s->state)));
		approval_close(s->approvals);
		session_emit(s, ev);
		session_finished(s);
		if ((w = s->worker) != NULL) {
			s->worker = NULL;
			pool_release(w);
		}
		return;
	default:
		break;
	}
	session_emit(s, ev);
	return;

bad:
	w = s->worker;
	s->worker = NULL;
	if (w != NULL) {
		pool_kill(w, cause);
		pool_release(w);
	}
	reason = xasprintf("protocol error: %s", cause);
	session_end(s, ST_FAILED, reason);
	free(reason);
}

/* The pool: one event frame from the session's worker. */
static void
session_worker_event_cb(struct json_object *ev, enum event_type t, void *arg)
{
	session_worker_event(arg, ev, t);
}

/* The worker is gone (exit, signal, protocol error). */
static void
session_worker_gone(struct session *s, const char *reason)
{
	struct pool_worker	*w;

	if ((w = s->worker) != NULL) {
		s->worker = NULL;
		pool_release(w);
	}
	if (s->ended)
		return;
	log_warnx("session %s: %s", s->id, reason);
	if (s->stop_requested && s->state == ST_STOPPING &&
	    strstr(reason, "protocol error") == NULL)
		session_end(s, ST_COMPLETED, "stopped on request");
	else
		session_end(s, ST_FAILED, reason);
}

/* The pool: the session's worker is gone. */
static void
session_worker_gone_cb(const char *reason, void *arg)
{
	session_worker_gone(arg, reason);
}

/* The approvals: record APPROVAL_RESOLVED. */
static void
session_approval_resolved_cb(struct json_object *ev, void *arg)
{
	session_emit(arg, ev);
}

/* The approvals: one expired; the worker, if any, is told it is denied. */
static void
session_approval_expired_cb(struct json_object *o, void *arg)
{
	struct session	*s = arg;

	if (s->worker != NULL && pool_send(s->worker, o) == -1)
		log_warnx("session %s: cannot send the expired approval to "
		    "the worker", s->id);
}

int
session_delete(struct session *s, struct sess_err *err)
{
	char	*dir, *ws;

	if (!s->ended) {
		SESS_ERR(err, 409, "INVALID_STATE", "session is %s; stop it "
		    "before deleting it", session_state_name(s->state));
		return (-1);
	}
	/* An overlay workspace is unmounted first (host/overlay.c). */
	(void)overlay_remove(server_cfg->workspace_dir, s->id);
	/* Only ever remove what lies in our own workspace directory. */
	ws = xasprintf("%s/%s", server_cfg->workspace_dir, s->id);
	if (rm_rf(ws) == -1)
		log_warn("session %s: removing %s", s->id, ws);
	free(ws);
	dir = sessionrec_dir(s->id);
	if (rm_rf(dir) == -1)
		log_warn("session %s: removing %s", s->id, dir);
	free(dir);
	log_info("session %s: deleted", s->id);
	TAILQ_REMOVE(&sessions, s, entry);
	session_free(s);
	return (0);
}

int
session_events_write(struct session *s, uint64_t after, size_t limit,
    struct evbuffer *out, size_t *count, uint64_t *last)
{
	return (eventlog_read(s->log, after, limit, out, count, last));
}

/* Rebuild one session from its record; a live one failed (n, failed). */
static void
session_restore_cb(const char *id, void *arg)
{
	int			*count = arg;
	struct session		*s;
	struct json_object	*o;

	if ((o = sessionrec_read(id)) == NULL)
		return;
	s = session_alloc(id);
	if (sessionrec_load(s, o) == -1) {
		json_object_put(o);
		session_free(s);
		return;
	}
	json_object_put(o);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	count[0]++;
	/*
	 * A live session's worker went with the old supervisor: it
	 * saw its channel close and killed its agent.
	 */
	if (!s->ended) {
		s->provider_pid = 0;
		session_end(s, ST_FAILED, "supervisor restarted");
		count[1]++;
	}
}

void
session_restore_all(void)
{
	int	count[2] = { 0, 0 };

	sessionrec_scan(session_restore_cb, count);
	if (count[0] > 0)
		log_info("restored %d sessions (%d that were live marked "
		    "FAILED)", count[0], count[1]);
}

/* Shutdown past its bound: whatever is still live fails now. */
void
session_fail_all(const char *reason)
{
	struct session		*s;
	struct pool_worker	*w;

	TAILQ_FOREACH(s, &sessions, entry) {
		if (s->ended)
			continue;
		if ((w = s->worker) != NULL) {
			s->worker = NULL;
			pool_kill(w, reason);
			pool_release(w);
		}
		session_end(s, ST_FAILED, reason);
	}
}

void
session_free_all(void)
{
	struct session	*s;

	while ((s = TAILQ_FIRST(&sessions)) != NULL) {
		TAILQ_REMOVE(&sessions, s, entry);
		session_free(s);
	}
}

/* The sessions' lines of GET /metrics in the Prometheus text format. */
void
session_metrics(struct evbuffer *out)
{
	int		 count[ST__COUNT] = { 0 };
	struct session	*s;
	int		 st, t;

	for (s = session_first(); s != NULL; s = session_next(s))
		count[s->state]++;
	evbuffer_add_printf(out, "# HELP runnerd_sessions Sessions by state.\n"
	    "# TYPE runnerd_sessions gauge\n");
	for (st = 0; st < ST__COUNT; st++)
		evbuffer_add_printf(out, "runnerd_sessions{state=\"%s\"} %d\n",
		    session_state_name(st), count[st]);
	evbuffer_add_printf(out, "# HELP runnerd_sessions_started_total "
	    "Sessions started.\n# TYPE runnerd_sessions_started_total "
	    "counter\nrunnerd_sessions_started_total %llu\n",
	    (unsigned long long)session_stats.started);
	evbuffer_add_printf(out, "# HELP runnerd_sessions_ended_total "
	    "Sessions ended, by final state.\n"
	    "# TYPE runnerd_sessions_ended_total counter\n");
	evbuffer_add_printf(out, "runnerd_sessions_ended_total{state=\""
	    "COMPLETED\"} %llu\n",
	    (unsigned long long)session_stats.ended[ST_COMPLETED]);
	evbuffer_add_printf(out, "runnerd_sessions_ended_total{state=\""
	    "FAILED\"} %llu\n",
	    (unsigned long long)session_stats.ended[ST_FAILED]);
	evbuffer_add_printf(out, "# HELP runnerd_events_total Events "
	    "recorded, by type.\n# TYPE runnerd_events_total counter\n");
	for (t = 0; t < EV__COUNT; t++)
		evbuffer_add_printf(out, "runnerd_events_total{type=\"%s\"} "
		    "%llu\n", event_type_name(t),
		    (unsigned long long)session_stats.events[t]);
	evbuffer_add_printf(out, "# HELP runnerd_events_dropped_total Events "
	    "not stored, past their session's max_log_bytes, by type.\n"
	    "# TYPE runnerd_events_dropped_total counter\n");
	for (t = 0; t < EV__COUNT; t++)
		if (t == EV_TERMINAL_CHUNK || t == EV_FILE_TOUCHED ||
		    t == EV_DIFF_SUMMARY)
			evbuffer_add_printf(out, "runnerd_events_dropped_total"
			    "{type=\"%s\"} %llu\n", event_type_name(t),
			    (unsigned long long)session_stats.dropped[t]);
	evbuffer_add_printf(out, "# HELP runnerd_sessions_without_watch_total "
	    "Sessions whose worker got no inotify instance "
	    "(fs.inotify.max_user_instances).\n"
	    "# TYPE runnerd_sessions_without_watch_total counter\n"
	    "runnerd_sessions_without_watch_total %llu\n",
	    (unsigned long long)session_stats.no_watch);
	evbuffer_add_printf(out, "# HELP runnerd_event_log_bytes_total Bytes "
	    "appended to event logs.\n# TYPE runnerd_event_log_bytes_total "
	    "counter\nrunnerd_event_log_bytes_total %llu\n",
	    (unsigned long long)session_stats.event_bytes);
	evbuffer_add_printf(out, "# HELP runnerd_terminal_bytes_total "
	    "Terminal output bytes received.\n"
	    "# TYPE runnerd_terminal_bytes_total counter\n"
	    "runnerd_terminal_bytes_total %llu\n",
	    (unsigned long long)session_stats.terminal_bytes);
}
