/*
 * The codex app-server driver: its argv, the handshake and its order, a
 * whole turn captured from codex-cli 0.169.0 (a command allowed, one
 * declined, usage, the final message), a second turn queued while busy,
 * failed turns, errors that fail the session, requests it refuses, and
 * hostile records.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/util.h"
#include "worker/driver.h"
#include "drvfix.h"
#include "unit.h"

/* The transcript, apart from the calls (drvfix_calls). */
struct drv_codex_log {
	char	*text;
};

static struct drv_codex_log	 lg;

/* Append to a growing string. */
static void __attribute__((format(printf, 2, 3)))
addf(char **sp, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *n;

	va_start(ap, fmt);
	ck_assert_int_ne(vasprintf(&s, fmt, ap), -1);
	va_end(ap);
	n = xasprintf("%s%s", *sp != NULL ? *sp : "", s);
	free(*sp);
	free(s);
	*sp = n;
}

#define ck_calls(want) do {						\
	char	*got_ = drvfix_take();					\
	ck_assert_str_eq(got_, want);					\
	free(got_);							\
} while (0)

static void
sink_send(const char *s, size_t len, void *arg)
{
	ck_assert_ptr_eq(arg, &lg);
	ck_assert_uint_eq(strlen(s), len);
	drvfix_logf("send %s", s);
}

static void
sink_text(const char *s, size_t len, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_gt(len, 0);
	addf(&lg.text, "%.*s", (int)len, s);
}

static void
sink_approval(const struct drv_approval *a, void *arg)
{
	char	*files = NULL;
	size_t	 i;

	(void)arg;
	ck_assert_ptr_nonnull(a->token);
	ck_assert_ptr_nonnull(a->kind);
	ck_assert_ptr_nonnull(a->summary);
	for (i = 0; a->files != NULL && a->files[i] != NULL; i++)
		addf(&files, " file=%s", a->files[i]);
	drvfix_logf("approval %s %s cmd=%s cwd=%s reason=%s summary=%s%s",
	    a->token, a->kind, a->command ? a->command : "-",
	    a->cwd ? a->cwd : "-", a->reason ? a->reason : "-", a->summary,
	    files != NULL ? files : "");
	free(files);
}

static void
sink_command(const struct drv_command *c, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(c->id);
	ck_assert_ptr_nonnull(c->command);
	if (!c->done) {
		drvfix_logf("begin %s %s cwd=%s", c->id, c->command,
		    c->cwd ? c->cwd : "-");
		return;
	}
	drvfix_logf("end %s exit=%d ms=%lld out=%.*s|", c->id,
	    c->exit_code, (long long)c->duration_ms, (int)c->outlen,
	    c->output ? c->output : "");
}

static void
sink_usage(const struct drv_usage *u, void *arg)
{
	(void)arg;
	drvfix_logf("usage %lld %lld %lld %lld %.0f",
	    (long long)u->input, (long long)u->cached_input,
	    (long long)u->output, (long long)u->reasoning, u->cost_usd);
}

static void
sink_turn(int on, const char *err, void *arg)
{
	(void)arg;
	drvfix_logf("turn %d %s", on, err != NULL ? err : "-");
}

static const struct drv_sink	sink = {
	sink_send, sink_text, sink_approval, drvfix_gone, sink_command,
	sink_usage, drvfix_message, sink_turn, drvfix_fatal, &lg
};

/* A driver as the captured session had it. */
static void *
make(int ask)
{
	struct drv_params	p;

	memset(&p, 0, sizeof p);
	p.cwd = "/work/scratch-codex/ws";
	p.model = "gpt-test";
	p.ask_exec = ask;
	return (drv_codex_ops.create(&p, &sink));
}

/* Feed one record, as JSON text. */
static void
feed(void *d, const char *s)
{
	drvfix_feed(&drv_codex_ops, d, s);
}

/* Feed n records. */
static void
feedv(void *d, const char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		feed(d, v[i]);
}

static void
setup(void)
{
	memset(&lg, 0, sizeof lg);
}

static void
teardown(void)
{
	drvfix_clear();
	free(lg.text);
	memset(&lg, 0, sizeof lg);
}

/*
 * Captured from `codex app-server` 0.169.0 against a Responses stand-in
 * (thread/status/changed, account/rateLimits/updated, null members and
 * emittedAtMs left out): the handshake's responses, turn 1 to its first
 * approval, to its second, to its end, and turn 2.
 */
static const char *const drv_codex_hs[] = {
	"{\"id\":1,\"result\":{\"userAgent\":\"runnerd/0.169.0 (Debian "
	"12.0.0; x86_64) xterm (runnerd; 0.1)\",\"codexHome\":\"/work/s"
	"cratch-codex/home/.codex\",\"platformFamily\":\"unix\",\"platf"
	"ormOs\":\"linux\"}}",
	"{\"id\":2,\"result\":{\"thread\":{\"id\":\"01a23d5e-df69-7732-"
	"9cc5-991d12934670\",\"environments\":[{\"environmentId\":\"loc"
	"al\",\"cwd\":\"/work/scratch-codex/ws\",\"runtimeWorkspaceRoot"
	"s\":[\"/work/scratch-codex/ws\"]}],\"sessionId\":\"01a23d5e-df"
	"69-7732-9cc5-991d12934670\",\"preview\":\"\",\"ephemeral\":fal"
	"se,\"historyMode\":\"paginated\",\"modelProvider\":\"runnerd\""
	",\"model\":\"gpt-test\",\"createdAt\":1796325957,\"updatedAt\""
	":1796325957,\"recencyAt\":1796325957,\"status\":{\"type\":\"id"
	"le\"},\"path\":\"/work/scratch-codex/home/.codex/sessions/2026"
	"/12/03/rollout-2026-12-03T19-25-57-01a23d5e-df69-7732-9cc5-991"
	"d12934670.jsonl\",\"cwd\":\"/work/scratch-codex/ws\",\"cliVers"
	"ion\":\"0.169.0\",\"originator\":\"runnerd\",\"source\":\"vsco"
	"de\",\"canAcceptDirectInput\":true,\"turns\":[]},\"model\":\"g"
	"pt-test\",\"modelProvider\":\"runnerd\",\"disabledPluginIds\":"
	"[],\"cwd\":\"/work/scratch-codex/ws\",\"runtimeWorkspaceRoots"
	"\":[\"/work/scratch-codex/ws\"],\"instructionSources\":[],\"ap"
	"provalPolicy\":\"untrusted\",\"approvalsReviewer\":\"user\",\""
	"sandbox\":{\"type\":\"dangerFullAccess\"},\"multiAgentMode\":"
	"\"explicitRequestOnly\"}}"
};

