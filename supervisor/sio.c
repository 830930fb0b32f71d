/*
 * Socket.IO v5 over Engine.IO v4 (eio.c) on the WebSocket transport.
 *
 * In v4 the server pings ("2") every pingInterval and the client answers
 * "3" within pingTimeout. An Engine.IO message ("4") carries a Socket.IO
 * packet: type digit (0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK,
 * 4 CONNECT_ERROR, 5/6 binary), "N-" attachments for binary ones, "/nsp,"
 * unless the namespace is "/", an ack id, then JSON.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/utf8.h"
#include "common/util.h"
#include "supervisor/eio.h"
#include "supervisor/sio.h"

#define SIO_JSON_DEPTH	32	/* nesting accepted in client JSON */
/* How we write JSON: compact, and "/" left alone. */
#define SIO_JSON	(JSON_C_TO_STRING_PLAIN | \
			    JSON_C_TO_STRING_NOSLASHESCAPE)

struct sio_conn {
	const struct sio_ops	*ops;
	void			*arg;
	char			 sid[SIO_SID_LEN + 1];	/* Engine.IO */
	char			 nsp_sid[SIO_SID_LEN + 1];	/* Socket.IO */
	int64_t			 ping_interval;
	int64_t			 ping_timeout;
	int64_t			 connect_timeout;
	size_t			 max_payload;
	int			 started;
	int			 connected;	/* to "/" */
	int			 awaiting_pong;
	int			 closed;	/* ops->close was called */
	struct event		*ping_ev;
	struct event		*connect_ev;
};

#define SIO_CAUSE(...) do {						\
	if (cause != NULL)						\
		snprintf(cause, causelen, __VA_ARGS__);			\
} while (0)

/* Strict JSON from a client: whole input, UTF-8, bounded depth. */
struct json_object *
sio_parse_json(const char *s, size_t len, char *cause, size_t causelen)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 jerr;
	size_t			 end;

	if (len > INT_MAX) {
		SIO_CAUSE("JSON too large");
		return (NULL);
	}
	/* json-c lets overlong forms through; wslay would not. */
	if (!utf8_valid((const unsigned char *)s, len)) {
		SIO_CAUSE("bad JSON: not UTF-8");
		return (NULL);
	}
	if ((tok = json_tokener_new_ex(SIO_JSON_DEPTH)) == NULL) {
		SIO_CAUSE("out of memory");
		return (NULL);
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || jerr != json_tokener_success) {
		SIO_CAUSE("bad JSON: %s", jerr == json_tokener_continue ?
		    "truncated" : json_tokener_error_desc(jerr));
		json_object_put(o);
		return (NULL);
	}
	while (end < len && (s[end] == ' ' || s[end] == '\t' ||
	    s[end] == '\r' || s[end] == '\n'))
		end++;
	if (end != len) {
		SIO_CAUSE("bad JSON: trailing bytes");
		json_object_put(o);
		return (NULL);
	}
	return (o);
}

/* Whether data suits the packet type (socket.io-parser isPayloadValid). */
static int
sio_payload_valid(enum sio_type type, struct json_object *data)
{
	struct json_object	*first;

	switch (type) {
	case SIO_CONNECT:
		return (data == NULL ||
		    json_object_is_type(data, json_type_object));
	case SIO_DISCONNECT:
		return (data == NULL);
	case SIO_CONNECT_ERROR:
		return (data != NULL &&
		    (json_object_is_type(data, json_type_object) ||
		    json_object_is_type(data, json_type_string)));
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if (data == NULL || !json_object_is_type(data,
		    json_type_array) || json_object_array_length(data) == 0)
			return (0);
		first = json_object_array_get_idx(data, 0);
		return (json_object_is_type(first, json_type_string));
	case SIO_ACK:
	case SIO_BINARY_ACK:
		return (data != NULL &&
		    json_object_is_type(data, json_type_array));
	}
	return (0);
}

