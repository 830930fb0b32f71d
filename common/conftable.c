/* The config's keys: the table and the handlers of keys with a structure. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/version.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/conftable.h"
#include "common/jsonget.h"
#include "common/netallow.h"
#include "common/util.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* A built-in provider: codex and claude_code (builtin), or the fake agent. */
static struct provider *
conftable_builtin(const char *name, const char *command, const char *env,
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

/* Every cors_origins entry must be an origin a browser would send. */
static int
conftable_origins(char **origins, char *cause, size_t causelen)
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

/* listen: HOST:PORT, kept as host and port. */
static int
conftable_listen_parse(struct config *c, struct json_object *v, char *cause,
    size_t causelen)
{
	if (!json_object_is_type(v, json_type_string)) {
		CAUSE("listen: must be a string HOST:PORT");
		return (-1);
	}
	return (config_set_listen(c, json_object_get_string(v), cause,
	    causelen));
}

/* listen as HOST:PORT, an IPv6 address in brackets. */
static struct json_object *
conftable_listen_dump(const struct config *c)
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

/* Whether two configs listen on the same address. */
static int
conftable_listen_same(const struct config *a, const struct config *b)
{
	return (strcmp(a->listen_host, b->listen_host) == 0 &&
	    a->listen_port == b->listen_port);
}

/* The default address: loopback, port 3000. */
static void
conftable_listen_init(struct config *c)
{
	c->listen_host = xstrdup("127.0.0.1");
	c->listen_port = 3000;
}

/* Free the listen address. */
static void
conftable_listen_free(struct config *c)
{
	free(c->listen_host);
}

/* exec_approval_patterns: {category: [pattern]}, kept as JSON. */
static int
conftable_exec_parse(struct config *c, struct json_object *v, char *cause,
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
		if (jsonget_strv(cv, k, &pv, cause, causelen) == -1)
			return (-1);
		strv_free(pv);
	}
	json_object_put(c->exec_approval_patterns);
	/* Outlives the parsed file: a reference of our own. */
	c->exec_approval_patterns = json_object_get(v);
	return (0);
}

/* The patterns as given; null: the built-ins (runnerd.conf(5)). */
static struct json_object *
conftable_exec_dump(const struct config *c)
{
	/* null: the built-in patterns (runnerd.conf(5)). */
	return (json_object_get(c->exec_approval_patterns));
}

/* Whether two configs hold the same patterns. */
static int
conftable_exec_same(const struct config *a, const struct config *b)
{
	return (json_object_equal(a->exec_approval_patterns,
	    b->exec_approval_patterns));
}

/* Swap the patterns of live and next. */
static void
conftable_exec_move(struct config *live, struct config *next)
{
	struct json_object	*tmp = live->exec_approval_patterns;

	live->exec_approval_patterns = next->exec_approval_patterns;
	next->exec_approval_patterns = tmp;
}

/* Drop the config's reference to its patterns. */
static void
conftable_exec_free(struct config *c)
{
	json_object_put(c->exec_approval_patterns);
}

/* providers: {name: provider}, each merged over the one of its name. */
static int
conftable_providers_parse(struct config *c, struct json_object *v, char *cause,
    size_t causelen)
{
	struct provider	*p;

	if (!json_object_is_type(v, json_type_object)) {
		CAUSE("providers: must be an object");
		return (-1);
	}
	json_object_object_foreach(v, pk, pv) {
		p = config_provider_from_json(pk, pv, config_provider(c, pk),
		    cause, causelen);
		if (p == NULL)
			return (-1);
		config_add_provider(c, p);
	}
	return (0);
}

/* {name: provider} of every provider. */
static struct json_object *
conftable_providers_dump(const struct config *c)
{
	struct json_object	*ps, *p;
	size_t			 i;

	ps = json_object_new_object();
	for (i = 0; c->providers[i] != NULL; i++) {
		p = config_provider_to_json(c->providers[i]);
		json_object_object_del(p, "name");
		json_object_object_add(ps, c->providers[i]->name, p);
	}
	return (ps);
}

/* Whether two configs hold the same providers, by their JSON. */
static int
conftable_providers_same(const struct config *a, const struct config *b)
{
	struct json_object	*ja, *jb;
	int			 eq;

	ja = conftable_providers_dump(a);
	jb = conftable_providers_dump(b);
	eq = json_object_equal(ja, jb);
	json_object_put(ja);
	json_object_put(jb);
	return (eq);
}

/* Swap the providers of live and next. */
static void
conftable_providers_move(struct config *live, struct config *next)
{
	struct provider	**tmp = live->providers;

	live->providers = next->providers;
	next->providers = tmp;
}

