/* The CLI's terminal output: redact, sanitize, coalesce, watch lines. */
#include "config.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/escstrip.h"
#include "worker/output.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

struct output {
	struct output_cb	 cb;
	struct redact		*redact;
	struct utf8_carry	 carry;
	struct evbuffer		*redacted;	/* out of the redactor */
	struct evbuffer		*clean;		/* sanitized, lines not seen */
	struct evbuffer		*pending;	/* coalesced, not yet sent */
	struct event		*timer;
	size_t			 sent;
	size_t			 found[REDACT_NKINDS];	/* credentials */

	int			 jsonl;
	int			 records;	/* OUTPUT_RECORDS */
	size_t			 mark;		/* pending's current line */
	regex_t			*re;
	size_t			 nre;

	/* The current output line with escapes and controls stripped. */
	char			*line;
	size_t			 linelen;
	size_t			 linemax;
	int			 overflow;	/* lost its start: not JSON */
	int			 cr;		/* \r: \n ends, else clear */
	enum escstrip_state	 esc;
	enum escstrip_state	 send_esc;	/* where the chunks stand */
	int			 changed;	/* since the last check */
	int			 matched;	/* prompt taken for this line */
	int			 refused;	/* prompt to offer again */
};

static void	output_send(struct output *, int);
static int	output_line_json(struct output *);

/* The coalescing window closed: send what is buffered. */
static void
output_timer_cb(int fd, short events, void *arg)
{
	struct output	*o = arg;

	output_send(o, 0);
}

/* The redactor replaced a credential: the first of its kind is told. */
static void
output_found_cb(enum redact_kind kind, void *arg)
{
	struct output	*o = arg;

	if (o->found[kind]++ == 0 && o->cb.secret != NULL)
		o->cb.secret(redact_kind_name(kind), o->cb.arg);
}

/* A pipeline for one CLI; NULL with a cause if a pattern is bad. */
struct output *
output_create(struct event_base *base, const struct output_cb *cb,
    char **patterns, int mode, char *cause, size_t causelen)
{
	struct output	*o;
	char		 err[256];
	size_t		 i;
	int		 error;

	o = xcalloc(1, sizeof *o);
	o->cb = *cb;
	o->jsonl = mode != OUTPUT_RAW;
	o->records = mode == OUTPUT_RECORDS;
	o->nre = strv_len(patterns);
	o->re = xcalloc(o->nre, sizeof *o->re);
	for (i = 0; i < o->nre; i++) {
		error = regcomp(&o->re[i], patterns[i], REG_EXTENDED|REG_NOSUB);
		if (error != 0) {
			regerror(error, &o->re[i], err, sizeof err);
			CAUSE("bad approval pattern '%s': %s", patterns[i],
			    err);
			o->nre = i;
			output_free(o);
			return (NULL);
		}
	}
	if (o->records)
		o->linemax = OUTPUT_RECORDS_MAX;
	else
		o->linemax = o->jsonl ? OUTPUT_RECORD_MAX : OUTPUT_PROMPT_MAX;
	o->line = xmalloc(o->linemax + 1);
	o->redact = redact_create();
	redact_patterns(o->redact, output_found_cb, o);
	if ((o->redacted = evbuffer_new()) == NULL ||
	    (o->clean = evbuffer_new()) == NULL ||
	    (o->pending = evbuffer_new()) == NULL ||
	    (o->timer = evtimer_new(base, output_timer_cb, o)) == NULL)
		fatalx("output_create: out of memory");
	return (o);
}

/* Free a pipeline; whatever it still holds is dropped. */
void
output_free(struct output *o)
{
	size_t	i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nre; i++)
		regfree(&o->re[i]);
	free(o->re);
	free(o->line);
	if (o->redact != NULL)
		redact_free(o->redact);
	if (o->redacted != NULL)
		evbuffer_free(o->redacted);
	if (o->clean != NULL)
		evbuffer_free(o->clean);
	if (o->pending != NULL)
		evbuffer_free(o->pending);
	if (o->timer != NULL)
		event_free(o->timer);
	free(o);
}