/* A Socket.IO packet, field by field as socket.io-parser reads it. */
int
sio_parse(const char *buf, size_t len, struct sio_packet *p, char *cause,
    size_t causelen)
{
	size_t		 i = 0, start, n;
	long long	 v;

	memset(p, 0, sizeof *p);
	p->ack = SIO_NO_ACK;
	p->nsp[0] = '/';
	if (eio_type_digit(buf, len, "Socket.IO", cause, causelen) == -1)
		return (-1);
	p->type = (enum sio_type)(buf[i++] - '0');

	if (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) {
		start = i;
		while (i < len && isdigit((unsigned char)buf[i]) &&
		    i - start < 6)
			i++;
		if (i == start || i >= len || buf[i] != '-') {
			SIO_CAUSE("illegal attachments");
			return (-1);
		}
		p->attachments = (int)strtol(buf + start, NULL, 10);
		i++;
	}

	if (i < len && buf[i] == '/') {
		start = i;
		while (i < len && buf[i] != ',') {
			if (buf[i] < 0x21 || buf[i] > 0x7e) {
				SIO_CAUSE("bad character in namespace");
				return (-1);
			}
			i++;
		}
		n = i - start;
		if (n > SIO_NSP_MAX) {
			SIO_CAUSE("namespace too long");
			return (-1);
		}
		memcpy(p->nsp, buf + start, n);
		p->nsp[n] = '\0';
		if (i < len)
			i++;	/* the comma */
	}

	if (i < len && isdigit((unsigned char)buf[i])) {
		start = i;
		v = 0;
		while (i < len && isdigit((unsigned char)buf[i])) {
			if (i - start >= SIO_ACK_DIGITS) {
				SIO_CAUSE("ack id too long");
				return (-1);
			}
			v = v * 10 + (buf[i] - '0');
			i++;
		}
		p->ack = v;
	}

	if (i < len) {
		p->data = sio_parse_json(buf + i, len - i, cause, causelen);
		if (p->data == NULL)
			return (-1);
	}
	if (!sio_payload_valid(p->type, p->data)) {
		SIO_CAUSE("invalid payload");
		sio_packet_clear(p);
		return (-1);
	}
	return (0);
}

/* Release what a parsed packet holds. */
void
sio_packet_clear(struct sio_packet *p)
{
	json_object_put(p->data);
	p->data = NULL;
}

/* Any Socket.IO packet inside an Engine.IO message. */
void
sio_encode(struct evbuffer *out, enum sio_type type, const char *nsp,
    long long ack, const char *json, size_t len)
{
	evbuffer_add_printf(out, "4%d", (int)type);
	if (nsp != NULL && strcmp(nsp, "/") != 0)
		evbuffer_add_printf(out, "%s,", nsp);
	if (ack >= 0)
		evbuffer_add_printf(out, "%lld", ack);
	if (json != NULL)
		evbuffer_add(out, json, len);
}

/* An EVENT: the name as a JSON string, then its argument. */
void
sio_encode_event(struct evbuffer *out, const char *nsp, long long ack,
    const char *name, const char *json, size_t len)
{
	struct json_object	*s;
	const char		*q;
	size_t			 qlen;

	sio_encode(out, SIO_EVENT, nsp, ack, NULL, 0);
	s = json_object_new_string(name);
	q = json_object_to_json_string_length(s, SIO_JSON,
	    &qlen);
	evbuffer_add(out, "[", 1);
	evbuffer_add(out, q, qlen);
	json_object_put(s);
	if (json != NULL) {
		evbuffer_add(out, ",", 1);
		evbuffer_add(out, json, len);
	}
	evbuffer_add(out, "]", 1);
}

/* A random session id: hex, SIO_SID_LEN characters. */
static void
sio_make_sid(char out[SIO_SID_LEN + 1])
{
	char	u[37];
	size_t	i, j;

	uuid_v4(u);
	for (i = j = 0; u[i] != '\0' && j < SIO_SID_LEN; i++)
		if (u[i] != '-')
			out[j++] = u[i];
	out[j] = '\0';
}

/* Send the contents of an evbuffer as one packet and empty it. */
static void
sio_send_buf(struct sio_conn *sio, struct evbuffer *b, int urgent)
{
	size_t	len = evbuffer_get_length(b);

	if (!sio->closed && len > 0)
		sio->ops->send(sio->arg, (const char *)evbuffer_pullup(b, -1),
		    len, urgent);
	evbuffer_drain(b, len);
}