/* The built-in providers: codex, claude_code and the fake agent. */
static void
conftable_providers_init(struct config *c)
{
	c->providers = xcalloc(1, sizeof *c->providers);
	config_add_provider(c, conftable_builtin("codex", "codex",
	    "OPENAI_API_KEY", 1));
	config_add_provider(c, conftable_builtin("claude_code", "claude",
	    "ANTHROPIC_API_KEY", 1));
	config_add_provider(c, conftable_builtin("fake", "runnerd-fake-agent",
	    NULL, 0));
}

/* Free every provider. */
static void
conftable_providers_free(struct config *c)
{
	size_t	i;

	for (i = 0; c->providers[i] != NULL; i++)
		config_provider_free(c->providers[i]);
	free(c->providers);
}

/* The state dir: one root can share, else one in HOME, else in /tmp. */
static void
conftable_state_dir_init(struct config *c)
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
conftable_agent_path_init(struct config *c)
{
	const char	*path = getenv("PATH");

	c->agent_path = xstrdup(path != NULL && *path != '\0' ? path :
	    "/usr/local/bin:/usr/bin:/bin");
}

/* Every cors_origins entry must be an origin a browser would send. */
static int
conftable_cors_check(struct config *c, char *cause, size_t causelen)
{
	return (conftable_origins(c->cors_origins, cause, causelen));
}

/* workspace_mode is one of auto, overlay and clone. */
static int
conftable_workspace_mode_check(struct config *c, char *cause, size_t causelen)
{
	if (strcmp(c->workspace_mode, "auto") != 0 &&
	    strcmp(c->workspace_mode, "overlay") != 0 &&
	    strcmp(c->workspace_mode, "clone") != 0) {
		CAUSE("workspace_mode: must be auto, overlay or clone");
		return (-1);
	}
	return (0);
}

/* shallow needs a libgit2 that can fetch with a depth. */
static int
conftable_shallow_check(struct config *c, char *cause, size_t causelen)
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

/* sandbox_required's names, or ["all"], as the mask sandbox_layers. */
static int
conftable_sandbox_required_check(struct config *c, char *cause, size_t causelen)
{
	const char	*name;
	char		 list[128] = "";
	size_t		 i;
	int		 j;

	c->sandbox_layers = 0;
	for (i = 0; c->sandbox_required[i] != NULL; i++) {
		const char *l = c->sandbox_required[i];

		for (j = 0; (name = config_layer_name(j)) != NULL; j++)
			if (strcmp(l, name) == 0)
				break;
		if (strcmp(l, "all") == 0 && i == 0 &&
		    c->sandbox_required[1] == NULL) {
			c->sandbox_layers = (1u << j) - 1;
			continue;
		}
		if (name == NULL) {
			for (j = 0; (name = config_layer_name(j)) != NULL; j++)
				snprintf(list + strlen(list), sizeof list -
				    strlen(list), "%s, ", name);
			list[strlen(list) - 2] = '\0';
			CAUSE("sandbox_required: \"%.64s\" is not a layer (%s; "
			    "or [\"all\"])", l, list);
			return (-1);
		}
		c->sandbox_layers |= 1u << j;
	}
	return (0);
}

/* Every exposed path is absolute. */
static int
conftable_sandbox_expose_check(struct config *c, char *cause, size_t causelen)
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

/* cgroup_base is auto, v1 or an absolute path. */
static int
conftable_cgroup_base_check(struct config *c, char *cause, size_t causelen)
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
conftable_network_allowlist_check(struct config *c, char *cause,
    size_t causelen)
{
	struct netallow	*na;

	if ((na = netallow_create(c->network_allowlist, cause,
	    causelen)) == NULL)
		return (-1);
	netallow_free(na);
	return (0);
}

/* The keys with a structure of their own. */
static const struct conf_ops conftable_listen_ops = {
	.parse = conftable_listen_parse, .dump = conftable_listen_dump,
	.same = conftable_listen_same, .init = conftable_listen_init,
	.free = conftable_listen_free
};
static const struct conf_ops conftable_exec_ops = {
	.parse = conftable_exec_parse, .dump = conftable_exec_dump,
	.same = conftable_exec_same, .move = conftable_exec_move,
	.free = conftable_exec_free
};
static const struct conf_ops conftable_providers_ops = {
	.parse = conftable_providers_parse, .dump = conftable_providers_dump,
	.same = conftable_providers_same, .move = conftable_providers_move,
	.init = conftable_providers_init, .free = conftable_providers_free
};

static const char *const conftable_roots_default[] = { "/srv", "/home", NULL };

#define F(f)	.off = offsetof(struct config, f)
#define INT(t, lo, hi, d) .type = t, .min = (lo), .max = (hi), .num = (d)
#define HALF	(INT64_MAX / 2)
#define HOUR_MS	(3600 * 1000)

