/*
 * The codex driver: `codex app-server`, JSON-RPC 2.0 on stdio, one object
 * a line and no "jsonrpc" member (0.169 neither sends nor needs one).
 * initialize, then the initialized notification and thread/start, then a
 * turn/start per user message; item and turn notifications become sink
 * calls, and codex's approval requests wait until drv_answer.
 */
#include "config.h"

#include <sys/queue.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/util.h"
#include "worker/driver.h"
#include "worker/drv_codexargs.h"

/* Approvals codex may hold at once; more are refused. */
#define DRV_CODEX_ASKS_MAX		256
/* fileChange items remembered for their approval requests. */
#define DRV_CODEX_PATCHES_MAX	64
/* Characters of a command or method shown in one transcript line. */
#define DRV_CODEX_LINE_MAX		200

/* Our requests, one of each at most outstanding. */
enum drv_codex_what {
	DRV_CODEX_INIT,
	DRV_CODEX_THREAD,
	DRV_CODEX_TURN,
	DRV_CODEX_NWHAT
};
static const char *const drv_codex_methods[] = {
	"initialize", "thread/start", "turn/start"
};

/* An approval codex waits for. */
struct drv_codex_ask {
	char				*token;
	struct json_object		*id;
	TAILQ_ENTRY(drv_codex_ask)	 entry;
};

/* A user message waiting for its turn. */
struct drv_codex_msg {
	char				*text;
	TAILQ_ENTRY(drv_codex_msg)	 entry;
};

/* A fileChange item's paths: its approval request names only the item. */
struct drv_codex_patch {
	char				 *id;
	char				**files;
	TAILQ_ENTRY(drv_codex_patch)	  entry;
};

struct drv_codex {
	struct drv_sink		 sink;
	char			*cwd;
	char			*model;
	int			 ask;
	int			 started;
	int			 dead;
	char			*thread;	/* once thread/start answered */
	int64_t			 next_id;
	int64_t			 pending[DRV_CODEX_NWHAT]; /* or -1 */
	int			 turn;		/* turn/start sent, not ended */
	char			*error;		/* the turn's last error */
	char			*streamed;	/* message shown by deltas */
	u_int			 nasks;
	u_int			 npatches;
	TAILQ_HEAD(, drv_codex_ask)	 asks;
	TAILQ_HEAD(, drv_codex_msg)	 queue;
	TAILQ_HEAD(, drv_codex_patch)	 patches;
};

typedef void	drv_codex_note_fn(struct drv_codex *, struct json_object *);
typedef void	drv_codex_ask_fn(struct drv_codex *, struct json_object *,
		    struct json_object *, const char *);

/* An integer member, or def when absent or not an integer. */
static int64_t
drv_codex_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object	*v = jsonget_member(o, key);

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return (def);
	return (json_object_get_int64(v));
}

/* An object member, NULL when absent or not an object. */
static struct json_object *
drv_codex_obj(struct json_object *o, const char *key)
{
	struct json_object	*v = jsonget_member(o, key);

	if (v == NULL || !json_object_is_type(v, json_type_object))
		return (NULL);
	return (v);
}

/* A string that may be NULL, replaced and freed. */
static void
drv_codex_set(char **sp, const char *s)
{
	free(*sp);
	*sp = s != NULL ? xstrdup(s) : NULL;
}

/* Transcript text. */
static void
drv_codex_text(struct drv_codex *c, const char *s, size_t len)
{
	if (len != 0)
		c->sink.text(s, len, c->sink.arg);
}

/* A transcript line made by format. */
static void __attribute__((format(printf, 2, 3)))
drv_codex_textf(struct drv_codex *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s != NULL)
		drv_codex_text(c, s, strlen(s));
	free(s);
}

/* Fail the session once; everything after is ignored. */
static void __attribute__((format(printf, 2, 3)))
drv_codex_fatal(struct drv_codex *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (c->dead)
		return;
	c->dead = 1;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	c->sink.fatal(s != NULL ? s : "codex: protocol error", c->sink.arg);
	free(s);
}

/* Write one message to codex and free it. */
static void
drv_codex_send(struct drv_codex *c, struct json_object *o)
{
	const char	*s;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	c->sink.send(s, strlen(s), c->sink.arg);
	json_object_put(o);
}

