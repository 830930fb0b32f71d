/*
 * The claude stream-json driver, fed records as Claude Code 2.1.331 wrote
 * them against a Messages API stand-in (trimmed of fields it ignores):
 * the argv, the first messages, a Bash command allowed and one denied
 * through can_use_tool, an edit, usage over two turns, a message sent while
 * a turn runs, an error result, the control requests it refuses, and
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

static void	*drv;

static void
sink_send(const char *s, size_t len, void *arg)
{
	ck_assert_ptr_eq(arg, &drv);
	ck_assert_uint_eq(strlen(s), len);
	drvfix_logf("send %s", s);
}

static void
sink_text(const char *s, size_t len, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(s);
	drvfix_logf("text %.*s", (int)len, s);
}

static void
sink_approval(const struct drv_approval *a, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(a->token);
	ck_assert_ptr_nonnull(a->kind);
	ck_assert_ptr_nonnull(a->summary);
	drvfix_logf("approval %s %s cmd=%s cwd=%s tool=%s file=%s reason=%s "
	    "| %s",
	    a->token, a->kind, a->command ? a->command : "-",
	    a->cwd ? a->cwd : "-", a->tool ? a->tool : "-",
	    a->files ? a->files[0] : "-", a->reason ? a->reason : "-",
	    a->summary);
}

static void
sink_command(const struct drv_command *c, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(c->id);
	ck_assert_ptr_nonnull(c->command);
	if (!c->done) {
		ck_assert_int_eq(c->exit_code, -1);
		drvfix_logf("command %s begin %s cwd=%s", c->id, c->command,
		    c->cwd ? c->cwd : "-");
		return;
	}
	ck_assert_uint_eq(c->output ? strlen(c->output) : 0, c->outlen);
	ck_assert_int_ge(c->duration_ms, 0);
	drvfix_logf("command %s end %s exit=%d out=%s", c->id, c->command,
	    c->exit_code, c->output ? c->output : "(null)");
}

static void
sink_usage(const struct drv_usage *u, void *arg)
{
	(void)arg;
	drvfix_logf("usage in=%lld cached=%lld out=%lld reasoning=%lld "
	    "cost=%.6f",
	    (long long)u->input, (long long)u->cached_input,
	    (long long)u->output, (long long)u->reasoning, u->cost_usd);
}

static void
sink_turn(int begin, const char *error, void *arg)
{
	(void)arg;
	drvfix_logf("turn %d%s%s", begin, error ? " " : "", error ? error : "");
}

static const struct drv_sink sink = {
	sink_send, sink_text, sink_approval, drvfix_gone, sink_command,
	sink_usage, drvfix_message, sink_turn, drvfix_fatal, &drv
};

/* A driver asking before commands and edits, in /ws. */
static void
setup(void)
{
	struct drv_params	p;

	memset(&p, 0, sizeof p);
	p.cwd = "/ws";
	p.ask_exec = p.ask_edit = 1;
	drv = drv_claude_ops.create(&p, &sink);
	drvfix_clear();
}

static void
teardown(void)
{
	drv_claude_ops.free(drv);
	drv = NULL;
	drvfix_clear();
}

/* Feed one record, as text. */
static void
feed(const char *text)
{
	drvfix_feed(&drv_claude_ops, drv, text);
}

/* The log from line from on is exactly the expected lines. */
static void
expect(int from, const char *const *want)
{
	int	i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(from + i < drvfix_ncalls, "missing call %d: %s",
		    i, want[i]);
		ck_assert_str_eq(drvfix_calls[from + i], want[i]);
	}
	ck_assert_int_eq(drvfix_ncalls, from + i);
}

#define EXPECT(...) do {						\
	const char *const want_[] = { __VA_ARGS__, NULL };		\
	expect(0, want_);						\
	drvfix_clear();							\
} while (0)

