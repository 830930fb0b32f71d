/* Unit tests: strict validation of request bodies (supervisor/validate.c). */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/util.h"
#include "supervisor/validate.h"
#include "unit.h"

static struct config	*cfg;

/* A fresh default config (codex, claude_code and fake providers). */
static void
setup(void)
{
	cfg = config_default();
	/* Bodies here name made-up paths; where they may be is tested apart. */
	strv_free(cfg->allowed_roots);
	cfg->allowed_roots = xcalloc(2, sizeof *cfg->allowed_roots);
	cfg->allowed_roots[0] = xstrdup("/");
	unsetenv("OPENAI_API_KEY");
	unsetenv("ANTHROPIC_API_KEY");
}

static void
teardown(void)
{
	config_free(cfg);
	cfg = NULL;
}

/* Parse test JSON leniently (the tests build bodies, not the API). */
static struct json_object *
parse(const char *text)
{
	struct json_object	*o;

	o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "test JSON does not parse: %s", text);
	return (o);
}

/* Run validate_start on text; the return value, and norm/env freed. */
static int
start(const char *text, struct validate_err *e)
{
	struct json_object	*body, *norm, *env;
	int			 rv;

	body = parse(text);
	memset(e, 0, sizeof *e);
	rv = validate_start(body, cfg, &norm, &env, e);
	if (rv == 0) {
		ck_assert_ptr_nonnull(norm);
		ck_assert_ptr_nonnull(env);
		json_object_put(norm);
		json_object_put(env);
	} else {
		ck_assert_ptr_null(norm);
		ck_assert_ptr_null(env);
	}
	json_object_put(body);
	return (rv);
}

#define MIN_REPO \
	"\"repoRef\":{\"provider\":\"local\",\"path\":\"/srv/r\"}"
#define MIN_TASK	"\"task\":{\"title\":\"T\",\"goal\":\"G\"}"
#define MIN_BODY	"{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK "}"

START_TEST(test_minimal_defaults)
{
	struct json_object	*body, *norm, *env, *want;
	struct validate_err	 e;

	body = parse(MIN_BODY);
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	want = parse("{\"villageId\":\"demo\",\"providerId\":\"fake\","
	    "\"repoRef\":{\"provider\":\"local\",\"path\":\"/srv/r\"},"
	    "\"checkout\":{\"type\":\"branch\",\"ref\":\"main\"},"
	    "\"task\":{\"title\":\"T\",\"goal\":\"G\",\"constraints\":[],"
	    "\"acceptance\":[]},"
	    "\"policy\":{\"shellAllowlist\":[\"*\"],\"shellDenylist\":[],"
	    "\"requiresApprovalFor\":[\"merge\",\"deps_add\",\"secrets\","
	    "\"deploy\"],\"networkMode\":\"open\"}}");
	ck_assert_msg(json_object_equal(norm, want), "got %s",
	    json_object_to_json_string(norm));
	ck_assert_int_eq(json_object_object_length(env), 0);
	ck_assert(!json_object_object_get_ex(norm, "env", NULL));
	json_object_put(want);
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);
}
END_TEST

START_TEST(test_full_body)
{
	struct json_object	*body, *norm, *env, *v;
	struct validate_err	 e;

	body = parse("{\"villageId\":\"v-1:x.y_z\",\"agentName\":\"Ada\","
	    "\"providerId\":\"fake\",\"repoRef\":{\"provider\":\"github\","
	    "\"owner\":\"octo\",\"name\":\"hello.world\",\"defaultBranch\":"
	    "\"dev\"},\"roomPath\":\"src/app\",\"task\":{\"title\":\"T\","
	    "\"goal\":\"G\",\"constraints\":[\"a\",\"\"],\"acceptance\":"
	    "[\"b\"],\"roomPath\":\"docs\",\"branchName\":\"feature/x-1\"},"
	    "\"policy\":{\"shellAllowlist\":[\"ls\",\"git *\"],"
	    "\"shellDenylist\":[\"rm\"],\"requiresApprovalFor\":[\"shell\","
	    "\"network\",\"shell\"],\"networkMode\":\"restricted\"},"
	    "\"env\":{\"FOO\":\"bar\",\"_X1\":\"\"}}");
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	/* The default checkout follows repoRef.defaultBranch. */
	ck_assert(json_object_object_get_ex(norm, "checkout", &v));
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(v, "ref")), "dev");
	/* Duplicate categories are kept once. */
	v = json_object_object_get(json_object_object_get(norm, "policy"),
	    "requiresApprovalFor");
	ck_assert_int_eq(json_object_array_length(v), 2);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(env, "FOO")), "bar");
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(norm, "agentName")), "Ada");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(norm, "task"), "branchName")),
	    "feature/x-1");
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);
}
END_TEST

START_TEST(test_checkout_kinds)
{
	struct json_object	*body, *norm, *env;
	struct validate_err	 e;

	body = parse("{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
	    ",\"checkout\":{\"type\":\"commit\",\"sha\":\"ABCDEF12\"}}");
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(norm, "checkout"), "sha")), "abcdef12");
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);

	ck_assert_int_eq(start("{\"providerId\":\"fake\"," MIN_REPO ","
	    MIN_TASK ",\"checkout\":{\"type\":\"tag\",\"tag\":\"v1.2.3\"}}",
	    &e), 0);
	ck_assert_int_eq(start("{\"providerId\":\"fake\"," MIN_REPO ","
	    MIN_TASK ",\"checkout\":{\"type\":\"branch\",\"ref\":"
	    "\"release/2024\"}}", &e), 0);
}
END_TEST