/*
 * Add a secret (every START env value) to replace with [REDACTED]; the
 * credential shapes of redact.h are recognised whatever the secrets.
 */
void
output_add_secret(struct output *o, const char *secret)
{
	redact_add(o->redact, secret);
}

/* Credentials recognised by shape and redacted so far, of every kind. */
size_t
output_credentials(const struct output *o)
{
	size_t	i, n = 0;

	for (i = 0; i < REDACT_NKINDS; i++)
		n += o->found[i];
	return (n);
}

/* Data bytes sent in chunks so far, for terminalKb. */
size_t
output_sent(const struct output *o)
{
	return (o->sent);
}

/* A prompt line for an approval: trimmed, at most max characters. */
char *
output_summary(const char *s, size_t max)
{
	const char	*end;
	size_t		 len = 0, chars = 0;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	while (s + len < end) {
		if (((unsigned char)s[len] & 0xc0) != 0x80 && chars++ == max)
			break;
		len++;
	}
	return (xstrndup(s, len));
}

/*
 * Where a chunk of the n bytes at p (of len pending) may end outside any
 * escape sequence and between characters: the last such offset, or 0.
 * *st is where the sequences stand after n bytes, from o->send_esc.
 */
static size_t
output_esc_cut(const struct output *o, const unsigned char *p, size_t n,
    size_t len, enum escstrip_state *st)
{
	size_t	i, safe = 0;

	*st = o->send_esc;
	for (i = 0; i < n; i++) {
		(void)escstrip_byte(st, p[i]);
		if (*st == ESC_NONE && (i + 1 == len ||
		    (p[i + 1] & 0xc0) != 0x80))
			safe = i + 1;
	}
	return (safe);
}

/*
 * How much of pending may go out now: in jsonl mode a line that may be a
 * record (it starts with '{') is held until it ends, since a record is
 * forwarded, not shown; all of it at the end.
 */
static size_t
output_sendable(struct output *o, int final)
{
	size_t	len = evbuffer_get_length(o->pending);

	if (final || !o->jsonl || o->records || o->overflow ||
	    !output_line_json(o))
		return (len);
	return (o->mark < len ? o->mark : len);
}

/*
 * Send what is buffered, in chunks cut on UTF-8 character boundaries and
 * never inside an escape sequence (CSI, OSC, DCS...): an incomplete one
 * at the end is held until it completes, OUTPUT_ESC_MAX bytes of it
 * pass (then it is cut, and the rest of it sent as it comes), or the
 * output ends (final).
 */
static void
output_send(struct output *o, int final)
{
	enum escstrip_state	 st;
	unsigned char		*p;
	size_t			 len, n, safe;

	evtimer_del(o->timer);
	while ((len = output_sendable(o, final)) > 0) {
		n = len > OUTPUT_CHUNK_MAX ? OUTPUT_CHUNK_MAX : len;
		p = evbuffer_pullup(o->pending, (ssize_t)(n < len ? n + 1 : n));
		if (p == NULL)
			fatalx("output_send: out of memory");
		if (n < len) {
			while (n > 0 && (p[n] & 0xc0) == 0x80)
				n--;
			if (n == 0)
				n = len > OUTPUT_CHUNK_MAX ? OUTPUT_CHUNK_MAX :
				    len;
		}
		safe = output_esc_cut(o, p, n, len, &st);
		/* The rest of a sequence already cut (too long) is not held. */
		if (st != ESC_NONE && (o->send_esc == ESC_NONE || safe > 0) &&
		    !(n == len && final)) {
			if (n == len && len - safe <= OUTPUT_ESC_MAX) {
				/* Wait for the rest of the sequence. */
				if (safe == 0)
					return;
				n = safe;
				st = ESC_NONE;
			} else if (safe > 0) {
				n = safe;
				st = ESC_NONE;
			}
			/* Else one sequence longer than a chunk: cut. */
		}
		o->send_esc = st;
		o->cb.chunk((const char *)p, n, o->cb.arg);
		o->sent += n;
		evbuffer_drain(o->pending, n);
		o->mark = o->mark > n ? o->mark - n : 0;
	}
}

