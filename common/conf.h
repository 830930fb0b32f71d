/* Configuration: embedded defaults < JSON file < environment < flags. */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>

#include "common/jsonget.h"

struct json_object;

/*
 * A provider: how to run one agent CLI. args is a template; each element
 * may hold {prompt}, {title}, {goal}, {model}, {workspace}, {sessionId}.
 * Built-in providers also have features detected from --help (provider.c
 * in the worker decides what their arguments become).
 */
struct provider {
	char	 *name;
	char	 *command;
	char	**args;			/* NULL-terminated template */
	char	**required_env;		/* NULL-terminated variable names */
	char	**version_args;		/* NULL = no version detection */
	char	**help_args;		/* NULL = no feature detection */
	char	 *output;		/* "raw" or "jsonl" */
	char	**approval_patterns;	/* POSIX extended regexes */
	char	 *approve_keys;		/* written to the pty on allow */
	char	 *deny_keys;		/* written to the pty on deny */
	char	 *model;		/* optional default model */
	int	  builtin;		/* 1 = codex or claude_code logic */
	/*
	 * The structured driver: NULL or "auto" (a built-in's protocol when
	 * detected), "none" (the one-shot argv), "codex" or "claude" (the
	 * command speaks that protocol).
	 */
	char	 *driver;
	char	**extra_args;		/* appended to the argv, or NULL */
};

struct config {
	char		 *listen_host;
	int		  listen_port;
	int		  listen_set;		/* listen given explicitly */
	char		 *socket_path;
	char		 *state_dir;
	char		 *workspace_dir;
	char		 *cache_dir;
	int64_t		  cache_max_age_ms;	/* mirror fetched when older */
	char		 *github_url;		/* remote repository bases */
	char		 *gitlab_url;
	char		 *bitbucket_url;
	int		  max_sessions;
	int		  pool_size;
	size_t		  max_body_bytes;
	int64_t		  session_timeout_ms;
	int64_t		  stop_grace_ms;
	int64_t		  shutdown_grace_ms;
	int64_t		  retention_ms;	/* ended sessions kept this long */
	size_t		  max_log_bytes;	/* per session event log cap */
	/* The real-time gateway (WebSocket, Socket.IO, SSE). */
	size_t		  gateway_max_buffer_bytes;	/* per subscriber */
	int		  gateway_max_connections;
	size_t		  gateway_max_message_bytes;	/* from a client */
	int64_t		  gateway_idle_timeout_ms;
	int64_t		  sse_heartbeat_ms;
	int64_t		  sio_ping_interval_ms;
	int64_t		  sio_ping_timeout_ms;
	char		**tokens;		/* NULL-terminated */
	char		 *jwt_secret;
	char		**allowed_roots;	/* local repositories */
	char		**cors_origins;		/* other origins let in */
	char		 *agent_path;		/* PATH given to agents */
	char		 *worker_path;		/* re-exec'd as worker; NULL = us */
	char		 *workspace_mode;	/* "auto", "overlay" or "clone" */
	int64_t		  cache_max_bytes;	/* mirrors + checkouts; 0 = no cap */
	int		  shallow;		/* mirrors fetched with depth 1 */
	int		  sandbox;		/* 0: agents run unconfined */
	int64_t		  sandbox_uid;		/* the agent's, as root */
	int64_t		  sandbox_gid;
	char		**sandbox_required;	/* layer names, or ["all"] */
	unsigned	  sandbox_layers;	/* those, as a mask */
	char		**sandbox_expose;	/* bound read-only into it */
	int64_t		  nofile_max;		/* the agent's RLIMIT_NOFILE */
	int64_t		  max_watches;		/* inotify watches a session */
	char		 *cgroup_base;		/* NULL = auto; "v1"; a path */
	int64_t		  memory_max_bytes;	/* per session; 0 = none */
	int64_t		  pids_max;		/* per session; 0 = none */
	int64_t		  cpu_max_pct;		/* 100 = one core; 0 = none */
	int64_t		  workspace_max_bytes;	/* disk quota; 0 = none */
	int64_t		  usage_tick_ms;	/* USAGE_TICK interval */
	/* {category: [pattern]}; a category here replaces its built-ins */
	struct json_object *exec_approval_patterns;	/* NULL: built in */
	char		**test_patterns;	/* NULL: built in */
	int64_t		  approval_timeout_ms;	/* unanswered: denied */
	int64_t		  agent_idle_timeout_ms;	/* a driven CLI, idle */
	int		  approval_deny_continues;	/* else FAILED */
	char		**network_allowlist;	/* restricted sessions' egress */
	int		  verbose;
	struct provider	**providers;		/* NULL-terminated */
};

