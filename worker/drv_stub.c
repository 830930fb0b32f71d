/*
 * Stand-ins for the protocol drivers until drv_codex.c and drv_claude.c
 * are merged (the lead deletes this file then): their argv is the command
 * alone and creating one fails the session with a clear reason.
 */
#include "config.h"

#include <stddef.h>

#include "common/util.h"
#include "worker/driver.h"

/* The command alone. */
static char **
drv_stub_argv(const char *command, const struct drv_params *params)
{
	char	**v;

	(void)params;
	v = xcalloc(2, sizeof *v);
	v[0] = xstrdup(command);
	return (v);
}

/* No driver: the session fails with this reason. */
static void *
drv_stub_create(const struct drv_params *params, const struct drv_sink *sink)
{
	(void)params;
	sink->fatal("driver not built", sink->arg);
	return (NULL);
}

const struct drv_ops drv_codex_ops = {
	drv_stub_argv, drv_stub_create, NULL, NULL, NULL, NULL, NULL, NULL
};

const struct drv_ops drv_claude_ops = {
	drv_stub_argv, drv_stub_create, NULL, NULL, NULL, NULL, NULL, NULL
};
