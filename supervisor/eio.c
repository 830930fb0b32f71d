/*
 * Engine.IO v4 packets over the WebSocket transport: every packet is one
 * text message, its type digit (0 open, 1 close, 2 ping, 3 pong,
 * 4 message, 5 upgrade, 6 noop) and a payload. Pure functions, no state.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "supervisor/eio.h"

#define EIO_CAUSE(...) do {						\
	if (cause != NULL)						\
		snprintf(cause, causelen, __VA_ARGS__);			\
} while (0)

/* The leading type digit, 0 to 6, of a packet of the protocol named. */
int
eio_type_digit(const char *buf, size_t len, const char *proto, char *cause,
    size_t causelen)
{
	if (len == 0) {
		EIO_CAUSE("empty %s packet", proto);
		return (-1);
	}
	if (buf[0] < '0' || buf[0] > '6') {
		EIO_CAUSE("unknown %s packet type", proto);
		return (-1);
	}
	return (buf[0] - '0');
}

/* The type digit and the rest of an Engine.IO packet. */
int
eio_parse(const char *buf, size_t len, enum eio_type *type,
    const char **payload, size_t *plen, char *cause, size_t causelen)
{
	if (eio_type_digit(buf, len, "Engine.IO", cause, causelen) == -1)
		return (-1);
	*type = (enum eio_type)(buf[0] - '0');
	*payload = buf + 1;
	*plen = len - 1;
	return (0);
}

/* The Engine.IO handshake, the first packet a client gets. */
void
eio_encode_open(struct evbuffer *out, const char *sid, int64_t interval,
    int64_t timeout, size_t max_payload)
{
	/* sid is ours: [0-9a-f] only, nothing to escape. */
	evbuffer_add_printf(out, "0{\"sid\":\"%s\",\"upgrades\":[],"
	    "\"pingInterval\":%lld,\"pingTimeout\":%lld,\"maxPayload\":%zu}",
	    sid, (long long)interval, (long long)timeout, max_payload);
}
