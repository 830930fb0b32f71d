/* Providers: version parsing, feature detection, prompt, argv, detection. */
#include "config.h"

#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/output.h"
#include "worker/driver.h"
#include "worker/provider.h"
#include "unit.h"

/* Excerpts of "codex --help" from codex-cli 0.169.0. */
static const char codex_help[] =
"Codex CLI\n"
"\n"
"If no subcommand is specified, options will be forwarded to the "
"interactive CLI.\n"
"\n"
"Usage: codex [OPTIONS] [PROMPT]\n"
"       codex [OPTIONS] <COMMAND> [ARGS]\n"
"\n"
"Commands:\n"
"  agents            Open the agent command center to browse and switch "
"sessions\n"
"  exec              Run Codex non-interactively [aliases: e]\n"
"  review            Run a code review non-interactively\n"
"  login             Manage login\n"
"  help              Print this message or the help of the given "
"subcommand(s)\n"
"\n"
"Arguments:\n"
"  [PROMPT]\n"
"          Optional user prompt to start the session\n"
"\n"
"Options:\n"
"  -c, --config <key=value>\n"
"          Override a configuration value that would otherwise be loaded "
"from `~/.codex/config.toml`.\n"
"  -m, --model <MODEL>\n"
"          Model the agent should use\n"
"  -s, --sandbox <SANDBOX_MODE>\n"
"          Select the sandbox policy to use when executing model-generated "
"shell commands\n"
"  -h, --help\n"
"          Print help (see a summary with '-h')\n"
"  -V, --version\n"
"          Print version\n";

/* Excerpts of "codex exec --help" from codex-cli 0.169.0. */
static const char codex_exec_help[] =
"Run Codex non-interactively\n"
"\n"
"Usage: codex exec [OPTIONS] [PROMPT]\n"
"\n"
"Options:\n"
"  -m, --model <MODEL>\n"
"          Model the agent should use\n"
"      --skip-git-repo-check\n"
"          Allow running Codex outside a Git repository\n"
"      --output-schema <FILE>\n"
"          Path to a JSON Schema file describing the model's final "
"response shape\n"
"      --json\n"
"          Print events to stdout as JSONL\n"
"  -o, --output-last-message <FILE>\n"
"          Specifies file where the last message from the agent should be "
"written\n";

/* An older codex: no exec subcommand, a --json-schema that is not --json. */
static const char codex_old_help[] =
"Usage: codex [options] [prompt]\n"
"\n"
"Options:\n"
"  -h, --help                 Show usage and exit\n"
"  -m, --model <model>        Model to use for completions\n"
"  --json-schema <file>       Validate the final answer\n"
"  -q, --quiet                Non-interactive mode that only prints the "
"assistant's final output\n";

/* Excerpts of "claude --help" from Claude Code 2.1.197. */
static const char claude_help[] =
"Usage: claude [options] [command] [prompt]\n"
"\n"
"Claude Code - starts an interactive session by default, use -p/--print "
"for\n"
"non-interactive output\n"
"\n"
"Options:\n"
"  --allowedTools, --allowed-tools <tools...>\n"
"      Comma or space-separated list of tool names to allow (e.g. "
"\"Bash(git *)\n"
"      Edit\")\n"
"  --disallowedTools, --disallowed-tools <tools...>\n"
"      Comma or space-separated list of tool names to deny (e.g. "
"\"Bash(git *)\n"
"      Edit\")\n"
"  --model <model>                       Model for the current session. "
"Provide\n"
"  --output-format <format>              Output format (only works with "
"--print):\n"
"                                        \"text\" (default), \"json\" "
"(single\n"
"                                        result), or \"stream-json\" "
"(realtime\n"
"                                        streaming) (choices: \"text\", "
"\"json\",\n"
"                                        \"stream-json\")\n"
"  -p, --print                           Print response and exit (useful "
"for\n"
"                                        pipes).\n"
"  --verbose                             Override verbose mode setting "
"from\n"
"                                        config\n"
"  -v, --version                         Output the version number\n";

/* An older claude: print, but no stream-json and no tool options. */
static const char claude_old_help[] =
"Usage: claude [options] [prompt]\n"
"\n"
"Options:\n"
"  -p, --print              Print response and exit\n"
"  --output-format <format> Output format: \"text\" or \"json\"\n"
"  -h, --help               display help for command\n";

static char	*allow_any[] = { "*", NULL };
static char	*allow_some[] = { "git", "npm test", NULL };
static char	*deny_some[] = { "rm", "curl", NULL };
static char	*constraints[] = { "Do not touch the API", "Keep it small",
		    NULL };
static char	*acceptance[] = { "make check passes", NULL };
static char	*approve_all[] = { "merge", "deps_add", "secrets", "deploy",
		    NULL };

