/* The CLI's terminal output: redact, sanitize, coalesce, watch lines. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>

struct event_base;
struct json_object;
struct output;

#define OUTPUT_CHUNK_MAX	(32 * 1024)	/* data bytes per chunk */
#define OUTPUT_DELAY_MS		10		/* coalescing window */
#define OUTPUT_ESC_MAX		(4 * 1024)	/* escape held for its end */
#define OUTPUT_PROMPT_MAX	1024		/* line kept for prompts */
#define OUTPUT_RECORD_MAX	(256 * 1024)	/* longest JSON line */
#define OUTPUT_SUMMARY_MAX	200		/* characters of a prompt */
#define OUTPUT_RECORDS_MAX	(4 * 1024 * 1024)	/* records mode's line */

/* What a pipeline makes of its lines (output_create's mode). */
#define OUTPUT_RAW	0	/* all of it is terminal output */
#define OUTPUT_JSONL	1	/* and JSON lines are records too */
#define OUTPUT_RECORDS	2	/* JSON lines are records only; other
				   lines are sent as plain text lines */

/* Where the output goes; every callback gets arg. */
struct output_cb {
	/* A chunk of valid UTF-8, at most OUTPUT_CHUNK_MAX bytes. */
	void	(*chunk)(const char *, size_t, void *);
	/* A JSON object printed on a line of its own (jsonl mode); borrowed. */
	void	(*record)(struct json_object *, void *);
	/*
	 * The current line matches an approval pattern: its trimmed text.
	 * Return 1 when taken; 0 to be asked again by output_recheck.
	 */
	int	(*prompt)(const char *, void *);
	void	 *arg;
	/*
	 * A credential of this kind ("github-token", ...) was redacted from
	 * the output: called once per kind, the rest are only counted. May be
	 * NULL.
	 */
	void	(*secret)(const char *, void *);
};

/*
 * A pipeline for one CLI: patterns are POSIX extended regexes for approval
 * prompts (compiled once), mode one of OUTPUT_RAW, OUTPUT_JSONL (JSON lines
 * are forwarded as records too) or OUTPUT_RECORDS (a structured CLI's
 * stdout: JSON lines go to the record callback only, other lines to chunk
 * as text without escapes). NULL with a cause when a pattern does not
 * compile.
 */
struct output	*output_create(struct event_base *, const struct output_cb *,
		    char **, int, char *, size_t);
void		 output_free(struct output *);
/* Add a secret that must never leave the worker. */
void		 output_add_secret(struct output *, const char *);
/* Bytes read from the pty. */
void		 output_feed(struct output *, const unsigned char *, size_t);
/* End of output: release held bytes and send everything buffered. */
void		 output_flush(struct output *);
/* Offer the current line to the prompt callback again if it was refused. */
void		 output_recheck(struct output *);
/* Credentials recognised by shape and redacted so far. */
size_t		 output_credentials(const struct output *);
/* Data bytes sent in chunks so far. */
size_t		 output_sent(const struct output *);
/* Approval summary: s trimmed and cut to max characters; malloc'd. */
char		*output_summary(const char *, size_t);

#endif
