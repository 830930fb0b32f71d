/*
 * Unit tests for the Engine.IO v4 / Socket.IO v5 codec and the protocol of
 * one connection (supervisor/sio.c): packets as socket.io-client v4 sends
 * them, then hostile ones: bad types, forged attachments, namespaces and
 * ack ids too long, JSON that is truncated, trailing, too deep or not
 * UTF-8, payloads of the wrong shape. The connection runs on a private
 * event base with recording callbacks.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "supervisor/sio.h"
#include "unit.h"

/* Parse a NUL-terminated Socket.IO packet; the return value of sio_parse. */
static int
parse(const char *s, struct sio_packet *p)
{
	char	cause[SIO_CAUSE_MAX];

	return (sio_parse(s, strlen(s), p, cause, sizeof cause));
}

/* An evbuffer's contents as a string (static storage, for asserts). */
static const char *
text(struct evbuffer *b)
{
	static char	buf[4096];
	size_t		len = evbuffer_get_length(b);

	if (len >= sizeof buf)
		len = sizeof buf - 1;
	evbuffer_copyout(b, buf, len);
	buf[len] = '\0';
	evbuffer_drain(b, evbuffer_get_length(b));
	return (buf);
}

START_TEST(test_eio_types)
{
	enum eio_type	 t;
	const char	*p;
	size_t		 n;
	char		 cause[SIO_CAUSE_MAX];

	ck_assert_int_eq(eio_parse("2", 1, &t, &p, &n, cause, sizeof cause),
	    0);
	ck_assert_int_eq(t, EIO_PING);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(eio_parse("3probe", 6, &t, &p, &n, cause,
	    sizeof cause), 0);
	ck_assert_int_eq(t, EIO_PONG);
	ck_assert_uint_eq(n, 5);
	ck_assert(memcmp(p, "probe", 5) == 0);
	ck_assert_int_eq(eio_parse("40", 2, &t, &p, &n, cause, sizeof cause),
	    0);
	ck_assert_int_eq(t, EIO_MESSAGE);
	ck_assert_int_eq(eio_parse("6", 1, &t, &p, &n, cause, sizeof cause),
	    0);
	ck_assert_int_eq(t, EIO_NOOP);
}
END_TEST

START_TEST(test_eio_bad)
{
	enum eio_type	 t;
	const char	*p;
	size_t		 n;
	char		 cause[SIO_CAUSE_MAX];

	ck_assert_int_eq(eio_parse("", 0, &t, &p, &n, cause, sizeof cause),
	    -1);
	ck_assert_int_eq(eio_parse("7", 1, &t, &p, &n, cause, sizeof cause),
	    -1);
	ck_assert_int_eq(eio_parse("x40", 3, &t, &p, &n, cause, sizeof cause),
	    -1);
	ck_assert_int_eq(eio_parse("\0", 1, &t, &p, &n, cause, sizeof cause),
	    -1);
	ck_assert(strstr(cause, "Engine.IO") != NULL);
}
END_TEST

START_TEST(test_sio_connect)
{
	struct sio_packet	 p;
	struct json_object	*v;

	ck_assert_int_eq(parse("0", &p), 0);
	ck_assert_int_eq(p.type, SIO_CONNECT);
	ck_assert_str_eq(p.nsp, "/");
	ck_assert(p.data == NULL);
	ck_assert(p.ack == SIO_NO_ACK);
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("0{\"token\":\"abc\",\"since\":{}}", &p), 0);
	ck_assert(json_object_object_get_ex(p.data, "token", &v));
	ck_assert_str_eq(json_object_get_string(v), "abc");
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("0/admin,", &p), 0);
	ck_assert_str_eq(p.nsp, "/admin");
	sio_packet_clear(&p);

	/* A namespace may end the packet without its comma. */
	ck_assert_int_eq(parse("0/admin", &p), 0);
	ck_assert_str_eq(p.nsp, "/admin");
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("0/admin,{\"x\":1}", &p), 0);
	ck_assert_str_eq(p.nsp, "/admin");
	ck_assert(json_object_is_type(p.data, json_type_object));
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("1", &p), 0);
	ck_assert_int_eq(p.type, SIO_DISCONNECT);
	sio_packet_clear(&p);
}
END_TEST

