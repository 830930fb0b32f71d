/* Unit tests for streaming secret redaction (common/redact.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "redact.h"

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

/* Every test of this file, a TCase per area. */
static Suite *
redact_suite(void)
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
	return (s);
}

/* Run the suite; nonzero when a test failed. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(redact_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