/* A task as the worker builds it from START. */
static struct provider_task
sample_task(void)
{
	struct provider_task	t;

	memset(&t, 0, sizeof t);
	t.session_id = "3f2a1b2c-0000-4000-8000-000000000001";
	t.workspace = "/tmp/ws/3f2a1b2c-0000-4000-8000-000000000001";
	t.title = "Fix the login bug";
	t.goal = "Users cannot log in with an email that has a plus sign.";
	t.constraints = constraints;
	t.acceptance = acceptance;
	t.room_path = "src/auth";
	t.shell_allow = allow_some;
	t.shell_deny = deny_some;
	t.approval_for = approve_all;
	t.network_mode = "restricted";
	return (t);
}

/* A provider of the given name (built-in or not). */
static struct provider *
make_provider(const char *name, const char *command, int builtin)
{
	struct provider	*p;

	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->command = xstrdup(command);
	p->args = xcalloc(1, sizeof *p->args);
	p->required_env = xcalloc(1, sizeof *p->required_env);
	p->output = xstrdup("raw");
	p->approval_patterns = xcalloc(1, sizeof *p->approval_patterns);
	p->approve_keys = xstrdup("y\r");
	p->deny_keys = xstrdup("n\r");
	p->builtin = builtin;
	return (p);
}

/* Compare an argv with the expected NULL-terminated list. */
static void
check_argv(char **got, const char **want)
{
	size_t	i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_ptr_nonnull(got[i]);
		ck_assert_str_eq(got[i], want[i]);
	}
	ck_assert_ptr_null(got[i]);
}

START_TEST(test_version_line)
{
	char	*s;

	s = provider_version_line("codex-cli 0.169.0\n");
	ck_assert_str_eq(s, "codex-cli 0.169.0");
	free(s);
	s = provider_version_line("\n \r\n  2.1.197 (Claude Code) \r\nmore\n");
	ck_assert_str_eq(s, "2.1.197 (Claude Code)");
	free(s);
	s = provider_version_line("\033[1maider\033[0m v0.86.1");
	ck_assert_str_eq(s, "aider v0.86.1");
	free(s);
	/* What codex 0.169.0 prints with its home under /tmp. */
	s = provider_version_line("WARNING: proceeding, even though we could "
	    "not create PATH aliases: Refusing to create helper binaries under "
	    "temporary dir \"/tmp\" (codex_home: AbsolutePathBuf("
	    "\"/tmp/wh/.codex\"))\ncodex-cli 0.169.0\n");
	ck_assert_str_eq(s, "codex-cli 0.169.0");
	free(s);
	/* Invalid UTF-8 never leaves: it could be sent as providerVersion. */
	s = provider_version_line("tool \377\376 beta \303\n");
	ck_assert_str_eq(s, "tool \xef\xbf\xbd\xef\xbf\xbd beta \xef\xbf\xbd");
	free(s);
	/* No version anywhere: the first line. */
	s = provider_version_line("\nsomething\nelse\n");
	ck_assert_str_eq(s, "something");
	free(s);
	ck_assert_ptr_null(provider_version_line(""));
	ck_assert_ptr_null(provider_version_line(" \n\t\n"));
	ck_assert_ptr_null(provider_version_line(NULL));
}
END_TEST

