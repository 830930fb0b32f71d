/*
 * The claude driver: Claude Code's -p stream-json protocol on its stdio.
 * Our side writes an initialize control_request and user messages; claude
 * writes system, assistant, user (tool results) and result records, and
 * asks before a tool runs with a can_use_tool control_request that waits
 * for our control_response (--permission-prompt-tool stdio; without it
 * 2.1.331 only reports permission_denied). A user message sent while a
 * turn runs is folded into that turn by claude ("The user sent a new
 * message while you were working"), so one result ends it; a message that
 * arrives just as a turn ends starts the next, seen here as records coming
 * while no turn runs. result.usage counts the turn alone, total_cost_usd
 * the whole session.
 */
#include "config.h"

#include <sys/queue.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/util.h"
#include "worker/driver.h"

/* The most of one assistant message kept for the sink's message. */
#define CLAUDE_MESSAGE_MAX	(1024 * 1024)
/* The most tool calls or asks in flight: claude has a handful at most. */
#define CLAUDE_PENDING_MAX	256

/* What a tool call of the model was, until its result. */
enum drv_claude_tool {
	CLAUDE_TOOL_BASH,
	CLAUDE_TOOL_EDIT,
	CLAUDE_TOOL_OTHER
};

/* A tool call by its tool_use_id, for its tool_result. */
struct drv_claude_call {
	char			*id;
	enum drv_claude_tool	 tool;
	char			*what;		/* the command or the path */
	int64_t			 started;	/* mono_ms() at its begin */
	int			 begun;		/* its begin went out */
	int			 denied;	/* refused: it never ran */
	TAILQ_ENTRY(drv_claude_call) entry;
};
TAILQ_HEAD(drv_claude_calls, drv_claude_call);

/* A can_use_tool request waiting for our answer. */
struct drv_claude_ask {
	char			*id;		/* its request_id, our token */
	char			*call;		/* its tool_use_id, or NULL */
	struct json_object	*input;		/* the tool's input (held) */
	TAILQ_ENTRY(drv_claude_ask)	 entry;
};
TAILQ_HEAD(drv_claude_asks, drv_claude_ask);

struct drv_claude {
	struct drv_sink		 sink;
	char			*cwd;
	int			 ask_exec;	/* Bash calls are asked */
	int			 running;	/* a turn runs */
	int			 said;		/* a message went out */
	int			 banner;	/* the init line was written */
	char			*init_id;	/* our initialize's id */
	unsigned		 next_id;

	char			*msg_id;	/* the assistant message read */
	char			*msg;		/* its text so far, or NULL */
	size_t			 msglen;
	int			 msg_error;	/* claude's API error */
	unsigned		 ncalls;
	unsigned		 nasks;

	struct drv_usage	 usage;
	struct drv_claude_calls	 calls;
	struct drv_claude_asks	 asks;
};

static const char *drv_claude_edit_tools[] = {
	"Write", "Edit", "MultiEdit", "NotebookEdit", NULL
};

/* Whether name is one of a NULL-terminated list. */
static int
drv_claude_in(const char *name, const char **list)
{
	for (; *list != NULL; list++) {
		if (strcmp(name, *list) == 0)
			return (1);
	}
	return (0);
}

/* A non-negative integer member, or -1 when absent or of another type. */
static int64_t
drv_claude_count(struct json_object *o, const char *key)
{
	struct json_object	*v;
	int64_t			 n;

	if ((v = jsonget_member(o, key)) == NULL ||
	    !json_object_is_type(v, json_type_int))
		return (-1);
	n = json_object_get_int64(v);
	return (n < 0 ? -1 : n);
}

/* Add n (when known) to a total, saturating. */
static void
drv_claude_add(int64_t *total, int64_t n)
{
	if (n < 0)
		return;
	if (*total < 0)
		*total = 0;
	if (n > INT64_MAX - *total)
		*total = INT64_MAX;
	else
		*total += n;
}