START_TEST(test_unicode_counts_characters)
{
	struct validate_err	 e;
	char			*title, *body;
	size_t			 i;

	/* 200 two-byte characters are 400 bytes but a valid title. */
	title = xmalloc(200 * 2 + 1);
	for (i = 0; i < 200; i++)
		memcpy(title + 2 * i, "\xc3\xa9", 2);
	title[400] = '\0';
	body = xasprintf("{\"providerId\":\"fake\"," MIN_REPO ",\"task\":"
	    "{\"title\":\"%s\",\"goal\":\"G\"}}", title);
	ck_assert_int_eq(start(body, &e), 0);
	free(body);
	/* 201 of them are too many. */
	body = xasprintf("{\"providerId\":\"fake\"," MIN_REPO ",\"task\":"
	    "{\"title\":\"%s\\u00e9\",\"goal\":\"G\"}}", title);
	ck_assert_int_eq(start(body, &e), -1);
	ck_assert_str_eq(e.field, "task.title");
	free(body);
	free(title);
}
END_TEST

/* One bad body and the field its 400 must name. */
struct bad_case {
	const char	*body;
	const char	*field;
};

#define R	MIN_REPO
#define T	MIN_TASK
#define P	"\"providerId\":\"fake\""
static const struct bad_case bad_cases[] = {
	/* top level: unknown fields, types, ranges, requirements */
	{ "{" P "," R "," T ",\"bogus\":1}", "bogus" },
	{ "{" P "," R "," T ",\"villageId\":7}", "villageId" },
	{ "{" P "," R "," T ",\"villageId\":\"\"}", "villageId" },
	{ "{" P "," R "," T ",\"villageId\":\"a b\"}", "villageId" },
	{ "{" P "," R "," T ",\"villageId\":null}", "villageId" },
	{ "{" P "," R "," T ",\"agentName\":[]}", "agentName" },
	{ "{" P "," R "," T ",\"agentName\":null}", "agentName" },
	{ "{" R "," T "}", "providerId" },
	{ "{\"providerId\":42," R "," T "}", "providerId" },
	{ "{\"providerId\":\"nope\"," R "," T "}", "providerId" },
	{ "{\"providerId\":\"\"," R "," T "}", "providerId" },
	{ "{" P "," T "}", "repoRef" },
	{ "{" P "," T ",\"repoRef\":\"/srv/r\"}", "repoRef" },
	{ "{" P "," T ",\"repoRef\":null}", "repoRef" },
	{ "{" P "," R "}", "task" },
	{ "{" P "," R ",\"task\":[]}", "task" },
	{ "{" P "," R "," T ",\"roomPath\":\"/abs\"}", "roomPath" },
	{ "{" P "," R "," T ",\"roomPath\":\"a/../b\"}", "roomPath" },
	{ "{" P "," R "," T ",\"roomPath\":\"..\"}", "roomPath" },
	{ "{" P "," R "," T ",\"roomPath\":5}", "roomPath" },
	{ "{" P "," R "," T ",\"roomPath\":\"\"}", "roomPath" },
	/* repoRef */
	{ "{" P "," T ",\"repoRef\":{\"path\":\"/x\"}}", "repoRef.provider" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"svn\"}}",
	  "repoRef.provider" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":1}}", "repoRef.provider" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"local\"}}",
	  "repoRef.path" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"local\",\"path\":\"rel\"}}",
	  "repoRef.path" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"local\",\"path\":1}}",
	  "repoRef.path" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"local\",\"path\":\"/x\","
	  "\"owner\":\"o\"}}", "repoRef.owner" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"local\",\"path\":\"/x\","
	  "\"name\":3}}", "repoRef.name" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"local\",\"path\":\"/x\","
	  "\"defaultBranch\":\"a..b\"}}", "repoRef.defaultBranch" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"github\",\"name\":\"n\"}}",
	  "repoRef.owner" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"github\",\"owner\":\"o\"}}",
	  "repoRef.name" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"gitlab\",\"owner\":\"..\","
	  "\"name\":\"n\"}}", "repoRef.owner" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"gitlab\",\"owner\":\"o\","
	  "\"name\":\"a/b\"}}", "repoRef.name" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"bitbucket\","
	  "\"owner\":\"o\",\"name\":\"n\",\"path\":\"/x\"}}", "repoRef.path" },
	{ "{" P "," T ",\"repoRef\":{\"provider\":\"github\",\"owner\":\"o\","
	  "\"name\":\"n\",\"defaultBranch\":7}}", "repoRef.defaultBranch" },
	/* checkout */
	{ "{" P "," R "," T ",\"checkout\":\"main\"}", "checkout" },
	{ "{" P "," R "," T ",\"checkout\":{}}", "checkout.type" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"rev\"}}",
	  "checkout.type" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"branch\"}}",
	  "checkout.ref" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"branch\",\"ref\":1}}",
	  "checkout.ref" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"branch\",\"ref\":"
	  "\"-x\"}}", "checkout.ref" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"branch\",\"ref\":"
	  "\"a.lock\"}}", "checkout.ref" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"branch\",\"ref\":"
	  "\"a b\"}}", "checkout.ref" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"branch\",\"ref\":"
	  "\"x\",\"sha\":\"abcd\"}}", "checkout.sha" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"commit\",\"sha\":"
	  "\"abc\"}}", "checkout.sha" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"commit\",\"sha\":"
	  "\"zzzz\"}}", "checkout.sha" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"commit\",\"sha\":"
	  "\"0123456789012345678901234567890123456789a\"}}", "checkout.sha" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"commit\"}}",
	  "checkout.sha" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"tag\",\"tag\":"
	  "\".hidden\"}}", "checkout.tag" },
	{ "{" P "," R "," T ",\"checkout\":{\"type\":\"tag\"}}",
	  "checkout.tag" },
	/* task */
	{ "{" P "," R ",\"task\":{\"goal\":\"G\"}}", "task.title" },
	{ "{" P "," R ",\"task\":{\"title\":\"\",\"goal\":\"G\"}}",
	  "task.title" },
	{ "{" P "," R ",\"task\":{\"title\":1,\"goal\":\"G\"}}", "task.title" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\"}}", "task.goal" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":false}}",
	  "task.goal" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\",\"x\":1}}",
	  "task.x" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\","
	  "\"constraints\":\"a\"}}", "task.constraints" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\","
	  "\"constraints\":[\"a\",2]}}", "task.constraints[1]" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\","
	  "\"acceptance\":[null]}}", "task.acceptance[0]" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\","
	  "\"roomPath\":\"../x\"}}", "task.roomPath" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\","
	  "\"branchName\":\"a//b\"}}", "task.branchName" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\","
	  "\"branchName\":\"HEAD\"}}", "task.branchName" },
	{ "{" P "," R ",\"task\":{\"title\":\"T\",\"goal\":\"G\","
	  "\"branchName\":\"x/\"}}", "task.branchName" },
	/* policy */
	{ "{" P "," R "," T ",\"policy\":[]}", "policy" },
	{ "{" P "," R "," T ",\"policy\":{\"y\":1}}", "policy.y" },
	{ "{" P "," R "," T ",\"policy\":{\"shellAllowlist\":\"*\"}}",
	  "policy.shellAllowlist" },
	{ "{" P "," R "," T ",\"policy\":{\"shellAllowlist\":[\"\"]}}",
	  "policy.shellAllowlist[0]" },
	{ "{" P "," R "," T ",\"policy\":{\"shellDenylist\":[1]}}",
	  "policy.shellDenylist[0]" },
	{ "{" P "," R "," T ",\"policy\":{\"requiresApprovalFor\":"
	  "[\"merge\",\"nap\"]}}", "policy.requiresApprovalFor[1]" },
	{ "{" P "," R "," T ",\"policy\":{\"requiresApprovalFor\":{}}}",
	  "policy.requiresApprovalFor" },
	{ "{" P "," R "," T ",\"policy\":{\"networkMode\":\"closed\"}}",
	  "policy.networkMode" },
	{ "{" P "," R "," T ",\"policy\":{\"networkMode\":true}}",
	  "policy.networkMode" },
	/* env */
	{ "{" P "," R "," T ",\"env\":[]}", "env" },
	{ "{" P "," R "," T ",\"env\":{\"1X\":\"v\"}}", "env" },
	{ "{" P "," R "," T ",\"env\":{\"A-B\":\"v\"}}", "env" },
	{ "{" P "," R "," T ",\"env\":{\"\":\"v\"}}", "env" },
	{ "{" P "," R "," T ",\"env\":{\"FOO\":1}}", "env.FOO" },
	{ "{" P "," R "," T ",\"env\":{\"FOO\":null}}", "env.FOO" },
};
#undef R
#undef T
#undef P

