/*
 * runnerd-fake-agent --protocol mock|codex|claude: a structured CLI for
 * the tests, on stdin and stdout (stderr is the terminal), in one of three
 * dialects: drv_mock.c's line protocol (mock), just enough of codex
 * app-server's JSON-RPC (codex: initialize, thread/start, turn/start,
 * item and turn notifications, item/commandExecution/requestApproval) or
 * of claude's stream-json with its control protocol (claude: initialize,
 * user messages, can_use_tool, assistant, tool results, result).
 *
 * Each turn runs the same script: in the first turn each --run command
 * (up to four) as a tool call, then --ask's command as a tool call that
 * needs approval (run when allowed, through the exec gate); then a message
 * and usage (100 input, 10 cached, 20 output, 5 reasoning tokens and
 * $0.25 a turn). It takes turns until its stdin ends, then exits 0.
 * --log FILE appends every line it received.
 */
#include "config.h"

#include <sys/wait.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "contrib/fake-proto.h"

#define PROTO_OUT_MAX	(64 * 1024)	/* of a command's output kept */
#define PROTO_RUNS	4		/* --run commands */

/* A dialect: how each step of the script is said. */
struct proto_dialect {
	const char	*name;
	/* A message from the driver: a turn's text (malloc'd) or NULL. */
	char		*(*take)(struct json_object *);
	void		 (*turn)(int, int);
	void		 (*command)(const char *, const char *, int,
			    const char *, int);
	/* Ask for a command: 1 allowed, 0 denied. */
	int		 (*ask)(const char *, const char *);
	void		 (*message)(const char *);
	void		 (*usage)(int);
};

static FILE	*proto_log;
static const char *proto_ask;
static const char *proto_run[PROTO_RUNS];
static int	 proto_nrun;
static int	 proto_turns;
static const struct proto_dialect *proto_d;
static char	*proto_last;		/* the last message */

