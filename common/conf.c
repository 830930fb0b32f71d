/* Configuration: embedded defaults < JSON file < environment < flags. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/conftable.h"
#include "common/jsonget.h"
#include "common/util.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* The number of strings in a vector (NULL: none). */
size_t
strv_len(char **v)
{
	size_t	n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return (n);
}

/* Free a vector and its strings. */
void
strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A new vector copying a static one. */
char **
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

/* A number or flag of a row, whatever its C type. */
static int64_t
conf_num_get(const void *c, const struct conf_row *r)
{
	switch (r->type) {
	case CONF_SIZE:
		return ((int64_t)*CONF_CP(c, r, size_t));
	case CONF_I64:
		return (*CONF_CP(c, r, int64_t));
	default:
		return (*CONF_CP(c, r, int));
	}
}

/* Set a number or flag of a row, whatever its C type. */
static void
conf_num_set(void *c, const struct conf_row *r, int64_t n)
{
	switch (r->type) {
	case CONF_SIZE:
		*CONF_P(c, r, size_t) = (size_t)n;
		break;
	case CONF_I64:
		*CONF_P(c, r, int64_t) = n;
		break;
	default:
		*CONF_P(c, r, int) = (int)n;
		break;
	}
}

/* A non-empty string into *out (replacing it). */
static int
conf_str(struct json_object *v, const char *key, char **out, char *cause,
    size_t causelen)
{
	const char	*s;

	if (jsonget_string(v, key, &s, NULL, 0) == -1 || *s == '\0') {
		CAUSE("%s: must be a non-empty string", key);
		return (-1);
	}
	free(*out);
	*out = xstrdup(s);
	return (0);
}

/* An array of strings into *out (replacing it). */
static int
conf_strv(struct json_object *v, const char *key, char ***out, char *cause,
    size_t causelen)
{
	char	**nv;

	if (jsonget_strv(v, key, &nv, cause, causelen) == -1)
		return (-1);
	strv_free(*out);
	*out = nv;
	return (0);
}


/* A value v into a row of base (a config or a provider), named key. */
static int
conf_field_load(void *base, const struct conf_row *r, struct json_object *v,
    const char *key, char *cause, size_t causelen)
{
	int64_t	n;
	int	b;

	switch (r->type) {
	case CONF_STR:
		return (conf_str(v, key, CONF_P(base, r, char *), cause,
		    causelen));
	case CONF_STRV:
		return (conf_strv(v, key, CONF_P(base, r, char **), cause,
		    causelen));
	case CONF_BOOL:
		if (jsonget_bool(v, key, &b, cause, causelen))
			return (-1);
		conf_num_set(base, r, b);
		return (0);
	default:
		if (jsonget_int(v, key, r->min, r->max, &n, cause, causelen))
			return (-1);
		/* 0, or enough for what it limits to work at all. */
		if (r->least != 0 && n != 0 && n < r->least) {
			CAUSE("%s: must be 0 (no limit) or at least %lld", key,
			    (long long)r->least);
			return (-1);
		}
		conf_num_set(base, r, n);
		return (0);
	}
}

/* A row's value (of a config or a provider) as JSON; secrets masked. */
static struct json_object *
conf_row_dump(const void *c, const struct conf_row *r)
{
	struct json_object	*a;
	const char		*s;
	char *const		*v;
	size_t			 i;

	switch (r->type) {
	case CONF_STR:
		s = *CONF_CP(c, r, char *);
		if (s != NULL && (r->flags & CONF_SECRET))
			s = CONF_MASK;
		return (s != NULL ? json_object_new_string(s) : NULL);
	case CONF_STRV:
		v = *CONF_CP(c, r, conf_strv_t);
		if (v == NULL && (r->flags & CONF_NULL))
			return (NULL);
		if ((r->flags & CONF_SECRET) == 0)
			return (strv_to_json((char **)v));
		/* Secrets: how many, never what (nor how long). */
		a = json_object_new_array();
		for (i = 0; v != NULL && v[i] != NULL; i++)
			json_object_array_add(a,
			    json_object_new_string(CONF_MASK));
		return (a);
	case CONF_BOOL:
		return (json_object_new_boolean(conf_num_get(c, r) != 0));
	case CONF_OTHER:
		return (r->ops->dump((const struct config *)c));
	default:
		return (json_object_new_int64(conf_num_get(c, r)));
	}
}