#define INIT_SEND "send {\"type\":\"control_request\",\"request_id\":" \
	"\"runnerd-1\",\"request\":{\"subtype\":\"initialize\",\"hooks\":null}}"
#define USER_SEND(t) "send {\"type\":\"user\",\"session_id\":\"\"," \
	"\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\"," \
	"\"text\":\"" t "\"}]},\"parent_tool_use_id\":null}"

static const char rec_init[] = "{\"type\":\"system\",\"subtype\":\"init\","
    "\"cwd\":\"/ws\",\"session_id\":\"6e6a\",\"tools\":[\"Bash\",\"Edit\"],"
    "\"model\":\"claude-opus-5-5\",\"permissionMode\":\"default\","
    "\"claude_code_version\":\"2.1.331\","
    "\"apiKeySource\":\"ANTHROPIC_API_KEY\"}";
static const char rec_init_resp[] = "{\"type\":\"control_response\","
    "\"response\":{\"subtype\":\"success\",\"request_id\":\"runnerd-1\","
    "\"response\":{\"commands\":[],\"pid\":42}}}";

/* The argv: stream-json, asks over stdio, the modes, model, extra_args. */
START_TEST(test_argv)
{
	struct drv_params	 p;
	char			*extra[] = { "--effort", "low", NULL }, **argv;
	size_t			 i;

	memset(&p, 0, sizeof p);
	p.ask_exec = p.ask_edit = 1;
	p.model = "claude-test";
	p.extra_args = extra;
	argv = drv_claude_ops.argv("/usr/bin/claude", &p);
	for (i = 1; argv[i] != NULL; i++)
		drvfix_logf("%s", argv[i]);
	ck_assert_str_eq(argv[0], "/usr/bin/claude");
	strv_free(argv);
	{
		const char *const want[] = { "-p", "--input-format",
		    "stream-json", "--output-format", "stream-json",
		    "--verbose", "--permission-prompt-tool", "stdio",
		    "--no-session-persistence", "--permission-mode", "default",
		    "--settings", "{\"permissions\":{\"ask\":[\"Bash\"]}}",
		    "--model", "claude-test", "--effort", "low", NULL };
		expect(0, want);
	}
	drvfix_clear();

	memset(&p, 0, sizeof p);
	argv = drv_claude_ops.argv("claude", &p);
	ck_assert_uint_eq(strv_len(argv), 14);
	ck_assert_str_eq(argv[11], "acceptEdits");
	ck_assert_str_eq(argv[12], "--allowedTools");
	ck_assert_str_eq(argv[13], "Bash");
	ck_assert_ptr_null(argv[14]);
	strv_free(argv);
}
END_TEST

/* start: initialize, then the user message, then the turn; busy till result. */
START_TEST(test_start)
{
	ck_assert_int_eq(drv_claude_ops.busy(drv), 0);
	drv_claude_ops.start(drv, "fix \"it\"\n");
	EXPECT(INIT_SEND, USER_SEND("fix \\\"it\\\"\\n"), "turn 1");
	ck_assert_int_eq(drv_claude_ops.busy(drv), 1);
	feed(rec_init_resp);
	feed(rec_init);
	EXPECT("text [claude 2.1.331, model claude-opus-5-5]\n");
	/* claude repeats init every turn; the line is written once. */
	feed(rec_init);
	ck_assert_int_eq(drvfix_ncalls, 0);
}
END_TEST

