/*
 * Exec policy: wrapper shells, how `sh -c SCRIPT` and `bash -lc` are
 * recognised and their scripts' simple commands found (README "Exec
 * policy").
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/util.h"
#include "worker/execpol.h"
#include "worker/execpol_int.h"

/*
 * Wrapper shells. CLIs run each command as `bash -lc SCRIPT` (codex) or
 * `bash -c -l "... eval 'CMD' ..."` (claude). A shell that only wraps a
 * script (-c, with -l/-e/-o pipefail style options) is let through an
 * allowlist: every program the script runs is an exec of its own that the
 * policy sees. The denylist also reads the script's text, so that a
 * denied command is refused before the shell runs anything. A gated one
 * is held once, at its own exec (its words as expanded), not at the
 * wrapper.
 */
#define EXECWRAP_SCRIPT_CMDS	128	/* simple commands read of a script */
#define EXECWRAP_SCRIPT_WORDS	256	/* words of one command */
#define EXECWRAP_SCRIPT_DEPTH	4	/* eval and shells in shells */

static const char *const execwrap_shells[] = {
	"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", NULL
};
/* Words before a command that run it: skipped (their own words too). */
static const char *const execwrap_prefix[] = {
	"exec", "command", "builtin", "nohup", "time", "env", "!", "{", "(",
	"if", "then", "else", "elif", "do", "while", "until", NULL
};

/* The commands of a script being read. */
struct execwrap_script {
	char		***cmds;
	size_t		   n;
	char		 **words;	/* the command being read */
	size_t		   nw;
	int		   depth;
};

static void	execwrap_script_read(struct execwrap_script *,
		    const char *, int);

/*
 * Where argv's script is when it is a shell that only wraps one (-c and
 * options that take nothing from stdin or a file), or 0.
 */
static size_t
execwrap_at(char *const *argv, size_t argc)
{
	static const char	*flags = "abefhklmnprtuvxBCEHPTi";
	static const char *const longs[] = { "--login", "--noprofile",
	    "--norc", "--posix", "--noediting", NULL };
	const char		*a, *c;
	size_t			 i;
	int			 dash_c = 0;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if ((a[0] != '-' && a[0] != '+') || a[1] == '\0')
			break;
		if (a[0] == '-' && a[1] == '-') {
			if (!execmatch_in(longs, a))
				return (0);
			continue;
		}
		for (c = a + 1; *c != '\0'; c++) {
			if (*c == 'c' && a[0] == '-')
				dash_c = 1;
			else if (*c == 'o' || *c == 'O') {
				if (++i >= argc)
					return (0);
			} else if (strchr(flags, *c) == NULL)
				return (0);
		}
	}
	return (dash_c && i < argc ? i : 0);
}

/* Whether prog (a path or a word) is a shell. */
static int
execwrap_is_shell(const char *prog)
{
	return (execmatch_in(execwrap_shells, execmatch_base(prog)));
}

/* Drop the command being read and read text (freed) as a nested script. */
static void
execwrap_script_nest(struct execwrap_script *s, char *text)
{
	strv_free(s->words);
	s->words = NULL;
	s->nw = 0;
	execwrap_script_read(s, text, s->depth + 1);
	free(text);
}

