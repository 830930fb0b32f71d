/* Streaming replacement of secret values with [REDACTED]. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "redact.h"
#include "util.h"

/*
 * The output is what one pass over the whole stream would give: at each
 * position, if one or more secrets start there, the longest is replaced by
 * REDACT_MARK and the scan resumes after it; otherwise the byte is copied.
 * Feeding decides as much as it can: a position is held back only when the
 * bytes from it to the end of what we have are a proper prefix of some
 * secret (so more input could make it, or a longer one, match).
 *
 * Candidates are found with memchr when all secrets share a first byte,
 * else with one lookup per byte in a bitmap of their first two bytes; only
 * at a candidate are the secrets starting with that byte compared, longest
 * first. So the scan is one pass over the input, plus a comparison bounded
 * by the secrets' lengths at each candidate (rare in ordinary output); a
 * feed that starts while a tail is held re-reads only that tail, which is
 * shorter than the longest secret.
 */

struct redact_secret {
	unsigned char		*value;
	size_t			 len;
	struct redact_secret	*next;	/* same first byte, longer first */
};

struct redact {
	struct redact_secret	*first[256];
	uint8_t			 starts[256];
	uint8_t			 pairs[65536 / 8];
	size_t			 count;
	size_t			 maxlen;
	int			 nfirst;	/* distinct first bytes */
	unsigned char		 only;		/* the first byte if nfirst 1 */

	unsigned char		*held;		/* tail that may start a secret */
	size_t			 heldlen;
	unsigned char		*bridge;	/* held + start of the next feed */
};

/* A new redactor with no secrets. */
struct redact *
redact_create(void)
{
	return (xcalloc(1, sizeof (struct redact)));
}

/* Free a redactor, its secrets and any held bytes. */
void
redact_free(struct redact *r)
{
	struct redact_secret	*s, *next;
	int			 i;

	if (r == NULL)
		return;
	for (i = 0; i < 256; i++) {
		for (s = r->first[i]; s != NULL; s = next) {
			next = s->next;
			explicit_bzero(s->value, s->len);
			free(s->value);
			free(s);
		}
	}
	if (r->held != NULL)
		explicit_bzero(r->held, r->maxlen);
	if (r->bridge != NULL)
		explicit_bzero(r->bridge, 2 * r->maxlen);
	free(r->held);
	free(r->bridge);
	free(r);
}

/* Add a secret value; too short or already known ones are ignored. */
void
redact_add(struct redact *r, const char *value)
{
	struct redact_secret	*s, **pp;
	size_t			 len;
	unsigned char		 c0, c1;

	if (value == NULL || (len = strlen(value)) < REDACT_MIN_LEN)
		return;
	c0 = (unsigned char)value[0];
	c1 = (unsigned char)value[1];
	for (pp = &r->first[c0]; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->len == len && memcmp((*pp)->value, value, len) == 0)
			return;
	}
	for (pp = &r->first[c0]; *pp != NULL && (*pp)->len >= len;
	    pp = &(*pp)->next)
		/* nothing */;
	s = xcalloc(1, sizeof *s);
	s->value = xmalloc(len);
	memcpy(s->value, value, len);
	s->len = len;
	s->next = *pp;
	*pp = s;

	if (!r->starts[c0]) {
		r->starts[c0] = 1;
		r->nfirst++;
		r->only = c0;
	}
	r->pairs[(c0 << 8 | c1) >> 3] |= 1 << (c1 & 7);
	r->count++;

	if (len > r->maxlen) {
		r->held = xrealloc(r->held, len);
		if (r->bridge != NULL)
			explicit_bzero(r->bridge, 2 * r->maxlen);
		free(r->bridge);
		r->bridge = xmalloc(2 * len);
		r->maxlen = len;
	}
}

/* How many secrets are being redacted. */
size_t
redact_count(const struct redact *r)
{
	return (r->count);
}

/* The next position in [i, stop) where a secret may start, or stop. */
static size_t
redact_next(const struct redact *r, const unsigned char *b, size_t len,
    size_t i, size_t stop)
{
	const unsigned char	*p;
	unsigned int		 pair;

	if (r->nfirst == 1) {
		while (i < stop) {
			if ((p = memchr(b + i, r->only, stop - i)) == NULL)
				return (stop);
			i = (size_t)(p - b);
			if (i + 1 == len)
				return (i);
			pair = (unsigned int)b[i] << 8 | b[i + 1];
			if (r->pairs[pair >> 3] & (1 << (pair & 7)))
				return (i);
			i++;
		}
		return (stop);
	}
	/* One bitmap load per byte: the pair test is rarely true. */
	for (; i < stop && i + 1 < len; i++) {
		pair = (unsigned int)b[i] << 8 | b[i + 1];
		if (r->pairs[pair >> 3] & (1 << (pair & 7)))
			return (i);
	}
	if (i < stop && r->starts[b[i]])
		return (i);
	return (stop);
}