/* A whole turn: text, a Bash call allowed, one denied, the final answer. */
START_TEST(test_turn)
{
	drv_claude_ops.start(drv, "run echo hello");
	feed(rec_init);
	drvfix_clear();

	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_a\","
	    "\"type\":\"message\",\"role\":\"assistant\",\"model\":"
	    "\"claude-opus-5-5\",\"content\":[{\"type\":\"text\",\"text\":"
	    "\"Running it.\"}],\"stop_reason\":null,\"usage\":{"
	    "\"input_tokens\":100,\"output_tokens\":1}},"
	    "\"parent_tool_use_id\":null,\"session_id\":\"6e6a\"}");
	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_a\","
	    "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":"
	    "\"Bash\",\"input\":{\"command\":\"echo hello\",\"description\":"
	    "\"Say hello\"}}]},\"parent_tool_use_id\":null}");
	/* Asked before it runs: no command yet. */
	EXPECT("text Running it.\n", "text $ echo hello\n");

	feed("{\"type\":\"control_request\",\"request_id\":\"2a43\","
	    "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\","
	    "\"display_name\":\"Bash\",\"input\":{\"command\":\"echo hello\","
	    "\"description\":\"Say hello\"},\"description\":\"Say hello\","
	    "\"decision_reason_type\":\"rule\",\"tool_use_id\":\"toolu_1\"}}");
	EXPECT("approval 2a43 exec cmd=echo hello cwd=/ws tool=Bash file=- "
	    "reason=- | Bash echo hello (Say hello)");
	drv_claude_ops.answer(drv, "2a43", 1, "fine");
	EXPECT("send {\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"success\",\"request_id\":\"2a43\",\"response\":{\"behavior\":"
	    "\"allow\",\"updatedInput\":{\"command\":\"echo hello\","
	    "\"description\":\"Say hello\"}}}}",
	    "command toolu_1 begin echo hello cwd=/ws");
	/* Answered once: a second answer sends nothing. */
	drv_claude_ops.answer(drv, "2a43", 0, NULL);
	ck_assert_int_eq(drvfix_ncalls, 0);

	feed("{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{"
	    "\"tool_use_id\":\"toolu_1\",\"type\":\"tool_result\",\"content\":"
	    "\"hello\",\"is_error\":false}]},\"parent_tool_use_id\":null,"
	    "\"tool_use_result\":{\"stdout\":\"hello\",\"stderr\":\"\"}}");
	EXPECT("message Running it.", "text hello\n",
	    "command toolu_1 end echo hello exit=0 out=hello");

	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_b\","
	    "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":"
	    "\"Bash\",\"input\":{\"command\":\"touch denied.txt\","
	    "\"description\":\"Touch a file\"}}]}}");
	feed("{\"type\":\"control_request\",\"request_id\":\"92c6\","
	    "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\","
	    "\"input\":{\"command\":\"touch denied.txt\",\"description\":"
	    "\"Touch a file\"},\"description\":\"Touch a file\","
	    "\"blocked_path\":\"/ws/denied.txt\",\"decision_reason\":"
	    "\"creates a file\",\"matched_ask_rule\":{\"source\":"
	    "\"flagSettings\",\"tool_name\":\"Bash\"},\"tool_use_id\":"
	    "\"toolu_2\"}}");
	drv_claude_ops.answer(drv, "92c6", 0, NULL);
	EXPECT("text $ touch denied.txt\n",
	    "approval 92c6 exec cmd=touch denied.txt cwd=/ws tool=Bash file=- "
	    "reason=creates a file | Bash touch denied.txt (Touch a file)",
	    "send {\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"success\",\"request_id\":\"92c6\",\"response\":{\"behavior\":"
	    "\"deny\",\"message\":\"denied by a human reviewer\"}}}");

	feed("{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{"
	    "\"type\":\"tool_result\",\"content\":"
	    "\"denied by a human reviewer\","
	    "\"is_error\":true,\"tool_use_id\":\"toolu_2\"}]},"
	    "\"tool_use_result\":\"Error: denied by a human reviewer\"}");
	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_c\","
	    "\"content\":[{\"type\":\"text\",\"text\":\"Done: one ran, one was "
	    "denied.\"}]}}");
	ck_assert_int_eq(drv_claude_ops.busy(drv), 1);
	feed("{\"duration_api_ms\":131,\"stop_reason\":\"end_turn\","
	    "\"session_id\":\"6e6a\",\"total_cost_usd\":0.0025080000000000002,"
	    "\"usage\":{\"input_tokens\":300,"
	    "\"cache_creation_input_tokens\":21,"
	    "\"cache_read_input_tokens\":15,\"output_tokens\":60,"
	    "\"output_tokens_details\":{\"thinking_tokens\":0}},"
	    "\"modelUsage\":{\"claude-opus-5-5\":{\"inputTokens\":300}},"
	    "\"permission_denials\":[],\"terminal_reason\":\"completed\","
	    "\"is_error\":false,\"num_turns\":3,\"subtype\":\"success\","
	    "\"result\":\"Done: one ran, one was denied.\",\"type\":\"result\","
	    "\"queued_turn_count\":0,\"result_index\":0}");
	/* Denied: it never ran, so it is no command. */
	EXPECT("text denied: denied by a human reviewer\n",
	    "text Done: one ran, one was denied.\n",
	    "message Done: one ran, one was denied.",
	    "usage in=336 cached=15 out=60 reasoning=0 cost=0.002508",
	    "turn 0");
	ck_assert_int_eq(drv_claude_ops.busy(drv), 0);

	/* A second turn: usage sums the turns, cost is claude's total. */
	drv_claude_ops.input(drv, "SCRIPT_SECOND please");
	EXPECT(USER_SEND("SCRIPT_SECOND please"), "turn 1");
	ck_assert_int_eq(drv_claude_ops.busy(drv), 1);
	feed(rec_init);
	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_d\","
	    "\"content\":[{\"type\":\"text\","
	    "\"text\":\"Second turn answer.\"}]}}");
	feed("{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
	    "\"total_cost_usd\":0.003344,\"usage\":{\"input_tokens\":100,"
	    "\"cache_creation_input_tokens\":7,\"cache_read_input_tokens\":5,"
	    "\"output_tokens\":20},\"result\":\"Second turn answer.\"}");
	EXPECT("text Second turn answer.\n", "message Second turn answer.",
	    "usage in=448 cached=20 out=80 reasoning=0 cost=0.003344",
	    "turn 0");
}
END_TEST