START_TEST(test_bad_field)
{
	const struct bad_case	*c = &bad_cases[_i];
	struct validate_err	 e;
	size_t			 len;

	ck_assert_msg(start(c->body, &e) == -1, "accepted: %s", c->body);
	ck_assert_int_eq(e.status, 400);
	ck_assert_str_eq(e.code, "VALIDATION_ERROR");
	ck_assert_msg(strcmp(e.field, c->field) == 0,
	    "%s: field '%s', want '%s' (%s)", c->body, e.field, c->field,
	    e.message);
	/* The message starts with the field's path. */
	len = strlen(c->field);
	ck_assert_msg(strncmp(e.message, c->field, len) == 0 &&
	    e.message[len] == ':', "message '%s'", e.message);
}
END_TEST

/* A body with a string of n copies of c in the named place. */
static char *
long_body(const char *fmt, size_t n, char c)
{
	char	*s, *body;

	s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	body = xasprintf(fmt, s);
	free(s);
	return (body);
}

START_TEST(test_ranges)
{
	static const struct {
		const char	*fmt;
		size_t		 ok, bad;
		const char	*field;
	} r[] = {
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"villageId\":\"%s\"}", 128, 129, "villageId" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"agentName\":\"%s\"}", 128, 129, "agentName" },
		{ "{\"providerId\":\"fake\"," MIN_REPO ",\"task\":{\"title\":"
		  "\"%s\",\"goal\":\"G\"}}", 200, 201, "task.title" },
		{ "{\"providerId\":\"fake\"," MIN_REPO ",\"task\":{\"title\":"
		  "\"T\",\"goal\":\"%s\"}}", 4000, 4001, "task.goal" },
		{ "{\"providerId\":\"fake\"," MIN_REPO ",\"task\":{\"title\":"
		  "\"T\",\"goal\":\"G\",\"constraints\":[\"%s\"]}}", 1000, 1001,
		  "task.constraints[0]" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"roomPath\":\"%s\"}", 1024, 1025, "roomPath" },
		{ "{\"providerId\":\"fake\"," MIN_TASK ",\"repoRef\":{"
		  "\"provider\":\"github\",\"owner\":\"%s\",\"name\":\"n\"}}",
		  100, 101, "repoRef.owner" },
		{ "{\"providerId\":\"fake\"," MIN_TASK ",\"repoRef\":{"
		  "\"provider\":\"local\",\"path\":\"/%s\"}}", 4095, 4096,
		  "repoRef.path" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"env\":{\"X\":\"%s\"}}", 32768, 32769, "env.X" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"env\":{\"%s\":\"v\"}}", 128, 129, "env" },
		{ "{\"providerId\":\"fake\"," MIN_TASK ",\"repoRef\":{"
		  "\"provider\":\"gitlab\",\"owner\":\"o\",\"name\":\"%s\"}}",
		  100, 101, "repoRef.name" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"checkout\":{\"type\":\"branch\",\"ref\":\"%s\"}}", 255,
		  256, "checkout.ref" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"checkout\":{\"type\":\"tag\",\"tag\":\"%s\"}}", 255,
		  256, "checkout.tag" },
		{ "{\"providerId\":\"fake\"," MIN_REPO ",\"task\":{\"title\":"
		  "\"T\",\"goal\":\"G\",\"roomPath\":\"%s\"}}", 1024, 1025,
		  "task.roomPath" },
		{ "{\"providerId\":\"fake\"," MIN_REPO ",\"task\":{\"title\":"
		  "\"T\",\"goal\":\"G\",\"branchName\":\"%s\"}}", 255, 256,
		  "task.branchName" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"policy\":{\"shellAllowlist\":[\"%s\"]}}", 1000, 1001,
		  "policy.shellAllowlist[0]" },
		{ "{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
		  ",\"policy\":{\"shellDenylist\":[\"%s\"]}}", 1000, 1001,
		  "policy.shellDenylist[0]" },
	};
	struct validate_err	 e;
	char			*body;
	size_t			 i;

	for (i = 0; i < nitems(r); i++) {
		body = long_body(r[i].fmt, r[i].ok, 'a');
		ck_assert_msg(start(body, &e) == 0, "%s: %s", r[i].field,
		    e.message);
		free(body);
		body = long_body(r[i].fmt, r[i].bad, 'a');
		ck_assert_int_eq(start(body, &e), -1);
		ck_assert_str_eq(e.field, r[i].field);
		/* The message never echoes a long value. */
		ck_assert(strstr(e.message, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") ==
		    NULL);
		free(body);
	}
}
END_TEST

