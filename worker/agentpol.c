/*
 * A driven session's policy on the commands its CLI asks to run or
 * reports: the exec policy's own matcher over the shell lists and the
 * gated categories, with shell wrappers (sh -c, bash -lc) looked through
 * and a line's simple commands (&&, ||, ;, |) taken one by one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/util.h"
#include "worker/agent.h"
#include "worker/execpol.h"
#include "worker/wstate.h"

/* Whether a word is a shell that runs its -c argument. */
static int
agentpol_shell(const char *w)
{
	const char	*b = strrchr(w, '/');

	b = b != NULL ? b + 1 : w;
	return (strcmp(b, "sh") == 0 || strcmp(b, "bash") == 0 ||
	    strcmp(b, "zsh") == 0 || strcmp(b, "dash") == 0);
}

/*
 * The words of a command line: argv when the CLI gave one, else the line
 * split; a shell wrapper ("bash -lc 'git push'") is looked through.
 */
static char **
agentpol_words(const char *command, char *const *argv)
{
	char	**v, **inner;
	size_t	  n, i, depth;

	if (argv != NULL && argv[0] != NULL) {
		n = strv_len((char **)argv);
		v = xcalloc(n + 1, sizeof *v);
		for (i = 0; i < n; i++)
			v[i] = xstrdup(argv[i]);
	} else
		v = execmatch_split(command != NULL ? command : "");
	for (depth = 0; depth < 4; depth++) {
		n = strv_len(v);
		if (n != 3 || !agentpol_shell(v[0]) || v[1][0] != '-' ||
		    strchr(v[1], 'c') == NULL)
			break;
		inner = execmatch_split(v[2]);
		strv_free(v);
		v = inner;
	}
	return (v);
}

/* Whether a word separates simple commands in a line. */
static int
agentpol_separator(const char *w)
{
	return (strcmp(w, "&&") == 0 || strcmp(w, "||") == 0 ||
	    strcmp(w, ";") == 0 || strcmp(w, "|") == 0);
}

/* Whether any of the patterns (NULL-terminated) matches argv. */
static int
agentpol_match(const char *const *patterns, char *const *argv, size_t argc)
{
	size_t	i;

	for (i = 0; patterns != NULL && patterns[i] != NULL; i++)
		if (execmatch_match(patterns[i], argv[0], argv, argc))
			return (1);
	return (0);
}

/* The patterns of a gated category: the config's, else the built-in. */
static char **
agentpol_gate_patterns(const char *category)
{
	struct json_object	*v;

	if (wk.exec_patterns != NULL &&
	    json_object_object_get_ex(wk.exec_patterns, category, &v))
		return (strv_from_json(v));
	return (strv_make(execmatch_default_patterns(category)));
}

/* The policy on one simple command (argc > 0). */
static enum agent_verdict
agentpol_classify_one(char *const *argv, size_t argc, const char **category,
    char *why, size_t whylen)
{
	char	**allow = wk.task.shell_allow, **pat;
	size_t	  i;
	int	  any = allow == NULL || allow[0] == NULL;

	if (agentpol_match((const char *const *)wk.task.shell_deny, argv, argc)) {
		snprintf(why, whylen, "%s is in policy.shellDenylist",
		    argv[0]);
		return (AGENT_DENY);
	}
	for (i = 0; !any && allow[i] != NULL; i++)
		any = strcmp(allow[i], "*") == 0;
	if (!any && !agentpol_match((const char *const *)allow, argv, argc)) {
		snprintf(why, whylen, "%s is not in policy.shellAllowlist",
		    argv[0]);
		return (AGENT_DENY);
	}
	for (i = 0; wk.task.approval_for != NULL &&
	    wk.task.approval_for[i] != NULL; i++) {
		if (strcmp(wk.task.approval_for[i], "shell") == 0) {
			*category = "shell";
			return (AGENT_ASK);
		}
		pat = agentpol_gate_patterns(wk.task.approval_for[i]);
		if (pat != NULL && agentpol_match((const char *const *)pat, argv,
		    argc)) {
			*category = wk.task.approval_for[i];
			strv_free(pat);
			return (AGENT_ASK);
		}
		strv_free(pat);
	}
	return (AGENT_ALLOW);
}

/* The session's policy on a command line: the strictest of its parts. */
enum agent_verdict
agentpol_classify(const char *command, char *const *argv, const char **category,
    char *why, size_t whylen)
{
	enum agent_verdict	 v = AGENT_ALLOW, one;
	const char		*cat = NULL;
	char			**w;
	size_t			 n, start, i;

	*category = NULL;
	why[0] = '\0';
	w = agentpol_words(command, argv);
	n = strv_len(w);
	for (start = 0; start < n; start = i + 1) {
		for (i = start; i < n && !agentpol_separator(w[i]); i++)
			;
		if (i == start)
			continue;
		one = agentpol_classify_one(w + start, i - start, &cat, why,
		    whylen);
		/* w[i] is the separator: argv ends there for the matcher. */
		if (one == AGENT_DENY) {
			v = one;
			break;
		}
		if (one == AGENT_ASK && v == AGENT_ALLOW) {
			v = one;
			*category = cat;
		}
	}
	strv_free(w);
	if (v == AGENT_DENY)
		*category = NULL;
	return (v);
}

/* Whether a command line is a test run (test_patterns). */
int
agentpol_is_test(const char *command)
{
	const char *const	*tests;
	char			**w;
	size_t			 n, start, i;
	int			 yes = 0;

	tests = wk.exec_tests != NULL ? (const char *const *)wk.exec_tests :
	    execmatch_default_tests();
	w = agentpol_words(command, NULL);
	n = strv_len(w);
	for (start = 0; start < n && !yes; start = i + 1) {
		for (i = start; i < n && !agentpol_separator(w[i]); i++)
			;
		if (i > start)
			yes = agentpol_match(tests, w + start, i - start);
	}
	strv_free(w);
	return (yes);
}

/* A command a human allowed: the exec gate lets each part through once. */
void
agentpol_preapprove(struct execpol *ep, const char *command)
{
	char	**w;
	size_t	  n, start, i;

	w = agentpol_words(command, NULL);
	n = strv_len(w);
	for (start = 0; start < n; start = i + 1) {
		for (i = start; i < n && !agentpol_separator(w[i]); i++)
			;
		if (i > start)
			execnotify_preapprove(ep, w + start, i - start);
	}
	strv_free(w);
}
