/*
 * Unit tests for the WebSocket layer (supervisor/ws.c): the handshake's
 * accept value (RFC 6455's example), the checks of an upgrade request, and
 * real round trips: an evhttp server on a loopback port upgrades with
 * ws_upgrade, a client speaks to it through wslay's client side over a
 * non-blocking socket, both driven from this thread. Hostile clients send
 * raw bytes: a frame cut short, a message over the limit, an abrupt close.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <wslay/wslay.h>

#include "common/util.h"
#include "supervisor/ws.h"
#include "unit.h"

#define KEY	"dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define MAXMSG	(64 * 1024)

START_TEST(test_accept_rfc)
{
	char	out[WS_ACCEPT_LEN + 1];

	ck_assert_int_eq(ws_accept_key(KEY, out), 0);
	ck_assert_str_eq(out, ACCEPT);
}
END_TEST

START_TEST(test_key_valid)
{
	static const char *const bad[] = {
		"", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
		"dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZR==",
		"dGhlIHNhbXBsZSBub25j*Q==", "dGhlIHNhbXBsZSBub25jZ ==",
		"dGhlIHNhbXBsZSBub25jZQ==x", "AAAAAAAAAAAAAAAAAAAAAAAA",
	};
	char	out[WS_ACCEPT_LEN + 1];
	size_t	i;

	ck_assert(ws_key_valid(KEY));
	ck_assert(ws_key_valid("AAAAAAAAAAAAAAAAAAAAAA=="));
	ck_assert(ws_key_valid("+/+/+/+/+/+/+/+/+/+/+w=="));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(!ws_key_valid(bad[i]), "accepted '%s'", bad[i]);
		ck_assert_int_eq(ws_accept_key(bad[i], out), -1);
	}
	ck_assert(!ws_key_valid(NULL));
	ck_assert_int_eq(ws_accept_key(NULL, out), -1);
}
END_TEST

START_TEST(test_header_token)
{
	ck_assert(ws_header_has_token("Upgrade", "upgrade"));
	ck_assert(ws_header_has_token("keep-alive, Upgrade", "upgrade"));
	ck_assert(ws_header_has_token(" keep-alive ,\tUPGRADE\t", "upgrade"));
	ck_assert(!ws_header_has_token("keep-alive", "upgrade"));
	ck_assert(!ws_header_has_token("upgrades", "upgrade"));
	ck_assert(!ws_header_has_token("xupgrade", "upgrade"));
	ck_assert(!ws_header_has_token("", "upgrade"));
	ck_assert(!ws_header_has_token(",,,", "upgrade"));
	ck_assert(!ws_header_has_token(NULL, "upgrade"));
}
END_TEST

/* Headers of a good upgrade request, minus the one named skip. */
static void
good_headers(struct evkeyvalq *h, const char *skip)
{
	static const char *const kv[] = {
		"Host", "127.0.0.1:3000",
		"Upgrade", "websocket",
		"Connection", "keep-alive, Upgrade",
		"Sec-WebSocket-Version", "13",
		"Sec-WebSocket-Key", KEY,
	};
	size_t	i;

	TAILQ_INIT(h);
	for (i = 0; i < sizeof kv / sizeof kv[0]; i += 2)
		if (skip == NULL || strcmp(kv[i], skip) != 0)
			evhttp_add_header(h, kv[i], kv[i + 1]);
}

/* ws_check_upgrade on a request, the status it answers (0 when good). */
static int
check_req(int method, int major, int minor, struct evkeyvalq *h)
{
	char	cause[WS_CAUSE_MAX];
	int	status = 0;

	if (ws_check_upgrade(method, major, minor, h, &status, cause,
	    sizeof cause) == 0)
		return (0);
	ck_assert(*cause != '\0');
	return (status);
}

