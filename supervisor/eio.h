/* Engine.IO v4 packets over the WebSocket transport: the codec. */
#ifndef EIO_H
#define EIO_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* Engine.IO v4 packet types: the first character of every message. */
enum eio_type {
	EIO_OPEN,
	EIO_CLOSE,
	EIO_PING,
	EIO_PONG,
	EIO_MESSAGE,
	EIO_UPGRADE,
	EIO_NOOP
};

/*
 * The leading type digit (0 to 6) of an Engine.IO or Socket.IO packet
 * (the protocol's name is for the cause), or -1 with a cause.
 */
int	eio_type_digit(const char *, size_t, const char *, char *, size_t);
/*
 * Split an Engine.IO packet (one WebSocket text message) into its type and
 * payload (a pointer into the input). 0, or -1 with a cause.
 */
int	eio_parse(const char *, size_t, enum eio_type *, const char **,
	    size_t *, char *, size_t);
/* 0{"sid","upgrades":[],"pingInterval","pingTimeout","maxPayload"} */
void	eio_encode_open(struct evbuffer *, const char *, int64_t, int64_t,
	    size_t);

#endif