/* Ask the owner to end the connection, once. */
static void
sio_close(struct sio_conn *sio, int code, const char *reason)
{
	if (sio->closed)
		return;
	sio->closed = 1;
	evtimer_del(sio->ping_ev);
	evtimer_del(sio->connect_ev);
	sio->ops->close(sio->arg, code, reason);
}

/* Arm a timer for ms milliseconds. */
static void
sio_arm(struct event *ev, int64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Heartbeat: ping after pingInterval, then a pong within pingTimeout. */
static void
sio_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sio_conn	*sio = arg;

	if (sio->closed)
		return;
	if (sio->awaiting_pong) {
		sio_close(sio, 1001, "ping timeout");
		return;
	}
	sio->awaiting_pong = 1;
	sio->ops->send(sio->arg, "2", 1, 1);
	sio_arm(sio->ping_ev, sio->ping_timeout);
}

/* A client that never connects to "/" is not kept. */
static void
sio_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sio_conn	*sio = arg;

	if (sio->closed || sio->connected)
		return;
	sio_close(sio, 1008, "no Socket.IO CONNECT in time");
}

/* A connection that has not spoken yet. */
struct sio_conn *
sio_create(struct event_base *base, const struct sio_ops *ops, void *arg,
    int64_t ping_interval, int64_t ping_timeout, int64_t connect_timeout,
    size_t max_payload)
{
	struct sio_conn	*sio;

	sio = xcalloc(1, sizeof *sio);
	sio->ops = ops;
	sio->arg = arg;
	sio->ping_interval = ping_interval;
	sio->ping_timeout = ping_timeout;
	sio->connect_timeout = connect_timeout;
	sio->max_payload = max_payload;
	sio_make_sid(sio->sid);
	sio_make_sid(sio->nsp_sid);
	sio->ping_ev = evtimer_new(base, sio_ping_cb, sio);
	sio->connect_ev = evtimer_new(base, sio_connect_cb, sio);
	return (sio);
}

/* Free a connection and its timers. */
void
sio_free(struct sio_conn *sio)
{
	if (sio == NULL)
		return;
	event_free(sio->ping_ev);
	event_free(sio->connect_ev);
	free(sio);
}

/* Open the Engine.IO session and start counting. */
void
sio_start(struct sio_conn *sio)
{
	struct evbuffer	*b;

	if (sio->started || sio->closed)
		return;
	sio->started = 1;
	b = evbuffer_new();
	eio_encode_open(b, sio->sid, sio->ping_interval, sio->ping_timeout,
	    sio->max_payload);
	sio_send_buf(sio, b, 1);
	evbuffer_free(b);
	sio_arm(sio->ping_ev, sio->ping_interval);
	sio_arm(sio->connect_ev, sio->connect_timeout);
}

/* CONNECT: "/" only; the owner checks the auth object. */
static void
sio_on_connect(struct sio_conn *sio, struct sio_packet *p)
{
	struct json_object	*o;
	struct evbuffer		*b;
	const char		*s;
	size_t			 len;
	char			 msg[SIO_CAUSE_MAX];

	b = evbuffer_new();
	o = json_object_new_object();
	if (strcmp(p->nsp, "/") != 0) {
		json_object_object_add(o, "message",
		    json_object_new_string("Invalid namespace"));
		s = json_object_to_json_string_length(o,
		    SIO_JSON, &len);
		sio_encode(b, SIO_CONNECT_ERROR, p->nsp, SIO_NO_ACK, s, len);
	} else if (sio->connected ||
	    sio->ops->connect(sio->arg, p->data, msg, sizeof msg) == 0) {
		sio->connected = 1;
		evtimer_del(sio->connect_ev);
		json_object_object_add(o, "sid",
		    json_object_new_string(sio->nsp_sid));
		s = json_object_to_json_string_length(o,
		    SIO_JSON, &len);
		sio_encode(b, SIO_CONNECT, "/", SIO_NO_ACK, s, len);
	} else {
		json_object_object_add(o, "message",
		    json_object_new_string(msg));
		s = json_object_to_json_string_length(o,
		    SIO_JSON, &len);
		sio_encode(b, SIO_CONNECT_ERROR, "/", SIO_NO_ACK, s, len);
	}
	json_object_put(o);
	sio_send_buf(sio, b, 0);
	evbuffer_free(b);
}

