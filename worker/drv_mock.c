/*
 * A mock protocol driver for test builds (--enable-test-hooks): with
 * RUNNERD_TEST_DRIVER=mock in the worker's environment it stands in for
 * every kind, so the integration tests drive a whole session (pipes,
 * sandbox, approvals, turns, usage) through runnerd-fake-agent --protocol
 * mock without the real CLIs. One JSON object a line each way:
 *   to the CLI: {"op":"start","prompt"}, {"op":"input","text"},
 *	{"op":"answer","id","allow","note"?}
 *   from it: {"ev":"turn","started","error"?}, {"ev":"text","text"},
 *	{"ev":"command","id","command","done"?,"output"?,"exit"?},
 *	{"ev":"approval","id","command"}, {"ev":"gone","id"},
 *	{"ev":"message","text"}, {"ev":"usage","input","cached","output",
 *	"reasoning","cost"?}, {"ev":"fatal","reason"}
 */
#include "config.h"

#ifdef RUNNERD_TEST_HOOKS

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/util.h"
#include "worker/driver.h"

#define MOCK_QUEUE	16	/* inputs waiting for a turn */

struct mock {
	struct drv_sink	 sink;
	int		 busy;
	char		*queue[MOCK_QUEUE];
	size_t		 nqueue;
};

/* Send one message object (consumed). */
static void
mock_send(struct mock *m, struct json_object *o)
{
	const char	*s;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	m->sink.send(s, strlen(s), m->sink.arg);
	json_object_put(o);
}

/* {"op": op, key: text}. */
static void
mock_op(struct mock *m, const char *op, const char *key, const char *text)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, key, json_object_new_string(text));
	mock_send(m, o);
	m->busy = 1;
}

/* The command followed by the config's extra_args. */
static char **
mock_argv(const char *command, const struct drv_params *p)
{
	size_t	  n = strv_len((char **)p->extra_args), i;
	char	**v;

	v = xcalloc(n + 4, sizeof *v);
	v[0] = xstrdup(command);
	v[1] = xstrdup("--protocol");
	v[2] = xstrdup("mock");
	for (i = 0; i < n; i++)
		v[3 + i] = xstrdup(p->extra_args[i]);
	return (v);
}

/* A driver for one session: the sink kept. */
static void *
mock_create(const struct drv_params *p, const struct drv_sink *sink)
{
	struct mock	*m;

	m = xcalloc(1, sizeof *m);
	m->sink = *sink;
	return (m);
}

/* Free the driver and the input it still queues. */
static void
mock_free(void *arg)
{
	struct mock	*m = arg;
	size_t		 i;

	for (i = 0; i < m->nqueue; i++)
		free(m->queue[i]);
	free(m);
}

/* The task: the first turn. */
static void
mock_start(void *arg, const char *prompt)
{
	mock_op(arg, "start", "prompt", prompt != NULL ? prompt : "");
}

/* An integer member, or -1. */
static int64_t
mock_int(struct json_object *o, const char *key)
{
	struct json_object	*v = jsonget_member(o, key);

	return (v != NULL && json_object_is_type(v, json_type_int) ?
	    json_object_get_int64(v) : -1);
}

/* A record from the CLI. */
static void
mock_record(void *arg, struct json_object *o)
{
	struct mock		*m = arg;
	struct drv_approval	 a;
	struct drv_command	 c;
	struct drv_usage	 u;
	struct json_object	*v;
	const char		*ev = jsonget_str(o, "ev"), *s;
	char			*next;
	size_t			 i;

	if (ev == NULL) {
		m->sink.fatal("a record without \"ev\"", m->sink.arg);
		return;
	}
	if (strcmp(ev, "turn") == 0) {
		v = jsonget_member(o, "started");
		if (v != NULL && json_object_get_boolean(v)) {
			m->sink.turn(1, NULL, m->sink.arg);
			return;
		}
		m->busy = 0;
		if (m->nqueue > 0) {
			next = m->queue[0];
			for (i = 1; i < m->nqueue; i++)
				m->queue[i - 1] = m->queue[i];
			m->nqueue--;
			mock_op(m, "input", "text", next);
			free(next);
		}
		m->sink.turn(0, jsonget_str(o, "error"), m->sink.arg);
	} else if (strcmp(ev, "text") == 0 &&
	    (s = jsonget_str(o, "text")) != NULL)
		m->sink.text(s, strlen(s), m->sink.arg);
	else if (strcmp(ev, "message") == 0 &&
	    (s = jsonget_str(o, "text")) != NULL)
		m->sink.message(s, m->sink.arg);
	else if (strcmp(ev, "approval") == 0 && jsonget_str(o, "id") != NULL) {
		memset(&a, 0, sizeof a);
		a.token = jsonget_str(o, "id");
		a.kind = "exec";
		a.command = jsonget_str(o, "command");
		a.tool = "shell";
		a.summary = a.command;
		m->sink.approval(&a, m->sink.arg);
	} else if (strcmp(ev, "gone") == 0 && jsonget_str(o, "id") != NULL)
		m->sink.approval_gone(jsonget_str(o, "id"), m->sink.arg);
	else if (strcmp(ev, "command") == 0 &&
	    jsonget_str(o, "command") != NULL) {
		memset(&c, 0, sizeof c);
		c.id = jsonget_str(o, "id");
		c.command = jsonget_str(o, "command");
		v = jsonget_member(o, "done");
		c.done = v != NULL && json_object_get_boolean(v);
		c.output = jsonget_str(o, "output");
		c.outlen = c.output != NULL ? strlen(c.output) : 0;
		c.exit_code = (int)mock_int(o, "exit");
		c.duration_ms = -1;
		m->sink.command(&c, m->sink.arg);
	} else if (strcmp(ev, "usage") == 0) {
		u.input = mock_int(o, "input");
		u.cached_input = mock_int(o, "cached");
		u.output = mock_int(o, "output");
		u.reasoning = mock_int(o, "reasoning");
		v = jsonget_member(o, "cost");
		u.cost_usd = v != NULL && (json_object_is_type(v,
		    json_type_double) || json_object_is_type(v,
		    json_type_int)) ? json_object_get_double(v) : -1;
		m->sink.usage(&u, m->sink.arg);
	} else if (strcmp(ev, "fatal") == 0)
		m->sink.fatal((s = jsonget_str(o, "reason")) != NULL ? s :
		    "fatal", m->sink.arg);
}

/* A user message: now, or after the turn that runs. */
static void
mock_input(void *arg, const char *text)
{
	struct mock	*m = arg;

	if (!m->busy) {
		mock_op(m, "input", "text", text);
		return;
	}
	if (m->nqueue < MOCK_QUEUE)
		m->queue[m->nqueue++] = xstrdup(text);
}

/* The answer to an approval, by its id. */
static void
mock_answer(void *arg, const char *token, int allow, const char *note)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string("answer"));
	json_object_object_add(o, "id", json_object_new_string(token));
	json_object_object_add(o, "allow", json_object_new_boolean(allow));
	if (note != NULL)
		json_object_object_add(o, "note", json_object_new_string(note));
	mock_send(arg, o);
}

/* Whether a turn runs or input waits for one. */
static int
mock_busy(const void *arg)
{
	const struct mock	*m = arg;

	return (m->busy || m->nqueue > 0);
}

const struct drv_ops drv_mock_ops = {
	mock_argv, mock_create, mock_free, mock_start, mock_record,
	mock_input, mock_answer, mock_busy
};

#endif /* RUNNERD_TEST_HOOKS */