/*
 * Which secret starts at b[i] (b has len bytes): 1 with the longest match's
 * length in *n, 0 for none, or -1 when b[i..len) is a proper prefix of a
 * secret and more input than len (not final) could decide otherwise.
 */
static int
redact_match(const struct redact *r, const unsigned char *b, size_t len,
    size_t i, int final, size_t *n)
{
	const struct redact_secret	*s;
	size_t				 avail = len - i;

	for (s = r->first[b[i]]; s != NULL; s = s->next) {
		if (s->len > avail) {
			if (!final && memcmp(b + i, s->value, avail) == 0)
				return (-1);
			continue;
		}
		if (memcmp(b + i, s->value, s->len) == 0) {
			*n = s->len;
			return (1);
		}
	}
	return (0);
}

/*
 * Redact the positions [start, stop) of b[0..len) into out; a match may run
 * past stop. Returns where the scan ended: at or past stop, or before it
 * when a tail from there must be held.
 */
static size_t
redact_scan(struct redact *r, const unsigned char *b, size_t len,
    size_t start, size_t stop, int final, struct evbuffer *out)
{
	size_t	i = start, plain = start, n;

	while (i < stop && (i = redact_next(r, b, len, i, stop)) < stop) {
		switch (redact_match(r, b, len, i, final, &n)) {
		case -1:
			if (i > plain)
				evbuffer_add(out, b + plain, i - plain);
			return (i);
		case 1:
			if (i > plain)
				evbuffer_add(out, b + plain, i - plain);
			evbuffer_add(out, REDACT_MARK, sizeof REDACT_MARK - 1);
			i += n;
			plain = i;
			break;
		default:
			i++;
			break;
		}
	}
	if (stop > plain)
		evbuffer_add(out, b + plain, stop - plain);
	return (i);
}

/* Remember b[0..len) (shorter than the longest secret) as the held tail. */
static void
redact_hold(struct redact *r, const unsigned char *b, size_t len)
{
	memmove(r->held, b, len);
	r->heldlen = len;
}

/* Feed stream bytes; see redact.h. */
void
redact_feed(struct redact *r, const unsigned char *in, size_t len,
    struct evbuffer *out)
{
	size_t	take, blen, end, start = 0;

	if (len == 0)
		return;
	if (r->count == 0) {
		evbuffer_add(out, in, len);
		return;
	}
	if (r->heldlen > 0) {
		/*
		 * The held tail is re-scanned with up to maxlen bytes of the
		 * new input after it: enough to decide every position in the
		 * tail, since no secret is longer. A match may end inside
		 * the input; the main scan then starts after it.
		 */
		take = len < r->maxlen ? len : r->maxlen;
		memcpy(r->bridge, r->held, r->heldlen);
		memcpy(r->bridge + r->heldlen, in, take);
		blen = r->heldlen + take;
		end = redact_scan(r, r->bridge, blen, 0, r->heldlen, 0, out);
		if (end < r->heldlen) {
			/* Still undecided: then take < maxlen, so take == len. */
			redact_hold(r, r->bridge + end, blen - end);
			return;
		}
		start = end - r->heldlen;
		r->heldlen = 0;
		if (start >= len)
			return;
	}
	end = redact_scan(r, in, len, start, len, 0, out);
	redact_hold(r, in + end, len - end);
}

/* At end of stream the held tail is decided with no more input coming. */
void
redact_flush(struct redact *r, struct evbuffer *out)
{
	if (r->heldlen == 0)
		return;
	redact_scan(r, r->held, r->heldlen, 0, r->heldlen, 1, out);
	explicit_bzero(r->held, r->heldlen);
	r->heldlen = 0;
}

/* Redact a whole string; independent of any stream being fed. */
char *
redact_string(struct redact *r, const char *s)
{
	struct evbuffer	*out;
	size_t		 len = strlen(s), n;
	char		*res;

	if ((out = evbuffer_new()) == NULL)
		return (NULL);
	redact_scan(r, (const unsigned char *)s, len, 0, len, 1, out);
	n = evbuffer_get_length(out);
	res = xmalloc(n + 1);
	evbuffer_remove(out, res, n);
	res[n] = '\0';
	evbuffer_free(out);
	return (res);
}
