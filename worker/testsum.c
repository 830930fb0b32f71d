/* Exec policy: test runners' summary lines, read from their output. */
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
testsum_add(long a, long b)
{
	return (a > INT_MAX - b ? INT_MAX : a + b);
}

/* A decimal number at *sp (saturating at INT_MAX); 1 when there is one. */
static int
testsum_num(const char **sp, long *out)
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
testsum_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (s);
}

/* If s starts with word, the rest of s; else NULL. */
static const char *
testsum_prefix(const char *s, const char *word)
{
	size_t	len = strlen(word);

	return (strncmp(s, word, len) == 0 ? s + len : NULL);
}

/* Which count a runner's word is: 'p', 'f', 's', or 0 for none. */
static int
testsum_kind(const char *w, size_t len)
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
testsum_items(const char *s, const char *sep, struct execpol_tally *t)
{
	const char	*w;
	long		 n;
	int		 known = 0, k;

	t->passed = t->failed = t->skipped = 0;
	for (;;) {
		s = testsum_blank(s);
		if (!testsum_num(&s, &n))
			break;
		s = testsum_blank(s);
		for (w = s; isalpha((unsigned char)*s); s++)
			;
		if ((k = testsum_kind(w, (size_t)(s - w))) != 0)
			known++;
		if (k == 'p')
			t->passed = testsum_add(t->passed, n);
		else if (k == 'f')
			t->failed = testsum_add(t->failed, n);
		else if (k == 's')
			t->skipped = testsum_add(t->skipped, n);
		if ((s = strstr(s, sep)) == NULL)
			break;
		s += strlen(sep);
	}
	return (known);
}

/* "name: N" somewhere in s, as in "Checks: 5, Failures: 1". */
static int
testsum_field(const char *s, const char *name, long *out)
{
	const char	*p;

	if ((p = strstr(s, name)) == NULL)
		return (0);
	p = testsum_blank(p + strlen(name));
	return (testsum_num(&p, out));
}

/* "name=N" in a unittest result such as "FAILED (failures=1, errors=2)". */
static long
testsum_eq(const char *s, const char *name)
{
	const char	*p;
	long		 n = 0;

	if ((p = strstr(s, name)) != NULL) {
		p += strlen(name);
		(void)testsum_num(&p, &n);
	}
	return (n);
}

/* Set a tally from one summary line. */
static void
testsum_set(struct execpol_tally *t, size_t at, long p, long f, long s)
{
	t->seen = 1;
	t->at = at;
	t->passed = p < 0 ? 0 : p;
	t->failed = f < 0 ? 0 : f;
	t->skipped = s < 0 ? 0 : s;
}

/* Add one line's counts to a tally. */
static void
testsum_sum(struct execpol_tally *t, size_t at, long p, long f, long s)
{
	if (!t->seen)
		t->passed = t->failed = t->skipped = 0;
	t->seen = 1;
	t->at = at;
	t->passed = testsum_add(t->passed, p);
	t->failed = testsum_add(t->failed, f);
	t->skipped = testsum_add(t->skipped, s);
}

/* Whether s looks like the end of pytest's line: " in 0.12s". */
static int
testsum_pytest_end(const char *s)
{
	const char	*p;

	for (p = s; (p = strstr(p, " in ")) != NULL; p += 4)
		if (isdigit((unsigned char)p[4]))
			return (1);
	return (0);
}

