/* Providers in the worker: version and feature detection, argv, prompt. */
#include "config.h"

#include <sys/wait.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/driver.h"
#include "worker/drv_codexargs.h"
#include "worker/provider.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

#define PROVIDER_OUTPUT_MAX	(256 * 1024)	/* captured --help bytes */
#define PROVIDER_LINE_MAX	200		/* a version line */

/* Which built-in logic a provider gets: by name, and only when builtin. */
enum provider_kind
provider_kind(const struct provider *p)
{
	if (!p->builtin)
		return (PROVIDER_TEMPLATE);
	if (strcmp(p->name, "codex") == 0)
		return (PROVIDER_CODEX);
	if (strcmp(p->name, "claude_code") == 0)
		return (PROVIDER_CLAUDE);
	return (PROVIDER_TEMPLATE);
}

/* Skip an ANSI escape sequence starting at s (ESC); returns its end. */
static const char *
provider_skip_escape(const char *s)
{
	s++;
	if (*s == '[') {
		for (s++; *s != '\0' && *s != '\n' &&
		    !(*s >= 0x40 && *s <= 0x7e); s++)
			;
		return (*s != '\0' && *s != '\n' ? s + 1 : s);
	}
	return (*s != '\0' && *s != '\n' ? s + 1 : s);
}

/* Replace a string (freed) by its UTF-8 sanitized copy. */
static char *
provider_sanitize(char *s, size_t *len)
{
	struct utf8_carry	 carry = { { 0 }, 0 };
	struct evbuffer		*b;
	char			*out;

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	utf8_sanitize(&carry, (unsigned char *)s, *len, b);
	utf8_flush(&carry, b);
	*len = evbuffer_get_length(b);
	out = xmalloc(*len + 1);
	evbuffer_remove(b, out, *len);
	out[*len] = '\0';
	evbuffer_free(b);
	free(s);
	return (out);
}

/* Line s..end with escapes and controls removed and trimmed; or NULL. */
static char *
provider_clean_line(const char *s, const char *end)
{
	char	*line;
	size_t	 len = 0;

	while (s < end && isspace((unsigned char)*s))
		s++;
	line = xmalloc((size_t)(end - s) + 1);
	while (s < end) {
		if (*s == '\033') {
			s = provider_skip_escape(s);
			continue;
		}
		if ((unsigned char)*s >= 0x20 || *s == '\t')
			line[len++] = *s;
		s++;
	}
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	if (len == 0) {
		free(line);
		return (NULL);
	}
	line[len] = '\0';
	/* It may be sent (providerVersion): make it valid UTF-8. */
	if (!utf8_valid((unsigned char *)line, len))
		line = provider_sanitize(line, &len);
	if (len > PROVIDER_LINE_MAX) {
		/* Cut on a UTF-8 character boundary. */
		len = PROVIDER_LINE_MAX;
		while (len > 0 && ((unsigned char)line[len] & 0xc0) == 0x80)
			len--;
	}
	line[len] = '\0';
	return (line);
}

/*
 * The first non-empty line that holds a version number, else the first
 * non-empty line: a CLI may warn on stderr before it prints its version
 * (codex does when its home is under /tmp).
 */
char *
provider_version_line(const char *text)
{
	const char	*s, *end;
	char		*line, *first = NULL, *v;

	if (text == NULL)
		return (NULL);
	for (s = text; *s != '\0'; s = *end != '\0' ? end + 1 : end) {
		end = strchrnul(s, '\n');
		if ((line = provider_clean_line(s, end)) == NULL)
			continue;
		if ((v = provider_version_number(line)) != NULL) {
			free(v);
			free(first);
			return (line);
		}
		if (first == NULL)
			first = line;
		else
			free(line);
	}
	return (first);
}