/*
 * Bash allowed up front: a command from its tool_use on; one claude's own
 * rules refuse ends unrun (-1), and a refused edit is not "wrote".
 */
START_TEST(test_no_ask)
{
	struct drv_params	p;

	drv_claude_ops.free(drv);
	memset(&p, 0, sizeof p);
	drv = drv_claude_ops.create(&p, &sink);
	drv_claude_ops.start(drv, "x");
	drvfix_clear();
	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"content\":[{"
	    "\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{"
	    "\"command\":\"git push\"}},{\"type\":\"tool_use\",\"id\":\"t2\","
	    "\"name\":\"Edit\",\"input\":{\"file_path\":\"/etc/passwd\"}}]}}");
	feed("{\"type\":\"system\",\"subtype\":\"permission_denied\","
	    "\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\","
	    "\"message\":\"no\"}");
	feed("{\"type\":\"system\",\"subtype\":\"permission_denied\","
	    "\"tool_name\":\"Edit\",\"tool_use_id\":\"t2\"}");
	feed("{\"type\":\"user\",\"message\":{\"content\":[{\"type\":"
	    "\"tool_result\",\"tool_use_id\":\"t1\",\"is_error\":true,"
	    "\"content\":\"needs approval\"},{\"type\":\"tool_result\","
	    "\"tool_use_id\":\"t2\",\"is_error\":true,"
	    "\"content\":\"outside\"}]}}");
	EXPECT("text $ git push\n", "command t1 begin git push cwd=-",
	    "text denied by claude's own rules: Bash\n",
	    "text denied by claude's own rules: Edit\n",
	    "text needs approval\n",
	    "command t1 end git push exit=-1 out=needs approval",
	    "text denied: outside\n");
}
END_TEST

/*
 * A subagent's text is no answer; a command with no result is ended by
 * the turn's; asks in flight are bounded; an infinite cost is none.
 */
