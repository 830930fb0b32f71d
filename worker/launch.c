/*
 * Starting the CLI, once the workspace is there: find the provider and
 * build its argv and output parser, then spawn it (in the sandbox or on a
 * plain pty) with its environment, and start the exec policy and the
 * network proxy on what the spawn handed back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/util.h"
#include "host/sandbox.h"
#include "worker/agent.h"
#include "worker/confine.h"
#include "worker/driver.h"
#include "worker/gate.h"
#include "worker/launch.h"
#include "worker/output.h"
#include "worker/provider.h"
#include "worker/proxy.h"
#include "worker/spawn.h"
#include "worker/workspace.h"
#include "worker/wstate.h"

/* The most host:port alerts per session; past it, only counted. */
#define LAUNCH_NET_ALERTS	64

/* Send a chunk of terminal output. */
static void
launch_chunk_cb(const char *data, size_t len, void *arg)
{
	struct json_object	*ev;

	ev = event_create(EV_TERMINAL_CHUNK);
	json_object_object_add(ev, "data",
	    json_object_new_string_len(data, (int)len));
	json_object_object_add(ev, "stream", json_object_new_string("stdout"));
	wstate_emit(ev);
}

/* Forward a JSON record from the CLI's own output. */
static void
launch_record_cb(struct json_object *obj, void *arg)
{
	struct json_object	*ev;

	ev = event_create(EV_PROVIDER_EVENT_FORWARDED);
	/* obj is borrowed from the output parser; the event keeps a ref. */
	json_object_object_add(ev, "providerEvent", json_object_get(obj));
	wstate_emit(ev);
}

/* A credential was redacted from the output: once per kind, never its value. */
static void
launch_secret_cb(const char *kind, void *arg)
{
	char	*desc;

	(void)arg;
	desc = xasprintf("a credential of kind %s appeared in the terminal "
	    "output and was replaced by [REDACTED:%s]; further ones of this "
	    "kind are redacted without an alert", kind, kind);
	wstate_alert("security", "credential in output", desc, NULL);
	free(desc);
}

/* The provider could not be set up: why, malloc'd and logged. */
static char *
launch_failed(const char *cause)
{
	char	*reason;

	reason = xasprintf("provider '%s': %s", wk.provider->name, cause);
	log_warnx("%s", reason);
	return (reason);
}

/* Every value the output must never show: env values, the token. */
static void
launch_secrets(void)
{
	const char	*s;

	if (wk.env != NULL) {
		json_object_object_foreach(wk.env, k, v) {
			(void)k;
			s = json_object_get_string(v);
			output_add_secret(wk.out, s);
			if (wk.driven != DRV_NONE)
				agent_add_secret(s);
		}
	}
	/* The agent never gets the daemon's token; should it find it anyway. */
	if (wk.spec.token != NULL) {
		output_add_secret(wk.out, wk.spec.token);
		if (wk.driven != DRV_NONE)
			agent_add_secret(wk.spec.token);
	}
}

/* A variable of the request's env, else of the daemon's, or NULL. */
static const char *
launch_getenv(const char *name)
{
	const char	*v;

	if ((v = jsonget_str(wk.env, name)) != NULL && *v != '\0')
		return (v);
	return (getenv(name));
}

/* Whether the policy asks a human before commands of any kind. */
static int
launch_ask_exec(void)
{
	static const char *const gated[] = { "shell", "merge", "deps_add",
	    "secrets", "deploy" };
	size_t	i, j;

	for (i = 0; wk.task.approval_for != NULL &&
	    wk.task.approval_for[i] != NULL; i++)
		for (j = 0; j < nitems(gated); j++)
			if (strcmp(wk.task.approval_for[i], gated[j]) == 0)
				return (1);
	return (0);
}

/*
 * A structured CLI: the driver's argv and the driver, the pty (its
 * stderr) as plain terminal output with no prompts to watch for.
 */
