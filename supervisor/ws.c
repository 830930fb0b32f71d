/*
 * WebSocket (RFC 6455) on connections taken over from evhttp.
 *
 * Debian's libevent 2.1 has no WebSocket server, so an upgrade request is
 * answered by hand: inside the request callback the connection's
 * bufferevent gets the 101 response and our callbacks, its timeouts are
 * ours, and evhttp never hears from it again. The request stays queued on
 * its connection, unanswered, and evhttp_connection_free releases both
 * when the socket is done (never from inside the bufferevent's callbacks:
 * a dead connection is reaped from the loop). Frames are wslay's: parsing,
 * masking rules, fragmentation, UTF-8 of text, ping/pong and the close
 * handshake.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <wslay/wslay.h>

#include "common/log.h"
#include "common/util.h"
#include "supervisor/ws.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_OUT_HIGH	(256 * 1024)	/* output wslay may fill up to */
#define WS_OUT_LOW	(64 * 1024)	/* owner asked for more below */
#define WS_IN_HIGH	(256 * 1024)	/* unread input kept at most */
#define WS_LINGER_MS		500	/* quiet peer after our close */
#define WS_CLOSE_WAIT_MS 5000		/* bound on the close handshake */
#define WS_FLUSH_MAX	(64 * 1024)	/* written at once by ws_free */

enum ws_state {
	WS_OPEN,
	WS_CLOSING,	/* a close frame is on its way or wanted */
	WS_DEAD		/* waiting to be reaped from the loop */
};

struct ws_conn {
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	wslay_event_context_ptr		 ctx;
	const struct ws_ops		*ops;
	void				*arg;
	enum ws_state			 state;
	int				 in_recv;	/* in wslay recv */
	int				 kick;		/* input was buffered */
	int				 close_pending;	/* after queued data */
	int				 raw_close;	/* our own 1002 went out */
	int				 shut_wr;	/* FIN sent, draining */
	int64_t				 closing_at;	/* mono ms */
	uint16_t			 close_code;
	char				 close_reason[124];
	int64_t				 idle_ms;
	struct event			*deferred;	/* kick and reap */
	struct event			*timer;		/* pings, close wait */
	int				 dead_code;
	char				 dead_reason[WS_CAUSE_MAX];
	char				 peer[80];
};

static void	ws_flush(struct ws_conn *);

/* The accept value for a key: base64(SHA-1(key + GUID)). */
int
ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;
	char		buf[64];
	int		n;

	if (key == NULL || !ws_key_valid(key))
		return (-1);
	n = snprintf(buf, sizeof buf, "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof buf)
		return (-1);
	if (EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		return (-1);
	if (EVP_EncodeBlock((unsigned char *)out, md, 20) != WS_ACCEPT_LEN)
		return (-1);
	out[WS_ACCEPT_LEN] = '\0';
	return (0);
}

/* A key is 16 random bytes in base64: 22 characters and "==". */
int
ws_key_valid(const char *key)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i;

	if (key == NULL || strlen(key) != 24 || key[22] != '=' ||
	    key[23] != '=')
		return (0);
	for (i = 0; i < 22; i++)
		if (key[i] == '\0' || strchr(b64, key[i]) == NULL)
			return (0);
	/* The last character carries 2 bits of data and 4 of padding. */
	return (strchr("AQgw", key[21]) != NULL);
}

/* Token lists like "keep-alive, Upgrade", compared without case. */
int
ws_header_has_token(const char *value, const char *tok)
{
	const char	*p, *e;
	size_t		 n, len = strlen(tok);

	if (value == NULL)
		return (0);
	for (p = value; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p; *e != '\0' && *e != ','; e++)
			;
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == len && strncasecmp(p, tok, len) == 0)
			return (1);
	}
	return (0);
}

/* How many times a header appears (any case), and its first value. */
int
ws_header_count(const struct evkeyvalq *h, const char *key,
    const char **first)
{
	const struct evkeyval	*kv;
	int			 n = 0;

	*first = NULL;
	TAILQ_FOREACH(kv, h, next) {
		if (strcasecmp(kv->key, key) != 0)
			continue;
		if (n++ == 0)
			*first = kv->value;
	}
	return (n);
}

#define WS_FAIL(st, ...) do {						\
	*status = (st);							\
	snprintf(cause, causelen, __VA_ARGS__);				\
	return (-1);							\
} while (0)

