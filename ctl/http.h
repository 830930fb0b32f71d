/* runnerctl's HTTP/1.1 response parsers: head, chunked coding, SSE. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/cbuf.h"

/* Limits on what a server may send us. */
#define HTTP_MAX_HEAD		65536
#define HTTP_MAX_BODY		(256 * 1024 * 1024)

/* The head of a response. */
struct http_head {
	int	 status;
	int	 chunked;
	int64_t	 content_length;	/* -1 if none */
	char	 content_type[128];
	size_t	 head_len;		/* bytes of the head, incl. CRLFCRLF */
};

/* Incremental chunked transfer-coding decoder. */
struct chunk_dec {
	int	 state;
	uint64_t left;		/* bytes left in the current chunk */
	char	 line[80];	/* the size or trailer line so far */
	size_t	 linelen;
	int	 done;		/* the last chunk has been seen */
};

/* A complete response. */
struct http_resp {
	struct http_head head;
	struct cbuf	 body;
};

/* One Server-Sent Event. */
struct sse_event {
	char	*id;
	char	*event;
	char	*data;
};
typedef int (*sse_cb)(const struct sse_event *, void *);

/* Incremental SSE parser. */
struct sse_parser {
	struct cbuf	 line;
	struct cbuf	 id;
	struct cbuf	 event;
	struct cbuf	 data;
	int		 has_data;
};

/* Parse a response head; >0 its length, 0 incomplete, -1 with cause. */
int	http_parse_head(const char *, size_t, struct http_head *,
	    const char **);
/* Feed chunked bytes; decoded bytes go to out; -1 with cause. */
int	http_dechunk(struct chunk_dec *, const char *, size_t,
	    struct cbuf *, const char **);
/* Parse a whole response read until EOF; -1 with cause. */
int	http_parse_response(const char *, size_t, struct http_resp *,
	    const char **);
void	http_resp_free(struct http_resp *);
/* The message of a JSON error body, or a generic one for the status. */
char	*http_error_message(const struct http_resp *);

/* Feed bytes to an SSE parser; a callback returning non-zero stops it. */
int	http_sse_feed(struct sse_parser *, const char *, size_t, sse_cb,
	    void *);
void	http_sse_free(struct sse_parser *);

#endif