/* A config holding the embedded defaults (built-in providers included). */
struct config	*config_default(void);
void		 config_free(struct config *);
/* Merge a JSON file; -1 with a cause naming the key on a bad one. */
int		 config_load_file(struct config *, const char *, char *, size_t);
/* Merge a config object (a file's, or START's "config"); the same rules. */
int		 config_load_json(struct config *, struct json_object *, char *,
		    size_t);
/* Apply RUNNER_*, PORT, HOST, JWT_SECRET from the environment. */
int		 config_load_env(struct config *, char *, size_t);
/* Parse "HOST:PORT" ("[::1]:3000" too) into the config. */
int		 config_set_listen(struct config *, const char *, char *,
		    size_t);
/* Resolve dirs that depend on others (socket in the state dir...). */
void		 config_finish(struct config *);
const struct provider *config_provider(const struct config *, const char *);
/*
 * The effective config as a JSON object in the file's own keys, secrets
 * (tokens, jwt_secret) masked; the caller owns it.
 */
struct json_object *config_to_json(const struct config *);
/*
 * The config as START carries it to a worker, read there by
 * config_load_json: config_to_json without secrets and without nulls.
 */
struct json_object *config_to_wire(const struct config *);
/* The i-th key of the config table and its one-line doc; NULL past it. */
const char	*config_key_name(size_t);
const char	*config_key_doc(size_t);
/* Whether the i-th key changes at SIGHUP (0: it waits for a restart). */
int		 config_key_reloads(size_t);
/*
 * A sandbox layer's name (bit l of sandbox_layers; host/sandbox.h's
 * order), or NULL when out of range.
 */
const char	*config_layer_name(int);
/*
 * SIGHUP: move what can change live from next (a whole new config, already
 * loaded and checked) into live. applied gets the names of what changed
 * (never a secret's value), restart what changed but needs a restart (left
 * as it was); both are "" when nothing did. next keeps the old values and
 * is the caller's to free.
 */
void		 config_reload(struct config *, struct config *, char *, size_t,
		    char *, size_t);

struct json_object *config_provider_to_json(const struct provider *);
/*
 * Parse a provider object (config file or START) over the provider of its
 * name so far, or NULL; NULL with a cause.
 */
struct provider	*config_provider_from_json(const char *,
		    struct json_object *, const struct provider *, char *,
		    size_t);
void		 config_provider_free(struct provider *);

/*
 * Split a browser origin "scheme://host[:port]" (scheme http or https,
 * host a name, an IPv4 address or a bracketed IPv6 one; nothing after) or,
 * with no scheme wanted, a Host header "host[:port]". host comes back
 * lower-cased, IPv6 with its brackets; port is the scheme's default (80,
 * 443) or 0 for a Host header without one. 0, or -1 if malformed.
 */
int		 config_origin_parse(const char *, int, char *, size_t,
		    char *, size_t, int *);

/* Helpers for NULL-terminated string vectors (JSON ones: jsonget.h). */
char		**strv_make(const char *const *);
void		 strv_free(char **);
size_t		 strv_len(char **);

#endif
