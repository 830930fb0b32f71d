/*
 * Unit tests: the gateway's core (gateway.c) through its transport
 * interface, with a test transport, and sessions fed by fake workers
 * (supfix.h): joining rooms, fan-out of live events, replay from a cursor
 * with nothing skipped and nothing twice, following one session to its
 * end, and the slow-subscriber cut-off.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/proto.h"
#include "supervisor/gateway.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supfix.h"
#include "unit.h"

#define CHANGED(a, b)	"{\"type\":\"SESSION_STATE_CHANGED\",\"previousState\":" \
			"\"" a "\",\"newState\":\"" b "\"}"

/* One connection of the test transport. */
struct tconn {
	struct evbuffer	*out;		/* what the core sent */
	size_t		 pending;	/* what the "socket" holds */
	int		 closed;
	int		 code;
	int		 slowed;
	int		 aborted;
	int		 ended;		/* saw SESSION_ENDED */
};

static uint64_t	break_at_seq;	/* the listener stops the loop there */

/* Deliver: one line "<kind> <seq>" per event, queued in order. */
static void
t_deliver(struct gw_client *c, enum gw_kind kind, const char *room,
    struct gw_enc *e)
{
	struct tconn	*tc = c->tr_arg;
	char		 line[64];
	int		 n;

	n = snprintf(line, sizeof line, "%s %llu\n", gw_name_kind(kind),
	    (unsigned long long)e->seq);
	gateway_client_push_bytes(c, line, (size_t)n);
	if (e->type == EV_SESSION_ENDED) {
		tc->ended = 1;
		supfix_break();
	}
}

static void
t_send(void *arg, struct gw_blob *b)
{
	struct tconn	*tc = arg;

	evbuffer_add(tc->out, b->data, b->len);
}

static size_t
t_pending(void *arg)
{
	struct tconn	*tc = arg;

	return (tc->pending);
}

static void
t_slow(void *arg)
{
	struct tconn	*tc = arg;

	tc->slowed++;
}

static struct gw_client *t_client;

/* From the loop, as a real transport does: the connection is gone. */
static void
t_gone_cb(evutil_socket_t fd, short what, void *arg)
{
	gateway_client_gone(t_client);
}

/* The core ends the connection: gone follows from the loop. */
static void
t_close(void *arg, int code, const char *reason)
{
	struct tconn	*tc = arg;
	struct timeval	 tv = { 0, 0 };

	tc->closed++;
	tc->code = code;
	event_base_once(server_base, -1, EV_TIMEOUT, t_gone_cb, NULL, &tv);
	supfix_break();
}

static void
t_abort(void *arg)
{
	struct tconn	*tc = arg;

	tc->aborted++;
}

static const struct gw_transport t_transport = {
	GW_WS, t_deliver, t_send, t_pending, t_slow, t_close, t_abort
};

static struct tconn	tc;

static void
listener_cb(struct session *s, struct json_object *ev, enum event_type t,
    const char *line, size_t len)
{
	if (break_at_seq != 0 && s->last_seq == break_at_seq)
		supfix_break();
}

static void
setup(void)
{
	supfix_setup();
	supfix_wait_start(1);
	gateway_init();
	session_add_listener(listener_cb);
	memset(&tc, 0, sizeof tc);
	tc.out = evbuffer_new();
	break_at_seq = 0;
	t_client = NULL;
}

static void
teardown(void)
{
	gateway_shutdown();
	evbuffer_free(tc.out);
	supfix_teardown();
}

/* What the transport was sent, as a string (valid until the next call). */
static const char *
sent(void)
{
	evbuffer_add(tc.out, "", 1);
	evbuffer_drain(tc.out, 0);
	return ((const char *)evbuffer_pullup(tc.out, -1));
}

