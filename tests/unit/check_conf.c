/* Unit tests for configuration (common/conf.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "unit.h"

static char	cause[256];

/* Write text to a new temporary file; its path in a static buffer. */
static const char *
conf_file(const char *text)
{
	static char	path[64];
	int		fd;
	size_t		len = strlen(text);

	snprintf(path, sizeof path, "/tmp/check_conf.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return (path);
}

/* Load text as a config file over the defaults; the result and cause. */
static int
load(struct config *c, const char *text)
{
	const char	*path = conf_file(text);
	int		 rv;

	cause[0] = '\0';
	rv = config_load_file(c, path, cause, sizeof cause);
	unlink(path);
	return (rv);
}

/* The environment variables the config reads, cleared. */
static void
clear_env(void)
{
	static const char *const vars[] = { "RUNNER_STATE_DIR",
	    "RUNNER_WORKSPACE_DIR", "RUNNER_CACHE_DIR", "RUNNER_SOCKET",
	    "JWT_SECRET", "RUNNER_MAX_SESSIONS", "HOST", "PORT", NULL };
	size_t	i;

	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
}

START_TEST(test_defaults)
{
	struct config		*c;
	const struct provider	*p;

	setenv("HOME", "/home/someone", 1);
	setenv("PATH", "/opt/bin:/usr/bin", 1);
	c = config_default();
	ck_assert_str_eq(c->listen_host, "127.0.0.1");
	ck_assert_int_eq(c->listen_port, 3000);
	ck_assert_int_eq(c->listen_set, 0);
	ck_assert_ptr_null(c->socket_path);
	if (geteuid() == 0)
		ck_assert_str_eq(c->state_dir, "/var/lib/runnerd");
	else
		ck_assert_str_eq(c->state_dir,
		    "/home/someone/.local/state/runnerd");
	ck_assert_str_eq(c->workspace_dir, "/tmp/ai-village-workspaces");
	ck_assert_str_eq(c->cache_dir, "/tmp/ai-village-cache");
	ck_assert_int_eq(c->max_sessions, 10);
	ck_assert_int_ge(c->pool_size, 0);
	ck_assert_uint_eq(c->max_body_bytes, 1024 * 1024);
	ck_assert_uint_eq(strv_len(c->tokens), 0);
	ck_assert_ptr_null(c->jwt_secret);
	/* Never "/": the worker reads local repositories as root. */
	ck_assert_uint_eq(strv_len(c->allowed_roots), 2);
	ck_assert_str_eq(c->allowed_roots[0], "/srv");
	ck_assert_str_eq(c->allowed_roots[1], "/home");
	ck_assert_uint_eq(strv_len(c->cors_origins), 0);
	ck_assert_str_eq(c->agent_path, "/opt/bin:/usr/bin");
	ck_assert_int_eq(c->verbose, 0);

	p = config_provider(c, "codex");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->command, "codex");
	ck_assert_str_eq(p->required_env[0], "OPENAI_API_KEY");
	ck_assert_int_eq(p->builtin, 1);
	p = config_provider(c, "claude_code");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->command, "claude");
	ck_assert_str_eq(p->required_env[0], "ANTHROPIC_API_KEY");
	ck_assert_str_eq(p->output, "jsonl");
	p = config_provider(c, "fake");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->command, "runnerd-fake-agent");
	ck_assert_uint_eq(strv_len(p->required_env), 0);
	ck_assert_int_eq(p->builtin, 0);
	ck_assert_ptr_null(config_provider(c, "gemini"));

	config_finish(c);
	ck_assert_ptr_nonnull(c->socket_path);
	ck_assert_int_eq(strncmp(c->socket_path, c->state_dir,
	    strlen(c->state_dir)), 0);
	ck_assert_str_eq(c->socket_path + strlen(c->state_dir),
	    "/runnerd.sock");
	config_free(c);
	config_free(NULL);
}
END_TEST

