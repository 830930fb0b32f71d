/* Unit tests for the event model and session lifecycle (common/event.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "common/event.h"
#include "common/proto.h"
#include "common/util.h"
#include "unit.h"

static const char *const all_events[EV__COUNT] = {
	"SESSION_STARTED", "SESSION_STATE_CHANGED", "SESSION_ENDED",
	"TERMINAL_CHUNK", "FILE_TOUCHED", "DIFF_SUMMARY", "TEST_RUN_STARTED",
	"TEST_RUN_FINISHED", "APPROVAL_REQUESTED", "APPROVAL_RESOLVED",
	"ALERT_RAISED", "USAGE_TICK", "PROVIDER_EVENT_FORWARDED",
	"AGENT_MESSAGE",
};

static const char *const all_states[ST__COUNT] = {
	"CREATED", "PREPARING_WORKSPACE", "STARTING_PROVIDER", "RUNNING",
	"WAITING_FOR_APPROVAL", "PAUSED_BY_HUMAN", "STOPPING", "COMPLETED",
	"FAILED",
};

START_TEST(test_event_names)
{
	int	i;

	/* DESIGN section 4 lists exactly these, in this order. */
	for (i = 0; i < EV__COUNT; i++) {
		ck_assert_str_eq(event_type_name((enum event_type)i),
		    all_events[i]);
		ck_assert_int_eq(event_type_from_name(all_events[i]), i);
	}
	ck_assert_str_eq(event_type_name(EV__COUNT), "UNKNOWN");
	ck_assert_str_eq(event_type_name((enum event_type)-1), "UNKNOWN");
	ck_assert_int_eq(event_type_from_name(""), -1);
	ck_assert_int_eq(event_type_from_name("session_started"), -1);
	ck_assert_int_eq(event_type_from_name("SESSION_STARTED "), -1);
	ck_assert_int_eq(event_type_from_name("UNKNOWN"), -1);
	ck_assert_int_eq(event_type_from_name("RUNNING"), -1);
}
END_TEST

START_TEST(test_state_names)
{
	int	i;

	for (i = 0; i < ST__COUNT; i++) {
		ck_assert_str_eq(session_state_name((enum session_state)i),
		    all_states[i]);
		ck_assert_int_eq(session_state_from_name(all_states[i]), i);
	}
	ck_assert_str_eq(session_state_name(ST__COUNT), "UNKNOWN");
	ck_assert_str_eq(session_state_name((enum session_state)-1),
	    "UNKNOWN");
	ck_assert_int_eq(session_state_from_name(""), -1);
	ck_assert_int_eq(session_state_from_name("running"), -1);
	ck_assert_int_eq(session_state_from_name("SESSION_ENDED"), -1);
}
END_TEST

START_TEST(test_msg_names)
{
	static const char *const msgs[] = { "READY", "START", "INPUT",
	    "RESIZE", "STOP", "PAUSE", "RESUME", "APPROVE" };
	enum event_type	ev;
	int		i;

	for (i = 0; i < MSG_EVENT; i++) {
		ck_assert_str_eq(msg_type_name((enum msg_type)i), msgs[i]);
		ck_assert_int_eq(msg_type_parse(msgs[i], NULL), i);
	}
	for (i = 0; i < EV__COUNT; i++) {
		ev = EV__COUNT;
		ck_assert_int_eq(msg_type_parse(all_events[i], &ev), MSG_EVENT);
		ck_assert_int_eq(ev, i);
		ck_assert_int_eq(msg_type_parse(all_events[i], NULL),
		    MSG_EVENT);
	}
	/* "EVENT" names the class, not a frame type. */
	ck_assert_int_eq(msg_type_parse("EVENT", NULL), -1);
	ck_assert_int_eq(msg_type_parse("ready", NULL), -1);
	ck_assert_int_eq(msg_type_parse("", NULL), -1);
	ck_assert_str_eq(msg_type_name(MSG__COUNT), "UNKNOWN");
}
END_TEST

