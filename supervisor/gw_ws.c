/*
 * The gateway's WebSocket transport: the upgrade of /ws and /socket.io/
 * requests (checks, the connection limit, authentication), the connection
 * under a client (ws.c) and the plain /ws protocol (DESIGN section 7):
 * {"op": subscribe|unsubscribe|ping, "room", "since"}. Socket.IO clients
 * (gw_sio.c) speak on the same connections.
 */
#include "config.h"

#include <sys/types.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/auth.h"
#include "supervisor/gateway.h"
#include "supervisor/gw_sio.h"
#include "supervisor/gw_ws.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sio.h"
#include "supervisor/ws.h"

static void	gw_ws_request(struct gw_wsc *, const char *, size_t);

/* Forget a client's WebSocket side: its Socket.IO state, if any. */
static void
gw_ws_free(struct gw_wsc *w)
{
	gw_sio_free(w);
	free(w);
}

/* Transport: one blob on the WebSocket. */
static void
gw_ws_send(void *arg, struct gw_blob *blob)
{
	struct gw_wsc	*w = arg;

	ws_send(w->ws, blob->data, blob->len);
}

/* Transport: what the WebSocket has not written yet. */
static size_t
gw_ws_pending(void *arg)
{
	struct gw_wsc	*w = arg;

	return (ws_pending(w->ws));
}

/* Transport: start the close handshake; closed() follows. */
static void
gw_ws_close(void *arg, int code, const char *reason)
{
	struct gw_wsc	*w = arg;

	ws_close(w->ws, (uint16_t)code, reason);
}

/* Transport: shutdown, close 1001 and free now. */
static void
gw_ws_abort(void *arg)
{
	struct gw_wsc	*w = arg;

	ws_free(w->ws, 1001, "server shutting down");
	gw_ws_free(w);
}

/* {"room","event","sessionId","seq","data"} for /ws, one per room kind. */
static struct gw_blob *
gw_enc_ws(struct gw_enc *e, enum gw_kind kind, const char *room)
{
	struct evbuffer	*b;

	if (e->ws[kind] != NULL)
		return (e->ws[kind]);
	b = evbuffer_new();
	/* Room ids hold no quote or backslash (gw_name_valid). */
	evbuffer_add_printf(b, "{\"room\":\"%s\",\"event\":\"%s\","
	    "\"sessionId\":\"%s\",\"seq\":%" PRIu64 ",\"data\":", room,
	    e->tname, e->s->id, e->seq);
	evbuffer_add(b, e->line, e->len);
	evbuffer_add(b, "}", 1);
	e->ws[kind] = gw_blob_from(b);
	evbuffer_free(b);
	return (e->ws[kind]);
}

/* /ws: send a small JSON reply in order with the events. */
static void
gw_ws_reply(struct gw_client *c, struct json_object *o)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(o, GW_JSON,
	    &len);
	gateway_client_push_bytes(c, s, len);
	json_object_put(o);
}

/* {"op":"error","code","message"[,"room"]} */
static struct json_object *
gw_ws_error(const char *code, const char *message, const char *room)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "op", json_object_new_string("error"));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (room != NULL)
		json_object_object_add(o, "room", json_object_new_string(room));
	return (o);
}

/* Transport: a /ws client's event, one message per room. */
static void
gw_ws_deliver(struct gw_client *c, enum gw_kind kind, const char *room,
    struct gw_enc *e)
{
	gateway_client_push(c, gw_enc_ws(e, kind, room));
}

/* Transport: the /ws error SLOW_CONSUMER, ahead of the queue. */
static void
gw_ws_slow(void *arg)
{
	struct gw_wsc		*w = arg;
	struct json_object	*err;
	const char		*s;
	size_t			 len;

	err = gw_ws_error("SLOW_CONSUMER", "subscriber too slow: output "
	    "buffer limit reached; reconnect with your cursor to resume",
	    NULL);
	s = json_object_to_json_string_length(err, GW_JSON, &len);
	ws_send(w->ws, s, len);
	json_object_put(err);
}

static const struct gw_transport gw_ws_transport = {
	GW_WS, gw_ws_deliver, gw_ws_send, gw_ws_pending, gw_ws_slow,
	gw_ws_close, gw_ws_abort
};

static const struct gw_transport gw_sio_transport = {
	GW_SIO, gw_sio_deliver, gw_ws_send, gw_ws_pending, gw_sio_slow,
	gw_ws_close, gw_ws_abort
};

