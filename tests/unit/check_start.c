/* Unit tests for START's decoding (worker/start.c) against the config's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/proto.h"
#include "worker/start.h"
#include "unit.h"

#define SID	"3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b"

static char	cause[512];

/* A START as session_start_msg writes it, over a config with extra. */
static struct json_object *
start_msg(const char *extra)
{
	struct config		*c = config_default();
	struct json_object	*o, *sess, *x;

	if (extra != NULL) {
		x = json_tokener_parse(extra);
		ck_assert_int_eq(config_load_json(c, x, cause, sizeof cause),
		    0);
		json_object_put(x);
	}
	config_finish(c);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("START"));
	json_object_object_add(o, "protocol",
	    json_object_new_int(PROTO_VERSION));
	sess = json_tokener_parse("{\"sessionId\": \"" SID "\", "
	    "\"orgId\": \"o\", \"villageId\": \"v\", \"agentId\": \"a\", "
	    "\"repoRef\": {\"provider\": \"local\", \"path\": \"/srv/r\"}, "
	    "\"checkout\": {\"type\": \"tag\", \"tag\": \"v1\"}, "
	    "\"task\": {\"title\": \"t\", \"goal\": \"g\", "
	    "\"constraints\": [\"c1\"], \"acceptance\": [], "
	    "\"roomPath\": \"/room\"}, "
	    "\"policy\": {\"networkMode\": \"restricted\", "
	    "\"requiresApprovalFor\": [\"merge\"]}, "
	    "\"env\": {\"OPENAI_API_KEY\": \"sk-x\"}, \"provider\": \"fake\", "
	    "\"workspaceMode\": \"clone\", \"cgroupBase\": null, "
	    "\"limits\": {\"memoryMaxBytes\": 8388608, \"pidsMax\": 64, "
	    "\"cpuMaxPct\": 50, \"workspaceMaxBytes\": 0}, "
	    "\"daemonListen\": [\"127.0.0.1:3000\"], \"cols\": 100, "
	    "\"rows\": 30, \"home\": \"/root\", \"lang\": \"C.UTF-8\"}");
	ck_assert_ptr_nonnull(sess);
	json_object_object_add(o, "session", sess);
	json_object_object_add(o, "config", config_to_wire(c));
	config_free(c);
	return (o);
}

/* The session part and the config both arrive. */
START_TEST(test_start_good)
{
	struct json_object	*o;
	struct start		 st;

	o = start_msg("{\"session_timeout_ms\": 5000, \"stop_grace_ms\": 7, "
	    "\"workspace_dir\": \"/w\", \"sandbox_required\": [\"seccomp\"], "
	    "\"sandbox_expose\": [\"/opt/x\"], \"test_patterns\": [\"make\"], "
	    "\"providers\": {\"fake\": {\"command\": \"my-agent\"}}}");
	ck_assert_msg(start_parse(o, &st, cause, sizeof cause) == 0, "%s",
	    cause);
	ck_assert_str_eq(st.session_id, SID);
	ck_assert_str_eq(st.provider->command, "my-agent");
	ck_assert_int_eq(st.cfg->session_timeout_ms, 5000);
	ck_assert_int_eq(st.cfg->stop_grace_ms, 7);
	ck_assert_str_eq(st.dir, "/w/" SID);
	ck_assert_str_eq(st.spec.dir, st.dir);
	ck_assert_int_eq(st.spec.kind, WORKSPACE_TAG);
	ck_assert_str_eq(st.spec.ref, "v1");
	ck_assert_int_eq(st.spec.mode, WORKSPACE_CLONE);
	ck_assert_int_eq(st.spec.fallback, 1);	/* workspace_mode auto */
	ck_assert_str_eq(st.task.goal, "g");
	ck_assert_str_eq(st.task.constraints[0], "c1");
	ck_assert_str_eq(st.task.room_path, "/room");
	ck_assert_str_eq(st.task.approval_for[0], "merge");
	ck_assert_int_eq(st.net_open, 0);
	ck_assert_uint_eq(st.sbp.required, 1u << 4);
	ck_assert_str_eq(st.sb_expose[0], "/opt/x");
	ck_assert_ptr_null(st.cfg->sandbox_expose);	/* taken */
	ck_assert_str_eq(st.exec_tests[0], "make");
	ck_assert_str_eq(st.net_listen[0], "127.0.0.1:3000");
	ck_assert_ptr_nonnull(st.net_allow);
	ck_assert_int_eq(st.cg_limits.pids_max, 64);
	ck_assert_ptr_null(st.cg_base);
	ck_assert_int_eq(st.cols, 100);
	ck_assert_str_eq(st.home, "/root");
	start_free(&st);
	json_object_put(o);
}
END_TEST

/* A broken START fails with a cause naming what, never crashes. */
START_TEST(test_start_bad)
{
	static const struct {
		const char	*where;		/* session or config */
		const char	*key;
		const char	*value;		/* JSON, NULL: removed */
		const char	*want;
	} cases[] = {
		{ NULL, "protocol", "2", "protocol 2" },
		{ NULL, "protocol", NULL, "protocol" },
		{ NULL, "session", "[]", "session: must be an object" },
		{ NULL, "config", NULL, "config: must be an object" },
		{ "config", "bogus", "1", "config.bogus: unknown key" },
		{ "config", "max_sessions", "0", "config.max_sessions: 0 is" },
		{ "session", "provider", "\"nope\"", "provider nope" },
		{ "session", "provider", NULL, "session.provider" },
		{ "session", "env", "{\"A\": 1}", "env.A must be a string" },
		{ "session", "repoRef", NULL, "repoRef: must be an object" },
		{ "session", "task", "\"x\"", "task: must be an object" },
		{ "session", "checkout", "{\"type\": \"x\"}", "checkout.type" },
		{ "session", "workspaceMode", "\"auto\"", "overlay or clone" },
		{ "session", "limits", NULL, "session.limits" },
		{ "session", "daemonListen", "[\"x\"]", "daemonListen: 'x'" },
		{ "session", "cols", "0", "session.cols: 0 is out of range" },
		{ "session", "home", NULL, "session.home" },
	};
	struct json_object	*o, *parent;
	struct start		 st;
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		o = start_msg(NULL);
		parent = o;
		if (cases[i].where != NULL)
			json_object_object_get_ex(o, cases[i].where, &parent);
		if (cases[i].value == NULL)
			json_object_object_del(parent, cases[i].key);
		else
			json_object_object_add(parent, cases[i].key,
			    json_tokener_parse(cases[i].value));
		cause[0] = '\0';
		ck_assert_msg(start_parse(o, &st, cause, sizeof cause) == -1,
		    "accepted %s %s", cases[i].key, cases[i].value);
		ck_assert_msg(strstr(cause, cases[i].want) != NULL,
		    "%s: '%s' lacks '%s'", cases[i].key, cause, cases[i].want);
		start_free(&st);
		json_object_put(o);
	}
}
END_TEST

/* Every test of this file, a TCase per area. */
Suite *
unit_suite(void)
{
	Suite	*s = suite_create("start");
	TCase	*tc;

	tc = tcase_create("decode");
	tcase_add_test(tc, test_start_good);
	tcase_add_test(tc, test_start_bad);
	suite_add_tcase(s, tc);
	return (s);
}