START_TEST(test_every_key)
{
	struct config		*c = config_default();
	const struct provider	*p;

	ck_assert_int_eq(load(c, "{\n"
	    "  \"listen\": \"0.0.0.0:8080\",\n"
	    "  \"socket\": \"/run/runnerd/s.sock\",\n"
	    "  \"state_dir\": \"/var/lib/x\",\n"
	    "  \"workspace_dir\": \"/srv/ws\",\n"
	    "  \"cache_dir\": \"/srv/cache\",\n"
	    "  \"agent_path\": \"/usr/local/bin:/usr/bin\",\n"
	    "  \"worker_path\": \"/usr/libexec/runnerd\",\n"
	    "  \"jwt_secret\": \"s3cr3t-jwt\",\n"
	    "  \"tokens\": [\"tok-a\", \"tok-b\"],\n"
	    "  \"allowed_roots\": [\"/srv/repos\", \"/home\"],\n"
	    "  \"cors_origins\": [\"https://ui.example.com\", "
	    "\"http://127.0.0.1:8080\", \"http://[::1]:9000\"],\n"
	    "  \"max_sessions\": 42,\n"
	    "  \"pool_size\": 3,\n"
	    "  \"max_body_bytes\": 65536,\n"
	    "  \"max_log_bytes\": 1048576,\n"
	    "  \"max_watches\": 300,\n"
	    "  \"session_timeout_ms\": 60000,\n"
	    "  \"stop_grace_ms\": 2000,\n"
	    "  \"shutdown_grace_ms\": 3000,\n"
	    "  \"gateway_max_buffer_bytes\": 131072,\n"
	    "  \"gateway_max_connections\": 77,\n"
	    "  \"gateway_max_message_bytes\": 4096,\n"
	    "  \"gateway_idle_timeout_ms\": 5000,\n"
	    "  \"sse_heartbeat_ms\": 1500,\n"
	    "  \"sio_ping_interval_ms\": 2500,\n"
	    "  \"sio_ping_timeout_ms\": 2000,\n"
	    "  \"verbose\": 2,\n"
	    "  \"providers\": {\"gemini\": {\"command\": \"gemini\"}}\n"
	    "}\n"), 0);
	ck_assert_str_eq(c->listen_host, "0.0.0.0");
	ck_assert_int_eq(c->listen_port, 8080);
	ck_assert_int_eq(c->listen_set, 1);
	ck_assert_str_eq(c->socket_path, "/run/runnerd/s.sock");
	ck_assert_str_eq(c->state_dir, "/var/lib/x");
	ck_assert_str_eq(c->workspace_dir, "/srv/ws");
	ck_assert_str_eq(c->cache_dir, "/srv/cache");
	ck_assert_str_eq(c->agent_path, "/usr/local/bin:/usr/bin");
	ck_assert_str_eq(c->worker_path, "/usr/libexec/runnerd");
	ck_assert_str_eq(c->jwt_secret, "s3cr3t-jwt");
	ck_assert_uint_eq(strv_len(c->tokens), 2);
	ck_assert_str_eq(c->tokens[1], "tok-b");
	ck_assert_uint_eq(strv_len(c->allowed_roots), 2);
	ck_assert_str_eq(c->allowed_roots[0], "/srv/repos");
	ck_assert_uint_eq(strv_len(c->cors_origins), 3);
	ck_assert_str_eq(c->cors_origins[2], "http://[::1]:9000");
	ck_assert_int_eq(c->max_sessions, 42);
	ck_assert_int_eq(c->pool_size, 3);
	ck_assert_uint_eq(c->max_body_bytes, 65536);
	ck_assert_uint_eq(c->max_log_bytes, 1048576);
	ck_assert_int_eq(c->max_watches, 300);
	ck_assert_int_eq(c->session_timeout_ms, 60000);
	ck_assert_int_eq(c->stop_grace_ms, 2000);
	ck_assert_int_eq(c->shutdown_grace_ms, 3000);
	ck_assert_uint_eq(c->gateway_max_buffer_bytes, 131072);
	ck_assert_int_eq(c->gateway_max_connections, 77);
	ck_assert_uint_eq(c->gateway_max_message_bytes, 4096);
	ck_assert_int_eq(c->gateway_idle_timeout_ms, 5000);
	ck_assert_int_eq(c->sse_heartbeat_ms, 1500);
	ck_assert_int_eq(c->sio_ping_interval_ms, 2500);
	ck_assert_int_eq(c->sio_ping_timeout_ms, 2000);
	ck_assert_int_eq(c->verbose, 2);
	p = config_provider(c, "gemini");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->command, "gemini");
	/* The built-ins are still there. */
	ck_assert_ptr_nonnull(config_provider(c, "codex"));
	/* An explicit socket survives config_finish. */
	config_finish(c);
	ck_assert_str_eq(c->socket_path, "/run/runnerd/s.sock");
	config_free(c);

	/* An empty object changes nothing. */
	c = config_default();
	ck_assert_int_eq(load(c, "{}"), 0);
	ck_assert_int_eq(c->listen_port, 3000);
	config_free(c);
}
END_TEST