/* A provider's keys (after its name), in config_provider_to_json's order. */
#define P(f)	.off = offsetof(struct provider, f)
static const struct conf_row conf_provider_table[] = {
	{ "command", CONF_STR, P(command) },
	{ "args", CONF_STRV, P(args) },
	{ "required_env", CONF_STRV, P(required_env) },
	{ "version_args", CONF_STRV, P(version_args), .flags = CONF_NULL },
	{ "help_args", CONF_STRV, P(help_args), .flags = CONF_NULL },
	{ "output", CONF_STR, P(output) },
	{ "approval_patterns", CONF_STRV, P(approval_patterns) },
	{ "approve_keys", CONF_STR, P(approve_keys) },
	{ "deny_keys", CONF_STR, P(deny_keys) },
	{ "model", CONF_STR, P(model) },
	{ "builtin", CONF_INT, P(builtin), .min = 0, .max = 1 },
	{ "driver", CONF_STR, P(driver) },
	{ "extra_args", CONF_STRV, P(extra_args), .flags = CONF_NULL },
};
#undef P

/* Free a provider and every key of it. */
void
config_provider_free(struct provider *p)
{
	const struct conf_row	*r;

	if (p == NULL)
		return;
	free(p->name);
	for (r = conf_provider_table; r < conf_provider_table +
	    nitems(conf_provider_table); r++) {
		if (r->type == CONF_STR)
			free(*CONF_P(p, r, char *));
		else if (r->type == CONF_STRV)
			strv_free(*CONF_P(p, r, char **));
	}
	free(p);
}

/* Add a provider, or replace the one of the same name (taking p). */
void
config_add_provider(struct config *c, struct provider *p)
{
	size_t	n = 0, i;

	while (c->providers[n] != NULL)
		n++;
	for (i = 0; i < n; i++) {
		if (strcmp(c->providers[i]->name, p->name) == 0) {
			config_provider_free(c->providers[i]);
			c->providers[i] = p;
			return;
		}
	}
	c->providers = xrealloc(c->providers, (n + 2) * sizeof *c->providers);
	c->providers[n] = p;
	c->providers[n + 1] = NULL;
}

/* The provider of that name, or NULL. */
const struct provider *
config_provider(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; c->providers[i] != NULL; i++)
		if (strcmp(c->providers[i]->name, name) == 0)
			return (c->providers[i]);
	return (NULL);
}