START_TEST(test_check_upgrade)
{
	static const char *const needed[] = {
		"Host", "Upgrade", "Connection", "Sec-WebSocket-Key"
	};
	struct evkeyvalq	h;
	size_t			i;

	good_headers(&h, NULL);
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 1, 1, &h), 0);
	ck_assert_int_eq(check_req(EVHTTP_REQ_POST, 1, 1, &h), 405);
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 1, 0, &h), 400);
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 0, 9, &h), 400);
	/* Two keys are one too many. */
	evhttp_add_header(&h, "Sec-WebSocket-Key", KEY);
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 1, 1, &h), 400);
	evhttp_clear_headers(&h);

	for (i = 0; i < sizeof needed / sizeof needed[0]; i++) {
		good_headers(&h, needed[i]);
		ck_assert_msg(check_req(EVHTTP_REQ_GET, 1, 1, &h) == 400,
		    "without %s", needed[i]);
		evhttp_clear_headers(&h);
	}
	good_headers(&h, "Sec-WebSocket-Version");
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 1, 1, &h), 426);
	evhttp_add_header(&h, "Sec-WebSocket-Version", "8");
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 1, 1, &h), 426);
	evhttp_clear_headers(&h);

	good_headers(&h, "Upgrade");
	evhttp_add_header(&h, "Upgrade", "h2c");
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 1, 1, &h), 400);
	evhttp_clear_headers(&h);

	good_headers(&h, "Sec-WebSocket-Key");
	evhttp_add_header(&h, "Sec-WebSocket-Key", "short");
	ck_assert_int_eq(check_req(EVHTTP_REQ_GET, 1, 1, &h), 400);
	evhttp_clear_headers(&h);
}
END_TEST

/* ---- Round trips: an evhttp server and a wslay client, one thread. ---- */

struct srv {
	struct ws_conn	*ws;
	int		 upgrades;
	int		 msgs;
	size_t		 last_len;
	int		 binary;
	int		 drained;
	int		 closed;
	int		 code;
	char		 reason[WS_CAUSE_MAX];
	int		 echo;
};

struct cli {
	int			 fd;
	wslay_event_context_ptr	 ctx;
	int			 msgs;
	size_t			 last_len;
	int			 last_op;
	char			 last[256];
	int			 close_code;
	int			 eof;
};

static struct event_base	*base;
static struct evhttp		*http;
static int			 port;
static struct srv		 srv;
static struct cli		 cli;

static void
srv_message(void *arg, int binary, const unsigned char *data, size_t len)
{
	srv.msgs++;
	srv.last_len = len;
	srv.binary = binary;
	if (srv.echo)
		ws_send(srv.ws, data, len);
}

static void
srv_drained(void *arg)
{
	srv.drained++;
}

static void
srv_closed(void *arg, int code, const char *reason)
{
	srv.closed++;
	srv.code = code;
	snprintf(srv.reason, sizeof srv.reason, "%s", reason);
	srv.ws = NULL;
}

static const struct ws_ops srv_ops = { srv_message, srv_drained, srv_closed };

/* /ws upgrades, anything else is a plain 200. */
static void
srv_request_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*b;
	char		 cause[WS_CAUSE_MAX];
	int		 status;

	if (strcmp(evhttp_request_get_uri(req), "/ws") == 0 &&
	    ws_check_upgrade(evhttp_request_get_command(req), 1, 1,
	    evhttp_request_get_input_headers(req), &status, cause,
	    sizeof cause) == 0) {
		srv.upgrades++;
		srv.ws = ws_upgrade(req, &srv_ops, &srv, MAXMSG, 60000);
		ck_assert(srv.ws != NULL);
		return;
	}
	b = evbuffer_new();
	evbuffer_add_printf(b, "plain\n");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
rt_setup(void)
{
	struct evhttp_bound_socket	*bs;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof sin;

	memset(&srv, 0, sizeof srv);
	memset(&cli, 0, sizeof cli);
	cli.fd = -1;
	srv.echo = 1;
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, srv_request_cb, NULL);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	ck_assert(bs != NULL);
	ck_assert_int_eq(getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
}

static void
rt_teardown(void)
{
	if (cli.ctx != NULL)
		wslay_event_context_free(cli.ctx);
	if (cli.fd != -1)
		close(cli.fd);
	if (srv.ws != NULL)
		ws_free(srv.ws, 1001, "test over");
	evhttp_free(http);
	event_base_free(base);
}

/* A non-blocking client socket connected to the server. */
static int
cli_connect(void)
{
	struct sockaddr_in	sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_ne(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	    -1);
	return (fd);
}

