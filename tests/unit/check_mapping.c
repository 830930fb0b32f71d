/* Unit tests: RunnerEvent → work_stream_event and friends (mapping.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "common/util.h"
#include "supervisor/mapping.h"
#include "unit.h"

#define SID	"0123abcd-4567-4890-8abc-def012345678"
#define AID	"runner_0123abcd"
#define TS	"\"ts\":1700000000123"
#define ISO	"2023-11-14T22:13:20.123Z"

/* Map an event given as JSON text; the result (may be NULL). */
static struct json_object *
map(const char *text, const char *agent_id)
{
	struct json_object	*ev, *out;

	ev = json_tokener_parse(text);
	ck_assert_msg(ev != NULL, "test JSON does not parse: %s", text);
	out = mapping_work_stream_event(ev, agent_id);
	json_object_put(ev);	/* the result must outlive the event */
	return (out);
}

/* Check the envelope and the payload against what is expected. */
static void
expect(struct json_object *out, const char *type, const char *payload)
{
	struct json_object	*want, *v;

	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(out, "agentId")), AID);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(out, "sessionId")), SID);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(out, "type")), type);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(out, "timestamp")), ISO);
	ck_assert_int_eq(json_object_object_length(out), 5);
	ck_assert(json_object_object_get_ex(out, "payload", &v));
	want = json_tokener_parse(payload);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_object_equal(v, want), "payload %s, want %s",
	    json_object_to_json_string(v), payload);
	json_object_put(want);
	json_object_put(out);
}

START_TEST(test_session_started)
{
	expect(map("{\"type\":\"SESSION_STARTED\",\"sessionId\":\"" SID "\","
	    "\"orgId\":\"o\"," TS ",\"seq\":1,\"providerId\":\"codex\","
	    "\"providerVersion\":\"1.2\",\"workspacePath\":\"/w/x\","
	    "\"roomPath\":\"src\"}", AID), "session_start",
	    "{\"providerId\":\"codex\",\"providerVersion\":\"1.2\","
	    "\"workspacePath\":\"/w/x\",\"roomPath\":\"src\"}");
}
END_TEST

START_TEST(test_state_changed)
{
	expect(map("{\"type\":\"SESSION_STATE_CHANGED\",\"sessionId\":\"" SID
	    "\"," TS ",\"previousState\":\"CREATED\",\"newState\":"
	    "\"PREPARING_WORKSPACE\",\"reason\":\"go\"}", AID), "status_change",
	    "{\"previousState\":\"CREATED\",\"newState\":"
	    "\"PREPARING_WORKSPACE\",\"reason\":\"go\"}");
}
END_TEST

START_TEST(test_terminal_chunk)
{
	expect(map("{\"type\":\"TERMINAL_CHUNK\",\"sessionId\":\"" SID "\","
	    TS ",\"seq\":9,\"data\":\"hello\\r\\n\",\"stream\":\"stdout\"}",
	    AID), "output", "{\"data\":\"hello\\r\\n\",\"stream\":\"stdout\"}");
}
END_TEST

START_TEST(test_file_touched)
{
	static const struct {
		const char	*reason;
		const char	*type;
	} rows[] = {
		{ "read", "file_read" },
		{ "write", "file_edit" },
		{ "diff", "file_edit" },
		{ "delete", "file_delete" },
	};
	char	*ev, *payload;
	size_t	 i;

	for (i = 0; i < nitems(rows); i++) {
		ev = xasprintf("{\"type\":\"FILE_TOUCHED\",\"sessionId\":\""
		    SID "\"," TS ",\"path\":\"a/b.c\",\"roomPath\":\"a\","
		    "\"reason\":\"%s\"}", rows[i].reason);
		payload = xasprintf("{\"path\":\"a/b.c\",\"roomPath\":\"a\","
		    "\"reason\":\"%s\"}", rows[i].reason);
		expect(map(ev, AID), rows[i].type, payload);
		free(ev);
		free(payload);
	}
	/* An unknown or missing reason is not shown. */
	ck_assert_ptr_null(map("{\"type\":\"FILE_TOUCHED\",\"sessionId\":\""
	    SID "\"," TS ",\"path\":\"x\",\"reason\":\"chmod\"}", AID));
	ck_assert_ptr_null(map("{\"type\":\"FILE_TOUCHED\",\"sessionId\":\""
	    SID "\"," TS ",\"path\":\"x\"}", AID));
}
END_TEST

START_TEST(test_diff_summary)
{
	expect(map("{\"type\":\"DIFF_SUMMARY\",\"sessionId\":\"" SID "\","
	    TS ",\"filesChanged\":2,\"linesAdded\":10,\"linesRemoved\":3,"
	    "\"files\":[{\"path\":\"a\",\"status\":\"modified\",\"additions\":"
	    "10,\"deletions\":3},{\"path\":\"b\",\"status\":\"added\","
	    "\"additions\":0,\"deletions\":0}]}", AID), "file_edit",
	    "{\"filesChanged\":2,\"linesAdded\":10,\"linesRemoved\":3,"
	    "\"files\":[{\"path\":\"a\",\"status\":\"modified\",\"additions\":"
	    "10,\"deletions\":3},{\"path\":\"b\",\"status\":\"added\","
	    "\"additions\":0,\"deletions\":0}]}");
}
END_TEST