START_TEST(test_list_limits)
{
	struct json_object	*body, *a, *task, *norm, *env, *envo, *policy;
	struct validate_err	 e;
	char			 name[16];
	int			 i;

	body = parse(MIN_BODY);
	task = json_object_object_get(body, "task");
	a = json_object_new_array();
	for (i = 0; i < 101; i++)
		json_object_array_add(a, json_object_new_string("x"));
	json_object_object_add(task, "acceptance", a);
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), -1);
	ck_assert_str_eq(e.field, "task.acceptance");
	json_object_array_del_idx(a, 0, 1);
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	json_object_put(norm);
	json_object_put(env);

	/* The same bound on the policy's lists. */
	policy = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < 101; i++)
		json_object_array_add(a, json_object_new_string("rm"));
	json_object_object_add(policy, "shellDenylist", a);
	json_object_object_add(body, "policy", policy);
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), -1);
	ck_assert_str_eq(e.field, "policy.shellDenylist");
	json_object_object_del(body, "policy");

	envo = json_object_new_object();
	for (i = 0; i < 257; i++) {
		snprintf(name, sizeof name, "V%d", i);
		json_object_object_add(envo, name, json_object_new_string(""));
	}
	json_object_object_add(body, "env", envo);
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), -1);
	ck_assert_str_eq(e.field, "env");
	json_object_object_del(envo, "V0");
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);
}
END_TEST

/* policy.limits: within the config's limits, kept in norm.policy. */
START_TEST(test_policy_limits)
{
	struct json_object	*body, *norm, *env, *lim;
	struct validate_err	 e;
	static const struct {
		const char	*limits;
		const char	*field;		/* NULL = valid */
	} cases[] = {
		{ "{}", NULL },
		{ "{\"memoryMaxBytes\":4194304,\"pidsMax\":8,"
		    "\"cpuMaxPct\":1}", NULL },
		{ "{\"pidsMax\":7}", "policy.limits.pidsMax" },
		{ "{\"memoryMaxBytes\":67108864}", NULL },
		{ "{\"memoryMaxBytes\":67108865}",
		    "policy.limits.memoryMaxBytes" },
		{ "{\"memoryMaxBytes\":4194303}",
		    "policy.limits.memoryMaxBytes" },
		{ "{\"pidsMax\":64}", NULL },
		{ "{\"pidsMax\":65}", "policy.limits.pidsMax" },
		{ "{\"pidsMax\":0}", "policy.limits.pidsMax" },
		{ "{\"pidsMax\":-1}", "policy.limits.pidsMax" },
		{ "{\"pidsMax\":\"8\"}", "policy.limits.pidsMax" },
		{ "{\"pidsMax\":8.5}", "policy.limits.pidsMax" },
		{ "{\"pidsMax\":null}", "policy.limits.pidsMax" },
		{ "{\"cpuMaxPct\":100000}", NULL },
		{ "{\"cpuMaxPct\":100001}", "policy.limits.cpuMaxPct" },
		{ "{\"cpuMaxPct\":9223372036854775807}",
		    "policy.limits.cpuMaxPct" },
		{ "{\"workspaceMaxBytes\":16777216}", NULL },
		{ "{\"workspaceMaxBytes\":134217728}", NULL },
		{ "{\"workspaceMaxBytes\":134217729}",
		    "policy.limits.workspaceMaxBytes" },
		{ "{\"workspaceMaxBytes\":16777215}",
		    "policy.limits.workspaceMaxBytes" },
		{ "{\"workspaceMaxBytes\":0}",
		    "policy.limits.workspaceMaxBytes" },
		{ "{\"workspaceMaxBytes\":-16777216}",
		    "policy.limits.workspaceMaxBytes" },
		{ "{\"workspaceMaxBytes\":\"64M\"}",
		    "policy.limits.workspaceMaxBytes" },
		{ "{\"workspaceMaxBytes\":1e9}",
		    "policy.limits.workspaceMaxBytes" },
		{ "{\"workspaceMaxBytes\":99999999999999999999}",
		    "policy.limits.workspaceMaxBytes" },
		{ "{\"diskMax\":1}", "policy.limits.diskMax" },
		{ "[]", "policy.limits" },
		{ "7", "policy.limits" },
	};
	char			*text;
	size_t			 i;

	cfg->memory_max_bytes = 64 * 1024 * 1024;
	cfg->pids_max = 64;
	cfg->cpu_max_pct = 0;		/* no limit: up to 1000 cores */
	cfg->workspace_max_bytes = 128 * 1024 * 1024;
	for (i = 0; i < nitems(cases); i++) {
		text = xasprintf("{\"providerId\":\"fake\"," MIN_REPO ","
		    MIN_TASK ",\"policy\":{\"limits\":%s}}",
		    cases[i].limits);
		if (cases[i].field == NULL)
			ck_assert_msg(start(text, &e) == 0, "%s: %s",
			    cases[i].limits, e.message);
		else {
			ck_assert_msg(start(text, &e) == -1, "%s accepted",
			    cases[i].limits);
			ck_assert_str_eq(e.field, cases[i].field);
			ck_assert_int_eq(e.status, 400);
		}
		free(text);
	}

	/* What was given is kept; nothing is made up when absent. */
	body = parse("{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
	    ",\"policy\":{\"limits\":{\"pidsMax\":16}}}");
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	lim = json_object_object_get(json_object_object_get(norm, "policy"),
	    "limits");
	ck_assert_ptr_nonnull(lim);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(lim,
	    "pidsMax")), 16);
	ck_assert(!json_object_object_get_ex(lim, "memoryMaxBytes", NULL));
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);
	body = parse(MIN_BODY);
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	ck_assert(!json_object_object_get_ex(json_object_object_get(norm,
	    "policy"), "limits", NULL));
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);

	/* A config without a memory limit takes any size a request names. */
	cfg->memory_max_bytes = 0;
	ck_assert_int_eq(start("{\"providerId\":\"fake\"," MIN_REPO ","
	    MIN_TASK ",\"policy\":{\"limits\":{\"memoryMaxBytes\":"
	    "1099511627776}}}", &e), 0);
	/* Nor without a disk quota. */
	cfg->workspace_max_bytes = 0;
	ck_assert_int_eq(start("{\"providerId\":\"fake\"," MIN_REPO ","
	    MIN_TASK ",\"policy\":{\"limits\":{\"workspaceMaxBytes\":"
	    "1099511627776}}}", &e), 0);
}
END_TEST