START_TEST(test_limits)
{
	char	*rec;
	int	 i;

	drv_claude_ops.start(drv, "x");
	drvfix_clear();
	feed("{\"type\":\"assistant\",\"parent_tool_use_id\":\"task_1\","
	    "\"message\":{\"id\":\"s\",\"content\":[{\"type\":\"text\","
	    "\"text\":\"sub says\"},{\"type\":\"tool_use\",\"id\":\"b1\","
	    "\"name\":\"Bash\",\"input\":{\"command\":\"sleep 9\"}}]}}");
	drv_claude_ops.answer(drv, "none", 1, NULL);
	feed("{\"type\":\"control_request\",\"request_id\":\"k\","
	    "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":"
	    "\"Bash\",\"input\":{\"command\":\"sleep 9\"},"
	    "\"tool_use_id\":\"b1\"}}");
	drv_claude_ops.answer(drv, "k", 1, NULL);
	drvfix_clear();
	feed("{\"type\":\"result\",\"is_error\":false,\"total_cost_usd\":"
	    "Infinity,\"result\":\"main answer\"}");
	EXPECT("command b1 end sleep 9 exit=-1 out=(null)",
	    "message main answer",
	    "usage in=-1 cached=-1 out=-1 reasoning=-1 cost=-1.000000",
	    "turn 0");

	for (i = 0; i < 256; i++) {
		rec = xasprintf("{\"type\":\"control_request\",\"request_id\":"
		    "\"a%d\",\"request\":{\"subtype\":\"can_use_tool\","
		    "\"tool_name\":\"X\",\"input\":{}}}", i);
		feed(rec);
		free(rec);
	}
	ck_assert_int_eq(drvfix_ncalls, 256);
	drvfix_clear();
	feed("{\"type\":\"control_request\",\"request_id\":\"over\","
	    "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":\"X\","
	    "\"input\":{}}}");
	EXPECT("send {\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"error\",\"request_id\":\"over\",\"error\":\"too many "
	    "requests in flight\"}}");
	/* Answering one makes room again. */
	drv_claude_ops.answer(drv, "a7", 0, "no");
	feed("{\"type\":\"control_request\",\"request_id\":\"over\","
	    "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":\"X\","
	    "\"input\":{}}}");
	ck_assert_int_eq(drvfix_ncalls, 2);
	ck_assert_str_eq(drvfix_calls[1], "approval over tool cmd=- cwd=- "
	    "tool=X file=- reason=- | X");
}
END_TEST

/* A message sent while a turn runs joins it; one result ends both. */
START_TEST(test_input_busy)
{
	drv_claude_ops.start(drv, "run echo hello");
	drvfix_clear();
	drv_claude_ops.input(drv, "SCRIPT_SECOND early");
	EXPECT(USER_SEND("SCRIPT_SECOND early"));
	ck_assert_int_eq(drv_claude_ops.busy(drv), 1);
	feed("{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
	    "\"result\":\"Both answered.\",\"queued_turn_count\":0}");
	EXPECT("message Both answered.",
	    "usage in=-1 cached=-1 out=-1 reasoning=-1 cost=-1.000000",
	    "turn 0");
	ck_assert_int_eq(drv_claude_ops.busy(drv), 0);

	/* It came too late for that turn: claude starts another itself. */
	feed(rec_init);
	ck_assert_str_eq(drvfix_calls[0], "turn 1");
	ck_assert_int_eq(drv_claude_ops.busy(drv), 1);
	drvfix_clear();
	/* A result that says more turns are queued keeps it busy. */
	feed("{\"type\":\"result\",\"is_error\":false,\"result\":\"x\","
	    "\"queued_turn_count\":1}");
	ck_assert_str_eq(drvfix_calls[drvfix_ncalls - 2], "turn 0");
	ck_assert_str_eq(drvfix_calls[drvfix_ncalls - 1], "turn 1");
	ck_assert_int_eq(drv_claude_ops.busy(drv), 1);
}
END_TEST

