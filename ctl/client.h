/* runnerctl's HTTP/1.1 client: blocking requests, response parsing, SSE. */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/termfilter.h"

struct json_object;

/* Exit codes of runnerctl (documented in its --help and man page). */
#define CTL_EXIT_OK		0
#define CTL_EXIT_API		1	/* the server answered an error */
#define CTL_EXIT_USAGE		2	/* bad usage, ambiguous id prefix */
#define CTL_EXIT_NOTFOUND	3	/* no such session (404 or no prefix match) */
#define CTL_EXIT_CONNECT	4	/* cannot connect, or the connection broke */

/* Limits on what a server may send us. */
#define CLIENT_MAX_HEAD		65536
#define CLIENT_MAX_BODY		(256 * 1024 * 1024)

/* A growable byte buffer, always NUL-terminated. */
struct cbuf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

void	cbuf_add(struct cbuf *, const void *, size_t);
void	cbuf_adds(struct cbuf *, const char *);
void	cbuf_printf(struct cbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	cbuf_free(struct cbuf *);

/* Where the server is and how to authenticate. */
struct client {
	char	*sock_path;	/* Unix socket, or NULL for TCP */
	char	*host;
	char	*port;
	char	*token;		/* bearer token or NULL */
};

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

/* State for rendering events for humans. */
struct render {
	int			at_bol;	/* last byte printed was a newline
					   (or none yet) */
	int			raw;	/* terminal output unfiltered */
	struct termfilter	tf;	/* filters it otherwise */
};

/* Parse http://HOST:PORT[/] into host and port; -1 with cause. */
int	client_parse_url(const char *, char **, char **, const char **);
/* The daemon's default socket: <state_dir>/runnerd.sock as in config_default. */
char	*client_default_socket(void);

/* Parse a response head; >0 its length, 0 incomplete, -1 with cause. */
int	client_parse_head(const char *, size_t, struct http_head *,
	    const char **);
/* Feed chunked bytes; decoded bytes go to out; -1 with cause. */
int	client_dechunk(struct chunk_dec *, const char *, size_t,
	    struct cbuf *, const char **);
/* Parse a whole response read until EOF; -1 with cause. */
int	client_parse_response(const char *, size_t, struct http_resp *,
	    const char **);
void	client_resp_free(struct http_resp *);
/* The message of a JSON error body, or a generic one for the status. */
char	*client_error_message(const struct http_resp *);

/* Feed bytes to an SSE parser; a callback returning non-zero stops it. */
int	client_sse_feed(struct sse_parser *, const char *, size_t, sse_cb,
	    void *);
void	client_sse_free(struct sse_parser *);

/*
 * Resolve an id prefix against the "sessions" array of a list response:
 * 0 and a malloc'd id; -1 none matches; -2 ambiguous (cause lists them).
 */
int	client_resolve_id(struct json_object *, const char *, char **,
	    struct cbuf *);
/* Start rendering; raw passes the agent's terminal output unfiltered. */
void	client_render_init(struct render *, int);
/* Append one event, rendered for humans, to out. */
void	client_render_event(struct render *, struct json_object *,
	    struct cbuf *);
/* Append the end of a rendering: undo the modes the output left set. */
void	client_render_end(struct render *, struct cbuf *);
/* Append JSON text made safe for a terminal (see termfilter_json). */
void	client_json_clean(const char *, struct cbuf *);
/* Format an age in seconds as 42s, 5m, 3h, 2d. */
void	client_fmt_age(int64_t, char *, size_t);
/* Parse K=V into a json object; -1 with cause. */
int	client_env_add(struct json_object *, const char *, const char **);
/* The exit status a SESSION_ENDED event or ended session stands for. */
int	client_session_status(struct json_object *);

/* Send a request and read the whole response; -1 with cause (connection). */
int	client_request(struct client *, const char *, const char *,
	    const char *, size_t, struct http_resp *, struct cbuf *);
/* A streaming response being read. */
struct client_stream {
	int			 fd;
	int			 chunked;
	struct chunk_dec	 dec;
	struct sse_parser	 sse;
	struct cbuf		 pending;	/* body bytes read with the head */
};
/* Connect, send, read the head; 0 ok, 1 non-200 (resp filled), -1 cause. */
int	client_stream_start(struct client *, const char *,
	    struct client_stream *, struct http_resp *, struct cbuf *);
/* Read once; 1 more, 0 EOF, -1 error, 2 a callback stopped it. */
int	client_stream_read(struct client_stream *, sse_cb, void *,
	    struct cbuf *);
void	client_stream_close(struct client_stream *);
/* Write all of buf (to a socket: sock, no SIGPIPE); -1 if cut short. */
int	client_write(int, const char *, size_t, int);
/* Set a handler for the given signals (sa_flags; keep ignored ones ignored). */
void	client_signals(const int *, size_t, void (*)(int), int, int);

#endif
