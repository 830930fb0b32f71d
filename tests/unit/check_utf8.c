/* Unit tests for the streaming UTF-8 sanitizer (common/utf8.c). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "common/utf8.h"
#include "unit.h"

#define R	"\xef\xbf\xbd"	/* U+FFFD */

/* Sanitize in one call, flush, and return the result (static buffer). */
static const char *
clean(const char *in, size_t len, size_t *outlen)
{
	static char		 res[4096];
	struct utf8_carry	 c = { .len = 0 };
	struct evbuffer		*out = evbuffer_new();
	size_t			 n;

	utf8_sanitize(&c, (const unsigned char *)in, len, out);
	utf8_flush(&c, out);
	n = evbuffer_get_length(out);
	ck_assert_uint_lt(n, sizeof res);
	evbuffer_remove(out, res, n);
	res[n] = '\0';
	evbuffer_free(out);
	*outlen = n;
	return (res);
}

/* Check that in (len bytes) sanitizes to want (a C string). */
static void
expect(const char *in, size_t len, const char *want)
{
	size_t		 n;
	const char	*got;

	got = clean(in, len, &n);
	ck_assert_msg(n == strlen(want) && memcmp(got, want, n) == 0,
	    "input of %zu bytes: got %zu bytes '%s', want '%s'", len, n, got,
	    want);
	ck_assert(utf8_valid((const unsigned char *)got, n));
}

#define EXPECT(in, want)	expect(in, sizeof (in) - 1, want)

START_TEST(test_valid_passthrough)
{
	static const char s[] = "plain ascii\ttab\r\n"
	    "\xc2\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf "
	    "\xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80";

	EXPECT(s, s);
	ck_assert(utf8_valid((const unsigned char *)s, sizeof s - 1));
	EXPECT("", "");
	ck_assert(utf8_valid((const unsigned char *)"", 0));
	/* A NUL byte is valid UTF-8 (U+0000). */
	{
		size_t		 n;
		const char	*got = clean("a\0b", 3, &n);

		ck_assert_uint_eq(n, 3);
		ck_assert_mem_eq(got, "a\0b", 3);
	}
}
END_TEST

START_TEST(test_invalid_single)
{
	EXPECT("\x80", R);
	EXPECT("\xbf", R);
	EXPECT("\xc0", R);
	EXPECT("\xc1", R);
	EXPECT("\xf5", R);
	EXPECT("\xff", R);
	EXPECT("a\xfe" "b", "a" R "b");
	EXPECT("\x80\x80\x80", R R R);
}
END_TEST

START_TEST(test_overlong)
{
	/* C0/C1 and E0 80, F0 80 start nothing well-formed: one per byte. */
	EXPECT("\xc0\xaf", R R);
	EXPECT("\xc1\xbf", R R);
	EXPECT("\xe0\x80\xaf", R R R);
	EXPECT("\xe0\x9f\xbf", R R R);
	EXPECT("\xf0\x80\x80\xaf", R R R R);
	EXPECT("\xf0\x8f\xbf\xbf", R R R R);
	/* The smallest well-formed ones right above. */
	EXPECT("\xc2\x80", "\xc2\x80");
	EXPECT("\xe0\xa0\x80", "\xe0\xa0\x80");
	EXPECT("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");
}
END_TEST

START_TEST(test_surrogate_and_range)
{
	EXPECT("\xed\xa0\x80", R R R);		/* U+D800 */
	EXPECT("\xed\xbf\xbf", R R R);		/* U+DFFF */
	EXPECT("\xed\xa0\x80\xed\xb0\x80", R R R R R R);
	EXPECT("\xf4\x90\x80\x80", R R R R);	/* U+110000 */
	EXPECT("\xf7\xbf\xbf\xbf", R R R R);
	EXPECT("\xf8\x88\x80\x80\x80", R R R R R);
}
END_TEST