/* Whether member key of o is true. */
static int
drv_claude_true(struct json_object *o, const char *key)
{
	struct json_object	*v;

	v = jsonget_member(o, key);
	return (v != NULL && json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v));
}

/* Add a string member (value NULL: null) to an object we build. */
static void
drv_claude_put(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value == NULL ? NULL :
	    json_object_new_string(value));
}

/* Serialise a message of ours and hand it to the sink; frees it. */
static void
drv_claude_send(struct drv_claude *c, struct json_object *o)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	c->sink.send(s, len, c->sink.arg);
	json_object_put(o);
}

/* A transcript line: prefix, s, and a newline unless s ends with one. */
static void
drv_claude_line(struct drv_claude *c, const char *prefix, const char *s)
{
	size_t	len = strlen(s);
	char	*line;

	line = xasprintf("%s%s%s", prefix, s,
	    len > 0 && s[len - 1] == '\n' ? "" : "\n");
	c->sink.text(line, strlen(line), c->sink.arg);
	free(line);
}

/* A user message carrying text, as claude's stream-json input takes it. */
static void
drv_claude_user(struct drv_claude *c, const char *text)
{
	struct json_object	*o, *m, *content, *block;

	block = json_object_new_object();
	drv_claude_put(block, "type", "text");
	drv_claude_put(block, "text", text);
	content = json_object_new_array();
	json_object_array_add(content, block);
	m = json_object_new_object();
	drv_claude_put(m, "role", "user");
	json_object_object_add(m, "content", content);
	o = json_object_new_object();
	drv_claude_put(o, "type", "user");
	drv_claude_put(o, "session_id", "");
	json_object_object_add(o, "message", m);
	drv_claude_put(o, "parent_tool_use_id", NULL);
	drv_claude_send(c, o);
}

/* A control_response to request id: success with response, or error. */
static void
drv_claude_respond(struct drv_claude *c, const char *id,
    struct json_object *response, const char *error)
{
	struct json_object	*o, *r;

	r = json_object_new_object();
	drv_claude_put(r, "subtype", error != NULL ? "error" : "success");
	drv_claude_put(r, "request_id", id);
	if (error != NULL)
		drv_claude_put(r, "error", error);
	else
		json_object_object_add(r, "response", response);
	o = json_object_new_object();
	drv_claude_put(o, "type", "control_response");
	json_object_object_add(o, "response", r);
	drv_claude_send(c, o);
}

/* A turn begins: claude works on a user message. */
static void
drv_claude_turn_begin(struct drv_claude *c)
{
	c->running = 1;
	c->said = 0;
	c->sink.turn(1, NULL, c->sink.arg);
}

/* The assistant message read so far is complete: hand it on. */
static void
drv_claude_flush(struct drv_claude *c)
{
	if (c->msg != NULL && c->msglen > 0 && !c->msg_error) {
		c->sink.message(c->msg, c->sink.arg);
		c->said = 1;
	}
	free(c->msg);
	c->msg = NULL;
	c->msglen = 0;
	c->msg_error = 0;
	free(c->msg_id);
	c->msg_id = NULL;
}

/* Add a text block to the assistant message being read. */
static void
drv_claude_msg_add(struct drv_claude *c, const char *s)
{
	size_t	len = strlen(s), sep;

	sep = c->msglen > 0 ? 1 : 0;
	if (len == 0 || c->msglen + sep + len > CLAUDE_MESSAGE_MAX)
		return;
	c->msg = xrealloc(c->msg, c->msglen + sep + len + 1);
	if (sep)
		c->msg[c->msglen++] = '\n';
	memcpy(c->msg + c->msglen, s, len + 1);
	c->msglen += len;
}

/* The call of a tool_use_id, or NULL. */
static struct drv_claude_call *
drv_claude_call_find(struct drv_claude *c, const char *id)
{
	struct drv_claude_call	*call;

	TAILQ_FOREACH(call, &c->calls, entry) {
		if (strcmp(call->id, id) == 0)
			return (call);
	}
	return (NULL);
}