/* First: up to RUNNING (4 events); later: a chunk and the end (3). */
static void
worker_in_two_parts(int two)
{
	struct evbuffer	*a = supfix_ready(PROTO_VERSION), *b = evbuffer_new();

	supfix_frame(a, CHANGED("CREATED", "PREPARING_WORKSPACE"));
	supfix_frame(a, CHANGED("PREPARING_WORKSPACE", "STARTING_PROVIDER"));
	supfix_frame(a, "{\"type\":\"SESSION_STARTED\",\"providerPid\":7}");
	supfix_frame(a, CHANGED("STARTING_PROVIDER", "RUNNING"));
	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"x\"}");
	supfix_frame(b, CHANGED("RUNNING", "COMPLETED"));
	supfix_frame(b, "{\"type\":\"SESSION_ENDED\",\"exitCode\":0}");
	if (two)
		supfix_worker(a, b, "exit 0");
	else {
		evbuffer_add_buffer(a, b);
		evbuffer_free(b);
		supfix_worker(a, NULL, "exit 0");
	}
}

/* A session run to its end, 7 events in its log. */
static struct session *
ended_session(void)
{
	struct session	*s;

	worker_in_two_parts(0);
	s = supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(s->ended, 1);
	ck_assert_uint_eq(s->last_seq, 7);
	return (s);
}

START_TEST(test_follow_replays_and_ends)
{
	struct session	*s = ended_session();

	t_client = gateway_follow(&t_transport, &tc, s, 0, "test");
	ck_assert_ptr_nonnull(t_client);
	supfix_run(10000);
	ck_assert_str_eq(sent(), "session 1\nsession 2\nsession 3\n"
	    "session 4\nsession 5\nsession 6\nsession 7\n");
	ck_assert_int_eq(tc.closed, 1);
	ck_assert_int_eq(tc.code, 1000);
}
END_TEST

START_TEST(test_follow_from_cursor)
{
	struct session	*s = ended_session();

	t_client = gateway_follow(&t_transport, &tc, s, 4, "test");
	supfix_run(10000);
	ck_assert_str_eq(sent(), "session 5\nsession 6\nsession 7\n");
	ck_assert_int_eq(tc.code, 1000);
}
END_TEST

START_TEST(test_follow_after_end_sends_nothing)
{
	struct session	*s = ended_session();

	t_client = gateway_follow(&t_transport, &tc, s, 7, "test");
	ck_assert_str_eq(sent(), "");
	ck_assert_int_eq(tc.closed, 1);
	ck_assert_int_eq(tc.code, 1000);
}
END_TEST

START_TEST(test_village_fanout_live)
{
	struct json_object	*cursor = NULL;
	struct tconn		 other;
	struct gw_client	*c2;
	char			 cause[160];

	memset(&other, 0, sizeof other);
	other.out = evbuffer_new();
	t_client = gateway_client_new(&t_transport, &tc, "test");
	c2 = gateway_client_new(&t_transport, &other, "test2");
	ck_assert_int_eq(gateway_subscribe(t_client, GW_VILLAGE, "v1", NULL,
	    &cursor, cause, sizeof cause), 0);
	ck_assert_str_eq(json_object_to_json_string(cursor), "{ }");
	json_object_put(cursor);
	/* Another village hears nothing of v1. */
	ck_assert_int_eq(gateway_subscribe(c2, GW_VILLAGE, "v2", NULL,
	    &cursor, cause, sizeof cause), 0);
	json_object_put(cursor);
	worker_in_two_parts(1);
	supfix_session();
	supfix_run(10000);
	ck_assert_int_eq(tc.ended, 1);
	ck_assert_str_eq(sent(), "village 1\nvillage 2\nvillage 3\n"
	    "village 4\nvillage 5\nvillage 6\nvillage 7\n");
	ck_assert_uint_eq(evbuffer_get_length(other.out), 0);
	evbuffer_free(other.out);
}
END_TEST

