/* Streaming UTF-8 sanitizing: invalid bytes become U+FFFD, split sequences carry over. */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

struct evbuffer;

struct utf8_carry {
	unsigned char	buf[4];
	size_t		len;
};

/*
 * Append carry + in to out as valid UTF-8: each invalid byte or malformed
 * sequence (overlong, surrogate, above U+10FFFF, truncated in the middle)
 * becomes U+FFFD; an incomplete sequence at the very end is kept in the carry
 * for the next call, never broken.
 */
void	utf8_sanitize(struct utf8_carry *, const unsigned char *, size_t,
	    struct evbuffer *);
/* At end of stream: an incomplete sequence left in the carry becomes U+FFFD. */
void	utf8_flush(struct utf8_carry *, struct evbuffer *);
/* Whether s[0..len) is valid UTF-8. */
int	utf8_valid(const unsigned char *, size_t);

#endif