static char *
launch_driven(const struct output_cb *cb)
{
	struct drv_params	 dp;
	char			 cause[WORKER_CAUSE_MAX], *reason;

	memset(&dp, 0, sizeof dp);
	dp.cwd = wk.dir;
	dp.model = wk.provider->model;
	dp.version = wk.detect.version;
	dp.base_url = launch_getenv(wk.driven == DRV_CODEX ?
	    "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL");
	dp.extra_args = wk.provider->extra_args;
	dp.ask_exec = launch_ask_exec();
	/* No design category is about file edits: they are not asked. */
	dp.ask_edit = 0;
	wk.argv = drv_argv(wk.driven, wk.provider->command, &dp);
	if (wk.argv == NULL) {
		reason = xasprintf("provider '%s': no argv for driver %s",
		    wk.provider->name, drv_kind_name(wk.driven));
		log_warnx("%s", reason);
		return (reason);
	}
	log_info("driver %s: %s", drv_kind_name(wk.driven), wk.argv[0]);
	if ((wk.out = output_create(wk.base, cb, NULL, OUTPUT_RAW, cause,
	    sizeof cause)) == NULL ||
	    agent_create(&dp, cb, cause, sizeof cause) == -1) {
		return (launch_failed(cause));
	}
	launch_secrets();
	return (NULL);
}

/*
 * codex's own sandbox in extra_args ("-s workspace-write", "--sandbox=X",
 * "-c sandbox_mode=X", "--full-auto"), anything but danger-full-access:
 * its name, or NULL. codex builds it with bubblewrap in a new user
 * namespace, which runnerd's sandbox refuses, so every tool would fail.
 */
static const char *
launch_codex_sandbox(char *const *args)
{
	static char	 mode[64];
	const char	*v;
	size_t		 i;

	for (i = 0; args != NULL && args[i] != NULL; i++) {
		v = NULL;
		if (strcmp(args[i], "--full-auto") == 0)
			return ("workspace-write (--full-auto)");
		if ((strcmp(args[i], "-s") == 0 ||
		    strcmp(args[i], "--sandbox") == 0) && args[i + 1] != NULL)
			v = args[i + 1];
		else if (strncmp(args[i], "--sandbox=", 10) == 0)
			v = args[i] + 10;
		else if ((strcmp(args[i], "-c") == 0 ||
		    strcmp(args[i], "--config") == 0) && args[i + 1] != NULL &&
		    strncmp(args[i + 1], "sandbox_mode=", 13) == 0)
			v = args[i + 1] + 13;
		if (v == NULL)
			continue;
		snprintf(mode, sizeof mode, "%s", v + (*v == '"'));
		mode[strcspn(mode, "\"")] = '\0';
		if (strcmp(mode, "danger-full-access") != 0)
			return (mode);
	}
	return (NULL);
}

/* Find the CLI, detect its version and features, build its argv. */
char *
launch_provider(void)
{
	struct output_cb	 cb = { launch_chunk_cb, launch_record_cb,
				    gate_prompt_cb, NULL, launch_secret_cb };
	const char		*mode;
	char			 cause[WORKER_CAUSE_MAX];
	int			 jsonl;

	if (provider_detect(wk.provider, wk.path, wk.home, wk.lang,
	    &wk.detect, cause, sizeof cause) == -1) {
		log_warnx("%s", cause);
		return (xstrdup(cause));
	}
	if (wk.detect.version != NULL)
		wk.version = xstrdup(wk.detect.version);
	else if (wk.detect.version_line != NULL)
		wk.version = xstrdup(wk.detect.version_line);
	else
		wk.version = xstrdup("unknown");
	log_info("provider %s at %s, version %s, features 0x%x",
	    wk.provider->name, wk.detect.path, wk.version, wk.detect.features);

	wk.prompt = provider_prompt(&wk.task);
	if (wk.sandboxed && provider_kind(wk.provider) == PROVIDER_CODEX &&
	    (mode = launch_codex_sandbox(wk.provider->extra_args)) != NULL) {
		snprintf(cause, sizeof cause, "codex's own sandbox (%s) cannot "
		    "run inside runnerd's: it needs a new user namespace, which "
		    "the sandbox refuses; runnerd is the sandbox, so leave the "
		    "sandbox mode out of extra_args", mode);
		return (launch_failed(cause));
	}
	wk.driven = provider_driver(wk.provider, wk.detect.features);
	if (wk.driven != DRV_NONE)
		return (launch_driven(&cb));
	wk.argv = provider_argv(wk.provider, wk.detect.features, &wk.task,
	    wk.prompt, launch_getenv("OPENAI_BASE_URL"), &jsonl);
	if (strcmp(wk.provider->output, "jsonl") == 0)
		jsonl = 1;
	wk.out = output_create(wk.base, &cb, wk.provider->approval_patterns,
	    jsonl, cause, sizeof cause);
	if (wk.out == NULL) {
		return (launch_failed(cause));
	}
	launch_secrets();
	return (NULL);
}