START_TEST(test_cursor_replay_then_live)
{
	struct session		*s;
	struct json_object	*since, *cursor = NULL;
	char			 cause[160];

	worker_in_two_parts(1);
	break_at_seq = 4;
	s = supfix_session();
	supfix_run(10000);
	ck_assert_uint_eq(s->last_seq, 4);
	/* Joined mid-session from seq 2: 3 and 4 from the log, then live. */
	t_client = gateway_client_new(&t_transport, &tc, "test");
	since = json_object_new_int64(2);
	ck_assert_int_eq(gateway_subscribe(t_client, GW_SESSION, s->id,
	    since, &cursor, cause, sizeof cause), 0);
	ck_assert_int_eq(json_object_get_int64(cursor), 2);
	json_object_put(since);
	json_object_put(cursor);
	break_at_seq = 0;
	supfix_run(10000);
	ck_assert_int_eq(tc.ended, 1);
	ck_assert_str_eq(sent(), "session 3\nsession 4\nsession 5\n"
	    "session 6\nsession 7\n");
}
END_TEST

START_TEST(test_slow_subscriber_dropped)
{
	struct evbuffer		*m;
	struct json_object	*cursor = NULL;
	char			 cause[160];

	server_cfg->gateway_max_buffer_bytes = 16;
	tc.pending = 1024 * 1024;	/* the socket never drains */
	t_client = gateway_client_new(&t_transport, &tc, "test");
	ck_assert_int_eq(gateway_subscribe(t_client, GW_AGENT, "nobody",
	    NULL, &cursor, cause, sizeof cause), 0);
	json_object_put(cursor);
	gateway_client_push_bytes(t_client, "0123456789", 10);
	ck_assert_int_eq(tc.slowed, 1);
	ck_assert_int_eq(tc.closed, 1);
	ck_assert_int_eq(tc.code, 1013);
	ck_assert_uint_eq(evbuffer_get_length(tc.out), 0);
	m = evbuffer_new();
	gateway_metrics(m);
	evbuffer_add(m, "", 1);
	ck_assert_ptr_nonnull(strstr((char *)evbuffer_pullup(m, -1),
	    "runnerd_gateway_slow_disconnects_total 1\n"));
	evbuffer_free(m);
}
END_TEST

START_TEST(test_bad_cursors)
{
	struct json_object	*since, *cursor = NULL;
	char			 cause[160];
	enum gw_kind		 kind;
	const char		*name;
	uint64_t		 seq;

	t_client = gateway_client_new(&t_transport, &tc, "test");
	since = json_object_new_string("abc");
	ck_assert_int_eq(gateway_subscribe(t_client, GW_AGENT, "a1", since,
	    &cursor, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "since"));
	json_object_put(since);
	since = json_object_new_int64(5);
	ck_assert_int_eq(gateway_subscribe(t_client, GW_VILLAGE, "v1", since,
	    &cursor, cause, sizeof cause), -1);
	json_object_put(since);
	ck_assert_int_eq(gateway_subscribe(t_client, GW_AGENT, "bad\"id",
	    NULL, &cursor, cause, sizeof cause), -1);
	ck_assert_int_eq(gw_name_room("village:demo", &kind, &name), 0);
	ck_assert_int_eq(kind, GW_VILLAGE);
	ck_assert_str_eq(name, "demo");
	ck_assert_int_eq(gw_name_room("village:", &kind, &name), -1);
	ck_assert_int_eq(gw_name_room("room:x", &kind, &name), -1);
	ck_assert_int_eq(gw_name_seq("42", &seq), 0);
	ck_assert_uint_eq(seq, 42);
	ck_assert_int_eq(gw_name_seq("4x", &seq), -1);
	ck_assert_int_eq(gw_name_seq("12345678901234567890", &seq), -1);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("gateway");
	TCase	*tc_;

	tc_ = tcase_create("replay");
	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_set_timeout(tc_, 30);
	tcase_add_test(tc_, test_follow_replays_and_ends);
	tcase_add_test(tc_, test_follow_from_cursor);
	tcase_add_test(tc_, test_follow_after_end_sends_nothing);
	tcase_add_test(tc_, test_cursor_replay_then_live);
	suite_add_tcase(s, tc_);

	tc_ = tcase_create("rooms");
	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_set_timeout(tc_, 30);
	tcase_add_test(tc_, test_village_fanout_live);
	tcase_add_test(tc_, test_slow_subscriber_dropped);
	tcase_add_test(tc_, test_bad_cursors);
	suite_add_tcase(s, tc_);
	return (s);
}
