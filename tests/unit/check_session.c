/*
 * Unit tests: sessions (session.c) on a real event base, with fake workers
 * (supfix.h): the state machine seen through the worker's events, the
 * durable event log and its listeners, protocol errors, approvals.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/jsonget.h"
#include "common/proto.h"
#include "supervisor/control.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sessionrec.h"
#include "supervisor/startmsg.h"
#include "supfix.h"
#include "unit.h"

#define APPROVAL_ID	"6f1c1f0e-2b1a-4c3d-9e8f-0a1b2c3d4e5f"

#define CHANGED(a, b)	"{\"type\":\"SESSION_STATE_CHANGED\",\"previousState\":" \
			"\"" a "\",\"newState\":\"" b "\"}"

/* What the session listener saw. */
static struct {
	int		 n;
	enum event_type	 types[64];
	uint64_t	 seqs[64];
	enum event_type	 stop_at;		/* break the loop on it */
	char		 last_resolved[256];	/* APPROVAL_RESOLVED line */
} seen;

static void
listener_cb(struct session *s, struct json_object *ev, enum event_type t,
    const char *line, size_t len)
{
	struct json_object	*v;

	if (seen.n < 64) {
		seen.types[seen.n] = t;
		json_object_object_get_ex(ev, "seq", &v);
		seen.seqs[seen.n] = (uint64_t)json_object_get_int64(v);
		seen.n++;
	}
	if (t == EV_APPROVAL_RESOLVED)
		snprintf(seen.last_resolved, sizeof seen.last_resolved,
		    "%.*s", (int)len, line);
	if (t == seen.stop_at || t == EV_SESSION_ENDED)
		supfix_break();
}

static void
setup(void)
{
	supfix_setup();
	supfix_wait_start(1);
	memset(&seen, 0, sizeof seen);
	seen.stop_at = EV__COUNT;
	session_add_listener(listener_cb);
}

/* A worker that runs up to RUNNING, then adds more (consumed, or NULL). */
static struct evbuffer *
to_running(void)
{
	struct evbuffer	*b = supfix_ready(PROTO_VERSION);

	supfix_frame(b, CHANGED("CREATED", "PREPARING_WORKSPACE"));
	supfix_frame(b, CHANGED("PREPARING_WORKSPACE", "STARTING_PROVIDER"));
	supfix_frame(b, "{\"type\":\"SESSION_STARTED\",\"providerPid\":4242,"
	    "\"providerVersion\":\"9.9\",\"workspacePath\":\"/w\"}");
	supfix_frame(b, CHANGED("STARTING_PROVIDER", "RUNNING"));
	return (b);
}

START_TEST(test_lifecycle)
{
	struct evbuffer		*b = to_running(), *out;
	struct session		*s;
	struct json_object	*st, *v;
	size_t			 count;
	uint64_t		 last;
	int			 i;

	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"hello\"}");
	supfix_frame(b, CHANGED("RUNNING", "COMPLETED"));
	supfix_frame(b, "{\"type\":\"SESSION_ENDED\",\"exitCode\":0}");
	supfix_worker(b, NULL, "exit 0");
	s = supfix_session();
	ck_assert_ptr_eq(session_find(s->id), s);
	ck_assert_int_eq(session_active_count(), 1);
	supfix_run(10000);

	ck_assert_int_eq(s->ended, 1);
	ck_assert_msg(s->state == ST_COMPLETED, "state %s: %s",
	    session_state_name(s->state), s->error_message);
	ck_assert_int_eq(s->has_exit_code, 1);
	ck_assert_int_eq(s->exit_code, 0);
	ck_assert_int_eq(s->provider_pid, 4242);
	ck_assert_str_eq(s->provider_version, "9.9");
	ck_assert_uint_eq(s->terminal_bytes, 5);
	ck_assert_int_eq(session_active_count(), 0);
	/* Every event, stamped with seq 1..n in order, ending the log. */
	ck_assert_int_eq(seen.n, 7);
	for (i = 0; i < seen.n; i++)
		ck_assert_uint_eq(seen.seqs[i], (uint64_t)i + 1);
	ck_assert_int_eq(seen.types[2], EV_SESSION_STARTED);
	ck_assert_int_eq(seen.types[4], EV_TERMINAL_CHUNK);
	ck_assert_int_eq(seen.types[6], EV_SESSION_ENDED);
	ck_assert_uint_eq(s->last_seq, 7);
	/* The durable log holds the same events. */
	out = evbuffer_new();
	ck_assert_int_eq(session_events_write(s, 4, 100, out, &count, &last),
	    0);
	ck_assert_uint_eq(count, 3);
	ck_assert_uint_eq(last, 7);
	ck_assert_ptr_nonnull(strstr((char *)evbuffer_pullup(out, -1),
	    "\"data\":\"hello\""));
	evbuffer_free(out);
	st = session_state_json(s);
	ck_assert(json_object_object_get_ex(st, "state", &v));
	ck_assert_str_eq(json_object_get_string(v), "COMPLETED");
	json_object_put(st);
	/* The record keeps env names, never values. */
	ck_assert_ptr_null(strstr(json_object_to_json_string(s->record),
	    "\"x\""));
}
END_TEST

