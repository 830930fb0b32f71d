/*
 * eventlog.c: a real events.jsonl in a temporary directory — append in seq
 * order, read back pages after an id, the same log after a reopen, a torn
 * last line cut off, and directories it cannot use.
 */
#include "config.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>

#include "supervisor/eventlog.h"
#include "fixture.h"
#include "unit.h"
#include "common/util.h"

static char		 tmp[128];
static char		 path[256];	/* tmp/events.jsonl */
static char		 cause[512];
static struct eventlog	*el;

/* A fresh directory for the log. */
static void
setup(void)
{
	fixture_tmpdir(tmp, sizeof tmp, "check_eventlog");
	snprintf(path, sizeof path, "%s/events.jsonl", tmp);
	el = NULL;
}

/* Close the log and remove its directory. */
static void
teardown(void)
{
	eventlog_close(el);
	fixture_rmdir(tmp);
}

/* Open tmp's log; the last seq it holds. */
static uint64_t
open_log(void)
{
	uint64_t	last = 99;

	el = eventlog_open(tmp, &last, cause, sizeof cause);
	ck_assert_msg(el != NULL, "eventlog_open: %s", cause);
	return (last);
}

/* Append events from..to as {"seq":N}. */
static void
append_range(uint64_t from, uint64_t to)
{
	char		line[64];
	uint64_t	seq;
	int		len;

	for (seq = from; seq <= to; seq++) {
		len = snprintf(line, sizeof line, "{\"seq\":%llu}",
		    (unsigned long long)seq);
		ck_assert_int_eq(eventlog_append(el, seq, line, (size_t)len),
		    0);
	}
}

/* Read after/limit; the text, its count and last seq checked. */
static void
read_expect(uint64_t after, size_t limit, const char *want, size_t wcount,
    uint64_t wlast)
{
	struct evbuffer	*out = evbuffer_new();
	size_t		 count = 99;
	uint64_t	 last = 99;
	char		*got;
	size_t		 len;

	ck_assert_int_eq(eventlog_read(el, after, limit, out, &count, &last),
	    0);
	len = evbuffer_get_length(out);
	got = len == 0 ? xstrdup("") :
	    xstrndup((const char *)evbuffer_pullup(out, -1), len);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(count, wcount);
	ck_assert_uint_eq(last, wlast);
	free(got);
	evbuffer_free(out);
}

/* The file's size on disk. */
static off_t
file_size(void)
{
	struct stat	st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (st.st_size);
}

START_TEST(test_append_read)
{
	ck_assert_uint_eq(open_log(), 0);
	ck_assert_uint_eq(eventlog_bytes(el), 0);
	read_expect(0, 10, "", 0, 0);
	append_range(1, 5);
	/* One line per event: {"seq":N} and a newline. */
	ck_assert_uint_eq(eventlog_bytes(el), 5 * 10);
	ck_assert_int_eq(file_size(), 5 * 10);
	read_expect(0, 10, "{\"seq\":1},{\"seq\":2},{\"seq\":3},{\"seq\":4},"
	    "{\"seq\":5}", 5, 5);
	/* Pages after an id. */
	read_expect(2, 2, "{\"seq\":3},{\"seq\":4}", 2, 4);
	read_expect(4, 100, "{\"seq\":5}", 1, 5);
	/* Nothing after the last, or with no room. */
	read_expect(5, 10, "", 0, 5);
	read_expect(7, 10, "", 0, 7);
	read_expect(1, 0, "", 0, 1);
}
END_TEST

START_TEST(test_seq_order)
{
	open_log();
	append_range(1, 2);
	/* Only the next seq is taken: no gap, no repeat. */
	ck_assert_int_eq(eventlog_append(el, 4, "{}", 2), -1);
	ck_assert_int_eq(eventlog_append(el, 2, "{}", 2), -1);
	ck_assert_int_eq(eventlog_append(el, 0, "{}", 2), -1);
	ck_assert_uint_eq(eventlog_bytes(el), 20);
	append_range(3, 3);
	read_expect(1, 5, "{\"seq\":2},{\"seq\":3}", 2, 3);
}
END_TEST

START_TEST(test_reopen)
{
	open_log();
	append_range(1, 3);
	eventlog_sync(el);
	eventlog_close(el);
	el = NULL;
	/* What was appended is there after a reopen, and the log goes on. */
	ck_assert_uint_eq(open_log(), 3);
	ck_assert_uint_eq(eventlog_bytes(el), 30);
	read_expect(0, 10, "{\"seq\":1},{\"seq\":2},{\"seq\":3}", 3, 3);
	ck_assert_int_eq(eventlog_append(el, 3, "{}", 2), -1);
	append_range(4, 12);
	eventlog_sync_all();
	eventlog_close(el);
	el = NULL;
	ck_assert_uint_eq(open_log(), 12);
	read_expect(10, 10, "{\"seq\":11},{\"seq\":12}", 2, 12);
}
END_TEST

START_TEST(test_torn_tail)
{
	const char	*torn = "{\"seq\":4,\"data\":\"cut sho";
	int		 fd;

	open_log();
	append_range(1, 3);
	eventlog_close(el);
	el = NULL;
	/* A crash in the middle of a write leaves a line without newline. */
	fd = open(path, O_WRONLY|O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, torn, strlen(torn)), (ssize_t)strlen(torn));
	close(fd);
	ck_assert_uint_eq(open_log(), 3);
	/* It is cut off the file, never read back, and 4 is written anew. */
	ck_assert_int_eq(file_size(), 30);
	ck_assert_uint_eq(eventlog_bytes(el), 30);
	append_range(4, 4);
	read_expect(2, 10, "{\"seq\":3},{\"seq\":4}", 2, 4);
	ck_assert_int_eq(file_size(), 40);
}
END_TEST

START_TEST(test_blank_lines)
{
	const char	*text = "{\"seq\":1}\n\n{\"seq\":2}\n";

	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
	/* An empty line is no event. */
	ck_assert_uint_eq(open_log(), 2);
	append_range(3, 3);
	read_expect(2, 1, "{\"seq\":3}", 1, 3);
}
END_TEST

START_TEST(test_open_fails)
{
	uint64_t	 last = 0;
	char		*dir;

	/* A file where the directory should be. */
	dir = xasprintf("%s/file", tmp);
	ck_assert_int_eq(write_file_atomic(dir, "x", 1), 0);
	ck_assert_ptr_null(eventlog_open(dir, &last, cause, sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, dir));
	free(dir);
	/* events.jsonl a directory: it cannot be opened as the log. */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(eventlog_open(tmp, &last, cause, sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "events.jsonl"));
	/* A missing directory is made. */
	dir = xasprintf("%s/new/session", tmp);
	el = eventlog_open(dir, &last, cause, sizeof cause);
	ck_assert_ptr_nonnull(el);
	ck_assert_uint_eq(last, 0);
	free(dir);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("eventlog");
	TCase	*tc;

	tc = tcase_create("log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_append_read);
	tcase_add_test(tc, test_seq_order);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_torn_tail);
	tcase_add_test(tc, test_blank_lines);
	tcase_add_test(tc, test_open_fails);
	suite_add_tcase(s, tc);
	return (s);
}