START_TEST(test_sio_event_ack)
{
	struct sio_packet	 p;

	ck_assert_int_eq(parse("2[\"join_village\",{\"villageId\":\"demo\"}]",
	    &p), 0);
	ck_assert_int_eq(p.type, SIO_EVENT);
	ck_assert(p.ack == SIO_NO_ACK);
	ck_assert_int_eq(json_object_array_length(p.data), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    p.data, 0)), "join_village");
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("212[\"ping\"]", &p), 0);
	ck_assert(p.ack == 12);
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("2/x,7[\"a\"]", &p), 0);
	ck_assert_str_eq(p.nsp, "/x");
	ck_assert(p.ack == 7);
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("3999999999999999[1,2]", &p), 0);
	ck_assert_int_eq(p.type, SIO_ACK);
	ck_assert(p.ack == 999999999999999LL);
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("4{\"message\":\"no\"}", &p), 0);
	ck_assert_int_eq(p.type, SIO_CONNECT_ERROR);
	sio_packet_clear(&p);

	ck_assert_int_eq(parse("51-[\"up\",{\"_placeholder\":true,\"num\":0}]",
	    &p), 0);
	ck_assert_int_eq(p.type, SIO_BINARY_EVENT);
	ck_assert_int_eq(p.attachments, 1);
	sio_packet_clear(&p);

	/* Whitespace around JSON is what JSON.parse accepts too. */
	ck_assert_int_eq(parse("2[\"a\"] \n", &p), 0);
	sio_packet_clear(&p);
}
END_TEST

START_TEST(test_sio_bad_shape)
{
	static const char *const bad[] = {
		"",			/* empty */
		"7",			/* unknown type */
		"x",
		"2",			/* event without data */
		"2{}",			/* not an array */
		"2[]",			/* no name */
		"2[1]",			/* name not a string */
		"2[null]",
		"0[1]",			/* CONNECT data not an object */
		"0\"s\"",
		"1{}",			/* DISCONNECT with data */
		"3{}",			/* ACK not an array */
		"3",
		"4[1]",			/* CONNECT_ERROR of an array */
		"4",
		"5[\"a\"]",		/* attachments without '-' */
		"5-[\"a\"]",
		"5x-[\"a\"]",
		"51234567-[\"a\"]",	/* too many digits */
		"6",
	};
	struct sio_packet	p;
	char			cause[SIO_CAUSE_MAX];
	size_t			i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(cause, 0, sizeof cause);
		ck_assert_msg(sio_parse(bad[i], strlen(bad[i]), &p, cause,
		    sizeof cause) == -1, "accepted '%s'", bad[i]);
		ck_assert_msg(*cause != '\0', "no cause for '%s'", bad[i]);
		ck_assert(p.data == NULL);
	}
}
END_TEST

START_TEST(test_sio_bad_json)
{
	static const char *const bad[] = {
		"2[\"a\",",		/* truncated */
		"2[\"a\"]x",		/* trailing bytes */
		"2[\"a\"][\"b\"]",	/* two values */
		"2['a']",		/* not strict JSON */
		"2[\"a\",]",		/* trailing comma */
		"2[\"a\" /* c */]",	/* comment */
		"2[\"a\\x\"]",		/* bad escape */
		"2[\"a\",tru]",
		"0{\"a\":1,}",
		"2[\"\xff\xfe\"]",	/* not UTF-8 */
		"2[\"\xc0\xaf\"]",	/* overlong */
	};
	struct sio_packet	p;
	char			cause[SIO_CAUSE_MAX];
	size_t			i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(sio_parse(bad[i], strlen(bad[i]), &p, cause,
		    sizeof cause) == -1, "accepted '%s'", bad[i]);
		ck_assert(p.data == NULL);
	}
	/* A NUL byte inside the JSON. */
	ck_assert_int_eq(sio_parse("2[\"a\0b\"]", 8, &p, cause, sizeof cause),
	    -1);
}
END_TEST