/* An API error: claude's synthetic message is no answer; the turn failed. */
START_TEST(test_error_result)
{
	drv_claude_ops.start(drv, "x");
	drvfix_clear();
	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"d0d8\",\"model\":"
	    "\"<synthetic>\",\"role\":\"assistant\",\"content\":[{\"type\":"
	    "\"text\",\"text\":\"API Error: 400 scripted failure\"}]},"
	    "\"error\":\"unknown\",\"is_api_error_message\":true,"
	    "\"api_error_status\":400}");
	feed("{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,"
	    "\"total_cost_usd\":0,\"usage\":{\"input_tokens\":0,"
	    "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
	    "\"output_tokens\":0},\"terminal_reason\":\"api_error\","
	    "\"result\":\"API Error: 400 scripted failure\"}");
	EXPECT("text API Error: 400 scripted failure\n",
	    "usage in=0 cached=0 out=0 reasoning=-1 cost=0.000000",
	    "turn 0 API Error: 400 scripted failure");

	/* An error result with no text still says the turn failed. */
	drv_claude_ops.input(drv, "again");
	drvfix_clear();
	feed("{\"type\":\"result\",\"subtype\":\"error_during_execution\","
	    "\"is_error\":true}");
	ck_assert_str_eq(drvfix_calls[drvfix_ncalls - 1],
	    "turn 0 claude reported an error");
}
END_TEST

/* Write asks as a patch and is reported as written; a failed Bash's code. */
START_TEST(test_edit_and_exit)
{
	drv_claude_ops.start(drv, "SCRIPT_WRITE now");
	drvfix_clear();
	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"content\":[{"
	    "\"type\":\"tool_use\",\"id\":\"toolu_w\",\"name\":\"Write\","
	    "\"input\":{\"file_path\":\"/ws/new.txt\","
	    "\"content\":\"hi\\n\"}}]}}");
	feed("{\"type\":\"control_request\",\"request_id\":\"adb3\","
	    "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":\"Write\","
	    "\"input\":{\"file_path\":\"/ws/new.txt\",\"content\":\"hi\\n\"},"
	    "\"description\":\"new.txt\",\"permission_suggestions\":[{\"type\":"
	    "\"setMode\",\"mode\":\"acceptEdits\"}],"
	    "\"tool_use_id\":\"toolu_w\"}}");
	drv_claude_ops.answer(drv, "adb3", 1, NULL);
	feed("{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{"
	    "\"tool_use_id\":\"toolu_w\",\"type\":\"tool_result\",\"content\":"
	    "\"File created successfully at: /ws/new.txt\"}]}}");
	EXPECT("approval adb3 patch cmd=- cwd=- tool=Write file=/ws/new.txt "
	    "reason=- | Write /ws/new.txt (new.txt)",
	    "send {\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"success\",\"request_id\":\"adb3\",\"response\":{\"behavior\":"
	    "\"allow\",\"updatedInput\":{\"file_path\":\"/ws/new.txt\","
	    "\"content\":\"hi\\n\"}}}}",
	    "text wrote /ws/new.txt\n");

	feed("{\"type\":\"assistant\",\"message\":{\"id\":\"m2\",\"content\":[{"
	    "\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"Bash\",\"input\":{"
	    "\"command\":\"make check\"}}]}}");
	feed("{\"type\":\"user\",\"message\":{\"content\":[{\"tool_use_id\":"
	    "\"t2\",\"type\":\"tool_result\",\"is_error\":true,\"content\":[{"
	    "\"type\":\"text\",\"text\":\"Exit code 2\"},{\"type\":\"text\","
	    "\"text\":\"FAIL: 1\"}]}]}}");
	ck_assert_str_eq(drvfix_calls[drvfix_ncalls - 1],
	    "command t2 end make check exit=2 out=Exit code 2\nFAIL: 1");
	drvfix_clear();

	/* WebFetch asks as network; other tools as tool. */
	feed("{\"type\":\"control_request\",\"request_id\":\"w1\",\"request\":{"
	    "\"subtype\":\"can_use_tool\",\"tool_name\":\"WebFetch\","
	    "\"input\":{"
	    "\"url\":\"https://example.com\"}}}");
	feed("{\"type\":\"control_request\",\"request_id\":\"w2\",\"request\":{"
	    "\"subtype\":\"can_use_tool\",\"tool_name\":\"mcp__x__y\","
	    "\"input\":{},\"description\":\"two\\nlines\"}}");
	EXPECT("approval w1 network cmd=- cwd=- tool=WebFetch "
	    "file=- reason=- | "
	    "WebFetch https://example.com",
	    "approval w2 tool cmd=- cwd=- tool=mcp__x__y file=- reason=- | "
	    "mcp__x__y two");
}
END_TEST

