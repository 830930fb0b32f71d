/* Streaming replacement of secret values with [REDACTED]. */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

struct evbuffer;
struct redact;

#define REDACT_MARK	"[REDACTED]"
#define REDACT_MIN_LEN	4	/* shorter values are not treated as secrets */

struct redact	*redact_create(void);
void		 redact_free(struct redact *);
/* Add a secret (copied); shorter than REDACT_MIN_LEN is ignored. */
void		 redact_add(struct redact *, const char *);
size_t		 redact_count(const struct redact *);
/*
 * Feed output bytes. Appends to out everything that cannot be part of a
 * secret, with every occurrence of a secret replaced by REDACT_MARK; a tail
 * that could be the start of a secret is held until more bytes decide it,
 * so a secret split across any number of reads is still caught.
 */
void		 redact_feed(struct redact *, const unsigned char *, size_t,
		    struct evbuffer *);
/* At end of stream: release the held tail (it is not a whole secret). */
void		 redact_flush(struct redact *, struct evbuffer *);
/* Redact a whole string at once; a new malloc'd string. */
char		*redact_string(struct redact *, const char *);

#endif
