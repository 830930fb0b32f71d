/*
 * Socket.IO clients of the gateway: the Socket.IO protocol (sio.c) on a
 * WebSocket of gw_ws.c, the village server's events and their encodings.
 */
#include "config.h"

#include <sys/types.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/auth.h"
#include "supervisor/gateway.h"
#include "supervisor/gw_sio.h"
#include "supervisor/gw_ws.h"
#include "supervisor/mapping.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sio.h"
#include "supervisor/ws.h"

#define GW_CONNECT_TIMEOUT_MS	45000		/* Socket.IO CONNECT */

/* "local" for a local repository's path, else provider:owner/name. */
static char *
gw_repo_path(struct session *s)
{
	struct json_object	*r, *v;
	const char		*prov = NULL, *owner = NULL, *name = NULL;

	if (s->record == NULL ||
	    !json_object_object_get_ex(s->record, "repoRef", &r))
		return (NULL);
	if (json_object_object_get_ex(r, "provider", &v))
		prov = json_object_get_string(v);
	if (prov != NULL && strcmp(prov, "local") == 0) {
		if (json_object_object_get_ex(r, "path", &v))
			return (xstrdup(json_object_get_string(v)));
		return (NULL);
	}
	if (json_object_object_get_ex(r, "owner", &v))
		owner = json_object_get_string(v);
	if (json_object_object_get_ex(r, "name", &v))
		name = json_object_get_string(v);
	if (prov == NULL || owner == NULL || name == NULL)
		return (NULL);
	return (xasprintf("%s:%s/%s", prov, owner, name));
}

/* 42["name",arg] as a blob; arg is consumed. */
static struct gw_blob *
gw_sio_blob(const char *name, struct json_object *arg)
{
	struct evbuffer	*b;
	struct gw_blob	*blob;
	const char	*s;
	size_t		 len;

	b = evbuffer_new();
	s = json_object_to_json_string_length(arg, GW_JSON,
	    &len);
	sio_encode_event(b, "/", SIO_NO_ACK, name, s, len);
	blob = gw_blob_from(b);
	evbuffer_free(b);
	json_object_put(arg);
	return (blob);
}

/* work_stream_event (DESIGN section 5) with seq, or NULL if not shown. */
static struct gw_blob *
gw_enc_wse(struct gw_enc *e)
{
	struct json_object	*o;

	if (e->wse_done)
		return (e->wse);
	e->wse_done = 1;
	if ((o = mapping_work_stream_event(e->ev, e->s->agent_id)) == NULL)
		return (NULL);
	json_object_object_add(o, "seq", json_object_new_int64(
	    (int64_t)e->seq));
	e->wse = gw_sio_blob("work_stream_event", o);
	return (e->wse);
}

/* agent_spawn, sent to the village with a session's first event. */
static struct gw_blob *
gw_enc_spawn(struct gw_enc *e)
{
	struct json_object	*o;
	char			*repo;

	if (e->spawn != NULL)
		return (e->spawn);
	repo = gw_repo_path(e->s);
	o = mapping_agent_spawn(e->s->agent_id, e->s->id, e->s->provider_id,
	    e->s->agent_name != NULL ? e->s->agent_name : e->s->agent_id,
	    repo, e->ts);
	free(repo);
	e->spawn = gw_sio_blob("agent_spawn", o);
	return (e->spawn);
}

/* agent_disconnect, sent to the village after SESSION_ENDED. */
static struct gw_blob *
gw_enc_disc(struct gw_enc *e)
{
	if (e->disc == NULL)
		e->disc = gw_sio_blob("agent_disconnect",
		    mapping_agent_disconnect(e->s->agent_id, e->s->id, e->ts));
	return (e->disc);
}

/* Socket.IO: send an Engine.IO packet, urgent ones ahead of the queue. */
static void
gw_sio_send(void *arg, const char *buf, size_t len, int urgent)
{
	struct gw_wsc		*w = arg;
	struct gw_client	*c = w->c;

	if (w->ws == NULL || c->dying || c->closing)
		return;
	if (urgent)
		ws_send(w->ws, buf, len);
	else
		gateway_client_push_bytes(c, buf, len);
}

/* Socket.IO wants the connection closed. */
static void
gw_sio_close(void *arg, int code, const char *reason)
{
	struct gw_wsc	*w = arg;

	gateway_client_close(w->c, code, reason);
}