/* What RFC 6455 section 4.2.1 asks of an opening handshake. */
int
ws_check_upgrade(int method, int major, int minor,
    const struct evkeyvalq *h, int *status, char *cause, size_t causelen)
{
	const char	*v;
	int		 n;

	if (method != EVHTTP_REQ_GET)
		WS_FAIL(405, "a WebSocket upgrade must be a GET request");
	if (major < 1 || (major == 1 && minor < 1))
		WS_FAIL(400, "a WebSocket upgrade needs HTTP/1.1");
	if (ws_header_count(h, "Host", &v) != 1 || *v == '\0')
		WS_FAIL(400, "a WebSocket upgrade needs one Host header");
	ws_header_count(h, "Upgrade", &v);
	if (!ws_header_has_token(v, "websocket"))
		WS_FAIL(400, "expected a WebSocket upgrade (Upgrade: "
		    "websocket)");
	ws_header_count(h, "Connection", &v);
	if (!ws_header_has_token(v, "upgrade"))
		WS_FAIL(400, "expected Connection: Upgrade");
	if (ws_header_count(h, "Sec-WebSocket-Version", &v) != 1 ||
	    strcmp(v, "13") != 0)
		WS_FAIL(426, "unsupported Sec-WebSocket-Version: want 13");
	n = ws_header_count(h, "Sec-WebSocket-Key", &v);
	if (n != 1 || !ws_key_valid(v))
		WS_FAIL(400, "missing or malformed Sec-WebSocket-Key");
	return (0);
}

/* The connection is over: stop everything and reap it from the loop. */
static void
ws_die(struct ws_conn *ws, int code, const char *reason)
{
	if (ws->state == WS_DEAD)
		return;
	ws->state = WS_DEAD;
	ws->dead_code = code;
	snprintf(ws->dead_reason, sizeof ws->dead_reason, "%s", reason);
	if (ws->bev != NULL)
		bufferevent_disable(ws->bev, EV_READ|EV_WRITE);
	evtimer_del(ws->timer);
	event_active(ws->deferred, 0, 0);
}

/* Release the connection, the request queued on it and our state. */
static void
ws_destroy(struct ws_conn *ws)
{
	if (ws->evcon != NULL) {
		/* This free is ours: the close callback has nothing to do. */
		evhttp_connection_set_closecb(ws->evcon, NULL, NULL);
		evhttp_connection_free(ws->evcon);
	}
	wslay_event_context_free(ws->ctx);
	event_free(ws->deferred);
	event_free(ws->timer);
	free(ws);
}

/* Enter the closing state: the handshake has WS_CLOSE_WAIT_MS to finish. */
static void
ws_closing(struct ws_conn *ws)
{
	struct timeval	tv = { WS_CLOSE_WAIT_MS / 1000,
			    (WS_CLOSE_WAIT_MS % 1000) * 1000 };

	if (ws->state != WS_OPEN)
		return;
	ws->state = WS_CLOSING;
	ws->closing_at = mono_ms();
	evtimer_add(ws->timer, &tv);
}

/*
 * Draining after our close: wait until the peer has been quiet for
 * WS_LINGER_MS (it has read our close and has nothing more to say), never
 * past the close wait.
 */
static void
ws_linger(struct ws_conn *ws)
{
	int64_t		left;
	struct timeval	tv;

	left = ws->closing_at + WS_CLOSE_WAIT_MS - mono_ms();
	if (left > WS_LINGER_MS)
		left = WS_LINGER_MS;
	if (left < 0)
		left = 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(ws->timer, &tv);
}

/* See whether the close handshake is complete and the output written. */
static void
ws_check(struct ws_conn *ws)
{
	int	code;

	if (ws->state == WS_DEAD)
		return;
	if (!wslay_event_get_read_enabled(ws->ctx) ||
	    !wslay_event_get_write_enabled(ws->ctx))
		ws_closing(ws);
	if (ws->state != WS_CLOSING || (!wslay_event_get_close_sent(ws->ctx) &&
	    !ws->raw_close) || wslay_event_get_read_enabled(ws->ctx) ||
	    evbuffer_get_length(bufferevent_get_output(ws->bev)) != 0)
		return;
	if (wslay_event_get_close_received(ws->ctx)) {
		code = wslay_event_get_status_code_received(ws->ctx);
		ws_die(ws, code, "closed");
		return;
	}
	/*
	 * We closed (an error, a slow subscriber) and the peer has not
	 * answered. Closing the socket now, with its data unread, would make
	 * the kernel reset the connection, and a reset can destroy our close
	 * frame before the peer reads it. Half-close instead and drain what
	 * it still sends until its EOF or the end of the close wait.
	 */
	if (!ws->shut_wr) {
		ws->shut_wr = 1;
		shutdown(bufferevent_getfd(ws->bev), SHUT_WR);
		ws_linger(ws);
	}
}

