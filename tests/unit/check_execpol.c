/* Unit tests for the exec policy (worker/execpol.c). */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <seccomp.h>

#include "common/conf.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/execpol.h"
#include "worker/execpol_int.h"
#include "unit.h"

/* Whether pattern matches the NULL-terminated argv run from path. */
static int
m(const char *pattern, const char *path, ...)
{
	va_list		 ap;
	char		*argv[64];
	size_t		 n = 0;

	va_start(ap, path);
	while (n < nitems(argv) - 1 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return (execmatch_match(pattern, path, argv, n));
}

START_TEST(test_match_words)
{
	ck_assert(m("git push", "/usr/bin/git", "git", "push", NULL));
	ck_assert(m("git push", "/usr/bin/git", "git", "push", "origin",
	    "main", NULL));
	ck_assert(!m("git push", "/usr/bin/git", "git", "pull", NULL));
	ck_assert(!m("git push", "/usr/bin/git", "git", NULL));
	ck_assert(!m("git push", "/usr/bin/git", "git", "-C", "x", "push",
	    NULL));
	ck_assert(m("git", "/usr/bin/git", "git", "anything", NULL));
	ck_assert(m("rm", "/bin/rm", "rm", "-rf", "/", NULL));
	ck_assert(!m("rm", "/bin/rmdir", "rmdir", "x", NULL));
	/* Runs of blanks are one separator, leading and trailing ignored. */
	ck_assert(m("  git \t  push  ", "/usr/bin/git", "git", "push", NULL));
	/* The program is the file run, not argv[0]. */
	ck_assert(m("git", "/usr/bin/git", "not-git", NULL));
	ck_assert(!m("git", "/usr/bin/hub", "git", NULL));
}
END_TEST

START_TEST(test_match_program_path)
{
	ck_assert(m("/usr/bin/git push", "/usr/bin/git", "git", "push",
	    NULL));
	ck_assert(!m("/usr/bin/git push", "/usr/local/bin/git", "git", "push",
	    NULL));
	ck_assert(m("*/bin/git", "/usr/local/bin/git", "git", NULL));
	ck_assert(!m("bin/git", "/usr/bin/git", "git", NULL));
	ck_assert(m("g?t", "/usr/bin/git", "git", NULL));
	ck_assert(m("[gh]it", "/usr/bin/hit", "hit", NULL));
	ck_assert(!m("[!gh]it", "/usr/bin/hit", "hit", NULL));
	ck_assert(m("python3*", "/usr/bin/python3.11", "python3", NULL));
	/* A relative path left unresolved still has a basename. */
	ck_assert(m("run.sh", "run.sh", "./run.sh", NULL));
	ck_assert(m("*", "/", "x", NULL));
}
END_TEST

START_TEST(test_match_ellipsis)
{
	ck_assert(m("cat ... *.pem", "/bin/cat", "cat", "-n", "k.pem", NULL));
	ck_assert(m("cat ... *.pem", "/bin/cat", "cat", "k.pem", NULL));
	ck_assert(m("cat ... *.pem", "/bin/cat", "cat", "a", "b", "k.pem",
	    "c", NULL));
	ck_assert(!m("cat ... *.pem", "/bin/cat", "cat", "a", "b", NULL));
	ck_assert(!m("cat ... *.pem", "/bin/cat", "cat", NULL));
	ck_assert(m("cat ...", "/bin/cat", "cat", NULL));
	ck_assert(m("git ... push", "/usr/bin/git", "git", "-C", "d", "push",
	    NULL));
	ck_assert(m("a ... b ... c", "/x/a", "a", "b", "c", NULL));
	ck_assert(m("a ... b ... c", "/x/a", "a", "1", "b", "2", "3", "c",
	    NULL));
	ck_assert(!m("a ... b ... c", "/x/a", "a", "c", "b", NULL));
	ck_assert(m("a ... ... b", "/x/a", "a", "b", NULL));
	ck_assert(m("vercel ... --prod", "/x/vercel", "vercel", "deploy",
	    "--prod", NULL));
	/* "..." as the program is a literal name. */
	ck_assert(!m("... x", "/bin/sh", "sh", "x", NULL));
}
END_TEST

START_TEST(test_match_alternatives)
{
	ck_assert(m("npm install|i|add", "/x/npm", "npm", "i", NULL));
	ck_assert(m("npm install|i|add", "/x/npm", "npm", "add", "y", NULL));
	ck_assert(!m("npm install|i|add", "/x/npm", "npm", "init", NULL));
	ck_assert(m("pip|pip3 install", "/x/pip3", "pip3", "install", NULL));
	/* A '|' in brackets or quoted is a character. */
	ck_assert(m("echo [|]", "/bin/echo", "echo", "|", NULL));
	ck_assert(m("echo a\\|b", "/bin/echo", "echo", "a|b", NULL));
	ck_assert(!m("echo a\\|b", "/bin/echo", "echo", "a", NULL));
	/* Empty alternatives match only an empty argument. */
	ck_assert(m("echo |x", "/bin/echo", "echo", "", NULL));
	ck_assert(!m("echo |x", "/bin/echo", "echo", "y", NULL));
}
END_TEST

START_TEST(test_match_arg_basename)
{
	ck_assert(m("cat .env*", "/bin/cat", "cat", "cfg/.env.local", NULL));
	ck_assert(m("cat id_rsa*", "/bin/cat", "cat", "/root/.ssh/id_rsa",
	    NULL));
	ck_assert(m("cat *.pem", "/bin/cat", "cat", "/etc/ssl/k.pem", NULL));
	/* With a '/', the whole argument only. */
	ck_assert(m("cat /etc/*", "/bin/cat", "cat", "/etc/passwd", NULL));
	ck_assert(!m("cat /etc/*", "/bin/cat", "cat", "etc/passwd", NULL));
	ck_assert(!m("cat etc/passwd", "/bin/cat", "cat", "/etc/passwd",
	    NULL));
}
END_TEST

START_TEST(test_match_hostile)
{
	char	*big, *argv[EXECPOL_MAX_ARGS + 1], *arg;
	size_t	 i, len = 200000;

	ck_assert(!execmatch_match(NULL, "/bin/x", NULL, 0));
	ck_assert(!execmatch_match("x", NULL, NULL, 0));
	ck_assert(!m("", "/bin/sh", "sh", NULL));
	ck_assert(!m("   \t ", "/bin/sh", "sh", NULL));
	/* No argv at all (execve(path, NULL, ...)). */
	ck_assert(execmatch_match("sh", "/bin/sh", NULL, 0));
	ck_assert(!execmatch_match("sh -c", "/bin/sh", NULL, 0));
	ck_assert(execmatch_match("sh ...", "/bin/sh", NULL, 0));
	/* Unbalanced brackets are literal, as fnmatch has them. */
	ck_assert(m("git [push", "/usr/bin/git", "git", "[push", NULL));
	ck_assert(!m("git [push", "/usr/bin/git", "git", "push", NULL));
	ck_assert(m("[", "/x/[", "[", NULL));
	ck_assert(m("x ]", "/x/x", "x", "]", NULL));
	ck_assert(m("x [|", "/x/x", "x", "[", NULL));
	/* A lone trailing backslash is a bad glob: it matches nothing. */
	ck_assert(!m("x \\", "/x/x", "x", "\\", NULL));
	ck_assert(m("x [[:digit:]]*", "/x/x", "x", "7up", NULL));
	/* A huge pattern of words, of "...", of stars: quick, and right. */
	big = xmalloc(len + 1);
	for (i = 0; i < len; i += 2) {
		big[i] = 'a';
		big[i + 1] = ' ';
	}
	big[len] = '\0';
	arg = xmalloc(EXECPOL_MAX_ARG);
	memset(arg, 'a', EXECPOL_MAX_ARG - 1);
	arg[EXECPOL_MAX_ARG - 1] = '\0';
	argv[0] = "a";
	for (i = 1; i < EXECPOL_MAX_ARGS; i++)
		argv[i] = "a";
	argv[EXECPOL_MAX_ARGS] = NULL;
	ck_assert(!execmatch_match(big, "/x/a", argv, EXECPOL_MAX_ARGS));
	ck_assert(execmatch_match("a a a", "/x/a", argv, EXECPOL_MAX_ARGS));
	for (i = 0; i < len; i += 4) {
		memcpy(big + i, "... ", 4);
	}
	big[0] = 'a';
	big[1] = ' ';
	big[2] = ' ';
	ck_assert(execmatch_match(big, "/x/a", argv, EXECPOL_MAX_ARGS));
	for (i = 1; i < EXECPOL_MAX_ARGS; i++)
		argv[i] = arg;
	ck_assert(execmatch_match("a ... *a*a*a*a*a*a*a*a*a*a*a", "/x/a", argv,
	    EXECPOL_MAX_ARGS));
	ck_assert(!execmatch_match("a ... *a*a*a*a*a*a*a*a*a*a*b", "/x/a", argv,
	    EXECPOL_MAX_ARGS));
	memset(big, '*', len);
	ck_assert(execmatch_match(big, "/x/a", argv, EXECPOL_MAX_ARGS));
	memset(big, '[', len);
	ck_assert(!execmatch_match(big, "/x/a", argv, EXECPOL_MAX_ARGS));
	memset(big, '|', len);
	ck_assert(!execmatch_match(big, "/x/a", argv, EXECPOL_MAX_ARGS));
	free(arg);
	free(big);
}
END_TEST

/*
 * The readings git makes of argv (argv[0] first; a NULL ends it), with
 * envp (NULL-terminated or NULL): "a b|c d", "-" for none, NULL for too
 * many (static buffer).
 */
static const char *
gr(char *const *envp, ...)
{
	static char	 buf[8192];
	va_list		 ap;
	char		*argv[EXECPOL_MAX_ARGS + 1], ***r;
	size_t		 n = 0, i, j;

	va_start(ap, envp);
	while (n < nitems(argv) - 1 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if ((r = execmatch_git_readings(argv, n, envp)) == NULL)
		return (NULL);
	buf[0] = '\0';
	for (i = 0; r[i] != NULL; i++) {
		for (j = 0; r[i][j] != NULL; j++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
			    "%s%s", j > 0 ? " " : i > 0 ? "|" : "", r[i][j]);
	}
	if (r[0] == NULL)
		snprintf(buf, sizeof buf, "-");
	execmatch_git_free(r);
	return (buf);
}

START_TEST(test_git_options)
{
	/* Each global option, separate and '=' forms. */
	ck_assert_str_eq(gr(NULL, "git", "push", NULL), "git push");
	ck_assert_str_eq(gr(NULL, "git", "-c", "a=b", "push", "o", NULL),
	    "git push o");
	ck_assert_str_eq(gr(NULL, "git", "-c", "a", "push", NULL), "git push");
	ck_assert_str_eq(gr(NULL, "git", "-C", ".", "push", NULL), "git push");
	ck_assert_str_eq(gr(NULL, "git", "-C", "", "push", NULL), "git push");
	ck_assert_str_eq(gr(NULL, "git", "--config-env", "a.b=V", "push",
	    NULL), "git push");
	ck_assert_str_eq(gr(NULL, "git", "--config-env=a.b=V", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--git-dir", ".git", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--git-dir=.git", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--work-tree", ".", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--work-tree=.", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--namespace", "n", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--namespace=n", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--super-prefix", "p/", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--super-prefix=p/", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--shallow-file", "f", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--attr-source=HEAD", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "--exec-path=/x", "push", NULL),
	    "git push");
	ck_assert_str_eq(gr(NULL, "git", "-p", "-P", "--paginate",
	    "--no-pager", "--no-replace-objects", "--bare",
	    "--literal-pathspecs", "--no-literal-pathspecs",
	    "--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs",
	    "--no-optional-locks", "--no-lazy-fetch", "--no-advice", "push",
	    NULL), "git push");
	/* All at once. */
	ck_assert_str_eq(gr(NULL, "git", "-c", "a=b", "-C", ".",
	    "--git-dir=.git", "--work-tree", ".", "-P", "-c", "x.y=z",
	    "push", "--force", "origin", NULL), "git push --force origin");
	/* Options that print and run nothing; the --help/--version forms. */
	ck_assert_str_eq(gr(NULL, "git", "--exec-path", "push", NULL), "-");
	ck_assert_str_eq(gr(NULL, "git", "--html-path", "push", NULL), "-");
	ck_assert_str_eq(gr(NULL, "git", "--man-path", NULL), "-");
	ck_assert_str_eq(gr(NULL, "git", "--info-path", NULL), "-");
	ck_assert_str_eq(gr(NULL, "git", "--list-cmds=main", "push", NULL),
	    "-");
	ck_assert_str_eq(gr(NULL, "git", "--version", NULL), "git version");
	ck_assert_str_eq(gr(NULL, "git", "-v", NULL), "git version");
	ck_assert_str_eq(gr(NULL, "git", "--help", "push", NULL),
	    "git help push");
	ck_assert_str_eq(gr(NULL, "git", "-C", ".", "-h", NULL), "git help");
	/* An option without its argument: git stops (usage). */
	ck_assert_str_eq(gr(NULL, "git", "-c", NULL), "-");
	ck_assert_str_eq(gr(NULL, "git", "-C", NULL), "-");
	ck_assert_str_eq(gr(NULL, "git", "--git-dir", NULL), "-");
	/* No subcommand: help. Options after it are the subcommand's. */
	ck_assert_str_eq(gr(NULL, "git", NULL), "git");
	ck_assert_str_eq(gr(NULL, "git", "-P", NULL), "git");
	ck_assert_str_eq(gr(NULL, "git", "push", "-c", "a=b", NULL),
	    "git push -c a=b");
	/*
	 * "--" and options git does not know stop git with a usage error;
	 * a newer git might know them, with an argument or without.
	 */
	ck_assert_str_eq(gr(NULL, "git", "--", "push", NULL), "git|git push");
	ck_assert_str_eq(gr(NULL, "git", "--frob", "x", "push", NULL),
	    "git push|git x push");
	ck_assert_str_eq(gr(NULL, "git", "-Cx", "push", NULL), "git|git push");
	ck_assert_str_eq(gr(NULL, "git", "--frob", "--blah", "-c", "a=b",
	    "push", NULL), "git push|git push");
}
END_TEST

START_TEST(test_git_aliases)
{
	char	*cenv[] = { "HOME=/h", "V=push --force", NULL };
	char	*params[] = { "GIT_CONFIG_PARAMETERS='user.name'='x' "
		    "'alias.p'='pu'\\''sh'", NULL };
	char	*params2[] = { "GIT_CONFIG_PARAMETERS='alias.p'='push' ", NULL };
	char	*oldp[] = { "GIT_CONFIG_PARAMETERS='alias.p=push'", NULL };
	char	*count[] = { "GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=a.b",
		    "GIT_CONFIG_VALUE_0=c", "GIT_CONFIG_KEY_1=alias.p",
		    "GIT_CONFIG_VALUE_1=push", NULL };
	char	*badcount[] = { "GIT_CONFIG_COUNT=99999999999999999999",
		    "GIT_CONFIG_KEY_0=alias.p", "GIT_CONFIG_VALUE_0=push",
		    NULL };
	char	*badparams[] = { "GIT_CONFIG_PARAMETERS='alias.p'='push", NULL };

	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.p=push", "p", "o",
	    NULL), "git p o|git push o");
	/* Alias names are case-insensitive, as config keys are. */
	ck_assert_str_eq(gr(NULL, "git", "-c", "ALIAS.P=push", "p", NULL),
	    "git p|git push");
	/* Words, quotes, options inside, aliases of aliases. */
	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.p=-c x=y 'push' "
	    "\"--force\"", "p", "o", NULL), "git p o|git push --force o");
	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.a=b", "-c",
	    "alias.b=push", "a", NULL), "git a|git b|git push");
	/* A shell alias runs sh, seen as its own exec. */
	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.p=!git push", "p",
	    NULL), "git p");
	/* Not for another name; a -c after the subcommand is no alias. */
	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.p=push", "q", NULL),
	    "git q");
	ck_assert_str_eq(gr(NULL, "git", "p", "-c", "alias.p=push", NULL),
	    "git p -c alias.p=push");
	/* --config-env takes the value from the environment. */
	ck_assert_str_eq(gr(cenv, "git", "--config-env=alias.p=V", "p", NULL),
	    "git p|git push --force");
	ck_assert_str_eq(gr(cenv, "git", "--config-env", "alias.p=V", "p",
	    NULL), "git p|git push --force");
	ck_assert_str_eq(gr(cenv, "git", "--config-env=alias.p=NOPE", "p",
	    NULL), "git p");
	/* What git passes down to its children. */
	/* pu'sh, quoted by git, then split as an alias's words: push. */
	ck_assert_str_eq(gr(params, "git", "p", NULL), "git p|git push");
	ck_assert_str_eq(gr(params2, "git", "p", NULL), "git p|git push");
	ck_assert_str_eq(gr(oldp, "git", "p", NULL), "git p|git push");
	ck_assert_str_eq(gr(count, "git", "p", NULL), "git p|git push");
	ck_assert_str_eq(gr(badcount, "git", "p", NULL), "git p|git push");
	ck_assert_str_eq(gr(badparams, "git", "p", NULL), "git p");
	/* A loop ends; too many readings are too many. */
	ck_assert_ptr_nonnull(gr(NULL, "git", "-c", "alias.a=a", "a", NULL));
	ck_assert_ptr_null(gr(NULL, "git", "-c", "alias.a=b", "-c", "alias.a=c",
	    "-c", "alias.b=a", "-c", "alias.b=c", "-c", "alias.c=a", "-c",
	    "alias.c=b", "a", NULL));
}
END_TEST