/* Start the line over. */
static void
output_line_clear(struct output *o)
{
	o->linelen = 0;
	o->overflow = 0;
	o->matched = 0;
	o->refused = 0;
	o->changed = 1;
}

/* Add a byte to the current line, keeping its newest part when full. */
static void
output_line_add(struct output *o, unsigned char c)
{
	size_t	cut;

	if (o->linelen == o->linemax) {
		cut = o->linemax / 2;
		while (cut < o->linelen && ((unsigned char)o->line[cut] &
		    0xc0) == 0x80)
			cut++;
		memmove(o->line, o->line + cut, o->linelen - cut);
		o->linelen -= cut;
		o->overflow = 1;
	}
	o->line[o->linelen++] = (char)c;
	o->changed = 1;
}

/* Remove the last character (a backspace). */
static void
output_line_back(struct output *o)
{
	while (o->linelen > 0 && ((unsigned char)o->line[o->linelen - 1] &
	    0xc0) == 0x80)
		o->linelen--;
	if (o->linelen > 0)
		o->linelen--;
	o->changed = 1;
}

/* Whether the line is (the start of) a JSON record in jsonl mode. */
static int
output_line_json(struct output *o)
{
	size_t	i;

	if (!o->jsonl)
		return (0);
	for (i = 0; i < o->linelen && isspace((unsigned char)o->line[i]); i++)
		;
	return (i < o->linelen && o->line[i] == '{');
}

/* Check the current line against the approval patterns. */
static void
output_check_prompt(struct output *o)
{
	const char	*tail;
	char		*summary;
	size_t		 i, off;

	if (o->matched || o->nre == 0 || o->linelen == 0 ||
	    output_line_json(o))
		return;
	o->line[o->linelen] = '\0';
	/* Only the newest OUTPUT_PROMPT_MAX bytes, as in raw mode. */
	off = o->linelen > OUTPUT_PROMPT_MAX ? o->linelen - OUTPUT_PROMPT_MAX :
	    0;
	while (off < o->linelen && ((unsigned char)o->line[off] & 0xc0) ==
	    0x80)
		off++;
	tail = o->line + off;
	for (i = 0; i < o->nre; i++) {
		if (regexec(&o->re[i], tail, 0, NULL, 0) != 0)
			continue;
		summary = output_summary(tail, OUTPUT_SUMMARY_MAX);
		if (o->cb.prompt(summary, o->cb.arg)) {
			o->matched = 1;
			o->refused = 0;
		} else
			o->refused = 1;
		free(summary);
		return;
	}
}

/* Records mode: a line that is not a record is sent as a text line. */
static void
output_line_text(struct output *o)
{
	static const char	 cut[] = "[runnerd: a line too long to show]";

	if (o->linelen == 0)
		return;
	/* Most likely a record too long to keep: never half of one. */
	if (o->overflow)
		evbuffer_add(o->pending, cut, sizeof cut - 1);
	else
		evbuffer_add(o->pending, o->line, o->linelen);
	evbuffer_add(o->pending, "\r\n", 2);
}

/* A record's line is not terminal output: take it out of pending. */
static void
output_line_drop(struct output *o)
{
	struct evbuffer	*keep;

	if (o->records || o->mark >= evbuffer_get_length(o->pending))
		return;
	if ((keep = evbuffer_new()) == NULL)
		fatalx("output_line_drop: out of memory");
	evbuffer_remove_buffer(o->pending, keep, o->mark);
	evbuffer_drain(o->pending, evbuffer_get_length(o->pending));
	evbuffer_add_buffer(o->pending, keep);
	evbuffer_free(keep);
}

