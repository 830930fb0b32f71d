/*
 * Fuzz target for the Engine.IO / Socket.IO parser: any WebSocket text
 * message a client could send. Whatever parses must encode back into a
 * packet that parses the same; the whole input is also fed to one
 * connection's protocol, which must never crash whatever it is sent.
 * Built for libFuzzer with clang (-fsanitize=fuzzer), or with the
 * standalone driver in driver.c with fuzz_sio_gen.c for `make check`.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "supervisor/sio.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Callbacks that only count; connect accepts every other attempt. */
static int	fuzz_closed;
static int	fuzz_connects;

static void
fuzz_send(void *arg, const char *buf, size_t len, int urgent)
{
	if (len == 0)
		__builtin_trap();
}

static void
fuzz_close(void *arg, int code, const char *reason)
{
	if (fuzz_closed++ != 0 || reason == NULL)
		__builtin_trap();	/* close is asked for once */
}

static int
fuzz_connect(void *arg, struct json_object *auth, char *msg, size_t len)
{
	if (auth != NULL && !json_object_is_type(auth, json_type_object))
		__builtin_trap();
	snprintf(msg, len, "no");
	return (fuzz_connects++ % 2 == 0 ? -1 : 0);
}

static void
fuzz_event(void *arg, const char *name, struct json_object *args,
    long long ack)
{
	if (name == NULL || !json_object_is_type(args, json_type_array))
		__builtin_trap();
}

static void
fuzz_disconnect(void *arg)
{
}

static const struct sio_ops fuzz_ops = {
	fuzz_send, fuzz_close, fuzz_connect, fuzz_event, fuzz_disconnect
};

/* Parse, re-encode, parse again: the same type, namespace and ack. */
static void
fuzz_roundtrip(const char *buf, size_t len)
{
	struct sio_packet	 p, q;
	struct evbuffer		*b;
	const char		*json = NULL, *s;
	size_t			 jlen = 0;
	char			 cause[SIO_CAUSE_MAX];

	if (sio_parse(buf, len, &p, cause, sizeof cause) == -1)
		return;
	if (p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) {
		sio_packet_clear(&p);
		return;
	}
	if (p.data != NULL)
		json = json_object_to_json_string_length(p.data,
		    JSON_C_TO_STRING_PLAIN, &jlen);
	b = evbuffer_new();
	sio_encode(b, p.type, p.nsp, p.ack, json, jlen);
	s = (const char *)evbuffer_pullup(b, -1);
	/* Skip the Engine.IO "4". */
	if (sio_parse(s + 1, evbuffer_get_length(b) - 1, &q, cause,
	    sizeof cause) == -1)
		__builtin_trap();
	if (q.type != p.type || q.ack != p.ack || strcmp(q.nsp, p.nsp) != 0)
		__builtin_trap();
	sio_packet_clear(&q);
	sio_packet_clear(&p);
	evbuffer_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base	*base;
	struct sio_conn			*sio;
	struct json_object		*o;
	enum eio_type			 type;
	const char			*payload, *p = (const char *)data;
	size_t				 plen, i, start;
	char				 cause[SIO_CAUSE_MAX];

	if (base == NULL)
		base = event_base_new();
	if (eio_parse(p, size, &type, &payload, &plen, cause,
	    sizeof cause) == 0 && type == EIO_MESSAGE)
		fuzz_roundtrip(payload, plen);
	fuzz_roundtrip(p, size);
	if ((o = sio_parse_json(p, size, cause, sizeof cause)) != NULL)
		json_object_put(o);

	/* The input as a series of messages, split at newlines. */
	fuzz_closed = 0;
	sio = sio_create(base, &fuzz_ops, NULL, 25000, 20000, 45000, 1000000);
	sio_start(sio);
	for (i = start = 0; i <= size; i++) {
		if (i == size || p[i] == '\n') {
			sio_input(sio, p + start, i - start);
			start = i + 1;
		}
	}
	sio_free(sio);
	return (0);
}
