/* Streaming redaction of secret values and credential shapes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/redact.h"
#include "common/util.h"

/*
 * The output is what one pass over the whole stream would give: at each
 * position, if one or more secrets start there, the longest is replaced by
 * REDACT_MARK and the scan resumes after it; otherwise the byte is copied.
 * Feeding decides as much as it can: a position is held back only when the
 * bytes from it to the end of what we have are a proper prefix of some
 * secret (so more input could make it, or a longer one, match).
 *
 * Candidates are found with memchr when all secrets share a first byte,
 * else with one lookup per byte in a table of their first two bytes; only
 * at a candidate are the secrets starting with that byte compared, longest
 * first. So the scan is one pass over the input, plus a comparison bounded
 * by the secrets' lengths at each candidate (rare in ordinary output); a
 * feed that starts while a tail is held re-reads only that tail, which is
 * shorter than the longest secret.
 *
 * Credential shapes (redact_patterns) are hand-written matchers tried at the
 * same candidates, after the secret values: their first two bytes go into
 * the same table. A matcher decides from at most REDACT_LOOKAHEAD bytes: a
 * prefix ("ghp_", "-----BEGIN ", an assignment's "=") and the first bytes
 * of the body. The rest of the body, of any length, is then dropped as it
 * streams past (the state in struct redact_state: a run of token
 * characters, a quoted value, a JWT, a private-key block up to its END
 * line), so nothing more is held than the lookahead.
 *
 * An assignment is found at its = or : (rarer than the letter pairs its
 * keys start with), looking back for the key. The key is kept, and the
 * value is first offered to the secret values and the other shapes, so
 * "GITHUB_TOKEN=ghp_..." says github-token. Tokens must start a word: the
 * byte before is not a letter or digit, or it ends an escape sequence (a
 * colour, "\n" in a JSON string). For these looks back the last REDACT_HIST
 * bytes of the stream before the buffer being scanned are kept.
 */

#define REDACT_HIST		32	/* stream bytes kept for a look back */
#define REDACT_VALUE_MIN	4	/* shorter values are not secrets */
#define REDACT_VALUE_PEEK	128	/* unquoted value bytes read to judge */
#define REDACT_SPACES		8	/* blanks around an assignment's = */
#define REDACT_LABEL_MAX	64	/* "RSA PRIVATE KEY" of a PEM line */
#define REDACT_JWT_HEAD		10	/* "eyJ" and more, before the first . */
#define REDACT_JWT_BODY		2	/* payload bytes */
#define REDACT_JWT_SIG		8	/* signature bytes that decide */

/* Bytes a credential is made of. */
enum redact_class {
	CL_ALNUM,	/* A-Z a-z 0-9 */
	CL_UPNUM,	/* A-Z 0-9 */
	CL_B64URL,	/* A-Z a-z 0-9 _ - */
	CL_SLACK,	/* A-Z a-z 0-9 - */
	CL_WORD,	/* A-Z a-z 0-9 _ */
	CL_LABEL,	/* A-Z 0-9 space */
	CL_VALUE	/* an unquoted value: no blank, quote, bracket, ... */
};

/* What is being dropped after a credential's marker. */
enum redact_cont {
	CONT_NONE,
	CONT_RUN,	/* the rest of a run of one class */
	CONT_QUOTED,	/* a quoted value up to its closing quote */
	CONT_JWT,	/* a JWT's payload, then its signature */
	CONT_PEM	/* a private key up to its END line */
};

/* The scan's state between feeds. */
struct redact_state {
	enum redact_cont	 cont;
	enum redact_class	 cls;		/* CONT_RUN */
	unsigned char		 quote;		/* CONT_QUOTED, and value */
	int			 esc;		/* CONT_QUOTED: after \ */
	size_t			 pem;		/* CONT_PEM: bytes dropped */
	size_t			 pemk;		/* "-----END " matched */
	size_t			 pemlabel;	/* then label bytes */
	size_t			 pemdash;	/* then closing dashes */
	int			 value;		/* an assignment's value here */

	unsigned char		 hist[REDACT_HIST];	/* before the buffer */
	size_t			 histlen;
};