/* A request of ours; params is taken. */
static void
drv_codex_request(struct drv_codex *c, enum drv_codex_what what,
    struct json_object *params)
{
	struct json_object	*o = json_object_new_object();

	c->pending[what] = c->next_id++;
	json_object_object_add(o, "id",
	    json_object_new_int64(c->pending[what]));
	json_object_object_add(o, "method",
	    json_object_new_string(drv_codex_methods[what]));
	json_object_object_add(o, "params", params);
	drv_codex_send(c, o);
}

/* The next queued user message as a turn, when the thread is idle. */
static void
drv_codex_pump(struct drv_codex *c)
{
	struct json_object	*p, *input, *item;
	struct drv_codex_msg	*m;

	if (c->dead || c->thread == NULL || c->turn ||
	    (m = TAILQ_FIRST(&c->queue)) == NULL)
		return;
	TAILQ_REMOVE(&c->queue, m, entry);

	item = json_object_new_object();
	json_object_object_add(item, "type", json_object_new_string("text"));
	json_object_object_add(item, "text", json_object_new_string(m->text));
	input = json_object_new_array();
	json_object_array_add(input, item);
	p = json_object_new_object();
	json_object_object_add(p, "threadId",
	    json_object_new_string(c->thread));
	json_object_object_add(p, "input", input);

	c->turn = 1;
	drv_codex_request(c, DRV_CODEX_TURN, p);
	free(m->text);
	free(m);
}

/* After initialize: the initialized notification, then thread/start. */
static void
drv_codex_initialized(struct drv_codex *c)
{
	struct json_object	*o, *p;

	o = json_object_new_object();
	json_object_object_add(o, "method",
	    json_object_new_string("initialized"));
	drv_codex_send(c, o);

	p = json_object_new_object();
	json_object_object_add(p, "cwd", json_object_new_string(c->cwd));
	json_object_object_add(p, "approvalPolicy",
	    json_object_new_string(c->ask ? "untrusted" : "never"));
	json_object_object_add(p, "sandbox",
	    json_object_new_string("danger-full-access"));
	if (c->model != NULL)
		json_object_object_add(p, "model",
		    json_object_new_string(c->model));
	drv_codex_request(c, DRV_CODEX_THREAD, p);
}

/* The response to one of our requests. */
static void
drv_codex_response(struct drv_codex *c, struct json_object *rec, int64_t id)
{
	struct json_object	*err, *thread;
	enum drv_codex_what	 what;
	const char		*msg, *tid;

	for (what = 0; what < DRV_CODEX_NWHAT; what++) {
		if (c->pending[what] == id)
			break;
	}
	if (id < 0 || what == DRV_CODEX_NWHAT)
		return;
	c->pending[what] = -1;

	if ((err = jsonget_member(rec, "error")) != NULL) {
		if ((msg = jsonget_str(err, "message")) == NULL)
			msg = "no message";
		drv_codex_fatal(c, "codex: %s failed: %.*s",
		    drv_codex_methods[what], DRV_CODEX_LINE_MAX * 4, msg);
		return;
	}
	switch (what) {
	case DRV_CODEX_INIT:
		drv_codex_initialized(c);
		break;
	case DRV_CODEX_THREAD:
		thread = drv_codex_obj(drv_codex_obj(rec, "result"), "thread");
		tid = jsonget_str(thread, "id");
		if (tid == NULL || *tid == '\0') {
			drv_codex_fatal(c,
			    "codex: thread/start gave no thread id");
			return;
		}
		drv_codex_set(&c->thread, tid);
		drv_codex_pump(c);
		break;
	case DRV_CODEX_TURN:
	case DRV_CODEX_NWHAT:
		break;
	}
}

/* Whether a notification is about a thread other than ours. */
static int
drv_codex_other_thread(struct drv_codex *c, struct json_object *params)
{
	const char	*tid = jsonget_str(params, "threadId");

	return (c->thread != NULL && tid != NULL &&
	    strcmp(tid, c->thread) != 0);
}

/* turn/started. */
static void
drv_codex_turn_started(struct drv_codex *c, struct json_object *params)
{
	if (drv_codex_other_thread(c, params))
		return;
	drv_codex_set(&c->error, NULL);
	c->sink.turn(1, NULL, c->sink.arg);
}

