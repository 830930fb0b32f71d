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

#include <git2/version.h>
#include <json-c/json.h>

#include "conf.h"
#include "jsonget.h"
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

/*
 * The table: one row per key of the config file, in the order
 * --check-config prints them. Load, dump, reload, the defaults and the man
 * page's key list (checked by tests/unit/check_conf.c) all come from it.
 */
enum conf_type {
	CONF_STR,		/* char *, a non-empty string */
	CONF_STRV,		/* char **, an array of strings */
	CONF_BOOL,		/* int, true or false */
	CONF_INT,		/* int */
	CONF_SIZE,		/* size_t */
	CONF_I64,		/* int64_t */
	CONF_OTHER		/* a structure of its own: ops */
};

#define CONF_RESTART	0x01	/* bound at start-up: SIGHUP only says so */
#define CONF_SECRET	0x02	/* masked in the dump, never sent to workers */
#define CONF_NULL	0x04	/* vector: NULL (the built-ins) is null */
#define CONF_SHOW	0x08	/* string: SIGHUP names old and new value */
#define CONF_QUIET	0x10	/* number: SIGHUP names the key alone */

struct conf_row;

/* How a CONF_OTHER key is read, written, compared, moved and set up. */
struct conf_ops {
	int	 (*parse)(struct config *, struct json_object *, char *,
		    size_t);
	struct json_object *(*dump)(const struct config *);
	int	 (*same)(const struct config *, const struct config *);
	void	 (*move)(struct config *, struct config *);
	void	 (*init)(struct config *);
	void	 (*free)(struct config *);
};

struct conf_row {
	const char		*name;
	enum conf_type		 type;
	size_t			 off;		/* in struct config */
	int			 flags;
	int64_t			 min;		/* numbers */
	int64_t			 max;
	int64_t			 least;		/* 0, or at least this */
	int64_t			 num;		/* default number or flag */
	const char		*str;		/* default string */
	const char *const	*strv;		/* default vector */
	void			 (*init)(struct config *); /* a computed one */
	int			 (*check)(struct config *, char *, size_t);
	const struct conf_ops	*ops;
	const char		*doc;		/* one line */
};

typedef char **conf_strv_t;

#define CONF_P(c, r, t)	((t *)(void *)((char *)(c) + (r)->off))
#define CONF_CP(c, r, t) ((const t *)(const void *)((const char *)(c) + \
	(r)->off))
#define CONF_MASK	"********"

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

/* A provider's keys (after its name), in the order of provider_to_json. */
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
};
#undef P

void
provider_free(struct provider *p)
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
	const struct conf_row	*r;
	struct provider		*p;
	char			 key[128];

	if (!json_object_is_type(o, json_type_object)) {
		CAUSE("providers.%s: must be an object", name);
		return (NULL);
	}
	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->output = xstrdup("raw");
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

/* listen: HOST:PORT, kept as host and port. */
static int
conf_listen_parse(struct config *c, struct json_object *v, char *cause,
    size_t causelen)
{
	if (!json_object_is_type(v, json_type_string)) {
		CAUSE("listen: must be a string HOST:PORT");
		return (-1);
	}
	return (config_set_listen(c, json_object_get_string(v), cause,
	    causelen));
}

static struct json_object *
conf_listen_dump(const struct config *c)
{
	struct json_object	*o;
	char			*listen;

	if (strchr(c->listen_host, ':') != NULL)
		listen = xasprintf("[%s]:%d", c->listen_host, c->listen_port);
	else
		listen = xasprintf("%s:%d", c->listen_host, c->listen_port);
	o = json_object_new_string(listen);
	free(listen);
	return (o);
}

static int
conf_listen_same(const struct config *a, const struct config *b)
{
	return (strcmp(a->listen_host, b->listen_host) == 0 &&
	    a->listen_port == b->listen_port);
}

static void
conf_listen_init(struct config *c)
{
	c->listen_host = xstrdup("127.0.0.1");
	c->listen_port = 3000;
}

static void
conf_listen_free(struct config *c)
{
	free(c->listen_host);
}