/* Forget a call once its result came. */
static void
drv_claude_call_free(struct drv_claude *c, struct drv_claude_call *call)
{
	TAILQ_REMOVE(&c->calls, call, entry);
	c->ncalls--;
	free(call->id);
	free(call->what);
	free(call);
}

/* A Bash call's command: begun (done 0) or ended with output and code. */
static void
drv_claude_command(struct drv_claude *c, struct drv_claude_call *call,
    int done, const char *output, int exit_code)
{
	struct drv_command	cmd;

	if (!done) {
		call->begun = 1;
		call->started = mono_ms();
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.id = call->id;
	cmd.command = call->what;
	cmd.cwd = c->cwd;
	cmd.done = done;
	cmd.output = output;
	cmd.outlen = output != NULL ? strlen(output) : 0;
	cmd.exit_code = exit_code;
	cmd.duration_ms = done ? mono_ms() - call->started : -1;
	c->sink.command(&cmd, c->sink.arg);
}

/* The path a file tool's input names, or NULL. */
static const char *
drv_claude_path(struct json_object *input)
{
	const char	*path;

	if ((path = jsonget_str(input, "file_path")) == NULL)
		path = jsonget_str(input, "notebook_path");
	return (path);
}

/*
 * A tool_use block: remember it. A Bash call begins now when nobody is
 * asked, else when allowed (or at its result if claude never asked).
 */
static void
drv_claude_tool_use(struct drv_claude *c, struct json_object *block)
{
	struct drv_claude_call	*call;
	struct json_object	*input;
	const char		*id, *name, *what = NULL;
	enum drv_claude_tool	 tool = CLAUDE_TOOL_OTHER;

	id = jsonget_str(block, "id");
	name = jsonget_str(block, "name");
	input = jsonget_member(block, "input");
	if (id == NULL || name == NULL || c->ncalls >= CLAUDE_PENDING_MAX ||
	    drv_claude_call_find(c, id) != NULL)
		return;
	if (strcmp(name, "Bash") == 0 &&
	    (what = jsonget_str(input, "command")) != NULL)
		tool = CLAUDE_TOOL_BASH;
	else if (drv_claude_in(name, drv_claude_edit_tools) &&
	    (what = drv_claude_path(input)) != NULL)
		tool = CLAUDE_TOOL_EDIT;
	if (tool == CLAUDE_TOOL_OTHER)
		return;

	call = xcalloc(1, sizeof *call);
	call->id = xstrdup(id);
	call->tool = tool;
	call->what = xstrdup(what);
	TAILQ_INSERT_TAIL(&c->calls, call, entry);
	c->ncalls++;
	if (tool != CLAUDE_TOOL_BASH)
		return;
	drv_claude_line(c, "$ ", what);
	if (!c->ask_exec)
		drv_claude_command(c, call, 0, NULL, -1);
}

/* An assistant record: one or more content blocks of one message. */
static void
drv_claude_assistant(struct drv_claude *c, struct json_object *rec)
{
	struct json_object	*m, *content, *block;
	const char		*id, *type, *text;
	size_t			 i, n;
	int			 sub;

	m = jsonget_member(rec, "message");
	content = jsonget_member(m, "content");
	if (content == NULL || !json_object_is_type(content, json_type_array))
		return;
	/* A subagent's message (of a Task call) is not an answer to us. */
	sub = jsonget_str(rec, "parent_tool_use_id") != NULL;
	id = jsonget_str(m, "id");
	if (!sub && c->msg_id != NULL &&
	    (id == NULL || strcmp(id, c->msg_id) != 0))
		drv_claude_flush(c);
	if (!sub && c->msg_id == NULL && id != NULL)
		c->msg_id = xstrdup(id);
	if (!sub && (jsonget_member(rec, "error") != NULL ||
	    jsonget_member(rec, "is_api_error_message") != NULL))
		c->msg_error = 1;

	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		block = json_object_array_get_idx(content, i);
		if ((type = jsonget_str(block, "type")) == NULL)
			continue;
		if (strcmp(type, "text") == 0 &&
		    (text = jsonget_str(block, "text")) != NULL) {
			drv_claude_line(c, "", text);
			if (!sub)
				drv_claude_msg_add(c, text);
		} else if (strcmp(type, "tool_use") == 0)
			drv_claude_tool_use(c, block);
	}
	if (!sub && id == NULL)
		drv_claude_flush(c);
}

