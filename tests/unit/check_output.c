/*
 * output.c: the CLI's terminal output on a real libevent base — chunks
 * coalesced within the window and cut at OUTPUT_CHUNK_MAX on UTF-8
 * boundaries, bad UTF-8 replaced, JSON records split out of jsonl output
 * (and refused past OUTPUT_RECORD_MAX), approval prompts offered and
 * offered again, and credentials redacted before anything leaves.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "worker/output.h"
#include "unit.h"
#include "common/utf8.h"
#include "common/util.h"

/* What the pipeline handed out. */
struct got {
	struct evbuffer		*data;		/* every chunk, in order */
	size_t			 chunks;
	size_t			 max_chunk;
	int			 bad_chunk;	/* one was not valid UTF-8 */
	struct json_object	*records;	/* an array of copies */
	char			*prompt;	/* the last one offered */
	size_t			 prompts;
	int			 take;		/* what prompt returns */
	char			*secret;	/* the last kind told */
	size_t			 secrets;
};

static struct event_base	*base;
static struct output		*out;
static struct got		 got;

/* A chunk: kept, with its size and whether it is valid UTF-8. */
static void
got_chunk(const char *p, size_t len, void *arg)
{
	struct got	*g = arg;

	ck_assert_uint_gt(len, 0);
	if (!utf8_valid((const unsigned char *)p, len))
		g->bad_chunk = 1;
	if (len > g->max_chunk)
		g->max_chunk = len;
	g->chunks++;
	evbuffer_add(g->data, p, len);
}

/* A JSON record: a reference kept. */
static void
got_record(struct json_object *o, void *arg)
{
	struct got	*g = arg;

	/* Borrowed: keep a reference for the test's own checks. */
	json_object_array_add(g->records, json_object_get(o));
}

/* A prompt: its text kept; taken or not as the test says. */
static int
got_prompt(const char *s, void *arg)
{
	struct got	*g = arg;

	free(g->prompt);
	g->prompt = xstrdup(s);
	g->prompts++;
	return (g->take);
}

/* A kind of credential told: kept. */
static void
got_secret(const char *kind, void *arg)
{
	struct got	*g = arg;

	free(g->secret);
	g->secret = xstrdup(kind);
	g->secrets++;
}

/* A pipeline with the given prompt patterns (NULL-terminated) and mode. */
static void
pipeline(char **patterns, int jsonl)
{
	struct output_cb	 cb = {
		got_chunk, got_record, got_prompt, &got, got_secret
	};
	char			 cause[256];
	char			*none[] = { NULL };

	out = output_create(base, &cb, patterns != NULL ? patterns : none,
	    jsonl, cause, sizeof cause);
	ck_assert_msg(out != NULL, "output_create: %s", cause);
}

/* A fresh base and an empty record of what came out. */
static void
setup(void)
{
	memset(&got, 0, sizeof got);
	got.data = evbuffer_new();
	got.records = json_object_new_array();
	got.take = 1;
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	out = NULL;
}

/* Free the pipeline, the base and what came out. */
static void
teardown(void)
{
	output_free(out);
	event_base_free(base);
	evbuffer_free(got.data);
	json_object_put(got.records);
	free(got.prompt);
	free(got.secret);
}

/* Feed a string as pty bytes. */
static void
feed(const char *s)
{
	output_feed(out, (const unsigned char *)s, strlen(s));
}

/* Everything handed out so far, as a string. */
static const char *
got_text(void)
{
	evbuffer_add(got.data, "", 1);
	return ((const char *)evbuffer_pullup(got.data, -1));
}