/* turn/completed: failed and interrupted turns end with their error. */
static void
drv_codex_turn_completed(struct drv_codex *c, struct json_object *params)
{
	struct json_object	*turn;
	const char		*status, *msg;
	char			*err = NULL;

	if (drv_codex_other_thread(c, params))
		return;
	turn = drv_codex_obj(params, "turn");
	status = jsonget_str(turn, "status");
	msg = jsonget_str(drv_codex_obj(turn, "error"), "message");
	if (msg == NULL)
		msg = c->error;
	if (status != NULL && strcmp(status, "failed") == 0)
		err = xasprintf("turn failed: %s", msg != NULL ? msg : "");
	else if (status != NULL && strcmp(status, "interrupted") == 0)
		err = xasprintf("turn interrupted%s%s", msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
	if (err != NULL)
		drv_codex_textf(c, "codex: %s\n", err);

	c->turn = 0;
	drv_codex_set(&c->error, NULL);
	c->sink.turn(0, err, c->sink.arg);
	free(err);
	drv_codex_pump(c);
}

/* A commandExecution item as a command event and transcript lines. */
static void
drv_codex_command(struct drv_codex *c, struct json_object *item, int done)
{
	struct drv_command	 cmd;
	const char		*status;

	memset(&cmd, 0, sizeof cmd);
	cmd.id = jsonget_str(item, "id");
	if ((cmd.command = jsonget_str(item, "command")) == NULL)
		cmd.command = "";
	if (cmd.id == NULL)
		cmd.id = "";
	cmd.cwd = jsonget_str(item, "cwd");
	cmd.done = done;
	cmd.exit_code = -1;
	cmd.duration_ms = -1;
	if (!done) {
		drv_codex_textf(c, "$ %s\n", cmd.command);
		c->sink.command(&cmd, c->sink.arg);
		return;
	}
	if ((cmd.output = jsonget_str(item, "aggregatedOutput")) != NULL)
		cmd.outlen = strlen(cmd.output);
	cmd.exit_code = (int)drv_codex_int(item, "exitCode", -1);
	if (cmd.exit_code != drv_codex_int(item, "exitCode", -1))
		cmd.exit_code = -1;
	cmd.duration_ms = drv_codex_int(item, "durationMs", -1);
	c->sink.command(&cmd, c->sink.arg);

	drv_codex_text(c, cmd.output, cmd.outlen);
	if (cmd.outlen != 0 && cmd.output[cmd.outlen - 1] != '\n')
		drv_codex_text(c, "\n", 1);
	status = jsonget_str(item, "status");
	if (status != NULL && strcmp(status, "declined") == 0)
		drv_codex_textf(c, "(declined)\n");
	else if (cmd.exit_code > 0)
		drv_codex_textf(c, "(exit %d)\n", cmd.exit_code);
}

/* The paths of a fileChange item's changes, NULL if none. */
static char **
drv_codex_patch_files(struct json_object *item)
{
	struct json_object	*changes = jsonget_member(item, "changes");
	char			**files;
	const char		*path;
	size_t			 i, n, k = 0;

	if (changes == NULL || !json_object_is_type(changes, json_type_array))
		return (NULL);
	n = json_object_array_length(changes);
	files = xcalloc(n + 1, sizeof *files);
	for (i = 0; i < n; i++) {
		path = jsonget_str(json_object_array_get_idx(changes, i),
		    "path");
		if (path != NULL)
			files[k++] = xstrdup(path);
	}
	if (k == 0) {
		free(files);
		return (NULL);
	}
	return (files);
}

/* Forget a remembered fileChange item. */
static void
drv_codex_patch_free(struct drv_codex *c, struct drv_codex_patch *p)
{
	TAILQ_REMOVE(&c->patches, p, entry);
	c->npatches--;
	strv_free(p->files);
	free(p->id);
	free(p);
}

/* The remembered fileChange item of this id, or NULL. */
static struct drv_codex_patch *
drv_codex_patch_find(struct drv_codex *c, const char *id)
{
	struct drv_codex_patch	*p;

	if (id == NULL)
		return (NULL);
	TAILQ_FOREACH(p, &c->patches, entry) {
		if (strcmp(p->id, id) == 0)
			return (p);
	}
	return (NULL);
}

/* item/started: a command begins; a file change is remembered. */
static void
drv_codex_item_started(struct drv_codex *c, struct json_object *params)
{
	struct json_object	*item = drv_codex_obj(params, "item");
	const char		*type = jsonget_str(item, "type");
	const char		*id = jsonget_str(item, "id");
	struct drv_codex_patch	*p;
	char			**files;

	if (type == NULL)
		return;
	if (strcmp(type, "commandExecution") == 0)
		drv_codex_command(c, item, 0);
	else if (strcmp(type, "fileChange") == 0 && id != NULL &&
	    drv_codex_patch_find(c, id) == NULL &&
	    (files = drv_codex_patch_files(item)) != NULL) {
		if (c->npatches == DRV_CODEX_PATCHES_MAX)
			drv_codex_patch_free(c, TAILQ_FIRST(&c->patches));
		p = xcalloc(1, sizeof *p);
		p->id = xstrdup(id);
		p->files = files;
		TAILQ_INSERT_TAIL(&c->patches, p, entry);
		c->npatches++;
	}
}

/* item/completed: command ends, agent messages, file changes. */
static void
drv_codex_item_completed(struct drv_codex *c, struct json_object *params)
{
	struct json_object	*item = drv_codex_obj(params, "item"), *ch;
	const char		*type = jsonget_str(item, "type");
	const char		*id = jsonget_str(item, "id"), *text, *path;
	struct drv_codex_patch	*p;
	size_t			 i, n;

	if (type == NULL)
		return;
	if (strcmp(type, "commandExecution") == 0)
		drv_codex_command(c, item, 1);
	else if (strcmp(type, "agentMessage") == 0) {
		if ((text = jsonget_str(item, "text")) == NULL)
			return;
		if (c->streamed == NULL || id == NULL ||
		    strcmp(c->streamed, id) != 0)
			drv_codex_text(c, text, strlen(text));
		drv_codex_text(c, "\n", 1);
		drv_codex_set(&c->streamed, NULL);
		c->sink.message(text, c->sink.arg);
	} else if (strcmp(type, "fileChange") == 0) {
		if ((p = drv_codex_patch_find(c, id)) != NULL)
			drv_codex_patch_free(c, p);
		if ((ch = jsonget_member(item, "changes")) == NULL ||
		    !json_object_is_type(ch, json_type_array))
			return;
		n = json_object_array_length(ch);
		for (i = 0; i < n; i++) {
			path = jsonget_str(json_object_array_get_idx(ch, i),
			    "path");
			if (path != NULL)
				drv_codex_textf(c, "edited %s\n", path);
		}
	}
}

/* item/agentMessage/delta: live assistant text. */
static void
drv_codex_delta(struct drv_codex *c, struct json_object *params)
{
	const char	*delta = jsonget_str(params, "delta");
	const char	*id = jsonget_str(params, "itemId");

	if (delta == NULL)
		return;
	if (id != NULL && (c->streamed == NULL || strcmp(c->streamed, id) != 0))
		drv_codex_set(&c->streamed, id);
	drv_codex_text(c, delta, strlen(delta));
}

/* thread/tokenUsage/updated: the thread's running total. */
static void
drv_codex_usage(struct drv_codex *c, struct json_object *params)
{
	struct json_object	*total;
	struct drv_usage	 u;

	if (drv_codex_other_thread(c, params))
		return;
	total = drv_codex_obj(drv_codex_obj(params, "tokenUsage"), "total");
	if (total == NULL)
		return;
	u.input = drv_codex_int(total, "inputTokens", -1);
	u.cached_input = drv_codex_int(total, "cachedInputTokens", -1);
	u.output = drv_codex_int(total, "outputTokens", -1);
	u.reasoning = drv_codex_int(total, "reasoningOutputTokens", -1);
	u.cost_usd = -1;
	c->sink.usage(&u, c->sink.arg);
}

/* error: shown, and kept as the turn's error should it fail. */
static void
drv_codex_error(struct drv_codex *c, struct json_object *params)
{
	struct json_object	*err = drv_codex_obj(params, "error");
	struct json_object	*retry = jsonget_member(params, "willRetry");
	const char		*msg, *more;

	if ((msg = jsonget_str(err, "message")) == NULL)
		return;
	if ((more = jsonget_str(err, "additionalDetails")) == NULL)
		more = "";
	drv_codex_textf(c, "codex: %s: %.*s%s%.*s%s\n",
	    retry != NULL && json_object_get_boolean(retry) ? "retrying" :
	    "error", DRV_CODEX_LINE_MAX, msg, *more != '\0' ? " (" : "",
	    DRV_CODEX_LINE_MAX, more, *more != '\0' ? ")" : "");
	drv_codex_set(&c->error, msg);
}

/* warning: one line. */
static void
drv_codex_warning(struct drv_codex *c, struct json_object *params)
{
	const char	*msg = jsonget_str(params, "message");

	if (msg != NULL)
		drv_codex_textf(c, "codex: warning: %.*s\n",
		    DRV_CODEX_LINE_MAX, msg);
}

/* Whether two JSON-RPC ids are the same id. */
static int
drv_codex_same_id(struct json_object *a, struct json_object *b)
{
	if (json_object_is_type(a, json_type_int) &&
	    json_object_is_type(b, json_type_int))
		return (json_object_get_int64(a) == json_object_get_int64(b));
	if (json_object_is_type(a, json_type_string) &&
	    json_object_is_type(b, json_type_string))
		return (strcmp(json_object_get_string(a),
		    json_object_get_string(b)) == 0);
	return (0);
}

/* Forget a held approval. */
static void
drv_codex_ask_free(struct drv_codex *c, struct drv_codex_ask *a)
{
	TAILQ_REMOVE(&c->asks, a, entry);
	c->nasks--;
	json_object_put(a->id);
	free(a->token);
	free(a);
}

/* serverRequest/resolved: codex settled a request itself. */
static void
drv_codex_resolved(struct drv_codex *c, struct json_object *params)
{
	struct json_object	*id = jsonget_member(params, "requestId");
	struct drv_codex_ask	*a;

	if (id == NULL)
		return;
	TAILQ_FOREACH(a, &c->asks, entry) {
		if (drv_codex_same_id(a->id, id))
			break;
	}
	if (a == NULL)
		return;
	c->sink.approval_gone(a->token, c->sink.arg);
	drv_codex_ask_free(c, a);
}

/* The error response that tells codex a request will not be answered. */
static void
drv_codex_refuse(struct drv_codex *c, struct json_object *id,
    const char *method, const char *why)
{
	struct json_object	*o, *err;

	err = json_object_new_object();
	json_object_object_add(err, "code", json_object_new_int(-32601));
	json_object_object_add(err, "message", json_object_new_string(why));
	o = json_object_new_object();
	/* The id is codex's; the response holds a reference. */
	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "error", err);
	drv_codex_send(c, o);
	drv_codex_textf(c, "codex: refused %.*s: %s\n", DRV_CODEX_LINE_MAX,
	    method, why);
}