/* Write all of s on a non-blocking socket, running the server meanwhile. */
static void
cli_write(int fd, const void *s, size_t len)
{
	const char	*p = s;
	ssize_t		 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			continue;
		}
		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

static ssize_t
cli_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	ssize_t	n = recv(cli.fd, buf, len, 0);

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	if (n <= 0) {
		cli.eof = 1;
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	return (n);
}

static ssize_t
cli_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	ssize_t	n = send(cli.fd, data, len, MSG_NOSIGNAL);

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	if (n == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	return (n);
}

static int
cli_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    void *arg)
{
	size_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)random();
	return (0);
}

static void
cli_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	size_t	n;

	cli.msgs++;
	cli.last_op = m->opcode;
	cli.last_len = m->msg_length;
	n = m->msg_length < sizeof cli.last - 1 ? m->msg_length :
	    sizeof cli.last - 1;
	if (n > 0)
		memcpy(cli.last, m->msg, n);
	cli.last[n] = '\0';
	if (m->opcode == WSLAY_CONNECTION_CLOSE)
		cli.close_code = m->status_code;
}

/* Run server and client until cond() holds or ms pass; cond()'s value. */
static int
pump(int (*cond)(void), int ms)
{
	struct pollfd	pfd;
	int64_t		end = mono_ms() + ms;

	/* By the clock: a poll on a closed socket returns at once. */
	while (mono_ms() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (cli.ctx != NULL && !cli.eof) {
			if (wslay_event_want_write(cli.ctx))
				wslay_event_send(cli.ctx);
			pfd.fd = cli.fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 1) == 1 &&
			    wslay_event_want_read(cli.ctx))
				wslay_event_recv(cli.ctx);
		} else
			usleep(1000);
		if (cond())
			return (1);
	}
	return (cond());
}

/* Connect, upgrade, check the 101, and start a wslay client. */
static void
cli_open(void)
{
	static const struct wslay_event_callbacks cbs = {
		cli_recv_cb, cli_send_cb, cli_genmask_cb, NULL, NULL, NULL,
		cli_msg_cb
	};
	char	buf[1024], req[512];
	size_t	got = 0;
	ssize_t	n;
	int	i;

	buf[0] = '\0';
	cli.fd = cli_connect();
	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    port);
	cli_write(cli.fd, req, strlen(req));
	for (i = 0; i < 2000 && strstr(buf, "\r\n\r\n") == NULL; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = recv(cli.fd, buf + got, 1, 0);	/* not past the head */
		if (n == 1) {
			got++;
			buf[got] = '\0';
		} else
			usleep(500);
		ck_assert_uint_lt(got, sizeof buf - 1);
		buf[got] = '\0';
	}
	ck_assert_msg(strncmp(buf, "HTTP/1.1 101 ", 13) == 0, "got %s", buf);
	ck_assert(strstr(buf, "\r\nSec-WebSocket-Accept: " ACCEPT "\r\n") !=
	    NULL);
	ck_assert(strstr(buf, "\r\nUpgrade: websocket\r\n") != NULL);
	ck_assert_int_eq(wslay_event_context_client_init(&cli.ctx, &cbs,
	    NULL), 0);
}

static void
cli_text(const char *s, size_t len)
{
	struct wslay_event_msg	m = { WSLAY_TEXT_FRAME, (const uint8_t *)s,
				    len };

	ck_assert_int_eq(wslay_event_queue_msg(cli.ctx, &m), 0);
}

static int	want_msgs;

/* Conditions for pump(). */
static int	cond_cli_msgs(void) { return (cli.msgs >= want_msgs); }
static int	cond_srv_closed(void) { return (srv.closed > 0); }
static int	cond_srv_drained(void) { return (srv.drained > 0); }
static int	cond_srv_ws(void) { return (srv.ws != NULL); }

START_TEST(test_rt_echo)
{
	cli_open();
	cli_text("hello", 5);
	want_msgs = 1;
	ck_assert(pump(cond_cli_msgs, 2000));
	ck_assert_int_eq(cli.last_op, WSLAY_TEXT_FRAME);
	ck_assert_str_eq(cli.last, "hello");
	ck_assert_int_eq(srv.msgs, 1);
	ck_assert(!srv.binary);
}
END_TEST