const struct conf_row conftable[] = {
	{ "listen", CONF_OTHER, .flags = CONF_RESTART,
	  .ops = &conftable_listen_ops,
	  .doc = "TCP address HOST:PORT or [ADDR]:PORT" },
	{ "socket", CONF_STR, F(socket_path), .flags = CONF_RESTART,
	  .doc = "Unix socket; default <state_dir>/runnerd.sock" },
	{ "state_dir", CONF_STR, F(state_dir), .flags = CONF_RESTART,
	  .init = conftable_state_dir_init, .doc = "event logs and records" },
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
	  .strv = conftable_roots_default,
	  .doc = "local repositories must lie under one of these" },
	{ "cors_origins", CONF_STRV, F(cors_origins),
	  .check = conftable_cors_check,
	  .doc = "other browser origins let in" },
	{ "agent_path", CONF_STR, F(agent_path),
	  .init = conftable_agent_path_init,
	  .doc = "PATH given to agent CLIs" },
	{ "worker_path", CONF_STR, F(worker_path), .flags = CONF_RESTART,
	  .doc = "binary re-executed as a worker" },
	{ "verbose", F(verbose), INT(CONF_INT, 0, 3, 0), .doc = "log level" },
	{ "workspace_mode", CONF_STR, F(workspace_mode), .flags = CONF_SHOW,
	  .str = "auto", .check = conftable_workspace_mode_check,
	  .doc = "auto, overlay or clone" },
	{ "cache_max_bytes", F(cache_max_bytes),
	  INT(CONF_I64, 0, INT64_MAX, (int64_t)10 << 30),
	  .doc = "size cap of the cache" },
	{ "shallow", F(shallow), INT(CONF_BOOL, 0, 1, 0),
	  .check = conftable_shallow_check,
	  .doc = "mirrors fetched with depth 1" },
	{ "sandbox", F(sandbox), INT(CONF_BOOL, 0, 1, 1),
	  .doc = "run agent CLIs in the sandbox" },
	{ "sandbox_uid", F(sandbox_uid), INT(CONF_I64, 0, 4294967294LL, 65534),
	  .flags = CONF_QUIET, .doc = "the agent's uid as root" },
	{ "sandbox_gid", F(sandbox_gid), INT(CONF_I64, 0, 4294967294LL, 65534),
	  .flags = CONF_QUIET, .doc = "the agent's gid as root" },
	{ "sandbox_required", CONF_STRV, F(sandbox_required),
	  .check = conftable_sandbox_required_check,
	  .doc = "layers a session may not run without" },
	{ "sandbox_expose", CONF_STRV, F(sandbox_expose),
	  .check = conftable_sandbox_expose_check,
	  .doc = "paths bound read-only into the sandbox" },
	{ "nofile_max", F(nofile_max), INT(CONF_I64, 16, 1048576, 4096),
	  .doc = "the agent's RLIMIT_NOFILE" },
	{ "max_watches", F(max_watches), INT(CONF_I64, 1, 1048576, 8192),
	  .doc = "inotify watches a session may hold" },
	{ "cgroup_base", CONF_STR, F(cgroup_base), .flags = CONF_RESTART,
	  .check = conftable_cgroup_base_check,
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
	{ "exec_approval_patterns", CONF_OTHER, .ops = &conftable_exec_ops,
	  .doc = "exec patterns per approval category" },
	{ "test_patterns", CONF_STRV, F(test_patterns), .flags = CONF_NULL,
	  .doc = "exec patterns of test runs" },
	{ "approval_timeout_ms", F(approval_timeout_ms),
	  INT(CONF_I64, 100, INT64_MAX / 4, 600 * 1000),
	  .doc = "an unanswered approval is denied after this" },
	{ "agent_idle_timeout_ms", F(agent_idle_timeout_ms),
	  INT(CONF_I64, 0, 7 * 24 * HOUR_MS, 300 * 1000),
	  .doc = "a driven CLI idle this long after a turn ends is stopped" },
	{ "approval_deny_continues", F(approval_deny_continues),
	  INT(CONF_BOOL, 0, 1, 0), .doc = "a denied exec does not stop it" },
	{ "network_allowlist", CONF_STRV, F(network_allowlist),
	  .strv = netallow_default, .check = conftable_network_allowlist_check,
	  .doc = "hosts a restricted session may reach" },
	{ "providers", CONF_OTHER, .ops = &conftable_providers_ops,
	  .doc = "extra or overriding providers by name" },
};

#undef F
#undef INT
#undef HALF
#undef HOUR_MS

const size_t conftable_n = nitems(conftable);