/*
 * The sandbox replaces /tmp with a private one, so a CLI found there (a
 * build tree's fake agent, a CLI unpacked under /tmp) would vanish from the
 * agent's view. Its directory, and that of the file it links to, are then
 * exposed read-only: the operator chose the CLI, not the agent. A CLI
 * installed by npm needs its whole node_modules (codex's launcher runs the
 * binary of a platform package beside its own): that is exposed instead.
 */
static void
launch_sb_expose_cli(void)
{
	char	*dirs[2], *slash, *nm;
	size_t	 n, i, j;

	if (wk.detect.path == NULL)
		return;
	dirs[0] = xstrdup(wk.detect.path);
	dirs[1] = realpath(wk.detect.path, NULL);
	for (i = 0; i < nitems(dirs) && dirs[i] != NULL; i++) {
		if ((nm = strstr(dirs[i], "/node_modules/")) != NULL)
			nm[strlen("/node_modules")] = '\0';
		else if ((slash = strrchr(dirs[i], '/')) != NULL &&
		    slash != dirs[i])
			*slash = '\0';
		if (!workspace_path_under(dirs[i], "/tmp"))
			continue;
		n = strv_len(wk.sb_expose);
		for (j = 0; j < n; j++)
			if (strcmp(wk.sb_expose[j], dirs[i]) == 0)
				break;
		if (j < n)
			continue;
		log_info("sandbox: exposing %s (the CLI is there)", dirs[i]);
		wk.sb_expose = xrealloc(wk.sb_expose, (n + 2) *
		    sizeof *wk.sb_expose);
		wk.sb_expose[n] = xstrdup(dirs[i]);
		wk.sb_expose[n + 1] = NULL;
	}
	free(dirs[0]);
	free(dirs[1]);
	wk.sbp.expose = wk.sb_expose;
}

/* Wipe and free an environment: it holds secret values. */
static void
launch_env_free(char **env)
{
	size_t	i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		explicit_bzero(env[i], strlen(env[i]));
	strv_free(env);
}

/*
 * The proxy refused a connection. Every one is counted; the first
 * for each host:port raises ALERT_RAISED, so a retrying agent cannot
 * flood the event log.
 */
static void
launch_net_refused_cb(const char *host, int port, const char *why, void *arg)
{
	struct json_object	*ctx;
	char			 name[NETALLOW_HOST_MAX + 8], *desc;
	size_t			 i;

	wk.net_refused++;
	if (wk.closing)
		return;
	netallow_format(host, port, name, sizeof name);
	for (i = 0; i < wk.net_nalerted; i++)
		if (strcmp(wk.net_alerted[i], name) == 0)
			return;
	if (wk.net_nalerted == LAUNCH_NET_ALERTS)
		return;
	wk.net_alerted = xrealloc(wk.net_alerted, (wk.net_nalerted + 2) *
	    sizeof *wk.net_alerted);
	wk.net_alerted[wk.net_nalerted++] = xstrdup(name);
	wk.net_alerted[wk.net_nalerted] = NULL;
	log_info("network: connection to %s refused: %s", name, why);

	desc = xasprintf("connection to %s refused: %s (later refusals of "
	    "it are counted in connectionsRefused, not alerted)", name, why);
	ctx = json_object_new_object();
	json_object_object_add(ctx, "host", json_object_new_string(host));
	json_object_object_add(ctx, "port", json_object_new_int(port));
	wstate_alert("network", "connection refused by policy", desc, ctx);
	free(desc);
}