START_TEST(test_cred_request_env)
{
	struct json_object	*body, *norm, *env;
	struct validate_err	 e;

	body = parse("{\"providerId\":\"codex\"," MIN_REPO "," MIN_TASK
	    ",\"env\":{\"OPENAI_API_KEY\":\"sk-from-request\"}}");
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(env, "OPENAI_API_KEY")), "sk-from-request");
	/* The normalized request never holds env or its values. */
	ck_assert(!json_object_object_get_ex(norm, "env", NULL));
	ck_assert(strstr(json_object_to_json_string(norm), "sk-from") == NULL);
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);
}
END_TEST

START_TEST(test_cred_process_env)
{
	struct json_object	*body, *norm, *env;
	struct validate_err	 e;

	setenv("ANTHROPIC_API_KEY", "sk-ant-process", 1);
	/* An empty request value does not count: the process one is used. */
	body = parse("{\"providerId\":\"claude_code\"," MIN_REPO "," MIN_TASK
	    ",\"env\":{\"ANTHROPIC_API_KEY\":\"\",\"OTHER\":\"o\"}}");
	ck_assert_int_eq(validate_start(body, cfg, &norm, &env, &e), 0);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(env, "ANTHROPIC_API_KEY")),
	    "sk-ant-process");
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(env, "OTHER")), "o");
	json_object_put(norm);
	json_object_put(env);
	json_object_put(body);
	unsetenv("ANTHROPIC_API_KEY");
}
END_TEST

START_TEST(test_cred_missing)
{
	struct validate_err	 e;

	ck_assert_int_eq(start("{\"providerId\":\"codex\"," MIN_REPO ","
	    MIN_TASK "}", &e), -1);
	ck_assert_int_eq(e.status, 400);
	ck_assert_str_eq(e.code, "PROVIDER_AUTH_MISSING");
	ck_assert_str_eq(e.field, "env.OPENAI_API_KEY");
	ck_assert(strstr(e.message, "OPENAI_API_KEY") != NULL);
	ck_assert(strstr(e.message, "codex") != NULL);

	setenv("OPENAI_API_KEY", "", 1);	/* empty counts as missing */
	ck_assert_int_eq(start("{\"providerId\":\"codex\"," MIN_REPO ","
	    MIN_TASK ",\"env\":{\"OPENAI_API_KEY\":\"\"}}", &e), -1);
	ck_assert_str_eq(e.code, "PROVIDER_AUTH_MISSING");
	unsetenv("OPENAI_API_KEY");

	/* The fake provider needs nothing. */
	ck_assert_int_eq(start(MIN_BODY, &e), 0);
}
END_TEST

START_TEST(test_env_values_never_echoed)
{
	struct validate_err	 e;
	char			*body;

	body = long_body("{\"providerId\":\"fake\"," MIN_REPO "," MIN_TASK
	    ",\"env\":{\"SECRET\":\"hunter2%s\"}}", 40000, 'z');
	ck_assert_int_eq(start(body, &e), -1);
	ck_assert_str_eq(e.field, "env.SECRET");
	ck_assert(strstr(e.message, "hunter2") == NULL);
	free(body);

	/* A value with NUL is refused, without echoing it. */
	ck_assert_int_eq(start("{\"providerId\":\"fake\"," MIN_REPO ","
	    MIN_TASK ",\"env\":{\"SECRET\":\"hunter2\\u0000x\"}}", &e), -1);
	ck_assert_str_eq(e.field, "env.SECRET");
	ck_assert(strstr(e.message, "hunter2") == NULL);
}
END_TEST