/* Run the loop until the coalescing timer has fired. */
static void
run_window(void)
{
	struct timeval	tv = { 0, (OUTPUT_DELAY_MS + 40) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

START_TEST(t_coalesce)
{
	pipeline(NULL, 0);
	feed("hello, ");
	feed("world\n");
	/* Nothing yet: the window is open. */
	ck_assert_uint_eq(got.chunks, 0);
	run_window();
	ck_assert_uint_eq(got.chunks, 1);
	ck_assert_str_eq(got_text(), "hello, world\n");
	ck_assert_uint_eq(output_sent(out), strlen("hello, world\n"));
}
END_TEST

START_TEST(t_big_chunks)
{
	size_t	 len = 3 * OUTPUT_CHUNK_MAX + 123, n;
	char	*big;

	pipeline(NULL, 0);
	big = xmalloc(len + 1);
	memset(big, 'x', len);
	big[len] = '\0';
	feed(big);
	/* A full chunk goes at once, without waiting for the window. */
	ck_assert_uint_ge(got.chunks, 1);
	output_flush(out);
	ck_assert_uint_eq(got.max_chunk, OUTPUT_CHUNK_MAX);
	ck_assert_uint_eq(got.chunks, 4);
	n = evbuffer_get_length(got.data);
	ck_assert_uint_eq(n, len);
	ck_assert_int_eq(memcmp(evbuffer_pullup(got.data, -1), big, len), 0);
	ck_assert_uint_eq(output_sent(out), len);
	free(big);
}
END_TEST

START_TEST(t_utf8_boundary)
{
	size_t	 len = OUTPUT_CHUNK_MAX + 64;
	char	*buf;
	size_t	 i;

	pipeline(NULL, 0);
	/* "é" (2 bytes) straddles the chunk limit at every odd offset. */
	buf = xmalloc(len + 1);
	buf[0] = 'a';
	for (i = 1; i + 1 < len; i += 2)
		memcpy(buf + i, "\xc3\xa9", 2);
	buf[i] = '\0';
	feed(buf);
	output_flush(out);
	ck_assert_int_eq(got.bad_chunk, 0);
	ck_assert_uint_ge(got.chunks, 2);
	ck_assert_uint_lt(got.max_chunk, OUTPUT_CHUNK_MAX);
	ck_assert_str_eq(got_text(), buf);
	free(buf);
}
END_TEST

START_TEST(t_utf8_split_and_bad)
{
	pipeline(NULL, 0);
	/* One character split over two reads arrives whole. */
	feed("caf\xc3");
	feed("\xa9 ");
	/* A byte that is not UTF-8 becomes U+FFFD. */
	feed("a\xff" "b ");
	/* So does a sequence cut off by the end of the output. */
	feed("z\xe2\x82");
	output_flush(out);
	ck_assert_int_eq(got.bad_chunk, 0);
	ck_assert_str_eq(got_text(), "caf\xc3\xa9 a\xef\xbf\xbd" "b z\xef\xbf\xbd");
}
END_TEST

START_TEST(t_escape_split)
{
	size_t	 len;
	char	*buf;

	pipeline(NULL, 0);
	/* A CSI cut by the window waits for its final byte. */
	feed("hello \x1b[1;3");
	run_window();
	ck_assert_str_eq(got_text(), "hello ");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));
	feed("1mred\x1b[0m\n");
	run_window();
	ck_assert_str_eq(got_text(), "\x1b[1;31mred\x1b[0m\n");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));

	/* An OSC up to BEL, alone in the window: nothing sent until it ends. */
	got.chunks = 0;
	feed("\x1b]0;a title \xc3\xa9");
	run_window();
	ck_assert_uint_eq(got.chunks, 0);
	feed("\x07$ ");
	run_window();
	ck_assert_uint_eq(got.chunks, 1);
	ck_assert_str_eq(got_text(), "\x1b]0;a title \xc3\xa9\x07$ ");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));

	/* Cut at OUTPUT_CHUNK_MAX: before the sequence, never inside. */
	len = OUTPUT_CHUNK_MAX + 200;
	buf = xmalloc(len + 1);
	memset(buf, 'x', len);
	memcpy(buf + OUTPUT_CHUNK_MAX - 3, "\x1b[38;5;196m", 11);
	buf[len] = '\0';
	got.chunks = 0;
	got.max_chunk = 0;
	feed(buf);
	output_flush(out);
	ck_assert_uint_eq(got.chunks, 2);
	ck_assert_uint_eq(got.max_chunk, OUTPUT_CHUNK_MAX - 3);
	ck_assert_str_eq(got_text(), buf);
	free(buf);
}
END_TEST

