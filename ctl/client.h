/* runnerctl's HTTP/1.1 client: blocking requests and event streams. */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/cbuf.h"
#include "ctl/http.h"

struct json_object;

/* Exit codes of runnerctl (documented in its --help and man page). */
#define CTL_EXIT_OK		0
#define CTL_EXIT_API		1	/* the server answered an error */
#define CTL_EXIT_USAGE		2	/* bad usage, ambiguous id prefix */
#define CTL_EXIT_NOTFOUND	3	/* no such session (404 or no prefix match) */
#define CTL_EXIT_CONNECT	4	/* cannot connect, or the connection broke */

/* Where the server is and how to authenticate. */
struct client {
	char	*sock_path;	/* Unix socket, or NULL for TCP */
	char	*host;
	char	*port;
	char	*token;		/* bearer token or NULL */
};

/* Parse http://HOST:PORT[/] into host and port; -1 with cause. */
int	client_parse_url(const char *, char **, char **, const char **);
/* The daemon's default socket: <state_dir>/runnerd.sock as in config_default. */
char	*client_default_socket(void);

/*
 * Resolve an id prefix against the "sessions" array of a list response:
 * 0 and a malloc'd id; -1 none matches; -2 ambiguous (cause lists them).
 */
int	client_resolve_id(struct json_object *, const char *, char **,
	    struct cbuf *);
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
/* Set a handler for the given signals (sa_flags; keep ignored ones ignored). */
void	client_signals(const int *, size_t, void (*)(int), int, int);

#endif