/* A tool_result's text: a string, or the text blocks of an array. */
static char *
drv_claude_result_text(struct json_object *content)
{
	struct json_object	*block;
	const char		*s;
	char			*out;
	size_t			 i, n, len = 0, slen;

	if (content == NULL)
		return (xstrdup(""));
	if (json_object_is_type(content, json_type_string))
		return (xstrdup(json_object_get_string(content)));
	if (!json_object_is_type(content, json_type_array))
		return (xstrdup(""));
	n = json_object_array_length(content);
	out = xstrdup("");
	for (i = 0; i < n; i++) {
		block = json_object_array_get_idx(content, i);
		if ((s = jsonget_str(block, "text")) == NULL)
			continue;
		slen = strlen(s);
		out = xrealloc(out, len + slen + 2);
		if (len > 0)
			out[len++] = '\n';
		memcpy(out + len, s, slen + 1);
		len += slen;
	}
	return (out);
}

/* The exit code a Bash result says: "Exit code N" when it failed. */
static int
drv_claude_exit_code(const char *text, int is_error)
{
	long long	code;
	char		buf[16];
	size_t		len;

	if (!is_error)
		return (0);
	if (strncmp(text, "Exit code ", 10) != 0)
		return (1);
	len = strcspn(text + 10, "\n");
	if (len == 0 || len >= sizeof buf)
		return (1);
	memcpy(buf, text + 10, len);
	buf[len] = '\0';
	if (parse_decimal(buf, 0, 255, &code) != 0)
		return (1);
	return ((int)code);
}

/*
 * A tool_result block: end its Bash command, or say an edit was made. A
 * refused call is no command: it says so in the transcript alone, or ends
 * with exit code -1 if it had begun.
 */
static void
drv_claude_tool_result(struct drv_claude *c, struct json_object *block)
{
	struct drv_claude_call	*call;
	const char		*id;
	char			*text;
	int			 is_error;

	if ((id = jsonget_str(block, "tool_use_id")) == NULL ||
	    (call = drv_claude_call_find(c, id)) == NULL)
		return;
	is_error = drv_claude_true(block, "is_error");
	text = drv_claude_result_text(jsonget_member(block, "content"));
	if (call->tool == CLAUDE_TOOL_EDIT) {
		if (!is_error)
			drv_claude_line(c, "wrote ", call->what);
		else if (call->denied)
			drv_claude_line(c, "denied: ", text);
	} else if (call->denied && !call->begun)
		drv_claude_line(c, "denied: ", text);
	else {
		if (*text != '\0')
			drv_claude_line(c, "", text);
		if (!call->begun)
			drv_claude_command(c, call, 0, NULL, -1);
		drv_claude_command(c, call, 1, text, call->denied ? -1 :
		    drv_claude_exit_code(text, is_error));
	}
	free(text);
	drv_claude_call_free(c, call);
}

/* A user record: claude's tool results for the model. */
static void
drv_claude_user_record(struct drv_claude *c, struct json_object *rec)
{
	struct json_object	*content, *block;
	const char		*type;
	size_t			 i, n;

	content = jsonget_member(jsonget_member(rec, "message"), "content");
	if (content == NULL || !json_object_is_type(content, json_type_array))
		return;
	drv_claude_flush(c);
	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		block = json_object_array_get_idx(content, i);
		if ((type = jsonget_str(block, "type")) != NULL &&
		    strcmp(type, "tool_result") == 0)
			drv_claude_tool_result(c, block);
	}
}