/* A fragmented message source for wslay: 20000 bytes of 'f'. */
static ssize_t
frag_read_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    const union wslay_event_msg_source *src, int *eof, void *arg)
{
	static size_t	left;

	if (src->fd == 0) {
		left = 20000;
		((union wslay_event_msg_source *)src)->fd = 1;
	}
	if (len > left)
		len = left;
	memset(buf, 'f', len);
	left -= len;
	if (left == 0)
		*eof = 1;
	return ((ssize_t)len);
}

START_TEST(test_rt_fragments_ping)
{
	struct wslay_event_fragmented_msg	 fm;
	struct wslay_event_msg			 ping = { WSLAY_PING,
						    (const uint8_t *)"abc",
						    3 };

	cli_open();
	memset(&fm, 0, sizeof fm);
	fm.opcode = WSLAY_TEXT_FRAME;
	fm.source.fd = 0;
	fm.read_callback = frag_read_cb;
	ck_assert_int_eq(wslay_event_queue_fragmented_msg(cli.ctx, &fm), 0);
	ck_assert_int_eq(wslay_event_queue_msg(cli.ctx, &ping), 0);
	want_msgs = 2;
	ck_assert(pump(cond_cli_msgs, 3000));
	/* One 20000-byte message arrived whole, echoed; the ping answered. */
	ck_assert_int_eq(srv.msgs, 1);
	ck_assert_uint_eq(srv.last_len, 20000);
	ck_assert(cli.last_len == 20000 || cli.last_op == WSLAY_PONG);
}
END_TEST

START_TEST(test_rt_too_big)
{
	char	*big;

	cli_open();
	big = malloc(MAXMSG + 1);
	memset(big, 'b', MAXMSG + 1);
	cli_text(big, MAXMSG + 1);
	free(big);
	ck_assert(pump(cond_srv_closed, 3000));
	ck_assert_int_eq(srv.msgs, 0);
	ck_assert_int_eq(cli.close_code, WSLAY_CODE_MESSAGE_TOO_BIG);
}
END_TEST

START_TEST(test_rt_close_handshake)
{
	cli_open();
	ck_assert_int_eq(wslay_event_queue_close(cli.ctx, 1000,
	    (const uint8_t *)"bye", 3), 0);
	ck_assert(pump(cond_srv_closed, 3000));
	ck_assert_int_eq(srv.code, 1000);
	ck_assert_int_eq(cli.close_code, 1000);
	ck_assert_str_eq(srv.reason, "closed");
}
END_TEST

START_TEST(test_rt_server_close)
{
	cli_open();
	ck_assert(pump(cond_srv_ws, 100));
	ws_close(srv.ws, 1008, "policy");
	/* Nothing more is accepted once closing. */
	ck_assert_int_eq(ws_send(srv.ws, "x", 1), -1);
	ck_assert(pump(cond_srv_closed, 3000));
	ck_assert_int_eq(cli.close_code, 1008);
	ck_assert_str_eq(cli.last + 2, "policy");
	ck_assert_int_eq(srv.code, 1008);
}
END_TEST

/*
 * 1013 (try again later) is what a slow subscriber gets. wslay's own
 * client predates that code and would call it a protocol error, so the
 * frame is checked byte by byte.
 */
START_TEST(test_rt_close_1013)
{
	static const unsigned char want[] = {
		0x88, 21, 0x03, 0xf5, 's', 'u', 'b', 's', 'c', 'r', 'i', 'b',
		'e', 'r', ' ', 't', 'o', 'o', ' ', 's', 'l', 'o', 'w'
	};
	unsigned char	 buf[64];
	size_t		 got = 0;
	ssize_t		 n;
	int		 i;

	cli_open();
	wslay_event_context_free(cli.ctx);
	cli.ctx = NULL;
	ck_assert(pump(cond_srv_ws, 100));
	ws_close(srv.ws, 1013, "subscriber too slow");
	for (i = 0; i < 2000 && got < sizeof want; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = recv(cli.fd, buf + got, sizeof want - got, 0);
		if (n > 0)
			got += (size_t)n;
		else
			usleep(500);
	}
	ck_assert_uint_eq(got, sizeof want);
	ck_assert(memcmp(buf, want, sizeof want) == 0);
}
END_TEST