START_TEST(test_sio_limits)
{
	struct sio_packet	 p;
	char			 buf[1024], cause[SIO_CAUSE_MAX];
	size_t			 i, n;

	/* A namespace of SIO_NSP_MAX characters passes, one more does not. */
	buf[0] = '0';
	buf[1] = '/';
	memset(buf + 2, 'n', SIO_NSP_MAX - 1);
	buf[SIO_NSP_MAX + 1] = ',';
	ck_assert_int_eq(sio_parse(buf, SIO_NSP_MAX + 2, &p, cause,
	    sizeof cause), 0);
	ck_assert_uint_eq(strlen(p.nsp), SIO_NSP_MAX);
	sio_packet_clear(&p);
	memset(buf + 2, 'n', SIO_NSP_MAX);
	buf[SIO_NSP_MAX + 2] = ',';
	ck_assert_int_eq(sio_parse(buf, SIO_NSP_MAX + 3, &p, cause,
	    sizeof cause), -1);

	/* Control characters, spaces and non-ASCII in a namespace. */
	ck_assert_int_eq(parse("0/a\tb,", &p), -1);
	ck_assert_int_eq(parse("0/a b,", &p), -1);
	ck_assert_int_eq(parse("0/\xc3\xa9,", &p), -1);

	/* Ack ids: 15 digits at most. */
	ck_assert_int_eq(parse("2123456789012345[\"a\"]", &p), 0);
	sio_packet_clear(&p);
	ck_assert_int_eq(parse("21234567890123456[\"a\"]", &p), -1);
	ck_assert_int_eq(parse("299999999999999999999999[\"a\"]", &p), -1);

	/* Nesting deeper than the tokener allows. */
	n = 0;
	buf[n++] = '2';
	buf[n++] = '[';
	buf[n++] = '"';
	buf[n++] = 'a';
	buf[n++] = '"';
	buf[n++] = ',';
	for (i = 0; i < 200; i++)
		buf[n++] = '[';
	for (i = 0; i < 200; i++)
		buf[n++] = ']';
	buf[n++] = ']';
	ck_assert_int_eq(sio_parse(buf, n, &p, cause, sizeof cause), -1);
	ck_assert(p.data == NULL);
}
END_TEST

START_TEST(test_encode)
{
	struct evbuffer	*b = evbuffer_new();

	eio_encode_open(b, "0123456789abcdef0123", 25000, 20000, 1000000);
	ck_assert_str_eq(text(b), "0{\"sid\":\"0123456789abcdef0123\","
	    "\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
	    "\"maxPayload\":1000000}");
	sio_encode(b, SIO_CONNECT, "/", SIO_NO_ACK, "{\"sid\":\"x\"}", 11);
	ck_assert_str_eq(text(b), "40{\"sid\":\"x\"}");
	sio_encode(b, SIO_CONNECT_ERROR, "/admin", SIO_NO_ACK,
	    "{\"message\":\"Invalid namespace\"}", 31);
	ck_assert_str_eq(text(b),
	    "44/admin,{\"message\":\"Invalid namespace\"}");
	sio_encode(b, SIO_ACK, "/", 12, "[]", 2);
	ck_assert_str_eq(text(b), "4312[]");
	sio_encode(b, SIO_DISCONNECT, "/", SIO_NO_ACK, NULL, 0);
	ck_assert_str_eq(text(b), "41");
	sio_encode_event(b, "/", SIO_NO_ACK, "work_stream_event", "{\"a\":1}",
	    7);
	ck_assert_str_eq(text(b), "42[\"work_stream_event\",{\"a\":1}]");
	sio_encode_event(b, "/", 3, "a\"b\n", NULL, 0);
	ck_assert_str_eq(text(b), "423[\"a\\\"b\\n\"]");
	evbuffer_free(b);
}
END_TEST

/* Whatever we encode parses back to the same packet. */
START_TEST(test_encode_roundtrip)
{
	struct evbuffer		*b = evbuffer_new();
	struct sio_packet	 p;
	enum eio_type		 t;
	const char		*s, *pl;
	size_t			 n, pn;
	char			 cause[SIO_CAUSE_MAX];

	s = "{\"x\":[1,2,{\"y\":\"\\u00e9\"}]}";
	sio_encode_event(b, "/", 42, "ev", s, strlen(s));
	n = evbuffer_get_length(b);
	s = (const char *)evbuffer_pullup(b, -1);
	ck_assert_int_eq(eio_parse(s, n, &t, &pl, &pn, cause, sizeof cause),
	    0);
	ck_assert_int_eq(t, EIO_MESSAGE);
	ck_assert_int_eq(sio_parse(pl, pn, &p, cause, sizeof cause), 0);
	ck_assert_int_eq(p.type, SIO_EVENT);
	ck_assert(p.ack == 42);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    p.data, 0)), "ev");
	sio_packet_clear(&p);
	evbuffer_free(b);
}
END_TEST

/* ---- One connection, with recording callbacks. ---- */

struct rec {
	struct evbuffer	*sent;		/* packets, one per line */
	int		 urgent;
	int		 closed;
	int		 close_code;
	char		 reason[128];
	int		 connects;
	int		 refuse;
	int		 events;
	char		 event[64];
	long long	 ack;
	int		 disconnects;
	struct sio_conn	*sio;
	int		 reply_ack;
};