/* One trimmed line at offset at: feed every runner's tally. */
static void
testsum_line(const char *s, size_t at, struct execpol_tally *t,
    long *unittest_ran)
{
	struct execpol_tally	 it;
	const char		*p;
	long			 a, b, c, d;
	int			 k;

	/* pytest: "=== 1 failed, 2 passed, 1 skipped in 0.12s ===". */
	for (p = s; *p == '=' || *p == ' '; p++)
		;
	if (isdigit((unsigned char)*p) && testsum_pytest_end(p) &&
	    testsum_items(p, ", ", &it) > 0) {
		testsum_set(&t[FMT_PYTEST], at, it.passed, it.failed,
		    it.skipped);
		return;
	}
	if (strncmp(p, "no tests ran in ", 16) == 0) {
		testsum_set(&t[FMT_PYTEST], at, 0, 0, 0);
		return;
	}
	/* cargo: "test result: ok. 3 passed; 0 failed; 1 ignored; ...". */
	if ((p = testsum_prefix(s, "test result: ")) != NULL &&
	    (p = strstr(p, ". ")) != NULL && testsum_items(p + 2, "; ",
	    &it) > 0) {
		testsum_sum(&t[FMT_CARGO], at, it.passed, it.failed,
		    it.skipped);
		return;
	}
	/* go test: "--- PASS: TestX (0.00s)", then "ok  \tpkg\t0.01s". */
	if ((p = testsum_prefix(s, "--- ")) != NULL) {
		if (strncmp(p, "PASS: ", 6) == 0)
			testsum_sum(&t[FMT_GO_TESTS], at, 1, 0, 0);
		else if (strncmp(p, "FAIL: ", 6) == 0)
			testsum_sum(&t[FMT_GO_TESTS], at, 0, 1, 0);
		else if (strncmp(p, "SKIP: ", 6) == 0)
			testsum_sum(&t[FMT_GO_TESTS], at, 0, 0, 1);
		return;
	}
	if (strncmp(s, "ok", 2) == 0 && (s[2] == ' ' || s[2] == '\t')) {
		p = testsum_blank(s + 2);
		if (isdigit((unsigned char)*p) || *p == '-' || *p == '#') {
			/* TAP: "ok 3 - name", "ok 4 # SKIP why". */
			k = strstr(p, "# SKIP") != NULL ||
			    strstr(p, "# skip") != NULL;
			testsum_sum(&t[FMT_TAP], at, !k, 0, k);
		} else if (*p != '\0' && (s[2] == '\t' || s[3] == ' ' ||
		    s[3] == '\t'))
			testsum_sum(&t[FMT_GO_PKGS], at, 1, 0, 0);
		return;
	}
	if (strcmp(s, "ok") == 0) {
		testsum_sum(&t[FMT_TAP], at, 1, 0, 0);
		return;
	}
	if ((p = testsum_prefix(s, "not ok")) != NULL &&
	    (*p == '\0' || *p == ' ')) {
		k = strstr(p, "# TODO") != NULL || strstr(p, "# todo") != NULL;
		testsum_sum(&t[FMT_TAP], at, 0, !k, k);
		return;
	}
	if (strncmp(s, "FAIL\t", 5) == 0) {
		testsum_sum(&t[FMT_GO_PKGS], at, 0, 1, 0);
		return;
	}
	/* automake: "# TOTAL: 5", "# PASS:  4", ..., "# ERROR: 0". */
	if ((p = testsum_prefix(s, "# ")) != NULL) {
		if (testsum_prefix(p, "TOTAL:") != NULL) {
			testsum_set(&t[FMT_AUTOMAKE], at, 0, 0, 0);
			return;
		}
		if (!t[FMT_AUTOMAKE].seen)
			return;
		if ((p = strchr(p, ':')) == NULL)
			return;
		p = testsum_blank(p + 1);
		if (!testsum_num(&p, &a))
			return;
		p = s + 2;
		if (strncmp(p, "PASS:", 5) == 0 || strncmp(p, "XFAIL:", 6) == 0)
			testsum_sum(&t[FMT_AUTOMAKE], at, a, 0, 0);
		else if (strncmp(p, "SKIP:", 5) == 0)
			testsum_sum(&t[FMT_AUTOMAKE], at, 0, 0, a);
		else if (strncmp(p, "FAIL:", 5) == 0 ||
		    strncmp(p, "XPASS:", 6) == 0 || strncmp(p, "ERROR:", 6) == 0)
			testsum_sum(&t[FMT_AUTOMAKE], at, 0, a, 0);
		return;
	}
	/* jest: "Tests:       1 failed, 1 skipped, 3 passed, 5 total". */
	if ((p = testsum_prefix(s, "Tests:")) != NULL &&
	    testsum_items(p, ", ", &it) > 0) {
		testsum_set(&t[FMT_JEST], at, it.passed, it.failed, it.skipped);
		return;
	}
	/* vitest: "Tests  1 failed | 2 passed (3)". */
	if ((p = testsum_prefix(s, "Tests ")) != NULL &&
	    testsum_items(p, " | ", &it) > 0) {
		testsum_set(&t[FMT_VITEST], at, it.passed, it.failed,
		    it.skipped);
		return;
	}
	/* mocha: "3 passing (12ms)", "1 failing", "2 pending". */
	p = s;
	if (testsum_num(&p, &a)) {
		if (strncmp(p, " passing", 8) == 0 && (p[8] == '\0' ||
		    p[8] == ' ')) {
			testsum_set(&t[FMT_MOCHA], at, a, 0, 0);
			return;
		}
		if (t[FMT_MOCHA].seen && strcmp(p, " failing") == 0) {
			testsum_sum(&t[FMT_MOCHA], at, 0, a, 0);
			return;
		}
		if (t[FMT_MOCHA].seen && strcmp(p, " pending") == 0) {
			testsum_sum(&t[FMT_MOCHA], at, 0, 0, a);
			return;
		}
	}
	/* Check: "100%: Checks: 12, Failures: 1, Errors: 0". */
	if (strstr(s, "%: Checks: ") != NULL &&
	    testsum_field(s, "Checks:", &a) &&
	    testsum_field(s, "Failures:", &b) &&
	    testsum_field(s, "Errors:", &c)) {
		testsum_set(&t[FMT_CHECK], at, a - b - c, testsum_add(b, c), 0);
		return;
	}
	/* ctest: "80% tests passed, 1 tests failed out of 5". */
	if ((p = strstr(s, "% tests passed, ")) != NULL) {
		p += 16;
		if (testsum_num(&p, &b) &&
		    (p = testsum_prefix(p, " tests failed out of ")) != NULL &&
		    testsum_num(&p, &a)) {
			testsum_set(&t[FMT_CTEST], at, a - b, b, 0);
			return;
		}
	}
	/* maven: "Tests run: 5, Failures: 1, Errors: 0, Skipped: 1". */
	if (strstr(s, "Tests run:") != NULL &&
	    strstr(s, "Time elapsed") == NULL &&
	    testsum_field(s, "Tests run:", &a) &&
	    testsum_field(s, "Failures:", &b) &&
	    testsum_field(s, "Errors:", &c) &&
	    testsum_field(s, "Skipped:", &d)) {
		testsum_set(&t[FMT_MAVEN], at, a - b - c - d, testsum_add(b, c),
		    d);
		return;
	}
	/* unittest: "Ran 4 tests in 0.01s", then "OK" or "FAILED (...)". */
	if ((p = testsum_prefix(s, "Ran ")) != NULL && testsum_num(&p, &a) &&
	    (strncmp(p, " tests in ", 10) == 0 ||
	    strncmp(p, " test in ", 9) == 0)) {
		*unittest_ran = a;
		return;
	}
	if (*unittest_ran >= 0 && (strncmp(s, "OK", 2) == 0 ||
	    strncmp(s, "FAILED (", 8) == 0) && (s[2] == '\0' ||
	    s[2] == ' ' || s[0] == 'F')) {
		b = testsum_add(testsum_eq(s, "failures="),
		    testsum_eq(s, "errors="));
		b = testsum_add(b, testsum_eq(s, "unexpected successes="));
		c = testsum_eq(s, "skipped=");
		testsum_set(&t[FMT_UNITTEST], at, *unittest_ran - b - c, b, c);
		*unittest_ran = -1;
	}
}

/*
 * The last test runner summary in text: 1 with the counts, or 0. Counts
 * a runner does not print (go's skipped packages, say) are 0.
 */
int
testsum_summary(const char *text, size_t len, int *passed, int *failed,
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
		testsum_line(line, (size_t)(p - text), t, &ran);
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

/* passed, failed, skipped into ev from the last summary in text, or null. */
void
testsum_counts(struct json_object *ev, const char *text, size_t len)
{
	int	p, f, s, got;

	got = text != NULL && len > 0 && testsum_summary(text, len, &p, &f,
	    &s);
	json_object_object_add(ev, "passed", got ? json_object_new_int(p) :
	    NULL);
	json_object_object_add(ev, "failed", got ? json_object_new_int(f) :
	    NULL);
	json_object_object_add(ev, "skipped", got ? json_object_new_int(s) :
	    NULL);
}
