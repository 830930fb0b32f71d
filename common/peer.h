/*
 * A peer: one end of the supervisor-worker channel. It owns the channel's
 * bufferevent and its read loop (frame.c), hands each message to one
 * dispatch callback and has one "peer gone" path for EOF, an error and a
 * bad frame. Both processes use it.
 */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>

#include "common/proto.h"

struct bufferevent;
struct event_base;
struct json_object;
struct peer;

/* Why a peer is gone. */
enum peer_gone {
	PEER_EOF,		/* the other end closed the channel */
	PEER_ERROR,		/* the channel failed */
	PEER_BAD_FRAME		/* the other end broke the frame codec */
};

struct peer_ops {
	/* One message: the object (borrowed), its type and event type. */
	void	(*dispatch)(struct peer *, struct json_object *,
		    enum msg_type, enum event_type, void *);
	/*
	 * The peer is gone, with a cause for PEER_BAD_FRAME. Every whole
	 * frame it sent has been dispatched first. Called once; the owner
	 * frees the peer (it may, from inside this call).
	 */
	void	(*gone)(struct peer *, enum peer_gone, const char *, void *);
	/* The output went down to the low watermark; may be NULL. */
	void	(*drained)(struct peer *, void *);
};

/* A peer on fd (taken: closed by peer_free); NULL if libevent fails. */
struct peer	*peer_create(struct event_base *, int, const struct peer_ops *,
		    void *);
/* Free the peer and close its channel; safe inside its own callbacks. */
void		 peer_free(struct peer *);
/* Dispatch every whole frame buffered now. */
void		 peer_read(struct peer *);
/* Queue one message; -1 with a cause if it cannot be framed. */
int		 peer_send(struct peer *, struct json_object *, char *, size_t);
/* The channel's bufferevent (its output, its watermarks). */
struct bufferevent *peer_bufferevent(struct peer *);

#endif