START_TEST(test_approval_requested)
{
	expect(map("{\"type\":\"APPROVAL_REQUESTED\",\"sessionId\":\"" SID
	    "\"," TS ",\"approval\":{\"approvalId\":\"ap1\",\"sessionId\":\""
	    SID "\",\"category\":\"merge\",\"summary\":\"git push\","
	    "\"risk\":\"high\",\"requestedAt\":1}}", AID), "status_change",
	    "{\"approval\":{\"approvalId\":\"ap1\",\"sessionId\":\"" SID "\","
	    "\"category\":\"merge\",\"summary\":\"git push\",\"risk\":"
	    "\"high\",\"requestedAt\":1},\"newState\":"
	    "\"WAITING_FOR_APPROVAL\"}");
}
END_TEST

START_TEST(test_approval_resolved)
{
	expect(map("{\"type\":\"APPROVAL_RESOLVED\",\"sessionId\":\"" SID
	    "\"," TS ",\"approvalId\":\"ap1\",\"decision\":\"deny\","
	    "\"resolvedBy\":\"uid:0\",\"note\":\"not now\"}", AID),
	    "status_change", "{\"approvalId\":\"ap1\",\"decision\":\"deny\","
	    "\"note\":\"not now\"}");
}
END_TEST

START_TEST(test_session_ended)
{
	expect(map("{\"type\":\"SESSION_ENDED\",\"sessionId\":\"" SID "\","
	    TS ",\"finalState\":\"COMPLETED\",\"exitCode\":0,"
	    "\"totalDurationMs\":1234,\"totalUsage\":{\"agentSeconds\":1}}",
	    AID), "session_end", "{\"finalState\":\"COMPLETED\",\"exitCode\":0,"
	    "\"totalDurationMs\":1234,\"totalUsage\":{\"agentSeconds\":1}}");
}
END_TEST

/* A driven CLI's message and its final answer at the end. */
START_TEST(test_agent_message)
{
	expect(map("{\"type\":\"AGENT_MESSAGE\",\"sessionId\":\"" SID "\","
	    TS ",\"text\":\"Done.\\nMore.\",\"final\":false}", AID),
	    "agent_message", "{\"text\":\"Done.\\nMore.\"}");
	expect(map("{\"type\":\"SESSION_ENDED\",\"sessionId\":\"" SID "\","
	    TS ",\"finalState\":\"COMPLETED\",\"totalDurationMs\":1,"
	    "\"totalUsage\":{\"inputTokens\":7},\"finalMessage\":\"Done.\","
	    "\"summary\":\"Done.\"}", AID), "session_end",
	    "{\"finalState\":\"COMPLETED\",\"totalDurationMs\":1,"
	    "\"totalUsage\":{\"inputTokens\":7},\"finalMessage\":\"Done.\","
	    "\"summary\":\"Done.\"}");
}
END_TEST

START_TEST(test_absent_fields_omitted)
{
	/* Absent optional fields are left out, not set to null. */
	expect(map("{\"type\":\"SESSION_STARTED\",\"sessionId\":\"" SID "\","
	    TS ",\"providerId\":\"fake\",\"providerVersion\":\"0\","
	    "\"workspacePath\":\"/w\"}", AID), "session_start",
	    "{\"providerId\":\"fake\",\"providerVersion\":\"0\","
	    "\"workspacePath\":\"/w\"}");
	expect(map("{\"type\":\"SESSION_STATE_CHANGED\",\"sessionId\":\"" SID
	    "\"," TS ",\"previousState\":\"RUNNING\",\"newState\":"
	    "\"STOPPING\"}", AID), "status_change",
	    "{\"previousState\":\"RUNNING\",\"newState\":\"STOPPING\"}");
	expect(map("{\"type\":\"SESSION_ENDED\",\"sessionId\":\"" SID "\","
	    TS ",\"finalState\":\"FAILED\",\"totalDurationMs\":5,"
	    "\"totalUsage\":{}}", AID), "session_end",
	    "{\"finalState\":\"FAILED\",\"totalDurationMs\":5,"
	    "\"totalUsage\":{}}");
	expect(map("{\"type\":\"APPROVAL_RESOLVED\",\"sessionId\":\"" SID
	    "\"," TS ",\"approvalId\":\"a\",\"decision\":\"allow\"}", AID),
	    "status_change", "{\"approvalId\":\"a\",\"decision\":\"allow\"}");
	/* A field present as null stays null. */
	expect(map("{\"type\":\"SESSION_ENDED\",\"sessionId\":\"" SID "\","
	    TS ",\"finalState\":\"FAILED\",\"exitCode\":null,"
	    "\"totalDurationMs\":5,\"totalUsage\":{}}", AID), "session_end",
	    "{\"finalState\":\"FAILED\",\"exitCode\":null,"
	    "\"totalDurationMs\":5,\"totalUsage\":{}}");
}
END_TEST