/* A driver started with prompt and past initialize (its calls kept). */
static void *
begun(int ask, const char *prompt)
{
	void	*d = make(ask);

	drv_codex_ops.start(d, prompt);
	feed(d, drv_codex_hs[0]);
	return (d);
}

static const char *const drv_codex_t1a[] = {
	"{\"method\":\"thread/started\",\"params\":{\"thread\":{\"id\":"
	"\"01a23d5e-df69-7732-9cc5-991d12934670\",\"environments\":[{\""
	"environmentId\":\"local\",\"cwd\":\"/work/scratch-codex/ws\","
	"\"runtimeWorkspaceRoots\":[\"/work/scratch-codex/ws\"]}],\"ses"
	"sionId\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"preview\":"
	"\"\",\"ephemeral\":false,\"historyMode\":\"paginated\",\"model"
	"Provider\":\"runnerd\",\"model\":\"gpt-test\",\"createdAt\":17"
	"96325957,\"updatedAt\":1796325957,\"recencyAt\":1796325957,\"s"
	"tatus\":{\"type\":\"idle\"},\"path\":\"/work/scratch-codex/hom"
	"e/.codex/sessions/2026/12/03/rollout-2026-12-03T19-25-57-01a23"
	"d5e-df69-7732-9cc5-991d12934670.jsonl\",\"cwd\":\"/work/scratc"
	"h-codex/ws\",\"cliVersion\":\"0.169.0\",\"originator\":\"runne"
	"rd\",\"source\":\"vscode\",\"canAcceptDirectInput\":true,\"tur"
	"ns\":[]}}}",
	"{\"method\":\"warning\",\"params\":{\"threadId\":\"01a23d5e-df"
	"69-7732-9cc5-991d12934670\",\"message\":\"Model metadata for `"
	"gpt-test` not found. Defaulting to fallback metadata; this can"
	" degrade performance and cause issues.\"}}",
	"{\"id\":3,\"result\":{\"turn\":{\"id\":\"01a23d5e-dfa3-79d3-95"
	"36-d1925d9f088e\",\"rootTurnId\":\"01a23d5e-dfa3-79d3-9536-d19"
	"25d9f088e\",\"items\":[],\"itemsView\":\"notLoaded\",\"status"
	"\":\"inProgress\"}}}",
	"{\"method\":\"turn/started\",\"params\":{\"threadId\":\"01a23d"
	"5e-df69-7732-9cc5-991d12934670\",\"turn\":{\"id\":\"01a23d5e-d"
	"fa3-79d3-9536-d1925d9f088e\",\"rootTurnId\":\"01a23d5e-dfa3-79"
	"d3-9536-d1925d9f088e\",\"items\":[],\"itemsView\":\"notLoaded"
	"\",\"status\":\"inProgress\",\"startedAt\":1796325957}}}",
	"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\""
	"userMessage\",\"id\":\"01a23d5e-dff3-7ee3-83f4-cbef9da9ffcb\","
	"\"content\":[{\"type\":\"text\",\"text\":\"run the commands\","
	"\"text_elements\":[]}],\"startedAtMs\":1796325957620},\"thread"
	"Id\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a"
	"23d5e-dfa3-79d3-9536-d1925d9f088e\",\"startedAtMs\":1796325957"
	"620}}",
	"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	"\"userMessage\",\"id\":\"01a23d5e-dff3-7ee3-83f4-cbef9da9ffcb"
	"\",\"content\":[{\"type\":\"text\",\"text\":\"run the commands"
	"\",\"text_elements\":[]}],\"startedAtMs\":1796325957620,\"comp"
	"letedAtMs\":1796325957620},\"threadId\":\"01a23d5e-df69-7732-9"
	"cc5-991d12934670\",\"turnId\":\"01a23d5e-dfa3-79d3-9536-d1925d"
	"9f088e\",\"completedAtMs\":1796325957620}}",
	"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\""
	"commandExecution\",\"id\":\"call_0\",\"command\":\"/bin/bash -"
	"lc 'echo hello-from-tool'\",\"cwd\":\"/work/scratch-codex/ws\""
	",\"source\":\"agent\",\"status\":\"inProgress\",\"commandActio"
	"ns\":[{\"type\":\"unknown\",\"command\":\"echo hello-from-tool"
	"\"}],\"startedAtMs\":1796325957756},\"threadId\":\"01a23d5e-df"
	"69-7732-9cc5-991d12934670\",\"turnId\":\"01a23d5e-dfa3-79d3-95"
	"36-d1925d9f088e\",\"startedAtMs\":1796325957756}}",
	"{\"method\":\"item/commandExecution/requestApproval\",\"id\":0"
	",\"params\":{\"kind\":\"command\",\"threadId\":\"01a23d5e-df69"
	"-7732-9cc5-991d12934670\",\"turnId\":\"01a23d5e-dfa3-79d3-9536"
	"-d1925d9f088e\",\"itemId\":\"call_0\",\"startedAtMs\":17963259"
	"57756,\"environmentId\":\"local\",\"command\":\"/bin/bash -lc "
	"'echo hello-from-tool'\",\"cwd\":\"/work/scratch-codex/ws\",\""
	"commandActions\":[{\"type\":\"unknown\",\"command\":\"echo hel"
	"lo-from-tool\"}],\"proposedExecpolicyAmendment\":[\"echo\",\"h"
	"ello-from-tool\"],\"availableDecisions\":[\"accept\",{\"accept"
	"WithExecpolicyAmendment\":{\"execpolicy_amendment\":[\"echo\","
	"\"hello-from-tool\"]}},\"cancel\"]}}"
};