START_TEST(test_git_hostile)
{
	char	*argv[EXECPOL_MAX_ARGS + 1], *big, ***r;
	size_t	 i;

	/* git-<cmd> is the builtin (argv[0] is what git looks at). */
	ck_assert_str_eq(gr(NULL, "git-push", "o", NULL), "git push o");
	ck_assert_str_eq(gr(NULL, "/usr/lib/git-core/git-receive-pack", "x",
	    NULL), "git receive-pack x");
	ck_assert_str_eq(gr(NULL, "git-push", "-c", "alias.o=x", NULL),
	    "git push -c alias.o=x");
	ck_assert_str_eq(gr(NULL, "git-", "push", NULL), "git push");
	/* No argv at all, empty words, bytes that are not UTF-8. */
	r = execmatch_git_readings(NULL, 0, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r[0][0], "git");
	ck_assert_ptr_null(r[0][1]);
	execmatch_git_free(r);
	ck_assert_str_eq(gr(NULL, "", "push", NULL), "git push");
	ck_assert_str_eq(gr(NULL, "git", "", "push", NULL), "git  push");
	ck_assert_str_eq(gr(NULL, "git", "-c", "", "push", NULL), "git push");
	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.\xff\xfe=push",
	    "\xff\xfe", NULL), "git \xff\xfe|git push");
	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.p=", "p", NULL),
	    "git p");
	ck_assert_str_eq(gr(NULL, "git", "-c", "alias.p='unclosed", "p", NULL),
	    "git p|git unclosed");
	/* Huge: every argument an option, or one huge alias. */
	argv[0] = "git";
	for (i = 1; i < EXECPOL_MAX_ARGS; i++)
		argv[i] = "-P";
	argv[EXECPOL_MAX_ARGS] = NULL;
	r = execmatch_git_readings(argv, EXECPOL_MAX_ARGS, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(r[0][1]);
	execmatch_git_free(r);
	for (i = 1; i < EXECPOL_MAX_ARGS; i++)
		argv[i] = "--frob";
	r = execmatch_git_readings(argv, EXECPOL_MAX_ARGS, NULL);
	ck_assert_ptr_nonnull(r);
	execmatch_git_free(r);
	big = xmalloc(EXECPOL_MAX_ARG);
	memcpy(big, "alias.p=", 8);
	for (i = 8; i < EXECPOL_MAX_ARG - 1; i += 2)
		memcpy(big + i, "x ", 2);
	big[EXECPOL_MAX_ARG - 1] = '\0';
	argv[1] = "-c";
	argv[2] = big;
	argv[3] = "p";
	argv[4] = NULL;
	r = execmatch_git_readings(argv, 4, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r[1][1], "x");
	execmatch_git_free(r);
	free(big);
}
END_TEST

