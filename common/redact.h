/* Streaming redaction of secret values and credential shapes. */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

struct evbuffer;
struct redact;

#define REDACT_MARK	"[REDACTED]"
#define REDACT_MIN_LEN	4	/* shorter values are not treated as secrets */

/*
 * Credentials recognised by their shape (redact_patterns); each is replaced
 * by "[REDACTED:" + redact_kind_name() + "]".
 */
enum redact_kind {
	REDACT_GITHUB,		/* ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ */
	REDACT_JWT,		/* eyJ... . ... . ... */
	REDACT_PRIVATE_KEY,	/* PEM -----BEGIN ... PRIVATE KEY----- block */
	REDACT_AWS,		/* AKIA / ASIA access key id */
	REDACT_SLACK,		/* xoxb- xoxa- xoxp- xoxr- xoxs- */
	REDACT_OPENAI,		/* sk- */
	REDACT_ANTHROPIC,	/* sk-ant- */
	REDACT_ASSIGNMENT,	/* the value of password=, api_key: ... */
	REDACT_NKINDS
};

/* Bytes from where a shape starts that are enough to decide it. */
#define REDACT_LOOKAHEAD	1024
/* A private-key block with no END line within this many bytes ends. */
#define REDACT_PEM_MAX		(16 * 1024)

struct redact	*redact_create(void);
void		 redact_free(struct redact *);
/* Add a secret (copied); shorter than REDACT_MIN_LEN is ignored. */
void		 redact_add(struct redact *, const char *);
size_t		 redact_count(const struct redact *);
/*
 * Also recognise credential shapes; found (if not NULL) is called with the
 * kind of each one replaced. A secret value added with redact_add wins over
 * a shape that starts at the same place.
 */
void		 redact_patterns(struct redact *,
		    void (*)(enum redact_kind, void *), void *);
/* "github-token", "jwt", ...: what follows "[REDACTED:" in the output. */
const char	*redact_kind_name(enum redact_kind);
/*
 * Feed output bytes. Appends to out everything that cannot be part of a
 * secret, with every occurrence of a secret replaced by REDACT_MARK (and of
 * a shape by its marker); a tail that could be the start of one is held
 * until more bytes decide it, so a secret split across any number of reads
 * is still caught. What is held is bounded by the longest secret and
 * REDACT_LOOKAHEAD.
 */
void		 redact_feed(struct redact *, const unsigned char *, size_t,
		    struct evbuffer *);
/* At end of stream: decide and release the held tail. */
void		 redact_flush(struct redact *, struct evbuffer *);
/* Redact a whole string at once; a new malloc'd string. */
char		*redact_string(struct redact *, const char *);

#endif
