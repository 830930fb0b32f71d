/*
 * Socket.IO v5 over Engine.IO v4 (eio.h) on the WebSocket transport: the
 * packet codec (pure functions, no state) and the protocol of one
 * connection.
 */
#ifndef SIO_H
#define SIO_H

#include <stddef.h>
#include <stdint.h>

#include "supervisor/eio.h"

struct event_base;
struct evbuffer;
struct json_object;
struct sio_conn;

/* Socket.IO v5 packet types: the first character of a message's data. */
enum sio_type {
	SIO_CONNECT,
	SIO_DISCONNECT,
	SIO_EVENT,
	SIO_ACK,
	SIO_CONNECT_ERROR,
	SIO_BINARY_EVENT,
	SIO_BINARY_ACK
};

#define SIO_NSP_MAX	128		/* longest namespace accepted */
#define SIO_ACK_DIGITS	15		/* longest ack id (a safe integer) */
#define SIO_NO_ACK	(-1LL)
#define SIO_CAUSE_MAX	128
#define SIO_SID_LEN	20

/* A parsed Socket.IO packet. */
struct sio_packet {
	enum sio_type		 type;
	char			 nsp[SIO_NSP_MAX + 1];
	long long		 ack;		/* SIO_NO_ACK when absent */
	int			 attachments;	/* binary packets only */
	struct json_object	*data;		/* owned; NULL when absent */
};

/*
 * Parse a Socket.IO packet (an Engine.IO message's payload): type,
 * attachments, namespace, ack id, JSON data, checked as socket.io-parser
 * does. 0 and *p (free with sio_packet_clear), or -1 with a cause.
 */
int	sio_parse(const char *, size_t, struct sio_packet *, char *, size_t);
void	sio_packet_clear(struct sio_packet *);
/*
 * Parse all of a client's bytes as one JSON value, strictly (no trailing
 * bytes, valid UTF-8, bounded depth). NULL with a cause.
 */
struct json_object *sio_parse_json(const char *, size_t, char *, size_t);

/*
 * A Socket.IO packet in an Engine.IO message: 4, type, namespace (unless
 * "/"), ack id (unless SIO_NO_ACK), then json (may be NULL).
 */
void	sio_encode(struct evbuffer *, enum sio_type, const char *, long long,
	    const char *, size_t);
/* 42["name",arg] (arg serialized JSON, or NULL for no argument). */
void	sio_encode_event(struct evbuffer *, const char *, long long,
	    const char *, const char *, size_t);

/*
 * What a Socket.IO connection needs from its owner. None of these is
 * called from inside an sio_* call other than sio_input.
 */
struct sio_ops {
	/* Send one Engine.IO packet; urgent ones (pings) may overtake data. */
	void	(*send)(void *, const char *, size_t, int);
	/*
	 * The connection must end: a WebSocket close code and a reason. The
	 * owner frees the sio_conn later, never from inside this call.
	 */
	void	(*close)(void *, int, const char *);
	/*
	 * CONNECT to "/" with its auth object (borrowed, may be NULL): 0 to
	 * accept, or -1 with a message for CONNECT_ERROR.
	 */
	int	(*connect)(void *, struct json_object *, char *, size_t);
	/* An event: its name, the whole array (borrowed) and the ack id. */
	void	(*event)(void *, const char *, struct json_object *, long long);
	/* The client left "/". */
	void	(*disconnect)(void *);
};

/* Timers are on base; times in milliseconds. */
struct sio_conn	*sio_create(struct event_base *, const struct sio_ops *,
		    void *, int64_t, int64_t, int64_t, size_t);
void		 sio_free(struct sio_conn *);
/* Send the open packet and start the heartbeat. */
void		 sio_start(struct sio_conn *);
/* One WebSocket text message from the client. */
void		 sio_input(struct sio_conn *, const char *, size_t);
/* A private event to this client: name and argument (borrowed). */
void		 sio_emit(struct sio_conn *, const char *,
		    struct json_object *);
/* Answer an event's ack with an array of arguments (borrowed). */
void		 sio_ack(struct sio_conn *, long long, struct json_object *);
/* Whether the client is connected to "/". */
int		 sio_connected(struct sio_conn *);

#endif