START_TEST(t_escape_bounded)
{
	char	*buf;
	size_t	 len = OUTPUT_ESC_MAX + 100;

	pipeline(NULL, 0);
	/* An OSC that never ends is held no further than OUTPUT_ESC_MAX. */
	buf = xmalloc(len + 1);
	memset(buf, 'a', len);
	memcpy(buf, "\x1b]", 2);
	buf[len] = '\0';
	feed(buf);
	run_window();
	ck_assert_str_eq(got_text(), buf);
	evbuffer_drain(got.data, evbuffer_get_length(got.data));
	free(buf);
	/* Still inside it: the next bytes are not held for an end. */
	feed("more");
	run_window();
	ck_assert_str_eq(got_text(), "more");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));
	/* A lone ESC, a string's ESC \\, then text. */
	feed("\x07ok\x1b");
	run_window();
	ck_assert_str_eq(got_text(), "\x07ok");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));
	feed("Pq#0\x1b");
	run_window();
	ck_assert_uint_eq(evbuffer_get_length(got.data), 0);
	feed("\\done");
	run_window();
	ck_assert_str_eq(got_text(), "\x1bPq#0\x1b\\done");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));
	/* The end of the output sends an incomplete sequence as it is. */
	feed("bye\x1b[");
	output_flush(out);
	ck_assert_str_eq(got_text(), "bye\x1b[");
}
END_TEST

START_TEST(t_records)
{
	struct json_object	*r, *v;

	pipeline(NULL, 1);
	feed("{\"type\":\"one\",\"n\":1}\n");
	/* Split over reads, with colours around it. */
	feed("\033[32m{\"type\":");
	feed("\"two\"}\033[0m\r\n");
	/* Not records: text, an array, a broken object, two objects. */
	feed("plain text\n[1,2]\n{\"type\":\n{\"a\":1}{\"b\":2}\n");
	/* The last line needs no newline. */
	feed("{\"type\":\"three\"}");
	output_flush(out);
	ck_assert_uint_eq(json_object_array_length(got.records), 3);
	r = json_object_array_get_idx(got.records, 0);
	ck_assert(json_object_object_get_ex(r, "n", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	r = json_object_array_get_idx(got.records, 1);
	ck_assert(json_object_object_get_ex(r, "type", &v));
	ck_assert_str_eq(json_object_get_string(v), "two");
	r = json_object_array_get_idx(got.records, 2);
	ck_assert(json_object_object_get_ex(r, "type", &v));
	ck_assert_str_eq(json_object_get_string(v), "three");
	/* Records are forwarded, not shown; the rest is terminal output. */
	ck_assert_ptr_null(strstr(got_text(), "\"one\""));
	ck_assert_ptr_null(strstr(got_text(), "\"two\""));
	ck_assert_ptr_null(strstr(got_text(), "\"three\""));
	ck_assert_ptr_nonnull(strstr(got_text(), "plain text\n[1,2]\n"
	    "{\"type\":\n{\"a\":1}{\"b\":2}\n"));
}
END_TEST

START_TEST(t_records_held)
{
	pipeline(NULL, 1);
	/* Half a record when the coalescing window closes: held. */
	feed("before\n{\"type\":");
	run_window();
	ck_assert_str_eq(got_text(), "before\n");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));
	feed("\"four\"}\nafter");
	run_window();
	ck_assert_str_eq(got_text(), "after");
	evbuffer_drain(got.data, evbuffer_get_length(got.data));
	ck_assert_uint_eq(json_object_array_length(got.records), 1);
	/* A line that only looked like one is shown once it ends. */
	feed("\n{not json\n");
	output_flush(out);
	ck_assert_str_eq(got_text(), "\n{not json\n");
}
END_TEST

START_TEST(t_records_off)
{
	pipeline(NULL, 0);
	feed("{\"type\":\"one\"}\n");
	output_flush(out);
	ck_assert_uint_eq(json_object_array_length(got.records), 0);
	ck_assert_str_eq(got_text(), "{\"type\":\"one\"}\n");
}
END_TEST

START_TEST(t_record_cap)
{
	struct json_object	*v;
	size_t			 len = OUTPUT_RECORD_MAX + 100;
	char			*big;

	pipeline(NULL, 1);
	/* {"k":"xxx…"}: valid JSON, but longer than a record may be. */
	big = xmalloc(len + 1);
	memset(big, 'x', len);
	memcpy(big, "{\"k\":\"", 6);
	memcpy(big + len - 3, "\"}\n", 3);
	big[len] = '\0';
	feed(big);
	feed("{\"after\":true}\n");
	output_flush(out);
	ck_assert_uint_eq(json_object_array_length(got.records), 1);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(
	    got.records, 0), "after", &v));
	/* The line too long to be a record is shown; the record is not. */
	ck_assert_uint_eq(evbuffer_get_length(got.data), len);
	free(big);
}
END_TEST