/* Write one record (consumed) on stdout, a line of its own. */
static void
proto_emit(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

/* Add a string member. */
static void
proto_add(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* Add string members: key, value, ..., NULL. */
static void __attribute__((sentinel))
proto_adds(struct json_object *o, ...)
{
	va_list		 ap;
	const char	*k;

	va_start(ap, o);
	while ((k = va_arg(ap, const char *)) != NULL)
		proto_add(o, k, va_arg(ap, const char *));
	va_end(ap);
}

/* The next message from the driver, or NULL at the end of stdin. */
static struct json_object *
proto_read(void)
{
	static char		*line;
	static size_t		 cap;
	struct json_object	*o;
	ssize_t			 n;

	for (;;) {
		if ((n = getline(&line, &cap, stdin)) == -1)
			return (NULL);
		if (proto_log != NULL) {
			fwrite(line, 1, (size_t)n, proto_log);
			fflush(proto_log);
		}
		if ((o = json_tokener_parse(line)) != NULL &&
		    json_object_is_type(o, json_type_object))
			return (o);
		json_object_put(o);
		dprintf(STDERR_FILENO, "fake-proto: not a message: %s", line);
	}
}

/* A string member, or "". */
static const char *
proto_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return ("");
	return (json_object_get_string(v));
}

/* A member, or NULL. */
static struct json_object *
proto_get(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return (NULL);
	return (v);
}

/* Run a command (words split on blanks): its output and exit code. */
static int
proto_exec(const char *command, char *out, size_t max)
{
	char	*copy, *argv[64], *w, *save = NULL;
	size_t	 n = 0, len = 0;
	ssize_t	 r;
	int	 p[2], status = 0;
	pid_t	 pid;

	out[0] = '\0';
	copy = strdup(command);
	for (w = strtok_r(copy, " \t", &save); w != NULL && n < 63;
	    w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	if (n == 0 || pipe(p) == -1) {
		free(copy);
		return (127);
	}
	if ((pid = fork()) == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while (len < max - 1 && (r = read(p[0], out + len, max - 1 - len)) !=
	    0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	free(copy);
	dprintf(STDERR_FILENO, "fake-proto: ran %s: exit %d\n", command,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

/* A tool call: begin, maybe an approval, run it, end. */
static const char *
proto_tool(const char *id, const char *command, int ask)
{
	static char	out[PROTO_OUT_MAX];
	const char	*word = "none";
	int		 code;

	proto_d->command(id, command, 0, NULL, 0);
	if (ask) {
		word = proto_d->ask(id, command) ? "allowed" : "denied";
		dprintf(STDERR_FILENO, "fake-proto: approval %s %s\n", id,
		    word);
		if (strcmp(word, "denied") == 0) {
			proto_d->command(id, command, 1, "denied", -1);
			return (word);
		}
	}
	code = proto_exec(command, out, sizeof out);
	proto_d->command(id, command, 1, out, code);
	return (word);
}

/* One turn of the script. */
static void
proto_turn(const char *text)
{
	const char	*decision = "none";
	char		 buf[512], id[16];
	int		 i, n = ++proto_turns;

	proto_d->turn(1, n);
	for (i = 0; n == 1 && i < proto_nrun; i++) {
		snprintf(id, sizeof id, "r%d", i);
		proto_tool(id, proto_run[i], 0);
	}
	if (n == 1 && proto_ask != NULL)
		decision = proto_tool("a1", proto_ask, 1);
	if (n == 1)
		snprintf(buf, sizeof buf, "Turn 1 done, approval %s.\n"
		    "Nothing else to say.", decision);
	else
		snprintf(buf, sizeof buf, "Turn %d done: %.200s", n, text);
	free(proto_last);
	proto_last = strdup(buf);
	proto_d->message(buf);
	proto_d->usage(n);
	proto_d->turn(0, n);
}

/* ----- mock: drv_mock.c's line protocol ----- */

/* {"ev": ev} and up to two string members. */
static void
mock_ev(const char *ev, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	struct json_object	*o = json_object_new_object();

	proto_add(o, "ev", ev);
	if (k1 != NULL)
		proto_add(o, k1, v1);
	if (k2 != NULL)
		proto_add(o, k2, v2);
	proto_emit(o);
}

/* start and input are turns; nothing else is. */
static char *
mock_take(struct json_object *o)
{
	const char	*op = proto_str(o, "op");

	if (strcmp(op, "start") == 0)
		return (strdup(proto_str(o, "prompt")));
	if (strcmp(op, "input") == 0)
		return (strdup(proto_str(o, "text")));
	return (NULL);
}

/* A turn started (with a line of transcript) or ended. */
static void
mock_turn(int started, int n)
{
	struct json_object	*o = json_object_new_object();
	char			 buf[64];

	proto_add(o, "ev", "turn");
	json_object_object_add(o, "started", json_object_new_boolean(started));
	proto_emit(o);
	if (started) {
		snprintf(buf, sizeof buf, "turn %d: started\r\n", n);
		mock_ev("text", "text", buf, NULL, NULL);
	}
}

/* A tool call begins, or ends with its output. */
static void
mock_command(const char *id, const char *command, int done, const char *out,
    int code)
{
	struct json_object	*o;

	if (!done) {
		mock_ev("command", "id", id, "command", command);
		return;
	}
	o = json_object_new_object();
	proto_add(o, "ev", "command");
	proto_add(o, "id", id);
	proto_add(o, "command", command);
	json_object_object_add(o, "done", json_object_new_boolean(1));
	proto_add(o, "output", out);
	json_object_object_add(o, "exit", json_object_new_int(code));
	proto_emit(o);
}

/* Ask, and wait for the answer to this id. */
static int
mock_ask(const char *id, const char *command)
{
	struct json_object	*o, *v;
	int			 allow = 0;

	mock_ev("approval", "id", id, "command", command);
	while ((o = proto_read()) != NULL) {
		if (strcmp(proto_str(o, "op"), "answer") == 0 &&
		    strcmp(proto_str(o, "id"), id) == 0) {
			allow = (v = proto_get(o, "allow")) != NULL &&
			    json_object_get_boolean(v);
			json_object_put(o);
			break;
		}
		json_object_put(o);
	}
	return (allow);
}

/* An assistant message. */
static void
mock_message(const char *text)
{
	mock_ev("message", "text", text, NULL, NULL);
}

/* The whole session's usage after n turns. */
static void
mock_usage(int n)
{
	struct json_object	*o = json_object_new_object();

	proto_add(o, "ev", "usage");
	json_object_object_add(o, "input", json_object_new_int(100 * n));
	json_object_object_add(o, "cached", json_object_new_int(10 * n));
	json_object_object_add(o, "output", json_object_new_int(20 * n));
	json_object_object_add(o, "reasoning", json_object_new_int(5 * n));
	json_object_object_add(o, "cost", json_object_new_double(0.25 * n));
	proto_emit(o);
}

/* ----- codex app-server: JSON-RPC ----- */

/* A notification {method, params (consumed)}. */
static void
codex_notify(const char *method, struct json_object *params)
{
	struct json_object	*o = json_object_new_object();

	proto_add(o, "method", method);
	json_object_object_add(o, "params", params);
	proto_emit(o);
}

/* params {threadId, turnId} to add to. */
static struct json_object *
codex_params(void)
{
	struct json_object	*p = json_object_new_object();
	char			 turn[32];

	snprintf(turn, sizeof turn, "turn-%d", proto_turns);
	proto_add(p, "threadId", "thr-1");
	proto_add(p, "turnId", turn);
	return (p);
}

/* The answer to a request of the driver's (result consumed). */
static void
codex_result(struct json_object *req, struct json_object *result)
{
	struct json_object	*o = json_object_new_object();
	struct json_object	*id = proto_get(req, "id");

	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "result", result);
	proto_emit(o);
}

/* Answer the driver's requests; turn/start's text is a turn. */
static char *
codex_take(struct json_object *o)
{
	struct json_object	*r, *t, *in;
	const char		*m = proto_str(o, "method");
	char			 id[32];

	if (proto_get(o, "id") == NULL)
		return (NULL);		/* initialized, or a stray answer */
	r = json_object_new_object();
	if (strcmp(m, "initialize") == 0) {
		proto_adds(r,
		    "userAgent", "fake-codex/0.169.0",
		    "codexHome", "/tmp/fake-codex",
		    "platformFamily", "unix",
		    "platformOs", "linux",
		    NULL);
	} else if (strcmp(m, "thread/start") == 0) {
		t = json_object_new_object();
		proto_adds(t,
		    "id", "thr-1",
		    "sessionId", "thr-1",
		    "cwd", ".",
		    "preview", "",
		    "modelProvider", "fake",
		    "cliVersion", "0.169.0",
		    "source", "appServer",
		    NULL);
		json_object_object_add(t, "ephemeral",
		    json_object_new_boolean(0));
		json_object_object_add(t, "createdAt", json_object_new_int(0));
		json_object_object_add(t, "updatedAt", json_object_new_int(0));
		json_object_object_add(t, "turns", json_object_new_array());
		json_object_object_add(r, "thread", t);
		proto_adds(r,
		    "model", "fake",
		    "modelProvider", "fake",
		    "cwd", ".",
		    "approvalPolicy", "on-request",
		    "approvalsReviewer", "user",
		    NULL);
		t = json_object_new_object();
		proto_add(t, "type", "dangerFullAccess");
		json_object_object_add(r, "sandbox", t);
	} else if (strcmp(m, "turn/start") == 0) {
		snprintf(id, sizeof id, "turn-%d", proto_turns + 1);
		t = json_object_new_object();
		proto_add(t, "id", id);
		json_object_object_add(t, "items", json_object_new_array());
		proto_add(t, "status", "inProgress");
		json_object_object_add(r, "turn", t);
		codex_result(o, r);
		in = proto_get(proto_get(o, "params"), "input");
		if (in != NULL && json_object_is_type(in, json_type_array) &&
		    json_object_array_length(in) > 0)
			return (strdup(proto_str(json_object_array_get_idx(in,
			    0), "text")));
		return (strdup(""));
	}
	codex_result(o, r);
	return (NULL);
}

/* turn/started or turn/completed. */
static void
codex_turn(int started, int n)
{
	struct json_object	*p = json_object_new_object(), *t;
	char			 id[32];

	snprintf(id, sizeof id, "turn-%d", n);
	proto_add(p, "threadId", "thr-1");
	t = json_object_new_object();
	proto_add(t, "id", id);
	json_object_object_add(t, "items", json_object_new_array());
	proto_add(t, "status", started ? "inProgress" : "completed");
	json_object_object_add(p, "turn", t);
	codex_notify(started ? "turn/started" : "turn/completed", p);
}

/* A commandExecution item started or completed. */
static void
codex_command(const char *id, const char *command, int done, const char *out,
    int code)
{
	struct json_object	*p = codex_params(), *it;

	it = json_object_new_object();
	proto_adds(it,
	    "type", "commandExecution",
	    "id", id,
	    "command", command,
	    "cwd", ".",
	    NULL);
	json_object_object_add(it, "commandActions", json_object_new_array());
	proto_add(it, "status", !done ? "inProgress" : code == -1 ?
	    "declined" : code == 0 ? "completed" : "failed");
	if (done && code != -1) {
		proto_add(it, "aggregatedOutput", out);
		json_object_object_add(it, "exitCode", json_object_new_int(code));
		json_object_object_add(it, "durationMs", json_object_new_int(5));
	}
	json_object_object_add(p, "item", it);
	json_object_object_add(p, done ? "completedAtMs" : "startedAtMs",
	    json_object_new_int64(0));
	codex_notify(done ? "item/completed" : "item/started", p);
}

/* item/commandExecution/requestApproval, and wait for its result. */
static int
codex_ask(const char *id, const char *command)
{
	struct json_object	*o, *p = codex_params(), *r;
	const char		*d;
	int			 allow = 0;

	proto_adds(p,
	    "itemId", id,
	    "command", command,
	    "cwd", ".",
	    "reason", "the fake agent wants to push",
	    NULL);
	json_object_object_add(p, "startedAtMs", json_object_new_int64(0));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int(900));
	proto_add(o, "method", "item/commandExecution/requestApproval");
	json_object_object_add(o, "params", p);
	proto_emit(o);
	while ((o = proto_read()) != NULL) {
		if ((r = proto_get(o, "result")) != NULL &&
		    json_object_get_int(proto_get(o, "id")) == 900) {
			d = proto_str(r, "decision");
			/* accept, acceptForSession, an amendment object. */
			allow = strncmp(d, "accept", 6) == 0 ||
			    (proto_get(r, "decision") != NULL &&
			    json_object_is_type(proto_get(r, "decision"),
			    json_type_object));
			json_object_put(o);
			break;
		}
		if (proto_get(o, "method") != NULL && proto_get(o, "id") !=
		    NULL)
			codex_result(o, json_object_new_object());
		json_object_put(o);
	}
	return (allow);
}

/* An agentMessage item completed. */
static void
codex_message(const char *text)
{
	struct json_object	*p = codex_params(), *it;

	it = json_object_new_object();
	proto_add(it, "type", "agentMessage");
	proto_add(it, "id", "msg");
	proto_add(it, "text", text);
	json_object_object_add(p, "item", it);
	json_object_object_add(p, "completedAtMs", json_object_new_int64(0));
	codex_notify("item/completed", p);
}

/* A token usage breakdown for n turns' worth. */
static struct json_object *
codex_tokens(int n)
{
	struct json_object	*b = json_object_new_object();

	json_object_object_add(b, "inputTokens", json_object_new_int(100 * n));
	json_object_object_add(b, "cachedInputTokens",
	    json_object_new_int(10 * n));
	json_object_object_add(b, "outputTokens", json_object_new_int(20 * n));
	json_object_object_add(b, "reasoningOutputTokens",
	    json_object_new_int(5 * n));
	json_object_object_add(b, "totalTokens", json_object_new_int(120 * n));
	return (b);
}

/* thread/tokenUsage/updated: the total after n turns. */
static void
codex_usage(int n)
{
	struct json_object	*p = codex_params(), *u;

	u = json_object_new_object();
	json_object_object_add(u, "total", codex_tokens(n));
	json_object_object_add(u, "last", codex_tokens(1));
	json_object_object_add(p, "tokenUsage", u);
	codex_notify("thread/tokenUsage/updated", p);
}

/* ----- claude: stream-json and control requests ----- */

/* {"type": type, "session_id", "message": {role, content [one]}}. */
static void
claude_msg(const char *type, struct json_object *item)
{
	struct json_object	*o = json_object_new_object(), *m, *c;

	proto_add(o, "type", type);
	proto_add(o, "session_id", "fake-session");
	m = json_object_new_object();
	proto_add(m, "role", type);
	c = json_object_new_array();
	json_object_array_add(c, item);
	json_object_object_add(m, "content", c);
	json_object_object_add(o, "message", m);
	proto_emit(o);
}

/* Answer control requests; a user message is a turn. */
static char *
claude_take(struct json_object *o)
{
	static int		 inited;
	struct json_object	*r, *resp, *c;
	const char		*t = proto_str(o, "type");

	if (strcmp(t, "control_request") == 0) {
		r = json_object_new_object();
		proto_add(r, "type", "control_response");
		resp = json_object_new_object();
		proto_add(resp, "subtype", "success");
		proto_add(resp, "request_id", proto_str(o, "request_id"));
		json_object_object_add(resp, "response",
		    json_object_new_object());
		json_object_object_add(r, "response", resp);
		proto_emit(r);
		return (NULL);
	}
	if (strcmp(t, "user") != 0)
		return (NULL);
	if (!inited++) {
		r = json_object_new_object();
		proto_adds(r,
		    "type", "system",
		    "subtype", "init",
		    "session_id", "fake-session",
		    "model", "fake",
		    "cwd", ".",
		    "permissionMode", "default",
		    NULL);
		proto_emit(r);
	}
	c = proto_get(proto_get(o, "message"), "content");
	if (c != NULL && json_object_is_type(c, json_type_string))
		return (strdup(json_object_get_string(c)));
	if (c != NULL && json_object_is_type(c, json_type_array) &&
	    json_object_array_length(c) > 0)
		return (strdup(proto_str(json_object_array_get_idx(c, 0),
		    "text")));
	return (strdup(""));
}

/*
 * The end of a turn is its result: the turn's own usage, as claude
 * reports it, and the session's cost so far (total_cost_usd sums).
 */
static void
claude_turn(int started, int n)
{
	struct json_object	*o, *u;

	if (started)
		return;
	o = json_object_new_object();
	proto_add(o, "type", "result");
	proto_add(o, "subtype", "success");
	json_object_object_add(o, "is_error", json_object_new_boolean(0));
	proto_add(o, "result", proto_last != NULL ? proto_last : "");
	proto_add(o, "session_id", "fake-session");
	json_object_object_add(o, "num_turns", json_object_new_int(n));
	json_object_object_add(o, "duration_ms", json_object_new_int(5));
	u = json_object_new_object();
	json_object_object_add(u, "input_tokens", json_object_new_int(100));
	json_object_object_add(u, "cache_read_input_tokens",
	    json_object_new_int(10));
	json_object_object_add(u, "cache_creation_input_tokens",
	    json_object_new_int(0));
	json_object_object_add(u, "output_tokens", json_object_new_int(20));
	json_object_object_add(o, "usage", u);
	json_object_object_add(o, "total_cost_usd",
	    json_object_new_double(0.25 * n));
	proto_emit(o);
}

/* A tool_use in an assistant message, or its tool_result. */
static void
claude_command(const char *id, const char *command, int done,
    const char *out, int code)
{
	struct json_object	*it = json_object_new_object(), *in;
	char			*text = NULL;

	if (!done) {
		proto_add(it, "type", "tool_use");
		proto_add(it, "id", id);
		proto_add(it, "name", "Bash");
		in = json_object_new_object();
		proto_add(in, "command", command);
		json_object_object_add(it, "input", in);
		claude_msg("assistant", it);
		return;
	}
	proto_add(it, "type", "tool_result");
	proto_add(it, "tool_use_id", id);
	/* A failed Bash call's result starts "Exit code N", as claude's. */
	if (code != 0 && asprintf(&text, "Exit code %d\n%s", code, out) == -1)
		text = NULL;
	proto_add(it, "content", text != NULL ? text : out);
	free(text);
	json_object_object_add(it, "is_error", json_object_new_boolean(code !=
	    0));
	claude_msg("user", it);
}

/* A can_use_tool control request, and wait for its response. */
static int
claude_ask(const char *id, const char *command)
{
	struct json_object	*o, *req, *in, *resp;
	int			 allow = 0;

	o = json_object_new_object();
	proto_add(o, "type", "control_request");
	proto_add(o, "request_id", "perm-1");
	req = json_object_new_object();
	proto_add(req, "subtype", "can_use_tool");
	proto_add(req, "tool_name", "Bash");
	proto_add(req, "tool_use_id", id);
	in = json_object_new_object();
	proto_add(in, "command", command);
	json_object_object_add(req, "input", in);
	json_object_object_add(o, "request", req);
	proto_emit(o);
	while ((o = proto_read()) != NULL) {
		resp = proto_get(o, "response");
		if (strcmp(proto_str(o, "type"), "control_response") == 0 &&
		    strcmp(proto_str(resp, "request_id"), "perm-1") == 0) {
			allow = strcmp(proto_str(proto_get(resp, "response"),
			    "behavior"), "allow") == 0;
			json_object_put(o);
			break;
		}
		if (strcmp(proto_str(o, "type"), "control_request") == 0)
			claude_take(o);
		json_object_put(o);
	}
	return (allow);
}

/* An assistant message with one text block. */
static void
claude_message(const char *text)
{
	struct json_object	*it = json_object_new_object();

	proto_add(it, "type", "text");
	proto_add(it, "text", text);
	claude_msg("assistant", it);
}

/* claude reports usage in the result (claude_turn). */
static void
claude_usage(int n)
{
	(void)n;	/* in the result */
}

static const struct proto_dialect proto_dialects[] = {
	{ "mock", mock_take, mock_turn, mock_command, mock_ask, mock_message,
	  mock_usage },
	{ "codex", codex_take, codex_turn, codex_command, codex_ask,
	  codex_message, codex_usage },
	{ "claude", claude_take, claude_turn, claude_command, claude_ask,
	  claude_message, claude_usage },
};

/*
 * --protocol DIALECT [--log FILE] [--run CMD]... [--ask CMD], anywhere
 * among other arguments (a real driver's, ignored).
 */
int
fake_proto_main(int argc, char **argv)
{
	struct json_object	*o;
	char			*text;
	size_t			 j;
	int			 i;

	/* Anywhere in argv: a driver puts its own arguments first. */
	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--protocol") == 0) {
			for (j = 0; j < sizeof proto_dialects /
			    sizeof proto_dialects[0]; j++)
				if (strcmp(argv[i + 1],
				    proto_dialects[j].name) == 0)
					proto_d = &proto_dialects[j];
		} else if (strcmp(argv[i], "--log") == 0)
			proto_log = fopen(argv[i + 1], "a");
		else if (strcmp(argv[i], "--ask") == 0)
			proto_ask = argv[i + 1];
		else if (strcmp(argv[i], "--run") == 0 &&
		    proto_nrun < PROTO_RUNS)
			proto_run[proto_nrun++] = argv[i + 1];
		else
			continue;
		i++;
	}
	if (proto_d == NULL) {
		fprintf(stderr, "fake-proto: --protocol mock|codex|claude\n");
		return (2);
	}
	/* A line that is not JSON, as a CLI's start-up banner might be. */
	printf("fake-proto ready\n");
	fflush(stdout);
	dprintf(STDERR_FILENO, "fake-proto: started (%s)\n", proto_d->name);
	while ((o = proto_read()) != NULL) {
		if ((text = proto_d->take(o)) != NULL) {
			proto_turn(text);
			free(text);
		}
		json_object_put(o);
	}
	dprintf(STDERR_FILENO, "fake-proto: stdin closed after %d turns\n",
	    proto_turns);
	if (proto_log != NULL)
		fclose(proto_log);
	return (0);
}