struct redact_secret {
	unsigned char		*value;
	size_t			 len;
	struct redact_secret	*next;	/* same first byte, longer first */
};

struct redact {
	struct redact_secret	*first[256];
	uint8_t			 starts[256];
	uint8_t			 pairs[65536];	/* first two bytes */
	size_t			 count;
	size_t			 maxlen;
	int			 nfirst;	/* distinct first bytes */
	unsigned char		 only;		/* the first byte if nfirst 1 */

	int			 patterns;	/* shapes too */
	void			(*found)(enum redact_kind, void *);
	void			*arg;
	struct redact_state	 st;

	size_t			 window;	/* bytes a decision needs */
	unsigned char		*held;		/* tail that may start one */
	size_t			 heldlen;
	unsigned char		*bridge;	/* held + next feed's start */
};

/* A token: a prefix, then at least min bytes of a class. */
struct redact_shape {
	const char		*prefix;
	enum redact_kind	 kind;
	enum redact_class	 cls;
	size_t			 min;
	int			 digit;		/* the body has a digit */
};

/*
 * Longer prefixes first where one starts another. The bodies are at least
 * the documented lengths; a longer run is taken whole. sk- keys must hold a
 * digit (they are random) so "sk-learn-style-names-like-this" is left.
 */
static const struct redact_shape redact_shapes[] = {
	{ "ghp_", REDACT_GITHUB, CL_ALNUM, 36, 0 },
	{ "gho_", REDACT_GITHUB, CL_ALNUM, 36, 0 },
	{ "ghu_", REDACT_GITHUB, CL_ALNUM, 36, 0 },
	{ "ghs_", REDACT_GITHUB, CL_ALNUM, 36, 0 },
	{ "ghr_", REDACT_GITHUB, CL_ALNUM, 36, 0 },
	{ "github_pat_", REDACT_GITHUB, CL_WORD, 22 + 1 + 59, 0 },
	{ "AKIA", REDACT_AWS, CL_UPNUM, 16, 0 },
	{ "ASIA", REDACT_AWS, CL_UPNUM, 16, 0 },
	{ "xoxb-", REDACT_SLACK, CL_SLACK, 10, 0 },
	{ "xoxa-", REDACT_SLACK, CL_SLACK, 10, 0 },
	{ "xoxp-", REDACT_SLACK, CL_SLACK, 10, 0 },
	{ "xoxr-", REDACT_SLACK, CL_SLACK, 10, 0 },
	{ "xoxs-", REDACT_SLACK, CL_SLACK, 10, 0 },
	{ "sk-ant-", REDACT_ANTHROPIC, CL_B64URL, 20, 1 },
	{ "sk-", REDACT_OPENAI, CL_B64URL, 20, 1 },
};
#define REDACT_NSHAPES	(sizeof redact_shapes / sizeof redact_shapes[0])

/*
 * Keys whose value is a secret, matched without case at the end of the
 * name before an = or : (so MY_TOKEN and client_secret count, max_tokens
 * and tokenizer do not). Lower case.
 */
static const struct {
	const char	*name;
	size_t		 len;
} redact_keys[] = {
#define KEY(s)	{ s, sizeof s - 1 }
	KEY("api_key"), KEY("api-key"), KEY("apikey"), KEY("access_key"),
	KEY("secret_key"), KEY("secret-key"), KEY("private_key"),
	KEY("secret"), KEY("password"), KEY("passwd"), KEY("token")
#undef KEY
};
#define REDACT_NKEYS	(sizeof redact_keys / sizeof redact_keys[0])

static const char *const redact_names[REDACT_NKINDS] = {
	"github-token", "jwt", "private-key", "aws-access-key", "slack-token",
	"openai-key", "anthropic-key", "assignment"
};

/* What was recognised at a position. */
struct redact_hit {
	int			 kind;		/* a redact_kind, or: */
#define HIT_EXACT	-1				/* a secret value */
#define HIT_KEY		-2				/* an assignment */
	size_t			 n;		/* bytes replaced (kept: key) */
	enum redact_cont	 cont;		/* then dropping goes on */
	enum redact_class	 cls;
	unsigned char		 quote;
};