/* Socket.IO CONNECT: token checked like the API unless already known. */
static int
gw_sio_connect(void *arg, struct json_object *auth, char *msg,
    size_t msglen)
{
	struct gw_wsc		*w = arg;
	struct gw_client	*c = w->c;
	struct json_object	*v;
	struct auth_result	 who;
	const char		*token = NULL;
	char			*hdr = NULL, cause[128];
	int			 rv;

	if (auth != NULL && json_object_object_get_ex(auth, "since", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_put(w->auth_since);
		/* Kept for later joins; the packet goes away. */
		w->auth_since = json_object_get(v);
	}
	if (c->authed)
		return (0);
	if (auth != NULL && json_object_object_get_ex(auth, "token", &v) &&
	    json_object_is_type(v, json_type_string))
		token = json_object_get_string(v);
	if (token != NULL && strlen(token) <= AUTH_MAX_TOKEN)
		hdr = xasprintf("Bearer %s", token);
	rv = auth_check(server_cfg, hdr, NULL, now_ms() / 1000, &who, cause,
	    sizeof cause);
	free(hdr);
	if (rv == -1) {
		snprintf(msg, msglen, "unauthorized: %s", token != NULL ?
		    "invalid token" : cause);
		log_info("gateway: socket.io client %" PRIu64 " (%s): "
		    "CONNECT refused: %s", c->id, c->peer, cause);
		return (-1);
	}
	c->authed = 1;
	c->who = who;
	return (0);
}

/* {ok:false, error:{code, message}} as the village server answers. */
static struct json_object *
gw_sio_error(const char *code, const char *message)
{
	struct json_object	*o, *e;

	o = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	return (o);
}

/* Answer an event's ack (if asked) with one argument. */
static void
gw_sio_reply(struct gw_wsc *w, long long ack, struct json_object *resp)
{
	struct json_object	*args;

	if (ack == SIO_NO_ACK)
		return;
	args = json_object_new_array();
	if (resp != NULL)
		json_object_array_add(args, json_object_get(resp));
	sio_ack(w->sio, ack, args);
	json_object_put(args);
}

/* join_village, join_agent, leave_village, leave_agent. */
static void
gw_sio_room(struct gw_wsc *w, enum gw_kind kind, int join,
    struct json_object *payload, long long ack)
{
	struct gw_client	*c = w->c;
	struct json_object	*v, *since = NULL, *cursor = NULL, *resp;
	const char		*key = kind == GW_VILLAGE ? "villageId" :
				    "agentId";
	const char		*id = NULL;
	char			 cause[160], full[GW_NAME_MAX + 16];

	if (payload != NULL && json_object_is_type(payload,
	    json_type_object) && json_object_object_get_ex(payload, key, &v) &&
	    json_object_is_type(v, json_type_string))
		id = json_object_get_string(v);
	if (join && !gateway_join_allowed(c)) {
		resp = gw_sio_error("E_RATE_LIMIT", "too many join attempts");
		goto fail;
	}
	if (!join) {
		if (id != NULL && !gw_name_valid(id))
			id = NULL;
		gateway_unsubscribe(c, kind, id);
		resp = json_object_new_object();
		json_object_object_add(resp, "ok", json_object_new_boolean(1));
		if (id != NULL) {
			snprintf(full, sizeof full, "%s:%s",
			    gw_name_kind(kind), id);
			json_object_object_add(resp, "room",
			    json_object_new_string(full));
		}
		gw_sio_reply(w, ack, resp);
		json_object_put(resp);
		return;
	}
	if (id == NULL || !gw_name_valid(id)) {
		snprintf(cause, sizeof cause, "%s required", key);
		resp = gw_sio_error("E_BAD_PAYLOAD", cause);
		goto fail;
	}
	snprintf(full, sizeof full, "%s:%s", gw_name_kind(kind), id);
	if (!json_object_object_get_ex(payload, "since", &since) &&
	    w->auth_since != NULL)
		json_object_object_get_ex(w->auth_since, full, &since);
	if (gateway_subscribe(c, kind, id, since, &cursor, cause,
	    sizeof cause) == -1) {
		resp = gw_sio_error("E_BAD_PAYLOAD", cause);
		goto fail;
	}
	resp = json_object_new_object();
	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	json_object_object_add(resp, "room", json_object_new_string(full));
	json_object_object_add(resp, "cursor", cursor);
	gw_sio_reply(w, ack, resp);
	json_object_put(resp);
	return;
fail:
	sio_emit(w->sio, "ws_error", resp);
	gw_sio_reply(w, ack, resp);
	json_object_put(resp);
}

/* Client events (DESIGN section 7); others are ignored, as Socket.IO does. */
static void
gw_sio_event(void *arg, const char *name, struct json_object *args,
    long long ack)
{
	struct gw_wsc		*w = arg;
	struct gw_client	*c = w->c;
	struct json_object	*payload;

	if (c->closing || c->dying)
		return;
	payload = json_object_array_get_idx(args, 1);
	if (strcmp(name, "ping") == 0)
		gw_sio_reply(w, ack, NULL);
	else if (strcmp(name, "join_village") == 0)
		gw_sio_room(w, GW_VILLAGE, 1, payload, ack);
	else if (strcmp(name, "join_agent") == 0)
		gw_sio_room(w, GW_AGENT, 1, payload, ack);
	else if (strcmp(name, "leave_village") == 0)
		gw_sio_room(w, GW_VILLAGE, 0, payload, ack);
	else if (strcmp(name, "leave_agent") == 0)
		gw_sio_room(w, GW_AGENT, 0, payload, ack);
	else
		log_debug("gateway: socket.io client %" PRIu64 ": event "
		    "'%.40s' ignored", c->id, name);
}

/* The client left "/": it leaves its rooms too. */
static void
gw_sio_disconnect(void *arg)
{
	struct gw_wsc	*w = arg;

	gateway_leave_all(w->c);
}

static const struct sio_ops gw_sio_ops = {
	gw_sio_send, gw_sio_close, gw_sio_connect, gw_sio_event,
	gw_sio_disconnect
};

/* An Engine.IO handshake error: 400 {"code","message"} as engine.io does. */
static void
gw_sio_http_error(struct evhttp_request *req, int code, const char *message)
{
	struct evbuffer		*b;
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	b = evbuffer_new();
	evbuffer_add_printf(b, "%s\n", json_object_to_json_string_ext(o,
	    GW_JSON));
	json_object_put(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 400, "Bad Request", b);
	evbuffer_free(b);
}

/* Checks of a Socket.IO handshake's query; 0, or -1 once answered. */
int
gw_sio_check_query(struct evhttp_request *req, const struct evkeyvalq *q)
{
	const char	*eio, *transport;

	eio = evhttp_find_header(q, "EIO");
	transport = evhttp_find_header(q, "transport");
	if (transport != NULL && strcmp(transport, "polling") == 0) {
		gw_sio_http_error(req, 3, "Bad request: runnerd serves "
		    "Socket.IO over the websocket transport only; connect with "
		    "transports: ['websocket']");
		return (-1);
	}
	if (eio == NULL || strcmp(eio, "4") != 0) {
		gw_sio_http_error(req, 5, "Unsupported protocol version: want "
		    "EIO=4 (socket.io-client v3 or v4)");
		return (-1);
	}
	if (transport == NULL || strcmp(transport, "websocket") != 0) {
		gw_sio_http_error(req, 0, "Transport unknown: use transport="
		    "websocket");
		return (-1);
	}
	if (evhttp_find_header(q, "sid") != NULL) {
		gw_sio_http_error(req, 1, "Session ID unknown: there is no "
		    "polling session to upgrade");
		return (-1);
	}
	return (0);
}

/* One WebSocket text message: Engine.IO packets. */
static void
gw_sio_input(struct gw_wsc *w, const char *buf, size_t len)
{
	sio_input(w->sio, buf, len);
}

/* Speak Socket.IO on an upgraded WebSocket. */
void
gw_sio_open(struct gw_wsc *w)
{
	w->input = gw_sio_input;
	w->sio = sio_create(server_base, &gw_sio_ops, w,
	    server_cfg->sio_ping_interval_ms,
	    server_cfg->sio_ping_timeout_ms, GW_CONNECT_TIMEOUT_MS,
	    server_cfg->gateway_max_message_bytes);
	sio_start(w->sio);
}

/* The WebSocket is gone: its Socket.IO state goes with it. */
void
gw_sio_free(struct gw_wsc *w)
{
	sio_free(w->sio);
	w->sio = NULL;
	json_object_put(w->auth_since);
	w->auth_since = NULL;
}

/*
 * Transport: a Socket.IO client's events. work_stream_event, and in a
 * village room agent_spawn before a session's first event and
 * agent_disconnect after its last.
 */
void
gw_sio_deliver(struct gw_client *c, enum gw_kind kind, const char *room,
    struct gw_enc *e)
{
	int	village = kind == GW_VILLAGE;

	if (village && e->seq == 1)
		gateway_client_push(c, gw_enc_spawn(e));
	gateway_client_push(c, gw_enc_wse(e));
	if (village && e->type == EV_SESSION_ENDED)
		gateway_client_push(c, gw_enc_disc(e));
}

/* ws_error SLOW_CONSUMER, straight behind what the socket holds. */
void
gw_sio_slow(void *arg)
{
	struct gw_wsc		*w = arg;
	struct json_object	*err;
	struct evbuffer		*b;
	const char		*s;
	size_t			 len;

	b = evbuffer_new();
	err = gw_sio_error("SLOW_CONSUMER", "subscriber too slow: output "
	    "buffer limit reached; reconnect with your cursor to resume");
	s = json_object_to_json_string_length(err, GW_JSON, &len);
	sio_encode_event(b, "/", SIO_NO_ACK, "ws_error", s, len);
	ws_send(w->ws, evbuffer_pullup(b, -1), evbuffer_get_length(b));
	json_object_put(err);
	evbuffer_free(b);
}
