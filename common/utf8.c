/* Streaming UTF-8 sanitizing: invalid bytes become U+FFFD, split sequences carry over. */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>

#include "common/utf8.h"

/*
 * Replacement follows the Unicode "maximal subpart" practice (Unicode 15,
 * section 3.9, U+FFFD Substitution of Maximal Subparts, as the W3C/WHATWG
 * decoders do): a maximal subpart is the longest prefix of a well-formed
 * sequence (Table 3-7) found at a position, or a single byte when no
 * well-formed sequence can start there. Each one becomes exactly one U+FFFD
 * and decoding resumes at the byte that broke it. So "\xe2\x82" followed by
 * 'A' is one U+FFFD then 'A', while "\xc0\xaf" (overlong) is two U+FFFD, as
 * is "\xed\xa0" (a surrogate): C0, C1 and ED A0 start no well-formed
 * sequence beyond their first byte.
 */

#define UTF8_REPL	"\xef\xbf\xbd"
#define UTF8_REPL_LEN	3

enum utf8_seq {
	UTF8_OK,		/* a whole well-formed sequence */
	UTF8_SHORT,		/* a well-formed prefix that the input cuts */
	UTF8_BAD		/* a maximal invalid subpart */
};

/*
 * Classify the sequence at s (len >= 1): its length in *n for UTF8_OK, the
 * length of the maximal subpart for UTF8_BAD, len for UTF8_SHORT.
 */
static enum utf8_seq
utf8_seq(const unsigned char *s, size_t len, size_t *n)
{
	unsigned char	c = s[0], lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (c < 0x80) {
		*n = 1;
		return (UTF8_OK);
	}
	if (c < 0xc2 || c > 0xf4) {
		*n = 1;
		return (UTF8_BAD);
	}
	if (c < 0xe0)
		need = 2;
	else if (c < 0xf0) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800..U+DFFF */
	} else {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	}
	for (i = 1; i < need; i++) {
		if (i == len) {
			*n = len;
			return (UTF8_SHORT);
		}
		if (s[i] < lo || s[i] > hi) {
			*n = i;
			return (UTF8_BAD);
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*n = need;
	return (UTF8_OK);
}

/*
 * Sanitize s[0..len) into out; returns how many bytes at the end form an
 * incomplete sequence that the caller must carry (0 when final).
 */
static size_t
utf8_run(const unsigned char *s, size_t len, struct evbuffer *out)
{
	size_t	i = 0, good = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		switch (utf8_seq(s + i, len - i, &n)) {
		case UTF8_OK:
			i += n;
			break;
		case UTF8_SHORT:
			if (i > good)
				evbuffer_add(out, s + good, i - good);
			return (len - i);
		case UTF8_BAD:
			if (i > good)
				evbuffer_add(out, s + good, i - good);
			evbuffer_add(out, UTF8_REPL, UTF8_REPL_LEN);
			i += n;
			good = i;
			break;
		}
	}
	if (i > good)
		evbuffer_add(out, s + good, i - good);
	return (0);
}

/* Sanitize carry + in into out, keeping an incomplete tail in the carry. */
void
utf8_sanitize(struct utf8_carry *c, const unsigned char *in, size_t len,
    struct evbuffer *out)
{
	unsigned char	tmp[sizeof c->buf + 3];
	size_t		take, tmplen, n, off;

	if (len == 0)
		return;
	if (c->len > 0) {
		/*
		 * The carry is a well-formed prefix of at most 3 bytes, so its
		 * sequence is decided within the next 3 bytes of input: once
		 * decided, it ends (or breaks) at or after the carry's end.
		 */
		take = len < 3 ? len : 3;
		memcpy(tmp, c->buf, c->len);
		memcpy(tmp + c->len, in, take);
		tmplen = c->len + take;
		switch (utf8_seq(tmp, tmplen, &n)) {
		case UTF8_SHORT:
			memcpy(c->buf, tmp, tmplen);
			c->len = tmplen;
			return;
		case UTF8_OK:
			evbuffer_add(out, tmp, n);
			break;
		case UTF8_BAD:
			evbuffer_add(out, UTF8_REPL, UTF8_REPL_LEN);
			break;
		}
		off = n - c->len;
		c->len = 0;
		in += off;
		len -= off;
	}
	n = utf8_run(in, len, out);
	memcpy(c->buf, in + len - n, n);
	c->len = n;
}

/* At end of stream a carried incomplete sequence is one maximal subpart. */
void
utf8_flush(struct utf8_carry *c, struct evbuffer *out)
{
	if (c->len > 0)
		evbuffer_add(out, UTF8_REPL, UTF8_REPL_LEN);
	c->len = 0;
}

/* Whether s[0..len) is well-formed UTF-8 as a whole. */
int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t	i = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (utf8_seq(s + i, len - i, &n) != UTF8_OK)
			return (0);
		i += n;
	}
	return (1);
}