/* A request's token: the number, or the string in quotes. */
static char *
drv_codex_token(struct json_object *id)
{
	if (json_object_is_type(id, json_type_int))
		return (xasprintf("%" PRId64, json_object_get_int64(id)));
	return (xasprintf("\"%s\"", json_object_get_string(id)));
}

/* Hold an approval and hand it to the session. */
static void
drv_codex_hold(struct drv_codex *c, struct json_object *id,
    struct drv_approval *ap, const char *method)
{
	struct drv_codex_ask	*a;
	char			*token;

	token = drv_codex_token(id);
	TAILQ_FOREACH(a, &c->asks, entry) {
		if (strcmp(a->token, token) == 0)
			break;
	}
	if (a != NULL || c->nasks >= DRV_CODEX_ASKS_MAX) {
		drv_codex_refuse(c, id, method, a != NULL ?
		    "request id already pending" :
		    "too many approvals pending");
		free(token);
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->token = token;
	/* Kept until the answer: the response names this id. */
	a->id = json_object_get(id);
	TAILQ_INSERT_TAIL(&c->asks, a, entry);
	c->nasks++;

	ap->token = a->token;
	c->sink.approval(ap, c->sink.arg);
}

/* item/commandExecution/requestApproval. */
static void
drv_codex_ask_exec(struct drv_codex *c, struct json_object *id,
    struct json_object *params, const char *method)
{
	struct drv_approval	 ap;
	struct json_object	*net;
	char			*summary;
	const char		*host;