START_TEST(t_prompt)
{
	char	*pats[] = { "\\[y/n\\]", NULL };

	pipeline(pats, 0);
	got.take = 0;
	feed("working...\n");
	ck_assert_uint_eq(got.prompts, 0);
	feed("  Apply the patch? \033[1m[y/n]\033[0m ");
	ck_assert_uint_eq(got.prompts, 1);
	/* Trimmed, escapes gone. */
	ck_assert_str_eq(got.prompt, "Apply the patch? [y/n]");
	/* Refused: offered again on request, until taken. */
	output_recheck(out);
	ck_assert_uint_eq(got.prompts, 2);
	got.take = 1;
	output_recheck(out);
	ck_assert_uint_eq(got.prompts, 3);
	output_recheck(out);
	ck_assert_uint_eq(got.prompts, 3);
	/* Taken: more bytes on the same line do not offer it again. */
	feed(" ");
	ck_assert_uint_eq(got.prompts, 3);
	/* A new line is a new prompt. */
	feed("\nDelete it? [y/n]");
	ck_assert_uint_eq(got.prompts, 4);
	ck_assert_str_eq(got.prompt, "Delete it? [y/n]");
}
END_TEST

START_TEST(t_prompt_long_line)
{
	char	*pats[] = { "continue\\?$", NULL };
	size_t	 len = 3 * OUTPUT_PROMPT_MAX;
	char	*buf;

	pipeline(pats, 0);
	buf = xmalloc(len + 1);
	memset(buf, '-', len);
	buf[len] = '\0';
	feed(buf);
	feed("continue?");
	/* The newest part of a long line is kept and still matches. */
	ck_assert_uint_eq(got.prompts, 1);
	ck_assert_uint_le(strlen(got.prompt), OUTPUT_SUMMARY_MAX);
	free(buf);
}
END_TEST

START_TEST(t_bad_pattern)
{
	struct output_cb	 cb = { got_chunk, got_record, got_prompt, &got,
	    NULL };
	char			*pats[] = { "ok", "(unclosed", NULL };
	char			 cause[256];

	ck_assert_ptr_null(output_create(base, &cb, pats, 0, cause,
	    sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "bad approval pattern '(unclosed'"));
}
END_TEST

START_TEST(t_secrets)
{
	const char	*text;

	pipeline(NULL, 0);
	output_add_secret(out, "hunter2-password");
	/* Split across reads, and a token recognised by its shape. */
	feed("pass hunter2-");
	feed("password ok\n");
	feed("token ghp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXyz and "
	    "ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ab\n");
	output_flush(out);
	text = got_text();
	ck_assert_ptr_null(strstr(text, "hunter2"));
	ck_assert_ptr_null(strstr(text, "ghp_"));
	ck_assert_ptr_nonnull(strstr(text, "pass [REDACTED] ok\n"));
	ck_assert_ptr_nonnull(strstr(text, "[REDACTED:github-token]"));
	/* The kind is told once; every one is counted. */
	ck_assert_uint_eq(got.secrets, 1);
	ck_assert_str_eq(got.secret, "github-token");
	ck_assert_uint_eq(output_credentials(out), 2);
}
END_TEST

START_TEST(t_summary)
{
	char	*s;

	s = output_summary("  \t h\xc3\xa9llo  \n", 2);
	ck_assert_str_eq(s, "h\xc3\xa9");
	free(s);
	s = output_summary("short", 200);
	ck_assert_str_eq(s, "short");
	free(s);
	s = output_summary("   ", 10);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("output");
	TCase	*tc;

	tc = tcase_create("chunks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_coalesce);
	tcase_add_test(tc, t_big_chunks);
	tcase_add_test(tc, t_utf8_boundary);
	tcase_add_test(tc, t_utf8_split_and_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_records);
	tcase_add_test(tc, t_records_held);
	tcase_add_test(tc, t_records_off);
	tcase_add_test(tc, t_record_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("prompts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_prompt);
	tcase_add_test(tc, t_prompt_long_line);
	tcase_add_test(tc, t_bad_pattern);
	tcase_add_test(tc, t_escape_split);
	tcase_add_test(tc, t_escape_bounded);
	tcase_add_test(tc, t_summary);
	suite_add_tcase(s, tc);

	tc = tcase_create("secrets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_secrets);
	suite_add_tcase(s, tc);
	return (s);
}