/* A /ws request: subscribe, unsubscribe or ping. */
static void
gw_ws_request(struct gw_wsc *w, const char *buf, size_t len)
{
	struct gw_client	*c = w->c;
	struct json_object	*req, *v, *since = NULL, *cursor, *o;
	const char		*op = NULL, *room = NULL, *name;
	enum gw_kind		 kind;
	char			 cause[160];

	if ((req = sio_parse_json(buf, len, cause, sizeof cause)) == NULL ||
	    !json_object_is_type(req, json_type_object)) {
		gw_ws_reply(c, gw_ws_error("BAD_REQUEST", req == NULL ? cause :
		    "expected a JSON object", NULL));
		json_object_put(req);
		return;
	}
	if (json_object_object_get_ex(req, "op", &v) &&
	    json_object_is_type(v, json_type_string))
		op = json_object_get_string(v);
	if (json_object_object_get_ex(req, "room", &v) &&
	    json_object_is_type(v, json_type_string))
		room = json_object_get_string(v);
	json_object_object_get_ex(req, "since", &since);
	if (op != NULL && strcmp(op, "ping") == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "op", json_object_new_string("pong"));
		gw_ws_reply(c, o);
	} else if (op != NULL && (strcmp(op, "subscribe") == 0 ||
	    strcmp(op, "unsubscribe") == 0)) {
		if (room == NULL ||
		    gw_name_room(room, &kind, &name) == -1) {
			gw_ws_reply(c, gw_ws_error("BAD_REQUEST", "room: want "
			    "village:<id>, agent:<id> or session:<id>", room));
		} else if (strcmp(op, "unsubscribe") == 0) {
			gateway_unsubscribe(c, kind, name);
			o = json_object_new_object();
			json_object_object_add(o, "op",
			    json_object_new_string("unsubscribed"));
			json_object_object_add(o, "room",
			    json_object_new_string(room));
			gw_ws_reply(c, o);
		} else if (!gateway_join_allowed(c)) {
			gw_ws_reply(c, gw_ws_error("RATE_LIMITED", "too many "
			    "subscriptions in a short time", room));
		} else if (gateway_subscribe(c, kind, name, since, &cursor,
		    cause, sizeof cause) == -1) {
			gw_ws_reply(c, gw_ws_error("BAD_REQUEST", cause,
			    room));
		} else {
			o = json_object_new_object();
			json_object_object_add(o, "op",
			    json_object_new_string("subscribed"));
			json_object_object_add(o, "room",
			    json_object_new_string(room));
			json_object_object_add(o, "cursor", cursor);
			gw_ws_reply(c, o);
		}
	} else
		gw_ws_reply(c, gw_ws_error("BAD_REQUEST", "op: want subscribe, "
		    "unsubscribe or ping", room));
	json_object_put(req);
}

/* A WebSocket message: Engine.IO for Socket.IO, JSON requests for /ws. */
static void
gw_ws_message_cb(void *arg, int binary, const unsigned char *data,
    size_t len)
{
	struct gw_wsc		*w = arg;
	struct gw_client	*c = w->c;

	if (c->dying || c->closing)
		return;
	if (binary) {
		gateway_client_close(c, 1003,
		    "binary messages are not supported");
		return;
	}
	w->input(w, (const char *)data, len);
}

/* The WebSocket wrote what it had. */
static void
gw_ws_drained_cb(void *arg)
{
	struct gw_wsc	*w = arg;

	gateway_client_drained(w->c);
}

/*
 * The WebSocket is over; it is freed as soon as this returns, and our
 * side of it now: the client is reaped from the loop, without it.
 */
static void
gw_ws_closed_cb(void *arg, int code, const char *reason)
{
	struct gw_wsc		*w = arg;
	struct gw_client	*c = w->c;

	log_debug("gateway: client %" PRIu64 ": websocket closed: %s (%d)",
	    c->id, reason, code);
	gateway_client_gone(c);
	gw_ws_free(w);
}

static const struct ws_ops gw_ws_ops = {
	gw_ws_message_cb, gw_ws_drained_cb, gw_ws_closed_cb
};

/* ---- Upgrades ---- */

/* An error reply: JSON, and a Retry-After or upgrade hint when useful. */
static void
gw_ws_http_error(struct evhttp_request *req, int status, const char *code,
    const char *message)
{
	struct evbuffer		*b;
	struct json_object	*o, *e;
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	o = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	b = evbuffer_new();
	evbuffer_add_printf(b, "%s\n", json_object_to_json_string_ext(o,
	    GW_JSON));
	json_object_put(o);
	evhttp_add_header(h, "Content-Type", "application/json");
	if (status == 503)
		evhttp_add_header(h, "Retry-After", "5");
	if (status == 426)
		evhttp_add_header(h, "Sec-WebSocket-Version", "13");
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	if (status == 405)
		evhttp_add_header(h, "Allow", "GET");
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
}

/*
 * Whether a browser request comes from an origin allowed to use a cookie:
 * a cookie rides along on cross-site WebSocket requests, so it only counts
 * when Origin is absent, the daemon's own or on cors_origins (never judged
 * by the request's Host, which a rebound DNS name controls).
 */
static int
gw_ws_same_origin(const struct evkeyvalq *h)
{
	const char	*origin;

	if ((origin = evhttp_find_header(h, "Origin")) == NULL)
		return (1);
	return (auth_origin_allowed(server_cfg, &server_addr, origin));
}

