/*
 * Unit tests: the channel's peer (common/peer.c) over a real socketpair
 * and event base: messages dispatched in order, then one "gone" for EOF
 * after what was buffered, and hostile input (a zero or huge length, bad
 * JSON, an unknown type) ending in PEER_BAD_FRAME, never a dispatch.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/frame.h"
#include "common/peer.h"
#include "common/proto.h"
#include "common/util.h"
#include "unit.h"

static struct event_base	*base;
static struct peer		*p;
static int			 sv[2];
static int			 ndispatch, ngone, freed_in_gone;
static enum msg_type		 types[8];
static enum peer_gone		 why;
static char			 cause[FRAME_CAUSE_MAX];

static void
t_dispatch(struct peer *pp, struct json_object *o, enum msg_type t,
    enum event_type ev, void *arg)
{
	if (ndispatch < 8)
		types[ndispatch] = t;
	ndispatch++;
}

static void
t_gone(struct peer *pp, enum peer_gone w, const char *c, void *arg)
{
	ngone++;
	why = w;
	snprintf(cause, sizeof cause, "%s", c != NULL ? c : "");
	/* The owner may free the peer from inside its gone callback. */
	peer_free(pp);
	p = NULL;
	freed_in_gone = 1;
	event_base_loopbreak(base);
}

static const struct peer_ops t_ops = { t_dispatch, t_gone, NULL };

static void
setup(void)
{
	base = event_base_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	set_nonblock(sv[0]);
	p = peer_create(base, sv[0], &t_ops, NULL);
	ck_assert_ptr_nonnull(p);
	ndispatch = ngone = freed_in_gone = 0;
	cause[0] = '\0';
}

static void
teardown(void)
{
	peer_free(p);
	close(sv[1]);
	event_base_free(base);
}

/* Write raw bytes from the other end. */
static void
put(const void *data, size_t len)
{
	ck_assert_int_eq(write(sv[1], data, len), (ssize_t)len);
}

/* Write one whole frame holding the JSON text. */
static void
put_frame(const char *json)
{
	uint32_t	hdr = htonl((uint32_t)strlen(json));

	put(&hdr, 4);
	put(json, strlen(json));
}

static void
run(void)
{
	struct timeval	tv = { 5, 0 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

START_TEST(test_dispatch_then_eof)
{
	put_frame("{\"type\":\"INPUT\",\"data\":\"a\"}");
	put_frame("{\"type\":\"TERMINAL_CHUNK\",\"data\":\"b\"}");
	put("\0\0", 2);			/* half a header, then EOF */
	close(sv[1]);
	sv[1] = -1;
	run();
	ck_assert_int_eq(ndispatch, 2);
	ck_assert_int_eq(types[0], MSG_INPUT);
	ck_assert_int_eq(types[1], MSG_EVENT);
	ck_assert_int_eq(ngone, 1);
	ck_assert_int_eq(why, PEER_EOF);
	ck_assert_int_eq(freed_in_gone, 1);
}
END_TEST

START_TEST(test_send)
{
	struct json_object	*o;
	struct evbuffer		*in;
	char			 buf[256], c[FRAME_CAUSE_MAX];
	ssize_t			 n;
	enum msg_type		 t;
	enum event_type		 ev;

	o = json_tokener_parse("{\"type\":\"PAUSE\"}");
	ck_assert_int_eq(peer_send(p, o, c, sizeof c), 0);
	json_object_put(o);
	event_base_loop(base, EVLOOP_NONBLOCK);
	n = read(sv[1], buf, sizeof buf);
	ck_assert_int_gt(n, 4);
	in = evbuffer_new();
	evbuffer_add(in, buf, (size_t)n);
	ck_assert_int_eq(frame_read(in, &o, &t, &ev, c, sizeof c), 1);
	ck_assert_int_eq(t, MSG_PAUSE);
	json_object_put(o);
	evbuffer_free(in);
}
END_TEST

/* One hostile input: nothing dispatched after it, one PEER_BAD_FRAME. */
static void
hostile(const void *data, size_t len, const char *want)
{
	put_frame("{\"type\":\"RESUME\"}");
	put(data, len);
	put_frame("{\"type\":\"RESUME\"}");	/* never reached */
	run();
	ck_assert_int_eq(ndispatch, 1);
	ck_assert_int_eq(ngone, 1);
	ck_assert_int_eq(why, PEER_BAD_FRAME);
	ck_assert_msg(strstr(cause, want) != NULL, "cause: %s", cause);
}

START_TEST(test_zero_length)
{
	hostile("\0\0\0\0", 4, "length 0");
}
END_TEST

START_TEST(test_huge_length)
{
	hostile("\xff\xff\xff\xff", 4, "out of range");
}
END_TEST

START_TEST(test_bad_json)
{
	hostile("\0\0\0\3{x}", 7, "JSON");
}
END_TEST

START_TEST(test_unknown_type)
{
	const char	*j = "{\"type\":\"NOPE\"}";
	uint32_t	 hdr = htonl((uint32_t)strlen(j));
	char		 b[64];

	memcpy(b, &hdr, 4);
	memcpy(b + 4, j, strlen(j));
	hostile(b, 4 + strlen(j), "NOPE");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("peer");
	TCase	*tc;

	tc = tcase_create("loop");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dispatch_then_eof);
	tcase_add_test(tc, test_send);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_zero_length);
	tcase_add_test(tc, test_huge_length);
	tcase_add_test(tc, test_bad_json);
	tcase_add_test(tc, test_unknown_type);
	suite_add_tcase(s, tc);
	return (s);
}