	memset(&ap, 0, sizeof ap);
	ap.command = jsonget_str(params, "command");
	ap.cwd = jsonget_str(params, "cwd");
	ap.reason = jsonget_str(params, "reason");
	net = drv_codex_obj(params, "networkApprovalContext");
	if (net != NULL) {
		ap.kind = "network";
		if ((host = jsonget_str(net, "host")) == NULL)
			host = "?";
		summary = xasprintf("network access to %.*s",
		    DRV_CODEX_LINE_MAX, host);
	} else {
		ap.kind = "exec";
		summary = xasprintf("run %.*s", DRV_CODEX_LINE_MAX,
		    ap.command != NULL ? ap.command : "a command");
	}
	ap.summary = summary;
	drv_codex_hold(c, id, &ap, method);
	free(summary);
}

/* A patch approval's summary from its files. */
static char *
drv_codex_patch_summary(char **files)
{
	size_t	n = files != NULL ? strv_len(files) : 0;

	if (n == 0)
		return (xstrdup("edit files"));
	if (n == 1)
		return (xasprintf("edit %.*s", DRV_CODEX_LINE_MAX, files[0]));
	return (xasprintf("edit %.*s and %zu more", DRV_CODEX_LINE_MAX,
	    files[0], n - 1));
}

/* item/fileChange/requestApproval: the files from its item. */
static void
drv_codex_ask_patch(struct drv_codex *c, struct json_object *id,
    struct json_object *params, const char *method)
{
	struct drv_approval	 ap;
	struct drv_codex_patch	*p;
	char			*summary;