/* The marker word of a kind. */
const char *
redact_kind_name(enum redact_kind kind)
{
	if (kind < 0 || kind >= REDACT_NKINDS)
		return ("unknown");
	return (redact_names[kind]);
}

/* Whether c belongs to a class. */
static int
redact_in(enum redact_class cls, unsigned char c)
{
	int	lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
	int	digit = c >= '0' && c <= '9';

	switch (cls) {
	case CL_ALNUM:
		return (lower || upper || digit);
	case CL_UPNUM:
		return (upper || digit);
	case CL_B64URL:
		return (lower || upper || digit || c == '_' || c == '-');
	case CL_SLACK:
		return (lower || upper || digit || c == '-');
	case CL_WORD:
		return (lower || upper || digit || c == '_');
	case CL_LABEL:
		return (upper || digit || c == ' ');
	case CL_VALUE:
		return (c > 0x20 && c != 0x7f &&
		    strchr("\"'`,;&()[]{}<>\\|", c) == NULL);
	}
	return (0);
}

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
		explicit_bzero(r->held, r->window);
	if (r->bridge != NULL)
		explicit_bzero(r->bridge, 2 * r->window);
	explicit_bzero(&r->st, sizeof r->st);
	free(r->held);
	free(r->bridge);
	free(r);
}

/* Make room for deciding from size bytes; the held tail is kept. */
static void
redact_grow(struct redact *r, size_t size)
{
	unsigned char	*held;

	if (size <= r->window)
		return;
	held = xmalloc(size);
	if (r->held != NULL) {
		memcpy(held, r->held, r->heldlen);
		explicit_bzero(r->held, r->window);
		free(r->held);
	}
	r->held = held;
	if (r->bridge != NULL)
		explicit_bzero(r->bridge, 2 * r->window);
	free(r->bridge);
	r->bridge = xmalloc(2 * size);
	r->window = size;
}

/* Something may start with the bytes c0 c1: make them a candidate. */
static void
redact_start(struct redact *r, unsigned char c0, unsigned char c1)
{
	if (!r->starts[c0]) {
		r->starts[c0] = 1;
		r->nfirst++;
		r->only = c0;
	}
	r->pairs[c0 << 8 | c1] = 1;
}

/* Add a secret value; too short or already known ones are ignored. */
void
redact_add(struct redact *r, const char *value)
{
	struct redact_secret	*s, **pp;
	size_t			 len;
	unsigned char		 c0;

	if (value == NULL || (len = strlen(value)) < REDACT_MIN_LEN)
		return;
	c0 = (unsigned char)value[0];
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

	redact_start(r, c0, (unsigned char)value[1]);
	r->count++;
	if (len > r->maxlen)
		r->maxlen = len;
	redact_grow(r, r->maxlen);
}

/* How many secrets are being redacted. */
size_t
redact_count(const struct redact *r)
{
	return (r->count);
}

/* Recognise credential shapes too; found hears of each. */
void
redact_patterns(struct redact *r, void (*found)(enum redact_kind, void *),
    void *arg)
{
	const char	*k;
	size_t		 i;

	r->patterns = 1;
	r->found = found;
	r->arg = arg;
	for (i = 0; i < REDACT_NSHAPES; i++) {
		k = redact_shapes[i].prefix;
		redact_start(r, (unsigned char)k[0], (unsigned char)k[1]);
	}
	redact_start(r, 'e', 'y');		/* eyJ: a JWT */
	redact_start(r, '-', '-');		/* -----BEGIN */
	/* An assignment is looked for at its = or :, then back at its key. */
	for (i = 0; i < 256; i++) {
		redact_start(r, '=', (unsigned char)i);
		redact_start(r, ':', (unsigned char)i);
	}
	redact_grow(r, REDACT_LOOKAHEAD);
}