START_TEST(test_version_long)
{
	char	buf[600], *s;

	memset(buf, 'x', sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	s = provider_version_line(buf);
	ck_assert_uint_eq(strlen(s), 200);
	free(s);
}
END_TEST

START_TEST(test_version_number)
{
	static const struct {
		const char	*line;
		const char	*version;
	} cases[] = {
		{ "codex-cli 0.169.0", "0.169.0" },
		{ "codex-cli 0.46.0", "0.46.0" },
		{ "2.1.197 (Claude Code)", "2.1.197" },
		{ "aider v0.86.1", "0.86.1" },
		{ "gemini 1.2", "1.2" },
		{ "tool 3.0.0-beta.2 (x86_64)", "3.0.0" },
		{ "built for x86 1.4.2", "1.4.2" },
		{ "version 7", NULL },
		{ "no version here", NULL },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		s = provider_version_number(cases[i].line);
		if (cases[i].version == NULL)
			ck_assert_ptr_null(s);
		else
			ck_assert_str_eq(s, cases[i].version);
		free(s);
	}
	ck_assert_ptr_null(provider_version_number(NULL));
}
END_TEST

START_TEST(test_features_codex)
{
	char	*both;
	int	 f;

	both = xasprintf("%s\n%s", codex_help, codex_exec_help);
	f = provider_features(PROVIDER_CODEX, both);
	ck_assert_int_eq(f, PROVIDER_F_EXEC|PROVIDER_F_JSON|PROVIDER_F_MODEL);
	free(both);

	/* The top-level help alone has no --json: it is an exec option. */
	f = provider_features(PROVIDER_CODEX, codex_help);
	ck_assert_int_eq(f, PROVIDER_F_EXEC|PROVIDER_F_MODEL);

	f = provider_features(PROVIDER_CODEX, codex_old_help);
	ck_assert_int_eq(f, PROVIDER_F_MODEL);

	/* "exec" inside prose is not the subcommand. */
	f = provider_features(PROVIDER_CODEX, "Usage: codex\nWe exec things\n");
	ck_assert_int_eq(f, 0);
	ck_assert_int_eq(provider_features(PROVIDER_CODEX, NULL), 0);
	ck_assert_int_eq(provider_features(PROVIDER_CODEX, ""), 0);
}
END_TEST

START_TEST(test_features_claude)
{
	int	f;

	f = provider_features(PROVIDER_CLAUDE, claude_help);
	ck_assert_int_eq(f, PROVIDER_F_PRINT|PROVIDER_F_STREAM_JSON|
	    PROVIDER_F_VERBOSE|PROVIDER_F_ALLOWED|PROVIDER_F_DISALLOWED|
	    PROVIDER_F_MODEL);
	f = provider_features(PROVIDER_CLAUDE, claude_old_help);
	ck_assert_int_eq(f, PROVIDER_F_PRINT);
	/* Template providers have no features. */
	ck_assert_int_eq(provider_features(PROVIDER_TEMPLATE, claude_help), 0);
}
END_TEST

START_TEST(test_feature_names)
{
	char	**v;

	v = provider_feature_names(PROVIDER_F_EXEC|PROVIDER_F_JSON|
	    PROVIDER_F_MODEL);
	ck_assert_str_eq(v[0], "exec");
	ck_assert_str_eq(v[1], "json");
	ck_assert_str_eq(v[2], "model");
	ck_assert_ptr_null(v[3]);
	strv_free(v);
	v = provider_feature_names(0);
	ck_assert_ptr_null(v[0]);
	strv_free(v);
}
END_TEST

/* The driver: app-server / stream-json input detected, or the config says. */
START_TEST(test_driver_choice)
{
	struct provider	*p;
	int		 cx = PROVIDER_F_EXEC|PROVIDER_F_JSON;
	int		 cl = PROVIDER_F_PRINT|PROVIDER_F_STREAM_JSON;

	ck_assert(provider_features(PROVIDER_CODEX, "Commands:\n"
	    "  exec        Run\n  app-server  [experimental] Run the app "
	    "server\n") & PROVIDER_F_APP_SERVER);
	ck_assert(!(provider_features(PROVIDER_CODEX, "We run an app-server "
	    "for you\n") & PROVIDER_F_APP_SERVER));
	ck_assert(provider_features(PROVIDER_CLAUDE, "  -p, --print\n"
	    "  --input-format <format>  \"text\" (default), or "
	    "\"stream-json\"\n") & PROVIDER_F_INPUT_STREAM);
	ck_assert(!(provider_features(PROVIDER_CLAUDE, "  --input-format "
	    "<format>  \"text\"\n") & PROVIDER_F_INPUT_STREAM));

	p = make_provider("codex", "codex", 1);
	ck_assert_int_eq(provider_driver(p, cx|PROVIDER_F_APP_SERVER),
	    DRV_CODEX);
	ck_assert_int_eq(provider_driver(p, cx), DRV_NONE);
	p->driver = xstrdup("none");
	ck_assert_int_eq(provider_driver(p, cx|PROVIDER_F_APP_SERVER),
	    DRV_NONE);
	config_provider_free(p);
	p = make_provider("claude_code", "claude", 1);
	ck_assert_int_eq(provider_driver(p, cl|PROVIDER_F_INPUT_STREAM),
	    DRV_CLAUDE);
	ck_assert_int_eq(provider_driver(p, cl), DRV_NONE);
	ck_assert_int_eq(provider_driver(p, PROVIDER_F_INPUT_STREAM),
	    DRV_NONE);
	config_provider_free(p);
	p = make_provider("dbl", "fake", 0);
	ck_assert_int_eq(provider_driver(p, 0), DRV_NONE);
	p->driver = xstrdup("claude");
	ck_assert_int_eq(provider_driver(p, 0), DRV_CLAUDE);
	free(p->driver);
	p->driver = xstrdup("codex");
	ck_assert_int_eq(provider_driver(p, 0), DRV_CODEX);
	config_provider_free(p);
}
END_TEST

/* extra_args go after everything else, built-ins' too. */
START_TEST(test_argv_extra)
{
	struct provider		*p;
	struct provider_task	 t;
	char			**v;
	int			 jsonl;
	size_t			 n;

	memset(&t, 0, sizeof t);
	p = make_provider("codex", "codex", 1);
	p->extra_args = strv_make((const char *const[]){ "-c",
	    "model_provider=x", NULL });
	v = provider_argv(p, PROVIDER_F_EXEC|PROVIDER_F_JSON, &t, "P", NULL, &jsonl);
	n = strv_len(v);
	ck_assert_uint_ge(n, 5);
	ck_assert_str_eq(v[n - 2], "-c");
	ck_assert_str_eq(v[n - 1], "model_provider=x");
	ck_assert_str_eq(v[n - 3], "P");
	strv_free(v);
	config_provider_free(p);
}
END_TEST

START_TEST(test_kind)
{
	struct provider	*p;

	p = make_provider("codex", "codex", 1);
	ck_assert_int_eq(provider_kind(p), PROVIDER_CODEX);
	p->builtin = 0;
	ck_assert_int_eq(provider_kind(p), PROVIDER_TEMPLATE);
	config_provider_free(p);
	p = make_provider("claude_code", "claude", 1);
	ck_assert_int_eq(provider_kind(p), PROVIDER_CLAUDE);
	config_provider_free(p);
	p = make_provider("gemini", "gemini", 1);
	ck_assert_int_eq(provider_kind(p), PROVIDER_TEMPLATE);
	config_provider_free(p);
}
END_TEST

START_TEST(test_prompt_full)
{
	struct provider_task	 t = sample_task();
	char			*s;

	s = provider_prompt(&t);
	ck_assert_str_eq(s,
	    "Task: Fix the login bug\n"
	    "\n"
	    "Goal:\n"
	    "Users cannot log in with an email that has a plus sign.\n"
	    "\n"
	    "Constraints:\n"
	    "- Do not touch the API\n"
	    "- Keep it small\n"
	    "\n"
	    "Acceptance criteria:\n"
	    "- make check passes\n"
	    "\n"
	    "Focus area: src/auth (work mainly in this part of the "
	    "repository)\n"
	    "\n"
	    "Policy:\n"
	    "- Allowed shell commands: only git, npm test\n"
	    "- Never run: rm, curl\n"
	    "- Ask for human approval before: merging or pushing branches, "
	    "adding dependencies, reading or changing secrets and "
	    "credentials, deploying\n"
	    "- Network access: restricted (no outbound network)");
	free(s);
}
END_TEST

START_TEST(test_prompt_minimal)
{
	struct provider_task	 t;
	char			*s;

	memset(&t, 0, sizeof t);
	t.title = "Tidy";
	t.goal = "Tidy up.";
	t.shell_allow = allow_any;
	s = provider_prompt(&t);
	ck_assert_str_eq(s,
	    "Task: Tidy\n"
	    "\n"
	    "Goal:\n"
	    "Tidy up.\n"
	    "\n"
	    "Policy:\n"
	    "- Allowed shell commands: any\n"
	    "- Network access: open");
	free(s);
}
END_TEST

START_TEST(test_argv_codex)
{
	struct provider		*p = make_provider("codex", "codex", 1);
	struct provider_task	 t = sample_task();
	char			**v;
	int			  jsonl;
#define CODEX_FIXED	"-c", "sandbox_mode=\"danger-full-access\"", "-c", \
			"check_for_update_on_startup=false", "-c", \
			"analytics.enabled=false"
	const char		 *full[] = { "codex", "exec", "--json",
				    CODEX_FIXED, "--model", "o4-mini",
				    "PROMPT", NULL };
	const char		 *nomodel[] = { "codex", "exec", "--json",
				    CODEX_FIXED, "PROMPT", NULL };
	const char		 *endpoint[] = { "codex", "exec", "--json",
				    CODEX_FIXED, "-c", "model_provider=\"runnerd\"",
				    "-c", "model_providers.runnerd.name=\"runnerd\"",
				    "-c", "model_providers.runnerd.wire_api="
				    "\"responses\"", "-c",
				    "model_providers.runnerd.env_key="
				    "\"OPENAI_API_KEY\"", "-c",
				    "model_providers.runnerd.supports_websockets="
				    "false", "-c",
				    "model_providers.runnerd.base_url="
				    "\"http://127.0.0.1:9/v\\\"1\"", "PROMPT",
				    NULL };
#undef CODEX_FIXED
	const char		 *plain[] = { "codex", "PROMPT", NULL };

	p->model = xstrdup("o4-mini");
	v = provider_argv(p, PROVIDER_F_EXEC|PROVIDER_F_JSON|PROVIDER_F_MODEL,
	    &t, "PROMPT", NULL, &jsonl);
	check_argv(v, full);
	ck_assert_int_eq(jsonl, 1);
	strv_free(v);

	free(p->model);
	p->model = NULL;
	v = provider_argv(p, PROVIDER_F_EXEC|PROVIDER_F_JSON|PROVIDER_F_MODEL,
	    &t, "PROMPT", NULL, &jsonl);
	check_argv(v, nomodel);
	strv_free(v);

	/* OPENAI_BASE_URL: a provider of its own, quoted as TOML. */
	v = provider_argv(p, PROVIDER_F_EXEC|PROVIDER_F_JSON|PROVIDER_F_MODEL,
	    &t, "PROMPT", "http://127.0.0.1:9/v\"1", &jsonl);
	check_argv(v, endpoint);
	strv_free(v);

	/* No exec: the interactive CLI with the prompt. */
	v = provider_argv(p, 0, &t, "PROMPT", NULL, &jsonl);
	check_argv(v, plain);
	ck_assert_int_eq(jsonl, 0);
	strv_free(v);
	config_provider_free(p);
}
END_TEST

START_TEST(test_argv_claude)
{
	struct provider		*p = make_provider("claude_code", "claude", 1);
	struct provider_task	 t = sample_task();
	char			**v;
	int			  jsonl, all;
	const char		 *full[] = { "claude", "-p", "PROMPT",
				    "--output-format", "stream-json",
				    "--verbose", "--allowedTools",
				    "Bash(git:*)",
				    "Bash(npm test:*)", "Read", "Edit", "Write",
				    "--disallowedTools", "Bash(rm:*)",
				    "Bash(curl:*)", NULL };
	const char		 *any[] = { "claude", "-p", "PROMPT",
				    "--output-format", "stream-json",
				    "--verbose", "--model", "sonnet",
				    "--allowedTools", "Bash", "Read", "Edit",
				    "Write", NULL };
	const char		 *old[] = { "claude", "-p", "PROMPT", NULL };

	all = provider_features(PROVIDER_CLAUDE, claude_help);
	v = provider_argv(p, all, &t, "PROMPT", NULL, &jsonl);
	check_argv(v, full);
	ck_assert_int_eq(jsonl, 1);
	strv_free(v);

	t.shell_allow = allow_any;
	t.shell_deny = NULL;
	p->model = xstrdup("sonnet");
	v = provider_argv(p, all, &t, "PROMPT", NULL, &jsonl);
	check_argv(v, any);
	strv_free(v);

	v = provider_argv(p, provider_features(PROVIDER_CLAUDE,
	    claude_old_help), &t, "PROMPT", NULL, &jsonl);
	check_argv(v, old);
	ck_assert_int_eq(jsonl, 0);
	strv_free(v);
	config_provider_free(p);
}
END_TEST

START_TEST(test_argv_template)
{
	struct provider		*p = make_provider("custom", "/opt/agent", 0);
	struct provider_task	 t = sample_task();
	char			**v;
	int			  jsonl;
	const char		 *want[] = { "/opt/agent",
				    "--title=Fix the login bug", "PROMPT", "-m",
				    "", "/tmp/ws/3f2a1b2c-0000-4000-8000-"
				    "000000000001:3f2a1b2c-0000-4000-8000-"
				    "000000000001", "{unknown} {goal", "{}",
				    NULL };

	strv_free(p->args);
	p->args = xcalloc(8, sizeof *p->args);
	p->args[0] = xstrdup("--title={title}");
	p->args[1] = xstrdup("{prompt}");
	p->args[2] = xstrdup("-m");
	p->args[3] = xstrdup("{model}");
	p->args[4] = xstrdup("{workspace}:{sessionId}");
	p->args[5] = xstrdup("{unknown} {goal");
	p->args[6] = xstrdup("{}");
	v = provider_argv(p, 0, &t, "PROMPT", NULL, &jsonl);
	check_argv(v, want);
	ck_assert_int_eq(jsonl, 0);
	strv_free(v);

	p->model = xstrdup("gpt-x");
	strv_free(p->args);
	p->args = xcalloc(2, sizeof *p->args);
	p->args[0] = xstrdup("{goal} with {model}");
	v = provider_argv(p, 0, &t, "PROMPT", NULL, &jsonl);
	ck_assert_str_eq(v[1], "Users cannot log in with an email that has a "
	    "plus sign. with gpt-x");
	ck_assert_ptr_null(v[2]);
	strv_free(v);

	/* No args at all: just the command. */
	strv_free(p->args);
	p->args = xcalloc(1, sizeof *p->args);
	v = provider_argv(p, 0, &t, "PROMPT", NULL, &jsonl);
	ck_assert_str_eq(v[0], "/opt/agent");
	ck_assert_ptr_null(v[1]);
	strv_free(v);
	config_provider_free(p);
}
END_TEST

static char	bindir[128];

/* A directory holding fake CLIs written as shell scripts. */
static void
fake_setup(void)
{
	snprintf(bindir, sizeof bindir, "/tmp/check_provider.%ld",
	    (long)getpid());
	rm_rf(bindir);
	ck_assert_int_eq(mkdir_p(bindir, 0755), 0);
}

static void
fake_teardown(void)
{
	rm_rf(bindir);
}

/* Write an executable script into bindir. */
static void
fake_cli(const char *name, const char *body)
{
	char	*path, *text;

	path = xasprintf("%s/%s", bindir, name);
	text = xasprintf("#!/bin/sh\n%s", body);
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	free(text);
	free(path);
}

START_TEST(test_detect_codex)
{
	struct provider		*p = make_provider("codex", "codex", 1);
	struct provider_detect	 d;
	char			 cause[256], *path, *body;

	body = xasprintf(
	    "case \"$1\" in\n"
	    "--version) echo 'codex-cli 0.169.0';;\n"
	    "exec) cat <<'EOF'\n%s\nEOF\n;;\n"
	    "--help) cat <<'EOF'\n%s\nEOF\n;;\n"
	    "esac\n", codex_exec_help, codex_help);
	fake_cli("codex", body);
	free(body);
	p->version_args = xcalloc(2, sizeof (char *));
	p->version_args[0] = xstrdup("--version");
	p->help_args = xcalloc(2, sizeof (char *));
	p->help_args[0] = xstrdup("--help");
	path = xasprintf("/nonexistent:%s:/usr/bin:/bin", bindir);
	ck_assert_int_eq(provider_detect(p, path, "/", "C.UTF-8", &d, cause,
	    sizeof cause), 0);
	ck_assert_ptr_nonnull(strstr(d.path, "/codex"));
	ck_assert_str_eq(d.version_line, "codex-cli 0.169.0");
	ck_assert_str_eq(d.version, "0.169.0");
	ck_assert_int_eq(d.features,
	    PROVIDER_F_EXEC|PROVIDER_F_JSON|PROVIDER_F_MODEL);
	provider_detect_clear(&d);
	free(path);
	config_provider_free(p);
}
END_TEST

START_TEST(test_detect_claude_stderr)
{
	struct provider		*p = make_provider("claude_code", "claude", 1);
	struct provider_detect	 d;
	char			 cause[256], *body, *path;

	/* Version on stderr, help exits non-zero: both still count. */
	body = xasprintf(
	    "case \"$1\" in\n"
	    "--version) echo '2.1.197 (Claude Code)' >&2;;\n"
	    "--help) cat <<'EOF'\n%s\nEOF\nexit 1;;\n"
	    "esac\n", claude_help);
	fake_cli("claude", body);
	free(body);
	p->version_args = xcalloc(2, sizeof (char *));
	p->version_args[0] = xstrdup("--version");
	p->help_args = xcalloc(2, sizeof (char *));
	p->help_args[0] = xstrdup("--help");
	path = xasprintf("%s:/usr/bin:/bin", bindir);
	ck_assert_int_eq(provider_detect(p, path, "/", "C.UTF-8", &d, cause,
	    sizeof cause), 0);
	free(path);
	ck_assert_str_eq(d.version, "2.1.197");
	ck_assert_int_ne(d.features & PROVIDER_F_STREAM_JSON, 0);
	ck_assert_int_ne(d.features & PROVIDER_F_ALLOWED, 0);
	provider_detect_clear(&d);
	config_provider_free(p);
}
END_TEST

START_TEST(test_detect_not_found)
{
	struct provider		*p = make_provider("codex", "codex", 1);
	struct provider_detect	 d;
	char			 cause[256];

	ck_assert_int_eq(provider_detect(p, bindir, "/", "C.UTF-8", &d, cause,
	    sizeof cause), -1);
	ck_assert_str_eq(cause, "provider CLI 'codex' not found");
	ck_assert_int_eq(provider_detect(p, NULL, "/", "C.UTF-8", &d, cause,
	    sizeof cause), -1);
	config_provider_free(p);

	/* Not executable is not found either. */
	p = make_provider("x", "noexec", 0);
	fake_cli("noexec", "exit 0\n");
	{
		char	*f = xasprintf("%s/noexec", bindir);

		ck_assert_int_eq(chmod(f, 0644), 0);
		free(f);
	}
	ck_assert_int_eq(provider_detect(p, bindir, "/", "C.UTF-8", &d, cause,
	    sizeof cause), -1);
	ck_assert_str_eq(cause, "provider CLI 'noexec' not found");
	config_provider_free(p);
}
END_TEST

START_TEST(test_detect_timeout)
{
	struct provider		*p = make_provider("slow", "slow", 0);
	struct provider_detect	 d;
	char			 cause[256], *path;
	int64_t			 t0;

	/* A child that keeps the pipe open: killed with its group. */
	fake_cli("slow", "sleep 30 & sleep 30\n");
	p->version_args = xcalloc(2, sizeof (char *));
	p->version_args[0] = xstrdup("--version");
	path = xasprintf("%s:/usr/bin:/bin", bindir);
	t0 = mono_ms();
	ck_assert_int_eq(provider_detect(p, path, "/", "C.UTF-8", &d, cause,
	    sizeof cause), 0);
	free(path);
	ck_assert_int_lt(mono_ms() - t0, PROVIDER_DETECT_TIMEOUT + 2000);
	ck_assert_ptr_null(d.version_line);
	ck_assert_ptr_null(d.version);
	provider_detect_clear(&d);
	config_provider_free(p);
}
END_TEST

/* What the output pipeline produced, for the tests below. */
struct seen {
	char	 data[8192];
	size_t	 len;
	size_t	 total;
	int	 chunks;
	size_t	 biggest;
	char	*records[8];
	int	 nrecords;
	char	*prompts[8];
	int	 nprompts;
	int	 take;
};

static void
seen_chunk(const char *p, size_t len, void *arg)
{
	struct seen	*s = arg;

	ck_assert_int_eq(utf8_valid((const unsigned char *)p, len), 1);
	s->total += len;
	if (len > s->biggest)
		s->biggest = len;
	if (s->len + len < sizeof s->data) {
		memcpy(s->data + s->len, p, len);
		s->len += len;
		s->data[s->len] = '\0';
	}
	s->chunks++;
}

static void
seen_record(struct json_object *o, void *arg)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->nrecords, 8);
	s->records[s->nrecords++] = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
}

