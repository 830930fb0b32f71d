/* Configuration: embedded defaults < JSON file < environment < flags. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <git2/version.h>
#include <json-c/json.h>

#include "conf.h"
#include "netallow.h"
#include "util.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

size_t
strv_len(char **v)
{
	size_t	n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return (n);
}

void
strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static char **
strv_make(const char *const *src)
{
	char	**v;
	size_t	  n = 0, i;

	while (src[n] != NULL)
		n++;
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = xstrdup(src[i]);
	return (v);
}

/* A string vector from a JSON array of strings; NULL if it is not one. */
char **
strv_from_json(struct json_object *a)
{
	char	**v;
	size_t	  n, i;

	if (!json_object_is_type(a, json_type_array))
		return (NULL);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i),
		    json_type_string))
			return (NULL);
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = xstrdup(json_object_get_string(
		    json_object_array_get_idx(a, i)));
	return (v);
}

struct json_object *
strv_to_json(char **v)
{
	struct json_object	*a;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return (a);
}

void
provider_free(struct provider *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->command);
	strv_free(p->args);
	strv_free(p->required_env);
	strv_free(p->version_args);
	strv_free(p->help_args);
	free(p->output);
	strv_free(p->approval_patterns);
	free(p->approve_keys);
	free(p->deny_keys);
	free(p->model);
	free(p);
}

static struct provider *
provider_builtin(const char *name, const char *command, const char *env,
    int builtin)
{
	static const char *const version[] = { "--version", NULL };
	static const char *const help[] = { "--help", NULL };
	static const char *const prompt[] = { "{prompt}", NULL };
	static const char *const goal[] = { "{goal}", NULL };
	static const char *const none[] = { NULL };
	static const char *const yn[] = {
	    "\\[[yY]/[nN]\\]", "\\([yY]/[nN]\\)", NULL };
	const char *const	 envv[] = { env, NULL };
	struct provider		*p;

	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->command = xstrdup(command);
	p->args = strv_make(builtin ? prompt : goal);
	p->required_env = strv_make(env != NULL ? envv : none);
	p->version_args = strv_make(version);
	p->help_args = builtin ? strv_make(help) : NULL;
	p->output = xstrdup(builtin && strcmp(name, "claude_code") == 0 ?
	    "jsonl" : "raw");
	p->approval_patterns = strv_make(yn);
	p->approve_keys = xstrdup("y\r");
	p->deny_keys = xstrdup("n\r");
	p->builtin = builtin;
	return (p);
}

static void
config_add_provider(struct config *c, struct provider *p)
{
	size_t	n = 0, i;

	while (c->providers[n] != NULL)
		n++;
	for (i = 0; i < n; i++) {
		if (strcmp(c->providers[i]->name, p->name) == 0) {
			provider_free(c->providers[i]);
			c->providers[i] = p;
			return;
		}
	}
	c->providers = xrealloc(c->providers, (n + 2) * sizeof *c->providers);
	c->providers[n] = p;
	c->providers[n + 1] = NULL;
}

/* The embedded defaults: loopback, a state dir we can write, 2 spares. */
struct config *
config_default(void)
{
	struct config	*c;
	const char	*home, *path;
	static const char *const roots[] = { "/srv", "/home", NULL };

	c = xcalloc(1, sizeof *c);
	c->listen_host = xstrdup("127.0.0.1");
	c->listen_port = 3000;
	if (geteuid() == 0)
		c->state_dir = xstrdup("/var/lib/runnerd");
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		c->state_dir = xasprintf("%s/.local/state/runnerd", home);
	else
		c->state_dir = xasprintf("/tmp/runnerd-%ld", (long)geteuid());
	c->workspace_dir = xstrdup("/tmp/ai-village-workspaces");
	c->cache_dir = xstrdup("/tmp/ai-village-cache");
	c->cache_max_age_ms = 300 * 1000;
	c->github_url = xstrdup("https://github.com");
	c->gitlab_url = xstrdup("https://gitlab.com");
	c->bitbucket_url = xstrdup("https://bitbucket.org");
	c->max_sessions = 10;
	c->pool_size = 2;
	c->max_body_bytes = 1024 * 1024;
	c->session_timeout_ms = 3600 * 1000;
	c->stop_grace_ms = 10 * 1000;
	c->shutdown_grace_ms = 15 * 1000;
	c->retention_ms = 24 * 3600 * 1000;
	c->max_log_bytes = 256 * 1024 * 1024;
	c->gateway_max_buffer_bytes = 8 * 1024 * 1024;
	c->gateway_max_connections = 1024;
	c->gateway_max_message_bytes = 1024 * 1024;
	c->gateway_idle_timeout_ms = 60 * 1000;
	c->sse_heartbeat_ms = 15 * 1000;
	c->sio_ping_interval_ms = 25 * 1000;
	c->sio_ping_timeout_ms = 20 * 1000;
	c->tokens = xcalloc(1, sizeof *c->tokens);
	c->allowed_roots = strv_make(roots);
	c->cors_origins = xcalloc(1, sizeof *c->cors_origins);
	path = getenv("PATH");
	c->agent_path = xstrdup(path != NULL && *path != '\0' ? path :
	    "/usr/local/bin:/usr/bin:/bin");
	c->workspace_mode = xstrdup("auto");
	c->cache_max_bytes = (int64_t)10 << 30;
	c->sandbox = 1;
	c->sandbox_uid = 65534;
	c->sandbox_gid = 65534;
	c->sandbox_required = xcalloc(1, sizeof *c->sandbox_required);
	c->sandbox_expose = xcalloc(1, sizeof *c->sandbox_expose);
	c->nofile_max = 4096;
	c->max_watches = 8192;
	c->memory_max_bytes = 8LL * 1024 * 1024 * 1024;
	c->pids_max = 4096;
	c->cpu_max_pct = 0;
	c->workspace_max_bytes = 10LL * 1024 * 1024 * 1024;
	c->usage_tick_ms = 30 * 1000;
	c->approval_timeout_ms = 600 * 1000;
	c->network_allowlist = strv_make(netallow_default);
	c->providers = xcalloc(1, sizeof *c->providers);
	config_add_provider(c, provider_builtin("codex", "codex",
	    "OPENAI_API_KEY", 1));
	config_add_provider(c, provider_builtin("claude_code", "claude",
	    "ANTHROPIC_API_KEY", 1));
	config_add_provider(c, provider_builtin("fake", "runnerd-fake-agent",
	    NULL, 0));
	return (c);
}