/* The next position in [i, stop) where a secret may start, or stop. */
static size_t
redact_next(const struct redact *r, const unsigned char *b, size_t len,
    size_t i, size_t stop)
{
	const unsigned char	*p;
	size_t			 end;

	if (r->nfirst == 1) {
		while (i < stop) {
			if ((p = memchr(b + i, r->only, stop - i)) == NULL)
				return (stop);
			i = (size_t)(p - b);
			if (i + 1 == len)
				return (i);
			if (r->pairs[b[i] << 8 | b[i + 1]])
				return (i);
			i++;
		}
		return (stop);
	}
	/* One table load per byte: the pair test is rarely true. */
	end = stop < len - 1 ? stop : len - 1;
	for (; i < end; i++) {
		if (r->pairs[b[i] << 8 | b[i + 1]])
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
redact_exact(const struct redact *r, const unsigned char *b, size_t len,
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

/* Does b[i..] start with s (n bytes)? 1, 0, or -1 if it may yet. */
static int
redact_lit(const unsigned char *b, size_t len, size_t i, const char *s,
    size_t n, int final)
{
	size_t	avail = len - i, m = avail < n ? avail : n;

	if (memcmp(b + i, s, m) != 0)
		return (0);
	if (m == n)
		return (1);
	return (final ? 0 : -1);
}

/* The stream byte k before b[i], or -1 before the start of the stream. */
static int
redact_before(const struct redact_state *st, const unsigned char *b,
    size_t i, size_t k)
{
	if (k <= i)
		return (b[i - k]);
	k -= i;
	if (k <= st->histlen)
		return (st->hist[st->histlen - k]);
	return (-1);
}

/* Whether a token may start at b[i]: not inside a word. */
static int
redact_boundary(const struct redact_state *st, const unsigned char *b,
    size_t i)
{
	size_t	k;
	int	c, c2;

	c = redact_before(st, b, i, 1);
	if (c == -1 || !redact_in(CL_ALNUM, (unsigned char)c))
		return (1);
	/* "\n" in a JSON string, or ESC and one byte. */
	c2 = redact_before(st, b, i, 2);
	if (c2 == '\\' || c2 == 0x1b)
		return (1);
	if (c < 0x40)
		return (0);
	/* The letter ends a colour or other CSI: ESC [ 0-9;? ... */
	for (k = 2; k < REDACT_HIST; k++) {
		c = redact_before(st, b, i, k);
		if (c >= 0x20 && c <= 0x3f)
			continue;
		return (c == '[' && redact_before(st, b, i, k + 1) == 0x1b);
	}
	return (0);
}

/* A token shape at b[i]: 1 (*h filled), 0 or -1 (need more input). */
static int
redact_token(const struct redact_shape *sh, const unsigned char *b,
    size_t len, size_t i, int final, struct redact_hit *h)
{
	size_t	plen = strlen(sh->prefix), j, lim = i + REDACT_LOOKAHEAD;
	int	rv, digit = !sh->digit;

	if ((rv = redact_lit(b, len, i, sh->prefix, plen, final)) != 1)
		return (rv);
	for (j = i + plen; j < len && j < lim && redact_in(sh->cls, b[j]);) {
		if (b[j] >= '0' && b[j] <= '9')
			digit = 1;
		j++;
		if (j - i - plen >= sh->min && digit) {
			h->kind = sh->kind;
			h->n = j - i;
			h->cont = CONT_RUN;
			h->cls = sh->cls;
			return (1);
		}
	}
	if (j == len && j < lim && !final)
		return (-1);
	return (0);
}

/*
 * A JWT at b[i]: "eyJ" header . payload . signature, base64url each. Once
 * REDACT_JWT_SIG bytes of the signature are seen it is one (the rest goes
 * by CONT_RUN); a payload too long to see its end within the lookahead is
 * taken for one too (CONT_JWT), rather than let it through.
 */
static int
redact_jwt(const unsigned char *b, size_t len, size_t i, int final,
    struct redact_hit *h)
{
	size_t	j, lim = i + REDACT_LOOKAHEAD, count = 3;
	int	rv, part = 0;

	if ((rv = redact_lit(b, len, i, "eyJ", 3, final)) != 1)
		return (rv);
	h->kind = REDACT_JWT;
	h->cls = CL_B64URL;
	for (j = i + 3; j < len && j < lim; j++) {
		if (redact_in(CL_B64URL, b[j])) {
			if (++count == REDACT_JWT_SIG && part == 2) {
				h->n = j + 1 - i;
				h->cont = CONT_RUN;
				return (1);
			}
			continue;
		}
		if (b[j] != '.' || part == 2 ||
		    count < (part == 0 ? REDACT_JWT_HEAD : REDACT_JWT_BODY))
			return (0);
		part++;
		count = 0;
	}
	if (j == lim && part > 0) {
		h->n = j - i;
		h->cont = part == 1 ? CONT_JWT : CONT_RUN;
		return (1);
	}
	if (j == len && j < lim && !final)
		return (-1);
	return (0);
}

/*
 * A block, not a mention of one (a program that looks for the header):
 * after the BEGIN line at b[j], blanks and line breaks (or "\n" in a JSON
 * string), then a byte of the base64 body or of a "Proc-Type:" header.
 */
static int
redact_pem_body(const unsigned char *b, size_t len, size_t j, int final)
{
	size_t	k;

	for (k = 0; k < 8; k++) {
		if (j == len || (b[j] == '\\' && j + 1 == len))
			return (final ? 0 : -1);
		if (b[j] == '\r' || b[j] == '\n' || b[j] == ' ' ||
		    b[j] == '\t') {
			j++;
			continue;
		}
		if (b[j] == '\\' && (b[j + 1] == 'n' || b[j + 1] == 'r')) {
			j += 2;
			continue;
		}
		return (k > 0 && (redact_in(CL_ALNUM, b[j]) || b[j] == '+' ||
		    b[j] == '/'));
	}
	return (0);
}

/* "-----BEGIN [label ]PRIVATE KEY[ BLOCK]-----" and a body at b[i]. */
static int
redact_pem(const unsigned char *b, size_t len, size_t i, int final,
    struct redact_hit *h)
{
	static const char	 begin[] = "-----BEGIN ";
	static const char	*ends[] = { "PRIVATE KEY",
				    "PRIVATE KEY BLOCK" };
	size_t			 j, label, n, k;
	int			 rv;

	if ((rv = redact_lit(b, len, i, begin, sizeof begin - 1,
	    final)) != 1)
		return (rv);
	label = i + sizeof begin - 1;
	for (j = label; j < len && j - label < REDACT_LABEL_MAX &&
	    redact_in(CL_LABEL, b[j]); j++)
		/* nothing */;
	if (j == len)
		return (final ? 0 : -1);
	if ((rv = redact_lit(b, len, j, "-----", 5, final)) != 1)
		return (rv);
	for (k = 0; k < 2; k++) {
		n = strlen(ends[k]);
		if (j - label < n || memcmp(b + j - n, ends[k], n) != 0)
			continue;
		if ((rv = redact_pem_body(b, len, j + 5, final)) != 1)
			return (rv);
		h->kind = REDACT_PRIVATE_KEY;
		h->n = j + 5 - i;
		h->cont = CONT_PEM;
		return (1);
	}
	return (0);
}

/* Whether one of redact_keys ends just before b[i], bar blanks and a quote. */
static int
redact_key_before(const struct redact_state *st, const unsigned char *b,
    size_t i)
{
	const char	*key;
	size_t		 k = 1, j, n, s, len;
	int		 c;

	for (s = 0; s < REDACT_SPACES && ((c = redact_before(st, b, i, k)) ==
	    ' ' || c == '\t'); s++)
		k++;
	c = redact_before(st, b, i, k);
	if (c == '"' || c == '\'')
		k++;
	/* The key's last byte is at k before i, its first at k + len - 1. */
	for (n = 0; n < REDACT_NKEYS; n++) {
		key = redact_keys[n].name;
		len = redact_keys[n].len;
		for (j = 1; j <= len; j++) {
			c = redact_before(st, b, i, k + len - j);
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (c != key[j - 1])
				break;
		}
		if (j > len)
			return (1);
	}
	return (0);
}

/*
 * An assignment's = or : at b[i], after a key (redact_key_before); not ==,
 * := or ::. Then blanks and an optional opening quote: 1 with all that to
 * keep in h->n (there is a value byte after it), 0, or -1.
 */
static int
redact_assign(const struct redact_state *st, const unsigned char *b,
    size_t len, size_t i, int final, struct redact_hit *h)
{
	size_t	j = i + 1;
	int	s;

	if (!redact_key_before(st, b, i))
		return (0);
	if (j == len)
		return (final ? 0 : -1);
	if (b[j] == '=' || (b[i] == ':' && b[j] == ':'))
		return (0);
	for (s = 0; j < len && s < REDACT_SPACES && (b[j] == ' ' ||
	    b[j] == '\t'); s++)
		j++;
	if (j < len && (b[j] == '"' || b[j] == '\'' || b[j] == '`'))
		h->quote = b[j++];
	if (j == len)
		return (final ? 0 : -1);
	h->kind = HIT_KEY;
	h->n = j - i;
	return (1);
}

/*
 * Whether an unquoted value looks like code or a word rather than a
 * secret: only letters, underscores and dots (token = self.token,
 * password: String, secret=none).
 */
static int
redact_wordish(const unsigned char *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!redact_in(CL_ALNUM, b[i]) && b[i] != '_' && b[i] != '.')
			return (0);
		if (b[i] >= '0' && b[i] <= '9')
			return (0);
	}
	return (1);
}

/*
 * An assignment's value at b[i] (quote: its opening quote, or 0). Not one:
 * placeholders ($VAR, ${...}, <...>, ***, %s), fewer than REDACT_VALUE_MIN
 * bytes, and unquoted code (a call or index follows, or redact_wordish).
 */
static int
redact_value(const unsigned char *b, size_t len, size_t i,
    unsigned char quote, int final, struct redact_hit *h)
{
	size_t	j;

	if (strchr("$*%<{[", b[i]) != NULL)
		return (0);
	h->kind = REDACT_ASSIGNMENT;
	if (quote != 0) {
		/* An escape such as \" is skipped whole: it ends nothing. */
		for (j = i; j - i < REDACT_VALUE_MIN; j++) {
			if (j == len)
				return (final ? 0 : -1);
			if (b[j] == quote || (b[j] < 0x20 && b[j] != '\t'))
				return (0);
			if (b[j] == '\\' && ++j == len)
				return (final ? 0 : -1);
		}
		h->n = j - i;
		h->cont = CONT_QUOTED;
		h->quote = quote;
		return (1);
	}
	for (j = i; j < len && j - i < REDACT_VALUE_PEEK &&
	    redact_in(CL_VALUE, b[j]); j++)
		/* nothing */;
	if (j - i == REDACT_VALUE_PEEK) {
		h->n = j - i;
		h->cont = CONT_RUN;
		h->cls = CL_VALUE;
		return (1);
	}
	if (j == len && !final)
		return (-1);
	if (j - i < REDACT_VALUE_MIN || redact_wordish(b + i, j - i) ||
	    (j < len && (b[j] == '(' || b[j] == '[')))
		return (0);
	h->n = j - i;
	h->cont = CONT_NONE;
	return (1);
}

/*
 * What starts at b[i]: 1 (*h filled), 0, or -1 when more input could
 * decide otherwise. Secret values first, then an assignment's = or :, or
 * token shapes, then (at an assignment's value) the value itself.
 */
static int
redact_match(const struct redact *r, const struct redact_state *st,
    const unsigned char *b, size_t len, size_t i, int final,
    struct redact_hit *h)
{
	const struct redact_shape	*sh;
	size_t				 k;
	int				 rv;

	memset(h, 0, sizeof *h);
	if ((rv = redact_exact(r, b, len, i, final, &h->n)) != 0) {
		h->kind = HIT_EXACT;
		return (rv);
	}
	if (!r->patterns)
		return (0);
	if (!st->value && (b[i] == '=' || b[i] == ':'))
		return (redact_assign(st, b, len, i, final, h));
	switch (b[i]) {
	case 'g':
	case 'A':
	case 'x':
	case 's':
		if (!redact_boundary(st, b, i))
			break;
		for (k = 0; k < REDACT_NSHAPES; k++) {
			sh = &redact_shapes[k];
			if (sh->prefix[0] == b[i] &&
			    (rv = redact_token(sh, b, len, i, final, h)) != 0)
				return (rv);
		}
		break;
	case 'e':
		if (redact_boundary(st, b, i) &&
		    (rv = redact_jwt(b, len, i, final, h)) != 0)
			return (rv);
		break;
	case '-':
		if ((rv = redact_pem(b, len, i, final, h)) != 0)
			return (rv);
		break;
	}
	if (st->value)
		return (redact_value(b, len, i, st->quote, final, h));
	return (0);
}

/* Drop the rest of a private-key block: up to its END line, or a cap. */
static size_t
redact_pem_end(struct redact_state *st, const unsigned char *b, size_t len,
    size_t i)
{
	static const char	end[] = "-----END ";
	unsigned char		c;

	for (; i < len; i++) {
		if (st->pem++ == REDACT_PEM_MAX) {
			st->cont = CONT_NONE;
			return (i);
		}
		c = b[i];
		if (st->pemk < sizeof end - 1) {
			if (c == (unsigned char)end[st->pemk])
				st->pemk++;
			else if (c == '-')
				st->pemk = st->pemk == 5 ? 5 : 1;
			else
				st->pemk = 0;
			continue;
		}
		if (c == '-') {
			if (++st->pemdash == 5) {
				st->cont = CONT_NONE;
				return (i + 1);
			}
			continue;
		}
		if (st->pemdash == 0 && redact_in(CL_LABEL, c) &&
		    st->pemlabel++ < REDACT_LABEL_MAX)
			continue;
		/* Not an END line after all. */
		st->pemk = st->pemlabel = st->pemdash = 0;
	}
	return (i);
}

/* Go on dropping a credential from b[i]; where it ended, or len. */
static size_t
redact_cont(struct redact_state *st, const unsigned char *b, size_t len,
    size_t i)
{
	unsigned char	c;

	switch (st->cont) {
	case CONT_NONE:
		return (i);
	case CONT_RUN:
		while (i < len && redact_in(st->cls, b[i]))
			i++;
		break;
	case CONT_JWT:
		while (i < len && redact_in(CL_B64URL, b[i]))
			i++;
		if (i < len && b[i] == '.') {
			st->cont = CONT_RUN;
			st->cls = CL_B64URL;
			return (redact_cont(st, b, len, i + 1));
		}
		break;
	case CONT_QUOTED:
		for (; i < len; i++) {
			c = b[i];
			if (st->esc)
				st->esc = 0;
			else if (c == '\\')
				st->esc = 1;
			else if (c == st->quote || (c < 0x20 && c != '\t'))
				break;
		}
		break;
	case CONT_PEM:
		return (redact_pem_end(st, b, len, i));
	}
	if (i < len)
		st->cont = CONT_NONE;
	return (i);
}

/* Replace a credential: its marker, and tell whoever listens. */
static void
redact_mark(struct redact *r, int kind, struct evbuffer *out)
{
	if (kind == HIT_EXACT) {
		evbuffer_add(out, REDACT_MARK, sizeof REDACT_MARK - 1);
		return;
	}
	evbuffer_add_printf(out, "[REDACTED:%s]", redact_kind_name(kind));
	if (r->found != NULL)
		r->found(kind, r->arg);
}

/*
 * Redact the positions [start, stop) of b[0..len) into out; a match, a
 * kept key or a dropped credential may run past stop. Returns where the
 * scan ended: at or past stop, or before it when a tail from there must be
 * held.
 */
static size_t
redact_scan(struct redact *r, struct redact_state *st, const unsigned char *b,
    size_t len, size_t start, size_t stop, int final, struct evbuffer *out)
{
	struct redact_hit	h;
	size_t			i = start, plain = start;

	while (i < stop) {
		if (st->cont != CONT_NONE) {
			i = plain = redact_cont(st, b, len, i);
			continue;
		}
		if (!st->value && (i = redact_next(r, b, len, i, stop)) >= stop)
			break;
		switch (redact_match(r, st, b, len, i, final, &h)) {
		case -1:
			if (i > plain)
				evbuffer_add(out, b + plain, i - plain);
			return (i);
		case 1:
			if (h.kind == HIT_KEY) {
				/* The key stays; its value is next. */
				i += h.n;
				st->value = 1;
				st->quote = h.quote;
				break;
			}
			if (i > plain)
				evbuffer_add(out, b + plain, i - plain);
			redact_mark(r, h.kind, out);
			i += h.n;
			plain = i;
			st->value = 0;
			st->cont = h.cont;
			st->cls = h.cls;
			st->quote = h.quote;
			st->esc = 0;
			st->pem = st->pemk = st->pemlabel = st->pemdash = 0;
			break;
		default:
			/* Not a value: the same byte may start something. */
			if (st->value)
				st->value = 0;
			else
				i++;
			break;
		}
	}
	if (i > plain)
		evbuffer_add(out, b + plain, i - plain);
	return (i);
}

/* The stream went past b[0..len): keep its end for looking back. */
static void
redact_hist(struct redact_state *st, const unsigned char *b, size_t len)
{
	size_t	keep;

	if (len >= REDACT_HIST) {
		memcpy(st->hist, b + len - REDACT_HIST, REDACT_HIST);
		st->histlen = REDACT_HIST;
		return;
	}
	keep = REDACT_HIST - len;
	if (keep > st->histlen)
		keep = st->histlen;
	memmove(st->hist, st->hist + st->histlen - keep, keep);
	memcpy(st->hist + keep, b, len);
	st->histlen = keep + len;
}

/* Remember b[0..len) (shorter than the window) as the held tail. */
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
	struct redact_state	*st = &r->st;
	size_t			 take, blen, end, start = 0;

	if (len == 0)
		return;
	if (r->count == 0 && !r->patterns) {
		evbuffer_add(out, in, len);
		return;
	}
	if (r->heldlen > 0) {
		/*
		 * The held tail is re-scanned with up to window bytes of the
		 * new input after it: enough to decide every position in the
		 * tail, since no secret is longer and no shape needs more. A
		 * match may end inside the input; the main scan then starts
		 * after it.
		 */
		take = len < r->window ? len : r->window;
		memcpy(r->bridge, r->held, r->heldlen);
		memcpy(r->bridge + r->heldlen, in, take);
		blen = r->heldlen + take;
		end = redact_scan(r, st, r->bridge, blen, 0, r->heldlen, 0,
		    out);
		if (end < r->heldlen) {
			/* Undecided: then take < window, so take == len. */
			redact_hist(st, r->bridge, end);
			redact_hold(r, r->bridge + end, blen - end);
			return;
		}
		redact_hist(st, r->held, r->heldlen);
		start = end - r->heldlen;
		r->heldlen = 0;
		if (start >= len) {
			redact_hist(st, in, len);
			return;
		}
	}
	end = redact_scan(r, st, in, len, start, len, 0, out);
	redact_hist(st, in, end);
	redact_hold(r, in + end, len - end);
}

/* At end of stream the held tail is decided with no more input coming. */
void
redact_flush(struct redact *r, struct evbuffer *out)
{
	struct redact_state	*st = &r->st;

	if (r->heldlen > 0) {
		redact_scan(r, st, r->held, r->heldlen, 0, r->heldlen, 1, out);
		redact_hist(st, r->held, r->heldlen);
		explicit_bzero(r->held, r->heldlen);
		r->heldlen = 0;
	}
	/* What comes next is another stream. */
	memset(st, 0, sizeof *st);
}

/* Redact a whole string; independent of any stream being fed. */
char *
redact_string(struct redact *r, const char *s)
{
	struct redact_state	 st;
	struct evbuffer		*out;
	size_t			 len = strlen(s), n;
	char			*res;

	if ((out = evbuffer_new()) == NULL)
		return (NULL);
	memset(&st, 0, sizeof st);
	redact_scan(r, &st, (const unsigned char *)s, len, 0, len, 1, out);
	n = evbuffer_get_length(out);
	res = xmalloc(n + 1);
	evbuffer_remove(out, res, n);
	res[n] = '\0';
	evbuffer_free(out);
	return (res);
}