START_TEST(test_body_parse)
{
	static const char *const bad[] = {
		"{", "}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":1}{}", "[]",
		"123", "\"s\"", "null", "true", "{\"a\":\"\xff\"}",
		"{\"a\" 1}", "nul", "{\"a\":01}",
	};
	struct json_object	*o;
	struct validate_err	 e;
	char			*deep;
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(validate_body(bad[i], strlen(bad[i]), 0, &o,
		    &e) == -1, "accepted %s", bad[i]);
		ck_assert_ptr_null(o);
		ck_assert_str_eq(e.field, "body");
		ck_assert_int_eq(e.status, 400);
	}
	/* Empty: an error unless the body is optional. */
	ck_assert_int_eq(validate_body("", 0, 0, &o, &e), -1);
	ck_assert_str_eq(e.field, "body");
	ck_assert_int_eq(validate_body(" \r\n", 3, 0, &o, &e), -1);
	ck_assert_int_eq(validate_body("", 0, 1, &o, &e), 0);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(validate_body(" \n", 2, 1, &o, &e), 0);
	ck_assert_ptr_null(o);
	/* NUL inside the body. */
	ck_assert_int_eq(validate_body("{\"a\":1}\0", 8, 0, &o, &e), -1);
	ck_assert_int_eq(validate_body("{\"a\"\0:1}", 8, 0, &o, &e), -1);
	/* Whitespace around an object is fine; so is a length without NUL. */
	ck_assert_int_eq(validate_body(" {\"a\":1} \n", 10, 0, &o, &e), 0);
	json_object_put(o);
	ck_assert_int_eq(validate_body("{\"a\":1}garbage", 7, 0, &o, &e), 0);
	json_object_put(o);

	/* Deep nesting is refused, not recursed into. */
	deep = xmalloc(200001);
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[0] = '{';
	deep[200000] = '\0';
	ck_assert_int_eq(validate_body(deep, 200000, 0, &o, &e), -1);
	free(deep);
}
END_TEST

START_TEST(test_hostile_start)
{
	struct json_object	*o, *norm, *env;
	struct validate_err	 e;
	char			*body, *huge;

	/* Not an object at all. */
	o = parse("[1,2]");
	ck_assert_int_eq(validate_start(o, cfg, &norm, &env, &e), -1);
	ck_assert_str_eq(e.field, "body");
	json_object_put(o);
	ck_assert_int_eq(validate_start(NULL, cfg, &norm, &env, &e), -1);
	ck_assert_str_eq(e.field, "body");

	/* Nulls everywhere. */
	ck_assert_int_eq(start("{\"providerId\":null}", &e), -1);
	ck_assert_str_eq(e.field, "providerId");
	ck_assert_int_eq(start("{\"providerId\":\"fake\",\"repoRef\":{"
	    "\"provider\":null}}", &e), -1);
	ck_assert_str_eq(e.field, "repoRef.provider");
	ck_assert_int_eq(start("{\"providerId\":\"fake\"," MIN_REPO
	    ",\"task\":{\"title\":null,\"goal\":null}}", &e), -1);
	ck_assert_str_eq(e.field, "task.title");

	/* A huge unknown key is named, cut short and printable. */
	huge = xmalloc(100001);
	memset(huge, 'k', 100000);
	huge[0] = '\x01';
	huge[100000] = '\0';
	body = xasprintf("{\"%s\":1}", huge);
	free(huge);
	o = json_tokener_parse(body);
	free(body);
	if (o == NULL) {
		/* json-c refuses the raw control byte: use an escape. */
		huge = xmalloc(100001);
		memset(huge, 'k', 100000);
		huge[100000] = '\0';
		body = xasprintf("{\"\\u0001%s\":1}", huge);
		free(huge);
		o = parse(body);
		free(body);
	}
	ck_assert_int_eq(validate_start(o, cfg, &norm, &env, &e), -1);
	json_object_put(o);
	ck_assert(strlen(e.field) < 80);
	ck_assert(e.field[0] == '?');
	ck_assert(strstr(e.message, "unknown field") != NULL);

	/* A huge goal: refused with a short message. */
	body = long_body("{\"providerId\":\"fake\"," MIN_REPO ",\"task\":{"
	    "\"title\":\"T\",\"goal\":\"%s\"}}", 1000000, 'g');
	ck_assert_int_eq(start(body, &e), -1);
	ck_assert_str_eq(e.field, "task.goal");
	ck_assert(strlen(e.message) < sizeof e.message);
	free(body);

	/* NUL inside a string field. */
	ck_assert_int_eq(start("{\"providerId\":\"fake\"," MIN_REPO
	    ",\"task\":{\"title\":\"a\\u0000b\",\"goal\":\"G\"}}", &e), -1);
	ck_assert_str_eq(e.field, "task.title");
	/* Unknown provider names are shown printable only. */
	ck_assert_int_eq(start("{\"providerId\":\"x\\u0007y\"," MIN_REPO ","
	    MIN_TASK "}", &e), -1);
	ck_assert_str_eq(e.field, "providerId");
	ck_assert(strstr(e.message, "unknown provider 'x?y'") != NULL);
}
END_TEST

