/*
 * The codex driver's command line: `codex app-server` and the -c
 * overrides every codex run gets, the one-shot codex exec's too.
 */
#include "config.h"

#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/util.h"
#include "worker/driver.h"
#include "worker/drv_codexargs.h"

/* A TOML string for a -c key="value" override. */
static char *
drv_codexargs_toml(const char *key, const char *value)
{
	char	*out, *p;
	size_t	 len = strlen(value);

	out = p = xmalloc(strlen(key) + 3 + len * 6 + 1);
	p += sprintf(p, "%s=\"", key);
	for (; *value != '\0'; value++) {
		if (*value == '"' || *value == '\\')
			p += sprintf(p, "\\%c", *value);
		else if ((u_char)*value < 0x20 || *value == 0x7f)
			p += sprintf(p, "\\u%04x", (u_char)*value);
		else
			*p++ = *value;
	}
	*p++ = '"';
	*p = '\0';
	return (out);
}

/* Overrides always given: runnerd is the sandbox; no update checks. */
static const char *const drv_codexargs_fixed[] = {
	"sandbox_mode=\"danger-full-access\"",
	"check_for_update_on_startup=false",
	"analytics.enabled=false"
};

/* The provider an endpoint gets: plain HTTP Responses, the usual key. */
static const char *const drv_codexargs_provider[] = {
	"model_provider=\"runnerd\"",
	"model_providers.runnerd.name=\"runnerd\"",
	"model_providers.runnerd.wire_api=\"responses\"",
	"model_providers.runnerd.env_key=\"OPENAI_API_KEY\"",
	"model_providers.runnerd.supports_websockets=false"
};

/*
 * The -c overrides every codex run gets: its sandbox off (runnerd is the
 * sandbox), no update checks or analytics, the model, and a provider for
 * the endpoint when one is given. A NULL-terminated vector.
 */
char **
drv_codexargs_config(const char *model, const char *base_url)
{
	char	**v;
	size_t	  n = 0, i;

	v = xcalloc(2 * (nitems(drv_codexargs_fixed) + nitems(drv_codexargs_provider) +
	    2) + 1, sizeof *v);
	for (i = 0; i < nitems(drv_codexargs_fixed); i++) {
		v[n++] = xstrdup("-c");
		v[n++] = xstrdup(drv_codexargs_fixed[i]);
	}
	if (model != NULL) {
		v[n++] = xstrdup("-c");
		v[n++] = drv_codexargs_toml("model", model);
	}
	for (i = 0; base_url != NULL && i < nitems(drv_codexargs_provider); i++) {
		v[n++] = xstrdup("-c");
		v[n++] = xstrdup(drv_codexargs_provider[i]);
	}
	if (base_url != NULL) {
		v[n++] = xstrdup("-c");
		v[n++] = drv_codexargs_toml("model_providers.runnerd.base_url",
		    base_url);
	}
	v[n] = NULL;
	return (v);
}

/* codex app-server with its sandbox off, the model and the endpoint. */
char **
drv_codexargs_argv(const char *command, const struct drv_params *p)
{
	char	**v, **cfg;
	size_t	  n = 0, i, nextra;

	cfg = drv_codexargs_config(p->model, p->base_url);
	nextra = p->extra_args != NULL ? strv_len((char **)p->extra_args) : 0;
	v = xcalloc(2 + strv_len(cfg) + nextra + 1, sizeof *v);
	v[n++] = xstrdup(command);
	v[n++] = xstrdup("app-server");
	for (i = 0; cfg[i] != NULL; i++)
		v[n++] = cfg[i];
	free(cfg);
	for (i = 0; i < nextra; i++)
		v[n++] = xstrdup(p->extra_args[i]);
	v[n] = NULL;
	return (v);
}