static const char *const drv_codex_t1b[] = {
	"{\"method\":\"serverRequest/resolved\",\"params\":{\"threadId"
	"\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"requestId\":0}}",
	"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	"\"commandExecution\",\"id\":\"call_0\",\"command\":\"/bin/bash"
	" -lc 'echo hello-from-tool'\",\"cwd\":\"/work/scratch-codex/ws"
	"\",\"processId\":\"24800\",\"source\":\"unifiedExecStartup\","
	"\"status\":\"completed\",\"commandActions\":[{\"type\":\"unkno"
	"wn\",\"command\":\"echo hello-from-tool\"}],\"aggregatedOutput"
	"\":\"hello-from-tool\\n\",\"exitCode\":0,\"durationMs\":0,\"st"
	"artedAtMs\":1796325957756,\"completedAtMs\":1796325957821},\"t"
	"hreadId\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":"
	"\"01a23d5e-dfa3-79d3-9536-d1925d9f088e\",\"completedAtMs\":179"
	"6325957821}}",
	"{\"method\":\"thread/tokenUsage/updated\",\"params\":{\"thread"
	"Id\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a"
	"23d5e-dfa3-79d3-9536-d1925d9f088e\",\"tokenUsage\":{\"total\":"
	"{\"totalTokens\":120,\"inputTokens\":100,\"cachedInputTokens\""
	":40,\"cacheWriteInputTokens\":0,\"outputTokens\":20,\"reasonin"
	"gOutputTokens\":5},\"last\":{\"totalTokens\":120,\"inputTokens"
	"\":100,\"cachedInputTokens\":40,\"cacheWriteInputTokens\":0,\""
	"outputTokens\":20,\"reasoningOutputTokens\":5},\"modelContextW"
	"indow\":258400}}}",
	"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\""
	"commandExecution\",\"id\":\"call_1\",\"command\":\"/bin/bash -"
	"lc 'touch declined.txt'\",\"cwd\":\"/work/scratch-codex/ws\","
	"\"source\":\"agent\",\"status\":\"inProgress\",\"commandAction"
	"s\":[{\"type\":\"unknown\",\"command\":\"touch declined.txt\"}"
	"],\"startedAtMs\":1796325957887},\"threadId\":\"01a23d5e-df69-"
	"7732-9cc5-991d12934670\",\"turnId\":\"01a23d5e-dfa3-79d3-9536-"
	"d1925d9f088e\",\"startedAtMs\":1796325957887}}",
	"{\"method\":\"item/commandExecution/requestApproval\",\"id\":1"
	",\"params\":{\"kind\":\"command\",\"threadId\":\"01a23d5e-df69"
	"-7732-9cc5-991d12934670\",\"turnId\":\"01a23d5e-dfa3-79d3-9536"
	"-d1925d9f088e\",\"itemId\":\"call_1\",\"startedAtMs\":17963259"
	"57887,\"environmentId\":\"local\",\"command\":\"/bin/bash -lc "
	"'touch declined.txt'\",\"cwd\":\"/work/scratch-codex/ws\",\"co"
	"mmandActions\":[{\"type\":\"unknown\",\"command\":\"touch decl"
	"ined.txt\"}],\"proposedExecpolicyAmendment\":[\"touch\",\"decl"
	"ined.txt\"],\"availableDecisions\":[\"accept\",{\"acceptWithEx"
	"ecpolicyAmendment\":{\"execpolicy_amendment\":[\"touch\",\"dec"
	"lined.txt\"]}},\"cancel\"]}}"
};

static const char *const drv_codex_t1c[] = {
	"{\"method\":\"serverRequest/resolved\",\"params\":{\"threadId"
	"\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"requestId\":1}}",
	"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	"\"commandExecution\",\"id\":\"call_1\",\"command\":\"/bin/bash"
	" -lc 'touch declined.txt'\",\"cwd\":\"/work/scratch-codex/ws\""
	",\"source\":\"agent\",\"status\":\"declined\",\"commandActions"
	"\":[{\"type\":\"unknown\",\"command\":\"touch declined.txt\"}]"
	",\"startedAtMs\":1796325957887,\"completedAtMs\":1796325957888"
	"},\"threadId\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turn"
	"Id\":\"01a23d5e-dfa3-79d3-9536-d1925d9f088e\",\"completedAtMs"
	"\":1796325957888}}",
	"{\"method\":\"thread/tokenUsage/updated\",\"params\":{\"thread"
	"Id\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a"
	"23d5e-dfa3-79d3-9536-d1925d9f088e\",\"tokenUsage\":{\"total\":"
	"{\"totalTokens\":240,\"inputTokens\":200,\"cachedInputTokens\""
	":80,\"cacheWriteInputTokens\":0,\"outputTokens\":40,\"reasonin"
	"gOutputTokens\":10},\"last\":{\"totalTokens\":120,\"inputToken"
	"s\":100,\"cachedInputTokens\":40,\"cacheWriteInputTokens\":0,"
	"\"outputTokens\":20,\"reasoningOutputTokens\":5},\"modelContex"
	"tWindow\":258400}}}",
	"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\""
	"agentMessage\",\"id\":\"msg_2\",\"text\":\"\",\"startedAtMs\":"
	"1796325957930},\"threadId\":\"01a23d5e-df69-7732-9cc5-991d1293"
	"4670\",\"turnId\":\"01a23d5e-dfa3-79d3-9536-d1925d9f088e\",\"s"
	"tartedAtMs\":1796325957930}}",
	"{\"method\":\"item/agentMessage/delta\",\"params\":{\"threadId"
	"\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a23"
	"d5e-dfa3-79d3-9536-d1925d9f088e\",\"itemId\":\"msg_2\",\"delta"
	"\":\"All \"}}",
	"{\"method\":\"item/agentMessage/delta\",\"params\":{\"threadId"
	"\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a23"
	"d5e-dfa3-79d3-9536-d1925d9f088e\",\"itemId\":\"msg_2\",\"delta"
	"\":\"done.\"}}",
	"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	"\"agentMessage\",\"id\":\"msg_2\",\"text\":\"All done.\",\"sta"
	"rtedAtMs\":1796325957930,\"completedAtMs\":1796325957931},\"th"
	"readId\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":"
	"\"01a23d5e-dfa3-79d3-9536-d1925d9f088e\",\"completedAtMs\":179"
	"6325957931}}",
	"{\"method\":\"thread/tokenUsage/updated\",\"params\":{\"thread"
	"Id\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a"
	"23d5e-dfa3-79d3-9536-d1925d9f088e\",\"tokenUsage\":{\"total\":"
	"{\"totalTokens\":360,\"inputTokens\":300,\"cachedInputTokens\""
	":120,\"cacheWriteInputTokens\":0,\"outputTokens\":60,\"reasoni"
	"ngOutputTokens\":15},\"last\":{\"totalTokens\":120,\"inputToke"
	"ns\":100,\"cachedInputTokens\":40,\"cacheWriteInputTokens\":0,"
	"\"outputTokens\":20,\"reasoningOutputTokens\":5},\"modelContex"
	"tWindow\":258400}}}",
	"{\"method\":\"turn/completed\",\"params\":{\"threadId\":\"01a2"
	"3d5e-df69-7732-9cc5-991d12934670\",\"turn\":{\"id\":\"01a23d5e"
	"-dfa3-79d3-9536-d1925d9f088e\",\"rootTurnId\":\"01a23d5e-dfa3-"
	"79d3-9536-d1925d9f088e\",\"items\":[{\"type\":\"agentMessage\""
	",\"id\":\"msg_2\",\"text\":\"All done.\",\"startedAtMs\":17963"
	"25957930,\"completedAtMs\":1796325957931}],\"itemsView\":\"sum"
	"mary\",\"status\":\"completed\",\"startedAt\":1796325957,\"com"
	"pletedAt\":1796325957,\"durationMs\":400}}}",
	"{\"method\":\"warning\",\"params\":{\"threadId\":\"01a23d5e-df"
	"69-7732-9cc5-991d12934670\",\"message\":\"Model metadata for `"
	"gpt-test` not found. Defaulting to fallback metadata; this can"
	" degrade performance and cause issues.\"}}"
};