void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->listen_host);
	free(c->socket_path);
	free(c->state_dir);
	free(c->workspace_dir);
	free(c->cache_dir);
	free(c->github_url);
	free(c->gitlab_url);
	free(c->bitbucket_url);
	strv_free(c->tokens);
	free(c->jwt_secret);
	strv_free(c->allowed_roots);
	strv_free(c->cors_origins);
	free(c->agent_path);
	free(c->workspace_mode);
	strv_free(c->sandbox_required);
	strv_free(c->sandbox_expose);
	free(c->cgroup_base);
	json_object_put(c->exec_approval_patterns);
	strv_free(c->test_patterns);
	strv_free(c->network_allowlist);
	free(c->worker_path);
	for (i = 0; c->providers[i] != NULL; i++)
		provider_free(c->providers[i]);
	free(c->providers);
	free(c);
}

const struct provider *
config_provider(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; c->providers[i] != NULL; i++)
		if (strcmp(c->providers[i]->name, name) == 0)
			return (c->providers[i]);
	return (NULL);
}

/*
 * A decimal number in [min, max]: digits only. strtol alone would take
 * leading blanks and a sign (" 80", "+80", "-0").
 */
static int
conf_number(const char *s, long min, long max, long *out)
{
	char	*ep;
	long	 n;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtol(s, &ep, 10);
	if (*ep != '\0' || errno != 0 || n < min || n > max)
		return (-1);
	*out = n;
	return (0);
}

/* Parse "HOST:PORT" or "[ADDR]:PORT" into the config. */
int
config_set_listen(struct config *c, const char *s, char *cause,
    size_t causelen)
{
	const char	*colon, *host, *end;
	size_t		 hostlen;
	long		 port;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':') {
			CAUSE("listen: bad address '%s' (want [ADDR]:PORT)", s);
			return (-1);
		}
		host = s + 1;
		hostlen = (size_t)(end - host);
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			CAUSE("listen: bad address '%s' (want HOST:PORT)", s);
			return (-1);
		}
		host = s;
		hostlen = (size_t)(colon - s);
	}
	if (conf_number(colon + 1, 0, 65535, &port) == -1 || hostlen == 0) {
		CAUSE("listen: bad address '%s' (want HOST:PORT)", s);
		return (-1);
	}
	free(c->listen_host);
	c->listen_host = xstrndup(host, hostlen);
	c->listen_port = (int)port;
	c->listen_set = 1;
	return (0);
}

static int
conf_int(struct json_object *v, const char *key, int64_t min, int64_t max,
    int64_t *out, char *cause, size_t causelen)
{
	if (!json_object_is_type(v, json_type_int)) {
		CAUSE("%s: must be an integer", key);
		return (-1);
	}
	*out = json_object_get_int64(v);
	if (*out < min || *out > max) {
		CAUSE("%s: %lld is out of range (%lld to %lld)", key,
		    (long long)*out, (long long)min, (long long)max);
		return (-1);
	}
	return (0);
}

static int
conf_bool(struct json_object *v, const char *key, int *out, char *cause,
    size_t causelen)
{
	if (!json_object_is_type(v, json_type_boolean)) {
		CAUSE("%s: must be true or false", key);
		return (-1);
	}
	*out = json_object_get_boolean(v);
	return (0);
}

static int
conf_str(struct json_object *v, const char *key, char **out, char *cause,
    size_t causelen)
{
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0) {
		CAUSE("%s: must be a non-empty string", key);
		return (-1);
	}
	free(*out);
	*out = xstrdup(json_object_get_string(v));
	return (0);
}

static int
conf_strv(struct json_object *v, const char *key, char ***out, char *cause,
    size_t causelen)
{
	char	**nv;

	if ((nv = strv_from_json(v)) == NULL) {
		CAUSE("%s: must be an array of strings", key);
		return (-1);
	}
	strv_free(*out);
	*out = nv;
	return (0);
}

/* Split an origin or a Host header into its parts. */
int
config_origin_parse(const char *s, int want_scheme, char *scheme,
    size_t schemelen, char *host, size_t hostlen, int *port)
{
	const char	*p = s, *h, *end;
	size_t		 n, i;
	long		 v = 0;

	*port = 0;
	if (want_scheme) {
		if (strncasecmp(p, "http://", 7) == 0) {
			snprintf(scheme, schemelen, "http");
			*port = 80;
			p += 7;
		} else if (strncasecmp(p, "https://", 8) == 0) {
			snprintf(scheme, schemelen, "https");
			*port = 443;
			p += 8;
		} else
			return (-1);
	}
	h = p;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL || end == p + 1)
			return (-1);
		for (i = 1; p + i < end; i++)
			if (!isxdigit((unsigned char)p[i]) && p[i] != ':' &&
			    p[i] != '.')
				return (-1);
		p = end + 1;
	} else {
		while (isalnum((unsigned char)*p) || *p == '.' || *p == '-' ||
		    *p == '_')
			p++;
		if (p == h)
			return (-1);
	}
	if ((n = (size_t)(p - h)) >= hostlen)
		return (-1);
	for (i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)h[i]);
	host[n] = '\0';
	if (*p == ':') {
		for (p++, n = 0; isdigit((unsigned char)*p) && n < 6; p++, n++)
			v = v * 10 + (*p - '0');
		if (n == 0 || n > 5 || v < 1 || v > 65535)
			return (-1);
		*port = (int)v;
	}
	return (*p == '\0' ? 0 : -1);
}