START_TEST(test_bad_transition_fails)
{
	struct evbuffer	*b = supfix_ready(PROTO_VERSION);
	struct session	*s;

	supfix_frame(b, CHANGED("CREATED", "RUNNING"));
	supfix_worker(b, NULL, "exec sleep 30");
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(s->ended, 1);
	ck_assert_int_eq(s->state, ST_FAILED);
	ck_assert_ptr_nonnull(s->error_message);
	ck_assert_str_eq(s->error_message, "protocol error: bad transition "
	    "CREATED -> RUNNING in state CREATED");
	ck_assert_ptr_null(s->worker);
	ck_assert_int_eq(seen.types[seen.n - 1], EV_SESSION_ENDED);
}
END_TEST

START_TEST(test_worker_crash_fails)
{
	struct evbuffer	*b = supfix_ready(PROTO_VERSION);
	struct session	*s;

	supfix_frame(b, CHANGED("CREATED", "PREPARING_WORKSPACE"));
	supfix_worker(b, NULL, "exit 5");
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(s->state, ST_FAILED);
	ck_assert_str_eq(s->error_message, "worker exited with status 5");
}
END_TEST

START_TEST(test_record_and_start)
{
	struct evbuffer		*b = supfix_ready(PROTO_VERSION);
	struct session		*s;
	struct json_object	*o, *env, *sess, *v;

	supfix_worker(b, NULL, "exit 5");
	s = supfix_session();
	/* session.json is written at the start, env names only. */
	o = sessionrec_read(s->id);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jsonget_str(o, "sessionId"), s->id);
	ck_assert_str_eq(jsonget_str(o, "villageId"), "v1");
	ck_assert(json_object_object_get_ex(o, "ended", &v));
	ck_assert_int_eq(json_object_get_boolean(v), 0);
	ck_assert(json_object_object_get_ex(o, "record", &v));
	ck_assert(json_object_object_get_ex(v, "envNames", &v));
	ck_assert_int_eq(json_object_array_length(v), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v,
	    0)), "SECRET");
	ck_assert_ptr_null(strstr(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "\"x\""));
	json_object_put(o);
	/* START: the session's part with the env given, and the config. */
	env = json_tokener_parse("{\"SECRET\":\"x\"}");
	o = startmsg_create(s, env);
	json_object_put(env);
	ck_assert_str_eq(jsonget_str(o, "type"), "START");
	ck_assert(json_object_object_get_ex(o, "protocol", &v));
	ck_assert_int_eq(json_object_get_int(v), PROTO_VERSION);
	ck_assert(json_object_object_get_ex(o, "session", &sess));
	ck_assert_str_eq(jsonget_str(sess, "sessionId"), s->id);
	ck_assert_str_eq(jsonget_str(sess, "agentId"), s->agent_id);
	ck_assert(json_object_object_get_ex(sess, "env", &v));
	ck_assert_str_eq(jsonget_str(v, "SECRET"), "x");
	ck_assert(json_object_object_get_ex(sess, "limits", &v));
	ck_assert_int_eq(json_object_object_length(v), 5);
	ck_assert_int_eq(json_object_get_int64(jsonget_member(v,
	    "idleTimeoutMs")), 300000);
	ck_assert(json_object_object_get_ex(o, "config", &v));
	ck_assert(json_object_is_type(v, json_type_object));
	json_object_put(o);
	/* The record follows the session to its end. */
	supfix_run(10000);
	ck_assert_int_eq(s->state, ST_FAILED);
	o = sessionrec_read(s->id);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jsonget_str(o, "state"), "FAILED");
	ck_assert(json_object_object_get_ex(o, "ended", &v));
	ck_assert_int_eq(json_object_get_boolean(v), 1);
	json_object_put(o);
}
END_TEST