static void
rec_send(void *arg, const char *buf, size_t len, int urgent)
{
	struct rec	*r = arg;

	evbuffer_add(r->sent, buf, len);
	evbuffer_add(r->sent, "\n", 1);
	r->urgent += urgent;
}

static void
rec_close(void *arg, int code, const char *reason)
{
	struct rec	*r = arg;

	r->closed++;
	r->close_code = code;
	snprintf(r->reason, sizeof r->reason, "%s", reason);
}

static int
rec_connect(void *arg, struct json_object *auth, char *msg, size_t len)
{
	struct rec		*r = arg;
	struct json_object	*v;

	r->connects++;
	if (r->refuse || (auth != NULL &&
	    json_object_object_get_ex(auth, "token", &v) &&
	    strcmp(json_object_get_string(v), "bad") == 0)) {
		snprintf(msg, len, "unauthorized: invalid token");
		return (-1);
	}
	return (0);
}

static void
rec_event(void *arg, const char *name, struct json_object *args,
    long long ack)
{
	struct rec		*r = arg;
	struct json_object	*a;

	r->events++;
	snprintf(r->event, sizeof r->event, "%s", name);
	r->ack = ack;
	if (r->reply_ack && ack != SIO_NO_ACK) {
		a = json_object_new_array();
		sio_ack(r->sio, ack, a);
		json_object_put(a);
	}
}

static void
rec_disconnect(void *arg)
{
	struct rec	*r = arg;

	r->disconnects++;
}

static const struct sio_ops rec_ops = {
	rec_send, rec_close, rec_connect, rec_event, rec_disconnect
};

static struct event_base	*base;
static struct rec		 rec;

static void
conn_setup(void)
{
	memset(&rec, 0, sizeof rec);
	base = event_base_new();
	rec.sent = evbuffer_new();
}

static void
conn_teardown(void)
{
	sio_free(rec.sio);
	evbuffer_free(rec.sent);
	event_base_free(base);
}

static void
input(const char *s)
{
	sio_input(rec.sio, s, strlen(s));
}

START_TEST(test_conn_open_connect)
{
	const char	*s;

	rec.sio = sio_create(base, &rec_ops, &rec, 25000, 20000, 45000,
	    1000000);
	sio_start(rec.sio);
	s = text(rec.sent);
	ck_assert(strncmp(s, "0{\"sid\":\"", 9) == 0);
	ck_assert(strstr(s, "\"pingInterval\":25000,\"pingTimeout\":20000,"
	    "\"maxPayload\":1000000}") != NULL);
	ck_assert_int_eq(rec.urgent, 1);

	/* Events before CONNECT are dropped. */
	input("42[\"ping\"]");
	ck_assert_int_eq(rec.events, 0);

	input("40/admin,");
	ck_assert_str_eq(text(rec.sent),
	    "44/admin,{\"message\":\"Invalid namespace\"}\n");
	ck_assert(!sio_connected(rec.sio));

	input("40{\"token\":\"bad\"}");
	ck_assert_str_eq(text(rec.sent),
	    "44{\"message\":\"unauthorized: invalid token\"}\n");
	ck_assert(!sio_connected(rec.sio));

	input("40{\"token\":\"good\"}");
	s = text(rec.sent);
	ck_assert(strncmp(s, "40{\"sid\":\"", 10) == 0);
	ck_assert(sio_connected(rec.sio));
	ck_assert_int_eq(rec.connects, 2);

	rec.reply_ack = 1;
	input("4212[\"ping\"]");
	ck_assert_int_eq(rec.events, 1);
	ck_assert_str_eq(rec.event, "ping");
	ck_assert(rec.ack == 12);
	ck_assert_str_eq(text(rec.sent), "4312[]\n");

	/* Events for another namespace are not ours. */
	input("42/admin,[\"x\"]");
	ck_assert_int_eq(rec.events, 1);

	input("2probe");
	ck_assert_str_eq(text(rec.sent), "3probe\n");
	input("6");
	input("5");
	ck_assert_int_eq(rec.closed, 0);

	input("41");
	ck_assert_int_eq(rec.disconnects, 1);
	ck_assert(!sio_connected(rec.sio));
	input("1");
	ck_assert_int_eq(rec.closed, 1);
	ck_assert_int_eq(rec.close_code, 1000);
	/* Nothing after the close. */
	input("40");
	ck_assert_int_eq(rec.closed, 1);
	ck_assert_uint_eq(evbuffer_get_length(rec.sent), 0);
}
END_TEST