/* exec_approval_patterns: {category: [pattern]}, kept as JSON. */
static int
conf_exec_parse(struct config *c, struct json_object *v, char *cause,
    size_t causelen)
{
	static const char *const k = "exec_approval_patterns";
	char	**pv = NULL;

	if (!json_object_is_type(v, json_type_object)) {
		CAUSE("%s: must be an object of category: [patterns]", k);
		return (-1);
	}
	json_object_object_foreach(v, ck, cv) {
		if (strcmp(ck, "merge") != 0 && strcmp(ck, "deps_add") != 0 &&
		    strcmp(ck, "secrets") != 0 && strcmp(ck, "deploy") != 0 &&
		    strcmp(ck, "shell") != 0 && strcmp(ck, "network") != 0) {
			CAUSE("%s.%s: not a category (merge, deps_add, "
			    "secrets, deploy, shell, network)", k, ck);
			return (-1);
		}
		if (conf_strv(cv, k, &pv, cause, causelen))
			return (-1);
		strv_free(pv);
		pv = NULL;
	}
	json_object_put(c->exec_approval_patterns);
	/* Outlives the parsed file: a reference of our own. */
	c->exec_approval_patterns = json_object_get(v);
	return (0);
}

static struct json_object *
conf_exec_dump(const struct config *c)
{
	/* null: the built-in patterns (runnerd.conf(5)). */
	return (json_object_get(c->exec_approval_patterns));
}

static int
conf_exec_same(const struct config *a, const struct config *b)
{
	return (json_object_equal(a->exec_approval_patterns,
	    b->exec_approval_patterns));
}

static void
conf_exec_move(struct config *live, struct config *next)
{
	struct json_object	*tmp = live->exec_approval_patterns;

	live->exec_approval_patterns = next->exec_approval_patterns;
	next->exec_approval_patterns = tmp;
}

static void
conf_exec_free(struct config *c)
{
	json_object_put(c->exec_approval_patterns);
}

/* providers: {name: provider}, merged over the built-ins. */
static int
conf_providers_parse(struct config *c, struct json_object *v, char *cause,
    size_t causelen)
{
	struct provider	*p;

	if (!json_object_is_type(v, json_type_object)) {
		CAUSE("providers: must be an object");
		return (-1);
	}
	json_object_object_foreach(v, pk, pv) {
		if ((p = provider_from_json(pk, pv, cause, causelen)) == NULL)
			return (-1);
		config_add_provider(c, p);
	}
	return (0);
}

static struct json_object *
conf_providers_dump(const struct config *c)
{
	struct json_object	*ps, *p;
	size_t			 i;

	ps = json_object_new_object();
	for (i = 0; c->providers[i] != NULL; i++) {
		p = provider_to_json(c->providers[i]);
		json_object_object_del(p, "name");
		json_object_object_add(ps, c->providers[i]->name, p);
	}
	return (ps);
}

static int
conf_providers_same(const struct config *a, const struct config *b)
{
	struct json_object	*ja, *jb;
	int			 eq;

	ja = conf_providers_dump(a);
	jb = conf_providers_dump(b);
	eq = json_object_equal(ja, jb);
	json_object_put(ja);
	json_object_put(jb);
	return (eq);
}

static void
conf_providers_move(struct config *live, struct config *next)
{
	struct provider	**tmp = live->providers;

	live->providers = next->providers;
	next->providers = tmp;
}

static void
conf_providers_init(struct config *c)
{
	c->providers = xcalloc(1, sizeof *c->providers);
	config_add_provider(c, provider_builtin("codex", "codex",
	    "OPENAI_API_KEY", 1));
	config_add_provider(c, provider_builtin("claude_code", "claude",
	    "ANTHROPIC_API_KEY", 1));
	config_add_provider(c, provider_builtin("fake", "runnerd-fake-agent",
	    NULL, 0));
}

static void
conf_providers_free(struct config *c)
{
	size_t	i;

	for (i = 0; c->providers[i] != NULL; i++)
		provider_free(c->providers[i]);
	free(c->providers);
}

