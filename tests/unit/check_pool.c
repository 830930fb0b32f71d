/*
 * Unit tests: the worker pool (pool.c) on a real event base, against fake
 * workers that write prepared frames on their channel (supfix.h), then
 * exit or wait to be killed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/frame.h"
#include "common/proto.h"
#include "supervisor/pool.h"
#include "supervisor/server.h"
#include "supfix.h"
#include "common/util.h"
#include "unit.h"

/* What the callbacks given to pool_take saw. */
struct seen {
	int		 events;
	enum event_type	 last;
	char		 data[64];
	int		 gone;
	char		 why[FRAME_CAUSE_MAX + 32];
};

static void
seen_event_cb(struct json_object *o, enum event_type t, void *arg)
{
	struct seen		*sn = arg;
	struct json_object	*v;

	sn->events++;
	sn->last = t;
	if (json_object_object_get_ex(o, "data", &v))
		snprintf(sn->data, sizeof sn->data, "%s",
		    json_object_get_string(v));
}

static void
seen_gone_cb(const char *why, void *arg)
{
	struct seen	*sn = arg;

	sn->gone++;
	snprintf(sn->why, sizeof sn->why, "%s", why);
	supfix_break();
}

START_TEST(test_events_then_exit)
{
	struct seen		 sn = { 0 };
	struct evbuffer		*b = supfix_ready(PROTO_VERSION);
	struct pool_worker	*w;

	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"hi\"}");
	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"there\"}");
	supfix_worker(b, NULL, "exit 3");
	w = pool_take(seen_event_cb, seen_gone_cb, &sn);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_gt(pool_pid(w), 0);
	ck_assert_int_eq(pool_busy_count(), 1);
	supfix_run(10000);
	/* Every frame sent before the exit is handed over first. */
	ck_assert_int_eq(sn.events, 2);
	ck_assert_int_eq(sn.last, EV_TERMINAL_CHUNK);
	ck_assert_str_eq(sn.data, "there");
	ck_assert_int_eq(sn.gone, 1);
	ck_assert_str_eq(sn.why, "worker exited with status 3");
	ck_assert_int_eq(pool_busy_count(), 0);
}
END_TEST

START_TEST(test_bad_frame_kills)
{
	struct seen	 sn = { 0 };
	struct evbuffer	*b = supfix_ready(PROTO_VERSION);

	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"ok\"}");
	evbuffer_add(b, "\0\0\0\0", 4);		/* a frame of length 0 */
	supfix_worker(b, NULL, "exec sleep 30");
	ck_assert_ptr_nonnull(pool_take(seen_event_cb, seen_gone_cb, &sn));
	supfix_run(10000);
	ck_assert_int_eq(sn.events, 1);
	ck_assert_int_eq(sn.gone, 1);
	ck_assert_msg(strncmp(sn.why, "protocol error: ", 16) == 0,
	    "why: %s", sn.why);
}
END_TEST

START_TEST(test_event_before_ready)
{
	struct seen	 sn = { 0 };
	struct evbuffer	*b = evbuffer_new();

	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"early\"}");
	supfix_worker(b, NULL, "exec sleep 30");
	ck_assert_ptr_nonnull(pool_take(seen_event_cb, seen_gone_cb, &sn));
	supfix_run(10000);
	ck_assert_int_eq(sn.events, 0);
	ck_assert_int_eq(sn.gone, 1);
	ck_assert_str_eq(sn.why, "protocol error: event from a worker without "
	    "a session");
}
END_TEST

START_TEST(test_wrong_protocol)
{
	struct seen	 sn = { 0 };

	supfix_worker(supfix_ready(PROTO_VERSION + 7), NULL, "exec sleep 30");
	ck_assert_ptr_nonnull(pool_take(seen_event_cb, seen_gone_cb, &sn));
	supfix_run(10000);
	ck_assert_int_eq(sn.gone, 1);
	ck_assert_msg(strstr(sn.why, "worker speaks protocol") != NULL,
	    "why: %s", sn.why);
}
END_TEST

START_TEST(test_supervisor_message_refused)
{
	struct seen	 sn = { 0 };
	struct evbuffer	*b = supfix_ready(PROTO_VERSION);

	supfix_frame(b, "{\"type\":\"STOP\",\"graceful\":true}");
	supfix_worker(b, NULL, "exec sleep 30");
	ck_assert_ptr_nonnull(pool_take(seen_event_cb, seen_gone_cb, &sn));
	supfix_run(10000);
	ck_assert_int_eq(sn.gone, 1);
	ck_assert_str_eq(sn.why, "protocol error: STOP is not a worker "
	    "message");
}
END_TEST

START_TEST(test_released_is_not_called)
{
	struct seen		 sn = { 0 };
	struct evbuffer		*b = supfix_ready(PROTO_VERSION);
	struct pool_worker	*w;

	supfix_frame(b, "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"late\"}");
	supfix_worker(b, NULL, "exit 0");
	w = pool_take(seen_event_cb, seen_gone_cb, &sn);
	ck_assert_ptr_nonnull(w);
	pool_release(w);
	ck_assert_int_eq(pool_busy_count(), 0);
	supfix_run(1500);
	ck_assert_int_eq(sn.events, 0);
	ck_assert_int_eq(sn.gone, 0);
}
END_TEST

START_TEST(test_send_after_kill)
{
	struct seen		 sn = { 0 };
	struct pool_worker	*w;
	struct json_object	*o;

	supfix_worker(supfix_ready(PROTO_VERSION), NULL, "exec sleep 30");
	w = pool_take(seen_event_cb, seen_gone_cb, &sn);
	ck_assert_ptr_nonnull(w);
	o = json_tokener_parse("{\"type\":\"PAUSE\"}");
	ck_assert_int_eq(pool_send(w, o), 0);
	pool_kill(w, "test");
	ck_assert_int_eq(pool_send(w, o), -1);
	json_object_put(o);
	supfix_run(10000);
	/* Killed by us: its user hears of it when it is reaped. */
	ck_assert_int_eq(sn.gone, 1);
	ck_assert_str_eq(sn.why, "worker exited on signal 9");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("pool");
	TCase	*tc;

	tc = tcase_create("callbacks");
	tcase_add_checked_fixture(tc, supfix_setup, supfix_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_events_then_exit);
	tcase_add_test(tc, test_released_is_not_called);
	tcase_add_test(tc, test_send_after_kill);
	suite_add_tcase(s, tc);

	tc = tcase_create("untrusted");
	tcase_add_checked_fixture(tc, supfix_setup, supfix_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_frame_kills);
	tcase_add_test(tc, test_event_before_ready);
	tcase_add_test(tc, test_wrong_protocol);
	tcase_add_test(tc, test_supervisor_message_refused);
	suite_add_tcase(s, tc);
	return (s);
}