START_TEST(test_unknown_key)
{
	struct config	*c = config_default();

	ck_assert_int_eq(load(c, "{\"max_sessions\": 3, \"maxSessions\": 4}"),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "maxSessions"));
	ck_assert_ptr_nonnull(strstr(cause, "unknown key"));
	ck_assert_int_eq(load(c, "{\"providers\": {\"x\": {\"command\": "
	    "\"x\", \"colour\": \"red\"}}}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "providers.x.colour"));
	config_free(c);
}
END_TEST

START_TEST(test_wrong_types)
{
	static const struct {
		const char	*text;
		const char	*key;
	} cases[] = {
		{ "{\"listen\": 3000}", "listen" },
		{ "{\"listen\": \"nope\"}", "listen" },
		{ "{\"socket\": 1}", "socket" },
		{ "{\"state_dir\": \"\"}", "state_dir" },
		{ "{\"workspace_dir\": null}", "workspace_dir" },
		{ "{\"cache_dir\": [\"/x\"]}", "cache_dir" },
		{ "{\"agent_path\": true}", "agent_path" },
		{ "{\"worker_path\": {}}", "worker_path" },
		{ "{\"jwt_secret\": 5}", "jwt_secret" },
		{ "{\"tokens\": \"tok\"}", "tokens" },
		{ "{\"tokens\": [\"a\", 2]}", "tokens" },
		{ "{\"allowed_roots\": {}}", "allowed_roots" },
		{ "{\"cors_origins\": \"http://a.example\"}", "cors_origins" },
		{ "{\"cors_origins\": [1]}", "cors_origins" },
		{ "{\"cors_origins\": [\"\"]}", "cors_origins[0]" },
		{ "{\"cors_origins\": [\"*\"]}", "cors_origins[0]" },
		{ "{\"cors_origins\": [\"null\"]}", "cors_origins[0]" },
		{ "{\"cors_origins\": [\"a.example\"]}", "cors_origins[0]" },
		{ "{\"cors_origins\": [\"http://a.example/\"]}",
		    "cors_origins[0]" },
		{ "{\"cors_origins\": [\"https://ok.example\", "
		    "\"http://a.example/app\"]}", "cors_origins[1]" },
		{ "{\"cors_origins\": [\"http://a.example:99999\"]}",
		    "cors_origins[0]" },
		{ "{\"cors_origins\": [\"ftp://a.example\"]}",
		    "cors_origins[0]" },
		{ "{\"cors_origins\": [\"http://a b\"]}", "cors_origins[0]" },
		{ "{\"max_sessions\": \"10\"}", "max_sessions" },
		{ "{\"max_sessions\": 0}", "max_sessions" },
		{ "{\"max_sessions\": 1.5}", "max_sessions" },
		{ "{\"pool_size\": -1}", "pool_size" },
		{ "{\"max_body_bytes\": 10}", "max_body_bytes" },
		{ "{\"max_log_bytes\": false}", "max_log_bytes" },
		{ "{\"max_watches\": 0}", "max_watches" },
		{ "{\"max_watches\": 2000000}", "max_watches" },
		{ "{\"max_watches\": \"8k\"}", "max_watches" },
		{ "{\"session_timeout_ms\": 1}", "session_timeout_ms" },
		{ "{\"stop_grace_ms\": \"1s\"}", "stop_grace_ms" },
		{ "{\"shutdown_grace_ms\": -5}", "shutdown_grace_ms" },
		{ "{\"gateway_max_buffer_bytes\": 1}",
		    "gateway_max_buffer_bytes" },
		{ "{\"gateway_max_connections\": \"many\"}",
		    "gateway_max_connections" },
		{ "{\"gateway_max_message_bytes\": 0}",
		    "gateway_max_message_bytes" },
		{ "{\"gateway_idle_timeout_ms\": []}", "gateway_idle_timeout_ms" },
		{ "{\"sse_heartbeat_ms\": 1}", "sse_heartbeat_ms" },
		{ "{\"sio_ping_interval_ms\": null}", "sio_ping_interval_ms" },
		{ "{\"sio_ping_timeout_ms\": 0.5}", "sio_ping_timeout_ms" },
		{ "{\"verbose\": 9}", "verbose" },
		{ "{\"providers\": []}", "providers" },
		{ "{\"providers\": {\"p\": 1}}", "providers.p" },
		{ "{\"providers\": {\"p\": {}}}", "providers.p.command" },
		{ "{\"providers\": {\"p\": {\"command\": \"p\", "
		    "\"args\": \"-x\"}}}", "providers.p.args" },
		{ "{\"providers\": {\"p\": {\"command\": \"p\", "
		    "\"output\": \"xml\"}}}", "providers.p.output" },
		{ "{\"providers\": {\"p\": {\"command\": \"p\", "
		    "\"builtin\": 2}}}", "providers.p.builtin" },
		{ "{\"providers\": {\"p\": {\"command\": \"p\", "
		    "\"approve_keys\": 1}}}", "providers.p.approve_keys" },
	};
	struct config	*c;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = config_default();
		ck_assert_msg(load(c, cases[i].text) == -1, "accepted %s",
		    cases[i].text);
		ck_assert_msg(strncmp(cause, cases[i].key,
		    strlen(cases[i].key)) == 0, "%s: cause '%s' does not "
		    "start with '%s'", cases[i].text, cause, cases[i].key);
		config_free(c);
	}
}
END_TEST