START_TEST(test_final)
{
	int	i;

	for (i = 0; i < ST__COUNT; i++)
		ck_assert_int_eq(session_state_final((enum session_state)i),
		    i == ST_COMPLETED || i == ST_FAILED);
}
END_TEST

/*
 * DESIGN section 3, as a matrix (row: from, column: to; 1 = allowed):
 * CREATED → PREPARING_WORKSPACE → STARTING_PROVIDER → RUNNING;
 * RUNNING ⇄ WAITING_FOR_APPROVAL; RUNNING ⇄ PAUSED_BY_HUMAN (not
 * WAITING ⇄ PAUSED); → STOPPING → COMPLETED | FAILED; COMPLETED and FAILED
 * are final. The design leaves two things to read from its list of
 * reasons, and the matrix reads them like this:
 * - FAILED can be reached from every live state (workspace or provider
 *   start failure, worker crash, protocol error, timeout, denial), and so
 *   can STOPPING (stop on request at any time);
 * - COMPLETED ("the CLI exited 0") directly from the states where the CLI
 *   runs (RUNNING, WAITING_FOR_APPROVAL, PAUSED_BY_HUMAN), and after
 *   STOPPING; never before the CLI started.
 * No state moves to itself.
 */
static const int expected[ST__COUNT][ST__COUNT] = {
	/*		   CRE PRE STA RUN WAI PAU STO COM FAI */
	[ST_CREATED] =		{ 0, 1, 0, 0, 0, 0, 1, 0, 1 },
	[ST_PREPARING_WORKSPACE] = { 0, 0, 1, 0, 0, 0, 1, 0, 1 },
	[ST_STARTING_PROVIDER] = { 0, 0, 0, 1, 0, 0, 1, 0, 1 },
	[ST_RUNNING] =		{ 0, 0, 0, 0, 1, 1, 1, 1, 1 },
	[ST_WAITING_FOR_APPROVAL] = { 0, 0, 0, 1, 0, 0, 1, 1, 1 },
	[ST_PAUSED_BY_HUMAN] =	{ 0, 0, 0, 1, 0, 0, 1, 1, 1 },
	[ST_STOPPING] =		{ 0, 0, 0, 0, 0, 0, 0, 1, 1 },
	[ST_COMPLETED] =	{ 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	[ST_FAILED] =		{ 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

START_TEST(test_transition_matrix)
{
	int	from, to;

	for (from = 0; from < ST__COUNT; from++)
		for (to = 0; to < ST__COUNT; to++)
			ck_assert_msg(session_state_can_move(
			    (enum session_state)from, (enum session_state)to) ==
			    expected[from][to], "%s -> %s: want %s",
			    all_states[from], all_states[to],
			    expected[from][to] ? "allowed" : "refused");
}
END_TEST

START_TEST(test_transition_samples)
{
	/* The happy path of DESIGN section 3, step by step. */
	ck_assert(session_state_can_move(ST_CREATED, ST_PREPARING_WORKSPACE));
	ck_assert(session_state_can_move(ST_PREPARING_WORKSPACE,
	    ST_STARTING_PROVIDER));
	ck_assert(session_state_can_move(ST_STARTING_PROVIDER, ST_RUNNING));
	ck_assert(session_state_can_move(ST_RUNNING, ST_WAITING_FOR_APPROVAL));
	ck_assert(session_state_can_move(ST_WAITING_FOR_APPROVAL, ST_RUNNING));
	ck_assert(session_state_can_move(ST_RUNNING, ST_PAUSED_BY_HUMAN));
	ck_assert(session_state_can_move(ST_PAUSED_BY_HUMAN, ST_RUNNING));
	ck_assert(session_state_can_move(ST_RUNNING, ST_STOPPING));
	ck_assert(session_state_can_move(ST_STOPPING, ST_COMPLETED));
	ck_assert(session_state_can_move(ST_STOPPING, ST_FAILED));
	/* Skipping steps, going back, leaving a final state. */
	ck_assert(!session_state_can_move(ST_CREATED, ST_RUNNING));
	ck_assert(!session_state_can_move(ST_CREATED, ST_COMPLETED));
	ck_assert(!session_state_can_move(ST_PREPARING_WORKSPACE,
	    ST_RUNNING));
	ck_assert(!session_state_can_move(ST_RUNNING, ST_CREATED));
	ck_assert(!session_state_can_move(ST_RUNNING,
	    ST_STARTING_PROVIDER));
	ck_assert(!session_state_can_move(ST_WAITING_FOR_APPROVAL,
	    ST_PAUSED_BY_HUMAN));
	ck_assert(!session_state_can_move(ST_PAUSED_BY_HUMAN,
	    ST_WAITING_FOR_APPROVAL));
	ck_assert(!session_state_can_move(ST_STOPPING, ST_RUNNING));
	ck_assert(!session_state_can_move(ST_COMPLETED, ST_FAILED));
	ck_assert(!session_state_can_move(ST_FAILED, ST_COMPLETED));
	ck_assert(!session_state_can_move(ST_COMPLETED, ST_RUNNING));
	ck_assert(!session_state_can_move(ST_RUNNING, ST_RUNNING));
	/* Out of range values are refused, not looked up. */
	ck_assert(!session_state_can_move(ST__COUNT, ST_FAILED));
	ck_assert(!session_state_can_move(ST_RUNNING, ST__COUNT));
	ck_assert(!session_state_can_move((enum session_state)-1,
	    ST_FAILED));
	ck_assert(!session_state_can_move(ST_RUNNING,
	    (enum session_state)-1));
}
END_TEST

START_TEST(test_event_create)
{
	struct json_object	*o, *v;
	int			 i;

	for (i = 0; i < EV__COUNT; i++) {
		o = event_create((enum event_type)i);
		ck_assert(json_object_is_type(o, json_type_object));
		ck_assert_int_eq(json_object_object_length(o), 1);
		ck_assert(json_object_object_get_ex(o, "type", &v));
		ck_assert_str_eq(json_object_get_string(v), all_events[i]);
		json_object_put(o);
	}
}
END_TEST

START_TEST(test_event_state_changed)
{
	struct json_object	*o, *v;

	o = event_state_changed(ST_RUNNING, ST_STOPPING, "stop requested");
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"type\":\"SESSION_STATE_CHANGED\","
	    "\"previousState\":\"RUNNING\",\"newState\":\"STOPPING\","
	    "\"reason\":\"stop requested\"}");
	json_object_put(o);

	o = event_state_changed(ST_CREATED, ST_PREPARING_WORKSPACE, NULL);
	ck_assert(!json_object_object_get_ex(o, "reason", &v));
	ck_assert(json_object_object_get_ex(o, "newState", &v));
	ck_assert_str_eq(json_object_get_string(v), "PREPARING_WORKSPACE");
	ck_assert(json_object_object_get_ex(o, "previousState", &v));
	ck_assert_str_eq(json_object_get_string(v), "CREATED");
	json_object_put(o);
}
END_TEST

START_TEST(test_event_alert)
{
	struct json_object	*o, *v, *ctx;
	char			 id[37];

	ctx = json_object_new_object();
	json_object_object_add(ctx, "host", json_object_new_string("x:1"));
	o = event_alert("network", "refused", "x:1 is not allowed", ctx);
	ck_assert(json_object_object_get_ex(o, "alertId", &v));
	ck_assert(uuid_valid(json_object_get_string(v)));
	snprintf(id, sizeof id, "%s", json_object_get_string(v));
	json_object_object_del(o, "alertId");
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"type\":\"ALERT_RAISED\","
	    "\"severity\":\"warn\",\"category\":\"network\","
	    "\"title\":\"refused\",\"description\":\"x:1 is not allowed\","
	    "\"context\":{\"host\":\"x:1\"}}");
	json_object_put(o);

	/* No context; every alert its own id. */
	o = event_alert("storage", "t", "d", NULL);
	ck_assert(!json_object_object_get_ex(o, "context", &v));
	ck_assert(json_object_object_get_ex(o, "alertId", &v));
	ck_assert_str_ne(json_object_get_string(v), id);
	json_object_put(o);
}
END_TEST

/* A DIFF_SUMMARY with n files of long names. */
static struct json_object *
diff_event(int n)
{
	struct json_object	*o, *files, *f;
	char			 path[300];
	int			 i;

	o = event_create(EV_DIFF_SUMMARY);
	files = json_object_new_array();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "dir/%05d_%0200d", i, 0);
		f = json_object_new_object();
		json_object_object_add(f, "path", json_object_new_string(path));
		json_object_object_add(f, "additions", json_object_new_int(1));
		json_object_array_add(files, f);
	}
	json_object_object_add(o, "filesChanged", json_object_new_int(n));
	json_object_object_add(o, "linesAdded", json_object_new_int(n));
	json_object_object_add(o, "files", files);
	return (o);
}