/* A system record: the init line once, denials claude made itself. */
static void
drv_claude_system(struct drv_claude *c, struct json_object *rec)
{
	struct drv_claude_call	*call;
	const char		*subtype, *s, *model;
	char			*line;

	if ((subtype = jsonget_str(rec, "subtype")) == NULL)
		return;
	if (strcmp(subtype, "init") == 0 && !c->banner) {
		c->banner = 1;
		s = jsonget_str(rec, "claude_code_version");
		model = jsonget_str(rec, "model");
		line = xasprintf("claude %s, model %s]", s == NULL ? "?" : s,
		    model == NULL ? "?" : model);
		drv_claude_line(c, "[", line);
		free(line);
	} else if (strcmp(subtype, "permission_denied") == 0) {
		if ((s = jsonget_str(rec, "tool_use_id")) != NULL &&
		    (call = drv_claude_call_find(c, s)) != NULL)
			call->denied = 1;
		if ((s = jsonget_str(rec, "tool_name")) != NULL)
			drv_claude_line(c, "denied by claude's own rules: ", s);
	}
}

/* The turn is over: a command still open never got its result. */
static void
drv_claude_calls_end(struct drv_claude *c)
{
	struct drv_claude_call	*call;

	while ((call = TAILQ_FIRST(&c->calls)) != NULL) {
		if (call->begun)
			drv_claude_command(c, call, 1, NULL, -1);
		drv_claude_call_free(c, call);
	}
}

/* A result record: the turn's usage, its final message, its end. */
static void
drv_claude_result(struct drv_claude *c, struct json_object *rec)
{
	struct json_object	*u, *cost;
	const char		*result;
	int			 is_error;

	drv_claude_flush(c);
	drv_claude_calls_end(c);
	u = jsonget_member(rec, "usage");
	if (u != NULL && json_object_is_type(u, json_type_object)) {
		/* input counts every prompt token, cached ones included. */
		drv_claude_add(&c->usage.input,
		    drv_claude_count(u, "input_tokens"));
		drv_claude_add(&c->usage.input,
		    drv_claude_count(u, "cache_creation_input_tokens"));
		drv_claude_add(&c->usage.input,
		    drv_claude_count(u, "cache_read_input_tokens"));
		drv_claude_add(&c->usage.cached_input,
		    drv_claude_count(u, "cache_read_input_tokens"));
		drv_claude_add(&c->usage.output,
		    drv_claude_count(u, "output_tokens"));
		drv_claude_add(&c->usage.reasoning,
		    drv_claude_count(jsonget_member(u, "output_tokens_details"),
		    "thinking_tokens"));
	}
	cost = jsonget_member(rec, "total_cost_usd");
	if (cost != NULL && (json_object_is_type(cost, json_type_double) ||
	    json_object_is_type(cost, json_type_int)) &&
	    isfinite(json_object_get_double(cost)) &&
	    json_object_get_double(cost) >= 0)
		c->usage.cost_usd = json_object_get_double(cost);

	is_error = drv_claude_true(rec, "is_error");
	result = jsonget_str(rec, "result");
	if (!is_error && !c->said && result != NULL && *result != '\0') {
		c->sink.message(result, c->sink.arg);
		c->said = 1;
	}
	c->sink.usage(&c->usage, c->sink.arg);
	if (is_error && (result == NULL || *result == '\0'))
		result = "claude reported an error";
	c->running = 0;
	c->sink.turn(0, is_error ? result : NULL, c->sink.arg);
	if (drv_claude_count(rec, "queued_turn_count") > 0)
		drv_claude_turn_begin(c);
}

/* The ask of a request_id, or NULL. */
static struct drv_claude_ask *
drv_claude_ask_find(struct drv_claude *c, const char *id)
{
	struct drv_claude_ask	*ask;

	TAILQ_FOREACH(ask, &c->asks, entry) {
		if (strcmp(ask->id, id) == 0)
			return (ask);
	}
	return (NULL);
}