	memset(&ap, 0, sizeof ap);
	ap.kind = "patch";
	ap.reason = jsonget_str(params, "reason");
	ap.cwd = jsonget_str(params, "grantRoot");
	p = drv_codex_patch_find(c, jsonget_str(params, "itemId"));
	if (p != NULL)
		ap.files = p->files;
	summary = drv_codex_patch_summary(p != NULL ? p->files : NULL);
	ap.summary = summary;
	drv_codex_hold(c, id, &ap, method);
	free(summary);
}

/* The notifications the driver acts on; the rest are only forwarded. */
static const struct {
	const char	*method;
	drv_codex_note_fn	*fn;
} drv_codex_notes[] = {
	{ "turn/started", drv_codex_turn_started },
	{ "turn/completed", drv_codex_turn_completed },
	{ "item/started", drv_codex_item_started },
	{ "item/completed", drv_codex_item_completed },
	{ "item/agentMessage/delta", drv_codex_delta },
	{ "thread/tokenUsage/updated", drv_codex_usage },
	{ "error", drv_codex_error },
	{ "warning", drv_codex_warning },
	{ "serverRequest/resolved", drv_codex_resolved },
};

/* The requests codex makes that a human answers; the rest are refused. */
static const struct {
	const char	*method;
	drv_codex_ask_fn	*fn;
} drv_codex_asks[] = {
	{ "item/commandExecution/requestApproval", drv_codex_ask_exec },
	{ "item/fileChange/requestApproval", drv_codex_ask_patch },
};

/* A request codex makes of us. */
static void
drv_codex_server_request(struct drv_codex *c, const char *method,
    struct json_object *id, struct json_object *params)
{
	size_t	i;

	for (i = 0; i < nitems(drv_codex_asks); i++) {
		if (strcmp(drv_codex_asks[i].method, method) == 0) {
			drv_codex_asks[i].fn(c, id, params, method);
			return;
		}
	}
	drv_codex_refuse(c, id, method, "runnerd does not answer this request");
}

/* A record codex wrote: a response, a notification or a request. */
static void
drv_codex_record(void *arg, struct json_object *rec)
{
	struct drv_codex	*c = arg;
	struct json_object	*id, *params;
	const char		*method;
	size_t			 i;

	if (c->dead || rec == NULL || !json_object_is_type(rec,
	    json_type_object))
		return;
	id = jsonget_member(rec, "id");
	if (id != NULL && !json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_string))
		return;
	method = jsonget_str(rec, "method");
	if (method == NULL) {
		if (id != NULL && json_object_is_type(id, json_type_int))
			drv_codex_response(c, rec, json_object_get_int64(id));
		return;
	}
	params = drv_codex_obj(rec, "params");
	if (id != NULL) {
		drv_codex_server_request(c, method, id, params);
		return;
	}
	for (i = 0; i < nitems(drv_codex_notes); i++) {
		if (strcmp(drv_codex_notes[i].method, method) == 0) {
			drv_codex_notes[i].fn(c, params);
			return;
		}
	}
}

