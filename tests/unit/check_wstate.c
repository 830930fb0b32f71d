/* The worker's session state: the one UTF-8 fix and a state's move. */
#include "config.h"

#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/event.h"
#include "common/frame.h"
#include "common/proto.h"
#include "common/utf8.h"
#include "worker/gate.h"
#include "worker/wstate.h"
#include "unit.h"

static int	sv[2] = { -1, -1 };

/* The worker's channel: its end in wk.chan, the supervisor's in sv[1]. */
static void
setup(void)
{
	memset(&wk, 0, sizeof wk);
	wk.pid = -1;
	wk.master = -1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(wk.base = event_base_new());
	ck_assert_ptr_nonnull(wk.chan = bufferevent_socket_new(wk.base,
	    sv[0], 0));
}

/* Free the channel and its base. */
static void
teardown(void)
{
	bufferevent_free(wk.chan);
	event_base_free(wk.base);
	close(sv[0]);
	close(sv[1]);
	memset(&wk, 0, sizeof wk);
}

/* The one frame the worker queued on its channel; the caller puts it. */
static struct json_object *
queued(void)
{
	struct json_object	*o = NULL, *more = NULL;
	struct evbuffer		*in, *out;
	unsigned char		*bytes;
	size_t			 len;
	enum msg_type		 mt;
	enum event_type		 et;
	char			 cause[FRAME_CAUSE_MAX] = "";

	out = bufferevent_get_output(wk.chan);
	len = evbuffer_get_length(out);
	ck_assert_uint_gt(len, 0);
	/* The channel's buffer is frozen at its start: look, don't drain. */
	ck_assert_ptr_nonnull(bytes = evbuffer_pullup(out, -1));
	ck_assert_ptr_nonnull(in = evbuffer_new());
	ck_assert_int_eq(evbuffer_add(in, bytes, len), 0);
	ck_assert_msg(frame_read(in, &o, &mt, &et, cause, sizeof cause) == 1,
	    "frame_read: %s", cause);
	ck_assert_int_eq(frame_read(in, &more, &mt, &et, cause, sizeof cause),
	    0);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	evbuffer_free(in);
	return (o);
}

START_TEST(test_utf8_valid)
{
	struct evbuffer	*b = (struct evbuffer *)1;
	const char	*s = "caf\xc3\xa9";

	ck_assert_ptr_eq(wstate_utf8(s, &b), s);
	ck_assert_ptr_null(b);
	b = (struct evbuffer *)1;
	ck_assert_ptr_null(wstate_utf8(NULL, &b));
	ck_assert_ptr_null(b);
}
END_TEST

START_TEST(test_utf8_invalid)
{
	struct evbuffer	*b = NULL;
	const char	*s = "a\xff" "b\xc3", *t;

	t = wstate_utf8(s, &b);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(t, s);
	ck_assert(utf8_valid((const unsigned char *)t, strlen(t)));
	ck_assert_int_eq(t[0], 'a');
	ck_assert_ptr_nonnull(strchr(t, 'b'));
	evbuffer_free(b);
}
END_TEST

START_TEST(test_move_sanitises_reason)
{
	struct json_object	*o, *v;
	const char		*reason;

	wk.state = ST_CREATED;
	wstate_move(ST_PREPARING_WORKSPACE, "clone of 'x\xfe': failed");
	ck_assert_int_eq(wk.state, ST_PREPARING_WORKSPACE);
	o = queued();
	ck_assert(json_object_object_get_ex(o, "ts", &v));
	ck_assert(json_object_object_get_ex(o, "newState", &v));
	ck_assert_str_eq(json_object_get_string(v),
	    session_state_name(ST_PREPARING_WORKSPACE));
	ck_assert(json_object_object_get_ex(o, "reason", &v));
	reason = json_object_get_string(v);
	ck_assert(utf8_valid((const unsigned char *)reason, strlen(reason)));
	ck_assert_ptr_null(strchr(reason, '\xfe'));
	ck_assert_int_eq(strncmp(reason, "clone of 'x", 11), 0);
	ck_assert_ptr_nonnull(strstr(reason, "': failed"));
	json_object_put(o);
}
END_TEST

START_TEST(test_alert_queued)
{
	struct json_object	*o;

	wstate_alert("network", "a title", "a description", NULL);
	o = queued();
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string(o),
	    "a description"));
	json_object_put(o);
}
END_TEST

START_TEST(test_pending_alert)
{
	struct json_object	*o, *ids, *ctx, *v;
	const char		*got;

	/* Nothing waiting: no alert. */
	ids = json_object_new_array();
	gate_pending_alert(ids);
	gate_pending_alert(NULL);
	ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(wk.chan)),
	    0);
	/*
	 * A driver's approval (not a number) and the prompt's: one alert
	 * naming both; a second call (the worker's own end) raises nothing
	 * more.
	 */
	json_object_array_add(ids, json_object_new_string("drv-1"));
	json_object_array_add(ids, json_object_new_int(7));
	strcpy(wk.approval_id, "11111111-2222-4333-8444-555555555555");
	gate_pending_alert(ids);
	o = queued();
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o,
	    "type")), "ALERT_RAISED");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o,
	    "category")), "approval");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o,
	    "title")), "session ended with approvals pending");
	ck_assert(json_object_object_get_ex(o, "context", &ctx));
	ck_assert(json_object_object_get_ex(ctx, "approvalIds", &v));
	got = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	ck_assert_str_eq(got, "[\"drv-1\","
	    "\"11111111-2222-4333-8444-555555555555\"]");
	json_object_put(o);
	gate_pending_alert(ids);
	gate_pending_alert(NULL);
	o = queued();
	json_object_put(o);
	json_object_put(ids);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("wstate");
	TCase	*tc;

	tc = tcase_create("utf8");
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_move_sanitises_reason);
	tcase_add_test(tc, test_alert_queued);
	tcase_add_test(tc, test_pending_alert);
	suite_add_tcase(s, tc);
	return (s);
}
