/*
 * Exec policy: the pattern language, the ways git reads a command line,
 * the built-in patterns and the gated categories (README "Exec policy").
 */
#include "config.h"

#include <sys/pidfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <seccomp.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/execpol.h"
#include "worker/execpol_int.h"

static int	execmatch_match_as(const char *, const char *const *,
		    char *const *, size_t);

/* Built-in patterns of the gated categories (README "Exec policy"). */
static const char *const execpol_merge[] = {
	"git push", "git send-pack", "git receive-pack",
	"ssh ... *git-receive-pack*", "git merge", "gh pr merge", NULL
};
static const char *const execpol_deps[] = {
	"npm install", "npm i", "npm add", "yarn add", "pnpm add",
	"pip|pip3 install", "python|python3|python3.* -m pip install",
	"cargo add", "go get", "gem install", "apt-get|apt install", NULL
};
static const char *const execpol_secrets[] = {
	"cat|less|more|head|tail|grep|egrep|fgrep|rg|bat|base64|xxd|od|strings "
	"... *.env|.env|.env.*|*.pem|*.key|id_rsa*|id_ed25519*|id_ecdsa*|"
	".netrc|credentials*|.git-credentials", NULL
};
static const char *const execpol_deploy[] = {
	"kubectl apply", "helm install", "helm upgrade", "terraform apply",
	"fly|flyctl deploy", "vercel ... --prod", "npm publish", NULL
};
static const char *const execpol_tests[] = {
	"make ... check|test", "npm test|t", "npm run test", "yarn test",
	"pnpm test", "pytest|py.test", "python|python3|python3.* -m pytest",
	"go test", "cargo test", "ctest", "mvn ... test",
	"gradle|gradlew ... test", "jest", "vitest", "bun test",
	"npx jest|vitest", NULL
};

static const struct {
	const char		 *category;
	const char		 *risk;
	const char *const	 *patterns;
} execpol_categories[] = {
	{ "merge", "high", execpol_merge },
	{ "deps_add", "medium", execpol_deps },
	{ "secrets", "high", execpol_secrets },
	{ "deploy", "high", execpol_deploy },
	{ "shell", "medium", NULL },
	{ "network", "medium", NULL },
};

/*
 * The pattern language.
 *
 * A pattern is words separated by blanks. The first word matches the
 * program: its basename, or its whole path when the word holds a '/'.
 * Each following word matches the next argument, in order: the whole
 * argument, or (when the word holds no '/') its basename. A word is an
 * fnmatch(3) glob (* ? [...], \ quotes), or several separated by '|' (any
 * of them); the word "..." matches any number of arguments, none
 * included. Arguments left over once the words are used up are fine: a
 * pattern is a prefix. An empty pattern matches nothing.
 */

/* The end of one alternative of a word: a '|' outside brackets, or NUL. */
char *
execmatch_alt_end(char *p)
{
	char	*q;
	int	 unclosed = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '[' && !unclosed) {
			q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q != '\0' && *q != ']')
				q++;
			/*
			 * Unbalanced, fnmatch takes '[' literally: so do we,
			 * and every later one (no ']' follows), in one pass.
			 */
			if (*q == ']')
				p = q;
			else
				unclosed = 1;
			continue;
		}
		if (*p == '|')
			return (p);
	}
	return (p);
}

/* The part of s after its last '/'. */
const char *
execmatch_base(const char *s)
{
	const char	*p;

	return ((p = strrchr(s, '/')) != NULL ? p + 1 : s);
}

/* Whether word (a writable copy) matches s: the program, or an argument. */
static int
execmatch_word(char *word, const char *s, int program)
{
	char	*alt, *end, save;
	int	 slash, m;

	for (alt = word;; alt = end + 1) {
		end = execmatch_alt_end(alt);
		save = *end;
		*end = '\0';
		slash = strchr(alt, '/') != NULL;
		if (program)
			m = fnmatch(alt, slash ? s : execmatch_base(s), 0) == 0;
		else
			m = fnmatch(alt, s, 0) == 0 || (!slash &&
			    fnmatch(alt, execmatch_base(s), 0) == 0);
		*end = save;
		if (m)
			return (1);
		if (save == '\0')
			return (0);
	}
}