static const char *const drv_codex_t2[] = {
	"{\"id\":4,\"result\":{\"turn\":{\"id\":\"01a23d5e-e149-70e0-8d"
	"95-ca73a8b2da53\",\"rootTurnId\":\"01a23d5e-e149-70e0-8d95-ca7"
	"3a8b2da53\",\"items\":[],\"itemsView\":\"notLoaded\",\"status"
	"\":\"inProgress\"}}}",
	"{\"method\":\"turn/started\",\"params\":{\"threadId\":\"01a23d"
	"5e-df69-7732-9cc5-991d12934670\",\"turn\":{\"id\":\"01a23d5e-e"
	"149-70e0-8d95-ca73a8b2da53\",\"rootTurnId\":\"01a23d5e-e149-70"
	"e0-8d95-ca73a8b2da53\",\"items\":[],\"itemsView\":\"notLoaded"
	"\",\"status\":\"inProgress\",\"startedAt\":1796325957}}}",
	"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\""
	"userMessage\",\"id\":\"01a23d5e-e160-7371-b3a1-977537212fae\","
	"\"content\":[{\"type\":\"text\",\"text\":\"second\",\"text_ele"
	"ments\":[]}],\"startedAtMs\":1796325957986},\"threadId\":\"01a"
	"23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a23d5e-e149"
	"-70e0-8d95-ca73a8b2da53\",\"startedAtMs\":1796325957986}}",
	"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	"\"userMessage\",\"id\":\"01a23d5e-e160-7371-b3a1-977537212fae"
	"\",\"content\":[{\"type\":\"text\",\"text\":\"second\",\"text_"
	"elements\":[]}],\"startedAtMs\":1796325957986,\"completedAtMs"
	"\":1796325957986},\"threadId\":\"01a23d5e-df69-7732-9cc5-991d1"
	"2934670\",\"turnId\":\"01a23d5e-e149-70e0-8d95-ca73a8b2da53\","
	"\"completedAtMs\":1796325957986}}",
	"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\""
	"agentMessage\",\"id\":\"msg_0\",\"text\":\"\",\"startedAtMs\":"
	"1796325958033},\"threadId\":\"01a23d5e-df69-7732-9cc5-991d1293"
	"4670\",\"turnId\":\"01a23d5e-e149-70e0-8d95-ca73a8b2da53\",\"s"
	"tartedAtMs\":1796325958033}}",
	"{\"method\":\"item/agentMessage/delta\",\"params\":{\"threadId"
	"\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a23"
	"d5e-e149-70e0-8d95-ca73a8b2da53\",\"itemId\":\"msg_0\",\"delta"
	"\":\"seco\"}}",
	"{\"method\":\"item/agentMessage/delta\",\"params\":{\"threadId"
	"\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a23"
	"d5e-e149-70e0-8d95-ca73a8b2da53\",\"itemId\":\"msg_0\",\"delta"
	"\":\"nd answer\"}}",
	"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	"\"agentMessage\",\"id\":\"msg_0\",\"text\":\"second answer\","
	"\"startedAtMs\":1796325958033,\"completedAtMs\":1796325958035}"
	",\"threadId\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnI"
	"d\":\"01a23d5e-e149-70e0-8d95-ca73a8b2da53\",\"completedAtMs\""
	":1796325958035}}",
	"{\"method\":\"thread/tokenUsage/updated\",\"params\":{\"thread"
	"Id\":\"01a23d5e-df69-7732-9cc5-991d12934670\",\"turnId\":\"01a"
	"23d5e-e149-70e0-8d95-ca73a8b2da53\",\"tokenUsage\":{\"total\":"
	"{\"totalTokens\":480,\"inputTokens\":400,\"cachedInputTokens\""
	":160,\"cacheWriteInputTokens\":0,\"outputTokens\":80,\"reasoni"
	"ngOutputTokens\":20},\"last\":{\"totalTokens\":120,\"inputToke"
	"ns\":100,\"cachedInputTokens\":40,\"cacheWriteInputTokens\":0,"
	"\"outputTokens\":20,\"reasoningOutputTokens\":5},\"modelContex"
	"tWindow\":258400}}}",
	"{\"method\":\"turn/completed\",\"params\":{\"threadId\":\"01a2"
	"3d5e-df69-7732-9cc5-991d12934670\",\"turn\":{\"id\":\"01a23d5e"
	"-e149-70e0-8d95-ca73a8b2da53\",\"rootTurnId\":\"01a23d5e-e149-"
	"70e0-8d95-ca73a8b2da53\",\"items\":[{\"type\":\"agentMessage\""
	",\"id\":\"msg_0\",\"text\":\"second answer\",\"startedAtMs\":1"
	"796325958033,\"completedAtMs\":1796325958035}],\"itemsView\":"
	"\"summary\",\"status\":\"completed\",\"startedAt\":1796325957,"
	"\"completedAt\":1796325958,\"durationMs\":78}}}"
};
/* An apply_patch from the same capture: the item, its approval, its end. */
static const char *const drv_codex_patch[] = {
	"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\""
	"fileChange\",\"id\":\"call_0\",\"changes\":[{\"path\":\"/work/"
	"scratch-codex/ws6/hello.txt\",\"kind\":{\"type\":\"add\"},\"di"
	"ff\":\"hello\\n\"}],\"status\":\"inProgress\",\"startedAtMs\":"
	"1796326637167,\"completedAtMs\":null},\"threadId\":\"01a23d69-"
	"3db2-71a0-94b1-5679f4984b13\",\"turnId\":\"01a23d69-3dcb-7ff1-"
	"9333-b527f63b63a2\",\"startedAtMs\":1796326637167}}",
	"{\"method\":\"item/fileChange/requestApproval\",\"id\":0,\"par"
	"ams\":{\"threadId\":\"01a23d69-3db2-71a0-94b1-5679f4984b13\","
	"\"turnId\":\"01a23d69-3dcb-7ff1-9333-b527f63b63a2\",\"itemId\""
	":\"call_0\",\"startedAtMs\":1796326637175,\"reason\":null,\"gr"
	"antRoot\":null}}",
	"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	"\"fileChange\",\"id\":\"call_0\",\"changes\":[{\"path\":\"/wor"
	"k/scratch-codex/ws6/hello.txt\",\"kind\":{\"type\":\"add\"},\""
	"diff\":\"hello\\n\"}],\"status\":\"completed\",\"startedAtMs\""
	":1796326637167,\"completedAtMs\":1796326637176},\"threadId\":"
	"\"01a23d69-3db2-71a0-94b1-5679f4984b13\",\"turnId\":\"01a23d69"
	"-3dcb-7ff1-9333-b527f63b63a2\",\"contentTokenCount\":null,\"co"
	"mpletedAtMs\":1796326637176}}"
};

