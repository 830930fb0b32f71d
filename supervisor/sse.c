/*
 * Server-sent events: one session's events on a chunked HTTP response.
 *
 * The response stays evhttp's: events are chunks that reference the
 * gateway's shared bytes (evbuffer_add_reference, no copy), evhttp tells us
 * when the output is written (the chunk callback) and when the client is
 * gone (the connection's close callback). Everything that ends the stream
 * happens from the loop, never inside evhttp's own callbacks. When the
 * client vanishes mid-stream, evhttp detaches the request from the dying
 * connection and leaves it to us: evhttp_send_reply_end frees it then.
 */
#include "config.h"

#include <sys/types.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/gateway.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sse.h"

#define SSE_IN_HIGH	(64 * 1024)	/* unread input kept at most */

enum sse_end {
	SSE_LIVE,
	SSE_END,	/* finish the response after what was sent */
	SSE_DROP,	/* drop the connection now */
	SSE_GONE	/* the client went away */
};

struct sse_stream {
	struct evhttp_request		*req;
	struct evhttp_connection	*evcon;
	struct gw_client		*client;
	struct event			*heartbeat;
	struct event			*deferred;
	enum sse_end			 end;
	int				 detached;	/* req is ours */
};

/* One event as SSE, ready to share: "id: N\nevent: TYPE\ndata: LINE\n\n". */
static struct gw_blob *
sse_encode(uint64_t seq, const char *type, const char *line, size_t len)
{
	struct evbuffer	*b;
	struct gw_blob	*blob;
	size_t		 i;

	b = evbuffer_new();
	evbuffer_add_printf(b, "id: %" PRIu64 "\nevent: ", seq);
	/* A type is a name from the event model; never let it break lines. */
	for (i = 0; type[i] != '\0' && i < 64; i++)
		evbuffer_add(b, type[i] == '\n' || type[i] == '\r' ? "_" :
		    &type[i], 1);
	evbuffer_add(b, "\ndata: ", 7);
	evbuffer_add(b, line, len);
	evbuffer_add(b, "\n\n", 2);
	blob = gw_blob_new(evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
	return (blob);
}

/* Transport: the SSE form of the event, made once for every stream. */
static void
sse_deliver(struct gw_client *c, enum gw_kind kind, const char *room,
    struct gw_enc *e)
{
	if (e->sse == NULL)
		e->sse = sse_encode(e->seq, e->tname, e->line, e->len);
	gateway_client_push(c, e->sse);
}

/* Free a stream's own state (not the request). */
static void
sse_free(struct sse_stream *st)
{
	event_free(st->heartbeat);
	event_free(st->deferred);
	free(st);
}

/* The reference a chunk held on a blob is released once it is written. */
static void
sse_unref_cb(const void *data, size_t len, void *arg)
{
	gw_blob_unref(arg);
}

/* evhttp wrote everything we handed it. */
static void
sse_drained_cb(struct evhttp_connection *evcon, void *arg)
{
	struct sse_stream	*st = arg;

	if (st->end == SSE_LIVE)
		gateway_client_drained(st->client);
}

/* One chunk on the response, with the write-done callback armed. */
static void
sse_chunk(struct sse_stream *st, struct evbuffer *b)
{
	if (st->evcon != NULL && st->end == SSE_LIVE)
		evhttp_send_reply_chunk_with_cb(st->req, b, sse_drained_cb,
		    st);
}

/* Put a blob on the response by reference. */
static void
sse_send(void *arg, struct gw_blob *blob)
{
	struct sse_stream	*st = arg;
	struct evbuffer		*b;

	b = evbuffer_new();
	evbuffer_add_reference(b, blob->data, blob->len, sse_unref_cb,
	    gw_blob_ref(blob));
	sse_chunk(st, b);
	evbuffer_free(b);
}

/* What the connection has not written yet. */
static size_t
sse_pending(void *arg)
{
	struct sse_stream	*st = arg;

	if (st->evcon == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(
	    evhttp_connection_get_bufferevent(st->evcon))));
}

/* End the stream from the loop: gracefully or at once. */
static void
sse_close(void *arg, int code, const char *reason)
{
	struct sse_stream	*st = arg;

	if (st->end != SSE_LIVE)
		return;
	st->end = code == 1000 ? SSE_END : SSE_DROP;
	event_active(st->deferred, 0, 0);
}