/* Whether a default of category (or the tests, NULL) matches argv. */
static int
dm(const char *category, const char *path, ...)
{
	const char *const	*p;
	va_list			 ap;
	char			*argv[64];
	size_t			 n = 0;

	va_start(ap, path);
	while (n < nitems(argv) - 1 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	p = category != NULL ? execmatch_default_patterns(category) :
	    execmatch_default_tests();
	for (; p != NULL && *p != NULL; p++)
		if (execmatch_match(*p, path, argv, n))
			return (1);
	return (0);
}

START_TEST(test_match_defaults)
{
	ck_assert(dm("merge", "/usr/bin/git", "git", "push", "origin", NULL));
	ck_assert(dm("merge", "/usr/bin/git", "git", "merge", "x", NULL));
	ck_assert(dm("merge", "/usr/bin/git", "git", "send-pack", "r", NULL));
	ck_assert(dm("merge", "/usr/bin/ssh", "ssh", "-o", "SendEnv=X", "h",
	    "git-receive-pack '/srv/r.git'", NULL));
	ck_assert(!dm("merge", "/usr/bin/ssh", "ssh", "h",
	    "git-upload-pack '/srv/r.git'", NULL));
	ck_assert(!dm("merge", "/usr/bin/git", "git", "commit", NULL));
	ck_assert(dm("deps_add", "/usr/bin/npm", "npm", "install", NULL));
	ck_assert(dm("deps_add", "/usr/bin/npm", "npm", "i", "lodash", NULL));
	ck_assert(!dm("deps_add", "/usr/bin/npm", "npm", "init", NULL));
	ck_assert(dm("deps_add", "/usr/bin/python3.11", "python3", "-m", "pip",
	    "install", "x", NULL));
	ck_assert(dm("deps_add", "/usr/bin/pip3", "pip3", "install", NULL));
	ck_assert(dm("deps_add", "/usr/bin/cargo", "cargo", "add", "serde",
	    NULL));
	ck_assert(dm("deps_add", "/usr/bin/apt-get", "apt-get", "install",
	    "-y", "jq", NULL));
	ck_assert(dm("secrets", "/bin/cat", "cat", ".env", NULL));
	ck_assert(dm("secrets", "/bin/cat", "cat", "app/prod.env", NULL));
	ck_assert(dm("secrets", "/usr/bin/head", "head", "-n1", "k.pem",
	    NULL));
	ck_assert(dm("secrets", "/bin/grep", "grep", "x", "/root/.netrc",
	    NULL));
	ck_assert(dm("secrets", "/bin/cat", "cat", "/home/u/.ssh/id_ed25519",
	    NULL));
	ck_assert(!dm("secrets", "/bin/cat", "cat", "README.md", NULL));
	ck_assert(!dm("secrets", "/bin/cp", "cp", ".env", "x", NULL));
	ck_assert(dm("deploy", "/usr/bin/kubectl", "kubectl", "apply", "-f",
	    "x", NULL));
	ck_assert(dm("deploy", "/usr/bin/vercel", "vercel", "--prod", NULL));
	ck_assert(dm("deploy", "/usr/bin/npm", "npm", "publish", NULL));
	ck_assert(!dm("deploy", "/usr/bin/kubectl", "kubectl", "get", NULL));
	ck_assert(execmatch_default_patterns("shell") == NULL);
	ck_assert(execmatch_default_patterns("nonsense") == NULL);
	ck_assert(dm(NULL, "/usr/bin/make", "make", "check", NULL));
	ck_assert(dm(NULL, "/usr/bin/make", "make", "-j4", "check", NULL));
	ck_assert(dm(NULL, "/usr/bin/make", "make", "test", NULL));
	ck_assert(!dm(NULL, "/usr/bin/make", "make", NULL));
	ck_assert(!dm(NULL, "/usr/bin/make", "make", "check-am", NULL));
	ck_assert(dm(NULL, "/usr/bin/pytest", "pytest", "-q", NULL));
	ck_assert(dm(NULL, "/usr/bin/python3", "python3", "-m", "pytest",
	    NULL));
	ck_assert(dm(NULL, "/usr/bin/go", "go", "test", "./...", NULL));
	ck_assert(!dm(NULL, "/usr/bin/go", "go", "build", NULL));
	ck_assert(dm(NULL, "/usr/bin/cargo", "cargo", "test", NULL));
	ck_assert(dm(NULL, "/x/node_modules/.bin/jest", "jest", NULL));
	ck_assert(dm(NULL, "/usr/bin/npm", "npm", "test", NULL));
	ck_assert(dm(NULL, "/usr/bin/npm", "npm", "run", "test", NULL));
}
END_TEST

/* testsum_summary on a string: passed/failed/skipped, or -9 if none. */
static void
sum(const char *text, int *p, int *f, int *s)
{
	*p = *f = *s = -9;
	if (!testsum_summary(text, strlen(text), p, f, s))
		*p = *f = *s = -9;
}

#define SUM(text, ep, ef, es) do {					\
	int	p_, f_, s_;						\
	sum((text), &p_, &f_, &s_);					\
	ck_assert_msg(p_ == (ep) && f_ == (ef) && s_ == (es),		\
	    "%s: got %d/%d/%d", (text), p_, f_, s_);			\
} while (0)

START_TEST(test_summary_runners)
{
	SUM("collected 6 items\n\nt.py ..F.s\n"
	    "===== 1 failed, 3 passed, 2 skipped in 0.12s =====\n", 3, 1, 2);
	SUM("5 passed in 0.01s\n", 5, 0, 0);
	SUM("== 2 passed, 1 warning, 1 error in 1.50s (0:00:01) ==", 2, 1, 0);
	SUM("=== no tests ran in 0.01s ===\n", 0, 0, 0);
	SUM("running 3 tests\ntest a ... ok\n"
	    "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; "
	    "0 filtered out; finished in 0.00s\n\n"
	    "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured;"
	    " 0 filtered out\n", 4, 2, 1);
	SUM("ok  \texample.com/a\t0.003s\nFAIL\texample.com/b\t0.01s\n"
	    "ok  \texample.com/c\t(cached)\n"
	    "?   \texample.com/d\t[no test files]\n", 2, 1, 0);
	SUM("=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n"
	    "--- FAIL: TestB (0.00s)\n    --- SKIP: TestB/sub (0.00s)\n"
	    "FAIL\nFAIL\texample.com/a\t0.01s\n", 1, 1, 1);
	SUM("1..4\nok 1 - a\nnot ok 2 - b\nok 3 # SKIP no net\n"
	    "not ok 4 # TODO later\n", 1, 1, 2);
	SUM("PASS: check_frame\nFAIL: check_utf8\n"
	    "==========================\nTestsuite summary for x 1.0\n"
	    "==========================\n# TOTAL: 7\n# PASS:  4\n# SKIP:  1\n"
	    "# XFAIL: 0\n# FAIL:  1\n# XPASS: 0\n# ERROR: 1\n"
	    "==========================\n", 4, 2, 1);
	SUM("Test Suites: 1 failed, 1 passed, 2 total\n"
	    "Tests:       1 failed, 1 skipped, 3 passed, 5 total\n"
	    "Snapshots:   0 total\nTime:        1.2 s\n", 3, 1, 1);
	SUM(" Test Files  1 failed | 1 passed (2)\n"
	    "      Tests  1 failed | 2 passed | 1 skipped (4)\n", 2, 1, 1);
	SUM("  3 passing (12ms)\n  2 pending\n  1 failing\n\n  1) x:\n",
	    3, 1, 2);
	SUM("Running suite(s): frame\n"
	    "83%: Checks: 12, Failures: 1, Errors: 1\n", 10, 2, 0);
	SUM("80% tests passed, 1 tests failed out of 5\n", 4, 1, 0);
	SUM("[INFO] Tests run: 2, Failures: 0, Errors: 0, Skipped: 0, Time "
	    "elapsed: 0.1 s - in a.ATest\n[INFO] Results:\n"
	    "[ERROR] Tests run: 6, Failures: 1, Errors: 1, Skipped: 1\n",
	    3, 2, 1);
	SUM("....\n-------\nRan 6 tests in 0.003s\n\n"
	    "FAILED (failures=1, errors=1, skipped=1)\n", 3, 2, 1);
	SUM("Ran 1 test in 0.000s\n\nOK\n", 1, 0, 0);
	SUM("Ran 3 tests in 0.000s\n\nOK (skipped=1)\n", 2, 0, 1);
}
END_TEST

START_TEST(test_summary_last_wins)
{
	/* make check runs several runners: the one that ends last counts. */
	SUM("5 passed in 0.01s\n# TOTAL: 1\n# PASS:  1\n", 1, 0, 0);
	SUM("# TOTAL: 1\n# PASS:  1\n\n=== 2 failed in 0.3s ===\n", 0, 2, 0);
	/* Two automake summaries (recursive make): the last block. */
	SUM("# TOTAL: 9\n# PASS: 9\n# TOTAL: 2\n# PASS: 1\n# FAIL: 1\n",
	    1, 1, 0);
}
END_TEST