/* Requests we do not serve are refused; withdrawn asks go; init refused. */
START_TEST(test_control)
{
	drv_claude_ops.start(drv, "x");
	drvfix_clear();
	feed("{\"type\":\"control_request\",\"request_id\":\"r9\",\"request\":{"
	    "\"subtype\":\"hook_callback\",\"callback_id\":\"h\"}}");
	feed("{\"type\":\"control_request\",\"request_id\":\"r10\"}");
	EXPECT("send {\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"error\",\"request_id\":\"r9\",\"error\":\"unsupported control "
	    "request: hook_callback\"}}",
	    "send {\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"error\",\"request_id\":\"r10\",\"error\":\"unsupported control "
	    "request: (none)\"}}");

	feed("{\"type\":\"control_request\",\"request_id\":\"c1\",\"request\":{"
	    "\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{"
	    "\"command\":\"ls\"}}}");
	feed("{\"type\":\"control_cancel_request\",\"request_id\":\"c1\"}");
	feed("{\"type\":\"control_cancel_request\",\"request_id\":\"c1\"}");
	feed("{\"type\":\"control_cancel_request\",\"request_id\":\"nope\"}");
	drv_claude_ops.answer(drv, "c1", 1, NULL);
	drv_claude_ops.answer(drv, "unknown", 1, NULL);
	EXPECT("approval c1 exec cmd=ls cwd=/ws tool=Bash file=- reason=- | "
	    "Bash ls", "gone c1");

	/* A response to someone else's request is not ours. */
	feed("{\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"error\",\"request_id\":\"other\",\"error\":\"x\"}}");
	ck_assert_int_eq(drvfix_ncalls, 0);
	feed("{\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"error\",\"request_id\":\"runnerd-1\",\"error\":\"bad hooks\"}}");
	EXPECT("fatal claude refused initialize: bad hooks");
}
END_TEST