START_TEST(test_truncated_middle)
{
	/* A well-formed prefix cut by a byte that cannot continue it. */
	EXPECT("\xe2\x82" "A", R "A");
	EXPECT("\xf0\x9f\x98" "A", R "A");
	EXPECT("\xf0\x9f" "\xe2\x82\xac", R "\xe2\x82\xac");
	EXPECT("\xc3" "\xc3\xa9", R "\xc3\xa9");
	EXPECT("\xe2" "\x80\x80" "\x80", "\xe2\x80\x80" R);
	/* Unicode 15 Table 3-8, the maximal subpart example. */
	EXPECT("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
	    "a" R R R "b" R "c" R R "d");
	/* Table 3-11: not a maximal subpart, each byte alone. */
	EXPECT("\x61\xc0\xaf\xe0\x80\xbf\xf0\x81\x82\x41",
	    "a" R R R R R R R R "A");
	/* Table 3-10: surrogates and out of range. */
	EXPECT("\x61\xed\xa0\x80\xed\xbf\xbf\xed\xaf\x41",
	    "a" R R R R R R R R "A");
	EXPECT("\x61\xf4\x91\x92\x93\xff\x41\x80\xbf\x42",
	    "a" R R R R R "A" R R "B");
	EXPECT("\x61\xe1\x80\xe2\xf0\x91\x92\xf1\xbf\x41",
	    "a" R R R R "A");
}
END_TEST

START_TEST(test_truncated_end)
{
	struct utf8_carry	 c = { .len = 0 };
	struct evbuffer		*out = evbuffer_new();

	utf8_sanitize(&c, (const unsigned char *)"abc\xe2\x82", 5, out);
	ck_assert_uint_eq(evbuffer_get_length(out), 3);
	ck_assert_uint_eq(c.len, 2);
	utf8_flush(&c, out);
	ck_assert_uint_eq(c.len, 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 6);
	ck_assert_mem_eq(evbuffer_pullup(out, -1), "abc" R, 6);
	/* Flush with nothing carried adds nothing. */
	utf8_flush(&c, out);
	ck_assert_uint_eq(evbuffer_get_length(out), 6);
	evbuffer_free(out);

	EXPECT("x\xf0", "x" R);
	EXPECT("x\xf0\x9f\x98", "x" R);
	/* An invalid tail is not carried: it is decided now. */
	EXPECT("x\xed\xa0", "x" R R);
	ck_assert(!utf8_valid((const unsigned char *)"a\xe2\x82", 3));
	ck_assert(!utf8_valid((const unsigned char *)"\xc0\xaf", 2));
	ck_assert(!utf8_valid((const unsigned char *)"\xed\xa0\x80", 3));
	ck_assert(!utf8_valid((const unsigned char *)"\xf4\x90\x80\x80", 4));
}
END_TEST

START_TEST(test_split_every_position)
{
	static const char	*seqs[] = { "\xc2\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf" };
	char			 s[64];
	struct utf8_carry	 c;
	struct evbuffer		*out;
	size_t			 i, cut, len;

	for (i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		len = (size_t)snprintf(s, sizeof s, "ab%scd%s", seqs[i],
		    seqs[i]);
		for (cut = 0; cut <= len; cut++) {
			memset(&c, 0, sizeof c);
			out = evbuffer_new();
			utf8_sanitize(&c, (const unsigned char *)s, cut, out);
			/* Only whole characters come out before the rest. */
			ck_assert(utf8_valid(evbuffer_pullup(out, -1),
			    evbuffer_get_length(out)));
			utf8_sanitize(&c, (const unsigned char *)s + cut,
			    len - cut, out);
			ck_assert_uint_eq(c.len, 0);
			utf8_flush(&c, out);
			ck_assert_uint_eq(evbuffer_get_length(out), len);
			ck_assert_mem_eq(evbuffer_pullup(out, -1), s, len);
			evbuffer_free(out);
		}
	}
}
END_TEST

