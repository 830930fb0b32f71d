/* WebSocket (RFC 6455) on connections taken over from evhttp; wslay frames. */
#ifndef WS_H
#define WS_H

#include <stddef.h>
#include <stdint.h>

struct evhttp_request;
struct evkeyvalq;
struct ws_conn;

#define WS_ACCEPT_LEN	28	/* base64 of a SHA-1 digest */
#define WS_CAUSE_MAX	160

/*
 * What a WebSocket tells its owner. None of these is ever called from
 * inside a ws_* call the owner made, only from the event loop.
 */
struct ws_ops {
	/* One complete message (text, valid UTF-8, or binary). */
	void	(*message)(void *, int, const unsigned char *, size_t);
	/* The output went below the low watermark: more may be sent. */
	void	(*drained)(void *);
	/*
	 * The connection is over (close handshake done, peer gone, timeout,
	 * protocol error): called once, then the ws_conn is freed. The owner
	 * forgets it here and must not touch it again.
	 */
	void	(*closed)(void *, int, const char *);
};

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key; -1 if the key is bad. */
int		 ws_accept_key(const char *, char [WS_ACCEPT_LEN + 1]);
/* Whether a Sec-WebSocket-Key is the base64 of 16 bytes. */
int		 ws_key_valid(const char *);
/*
 * Check an upgrade request: GET, HTTP/1.1 or later, Host, Upgrade:
 * websocket, Connection: upgrade, Sec-WebSocket-Version: 13 and one valid
 * Sec-WebSocket-Key. 0, or -1 with the HTTP status to answer (400, 405,
 * 426) and a cause.
 */
int		 ws_check_upgrade(int, int, int, const struct evkeyvalq *,
		    int *, char *, size_t);
/* How many times a header appears (any case), and its first value. */
int		 ws_header_count(const struct evkeyvalq *, const char *,
		    const char **);
/* Whether any element of a comma-separated header value is tok. */
int		 ws_header_has_token(const char *, const char *);

/*
 * Take a checked upgrade request's connection over from evhttp: answer
 * 101, then speak WebSocket on it. Messages longer than max_msg are refused
 * (close 1009); a peer silent for idle_ms is dropped (it is pinged every
 * idle_ms / 2). The request belongs to the connection from now on: the
 * caller must not reply to it. NULL if the connection is already gone.
 */
struct ws_conn	*ws_upgrade(struct evhttp_request *, const struct ws_ops *,
		    void *, size_t, int64_t);
/* Queue a text message; -1 once the connection is closing. */
int		 ws_send(struct ws_conn *, const void *, size_t);
/* Bytes queued but not yet written to the socket. */
size_t		 ws_pending(struct ws_conn *);
/* Start the close handshake; closed() follows from the loop. */
void		 ws_close(struct ws_conn *, uint16_t, const char *);
/*
 * Free now (shutdown): try once to write what is queued and a close frame,
 * then drop the connection. No callback follows. Not from inside a
 * ws_ops callback.
 */
void		 ws_free(struct ws_conn *, uint16_t, const char *);

#endif