START_TEST(test_input)
{
	struct json_object	*o;
	struct validate_err	 e;
	const char		*data;
	size_t			 len;
	char			*body;

	o = parse("{\"data\":\"ls\\u0000\\r\"}");
	ck_assert_int_eq(validate_input(o, &data, &len, &e), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert(memcmp(data, "ls\0\r", 4) == 0);
	json_object_put(o);

	o = parse("{\"data\":1}");
	ck_assert_int_eq(validate_input(o, &data, &len, &e), -1);
	ck_assert_str_eq(e.field, "data");
	json_object_put(o);
	o = parse("{}");
	ck_assert_int_eq(validate_input(o, &data, &len, &e), -1);
	ck_assert_str_eq(e.field, "data");
	json_object_put(o);
	o = parse("{\"data\":\"x\",\"extra\":1}");
	ck_assert_int_eq(validate_input(o, &data, &len, &e), -1);
	ck_assert_str_eq(e.field, "extra");
	json_object_put(o);
	body = long_body("{\"data\":\"%s\"}", VALIDATE_MAX_INPUT + 1, 'x');
	o = parse(body);
	free(body);
	ck_assert_int_eq(validate_input(o, &data, &len, &e), -1);
	ck_assert_str_eq(e.field, "data");
	json_object_put(o);
	ck_assert_int_eq(validate_input(NULL, &data, &len, &e), -1);
	ck_assert_str_eq(e.field, "body");
}
END_TEST

START_TEST(test_resize)
{
	static const struct {
		const char	*body;
		const char	*field;
	} bad[] = {
		{ "{\"rows\":10}", "cols" },
		{ "{\"cols\":10}", "rows" },
		{ "{\"cols\":0,\"rows\":10}", "cols" },
		{ "{\"cols\":1001,\"rows\":10}", "cols" },
		{ "{\"cols\":80,\"rows\":-1}", "rows" },
		{ "{\"cols\":80.0,\"rows\":24}", "cols" },
		{ "{\"cols\":\"80\",\"rows\":24}", "cols" },
		{ "{\"cols\":80,\"rows\":99999999999999999999}", "rows" },
		{ "{\"cols\":80,\"rows\":24,\"x\":0}", "x" },
	};
	struct json_object	*o;
	struct validate_err	 e;
	int			 cols, rows;
	size_t			 i;

	o = parse("{\"cols\":1000,\"rows\":1}");
	ck_assert_int_eq(validate_resize(o, &cols, &rows, &e), 0);
	ck_assert_int_eq(cols, 1000);
	ck_assert_int_eq(rows, 1);
	json_object_put(o);
	for (i = 0; i < nitems(bad); i++) {
		o = parse(bad[i].body);
		ck_assert_int_eq(validate_resize(o, &cols, &rows, &e), -1);
		ck_assert_msg(strcmp(e.field, bad[i].field) == 0, "%s: %s",
		    bad[i].body, e.field);
		json_object_put(o);
	}
}
END_TEST

START_TEST(test_stop)
{
	struct json_object	*o;
	struct validate_err	 e;
	int			 graceful = -1;

	ck_assert_int_eq(validate_stop(NULL, &graceful, &e), 0);
	ck_assert_int_eq(graceful, 1);
	o = parse("{}");
	ck_assert_int_eq(validate_stop(o, &graceful, &e), 0);
	ck_assert_int_eq(graceful, 1);
	json_object_put(o);
	o = parse("{\"graceful\":false}");
	ck_assert_int_eq(validate_stop(o, &graceful, &e), 0);
	ck_assert_int_eq(graceful, 0);
	json_object_put(o);
	o = parse("{\"graceful\":0}");
	ck_assert_int_eq(validate_stop(o, &graceful, &e), -1);
	ck_assert_str_eq(e.field, "graceful");
	json_object_put(o);
	o = parse("{\"force\":true}");
	ck_assert_int_eq(validate_stop(o, &graceful, &e), -1);
	ck_assert_str_eq(e.field, "force");
	json_object_put(o);
}
END_TEST

START_TEST(test_approval)
{
	struct json_object	*o;
	struct validate_err	 e;
	const char		*decision, *note;
	char			*body;

	o = parse("{\"decision\":\"allow\"}");
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), 0);
	ck_assert_str_eq(decision, "allow");
	ck_assert_ptr_null(note);
	json_object_put(o);
	o = parse("{\"decision\":\"deny\",\"note\":\"no\"}");
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), 0);
	ck_assert_str_eq(note, "no");
	json_object_put(o);
	o = parse("{\"decision\":\"maybe\"}");
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), -1);
	ck_assert_str_eq(e.field, "decision");
	json_object_put(o);
	o = parse("{\"note\":\"x\"}");
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), -1);
	ck_assert_str_eq(e.field, "decision");
	json_object_put(o);
	o = parse("{\"decision\":\"allow\",\"note\":5}");
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), -1);
	ck_assert_str_eq(e.field, "note");
	json_object_put(o);
	o = parse("{\"decision\":\"allow\",\"by\":\"me\"}");
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), -1);
	ck_assert_str_eq(e.field, "by");
	json_object_put(o);
	body = long_body("{\"decision\":\"allow\",\"note\":\"%s\"}", 2000, 'n');
	o = parse(body);
	free(body);
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), 0);
	json_object_put(o);
	body = long_body("{\"decision\":\"allow\",\"note\":\"%s\"}", 2001, 'n');
	o = parse(body);
	free(body);
	ck_assert_int_eq(validate_approval(o, &decision, &note, &e), -1);
	ck_assert_str_eq(e.field, "note");
	json_object_put(o);
}
END_TEST

/* A start body for a local repository at path. */
static int
start_at(const char *path, struct validate_err *e)
{
	struct json_object	*o;
	char			*text;
	int			 rv;

	o = json_object_new_string(path);
	text = xasprintf("{\"providerId\":\"fake\",\"task\":{\"title\":\"T\","
	    "\"goal\":\"G\"},\"repoRef\":{\"provider\":\"local\",\"path\":%s}}",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	rv = start(text, e);
	free(text);
	return (rv);
}

/* Refused as lying in one of runnerd's own directories, by that name. */
#define ck_refused_in(t, path, key) do {				\
	char *p_ = xasprintf("%s%s", (t), (path));			\
	ck_assert_msg(start_at(p_, &e) == -1, "%s accepted", p_);	\
	ck_assert_int_eq(e.status, 400);				\
	ck_assert_str_eq(e.field, "repoRef.path");			\
	ck_assert_msg(strstr(e.message, (key)) != NULL, "%s: %s", p_,	\
	    e.message);							\
	free(p_);							\
} while (0)