/* Hand wslay's queue to the socket's output, as far as it takes it. */
static void
ws_flush(struct ws_conn *ws)
{
	if (ws->state == WS_DEAD || ws->in_recv)
		return;
	if (ws->close_pending && wslay_event_get_queued_msg_count(ws->ctx) ==
	    0) {
		ws->close_pending = 0;
		wslay_event_queue_close(ws->ctx, ws->close_code,
		    (const uint8_t *)ws->close_reason,
		    strlen(ws->close_reason));
	}
	if (wslay_event_send(ws->ctx) != 0) {
		ws_die(ws, WSLAY_CODE_ABNORMAL_CLOSURE, "write failed");
		return;
	}
	ws_check(ws);
}

/* wslay wants bytes: whatever the bufferevent has read. */
static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct ws_conn	*ws = arg;
	int		 n;

	if (ws->bev == NULL) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	n = evbuffer_remove(bufferevent_get_input(ws->bev), buf, len);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	return (n);
}

/* wslay has bytes to send: into the output, up to WS_OUT_HIGH queued. */
static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct ws_conn	*ws = arg;
	struct evbuffer	*out;

	if (ws->bev == NULL || ws->state == WS_DEAD) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	out = bufferevent_get_output(ws->bev);
	if (evbuffer_get_length(out) >= WS_OUT_HIGH) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	if (evbuffer_add(out, data, len) == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	return ((ssize_t)len);
}

/*
 * wslay answers some protocol violations with a close frame that has no
 * status code; RFC 6455 wants 1002. When that close is all wslay holds (no
 * frame half written), send our own 1002 instead and stop wslay's writer.
 */
static void
ws_close_protocol_error(struct ws_conn *ws)
{
	static const uint8_t	close1002[] = { 0x88, 0x02,
				    WSLAY_CODE_PROTOCOL_ERROR >> 8,
				    WSLAY_CODE_PROTOCOL_ERROR & 0xff };

	if (ws->raw_close || wslay_event_get_close_sent(ws->ctx) ||
	    wslay_event_get_queued_msg_count(ws->ctx) != 1)
		return;
	wslay_event_shutdown_write(ws->ctx);
	bufferevent_write(ws->bev, close1002, sizeof close1002);
	ws->raw_close = 1;
}

/* A whole message from wslay: data goes to the owner while we are open. */
static void
ws_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct ws_conn	*ws = arg;

	if (ws->state != WS_OPEN)
		return;
	/* A close payload of one byte cannot hold a status code. */
	if (m->opcode == WSLAY_CONNECTION_CLOSE && m->msg_length == 1) {
		ws_close_protocol_error(ws);
		return;
	}
	if (m->opcode == WSLAY_TEXT_FRAME || m->opcode == WSLAY_BINARY_FRAME)
		ws->ops->message(ws->arg, m->opcode == WSLAY_BINARY_FRAME,
		    m->msg, m->msg_length);
}

/* Bytes arrived: let wslay parse them, then send what it queued. */
static void
ws_read_cb(struct bufferevent *bev, void *arg)
{
	struct ws_conn	*ws = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	int		 r;

	if (ws->state == WS_DEAD)
		return;
	if (!wslay_event_get_read_enabled(ws->ctx)) {
		/* Past a close or an error, input means nothing. */
		evbuffer_drain(in, evbuffer_get_length(in));
		if (ws->shut_wr)
			ws_linger(ws);
		ws_check(ws);
		return;
	}
	ws->in_recv = 1;
	r = wslay_event_recv(ws->ctx);
	ws->in_recv = 0;
	if (r != 0) {
		/*
		 * Our recv callback only fails when it has nothing to give,
		 * so this is a framing violation (a control frame over 125
		 * bytes or fragmented, a bad length): wslay stopped reading
		 * and queued a close frame without a status code.
		 */
		log_debug("ws %s: framing error", ws->peer);
		ws_close_protocol_error(ws);
		ws_closing(ws);
	}
	ws_flush(ws);
}

/* The output drained below the low watermark: more from wslay, then ask. */
static void
ws_write_cb(struct bufferevent *bev, void *arg)
{
	struct ws_conn	*ws = arg;

	if (ws->state == WS_DEAD)
		return;
	ws_flush(ws);
	if (ws->state == WS_OPEN && ws_pending(ws) < WS_OUT_LOW &&
	    ws->ops->drained != NULL)
		ws->ops->drained(ws->arg);
	ws_check(ws);
}