/* Shutdown: end the response now; no callback to the gateway. */
static void
sse_abort(void *arg)
{
	struct sse_stream	*st = arg;

	if (st->evcon != NULL) {
		evhttp_connection_set_closecb(st->evcon, NULL, NULL);
		evhttp_send_reply_end(st->req);
	} else if (st->detached)
		evhttp_send_reply_end(st->req);
	sse_free(st);
}

static const struct gw_transport sse_transport = {
	GW_SSE, sse_deliver, sse_send, sse_pending, NULL, sse_close,
	sse_abort
};

/* From the loop: finish, drop or forget the response, then let go. */
static void
sse_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sse_stream	*st = arg;

	if (st->evcon != NULL) {
		evhttp_connection_set_closecb(st->evcon, NULL, NULL);
		if (st->end == SSE_END)
			/* Connection: close: evhttp frees it once written. */
			evhttp_send_reply_end(st->req);
		else
			evhttp_connection_free(st->evcon);
	} else if (st->detached)
		evhttp_send_reply_end(st->req);	/* frees the request */
	gateway_client_gone(st->client);
	sse_free(st);
}

/*
 * The connection is being freed by evhttp: the client went away (the
 * request was detached and is ours), or evhttp_free (it frees the request).
 */
static void
sse_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct sse_stream	*st = arg;

	st->evcon = NULL;
	if (evhttp_request_get_connection(st->req) == NULL)
		st->detached = 1;
	if (st->end == SSE_LIVE)
		st->end = SSE_GONE;
	event_active(st->deferred, 0, 0);
}

/* A comment line keeps proxies and clients from timing out. */
static void
sse_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sse_stream	*st = arg;
	struct evbuffer		*b;

	if (st->end != SSE_LIVE || st->evcon == NULL)
		return;
	b = evbuffer_new();
	evbuffer_add(b, ": heartbeat\n\n", 13);
	sse_chunk(st, b);
	evbuffer_free(b);
}

/* Start an event stream on the request. */
void
sse_start(struct evhttp_request *req, struct session *s, uint64_t after)
{
	struct sse_stream	*st;
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;
	struct evbuffer		*b;
	struct timeval		 tv;
	const char		*lei;
	char			 msg[160], *addr, peer[80];
	ev_uint16_t		 port;
	uint64_t		 v;

	lei = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Last-Event-ID");
	if (lei != NULL && gw_name_seq(lei, &v) == 0)
		after = v;
	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return;
	if (!gateway_admit(msg, sizeof msg)) {
		b = evbuffer_new();
		evbuffer_add_printf(b, "{\"error\":{\"code\":\"%s\","
		    "\"message\":\"%s\"}}\n", server_exiting ?
		    "SHUTTING_DOWN" : "TOO_MANY_CONNECTIONS", msg);
		evhttp_add_header(h, "Content-Type", "application/json");
		evhttp_add_header(h, "Retry-After", "5");
		evhttp_send_reply(req, 503, NULL, b);
		evbuffer_free(b);
		return;
	}
	evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(peer, sizeof peer, "%s:%u", addr != NULL ? addr : "?",
	    (unsigned)port);

	evhttp_add_header(h, "Content-Type", "text/event-stream; "
	    "charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* The headers a stream would have, and no stream. */
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	/* One stream per connection: evhttp frees it when the stream ends. */
	evhttp_add_header(h, "Connection", "close");
	evhttp_send_reply_start(req, 200, "OK");

	st = xcalloc(1, sizeof *st);
	st->req = req;
	st->evcon = evcon;
	st->heartbeat = event_new(server_base, -1, EV_PERSIST,
	    sse_heartbeat_cb, st);
	st->deferred = event_new(server_base, -1, 0, sse_deferred_cb, st);
	evhttp_connection_set_closecb(evcon, sse_closed_cb, st);
	bev = evhttp_connection_get_bufferevent(evcon);
	/* No read timeout (nothing to read); a stuck writer is dropped. */
	tv.tv_sec = server_cfg->gateway_idle_timeout_ms / 1000;
	tv.tv_usec = (server_cfg->gateway_idle_timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(bev, NULL, &tv);
	bufferevent_setwatermark(bev, EV_READ, 0, SSE_IN_HIGH);
	tv.tv_sec = server_cfg->sse_heartbeat_ms / 1000;
	tv.tv_usec = (server_cfg->sse_heartbeat_ms % 1000) * 1000;
	evtimer_add(st->heartbeat, &tv);

	b = evbuffer_new();
	evbuffer_add_printf(b, ": session %s\n\n", s->id);
	sse_chunk(st, b);
	evbuffer_free(b);
	st->client = gateway_follow(&sse_transport, st, s, after, peer);
}