/* The state dir: one root can share, else one in HOME, else in /tmp. */
static void
conf_state_dir_init(struct config *c)
{
	const char	*home;

	if (geteuid() == 0)
		c->state_dir = xstrdup("/var/lib/runnerd");
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		c->state_dir = xasprintf("%s/.local/state/runnerd", home);
	else
		c->state_dir = xasprintf("/tmp/runnerd-%ld", (long)geteuid());
}

/* Agents get our PATH. */
static void
conf_agent_path_init(struct config *c)
{
	const char	*path = getenv("PATH");

	c->agent_path = xstrdup(path != NULL && *path != '\0' ? path :
	    "/usr/local/bin:/usr/bin:/bin");
}

/* Every cors_origins entry must be an origin a browser would send. */
static int
conf_cors_check(struct config *c, char *cause, size_t causelen)
{
	return (conf_origins(c->cors_origins, cause, causelen));
}

static int
conf_workspace_mode_check(struct config *c, char *cause, size_t causelen)
{
	if (strcmp(c->workspace_mode, "auto") != 0 &&
	    strcmp(c->workspace_mode, "overlay") != 0 &&
	    strcmp(c->workspace_mode, "clone") != 0) {
		CAUSE("workspace_mode: must be auto, overlay or clone");
		return (-1);
	}
	return (0);
}

static int
conf_shallow_check(struct config *c, char *cause, size_t causelen)
{
#if LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR < 7
	/* git_fetch_options.depth came with libgit2 1.7. */
	if (c->shallow) {
		CAUSE("shallow: not supported: libgit2 %s cannot fetch "
		    "shallow (1.7 or later can)", LIBGIT2_VERSION);
		return (-1);
	}
#else
	(void)c;
	(void)cause;
	(void)causelen;
#endif
	return (0);
}

/*
 * The sandbox's layers, in worker/sandbox.h's order (bit l of
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

/* sandbox_required's names, or ["all"], as the mask sandbox_layers. */
static int
conf_sandbox_required_check(struct config *c, char *cause, size_t causelen)
{
	size_t	i, j;

	c->sandbox_layers = 0;
	for (i = 0; c->sandbox_required[i] != NULL; i++) {
		const char *l = c->sandbox_required[i];

		for (j = 0; j < nitems(conf_layers); j++)
			if (strcmp(l, conf_layers[j]) == 0)
				break;
		if (strcmp(l, "all") == 0 && i == 0 &&
		    c->sandbox_required[1] == NULL) {
			c->sandbox_layers = (1u << nitems(conf_layers)) - 1;
			continue;
		}
		if (j == nitems(conf_layers)) {
			CAUSE("sandbox_required: \"%.64s\" is not a layer "
			    "(identity, namespaces, network, landlock, "
			    "seccomp, exec_policy, cgroup, rlimits; or "
			    "[\"all\"])", l);
			return (-1);
		}
		c->sandbox_layers |= 1u << j;
	}
	return (0);
}

static int
conf_sandbox_expose_check(struct config *c, char *cause, size_t causelen)
{
	size_t	i;

	for (i = 0; c->sandbox_expose[i] != NULL; i++) {
		if (c->sandbox_expose[i][0] != '/') {
			CAUSE("sandbox_expose: \"%.64s\" is not an absolute "
			    "path", c->sandbox_expose[i]);
			return (-1);
		}
	}
	return (0);
}

static int
conf_cgroup_base_check(struct config *c, char *cause, size_t causelen)
{
	if (c->cgroup_base[0] != '/' && strcmp(c->cgroup_base, "auto") != 0 &&
	    strcmp(c->cgroup_base, "v1") != 0) {
		CAUSE("cgroup_base: must be \"auto\", \"v1\" or an absolute "
		    "path");
		return (-1);
	}
	return (0);
}

/* A bad pattern is an error here, not in a session. */
static int
conf_network_allowlist_check(struct config *c, char *cause, size_t causelen)
{
	struct netallow	*na;

	if ((na = netallow_create(c->network_allowlist, cause,
	    causelen)) == NULL)
		return (-1);
	netallow_free(na);
	return (0);
}