START_TEST(test_rt_backpressure)
{
	char	*chunk;
	int	 i;

	cli_open();
	ck_assert(pump(cond_srv_ws, 100));
	chunk = malloc(32768);
	memset(chunk, 'd', 32768);
	/* The client reads nothing: what is queued stays counted. */
	for (i = 0; i < 512; i++)
		ck_assert_int_eq(ws_send(srv.ws, chunk, 32768), 0);
	free(chunk);
	for (i = 0; i < 50; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_gt(ws_pending(srv.ws), 256 * 1024);
	/* Now it reads: the output drains and the owner is told. */
	want_msgs = 512;
	ck_assert(pump(cond_cli_msgs, 10000));
	ck_assert(pump(cond_srv_drained, 1000));
	ck_assert_uint_lt(ws_pending(srv.ws), 64 * 1024);
}
END_TEST

/* Abrupt ends: mid-frame, mid-header, before the 101 is read. */
START_TEST(test_rt_abrupt)
{
	static const unsigned char frame_start[] = {
		/* A text frame of 1000 bytes, masked, cut after 2. */
		0x81, 0xfe, 0x03, 0xe8, 1, 2, 3, 4, 'a', 'b'
	};
	char		 req[512];
	int		 fd, round;
	struct evbuffer	*b;

	snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: x\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n");
	for (round = 0; round < 3; round++) {
		memset(&srv, 0, sizeof srv);
		fd = cli_connect();
		cli_write(fd, req, strlen(req));
		if (round == 0)
			cli_write(fd, frame_start, sizeof frame_start);
		else if (round == 1)
			cli_write(fd, frame_start, 1);
		ck_assert(pump(cond_srv_ws, 1000));
		close(fd);
		ck_assert(pump(cond_srv_closed, 3000));
		ck_assert_int_eq(srv.upgrades, 1);
		ck_assert_int_eq(srv.msgs, 0);
	}
	/* Plain HTTP still answers. */
	fd = cli_connect();
	cli_write(fd, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n", 32);
	b = evbuffer_new();
	for (round = 0; round < 2000; round++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (evbuffer_read(b, fd, 4096) <= 0)
			usleep(500);
		if (evbuffer_search(b, "plain\n", 6, NULL).pos != -1)
			break;
	}
	ck_assert(evbuffer_search(b, "HTTP/1.1 200", 12, NULL).pos == 0);
	evbuffer_free(b);
	close(fd);
}
END_TEST

/* Frames sent in the same packet as the upgrade request are not lost. */
START_TEST(test_rt_pipelined)
{
	static const unsigned char hi[] = {
		0x81, 0x82, 0, 0, 0, 0, 'h', 'i'	/* masked, zero key */
	};
	char	req[512];
	size_t	n;

	n = (size_t)snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: x\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n");
	memcpy(req + n, hi, sizeof hi);
	cli.fd = cli_connect();
	cli_write(cli.fd, req, n + sizeof hi);
	srv.echo = 0;
	ck_assert(pump(cond_srv_ws, 1000));
	pump(cond_srv_closed, 200);
	ck_assert_int_eq(srv.msgs, 1);
	ck_assert_uint_eq(srv.last_len, 2);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("ws");
	TCase	*tc;

	tc = tcase_create("handshake");
	tcase_add_test(tc, test_accept_rfc);
	tcase_add_test(tc, test_key_valid);
	tcase_add_test(tc, test_header_token);
	tcase_add_test(tc, test_check_upgrade);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, rt_setup, rt_teardown);
	tcase_add_test(tc, test_rt_echo);
	tcase_add_test(tc, test_rt_fragments_ping);
	tcase_add_test(tc, test_rt_too_big);
	tcase_add_test(tc, test_rt_close_handshake);
	tcase_add_test(tc, test_rt_server_close);
	tcase_add_test(tc, test_rt_close_1013);
	tcase_add_test(tc, test_rt_backpressure);
	tcase_add_test(tc, test_rt_abrupt);
	tcase_add_test(tc, test_rt_pipelined);
	suite_add_tcase(s, tc);
	return (s);
}