START_TEST(test_summary_hostile)
{
	char	*big;
	size_t	 i, len = 1024 * 1024;
	int	 p, f, s;

	ck_assert(!testsum_summary("", 0, &p, &f, &s));
	ck_assert(!testsum_summary("hello\nworld", 11, &p, &f, &s));
	ck_assert(!testsum_summary("\n\n\n", 3, &p, &f, &s));
	ck_assert(!testsum_summary("passed failed skipped", 21, &p, &f, &s));
	/* Not NUL-terminated: only len bytes are read. */
	ck_assert(testsum_summary("5 passed in 1s\nXXXXXXXX", 14, &p, &f,
	    &s));
	ck_assert_int_eq(p, 5);
	/* Numbers past int saturate, never wrap. */
	SUM("99999999999999999999999 passed in 0.1s\n", 2147483647, 0, 0);
	SUM("test result: ok. 2147483647 passed; 0 failed; 0 ignored\n"
	    "test result: ok. 2147483647 passed; 0 failed; 0 ignored\n",
	    2147483647, 0, 0);
	/* Inconsistent totals never go negative. */
	SUM("10% tests passed, 9 tests failed out of 2\n", 0, 9, 0);
	SUM("Ran 1 test in 0.1s\nFAILED (failures=5)\n", 0, 5, 0);
	/* Automake lines without a TOTAL first are not a summary. */
	ck_assert(!testsum_summary("# PASS: 3\n", 10, &p, &f, &s));
	/* Binary junk, NULs, huge lines around a real summary. */
	big = xmalloc(len);
	for (i = 0; i < len; i++)
		big[i] = (char)(i * 7919 % 251);
	ck_assert(testsum_summary(big, len, &p, &f, &s) == 0 ||
	    (p >= 0 && f >= 0 && s >= 0));
	memset(big, 'x', len);
	memcpy(big + len - 40, "\n3 passed, 1 failed in 2.0s\n", 28);
	ck_assert(testsum_summary(big, len - 12, &p, &f, &s));
	ck_assert_int_eq(p, 3);
	ck_assert_int_eq(f, 1);
	free(big);
}
END_TEST

/*
 * Real notifications: a child loads a filter that notifies execve and
 * execveat, hands the listener over, and runs a shell script; the test
 * plays the worker.
 */
static struct event_base	*base;
static struct json_object	*events;	/* everything the policy sent */
static struct json_object	*approvals;
static int			 ran;
static int			 request_rv;
static char			 dir[] = "/tmp/check-execpol.XXXXXX";

static void
ev_cb(struct json_object *ev, void *arg)
{
	const char	*s;

	/* Every string the worker would send must be valid UTF-8. */
	s = json_object_to_json_string(ev);
	ck_assert(utf8_valid((const unsigned char *)s, strlen(s)));
	json_object_array_add(events, ev);
}

static int
request_cb(struct json_object *ap, void *arg)
{
	if (request_rv == 1)
		json_object_array_add(approvals, json_object_get(ap));
	return (request_rv);
}

static void
ran_cb(void *arg)
{
	ran++;
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	base = event_base_new();
	events = json_object_new_array();
	approvals = json_object_new_array();
	ran = 0;
	request_rv = 1;
}

static void
teardown(void)
{
	char	cmd[128];

	json_object_put(events);
	json_object_put(approvals);
	event_base_free(base);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	(void)system(cmd);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* In the child: load the filter, send its listener over sock. */
static void
child_filter(int sock)
{
	scmp_filter_ctx	 ctx;
	int		 fd;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0) != 0 ||
	    seccomp_load(ctx) != 0 || (fd = seccomp_notify_fd(ctx)) < 0)
		_exit(120);
	if (send_fd(sock, "", 1, fd, 0) != 1)
		_exit(121);
	close(fd);
	close(sock);
	seccomp_release(ctx);
}

/* The listener from the child. */
static int
recv_fd(int sock)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	char		 c, cbuf[CMSG_SPACE(sizeof (int))];
	int		 fd;

	memset(&msg, 0, sizeof msg);
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof cbuf;
	ck_assert_int_eq(recvmsg(sock, &msg, 0), 1);
	cm = CMSG_FIRSTHDR(&msg);
	ck_assert_ptr_nonnull(cm);
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return (fd);
}

struct kid {
	pid_t		 pid;
	int		 status;
	int		 exited;
	int		 out;		/* its stdout, read end */
	struct execpol	*ep;
	struct event	*out_ev;
};

/* The child's output goes to the policy, as the pty's would. */
static void
kid_out_cb(int fd, short what, void *arg)
{
	struct kid	*k = arg;
	char		 buf[4096];
	ssize_t		 n;

	if ((n = read(fd, buf, sizeof buf)) > 0)
		testrun_output(k->ep, buf, (size_t)n);
	else if (n == 0 || errno != EAGAIN)
		event_del(k->out_ev);
}

/* The policy asks for what the "terminal" holds now. */
static struct kid	*current;

static void
drain_cb(void *arg)
{
	char	buf[4096];
	ssize_t	n;

	while (current != NULL && (n = read(current->out, buf,
	    sizeof buf)) > 0)
		testrun_output(current->ep, buf, (size_t)n);
}

/*
 * Start a child under a listener with a policy: it runs fn(arg) if given,
 * else /bin/sh -c script (its first exec, let through silently).
 */

/* The script of a wrapper shell argv, as execwrap_commands reads it. */
static char ***
wrap(const char *path, const char *const *argv)
{
	struct execpol_exec	x;

	memset(&x, 0, sizeof x);
	x.path = (char *)path;
	x.argv = (char **)argv;
	for (x.argc = 0; argv[x.argc] != NULL; x.argc++)
		;
	return (execwrap_commands(&x));
}

/* cmds[i] joined by spaces, in a static buffer. */
static const char *
cmd_at(char ***cmds, size_t i)
{
	static char	buf[1024];
	size_t		j;

	buf[0] = '\0';
	for (j = 0; cmds[i][j] != NULL; j++) {
		if (j > 0)
			strcat(buf, " ");
		strcat(buf, cmds[i][j]);
	}
	return (buf);
}

START_TEST(test_wrapper_script)
{
	const char *const codex[] = { "bash", "-lc",
	    "git push origin main", NULL };
	const char *const claude[] = { "/bin/bash", "-c", "-l",
	    "shopt -u extglob 2>/dev/null || true && eval 'git status' "
	    "\\< /dev/null && pwd -P >| /tmp/claude-1-cwd", NULL };
	const char *const opts[] = { "sh", "-e", "-o", "pipefail", "+x",
	    "-c", "FOO=1 env A=b rm -rf \"x y\"; echo $(git -c alias.p=push "
	    "p) `id`|wc -l&>/dev/null # rm -rf /\nexec 3>&1 make", "name",
	    NULL };
	const char *const nested[] = { "sh", "-c",
	    "bash -c \"dash -ec 'eval rm -rf z'\"", NULL };
	char	 *rm[] = { "rm", NULL }, *push[] = { "git push", NULL };
	char	***c;

	c = wrap("/usr/bin/bash", codex);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(cmd_at(c, 0), "git push origin main");
	ck_assert_ptr_null(c[1]);
	ck_assert_str_eq(execwrap_find(push, c), "git push");
	ck_assert_ptr_null(execwrap_find(rm, c));
	execmatch_git_free(c);

	c = wrap("/bin/bash", claude);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(cmd_at(c, 0), "shopt -u extglob");
	ck_assert_str_eq(cmd_at(c, 1), "true");
	ck_assert_str_eq(cmd_at(c, 2), "git status");
	ck_assert_str_eq(cmd_at(c, 3), "pwd -P");
	ck_assert_ptr_null(c[4]);
	ck_assert_ptr_null(execwrap_find(push, c));
	execmatch_git_free(c);

	c = wrap("/bin/sh", opts);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(cmd_at(c, 0), "rm -rf x y");
	ck_assert_str_eq(cmd_at(c, 1), "echo");
	ck_assert_str_eq(cmd_at(c, 2), "git -c alias.p=push p");
	ck_assert_str_eq(cmd_at(c, 3), "id");
	ck_assert_str_eq(cmd_at(c, 4), "wc -l");
	ck_assert_str_eq(cmd_at(c, 5), "make");
	ck_assert_ptr_null(c[6]);
	ck_assert_str_eq(execwrap_find(rm, c), "rm");
	/* git reads the alias as push. */
	ck_assert_str_eq(execwrap_find(push, c), "git push");
	execmatch_git_free(c);

	c = wrap("/bin/sh", nested);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(execwrap_find(rm, c), "rm");
	execmatch_git_free(c);
}
END_TEST

START_TEST(test_wrapper_not)
{
	const char *const script[] = { "bash", "x.sh", "-c", NULL };
	const char *const noscript[] = { "bash", "-c", NULL };
	const char *const rcfile[] = { "bash", "--rcfile", "x", "-c", "y",
	    NULL };
	const char *const plusc[] = { "bash", "+c", "y", NULL };
	const char *const stdin_[] = { "bash", "-s", "-c", "y", NULL };
	const char *const python[] = { "python3", "-c", "rm", NULL };
	const char *const o_end[] = { "bash", "-c", "-o", NULL };

	/* A shell running a file, stdin or nothing is not a wrapper. */
	ck_assert_ptr_null(wrap("/bin/bash", script));
	ck_assert_ptr_null(wrap("/bin/bash", noscript));
	ck_assert_ptr_null(wrap("/bin/bash", rcfile));
	ck_assert_ptr_null(wrap("/bin/bash", plusc));
	ck_assert_ptr_null(wrap("/bin/bash", stdin_));
	ck_assert_ptr_null(wrap("/usr/bin/python3", python));
	ck_assert_ptr_null(wrap("/bin/bash", o_end));
}
END_TEST

