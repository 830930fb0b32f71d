/* Unit tests for streaming secret redaction (common/redact.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "common/redact.h"
#include "common/util.h"
#include "worker/output.h"
#include "unit.h"

#define M	REDACT_MARK

/* A redactor holding the NULL-terminated list of secrets. */
static struct redact *
make(const char *const *secrets)
{
	struct redact	*r = redact_create();

	while (*secrets != NULL)
		redact_add(r, *secrets++);
	return (r);
}

/* The evbuffer's contents as a new NUL-terminated string; drains it. */
static char *
take(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s = malloc(n + 1);

	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return (s);
}

/*
 * The naive reference: at each position the longest secret that starts
 * there is replaced, else the byte is copied.
 */
static char *
naive(const char *const *secrets, const char *in, size_t len, size_t *outlen)
{
	char	*out = malloc(len * sizeof M + 1);
	size_t	 i = 0, o = 0, best, n;
	size_t	 k;

	while (i < len) {
		best = 0;
		for (k = 0; secrets[k] != NULL; k++) {
			n = strlen(secrets[k]);
			if (n >= REDACT_MIN_LEN && n <= len - i && n > best &&
			    memcmp(in + i, secrets[k], n) == 0)
				best = n;
		}
		if (best > 0) {
			memcpy(out + o, M, sizeof M - 1);
			o += sizeof M - 1;
			i += best;
		} else
			out[o++] = in[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return (out);
}

/* Feed in with the given chunk sizes (cycled), flush, return the output. */
static char *
stream(struct redact *r, const char *in, size_t len, const size_t *sizes,
    size_t nsizes)
{
	struct evbuffer	*out = evbuffer_new();
	size_t		 off = 0, n, k = 0;
	char		*res;

	while (off < len) {
		n = sizes[k++ % nsizes];
		if (n > len - off)
			n = len - off;
		redact_feed(r, (const unsigned char *)in + off, n, out);
		off += n;
	}
	redact_flush(r, out);
	res = take(out);
	evbuffer_free(out);
	return (res);
}

/* Check one whole-string case both ways: redact_string and one feed. */
static void
expect(const char *const *secrets, const char *in, const char *want)
{
	struct redact	*r = make(secrets);
	char		*got;
	size_t		 one = strlen(in) + 1;

	got = redact_string(r, in);
	ck_assert_str_eq(got, want);
	free(got);
	got = stream(r, in, strlen(in), &one, 1);
	ck_assert_str_eq(got, want);
	free(got);
	redact_free(r);
}

START_TEST(test_add_and_count)
{
	struct redact	*r = redact_create();

	ck_assert_uint_eq(redact_count(r), 0);
	redact_add(r, "");
	redact_add(r, "abc");		/* shorter than REDACT_MIN_LEN */
	ck_assert_uint_eq(redact_count(r), 0);
	redact_add(r, "abcd");
	ck_assert_uint_eq(redact_count(r), 1);
	redact_add(r, "abcd");		/* already known */
	ck_assert_uint_eq(redact_count(r), 1);
	redact_add(r, "abcde");
	redact_add(r, "zzzz");
	ck_assert_uint_eq(redact_count(r), 3);
	redact_free(r);
	redact_free(NULL);
}
END_TEST

START_TEST(test_short_ignored)
{
	static const char *const s[] = { "abc", "xy", NULL };

	expect(s, "abc xy abcabc", "abc xy abcabc");
}
END_TEST

START_TEST(test_no_secrets_identity)
{
	static const char *const none[] = { NULL };
	static const char *const s[] = { "sk-live-1234567890", NULL };
	static const char	 text[] = "nothing secret here: sk-live-12345 "
	    "sk- s sk sk-live-123456789 sk-live-1234567899? almost";
	char			*got;
	struct redact		*r;
	size_t			 sz[] = { 1, 2, 3, 5, 8, 13 };

	expect(none, text, text);
	expect(s, text, text);
	r = make(s);
	got = stream(r, text, sizeof text - 1, sz, 6);
	ck_assert_str_eq(got, text);
	free(got);
	redact_free(r);
	expect(s, "", "");
}
END_TEST

START_TEST(test_positions)
{
	static const char *const s[] = { "hunter2!", NULL };

	expect(s, "hunter2!", M);
	expect(s, "hunter2! at start", M " at start");
	expect(s, "at end hunter2!", "at end " M);
	expect(s, "adjacent hunter2!hunter2!hunter2!.",
	    "adjacent " M M M ".");
	expect(s, "a hunter2! b hunter2! c", "a " M " b " M " c");
	expect(s, "hhunter2!!", "h" M "!");
	expect(s, "hunter2hunter2!", "hunter2" M);
}
END_TEST

START_TEST(test_overlapping)
{
	static const char *const ov[] = { "abcdef", "defghi", NULL };
	static const char *const nest[] = { "secretvalue", "secret",
	    "cretval", NULL };
	static const char *const pre[] = { "abcd", "abcdefgh", NULL };

	/* Earliest position wins, even if a later one is longer. */
	expect(ov, "abcdefghi", M "ghi");
	expect(ov, "xxdefghi", "xx" M);
	expect(ov, "abcdabcdefghi", "abcd" M "ghi");
	/* At one position the longest wins; nested ones are swallowed. */
	expect(nest, "secretvalue", M);
	expect(nest, "secretval", M "val");
	expect(nest, "secretvalu", M "valu");
	expect(nest, "xcretvalue", "x" M "ue");
	/* One secret is a prefix of another. */
	expect(pre, "abcdefgh", M);
	expect(pre, "abcdefg!", M "efg!");
	expect(pre, "abcdefg", M "efg");
	expect(pre, "abcdabcdefgh", M M);
	expect(pre, "abcabcdefghabcd", "abc" M M);
}
END_TEST

START_TEST(test_split_two_feeds)
{
	static const char *const s[] = { "sk-ant-0123456789", "0123ABCD",
	    "ant-0123", NULL };
	static const char	 text[] = "key=sk-ant-0123456789 and 0123ABCD, "
	    "ant-0123sk-ant-0123456789sk-ant-01234 end";
	struct redact		*r;
	struct evbuffer		*out;
	char			*want, *got;
	size_t			 cut, wantlen, len = sizeof text - 1;

	want = naive(s, text, len, &wantlen);
	ck_assert_str_eq(want, "key=" M " and " M ", " M M "sk-" M "4 end");
	r = make(s);
	for (cut = 0; cut <= len; cut++) {
		out = evbuffer_new();
		redact_feed(r, (const unsigned char *)text, cut, out);
		redact_feed(r, (const unsigned char *)text + cut, len - cut,
		    out);
		redact_flush(r, out);
		got = take(out);
		ck_assert_msg(strcmp(got, want) == 0, "cut at %zu: '%s'",
		    cut, got);
		free(got);
		evbuffer_free(out);
	}
	redact_free(r);
	free(want);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	static const char *const s[] = { "abcd", "abcdefgh", "cdefgz",
	    "password123", NULL };
	static const char	 text[] = "abcdefgz abcdefgh abcdabcd "
	    "passwordpassword123 cdefgzz abcdefg";
	struct redact		*r = make(s);
	char			*want, *got;
	size_t			 wantlen, one = 1;

	want = naive(s, text, sizeof text - 1, &wantlen);
	got = stream(r, text, sizeof text - 1, &one, 1);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	redact_free(r);
}
END_TEST

START_TEST(test_hold_only_prefix)
{
	static const char *const s[] = { "sk-secret-value", NULL };
	struct redact		*r = make(s);
	struct evbuffer		*out = evbuffer_new();
	char			*got;

	/* "s" might start the secret: everything before it comes out. */
	redact_feed(r, (const unsigned char *)"hello s", 7, out);
	got = take(out);
	ck_assert_str_eq(got, "hello ");
	free(got);
	/* "sk-" still might; then "x" decides it is not. */
	redact_feed(r, (const unsigned char *)"k-", 2, out);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	redact_feed(r, (const unsigned char *)"x and more", 10, out);
	got = take(out);
	ck_assert_str_eq(got, "sk-x and more");
	free(got);
	/* A tail that is not a prefix of any secret is not held. */
	redact_feed(r, (const unsigned char *)"tail k", 6, out);
	got = take(out);
	ck_assert_str_eq(got, "tail k");
	free(got);
	/* A held tail is released by flush, unchanged. */
	redact_feed(r, (const unsigned char *)"sk-secret-valu", 14, out);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	redact_flush(r, out);
	got = take(out);
	ck_assert_str_eq(got, "sk-secret-valu");
	free(got);
	/* The stream goes on after a flush. */
	redact_feed(r, (const unsigned char *)"sk-secret-value", 15, out);
	got = take(out);
	ck_assert_str_eq(got, M);
	free(got);
	redact_flush(r, out);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	evbuffer_free(out);
	redact_free(r);
}
END_TEST

START_TEST(test_flush_decides_nested)
{
	static const char *const s[] = { "abcd", "abcdefgh", NULL };
	struct redact		*r = make(s);
	struct evbuffer		*out = evbuffer_new();
	char			*got;

	/* "abcdef" is held (it may become "abcdefgh")... */
	redact_feed(r, (const unsigned char *)"x abcdef", 8, out);
	got = take(out);
	ck_assert_str_eq(got, "x ");
	free(got);
	/* ...and at the end its whole "abcd" is still redacted. */
	redact_flush(r, out);
	got = take(out);
	ck_assert_str_eq(got, M "ef");
	free(got);
	evbuffer_free(out);
	redact_free(r);
}
END_TEST

START_TEST(test_secret_added_later)
{
	struct redact	*r = redact_create();
	struct evbuffer	*out = evbuffer_new();
	char		*got;

	redact_feed(r, (const unsigned char *)"before tok", 10, out);
	redact_add(r, "token-1234");
	redact_feed(r, (const unsigned char *)"en-1234 token-1234", 18, out);
	redact_flush(r, out);
	got = take(out);
	/* Bytes fed before the secret was known are not held back. */
	ck_assert_str_eq(got, "before token-1234 " M);
	free(got);
	evbuffer_free(out);
	redact_free(r);
}
END_TEST

START_TEST(test_binary_and_utf8)
{
	static const char *const s[] = { "p\xc3\xa4ss\xe2\x82\xac", "\xff\xfe\x01x",
	    NULL };

	expect(s, "a p\xc3\xa4ss\xe2\x82\xac b \xff\xfe\x01x c",
	    "a " M " b " M " c");
}
END_TEST

/* Random streams over a small alphabet, so secrets overlap a lot. */
static void
random_rounds(const char *const *secrets, const char *alphabet, int rounds,
    size_t maxlen, unsigned int seed)
{
	struct redact	*r = make(secrets);
	char		*in, *want, *got;
	size_t		 len, i, wantlen, sizes[8], k, na = strlen(alphabet);
	int		 round;

	srandom(seed);
	in = malloc(maxlen + 1);
	for (round = 0; round < rounds; round++) {
		len = (size_t)random() % maxlen;
		for (i = 0; i < len; i++)
			in[i] = alphabet[random() % na];
		/* Sometimes plant whole secrets. */
		for (k = 0; len > 40 && k < 3; k++) {
			const char	*sec = secrets[random() % 4];
			size_t		 sl = strlen(sec), at;

			if (sl < len) {
				at = (size_t)random() % (len - sl);
				memcpy(in + at, sec, sl);
			}
		}
		in[len] = '\0';
		want = naive(secrets, in, len, &wantlen);
		for (k = 0; k < 8; k++)
			sizes[k] = random() % 4 == 0 ? 1 + (size_t)random() % 3 :
			    1 + (size_t)random() % (maxlen / 4 + 1);
		got = stream(r, in, len, sizes, 8);
		ck_assert_msg(strcmp(got, want) == 0,
		    "round %d: input '%s'\n got '%s'\nwant '%s'", round, in,
		    got, want);
		free(got);
		free(want);
	}
	free(in);
	redact_free(r);
}

START_TEST(test_random_small_alphabet)
{
	static const char *const s[] = { "abca", "bcab", "abcabcab", "aaaa",
	    "cabcabcabcabc", "aabbaabb", "baba", "ab", NULL };

	random_rounds(s, "abc", 3000, 120, 42);
}
END_TEST

START_TEST(test_random_shared_first_byte)
{
	/* All start with 'a': the memchr path. */
	static const char *const s[] = { "abca", "aabb", "abcabcab", "aaaa",
	    "acbacbacbacb", NULL };

	random_rounds(s, "abc", 3000, 120, 4711);
}
END_TEST

START_TEST(test_random_many_secrets)
{
	static char	 buf[40][24];
	const char	*s[41];
	size_t		 i, j;

	/* Forty secrets over "abcdef", lengths 4 to 20. */
	srandom(7);
	for (i = 0; i < 40; i++) {
		size_t	len = 4 + (size_t)random() % 17;

		for (j = 0; j < len; j++)
			buf[i][j] = "abcdef"[random() % (i < 20 ? 3 : 6)];
		buf[i][len] = '\0';
		s[i] = buf[i];
	}
	s[40] = NULL;
	random_rounds(s, "abcdef", 1000, 2000, 4242);
}
END_TEST

START_TEST(test_large_feeds)
{
	static const char *const s[] = { "ghp_0123456789abcdefghij",
	    "sk-proj-ABCDEFGHIJKLMNOP", "xoxb-1111-2222-3333", NULL };
	const size_t	 len = 4 * 1024 * 1024;
	char		*in, *want, *got;
	size_t		 i, wantlen, sz = 32 * 1024;
	struct redact	*r = make(s);

	srandom(99);
	in = malloc(len + 1);
	for (i = 0; i < len; i++)
		in[i] = (char)(' ' + random() % 95);
	for (i = 1000; i + 64 < len; i += 32749)
		memcpy(in + i, s[i % 3], strlen(s[i % 3]));
	in[len] = '\0';
	want = naive(s, in, len, &wantlen);
	got = stream(r, in, len, &sz, 1);
	ck_assert_uint_eq(strlen(got), wantlen);
	ck_assert(strcmp(got, want) == 0);
	ck_assert_ptr_nonnull(strstr(got, M));
	free(got);
	free(want);
	free(in);
	redact_free(r);
}
END_TEST

/*
 * Credential shapes (redact_patterns). The fakes below have the documented
 * shapes and are not real credentials.
 */
#define GH	"ghp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXyz"
#define JWT	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." \
		"eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0." \
		"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
#define PEM	"-----BEGIN OPENSSH PRIVATE KEY-----\r\n" \
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\r\n" \
		"QyNTUxOQAAACBmYWtlLWtleS1mYWtlLWtleS1mYWtlLWtleS1m\r\n" \
		"-----END OPENSSH PRIVATE KEY-----"
#define AWS	"AKIAIOSFODNN7EXAMPLE"
#define SLACK	"xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
#define OPENAI	"sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0n"
#define ANTHROPIC "sk-ant-api03-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA-AAAAAAAA"

#define MG	"[REDACTED:github-token]"
#define MJ	"[REDACTED:jwt]"
#define MP	"[REDACTED:private-key]"
#define MA	"[REDACTED:aws-access-key]"
#define MS	"[REDACTED:slack-token]"
#define MO	"[REDACTED:openai-key]"
#define MN	"[REDACTED:anthropic-key]"
#define MV	"[REDACTED:assignment]"

static size_t	found[REDACT_NKINDS];

/* redact_patterns' callback: count per kind. */
static void
count_found(enum redact_kind kind, void *arg)
{
	ck_assert_ptr_eq(arg, found);
	ck_assert_int_ge(kind, 0);
	ck_assert_int_lt(kind, REDACT_NKINDS);
	found[kind]++;
}

/* A redactor of shapes (and of the NULL-terminated secrets, if any). */
static struct redact *
make_patterns(const char *const *secrets)
{
	static const char *const none[] = { NULL };
	struct redact		*r = make(secrets != NULL ? secrets : none);

	redact_patterns(r, count_found, found);
	memset(found, 0, sizeof found);
	return (r);
}

/* All of found, summed. */
static size_t
found_total(void)
{
	size_t	i, n = 0;

	for (i = 0; i < REDACT_NKINDS; i++)
		n += found[i];
	return (n);
}

/*
 * Shapes: in gives want at once, in one feed, cut in two at every offset
 * and byte by byte; each way finds the same credentials.
 */
static void
expectp(const char *const *secrets, const char *in, const char *want)
{
	struct redact	*r = make_patterns(secrets);
	struct evbuffer	*out;
	char		*got;
	size_t		 len = strlen(in), one = 1, all = len + 1, cut, n;
	size_t		 first[REDACT_NKINDS];

	got = redact_string(r, in);
	ck_assert_msg(strcmp(got, want) == 0,
	    "string '%s'\n got '%s'\nwant '%s'", in, got, want);
	free(got);
	memcpy(first, found, sizeof first);
	n = found_total();

	memset(found, 0, sizeof found);
	got = stream(r, in, len, &all, 1);
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert(memcmp(first, found, sizeof first) == 0);

	memset(found, 0, sizeof found);
	got = stream(r, in, len, &one, 1);
	ck_assert_msg(strcmp(got, want) == 0,
	    "bytes '%s'\n got '%s'\nwant '%s'", in, got, want);
	free(got);
	ck_assert(memcmp(first, found, sizeof first) == 0);

	for (cut = 0; cut <= len; cut++) {
		memset(found, 0, sizeof found);
		out = evbuffer_new();
		redact_feed(r, (const unsigned char *)in, cut, out);
		redact_feed(r, (const unsigned char *)in + cut, len - cut, out);
		redact_flush(r, out);
		got = take(out);
		ck_assert_msg(strcmp(got, want) == 0,
		    "cut at %zu of '%s'\n got '%s'\nwant '%s'", cut, in, got,
		    want);
		free(got);
		evbuffer_free(out);
		ck_assert_uint_eq(found_total(), n);
	}
	memcpy(found, first, sizeof found);
	redact_free(r);
}

/* A shape's text is left as it is. */
static void
same(const char *in)
{
	expectp(NULL, in, in);
	ck_assert_uint_eq(found_total(), 0);
}

START_TEST(test_shape_each)
{
	char	*pat, *in;
	size_t	 i;

	expectp(NULL, "token " GH " ok", "token " MG " ok");
	ck_assert_uint_eq(found[REDACT_GITHUB], 1);
	expectp(NULL, "gho_0123456789abcdefghijklmnopqrstuvwxyz",  MG);
	expectp(NULL, "ghu_0123456789abcdefghijklmnopqrstuvwxyz.", MG ".");
	expectp(NULL, "(ghs_0123456789abcdefghijklmnopqrstuvwxyz)",
	    "(" MG ")");
	expectp(NULL, "ghr_0123456789abcdefghijklmnopqrstuvwxyzMORE7 x",
	    MG " x");

	/* github_pat_ + 22 + _ + 59. */
	pat = xmalloc(11 + 22 + 1 + 59 + 1);
	memcpy(pat, "github_pat_", 11);
	for (i = 0; i < 22 + 1 + 59; i++)
		pat[11 + i] = i == 22 ? '_' : "abcXYZ0189"[i % 10];
	pat[11 + i] = '\0';
	in = xasprintf("GH=%s\n", pat);
	expectp(NULL, in, "GH=" MG "\n");
	ck_assert_uint_eq(found[REDACT_GITHUB], 1);
	free(in);
	pat[11 + 22 + 1 + 58] = '\0';	/* one short */
	same(pat);
	free(pat);

	expectp(NULL, "Authorization: Bearer " JWT "\n",
	    "Authorization: Bearer " MJ "\n");
	ck_assert_uint_eq(found[REDACT_JWT], 1);
	expectp(NULL, "before\r\n" PEM "\r\nafter",
	    "before\r\n" MP "\r\nafter");
	ck_assert_uint_eq(found[REDACT_PRIVATE_KEY], 1);
	expectp(NULL, "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE "
	    "KEY-----", MP);
	expectp(NULL, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,"
	    "ENCRYPTED\n\nMIIE\n-----END ENCRYPTED PRIVATE KEY----- tail",
	    MP " tail");
	expectp(NULL, "-----BEGIN PGP PRIVATE KEY BLOCK-----\r\n\r\nlQOYBF\n"
	    "-----END PGP PRIVATE KEY BLOCK-----\n", MP "\n");
	expectp(NULL, "KEY=-----BEGIN PRIVATE KEY----- MIIE -----END PRIVATE "
	    "KEY----- x", "KEY=" MP " x");
	expectp(NULL, "{\"k\":\"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END "
	    "PRIVATE KEY-----\\n\"}", "{\"k\":\"" MP "\\n\"}");
	/* Only a whole END line ends it; more dashes before it are fine. */
	expectp(NULL, "-----BEGIN PRIVATE KEY-----\nAA\n-----END-----END \n"
	    "-----END X-Y-----END PRIVATE KEY----\n------END PRIVATE KEY-----"
	    "\nafter", MP "\nafter");
	expectp(NULL, "id " AWS " and ASIAY34FZKBOKMUTVV7A.",
	    "id " MA " and " MA ".");
	ck_assert_uint_eq(found[REDACT_AWS], 2);
	expectp(NULL, "slack " SLACK ", xoxp-2222-3333-abc", "slack " MS ", "
	    MS);
	ck_assert_uint_eq(found[REDACT_SLACK], 2);
	expectp(NULL, "OPENAI " OPENAI, "OPENAI " MO);
	expectp(NULL, "sk-" "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0nAbCdEfGh",
	    MO);
	expectp(NULL, "claude: " ANTHROPIC "\n", "claude: " MN "\n");
	ck_assert_uint_eq(found[REDACT_ANTHROPIC], 1);
	ck_assert_uint_eq(found[REDACT_OPENAI], 0);

	/* Inside a colour, and after \n in a JSON string. */
	expectp(NULL, "\033[1;32m" GH "\033[0m", "\033[1;32m" MG "\033[0m");
	expectp(NULL, "\033[m" JWT, "\033[m" MJ);
	expectp(NULL, "{\"text\":\"a\\n" GH "\\n\"}",
	    "{\"text\":\"a\\n" MG "\\n\"}");
}
END_TEST

START_TEST(test_shape_assignment)
{
	expectp(NULL, "api_key=abcd1234efgh", "api_key=" MV);
	ck_assert_uint_eq(found[REDACT_ASSIGNMENT], 1);
	expectp(NULL, "apikey: s3cr3tV4lue\n", "apikey: " MV "\n");
	expectp(NULL, "secret=hunter22 next", "secret=" MV " next");
	expectp(NULL, "password=hunter2", "password=" MV);
	expectp(NULL, "TOKEN = abc123;", "TOKEN = " MV ";");
	expectp(NULL, "X-Api-Key: 0123abcd", "X-Api-Key: " MV);
	expectp(NULL, "DB_PASSWORD='p4ss w0rd' next",
	    "DB_PASSWORD='" MV "' next");
	expectp(NULL, "{\"token\": \"abc123def\", \"n\": 1}",
	    "{\"token\": \"" MV "\", \"n\": 1}");
	expectp(NULL, "{\"password\":\"a\\\"b1234\\\\\"}",
	    "{\"password\":\"" MV "\"}");
	expectp(NULL, "{\"password\": \"abcdef\\\"ghi\"} x",
	    "{\"password\": \"" MV "\"} x");
	expectp(NULL, "https://x.test/cb?token=abc123&state=1",
	    "https://x.test/cb?token=" MV "&state=1");
	expectp(NULL, "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCY\n",
	    "AWS_SECRET_ACCESS_KEY=" MV "\n");
	expectp(NULL, "client_secret: \"letmein\"",
	    "client_secret: \"" MV "\"");
	/* The value is offered to the other shapes first. */
	expectp(NULL, "GITHUB_TOKEN=" GH "\n", "GITHUB_TOKEN=" MG "\n");
	ck_assert_uint_eq(found[REDACT_ASSIGNMENT], 0);
	expectp(NULL, "export OPENAI_API_KEY=" OPENAI, "export OPENAI_API_KEY="
	    MO);
	expectp(NULL, "id_token: " JWT, "id_token: " MJ);
	/* A long value is dropped as it streams. */
	expectp(NULL, "password=0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4567890123456789012345678901234567890123456789 end",
	    "password=" MV " end");
}
END_TEST

START_TEST(test_shape_near_misses)
{
	same("ghp_short and ghp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXy (35)");
	same("SGVsbG8sIFdvcmxkIQ== and eyJmb28iOiJiYXIifQ== are base64");
	same("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0 has no signature");
	same("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.short");
	same("Enter your password to continue; the token is in the keychain.");
	same("Password:\r\n");
	same("password: ********");
	same("token: none");
	same("token = self.token");
	same("password: String,");
	same("token = request.headers.get(\"X-Token\")");
	same("api_key = os.environ[\"API_KEY\"]");
	same("max_tokens=4096 tokenizer=bpe password_hash=abc123");
	same("if password == expected {");
	same("token := os.Getenv(\"T\")");
	same("api_key=$API_KEY secret=${SECRET} password=<your-password>");
	same("token=\"\" secret='' password=abc");
	same("pip install sk-learn; task-1234567890abcdefghijkl done");
	same("sk-some-long-hyphenated-identifier-name");
	same("AKIAIOSFODNN7EXAMPL and AKIAfoo and NOTAKIAIOSFODNN7EXAMPLE");
	same("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----");
	same("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
	same("---------------- ----- BEGIN -----BEGIN");
	/* Code that looks for a key is not one. */
	same("if (strstr(s, \"-----BEGIN RSA PRIVATE KEY-----\") != NULL)\n");
	same("h = \"-----BEGIN PRIVATE KEY-----\\n\" + body\n"
	    "-----BEGIN PRIVATE KEY-----\n\n\n-----BEGIN PRIVATE KEY-----");
	same("xoxb-123 xoxz-1234567890123");
	same("mygh_0123456789abcdefghijklmnopqrstuvwxyz0");
}
END_TEST

START_TEST(test_shape_exact_first)
{
	static const char *const s[] = { GH, "s3cr3t-value-123456", NULL };

	/* A known secret value keeps its plain marker, and no alert. */
	expectp(s, "GITHUB_TOKEN=" GH " MY_TOKEN=s3cr3t-value-123456 " JWT,
	    "GITHUB_TOKEN=" M " MY_TOKEN=" M " " MJ);
	ck_assert_uint_eq(found[REDACT_GITHUB], 0);
	ck_assert_uint_eq(found[REDACT_ASSIGNMENT], 0);
	ck_assert_uint_eq(found[REDACT_JWT], 1);
}
END_TEST

/* Feed in with chunk sizes from sizes[] (cycled); the output. */
static char *
stream_all(const char *in, size_t len, const size_t *sizes, size_t n)
{
	struct redact	*r = make_patterns(NULL);
	char		*got;

	got = stream(r, in, len, sizes, n);
	redact_free(r);
	return (got);
}

START_TEST(test_shape_split_everywhere)
{
	static const char	 in[] = "x " GH " y\r\n" PEM "\r\n"
	    "Authorization: Bearer " JWT "\r\nkey " AWS " " SLACK " " OPENAI
	    "\r\nexport API_KEY=\"abc123def\" PASSWORD=hunter2 " ANTHROPIC
	    " end";
	static const char	 want[] = "x " MG " y\r\n" MP "\r\n"
	    "Authorization: Bearer " MJ "\r\nkey " MA " " MS " " MO
	    "\r\nexport API_KEY=\"" MV "\" PASSWORD=" MV " " MN " end";
	size_t			 sizes[8], k;
	char			*got;
	int			 round;

	expectp(NULL, in, want);
	ck_assert_uint_eq(found_total(), 9);
	/* Random chunkings. */
	srandom(5);
	for (round = 0; round < 300; round++) {
		for (k = 0; k < 8; k++)
			sizes[k] = 1 + (size_t)random() % (round % 3 == 0 ? 4 :
			    64);
		got = stream_all(in, sizeof in - 1, sizes, 8);
		ck_assert_msg(strcmp(got, want) == 0, "round %d: %s", round,
		    got);
		free(got);
		ck_assert_uint_eq(found_total(), 9);
	}
}
END_TEST

START_TEST(test_shape_pem_many_chunks)
{
	struct redact	*r = make_patterns(NULL);
	struct evbuffer	*out = evbuffer_new();
	char		 line[66];
	char		*got;
	int		 i;

	redact_feed(r, (const unsigned char *)"key:\n-----BEGIN RSA PRIVATE ",
	    28, out);
	redact_feed(r, (const unsigned char *)"KEY-----\n", 9, out);
	memset(line, 'Q', 64);
	line[64] = '\n';
	/* 4 KiB of body in 65-byte reads: nothing of it comes out. */
	for (i = 0; i < 64; i++)
		redact_feed(r, (const unsigned char *)line, 65, out);
	redact_feed(r, (const unsigned char *)"-----END RSA PRI", 16, out);
	redact_feed(r, (const unsigned char *)"VATE KEY-", 9, out);
	redact_feed(r, (const unsigned char *)"----\nafter\n", 11, out);
	redact_flush(r, out);
	got = take(out);
	ck_assert_str_eq(got, "key:\n" MP "\nafter\n");
	ck_assert_uint_eq(found[REDACT_PRIVATE_KEY], 1);
	free(got);
	evbuffer_free(out);
	redact_free(r);
}
END_TEST

START_TEST(test_shape_pem_unterminated)
{
	struct redact	*r = make_patterns(NULL);
	struct evbuffer	*out = evbuffer_new();
	const size_t	 body = REDACT_PEM_MAX + 5000;
	char		*in, *got;
	size_t		 len, i, one = 1000, rest;

	/* No END: 16 KiB after the BEGIN line are dropped, then it goes on. */
	in = xmalloc(body + 64);
	len = (size_t)sprintf(in, "-----BEGIN EC PRIVATE KEY-----");
	rest = body - REDACT_PEM_MAX;
	for (i = 0; i < body; i++)
		in[len++] = i % 65 == 0 ? '\n' : 'k';
	in[len] = '\0';
	got = stream(r, in, len, &one, 1);
	ck_assert_uint_eq(strlen(got), sizeof MP - 1 + rest);
	ck_assert(strncmp(got, MP, sizeof MP - 1) == 0);
	ck_assert(memcmp(got + sizeof MP - 1, in + len - rest, rest) == 0);
	free(got);
	/* A later block is found again. */
	redact_feed(r, (const unsigned char *)PEM " ok", sizeof PEM + 2, out);
	redact_flush(r, out);
	got = take(out);
	ck_assert_str_eq(got, MP " ok");
	ck_assert_uint_eq(found[REDACT_PRIVATE_KEY], 2);
	free(got);
	free(in);
	evbuffer_free(out);
	redact_free(r);
}
END_TEST

START_TEST(test_shape_huge_lines)
{
	const size_t	 n = 4 * 1024 * 1024;
	char		*in, *got;
	size_t		 len, i, sz = 65536;

	/* A 4 MiB value is dropped whole; a 2 MiB token too. */
	in = xmalloc(2 * n);
	len = (size_t)sprintf(in, "pre password=");
	for (i = 0; i < n; i++)
		in[len++] = "abc123"[i % 6];
	len += (size_t)sprintf(in + len, " post ghp_");
	for (i = 0; i < n / 2; i++)
		in[len++] = "xyz789"[i % 6];
	len += (size_t)sprintf(in + len, "!");
	got = stream_all(in, len, &sz, 1);
	ck_assert_str_eq(got, "pre password=" MV " post " MG "!");
	free(got);

	/* 4 MiB without a newline of candidates that are never decided. */
	for (i = 0; i < n; i++)
		in[i] = "eyJ"[i % 3];
	got = stream_all(in, n, &sz, 1);
	ck_assert(memcmp(got, in, n) == 0 && strlen(got) == n);
	free(got);
	/* Each key's value is read to a call: code, not a secret. */
	for (i = 0; i < n; i++)
		in[i] = i % 127 == 126 ? '(' : "token="[i % 127 % 6];
	got = stream_all(in, n, &sz, 1);
	ck_assert(memcmp(got, in, n) == 0 && strlen(got) == n);
	free(got);
	free(in);
}
END_TEST

START_TEST(test_shape_held_bounded)
{
	struct redact	*r = make_patterns(NULL);
	struct evbuffer	*out = evbuffer_new();
	unsigned char	 c;
	size_t		 fed;

	/* A JWT header that never ends: at most the lookahead is held. */
	redact_feed(r, (const unsigned char *)" eyJ", 4, out);
	for (fed = 4; fed < 3 * REDACT_LOOKAHEAD; fed++) {
		c = (unsigned char)"aZ0_-"[fed % 5];
		redact_feed(r, &c, 1, out);
		ck_assert_uint_ge(evbuffer_get_length(out) + REDACT_LOOKAHEAD,
		    fed + 1);
	}
	redact_flush(r, out);
	ck_assert_uint_eq(evbuffer_get_length(out), fed);
	ck_assert_uint_eq(found_total(), 0);
	evbuffer_free(out);
	redact_free(r);
}
END_TEST

START_TEST(test_shape_binary_junk)
{
	const size_t	 n = 1024 * 1024;
	unsigned char	*in;
	char		*want, *got;
	size_t		 i, sizes[6] = { 1, 7, 4096, 3, 65536, 100 };
	struct redact	*r;
	struct evbuffer	*out;

	/* Random bytes with shapes' prefixes sprinkled in: one pass or many
	 * feeds give the same, and nothing crashes. */
	srandom(123);
	in = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		in[i] = (unsigned char)random();
	for (i = 0; i + 64 < n; i += 1 + (size_t)random() % 512) {
		static const char *const p[] = { "ghp_", "eyJ", "-----BEGIN ",
		    "token=", "sk-ant-", "AKIA", "xoxb-", "-----END ", ".",
		    "PRIVATE KEY-----", "\033[1m", "\"" };
		const char	*s = p[random() % 12];

		memcpy(in + i, s, strlen(s));
	}
	r = make_patterns(NULL);
	out = evbuffer_new();
	redact_feed(r, in, n, out);
	redact_flush(r, out);
	want = xmalloc(evbuffer_get_length(out) + 1);
	i = evbuffer_get_length(out);
	evbuffer_remove(out, want, i);
	want[i] = '\0';
	got = stream(r, (const char *)in, n, sizes, 6);
	ck_assert(memcmp(got, want, i) == 0);
	free(got);
	free(want);
	free(in);
	evbuffer_free(out);
	redact_free(r);
}
END_TEST

START_TEST(test_shape_random_chunks)
{
	static const char *const piece[] = { "ghp_", "eyJ", "abcDEF012",
	    "0123456789", ".", "-----BEGIN ", "RSA PRIVATE KEY-----",
	    "-----END ", "\n", " ", "token", "=", ":", "\"", "'", "\\",
	    "\033[1m", "sk-", "ant-", "AKIA", "XYZ0123456789", "xoxb-", "(",
	    "$", "password", "_", "-", "api_key", "QUJD", "s3cr3t-v4lue" };
	static const char *const s[] = { "s3cr3t-v4lue", "abcDEF0120123",
	    NULL };
	const size_t	 npiece = sizeof piece / sizeof piece[0];
	struct redact	*r;
	struct evbuffer	*out;
	char		 in[4096], *want, *got;
	size_t		 len, sizes[8], k, n, total;
	int		 round;

	/* Whatever the cuts, the output is that of one pass. */
	srandom(2024);
	for (round = 0; round < 3000; round++) {
		len = 0;
		n = 1 + (size_t)random() % 200;
		for (k = 0; k < n; k++) {
			const char	*p = piece[random() % npiece];

			if (len + strlen(p) + 1 >= sizeof in)
				break;
			memcpy(in + len, p, strlen(p));
			len += strlen(p);
		}
		in[len] = '\0';
		r = make_patterns(round % 2 ? s : NULL);
		out = evbuffer_new();
		redact_feed(r, (const unsigned char *)in, len, out);
		redact_flush(r, out);
		want = take(out);
		total = found_total();
		memset(found, 0, sizeof found);
		for (k = 0; k < 8; k++)
			sizes[k] = 1 + (size_t)random() % (round % 4 == 0 ? 3 :
			    80);
		got = stream(r, in, len, sizes, 8);
		ck_assert_msg(strcmp(got, want) == 0,
		    "round %d: '%s'\n got '%s'\nwant '%s'", round, in, got,
		    want);
		ck_assert_uint_eq(found_total(), total);
		free(got);
		free(want);
		evbuffer_free(out);
		redact_free(r);
	}
}
END_TEST

/* The output pipeline's side: one callback per kind, markers in chunks. */
static char	 chunks[4096];
static size_t	 chunkslen;
static char	 kinds[8][32];
static int	 nkinds;

static void
out_chunk(const char *p, size_t len, void *arg)
{
	ck_assert_uint_lt(chunkslen + len, sizeof chunks);
	memcpy(chunks + chunkslen, p, len);
	chunkslen += len;
	chunks[chunkslen] = '\0';
}

static void
out_record(struct json_object *o, void *arg)
{
}

static int
out_prompt(const char *line, void *arg)
{
	return (1);
}

static void
out_secret(const char *kind, void *arg)
{
	ck_assert_int_lt(nkinds, 8);
	snprintf(kinds[nkinds++], sizeof kinds[0], "%s", kind);
}

START_TEST(test_output_alert_once)
{
	struct output_cb	 cb = { out_chunk, out_record, out_prompt, NULL,
				    out_secret };
	struct event_base	*base = event_base_new();
	struct output		*o;
	char			 cause[256];
	static const char	 in[] = "a " GH "\r\nb " GH "\r\n" JWT "\r\n"
	    "ghp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
	size_t			 i;

	chunkslen = 0;
	nkinds = 0;
	o = output_create(base, &cb, NULL, 0, cause, sizeof cause);
	ck_assert_ptr_nonnull(o);
	for (i = 0; i < sizeof in - 1; i += 7)
		output_feed(o, (const unsigned char *)in + i,
		    sizeof in - 1 - i < 7 ? sizeof in - 1 - i : 7);
	output_flush(o);
	ck_assert_str_eq(chunks, "a " MG "\r\nb " MG "\r\n" MJ "\r\n" MG
	    "\r\n");
	ck_assert_int_eq(nkinds, 2);
	ck_assert_str_eq(kinds[0], "github-token");
	ck_assert_str_eq(kinds[1], "jwt");
	ck_assert_uint_eq(output_credentials(o), 4);
	output_free(o);
	event_base_free(base);
}
END_TEST

/* Every test of this file, a TCase per area. */
Suite *
unit_suite(void)
{
	Suite	*s = suite_create("redact");
	TCase	*tc;

	tc = tcase_create("secrets");
	tcase_add_test(tc, test_add_and_count);
	tcase_add_test(tc, test_short_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("matching");
	tcase_add_test(tc, test_no_secrets_identity);
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_overlapping);
	tcase_add_test(tc, test_binary_and_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("streaming");
	tcase_add_test(tc, test_split_two_feeds);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_hold_only_prefix);
	tcase_add_test(tc, test_flush_decides_nested);
	tcase_add_test(tc, test_secret_added_later);
	suite_add_tcase(s, tc);

	tc = tcase_create("reference");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_small_alphabet);
	tcase_add_test(tc, test_random_shared_first_byte);
	tcase_add_test(tc, test_random_many_secrets);
	tcase_add_test(tc, test_large_feeds);
	suite_add_tcase(s, tc);

	tc = tcase_create("shapes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_shape_each);
	tcase_add_test(tc, test_shape_assignment);
	tcase_add_test(tc, test_shape_near_misses);
	tcase_add_test(tc, test_shape_exact_first);
	tcase_add_test(tc, test_shape_split_everywhere);
	tcase_add_test(tc, test_shape_pem_many_chunks);
	tcase_add_test(tc, test_shape_pem_unterminated);
	tcase_add_test(tc, test_shape_huge_lines);
	tcase_add_test(tc, test_shape_held_bounded);
	tcase_add_test(tc, test_shape_binary_junk);
	tcase_add_test(tc, test_shape_random_chunks);
	tcase_add_test(tc, test_output_alert_once);
	suite_add_tcase(s, tc);
	return (s);
}