/* Authenticate an upgrade: header, token cookie or ?token=. */
static int
gw_ws_authenticate(struct evhttp_request *req, const struct evkeyvalq *q,
    struct auth_result *who, char *cause, size_t causelen)
{
	const struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	const char		*authz, *cookie, *token;
	char			*hdr = NULL;
	int			 rv;

	authz = evhttp_find_header(h, "Authorization");
	cookie = evhttp_find_header(h, "Cookie");
	if (cookie != NULL && !gw_ws_same_origin(h))
		cookie = NULL;
	if (authz == NULL && (token = evhttp_find_header(q, "token")) != NULL &&
	    strlen(token) <= AUTH_MAX_TOKEN)
		authz = hdr = xasprintf("Bearer %s", token);
	rv = auth_check(server_cfg, authz, cookie, now_ms() / 1000, who, cause,
	    causelen);
	free(hdr);
	return (rv);
}

/* Upgrade /ws and /socket.io/ requests, or answer why not. */
int
gw_ws_upgrade(struct evhttp_request *req, int trusted,
    const struct auth_result *who)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq	 q;
	struct gw_client	*c;
	struct gw_wsc		*w;
	struct auth_result	 me;
	const char		*path, *query;
	char			 cause[WS_CAUSE_MAX], peer[80], *addr;
	enum gw_proto		 proto;
	int			 status, authed;
	ev_uint16_t		 port;

	if (uri == NULL || (path = evhttp_uri_get_path(uri)) == NULL)
		return (0);
	if (strcmp(path, "/ws") == 0)
		proto = GW_WS;
	else if (strcmp(path, "/socket.io") == 0 ||
	    strncmp(path, "/socket.io/", 11) == 0)
		proto = GW_SIO;
	else
		return (0);

	query = evhttp_uri_get_query(uri);
	if (evhttp_parse_query_str(query != NULL ? query : "", &q) == -1) {
		gw_ws_http_error(req, 400, "BAD_REQUEST",
		    "malformed query string");
		return (1);
	}
	if (proto == GW_SIO && gw_sio_check_query(req, &q) == -1)
		goto done;
	if (ws_check_upgrade(evhttp_request_get_command(req), req->major,
	    req->minor, evhttp_request_get_input_headers(req), &status, cause,
	    sizeof cause) == -1) {
		gw_ws_http_error(req, status, status == 405 ?
		    "METHOD_NOT_ALLOWED" : status == 426 ? "UPGRADE_REQUIRED" :
		    "BAD_REQUEST", cause);
		goto done;
	}
	if (!gateway_admit(cause, sizeof cause)) {
		gw_ws_http_error(req, 503, gateway_shutting_down() ?
		    "SHUTTING_DOWN" : "TOO_MANY_CONNECTIONS", cause);
		goto done;
	}
	memset(&me, 0, sizeof me);
	/* Credentials that can only have come from a cross-site cookie. */
	if (who != NULL && !trusted && !gw_ws_same_origin(
	    evhttp_request_get_input_headers(req)) &&
	    evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization") == NULL)
		who = NULL;
	authed = trusted || who != NULL;
	if (who != NULL)
		me = *who;
	else if (trusted)
		snprintf(me.user_id, sizeof me.user_id, "unix");
	else if (gw_ws_authenticate(req, &q, &me, cause, sizeof cause) == 0)
		authed = 1;
	if (!authed && proto == GW_WS) {
		gw_ws_http_error(req, 401, "UNAUTHORIZED", cause);
		goto done;
	}

	addr = NULL;
	port = 0;
	if (evhttp_request_get_connection(req) != NULL)
		evhttp_connection_get_peer(evhttp_request_get_connection(req),
		    &addr, &port);
	snprintf(peer, sizeof peer, "%s:%u", trusted ? "unix" : addr != NULL ?
	    addr : "?", (unsigned)port);
	w = xcalloc(1, sizeof *w);
	w->input = gw_ws_request;
	c = gateway_client_new(proto == GW_SIO ? &gw_sio_transport :
	    &gw_ws_transport, w, peer);
	w->c = c;
	c->authed = authed;
	c->who = me;
	w->ws = ws_upgrade(req, &gw_ws_ops, w,
	    server_cfg->gateway_max_message_bytes,
	    server_cfg->gateway_idle_timeout_ms);
	if (w->ws == NULL) {
		gateway_client_free(c);
		free(w);
		if (evhttp_request_get_connection(req) != NULL)
			gw_ws_http_error(req, 500, "INTERNAL",
			    "cannot start the WebSocket");
		goto done;
	}
	log_info("gateway: %s client %" PRIu64 " (%s) connected%s%s",
	    proto == GW_SIO ? "socket.io" : "ws", c->id, peer,
	    authed ? " as " : "",
	    authed ? me.user_id : "");
	if (proto == GW_SIO)
		gw_sio_open(w);
done:
	evhttp_clear_headers(&q);
	return (1);
}