/* Forget an ask, answered or withdrawn. */
static void
drv_claude_ask_free(struct drv_claude *c, struct drv_claude_ask *ask)
{
	TAILQ_REMOVE(&c->asks, ask, entry);
	c->nasks--;
	free(ask->id);
	free(ask->call);
	json_object_put(ask->input);
	free(ask);
}

/* A can_use_tool request: an approval for the session to answer. */
static void
drv_claude_can_use_tool(struct drv_claude *c, const char *id,
    struct json_object *req)
{
	struct drv_approval	 a;
	struct drv_claude_ask	*ask;
	struct json_object	*input;
	const char		*tool, *what = NULL, *desc, *s;
	char			*files[2] = { NULL, NULL }, *summary;

	tool = jsonget_str(req, "tool_name");
	input = jsonget_member(req, "input");
	if (tool == NULL || input == NULL ||
	    !json_object_is_type(input, json_type_object)) {
		drv_claude_respond(c, id, NULL,
		    "can_use_tool: no tool_name or input");
		return;
	}
	if (drv_claude_ask_find(c, id) != NULL)
		return;
	if (c->nasks >= CLAUDE_PENDING_MAX) {
		drv_claude_respond(c, id, NULL, "too many requests in flight");
		return;
	}

	memset(&a, 0, sizeof a);
	a.token = id;
	a.tool = tool;
	a.kind = "tool";
	if (strcmp(tool, "Bash") == 0 &&
	    (what = jsonget_str(input, "command")) != NULL) {
		a.kind = "exec";
		a.command = what;
		a.cwd = c->cwd;
	} else if (drv_claude_in(tool, drv_claude_edit_tools) &&
	    (what = drv_claude_path(input)) != NULL) {
		a.kind = "patch";
		files[0] = (char *)what;
		a.files = files;
	} else if (strcmp(tool, "WebFetch") == 0 ||
	    strcmp(tool, "WebSearch") == 0) {
		a.kind = "network";
		if ((what = jsonget_str(input, "url")) == NULL)
			what = jsonget_str(input, "query");
	}
	a.reason = jsonget_str(req, "decision_reason");
	if ((desc = jsonget_str(req, "description")) != NULL && what != NULL)
		summary = xasprintf("%s %s (%s)", tool, what, desc);
	else if (what != NULL || desc != NULL)
		summary = xasprintf("%s %s", tool, what != NULL ? what : desc);
	else
		summary = xstrdup(tool);
	summary[strcspn(summary, "\r\n")] = '\0';
	a.summary = summary;

	ask = xcalloc(1, sizeof *ask);
	ask->id = xstrdup(id);
	ask->input = json_object_get(input);	/* echoed as updatedInput */
	if ((s = jsonget_str(req, "tool_use_id")) != NULL)
		ask->call = xstrdup(s);
	TAILQ_INSERT_TAIL(&c->asks, ask, entry);
	c->nasks++;
	c->sink.approval(&a, c->sink.arg);
	free(summary);
}

/* A control_request from claude: can_use_tool, or refused. */
static void
drv_claude_control_request(struct drv_claude *c, struct json_object *rec)
{
	struct json_object	*req;
	const char		*id, *subtype;
	char			*error;

	if ((id = jsonget_str(rec, "request_id")) == NULL)
		return;
	req = jsonget_member(rec, "request");
	subtype = jsonget_str(req, "subtype");
	if (subtype != NULL && strcmp(subtype, "can_use_tool") == 0) {
		drv_claude_can_use_tool(c, id, req);
		return;
	}
	error = xasprintf("unsupported control request: %s",
	    subtype == NULL ? "(none)" : subtype);
	drv_claude_respond(c, id, NULL, error);
	free(error);
}

