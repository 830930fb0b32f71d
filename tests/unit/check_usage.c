/*
 * The worker's usage units and the CLI's terminal: seconds as reasons and
 * JSON numbers, the units object with and without a cgroup reading, and
 * input, output and the window size over a real pty.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/util.h"
#include "worker/ptyio.h"
#include "worker/usage.h"
#include "unit.h"

/* A reason's seconds: whole, or one decimal. */
START_TEST(test_seconds)
{
	char	*s;

	s = usage_seconds(30000);
	ck_assert_str_eq(s, "30");
	free(s);
	s = usage_seconds(1500);
	ck_assert_str_eq(s, "1.5");
	free(s);
	s = usage_seconds(0);
	ck_assert_str_eq(s, "0");
	free(s);
}
END_TEST

/* JSON seconds: millisecond precision, trailing zeros cut, never < 0. */
START_TEST(test_json_seconds)
{
	struct json_object	*o;

	o = usage_json_seconds(1.25);
	ck_assert_str_eq(json_object_to_json_string(o), "1.25");
	json_object_put(o);
	o = usage_json_seconds(2.0);
	ck_assert_str_eq(json_object_to_json_string(o), "2");
	json_object_put(o);
	o = usage_json_seconds(0.0004);
	ck_assert_str_eq(json_object_to_json_string(o), "0");
	json_object_put(o);
	o = usage_json_seconds(-3.0);
	ck_assert_str_eq(json_object_to_json_string(o), "0");
	json_object_put(o);
}
END_TEST

/* The units: counts as given, cgroup readings null without a cgroup. */
START_TEST(test_units_no_cgroup)
{
	struct usage_counts	 c = { 61500, 1025, 3, 7, 2 };
	struct usage_reading	 r;
	struct json_object	*u, *v;

	memset(&r, 0, sizeof r);
	u = usage_units(&c, NULL, &r);
	ck_assert(json_object_object_get_ex(u, "agentSeconds", &v));
	ck_assert_str_eq(json_object_to_json_string(v), "61.5");
	ck_assert(json_object_object_get_ex(u, "terminalKb", &v));
	ck_assert_int_eq(json_object_get_int64(v), 2);
	ck_assert(json_object_object_get_ex(u, "filesTouched", &v));
	ck_assert_int_eq(json_object_get_int64(v), 3);
	ck_assert(json_object_object_get_ex(u, "commandsRun", &v));
	ck_assert_int_eq(json_object_get_int64(v), 7);
	ck_assert(json_object_object_get_ex(u, "approvalsRequested", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(u, "cpuSeconds", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(u, "peakMemoryBytes", &v));
	ck_assert_ptr_null(v);
	ck_assert_int_eq(r.read, 0);
	ck_assert_int_eq(usage_oom(NULL, &r), 0);
	json_object_put(u);
}
END_TEST

/* A reading kept from before is used when the cgroup cannot be read. */
START_TEST(test_units_last_reading)
{
	struct usage_counts	 c = { 0, 0, 0, 0, 0 };
	struct usage_reading	 r;
	struct json_object	*u, *v;

	memset(&r, 0, sizeof r);
	r.read = 1;
	r.u.cpu_seconds = 2.5;
	r.u.memory_peak = 4096;
	r.u.oom_kills = 1;
	u = usage_units(&c, NULL, &r);
	ck_assert(json_object_object_get_ex(u, "cpuSeconds", &v));
	ck_assert_str_eq(json_object_to_json_string(v), "2.5");
	ck_assert(json_object_object_get_ex(u, "peakMemoryBytes", &v));
	ck_assert_int_eq(json_object_get_int64(v), 4096);
	ck_assert(json_object_object_get_ex(u, "terminalKb", &v));
	ck_assert_int_eq(json_object_get_int64(v), 0);
	json_object_put(u);
	/* No cgroup: no fresh reading, so no OOM is claimed. */
	ck_assert_int_eq(usage_oom(NULL, &r), 0);
	r.u.memory_peak = -1;
	u = usage_units(&c, NULL, &r);
	ck_assert(json_object_object_get_ex(u, "peakMemoryBytes", &v));
	ck_assert_ptr_null(v);
	json_object_put(u);
}
END_TEST

/* Input reaches the terminal's other side; the cap drops what is over. */
START_TEST(test_pty_input_output)
{
	struct event_base	*base;
	struct evbuffer		*in;
	struct event		*wev;
	struct termios		 t;
	char			 buf[64];
	int			 master, slave;
	ssize_t			 n;

	ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	/* Raw: bytes pass as they are, no echo. */
	ck_assert_int_eq(tcgetattr(slave, &t), 0);
	cfmakeraw(&t);
	ck_assert_int_eq(tcsetattr(slave, TCSANOW, &t), 0);
	ck_assert_int_ne(set_nonblock(master), -1);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	in = evbuffer_new();
	wev = event_new(base, master, EV_WRITE | EV_PERSIST, NULL, NULL);

	ck_assert_int_eq(ptyio_input(master, in, wev, "hello", 5, 1024), 0);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	ck_assert(!event_pending(wev, EV_WRITE, NULL));
	n = read(slave, buf, sizeof buf);
	ck_assert_int_eq(n, 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	/* Over the cap: dropped, nothing queued. */
	ck_assert_int_eq(ptyio_input(master, in, wev, "0123456789", 10, 8),
	    -1);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);

	/* Output: bytes, then nothing for now, then the end. */
	ck_assert_int_eq(ptyio_read(master, buf, sizeof buf), 0);
	ck_assert_int_eq(write(slave, "out", 3), 3);
	n = ptyio_read(master, buf, sizeof buf);
	ck_assert_int_eq(n, 3);
	ck_assert(memcmp(buf, "out", 3) == 0);
	close(slave);
	ck_assert_int_eq(ptyio_read(master, buf, sizeof buf), -1);

	event_free(wev);
	evbuffer_free(in);
	event_base_free(base);
	close(master);
}
END_TEST

/* The window size set on the master is what the terminal reports. */
START_TEST(test_pty_resize)
{
	struct winsize	ws;
	int		master, slave;

	ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	ptyio_resize(master, 132, 43);
	memset(&ws, 0, sizeof ws);
	ck_assert_int_eq(ioctl(slave, TIOCGWINSZ, &ws), 0);
	ck_assert_int_eq(ws.ws_col, 132);
	ck_assert_int_eq(ws.ws_row, 43);
	close(slave);
	close(master);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("usage");
	tc = tcase_create("units");
	tcase_add_test(tc, test_seconds);
	tcase_add_test(tc, test_json_seconds);
	tcase_add_test(tc, test_units_no_cgroup);
	tcase_add_test(tc, test_units_last_reading);
	suite_add_tcase(s, tc);
	tc = tcase_create("pty");
	tcase_add_test(tc, test_pty_input_output);
	tcase_add_test(tc, test_pty_resize);
	suite_add_tcase(s, tc);
	return (s);
}