/* The keys with a structure of their own. */
static const struct conf_ops conf_listen_ops = {
	.parse = conf_listen_parse, .dump = conf_listen_dump,
	.same = conf_listen_same, .init = conf_listen_init,
	.free = conf_listen_free
};
static const struct conf_ops conf_exec_ops = {
	.parse = conf_exec_parse, .dump = conf_exec_dump,
	.same = conf_exec_same, .move = conf_exec_move, .free = conf_exec_free
};
static const struct conf_ops conf_providers_ops = {
	.parse = conf_providers_parse, .dump = conf_providers_dump,
	.same = conf_providers_same, .move = conf_providers_move,
	.init = conf_providers_init, .free = conf_providers_free
};

static const char *const conf_roots_default[] = { "/srv", "/home", NULL };

#define F(f)	.off = offsetof(struct config, f)
#define INT(t, lo, hi, d) .type = t, .min = (lo), .max = (hi), .num = (d)
#define HALF	(INT64_MAX / 2)
#define HOUR_MS	(3600 * 1000)

static const struct conf_row conf_table[] = {
	{ "listen", CONF_OTHER, .flags = CONF_RESTART, .ops = &conf_listen_ops,
	  .doc = "TCP address HOST:PORT or [ADDR]:PORT" },
	{ "socket", CONF_STR, F(socket_path), .flags = CONF_RESTART,
	  .doc = "Unix socket; default <state_dir>/runnerd.sock" },
	{ "state_dir", CONF_STR, F(state_dir), .flags = CONF_RESTART,
	  .init = conf_state_dir_init, .doc = "event logs and records" },
	{ "workspace_dir", CONF_STR, F(workspace_dir), .flags = CONF_RESTART,
	  .str = "/tmp/ai-village-workspaces", .doc = "one per session" },
	{ "cache_dir", CONF_STR, F(cache_dir), .flags = CONF_RESTART,
	  .str = "/tmp/ai-village-cache", .doc = "repository cache" },
	{ "cache_max_age_ms", F(cache_max_age_ms),
	  INT(CONF_I64, 0, HALF, 300 * 1000),
	  .doc = "a mirror fetched longer ago is fetched again" },
	{ "github_url", CONF_STR, F(github_url), .str = "https://github.com",
	  .doc = "base URL of repoRef provider github" },
	{ "gitlab_url", CONF_STR, F(gitlab_url), .str = "https://gitlab.com",
	  .doc = "base URL of repoRef provider gitlab" },
	{ "bitbucket_url", CONF_STR, F(bitbucket_url),
	  .str = "https://bitbucket.org",
	  .doc = "base URL of repoRef provider bitbucket" },
	{ "max_sessions", F(max_sessions), INT(CONF_INT, 1, 100000, 10),
	  .doc = "live sessions at once" },
	{ "pool_size", F(pool_size), INT(CONF_INT, 0, 1000, 2),
	  .doc = "idle pre-forked workers" },
	{ "max_body_bytes", F(max_body_bytes),
	  INT(CONF_SIZE, 1024, 64 * 1024 * 1024, 1024 * 1024),
	  .doc = "request body limit" },
	{ "max_log_bytes", F(max_log_bytes),
	  INT(CONF_SIZE, 65536, INT64_MAX, 256 * 1024 * 1024),
	  .doc = "per-session event log cap" },
	{ "session_timeout_ms", F(session_timeout_ms),
	  INT(CONF_I64, 100, HALF, HOUR_MS),
	  .doc = "a session running longer is stopped" },
	{ "stop_grace_ms", F(stop_grace_ms), INT(CONF_I64, 0, HOUR_MS, 10000),
	  .doc = "SIGTERM to SIGKILL grace" },
	{ "shutdown_grace_ms", F(shutdown_grace_ms),
	  INT(CONF_I64, 0, HOUR_MS, 15000),
	  .doc = "bound on stopping all sessions at SIGTERM" },
	{ "retention_ms", F(retention_ms),
	  INT(CONF_I64, 100, HALF, 24LL * HOUR_MS),
	  .doc = "ended sessions are swept this long after" },
	{ "gateway_max_buffer_bytes", F(gateway_max_buffer_bytes),
	  INT(CONF_SIZE, 65536, HALF, 8 * 1024 * 1024),
	  .doc = "output buffered per real-time subscriber" },
	{ "gateway_max_connections", F(gateway_max_connections),
	  INT(CONF_INT, 1, 1000000, 1024),
	  .doc = "open WebSocket, Socket.IO and SSE connections" },
	{ "gateway_max_message_bytes", F(gateway_max_message_bytes),
	  INT(CONF_SIZE, 1024, 64 * 1024 * 1024, 1024 * 1024),
	  .doc = "largest message from a client" },
	{ "gateway_idle_timeout_ms", F(gateway_idle_timeout_ms),
	  INT(CONF_I64, 1000, 24 * HOUR_MS, 60 * 1000),
	  .doc = "a silent WebSocket is closed after this" },
	{ "sse_heartbeat_ms", F(sse_heartbeat_ms),
	  INT(CONF_I64, 100, HOUR_MS, 15 * 1000),
	  .doc = "comment line on idle event streams" },
	{ "sio_ping_interval_ms", F(sio_ping_interval_ms),
	  INT(CONF_I64, 100, HOUR_MS, 25 * 1000),
	  .doc = "Engine.IO ping interval" },
	{ "sio_ping_timeout_ms", F(sio_ping_timeout_ms),
	  INT(CONF_I64, 100, HOUR_MS, 20 * 1000),
	  .doc = "Engine.IO ping timeout" },
	{ "tokens", CONF_STRV, F(tokens), .flags = CONF_SECRET,
	  .doc = "static bearer tokens" },
	{ "jwt_secret", CONF_STR, F(jwt_secret), .flags = CONF_SECRET,
	  .doc = "HS256 secret for JWTs" },
	{ "allowed_roots", CONF_STRV, F(allowed_roots),
	  .strv = conf_roots_default,
	  .doc = "local repositories must lie under one of these" },
	{ "cors_origins", CONF_STRV, F(cors_origins),
	  .check = conf_cors_check, .doc = "other browser origins let in" },
	{ "agent_path", CONF_STR, F(agent_path), .init = conf_agent_path_init,
	  .doc = "PATH given to agent CLIs" },
	{ "worker_path", CONF_STR, F(worker_path), .flags = CONF_RESTART,
	  .doc = "binary re-executed as a worker" },
	{ "verbose", F(verbose), INT(CONF_INT, 0, 3, 0), .doc = "log level" },
	{ "workspace_mode", CONF_STR, F(workspace_mode), .flags = CONF_SHOW,
	  .str = "auto", .check = conf_workspace_mode_check,
	  .doc = "auto, overlay or clone" },
	{ "cache_max_bytes", F(cache_max_bytes),
	  INT(CONF_I64, 0, INT64_MAX, (int64_t)10 << 30),
	  .doc = "size cap of the cache" },
	{ "shallow", F(shallow), INT(CONF_BOOL, 0, 1, 0),
	  .check = conf_shallow_check, .doc = "mirrors fetched with depth 1" },
	{ "sandbox", F(sandbox), INT(CONF_BOOL, 0, 1, 1),
	  .doc = "run agent CLIs in the sandbox" },
	{ "sandbox_uid", F(sandbox_uid), INT(CONF_I64, 0, 4294967294LL, 65534),
	  .flags = CONF_QUIET, .doc = "the agent's uid as root" },
	{ "sandbox_gid", F(sandbox_gid), INT(CONF_I64, 0, 4294967294LL, 65534),
	  .flags = CONF_QUIET, .doc = "the agent's gid as root" },
	{ "sandbox_required", CONF_STRV, F(sandbox_required),
	  .check = conf_sandbox_required_check,
	  .doc = "layers a session may not run without" },
	{ "sandbox_expose", CONF_STRV, F(sandbox_expose),
	  .check = conf_sandbox_expose_check,
	  .doc = "paths bound read-only into the sandbox" },
	{ "nofile_max", F(nofile_max), INT(CONF_I64, 16, 1048576, 4096),
	  .doc = "the agent's RLIMIT_NOFILE" },
	{ "max_watches", F(max_watches), INT(CONF_I64, 1, 1048576, 8192),
	  .doc = "inotify watches a session may hold" },
	{ "cgroup_base", CONF_STR, F(cgroup_base), .flags = CONF_RESTART,
	  .check = conf_cgroup_base_check,
	  .doc = "auto, v1 or a delegated cgroup v2 directory" },
	{ "memory_max_bytes", F(memory_max_bytes),
	  INT(CONF_I64, 0, HALF, 8LL << 30), .least = 4 * 1024 * 1024,
	  .doc = "memory of a session; 0: no limit" },
	{ "pids_max", F(pids_max), INT(CONF_I64, 0, 4194304, 4096), .least = 8,
	  .doc = "processes and threads of a session; 0: no limit" },
	{ "cpu_max_pct", F(cpu_max_pct), INT(CONF_I64, 0, 100000, 0),
	  .doc = "CPU of a session in percent of a core; 0: no limit" },
	{ "workspace_max_bytes", F(workspace_max_bytes),
	  INT(CONF_I64, 0, HALF, 10LL << 30), .least = 16 * 1024 * 1024,
	  .doc = "disk quota of a session's workspace; 0: none" },
	{ "usage_tick_ms", F(usage_tick_ms),
	  INT(CONF_I64, 100, 24 * HOUR_MS, 30 * 1000),
	  .doc = "interval of USAGE_TICK events" },
	{ "exec_approval_patterns", CONF_OTHER, .ops = &conf_exec_ops,
	  .doc = "exec patterns per approval category" },
	{ "test_patterns", CONF_STRV, F(test_patterns), .flags = CONF_NULL,
	  .doc = "exec patterns of test runs" },
	{ "approval_timeout_ms", F(approval_timeout_ms),
	  INT(CONF_I64, 100, INT64_MAX / 4, 600 * 1000),
	  .doc = "an unanswered approval is denied after this" },
	{ "approval_deny_continues", F(approval_deny_continues),
	  INT(CONF_BOOL, 0, 1, 0), .doc = "a denied exec does not stop it" },
	{ "network_allowlist", CONF_STRV, F(network_allowlist),
	  .strv = netallow_default, .check = conf_network_allowlist_check,
	  .doc = "hosts a restricted session may reach" },
	{ "providers", CONF_OTHER, .ops = &conf_providers_ops,
	  .doc = "extra or overriding providers by name" },
};