/* Every cors_origins entry must be an origin a browser would send. */
static int
conf_origins(char **origins, char *cause, size_t causelen)
{
	char	scheme[8], host[256];
	int	port;
	size_t	i;

	for (i = 0; origins[i] != NULL; i++) {
		if (config_origin_parse(origins[i], 1, scheme, sizeof scheme,
		    host, sizeof host, &port) == -1) {
			CAUSE("cors_origins[%zu]: must be an origin such as "
			    "\"https://ui.example.com\" or "
			    "\"http://127.0.0.1:8080\" (scheme://host[:port], "
			    "no path)", i);
			return (-1);
		}
	}
	return (0);
}

struct provider *
provider_from_json(const char *name, struct json_object *o, char *cause,
    size_t causelen)
{
	struct provider	*p;
	char		 key[128];
	int64_t		 b;

	if (!json_object_is_type(o, json_type_object)) {
		CAUSE("providers.%s: must be an object", name);
		return (NULL);
	}
	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->output = xstrdup("raw");
	json_object_object_foreach(o, k, v) {
		snprintf(key, sizeof key, "providers.%s.%s", name, k);
		if (strcmp(k, "command") == 0) {
			if (conf_str(v, key, &p->command, cause, causelen))
				goto fail;
		} else if (strcmp(k, "args") == 0) {
			if (conf_strv(v, key, &p->args, cause, causelen))
				goto fail;
		} else if (strcmp(k, "required_env") == 0) {
			if (conf_strv(v, key, &p->required_env, cause,
			    causelen))
				goto fail;
		} else if (strcmp(k, "version_args") == 0) {
			if (conf_strv(v, key, &p->version_args, cause,
			    causelen))
				goto fail;
		} else if (strcmp(k, "help_args") == 0) {
			if (conf_strv(v, key, &p->help_args, cause, causelen))
				goto fail;
		} else if (strcmp(k, "approval_patterns") == 0) {
			if (conf_strv(v, key, &p->approval_patterns, cause,
			    causelen))
				goto fail;
		} else if (strcmp(k, "output") == 0) {
			if (conf_str(v, key, &p->output, cause, causelen))
				goto fail;
			if (strcmp(p->output, "raw") != 0 &&
			    strcmp(p->output, "jsonl") != 0) {
				CAUSE("%s: must be \"raw\" or \"jsonl\"", key);
				goto fail;
			}
		} else if (strcmp(k, "approve_keys") == 0) {
			if (conf_str(v, key, &p->approve_keys, cause,
			    causelen))
				goto fail;
		} else if (strcmp(k, "deny_keys") == 0) {
			if (conf_str(v, key, &p->deny_keys, cause, causelen))
				goto fail;
		} else if (strcmp(k, "model") == 0) {
			if (conf_str(v, key, &p->model, cause, causelen))
				goto fail;
		} else if (strcmp(k, "builtin") == 0) {
			if (conf_int(v, key, 0, 1, &b, cause, causelen))
				goto fail;
			p->builtin = (int)b;
		} else if (strcmp(k, "name") == 0) {
			continue;
		} else {
			CAUSE("%s: unknown key", key);
			goto fail;
		}
	}
	if (p->command == NULL) {
		CAUSE("providers.%s.command: is required", name);
		goto fail;
	}
	if (p->args == NULL)
		p->args = xcalloc(1, sizeof *p->args);
	if (p->required_env == NULL)
		p->required_env = xcalloc(1, sizeof *p->required_env);
	if (p->approval_patterns == NULL)
		p->approval_patterns = xcalloc(1, sizeof *p->approval_patterns);
	if (p->approve_keys == NULL)
		p->approve_keys = xstrdup("y\r");
	if (p->deny_keys == NULL)
		p->deny_keys = xstrdup("n\r");
	return (p);

fail:
	provider_free(p);
	return (NULL);
}

struct json_object *
provider_to_json(const struct provider *p)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "command",
	    json_object_new_string(p->command));
	json_object_object_add(o, "args", strv_to_json(p->args));
	json_object_object_add(o, "required_env",
	    strv_to_json(p->required_env));
	if (p->version_args != NULL)
		json_object_object_add(o, "version_args",
		    strv_to_json(p->version_args));
	if (p->help_args != NULL)
		json_object_object_add(o, "help_args",
		    strv_to_json(p->help_args));
	json_object_object_add(o, "output", json_object_new_string(p->output));
	json_object_object_add(o, "approval_patterns",
	    strv_to_json(p->approval_patterns));
	json_object_object_add(o, "approve_keys",
	    json_object_new_string(p->approve_keys));
	json_object_object_add(o, "deny_keys",
	    json_object_new_string(p->deny_keys));
	if (p->model != NULL)
		json_object_object_add(o, "model",
		    json_object_new_string(p->model));
	json_object_object_add(o, "builtin", json_object_new_int(p->builtin));
	return (o);
}