START_TEST(test_byte_by_byte)
{
	static const char	 s[] = "a\xf0\x9f\x98\x80" "b\xe2\x82" "c"
	    "\xed\xa0\x80" "\xf0\x9f\x98";
	static const char	 want[] = "a\xf0\x9f\x98\x80" "b" R "c" R R R
	    R;
	struct utf8_carry	 c = { .len = 0 };
	struct evbuffer		*out = evbuffer_new();
	size_t			 i;

	for (i = 0; i < sizeof s - 1; i++) {
		utf8_sanitize(&c, (const unsigned char *)s + i, 1, out);
		ck_assert_uint_le(c.len, 3);
	}
	/* Zero-length input changes nothing. */
	utf8_sanitize(&c, (const unsigned char *)"", 0, out);
	ck_assert_uint_eq(c.len, 3);
	utf8_flush(&c, out);
	ck_assert_uint_eq(evbuffer_get_length(out), sizeof want - 1);
	ck_assert_mem_eq(evbuffer_pullup(out, -1), want, sizeof want - 1);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_carry_then_bad)
{
	struct utf8_carry	 c = { .len = 0 };
	struct evbuffer		*out = evbuffer_new();

	/* Carried E2 82, then a lead byte: one U+FFFD, then the new char. */
	utf8_sanitize(&c, (const unsigned char *)"\xe2\x82", 2, out);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	utf8_sanitize(&c, (const unsigned char *)"\xe2\x82\xac!", 4, out);
	ck_assert_uint_eq(c.len, 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 7);
	ck_assert_mem_eq(evbuffer_pullup(out, -1), R "\xe2\x82\xac!", 7);
	evbuffer_drain(out, 7);

	/* Carried F0, then 9F in one call, 98 in another, then 'x'. */
	utf8_sanitize(&c, (const unsigned char *)"\xf0", 1, out);
	utf8_sanitize(&c, (const unsigned char *)"\x9f", 1, out);
	utf8_sanitize(&c, (const unsigned char *)"\x98", 1, out);
	ck_assert_uint_eq(c.len, 3);
	utf8_sanitize(&c, (const unsigned char *)"x", 1, out);
	ck_assert_uint_eq(c.len, 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 4);
	ck_assert_mem_eq(evbuffer_pullup(out, -1), R "x", 4);
	evbuffer_drain(out, 4);

	/* Carried E0, then 80 (overlong): two U+FFFD. */
	utf8_sanitize(&c, (const unsigned char *)"\xe0", 1, out);
	utf8_sanitize(&c, (const unsigned char *)"\x80z", 2, out);
	ck_assert_uint_eq(evbuffer_get_length(out), 7);
	ck_assert_mem_eq(evbuffer_pullup(out, -1), R R "z", 7);
	evbuffer_free(out);
}
END_TEST

/*
 * An independent reference: every well-formed encoding (from an encoder,
 * not the decoder's table), sorted, so "is p a prefix of some well-formed
 * sequence" is a binary search.
 */
static uint32_t	*enc;
static size_t	 nenc;

/* Encode cp left-aligned in 32 bits (first byte in the top 8). */
static uint32_t
ref_encode(uint32_t cp, size_t *len)
{
	if (cp < 0x800) {
		*len = 2;
		return ((0xc0 | cp >> 6) << 24 | (0x80 | (cp & 0x3f)) << 16);
	}
	if (cp < 0x10000) {
		*len = 3;
		return ((0xe0 | cp >> 12) << 24 |
		    (0x80 | (cp >> 6 & 0x3f)) << 16 |
		    (0x80 | (cp & 0x3f)) << 8);
	}
	*len = 4;
	return ((0xf0 | cp >> 18) << 24 | (0x80 | (cp >> 12 & 0x3f)) << 16 |
	    (0x80 | (cp >> 6 & 0x3f)) << 8 | (0x80 | (cp & 0x3f)));
}

/* Build the sorted table of every well-formed multi-byte encoding. */
static void
ref_build(void)
{
	uint32_t	cp;
	size_t		len;

	enc = malloc(0x110000 * sizeof *enc);
	ck_assert_ptr_nonnull(enc);
	for (cp = 0x80; cp < 0x110000; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		enc[nenc++] = ref_encode(cp, &len);
	}
}