/* Whether pattern matches the program at path run with argv. */
int
execmatch_match(const char *pattern, const char *path, char *const *argv,
    size_t argc)
{
	const char	*progs[2] = { path, NULL };

	if (path == NULL)
		return (0);
	return (execmatch_match_as(pattern, progs, argv, argc));
}

/*
 * Whether pattern matches argv run as any of progs (the file run and the
 * names it is known by); the words are walked once over the set of
 * argument positions reachable so far, so a pattern with many "..." costs
 * words x arguments, never more.
 */
static int
execmatch_match_as(const char *pattern, const char *const *progs,
    char *const *argv, size_t argc)
{
	char		*copy, **words, *p;
	unsigned char	*reach, *next, *tmp;
	size_t		 nw = 0, i, a, end, first;
	int		 any, m = 0;

	if (pattern == NULL || progs == NULL || progs[0] == NULL)
		return (0);
	copy = xstrdup(pattern);
	words = xcalloc(strlen(copy) / 2 + 2, sizeof *words);
	for (p = copy; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		words[nw++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	for (i = 0; nw > 0 && progs[i] != NULL; i++)
		if (execmatch_word(words[0], progs[i], 1))
			break;
	if (nw == 0 || progs[i] == NULL)
		goto out;

	/* Positions are indexes into argv; the arguments start at 1. */
	end = argc > 0 ? argc : 1;
	reach = xcalloc(end + 1, 1);
	next = xcalloc(end + 1, 1);
	reach[1] = 1;
	for (i = 1; i < nw; i++) {
		memset(next, 0, end + 1);
		any = 0;
		if (strcmp(words[i], "...") == 0) {
			for (first = 1; first <= end && !reach[first]; first++)
				;
			for (a = first; a <= end; a++)
				next[a] = any = 1;
		} else {
			for (a = 1; a < end; a++) {
				if (reach[a] && argv[a] != NULL &&
				    execmatch_word(words[i], argv[a], 0))
					next[a + 1] = any = 1;
			}
		}
		tmp = reach;
		reach = next;
		next = tmp;
		if (!any)
			break;
	}
	for (a = 1; a <= end; a++)
		if (reach[a])
			m = 1;
	free(reach);
	free(next);
out:
	free(words);
	free(copy);
	return (m);
}

/*
 * How git reads its command line (git.c: handle_options, handle_alias).
 * Global options come before the subcommand; an alias given on the command
 * line (-c alias.p=push, --config-env) or in the environment
 * (GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT) stands for its words; a
 * program named git-<cmd> is "git <cmd>" (argv[0], as git itself looks).
 * Where git could read a command more than one way (an alias named like a
 * builtin, which git ignores; an option this table does not know, which
 * a newer git may take with an argument) every reading is kept, so that a
 * deny or a gate matches if any does and an allowlist only if all do.
 */
#define EXECPOL_GIT_READINGS	16	/* readings of one command */
#define EXECPOL_GIT_STEPS	64	/* parses, aliases included */
#define EXECPOL_GIT_DEPTH	8	/* aliases of aliases */
#define EXECPOL_GIT_ENV		1000	/* GIT_CONFIG_COUNT at most */

/* Global options that take the next argument (or "=value"). */
static const char *const execpol_git_arg[] = {
	"-c", "-C", "--config-env", "--git-dir", "--work-tree", "--namespace",
	"--super-prefix", "--shallow-file", "--attr-source", NULL
};
/* Global options alone. */
static const char *const execpol_git_flag[] = {
	"-p", "--paginate", "-P", "--no-pager", "--no-replace-objects",
	"--bare", "--literal-pathspecs", "--no-literal-pathspecs",
	"--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs",
	"--no-optional-locks", "--no-lazy-fetch", "--no-advice", NULL
};
/* Options after which git prints something and runs nothing. */
static const char *const execpol_git_exit[] = {
	"--exec-path", "--html-path", "--man-path", "--info-path", NULL
};

/* One git command line being read. */
struct execpol_git {
	char		**defs;		/* "key=value" of config given */
	size_t		  ndefs;
	char *const	 *envp;
	char		***out;
	size_t		  nout;
	int		  steps;
	int		  overflow;
};

/* Whether s is one of v. */
int
execmatch_in(const char *const *v, const char *s)
{
	for (; *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return (1);
	return (0);
}

/* The value of name in envp, or NULL. */
const char *
execmatch_getenv(char *const *envp, const char *name)
{
	size_t	len = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return (*envp + len + 1);
	return (NULL);
}

/* Remember one "key=value" of configuration given to git. */
static void
execmatch_git_def(struct execpol_git *g, const char *key, size_t klen,
    const char *value)
{
	if (value == NULL)
		return;
	g->defs = xrealloc(g->defs, (g->ndefs + 1) * sizeof *g->defs);
	g->defs[g->ndefs++] = xasprintf("%.*s=%s", (int)klen, key, value);
}

/* -c name=value (no '=': a boolean, never an alias). */
static void
execmatch_git_c(struct execpol_git *g, const char *s)
{
	const char	*eq;

	if ((eq = strchr(s, '=')) != NULL)
		execmatch_git_def(g, s, (size_t)(eq - s), eq + 1);
}

/* --config-env name=ENVVAR: the value is the variable's. */
static void
execmatch_git_config_env(struct execpol_git *g, const char *s)
{
	const char	*eq;

	if ((eq = strrchr(s, '=')) != NULL)
		execmatch_git_def(g, s, (size_t)(eq - s),
		    execmatch_getenv(g->envp, eq + 1));
}

/*
 * One word of GIT_CONFIG_PARAMETERS, shell single-quoted by git
 * (sq_quote: 'a'\''b'), up to a blank or an unquoted '='; NULL when bad.
 */
static char *
execmatch_git_sq(const char **sp)
{
	const char	*s = *sp;
	char		*out, *o;

	o = out = xmalloc(strlen(s) + 1);
	for (;;) {
		if (*s == '\'') {
			for (s++; *s != '\0' && *s != '\''; s++)
				*o++ = *s;
			if (*s++ != '\'') {
				free(out);
				return (NULL);
			}
		} else if (*s == '\\' && s[1] != '\0') {
			*o++ = s[1];
			s += 2;
		} else
			break;
	}
	*o = '\0';
	*sp = s;
	return (out);
}

/* The configuration git children inherit: GIT_CONFIG_PARAMETERS & co. */
static void
execmatch_git_env(struct execpol_git *g)
{
	const char	*s, *v;
	char		*key, *val, name[40], *end;
	unsigned long	 n, i;

	if ((s = execmatch_getenv(g->envp, "GIT_CONFIG_PARAMETERS")) != NULL) {
		for (;;) {
			while (*s == ' ' || *s == '\t' || *s == '\n')
				s++;
			if (*s == '\0' || (key = execmatch_git_sq(&s)) == NULL)
				break;
			if (*s == '=') {
				s++;
				if ((val = execmatch_git_sq(&s)) == NULL) {
					free(key);
					break;
				}
				execmatch_git_def(g, key, strlen(key), val);
				free(val);
			} else
				execmatch_git_c(g, key);	/* 'key=value' */
			free(key);
			if (*s != ' ' && *s != '\t' && *s != '\n')
				break;
		}
	}
	if ((s = execmatch_getenv(g->envp, "GIT_CONFIG_COUNT")) == NULL)
		return;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > EXECPOL_GIT_ENV)
		n = EXECPOL_GIT_ENV;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "GIT_CONFIG_KEY_%lu", i);
		if ((s = execmatch_getenv(g->envp, name)) == NULL)
			continue;
		snprintf(name, sizeof name, "GIT_CONFIG_VALUE_%lu", i);
		v = execmatch_getenv(g->envp, name);
		execmatch_git_def(g, s, strlen(s), v != NULL ? v : "");
	}
}