#define TID	"01a23d5e-df69-7732-9cc5-991d12934670"
#define CWD	"/work/scratch-codex/ws"
#define CMD0	"/bin/bash -lc 'echo hello-from-tool'"
#define CMD1	"/bin/bash -lc 'touch declined.txt'"
#define WARN	"codex: warning: Model metadata for `gpt-test` not found. " \
	"Defaulting to fallback metadata; this can degrade performance and " \
	"cause issues.\n"

/* The whole argv: sandbox off, no update check, model, endpoint, extras. */
START_TEST(test_argv)
{
	static char *const	 extra[] = { "-c", "x=1", NULL };
	static const char *const want[] = {
		"/bin/codex", "app-server",
		"-c", "sandbox_mode=\"danger-full-access\"",
		"-c", "check_for_update_on_startup=false",
		"-c", "analytics.enabled=false",
		"-c", "model=\"gpt-\\\"5\\\\\\u000a\"",
		"-c", "model_provider=\"runnerd\"",
		"-c", "model_providers.runnerd.name=\"runnerd\"",
		"-c", "model_providers.runnerd.wire_api=\"responses\"",
		"-c", "model_providers.runnerd.env_key=\"OPENAI_API_KEY\"",
		"-c", "model_providers.runnerd.supports_websockets=false",
		"-c", "model_providers.runnerd.base_url="
		    "\"http://127.0.0.1:9/v1\"",
		"-c", "x=1", NULL
	};
	struct drv_params	 p;
	char			**v;
	size_t			 i;

	memset(&p, 0, sizeof p);
	p.cwd = "/ws";
	p.model = "gpt-\"5\\\n";
	p.base_url = "http://127.0.0.1:9/v1";
	p.extra_args = extra;
	v = drv_codex_ops.argv("/bin/codex", &p);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_ptr_nonnull(v[i]);
		ck_assert_str_eq(v[i], want[i]);
	}
	ck_assert_ptr_null(v[i]);
	strv_free(v);

	/* No endpoint, no model: codex's own provider and default model. */
	memset(&p, 0, sizeof p);
	v = drv_codex_ops.argv("codex", &p);
	ck_assert_uint_eq(strv_len(v), 8);
	ck_assert_str_eq(v[7], "analytics.enabled=false");
	strv_free(v);
}
END_TEST

/* initialize first; initialized and thread/start only after its answer. */
START_TEST(test_handshake)
{
	void	*d = make(0);

	ck_assert_int_eq(drv_codex_ops.busy(d), 0);
	drv_codex_ops.start(d, "hi");
	ck_calls("send {\"id\":1,\"method\":\"initialize\",\"params\":"
	    "{\"clientInfo\":{\"name\":\"runnerd\",\"version\":\""
	    PACKAGE_VERSION "\"}}}\n");
	ck_assert_int_eq(drv_codex_ops.busy(d), 1);

	/* Input before the thread exists waits behind the prompt. */
	drv_codex_ops.input(d, "later");
	ck_calls("");
	/* A response to nothing we asked changes nothing. */
	feed(d, "{\"id\":77,\"result\":{}}");
	feed(d, "{\"id\":\"1\",\"result\":{}}");
	ck_calls("");

	feed(d, drv_codex_hs[0]);
	ck_calls("send {\"method\":\"initialized\"}\n"
	    "send {\"id\":2,\"method\":\"thread/start\",\"params\":{\"cwd\":\""
	    CWD "\",\"approvalPolicy\":\"never\",\"sandbox\":"
	    "\"danger-full-access\",\"model\":\"gpt-test\"}}\n");
	feed(d, drv_codex_hs[1]);
	ck_calls("send {\"id\":3,\"method\":\"turn/start\",\"params\":"
	    "{\"threadId\":\"" TID "\",\"input\":[{\"type\":\"text\","
	    "\"text\":\"hi\"}]}}\n");
	/* A second start is ignored. */
	drv_codex_ops.start(d, "again");
	ck_calls("");
	drv_codex_ops.free(d);
}
END_TEST