/* 2: p[0..k) is a whole encoding; 1: a proper prefix of one; 0: neither. */
static int
ref_prefix(const unsigned char *p, size_t k)
{
	uint32_t	key = 0, mask = 0, e;
	size_t		lo = 0, hi = nenc, mid, i, len;

	for (i = 0; i < k; i++) {
		key |= (uint32_t)p[i] << (24 - 8 * i);
		mask |= 0xffu << (24 - 8 * i);
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (enc[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == nenc || ((e = enc[lo]) & mask) != key)
		return (0);
	len = (e >> 24) < 0xe0 ? 2 : (e >> 24) < 0xf0 ? 3 : 4;
	return (len == k && e == key ? 2 : 1);
}

/* Reference sanitize of a whole stream (then flush) into out. */
static size_t
ref_clean(const unsigned char *s, size_t len, unsigned char *out)
{
	size_t	i = 0, o = 0, k, best;
	int	r, whole;

	while (i < len) {
		if (s[i] < 0x80) {
			out[o++] = s[i++];
			continue;
		}
		best = 0;
		whole = 0;
		for (k = 1; k <= 4 && i + k <= len; k++) {
			if ((r = ref_prefix(s + i, k)) == 0)
				break;
			best = k;
			if (r == 2) {
				whole = 1;
				break;
			}
		}
		if (whole) {
			memcpy(out + o, s + i, best);
			o += best;
			i += best;
		} else {
			memcpy(out + o, R, 3);
			o += 3;
			i += best > 0 ? best : 1;
		}
	}
	return (o);
}

START_TEST(test_random_against_reference)
{
	static const unsigned char	 pool[] = { 'a', 'z', 0x00, 0x7f,
	    0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
	    0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5,
	    0xff };
	unsigned char			*in, *want;
	struct utf8_carry		 c;
	struct evbuffer			*out;
	size_t				 len, i, off, n, wantlen, round;

	ref_build();
	srandom(20240611);
	in = malloc(8192);
	want = malloc(8192 * 3);
	for (round = 0; round < 3000; round++) {
		len = (size_t)random() % 200;
		for (i = 0; i < len; i++)
			in[i] = random() % 3 == 0 ? (unsigned char)random() :
			    pool[random() % sizeof pool];
		wantlen = ref_clean(in, len, want);

		memset(&c, 0, sizeof c);
		out = evbuffer_new();
		for (off = 0; off < len; off += n) {
			n = 1 + (size_t)random() % 7;
			if (n > len - off)
				n = len - off;
			utf8_sanitize(&c, in + off, n, out);
		}
		utf8_flush(&c, out);
		ck_assert_uint_eq(evbuffer_get_length(out), wantlen);
		if (wantlen > 0) {
			ck_assert_mem_eq(evbuffer_pullup(out, -1), want,
			    wantlen);
			ck_assert(utf8_valid(evbuffer_pullup(out, -1),
			    wantlen));
		}
		ck_assert_int_eq(utf8_valid(in, len),
		    wantlen == len && memcmp(in, want, len) == 0);
		evbuffer_free(out);
	}
	free(in);
	free(want);
	free(enc);
}
END_TEST

START_TEST(test_large)
{
	const size_t		 len = 1 << 20;
	unsigned char		*in;
	struct utf8_carry	 c = { .len = 0 };
	struct evbuffer		*out = evbuffer_new();
	size_t			 i;

	/* A megabyte of 3-byte characters, fed in 4095-byte reads. */
	in = malloc(len);
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(in + i, "\xe2\x82\xac", 3);
	for (; i < len; i++)
		in[i] = 'x';
	for (i = 0; i < len; i += 4095)
		utf8_sanitize(&c, in + i, len - i < 4095 ? len - i : 4095,
		    out);
	utf8_flush(&c, out);
	ck_assert_uint_eq(evbuffer_get_length(out), len);
	ck_assert_mem_eq(evbuffer_pullup(out, -1), in, len);
	ck_assert(utf8_valid(in, len));
	free(in);
	evbuffer_free(out);
}
END_TEST

/* Every test of this file, a TCase per area. */
Suite *
unit_suite(void)
{
	Suite	*s = suite_create("utf8");
	TCase	*tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, test_valid_passthrough);
	tcase_add_test(tc, test_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_test(tc, test_invalid_single);
	tcase_add_test(tc, test_overlong);
	tcase_add_test(tc, test_surrogate_and_range);
	tcase_add_test(tc, test_truncated_middle);
	suite_add_tcase(s, tc);

	tc = tcase_create("streaming");
	tcase_add_test(tc, test_truncated_end);
	tcase_add_test(tc, test_split_every_position);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_carry_then_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("reference");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_against_reference);
	suite_add_tcase(s, tc);
	return (s);
}