/* The first dotted number in a line ("0.169.0"), or NULL. */
char *
provider_version_number(const char *line)
{
	const char	*s, *p;
	int		 dots;

	if (line == NULL)
		return (NULL);
	for (s = line; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			continue;
		/* A number glued to a word ("x86", "ubuntu22") is not one. */
		if (s > line && isalnum((unsigned char)s[-1]) &&
		    s[-1] != 'v' && s[-1] != 'V')
			continue;
		dots = 0;
		for (p = s; isdigit((unsigned char)*p) ||
		    (*p == '.' && isdigit((unsigned char)p[1])); p++) {
			if (*p == '.')
				dots++;
		}
		if (dots > 0)
			return (xstrndup(s, (size_t)(p - s)));
		s = p - 1;
	}
	return (NULL);
}

/* Whether an option (e.g. "--json") appears in help text as a whole word. */
static int
provider_has_option(const char *help, const char *opt)
{
	const char	*s = help;
	size_t		 len = strlen(opt);
	char		 before, after;

	while ((s = strstr(s, opt)) != NULL) {
		before = s == help ? ' ' : s[-1];
		after = s[len];
		s += len;
		if (isalnum((unsigned char)before) || before == '-' ||
		    before == '_')
			continue;
		if (isalnum((unsigned char)after) || after == '-' ||
		    after == '_')
			continue;
		return (1);
	}
	return (0);
}

/* Whether help lists a subcommand: an indented line starting with it. */
static int
provider_has_command(const char *help, const char *cmd)
{
	const char	*s, *p;
	size_t		 len = strlen(cmd);

	for (s = help; *s != '\0'; s++) {
		if (s != help && s[-1] != '\n')
			continue;
		for (p = s; *p == ' ' || *p == '\t'; p++)
			;
		if (p == s)
			continue;
		if (strncmp(p, cmd, len) == 0 && (p[len] == ' ' ||
		    p[len] == '\t' || p[len] == '\n' || p[len] == ',' ||
		    p[len] == '\0'))
			return (1);
	}
	return (0);
}

/* The features a built-in provider's help text shows. */
int
provider_features(enum provider_kind kind, const char *help)
{
	int	f = 0;

	if (help == NULL)
		return (0);
	switch (kind) {
	case PROVIDER_CODEX:
		if (provider_has_command(help, "exec"))
			f |= PROVIDER_F_EXEC;
		if (provider_has_option(help, "--json"))
			f |= PROVIDER_F_JSON;
		if (provider_has_option(help, "--model"))
			f |= PROVIDER_F_MODEL;
		if (provider_has_command(help, "app-server"))
			f |= PROVIDER_F_APP_SERVER;
		break;
	case PROVIDER_CLAUDE:
		if (provider_has_option(help, "--print"))
			f |= PROVIDER_F_PRINT;
		if (provider_has_option(help, "--output-format") &&
		    strstr(help, "stream-json") != NULL)
			f |= PROVIDER_F_STREAM_JSON;
		if (provider_has_option(help, "--verbose"))
			f |= PROVIDER_F_VERBOSE;
		if (provider_has_option(help, "--allowedTools") ||
		    provider_has_option(help, "--allowed-tools"))
			f |= PROVIDER_F_ALLOWED;
		if (provider_has_option(help, "--disallowedTools") ||
		    provider_has_option(help, "--disallowed-tools"))
			f |= PROVIDER_F_DISALLOWED;
		if (provider_has_option(help, "--model"))
			f |= PROVIDER_F_MODEL;
		if (provider_has_option(help, "--input-format") &&
		    strstr(help, "stream-json") != NULL)
			f |= PROVIDER_F_INPUT_STREAM;
		break;
	default:
		break;
	}
	return (f);
}

/* Feature names for the probe's report. */
char **
provider_feature_names(int f)
{
	/* By bit, from PROVIDER_F_EXEC (bit 0) up. */
	static const char *const names[] = { "exec", "json", "model", "print",
	    "stream-json", "verbose", "allowedTools", "disallowedTools",
	    "app-server", "input-stream-json" };
	char	**v;
	size_t	  i, n = 0;

	_Static_assert(PROVIDER_F_EXEC == 1 && PROVIDER_F_INPUT_STREAM ==
	    1 << (nitems(names) - 1), "one name per feature bit");
	v = xcalloc(nitems(names) + 1, sizeof *v);
	for (i = 0; i < nitems(names); i++)
		if (f & (1 << i))
			v[n++] = xstrdup(names[i]);
	return (v);
}