static int
seen_prompt(const char *line, void *arg)
{
	struct seen	*s = arg;

	if (!s->take)
		return (0);
	ck_assert_int_lt(s->nprompts, 8);
	s->prompts[s->nprompts++] = xstrdup(line);
	return (1);
}

static struct event_base	*base;
static struct seen		 seen;
static char			*yn_patterns[] = { "\\[[yY]/[nN]\\]",
				    "\\([yY]/[nN]\\)", NULL };

/* An output pipeline feeding seen. */
static struct output *
make_output(int jsonl)
{
	struct output_cb	 cb = { seen_chunk, seen_record, seen_prompt,
				    &seen, NULL };
	struct output		*o;
	char			 cause[256];

	memset(&seen, 0, sizeof seen);
	seen.take = 1;
	base = event_base_new();
	o = output_create(base, &cb, yn_patterns, jsonl, cause, sizeof cause);
	ck_assert_ptr_nonnull(o);
	return (o);
}

static void
free_output(struct output *o)
{
	int	i;

	output_free(o);
	event_base_free(base);
	for (i = 0; i < seen.nrecords; i++)
		free(seen.records[i]);
	for (i = 0; i < seen.nprompts; i++)
		free(seen.prompts[i]);
}

/* Feed a string. */
static void
feed(struct output *o, const char *s)
{
	output_feed(o, (const unsigned char *)s, strlen(s));
}