/* Merge a JSON config file into c; -1 with a cause naming the bad key. */
int
config_load_file(struct config *c, const char *path, char *cause,
    size_t causelen)
{
	struct json_object	*root;
	struct json_tokener	*tok;
	enum json_tokener_error	 jerr;
	struct provider		*p;
	char			*text;
	size_t			 len, end;
	int64_t			 n;
	int			 rv = -1;

	if ((text = read_file(path, &len)) == NULL) {
		CAUSE("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (len > INT_MAX || (tok = json_tokener_new()) == NULL) {
		CAUSE("%s: too large", path);
		free(text);
		return (-1);
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* json_tokener_parse() would ignore anything after the object. */
	while (end < len && (text[end] == ' ' || text[end] == '\t' ||
	    text[end] == '\r' || text[end] == '\n'))
		end++;
	free(text);
	if (root == NULL || jerr != json_tokener_success) {
		CAUSE("%s: bad JSON: %s", path, jerr == json_tokener_success ||
		    jerr == json_tokener_continue ? "unexpected end of file" :
		    json_tokener_error_desc(jerr));
		json_object_put(root);
		return (-1);
	}
	if (!json_object_is_type(root, json_type_object)) {
		CAUSE("%s: not a JSON object", path);
		json_object_put(root);
		return (-1);
	}
	if (end != len) {
		CAUSE("%s: trailing bytes after the JSON object", path);
		json_object_put(root);
		return (-1);
	}
	json_object_object_foreach(root, k, v) {
		if (strcmp(k, "listen") == 0) {
			if (!json_object_is_type(v, json_type_string)) {
				CAUSE("listen: must be a string HOST:PORT");
				goto out;
			}
			if (config_set_listen(c, json_object_get_string(v),
			    cause, causelen) == -1)
				goto out;
		} else if (strcmp(k, "socket") == 0) {
			if (conf_str(v, k, &c->socket_path, cause, causelen))
				goto out;
		} else if (strcmp(k, "state_dir") == 0) {
			if (conf_str(v, k, &c->state_dir, cause, causelen))
				goto out;
		} else if (strcmp(k, "workspace_dir") == 0) {
			if (conf_str(v, k, &c->workspace_dir, cause, causelen))
				goto out;
		} else if (strcmp(k, "cache_dir") == 0) {
			if (conf_str(v, k, &c->cache_dir, cause, causelen))
				goto out;
		} else if (strcmp(k, "cache_max_age_ms") == 0) {
			if (conf_int(v, k, 0, INT64_MAX / 2,
			    &c->cache_max_age_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "github_url") == 0) {
			if (conf_str(v, k, &c->github_url, cause, causelen))
				goto out;
		} else if (strcmp(k, "gitlab_url") == 0) {
			if (conf_str(v, k, &c->gitlab_url, cause, causelen))
				goto out;
		} else if (strcmp(k, "bitbucket_url") == 0) {
			if (conf_str(v, k, &c->bitbucket_url, cause, causelen))
				goto out;
		} else if (strcmp(k, "agent_path") == 0) {
			if (conf_str(v, k, &c->agent_path, cause, causelen))
				goto out;
		} else if (strcmp(k, "worker_path") == 0) {
			if (conf_str(v, k, &c->worker_path, cause, causelen))
				goto out;
		} else if (strcmp(k, "jwt_secret") == 0) {
			if (conf_str(v, k, &c->jwt_secret, cause, causelen))
				goto out;
		} else if (strcmp(k, "tokens") == 0) {
			if (conf_strv(v, k, &c->tokens, cause, causelen))
				goto out;
		} else if (strcmp(k, "allowed_roots") == 0) {
			if (conf_strv(v, k, &c->allowed_roots, cause,
			    causelen))
				goto out;
		} else if (strcmp(k, "cors_origins") == 0) {
			if (conf_strv(v, k, &c->cors_origins, cause,
			    causelen) || conf_origins(c->cors_origins, cause,
			    causelen))
				goto out;
		} else if (strcmp(k, "max_sessions") == 0) {
			if (conf_int(v, k, 1, 100000, &n, cause, causelen))
				goto out;
			c->max_sessions = (int)n;
		} else if (strcmp(k, "pool_size") == 0) {
			if (conf_int(v, k, 0, 1000, &n, cause, causelen))
				goto out;
			c->pool_size = (int)n;
		} else if (strcmp(k, "max_body_bytes") == 0) {
			if (conf_int(v, k, 1024, 64 * 1024 * 1024, &n, cause,
			    causelen))
				goto out;
			c->max_body_bytes = (size_t)n;
		} else if (strcmp(k, "max_log_bytes") == 0) {
			if (conf_int(v, k, 65536, INT64_MAX, &n, cause,
			    causelen))
				goto out;
			c->max_log_bytes = (size_t)n;
		} else if (strcmp(k, "session_timeout_ms") == 0) {
			if (conf_int(v, k, 100, INT64_MAX / 2,
			    &c->session_timeout_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "stop_grace_ms") == 0) {
			if (conf_int(v, k, 0, 3600 * 1000, &c->stop_grace_ms,
			    cause, causelen))
				goto out;
		} else if (strcmp(k, "retention_ms") == 0) {
			if (conf_int(v, k, 100, INT64_MAX / 2, &c->retention_ms,
			    cause, causelen))
				goto out;
		} else if (strcmp(k, "shutdown_grace_ms") == 0) {
			if (conf_int(v, k, 0, 3600 * 1000,
			    &c->shutdown_grace_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "gateway_max_buffer_bytes") == 0) {
			if (conf_int(v, k, 65536, INT64_MAX / 2, &n, cause,
			    causelen))
				goto out;
			c->gateway_max_buffer_bytes = (size_t)n;
		} else if (strcmp(k, "gateway_max_connections") == 0) {
			if (conf_int(v, k, 1, 1000000, &n, cause, causelen))
				goto out;
			c->gateway_max_connections = (int)n;
		} else if (strcmp(k, "gateway_max_message_bytes") == 0) {
			if (conf_int(v, k, 1024, 64 * 1024 * 1024, &n, cause,
			    causelen))
				goto out;
			c->gateway_max_message_bytes = (size_t)n;
		} else if (strcmp(k, "gateway_idle_timeout_ms") == 0) {
			if (conf_int(v, k, 1000, 24 * 3600 * 1000,
			    &c->gateway_idle_timeout_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "sse_heartbeat_ms") == 0) {
			if (conf_int(v, k, 100, 3600 * 1000,
			    &c->sse_heartbeat_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "sio_ping_interval_ms") == 0) {
			if (conf_int(v, k, 100, 3600 * 1000,
			    &c->sio_ping_interval_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "sio_ping_timeout_ms") == 0) {
			if (conf_int(v, k, 100, 3600 * 1000,
			    &c->sio_ping_timeout_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "workspace_mode") == 0) {
			if (conf_str(v, k, &c->workspace_mode, cause, causelen))
				goto out;
			if (strcmp(c->workspace_mode, "auto") != 0 &&
			    strcmp(c->workspace_mode, "overlay") != 0 &&
			    strcmp(c->workspace_mode, "clone") != 0) {
				CAUSE("%s: must be auto, overlay or clone", k);
				goto out;
			}
		} else if (strcmp(k, "cache_max_bytes") == 0) {
			if (conf_int(v, k, 0, INT64_MAX, &c->cache_max_bytes,
			    cause, causelen))
				goto out;
		} else if (strcmp(k, "shallow") == 0) {
			if (conf_bool(v, k, &c->shallow, cause, causelen))
				goto out;
#if LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR < 7
			/* git_fetch_options.depth came with libgit2 1.7. */
			if (c->shallow) {
				CAUSE("%s: not supported: libgit2 %s cannot "
				    "fetch shallow (1.7 or later can)", k,
				    LIBGIT2_VERSION);
				goto out;
			}
#endif
		} else if (strcmp(k, "sandbox") == 0) {
			if (conf_bool(v, k, &c->sandbox, cause, causelen))
				goto out;
		} else if (strcmp(k, "sandbox_uid") == 0) {
			if (conf_int(v, k, 0, 4294967294LL, &c->sandbox_uid,
			    cause, causelen))
				goto out;
		} else if (strcmp(k, "sandbox_gid") == 0) {
			if (conf_int(v, k, 0, 4294967294LL, &c->sandbox_gid,
			    cause, causelen))
				goto out;
		} else if (strcmp(k, "nofile_max") == 0) {
			if (conf_int(v, k, 16, 1048576, &c->nofile_max, cause,
			    causelen))
				goto out;
		} else if (strcmp(k, "max_watches") == 0) {
			if (conf_int(v, k, 1, 1048576, &c->max_watches, cause,
			    causelen))
				goto out;
		} else if (strcmp(k, "sandbox_required") == 0) {
			/* The names of worker/sandbox.h, in its order. */
			static const char *const layers[] = { "identity",
			    "namespaces", "network", "landlock", "seccomp",
			    "exec_policy", "cgroup", "rlimits" };
			size_t	i, j;

			if (conf_strv(v, k, &c->sandbox_required, cause,
			    causelen))
				goto out;
			for (i = 0; c->sandbox_required[i] != NULL; i++) {
				const char *l = c->sandbox_required[i];

				for (j = 0; j < nitems(layers); j++)
					if (strcmp(l, layers[j]) == 0)
						break;
				if (strcmp(l, "all") == 0 && i == 0 &&
				    c->sandbox_required[1] == NULL)
					continue;
				if (j == nitems(layers)) {
					CAUSE("%s: \"%.64s\" is not a layer "
					    "(identity, namespaces, network, "
					    "landlock, seccomp, exec_policy, "
					    "cgroup, rlimits; or [\"all\"])",
					    k, l);
					goto out;
				}
			}
		} else if (strcmp(k, "sandbox_expose") == 0) {
			size_t	i;

			if (conf_strv(v, k, &c->sandbox_expose, cause,
			    causelen))
				goto out;
			for (i = 0; c->sandbox_expose[i] != NULL; i++) {
				if (c->sandbox_expose[i][0] != '/') {
					CAUSE("%s: \"%.64s\" is not an "
					    "absolute path", k,
					    c->sandbox_expose[i]);
					goto out;
				}
			}
		} else if (strcmp(k, "cgroup_base") == 0) {
			if (conf_str(v, k, &c->cgroup_base, cause, causelen))
				goto out;
			if (c->cgroup_base[0] != '/' &&
			    strcmp(c->cgroup_base, "auto") != 0 &&
			    strcmp(c->cgroup_base, "v1") != 0) {
				CAUSE("%s: must be \"auto\", \"v1\" or an "
				    "absolute path", k);
				goto out;
			}
		} else if (strcmp(k, "memory_max_bytes") == 0) {
			/* 0, or enough for an agent to start at all. */
			if (conf_int(v, k, 0, INT64_MAX / 2,
			    &c->memory_max_bytes, cause, causelen))
				goto out;
			if (c->memory_max_bytes != 0 &&
			    c->memory_max_bytes < 4 * 1024 * 1024) {
				CAUSE("%s: must be 0 (no limit) or at least "
				    "4194304", k);
				goto out;
			}
		} else if (strcmp(k, "workspace_max_bytes") == 0) {
			/* 0, or room for a filesystem (worker/quota.h). */
			if (conf_int(v, k, 0, INT64_MAX / 2,
			    &c->workspace_max_bytes, cause, causelen))
				goto out;
			if (c->workspace_max_bytes != 0 &&
			    c->workspace_max_bytes < 16 * 1024 * 1024) {
				CAUSE("%s: must be 0 (no limit) or at least "
				    "16777216", k);
				goto out;
			}
		} else if (strcmp(k, "pids_max") == 0) {
			if (conf_int(v, k, 0, 4194304, &c->pids_max, cause,
			    causelen))
				goto out;
			if (c->pids_max != 0 && c->pids_max < 8) {
				CAUSE("%s: must be 0 (no limit) or at least 8",
				    k);
				goto out;
			}
		} else if (strcmp(k, "cpu_max_pct") == 0) {
			if (conf_int(v, k, 0, 100000, &c->cpu_max_pct, cause,
			    causelen))
				goto out;
		} else if (strcmp(k, "usage_tick_ms") == 0) {
			if (conf_int(v, k, 100, 24 * 3600 * 1000,
			    &c->usage_tick_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "exec_approval_patterns") == 0) {
			char	**pv = NULL;

			if (!json_object_is_type(v, json_type_object)) {
				CAUSE("%s: must be an object of category: "
				    "[patterns]", k);
				goto out;
			}
			json_object_object_foreach(v, ck, cv) {
				if (strcmp(ck, "merge") != 0 &&
				    strcmp(ck, "deps_add") != 0 &&
				    strcmp(ck, "secrets") != 0 &&
				    strcmp(ck, "deploy") != 0 &&
				    strcmp(ck, "shell") != 0 &&
				    strcmp(ck, "network") != 0) {
					CAUSE("%s.%s: not a category (merge, "
					    "deps_add, secrets, deploy, shell, "
					    "network)", k, ck);
					goto out;
				}
				if (conf_strv(cv, k, &pv, cause, causelen))
					goto out;
				strv_free(pv);
				pv = NULL;
			}
			json_object_put(c->exec_approval_patterns);
			/* Outlives the parsed file: a reference of our own. */
			c->exec_approval_patterns = json_object_get(v);
		} else if (strcmp(k, "test_patterns") == 0) {
			if (conf_strv(v, k, &c->test_patterns, cause, causelen))
				goto out;
		} else if (strcmp(k, "approval_timeout_ms") == 0) {
			if (conf_int(v, k, 100, INT64_MAX / 4,
			    &c->approval_timeout_ms, cause, causelen))
				goto out;
		} else if (strcmp(k, "approval_deny_continues") == 0) {
			if (conf_bool(v, k, &c->approval_deny_continues, cause,
			    causelen))
				goto out;
		} else if (strcmp(k, "network_allowlist") == 0) {
			struct netallow	*na;

			if (conf_strv(v, k, &c->network_allowlist, cause,
			    causelen))
				goto out;
			/* A bad pattern is an error here, not in a session. */
			if ((na = netallow_create(c->network_allowlist, cause,
			    causelen)) == NULL)
				goto out;
			netallow_free(na);
		} else if (strcmp(k, "verbose") == 0) {
			if (conf_int(v, k, 0, 3, &n, cause, causelen))
				goto out;
			c->verbose = (int)n;
		} else if (strcmp(k, "providers") == 0) {
			if (!json_object_is_type(v, json_type_object)) {
				CAUSE("providers: must be an object");
				goto out;
			}
			json_object_object_foreach(v, pk, pv) {
				p = provider_from_json(pk, pv, cause,
				    causelen);
				if (p == NULL)
					goto out;
				config_add_provider(c, p);
			}
		} else {
			CAUSE("%s: unknown key", k);
			goto out;
		}
	}
	rv = 0;
out:
	json_object_put(root);
	return (rv);
}

int
config_load_env(struct config *c, char *cause, size_t causelen)
{
	const char	*v;
	long		 n;

	if ((v = getenv("RUNNER_STATE_DIR")) != NULL && *v != '\0') {
		free(c->state_dir);
		c->state_dir = xstrdup(v);
	}
	if ((v = getenv("RUNNER_WORKSPACE_DIR")) != NULL && *v != '\0') {
		free(c->workspace_dir);
		c->workspace_dir = xstrdup(v);
	}
	if ((v = getenv("RUNNER_CACHE_DIR")) != NULL && *v != '\0') {
		free(c->cache_dir);
		c->cache_dir = xstrdup(v);
	}
	if ((v = getenv("RUNNER_SOCKET")) != NULL && *v != '\0') {
		free(c->socket_path);
		c->socket_path = xstrdup(v);
	}
	if ((v = getenv("JWT_SECRET")) != NULL && *v != '\0') {
		free(c->jwt_secret);
		c->jwt_secret = xstrdup(v);
	}
	if ((v = getenv("RUNNER_MAX_SESSIONS")) != NULL && *v != '\0') {
		if (conf_number(v, 1, 100000, &n) == -1) {
			CAUSE("RUNNER_MAX_SESSIONS: '%s' is not a number "
			    "from 1 to 100000", v);
			return (-1);
		}
		c->max_sessions = (int)n;
	}
	if ((v = getenv("HOST")) != NULL && *v != '\0') {
		free(c->listen_host);
		c->listen_host = xstrdup(v);
		c->listen_set = 1;
	}
	if ((v = getenv("PORT")) != NULL && *v != '\0') {
		if (conf_number(v, 0, 65535, &n) == -1) {
			CAUSE("PORT: '%s' is not a port number", v);
			return (-1);
		}
		c->listen_port = (int)n;
		c->listen_set = 1;
	}
	return (0);
}

void
config_finish(struct config *c)
{
	if (c->socket_path == NULL)
		c->socket_path = xasprintf("%s/runnerd.sock", c->state_dir);
}

#define CONF_MASK	"********"

struct json_object *
config_to_json(const struct config *c)
{
	struct json_object	*o, *a, *ps, *p;
	char			*listen;
	size_t			 i;

	o = json_object_new_object();
	if (strchr(c->listen_host, ':') != NULL)
		listen = xasprintf("[%s]:%d", c->listen_host, c->listen_port);
	else
		listen = xasprintf("%s:%d", c->listen_host, c->listen_port);
	json_object_object_add(o, "listen", json_object_new_string(listen));
	free(listen);
#define S(k, v) json_object_object_add(o, k, (v) != NULL ? \
	json_object_new_string(v) : NULL)
#define I(k, v) json_object_object_add(o, k, json_object_new_int64( \
	(int64_t)(v)))
	S("socket", c->socket_path);
	S("state_dir", c->state_dir);
	S("workspace_dir", c->workspace_dir);
	S("cache_dir", c->cache_dir);
	I("cache_max_age_ms", c->cache_max_age_ms);
	S("github_url", c->github_url);
	S("gitlab_url", c->gitlab_url);
	S("bitbucket_url", c->bitbucket_url);
	I("max_sessions", c->max_sessions);
	I("pool_size", c->pool_size);
	I("max_body_bytes", c->max_body_bytes);
	I("max_log_bytes", c->max_log_bytes);
	I("session_timeout_ms", c->session_timeout_ms);
	I("stop_grace_ms", c->stop_grace_ms);
	I("shutdown_grace_ms", c->shutdown_grace_ms);
	I("retention_ms", c->retention_ms);
	I("gateway_max_buffer_bytes", c->gateway_max_buffer_bytes);
	I("gateway_max_connections", c->gateway_max_connections);
	I("gateway_max_message_bytes", c->gateway_max_message_bytes);
	I("gateway_idle_timeout_ms", c->gateway_idle_timeout_ms);
	I("sse_heartbeat_ms", c->sse_heartbeat_ms);
	I("sio_ping_interval_ms", c->sio_ping_interval_ms);
	I("sio_ping_timeout_ms", c->sio_ping_timeout_ms);
	/* Secrets: how many, never what (nor how long). */
	a = json_object_new_array();
	for (i = 0; c->tokens != NULL && c->tokens[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(CONF_MASK));
	json_object_object_add(o, "tokens", a);
	S("jwt_secret", c->jwt_secret != NULL ? CONF_MASK : NULL);
	json_object_object_add(o, "allowed_roots",
	    strv_to_json(c->allowed_roots));
	json_object_object_add(o, "cors_origins",
	    strv_to_json(c->cors_origins));
	S("agent_path", c->agent_path);
	S("worker_path", c->worker_path);
	I("verbose", c->verbose);
	S("workspace_mode", c->workspace_mode);
	I("cache_max_bytes", c->cache_max_bytes);
	json_object_object_add(o, "shallow",
	    json_object_new_boolean(c->shallow));
	json_object_object_add(o, "sandbox",
	    json_object_new_boolean(c->sandbox));
	I("sandbox_uid", c->sandbox_uid);
	I("sandbox_gid", c->sandbox_gid);
	json_object_object_add(o, "sandbox_required",
	    strv_to_json(c->sandbox_required));
	json_object_object_add(o, "sandbox_expose",
	    strv_to_json(c->sandbox_expose));
	I("nofile_max", c->nofile_max);
	I("max_watches", c->max_watches);
	S("cgroup_base", c->cgroup_base);
	I("memory_max_bytes", c->memory_max_bytes);
	I("pids_max", c->pids_max);
	I("cpu_max_pct", c->cpu_max_pct);
	I("workspace_max_bytes", c->workspace_max_bytes);
	I("usage_tick_ms", c->usage_tick_ms);
	/* null: the built-in patterns (runnerd.conf(5)). */
	json_object_object_add(o, "exec_approval_patterns",
	    json_object_get(c->exec_approval_patterns));
	json_object_object_add(o, "test_patterns", c->test_patterns != NULL ?
	    strv_to_json(c->test_patterns) : NULL);
	I("approval_timeout_ms", c->approval_timeout_ms);
	json_object_object_add(o, "approval_deny_continues",
	    json_object_new_boolean(c->approval_deny_continues));
	json_object_object_add(o, "network_allowlist",
	    strv_to_json(c->network_allowlist));
#undef S
#undef I
	ps = json_object_new_object();
	for (i = 0; c->providers[i] != NULL; i++) {
		p = provider_to_json(c->providers[i]);
		json_object_object_del(p, "name");
		json_object_object_add(ps, c->providers[i]->name, p);
	}
	json_object_object_add(o, "providers", ps);
	return (o);
}

/* Append ", name" (or "name") to a list being built in buf. */
static void
conf_note(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	size_t	used = strlen(buf);

	if (used > 0 && used + 2 < len) {
		snprintf(buf + used, len - used, ", ");
		used += 2;
	}
	if (used >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static int
conf_strv_eq(char **a, char **b)
{
	size_t	i;

	if (strv_len(a) != strv_len(b))
		return (0);
	for (i = 0; a != NULL && a[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return (0);
	return (1);
}

static int
conf_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static int
conf_providers_eq(struct provider **a, struct provider **b)
{
	struct json_object	*ja, *jb;
	size_t			 i;
	int			 eq;

	ja = json_object_new_array();
	jb = json_object_new_array();
	for (i = 0; a[i] != NULL; i++)
		json_object_array_add(ja, provider_to_json(a[i]));
	for (i = 0; b[i] != NULL; i++)
		json_object_array_add(jb, provider_to_json(b[i]));
	eq = json_object_equal(ja, jb);
	json_object_put(ja);
	json_object_put(jb);
	return (eq);
}

void
config_reload(struct config *live, struct config *next, char *applied,
    size_t alen, char *restart, size_t rlen)
{
	void	*tmp;

	*applied = '\0';
	*restart = '\0';
#define SWAP(f) do { tmp = (void *)live->f; live->f = next->f; \
	next->f = tmp; } while (0)
#define NUM(f) do { if (live->f != next->f) {				\
	conf_note(applied, alen, "%s %lld -> %lld", #f,			\
	    (long long)live->f, (long long)next->f);			\
	live->f = next->f; } } while (0)
#define FLAG(f) do { if (live->f != next->f) {				\
	conf_note(applied, alen, "%s", #f);				\
	live->f = next->f; } } while (0)
	/* Limits: read where they are used, so they apply from now on. */
	NUM(max_sessions);
	NUM(pool_size);
	NUM(max_body_bytes);
	NUM(max_log_bytes);
	NUM(session_timeout_ms);
	NUM(stop_grace_ms);
	NUM(retention_ms);
	NUM(shutdown_grace_ms);
	NUM(gateway_max_buffer_bytes);
	NUM(gateway_max_connections);
	NUM(gateway_max_message_bytes);
	NUM(gateway_idle_timeout_ms);
	NUM(sse_heartbeat_ms);
	NUM(sio_ping_interval_ms);
	NUM(sio_ping_timeout_ms);
	NUM(verbose);
	NUM(cache_max_age_ms);
	/* Secrets: say that they changed, never to what. */
	if (!conf_strv_eq(live->tokens, next->tokens)) {
		conf_note(applied, alen, "tokens (%zu -> %zu)",
		    strv_len(live->tokens), strv_len(next->tokens));
		SWAP(tokens);
	}
	if (!conf_str_eq(live->jwt_secret, next->jwt_secret)) {
		conf_note(applied, alen, "jwt_secret");
		SWAP(jwt_secret);
	}
	if (!conf_strv_eq(live->allowed_roots, next->allowed_roots)) {
		conf_note(applied, alen, "allowed_roots");
		SWAP(allowed_roots);
	}
	if (!conf_strv_eq(live->cors_origins, next->cors_origins)) {
		conf_note(applied, alen, "cors_origins");
		SWAP(cors_origins);
	}
	/* Read at each session start. */
	if (!conf_str_eq(live->github_url, next->github_url)) {
		conf_note(applied, alen, "github_url");
		SWAP(github_url);
	}
	if (!conf_str_eq(live->gitlab_url, next->gitlab_url)) {
		conf_note(applied, alen, "gitlab_url");
		SWAP(gitlab_url);
	}
	if (!conf_str_eq(live->bitbucket_url, next->bitbucket_url)) {
		conf_note(applied, alen, "bitbucket_url");
		SWAP(bitbucket_url);
	}
	if (!conf_str_eq(live->agent_path, next->agent_path)) {
		conf_note(applied, alen, "agent_path");
		SWAP(agent_path);
	}
	/* Read at each session start (the overlay probe stays as it was). */
	if (!conf_str_eq(live->workspace_mode, next->workspace_mode)) {
		conf_note(applied, alen, "workspace_mode %s -> %s",
		    live->workspace_mode, next->workspace_mode);
		SWAP(workspace_mode);
	}
	NUM(cache_max_bytes);
	FLAG(shallow);
	FLAG(sandbox);
	/* Read at each session start. */
	if (live->sandbox_uid != next->sandbox_uid ||
	    live->sandbox_gid != next->sandbox_gid) {
		conf_note(applied, alen, "sandbox_uid/gid");
		live->sandbox_uid = next->sandbox_uid;
		live->sandbox_gid = next->sandbox_gid;
	}
	NUM(nofile_max);
	NUM(max_watches);
	if (!conf_strv_eq(live->sandbox_required, next->sandbox_required)) {
		conf_note(applied, alen, "sandbox_required");
		SWAP(sandbox_required);
	}
	if (!conf_strv_eq(live->sandbox_expose, next->sandbox_expose)) {
		conf_note(applied, alen, "sandbox_expose");
		SWAP(sandbox_expose);
	}
	/* Read at each session start: running sessions keep their limits. */
	NUM(memory_max_bytes);
	NUM(pids_max);
	NUM(cpu_max_pct);
	NUM(workspace_max_bytes);
	NUM(usage_tick_ms);
	/* Read at each session start. */
	if (!json_object_equal(live->exec_approval_patterns,
	    next->exec_approval_patterns)) {
		conf_note(applied, alen, "exec_approval_patterns");
		SWAP(exec_approval_patterns);
	}
	if ((live->test_patterns == NULL) != (next->test_patterns == NULL) ||
	    !conf_strv_eq(live->test_patterns, next->test_patterns)) {
		conf_note(applied, alen, "test_patterns");
		SWAP(test_patterns);
	}
	NUM(approval_timeout_ms);
	FLAG(approval_deny_continues);
	if (!conf_strv_eq(live->network_allowlist, next->network_allowlist)) {
		conf_note(applied, alen, "network_allowlist");
		SWAP(network_allowlist);
	}
	/* Providers are looked up at each start: running sessions keep theirs. */
	if (!conf_providers_eq(live->providers, next->providers)) {
		conf_note(applied, alen, "providers");
		SWAP(providers);
	}
#undef SWAP
#undef NUM
#undef FLAG
	/* Bound or created at start-up: left alone until a restart. */
	if (!conf_str_eq(live->listen_host, next->listen_host) ||
	    live->listen_port != next->listen_port)
		conf_note(restart, rlen, "listen");
	if (!conf_str_eq(live->socket_path, next->socket_path))
		conf_note(restart, rlen, "socket");
	if (!conf_str_eq(live->state_dir, next->state_dir))
		conf_note(restart, rlen, "state_dir");
	if (!conf_str_eq(live->workspace_dir, next->workspace_dir))
		conf_note(restart, rlen, "workspace_dir");
	if (!conf_str_eq(live->cache_dir, next->cache_dir))
		conf_note(restart, rlen, "cache_dir");
	if (!conf_str_eq(live->worker_path, next->worker_path))
		conf_note(restart, rlen, "worker_path");
	/* The supervisor moved into it at start-up. */
	if (!conf_str_eq(live->cgroup_base, next->cgroup_base))
		conf_note(restart, rlen, "cgroup_base");
}