/* A driver for one session. */
static void *
drv_codex_create(const struct drv_params *p, const struct drv_sink *sink)
{
	struct drv_codex	*c;
	int			 i;

	c = xcalloc(1, sizeof *c);
	c->sink = *sink;
	c->cwd = xstrdup(p->cwd != NULL ? p->cwd : ".");
	c->model = p->model != NULL ? xstrdup(p->model) : NULL;
	c->ask = p->ask_exec || p->ask_edit;
	c->next_id = 1;
	for (i = 0; i < DRV_CODEX_NWHAT; i++)
		c->pending[i] = -1;
	TAILQ_INIT(&c->asks);
	TAILQ_INIT(&c->queue);
	TAILQ_INIT(&c->patches);
	return (c);
}

/* Free a driver and whatever it still holds. */
static void
drv_codex_free(void *arg)
{
	struct drv_codex	*c = arg;
	struct drv_codex_ask	*a;
	struct drv_codex_msg	*m;

	if (c == NULL)
		return;
	while ((a = TAILQ_FIRST(&c->asks)) != NULL)
		drv_codex_ask_free(c, a);
	while ((m = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, m, entry);
		free(m->text);
		free(m);
	}
	while (!TAILQ_EMPTY(&c->patches))
		drv_codex_patch_free(c, TAILQ_FIRST(&c->patches));
	free(c->cwd);
	free(c->model);
	free(c->thread);
	free(c->error);
	free(c->streamed);
	free(c);
}

/* Queue a user message for its turn. */
static void
drv_codex_queue(struct drv_codex *c, const char *text, int first)
{
	struct drv_codex_msg	*m;

	m = xcalloc(1, sizeof *m);
	m->text = xstrdup(text != NULL ? text : "");
	if (first)
		TAILQ_INSERT_HEAD(&c->queue, m, entry);
	else
		TAILQ_INSERT_TAIL(&c->queue, m, entry);
}

/* The handshake; the prompt waits for the thread as the first turn. */
static void
drv_codex_start(void *arg, const char *prompt)
{
	struct drv_codex	*c = arg;
	struct json_object	*p, *info;

	if (c->started || c->dead)
		return;
	c->started = 1;
	drv_codex_queue(c, prompt, 1);

	info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string("runnerd"));
	json_object_object_add(info, "version",
	    json_object_new_string(PACKAGE_VERSION));
	p = json_object_new_object();
	json_object_object_add(p, "clientInfo", info);
	drv_codex_request(c, DRV_CODEX_INIT, p);
}

/* A user message: a turn now, or when the running one completes. */
static void
drv_codex_input(void *arg, const char *text)
{
	struct drv_codex	*c = arg;

	if (c->dead)
		return;
	drv_codex_queue(c, text, 0);
	drv_codex_pump(c);
}

/* The answer to a held approval. */
static void
drv_codex_answer(void *arg, const char *token, int allow, const char *note)
{
	struct drv_codex	*c = arg;
	struct drv_codex_ask	*a;
	struct json_object	*o, *result;

	if (c->dead || token == NULL)
		return;
	TAILQ_FOREACH(a, &c->asks, entry) {
		if (strcmp(a->token, token) == 0)
			break;
	}
	if (a == NULL)
		return;

	/* v2 decisions; the note has no place in them. */
	(void)note;
	result = json_object_new_object();
	json_object_object_add(result, "decision",
	    json_object_new_string(allow ? "accept" : "decline"));
	o = json_object_new_object();
	/* The response holds its own reference to codex's id. */
	json_object_object_add(o, "id", json_object_get(a->id));
	json_object_object_add(o, "result", result);
	drv_codex_send(c, o);
	drv_codex_ask_free(c, a);
}

/* Whether a turn runs or a message waits for one. */
static int
drv_codex_busy(const void *arg)
{
	const struct drv_codex	*c = arg;

	return (c->turn || !TAILQ_EMPTY(&c->queue));
}

const struct drv_ops drv_codex_ops = {
	drv_codexargs_argv,
	drv_codex_create,
	drv_codex_free,
	drv_codex_start,
	drv_codex_record,
	drv_codex_input,
	drv_codex_answer,
	drv_codex_busy
};