#undef F
#undef INT
#undef HALF
#undef HOUR_MS

/* The name of the i-th key of the table; NULL past the last. */
const char *
config_key_name(size_t i)
{
	return (i < nitems(conf_table) ? conf_table[i].name : NULL);
}

/* Whether the i-th key can change at SIGHUP (0: only at a restart). */
int
config_key_reloads(size_t i)
{
	return (i < nitems(conf_table) &&
	    (conf_table[i].flags & CONF_RESTART) == 0);
}

/* The one-line description of the i-th key; NULL past the last. */
const char *
config_key_doc(size_t i)
{
	return (i < nitems(conf_table) ? conf_table[i].doc : NULL);
}

static const struct conf_row *
conf_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(conf_table); i++)
		if (strcmp(conf_table[i].name, name) == 0)
			return (&conf_table[i]);
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
	for (i = 0; i < nitems(conf_table); i++)
		conf_row_init(c, &conf_table[i]);
	return (c);
}

void
config_free(struct config *c)
{
	const struct conf_row	*r;
	size_t			 i;

	if (c == NULL)
		return;
	for (i = 0; i < nitems(conf_table); i++) {
		r = &conf_table[i];
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


int
config_load_env(struct config *c, char *cause, size_t causelen)
{
	const char	*v;
	long long	 n;

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
	for (i = 0; i < nitems(conf_table); i++) {
		if (wire && (conf_table[i].flags & CONF_SECRET))
			continue;
		v = conf_row_dump(c, &conf_table[i]);
		if (wire && v == NULL)
			continue;
		json_object_object_add(o, conf_table[i].name, v);
	}
	return (o);
}

struct json_object *
config_to_json(const struct config *c)
{
	return (conf_dump(c, 0));
}

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
	for (i = 0; i < nitems(conf_table); i++) {
		r = &conf_table[i];
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