/* A Socket.IO packet from the client. */
static void
sio_on_packet(struct sio_conn *sio, const char *buf, size_t len)
{
	struct sio_packet	 p;
	struct json_object	*name;
	char			 cause[SIO_CAUSE_MAX];
	char			 reason[SIO_CAUSE_MAX + 16];

	if (sio_parse(buf, len, &p, cause, sizeof cause) == -1) {
		snprintf(reason, sizeof reason, "parse error: %s", cause);
		sio_close(sio, 1002, reason);
		return;
	}
	switch (p.type) {
	case SIO_CONNECT:
		sio_on_connect(sio, &p);
		break;
	case SIO_DISCONNECT:
		if (strcmp(p.nsp, "/") == 0 && sio->connected) {
			sio->connected = 0;
			sio->ops->disconnect(sio->arg);
		}
		break;
	case SIO_EVENT:
		/* Packets for a namespace the client is not in are dropped. */
		if (strcmp(p.nsp, "/") != 0 || !sio->connected)
			break;
		name = json_object_array_get_idx(p.data, 0);
		sio->ops->event(sio->arg, json_object_get_string(name), p.data,
		    p.ack);
		break;
	case SIO_ACK:
		/* We never ask for acks. */
		break;
	case SIO_CONNECT_ERROR:
		sio_close(sio, 1002, "CONNECT_ERROR from the client");
		break;
	case SIO_BINARY_EVENT:
	case SIO_BINARY_ACK:
		sio_close(sio, 1003, "binary packets are not supported");
		break;
	}
	sio_packet_clear(&p);
}

/* One Engine.IO packet from the client. */
void
sio_input(struct sio_conn *sio, const char *buf, size_t len)
{
	enum eio_type	 type;
	const char	*payload;
	size_t		 plen;
	char		 cause[SIO_CAUSE_MAX], pong[16];

	if (sio->closed)
		return;
	if (eio_parse(buf, len, &type, &payload, &plen, cause,
	    sizeof cause) == -1) {
		sio_close(sio, 1002, cause);
		return;
	}
	switch (type) {
	case EIO_OPEN:
		sio_close(sio, 1002, "open packet from the client");
		break;
	case EIO_CLOSE:
		sio_close(sio, 1000, "closed by the client");
		break;
	case EIO_PING:
		/* Not expected in v4 but for "2probe"; answer in kind. */
		if (plen > sizeof pong - 2)
			plen = 0;
		pong[0] = '3';
		memcpy(pong + 1, payload, plen);
		sio->ops->send(sio->arg, pong, plen + 1, 1);
		break;
	case EIO_PONG:
		if (sio->awaiting_pong) {
			sio->awaiting_pong = 0;
			sio_arm(sio->ping_ev, sio->ping_interval);
		}
		break;
	case EIO_MESSAGE:
		sio_on_packet(sio, payload, plen);
		break;
	case EIO_UPGRADE:
	case EIO_NOOP:
		break;
	}
}

/* An event from us to this client alone. */
void
sio_emit(struct sio_conn *sio, const char *name, struct json_object *arg)
{
	struct evbuffer	*b;
	const char	*s = NULL;
	size_t		 len = 0;

	if (sio->closed)
		return;
	b = evbuffer_new();
	if (arg != NULL)
		s = json_object_to_json_string_length(arg,
		    SIO_JSON, &len);
	sio_encode_event(b, "/", SIO_NO_ACK, name, s, len);
	sio_send_buf(sio, b, 0);
	evbuffer_free(b);
}

/* Answer the client's ack id. */
void
sio_ack(struct sio_conn *sio, long long ack, struct json_object *args)
{
	struct evbuffer	*b;
	const char	*s;
	size_t		 len;

	if (sio->closed || ack < 0)
		return;
	b = evbuffer_new();
	s = json_object_to_json_string_length(args, SIO_JSON,
	    &len);
	sio_encode(b, SIO_ACK, "/", ack, s, len);
	sio_send_buf(sio, b, 0);
	evbuffer_free(b);
}

/* Whether CONNECT to "/" succeeded. */
int
sio_connected(struct sio_conn *sio)
{
	return (sio->connected);
}