START_TEST(test_wrapper_hostile)
{
	const char *const texts[] = { "'rm -rf", "\"", "\\", "$(", "",
	    "$'", "eval", "eval ''", ">", "2>&", "&>", "<<<", "#", ";;;;",
	    "a\\\nb", "((((((", "`", "{ }", NULL };
	const char	*argv[4] = { "sh", "-c", NULL, NULL };
	char		*rm[] = { "rm", NULL };
	char		***c, *big, *deep;
	size_t		 i, n;

	/* Truncated and odd scripts: read, bounded, never a crash. */
	for (i = 0; texts[i] != NULL; i++) {
		argv[2] = texts[i];
		c = wrap("/bin/sh", argv);
		ck_assert_ptr_nonnull(c);
		ck_assert_ptr_null(execwrap_find(rm, c));
		execmatch_git_free(c);
	}
	argv[2] = "'rm' -rf \"";
	c = wrap("/bin/sh", argv);
	ck_assert_str_eq(execwrap_find(rm, c), "rm");
	execmatch_git_free(c);

	/* Huge: 100k commands, 100k words; at most what the bounds keep. */
	big = xmalloc(200001);
	for (i = 0; i < 100000; i++)
		memcpy(big + 2 * i, "x;", 2);
	big[200000] = '\0';
	argv[2] = big;
	c = wrap("/bin/sh", argv);
	for (n = 0; c[n] != NULL; n++)
		;
	ck_assert_uint_eq(n, 128);
	execmatch_git_free(c);
	for (i = 0; i < 100000; i++)
		memcpy(big + 2 * i, "x ", 2);
	c = wrap("/bin/sh", argv);
	ck_assert_uint_eq(strv_len(c[0]), 256);
	execmatch_git_free(c);
	free(big);

	/* Deep: eval and shells in shells stop at a depth. */
	deep = xstrdup("rm");
	for (i = 0; i < 50; i++) {
		big = xasprintf("eval sh -c %s", deep);
		free(deep);
		deep = big;
	}
	argv[2] = deep;
	c = wrap("/bin/sh", argv);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(execwrap_find(rm, c));
	execmatch_git_free(c);
	free(deep);
}
END_TEST

static void
kid_start(struct kid *k, const struct execpol_params *pp, const char *script,
    void (*fn)(const char *))
{
	struct execpol_cb	 cb = { ev_cb, request_cb, ran_cb, drain_cb,
				    NULL };
	int			 sv[2], pfd[2];

	memset(k, 0, sizeof *k);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(pfd), 0);
	switch (k->pid = fork()) {
	case -1:
		ck_abort_msg("fork");
		break;
	case 0:
		close(sv[0]);
		close(pfd[0]);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[1]);
		if (chdir(dir) == -1)
			_exit(122);
		child_filter(sv[1]);
		if (fn != NULL)
			fn(script);
		else
			execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(pfd[1]);
	k->ep = execpol_create(base, recv_fd(sv[0]), pp, &cb);
	close(sv[0]);
	k->out = pfd[0];
	ck_assert_int_eq(set_nonblock(k->out), 0);
	current = k;
	k->out_ev = event_new(base, k->out, EV_READ|EV_PERSIST, kid_out_cb, k);
	event_add(k->out_ev, NULL);
}

/* Run the loop until cond() (or the child's exit when NULL), 10 s at most. */
static void
kid_run(struct kid *k, int (*cond)(struct kid *))
{
	struct timeval	tv = { 0, 10 * 1000 };
	int64_t		end = mono_ms() + 10000;

	while (mono_ms() < end) {
		if (!k->exited && waitpid(k->pid, &k->status, WNOHANG) ==
		    k->pid)
			k->exited = 1;
		if (cond != NULL ? cond(k) : k->exited)
			return;
		event_base_loopexit(base, &tv);
		event_base_loop(base, EVLOOP_ONCE);
	}
	ck_abort_msg("timed out waiting");
}

/* Let the loop run for ms. */
static void
kid_idle(struct kid *k, int ms)
{
	int64_t	end = mono_ms() + ms;
	struct timeval	tv = { 0, 10 * 1000 };

	while (mono_ms() < end) {
		event_base_loopexit(base, &tv);
		event_base_loop(base, EVLOOP_ONCE);
	}
}

static void
kid_end(struct kid *k)
{
	if (!k->exited) {
		kill(k->pid, SIGKILL);
		waitpid(k->pid, &k->status, 0);
	}
	current = NULL;
	event_free(k->out_ev);
	close(k->out);
	execpol_free(k->ep);
}

static int
has_approval(struct kid *k)
{
	return (json_object_array_length(approvals) > 0);
}

/* The events of a type, as a new array. */
static struct json_object *
of_type(const char *type)
{
	struct json_object	*a, *e, *t;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; i < json_object_array_length(events); i++) {
		e = json_object_array_get_idx(events, i);
		if (json_object_object_get_ex(e, "type", &t) &&
		    strcmp(json_object_get_string(t), type) == 0)
			json_object_array_add(a, json_object_get(e));
	}
	return (a);
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

static int
file_exists(const char *name)
{
	char		path[256];
	struct stat	sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return (stat(path, &sb) == 0);
}

/* The contents of a file in dir (static). */
static const char *
file_text(const char *name)
{
	static char	 buf[256];
	char		 path[256];
	FILE		*f;
	size_t		 n = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return (buf);
}