START_TEST(test_ours_to_stamp)
{
	struct evbuffer	*b = to_running();
	struct session	*s;

	/* APPROVAL_RESOLVED is the supervisor's: the worker is cut off. */
	supfix_frame(b, "{\"type\":\"APPROVAL_RESOLVED\",\"approvalId\":\""
	    APPROVAL_ID "\",\"decision\":\"allow\"}");
	supfix_worker(b, NULL, "exec sleep 30");
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(s->state, ST_FAILED);
	ck_assert_str_eq(s->error_message, "protocol error: "
	    "APPROVAL_RESOLVED is the supervisor's to send");
}
END_TEST

START_TEST(test_chunk_without_data)
{
	struct evbuffer	*b = to_running();
	struct session	*s;

	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":7}");
	supfix_worker(b, NULL, "exec sleep 30");
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(s->state, ST_FAILED);
	ck_assert_str_eq(s->error_message, "protocol error: TERMINAL_CHUNK "
	    "without data");
}
END_TEST

/* A driven session's message, usage and final answer reach the state. */
START_TEST(test_agent_fields)
{
	struct evbuffer		*b = to_running();
	struct session		*s;
	struct json_object	*st, *v;

	supfix_frame(b, "{\"type\":\"AGENT_MESSAGE\",\"text\":\"hi\"}");
	supfix_frame(b, "{\"type\":\"USAGE_TICK\",\"providerId\":\"x\","
	    "\"intervalMs\":1,\"units\":{\"inputTokens\":5}}");
	supfix_frame(b, CHANGED("RUNNING", "COMPLETED"));
	supfix_frame(b, "{\"type\":\"SESSION_ENDED\",\"exitCode\":0,"
	    "\"totalUsage\":{\"inputTokens\":9,\"costUsd\":0.5},"
	    "\"finalMessage\":\"All done.\\nok\",\"summary\":\"All done.\"}");
	supfix_worker(b, NULL, "exit 0");
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(s->state, ST_COMPLETED);
	st = session_state_json(s);
	ck_assert_str_eq(jsonget_str(st, "finalMessage"), "All done.\nok");
	ck_assert_str_eq(jsonget_str(st, "summary"), "All done.");
	ck_assert(json_object_object_get_ex(st, "usage", &v));
	ck_assert_int_eq(json_object_get_int(jsonget_member(v,
	    "inputTokens")), 9);
	json_object_put(st);
}
END_TEST

/* Hostile: a message without text, a final message that is no string. */
START_TEST(test_agent_fields_bad)
{
	struct evbuffer	*b = to_running();
	struct session	*s;

	supfix_frame(b, "{\"type\":\"AGENT_MESSAGE\",\"text\":[1]}");
	supfix_worker(b, NULL, "exec sleep 30");
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(s->state, ST_FAILED);
	ck_assert_str_eq(s->error_message, "protocol error: AGENT_MESSAGE "
	    "without text");
	ck_assert_ptr_null(s->final_message);
}
END_TEST

START_TEST(test_agent_final_bad)
{
	struct evbuffer	*b = to_running();
	struct session	*s;

	supfix_frame(b, CHANGED("RUNNING", "COMPLETED"));
	supfix_frame(b, "{\"type\":\"SESSION_ENDED\",\"exitCode\":0,"
	    "\"finalMessage\":{\"a\":1}}");
	supfix_worker(b, NULL, "exec sleep 30");
	s = supfix_session();
	supfix_run(10000);
	/* Refused: the supervisor ends it itself, without the fields. */
	ck_assert_int_eq(s->ended, 1);
	ck_assert_ptr_null(s->worker);
	ck_assert_ptr_null(s->final_message);
	ck_assert_ptr_null(s->summary);
}
END_TEST