/* The captured session: approvals both ways, commands, usage, turns. */
START_TEST(test_session)
{
	void	*d = begun(1, "run the commands");
	char	*got = drvfix_take();

	ck_assert_ptr_nonnull(strstr(got, "\"approvalPolicy\":\"untrusted\""));
	free(got);
	feed(d, drv_codex_hs[1]);
	free(drvfix_take());

	feedv(d, drv_codex_t1a, nitems(drv_codex_t1a));
	ck_calls("turn 1 -\n"
	    "begin call_0 " CMD0 " cwd=" CWD "\n"
	    "approval 0 exec cmd=" CMD0 " cwd=" CWD " reason=- summary=run "
	    CMD0 "\n");
	drv_codex_ops.answer(d, "0", 1, NULL);
	ck_calls("send {\"id\":0,\"result\":{\"decision\":\"accept\"}}\n");
	/* Answered once: a second answer sends nothing. */
	drv_codex_ops.answer(d, "0", 0, NULL);
	ck_calls("");

	feedv(d, drv_codex_t1b, nitems(drv_codex_t1b));
	ck_calls("end call_0 exit=0 ms=0 out=hello-from-tool\n|\n"
	    "usage 100 40 20 5 -1\n"
	    "begin call_1 " CMD1 " cwd=" CWD "\n"
	    "approval 1 exec cmd=" CMD1 " cwd=" CWD " reason=- summary=run "
	    CMD1 "\n");
	drv_codex_ops.answer(d, "1", 0, "not that");
	ck_calls("send {\"id\":1,\"result\":{\"decision\":\"decline\"}}\n");

	/* Input while the turn runs waits for turn/completed. */
	drv_codex_ops.input(d, "second");
	ck_calls("");
	ck_assert_int_eq(drv_codex_ops.busy(d), 1);

	feedv(d, drv_codex_t1c, nitems(drv_codex_t1c));
	ck_calls("end call_1 exit=-1 ms=-1 out=|\n"
	    "usage 200 80 40 10 -1\n"
	    "message All done.\n"
	    "usage 300 120 60 15 -1\n"
	    "turn 0 -\n"
	    "send {\"id\":4,\"method\":\"turn/start\",\"params\":"
	    "{\"threadId\":\"" TID "\",\"input\":[{\"type\":\"text\","
	    "\"text\":\"second\"}]}}\n");
	ck_assert_int_eq(drv_codex_ops.busy(d), 1);

	feedv(d, drv_codex_t2, nitems(drv_codex_t2));
	ck_calls("turn 1 -\n"
	    "message second answer\n"
	    "usage 400 160 80 20 -1\n"
	    "turn 0 -\n");
	ck_assert_int_eq(drv_codex_ops.busy(d), 0);

	/* The transcript: commands, output, and each message once. */
	ck_assert_str_eq(lg.text, WARN
	    "$ " CMD0 "\nhello-from-tool\n"
	    "$ " CMD1 "\n(declined)\n"
	    "All done.\n" WARN "second answer\n");
	drv_codex_ops.free(d);
}
END_TEST

/* A started driver past the handshake, its calls forgotten. */
static void *
ready(void)
{
	void	*d = begun(1, "go");

	feed(d, drv_codex_hs[1]);
	free(drvfix_take());
	return (d);
}

/* A failed turn ends with codex's error; interrupted says so. */
START_TEST(test_failed_turn)
{
	void	*d = ready();

	feed(d, "{\"method\":\"turn/started\",\"params\":{\"threadId\":\""
	    TID "\",\"turn\":{\"id\":\"t1\",\"items\":[],\"status\":"
	    "\"inProgress\"}}}");
	feed(d, "{\"method\":\"error\",\"params\":{\"threadId\":\"" TID "\","
	    "\"turnId\":\"t1\",\"willRetry\":false,\"error\":{\"message\":"
	    "\"stream disconnected\"}}}");
	/* As 0.169 says it while the endpoint is down. */
	feed(d, "{\"method\":\"error\",\"params\":{\"error\":{\"message\":"
	    "\"Reconnecting... waiting for network\",\"codexErrorInfo\":"
	    "{\"responseStreamDisconnected\":{\"httpStatusCode\":null}},"
	    "\"additionalDetails\":\"Connection failed: error sending "
	    "request\",\"misalignment\":null},\"willRetry\":true,"
	    "\"threadId\":\"" TID "\",\"turnId\":\"t1\"}}");
	/* Another thread's turn is not ours. */
	feed(d, "{\"method\":\"turn/completed\",\"params\":{\"threadId\":"
	    "\"other\",\"turn\":{\"id\":\"t9\",\"items\":[],\"status\":"
	    "\"completed\"}}}");
	ck_assert_int_eq(drv_codex_ops.busy(d), 1);
	feed(d, "{\"method\":\"turn/completed\",\"params\":{\"threadId\":\""
	    TID "\",\"turn\":{\"id\":\"t1\",\"items\":[],\"status\":"
	    "\"failed\",\"error\":null}}}");
	ck_calls("turn 1 -\n"
	    "turn 0 turn failed: Reconnecting... waiting for network\n");
	ck_assert_int_eq(drv_codex_ops.busy(d), 0);
	ck_assert_str_eq(lg.text, "codex: error: stream disconnected\n"
	    "codex: retrying: Reconnecting... waiting for network (Connection "
	    "failed: error sending request)\n"
	    "codex: turn failed: Reconnecting... waiting for network\n");

	drv_codex_ops.input(d, "more");
	free(drvfix_take());
	feed(d, "{\"method\":\"turn/completed\",\"params\":{\"threadId\":\""
	    TID "\",\"turn\":{\"id\":\"t2\",\"items\":[],\"status\":"
	    "\"interrupted\",\"error\":{\"message\":\"stopped\"}}}}");
	ck_calls("turn 0 turn interrupted: stopped\n");
	drv_codex_ops.free(d);
}
END_TEST