/* End the command being read: keep it (its prefixes skipped), or eval it. */
static void
execwrap_script_end(struct execwrap_script *s)
{
	char	**w = s->words, *text;
	size_t	  i = 0, at, len;

	while (i < s->nw) {
		if (execmatch_in(execwrap_prefix, w[i]) ||
		    (w[i][0] == '-' && i > 0 &&
		    execmatch_in(execwrap_prefix, w[i - 1])))
			i++;
		else if ((isalpha((unsigned char)w[i][0]) || w[i][0] == '_') &&
		    w[i][strspn(w[i], "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] == '=')
			i++;
		else
			break;
	}
	if (i < s->nw && s->depth < EXECWRAP_SCRIPT_DEPTH &&
	    strcmp(w[i], "eval") == 0) {
		/* eval's words, joined by spaces, are a script. */
		for (len = 1, at = i + 1; at < s->nw; at++)
			len += strlen(w[at]) + 1;
		text = xcalloc(1, len);
		for (len = 0, at = i + 1; at < s->nw; at++) {
			memcpy(text + len, w[at], strlen(w[at]));
			len += strlen(w[at]);
			text[len++] = ' ';
		}
		execwrap_script_nest(s, text);
		return;
	}
	if (i < s->nw && s->n < EXECWRAP_SCRIPT_CMDS) {
		s->cmds = xrealloc(s->cmds, (s->n + 2) * sizeof *s->cmds);
		s->cmds[s->n] = xcalloc(s->nw - i + 1, sizeof **s->cmds);
		for (at = i; at < s->nw; at++) {
			s->cmds[s->n][at - i] = w[at];
			w[at] = NULL;
		}
		s->cmds[++s->n] = NULL;
		/* A shell in the script wraps a script of its own. */
		at = execwrap_at(s->cmds[s->n - 1], s->nw - i);
		if (at != 0 && s->depth < EXECWRAP_SCRIPT_DEPTH &&
		    execwrap_is_shell(s->cmds[s->n - 1][0])) {
			execwrap_script_nest(s,
			    xstrdup(s->cmds[s->n - 1][at]));
			return;
		}
	}
	strv_free(s->words);
	s->words = NULL;
	s->nw = 0;
}

/* Add a word to the command being read. */
static void
execwrap_script_word(struct execwrap_script *s, const char *w, size_t len)
{
	if (s->nw >= EXECWRAP_SCRIPT_WORDS)
		return;
	s->words = xrealloc(s->words, (s->nw + 2) * sizeof *s->words);
	s->words[s->nw] = xstrndup(w, len);
	s->words[++s->nw] = NULL;
}

/*
 * Read a script's simple commands as sh would split them: words with
 * their quotes removed, commands at ; & | && || newlines, parentheses,
 * braces, backquotes and $( ; redirections and their targets dropped;
 * comments skipped. Expansions are left as written: what they become is
 * seen when the command they are part of is run.
 */
static void
execwrap_script_read(struct execwrap_script *s, const char *p, int depth)
{
	char	*buf;
	size_t	 len = 0, cap = strlen(p) + 1;
	int	 in_word = 0, skip = 0, saved = s->depth;

	s->depth = depth;
	buf = xmalloc(cap);
	for (;;) {
		if (*p == '\0' || *p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == ';' || *p == '&' || *p == '|' || *p == '(' ||
		    *p == ')' || *p == '`' || *p == '<' || *p == '>' ||
		    (*p == '$' && p[1] == '(')) {
			if (in_word && (*p == '<' || *p == '>') &&
			    strspn(buf, "0123456789") == len)
				in_word = 0;	/* 2>file: a descriptor */
			if (in_word && !skip)
				execwrap_script_word(s, buf, len);
			if (in_word)
				skip = 0;
			in_word = 0;
			len = 0;
			if (*p == '\0')
				break;
			if (*p == '<' || *p == '>') {
				while (*p == '<' || *p == '>' || *p == '|' ||
				    *p == '&')
					p++;
				/* >&2, <&-: no word follows. */
				if (p[-1] == '&' && (isdigit((unsigned char)*p) ||
				    *p == '-'))
					p += strspn(p, "0123456789-");
				else
					skip = 1;
				continue;
			}
			if (*p == '&' && p[1] == '>') {
				p += 2;
				skip = 1;
				continue;
			}
			if (*p != ' ' && *p != '\t')
				execwrap_script_end(s);
			p += *p == '$' ? 2 : 1;
			continue;
		}
		if (*p == '#' && !in_word) {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		in_word = 1;
		if (*p == '\\' && p[1] != '\0') {
			if (p[1] != '\n')
				buf[len++] = p[1];
			p += 2;
		} else if (*p == '\'' || (*p == '$' && p[1] == '\'')) {
			p += *p == '$' ? 2 : 1;
			while (*p != '\0' && *p != '\'')
				buf[len++] = *p++;
			if (*p != '\0')
				p++;
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0' &&
				    strchr("$`\"\\\n", p[1]) != NULL)
					p++;
				buf[len++] = *p;
			}
			if (*p != '\0')
				p++;
		} else
			buf[len++] = *p++;
		buf[len] = '\0';
	}
	execwrap_script_end(s);
	free(buf);
	s->depth = saved;
}

char ***
execwrap_commands(const struct execpol_exec *x)
{
	struct execwrap_script	 s;
	const char		**progs;
	size_t			  i, at;
	int			  shell = 0;

	progs = execmatch_progs(x, 0, 0);
	for (i = 0; progs[i] != NULL; i++)
		if (execwrap_is_shell(progs[i]))
			shell = 1;
	free(progs);
	if (!shell || x->truncated ||
	    (at = execwrap_at(x->argv, x->argc)) == 0)
		return (NULL);
	memset(&s, 0, sizeof s);
	execwrap_script_read(&s, x->argv[at], 0);
	if (s.cmds == NULL)
		s.cmds = xcalloc(1, sizeof *s.cmds);
	return (s.cmds);
}

const char *
execwrap_find(char **patterns, char ***cmds)
{
	struct execpol_exec	 c;
	const char		*found = NULL;
	size_t			 i;

	for (i = 0; found == NULL && cmds != NULL && cmds[i] != NULL; i++) {
		memset(&c, 0, sizeof c);
		c.path = cmds[i][0];
		c.argv = cmds[i];
		c.argc = strv_len(cmds[i]);
		if (strcmp(execmatch_base(c.path), "git") == 0 ||
		    strncmp(execmatch_base(c.path), "git-", 4) == 0)
			c.git = execmatch_git_readings(c.argv, c.argc, NULL);
		found = execmatch_find(patterns, &c);
		execmatch_git_free(c.git);
	}
	return (found);
}