START_TEST(test_output_coalesce)
{
	struct output	*o = make_output(0);
	int64_t		 t0 = mono_ms();

	feed(o, "a");
	feed(o, "b");
	feed(o, "c\r\n");
	ck_assert_int_eq(seen.chunks, 0);
	/* The 10 ms window closes: one chunk. */
	event_base_dispatch(base);
	ck_assert_int_ge(mono_ms() - t0, OUTPUT_DELAY_MS - 1);
	ck_assert_int_eq(seen.chunks, 1);
	ck_assert_str_eq(seen.data, "abc\r\n");
	ck_assert_uint_eq(output_sent(o), 5);
	free_output(o);
}
END_TEST

START_TEST(test_output_big)
{
	struct output	*o = make_output(0);
	char		*big;
	size_t		 i, n = 100 * 1024;

	/* Two-byte characters at odd offsets: cuts must not split them. */
	big = xmalloc(n + 2);
	big[0] = 'x';
	for (i = 1; i + 1 < n; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	feed(o, big);
	ck_assert_int_ge(seen.chunks, 3);
	ck_assert_uint_le(seen.biggest, OUTPUT_CHUNK_MAX);
	output_flush(o);
	ck_assert_uint_eq(seen.total, strlen(big));
	free(big);
	free_output(o);
}
END_TEST

START_TEST(test_output_secrets)
{
	struct output	*o = make_output(0);

	output_add_secret(o, "s3cr3t-value");
	feed(o, "key=s3cr3t-");
	feed(o, "value end\r\n\xff");
	output_flush(o);
	ck_assert_str_eq(seen.data, "key=[REDACTED] end\r\n\xef\xbf\xbd");
	ck_assert_ptr_null(strstr(seen.data, "s3cr3t"));
	free_output(o);
}
END_TEST

START_TEST(test_output_prompt)
{
	struct output	*o = make_output(0);

	feed(o, "\033[1mRun git push? [y/N]\033[0m ");
	ck_assert_int_eq(seen.nprompts, 1);
	ck_assert_str_eq(seen.prompts[0], "Run git push? [y/N]");
	/* Once per prompt: the echo of the answer adds nothing. */
	feed(o, "y");
	feed(o, "\r\n");
	ck_assert_int_eq(seen.nprompts, 1);
	/* A redraw after \r is a new line. */
	feed(o, "Working...\rDelete build/? (y/n)");
	ck_assert_int_eq(seen.nprompts, 2);
	ck_assert_str_eq(seen.prompts[1], "Delete build/? (y/n)");
	feed(o, "\r\nno prompt here [y]\r\n");
	ck_assert_int_eq(seen.nprompts, 2);
	free_output(o);
}
END_TEST

START_TEST(test_output_prompt_later)
{
	struct output	*o = make_output(0);

	/* Refused (the session is paused): offered again on recheck. */
	seen.take = 0;
	feed(o, "Allow? [y/n] ");
	ck_assert_int_eq(seen.nprompts, 0);
	seen.take = 1;
	output_recheck(o);
	ck_assert_int_eq(seen.nprompts, 1);
	output_recheck(o);
	ck_assert_int_eq(seen.nprompts, 1);
	free_output(o);
}
END_TEST

START_TEST(test_output_records)
{
	struct output	*o = make_output(1);

	feed(o, "{\"type\":\"system\",\"n\":1}\r\n");
	feed(o, "not json\r\n{\"partial\":");
	ck_assert_int_eq(seen.nrecords, 1);
	feed(o, "true}\r\n");
	feed(o, "{\"a\":1} trailing\r\n[1,2]\r\n{bad}\r\n");
	feed(o, "\033[32m{\"x\":\"[y/n]\"}\033[0m\r\n");
	feed(o, "{\"last\":true}");
	output_flush(o);
	ck_assert_int_eq(seen.nrecords, 4);
	ck_assert_str_eq(seen.records[0], "{\"type\":\"system\",\"n\":1}");
	ck_assert_str_eq(seen.records[1], "{\"partial\":true}");
	ck_assert_str_eq(seen.records[2], "{\"x\":\"[y\\/n]\"}");
	ck_assert_str_eq(seen.records[3], "{\"last\":true}");
	/* A JSON line that mentions [y/n] is not a prompt. */
	ck_assert_int_eq(seen.nprompts, 0);
	free_output(o);
}
END_TEST

START_TEST(test_output_bad_pattern)
{
	struct output_cb	 cb = { seen_chunk, seen_record, seen_prompt,
				    &seen, NULL };
	char			*bad[] = { "ok", "([", NULL };
	char			 cause[256];
	struct event_base	*b = event_base_new();

	ck_assert_ptr_null(output_create(b, &cb, bad, 0, cause,
	    sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "bad approval pattern '(['"));
	event_base_free(b);
}
END_TEST

START_TEST(test_output_summary)
{
	char	*s, *in;
	size_t	 i;

	s = output_summary("  Allow? [y/n]  ", 200);
	ck_assert_str_eq(s, "Allow? [y/n]");
	free(s);
	in = xmalloc(601);
	for (i = 0; i < 600; i += 2)
		memcpy(in + i, "\xc3\xa9", 2);
	in[600] = '\0';
	s = output_summary(in, 200);
	ck_assert_uint_eq(strlen(s), 400);
	free(s);
	free(in);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("provider");

	tc = tcase_create("version");
	tcase_add_test(tc, test_version_line);
	tcase_add_test(tc, test_version_long);
	tcase_add_test(tc, test_version_number);
	suite_add_tcase(s, tc);

	tc = tcase_create("features");
	tcase_add_test(tc, test_features_codex);
	tcase_add_test(tc, test_features_claude);
	tcase_add_test(tc, test_feature_names);
	tcase_add_test(tc, test_kind);
	tcase_add_test(tc, test_driver_choice);
	tcase_add_test(tc, test_argv_extra);
	suite_add_tcase(s, tc);

	tc = tcase_create("prompt");
	tcase_add_test(tc, test_prompt_full);
	tcase_add_test(tc, test_prompt_minimal);
	suite_add_tcase(s, tc);

	tc = tcase_create("argv");
	tcase_add_test(tc, test_argv_codex);
	tcase_add_test(tc, test_argv_claude);
	tcase_add_test(tc, test_argv_template);
	suite_add_tcase(s, tc);

	tc = tcase_create("detect");
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_detect_codex);
	tcase_add_test(tc, test_detect_claude_stderr);
	tcase_add_test(tc, test_detect_not_found);
	tcase_add_test(tc, test_detect_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_test(tc, test_output_coalesce);
	tcase_add_test(tc, test_output_big);
	tcase_add_test(tc, test_output_secrets);
	tcase_add_test(tc, test_output_prompt);
	tcase_add_test(tc, test_output_prompt_later);
	tcase_add_test(tc, test_output_records);
	tcase_add_test(tc, test_output_bad_pattern);
	tcase_add_test(tc, test_output_summary);
	suite_add_tcase(s, tc);

	return (s);
}
