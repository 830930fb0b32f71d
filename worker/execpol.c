/*
 * Exec policy: every execve and execveat of the agent's process tree stops
 * in the kernel (seccomp user notification, SCMP_ACT_NOTIFY) until the
 * worker answers. The worker reads the program and argv from the target's
 * memory, then lets it run (SECCOMP_USER_NOTIF_FLAG_CONTINUE), fails it
 * with EACCES (shell deny or allow list), or holds it for a human's
 * approval (gated categories). Allowed test runners are followed to their
 * exit for TEST_RUN_STARTED and TEST_RUN_FINISHED.
 *
 * What this can and cannot guarantee. The kernel reads the pathname and
 * argv again when the exec proceeds after CONTINUE, so a program with a
 * second thread (or shared memory) can change them between our check and
 * the real exec; it can also copy or rename a binary to dodge a name, or
 * do the same work without exec at all (a shell builtin, an interpreter, a
 * library call). This is a policy layer for a cooperative agent that makes
 * mistakes, not a security boundary: the sandbox (namespaces, Landlock,
 * seccomp deny rules, cgroup) is the boundary.
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

#include "conf.h"
#include "event.h"
#include "execpol.h"
#include "log.h"
#include "redact.h"
#include "utf8.h"
#include "util.h"

#define EXECPOL_LINE_MAX	1024	/* bytes of a displayed command line */
#define EXECPOL_TAIL		(16 * 1024)	/* output kept for summaries */
#define EXECPOL_SETTLE_MS	250	/* output after a test run's exit */
#define EXECPOL_CHUNK		256	/* reads of the target's strings */
#define EXECPOL_DEPTH		64	/* parents walked for nested runs */
#define EXECPOL_NLBUF		8192
#define EXECPOL_VERDICTS	8	/* refusals remembered */
#define EXECPOL_VERDICT_MS	5000	/* for so long */
#define EXECPOL_ENV_MAX		8192	/* environment entries read */
#define EXECPOL_HASH_MAX	(64 * 1024 * 1024) /* bytes of a program hashed */
#define EXECPOL_HASH_CACHE	64	/* hashes of unknown files kept */
#define EXECPOL_KNOWN_MAX	4096	/* files of programs patterns name */
#define EXECPOL_PATH		"/usr/local/bin:/usr/bin:/bin"
#define EXECPOL_GRANTS		8	/* approved git commands remembered */

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

/* An exec as the target asked for it. */
struct execpol_exec {
	pid_t		  pid;
	char		 *path;		/* absolute when it could be resolved */
	char		**argv;		/* NULL-terminated */
	size_t		  argc;
	int		  truncated;	/* past the bounds */
	char		 *cwd;		/* or NULL */
	char		 *line;		/* for humans: redacted, valid UTF-8 */
	int		  missing;	/* why the kernel will refuse, or 0 */
	char		**names;	/* known program: its names (borrowed) */
	char		***git;		/* git: its readings, or NULL */
	int		  git_unsure;	/* git: too many readings to tell */
};

/* A program file as the kernel runs it (execpol_identify). */
struct execpol_file {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct timespec	 ctime;
	int		 hashed;	/* 1 done, -1 cannot, 0 not yet */
	unsigned char	 sha[SHA256_DIGEST_LENGTH];
	char		*path;		/* known programs: in the target's root */
	char		**names;	/* known programs: patterns' names */
};

/* A refusal remembered for the same process trying the same again. */
struct execpol_verdict {
	struct execpol_exec	*x;
	int			 error;
	int64_t			 at;
};

/* A gated category and its patterns. */
struct execpol_gate {
	char		 *category;
	const char	 *risk;
	char		**patterns;
};

/*
 * A git command a human allowed. git runs an alias of a builtin as a new
 * exec of "git <builtin> ..." (git.c run_argv): that exec, under the
 * approved one and the same as one of its readings, is not asked again.
 */
struct execpol_grant {
	pid_t			  pid;		/* the thread group */
	unsigned long long	  start;	/* its start time: not reused */
	const struct execpol_gate *gate;
	char			***readings;	/* owned */
};

/* An exec held until a human answers. */
struct execpol_hold {
	uint64_t		 id;	/* the notification; new after a restart */
	char			 approval[37];
	int			 requested;	/* APPROVAL_REQUESTED sent */
	const struct execpol_gate *gate;
	char			*pattern;
	struct execpol_exec	*x;
	TAILQ_ENTRY(execpol_hold) entry;
};

/* A test run, from its exec to its exit and a little output after. */
struct execpol_run {
	struct execpol		*ep;
	pid_t			 pid;	/* the thread group */
	char			*command;
	struct json_object	*files;
	int64_t			 start_ms;
	int64_t			 end_ms;
	uint64_t		 out_start;	/* its output: from here */
	uint64_t		 out_end;	/* to here, once closed */
	int			 closed;
	int			 pidfd;
	struct event		*exit_ev;	/* pidfd readable */
	struct event		*settle_ev;
	int			 exited;
	int			 has_status;
	int			 status;
	TAILQ_ENTRY(execpol_run) entry;
};

/* The escape-sequence stripper of the output kept for summaries. */
enum execpol_esc {
	XESC_NONE,
	XESC_ESC,
	XESC_CSI,
	XESC_STR,
	XESC_STR_ESC
};

struct execpol {
	struct event_base		*base;
	int				 fd;
	struct event			*ev;
	struct seccomp_notif		*req;
	struct seccomp_notif_resp	*resp;
	int				 own_alloc;
	struct execpol_cb		 cb;

	char				*session_id;
	char				**allow;
	char				**deny;
	struct execpol_gate		*gates;
	size_t				 ngates;
	char				**tests;
	int64_t				 timeout_ms;
	struct redact			*redact;

	int				 seen_first;
	struct execpol_file		*known;
	size_t				 nknown;
	struct execpol_file		 cache[EXECPOL_HASH_CACHE];
	size_t				 nextc;
	size_t				 hashes;	/* files hashed */
	int				 finished;
	int				 mem_alert;	/* once */
	struct execpol_verdict		 verdicts[EXECPOL_VERDICTS];
	struct execpol_grant		 grants[EXECPOL_GRANTS];
	size_t				 nextg;
	size_t				 nextv;
	TAILQ_HEAD(, execpol_hold)	 holds;
	TAILQ_HEAD(, execpol_run)	 runs;

	int				 nl_fd;	/* proc connector */
	struct event			*nl_ev;
	int				 nl_failed;

	char				*tail;
	size_t				 tail_len;
	uint64_t			 out_total;
	enum execpol_esc		 esc;
};

static void	execpol_run_end(struct execpol_run *);
static int	execpol_match_as(const char *, const char *const *,
		    char *const *, size_t);

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
static char *
execpol_alt_end(char *p)
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
static const char *
execpol_base(const char *s)
{
	const char	*p;

	return ((p = strrchr(s, '/')) != NULL ? p + 1 : s);
}

/* Whether word (a writable copy) matches s: the program, or an argument. */
static int
execpol_word(char *word, const char *s, int program)
{
	char	*alt, *end, save;
	int	 slash, m;

	for (alt = word;; alt = end + 1) {
		end = execpol_alt_end(alt);
		save = *end;
		*end = '\0';
		slash = strchr(alt, '/') != NULL;
		if (program)
			m = fnmatch(alt, slash ? s : execpol_base(s), 0) == 0;
		else
			m = fnmatch(alt, s, 0) == 0 || (!slash &&
			    fnmatch(alt, execpol_base(s), 0) == 0);
		*end = save;
		if (m)
			return (1);
		if (save == '\0')
			return (0);
	}
}

/* Whether pattern matches the program at path run with argv. */
int
execpol_match(const char *pattern, const char *path, char *const *argv,
    size_t argc)
{
	const char	*progs[2] = { path, NULL };

	if (path == NULL)
		return (0);
	return (execpol_match_as(pattern, progs, argv, argc));
}

/*
 * Whether pattern matches argv run as any of progs (the file run and the
 * names it is known by); the words are walked once over the set of
 * argument positions reachable so far, so a pattern with many "..." costs
 * words x arguments, never more.
 */
static int
execpol_match_as(const char *pattern, const char *const *progs,
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
		if (execpol_word(words[0], progs[i], 1))
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
				    execpol_word(words[i], argv[a], 0))
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
static int
execpol_in(const char *const *v, const char *s)
{
	for (; *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return (1);
	return (0);
}

/* The value of name in envp, or NULL. */
static const char *
execpol_getenv(char *const *envp, const char *name)
{
	size_t	len = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return (*envp + len + 1);
	return (NULL);
}

/* Remember one "key=value" of configuration given to git. */
static void
execpol_git_def(struct execpol_git *g, const char *key, size_t klen,
    const char *value)
{
	if (value == NULL)
		return;
	g->defs = xrealloc(g->defs, (g->ndefs + 1) * sizeof *g->defs);
	g->defs[g->ndefs++] = xasprintf("%.*s=%s", (int)klen, key, value);
}

/* -c name=value (no '=': a boolean, never an alias). */
static void
execpol_git_c(struct execpol_git *g, const char *s)
{
	const char	*eq;

	if ((eq = strchr(s, '=')) != NULL)
		execpol_git_def(g, s, (size_t)(eq - s), eq + 1);
}

/* --config-env name=ENVVAR: the value is the variable's. */
static void
execpol_git_config_env(struct execpol_git *g, const char *s)
{
	const char	*eq;

	if ((eq = strrchr(s, '=')) != NULL)
		execpol_git_def(g, s, (size_t)(eq - s),
		    execpol_getenv(g->envp, eq + 1));
}

/*
 * One word of GIT_CONFIG_PARAMETERS, shell single-quoted by git
 * (sq_quote: 'a'\''b'), up to a blank or an unquoted '='; NULL when bad.
 */
static char *
execpol_git_sq(const char **sp)
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
execpol_git_env(struct execpol_git *g)
{
	const char	*s, *v;
	char		*key, *val, name[40], *end;
	unsigned long	 n, i;

	if ((s = execpol_getenv(g->envp, "GIT_CONFIG_PARAMETERS")) != NULL) {
		for (;;) {
			while (*s == ' ' || *s == '\t' || *s == '\n')
				s++;
			if (*s == '\0' || (key = execpol_git_sq(&s)) == NULL)
				break;
			if (*s == '=') {
				s++;
				if ((val = execpol_git_sq(&s)) == NULL) {
					free(key);
					break;
				}
				execpol_git_def(g, key, strlen(key), val);
				free(val);
			} else
				execpol_git_c(g, key);	/* 'key=value' */
			free(key);
			if (*s != ' ' && *s != '\t' && *s != '\n')
				break;
		}
	}
	if ((s = execpol_getenv(g->envp, "GIT_CONFIG_COUNT")) == NULL)
		return;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > EXECPOL_GIT_ENV)
		n = EXECPOL_GIT_ENV;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "GIT_CONFIG_KEY_%lu", i);
		if ((s = execpol_getenv(g->envp, name)) == NULL)
			continue;
		snprintf(name, sizeof name, "GIT_CONFIG_VALUE_%lu", i);
		v = execpol_getenv(g->envp, name);
		execpol_git_def(g, s, strlen(s), v != NULL ? v : "");
	}
}

/* An alias's words as git splits them (split_cmdline: quotes, \). */
static char **
execpol_git_split(const char *s)
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

/* Keep one reading: "git", then args[from..n). */
static void
execpol_git_add(struct execpol_git *g, char *const *args, size_t from,
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

static void	execpol_git_parse(struct execpol_git *, char *const *, size_t,
		    int, int);

/* The subcommand at args[i] is an alias given to git: read its words. */
static void
execpol_git_alias(struct execpol_git *g, char *const *args, size_t i,
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
		words = execpol_git_split(val);
		nw = strv_len(words);
		next = xcalloc(nw + n - i, sizeof *next);
		for (k = 0; k < nw; k++)
			next[k] = words[k];
		for (k = i + 1; k < n; k++)
			next[nw + k - i - 1] = args[k];
		execpol_git_parse(g, next, nw + n - i - 1, depth + 1,
		    unknown);
		free(next);
		strv_free(words);
	}
}