/* A control_response to ours: only a refused initialize matters. */
static void
drv_claude_control_response(struct drv_claude *c, struct json_object *rec)
{
	struct json_object	*r;
	const char		*id, *subtype, *error;
	char			*cause;

	r = jsonget_member(rec, "response");
	id = jsonget_str(r, "request_id");
	subtype = jsonget_str(r, "subtype");
	if (id == NULL || c->init_id == NULL || strcmp(id, c->init_id) != 0)
		return;
	free(c->init_id);
	c->init_id = NULL;
	if (subtype == NULL || strcmp(subtype, "error") != 0)
		return;
	error = jsonget_str(r, "error");
	cause = xasprintf("claude refused initialize: %s",
	    error == NULL ? "no reason given" : error);
	c->sink.fatal(cause, c->sink.arg);
	free(cause);
}

/* claude withdrew a can_use_tool request. */
static void
drv_claude_control_cancel(struct drv_claude *c, struct json_object *rec)
{
	struct drv_claude_ask	*ask;
	const char		*id;

	if ((id = jsonget_str(rec, "request_id")) == NULL ||
	    (ask = drv_claude_ask_find(c, id)) == NULL)
		return;
	c->sink.approval_gone(ask->id, c->sink.arg);
	drv_claude_ask_free(c, ask);
}

/* The argv: stream-json both ways, asks to us, the permission mode. */
static char **
drv_claude_argv(const char *command, const struct drv_params *p)
{
	static const char	*fixed[] = {
		"-p", "--input-format", "stream-json", "--output-format",
		"stream-json", "--verbose", "--permission-prompt-tool", "stdio",
		"--no-session-persistence", NULL
	};
	char			**argv;
	size_t			  n = 0, i, extra = 0;

	while (p->extra_args != NULL && p->extra_args[extra] != NULL)
		extra++;
	argv = xcalloc(1 + nitems(fixed) + 6 + extra + 1, sizeof *argv);
	argv[n++] = xstrdup(command);
	for (i = 0; fixed[i] != NULL; i++)
		argv[n++] = xstrdup(fixed[i]);
	argv[n++] = xstrdup("--permission-mode");
	argv[n++] = xstrdup(p->ask_edit ? "default" : "acceptEdits");
	/* An ask rule makes every Bash call ask, read-only ones included. */
	argv[n++] = xstrdup(p->ask_exec ? "--settings" : "--allowedTools");
	argv[n++] = xstrdup(p->ask_exec ?
	    "{\"permissions\":{\"ask\":[\"Bash\"]}}" : "Bash");
	if (p->model != NULL) {
		argv[n++] = xstrdup("--model");
		argv[n++] = xstrdup(p->model);
	}
	for (i = 0; i < extra; i++)
		argv[n++] = xstrdup(p->extra_args[i]);
	argv[n] = NULL;
	return (argv);
}

/* A driver for one claude process. */
static void *
drv_claude_create(const struct drv_params *p, const struct drv_sink *sink)
{
	struct drv_claude	*c;

	c = xcalloc(1, sizeof *c);
	c->sink = *sink;
	c->cwd = p->cwd != NULL ? xstrdup(p->cwd) : NULL;
	c->ask_exec = p->ask_exec;
	c->usage.input = c->usage.cached_input = -1;
	c->usage.output = c->usage.reasoning = -1;
	c->usage.cost_usd = -1;
	TAILQ_INIT(&c->calls);
	TAILQ_INIT(&c->asks);
	return (c);
}

/* Free a driver and what it still holds. */
static void
drv_claude_free(void *arg)
{
	struct drv_claude	*c = arg;

	if (c == NULL)
		return;
	while (!TAILQ_EMPTY(&c->calls))
		drv_claude_call_free(c, TAILQ_FIRST(&c->calls));
	while (!TAILQ_EMPTY(&c->asks))
		drv_claude_ask_free(c, TAILQ_FIRST(&c->asks));
	free(c->msg);
	free(c->msg_id);
	free(c->init_id);
	free(c->cwd);
	free(c);
}