START_TEST(test_bad_files)
{
	struct config	*c = config_default();

	cause[0] = '\0';
	ck_assert_int_eq(config_load_file(c, "/nonexistent/runnerd.conf",
	    cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "/nonexistent/runnerd.conf"));
	ck_assert_int_eq(load(c, ""), -1);
	ck_assert_int_eq(load(c, "{\"max_sessions\": "), -1);
	ck_assert_ptr_nonnull(strstr(cause, "bad JSON"));
	ck_assert_int_eq(load(c, "[1, 2]"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "not a JSON object"));
	/* A second object after the first is not silently ignored. */
	ck_assert_int_eq(load(c, "{\"max_sessions\": 5}\n"
	    "{\"max_sessions\": 6}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "trailing"));
	ck_assert_int_eq(load(c, "{} x"), -1);
	/* Trailing blank lines are fine. */
	ck_assert_int_eq(load(c, "{\"max_sessions\": 7}\n\n  \n"), 0);
	ck_assert_int_eq(c->max_sessions, 7);
	config_free(c);
}
END_TEST

/* Whether two string vectors hold the same strings. */
static int
strv_eq(char **a, char **b)
{
	size_t	i;

	if ((a == NULL) != (b == NULL) || strv_len(a) != strv_len(b))
		return (0);
	for (i = 0; a != NULL && a[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return (0);
	return (1);
}

/* Whether two providers are the same in every field. */
static void
provider_eq(const struct provider *a, const struct provider *b)
{
	ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->command, b->command);
	ck_assert(strv_eq(a->args, b->args));
	ck_assert(strv_eq(a->required_env, b->required_env));
	ck_assert(strv_eq(a->version_args, b->version_args));
	ck_assert(strv_eq(a->help_args, b->help_args));
	ck_assert_str_eq(a->output, b->output);
	ck_assert(strv_eq(a->approval_patterns, b->approval_patterns));
	ck_assert_str_eq(a->approve_keys, b->approve_keys);
	ck_assert_str_eq(a->deny_keys, b->deny_keys);
	ck_assert((a->model == NULL) == (b->model == NULL));
	if (a->model != NULL)
		ck_assert_str_eq(a->model, b->model);
	ck_assert_int_eq(a->builtin, b->builtin);
}

START_TEST(test_provider_roundtrip)
{
	struct config		*c = config_default();
	const struct provider	*p;
	struct provider		*q;
	struct json_object	*o, *o2;
	size_t			 i;

	ck_assert_int_eq(load(c, "{\"providers\": {\"gemini\": {"
	    "\"command\": \"/opt/gemini/bin/gemini\","
	    "\"args\": [\"--prompt\", \"{prompt}\", \"--model\", \"{model}\"],"
	    "\"required_env\": [\"GEMINI_API_KEY\"],"
	    "\"version_args\": [\"--version\"],"
	    "\"help_args\": [\"--help\"],"
	    "\"output\": \"jsonl\","
	    "\"approval_patterns\": [\"Allow .*\\\\? \\\\[y/N\\\\]\"],"
	    "\"approve_keys\": \"y\\r\","
	    "\"deny_keys\": \"\\u001b\","
	    "\"model\": \"gemini-2.5-pro\","
	    "\"builtin\": 0,"
	    "\"name\": \"ignored\""
	    "}}}"), 0);
	p = config_provider(c, "gemini");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "gemini");
	ck_assert_str_eq(p->command, "/opt/gemini/bin/gemini");
	ck_assert_uint_eq(strv_len(p->args), 4);
	ck_assert_str_eq(p->args[3], "{model}");
	ck_assert_str_eq(p->required_env[0], "GEMINI_API_KEY");
	ck_assert_str_eq(p->version_args[0], "--version");
	ck_assert_str_eq(p->help_args[0], "--help");
	ck_assert_str_eq(p->output, "jsonl");
	ck_assert_str_eq(p->approval_patterns[0], "Allow .*\\? \\[y/N\\]");
	ck_assert_str_eq(p->approve_keys, "y\r");
	ck_assert_str_eq(p->deny_keys, "\033");
	ck_assert_str_eq(p->model, "gemini-2.5-pro");
	ck_assert_int_eq(p->builtin, 0);

	/* Every provider, built-in or not, survives a JSON round trip. */
	for (i = 0; c->providers[i] != NULL; i++) {
		p = c->providers[i];
		o = config_provider_to_json(p);
		/* Through text, as START carries it. */
		o2 = json_tokener_parse(json_object_to_json_string(o));
		ck_assert_ptr_nonnull(o2);
		q = config_provider_from_json(p->name, o2, NULL, cause, sizeof cause);
		ck_assert_msg(q != NULL, "%s: %s", p->name, cause);
		provider_eq(p, q);
		config_provider_free(q);
		json_object_put(o);
		json_object_put(o2);
	}

	/* A minimal entry gets the defaults. */
	o = json_tokener_parse("{\"command\": \"aider\"}");
	q = config_provider_from_json("aider", o, NULL, cause, sizeof cause);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q->output, "raw");
	ck_assert_uint_eq(strv_len(q->args), 0);
	ck_assert_ptr_null(q->version_args);
	ck_assert_str_eq(q->approve_keys, "y\r");
	ck_assert_str_eq(q->deny_keys, "n\r");
	config_provider_free(q);
	json_object_put(o);
	config_free(c);
}
END_TEST

/* driver and extra_args: checked, kept, round-tripped; the idle timeout. */
START_TEST(test_provider_driver)
{
	struct config		*c = config_default();
	const struct provider	*p;
	struct provider		*q;
	struct json_object	*o;

	ck_assert_int_eq(c->agent_idle_timeout_ms, 300000);
	ck_assert_ptr_null(config_provider(c, "codex")->driver);
	ck_assert_ptr_null(config_provider(c, "codex")->extra_args);
	ck_assert_int_eq(load(c, "{\"agent_idle_timeout_ms\": 0, "
	    "\"providers\": {\"dbl\": {\"command\": \"fake\", "
	    "\"driver\": \"claude\", \"extra_args\": [\"--protocol\", "
	    "\"claude\"]}, \"codex\": {\"command\": \"codex\", "
	    "\"builtin\": 1, \"driver\": \"none\", \"extra_args\": "
	    "[\"-c\", \"x=1\"]}}}"), 0);
	ck_assert_int_eq(c->agent_idle_timeout_ms, 0);
	p = config_provider(c, "dbl");
	ck_assert_str_eq(p->driver, "claude");
	ck_assert_uint_eq(strv_len(p->extra_args), 2);
	ck_assert_str_eq(p->extra_args[1], "claude");
	ck_assert_str_eq(config_provider(c, "codex")->driver, "none");
	o = config_provider_to_json(p);
	q = config_provider_from_json("dbl", o, NULL, cause, sizeof cause);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q->driver, "claude");
	ck_assert_str_eq(q->extra_args[0], "--protocol");
	config_provider_free(q);
	json_object_put(o);
	config_free(c);

	c = config_default();
	ck_assert_int_eq(load(c, "{\"providers\": {\"x\": {\"command\": "
	    "\"x\", \"driver\": \"gemini\"}}}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "providers.x.driver"));
	ck_assert_int_eq(load(c, "{\"providers\": {\"x\": {\"command\": "
	    "\"x\", \"driver\": 1}}}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "providers.x.driver"));
	ck_assert_int_eq(load(c, "{\"providers\": {\"x\": {\"command\": "
	    "\"x\", \"extra_args\": \"-v\"}}}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "providers.x.extra_args"));
	ck_assert_int_eq(load(c, "{\"providers\": {\"x\": {\"command\": "
	    "\"x\", \"extra_args\": [1]}}}"), -1);
	ck_assert_int_eq(load(c, "{\"agent_idle_timeout_ms\": -1}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "agent_idle_timeout_ms"));
	ck_assert_int_eq(load(c, "{\"agent_idle_timeout_ms\": \"5\"}"), -1);
	config_free(c);
}
END_TEST

START_TEST(test_provider_override)
{
	struct config		*c = config_default();
	const struct provider	*p;
	size_t			 n = 0;

	while (c->providers[n] != NULL)
		n++;
	/* Same name: replaces, does not add. */
	ck_assert_int_eq(load(c, "{\"providers\": {\"codex\": {"
	    "\"command\": \"/usr/local/bin/codex\", \"builtin\": 1}}}"), 0);
	p = config_provider(c, "codex");
	ck_assert_str_eq(p->command, "/usr/local/bin/codex");
	ck_assert_ptr_nonnull(c->providers[n - 1]);
	ck_assert_ptr_null(c->providers[n]);

	/* Only the keys given change; the built-in's others stay. */
	ck_assert_int_eq(load(c, "{\"providers\": {\"claude_code\": {"
	    "\"model\": \"m-1\", \"extra_args\": [\"--x\", \"y\"]}}}"), 0);
	p = config_provider(c, "claude_code");
	ck_assert_str_eq(p->command, "claude");
	ck_assert_int_eq(p->builtin, 1);
	ck_assert_str_eq(p->model, "m-1");
	ck_assert_uint_eq(strv_len(p->extra_args), 2);
	ck_assert_str_eq(p->extra_args[1], "y");
	ck_assert_ptr_nonnull(p->version_args);
	ck_assert_ptr_null(c->providers[n]);
	/* A new provider still needs its command. */
	ck_assert_int_eq(load(c, "{\"providers\": {\"gem\": {"
	    "\"model\": \"m\"}}}"), -1);
	config_free(c);
}
END_TEST

START_TEST(test_listen)
{
	static const char *const bad[] = { "", "nocolon", ":80", "host:",
	    "host:99999", "host:65536", "host:abc", "host:-1", "host: 80",
	    "host:+80", "host:80x", "[::1]", "[::1]80", "[::1]:", "[]:80",
	    "[::1:80", "host:99999999999999999999", NULL };
	struct config	*c = config_default();
	size_t		 i;

	ck_assert_int_eq(config_set_listen(c, "127.0.0.1:8080", cause,
	    sizeof cause), 0);
	ck_assert_str_eq(c->listen_host, "127.0.0.1");
	ck_assert_int_eq(c->listen_port, 8080);
	ck_assert_int_eq(c->listen_set, 1);
	ck_assert_int_eq(config_set_listen(c, "[::1]:3000", cause,
	    sizeof cause), 0);
	ck_assert_str_eq(c->listen_host, "::1");
	ck_assert_int_eq(c->listen_port, 3000);
	ck_assert_int_eq(config_set_listen(c, "[fe80::1%eth0]:1", cause,
	    sizeof cause), 0);
	ck_assert_str_eq(c->listen_host, "fe80::1%eth0");
	ck_assert_int_eq(config_set_listen(c, "localhost:0", cause,
	    sizeof cause), 0);
	ck_assert_str_eq(c->listen_host, "localhost");
	ck_assert_int_eq(c->listen_port, 0);
	ck_assert_int_eq(config_set_listen(c, "0.0.0.0:65535", cause,
	    sizeof cause), 0);
	ck_assert_int_eq(c->listen_port, 65535);

	for (i = 0; bad[i] != NULL; i++) {
		cause[0] = '\0';
		ck_assert_msg(config_set_listen(c, bad[i], cause,
		    sizeof cause) == -1, "accepted '%s'", bad[i]);
		ck_assert_msg(strncmp(cause, "listen", 6) == 0, "'%s': %s",
		    bad[i], cause);
		/* A failure leaves the previous value. */
		ck_assert_str_eq(c->listen_host, "0.0.0.0");
		ck_assert_int_eq(c->listen_port, 65535);
	}
	config_free(c);
}
END_TEST

START_TEST(test_env)
{
	struct config	*c;

	clear_env();
	c = config_default();
	ck_assert_int_eq(config_load_env(c, cause, sizeof cause), 0);
	ck_assert_int_eq(c->max_sessions, 10);
	ck_assert_int_eq(c->listen_set, 0);

	setenv("RUNNER_MAX_SESSIONS", "25", 1);
	setenv("PORT", "0", 1);
	setenv("HOST", "0.0.0.0", 1);
	setenv("RUNNER_STATE_DIR", "/srv/state", 1);
	setenv("RUNNER_WORKSPACE_DIR", "/srv/ws", 1);
	setenv("RUNNER_CACHE_DIR", "/srv/cache", 1);
	setenv("RUNNER_SOCKET", "/srv/s.sock", 1);
	setenv("JWT_SECRET", "jwt", 1);
	ck_assert_int_eq(config_load_env(c, cause, sizeof cause), 0);
	ck_assert_int_eq(c->max_sessions, 25);
	ck_assert_int_eq(c->listen_port, 0);
	ck_assert_int_eq(c->listen_set, 1);
	ck_assert_str_eq(c->listen_host, "0.0.0.0");
	ck_assert_str_eq(c->state_dir, "/srv/state");
	ck_assert_str_eq(c->workspace_dir, "/srv/ws");
	ck_assert_str_eq(c->cache_dir, "/srv/cache");
	ck_assert_str_eq(c->socket_path, "/srv/s.sock");
	ck_assert_str_eq(c->jwt_secret, "jwt");
	setenv("PORT", "65535", 1);
	setenv("RUNNER_MAX_SESSIONS", "100000", 1);
	ck_assert_int_eq(config_load_env(c, cause, sizeof cause), 0);
	ck_assert_int_eq(c->listen_port, 65535);
	ck_assert_int_eq(c->max_sessions, 100000);
	/* Empty means unset. */
	setenv("PORT", "", 1);
	setenv("RUNNER_MAX_SESSIONS", "", 1);
	ck_assert_int_eq(config_load_env(c, cause, sizeof cause), 0);
	config_free(c);
}
END_TEST

START_TEST(test_env_bad)
{
	static const char *const sessions[] = { "0", "-1", "abc", "5x", " 5",
	    "+5", "100001", "99999999999999999999", "1e3", NULL };
	static const char *const ports[] = { "-1", "-0", "65536", "http",
	    " 80", "+80", "80 ", "0x50", "99999999999999999999", NULL };
	struct config	*c;
	size_t		 i;

	clear_env();
	for (i = 0; sessions[i] != NULL; i++) {
		c = config_default();
		setenv("RUNNER_MAX_SESSIONS", sessions[i], 1);
		cause[0] = '\0';
		ck_assert_msg(config_load_env(c, cause, sizeof cause) == -1,
		    "RUNNER_MAX_SESSIONS='%s' accepted", sessions[i]);
		ck_assert_msg(strncmp(cause, "RUNNER_MAX_SESSIONS", 19) == 0,
		    "cause: %s", cause);
		ck_assert_int_eq(c->max_sessions, 10);
		config_free(c);
	}
	unsetenv("RUNNER_MAX_SESSIONS");
	for (i = 0; ports[i] != NULL; i++) {
		c = config_default();
		setenv("PORT", ports[i], 1);
		cause[0] = '\0';
		ck_assert_msg(config_load_env(c, cause, sizeof cause) == -1,
		    "PORT='%s' accepted", ports[i]);
		ck_assert_msg(strncmp(cause, "PORT", 4) == 0, "cause: %s",
		    cause);
		ck_assert_int_eq(c->listen_port, 3000);
		config_free(c);
	}
}
END_TEST

/* SIGHUP: what changed is applied and said; bound things need a restart. */
START_TEST(test_reload)
{
	struct config	*live = config_default(), *next = config_default();
	char		 applied[1024], restart[256];

	ck_assert_int_eq(load(next, "{\"max_sessions\": 3, "
	    "\"cache_max_bytes\": 5, \"pids_max\": 64, \"nofile_max\": 99, "
	    "\"max_watches\": 16, \"approval_timeout_ms\": 1500, "
	    "\"sandbox\": false, "
	    "\"shallow\": false, \"approval_deny_continues\": true, "
	    "\"sandbox_expose\": [\"/opt/x\"], \"cgroup_base\": \"v1\", "
	    "\"cors_origins\": [\"https://ui.example\"]}"), 0);
	config_reload(live, next, applied, sizeof applied, restart,
	    sizeof restart);
	ck_assert_msg(strstr(applied, "max_sessions 10 -> 3") != NULL, "%s",
	    applied);
	ck_assert_msg(strstr(applied, "cache_max_bytes 10737418240 -> 5") !=
	    NULL, "%s", applied);
	ck_assert_msg(strstr(applied, "pids_max 4096 -> 64") != NULL, "%s",
	    applied);
	ck_assert_msg(strstr(applied, "nofile_max 4096 -> 99") != NULL, "%s",
	    applied);
	ck_assert_msg(strstr(applied, "max_watches 8192 -> 16") != NULL, "%s",
	    applied);
	ck_assert_msg(strstr(applied, "approval_timeout_ms 600000 -> 1500") !=
	    NULL, "%s", applied);
	ck_assert_msg(strstr(applied, "sandbox") != NULL, "%s", applied);
	ck_assert_msg(strstr(applied, "approval_deny_continues") != NULL, "%s",
	    applied);
	ck_assert_msg(strstr(applied, "sandbox_expose") != NULL, "%s", applied);
	/* Unchanged: not said. */
	ck_assert_msg(strstr(applied, "shallow") == NULL, "%s", applied);
	ck_assert_msg(strstr(applied, "pool_size") == NULL, "%s", applied);
	ck_assert_str_eq(restart, "cgroup_base");
	ck_assert_int_eq(live->max_sessions, 3);
	ck_assert_int_eq(live->cache_max_bytes, 5);
	ck_assert_int_eq(live->nofile_max, 99);
	ck_assert_int_eq(live->max_watches, 16);
	ck_assert_int_eq(live->sandbox, 0);
	ck_assert_int_eq(live->approval_deny_continues, 1);
	ck_assert_str_eq(live->sandbox_expose[0], "/opt/x");
	ck_assert_msg(strstr(applied, "cors_origins") != NULL, "%s", applied);
	ck_assert_str_eq(live->cors_origins[0], "https://ui.example");
	/* Restart-only: the live value stays. */
	ck_assert_ptr_null(live->cgroup_base);	/* auto */
	config_free(live);
	config_free(next);
}
END_TEST

/* workspace_max_bytes: a disk quota, 0 or room for a filesystem. */
START_TEST(test_workspace_max_bytes)
{
	static const char *const bad[] = {
		"16777215", "1", "-1", "-16777216", "\"10G\"", "1.5", "null",
		"true", "[]", "{}", "9223372036854775807",
		"99999999999999999999"
	};
	struct config		*c, *live, *next;
	struct json_object	*o, *v;
	char			 text[128], applied[1024], restart[256];
	size_t			 i;

	c = config_default();
	ck_assert_int_eq(c->workspace_max_bytes, 10LL << 30);
	o = config_to_json(c);
	ck_assert(json_object_object_get_ex(o, "workspace_max_bytes", &v));
	ck_assert_int_eq(json_object_get_int64(v), 10LL << 30);
	json_object_put(o);
	ck_assert_int_eq(load(c, "{\"workspace_max_bytes\": 0}"), 0);
	ck_assert_int_eq(c->workspace_max_bytes, 0);
	ck_assert_int_eq(load(c, "{\"workspace_max_bytes\": 16777216}"), 0);
	ck_assert_int_eq(c->workspace_max_bytes, 16777216);
	ck_assert_int_eq(load(c, "{\"workspace_max_bytes\": 67108864}"), 0);
	ck_assert_int_eq(c->workspace_max_bytes, 67108864);
	config_free(c);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c = config_default();
		snprintf(text, sizeof text, "{\"workspace_max_bytes\": %s}",
		    bad[i]);
		ck_assert_msg(load(c, text) == -1, "accepted %s", bad[i]);
		ck_assert_msg(strncmp(cause, "workspace_max_bytes", 19) == 0,
		    "%s: %s", bad[i], cause);
		config_free(c);
	}

	/* Reloaded, for sessions that start afterwards. */
	live = config_default();
	next = config_default();
	ck_assert_int_eq(load(next, "{\"workspace_max_bytes\": 67108864}"),
	    0);
	config_reload(live, next, applied, sizeof applied, restart,
	    sizeof restart);
	ck_assert_msg(strstr(applied, "workspace_max_bytes 10737418240 -> "
	    "67108864") != NULL, "%s", applied);
	ck_assert_int_eq(live->workspace_max_bytes, 67108864);
	ck_assert_str_eq(restart, "");
	config_free(live);
	config_free(next);
}
END_TEST

START_TEST(test_strv)
{
	struct json_object	*a;
	char			**v;

	ck_assert_uint_eq(strv_len(NULL), 0);
	a = json_tokener_parse("[\"a\", \"\", \"c\"]");
	v = strv_from_json(a);
	ck_assert_uint_eq(strv_len(v), 3);
	ck_assert_str_eq(v[1], "");
	json_object_put(a);
	a = strv_to_json(v);
	ck_assert_str_eq(json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN), "[\"a\",\"\",\"c\"]");
	json_object_put(a);
	strv_free(v);
	a = json_tokener_parse("[\"a\", null]");
	ck_assert_ptr_null(strv_from_json(a));
	json_object_put(a);
	a = json_tokener_parse("{}");
	ck_assert_ptr_null(strv_from_json(a));
	json_object_put(a);
	strv_free(NULL);
}
END_TEST

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/*
 * The keys of man/runnerd.conf.5: each ".BR key ..." of its KEYS section,
 * with the others of ".BR a ", " b ..."; whether its line says "restart".
 */
static size_t
man_keys(char names[][64], int *restart, size_t max)
{
	FILE	*f;
	char	 line[1024], tok[16][64], *p;
	size_t	 n = 0, ntok, i, len;
	int	 in = 0;

	f = fopen(TOP_SRCDIR "/man/runnerd.conf.5", "r");
	ck_assert_msg(f != NULL, "%s/man/runnerd.conf.5", TOP_SRCDIR);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, ".SH ", 4) == 0)
			in = strncmp(line, ".SH KEYS", 8) == 0;
		if (!in || strncmp(line, ".BR ", 4) != 0)
			continue;
		/* Words, and "quoted strings" as one word without quotes. */
		for (p = line + 4, ntok = 0; *p != '\0' && ntok < 16;) {
			while (*p == ' ' || *p == '\n')
				p++;
			if (*p == '\0')
				break;
			len = 0;
			if (*p == '"') {
				for (p++; *p != '\0' && *p != '"'; p++)
					if (len < 63)
						tok[ntok][len++] = *p;
				if (*p == '"')
					p++;
			} else
				for (; *p != '\0' && *p != ' ' && *p != '\n';
				    p++)
					if (len < 63)
						tok[ntok][len++] = *p;
			tok[ntok++][len] = '\0';
		}
		for (i = 0; i < ntok; i++) {
			if (i != 0 && (strcmp(tok[i - 1], ", ") != 0 ||
			    i + 1 == ntok))
				continue;
			ck_assert_uint_lt(n, max);
			snprintf(names[n], 64, "%s", tok[i]);
			restart[n++] = strstr(line, "; restart)") != NULL;
		}
	}
	fclose(f);
	return (n);
}

/* The man page documents every key of the table, and only those. */
START_TEST(test_man_keys)
{
	char		 names[128][64];
	int		 restart[128];
	const char	*k;
	size_t		 n, i, j, nkeys;

	n = man_keys(names, restart, 128);
	ck_assert_uint_gt(n, 40);
	for (nkeys = 0; (k = config_key_name(nkeys)) != NULL; nkeys++) {
		ck_assert_ptr_nonnull(config_key_doc(nkeys));
		for (j = 0; j < n; j++)
			if (strcmp(names[j], k) == 0)
				break;
		ck_assert_msg(j < n, "key %s is not in runnerd.conf(5)", k);
		ck_assert_msg(restart[j] == !config_key_reloads(nkeys),
		    "%s: the man page and the table disagree on SIGHUP", k);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; (k = config_key_name(j)) != NULL; j++)
			if (strcmp(names[i], k) == 0)
				break;
		ck_assert_msg(k != NULL, "runnerd.conf(5) documents %s, which "
		    "is not a key", names[i]);
	}
	ck_assert_uint_eq(n, nkeys);
	ck_assert_ptr_null(config_key_doc(nkeys));
}
END_TEST

/* What START carries reloads into the same config, secrets left out. */
START_TEST(test_wire)
{
	struct config		*c = config_default(), *w = config_default();
	struct json_object	*o, *a, *b, *v;

	ck_assert_int_eq(load(c, "{\"max_sessions\": 3, \"tokens\": [\"t\"], "
	    "\"jwt_secret\": \"s\", \"test_patterns\": [\"make check\"], "
	    "\"sandbox_required\": [\"seccomp\", \"cgroup\"], "
	    "\"exec_approval_patterns\": {\"shell\": [\"sh\"]}, "
	    "\"providers\": {\"x\": {\"command\": \"x\"}}}"), 0);
	ck_assert_uint_eq(c->sandbox_layers, (1u << 4) | (1u << 6));
	config_finish(c);
	o = config_to_wire(c);
	ck_assert(!json_object_object_get_ex(o, "tokens", NULL));
	ck_assert(!json_object_object_get_ex(o, "jwt_secret", NULL));
	ck_assert(!json_object_object_get_ex(o, "worker_path", NULL));
	json_object_object_foreach(o, k, ov)
		ck_assert_msg(ov != NULL, "%s is null on the wire", k);
	ck_assert_int_eq(config_load_json(w, o, cause, sizeof cause), 0);
	json_object_put(o);
	ck_assert_ptr_nonnull(config_provider(w, "x"));
	ck_assert_uint_eq(w->sandbox_layers, c->sandbox_layers);
	ck_assert_ptr_null(w->jwt_secret);
	ck_assert_uint_eq(strv_len(w->tokens), 0);
	a = config_to_json(c);
	b = config_to_json(w);
	json_object_object_del(a, "tokens");
	json_object_object_del(b, "tokens");
	json_object_object_del(a, "jwt_secret");
	json_object_object_del(b, "jwt_secret");
	ck_assert_msg(json_object_equal(a, b), "%s\n!=\n%s",
	    json_object_to_json_string(a), json_object_to_json_string(b));
	json_object_put(a);
	json_object_put(b);
	/* The same rules as a file. */
	o = json_tokener_parse("{\"max_sessions\": 0}");
	ck_assert_int_eq(config_load_json(w, o, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "max_sessions: 0 is out of range (1 to "
	    "100000)");
	json_object_put(o);
	o = json_tokener_parse("{\"sandbox_required\": [\"all\"]}");
	ck_assert_int_eq(config_load_json(w, o, cause, sizeof cause), 0);
	ck_assert_uint_eq(w->sandbox_layers, 0xffu);
	ck_assert_str_eq(config_layer_name(7), "rlimits");
	ck_assert_ptr_null(config_layer_name(8));
	json_object_put(o);
	o = json_tokener_parse("{\"sandbox_required\": "
	    "[\"all\", \"seccomp\"]}");
	ck_assert_int_eq(config_load_json(w, o, cause, sizeof cause), -1);
	ck_assert(json_object_object_get_ex(o, "sandbox_required", &v));
	ck_assert_ptr_nonnull(strstr(cause, "\"all\" is not a layer"));
	json_object_put(o);
	/* Hostile lists: each refused with the entry named. */
	{
		static const char *const bad[] = {
			"[\"seccomp\", \"all\"]", "[\"bogus\"]", "[\"\"]",
			"[\"Seccomp\"]", "[\"seccomp\", 7]", "\"seccomp\""
		};
		char	 doc[128];
		size_t	 i;

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			snprintf(doc, sizeof doc, "{\"sandbox_required\": %s}",
			    bad[i]);
			o = json_tokener_parse(doc);
			ck_assert_ptr_nonnull(o);
			ck_assert_msg(config_load_json(w, o, cause,
			    sizeof cause) == -1, "%s accepted", doc);
			ck_assert_ptr_nonnull(strstr(cause, "sandbox_required"));
			json_object_put(o);
		}
		o = json_tokener_parse("{\"sandbox_required\": "
		    "[\"seccomp\", \"landlock\", \"seccomp\"]}");
		ck_assert_int_eq(config_load_json(w, o, cause, sizeof cause), 0);
		ck_assert_uint_eq(w->sandbox_layers, (1u << 3) | (1u << 4));
		json_object_put(o);
		o = json_tokener_parse("{\"sandbox_required\": []}");
		ck_assert_int_eq(config_load_json(w, o, cause, sizeof cause), 0);
		ck_assert_uint_eq(w->sandbox_layers, 0);
		json_object_put(o);
	}
	config_free(c);
	config_free(w);
}
END_TEST

/* Every test of this file, a TCase per area. */
Suite *
unit_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("defaults");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_strv);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_workspace_max_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_wire);
	tcase_add_test(tc, test_man_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("providers");
	tcase_add_test(tc, test_provider_roundtrip);
	tcase_add_test(tc, test_provider_override);
	tcase_add_test(tc, test_provider_driver);
	suite_add_tcase(s, tc);

	tc = tcase_create("listen");
	tcase_add_test(tc, test_listen);
	suite_add_tcase(s, tc);

	tc = tcase_create("environment");
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_env_bad);
	suite_add_tcase(s, tc);
	return (s);
}