START_TEST(test_unmapped)
{
	static const char *const types[] = {
		"TEST_RUN_STARTED", "TEST_RUN_FINISHED", "ALERT_RAISED",
		"USAGE_TICK", "PROVIDER_EVENT_FORWARDED", "NO_SUCH_TYPE",
	};
	char	*ev;
	size_t	 i;

	for (i = 0; i < nitems(types); i++) {
		ev = xasprintf("{\"type\":\"%s\",\"sessionId\":\"" SID "\","
		    TS "}", types[i]);
		ck_assert_ptr_null(map(ev, AID));
		free(ev);
	}
	ck_assert_ptr_null(map("{\"sessionId\":\"" SID "\"}", AID));
	ck_assert_ptr_null(map("{\"type\":7}", AID));
	ck_assert_ptr_null(mapping_work_stream_event(NULL, AID));
}
END_TEST

START_TEST(test_agent_id_derived)
{
	/* Without an agent id, it is derived from the session id. */
	expect(map("{\"type\":\"TERMINAL_CHUNK\",\"sessionId\":\"" SID "\","
	    TS ",\"data\":\"x\",\"stream\":\"stdout\"}", NULL), "output",
	    "{\"data\":\"x\",\"stream\":\"stdout\"}");
}
END_TEST

START_TEST(test_agent_id)
{
	char	out[16];

	mapping_agent_id(SID, out);
	ck_assert_str_eq(out, AID);
	mapping_agent_id("abc", out);
	ck_assert_str_eq(out, "runner_abc");
}
END_TEST

START_TEST(test_agent_spawn)
{
	static const struct {
		const char	*provider;
		const char	*type;
	} rows[] = {
		{ "codex", "codex" },
		{ "claude_code", "claude" },
		{ "fake", "custom" },
		{ "gemini", "custom" },
	};
	struct json_object	*o, *want;
	char			*text;
	size_t			 i;

	for (i = 0; i < nitems(rows); i++) {
		o = mapping_agent_spawn(AID, SID, rows[i].provider, "Ada",
		    "/srv/repo", 1700000000123LL);
		text = xasprintf("{\"agentId\":\"" AID "\",\"sessionId\":\""
		    SID "\",\"agentType\":\"%s\",\"agentName\":\"Ada\","
		    "\"repoPath\":\"/srv/repo\",\"timestamp\":\"" ISO "\"}",
		    rows[i].type);
		want = json_tokener_parse(text);
		ck_assert_msg(json_object_equal(o, want), "%s: %s",
		    rows[i].provider, json_object_to_json_string(o));
		json_object_put(want);
		json_object_put(o);
		free(text);
	}
	/* No name and no repo path: both left out. */
	o = mapping_agent_spawn(AID, SID, "codex", NULL, NULL, 0);
	ck_assert(!json_object_object_get_ex(o, "agentName", NULL));
	ck_assert(!json_object_object_get_ex(o, "repoPath", NULL));
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(o, "timestamp")),
	    "1970-01-01T00:00:00.000Z");
	json_object_put(o);
}
END_TEST

START_TEST(test_agent_disconnect)
{
	struct json_object	*o, *want;

	o = mapping_agent_disconnect(AID, SID, 1700000000123LL);
	want = json_tokener_parse("{\"agentId\":\"" AID "\",\"sessionId\":\""
	    SID "\",\"timestamp\":\"" ISO "\"}");
	ck_assert(json_object_equal(o, want));
	json_object_put(want);
	json_object_put(o);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("mapping");

	tc = tcase_create("work_stream_event");
	tcase_add_test(tc, test_session_started);
	tcase_add_test(tc, test_state_changed);
	tcase_add_test(tc, test_terminal_chunk);
	tcase_add_test(tc, test_file_touched);
	tcase_add_test(tc, test_diff_summary);
	tcase_add_test(tc, test_approval_requested);
	tcase_add_test(tc, test_approval_resolved);
	tcase_add_test(tc, test_session_ended);
	tcase_add_test(tc, test_agent_message);
	tcase_add_test(tc, test_absent_fields_omitted);
	tcase_add_test(tc, test_unmapped);
	tcase_add_test(tc, test_agent_id_derived);
	suite_add_tcase(s, tc);

	tc = tcase_create("agent");
	tcase_add_test(tc, test_agent_id);
	tcase_add_test(tc, test_agent_spawn);
	tcase_add_test(tc, test_agent_disconnect);
	suite_add_tcase(s, tc);

	return (s);
}