/* EOF, a socket error or a timeout: the connection is gone. */
static void
ws_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ws_conn	*ws = arg;
	char		 reason[WS_CAUSE_MAX];

	if (ws->state == WS_DEAD)
		return;
	if ((what & BEV_EVENT_EOF) && ws->shut_wr)
		ws_die(ws, ws->raw_close ? WSLAY_CODE_PROTOCOL_ERROR :
		    wslay_event_get_status_code_sent(ws->ctx), "closed");
	else if (what & BEV_EVENT_EOF)
		ws_die(ws, WSLAY_CODE_ABNORMAL_CLOSURE, "peer closed the "
		    "connection");
	else if (what & BEV_EVENT_TIMEOUT)
		ws_die(ws, WSLAY_CODE_GOING_AWAY, (what & BEV_EVENT_READING) ?
		    "idle timeout" : "write timeout");
	else {
		snprintf(reason, sizeof reason, "socket error: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		ws_die(ws, WSLAY_CODE_ABNORMAL_CLOSURE, reason);
	}
}

/* Pings while open; the end of the close wait while closing. */
static void
ws_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_conn		*ws = arg;
	struct wslay_event_msg	 ping = { WSLAY_PING, NULL, 0 };
	struct timeval		 tv;

	switch (ws->state) {
	case WS_DEAD:
		return;
	case WS_CLOSING:
		if (ws->shut_wr)
			ws_die(ws, ws->raw_close ? WSLAY_CODE_PROTOCOL_ERROR :
			    wslay_event_get_status_code_sent(ws->ctx),
			    "closed");
		else
			ws_die(ws, WSLAY_CODE_ABNORMAL_CLOSURE, "close "
			    "handshake timed out");
		return;
	case WS_OPEN:
		wslay_event_queue_msg(ws->ctx, &ping);
		ws_flush(ws);
		tv.tv_sec = ws->idle_ms / 2000;
		tv.tv_usec = (ws->idle_ms / 2 % 1000) * 1000;
		evtimer_add(ws->timer, &tv);
		return;
	}
}

/* From the loop: input that came with the upgrade, or the final reaping. */
static void
ws_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_conn	*ws = arg;

	if (ws->state == WS_DEAD) {
		log_debug("ws %s: %s (%d)", ws->peer, ws->dead_reason,
		    ws->dead_code);
		ws->ops->closed(ws->arg, ws->dead_code, ws->dead_reason);
		ws_destroy(ws);
		return;
	}
	if (ws->kick) {
		ws->kick = 0;
		ws_read_cb(ws->bev, ws);
	}
}

/*
 * evhttp frees the connection itself: only evhttp_free does that to a
 * connection we own, at exit. Forget it; gateway_shutdown frees the rest.
 */
static void
ws_evcon_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct ws_conn	*ws = arg;

	log_debug("ws %s: connection freed by evhttp", ws->peer);
	ws->evcon = NULL;
	ws->bev = NULL;
	if (ws->state != WS_DEAD) {
		ws->state = WS_DEAD;
		evtimer_del(ws->timer);
	}
}