static size_t
files_len(struct json_object *o)
{
	size_t	len;

	json_object_to_json_string_length(json_object_object_get(o, "files"),
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return (len);
}

START_TEST(test_event_diff_trim)
{
	struct json_object	*o, *v;
	size_t			 kept, omitted;

	/* Fits: untouched, no truncated. */
	o = diff_event(3);
	ck_assert_uint_eq(event_diff_trim(o, 4096), 0);
	ck_assert(!json_object_object_get_ex(o, "truncated", &v));
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "files")), 3);
	json_object_put(o);

	/* 4,500 long names cut to the budget; the totals stay exact. */
	o = diff_event(4500);
	omitted = event_diff_trim(o, EVENT_DIFF_FILES_MAX);
	kept = json_object_array_length(json_object_object_get(o, "files"));
	ck_assert_uint_gt(omitted, 0);
	ck_assert_uint_eq(kept + omitted, 4500);
	ck_assert_uint_le(files_len(o), EVENT_DIFF_FILES_MAX);
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "truncated")));
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(o,
	    "filesOmitted")), (int64_t)omitted);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o,
	    "filesChanged")), 4500);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o,
	    "linesAdded")), 4500);

	/* Cut again, smaller: what was left out before still counts. */
	event_diff_trim(o, EVENT_DIFF_FILES_CAPPED);
	ck_assert_uint_le(files_len(o), EVENT_DIFF_FILES_CAPPED);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(o,
	    "filesOmitted")) + (int64_t)json_object_array_length(
	    json_object_object_get(o, "files")), 4500);
	json_object_put(o);

	/* A budget smaller than any entry: none kept, all counted. */
	o = diff_event(2);
	ck_assert_uint_eq(event_diff_trim(o, 10), 2);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o,
	    "files")), 0);
	json_object_put(o);

	/* No files, or not an array: nothing to do. */
	o = event_create(EV_DIFF_SUMMARY);
	ck_assert_uint_eq(event_diff_trim(o, 10), 0);
	json_object_object_add(o, "files", json_object_new_string("x"));
	ck_assert_uint_eq(event_diff_trim(o, 1), 0);
	json_object_put(o);
}
END_TEST

/* Every test of this file, a TCase per area. */
Suite *
unit_suite(void)
{
	Suite	*s = suite_create("event");
	TCase	*tc;

	tc = tcase_create("names");
	tcase_add_test(tc, test_event_names);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_msg_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_test(tc, test_final);
	tcase_add_test(tc, test_transition_matrix);
	tcase_add_test(tc, test_transition_samples);
	suite_add_tcase(s, tc);

	tc = tcase_create("objects");
	tcase_add_test(tc, test_event_diff_trim);
	tcase_add_test(tc, test_event_create);
	tcase_add_test(tc, test_event_state_changed);
	tcase_add_test(tc, test_event_alert);
	suite_add_tcase(s, tc);
	return (s);
}