START_TEST(test_notify_deny)
{
	char			*deny[] = { "rm", NULL };
	struct execpol_params	 pp = { "s1", NULL, deny, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct json_object	*alerts, *a, *ctx, *v;
	struct kid		 k;

	kid_start(&k, &pp, "touch x && rm -f x; echo $? > rc", NULL);
	kid_run(&k, NULL);
	ck_assert(WIFEXITED(k.status));
	ck_assert(file_exists("x"));
	ck_assert_str_eq(file_text("rc"), "126\n");
	alerts = of_type("ALERT_RAISED");
	ck_assert_int_eq(json_object_array_length(alerts), 1);
	a = json_object_array_get_idx(alerts, 0);
	ck_assert_str_eq(jstr(a, "category"), "policy");
	ck_assert_str_eq(jstr(a, "title"), "command denied");
	ck_assert_ptr_nonnull(strstr(jstr(a, "description"), "rm -f x"));
	ck_assert_ptr_nonnull(strstr(jstr(a, "description"),
	    "policy.shellDenylist"));
	ck_assert(json_object_object_get_ex(a, "context", &ctx));
	ck_assert(json_object_object_get_ex(ctx, "argv", &v));
	ck_assert_int_eq(json_object_array_length(v), 3);
	ck_assert_ptr_nonnull(strstr(jstr(ctx, "program"), "rm"));
	ck_assert_str_eq(jstr(ctx, "cwd"), dir);
	/* touch ran; sh (the first exec) and rm (denied) do not count. */
	ck_assert_int_eq(ran, 1);
	json_object_put(alerts);
	kid_end(&k);
}
END_TEST

/* The number of events of type whose description holds s. */
static size_t
count_desc(const char *type, const char *s)
{
	struct json_object	*a;
	size_t			 i, n = 0;
	const char		*d;

	a = of_type(type);
	for (i = 0; i < json_object_array_length(a); i++) {
		d = jstr(json_object_array_get_idx(a, i), "description");
		if (d != NULL && strstr(d, s) != NULL)
			n++;
	}
	json_object_put(a);
	return (n);
}

START_TEST(test_notify_identity_deny)
{
	char			*allow[] = { "*", NULL }, *deny[] = { "rm",
				    NULL };
	struct execpol_params	 pp = { "s1", allow, deny, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;

	/*
	 * A copy, a symlink and a hard link of rm under other names are rm;
	 * the copy is hashed once however often it runs.
	 */
	kid_start(&k, &pp, "touch v1 v2 v3 v4 v5; r=$(command -v rm); "
	    "cp \"$r\" zap; ./zap v1; echo $? > rc1; "
	    "ln -s \"$r\" lnk; ./lnk v2; echo $? > rc2; "
	    "if ln \"$r\" hard 2>/dev/null; then ./hard v3; echo $? > rc3; "
	    "else echo 126 > rc3; fi; "
	    "./zap v4; ./zap v4; ./zap v5; echo $? > rc5; "
	    "cp \"$r\" keep; echo x >> keep; ./keep v5; echo $? > rc6", NULL);
	kid_run(&k, NULL);
	ck_assert(file_exists("v1") && file_exists("v2") && file_exists("v3"));
	ck_assert(file_exists("v4"));
	ck_assert_str_eq(file_text("rc1"), "126\n");
	ck_assert_str_eq(file_text("rc2"), "126\n");
	ck_assert_str_eq(file_text("rc3"), "126\n");
	ck_assert_str_eq(file_text("rc5"), "126\n");
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "./zap v1: denied by "
	    "policy.shellDenylist pattern 'rm'"), 1);
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "./lnk v2: denied"), 1);
	/* One file hashed (zap); rm's own hash is not counted. */
	ck_assert_uint_eq(execpol_hashes(k.ep), 1);
	/* A changed copy is another program: it ran (rm unknown by name). */
	ck_assert(!file_exists("v5"));
	ck_assert_str_eq(file_text("rc6"), "0\n");
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_identity_git)
{
	char			*cats[] = { "merge", NULL };
	struct execpol_params	 pp = { "s1", NULL, NULL, cats, NULL, NULL,
				    NULL, 5000, NULL };
	struct json_object	*ap, *ctx;
	struct kid		 k;
	char			 line[256];

	/* A copy of git under another name, options before push: held. */
	kid_start(&k, &pp, "g=$(command -v git) && cp \"$g\" ./g && "
	    "./g -c a=b -C . push -q nowhere; echo $? > rc", NULL);
	kid_run(&k, has_approval);
	ap = json_object_array_get_idx(approvals, 0);
	ck_assert_str_eq(jstr(ap, "category"), "merge");
	ck_assert_str_eq(jstr(ap, "summary"), "./g -c a=b -C . push -q nowhere");
	ck_assert(json_object_object_get_ex(ap, "context", &ctx));
	ck_assert_str_eq(jstr(ctx, "pattern"), "git push");
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(ap, "approvalId"), 0,
	    line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc"), "126\n");
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_identity_allowlist)
{
	char			*allow[] = { "sh", "cp", "ls", "git status",
				    NULL };
	struct execpol_params	 pp = { "s1", allow, NULL, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;

	/* git named ls is git: not ls, and git only for status. */
	kid_start(&k, &pp, "cp \"$(command -v git)\" ls; ./ls push; "
	    "echo $? > rc1; ./ls status >/dev/null 2>&1; echo $? > rc2; "
	    "./ls --git-dir=x status >/dev/null 2>&1; echo $? > rc3; "
	    "./ls -c alias.status=push status; echo $? > rc4", NULL);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc1"), "126\n");
	ck_assert_str_ne(file_text("rc2"), "126\n");
	ck_assert_str_ne(file_text("rc3"), "126\n");
	/* An alias named like a builtin is read both ways: not allowed. */
	ck_assert_str_eq(file_text("rc4"), "126\n");
	ck_assert_uint_eq(count_desc("ALERT_RAISED",
	    "not in policy.shellAllowlist"), 2);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_proc_self)
{
	char			*deny[] = { NULL, NULL }, sh[PATH_MAX];
	struct execpol_params	 pp = { "s1", NULL, deny, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;

	/* /proc/self in the target is the target (its shell), not us. */
	ck_assert_ptr_nonnull(realpath("/bin/sh", sh));
	deny[0] = strrchr(sh, '/') + 1;
	kid_start(&k, &pp, "(exec /proc/self/exe -c 'touch y'); echo $? > rc",
	    NULL);
	kid_run(&k, NULL);
	ck_assert(!file_exists("y"));
	ck_assert_str_ne(file_text("rc"), "0\n");
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "/proc/self/exe -c"), 1);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_wrapper_allow)
{
	char			*allow[] = { "ls", "git", "make", NULL };
	struct execpol_params	 pp = { "s1", allow, NULL, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;

	/*
	 * An allowlist without sh lets a wrapper through; what its script
	 * runs is held to the list all the same. A shell running a file
	 * is not a wrapper.
	 */
	kid_start(&k, &pp, "sh -c 'ls >/dev/null'; echo $? > rc1; "
	    "sh -lc 'touch z'; echo $? > rc2; echo 'ls' > s.sh; "
	    "sh s.sh; echo $? > rc3", NULL);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc1"), "0\n");
	ck_assert(!file_exists("z"));
	ck_assert_str_ne(file_text("rc2"), "0\n");
	ck_assert_str_eq(file_text("rc3"), "126\n");
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "touch z: not in "
	    "policy.shellAllowlist"), 1);
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "sh s.sh: not in "
	    "policy.shellAllowlist"), 1);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_wrapper_deny)
{
	char			*deny[] = { "rm", NULL };
	struct execpol_params	 pp = { "s1", NULL, deny, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;

	/* Refused before the shell runs anything, eval'd or not. */
	kid_start(&k, &pp, "sh -c 'touch a; rm -f a'; echo $? > rc1; "
	    "sh -c -l \"eval 'touch b && rm -f b' < /dev/null\"; "
	    "echo $? > rc2; sh -c 'touch c'; echo $? > rc3", NULL);
	kid_run(&k, NULL);
	ck_assert(!file_exists("a") && !file_exists("b"));
	ck_assert(file_exists("c"));
	ck_assert_str_eq(file_text("rc1"), "126\n");
	ck_assert_str_eq(file_text("rc2"), "126\n");
	ck_assert_str_eq(file_text("rc3"), "0\n");
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "sh -c 'touch a; rm -f a': "
	    "denied by policy.shellDenylist pattern 'rm'"), 1);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_wrapper_gate_once)
{
	char			*cats[] = { "merge", NULL };
	struct execpol_params	 pp = { "s1", NULL, NULL, cats, NULL, NULL,
				    NULL, 5000, NULL };
	struct json_object	*ap;
	struct kid		 k;
	char			 line[256];

	/*
	 * The wrapper runs; its git push is held once, at git, with the
	 * words git really got.
	 */
	kid_start(&k, &pp, "git init -q --bare p.git && git init -q w && "
	    "cd w && git commit -q --allow-empty -m x && "
	    "sh -lc 'git push -q ../p.git HEAD:refs/heads/held'; "
	    "echo $? > ../rc", NULL);
	kid_run(&k, has_approval);
	ap = json_object_array_get_idx(approvals, 0);
	ck_assert_str_eq(jstr(ap, "category"), "merge");
	ck_assert_str_eq(jstr(ap, "summary"),
	    "git push -q ../p.git HEAD:refs/heads/held");
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(ap, "approvalId"), 1,
	    line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc"), "0\n");
	ck_assert_uint_eq(json_object_array_length(approvals), 1);
	ck_assert(file_exists("p.git/refs/heads/held"));
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_cli_own)
{
	char			*allow[] = { "sh", "cp", NULL }, *cli;
	struct execpol_params	 pp = { "s1", allow, NULL, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;
	char			 cmd[PATH_MAX * 2];

	/*
	 * The CLI's own file and its npm package's (and its platform
	 * package's) pass an allowlist; a copy elsewhere does not.
	 */
	snprintf(cmd, sizeof cmd, "cd %s && m=node_modules/@x && "
	    "mkdir -p $m/cli/bin $m/cli-linux-x64/bin $m/other/bin && "
	    "cp /bin/true $m/cli/bin/cli && cp /bin/true $m/cli/bin/rg && "
	    "cp /bin/true $m/cli-linux-x64/bin/helper && "
	    "cp /bin/true $m/other/bin/helper", dir);
	ck_assert_int_eq(system(cmd), 0);
	cli = xasprintf("%s/node_modules/@x/cli/bin/cli", dir);
	pp.cli = cli;
	kid_start(&k, &pp, "m=node_modules/@x; $m/cli/bin/cli; echo $? > rc1; "
	    "$m/cli/bin/rg; echo $? > rc2; $m/cli-linux-x64/bin/helper; "
	    "echo $? > rc3; $m/other/bin/helper; echo $? > rc4; "
	    "cp $m/cli/bin/cli ./renamed; ./renamed; echo $? > rc5; "
	    "$m/cli/bin/../../other/bin/helper; echo $? > rc6", NULL);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc1"), "0\n");
	ck_assert_str_eq(file_text("rc2"), "0\n");
	ck_assert_str_eq(file_text("rc3"), "0\n");
	ck_assert_str_eq(file_text("rc4"), "126\n");
	ck_assert_str_eq(file_text("rc5"), "126\n");
	ck_assert_str_eq(file_text("rc6"), "126\n");
	kid_end(&k);
	free(cli);
}
END_TEST

START_TEST(test_notify_proc_self_fd)
{
	char			*deny[] = { "touch", NULL };
	struct execpol_params	 pp = { "s1", NULL, deny, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;

	/*
	 * A program run through the target's own descriptors (how codex
	 * runs its bundled bubblewrap) is that program: /proc/self/fd/N,
	 * /dev/fd/N and /dev/stdin are the target's, not the worker's.
	 */
	kid_start(&k, &pp, "t=$(command -v touch); exec 7<\"$t\"; "
	    "/proc/self/fd/7 y1; echo $? > rc1; /dev/fd/7 y2; echo $? > rc2; "
	    "/proc/thread-self/fd/7 y3; echo $? > rc3; "
	    "/dev/stdin y4 < \"$t\"; echo $? > rc4; "
	    "exec 8</bin/true; /dev/fd/8; echo $? > rc5", NULL);
	kid_run(&k, NULL);
	ck_assert(!file_exists("y1") && !file_exists("y2"));
	ck_assert(!file_exists("y3") && !file_exists("y4"));
	ck_assert_str_eq(file_text("rc1"), "126\n");
	ck_assert_str_eq(file_text("rc2"), "126\n");
	ck_assert_str_eq(file_text("rc3"), "126\n");
	ck_assert_str_eq(file_text("rc4"), "126\n");
	/* Not denied: it runs (the worker has no descriptor 8 to find). */
	ck_assert_str_eq(file_text("rc5"), "0\n");
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "/dev/fd/7 y2: denied"),
	    1);
	ck_assert_uint_eq(count_desc("ALERT_RAISED", "/dev/stdin y4: denied"),
	    1);
	kid_end(&k);
}
END_TEST

static int
has_two_approvals(struct kid *k)
{
	return (json_object_array_length(approvals) > 1);
}