/* Whether a shell allowlist means "any command". */
static int
provider_allow_any(char **allow)
{
	size_t	i;

	if (allow == NULL)
		return (1);
	for (i = 0; allow[i] != NULL; i++)
		if (strcmp(allow[i], "*") == 0)
			return (1);
	return (0);
}

/* What an approval category means, for the prompt. */
static const char *
provider_category_text(const char *c)
{
	/* Category, then its text, in pairs. */
	static const char *const texts[] = {
		"merge", "merging or pushing branches",
		"deps_add", "adding dependencies",
		"secrets", "reading or changing secrets and credentials",
		"deploy", "deploying", "shell", "running shell commands",
		"network", "accessing the network"
	};
	size_t	i;

	for (i = 0; i < nitems(texts); i += 2)
		if (strcmp(c, texts[i]) == 0)
			return (texts[i + 1]);
	return (c);
}

/* Write a bulleted list under a heading, if it has any entries. */
static void
provider_list(FILE *f, const char *heading, char **v)
{
	size_t	i;

	if (v == NULL || v[0] == NULL)
		return;
	fprintf(f, "\n%s\n", heading);
	for (i = 0; v[i] != NULL; i++)
		fprintf(f, "- %s\n", v[i]);
}

/*
 * The prompt reads like a ticket: title, goal, constraints, acceptance
 * criteria, focus area, then the policy the session runs under, so the agent
 * knows what will be refused or held for a human before it tries.
 */
char *
provider_prompt(const struct provider_task *t)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, i;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	fprintf(f, "Task: %s\n", t->title != NULL ? t->title : "(untitled)");
	if (t->goal != NULL && *t->goal != '\0')
		fprintf(f, "\nGoal:\n%s\n", t->goal);
	provider_list(f, "Constraints:", t->constraints);
	provider_list(f, "Acceptance criteria:", t->acceptance);
	if (t->room_path != NULL && *t->room_path != '\0')
		fprintf(f, "\nFocus area: %s (work mainly in this part of the "
		    "repository)\n", t->room_path);

	fprintf(f, "\nPolicy:\n");
	if (provider_allow_any(t->shell_allow))
		fprintf(f, "- Allowed shell commands: any\n");
	else {
		fprintf(f, "- Allowed shell commands: only ");
		for (i = 0; t->shell_allow[i] != NULL; i++)
			fprintf(f, "%s%s", i > 0 ? ", " : "",
			    t->shell_allow[i]);
		fprintf(f, "\n");
	}
	if (t->shell_deny != NULL && t->shell_deny[0] != NULL) {
		fprintf(f, "- Never run: ");
		for (i = 0; t->shell_deny[i] != NULL; i++)
			fprintf(f, "%s%s", i > 0 ? ", " : "", t->shell_deny[i]);
		fprintf(f, "\n");
	}
	if (t->approval_for != NULL && t->approval_for[0] != NULL) {
		fprintf(f, "- Ask for human approval before: ");
		for (i = 0; t->approval_for[i] != NULL; i++)
			fprintf(f, "%s%s", i > 0 ? ", " : "",
			    provider_category_text(t->approval_for[i]));
		fprintf(f, "\n");
	}
	if (t->network_mode != NULL && strcmp(t->network_mode, "restricted") ==
	    0)
		fprintf(f, "- Network access: restricted (no outbound "
		    "network)\n");
	else
		fprintf(f, "- Network access: open\n");
	if (fclose(f) != 0)
		fatal("open_memstream");
	/* No trailing newline: some CLIs echo the prompt verbatim. */
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (buf);
}