/* Parse "HOST:PORT" or "[ADDR]:PORT" into the config. */
int
config_set_listen(struct config *c, const char *s, char *cause,
    size_t causelen)
{
	const char	*colon, *host, *end;
	size_t		 hostlen;
	long long	 port;

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
	if (parse_decimal(colon + 1, 0, 65535, &port) == -1 || hostlen == 0) {
		CAUSE("listen: bad address '%s' (want HOST:PORT)", s);
		return (-1);
	}
	free(c->listen_host);
	c->listen_host = xstrndup(host, hostlen);
	c->listen_port = (int)port;
	c->listen_set = 1;
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

/* A copy of a provider, every key of it. */
static struct provider *
config_provider_copy(const struct provider *base)
{
	const struct conf_row	*r;
	struct provider		*p;
	char			**v;

	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(base->name);
	for (r = conf_provider_table; r < conf_provider_table +
	    nitems(conf_provider_table); r++) {
		if (r->type == CONF_STR && *CONF_P(base, r, char *) != NULL)
			*CONF_P(p, r, char *) = xstrdup(*CONF_P(base, r,
			    char *));
		else if (r->type == CONF_STRV &&
		    (v = *CONF_P(base, r, char **)) != NULL)
			*CONF_P(p, r, char **) = strv_make((const char *const *)v);
		else if (r->type == CONF_INT)
			*CONF_P(p, r, int) = *CONF_P(base, r, int);
	}
	return (p);
}

/*
 * A provider from its object in the file (or START); NULL with a cause.
 * Over base (the provider of that name so far, a built-in's defaults),
 * the object need only give the keys it changes.
 */
struct provider *
config_provider_from_json(const char *name, struct json_object *o,
    const struct provider *base, char *cause, size_t causelen)
{
	const struct conf_row	*r;
	struct provider		*p;
	char			 key[128];

	if (!json_object_is_type(o, json_type_object)) {
		CAUSE("providers.%s: must be an object", name);
		return (NULL);
	}
	if (base != NULL)
		p = config_provider_copy(base);
	else {
		p = xcalloc(1, sizeof *p);
		p->name = xstrdup(name);
		p->output = xstrdup("raw");
	}
	json_object_object_foreach(o, k, v) {
		snprintf(key, sizeof key, "providers.%s.%s", name, k);
		if (strcmp(k, "name") == 0)
			continue;
		for (r = conf_provider_table; r < conf_provider_table +
		    nitems(conf_provider_table); r++)
			if (strcmp(r->name, k) == 0)
				break;
		if (r == conf_provider_table + nitems(conf_provider_table)) {
			CAUSE("%s: unknown key", key);
			goto fail;
		}
		if (conf_field_load(p, r, v, key, cause, causelen) == -1)
			goto fail;
		if (strcmp(k, "output") == 0 && strcmp(p->output, "raw") != 0 &&
		    strcmp(p->output, "jsonl") != 0) {
			CAUSE("%s: must be \"raw\" or \"jsonl\"", key);
			goto fail;
		}
		if (strcmp(k, "driver") == 0 && strcmp(p->driver, "auto") != 0 &&
		    strcmp(p->driver, "none") != 0 &&
		    strcmp(p->driver, "codex") != 0 &&
		    strcmp(p->driver, "claude") != 0) {
			CAUSE("%s: must be \"auto\", \"none\", \"codex\" or "
			    "\"claude\"", key);
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
	config_provider_free(p);
	return (NULL);
}

/* A provider as JSON, its name included; the caller owns it. */
struct json_object *
config_provider_to_json(const struct provider *p)
{
	const struct conf_row	*r;
	struct json_object	*o, *v;

	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(p->name));
	for (r = conf_provider_table; r < conf_provider_table +
	    nitems(conf_provider_table); r++) {
		/* Left out when unset (version_args, help_args, model). */
		if ((v = conf_row_dump(p, r)) != NULL)
			json_object_object_add(o, r->name, v);
	}
	return (o);
}


/*
 * The sandbox's layers, in host/sandbox.h's order (bit l of
 * sandbox_layers is layer l): the one list of their names.
 */
static const char *const conf_layers[] = { "identity", "namespaces",
    "network", "landlock", "seccomp", "exec_policy", "cgroup", "rlimits" };

/* A layer's name, or NULL when out of range. */
const char *
config_layer_name(int l)
{
	if (l < 0 || (size_t)l >= nitems(conf_layers))
		return (NULL);
	return (conf_layers[l]);
}

/* The name of the i-th key of the table; NULL past the last. */
const char *
config_key_name(size_t i)
{
	return (i < conftable_n ? conftable[i].name : NULL);
}

/* Whether the i-th key can change at SIGHUP (0: only at a restart). */
int
config_key_reloads(size_t i)
{
	return (i < conftable_n &&
	    (conftable[i].flags & CONF_RESTART) == 0);
}

/* The one-line description of the i-th key; NULL past the last. */
const char *
config_key_doc(size_t i)
{
	return (i < conftable_n ? conftable[i].doc : NULL);
}

/* The row of a key, or NULL. */
static const struct conf_row *
conf_find(const char *name)
{
	size_t	i;

	for (i = 0; i < conftable_n; i++)
		if (strcmp(conftable[i].name, name) == 0)
			return (&conftable[i]);
	return (NULL);
}

/* A row's default into c. */
static void
conf_row_init(struct config *c, const struct conf_row *r)
{
	if (r->init != NULL) {
		r->init(c);
		return;
	}
	switch (r->type) {
	case CONF_STR:
		*CONF_P(c, r, char *) = r->str != NULL ? xstrdup(r->str) :
		    NULL;
		break;
	case CONF_STRV:
		if (r->strv != NULL)
			*CONF_P(c, r, char **) = strv_make(r->strv);
		else if ((r->flags & CONF_NULL) == 0)
			*CONF_P(c, r, char **) = xcalloc(1, sizeof (char *));
		break;
	case CONF_OTHER:
		if (r->ops->init != NULL)
			r->ops->init(c);
		break;
	default:
		conf_num_set(c, r, r->num);
		break;
	}
}

/* The embedded defaults: loopback, a state dir we can write, 2 spares. */
struct config *
config_default(void)
{
	struct config	*c;
	size_t		 i;

	c = xcalloc(1, sizeof *c);
	for (i = 0; i < conftable_n; i++)
		conf_row_init(c, &conftable[i]);
	return (c);
}

/* Free a config and every key of it. */
void
config_free(struct config *c)
{
	const struct conf_row	*r;
	size_t			 i;

	if (c == NULL)
		return;
	for (i = 0; i < conftable_n; i++) {
		r = &conftable[i];
		if (r->type == CONF_STR)
			free(*CONF_P(c, r, char *));
		else if (r->type == CONF_STRV)
			strv_free(*CONF_P(c, r, char **));
		else if (r->type == CONF_OTHER && r->ops->free != NULL)
			r->ops->free(c);
	}
	free(c);
}

/* One key's value v into c; -1 with a cause naming the key. */
static int
conf_row_load(struct config *c, const struct conf_row *r,
    struct json_object *v, char *cause, size_t causelen)
{
	if (r->type == CONF_OTHER)
		return (r->ops->parse(c, v, cause, causelen));
	if (conf_field_load(c, r, v, r->name, cause, causelen) == -1)
		return (-1);
	return (r->check != NULL ? r->check(c, cause, causelen) : 0);
}

/* Merge a config object (a file's, or START's) into c. */
int
config_load_json(struct config *c, struct json_object *root, char *cause,
    size_t causelen)
{
	const struct conf_row	*r;

	if (!json_object_is_type(root, json_type_object)) {
		CAUSE("not a JSON object");
		return (-1);
	}
	json_object_object_foreach(root, k, v) {
		if ((r = conf_find(k)) == NULL) {
			CAUSE("%s: unknown key", k);
			return (-1);
		}
		if (conf_row_load(c, r, v, cause, causelen) == -1)
			return (-1);
	}
	return (0);
}

/* Merge a JSON config file into c; -1 with a cause naming the bad key. */
int
config_load_file(struct config *c, const char *path, char *cause,
    size_t causelen)
{
	struct json_object	*root;
	struct json_tokener	*tok;
	enum json_tokener_error	 jerr;
	char			*text;
	size_t			 len, end;
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
	if (end == len)
		rv = config_load_json(c, root, cause, causelen);
	else
		CAUSE("%s: trailing bytes after the JSON object", path);
	json_object_put(root);
	return (end == len ? rv : -1);
}


/* Apply RUNNER_*, PORT, HOST and JWT_SECRET from the environment. */
int
config_load_env(struct config *c, char *cause, size_t causelen)
{
	/* The string keys the environment can set. */
	static const struct {
		const char	*var;
		const char	*key;
	} vars[] = {
		{ "RUNNER_STATE_DIR", "state_dir" },
		{ "RUNNER_WORKSPACE_DIR", "workspace_dir" },
		{ "RUNNER_CACHE_DIR", "cache_dir" },
		{ "RUNNER_SOCKET", "socket" },
		{ "JWT_SECRET", "jwt_secret" },
	};
	const struct conf_row	*r;
	const char		*v;
	long long		 n;
	size_t			 i;

	for (i = 0; i < nitems(vars); i++) {
		if ((v = getenv(vars[i].var)) == NULL || *v == '\0')
			continue;
		r = conf_find(vars[i].key);
		free(*CONF_P(c, r, char *));
		*CONF_P(c, r, char *) = xstrdup(v);
	}
	if ((v = getenv("RUNNER_MAX_SESSIONS")) != NULL && *v != '\0') {
		if (parse_decimal(v, 1, 100000, &n) == -1) {
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
		if (parse_decimal(v, 0, 65535, &n) == -1) {
			CAUSE("PORT: '%s' is not a port number", v);
			return (-1);
		}
		c->listen_port = (int)n;
		c->listen_set = 1;
	}
	return (0);
}

/* Resolve what depends on other keys: the socket in the state dir. */
void
config_finish(struct config *c)
{
	if (c->socket_path == NULL)
		c->socket_path = xasprintf("%s/runnerd.sock", c->state_dir);
}

/*
 * The config as JSON in the file's own keys. With wire, as START carries
 * it to a worker: no secret and no null (unset keys keep the default).
 */
static struct json_object *
conf_dump(const struct config *c, int wire)
{
	struct json_object	*o, *v;
	size_t			 i;

	o = json_object_new_object();
	for (i = 0; i < conftable_n; i++) {
		if (wire && (conftable[i].flags & CONF_SECRET))
			continue;
		v = conf_row_dump(c, &conftable[i]);
		if (wire && v == NULL)
			continue;
		json_object_object_add(o, conftable[i].name, v);
	}
	return (o);
}

/* The config as --check-config prints it, secrets masked. */
struct json_object *
config_to_json(const struct config *c)
{
	return (conf_dump(c, 0));
}

/* The config as START carries it. */
struct json_object *
config_to_wire(const struct config *c)
{
	return (conf_dump(c, 1));
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

/* Whether two vectors hold the same strings (NULL: none). */
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

/* Whether two strings, either maybe NULL, are the same. */
static int
conf_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* Whether a row holds the same value in a and b. */
static int
conf_row_same(const struct config *a, const struct config *b,
    const struct conf_row *r)
{
	char *const	*va, *const *vb;

	switch (r->type) {
	case CONF_STR:
		return (conf_str_eq(*CONF_CP(a, r, char *),
		    *CONF_CP(b, r, char *)));
	case CONF_STRV:
		va = *CONF_CP(a, r, conf_strv_t);
		vb = *CONF_CP(b, r, conf_strv_t);
		if ((va == NULL) != (vb == NULL) && (r->flags & CONF_NULL))
			return (0);
		return (conf_strv_eq((char **)va, (char **)vb));
	case CONF_OTHER:
		return (r->ops->same(a, b));
	default:
		return (conf_num_get(a, r) == conf_num_get(b, r));
	}
}

/* Say what changed in a row (never a secret's value) and apply it. */
static void
conf_row_apply(struct config *live, struct config *next,
    const struct conf_row *r, char *applied, size_t alen)
{
	void	*tmp;

	switch (r->type) {
	case CONF_STR:
		if (r->flags & CONF_SHOW)
			conf_note(applied, alen, "%s %s -> %s", r->name,
			    *CONF_P(live, r, char *), *CONF_P(next, r, char *));
		else
			conf_note(applied, alen, "%s", r->name);
		tmp = *CONF_P(live, r, char *);
		*CONF_P(live, r, char *) = *CONF_P(next, r, char *);
		*CONF_P(next, r, char *) = tmp;
		break;
	case CONF_STRV:
		if (r->flags & CONF_SECRET)
			conf_note(applied, alen, "%s (%zu -> %zu)", r->name,
			    strv_len(*CONF_P(live, r, char **)),
			    strv_len(*CONF_P(next, r, char **)));
		else
			conf_note(applied, alen, "%s", r->name);
		tmp = *CONF_P(live, r, char **);
		*CONF_P(live, r, char **) = *CONF_P(next, r, char **);
		*CONF_P(next, r, char **) = tmp;
		break;
	case CONF_OTHER:
		conf_note(applied, alen, "%s", r->name);
		r->ops->move(live, next);
		break;
	case CONF_BOOL:
		conf_note(applied, alen, "%s", r->name);
		conf_num_set(live, r, conf_num_get(next, r));
		break;
	default:
		if (r->flags & CONF_QUIET)
			conf_note(applied, alen, "%s", r->name);
		else
			conf_note(applied, alen, "%s %lld -> %lld", r->name,
			    (long long)conf_num_get(live, r),
			    (long long)conf_num_get(next, r));
		conf_num_set(live, r, conf_num_get(next, r));
		break;
	}
}

/*
 * SIGHUP: every key that can change live is read where it is used (limits,
 * secrets) or at each session start (running sessions keep theirs); keys
 * bound or created at start-up are only reported.
 */
void
config_reload(struct config *live, struct config *next, char *applied,
    size_t alen, char *restart, size_t rlen)
{
	const struct conf_row	*r;
	size_t			 i;

	*applied = '\0';
	*restart = '\0';
	for (i = 0; i < conftable_n; i++) {
		r = &conftable[i];
		if (conf_row_same(live, next, r))
			continue;
		if (r->flags & CONF_RESTART)
			conf_note(restart, rlen, "%s", r->name);
		else
			conf_row_apply(live, next, r, applied, alen);
	}
	/* Derived from sandbox_required, which moved (or was the same). */
	live->sandbox_layers = next->sandbox_layers;
}