/* Skip git's global options in args[0..n), then keep the reading. */
static void
execpol_git_parse(struct execpol_git *g, char *const *args, size_t n,
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
		if (execpol_in(execpol_git_exit, a) ||
		    strncmp(a, "--list-cmds=", 12) == 0)
			return;
		if (strncmp(a, "--exec-path=", 12) == 0 ||
		    execpol_in(execpol_git_flag, a)) {
			i++;
			continue;
		}
		if (execpol_in(execpol_git_arg, a)) {
			if (i + 1 == n)
				return;		/* git: usage */
			if (strcmp(a, "-c") == 0)
				execpol_git_c(g, args[i + 1]);
			else if (strcmp(a, "--config-env") == 0)
				execpol_git_config_env(g, args[i + 1]);
			i += 2;
			continue;
		}
		if ((eq = strchr(a, '=')) != NULL && a[1] == '-' &&
		    (size_t)(eq - a) < sizeof opt) {
			memcpy(opt, a, (size_t)(eq - a));
			opt[eq - a] = '\0';
			if (execpol_in(execpol_git_arg, opt)) {
				if (strcmp(opt, "--config-env") == 0)
					execpol_git_config_env(g, eq + 1);
				i++;
				continue;
			}
		}
		/*
		 * Not an option this git knows: it stops with a usage
		 * error. A newer git might take it with an argument.
		 */
		if (!unknown && i + 2 <= n)
			execpol_git_parse(g, args + i + 2, n - i - 2, depth, 1);
		unknown = 1;
		i++;
	}
	execpol_git_add(g, args, i, n, sub);
	if (i < n && sub == NULL)
		execpol_git_alias(g, args, i, n, depth, unknown);
}

/*
 * The ways git reads argv (the program is git): NULL-terminated argv
 * vectors "git <subcommand> <arguments>", none when git stops before any
 * command; envp is its environment (NULL-terminated, or NULL). NULL when
 * there are too many ways to tell.
 */
char ***
execpol_git_readings(char *const *argv, size_t argc, char *const *envp)
{
	struct execpol_git	 g;
	const char		*name;
	size_t			 i;

	memset(&g, 0, sizeof g);
	g.envp = envp;
	g.out = xcalloc(1, sizeof *g.out);
	name = argc > 0 ? execpol_base(argv[0]) : "";
	if (strncmp(name, "git-", 4) == 0 && name[4] != '\0')
		/* git-<cmd>: the builtin, no options, no alias. */
		execpol_git_add(&g, argv, 0, argc, name + 4);
	else {
		execpol_git_env(&g);
		execpol_git_parse(&g, argc > 0 ? argv + 1 : argv,
		    argc > 0 ? argc - 1 : 0, 0, 0);
	}
	for (i = 0; i < g.ndefs; i++)
		free(g.defs[i]);
	free(g.defs);
	if (g.overflow) {
		execpol_git_free(g.out);
		return (NULL);
	}
	return (g.out);
}

void
execpol_git_free(char ***r)
{
	size_t	i;

	for (i = 0; r != NULL && r[i] != NULL; i++)
		strv_free(r[i]);
	free(r);
}

const char *const *
execpol_default_patterns(const char *category)
{
	size_t	i;

	for (i = 0; i < nitems(execpol_categories); i++)
		if (strcmp(execpol_categories[i].category, category) == 0)
			return (execpol_categories[i].patterns);
	return (NULL);
}

const char *const *
execpol_default_tests(void)
{
	return (execpol_tests);
}

/*
 * The programs x is matched as: the file run and, when it is a known
 * program, the names patterns gave it (only those when strict: a copy of
 * git named ls is not ls); plus "git" for git's readings.
 */