/* The initialize control_request, then the first user message. */
static void
drv_claude_start(void *arg, const char *prompt)
{
	struct drv_claude	*c = arg;
	struct json_object	*o, *req;

	free(c->init_id);
	c->init_id = xasprintf("runnerd-%u", ++c->next_id);
	req = json_object_new_object();
	drv_claude_put(req, "subtype", "initialize");
	drv_claude_put(req, "hooks", NULL);
	o = json_object_new_object();
	drv_claude_put(o, "type", "control_request");
	drv_claude_put(o, "request_id", c->init_id);
	json_object_object_add(o, "request", req);
	drv_claude_send(c, o);

	drv_claude_user(c, prompt);
	drv_claude_turn_begin(c);
}

/* One record claude wrote; anything unknown or malformed is passed by. */
static void
drv_claude_record(void *arg, struct json_object *rec)
{
	struct drv_claude	*c = arg;
	const char		*type;

	if ((type = jsonget_str(rec, "type")) == NULL)
		return;
	if (!c->running && (strcmp(type, "assistant") == 0 ||
	    (strcmp(type, "system") == 0 &&
	    jsonget_str(rec, "subtype") != NULL &&
	    strcmp(jsonget_str(rec, "subtype"), "init") == 0)))
		drv_claude_turn_begin(c);

	if (strcmp(type, "system") == 0)
		drv_claude_system(c, rec);
	else if (strcmp(type, "assistant") == 0)
		drv_claude_assistant(c, rec);
	else if (strcmp(type, "user") == 0)
		drv_claude_user_record(c, rec);
	else if (strcmp(type, "result") == 0)
		drv_claude_result(c, rec);
	else if (strcmp(type, "control_request") == 0)
		drv_claude_control_request(c, rec);
	else if (strcmp(type, "control_response") == 0)
		drv_claude_control_response(c, rec);
	else if (strcmp(type, "control_cancel_request") == 0)
		drv_claude_control_cancel(c, rec);
}

/*
 * Another user message. claude takes it at once: into the running turn,
 * or as a new one.
 */
static void
drv_claude_input(void *arg, const char *text)
{
	struct drv_claude	*c = arg;

	drv_claude_user(c, text);
	if (!c->running)
		drv_claude_turn_begin(c);
}

/* The answer to a can_use_tool request; unknown tokens are ignored. */
static void
drv_claude_answer(void *arg, const char *token, int allow, const char *note)
{
	struct drv_claude	*c = arg;
	struct drv_claude_ask	*ask;
	struct drv_claude_call	*call = NULL;
	struct json_object	*r;

	if (token == NULL || (ask = drv_claude_ask_find(c, token)) == NULL)
		return;
	if (ask->call != NULL)
		call = drv_claude_call_find(c, ask->call);
	r = json_object_new_object();
	if (allow) {
		drv_claude_put(r, "behavior", "allow");
		/* The response holds the input too; the ask lets go of its. */
		json_object_object_add(r, "updatedInput",
		    json_object_get(ask->input));
	} else {
		drv_claude_put(r, "behavior", "deny");
		drv_claude_put(r, "message", note != NULL && *note != '\0' ?
		    note : "denied by a human reviewer");
	}
	drv_claude_respond(c, ask->id, r, NULL);
	drv_claude_ask_free(c, ask);
	if (call != NULL && !allow)
		call->denied = 1;
	else if (call != NULL && call->tool == CLAUDE_TOOL_BASH && !call->begun)
		drv_claude_command(c, call, 0, NULL, -1);
}

/* Whether a turn runs. */
static int
drv_claude_busy(const void *arg)
{
	const struct drv_claude	*c = arg;

	return (c->running);
}

const struct drv_ops drv_claude_ops = {
	drv_claude_argv,
	drv_claude_create,
	drv_claude_free,
	drv_claude_start,
	drv_claude_record,
	drv_claude_input,
	drv_claude_answer,
	drv_claude_busy
};