/* A complete line: forward it if it is a JSON record, else a prompt? */
static void
output_line_end(struct output *o, int final)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	size_t			 end;

	if (output_line_json(o) && !o->overflow) {
		tok = json_tokener_new();
		obj = json_tokener_parse_ex(tok, o->line, (int)o->linelen);
		end = json_tokener_get_parse_end(tok);
		while (end < o->linelen && isspace((unsigned char)o->line[end]))
			end++;
		if (obj != NULL && json_tokener_get_error(tok) ==
		    json_tokener_success && end == o->linelen &&
		    json_object_is_type(obj, json_type_object)) {
			o->cb.record(obj, o->cb.arg);
			output_line_drop(o);
		} else if (o->records)
			output_line_text(o);
		json_object_put(obj);
		json_tokener_free(tok);
	} else if (o->records)
		output_line_text(o);
	else if (!final)
		output_check_prompt(o);
	output_line_clear(o);
}

/* Follow sanitized output through lines, stripping escapes and controls. */
static void
output_lines(struct output *o, const unsigned char *p, size_t len)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (!escstrip_byte(&o->esc, c))
			continue;
		if (c == '\r') {
			o->cr = 1;
			continue;
		}
		if (c == '\n') {
			o->cr = 0;
			output_line_end(o, 0);
			continue;
		}
		if (o->cr) {
			/* A carriage return, then the line is drawn over. */
			o->cr = 0;
			output_line_clear(o);
		}
		if (c == '\b')
			output_line_back(o);
		else if (c >= 0x20 && c != 0x7f)
			output_line_add(o, c);
		else if (c == '\t')
			output_line_add(o, ' ');
	}
}

/* Sanitize what the redactor released and follow it through lines. */
static void
output_clean(struct output *o, int final)
{
	unsigned char	*p, *nl;
	size_t		 len, seg;

	if ((len = evbuffer_get_length(o->redacted)) > 0) {
		if ((p = evbuffer_pullup(o->redacted, -1)) == NULL)
			fatalx("output_clean: out of memory");
		utf8_sanitize(&o->carry, p, len, o->clean);
		evbuffer_drain(o->redacted, len);
	}
	if (final)
		utf8_flush(&o->carry, o->clean);
	if ((len = evbuffer_get_length(o->clean)) == 0)
		return;
	if ((p = evbuffer_pullup(o->clean, -1)) == NULL)
		fatalx("output_clean: out of memory");
	/* Records mode sends lines, not the bytes (output_line_text). */
	if (o->records) {
		output_lines(o, p, len);
		evbuffer_drain(o->clean, len);
		return;
	}
	/* Line by line, so that a record's line can be taken back. */
	while (len > 0) {
		nl = memchr(p, '\n', len);
		seg = nl != NULL ? (size_t)(nl - p) + 1 : len;
		evbuffer_add(o->pending, p, seg);
		output_lines(o, p, seg);
		if (nl != NULL)
			o->mark = evbuffer_get_length(o->pending);
		p += seg;
		len -= seg;
	}
	evbuffer_drain(o->clean, evbuffer_get_length(o->clean));
}

/* Pty bytes: redact, sanitize, follow lines, coalesce, maybe send. */
void
output_feed(struct output *o, const unsigned char *buf, size_t len)
{
	redact_feed(o->redact, buf, len, o->redacted);
	output_clean(o, 0);
	if (o->changed) {
		output_check_prompt(o);
		o->changed = 0;
	}
	if (evbuffer_get_length(o->pending) >= OUTPUT_CHUNK_MAX)
		output_send(o, 0);
	else if (evbuffer_get_length(o->pending) > 0 &&
	    !evtimer_pending(o->timer, NULL)) {
		struct timeval	tv = { 0, OUTPUT_DELAY_MS * 1000 };

		evtimer_add(o->timer, &tv);
	}
}

/* End of output: release held bytes, end the line, send it all. */
void
output_flush(struct output *o)
{
	int	i;

	redact_flush(o->redact, o->redacted);
	output_clean(o, 1);
	if (o->linelen > 0)
		output_line_end(o, 1);
	output_send(o, 1);
	for (i = 0; i < REDACT_NKINDS; i++) {
		if (o->found[i] > 0)
			log_info("redacted %zu %s credential%s from the output",
			    o->found[i], redact_kind_name(i),
			    o->found[i] == 1 ? "" : "s");
	}
}

/* Offer a refused prompt again (after a resume). */
void
output_recheck(struct output *o)
{
	if (o->refused && !o->matched)
		output_check_prompt(o);
}