/* Expand {prompt}, {title}, {goal}, {model}, {workspace}, {sessionId}. */
static char *
provider_expand(const char *tmpl, const struct provider *p,
    const struct provider_task *t, const char *prompt)
{
	const struct {
		const char	*key;
		const char	*value;
	} keys[] = {
		{ "{prompt}", prompt },
		{ "{title}", t->title },
		{ "{goal}", t->goal },
		{ "{model}", p->model },
		{ "{workspace}", t->workspace },
		{ "{sessionId}", t->session_id },
	};
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0, i, klen;
	const char	*s;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	for (s = tmpl; *s != '\0'; ) {
		if (*s == '{') {
			for (i = 0; i < nitems(keys); i++) {
				klen = strlen(keys[i].key);
				if (strncmp(s, keys[i].key, klen) == 0)
					break;
			}
			if (i < nitems(keys)) {
				if (keys[i].value != NULL)
					fputs(keys[i].value, f);
				s += klen;
				continue;
			}
		}
		fputc(*s++, f);
	}
	if (fclose(f) != 0)
		fatal("open_memstream");
	return (buf);
}

/* A growing argv. */
struct provider_args {
	char	**v;
	size_t	  n;
};

/* Append a copy of s to an argv. */
static void
provider_push(struct provider_args *a, const char *s)
{
	a->v = xrealloc(a->v, (a->n + 2) * sizeof *a->v);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

/* Append s to an argv and free it. */
static void
provider_pushf(struct provider_args *a, char *s)
{
	provider_push(a, s);
	free(s);
}

/*
 * Claude's tools. With -p nobody can answer a permission prompt, so what the
 * agent needs is granted up front from the session's policy: Bash for the
 * allowlisted commands (all of Bash when the allowlist is "*"), plus Read,
 * Edit and Write, which stay inside the workspace; denylisted commands are
 * refused with --disallowedTools, which Claude checks first. The tool lists
 * are variadic options, so they come last, after the prompt.
 */
static void
provider_claude_tools(struct provider_args *a, int f,
    const struct provider_task *t)
{
	size_t	i;

	if (f & PROVIDER_F_ALLOWED) {
		provider_push(a, "--allowedTools");
		if (provider_allow_any(t->shell_allow))
			provider_push(a, "Bash");
		else {
			for (i = 0; t->shell_allow[i] != NULL; i++)
				provider_pushf(a, xasprintf("Bash(%s:*)",
				    t->shell_allow[i]));
		}
		provider_push(a, "Read");
		provider_push(a, "Edit");
		provider_push(a, "Write");
	}
	if ((f & PROVIDER_F_DISALLOWED) && t->shell_deny != NULL &&
	    t->shell_deny[0] != NULL) {
		provider_push(a, "--disallowedTools");
		for (i = 0; t->shell_deny[i] != NULL; i++)
			provider_pushf(a, xasprintf("Bash(%s:*)",
			    t->shell_deny[i]));
	}
}

/*
 * codex: "codex exec [--json] [-c ...] [--model M] PROMPT" when exec exists
 * (it runs the task and exits; the -c overrides are the driver's, with
 * base_url its endpoint), else the interactive "codex [--model M] PROMPT".
 * claude: "claude -p PROMPT [--output-format stream-json --verbose]
 * [--model M] [tools]"; stream-json with -p needs --verbose. Anything else
 * expands its args template.
 */
char **
provider_argv(const struct provider *p, int f, const struct provider_task *t,
    const char *prompt, const char *base_url, int *jsonl)
{
	struct provider_args	a = { NULL, 0 };
	char			**cfg;
	size_t			i;

	*jsonl = 0;
	provider_push(&a, p->command);
	switch (provider_kind(p)) {
	case PROVIDER_CODEX:
		if (f & PROVIDER_F_EXEC) {
			provider_push(&a, "exec");
			if (f & PROVIDER_F_JSON) {
				provider_push(&a, "--json");
				*jsonl = 1;
			}
			/* As the driver's: its sandbox off, the endpoint. */
			cfg = drv_codexargs_config(NULL, base_url);
			for (i = 0; cfg[i] != NULL; i++)
				provider_push(&a, cfg[i]);
			strv_free(cfg);
		}
		if ((f & PROVIDER_F_MODEL) && p->model != NULL) {
			provider_push(&a, "--model");
			provider_push(&a, p->model);
		}
		provider_push(&a, prompt);
		break;
	case PROVIDER_CLAUDE:
		if (f & PROVIDER_F_PRINT)
			provider_push(&a, "-p");
		provider_push(&a, prompt);
		if ((f & PROVIDER_F_PRINT) && (f & PROVIDER_F_STREAM_JSON)) {
			provider_push(&a, "--output-format");
			provider_push(&a, "stream-json");
			if (f & PROVIDER_F_VERBOSE)
				provider_push(&a, "--verbose");
			*jsonl = 1;
		}
		if ((f & PROVIDER_F_MODEL) && p->model != NULL) {
			provider_push(&a, "--model");
			provider_push(&a, p->model);
		}
		provider_claude_tools(&a, f, t);
		break;
	default:
		for (i = 0; p->args != NULL && p->args[i] != NULL; i++)
			provider_pushf(&a, provider_expand(p->args[i], p, t,
			    prompt));
		break;
	}
	for (i = 0; p->extra_args != NULL && p->extra_args[i] != NULL; i++)
		provider_push(&a, p->extra_args[i]);
	return (a.v);
}

/*
 * Run a detection command: stdin from /dev/null, stdout and stderr into one
 * pipe, in its own process group so a timeout kills all of it. Returns the
 * exit status (or -1, and *out NULL, when it could not run or timed out).
 */
static int
provider_run(const char *file, char **argv, char **envp, int timeout_ms,
    char **out)
{
	int		 p[2], null, status, sig, timed_out = 0;
	pid_t		 pid, r;
	struct pollfd	 pfd;
	sigset_t	 set;
	char		 buf[4096], *data = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int64_t		 deadline, left;

	*out = NULL;
	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	switch (pid = fork()) {
	case -1:
		close(p[0]);
		close(p[1]);
		return (-1);
	case 0:
		setpgid(0, 0);
		if ((null = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(null, STDIN_FILENO) == -1 ||
		    dup2(p[1], STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1)
			_exit(127);
		close_from(3);
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		execve(file, argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	close(p[1]);

	data = xmalloc(PROVIDER_OUTPUT_MAX + 1);
	deadline = mono_ms() + timeout_ms;
	for (;;) {
		if ((left = deadline - mono_ms()) <= 0) {
			timed_out = 1;
			break;
		}
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, (int)left)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0) {
			timed_out = 1;
			break;
		}
		n = read(p[0], buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n > PROVIDER_OUTPUT_MAX - len)
			n = (ssize_t)(PROVIDER_OUTPUT_MAX - len);
		memcpy(data + len, buf, (size_t)n);
		len += (size_t)n;
	}
	close(p[0]);
	data[len] = '\0';

	/* Output closed; give it what is left of the time to exit. */
	while (!timed_out) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			break;
		if (mono_ms() >= deadline) {
			timed_out = 1;
			break;
		}
		usleep(10 * 1000);
	}
	killpg(pid, SIGKILL);
	if (timed_out) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		free(data);
		return (-1);
	}
	*out = data;
	return (status);
}

/* The environment detection commands run with: no secrets in it. */
static char **
provider_detect_env(const char *path, const char *home, const char *lang)
{
	char	**env;

	env = xcalloc(6, sizeof *env);
	env[0] = xasprintf("PATH=%s", path != NULL ? path : "");
	env[1] = xasprintf("HOME=%s", home != NULL ? home : "/");
	env[2] = xasprintf("LANG=%s", lang != NULL ? lang : "C.UTF-8");
	env[3] = xstrdup("TERM=dumb");
	env[4] = xstrdup("NO_COLOR=1");
	return (env);
}

/* Run "command [prefix] args..." and return its output, or NULL. */
static char *
provider_capture(const struct provider *p, const char *file,
    const char *prefix, char **args, char **env, const char *what)
{
	struct provider_args	 a = { NULL, 0 };
	char			*out;
	size_t			 i;
	int			 status;

	provider_push(&a, p->command);
	if (prefix != NULL)
		provider_push(&a, prefix);
	for (i = 0; args[i] != NULL; i++)
		provider_push(&a, args[i]);
	status = provider_run(file, a.v, env, PROVIDER_DETECT_TIMEOUT, &out);
	strv_free(a.v);
	if (out == NULL) {
		log_warnx("provider %s: %s detection did not finish within "
		    "%d ms", p->name, what, PROVIDER_DETECT_TIMEOUT);
		return (NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warnx("provider %s: %s detection exited with status %d",
		    p->name, what, WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status));
	return (out);
}

/* The structured driver of a provider with these features. */
int
provider_driver(const struct provider *p, int f)
{
	const char	*d = p->driver != NULL ? p->driver : "auto";

	if (strcmp(d, "codex") == 0)
		return (DRV_CODEX);
	if (strcmp(d, "claude") == 0)
		return (DRV_CLAUDE);
	if (strcmp(d, "auto") != 0)
		return (DRV_NONE);
	switch (provider_kind(p)) {
	case PROVIDER_CODEX:
		return ((f & PROVIDER_F_APP_SERVER) ? DRV_CODEX : DRV_NONE);
	case PROVIDER_CLAUDE:
		return ((f & PROVIDER_F_PRINT) && (f & PROVIDER_F_INPUT_STREAM) ?
		    DRV_CLAUDE : DRV_NONE);
	default:
		return (DRV_NONE);
	}
}

/* Find the CLI in PATH and detect its version and features. */
int
provider_detect(const struct provider *p, const char *path, const char *home,
    const char *lang, struct provider_detect *d, char *cause, size_t causelen)
{
	char	**env, *out, *more, *both;

	memset(d, 0, sizeof *d);
	if ((d->path = path_search(p->command, path)) == NULL) {
		CAUSE("provider CLI '%s' not found", p->command);
		return (-1);
	}
	env = provider_detect_env(path, home, lang);
	if (p->version_args != NULL) {
		out = provider_capture(p, d->path, NULL, p->version_args, env,
		    "version");
		d->version_line = provider_version_line(out);
		d->version = provider_version_number(d->version_line);
		free(out);
	}
	if (provider_kind(p) != PROVIDER_TEMPLATE && p->help_args != NULL) {
		out = provider_capture(p, d->path, NULL, p->help_args, env,
		    "help");
		d->features = provider_features(provider_kind(p), out);
		/* codex lists exec's options (--json) in "exec --help". */
		if (provider_kind(p) == PROVIDER_CODEX &&
		    (d->features & PROVIDER_F_EXEC)) {
			more = provider_capture(p, d->path, "exec",
			    p->help_args, env, "exec help");
			both = xasprintf("%s\n%s", out, more != NULL ? more :
			    "");
			d->features = provider_features(PROVIDER_CODEX, both);
			free(both);
			free(more);
		}
		free(out);
	}
	strv_free(env);
	return (0);
}

/* Free what detection found. */
void
provider_detect_clear(struct provider_detect *d)
{
	free(d->path);
	free(d->version_line);
	free(d->version);
	memset(d, 0, sizeof *d);
}

/* Print the probe's usage and fail. */
static int
provider_probe_usage(void)
{
	fprintf(stderr, "usage: runnerd --probe-provider NAME [--path PATH] "
	    "[-c CONFIG]\n");
	return (1);
}

/* runnerd --probe-provider: detection as JSON on stdout. */
int
provider_probe_main(int argc, char **argv)
{
	static char		*constraints[] = { "Keep the change small",
				    NULL };
	static char		*acceptance[] = { "README.md exists", NULL };
	static char		*allow[] = { "git", "npm", NULL };
	static char		*deny[] = { "rm", NULL };
	static char		*approve[] = { "merge", "deps_add", "secrets",
				    "deploy", NULL };
	struct config		*c;
	const struct provider	*p;
	struct provider_task	 t;
	struct provider_detect	 d;
	struct drv_params	 dp;
	struct json_object	*o;
	int			 kind;
	const char		*name, *path = NULL, *file = NULL, *home;
	const char		*lang;
	char			 cause[512], *prompt, **argvv, **names;
	int			 i, jsonl, rv = 0;

	if (argc < 2 || argv[1][0] == '-')
		return (provider_probe_usage());
	name = argv[1];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--path") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			log_setverbose(1);
		else
			return (provider_probe_usage());
	}
	log_init(log_getverbose(), "probe");
	c = config_default();
	if (file != NULL && config_load_file(c, file, cause,
	    sizeof cause) == -1) {
		fprintf(stderr, "runnerd: %s\n", cause);
		config_free(c);
		return (1);
	}
	if ((p = config_provider(c, name)) == NULL) {
		fprintf(stderr, "runnerd: unknown provider '%s'\n", name);
		config_free(c);
		return (1);
	}
	if (path == NULL)
		path = c->agent_path;
	home = getenv("HOME");
	lang = getenv("LANG");

	o = json_object_new_object();
	json_object_object_add(o, "provider", json_object_new_string(p->name));
	json_object_object_add(o, "command",
	    json_object_new_string(p->command));
	if (provider_detect(p, path, home, lang, &d, cause,
	    sizeof cause) == -1) {
		json_object_object_add(o, "found",
		    json_object_new_boolean(0));
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		fprintf(stderr, "runnerd: %s\n", cause);
		json_object_put(o);
		config_free(c);
		return (1);
	}

	memset(&t, 0, sizeof t);
	t.session_id = "00000000-0000-4000-8000-000000000000";
	t.workspace = "/tmp/ai-village-workspaces/"
	    "00000000-0000-4000-8000-000000000000";
	t.title = "Add a README";
	t.goal = "Write a short README.md describing the project.";
	t.constraints = constraints;
	t.acceptance = acceptance;
	t.shell_allow = allow;
	t.shell_deny = deny;
	t.approval_for = approve;
	t.network_mode = "open";
	prompt = provider_prompt(&t);
	kind = provider_driver(p, d.features);
	if (kind != DRV_NONE) {
		memset(&dp, 0, sizeof dp);
		dp.cwd = t.workspace;
		dp.model = p->model;
		dp.version = d.version;
		dp.base_url = getenv(kind == DRV_CODEX ? "OPENAI_BASE_URL" :
		    "ANTHROPIC_BASE_URL");
		dp.extra_args = p->extra_args;
		dp.ask_exec = 1;
		argvv = drv_argv(kind, p->command, &dp);
		jsonl = 1;
	} else
		argvv = provider_argv(p, d.features, &t, prompt,
		    getenv("OPENAI_BASE_URL"), &jsonl);
	names = provider_feature_names(d.features);

	json_object_object_add(o, "found", json_object_new_boolean(1));
	json_object_object_add(o, "path", json_object_new_string(d.path));
	json_object_object_add(o, "version", d.version != NULL ?
	    json_object_new_string(d.version) : NULL);
	json_object_object_add(o, "versionLine", d.version_line != NULL ?
	    json_object_new_string(d.version_line) : NULL);
	json_object_object_add(o, "features", strv_to_json(names));
	json_object_object_add(o, "argv", strv_to_json(argvv));
	json_object_object_add(o, "jsonl", json_object_new_boolean(jsonl));
	json_object_object_add(o, "driver",
	    json_object_new_string(drv_kind_name(kind)));
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (fflush(stdout) != 0)
		rv = 1;

	json_object_put(o);
	strv_free(names);
	strv_free(argvv);
	free(prompt);
	provider_detect_clear(&d);
	config_free(c);
	return (rv);
}