/* An alias's words as git splits them (split_cmdline: quotes, \). */
static char **
execmatch_git_split(const char *s)
{
	char	**v, *w, *o;
	size_t	  n = 0;
	char	  q;

	v = xcalloc(strlen(s) / 2 + 2, sizeof *v);
	w = xmalloc(strlen(s) + 1);
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		o = w;
		q = 0;
		for (; *s != '\0' && (q != 0 || !isspace((unsigned char)*s));
		    s++) {
			if (q == 0 && (*s == '\'' || *s == '"'))
				q = *s;
			else if (q != 0 && *s == q)
				q = 0;
			else if (*s == '\\' && q != '\'' && s[1] != '\0')
				*o++ = *++s;
			else
				*o++ = *s;
		}
		*o = '\0';
		v[n++] = xstrdup(w);
	}
	free(w);
	return (v);
}

/*
 * A command line's words as a shell splits simple ones (quotes and
 * backslashes, nothing expanded), NULL-terminated; git's own splitting.
 */
char **
execmatch_split(const char *s)
{
	return (execmatch_git_split(s));
}

/* Keep one reading: "git", then args[from..n). */
static void
execmatch_git_add(struct execpol_git *g, char *const *args, size_t from,
    size_t n, const char *sub)
{
	char	**v;
	size_t	  i, k = 0;

	if (g->nout == EXECPOL_GIT_READINGS) {
		g->overflow = 1;
		return;
	}
	v = xcalloc(n - from + 2, sizeof *v);
	v[k++] = xstrdup("git");
	for (i = from; i < n; i++)
		v[k++] = xstrdup(i == from && sub != NULL ? sub : args[i]);
	g->out = xrealloc(g->out, (g->nout + 2) * sizeof *g->out);
	g->out[g->nout++] = v;
	g->out[g->nout] = NULL;
}