START_TEST(test_notify_git_alias_once)
{
	char			*cats[] = { "merge", NULL };
	struct execpol_params	 pp = { "s1", NULL, NULL, cats, NULL, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;
	char			 line[256];

	/*
	 * git runs an alias of push as a new exec of "git push": the
	 * approved command is not asked for twice. A second push is.
	 */
	kid_start(&k, &pp, "git init -q --bare b.git && git init -q w && "
	    "cd w && git -c user.name=t -c user.email=t@x commit -q "
	    "--allow-empty -m x && git -c alias.p=push p -q ../b.git "
	    "HEAD:refs/heads/x; echo $? > ../rc; "
	    "git push -q ../b.git HEAD:refs/heads/y; echo $? > ../rc2", NULL);
	kid_run(&k, has_approval);
	ck_assert_str_eq(jstr(json_object_array_get_idx(approvals, 0),
	    "summary"), "git -c alias.p=push p -q ../b.git HEAD:refs/heads/x");
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(json_object_array_get_idx(
	    approvals, 0), "approvalId"), 1, line, sizeof line), 0);
	kid_run(&k, has_two_approvals);
	ck_assert_str_eq(file_text("rc"), "0\n");
	ck_assert_str_eq(jstr(json_object_array_get_idx(approvals, 1),
	    "summary"), "git push -q ../b.git HEAD:refs/heads/y");
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(json_object_array_get_idx(
	    approvals, 1), "approvalId"), 0, line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc2"), "126\n");
	ck_assert_int_eq(json_object_array_length(approvals), 2);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_receive_pack)
{
	char			*cats[] = { "merge", NULL };
	struct execpol_params	 pp = { "s1", NULL, NULL, cats, NULL, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;
	char			 line[256];

	/* The receiving end of a push no approved git push runs: held. */
	kid_start(&k, &pp, "git init -q --bare b.git && "
	    "git-receive-pack b.git </dev/null; echo $? > rc", NULL);
	kid_run(&k, has_approval);
	ck_assert_str_eq(jstr(json_object_array_get_idx(approvals, 0),
	    "summary"), "git-receive-pack b.git");
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(json_object_array_get_idx(
	    approvals, 0), "approvalId"), 0, line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc"), "126\n");
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_git_hostile_env)
{
	char			*cats[] = { "merge", NULL };
	struct execpol_params	 pp = { "s1", NULL, NULL, cats, NULL, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;

	/*
	 * An environment too large to read whole could hide an alias in
	 * GIT_CONFIG_PARAMETERS past what is read: git is refused.
	 */
	kid_start(&k, &pp, "i=0; while [ $i -lt 9000 ]; do export V$i=; "
	    "i=$((i + 1)); done; export GIT_CONFIG_PARAMETERS=\"'alias.p'="
	    "'push'\"; git p -q nowhere; echo $? > rc", NULL);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc"), "126\n");
	ck_assert_int_eq(json_object_array_length(approvals), 0);
	ck_assert_uint_eq(count_desc("ALERT_RAISED",
	    "git p -q nowhere: too many ways for git to read it"), 1);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_git_env_alias)
{
	char			*cats[] = { "merge", NULL };
	struct execpol_params	 pp = { "s1", NULL, NULL, cats, NULL, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;
	char			 line[256];

	/* An alias in the environment git passes to its children. */
	kid_start(&k, &pp, "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p "
	    "GIT_CONFIG_VALUE_0=push git p -q nowhere; echo $? > rc", NULL);
	kid_run(&k, has_approval);
	ck_assert_str_eq(jstr(json_object_array_get_idx(approvals, 0),
	    "summary"), "git p -q nowhere");
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(json_object_array_get_idx(
	    approvals, 0), "approvalId"), 0, line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert_str_eq(file_text("rc"), "126\n");
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_allowlist)
{
	char			*allow[] = { "sh", "touch", "/bin/e*", NULL };
	struct execpol_params	 pp = { "s1", allow, NULL, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct json_object	*alerts;
	struct kid		 k;

	kid_start(&k, &pp, "touch a; cat a; echo $? > rc; /bin/echo hi",
	    NULL);
	kid_run(&k, NULL);
	ck_assert(file_exists("a"));
	ck_assert_str_eq(file_text("rc"), "126\n");
	alerts = of_type("ALERT_RAISED");
	ck_assert_int_eq(json_object_array_length(alerts), 1);
	ck_assert_ptr_nonnull(strstr(jstr(json_object_array_get_idx(alerts,
	    0), "description"), "not in policy.shellAllowlist"));
	ck_assert_int_eq(ran, 2);
	json_object_put(alerts);
	kid_end(&k);
}
END_TEST

/* A policy gating "touch ... *gated*" as merge. */
static struct json_object *
gate_touch(void)
{
	return (json_tokener_parse("{\"merge\": [\"touch ... *gated*\"]}"));
}

START_TEST(test_notify_hold_allow)
{
	char			*cats[] = { "merge", "deps_add", NULL };
	struct json_object	*pat = gate_touch(), *ap, *ctx, *v, *ids;
	struct execpol_params	 pp = { "sess", NULL, NULL, cats, pat, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;
	char			 line[256];

	kid_start(&k, &pp, "touch one; touch gated; echo $? > rc", NULL);
	kid_run(&k, has_approval);
	/* Held: the child sleeps in execve, nothing is created. */
	kid_idle(&k, 200);
	ck_assert(!k.exited && waitpid(k.pid, &k.status, WNOHANG) == 0);
	ck_assert(file_exists("one"));
	ck_assert(!file_exists("gated"));
	ck_assert_int_eq(execpol_pending(k.ep), 1);
	ap = json_object_array_get_idx(approvals, 0);
	ids = json_object_new_array();
	execpol_pending_ids(k.ep, ids);
	ck_assert_uint_eq(json_object_array_length(ids), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(ids,
	    0)), jstr(ap, "approvalId"));
	json_object_put(ids);
	ck_assert_str_eq(jstr(ap, "category"), "merge");
	ck_assert_str_eq(jstr(ap, "risk"), "high");
	ck_assert_str_eq(jstr(ap, "summary"), "touch gated");
	ck_assert_str_eq(jstr(ap, "sessionId"), "sess");
	ck_assert(uuid_valid(jstr(ap, "approvalId")));
	ck_assert_ptr_nonnull(jstr(ap, "requestedAt"));
	ck_assert_ptr_nonnull(jstr(ap, "timeoutAt"));
	ck_assert(json_object_object_get_ex(ap, "context", &ctx));
	ck_assert_str_eq(jstr(ctx, "pattern"), "touch ... *gated*");
	ck_assert(json_object_object_get_ex(ctx, "argv", &v));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v,
	    1)), "gated");
	ck_assert_int_eq(execpol_resolve(k.ep, "not-an-id", 1, line,
	    sizeof line), -1);
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(ap, "approvalId"), 1, line,
	    sizeof line), 0);
	ck_assert_str_eq(line, "touch gated");
	ck_assert_int_eq(execpol_pending(k.ep), 0);
	/* Answered once only. */
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(ap, "approvalId"), 0, line,
	    sizeof line), -1);
	kid_run(&k, NULL);
	ck_assert(file_exists("gated"));
	ck_assert_str_eq(file_text("rc"), "0\n");
	ck_assert_int_eq(ran, 2);
	kid_end(&k);
	json_object_put(pat);
}
END_TEST