/* An error response to the handshake or a turn fails the session once. */
START_TEST(test_fatal)
{
	void	*d = begun(0, "go");

	free(drvfix_take());
	feed(d, "{\"id\":2,\"error\":{\"code\":-32600,\"message\":"
	    "\"invalid cwd\"}}");
	ck_calls("fatal codex: thread/start failed: invalid cwd\n");
	/* Dead: records and calls do nothing more. */
	feed(d, drv_codex_hs[1]);
	drv_codex_ops.input(d, "x");
	feed(d, drv_codex_t1a[7]);
	ck_calls("");
	drv_codex_ops.free(d);

	d = make(0);
	drv_codex_ops.start(d, "go");
	feed(d, "{\"id\":1,\"error\":{\"code\":1}}");
	ck_calls("send {\"id\":1,\"method\":\"initialize\",\"params\":"
	    "{\"clientInfo\":{\"name\":\"runnerd\",\"version\":\""
	    PACKAGE_VERSION "\"}}}\n"
	    "fatal codex: initialize failed: no message\n");
	drv_codex_ops.free(d);

	d = ready();
	feed(d, "{\"id\":3,\"error\":{\"code\":-1,\"message\":\"busy\"}}");
	ck_calls("fatal codex: turn/start failed: busy\n");
	drv_codex_ops.free(d);

	/* A thread/start answer without a thread id. */
	d = begun(0, "go");
	free(drvfix_take());
	feed(d, "{\"id\":2,\"result\":{\"thread\":{\"id\":7}}}");
	ck_calls("fatal codex: thread/start gave no thread id\n");
	drv_codex_ops.free(d);
}
END_TEST

/* Requests runnerd does not answer get an error response at once. */
START_TEST(test_refuse)
{
	void	*d = ready();

	feed(d, "{\"method\":\"item/tool/requestUserInput\",\"id\":\"q1\","
	    "\"params\":{\"questions\":[]}}");
	feed(d, "{\"method\":\"mcpServer/elicitation/request\",\"id\":5}");
	feed(d, "{\"method\":\"execCommandApproval\",\"id\":6,\"params\":"
	    "{\"command\":[\"ls\"]}}");
	ck_calls("send {\"id\":\"q1\",\"error\":{\"code\":-32601,\"message\":"
	    "\"runnerd does not answer this request\"}}\n"
	    "send {\"id\":5,\"error\":{\"code\":-32601,\"message\":"
	    "\"runnerd does not answer this request\"}}\n"
	    "send {\"id\":6,\"error\":{\"code\":-32601,\"message\":"
	    "\"runnerd does not answer this request\"}}\n");
	ck_assert_str_eq(lg.text, "codex: refused item/tool/requestUserInput: "
	    "runnerd does not answer this request\n"
	    "codex: refused mcpServer/elicitation/request: runnerd does not "
	    "answer this request\n"
	    "codex: refused execCommandApproval: runnerd does not answer "
	    "this request\n");
	drv_codex_ops.free(d);
}
END_TEST

/* A real apply_patch: its approval names the item's files. */
START_TEST(test_patch_live)
{
	void	*d = ready();

	feedv(d, drv_codex_patch, 2);
	ck_calls("approval 0 patch cmd=- cwd=- reason=- summary=edit "
	    "/work/scratch-codex/ws6/hello.txt "
	    "file=/work/scratch-codex/ws6/hello.txt\n");
	drv_codex_ops.answer(d, "0", 1, NULL);
	ck_calls("send {\"id\":0,\"result\":{\"decision\":\"accept\"}}\n");
	feed(d, drv_codex_patch[2]);
	ck_calls("");
	ck_assert_str_eq(lg.text, "edited /work/scratch-codex/ws6/hello.txt\n");
	drv_codex_ops.free(d);
}
END_TEST

/* Patches: files from the item; string ids; codex settling by itself. */
START_TEST(test_patch)
{
	void	*d = ready();

	feed(d, "{\"method\":\"item/started\",\"params\":{\"threadId\":\"" TID
	    "\",\"turnId\":\"t\",\"startedAtMs\":1,\"item\":{\"type\":"
	    "\"fileChange\",\"id\":\"p1\",\"status\":\"inProgress\","
	    "\"changes\":[{\"path\":\"a.c\",\"kind\":{\"type\":\"update\"},"
	    "\"diff\":\"\"},{\"path\":\"b.c\",\"kind\":{\"type\":\"add\"},"
	    "\"diff\":\"\"}]}}}");
	feed(d, "{\"method\":\"item/fileChange/requestApproval\",\"id\":"
	    "\"r-1\",\"params\":{\"threadId\":\"" TID "\",\"turnId\":\"t\","
	    "\"itemId\":\"p1\",\"startedAtMs\":1,\"reason\":\"needs it\"}}");
	ck_calls("approval \"r-1\" patch cmd=- cwd=- reason=needs it "
	    "summary=edit a.c and 1 more file=a.c file=b.c\n");
	/* The same id again while held is refused, not held twice. */
	feed(d, "{\"method\":\"item/fileChange/requestApproval\",\"id\":"
	    "\"r-1\",\"params\":{}}");
	ck_calls("send {\"id\":\"r-1\",\"error\":{\"code\":-32601,"
	    "\"message\":\"request id already pending\"}}\n");
	drv_codex_ops.answer(d, "\"r-1\"", 1, NULL);
	ck_calls("send {\"id\":\"r-1\",\"result\":{\"decision\":\"accept\"}}\n");
	feed(d, "{\"method\":\"item/completed\",\"params\":{\"threadId\":\"" TID
	    "\",\"turnId\":\"t\",\"item\":{\"type\":\"fileChange\",\"id\":"
	    "\"p1\",\"status\":\"completed\",\"changes\":[{\"path\":\"a.c\","
	    "\"kind\":{\"type\":\"update\"},\"diff\":\"\"}]}}}");
	ck_assert_str_eq(lg.text, "codex: refused item/fileChange/"
	    "requestApproval: request id already pending\nedited a.c\n");

	/* An approval for an unknown item; then codex resolves it itself. */
	feed(d, "{\"method\":\"item/fileChange/requestApproval\",\"id\":9,"
	    "\"params\":{\"itemId\":\"nope\"}}");
	feed(d, "{\"method\":\"serverRequest/resolved\",\"params\":{"
	    "\"threadId\":\"" TID "\",\"requestId\":\"9\"}}");
	feed(d, "{\"method\":\"serverRequest/resolved\",\"params\":{"
	    "\"threadId\":\"" TID "\",\"requestId\":9}}");
	ck_calls("approval 9 patch cmd=- cwd=- reason=- summary=edit files\n"
	    "gone 9\n");
	drv_codex_ops.answer(d, "9", 1, NULL);
	ck_calls("");

	/* A network approval; the driver is freed with it held. */
	feed(d, "{\"method\":\"item/commandExecution/requestApproval\",\"id\":"
	    "10,\"params\":{\"command\":\"curl x\",\"reason\":\"net\","
	    "\"networkApprovalContext\":{\"host\":\"x.org\",\"protocol\":"
	    "\"https\"}}}");
	ck_calls("approval 10 network cmd=curl x cwd=- reason=net "
	    "summary=network access to x.org\n");
	drv_codex_ops.free(d);
}
END_TEST