static void	execmatch_git_parse(struct execpol_git *, char *const *, size_t,
		    int, int);

/* The subcommand at args[i] is an alias given to git: read its words. */
static void
execmatch_git_alias(struct execpol_git *g, char *const *args, size_t i,
    size_t n, int depth, int unknown)
{
	const char	*key, *val;
	char		**words, **next;
	size_t		  d, nw, k;

	if (depth == EXECPOL_GIT_DEPTH)
		return;
	for (d = 0; d < g->ndefs; d++) {
		key = g->defs[d];
		if (strncasecmp(key, "alias.", 6) != 0)
			continue;
		key += 6;
		val = strchr(key, '=') + 1;
		if ((size_t)(val - 1 - key) != strlen(args[i]) ||
		    strncasecmp(key, args[i], strlen(args[i])) != 0)
			continue;
		/* "!cmd" runs a shell: that exec is seen on its own. */
		if (*val == '!' || *val == '\0')
			continue;
		words = execmatch_git_split(val);
		nw = strv_len(words);
		next = xcalloc(nw + n - i, sizeof *next);
		for (k = 0; k < nw; k++)
			next[k] = words[k];
		for (k = i + 1; k < n; k++)
			next[nw + k - i - 1] = args[k];
		execmatch_git_parse(g, next, nw + n - i - 1, depth + 1,
		    unknown);
		free(next);
		strv_free(words);
	}
}

/* Skip git's global options in args[0..n), then keep the reading. */
static void
execmatch_git_parse(struct execpol_git *g, char *const *args, size_t n,
    int depth, int unknown)
{
	const char	*a, *eq, *sub = NULL;
	char		 opt[32];
	size_t		 i = 0;

	if (++g->steps > EXECPOL_GIT_STEPS) {
		g->overflow = 1;
		return;
	}
	while (i < n && args[i][0] == '-') {
		a = args[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			sub = "help";
			break;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
			sub = "version";
			break;
		}
		if (execmatch_in(execpol_git_exit, a) ||
		    strncmp(a, "--list-cmds=", 12) == 0)
			return;
		if (strncmp(a, "--exec-path=", 12) == 0 ||
		    execmatch_in(execpol_git_flag, a)) {
			i++;
			continue;
		}
		if (execmatch_in(execpol_git_arg, a)) {
			if (i + 1 == n)
				return;		/* git: usage */
			if (strcmp(a, "-c") == 0)
				execmatch_git_c(g, args[i + 1]);
			else if (strcmp(a, "--config-env") == 0)
				execmatch_git_config_env(g, args[i + 1]);
			i += 2;
			continue;
		}
		if ((eq = strchr(a, '=')) != NULL && a[1] == '-' &&
		    (size_t)(eq - a) < sizeof opt) {
			memcpy(opt, a, (size_t)(eq - a));
			opt[eq - a] = '\0';
			if (execmatch_in(execpol_git_arg, opt)) {
				if (strcmp(opt, "--config-env") == 0)
					execmatch_git_config_env(g, eq + 1);
				i++;
				continue;
			}
		}
		/*
		 * Not an option this git knows: it stops with a usage
		 * error. A newer git might take it with an argument.
		 */
		if (!unknown && i + 2 <= n)
			execmatch_git_parse(g, args + i + 2, n - i - 2, depth, 1);
		unknown = 1;
		i++;
	}
	execmatch_git_add(g, args, i, n, sub);
	if (i < n && sub == NULL)
		execmatch_git_alias(g, args, i, n, depth, unknown);
}