static const char **
execpol_progs(const struct execpol_exec *x, int strict, int git)
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
static const char *
execpol_find(char **patterns, const struct execpol_exec *x)
{
	const char	**progs, **gprogs, *found = NULL;
	size_t		  i, j;

	progs = execpol_progs(x, 0, 0);
	gprogs = execpol_progs(x, 0, 1);
	for (i = 0; found == NULL && patterns != NULL && patterns[i] != NULL;
	    i++) {
		if (execpol_match_as(patterns[i], progs, x->argv, x->argc))
			found = patterns[i];
		for (j = 0; found == NULL && x->git != NULL &&
		    x->git[j] != NULL; j++)
			if (execpol_match_as(patterns[i], gprogs, x->git[j],
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
static int
execpol_allowed(char **patterns, const struct execpol_exec *x)
{
	const char	**progs;
	char *const	 *argv;
	size_t		  i, j, argc;
	int		  ok = 1;

	progs = execpol_progs(x, 1, x->git != NULL);
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
			if (execpol_match_as(patterns[i], progs, argv, argc))
				break;
		ok = patterns[i] != NULL;
	}
	free(progs);
	return (ok);
}

/*
 * Test runner summaries. Each recognised line updates the tally of its
 * runner; the runner whose tally changed last in the text wins, since the
 * summary that matters is the one printed at the end.
 */
enum execpol_fmt {
	FMT_PYTEST,
	FMT_CARGO,
	FMT_GO_TESTS,
	FMT_GO_PKGS,
	FMT_TAP,
	FMT_AUTOMAKE,
	FMT_JEST,
	FMT_VITEST,
	FMT_MOCHA,
	FMT_CHECK,
	FMT_CTEST,
	FMT_MAVEN,
	FMT_UNITTEST,
	FMT__COUNT
};

struct execpol_tally {
	int	seen;
	size_t	at;		/* offset of the line that changed it */
	long	passed;
	long	failed;
	long	skipped;
};

/* Saturating a + b, both >= 0, at most INT_MAX. */
static long
execpol_add(long a, long b)
{
	return (a > INT_MAX - b ? INT_MAX : a + b);
}

/* A decimal number at *sp (saturating at INT_MAX); 1 when there is one. */
static int
execpol_num(const char **sp, long *out)
{
	const char	*s = *sp;
	long		 n = 0;

	if (!isdigit((unsigned char)*s))
		return (0);
	for (; isdigit((unsigned char)*s); s++)
		n = n > (INT_MAX - 9) / 10 ? INT_MAX : n * 10 + (*s - '0');
	*sp = s;
	*out = n;
	return (1);
}

/* Skip blanks. */
static const char *
execpol_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (s);
}

/* If s starts with word, the rest of s; else NULL. */
static const char *
execpol_prefix(const char *s, const char *word)
{
	size_t	len = strlen(word);

	return (strncmp(s, word, len) == 0 ? s + len : NULL);
}

/* Which count a runner's word is: 'p', 'f', 's', or 0 for none. */
static int
execpol_kind(const char *w, size_t len)
{
	static const struct {
		const char	*word;
		int		 kind;
	} words[] = {
		{ "passed", 'p' }, { "passing", 'p' }, { "xpassed", 'p' },
		{ "failed", 'f' }, { "failing", 'f' }, { "error", 'f' },
		{ "errors", 'f' }, { "skipped", 's' }, { "ignored", 's' },
		{ "xfailed", 's' }, { "todo", 's' }, { "pending", 's' },
	};
	size_t	i;

	for (i = 0; i < nitems(words); i++)
		if (strlen(words[i].word) == len &&
		    strncmp(words[i].word, w, len) == 0)
			return (words[i].kind);
	return (0);
}

/*
 * Items "N word" separated by sep, as in "1 failed, 2 passed in 0.1s" or
 * "3 passed; 0 failed; 1 ignored": the number of items with a known word.
 */
static int
execpol_items(const char *s, const char *sep, struct execpol_tally *t)
{
	const char	*w;
	long		 n;
	int		 known = 0, k;

	t->passed = t->failed = t->skipped = 0;
	for (;;) {
		s = execpol_blank(s);
		if (!execpol_num(&s, &n))
			break;
		s = execpol_blank(s);
		for (w = s; isalpha((unsigned char)*s); s++)
			;
		if ((k = execpol_kind(w, (size_t)(s - w))) != 0)
			known++;
		if (k == 'p')
			t->passed = execpol_add(t->passed, n);
		else if (k == 'f')
			t->failed = execpol_add(t->failed, n);
		else if (k == 's')
			t->skipped = execpol_add(t->skipped, n);
		if ((s = strstr(s, sep)) == NULL)
			break;
		s += strlen(sep);
	}
	return (known);
}

/* "name: N" somewhere in s, as in "Checks: 5, Failures: 1". */
static int
execpol_field(const char *s, const char *name, long *out)
{
	const char	*p;

	if ((p = strstr(s, name)) == NULL)
		return (0);
	p = execpol_blank(p + strlen(name));
	return (execpol_num(&p, out));
}

/* "name=N" in a unittest result such as "FAILED (failures=1, errors=2)". */
static long
execpol_eq(const char *s, const char *name)
{
	const char	*p;
	long		 n = 0;

	if ((p = strstr(s, name)) != NULL) {
		p += strlen(name);
		(void)execpol_num(&p, &n);
	}
	return (n);
}

/* Set a tally from one summary line. */
static void
execpol_set(struct execpol_tally *t, size_t at, long p, long f, long s)
{
	t->seen = 1;
	t->at = at;
	t->passed = p < 0 ? 0 : p;
	t->failed = f < 0 ? 0 : f;
	t->skipped = s < 0 ? 0 : s;
}

/* Add one line's counts to a tally. */
static void
execpol_sum(struct execpol_tally *t, size_t at, long p, long f, long s)
{
	if (!t->seen)
		t->passed = t->failed = t->skipped = 0;
	t->seen = 1;
	t->at = at;
	t->passed = execpol_add(t->passed, p);
	t->failed = execpol_add(t->failed, f);
	t->skipped = execpol_add(t->skipped, s);
}

/* Whether s looks like the end of pytest's line: " in 0.12s". */
static int
execpol_pytest_end(const char *s)
{
	const char	*p;

	for (p = s; (p = strstr(p, " in ")) != NULL; p += 4)
		if (isdigit((unsigned char)p[4]))
			return (1);
	return (0);
}

/* One trimmed line at offset at: feed every runner's tally. */
static void
execpol_line(const char *s, size_t at, struct execpol_tally *t,
    long *unittest_ran)
{
	struct execpol_tally	 it;
	const char		*p;
	long			 a, b, c, d;
	int			 k;

	/* pytest: "=== 1 failed, 2 passed, 1 skipped in 0.12s ===". */
	for (p = s; *p == '=' || *p == ' '; p++)
		;
	if (isdigit((unsigned char)*p) && execpol_pytest_end(p) &&
	    execpol_items(p, ", ", &it) > 0) {
		execpol_set(&t[FMT_PYTEST], at, it.passed, it.failed,
		    it.skipped);
		return;
	}
	if (strncmp(p, "no tests ran in ", 16) == 0) {
		execpol_set(&t[FMT_PYTEST], at, 0, 0, 0);
		return;
	}
	/* cargo: "test result: ok. 3 passed; 0 failed; 1 ignored; ...". */
	if ((p = execpol_prefix(s, "test result: ")) != NULL &&
	    (p = strstr(p, ". ")) != NULL && execpol_items(p + 2, "; ",
	    &it) > 0) {
		execpol_sum(&t[FMT_CARGO], at, it.passed, it.failed,
		    it.skipped);
		return;
	}
	/* go test: "--- PASS: TestX (0.00s)", then "ok  \tpkg\t0.01s". */
	if ((p = execpol_prefix(s, "--- ")) != NULL) {
		if (strncmp(p, "PASS: ", 6) == 0)
			execpol_sum(&t[FMT_GO_TESTS], at, 1, 0, 0);
		else if (strncmp(p, "FAIL: ", 6) == 0)
			execpol_sum(&t[FMT_GO_TESTS], at, 0, 1, 0);
		else if (strncmp(p, "SKIP: ", 6) == 0)
			execpol_sum(&t[FMT_GO_TESTS], at, 0, 0, 1);
		return;
	}
	if (strncmp(s, "ok", 2) == 0 && (s[2] == ' ' || s[2] == '\t')) {
		p = execpol_blank(s + 2);
		if (isdigit((unsigned char)*p) || *p == '-' || *p == '#') {
			/* TAP: "ok 3 - name", "ok 4 # SKIP why". */
			k = strstr(p, "# SKIP") != NULL ||
			    strstr(p, "# skip") != NULL;
			execpol_sum(&t[FMT_TAP], at, !k, 0, k);
		} else if (*p != '\0' && (s[2] == '\t' || s[3] == ' ' ||
		    s[3] == '\t'))
			execpol_sum(&t[FMT_GO_PKGS], at, 1, 0, 0);
		return;
	}
	if (strcmp(s, "ok") == 0) {
		execpol_sum(&t[FMT_TAP], at, 1, 0, 0);
		return;
	}
	if ((p = execpol_prefix(s, "not ok")) != NULL &&
	    (*p == '\0' || *p == ' ')) {
		k = strstr(p, "# TODO") != NULL || strstr(p, "# todo") != NULL;
		execpol_sum(&t[FMT_TAP], at, 0, !k, k);
		return;
	}
	if (strncmp(s, "FAIL\t", 5) == 0) {
		execpol_sum(&t[FMT_GO_PKGS], at, 0, 1, 0);
		return;
	}
	/* automake: "# TOTAL: 5", "# PASS:  4", ..., "# ERROR: 0". */
	if ((p = execpol_prefix(s, "# ")) != NULL) {
		if (execpol_prefix(p, "TOTAL:") != NULL) {
			execpol_set(&t[FMT_AUTOMAKE], at, 0, 0, 0);
			return;
		}
		if (!t[FMT_AUTOMAKE].seen)
			return;
		if ((p = strchr(p, ':')) == NULL)
			return;
		p = execpol_blank(p + 1);
		if (!execpol_num(&p, &a))
			return;
		p = s + 2;
		if (strncmp(p, "PASS:", 5) == 0 || strncmp(p, "XFAIL:", 6) == 0)
			execpol_sum(&t[FMT_AUTOMAKE], at, a, 0, 0);
		else if (strncmp(p, "SKIP:", 5) == 0)
			execpol_sum(&t[FMT_AUTOMAKE], at, 0, 0, a);
		else if (strncmp(p, "FAIL:", 5) == 0 ||
		    strncmp(p, "XPASS:", 6) == 0 || strncmp(p, "ERROR:", 6) == 0)
			execpol_sum(&t[FMT_AUTOMAKE], at, 0, a, 0);
		return;
	}
	/* jest: "Tests:       1 failed, 1 skipped, 3 passed, 5 total". */
	if ((p = execpol_prefix(s, "Tests:")) != NULL &&
	    execpol_items(p, ", ", &it) > 0) {
		execpol_set(&t[FMT_JEST], at, it.passed, it.failed, it.skipped);
		return;
	}
	/* vitest: "Tests  1 failed | 2 passed (3)". */
	if ((p = execpol_prefix(s, "Tests ")) != NULL &&
	    execpol_items(p, " | ", &it) > 0) {
		execpol_set(&t[FMT_VITEST], at, it.passed, it.failed,
		    it.skipped);
		return;
	}
	/* mocha: "3 passing (12ms)", "1 failing", "2 pending". */
	p = s;
	if (execpol_num(&p, &a)) {
		if (strncmp(p, " passing", 8) == 0 && (p[8] == '\0' ||
		    p[8] == ' ')) {
			execpol_set(&t[FMT_MOCHA], at, a, 0, 0);
			return;
		}
		if (t[FMT_MOCHA].seen && strcmp(p, " failing") == 0) {
			execpol_sum(&t[FMT_MOCHA], at, 0, a, 0);
			return;
		}
		if (t[FMT_MOCHA].seen && strcmp(p, " pending") == 0) {
			execpol_sum(&t[FMT_MOCHA], at, 0, 0, a);
			return;
		}
	}
	/* Check: "100%: Checks: 12, Failures: 1, Errors: 0". */
	if (strstr(s, "%: Checks: ") != NULL &&
	    execpol_field(s, "Checks:", &a) &&
	    execpol_field(s, "Failures:", &b) &&
	    execpol_field(s, "Errors:", &c)) {
		execpol_set(&t[FMT_CHECK], at, a - b - c, execpol_add(b, c), 0);
		return;
	}
	/* ctest: "80% tests passed, 1 tests failed out of 5". */
	if ((p = strstr(s, "% tests passed, ")) != NULL) {
		p += 16;
		if (execpol_num(&p, &b) &&
		    (p = execpol_prefix(p, " tests failed out of ")) != NULL &&
		    execpol_num(&p, &a)) {
			execpol_set(&t[FMT_CTEST], at, a - b, b, 0);
			return;
		}
	}
	/* maven: "Tests run: 5, Failures: 1, Errors: 0, Skipped: 1". */
	if (strstr(s, "Tests run:") != NULL &&
	    strstr(s, "Time elapsed") == NULL &&
	    execpol_field(s, "Tests run:", &a) &&
	    execpol_field(s, "Failures:", &b) &&
	    execpol_field(s, "Errors:", &c) &&
	    execpol_field(s, "Skipped:", &d)) {
		execpol_set(&t[FMT_MAVEN], at, a - b - c - d, execpol_add(b, c),
		    d);
		return;
	}
	/* unittest: "Ran 4 tests in 0.01s", then "OK" or "FAILED (...)". */
	if ((p = execpol_prefix(s, "Ran ")) != NULL && execpol_num(&p, &a) &&
	    (strncmp(p, " tests in ", 10) == 0 ||
	    strncmp(p, " test in ", 9) == 0)) {
		*unittest_ran = a;
		return;
	}
	if (*unittest_ran >= 0 && (strncmp(s, "OK", 2) == 0 ||
	    strncmp(s, "FAILED (", 8) == 0) && (s[2] == '\0' ||
	    s[2] == ' ' || s[0] == 'F')) {
		b = execpol_add(execpol_eq(s, "failures="),
		    execpol_eq(s, "errors="));
		b = execpol_add(b, execpol_eq(s, "unexpected successes="));
		c = execpol_eq(s, "skipped=");
		execpol_set(&t[FMT_UNITTEST], at, *unittest_ran - b - c, b, c);
		*unittest_ran = -1;
	}
}

/*
 * The last test runner summary in text: 1 with the counts, or 0. Counts
 * a runner does not print (go's skipped packages, say) are 0.
 */
int
execpol_summary(const char *text, size_t len, int *passed, int *failed,
    int *skipped)
{
	struct execpol_tally	 t[FMT__COUNT];
	char			 line[1024];
	const char		*p, *end, *nl;
	size_t			 n, i, best = FMT__COUNT;
	long			 ran = -1;

	memset(t, 0, sizeof t);
	for (p = text, end = text + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		while (p < nl && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(nl - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof line || memchr(p, '\0', n) != NULL)
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		execpol_line(line, (size_t)(p - text), t, &ran);
	}
	/* go: the tests when -v listed them, else the packages. */
	if (t[FMT_GO_TESTS].seen)
		t[FMT_GO_PKGS].seen = 0;
	for (i = 0; i < FMT__COUNT; i++)
		if (t[i].seen && (best == FMT__COUNT || t[i].at >= t[best].at))
			best = i;
	if (best == FMT__COUNT)
		return (0);
	*passed = (int)(t[best].passed < 0 ? 0 : t[best].passed);
	*failed = (int)t[best].failed;
	*skipped = (int)t[best].skipped;
	return (1);
}

/* Read len bytes at addr of the target (fewer at the end of a mapping). */
static ssize_t
execpol_peek(int mem, uint64_t addr, void *buf, size_t len)
{
	ssize_t	n;

	if (addr > (uint64_t)INT64_MAX)
		return (-1);
	while ((n = pread(mem, buf, len, (off_t)addr)) == -1 && errno == EINTR)
		;
	return (n);
}

/*
 * A NUL-terminated string at addr, at most max bytes (then cut, and
 * *truncated set); NULL when unreadable.
 */
static char *
execpol_peek_str(int mem, uint64_t addr, size_t max, int *truncated)
{
	char	*s;
	size_t	 len = 0;
	ssize_t	 n;
	char	*nul;

	s = xmalloc(max + 1);
	while (len < max) {
		n = execpol_peek(mem, addr + len, s + len,
		    max - len < EXECPOL_CHUNK ? max - len : EXECPOL_CHUNK);
		if (n <= 0) {
			free(s);
			return (NULL);
		}
		if ((nul = memchr(s + len, '\0', (size_t)n)) != NULL) {
			len = (size_t)(nul - s);
			break;
		}
		len += (size_t)n;
	}
	if (len == max)
		*truncated = 1;
	s[len] = '\0';
	return (s);
}

/* What a /proc/<pid>/ link points to, or NULL. */
static char *
execpol_link(pid_t pid, const char *what)
{
	char	path[64], buf[PATH_MAX];
	ssize_t	n;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, what);
	if ((n = readlink(path, buf, sizeof buf - 1)) <= 0)
		return (NULL);
	buf[n] = '\0';
	return (xstrdup(buf));
}

static void
execpol_exec_free(struct execpol_exec *x)
{
	if (x == NULL)
		return;
	free(x->path);
	strv_free(x->argv);
	free(x->cwd);
	free(x->line);
	execpol_git_free(x->git);
	free(x);
}

/* Which exec a notification is (0 execve, 1 execveat, -1 neither). */
static int
execpol_which(const struct seccomp_notif *req, size_t *psize)
{
	uint32_t	arch = req->data.arch;
	int		nr = req->data.nr;

	*psize = (arch & __AUDIT_ARCH_64BIT) ? 8 : 4;
	/* x32 reports the x86_64 arch with its own bit in the number. */
	if (arch == AUDIT_ARCH_X86_64 && (nr & 0x40000000)) {
		arch = SCMP_ARCH_X32;
		*psize = 4;
	}
	if (nr == seccomp_syscall_resolve_name_arch(arch, "execve"))
		return (0);
	if (nr == seccomp_syscall_resolve_name_arch(arch, "execveat"))
		return (1);
	return (-1);
}

/* A cursor over a NULL-terminated pointer vector in the target's memory. */
struct execpol_vec {
	int		 mem;
	uint64_t	 addr;
	size_t		 psize;		/* 8, or 4 for a 32-bit caller */
	size_t		 done;		/* pointers taken */
	size_t		 have, i;	/* pointers in ptrs, the next one */
	unsigned char	 ptrs[32 * 8];
};

/* The vector's next pointer into *ptr (0 at its end); -1 if unreadable. */
static int
execpol_vec_next(struct execpol_vec *v, uint64_t *ptr)
{
	ssize_t		n;
	uint32_t	p32;

	if (v->i == v->have) {
		n = execpol_peek(v->mem, v->addr + v->done * v->psize, v->ptrs,
		    sizeof v->ptrs / 8 * v->psize);
		if (n < (ssize_t)v->psize)
			return (-1);
		v->have = (size_t)n / v->psize;
		v->i = 0;
	}
	if (v->psize == 8)
		memcpy(ptr, v->ptrs + v->i * 8, 8);
	else {
		memcpy(&p32, v->ptrs + v->i * 4, 4);
		*ptr = p32;
	}
	v->i++;
	v->done++;
	return (0);
}

/* Read the argv vector at addr into x, within the bounds. */
static int
execpol_peek_argv(int mem, uint64_t addr, size_t psize,
    struct execpol_exec *x)
{
	struct execpol_vec	 vec = { .mem = mem, .addr = addr,
				    .psize = psize };
	uint64_t		 ptr;
	size_t			 total = 0, want;
	char			*s;

	x->argv = xcalloc(EXECPOL_MAX_ARGS + 1, sizeof *x->argv);
	if (addr == 0)
		return (0);
	for (;;) {
		if (execpol_vec_next(&vec, &ptr) == -1)
			return (-1);
		if (ptr == 0)
			return (0);
		if (x->argc == EXECPOL_MAX_ARGS || total >= EXECPOL_MAX_TOTAL) {
			x->truncated = 1;
			return (0);
		}
		want = EXECPOL_MAX_TOTAL - total;
		if (want > EXECPOL_MAX_ARG)
			want = EXECPOL_MAX_ARG;
		if ((s = execpol_peek_str(mem, ptr, want, &x->truncated)) ==
		    NULL)
			return (-1);
		total += strlen(s) + 1;
		x->argv[x->argc++] = s;
	}
}

/*
 * The entries of the environment vector at addr that start with one of
 * want, NULL-terminated. *truncated when more than EXECPOL_ENV_MAX
 * entries or a kept one longer than EXECPOL_MAX_ARG could not all be read.
 */
static char **
execpol_peek_env(int mem, uint64_t addr, size_t psize,
    const char *const *want, int *truncated)
{
	struct execpol_vec	 vec = { .mem = mem, .addr = addr,
				    .psize = psize };
	uint64_t		 ptr;
	size_t			 n = 0, k;
	char			**v, *s;
	int			 cut;

	v = xcalloc(1, sizeof *v);
	while (addr != 0) {
		if (vec.done == EXECPOL_ENV_MAX) {
			*truncated = 1;
			break;
		}
		if (execpol_vec_next(&vec, &ptr) == -1 || ptr == 0)
			break;
		cut = 0;
		if ((s = execpol_peek_str(mem, ptr, EXECPOL_MAX_ARG, &cut)) ==
		    NULL)
			break;
		for (k = 0; want[k] != NULL; k++)
			if (strncmp(s, want[k], strlen(want[k])) == 0)
				break;
		if (want[k] == NULL) {
			free(s);
			continue;
		}
		if (cut)
			*truncated = 1;
		v = xrealloc(v, (n + 2) * sizeof *v);
		v[n++] = s;
		v[n] = NULL;
	}
	return (v);
}

/* A string for humans and events: secrets redacted, valid UTF-8. */
static char *
execpol_clean(struct execpol *ep, const char *s)
{
	struct utf8_carry	 carry = { { 0 }, 0 };
	struct evbuffer		*b;
	char			*r, *out;

	r = redact_string(ep->redact, s);
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	utf8_sanitize(&carry, (const unsigned char *)r, strlen(r), b);
	utf8_flush(&carry, b);
	out = xmalloc(evbuffer_get_length(b) + 1);
	out[evbuffer_remove(b, out, evbuffer_get_length(b))] = '\0';
	evbuffer_free(b);
	free(r);
	return (out);
}

/* The command line for humans: words quoted as a shell would need. */
static char *
execpol_line_of(struct execpol *ep, const struct execpol_exec *x)
{
	struct evbuffer	*b;
	const char	*w, *p;
	char		*c, *out;
	size_t		 i, n = x->argc > 0 ? x->argc : 1;
	int		 quote;

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	for (i = 0; i < n; i++) {
		w = x->argc > 0 ? x->argv[i] : x->path;
		c = execpol_clean(ep, w);
		quote = *c == '\0' || strpbrk(c, " \t\n'\"\\$`;&|<>()*?[]#~{}")
		    != NULL;
		if (i > 0)
			evbuffer_add(b, " ", 1);
		if (quote)
			evbuffer_add(b, "'", 1);
		for (p = c; *p != '\0'; p++) {
			if (*p == '\'' && quote)
				evbuffer_add(b, "'\\''", 4);
			else if ((unsigned char)*p < 0x20 || *p == 0x7f)
				evbuffer_add(b, "?", 1);
			else
				evbuffer_add(b, p, 1);
		}
		if (quote)
			evbuffer_add(b, "'", 1);
		free(c);
		if (evbuffer_get_length(b) > EXECPOL_LINE_MAX)
			break;
	}
	if (x->truncated || i < n)
		evbuffer_add(b, " \xe2\x80\xa6", 4);	/* an ellipsis */
	n = evbuffer_get_length(b);
	out = xmalloc(n + 1);
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	evbuffer_free(b);
	/* Cut at a character boundary past the limit. */
	if (n > EXECPOL_LINE_MAX + 8) {
		n = EXECPOL_LINE_MAX;
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;
		memcpy(out + n, "\xe2\x80\xa6", 4);
	}
	return (out);
}

/* Make a relative pathname absolute against dirfd or the target's cwd. */
static char *
execpol_resolve_path(const struct execpol_exec *x, const char *path,
    int which, int dirfd, int flags)
{
	char	 fd[32], *base, *abs;

	if (path[0] == '/')
		return (xstrdup(path));
	if (which == 1 && dirfd != AT_FDCWD) {
		snprintf(fd, sizeof fd, "fd/%d", dirfd);
		base = execpol_link(x->pid, fd);
	} else
		base = x->cwd != NULL ? xstrdup(x->cwd) : NULL;
	if (base == NULL)
		return (xstrdup(path));
	if (*path == '\0' && (flags & AT_EMPTY_PATH))
		return (base);
	abs = xasprintf("%s/%s", strcmp(base, "/") == 0 ? "" : base, path);
	free(base);
	return (abs);
}

/*
 * Programs by the file they run. When the policy starts, each program a
 * pattern names (git, rm, python3.*, /usr/bin/env) is looked up through
 * the agent's PATH in its own root; each file found is known by its
 * device and inode and, once a file of the same size turns up, by the
 * SHA-256 of its contents. An exec of a known file (a symlink, a hard
 * link or a copy under any name) is matched under the names patterns
 * gave it as well as its own. A file larger than EXECPOL_HASH_MAX is
 * known by device and inode only.
 */

/*
 * openat2(2): name as the target sees it, with rootfd as its root. A
 * rename racing the lookup makes it EAGAIN: tried again a few times.
 */
static int
execpol_open_in(int rootfd, const char *name, int flags)
{
	struct open_how	how;
	int		fd, tries = 0;

	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT;
	do
		fd = (int)syscall(SYS_openat2, rootfd, name, &how, sizeof how);
	while (fd == -1 && (errno == EAGAIN || errno == EINTR) &&
	    ++tries < 16);
	return (fd);
}

/*
 * The file an exec names, opened O_PATH as the kernel will resolve it for
 * the target: from its root, its cwd or dirfd, absolute symlinks inside
 * its root; -1 with errno. /proc/self and /proc/thread-self there are the
 * target's, not the worker's.
 */
static int
execpol_open(pid_t pid, const char *name, const char *cwd, int which,
    int dirfd, int flags)
{
	char	*path = NULL, *dir = NULL, *rel = NULL, fd[32];
	int	 o = O_PATH|O_CLOEXEC, rootfd, f = -1, saved;

	if (flags & AT_SYMLINK_NOFOLLOW)
		o |= O_NOFOLLOW;
	if (strcmp(name, "/proc/self") == 0 ||
	    strncmp(name, "/proc/self/", 11) == 0)
		path = xasprintf("/proc/%ld%s", (long)pid, name + 10);
	else if (strcmp(name, "/proc/thread-self") == 0 ||
	    strncmp(name, "/proc/thread-self/", 18) == 0)
		path = xasprintf("/proc/%ld%s", (long)pid, name + 17);
	else if (which == 1 && dirfd != AT_FDCWD && *name == '\0' &&
	    (flags & AT_EMPTY_PATH))
		path = xasprintf("/proc/%ld/fd/%d", (long)pid, dirfd);
	if (path != NULL) {
		f = open(path, o);
		goto out;
	}
	if (name[0] == '/')
		rel = xstrdup(name);
	else {
		if (which == 1 && dirfd != AT_FDCWD) {
			snprintf(fd, sizeof fd, "fd/%d", dirfd);
			dir = execpol_link(pid, fd);
		} else if (cwd != NULL)
			dir = xstrdup(cwd);
		if (dir != NULL && dir[0] == '/')
			rel = xasprintf("%s/%s", dir, name);
	}
	if (rel != NULL) {
		path = xasprintf("/proc/%ld/root", (long)pid);
		if ((rootfd = open(path, O_PATH|O_DIRECTORY|O_CLOEXEC)) == -1)
			goto out;
		f = execpol_open_in(rootfd, rel, o);
		saved = errno;
		close(rootfd);
		errno = saved;
		/*
		 * Magic links (/proc/<n>/fd/...) are not followed in root;
		 * renames that keep racing the lookup do not stop this one.
		 */
		if (f != -1 || (errno != EXDEV && errno != ELOOP &&
		    errno != ENOSYS && errno != EAGAIN))
			goto out;
		free(path);
		path = xasprintf("/proc/%ld/root%s", (long)pid, rel);
	} else if (which == 1 && dirfd != AT_FDCWD) {
		free(path);
		path = xasprintf("/proc/%ld/fd/%d/%s", (long)pid, dirfd, name);
	} else {
		free(path);
		path = xasprintf("/proc/%ld/cwd/%s", (long)pid, name);
	}
	f = open(path, o);
out:
	saved = errno;
	free(path);
	free(dir);
	free(rel);
	errno = saved;
	return (f);
}

/* Whether two stats are of the same file as it was. */
static int
execpol_same_file(const struct execpol_file *f, const struct stat *sb)
{
	return (f->dev == sb->st_dev && f->ino == sb->st_ino &&
	    f->size == sb->st_size &&
	    f->mtime.tv_sec == sb->st_mtim.tv_sec &&
	    f->mtime.tv_nsec == sb->st_mtim.tv_nsec &&
	    f->ctime.tv_sec == sb->st_ctim.tv_sec &&
	    f->ctime.tv_nsec == sb->st_ctim.tv_nsec);
}

/* Take a file's identity from its stat; not hashed yet. */
static void
execpol_file_set(struct execpol_file *f, const struct stat *sb)
{
	f->dev = sb->st_dev;
	f->ino = sb->st_ino;
	f->size = sb->st_size;
	f->mtime = sb->st_mtim;
	f->ctime = sb->st_ctim;
	f->hashed = 0;
}

/*
 * The SHA-256 of the file pathfd (O_PATH) refers to, if it still has
 * size bytes: 1 done, -1 it cannot be hashed (too large, changed, gone).
 */
static int
execpol_hash(int pathfd, off_t size, unsigned char *out)
{
	unsigned char	 buf[64 * 1024];
	char		 path[64];
	EVP_MD_CTX	*c;
	off_t		 total = 0;
	ssize_t		 n;
	int		 fd, rv = -1;

	if (size > EXECPOL_HASH_MAX)
		return (-1);
	snprintf(path, sizeof path, "/proc/self/fd/%d", pathfd);
	if ((fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK)) == -1)
		return (-1);
	if ((c = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto out;
	while (total <= size) {
		if ((n = read(fd, buf, sizeof buf)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		total += n;
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			goto out;
	}
	if (total == size && EVP_DigestFinal_ex(c, out, NULL) == 1)
		rv = 1;
out:
	EVP_MD_CTX_free(c);
	close(fd);
	return (rv);
}

/*
 * The hash of a known file, computed the first time it is needed: the
 * file at its path in the root of pid, if it is still the one learned.
 */
static int
execpol_known_hash(struct execpol_file *f, pid_t pid)
{
	struct stat	 sb;
	char		 path[64];
	int		 rootfd, fd;

	if (f->hashed != 0)
		return (f->hashed);
	f->hashed = -1;
	snprintf(path, sizeof path, "/proc/%ld/root", (long)pid);
	if ((rootfd = open(path, O_PATH|O_DIRECTORY|O_CLOEXEC)) == -1)
		return (f->hashed);
	fd = execpol_open_in(rootfd, f->path, O_PATH);
	close(rootfd);
	if (fd == -1)
		return (f->hashed);
	if (fstat(fd, &sb) == 0 && execpol_same_file(f, &sb))
		f->hashed = execpol_hash(fd, f->size, f->sha);
	close(fd);
	return (f->hashed);
}

/*
 * The names an exec's file (pathfd, sb) answers to, or NULL when it is
 * none of the known programs. Files of a known program's size are hashed
 * once each (by device, inode, size, mtime and ctime).
 */
static char **
execpol_identify(struct execpol *ep, pid_t pid, int pathfd,
    const struct stat *sb)
{
	struct execpol_file	*f, *c = NULL;
	size_t			 i;
	int			 want = 0;

	for (i = 0; i < ep->nknown; i++) {
		f = &ep->known[i];
		if (f->dev == sb->st_dev && f->ino == sb->st_ino)
			return (f->names);
		if (f->size == sb->st_size)
			want = 1;
	}
	if (!want || sb->st_size > EXECPOL_HASH_MAX)
		return (NULL);
	for (i = 0; i < EXECPOL_HASH_CACHE; i++) {
		if (ep->cache[i].hashed != 0 &&
		    execpol_same_file(&ep->cache[i], sb)) {
			c = &ep->cache[i];
			break;
		}
	}
	if (c == NULL) {
		c = &ep->cache[ep->nextc++ % EXECPOL_HASH_CACHE];
		execpol_file_set(c, sb);
		c->hashed = execpol_hash(pathfd, sb->st_size, c->sha);
		ep->hashes++;
	}
	if (c->hashed != 1)
		return (NULL);
	for (i = 0; i < ep->nknown; i++) {
		f = &ep->known[i];
		if (f->size == sb->st_size && execpol_known_hash(f, pid) == 1 &&
		    memcmp(f->sha, c->sha, sizeof f->sha) == 0)
			return (f->names);
	}
	return (NULL);
}

/* Record that the file at path (in rootfd) answers to name. */
static void
execpol_know(struct execpol *ep, int rootfd, const char *path,
    const char *name)
{
	struct execpol_file	*f;
	struct stat		 sb;
	size_t			 i, j, n;
	int			 fd, rv;

	if ((fd = execpol_open_in(rootfd, path, O_PATH)) == -1)
		return;
	rv = fstat(fd, &sb);
	close(fd);
	if (rv == -1 || !S_ISREG(sb.st_mode) || (sb.st_mode & 0111) == 0)
		return;
	for (i = 0; i < ep->nknown; i++) {
		f = &ep->known[i];
		if (f->dev != sb.st_dev || f->ino != sb.st_ino)
			continue;
		n = strv_len(f->names);
		for (j = 0; j < n; j++)
			if (strcmp(f->names[j], name) == 0)
				return;
		f->names = xrealloc(f->names, (n + 2) * sizeof *f->names);
		f->names[n] = xstrdup(name);
		f->names[n + 1] = NULL;
		return;
	}
	if (ep->nknown == EXECPOL_KNOWN_MAX)
		return;
	ep->known = xrealloc(ep->known, (ep->nknown + 1) * sizeof *ep->known);
	f = &ep->known[ep->nknown++];
	memset(f, 0, sizeof *f);
	execpol_file_set(f, &sb);
	f->path = xstrdup(path);
	f->names = xcalloc(2, sizeof *f->names);
	f->names[0] = xstrdup(name);
}

/* Find the files one program word alternative names, in root and PATH. */
static void
execpol_learn_name(struct execpol *ep, int rootfd, const char *alt,
    const char *pathvar)
{
	const char	*p, *end;
	struct dirent	*de;
	DIR		*d;
	char		*cand, *dir;
	int		 glob, dfd;

	glob = strpbrk(alt, "*?[\\") != NULL;
	if (strchr(alt, '/') != NULL) {
		if (!glob && alt[0] == '/')
			execpol_know(ep, rootfd, alt, alt);
		return;
	}
	/* Any program at all ("*", the default allowlist): no file to know. */
	if (alt[strspn(alt, "*")] == '\0' || strcmp(alt, "...") == 0)
		return;
	for (p = pathvar; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		/* Relative PATH entries move with the cwd: by name only. */
		if (*p != '/')
			continue;
		dir = xstrndup(p, (size_t)(end - p));
		if (!glob) {
			cand = xasprintf("%s/%s", dir, alt);
			execpol_know(ep, rootfd, cand, alt);
			free(cand);
		} else if ((dfd = execpol_open_in(rootfd, dir,
		    O_RDONLY|O_DIRECTORY)) != -1) {
			if ((d = fdopendir(dfd)) == NULL)
				close(dfd);
			while (d != NULL && (de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.' ||
				    fnmatch(alt, de->d_name, 0) != 0)
					continue;
				cand = xasprintf("%s/%s", dir, de->d_name);
				execpol_know(ep, rootfd, cand, de->d_name);
				free(cand);
			}
			if (d != NULL)
				closedir(d);
		}
		free(dir);
	}
}

/* The programs the first words of patterns name. */
static void
execpol_learn_patterns(struct execpol *ep, int rootfd, char **patterns,
    const char *pathvar)
{
	char	*copy, *p, *alt, *end, save;
	size_t	 i;

	for (i = 0; patterns != NULL && patterns[i] != NULL; i++) {
		copy = xstrdup(patterns[i]);
		p = copy + strspn(copy, " \t");
		p[strcspn(p, " \t")] = '\0';
		for (alt = p; *p != '\0'; alt = end + 1) {
			end = execpol_alt_end(alt);
			save = *end;
			*end = '\0';
			execpol_learn_name(ep, rootfd, alt, pathvar);
			if (save == '\0')
				break;
		}
		free(copy);
	}
}

/*
 * The first exec (the CLI's own, from the worker's spawn): learn the
 * programs the patterns name, through its PATH in its root.
 */
static void
execpol_learn(struct execpol *ep, const struct seccomp_notif *req)
{
	char		 path[64], **env;
	const char	*pathvar;
	const char	*want[] = { "PATH=", NULL };
	size_t		 psize, i;
	uint64_t	 envaddr;
	int		 which, mem, rootfd, truncated = 0;

	if ((which = execpol_which(req, &psize)) == -1)
		return;
	envaddr = req->data.args[which == 0 ? 2 : 3];
	snprintf(path, sizeof path, "/proc/%u/mem", req->pid);
	env = NULL;
	if ((mem = open(path, O_RDONLY|O_CLOEXEC)) != -1) {
		if (seccomp_notify_id_valid(ep->fd, req->id) == 0)
			env = execpol_peek_env(mem, envaddr, psize, want,
			    &truncated);
		close(mem);
	}
	pathvar = execpol_getenv(env, "PATH");
	if (pathvar == NULL)
		pathvar = EXECPOL_PATH;
	snprintf(path, sizeof path, "/proc/%u/root", req->pid);
	if ((rootfd = open(path, O_PATH|O_DIRECTORY|O_CLOEXEC)) != -1) {
		execpol_learn_patterns(ep, rootfd, ep->allow, pathvar);
		execpol_learn_patterns(ep, rootfd, ep->deny, pathvar);
		for (i = 0; i < ep->ngates; i++)
			execpol_learn_patterns(ep, rootfd,
			    ep->gates[i].patterns, pathvar);
		close(rootfd);
	}
	log_debug("exec policy: %zu programs known by file", ep->nknown);
	strv_free(env);
}

/*
 * Whether the file exists and may be run (fd from execpol_open, or -1
 * with errno): 0, or the errno the kernel's exec would fail with. A
 * shell that searches PATH tries an execve in each directory until one
 * works; those that cannot are neither policy decisions nor commands.
 */
static int
execpol_runnable(int fd, struct stat *sb)
{
	if (fd == -1)
		return (errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
		    errno == ENAMETOOLONG ? errno : 0);
	if (fstat(fd, sb) == -1)
		return (0);
	if (!S_ISREG(sb->st_mode) || (sb->st_mode & 0111) == 0)
		return (EACCES);
	return (0);
}

/* Whether the exec is of git: known as git, or (unknown) named so. */
static int
execpol_is_git(const struct execpol_exec *x)
{
	const char	*b;
	size_t		 i;

	if (x->names != NULL) {
		for (i = 0; x->names[i] != NULL; i++)
			if (strcmp(x->names[i], "git") == 0)
				return (1);
		return (0);
	}
	b = execpol_base(x->path);
	return (strcmp(b, "git") == 0 || strncmp(b, "git-", 4) == 0);
}

/*
 * How git will read an exec of git: its environment's configuration
 * (GIT_CONFIG_*, and what --config-env names) is read from the target.
 */
static void
execpol_git_of(struct execpol_exec *x, int mem, uint64_t envaddr,
    size_t psize)
{
	const char	**want, *eq;
	char		**env;
	size_t		  i, n = 0;
	int		  truncated = 0;

	want = xcalloc(x->argc + 2, sizeof *want);
	want[n++] = "GIT_CONFIG";
	for (i = 1; i < x->argc; i++)
		if ((eq = strrchr(x->argv[i], '=')) != NULL && eq[1] != '\0')
			want[n++] = xasprintf("%s=", eq + 1);
	env = execpol_peek_env(mem, envaddr, psize, want, &truncated);
	for (i = 1; i < n; i++)
		free((char *)want[i]);
	free(want);
	x->git = execpol_git_readings(x->argv, x->argc, env);
	if (x->git == NULL || truncated)
		x->git_unsure = 1;
	/* Options padded past what was read hide the subcommand. */
	for (i = 0; x->truncated && x->git != NULL && x->git[i] != NULL; i++)
		if (x->git[i][1] == NULL)
			x->git_unsure = 1;
	strv_free(env);
}

/*
 * Read the exec of a notification from the target's memory. NULL with
 * *error: -1 not an exec (let it be), ESRCH the target is gone, EFAULT
 * its memory does not hold what it passed, EACCES we may not look.
 */
static struct execpol_exec *
execpol_read(struct execpol *ep, const struct seccomp_notif *req,
    int *error)
{
	struct execpol_exec	*x;
	struct stat		 sb;
	char			 path[64], *name;
	size_t			 psize;
	uint64_t		 pathaddr, argvaddr, envaddr;
	int			 which, mem, fd, dirfd = AT_FDCWD, flags = 0;

	if ((which = execpol_which(req, &psize)) == -1) {
		*error = -1;
		return (NULL);
	}
	if (which == 0) {
		pathaddr = req->data.args[0];
		argvaddr = req->data.args[1];
		envaddr = req->data.args[2];
	} else {
		dirfd = (int)req->data.args[0];
		pathaddr = req->data.args[1];
		argvaddr = req->data.args[2];
		envaddr = req->data.args[3];
		flags = (int)req->data.args[4];
	}
	snprintf(path, sizeof path, "/proc/%u/mem", req->pid);
	if ((mem = open(path, O_RDONLY|O_CLOEXEC)) == -1) {
		*error = errno == ENOENT || errno == ESRCH ? ESRCH : EACCES;
		if (*error == EACCES)
			log_warn("%s", path);
		return (NULL);
	}
	/*
	 * The pid may have been reused since the notification: only once
	 * the kernel says it is still pending is the memory the target's.
	 */
	if (seccomp_notify_id_valid(ep->fd, req->id) != 0) {
		close(mem);
		*error = ESRCH;
		return (NULL);
	}
	x = xcalloc(1, sizeof *x);
	x->pid = (pid_t)req->pid;
	name = pathaddr == 0 ? NULL : execpol_peek_str(mem, pathaddr, PATH_MAX,
	    &x->truncated);
	if (name == NULL || execpol_peek_argv(mem, argvaddr, psize, x) == -1) {
		close(mem);
		free(name);
		execpol_exec_free(x);
		*error = EFAULT;
		return (NULL);
	}
	x->cwd = execpol_link(x->pid, "cwd");
	x->path = execpol_resolve_path(x, name, which, dirfd, flags);
	fd = execpol_open(x->pid, name, x->cwd, which, dirfd, flags);
	if ((x->missing = execpol_runnable(fd, &sb)) == 0 && fd != -1)
		x->names = execpol_identify(ep, x->pid, fd, &sb);
	if (fd != -1)
		close(fd);
	if (x->missing == 0 && execpol_is_git(x))
		execpol_git_of(x, mem, envaddr, psize);
	close(mem);
	free(name);
	x->line = execpol_line_of(ep, x);
	return (x);
}

/*
 * Whether two reads are the same exec by the same task: a restarted one,
 * or (by basename, when anydir) the next try of a shell's PATH search.
 */
static int
execpol_same(const struct execpol_exec *a, const struct execpol_exec *b,
    int anydir)
{
	size_t	i;

	if (a->pid != b->pid || a->argc != b->argc)
		return (0);
	if (strcmp(anydir ? execpol_base(a->path) : a->path,
	    anydir ? execpol_base(b->path) : b->path) != 0)
		return (0);
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return (0);
	return (1);
}

/* Answer a notification: 0 lets the exec run, else it fails with -error. */
static int
execpol_respond(struct execpol *ep, uint64_t id, int error)
{
	memset(ep->resp, 0, sizeof *ep->resp);
	ep->resp->id = id;
	if (error == 0)
		ep->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		ep->resp->error = -error;
	if (seccomp_notify_respond(ep->fd, ep->resp) == 0)
		return (0);
	/* The target died (ENOENT) or was interrupted: nothing to answer. */
	if (errno != ENOENT && errno != EINTR)
		log_warn("seccomp_notify_respond");
	return (-1);
}

/* {program, argv, cwd, pid} of an exec for an event's context. */
static struct json_object *
execpol_context(struct execpol *ep, const struct execpol_exec *x)
{
	struct json_object	*o, *a;
	size_t			 i;
	char			*s;

	o = json_object_new_object();
	s = execpol_clean(ep, x->path);
	json_object_object_add(o, "program", json_object_new_string(s));
	free(s);
	a = json_object_new_array();
	for (i = 0; i < x->argc; i++) {
		s = execpol_clean(ep, x->argv[i]);
		json_object_array_add(a, json_object_new_string(s));
		free(s);
	}
	json_object_object_add(o, "argv", a);
	if (x->cwd != NULL) {
		s = execpol_clean(ep, x->cwd);
		json_object_object_add(o, "cwd", json_object_new_string(s));
		free(s);
	}
	json_object_object_add(o, "pid", json_object_new_int((int)x->pid));
	return (o);
}

/* Send an event, unless the session is over. */
static void
execpol_emit(struct execpol *ep, struct json_object *ev)
{
	if (ep->finished) {
		json_object_put(ev);
		return;
	}
	ep->cb.event(ev, ep->cb.arg);
}

/*
 * Fail an exec and remember it: a shell searching PATH tries the same
 * command in the next directory (/usr/bin/rm, then /bin/rm), which must
 * fail the same way without a second alert or approval.
 */
static int
execpol_refuse(struct execpol *ep, uint64_t id, const struct execpol_exec *x,
    int error)
{
	struct execpol_verdict	*v;
	struct execpol_exec	*copy;
	size_t			 i;

	v = &ep->verdicts[ep->nextv++ % EXECPOL_VERDICTS];
	execpol_exec_free(v->x);
	copy = xcalloc(1, sizeof *copy);
	copy->pid = x->pid;
	copy->path = xstrdup(x->path);
	copy->argc = x->argc;
	copy->argv = xcalloc(x->argc + 1, sizeof *copy->argv);
	for (i = 0; i < x->argc; i++)
		copy->argv[i] = xstrdup(x->argv[i]);
	v->x = copy;
	v->error = error;
	v->at = mono_ms();
	return (execpol_respond(ep, id, error));
}

/* The error of a recent refusal of the same exec by the same task, or 0. */
static int
execpol_refused(struct execpol *ep, const struct execpol_exec *x)
{
	struct execpol_verdict	*v;
	size_t			 i;

	for (i = 0; i < EXECPOL_VERDICTS; i++) {
		v = &ep->verdicts[i];
		if (v->x != NULL && mono_ms() - v->at < EXECPOL_VERDICT_MS &&
		    execpol_same(v->x, x, 1))
			return (v->error);
	}
	return (0);
}

/* Fail an exec the lists do not allow: EACCES and ALERT_RAISED. */
static void
execpol_deny(struct execpol *ep, uint64_t id, const struct execpol_exec *x,
    const char *rule, const char *pattern)
{
	struct json_object	*ctx;
	char			*desc;

	if (execpol_refuse(ep, id, x, EACCES) == -1)
		return;
	if (pattern != NULL)
		desc = xasprintf("%s: denied by %s pattern '%s'", x->line,
		    rule, pattern);
	else if (strcmp(rule, "git") == 0)
		desc = xasprintf("%s: too many ways for git to read it",
		    x->line);
	else
		desc = xasprintf("%s: not in %s", x->line, rule);
	log_info("exec %s", desc);
	ctx = execpol_context(ep, x);
	json_object_object_add(ctx, "rule", json_object_new_string(rule));
	if (pattern != NULL)
		json_object_object_add(ctx, "pattern",
		    json_object_new_string(pattern));
	execpol_emit(ep, event_alert("policy", "command denied", desc, ctx));
	free(desc);
}

/* The thread group of a task (an exec from a thread keeps it), or pid. */
static pid_t
execpol_tgid(pid_t pid)
{
	char	path[64], *text, *p;
	long	tgid = pid;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((text = read_file(path, NULL)) == NULL)
		return (pid);
	if ((p = strstr(text, "\nTgid:")) != NULL)
		tgid = strtol(p + 6, NULL, 10);
	free(text);
	return (tgid > 0 ? (pid_t)tgid : pid);
}

/* The parent of a process, or 0. */
static pid_t
execpol_ppid(pid_t pid)
{
	char	path[64], *text, *p;
	long	ppid = 0;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((text = read_file(path, NULL)) == NULL)
		return (0);
	/* "pid (comm) S ppid ...": comm may hold anything but the last ')'. */
	if ((p = strrchr(text, ')')) != NULL && p[1] == ' ' && p[2] != '\0' &&
	    p[3] == ' ')
		ppid = strtol(p + 4, NULL, 10);
	free(text);
	return (ppid > 0 ? (pid_t)ppid : 0);
}

/* Whether pid runs under a test run still going (make check → make). */
static int
execpol_nested(struct execpol *ep, pid_t pid)
{
	struct execpol_run	*r;
	int			 depth;

	for (depth = 0; pid > 1 && depth < EXECPOL_DEPTH; depth++) {
		TAILQ_FOREACH(r, &ep->runs, entry)
			if (!r->exited && r->pid == pid)
				return (1);
		pid = execpol_ppid(pid);
	}
	return (0);
}

/* The start time of a process (/proc/<pid>/stat field 22), or 0. */
static unsigned long long
execpol_start_time(pid_t pid)
{
	char			 path[64], *text, *p;
	unsigned long long	 start = 0;
	int			 field;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((text = read_file(path, NULL)) == NULL)
		return (0);
	/* After "pid (comm)" come fields 3, 4, ...: skip to the 22nd. */
	if ((p = strrchr(text, ')')) != NULL) {
		for (field = 2; field < 22 && p != NULL; field++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			start = strtoull(p + 1, NULL, 10);
	}
	free(text);
	return (start);
}

/* Remember an allowed git command (taking its readings) for its children. */
static void
execpol_grant(struct execpol *ep, struct execpol_exec *x,
    const struct execpol_gate *g)
{
	struct execpol_grant	*gr;

	if (x->git == NULL)
		return;
	gr = &ep->grants[ep->nextg++ % EXECPOL_GRANTS];
	execpol_git_free(gr->readings);
	gr->pid = execpol_tgid(x->pid);
	gr->start = execpol_start_time(gr->pid);
	gr->gate = g;
	gr->readings = x->git;
	x->git = NULL;
}

/* Whether two argv vectors are the same words. */
static int
execpol_strv_eq(char **a, char **b)
{
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return (0);
	return (*a == NULL && *b == NULL);
}

/*
 * Whether x is the receiving end of a push: git receive-pack, run by git
 * push on a local remote or through ssh on another host.
 */
static int
execpol_transport(const struct execpol_exec *x)
{
	size_t	i;

	for (i = 0; x->git != NULL && x->git[i] != NULL; i++)
		if (x->git[i][1] != NULL &&
		    strcmp(x->git[i][1], "receive-pack") == 0)
			return (1);
	for (i = 1; i < x->argc; i++)
		if (strstr(x->argv[i], "git-receive-pack") != NULL)
			return (1);
	return (0);
}

/*
 * Whether x, held by g, runs under a git command allowed for g (itself
 * or an ancestor, still the same process) as part of it: one of its
 * readings (git re-executing an alias), or its push's receiving end.
 */
static int
execpol_granted(struct execpol *ep, const struct execpol_exec *x,
    const struct execpol_gate *g)
{
	struct execpol_grant	*gr;
	pid_t			 pid;
	size_t			 i, j, k;
	int			 depth, transport;

	transport = execpol_transport(x);
	if (x->git == NULL && !transport)
		return (0);
	pid = execpol_tgid(x->pid);
	for (depth = 0; pid > 1 && depth < EXECPOL_DEPTH; depth++) {
		for (i = 0; i < EXECPOL_GRANTS; i++) {
			gr = &ep->grants[i];
			if (gr->readings == NULL || gr->pid != pid ||
			    gr->gate != g ||
			    gr->start != execpol_start_time(pid))
				continue;
			if (transport)
				return (1);
			for (j = 0; x->git[j] != NULL; j++)
				for (k = 0; gr->readings[k] != NULL; k++)
					if (execpol_strv_eq(x->git[j],
					    gr->readings[k]))
						return (1);
		}
		pid = execpol_ppid(pid);
	}
	return (0);
}

/* Ask the proc connector for every exit (or stop asking). */
static int
execpol_nl_send(int fd, enum proc_cn_mcast_op op)
{
	union {
		struct nlmsghdr	hdr;
		char		buf[NLMSG_SPACE(sizeof (struct cn_msg) +
				    sizeof (enum proc_cn_mcast_op))];
	} m;
	struct cn_msg	*cn;

	memset(&m, 0, sizeof m);
	m.hdr.nlmsg_len = NLMSG_LENGTH(sizeof *cn + sizeof op);
	m.hdr.nlmsg_type = NLMSG_DONE;
	m.hdr.nlmsg_pid = 0;
	cn = NLMSG_DATA(&m.hdr);
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof op;
	memcpy(cn->data, &op, sizeof op);
	return (send(fd, &m, m.hdr.nlmsg_len, 0) == -1 ? -1 : 0);
}

/* Record the exit of a run's process. */
static void
execpol_run_exited(struct execpol_run *r)
{
	struct timeval	tv = { 0, EXECPOL_SETTLE_MS * 1000 };

	if (r->exited)
		return;
	r->exited = 1;
	r->end_ms = mono_ms();
	/* What it printed last is still on its way through the pty. */
	evtimer_add(r->settle_ev, &tv);
}

/* Read every exit the connector has for us. */
static void
execpol_nl_drain(struct execpol *ep)
{
	union {
		struct nlmsghdr	hdr;
		char		buf[EXECPOL_NLBUF];
	} m;
	struct nlmsghdr		*h;
	struct cn_msg		*cn;
	struct proc_event	 pe;
	struct execpol_run	*r;
	ssize_t			 n;
	size_t			 len;

	if (ep->nl_fd == -1)
		return;
	for (;;) {
		n = recv(ep->nl_fd, &m, sizeof m, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			/* Exits were lost: the pidfds still see ours. */
			log_debug("proc connector: events lost");
			continue;
		}
		if (n <= 0)
			return;
		len = (size_t)n;
		for (h = &m.hdr; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof *cn + sizeof pe))
				continue;
			cn = NLMSG_DATA(h);
			/* At offset 36: copied out to be aligned. */
			memcpy(&pe, cn->data, sizeof pe);
			if (pe.what != PROC_EVENT_EXIT ||
			    pe.event_data.exit.process_pid !=
			    pe.event_data.exit.process_tgid)
				continue;
			TAILQ_FOREACH(r, &ep->runs, entry) {
				if (r->pid != pe.event_data.exit.process_pid ||
				    r->has_status)
					continue;
				r->has_status = 1;
				r->status = (int)pe.event_data.exit.exit_code;
				execpol_run_exited(r);
			}
		}
	}
}

static void
execpol_nl_cb(int fd, short events, void *arg)
{
	execpol_nl_drain(arg);
}

/* Listen to the proc connector while test runs are open; -1 if we can't. */
static int
execpol_nl_open(struct execpol *ep)
{
	struct sockaddr_nl	sa;
	int			fd, size = 1024 * 1024;

	if (ep->nl_fd != -1)
		return (0);
	if (ep->nl_failed)
		return (-1);
	fd = socket(PF_NETLINK, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC,
	    NETLINK_CONNECTOR);
	if (fd == -1)
		goto fail;
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		goto fail;
	/* Every exit on the host comes by: room for bursts. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof size) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	if (execpol_nl_send(fd, PROC_CN_MCAST_LISTEN) == -1)
		goto fail;
	if ((ep->nl_ev = event_new(ep->base, fd, EV_READ|EV_PERSIST,
	    execpol_nl_cb, ep)) == NULL)
		fatalx("event_new");
	event_add(ep->nl_ev, NULL);
	ep->nl_fd = fd;
	return (0);

fail:
	log_warn("test runs get no exit code: proc connector");
	if (fd != -1)
		close(fd);
	ep->nl_failed = 1;
	return (-1);
}

/* No test run is open: stop hearing about every exit on the host. */
static void
execpol_nl_close(struct execpol *ep)
{
	if (ep->nl_fd == -1)
		return;
	(void)execpol_nl_send(ep->nl_fd, PROC_CN_MCAST_IGNORE);
	event_free(ep->nl_ev);
	ep->nl_ev = NULL;
	close(ep->nl_fd);
	ep->nl_fd = -1;
}

/* The run's pidfd is readable: its process is gone. */
static void
execpol_run_pidfd_cb(int fd, short events, void *arg)
{
	struct execpol_run	*r = arg;

	/* The connector told its exit code before the pidfd woke. */
	execpol_nl_drain(r->ep);
	execpol_run_exited(r);
}

/*
 * Its output has had time to arrive: TEST_RUN_FINISHED, after those of
 * the runs that ended before it (timers due at once fire in any order).
 */
static void
execpol_run_settle_cb(int fd, short events, void *arg)
{
	struct execpol_run	*r = arg, *x, *next;
	int64_t			 end = r->end_ms;

	for (x = TAILQ_FIRST(&r->ep->runs); x != NULL; x = next) {
		next = TAILQ_NEXT(x, entry);
		if (x->exited && x->end_ms <= end) {
			evtimer_del(x->settle_ev);
			execpol_run_end(x);
		}
	}
}

static void
execpol_run_free(struct execpol_run *r)
{
	struct execpol	*ep = r->ep;

	TAILQ_REMOVE(&ep->runs, r, entry);
	if (r->exit_ev != NULL)
		event_free(r->exit_ev);
	event_free(r->settle_ev);
	if (r->pidfd != -1)
		close(r->pidfd);
	json_object_put(r->files);
	free(r->command);
	free(r);
	if (TAILQ_EMPTY(&ep->runs)) {
		execpol_nl_close(ep);
		ep->tail_len = 0;
	}
}

/*
 * The arguments of a test command that look like test files or packages:
 * not options, and with a '/' or a '.' in them.
 */
static struct json_object *
execpol_test_files(struct execpol *ep, const struct execpol_exec *x)
{
	struct json_object	*a;
	size_t			 i;
	char			*s;

	a = json_object_new_array();
	for (i = 1; i < x->argc && json_object_array_length(a) < 64; i++) {
		if (x->argv[i][0] == '-' || x->argv[i][0] == '\0' ||
		    strchr(x->argv[i], '=') != NULL ||
		    strpbrk(x->argv[i], "/.") == NULL)
			continue;
		s = execpol_clean(ep, x->argv[i]);
		json_object_array_add(a, json_object_new_string(s));
		free(s);
	}
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return (NULL);
	}
	return (a);
}

/* A test run is about to start: watch for its exit before it can exit. */
static struct execpol_run *
execpol_run_start(struct execpol *ep, const struct execpol_exec *x)
{
	struct execpol_run	*r;

	r = xcalloc(1, sizeof *r);
	r->ep = ep;
	r->pid = execpol_tgid(x->pid);
	r->command = xstrdup(x->line);
	r->files = execpol_test_files(ep, x);
	r->start_ms = mono_ms();
	r->out_start = ep->out_total;
	if ((r->settle_ev = evtimer_new(ep->base, execpol_run_settle_cb,
	    r)) == NULL)
		fatalx("evtimer_new");
	(void)execpol_nl_open(ep);
	if ((r->pidfd = pidfd_open(r->pid, 0)) != -1) {
		if ((r->exit_ev = event_new(ep->base, r->pidfd, EV_READ,
		    execpol_run_pidfd_cb, r)) == NULL)
			fatalx("event_new");
		event_add(r->exit_ev, NULL);
	} else if (ep->nl_fd == -1)
		log_warn("test run %ld: no way to see its end: pidfd_open",
		    (long)r->pid);
	TAILQ_INSERT_TAIL(&ep->runs, r, entry);
	return (r);
}

/* TEST_RUN_FINISHED for a run (its exit seen, or the session ending). */
static void
execpol_run_end(struct execpol_run *r)
{
	struct execpol		*ep = r->ep;
	struct json_object	*ev;
	const char		*text = NULL;
	uint64_t		 first;
	size_t			 len = 0;
	int			 p, f, s, got;

	if (!r->closed)
		r->out_end = ep->out_total;
	first = ep->out_total - ep->tail_len;
	if (r->out_end > r->out_start && r->out_end > first) {
		text = ep->tail + (r->out_start > first ? r->out_start - first :
		    0);
		len = (size_t)(r->out_end - (r->out_start > first ?
		    r->out_start : first));
	}
	got = len > 0 && execpol_summary(text, len, &p, &f, &s);

	ev = event_create(EV_TEST_RUN_FINISHED);
	json_object_object_add(ev, "command", json_object_new_string(
	    r->command));
	if (r->has_status && WIFEXITED(r->status))
		json_object_object_add(ev, "exitCode",
		    json_object_new_int(WEXITSTATUS(r->status)));
	else
		json_object_object_add(ev, "exitCode", NULL);
	if (r->has_status && WIFSIGNALED(r->status))
		json_object_object_add(ev, "signal", json_object_new_string(
		    signal_name(WTERMSIG(r->status))));
	json_object_object_add(ev, "passed", got ? json_object_new_int(p) :
	    NULL);
	json_object_object_add(ev, "failed", got ? json_object_new_int(f) :
	    NULL);
	json_object_object_add(ev, "skipped", got ? json_object_new_int(s) :
	    NULL);
	json_object_object_add(ev, "duration", json_object_new_int64(
	    (r->exited ? r->end_ms : mono_ms()) - r->start_ms));
	log_info("test run %s ended%s", r->command, r->exited ? "" :
	    " with the session");
	execpol_emit(ep, ev);
	execpol_run_free(r);
}

/* Let an exec run: a test run is followed, then it is counted. */
static void
execpol_allow(struct execpol *ep, uint64_t id, const struct execpol_exec *x)
{
	struct execpol_run	*r = NULL;
	struct json_object	*ev;

	log_debug("exec %s", x->line);
	if (!ep->finished && execpol_find(ep->tests, x) != NULL &&
	    !execpol_nested(ep, x->pid))
		r = execpol_run_start(ep, x);
	if (execpol_respond(ep, id, 0) == -1) {
		if (r != NULL)
			execpol_run_free(r);
		return;
	}
	if (ep->finished)
		return;
	ep->cb.ran(ep->cb.arg);
	if (r == NULL)
		return;
	log_info("test run %s started", r->command);
	ev = event_create(EV_TEST_RUN_STARTED);
	json_object_object_add(ev, "command", json_object_new_string(
	    r->command));
	if (r->files != NULL)
		/* The event keeps a reference of its own. */
		json_object_object_add(ev, "testFiles",
		    json_object_get(r->files));
	execpol_emit(ep, ev);
}

static void
execpol_hold_free(struct execpol *ep, struct execpol_hold *h)
{
	TAILQ_REMOVE(&ep->holds, h, entry);
	execpol_exec_free(h->x);
	free(h->pattern);
	free(h);
}

/* The approval object of a held exec. */
static struct json_object *
execpol_approval(struct execpol *ep, const struct execpol_hold *h)
{
	struct json_object	*ap, *ctx;
	char			 ts[40];
	int64_t			 now = now_ms();

	ap = json_object_new_object();
	json_object_object_add(ap, "approvalId",
	    json_object_new_string(h->approval));
	json_object_object_add(ap, "sessionId",
	    json_object_new_string(ep->session_id));
	json_object_object_add(ap, "category",
	    json_object_new_string(h->gate->category));
	json_object_object_add(ap, "summary", json_object_new_string(
	    h->x->line));
	json_object_object_add(ap, "risk", json_object_new_string(
	    h->gate->risk));
	ctx = execpol_context(ep, h->x);
	json_object_object_add(ctx, "pattern",
	    json_object_new_string(h->pattern));
	json_object_object_add(ap, "context", ctx);
	iso8601_ms(now, ts, sizeof ts);
	json_object_object_add(ap, "requestedAt", json_object_new_string(ts));
	iso8601_ms(now + ep->timeout_ms, ts, sizeof ts);
	json_object_object_add(ap, "timeoutAt", json_object_new_string(ts));
	return (ap);
}

/* Ask for a human's answer to a held exec, if the session can ask now. */
static void
execpol_ask(struct execpol *ep, struct execpol_hold *h)
{
	struct json_object	*ap;
	int			 rv;

	ap = execpol_approval(ep, h);
	rv = ep->finished ? -1 : ep->cb.request(ap, ep->cb.arg);
	json_object_put(ap);
	if (rv == 1) {
		h->requested = 1;
		log_info("exec %s held for approval %s (%s)", h->x->line,
		    h->approval, h->gate->category);
	} else if (rv == -1) {
		log_info("exec %s refused: no approval can be asked for now",
		    h->x->line);
		(void)execpol_refuse(ep, h->id, h->x, EACCES);
		execpol_hold_free(ep, h);
	}
}

/* Hold an exec of a gated category. */
static void
execpol_hold(struct execpol *ep, uint64_t id, struct execpol_exec *x,
    const struct execpol_gate *g, const char *pattern)
{
	struct execpol_hold	*h;

	h = xcalloc(1, sizeof *h);
	h->id = id;
	h->gate = g;
	h->pattern = xstrdup(pattern);
	h->x = x;
	uuid_v4(h->approval);
	TAILQ_INSERT_TAIL(&ep->holds, h, entry);
	execpol_ask(ep, h);
}

/*
 * A held exec interrupted by a signal the target handles is restarted by
 * the kernel as a new notification: the same task, the same exec, the
 * old id gone. It keeps its approval.
 */
static int
execpol_rebind(struct execpol *ep, uint64_t id, const struct execpol_exec *x)
{
	struct execpol_hold	*h;

	TAILQ_FOREACH(h, &ep->holds, entry) {
		if (h->x->pid != x->pid || !execpol_same(h->x, x, 0) ||
		    seccomp_notify_id_valid(ep->fd, h->id) == 0)
			continue;
		log_debug("exec %s restarted while held", x->line);
		h->id = id;
		return (1);
	}
	return (0);
}

/*
 * Another command starts: the output of runs that have exited ends here,
 * whatever the settle time would still let in.
 */
static void
execpol_runs_close(struct execpol *ep)
{
	struct execpol_run	*r;
	int			 drained = 0;

	TAILQ_FOREACH(r, &ep->runs, entry) {
		/* What the run printed before it exited is read by now. */
		if (r->exited && !r->closed && !drained++ &&
		    ep->cb.drain != NULL)
			ep->cb.drain(ep->cb.arg);
	}
	TAILQ_FOREACH(r, &ep->runs, entry) {
		if (r->exited && !r->closed) {
			r->closed = 1;
			r->out_end = ep->out_total;
		}
	}
}

/* Decide one exec. */
static void
execpol_handle(struct execpol *ep, const struct seccomp_notif *req)
{
	struct execpol_exec	*x;
	const char		*p;
	size_t			 i;
	int			 error;

	if (!ep->seen_first) {
		/* The CLI itself, from our own spawn. */
		ep->seen_first = 1;
		execpol_learn(ep, req);
		(void)execpol_respond(ep, req->id, 0);
		return;
	}
	if ((x = execpol_read(ep, req, &error)) == NULL) {
		if (error == -1)
			(void)execpol_respond(ep, req->id, 0);
		else if (error == EFAULT)
			(void)execpol_respond(ep, req->id, EFAULT);
		else if (error == EACCES) {
			/* Unseen is not allowed: fail closed. */
			if (!ep->mem_alert++)
				log_warnx("cannot read the memory of exec "
				    "targets: every exec fails");
			(void)execpol_respond(ep, req->id, EACCES);
		}
		return;
	}
	if (ep->finished) {
		(void)execpol_respond(ep, req->id, EACCES);
		goto done;
	}
	if (x->missing != 0) {
		log_debug("exec %s: %s", x->line, strerror(x->missing));
		(void)execpol_respond(ep, req->id, x->missing);
		goto done;
	}
	if (execpol_rebind(ep, req->id, x))
		goto done;
	execpol_runs_close(ep);
	if ((error = execpol_refused(ep, x)) != 0) {
		log_debug("exec %s: refused again", x->line);
		(void)execpol_respond(ep, req->id, error);
		goto done;
	}
	if (x->git_unsure && (ep->deny[0] != NULL || ep->allow[0] != NULL ||
	    ep->ngates > 0)) {
		execpol_deny(ep, req->id, x, "git", NULL);
		goto done;
	}
	if ((p = execpol_find(ep->deny, x)) != NULL) {
		execpol_deny(ep, req->id, x, "policy.shellDenylist", p);
		goto done;
	}
	if (ep->allow != NULL && ep->allow[0] != NULL &&
	    !execpol_allowed(ep->allow, x)) {
		execpol_deny(ep, req->id, x, "policy.shellAllowlist", NULL);
		goto done;
	}
	for (i = 0; i < ep->ngates; i++) {
		if ((p = execpol_find(ep->gates[i].patterns, x)) != NULL) {
			if (execpol_granted(ep, x, &ep->gates[i])) {
				log_info("exec %s: allowed with the approved "
				    "command that runs it", x->line);
				continue;
			}
			/* The hold owns x from here. */
			execpol_hold(ep, req->id, x, &ep->gates[i], p);
			return;
		}
	}
	execpol_allow(ep, req->id, x);
done:
	execpol_exec_free(x);
}

/*
 * The listener is readable. A notification is received only when poll
 * says one is pending: receiving blocks otherwise, and the listener also
 * turns readable (POLLHUP) for good once the whole tree is gone.
 */
static void
execpol_notify_cb(int fd, short events, void *arg)
{
	struct execpol	*ep = arg;
	struct pollfd	 pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, 0) == -1 || !(pfd.revents & POLLIN)) {
		if (pfd.revents & (POLLHUP|POLLERR|POLLNVAL)) {
			log_debug("exec policy: no process left to watch");
			event_del(ep->ev);
		}
		return;
	}
	/* The kernel wants a zeroed request (its size has not changed). */
	memset(ep->req, 0, sizeof *ep->req);
	if (seccomp_notify_receive(fd, ep->req) != 0) {
		/* ENOENT: the target died before we took it. */
		if (errno != ENOENT && errno != EINTR)
			log_warn("seccomp_notify_receive");
		return;
	}
	execpol_handle(ep, ep->req);
}

/* Whether s is already one of v's first n entries. */
static int
execpol_has(struct execpol_gate *v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].category, s) == 0)
			return (1);
	return (0);
}