/* The proxy let a connection through. */
static void
launch_net_allowed_cb(const char *host, int port, void *arg)
{
	log_debug("network: %s port %d allowed", host, port);
}

/*
 * Serve the bridge of a sandboxed session (the proxy owns its end of the
 * socketpair from here): the allowlist (restricted) or any host (open),
 * to vetted addresses only, never runnerd's listeners. Without a proxy
 * the agent simply has no network at all; say so.
 */
static void
launch_net_start(void)
{
	struct proxy_cb		cb = { launch_net_refused_cb,
				    launch_net_allowed_cb, NULL };
	struct proxy_policy	pol = { wk.net_allow, wk.net_open,
				    wk.net_listen };
	char			cause[WORKER_CAUSE_MAX];

	wk.proxy = proxy_create(wk.base, wk.proxy_fd, &pol, &cb,
	    cause, sizeof cause);
	wk.proxy_fd = -1;
	if (wk.proxy == NULL) {
		log_warnx("network proxy: %s", cause);
		wstate_alert("network", "network proxy unavailable", cause, NULL);
		return;
	}
	log_info("network %s: proxy on port %d, %zu allowlist patterns",
	    wk.net_open ? "open" : "restricted", PROXY_PORT,
	    strv_len(wk.net_allow));
}

/*
 * Spawn the CLI with its environment, in the sandbox or on a plain pty,
 * into wk's pid, master and descriptors; then the exec policy and the
 * proxy on what the spawn handed back. -1 with a cause if nothing runs.
 */
int
launch_spawn(char *cause, size_t causelen)
{
	struct spawn		 sp;
	struct spawn_stdio	 stdio;
	char			**env;

	/*
	 * In the sandbox HOME is a private one and the proxy is the only
	 * way out, in either network mode.
	 */
	env = spawn_env(wk.path, wk.sandboxed ? SANDBOX_HOME : wk.home,
	    wk.lang, wk.env);
	if (wk.sandboxed)
		env = proxybridge_env(env, SANDBOX_PROXY_PORT);
	sp.path = wk.detect.path;
	sp.argv = wk.argv;
	sp.envp = env;
	sp.cwd = wk.dir;
	sp.cols = wk.cols;
	sp.rows = wk.rows;
	sp.notify = wk.exec_notify;
	sp.pipes = wk.driven != DRV_NONE;
	if (wk.sandboxed) {
		struct sandbox_proc	proc;

		wk.sbp.workspace = wk.dir;
		wk.sbp.exec_notify = wk.exec_notify;
		launch_sb_expose_cli();
		if (confine_spawn(&sp, &wk.sbp, wk.cg, &proc, cause,
		    causelen) == 0) {
			wk.pid = proc.pid;
			wk.master = proc.master;
			wk.notify_fd = proc.notify_fd;
			wk.proxy_fd = proc.proxy_fd;
			wk.sb_status_fd = proc.status_fd;
			wk.stdin_fd = proc.stdin_fd;
			wk.stdout_fd = proc.stdout_fd;
		} else
			wk.pid = -1;
	} else {
		wk.pid = spawn_pty(&sp, &wk.master, &wk.notify_fd, &stdio,
		    cause, causelen);
		wk.stdin_fd = stdio.in;
		wk.stdout_fd = stdio.out;
	}
	launch_env_free(env);
	if (wk.pid == -1)
		return (-1);
	/* From here every exec of its tree goes through the policy. */
	if (wk.notify_fd != -1)
		gate_exec_start();
	/* The session's way out, through the bridge. */
	if (wk.proxy_fd != -1)
		launch_net_start();
	return (0);
}