/*
 * The ways git reads argv (the program is git): NULL-terminated argv
 * vectors "git <subcommand> <arguments>", none when git stops before any
 * command; envp is its environment (NULL-terminated, or NULL). NULL when
 * there are too many ways to tell.
 */
char ***
execmatch_git_readings(char *const *argv, size_t argc, char *const *envp)
{
	struct execpol_git	 g;
	const char		*name;
	size_t			 i;

	memset(&g, 0, sizeof g);
	g.envp = envp;
	g.out = xcalloc(1, sizeof *g.out);
	name = argc > 0 ? execmatch_base(argv[0]) : "";
	if (strncmp(name, "git-", 4) == 0 && name[4] != '\0')
		/* git-<cmd>: the builtin, no options, no alias. */
		execmatch_git_add(&g, argv, 0, argc, name + 4);
	else {
		execmatch_git_env(&g);
		execmatch_git_parse(&g, argc > 0 ? argv + 1 : argv,
		    argc > 0 ? argc - 1 : 0, 0, 0);
	}
	for (i = 0; i < g.ndefs; i++)
		free(g.defs[i]);
	free(g.defs);
	if (g.overflow) {
		execmatch_git_free(g.out);
		return (NULL);
	}
	return (g.out);
}

void
execmatch_git_free(char ***r)
{
	size_t	i;

	for (i = 0; r != NULL && r[i] != NULL; i++)
		strv_free(r[i]);
	free(r);
}

/* The risk of a category ("medium" for one not built in). */
const char *
execmatch_risk(const char *category)
{
	size_t	i;

	for (i = 0; i < nitems(execpol_categories); i++)
		if (strcmp(execpol_categories[i].category, category) == 0)
			return (execpol_categories[i].risk);
	return ("medium");
}

const char *const *
execmatch_default_patterns(const char *category)
{
	size_t	i;

	for (i = 0; i < nitems(execpol_categories); i++)
		if (strcmp(execpol_categories[i].category, category) == 0)
			return (execpol_categories[i].patterns);
	return (NULL);
}

const char *const *
execmatch_default_tests(void)
{
	return (execpol_tests);
}

/*
 * The programs x is matched as: the file run and, when it is a known
 * program, the names patterns gave it (only those when strict: a copy of
 * git named ls is not ls); plus "git" for git's readings.
 */
const char **
execmatch_progs(const struct execpol_exec *x, int strict, int git)
{
	const char	**v;
	size_t		  n = 0, i;

	v = xcalloc(strv_len(x->names) + 3, sizeof *v);
	if (x->names == NULL || !strict)
		v[n++] = x->path;
	for (i = 0; x->names != NULL && x->names[i] != NULL; i++)
		v[n++] = x->names[i];
	if (git)
		v[n++] = "git";
	return (v);
}

/*
 * The first of patterns that matches x, or NULL: as run (argv), or as
 * git reads it, under any of its names.
 */
const char *
execmatch_find(char **patterns, const struct execpol_exec *x)
{
	const char	**progs, **gprogs, *found = NULL;
	size_t		  i, j;

	progs = execmatch_progs(x, 0, 0);
	gprogs = execmatch_progs(x, 0, 1);
	for (i = 0; found == NULL && patterns != NULL && patterns[i] != NULL;
	    i++) {
		if (execmatch_match_as(patterns[i], progs, x->argv, x->argc))
			found = patterns[i];
		for (j = 0; found == NULL && x->git != NULL &&
		    x->git[j] != NULL; j++)
			if (execmatch_match_as(patterns[i], gprogs, x->git[j],
			    strv_len(x->git[j])))
				found = patterns[i];
	}
	free(progs);
	free(gprogs);
	return (found);
}

/*
 * Whether the allowlist lets x run: every way git could read it (or its
 * argv) matches a pattern, under the program's own names.
 */
int
execmatch_allowed(char **patterns, const struct execpol_exec *x)
{
	const char	**progs;
	char *const	 *argv;
	size_t		  i, j, argc;
	int		  ok = 1;

	progs = execmatch_progs(x, 1, x->git != NULL);
	for (j = 0; ok; j++) {
		if (x->git != NULL && x->git[0] != NULL) {
			if ((argv = x->git[j]) == NULL)
				break;
			argc = strv_len(x->git[j]);
		} else {
			if (j > 0)
				break;
			argv = x->argv;
			argc = x->argc;
		}
		for (i = 0; patterns[i] != NULL; i++)
			if (execmatch_match_as(patterns[i], progs, argv, argc))
				break;
		ok = patterns[i] != NULL;
	}
	free(progs);
	return (ok);
}

