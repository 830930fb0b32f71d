/*
 * The structured drivers' dispatcher: a driver of a kind is its ops
 * (drv_codex.c, drv_claude.c) and the state its create made; every call
 * goes through the ops of its kind. Tests put a mock in a kind's place.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "worker/driver.h"

struct drv {
	const struct drv_ops	*ops;
	void			*state;
};

/* The ops of each kind; drv_set_ops replaces them (tests). */
static const struct drv_ops	*drv_table[] = {
	[DRV_NONE] = NULL,
	[DRV_CODEX] = &drv_codex_ops,
	[DRV_CLAUDE] = &drv_claude_ops
};

/* The ops of a kind, or NULL. */
static const struct drv_ops *
drv_ops_of(enum drv_kind kind)
{
#ifdef RUNNERD_TEST_HOOKS
	const char	*t = getenv("RUNNERD_TEST_DRIVER");
#endif

	if ((size_t)kind >= nitems(drv_table) || kind == DRV_NONE)
		return (NULL);
#ifdef RUNNERD_TEST_HOOKS
	/* The integration tests' protocol double (drv_mock.c). */
	if (t != NULL && strcmp(t, "mock") == 0)
		return (&drv_mock_ops);
#endif
	return (drv_table[kind]);
}

/* Put other ops in a kind's place (NULL: the built-in ones again). */
void
drv_set_ops(enum drv_kind kind, const struct drv_ops *ops)
{
	if (kind == DRV_CODEX)
		drv_table[kind] = ops != NULL ? ops : &drv_codex_ops;
	else if (kind == DRV_CLAUDE)
		drv_table[kind] = ops != NULL ? ops : &drv_claude_ops;
}

/* The name of a kind, for logs, reports and the config's driver key. */
const char *
drv_kind_name(enum drv_kind kind)
{
	switch (kind) {
	case DRV_CODEX:
		return ("codex");
	case DRV_CLAUDE:
		return ("claude");
	default:
		return ("none");
	}
}

/* The argv that starts command as a driver of this kind expects it. */
char **
drv_argv(enum drv_kind kind, const char *command,
    const struct drv_params *params)
{
	const struct drv_ops	*ops = drv_ops_of(kind);

	if (ops == NULL || ops->argv == NULL)
		return (NULL);
	return (ops->argv(command, params));
}

/* A driver of a kind, or NULL (its create said why through the sink). */
struct drv *
drv_create(enum drv_kind kind, const struct drv_params *params,
    const struct drv_sink *sink)
{
	const struct drv_ops	*ops = drv_ops_of(kind);
	struct drv		*d;
	void			*state;

	if (ops == NULL) {
		sink->fatal("no driver of this kind", sink->arg);
		return (NULL);
	}
	if ((state = ops->create(params, sink)) == NULL)
		return (NULL);
	d = xcalloc(1, sizeof *d);
	d->ops = ops;
	d->state = state;
	return (d);
}

/* Free a driver; NULL is nothing. */
void
drv_free(struct drv *d)
{
	if (d == NULL)
		return;
	d->ops->free(d->state);
	free(d);
}

/* Handshake, then the first turn with this prompt. */
void
drv_start(struct drv *d, const char *prompt)
{
	d->ops->start(d->state, prompt);
}

/* A record the CLI wrote on stdout (borrowed). */
void
drv_record(struct drv *d, struct json_object *o)
{
	d->ops->record(d->state, o);
}

/* A user message: a new turn, or queued until the current one ends. */
void
drv_input(struct drv *d, const char *text)
{
	d->ops->input(d->state, text);
}

/* The answer to an approval the driver asked for by token. */
void
drv_answer(struct drv *d, const char *token, int allow, const char *note)
{
	d->ops->answer(d->state, token, allow, note);
}

/* Whether a turn runs or input waits for one. */
int
drv_busy(const struct drv *d)
{
	return (d->ops->busy(d->state));
}
