/*
 * The real-time gateway (DESIGN section 7): rooms, replay from the durable
 * log, fan-out and backpressure, for three transports that plug in through
 * one interface: Socket.IO (gw_sio.c) and plain /ws (gw_ws.c) over
 * WebSocket, and SSE (sse.c).
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/auth.h"
#include "supervisor/gw_blob.h"
#include "supervisor/gw_name.h"

struct evbuffer;
struct event;
struct json_object;
struct session;

/* How we write JSON: compact, and "/" left alone. */
#define GW_JSON	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The transports, for logs and metrics. */
enum gw_proto {
	GW_SIO,
	GW_WS,
	GW_SSE,
	GW__PROTOS
};

/* The encodings of one event, made on first use by the transports. */
struct gw_enc {
	struct session		*s;
	struct json_object	*ev;
	int			 type;
	const char		*tname;
	const char		*line;
	size_t			 len;
	uint64_t		 seq;
	int64_t			 ts;
	int			 wse_done;
	struct gw_blob		*wse;		/* Socket.IO (gw_sio.c) */
	struct gw_blob		*spawn;
	struct gw_blob		*disc;
	struct gw_blob		*ws[GW__KINDS];	/* /ws (gw_ws.c) */
	struct gw_blob		*sse;		/* SSE (sse.c) */
};

struct gw_client;

/*
 * A transport (Redis connection.h): how the core hands a client's output
 * to its connection. The core never looks at the connection itself.
 */
struct gw_transport {
	enum gw_proto	 proto;
	/*
	 * Queue one event for a client, received through a room (kind and
	 * full name), in the transport's form: gateway_client_push.
	 */
	void		 (*deliver)(struct gw_client *, enum gw_kind,
			    const char *, struct gw_enc *);
	/* Send one blob now; the transport takes its own reference. */
	void		 (*send)(void *, struct gw_blob *);
	/* Bytes handed over and not yet written to the socket. */
	size_t		 (*pending)(void *);
	/* Say the client is too slow, ahead of its queue; may be NULL. */
	void		 (*slow)(void *);
	/*
	 * End from the loop: 1000 after what was sent (end of stream), any
	 * other code at once (slow subscriber). gateway_client_gone follows.
	 */
	void		 (*close)(void *, int, const char *);
	/* End and free now, without calling back (shutdown). */
	void		 (*abort)(void *);
};

/* One connection of any transport. */
struct gw_client {
	TAILQ_ENTRY(gw_client)	 entry;
	uint64_t		 id;
	const struct gw_transport *tr;
	void			*tr_arg;
	int			 dying;		/* transport gone; reap */
	int			 closing;	/* we ended it: no output */
	int			 finishing;	/* end once the queue is out */
	int			 follow;	/* one session, ends with it */
	int			 replaying;
	TAILQ_HEAD(, gw_out)	 outq;
	size_t			 outq_bytes;
	TAILQ_HEAD(, gw_sub)	 subs;
	int			 nsubs;
	struct event		*replay_ev;
	int64_t			 join_window;
	int			 joins;
	int			 authed;
	struct auth_result	 who;
	char			 peer[80];
};

/* Listen to recorded events (once, after the event base exists). */
void		 gateway_init(void);
/*
 * Close every connection now (WebSocket close 1001, SSE streams ended) and
 * refuse new ones. Call before evhttp_free; safe to call twice.
 */
void		 gateway_shutdown(void);
/* Prometheus lines: connections, slow-subscriber disconnects... */
void		 gateway_metrics(struct evbuffer *);

/* Whether one more connection is allowed; 0 with a message if not. */
int		 gateway_admit(char *, size_t);
/* Whether the gateway is shutting down. */
int		 gateway_shutting_down(void);
/* A new client on a transport, with nothing queued and no room. */
struct gw_client *gateway_client_new(const struct gw_transport *, void *,
		    const char *);
/* Free a client at once (its transport never started). */
void		 gateway_client_free(struct gw_client *);
/*
 * Follow one session for a transport from after its seq `after': replay
 * from the log, then live, ending after SESSION_ENDED.
 */
struct gw_client *gateway_follow(const struct gw_transport *, void *,
		    struct session *, uint64_t, const char *);
/* Queue a blob (a reference) or private bytes in order with the events. */
void		 gateway_client_push(struct gw_client *, struct gw_blob *);
void		 gateway_client_push_bytes(struct gw_client *, const char *,
		    size_t);
/* End a client from our side; its transport reports when it is gone. */
void		 gateway_client_close(struct gw_client *, int, const char *);
/* The transport wrote what it had: the client may send more. */
void		 gateway_client_drained(struct gw_client *);
/* The transport is gone: never called back again, freed from the loop. */
void		 gateway_client_gone(struct gw_client *);

/*
 * Join a room with an optional cursor (borrowed): 0 and the cursor to
 * start from (the caller owns it), or -1 with a cause.
 */
int		 gateway_subscribe(struct gw_client *, enum gw_kind,
		    const char *, struct json_object *, struct json_object **,
		    char *, size_t);
/* Leave one room, or every room of a kind when the id is NULL. */
void		 gateway_unsubscribe(struct gw_client *, enum gw_kind,
		    const char *);
/* Leave every room. */
void		 gateway_leave_all(struct gw_client *);
/* Joins are rate-limited per connection: 0 past the limit. */
int		 gateway_join_allowed(struct gw_client *);

#endif