START_TEST(test_conn_hostile)
{
	static const char *const bad[] = {
		"", "0", "9", "4", "47", "42", "42[\"a\"", "451-[\"a\"]",
		"44{\"message\":\"x\"}", "4\xff",
	};
	static const int codes[] = {
		1002, 1002, 1002, 1002, 1002, 1002, 1002, 1003, 1002, 1002
	};
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&rec.closed, 0, sizeof rec - offsetof(struct rec,
		    closed));
		rec.sio = sio_create(base, &rec_ops, &rec, 25000, 20000, 45000,
		    1000000);
		sio_start(rec.sio);
		input("40");
		text(rec.sent);
		sio_input(rec.sio, bad[i], strlen(bad[i]));
		ck_assert_msg(rec.closed == 1, "'%s' did not close", bad[i]);
		ck_assert_int_eq(rec.close_code, codes[i]);
		sio_free(rec.sio);
		rec.sio = NULL;
	}
}
END_TEST

/* Stop the loop once a connection was closed, or after a while. */
static void
conn_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	if (rec.closed)
		event_base_loopbreak(base);
}

/* Run the loop until closed or ms pass. */
static void
run_for(int ms)
{
	struct event	*w;
	struct timeval	 tick = { 0, 2000 }, stop;

	w = event_new(base, -1, EV_PERSIST, conn_watch_cb, NULL);
	event_add(w, &tick);
	stop.tv_sec = ms / 1000;
	stop.tv_usec = (ms % 1000) * 1000;
	event_base_loopexit(base, &stop);
	event_base_dispatch(base);
	event_free(w);
}

START_TEST(test_conn_ping_timeout)
{
	rec.sio = sio_create(base, &rec_ops, &rec, 20, 30, 45000, 1000000);
	sio_start(rec.sio);
	input("40");
	text(rec.sent);
	run_for(1000);
	ck_assert_int_eq(rec.closed, 1);
	ck_assert_str_eq(rec.reason, "ping timeout");
	/* The one ping went out urgently, then nothing. */
	ck_assert_str_eq(text(rec.sent), "2\n");
}
END_TEST

/* Answer every ping: the connection stays. */
static void
conn_pong_cb(evutil_socket_t fd, short what, void *arg)
{
	if (evbuffer_get_length(rec.sent) > 0) {
		ck_assert_str_eq(text(rec.sent), "2\n");
		rec.events += 1000;
		input("3");
	}
}

START_TEST(test_conn_ping_pong)
{
	struct event	*p;
	struct timeval	 tick = { 0, 5000 };

	rec.sio = sio_create(base, &rec_ops, &rec, 20, 50, 45000, 1000000);
	sio_start(rec.sio);
	input("40");
	text(rec.sent);
	p = event_new(base, -1, EV_PERSIST, conn_pong_cb, NULL);
	event_add(p, &tick);
	run_for(400);
	event_free(p);
	ck_assert_int_eq(rec.closed, 0);
	ck_assert_int_ge(rec.events, 3000);
}
END_TEST

START_TEST(test_conn_connect_timeout)
{
	rec.sio = sio_create(base, &rec_ops, &rec, 25000, 20000, 30, 1000000);
	sio_start(rec.sio);
	rec.refuse = 1;
	input("40");
	run_for(1000);
	ck_assert_int_eq(rec.closed, 1);
	ck_assert_int_eq(rec.close_code, 1008);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("sio");
	TCase	*tc;

	tc = tcase_create("engineio");
	tcase_add_test(tc, test_eio_types);
	tcase_add_test(tc, test_eio_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_sio_connect);
	tcase_add_test(tc, test_sio_event_ack);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, test_sio_bad_shape);
	tcase_add_test(tc, test_sio_bad_json);
	tcase_add_test(tc, test_sio_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_encode_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("connection");
	tcase_add_checked_fixture(tc, conn_setup, conn_teardown);
	tcase_add_test(tc, test_conn_open_connect);
	tcase_add_test(tc, test_conn_hostile);
	tcase_add_test(tc, test_conn_ping_timeout);
	tcase_add_test(tc, test_conn_ping_pong);
	tcase_add_test(tc, test_conn_connect_timeout);
	suite_add_tcase(s, tc);
	return (s);
}