/* Records of every wrong shape: ignored, no NULL to the sink, no leak. */
START_TEST(test_hostile)
{
	static const char *const bad[] = {
		"[]", "\"x\"", "42", "null", "{}",
		"{\"method\":7}",
		"{\"method\":null,\"id\":1}",
		"{\"id\":{\"a\":1},\"method\":\"item/fileChange/requestApproval\"}",
		"{\"id\":1.5,\"result\":{}}",
		"{\"id\":true,\"method\":\"x\"}",
		"{\"method\":\"no/such/method\",\"params\":{}}",
		"{\"method\":\"item/started\"}",
		"{\"method\":\"item/started\",\"params\":\"x\"}",
		"{\"method\":\"item/started\",\"params\":{\"item\":[]}}",
		"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":5}}}",
		"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
		    "\"agentMessage\",\"text\":3}}}",
		"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
		    "\"fileChange\",\"changes\":{\"a\":1}}}}",
		"{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
		    "\"fileChange\",\"changes\":[1,{\"path\":[]}]}}}",
		"{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":"
		    "\"fileChange\",\"id\":\"f\",\"changes\":[{}]}}}",
		"{\"method\":\"item/agentMessage/delta\",\"params\":{\"delta\":"
		    "null}}",
		"{\"method\":\"thread/tokenUsage/updated\",\"params\":{"
		    "\"tokenUsage\":{\"total\":[]}}}",
		"{\"method\":\"thread/tokenUsage/updated\",\"params\":{"
		    "\"tokenUsage\":7}}",
		"{\"method\":\"error\",\"params\":{\"error\":\"x\"}}",
		"{\"method\":\"warning\",\"params\":{\"message\":{}}}",
		"{\"method\":\"serverRequest/resolved\",\"params\":{"
		    "\"requestId\":[1]}}",
		"{\"method\":\"serverRequest/resolved\",\"params\":{}}",
	};
	void	*d = ready();
	char	*huge, *rec, *got;
	size_t	 i;

	for (i = 0; i < nitems(bad); i++)
		feed(d, bad[i]);
	ck_calls("");
	ck_assert_ptr_null(lg.text);

	/* Wrong member types: defaults, never NULL strings. */
	feed(d, "{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":"
	    "\"commandExecution\",\"id\":1,\"command\":[\"ls\"]}}}");
	feed(d, "{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	    "\"commandExecution\",\"id\":\"c\",\"command\":\"ls\",\"exitCode\":"
	    "\"0\",\"durationMs\":{},\"aggregatedOutput\":5}}}");
	feed(d, "{\"method\":\"thread/tokenUsage/updated\",\"params\":{"
	    "\"tokenUsage\":{\"total\":{\"inputTokens\":\"9\","
	    "\"outputTokens\":3}}}}");
	feed(d, "{\"method\":\"item/commandExecution/requestApproval\",\"id\":"
	    "3,\"params\":[]}");
	feed(d, "{\"method\":\"turn/completed\"}");
	/* An exit code past int's range is unknown; a failing one shown. */
	feed(d, "{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	    "\"commandExecution\",\"id\":\"f\",\"command\":\"x\",\"exitCode\":"
	    "4294967297}}}");
	feed(d, "{\"method\":\"item/completed\",\"params\":{\"item\":{\"type\":"
	    "\"commandExecution\",\"id\":\"e\",\"command\":\"false\","
	    "\"exitCode\":2,\"durationMs\":5,\"aggregatedOutput\":\"oops\"}}}");
	ck_calls("begin   cwd=-\n"
	    "end c exit=-1 ms=-1 out=|\n"
	    "usage -1 -1 3 -1 -1\n"
	    "approval 3 exec cmd=- cwd=- reason=- summary=run a command\n"
	    "turn 0 -\n"
	    "end f exit=-1 ms=-1 out=|\n"
	    "end e exit=2 ms=5 out=oops|\n");
	ck_assert_str_eq(lg.text, "$ \noops\n(exit 2)\n");

	/* A huge command: passed whole, its summary cut. */
	huge = xmalloc(1 << 20);
	memset(huge, 'a', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	rec = xasprintf("{\"method\":\"item/commandExecution/requestApproval\","
	    "\"id\":4,\"params\":{\"command\":\"%s\"}}", huge);
	feed(d, rec);
	got = drvfix_take();
	ck_assert_uint_gt(strlen(got), 1 << 20);
	ck_assert_ptr_nonnull(strstr(got, " summary=run aaaa"));
	ck_assert_uint_lt(strlen(strstr(got, " summary=")), 220);
	free(got);
	free(rec);
	free(huge);

	/* A flood of approvals: held up to the limit, then refused. */
	for (i = 100; i < 400; i++) {
		rec = xasprintf("{\"method\":\"item/commandExecution/"
		    "requestApproval\",\"id\":%zu,\"params\":{}}", i);
		feed(d, rec);
		free(rec);
	}
	got = drvfix_take();
	ck_assert_ptr_nonnull(strstr(got, "approval 353 exec"));
	ck_assert_ptr_null(strstr(got, "approval 354 exec"));
	ck_assert_ptr_nonnull(strstr(got, "send {\"id\":354,\"error\":"
	    "{\"code\":-32601,\"message\":\"too many approvals pending\"}}"));
	free(got);

	/* Answers to tokens that name nothing. */
	drv_codex_ops.answer(d, "nope", 1, NULL);
	drv_codex_ops.answer(d, NULL, 1, NULL);
	ck_calls("");
	drv_codex_ops.free(d);
	drv_codex_ops.free(NULL);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("drv_codex");
	tc = tcase_create("drv_codex");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_argv);
	tcase_add_test(tc, test_handshake);
	tcase_add_test(tc, test_session);
	tcase_add_test(tc, test_failed_turn);
	tcase_add_test(tc, test_fatal);
	tcase_add_test(tc, test_refuse);
	tcase_add_test(tc, test_patch_live);
	tcase_add_test(tc, test_patch);
	tcase_add_test(tc, test_hostile);
	suite_add_tcase(s, tc);
	return (s);
}