/* Records of the wrong shape: no crash, no sink call with NULL. */
START_TEST(test_hostile)
{
	static const char *bad[] = {
		"[]", "3", "\"assistant\"", "{}",
		"{\"type\":7}", "{\"type\":\"nonsense\"}",
		"{\"type\":\"assistant\"}",
		"{\"type\":\"assistant\",\"message\":null}",
		"{\"type\":\"assistant\",\"message\":{\"content\":\"text\"}}",
		"{\"type\":\"assistant\","
		"\"message\":{\"content\":[1,null,{}]}}",
		"{\"type\":\"assistant\",\"message\":{\"id\":5,\"content\":[{"
		    "\"type\":\"tool_use\",\"name\":\"Bash\"}]}}",
		"{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
		    "\"tool_use\",\"id\":\"t\","
		    "\"name\":\"Bash\",\"input\":7}]}}",
		"{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
		    "\"text\",\"text\":[\"x\"]}]}}",
		"{\"type\":\"user\",\"message\":{\"content\":[{\"type\":"
		    "\"tool_result\",\"tool_use_id\":\"nobody\"}]}}",
		"{\"type\":\"user\",\"message\":{\"content\":{}}}",
		"{\"type\":\"system\",\"subtype\":[]}",
		"{\"type\":\"system\",\"subtype\":\"permission_denied\"}",
		"{\"type\":\"control_request\",\"request\":{\"subtype\":"
		    "\"can_use_tool\"}}",
		"{\"type\":\"control_request\","
		"\"request_id\":[],\"request\":{}}",
		"{\"type\":\"control_response\"}",
		"{\"type\":\"control_response\",\"response\":[]}",
		"{\"type\":\"control_cancel_request\"}",
		NULL
	};
	size_t	 i;
	char	*big, *rec;

	drv_claude_ops.start(drv, "x");
	feed(rec_init);
	drvfix_clear();
	for (i = 0; bad[i] != NULL; i++)
		feed(bad[i]);
	ck_assert_int_eq(drvfix_ncalls, 0);
	ck_assert_int_eq(drv_claude_ops.busy(drv), 1);

	/* can_use_tool with an id but no input: refused, never waits. */
	feed("{\"type\":\"control_request\",\"request_id\":\"q\",\"request\":{"
	    "\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\","
	    "\"input\":[]}}");
	EXPECT("send {\"type\":\"control_response\",\"response\":{\"subtype\":"
	    "\"error\",\"request_id\":\"q\",\"error\":\"can_use_tool: no "
	    "tool_name or input\"}}");

	/* Usage of the wrong types counts nothing; a bool cost is no cost. */
	feed("{\"type\":\"result\",\"is_error\":\"yes\",\"total_cost_usd\":"
	    "true,\"usage\":{\"input_tokens\":\"100\",\"output_tokens\":-5,"
	    "\"cache_read_input_tokens\":9223372036854775807,"
	    "\"output_tokens_details\":[]},\"result\":5}");
	EXPECT("usage in=9223372036854775807 cached=9223372036854775807 "
	    "out=-1 reasoning=-1 cost=-1.000000", "turn 0");
	/* Saturates rather than wrapping. */
	drv_claude_ops.input(drv, "y");
	feed("{\"type\":\"result\",\"usage\":{\"input_tokens\":10,"
	    "\"cache_read_input_tokens\":1}}");
	ck_assert_str_eq(drvfix_calls[2], "usage in=9223372036854775807 "
	    "cached=9223372036854775807 out=-1 reasoning=-1 cost=-1.000000");
	drvfix_clear();

	/* A huge text: all of it to the transcript, the message capped. */
	drv_claude_ops.input(drv, "z");
	big = xmalloc(3 * 1024 * 1024 + 1);
	memset(big, 'a', 3 * 1024 * 1024);
	big[3 * 1024 * 1024] = '\0';
	rec = xasprintf("{\"type\":\"assistant\",\"message\":{\"id\":\"h\","
	    "\"content\":[{\"type\":\"text\",\"text\":\"small\"},{\"type\":"
	    "\"text\",\"text\":\"%s\"}]}}", big);
	feed(rec);
	feed("{\"type\":\"result\",\"is_error\":false}");
	ck_assert_str_eq(drvfix_calls[1], "turn 1");
	ck_assert_str_eq(drvfix_calls[2], "text small\n");
	ck_assert_uint_eq(strlen(drvfix_calls[3]), 5 + 3 * 1024 * 1024 + 1);
	ck_assert_str_eq(drvfix_calls[4], "message small");
	free(rec);
	free(big);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("drv_claude");
	tc = tcase_create("protocol");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_argv);
	tcase_add_test(tc, test_start);
	tcase_add_test(tc, test_turn);
	tcase_add_test(tc, test_no_ask);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_input_busy);
	tcase_add_test(tc, test_error_result);
	tcase_add_test(tc, test_edit_and_exit);
	tcase_add_test(tc, test_control);
	tcase_add_test(tc, test_hostile);
	suite_add_tcase(s, tc);
	return (s);
}