/* Whether s is already one of v's first n entries. */
static int
execmatch_has(struct execpol_gate *v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].category, s) == 0)
			return (1);
	return (0);
}

/* A copy of a NULL-terminated vector of constant strings. */
char **
execmatch_strv(const char *const *v)
{
	char	**out;
	size_t	  i, n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	out = xcalloc(n + 1, sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return (out);
}

/* The gated categories: requiresApprovalFor, with config or built-in. */
void
execmatch_gates(struct execpol *ep, const struct execpol_params *pp)
{
	struct json_object	*v;
	struct execpol_gate	*g;
	const char		*c;
	char			**pat;
	size_t			 i, j, n = strv_len(pp->categories);

	ep->gates = xcalloc(n + 1, sizeof *ep->gates);
	for (i = 0; i < n; i++) {
		c = pp->categories[i];
		if (execmatch_has(ep->gates, ep->ngates, c))
			continue;
		if (pp->patterns != NULL &&
		    json_object_object_get_ex(pp->patterns, c, &v))
			pat = strv_from_json(v);
		else
			pat = execmatch_strv(execmatch_default_patterns(c));
		if (pat == NULL || pat[0] == NULL) {
			strv_free(pat);
			continue;
		}
		g = &ep->gates[ep->ngates++];
		g->category = xstrdup(c);
		g->patterns = pat;
		g->risk = "medium";
		for (j = 0; j < nitems(execpol_categories); j++)
			if (strcmp(execpol_categories[j].category, c) == 0)
				g->risk = execpol_categories[j].risk;
	}
}

/*
 * The CLI's own files: the file it runs as (by device and inode, however
 * it is named: /proc/self/exe too), and, for an npm install, its package
 * directory and the platform packages beside it (@openai/codex-linux-x64
 * holds codex's binary and its rg). Elsewhere only the file itself.
 */
void
execmatch_own_set(struct execpol *ep, const char *cli)
{
	struct stat	 sb;
	char		*real, *p, *nm = NULL, *end;

	if (cli == NULL || *cli == '\0')
		return;
	ep->cli = xstrdup(cli);
	if ((real = realpath(cli, NULL)) == NULL)
		return;
	if (stat(real, &sb) == 0) {
		ep->cli_dev = sb.st_dev;
		ep->cli_ino = sb.st_ino;
	}
	for (p = real; (p = strstr(p, "/node_modules/")) != NULL; p++)
		nm = p + strlen("/node_modules/");
	if (nm != NULL && *nm != '\0') {
		end = strchr(nm, '/');
		if (*nm == '@' && end != NULL)
			end = strchr(end + 1, '/');
		if (end != NULL) {
			*end = '\0';
			ep->cli_dirs = xcalloc(3, sizeof *ep->cli_dirs);
			ep->cli_dirs[0] = xasprintf("%s/", real);
			ep->cli_dirs[1] = xasprintf("%s-", real);
		}
	}
	free(real);
}

/* Whether path is one of the CLI's own files by name. */
static int
execmatch_own_path(const struct execpol *ep, const char *path)
{
	size_t	i;

	if (path == NULL)
		return (0);
	if (ep->cli != NULL && strcmp(path, ep->cli) == 0)
		return (1);
	for (i = 0; ep->cli_dirs != NULL && ep->cli_dirs[i] != NULL; i++)
		if (strncmp(path, ep->cli_dirs[i],
		    strlen(ep->cli_dirs[i])) == 0 &&
		    strstr(path, "/../") == NULL)
			return (1);
	return (0);
}

int
execmatch_own(const struct execpol *ep, const struct execpol_exec *x)
{
	char	*real;
	int	 own;

	if (ep->cli == NULL)
		return (0);
	if (ep->cli_ino != 0 && x->ino == ep->cli_ino &&
	    x->dev == ep->cli_dev)
		return (1);
	if (execmatch_own_path(ep, x->path))
		return (1);
	/* The sandbox shows the install at the same path as the host. */
	if (x->path == NULL || (real = realpath(x->path, NULL)) == NULL)
		return (0);
	own = execmatch_own_path(ep, real);
	free(real);
	return (own);
}