/* Answer 101 and move the connection from evhttp to us. */
struct ws_conn *
ws_upgrade(struct evhttp_request *req, const struct ws_ops *ops, void *arg,
    size_t max_msg, int64_t idle_ms)
{
	static const struct wslay_event_callbacks cbs = {
		ws_recv_cb, ws_send_cb, NULL, NULL, NULL, NULL, ws_msg_cb
	};
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct event_base		*base;
	struct ws_conn			*ws;
	struct timeval			 idle, ping;
	char				 accept[WS_ACCEPT_LEN + 1], *addr;
	const char			*key;
	ev_uint16_t			 port;

	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return (NULL);
	key = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Sec-WebSocket-Key");
	if (ws_accept_key(key, accept) == -1)
		return (NULL);
	base = bufferevent_get_base(bev);

	ws = xcalloc(1, sizeof *ws);
	if (wslay_event_context_server_init(&ws->ctx, &cbs, ws) != 0) {
		free(ws);
		return (NULL);
	}
	wslay_event_config_set_max_recv_msg_length(ws->ctx, max_msg);
	ws->evcon = evcon;
	ws->bev = bev;
	ws->ops = ops;
	ws->arg = arg;
	ws->idle_ms = idle_ms > 1000 ? idle_ms : 1000;
	evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(ws->peer, sizeof ws->peer, "%s:%u", addr != NULL ? addr :
	    "?", (unsigned)port);
	ws->deferred = event_new(base, -1, 0, ws_deferred_cb, ws);
	ws->timer = evtimer_new(base, ws_timer_cb, ws);

	/* From here on evhttp does not see this connection's events. */
	evhttp_connection_set_closecb(evcon, ws_evcon_closed_cb, ws);
	bufferevent_setcb(bev, ws_read_cb, ws_write_cb, ws_event_cb, ws);
	idle.tv_sec = ws->idle_ms / 1000;
	idle.tv_usec = (ws->idle_ms % 1000) * 1000;
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_setwatermark(bev, EV_WRITE, WS_OUT_LOW, 0);
	bufferevent_setwatermark(bev, EV_READ, 0, WS_IN_HIGH);
	evbuffer_add_printf(bufferevent_get_output(bev),
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n"
	    "\r\n", accept);
	bufferevent_enable(bev, EV_READ|EV_WRITE);
	ping.tv_sec = ws->idle_ms / 2000;
	ping.tv_usec = (ws->idle_ms / 2 % 1000) * 1000;
	evtimer_add(ws->timer, &ping);
	/* Frames sent right behind the request are already read. */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
		ws->kick = 1;
		event_active(ws->deferred, 0, 0);
	}
	return (ws);
}

/* Queue one text message behind the others. */
int
ws_send(struct ws_conn *ws, const void *data, size_t len)
{
	struct wslay_event_msg	msg;

	if (ws->state != WS_OPEN || ws->close_pending)
		return (-1);
	msg.opcode = WSLAY_TEXT_FRAME;
	msg.msg = data;
	msg.msg_length = len;
	if (wslay_event_queue_msg(ws->ctx, &msg) != 0)
		return (-1);
	ws_flush(ws);
	return (0);
}

/* What wslay still holds plus what the socket has not taken. */
size_t
ws_pending(struct ws_conn *ws)
{
	size_t	n = wslay_event_get_queued_msg_length(ws->ctx);

	if (ws->bev != NULL)
		n += evbuffer_get_length(bufferevent_get_output(ws->bev));
	return (n);
}

/*
 * The close frame follows the messages already queued (so a last error
 * message reaches the client), within WS_CLOSE_WAIT_MS.
 */
void
ws_close(struct ws_conn *ws, uint16_t code, const char *reason)
{
	if (ws->state != WS_OPEN || ws->close_pending)
		return;
	ws->close_pending = 1;
	ws->close_code = code;
	snprintf(ws->close_reason, sizeof ws->close_reason, "%s",
	    reason != NULL ? reason : "");
	ws_closing(ws);
	ws_flush(ws);
}

/*
 * One non-blocking write of what the output holds, if it is small: a
 * bufferevent's output cannot be drained or copied by hand (its start is
 * frozen), so its chains are peeked at. Nobody reads the output after this.
 */
static void
ws_write_now(struct ws_conn *ws)
{
	struct evbuffer		*out = bufferevent_get_output(ws->bev);
	struct evbuffer_iovec	 v[8];
	struct iovec		 iov[8];
	struct msghdr		 msg;
	size_t			 len = evbuffer_get_length(out);
	int			 n, i;

	if (len == 0 || len > WS_FLUSH_MAX)
		return;
	if ((n = evbuffer_peek(out, -1, NULL, v, 8)) <= 0 || n > 8)
		return;
	for (i = 0; i < n; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	if (sendmsg(bufferevent_getfd(ws->bev), &msg,
	    MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
		log_debug("ws %s: close frame not written", ws->peer);
}

/* Shutdown: a last close frame if it fits, then drop everything. */
void
ws_free(struct ws_conn *ws, uint16_t code, const char *reason)
{
	size_t	len;

	if (ws->state != WS_DEAD && ws->bev != NULL) {
		if (ws->close_pending) {
			code = ws->close_code;
			reason = ws->close_reason;
		}
		if (ws->close_pending || ws->state == WS_OPEN) {
			len = reason != NULL ? strlen(reason) : 0;
			wslay_event_queue_close(ws->ctx, code,
			    (const uint8_t *)reason, len > 123 ? 123 : len);
		}
		ws->in_recv = 0;
		ws->close_pending = 0;
		if (wslay_event_send(ws->ctx) == 0)
			ws_write_now(ws);
	}
	ws_destroy(ws);
}