START_TEST(test_local_own_dirs)
{
	struct validate_err	 e;
	char			 t[] = "/tmp/check_validate.XXXXXX", *p;
	const char		*mk[] = {
		"/ws", "/ws/s1", "/ws/s1/.git", "/state", "/state/sessions",
		"/cache", "/cache/checkouts", "/repos", "/repos/r", "/wsx",
		NULL
	};
	size_t			 i;

	ck_assert_ptr_nonnull(mkdtemp(t));
	for (i = 0; mk[i] != NULL; i++) {
		p = xasprintf("%s%s", t, mk[i]);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		free(p);
	}
	free(cfg->workspace_dir);
	free(cfg->state_dir);
	free(cfg->cache_dir);
	/* workspace_dir itself through a symlink: judged where it points. */
	cfg->workspace_dir = xasprintf("%s/wslink", t);
	p = xasprintf("%s/ws", t);
	ck_assert_int_eq(symlink(p, cfg->workspace_dir), 0);
	free(p);
	cfg->state_dir = xasprintf("%s/state/", t);
	cfg->cache_dir = xasprintf("%s//cache", t);
	p = xasprintf("%s/ws/s1", t);
	{
		char *l = xasprintf("%s/repos/link", t);

		ck_assert_int_eq(symlink(p, l), 0);
		free(l);
	}
	free(p);

	p = xasprintf("%s/repos/r", t);
	ck_assert_msg(start_at(p, &e) == 0, "%s", e.message);
	free(p);
	p = xasprintf("%s/wsx", t);
	ck_assert_msg(start_at(p, &e) == 0, "a sibling: %s", e.message);
	free(p);

	ck_refused_in(t, "/ws", "workspace_dir");
	ck_refused_in(t, "/ws/", "workspace_dir");
	ck_refused_in(t, "/ws/s1", "workspace_dir");
	ck_refused_in(t, "/wslink/s1", "workspace_dir");
	ck_refused_in(t, "/ws/s1/.git", "workspace_dir");
	ck_refused_in(t, "/ws/not-yet/x", "workspace_dir");
	ck_refused_in(t, "/repos/../ws/s1", "workspace_dir");
	ck_refused_in(t, "/repos/r/../../ws/./s1", "workspace_dir");
	ck_refused_in(t, "/repos/nope/../../ws/s1", "workspace_dir");
	ck_refused_in(t, "/repos/link", "workspace_dir");
	ck_refused_in(t, "/repos/link/", "workspace_dir");
	ck_refused_in(t, "/repos/link/not-yet/x", "workspace_dir");
	ck_refused_in(t, "//ws//s1", "workspace_dir");
	ck_refused_in(t, "/state", "state_dir");
	ck_refused_in(t, "/state/sessions/x", "state_dir");
	ck_refused_in(t, "/cache/checkouts", "cache_dir");
	ck_refused_in(t, "/cache/../cache/mirrors/x", "cache_dir");

	/* Whatever allowed_roots says. */
	free(cfg->allowed_roots[0]);
	cfg->allowed_roots[0] = xasprintf("%s/ws", t);
	ck_refused_in(t, "/ws/s1", "workspace_dir");

	/* Outside the roots: the key to set is named, existing or not. */
	free(cfg->allowed_roots[0]);
	cfg->allowed_roots[0] = xasprintf("%s/repos", t);
	p = xasprintf("%s/repos/r", t);
	ck_assert_msg(start_at(p, &e) == 0, "%s", e.message);
	free(p);
	ck_assert_int_eq(start_at("/etc", &e), -1);
	ck_assert_str_eq(e.field, "repoRef.path");
	ck_assert_msg(strstr(e.message, "allowed_roots") != NULL, "%s",
	    e.message);
	ck_assert_int_eq(start_at("/nonexistent/x", &e), -1);
	ck_assert_msg(strstr(e.message, "outside the allowed roots") != NULL,
	    "%s", e.message);
	p = xasprintf("%s/repos/../wsx", t);
	ck_assert_int_eq(start_at(p, &e), -1);
	ck_assert_msg(strstr(e.message, "outside") != NULL, "%s", e.message);
	free(p);
	p = xasprintf("%s/reposx", t);
	ck_assert_int_eq(start_at(p, &e), -1);
	free(p);
	/* No roots at all: nothing is allowed. */
	strv_free(cfg->allowed_roots);
	cfg->allowed_roots = xcalloc(1, sizeof *cfg->allowed_roots);
	p = xasprintf("%s/repos/r", t);
	ck_assert_int_eq(start_at(p, &e), -1);
	free(p);

	p = xasprintf("rm -rf '%s'", t);
	ck_assert_int_eq(system(p), 0);
	free(p);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("validate");

	tc = tcase_create("start");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_minimal_defaults);
	tcase_add_test(tc, test_full_body);
	tcase_add_test(tc, test_checkout_kinds);
	tcase_add_test(tc, test_unicode_counts_characters);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_field, 0, (int)nitems(bad_cases));
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_list_limits);
	tcase_add_test(tc, test_policy_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_local_own_dirs);
	suite_add_tcase(s, tc);

	tc = tcase_create("credentials");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cred_request_env);
	tcase_add_test(tc, test_cred_process_env);
	tcase_add_test(tc, test_cred_missing);
	tcase_add_test(tc, test_env_values_never_echoed);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_body_parse);
	tcase_add_test(tc, test_hostile_start);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("actions");
	tcase_add_test(tc, test_input);
	tcase_add_test(tc, test_resize);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_approval);
	suite_add_tcase(s, tc);

	return (s);
}