/* A copy of a NULL-terminated vector of constant strings. */
static char **
execpol_strv(const char *const *v)
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
static void
execpol_gates(struct execpol *ep, const struct execpol_params *pp)
{
	struct json_object	*v;
	struct execpol_gate	*g;
	const char		*c;
	char			**pat;
	size_t			 i, j, n = strv_len(pp->categories);

	ep->gates = xcalloc(n + 1, sizeof *ep->gates);
	for (i = 0; i < n; i++) {
		c = pp->categories[i];
		if (execpol_has(ep->gates, ep->ngates, c))
			continue;
		if (pp->patterns != NULL &&
		    json_object_object_get_ex(pp->patterns, c, &v))
			pat = strv_from_json(v);
		else
			pat = execpol_strv(execpol_default_patterns(c));
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

struct execpol *
execpol_create(struct event_base *base, int fd,
    const struct execpol_params *pp, const struct execpol_cb *cb)
{
	struct execpol	*ep;

	ep = xcalloc(1, sizeof *ep);
	ep->base = base;
	ep->fd = fd;
	ep->nl_fd = -1;
	ep->cb = *cb;
	TAILQ_INIT(&ep->holds);
	TAILQ_INIT(&ep->runs);
	(void)set_cloexec(fd);
	if (seccomp_notify_alloc(&ep->req, &ep->resp) != 0) {
		/* The kernel's sizes are those of our headers, then. */
		ep->req = xcalloc(1, sizeof *ep->req);
		ep->resp = xcalloc(1, sizeof *ep->resp);
		ep->own_alloc = 1;
	}
	ep->session_id = xstrdup(pp->session_id != NULL ? pp->session_id :
	    "");
	ep->allow = execpol_strv((const char *const *)pp->allow);
	ep->deny = execpol_strv((const char *const *)pp->deny);
	execpol_gates(ep, pp);
	ep->tests = execpol_strv(pp->tests != NULL ?
	    (const char *const *)pp->tests : execpol_tests);
	ep->timeout_ms = pp->timeout_ms > 0 ? pp->timeout_ms :
	    EXECPOL_TIMEOUT_MS;
	ep->redact = redact_create();
	if (pp->env != NULL && json_object_is_type(pp->env,
	    json_type_object)) {
		json_object_object_foreach(pp->env, k, v) {
			(void)k;
			if (json_object_is_type(v, json_type_string))
				redact_add(ep->redact,
				    json_object_get_string(v));
		}
	}
	ep->tail = xmalloc(2 * EXECPOL_TAIL);
	if ((ep->ev = event_new(base, fd, EV_READ|EV_PERSIST,
	    execpol_notify_cb, ep)) == NULL)
		fatalx("event_new");
	event_add(ep->ev, NULL);
	log_debug("exec policy: %zu allow, %zu deny patterns, %zu gated "
	    "categories, %zu test patterns", strv_len(ep->allow),
	    strv_len(ep->deny), ep->ngates, strv_len(ep->tests));
	return (ep);
}

/* Fail every held exec (the session is ending). */
static void
execpol_release(struct execpol *ep)
{
	struct execpol_hold	*h;

	while ((h = TAILQ_FIRST(&ep->holds)) != NULL) {
		(void)execpol_respond(ep, h->id, EACCES);
		execpol_hold_free(ep, h);
	}
}

void
execpol_free(struct execpol *ep)
{
	struct execpol_run	*r;
	size_t			 i;

	if (ep == NULL)
		return;
	ep->finished = 1;
	execpol_release(ep);
	while ((r = TAILQ_FIRST(&ep->runs)) != NULL)
		execpol_run_free(r);
	execpol_nl_close(ep);
	event_free(ep->ev);
	close(ep->fd);
	if (ep->own_alloc) {
		free(ep->req);
		free(ep->resp);
	} else
		seccomp_notify_free(ep->req, ep->resp);
	for (i = 0; i < ep->ngates; i++) {
		free(ep->gates[i].category);
		strv_free(ep->gates[i].patterns);
	}
	free(ep->gates);
	for (i = 0; i < EXECPOL_VERDICTS; i++)
		execpol_exec_free(ep->verdicts[i].x);
	for (i = 0; i < EXECPOL_GRANTS; i++)
		execpol_git_free(ep->grants[i].readings);
	for (i = 0; i < ep->nknown; i++) {
		free(ep->known[i].path);
		strv_free(ep->known[i].names);
	}
	free(ep->known);
	strv_free(ep->allow);
	strv_free(ep->deny);
	strv_free(ep->tests);
	redact_free(ep->redact);
	free(ep->session_id);
	free(ep->tail);
	free(ep);
}

size_t
execpol_hashes(const struct execpol *ep)
{
	return (ep->hashes);
}

int
execpol_resolve(struct execpol *ep, const char *id, int allow, char *buf,
    size_t len)
{
	struct execpol_hold	*h;

	TAILQ_FOREACH(h, &ep->holds, entry)
		if (h->requested && strcmp(h->approval, id) == 0)
			break;
	if (h == NULL)
		return (-1);
	snprintf(buf, len, "%s", h->x->line);
	log_info("exec %s %s by approval %s", h->x->line, allow ? "allowed" :
	    "denied", id);
	if (allow) {
		/* Before the exec proceeds: its pid is still the one. */
		execpol_grant(ep, h->x, h->gate);
		execpol_allow(ep, h->id, h->x);
	} else
		(void)execpol_refuse(ep, h->id, h->x, EACCES);
	execpol_hold_free(ep, h);
	return (0);
}

size_t
execpol_pending(const struct execpol *ep)
{
	const struct execpol_hold	*h;
	size_t				 n = 0;

	TAILQ_FOREACH(h, &ep->holds, entry)
		if (h->requested)
			n++;
	return (n);
}

void
execpol_recheck(struct execpol *ep)
{
	struct execpol_hold	*h, *next;

	for (h = TAILQ_FIRST(&ep->holds); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (!h->requested)
			execpol_ask(ep, h);
	}
}

/* Keep pty output, escapes and controls stripped, while runs are open. */
void
execpol_output(struct execpol *ep, const char *data, size_t len)
{
	unsigned char	c;
	size_t		i;

	if (TAILQ_EMPTY(&ep->runs))
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)data[i];
		switch (ep->esc) {
		case XESC_ESC:
			if (c == '[')
				ep->esc = XESC_CSI;
			else if (c == ']' || c == 'P' || c == 'X' ||
			    c == '^' || c == '_')
				ep->esc = XESC_STR;
			else
				ep->esc = XESC_NONE;
			continue;
		case XESC_CSI:
			if (c >= 0x40 && c <= 0x7e)
				ep->esc = XESC_NONE;
			continue;
		case XESC_STR:
			if (c == 0x07)
				ep->esc = XESC_NONE;
			else if (c == 0x1b)
				ep->esc = XESC_STR_ESC;
			continue;
		case XESC_STR_ESC:
			ep->esc = c == '\\' ? XESC_NONE : XESC_STR;
			continue;
		case XESC_NONE:
			break;
		}
		if (c == 0x1b) {
			ep->esc = XESC_ESC;
			continue;
		}
		if (c == '\r')
			c = '\n';
		else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			continue;
		if (ep->tail_len == 2 * EXECPOL_TAIL) {
			memmove(ep->tail, ep->tail + EXECPOL_TAIL,
			    EXECPOL_TAIL);
			ep->tail_len = EXECPOL_TAIL;
		}
		ep->tail[ep->tail_len++] = (char)c;
		ep->out_total++;
	}
}

void
execpol_finish(struct execpol *ep)
{
	struct execpol_run	*r;

	if (ep->finished)
		return;
	execpol_nl_drain(ep);
	while ((r = TAILQ_FIRST(&ep->runs)) != NULL)
		execpol_run_end(r);
	ep->finished = 1;
	execpol_release(ep);
}