/* A session waiting on one approval. */
static struct session *
start_with_approval(void)
{
	struct evbuffer	*b = to_running();
	struct session	*s;

	supfix_frame(b, CHANGED("RUNNING", "WAITING_FOR_APPROVAL"));
	supfix_frame(b, "{\"type\":\"APPROVAL_REQUESTED\",\"approval\":{"
	    "\"approvalId\":\"" APPROVAL_ID "\",\"kind\":\"command\","
	    "\"summary\":\"rm -rf build\"}}");
	supfix_worker(b, NULL, "exec sleep 30");
	seen.stop_at = EV_APPROVAL_REQUESTED;
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(seen.types[seen.n - 1], EV_APPROVAL_REQUESTED);
	ck_assert_int_eq(s->state, ST_WAITING_FOR_APPROVAL);
	return (s);
}

START_TEST(test_approval_answered)
{
	struct session		*s = start_with_approval();
	struct sess_err		 err;
	struct json_object	*st, *v;

	st = session_state_json(s);
	ck_assert(json_object_object_get_ex(st, "pendingApprovals", &v));
	ck_assert_int_eq(json_object_array_length(v), 1);
	json_object_put(st);

	ck_assert_int_eq(control_approve(s, "nope", "allow", NULL, "alice",
	    &err), -1);
	ck_assert_int_eq(err.status, 404);
	ck_assert_int_eq(control_approve(s, APPROVAL_ID, "allow", "go",
	    "alice", &err), 0);
	ck_assert_int_eq(seen.types[seen.n - 1], EV_APPROVAL_RESOLVED);
	ck_assert_ptr_nonnull(strstr(seen.last_resolved,
	    "\"decision\":\"allow\""));
	ck_assert_ptr_nonnull(strstr(seen.last_resolved,
	    "\"resolvedBy\":\"alice\""));
	ck_assert_int_eq(control_approve(s, APPROVAL_ID, "deny", NULL,
	    "alice", &err), -1);
	ck_assert_int_eq(err.status, 409);
	ck_assert_str_eq(err.code, "ALREADY_RESOLVED");

	st = session_state_json(s);
	ck_assert(json_object_object_get_ex(st, "pendingApprovals", &v));
	ck_assert_int_eq(json_object_array_length(v), 0);
	json_object_put(st);
}
END_TEST

START_TEST(test_approval_expires)
{
	struct session	*s;
	struct sess_err	 err;

	server_cfg->approval_timeout_ms = 200;
	s = start_with_approval();
	seen.stop_at = EV_APPROVAL_RESOLVED;
	supfix_run(10000);
	ck_assert_int_eq(seen.types[seen.n - 1], EV_APPROVAL_RESOLVED);
	ck_assert_ptr_nonnull(strstr(seen.last_resolved,
	    "\"decision\":\"deny\""));
	ck_assert_ptr_nonnull(strstr(seen.last_resolved,
	    "\"resolvedBy\":\"timeout\""));
	ck_assert_int_eq(control_approve(s, APPROVAL_ID, "allow", NULL,
	    "alice", &err), -1);
	ck_assert_str_eq(err.code, "EXPIRED");
}
END_TEST

START_TEST(test_end_cancels_approvals)
{
	struct session	*s = start_with_approval();

	seen.stop_at = EV__COUNT;
	session_fail_all("test stop");
	ck_assert_int_eq(s->state, ST_FAILED);
	/* Cancelled, then SESSION_ENDED with the count in its usage. */
	ck_assert_int_eq(seen.types[seen.n - 1], EV_SESSION_ENDED);
	ck_assert_ptr_nonnull(strstr(seen.last_resolved,
	    "\"resolvedBy\":\"runnerd\""));
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("session");
	TCase	*tc;

	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, setup, supfix_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_worker_crash_fails);
	tcase_add_test(tc, test_record_and_start);
	suite_add_tcase(s, tc);

	tc = tcase_create("untrusted");
	tcase_add_checked_fixture(tc, setup, supfix_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_transition_fails);
	tcase_add_test(tc, test_ours_to_stamp);
	tcase_add_test(tc, test_chunk_without_data);
	tcase_add_test(tc, test_agent_fields);
	tcase_add_test(tc, test_agent_fields_bad);
	tcase_add_test(tc, test_agent_final_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("approvals");
	tcase_add_checked_fixture(tc, setup, supfix_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_approval_answered);
	tcase_add_test(tc, test_approval_expires);
	tcase_add_test(tc, test_end_cancels_approvals);
	suite_add_tcase(s, tc);
	return (s);
}
