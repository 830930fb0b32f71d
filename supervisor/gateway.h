/*
 * The real-time gateway (DESIGN section 7): Socket.IO and plain /ws over
 * WebSocket, and SSE; rooms, replay from the durable log, backpressure.
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <stddef.h>
#include <stdint.h>

struct auth_result;
struct evbuffer;
struct evhttp_request;
struct gw_client;
struct session;

/*
 * Every request whose path is /ws or starts with /socket.io/, before any
 * other routing: 1 if it was taken (upgraded, or answered with an error
 * here), 0 if it is not the gateway's. trusted is 1 on the Unix socket;
 * who is NULL when the HTTP layer has not authenticated the request.
 */
int		 gateway_request(struct evhttp_request *, int,
		    const struct auth_result *);
/* Listen to recorded events (once, after the event base exists). */
void		 gateway_init(void);
/*
 * Close every connection now (WebSocket close 1001, SSE streams ended) and
 * refuse new ones. Call before evhttp_free; safe to call twice.
 */
void		 gateway_shutdown(void);
/* Prometheus lines: connections, slow-subscriber disconnects... */
void		 gateway_metrics(struct evbuffer *);

/* Encoded bytes shared, by reference, by every subscriber they go to. */
struct gw_blob {
	unsigned	refs;
	size_t		len;
	char		data[];
};
struct gw_blob	*gateway_blob_new(const void *, size_t);	/* 1 ref */
struct gw_blob	*gateway_blob_ref(struct gw_blob *);
void		 gateway_blob_unref(struct gw_blob *);

/* The transport under a client that is not a WebSocket (SSE, sse.c). */
struct gw_transport {
	const char	*name;
	/* Send one blob now; the transport takes its own reference. */
	void		 (*send)(void *, struct gw_blob *);
	/* Bytes handed over and not yet written to the socket. */
	size_t		 (*pending)(void *);
	/*
	 * End from the loop: 1000 after what was sent (end of stream), any
	 * other code at once (slow subscriber). gateway_client_gone follows.
	 */
	void		 (*close)(void *, int, const char *);
	/* End and free now, without calling back (shutdown). */
	void		 (*abort)(void *);
};

/* Whether one more connection is allowed; 0 with a message if not. */
int		 gateway_admit(char *, size_t);
/*
 * Follow one session for a transport from after its seq `after': replay
 * from the log, then live, ending after SESSION_ENDED.
 */
struct gw_client *gateway_follow(const struct gw_transport *, void *,
		    struct session *, uint64_t, const char *);
/* The transport wrote what it had: the client may send more. */
void		 gateway_client_drained(struct gw_client *);
/* The transport is gone: never called back again, freed from the loop. */
void		 gateway_client_gone(struct gw_client *);

#endif