START_TEST(test_notify_hold_deny)
{
	char			*cats[] = { "merge", NULL };
	struct json_object	*pat = gate_touch();
	struct execpol_params	 pp = { "sess", NULL, NULL, cats, pat, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;
	char			 line[256];

	kid_start(&k, &pp, "touch gated; echo $? > rc", NULL);
	kid_run(&k, has_approval);
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(json_object_array_get_idx(
	    approvals, 0), "approvalId"), 0, line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert(!file_exists("gated"));
	ck_assert_str_eq(file_text("rc"), "126\n");
	ck_assert_int_eq(ran, 0);
	kid_end(&k);
	json_object_put(pat);
}
END_TEST

START_TEST(test_notify_not_gated)
{
	char			*cats[] = { "deps_add", NULL };
	struct json_object	*pat = gate_touch();
	struct execpol_params	 pp = { "sess", NULL, NULL, cats, pat, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;

	/* merge patterns, but merge is not in requiresApprovalFor. */
	kid_start(&k, &pp, "touch gated", NULL);
	kid_run(&k, NULL);
	ck_assert(file_exists("gated"));
	ck_assert_int_eq(json_object_array_length(approvals), 0);
	kid_end(&k);
	json_object_put(pat);
}
END_TEST

START_TEST(test_notify_refused_and_deferred)
{
	char			*cats[] = { "merge", NULL };
	struct json_object	*pat = gate_touch();
	struct execpol_params	 pp = { "sess", NULL, NULL, cats, pat, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;
	char			 line[256];

	/* The session cannot ask (stopping): the exec fails at once. */
	request_rv = -1;
	kid_start(&k, &pp, "touch gated; echo $? > rc", NULL);
	kid_run(&k, NULL);
	ck_assert(!file_exists("gated"));
	ck_assert_str_eq(file_text("rc"), "126\n");
	kid_end(&k);

	/* Paused: asked again later, then answered. */
	request_rv = 0;
	kid_start(&k, &pp, "touch gated2; echo $? > rc", NULL);
	kid_idle(&k, 300);
	ck_assert_int_eq(execpol_pending(k.ep), 0);
	ck_assert(!k.exited && waitpid(k.pid, &k.status, WNOHANG) == 0);
	request_rv = 1;
	execpol_recheck(k.ep);
	ck_assert_int_eq(execpol_pending(k.ep), 1);
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(json_object_array_get_idx(
	    approvals, 0), "approvalId"), 1, line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert(file_exists("gated2"));
	kid_end(&k);
	json_object_put(pat);
}
END_TEST

/* In the child: a first exec, then one interrupted by a signal. */
static volatile sig_atomic_t	got_usr1;

static void
usr1(int sig)
{
	got_usr1 = 1;
}

static void
restart_child(const char *arg)
{
	struct sigaction	sa;

	/* The first exec seen is the "CLI": let it fail. */
	execl("/nonexistent/cli", "cli", (char *)NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	execl("/usr/bin/touch", "touch", "gated", (char *)NULL);
	_exit(got_usr1 ? 3 : 4);
}

START_TEST(test_notify_restart)
{
	char			*cats[] = { "merge", NULL };
	struct json_object	*pat = gate_touch();
	struct execpol_params	 pp = { "sess", NULL, NULL, cats, pat, NULL,
				    NULL, 5000, NULL };
	struct kid		 k;
	char			 line[256];

	kid_start(&k, &pp, NULL, restart_child);
	kid_run(&k, has_approval);
	/* The signal interrupts the wait; the kernel restarts the exec. */
	kill(k.pid, SIGUSR1);
	kid_idle(&k, 300);
	ck_assert(!k.exited && waitpid(k.pid, &k.status, WNOHANG) == 0);
	ck_assert_int_eq(json_object_array_length(approvals), 1);
	ck_assert_int_eq(execpol_pending(k.ep), 1);
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(json_object_array_get_idx(
	    approvals, 0), "approvalId"), 1, line, sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert(WIFEXITED(k.status));
	ck_assert_int_eq(WEXITSTATUS(k.status), 0);
	ck_assert(file_exists("gated"));
	kid_end(&k);
	json_object_put(pat);
}
END_TEST

/* In the child: execs the kernel would refuse, or accept oddly. */
static void
odd_child(const char *arg)
{
	execl("/nonexistent/cli", "cli", (char *)NULL);
	/* An argv pointer into nowhere: EFAULT, as the kernel says. */
	syscall(SYS_execve, "/bin/true", (char **)8, NULL);
	if (errno != EFAULT)
		_exit(10);
	syscall(SYS_execve, (char *)16, NULL, NULL);
	if (errno != EFAULT)
		_exit(11);
	/* No argv at all is allowed by Linux. */
	syscall(SYS_execve, "/bin/true", NULL, NULL);
	_exit(12);
}

START_TEST(test_notify_odd_execs)
{
	struct execpol_params	 pp = { "s", NULL, NULL, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;

	kid_start(&k, &pp, NULL, odd_child);
	kid_run(&k, NULL);
	ck_assert(WIFEXITED(k.status));
	ck_assert_int_eq(WEXITSTATUS(k.status), 0);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_bounds)
{
	char			*cats[] = { "deploy", NULL };
	struct json_object	*pat, *ap, *ctx, *v;
	struct execpol_params	 pp = { "s", NULL, NULL, cats, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;
	const char		*summary;
	char			 line[2048];
	size_t			 i, total = 0;

	pat = json_tokener_parse("{\"deploy\": [\"echo big\"]}");
	pp.patterns = pat;
	/* 300 arguments, one of them 10 KiB. */
	kid_start(&k, &pp, "/bin/echo big $(head -c 10240 /dev/zero | "
	    "tr '\\0' x) $(seq 1 298) > /dev/null", NULL);
	kid_run(&k, has_approval);
	ap = json_object_array_get_idx(approvals, 0);
	ck_assert(json_object_object_get_ex(ap, "context", &ctx));
	ck_assert(json_object_object_get_ex(ctx, "argv", &v));
	ck_assert_int_le(json_object_array_length(v), EXECPOL_MAX_ARGS);
	for (i = 0; i < json_object_array_length(v); i++)
		total += (size_t)json_object_get_string_len(
		    json_object_array_get_idx(v, i)) + 1;
	ck_assert_int_le(total, EXECPOL_MAX_TOTAL);
	ck_assert_int_eq(json_object_get_string_len(
	    json_object_array_get_idx(v, 2)), EXECPOL_MAX_ARG);
	summary = jstr(ap, "summary");
	ck_assert_int_le(strlen(summary), 1100);
	ck_assert_ptr_nonnull(strstr(summary, "\xe2\x80\xa6"));
	ck_assert_int_eq(execpol_resolve(k.ep, jstr(ap, "approvalId"), 1, line,
	    sizeof line), 0);
	kid_run(&k, NULL);
	ck_assert(WIFEXITED(k.status) && WEXITSTATUS(k.status) == 0);
	kid_end(&k);
	json_object_put(pat);
}
END_TEST

START_TEST(test_notify_redact_utf8)
{
	char			*deny[] = { "echo", NULL };
	struct json_object	*env, *alerts;
	struct execpol_params	 pp = { "s", NULL, deny, NULL, NULL, NULL,
				    NULL, 0, NULL };
	struct kid		 k;
	const char		*d;

	env = json_tokener_parse("{\"TOKEN\": \"hunter2-secret-value\"}");
	pp.env = env;
	kid_start(&k, &pp, "/bin/echo hunter2-secret-value \"$(printf "
	    "'\\377\\001a b')\"", NULL);
	kid_run(&k, NULL);
	alerts = of_type("ALERT_RAISED");
	ck_assert_int_eq(json_object_array_length(alerts), 1);
	d = jstr(json_object_array_get_idx(alerts, 0), "description");
	ck_assert_ptr_null(strstr(d, "hunter2"));
	ck_assert_ptr_nonnull(strstr(d, "[REDACTED]"));
	/* The invalid byte became U+FFFD, the control '?', quoted. */
	ck_assert_ptr_nonnull(strstr(d, "'\xef\xbf\xbd?a b'"));
	json_object_put(alerts);
	kid_end(&k);
	json_object_put(env);
}
END_TEST

/* Write an executable script into dir. */
static void
script(const char *name, const char *text)
{
	char	path[256];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

static int
has_finished(struct kid *k)
{
	struct json_object	*a;
	int			 n;

	a = of_type("TEST_RUN_FINISHED");
	n = (int)json_object_array_length(a);
	json_object_put(a);
	return (k->exited && n > 0);
}

START_TEST(test_notify_test_run)
{
	char			*tests[] = { "runtests", NULL };
	struct execpol_params	 pp = { "s", NULL, NULL, NULL, NULL, tests,
				    NULL, 0, NULL };
	struct json_object	*st, *fin, *e, *v;
	struct kid		 k;

	/* It runs itself again: a nested run is part of the outer one. */
	script("runtests", "#!/bin/sh\n"
	    "[ \"$1\" = inner ] && exit 0\n"
	    "./runtests inner\n"
	    "printf '\\033[32m===== 1 failed, 3 passed, 2 skipped in 0.01s"
	    " =====\\033[0m\\r\\n'\n"
	    "exit 3\n");
	kid_start(&k, &pp, "./runtests tests/a_test.py -q; ./runtests "
	    "--nothing", NULL);
	kid_run(&k, has_finished);
	kid_idle(&k, 400);
	st = of_type("TEST_RUN_STARTED");
	fin = of_type("TEST_RUN_FINISHED");
	ck_assert_int_eq(json_object_array_length(st), 2);
	ck_assert_int_eq(json_object_array_length(fin), 2);
	e = json_object_array_get_idx(st, 0);
	ck_assert_str_eq(jstr(e, "command"), "./runtests tests/a_test.py -q");
	ck_assert(json_object_object_get_ex(e, "testFiles", &v));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v,
	    0)), "tests/a_test.py");
	e = json_object_array_get_idx(st, 1);
	ck_assert(!json_object_object_get_ex(e, "testFiles", NULL));
	e = json_object_array_get_idx(fin, 0);
	ck_assert_str_eq(jstr(e, "command"), "./runtests tests/a_test.py -q");
	ck_assert(json_object_object_get_ex(e, "passed", &v));
	ck_assert_int_eq(json_object_get_int(v), 3);
	ck_assert(json_object_object_get_ex(e, "failed", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(e, "skipped", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(e, "duration", &v));
	ck_assert_int_ge(json_object_get_int64(v), 0);
	ck_assert(json_object_object_get_ex(e, "exitCode", &v));
	/* As root the proc connector gives the exit code. */
	if (geteuid() == 0)
		ck_assert_int_eq(json_object_get_int(v), 3);
	/* ./runtests twice, each running itself once more. */
	ck_assert_int_eq(ran, 4);
	json_object_put(st);
	json_object_put(fin);
	kid_end(&k);
}
END_TEST

START_TEST(test_notify_finish)
{
	char			*cats[] = { "merge", NULL };
	char			*tests[] = { "sleep 2", NULL };
	struct json_object	*pat = gate_touch(), *fin, *v;
	struct execpol_params	 pp = { "s", NULL, NULL, cats, pat, tests,
				    NULL, 5000, NULL };
	struct kid		 k;
	size_t			 n;

	kid_start(&k, &pp, "sleep 2 & /bin/sleep 0.1; touch gated; "
	    "echo $? > rc", NULL);
	kid_run(&k, has_approval);
	/* The session ends: the run is reported, the hold fails. */
	execpol_finish(k.ep);
	fin = of_type("TEST_RUN_FINISHED");
	ck_assert_int_eq(json_object_array_length(fin), 1);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(fin, 0),
	    "passed", &v));
	ck_assert_ptr_null(v);
	json_object_put(fin);
	n = json_object_array_length(events);
	ck_assert_int_eq(execpol_pending(k.ep), 0);
	kid_run(&k, NULL);
	ck_assert(!file_exists("gated"));
	ck_assert_str_eq(file_text("rc"), "126\n");
	/* Nothing is sent after the end. */
	ck_assert_int_eq(json_object_array_length(events), n);
	kid_end(&k);
	json_object_put(pat);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("execpol");

	tc = tcase_create("match");
	tcase_add_test(tc, test_wrapper_script);
	tcase_add_test(tc, test_wrapper_not);
	tcase_add_test(tc, test_wrapper_hostile);
	tcase_add_test(tc, test_match_words);
	tcase_add_test(tc, test_match_program_path);
	tcase_add_test(tc, test_match_ellipsis);
	tcase_add_test(tc, test_match_alternatives);
	tcase_add_test(tc, test_match_arg_basename);
	tcase_add_test(tc, test_match_hostile);
	tcase_add_test(tc, test_match_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("git");
	tcase_add_test(tc, test_git_options);
	tcase_add_test(tc, test_git_aliases);
	tcase_add_test(tc, test_git_hostile);
	suite_add_tcase(s, tc);

	tc = tcase_create("summary");
	tcase_add_test(tc, test_summary_runners);
	tcase_add_test(tc, test_summary_last_wins);
	tcase_add_test(tc, test_summary_hostile);
	suite_add_tcase(s, tc);

	tc = tcase_create("notify");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_notify_deny);
	tcase_add_test(tc, test_notify_allowlist);
	tcase_add_test(tc, test_notify_identity_deny);
	tcase_add_test(tc, test_notify_identity_git);
	tcase_add_test(tc, test_notify_identity_allowlist);
	tcase_add_test(tc, test_notify_proc_self);
	tcase_add_test(tc, test_notify_proc_self_fd);
	tcase_add_test(tc, test_notify_wrapper_allow);
	tcase_add_test(tc, test_notify_wrapper_deny);
	tcase_add_test(tc, test_notify_wrapper_gate_once);
	tcase_add_test(tc, test_notify_cli_own);
	tcase_add_test(tc, test_notify_git_alias_once);
	tcase_add_test(tc, test_notify_receive_pack);
	tcase_add_test(tc, test_notify_git_hostile_env);
	tcase_add_test(tc, test_notify_git_env_alias);
	tcase_add_test(tc, test_notify_hold_allow);
	tcase_add_test(tc, test_notify_hold_deny);
	tcase_add_test(tc, test_notify_not_gated);
	tcase_add_test(tc, test_notify_refused_and_deferred);
	tcase_add_test(tc, test_notify_restart);
	tcase_add_test(tc, test_notify_odd_execs);
	tcase_add_test(tc, test_notify_bounds);
	tcase_add_test(tc, test_notify_redact_utf8);
	tcase_add_test(tc, test_notify_test_run);
	tcase_add_test(tc, test_notify_finish);
	suite_add_tcase(s, tc);
	return (s);
}
