/*
 * Unit tests for runnerctl's client (ctl/client.c, http.c, render.c):
 * parsing and rendering.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "ctl/client.h"
#include "ctl/render.h"
#include "unit.h"

/* Parse a whole response given as a string. */
static int
parse(const char *text, struct http_resp *r, const char **cause)
{
	return (http_parse_response(text, strlen(text), r, cause));
}

START_TEST(test_url)
{
	char		*h, *p;
	const char	*cause;

	ck_assert_int_eq(client_parse_url("http://127.0.0.1:3000", &h, &p,
	    &cause), 0);
	ck_assert_str_eq(h, "127.0.0.1");
	ck_assert_str_eq(p, "3000");
	free(h);
	free(p);
	ck_assert_int_eq(client_parse_url("http://[::1]:8080/", &h, &p,
	    &cause), 0);
	ck_assert_str_eq(h, "::1");
	ck_assert_str_eq(p, "8080");
	free(h);
	free(p);
	ck_assert_int_eq(client_parse_url("http://host", &h, &p, &cause), 0);
	ck_assert_str_eq(p, "80");
	free(h);
	free(p);
	ck_assert_int_eq(client_parse_url("https://x:1", &h, &p, &cause), -1);
	ck_assert_int_eq(client_parse_url("http://:1", &h, &p, &cause), -1);
	ck_assert_int_eq(client_parse_url("http://x:", &h, &p, &cause), -1);
	ck_assert_int_eq(client_parse_url("http://x:99999", &h, &p, &cause), -1);
	ck_assert_int_eq(client_parse_url("http://x:12a", &h, &p, &cause), -1);
	ck_assert_int_eq(client_parse_url("http://x:1/api", &h, &p, &cause),
	    -1);
	ck_assert_int_eq(client_parse_url("http://[::1", &h, &p, &cause), -1);
	ck_assert_ptr_null(h);
}
END_TEST

START_TEST(test_env_and_age)
{
	struct json_object	*env;
	const char		*cause;
	char			 buf[16];

	env = json_object_new_object();
	ck_assert_int_eq(client_env_add(env, "A=b=c", &cause), 0);
	ck_assert_int_eq(client_env_add(env, "E=", &cause), 0);
	ck_assert_int_eq(client_env_add(env, "=x", &cause), -1);
	ck_assert_int_eq(client_env_add(env, "NOEQ", &cause), -1);
	ck_assert_str_eq(json_object_to_json_string_ext(env,
	    JSON_C_TO_STRING_PLAIN), "{\"A\":\"b=c\",\"E\":\"\"}");
	json_object_put(env);
	client_fmt_age(5, buf, sizeof buf);
	ck_assert_str_eq(buf, "5s");
	client_fmt_age(125, buf, sizeof buf);
	ck_assert_str_eq(buf, "2m");
	client_fmt_age(7200, buf, sizeof buf);
	ck_assert_str_eq(buf, "2h");
	client_fmt_age(3 * 86400, buf, sizeof buf);
	ck_assert_str_eq(buf, "3d");
	client_fmt_age(-4, buf, sizeof buf);
	ck_assert_str_eq(buf, "0s");
}
END_TEST

/* A sessions array with these ids. */
static struct json_object *
sessions(const char *const *ids)
{
	struct json_object	*a, *s;

	a = json_object_new_array();
	for (; *ids != NULL; ids++) {
		s = json_object_new_object();
		json_object_object_add(s, "sessionId",
		    json_object_new_string(*ids));
		json_object_array_add(a, s);
	}
	return (a);
}

START_TEST(test_resolve)
{
	static const char *const ids[] = { "abc123", "abd456", "ff00", "ab",
	    NULL };
	struct json_object	*a;
	struct cbuf		 cause = { 0 };
	char			*id;

	a = sessions(ids);
	ck_assert_int_eq(client_resolve_id(a, "abc", &id, &cause), 0);
	ck_assert_str_eq(id, "abc123");
	free(id);
	ck_assert_int_eq(client_resolve_id(a, "f", &id, &cause), 0);
	ck_assert_str_eq(id, "ff00");
	free(id);
	/* An exact id wins over the longer ids it prefixes. */
	ck_assert_int_eq(client_resolve_id(a, "ab", &id, &cause), 0);
	ck_assert_str_eq(id, "ab");
	free(id);
	ck_assert_int_eq(client_resolve_id(a, "a", &id, &cause), -2);
	ck_assert_ptr_null(id);
	ck_assert_str_eq(cause.data,
	    "ambiguous id 'a' matches 3 sessions: abc123, abd456, ab");
	ck_assert_int_eq(client_resolve_id(a, "zz\x1b", &id, &cause), -1);
	ck_assert_str_eq(cause.data, "no session matches 'zz?'");
	ck_assert_int_eq(client_resolve_id(a, "", &id, &cause), -1);
	json_object_put(a);
	/* Not an array, or members without ids: nothing matches. */
	a = json_object_new_object();
	ck_assert_int_eq(client_resolve_id(a, "a", &id, &cause), -1);
	json_object_put(a);
	a = json_tokener_parse("[1, {\"sessionId\": 5}, {}]");
	ck_assert_int_eq(client_resolve_id(a, "a", &id, &cause), -1);
	json_object_put(a);
	cbuf_free(&cause);
}
END_TEST

/* Render events given as a JSON array string, raw or filtered, and end. */
static char *
render_as(const char *events, int raw)
{
	struct json_object	*a;
	struct render		 r;
	struct cbuf		 out = { 0 };
	size_t			 i;

	render_init(&r, raw);
	a = json_tokener_parse(events);
	ck_assert_ptr_nonnull(a);
	for (i = 0; i < json_object_array_length(a); i++)
		render_event(&r, json_object_array_get_idx(a, i), &out);
	json_object_put(a);
	render_end(&r, &out);
	cbuf_add(&out, "", 0);
	return (out.data);
}

/* Render filtered. */
static char *
render(const char *events)
{
	return (render_as(events, 0));
}

START_TEST(test_render)
{
	char	*s;

	s = render("[{\"type\":\"SESSION_STATE_CHANGED\",\"seq\":1,"
	    "\"previousState\":\"RUNNING\",\"newState\":\"COMPLETED\","
	    "\"reason\":\"provider exited with code 0\"}]");
	ck_assert_str_eq(s,
	    "-- RUNNING -> COMPLETED (provider exited with code 0)\n");
	free(s);
	/* Terminal output with its colours (put back at the end); a line
	 * event after it starts a new line. */
	s = render("[{\"type\":\"TERMINAL_CHUNK\",\"data\":\"a\\u001b[1mb\"},"
	    "{\"type\":\"SESSION_ENDED\",\"finalState\":\"FAILED\","
	    "\"exitCode\":3},"
	    "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"x\\n\"},"
	    "{\"type\":\"SESSION_STATE_CHANGED\",\"previousState\":\"A\","
	    "\"newState\":\"B\",\"reason\":null}]");
	ck_assert_str_eq(s, "a\x1b[1mb\n-- SESSION_ENDED FAILED, exit 3\n"
	    "x\n-- A -> B\n\x1b[m");
	free(s);
	s = render("[{\"type\":\"APPROVAL_REQUESTED\",\"approval\":"
	    "{\"approvalId\":\"ap1\",\"summary\":\"Go? [y/n]\"}},"
	    "{\"type\":\"APPROVAL_RESOLVED\",\"approvalId\":\"ap1\","
	    "\"decision\":\"allow\"},"
	    "{\"type\":\"ALERT_RAISED\",\"sessionId\":\"s\",\"ts\":1,"
	    "\"alert\":{\"title\":\"t\\u001b\"}},"
	    "{\"type\":\"NEW_KIND\"},{\"no\":\"type\"},"
	    "{\"type\":\"SESSION_STATE_CHANGED\"}]");
	ck_assert_str_eq(s, "-- APPROVAL_REQUESTED ap1: Go? [y/n]\n"
	    "-- APPROVAL_RESOLVED ap1 allow\n"
	    "-- ALERT_RAISED {\"alert\":{\"title\":\"t\\u001b\"}}\n"
	    "-- NEW_KIND\n-- ? {\"no\":\"type\"}\n-- ? -> ?\n");
	free(s);
}
END_TEST

START_TEST(test_render_hostile)
{
	static const char events[] = "[{\"type\":\"TERMINAL_CHUNK\","
	    "\"data\":\"\\u001b[31mred\\u001b]52;c;cHduZWQ=\\u0007\\u001b]0;\"},"
	    "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"title\\u0007\\u001b[\"},"
	    "{\"type\":\"TERMINAL_CHUNK\",\"data\":\"6n\\u009b6n\\u0000z"
	    "\\u001b[?1049h\"},"
	    "{\"type\":\"APPROVAL_REQUESTED\",\"approval\":"
	    "{\"approvalId\":\"ap\\u009b1\",\"summary\":\"Go\\u001b]0;x\\u0007\"}}]";
	char	*s;

	/* Split sequences across chunks are dropped; NUL does not cut the
	 * chunk short; the end puts the alternate screen and colour back. */
	s = render(events);
	ck_assert_str_eq(s, "\033[31mredz\033[?1049h\n"
	    "-- APPROVAL_REQUESTED ap?1: Go?]0;x?\n\033[?1049l\033[m");
	free(s);
	s = render_as(events, 1);
	ck_assert_mem_eq(s, "\033[31mred\033]52;c;cHduZWQ=\a\033]0;title\a"
	    "\033[6n\xc2\x9b" "6n\0z\033[?1049h\n-- APPROVAL_REQUESTED ap?1: "
	    "Go?]0;x?\n", 85);
	free(s);
}
END_TEST

START_TEST(test_status)
{
	struct json_object	*o;

	o = json_tokener_parse("{\"finalState\":\"FAILED\",\"exitCode\":7}");
	ck_assert_int_eq(client_session_status(o), 7);
	json_object_put(o);
	o = json_tokener_parse("{\"finalState\":\"FAILED\",\"exitCode\":null}");
	ck_assert_int_eq(client_session_status(o), 1);
	json_object_put(o);
	o = json_tokener_parse("{\"state\":\"COMPLETED\"}");
	ck_assert_int_eq(client_session_status(o), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"exitCode\":-1}");
	ck_assert_int_eq(client_session_status(o), 255);
	json_object_put(o);
}
END_TEST

START_TEST(test_response_plain)
{
	struct http_resp	 r;
	const char		*cause;
	char			*msg;

	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: 2\r\n\r\n{}extra", &r,
	    &cause), 0);
	ck_assert_int_eq(r.head.status, 200);
	ck_assert_str_eq(r.head.content_type, "application/json");
	ck_assert_str_eq(r.body.data, "{}");
	http_resp_free(&r);
	/* No length: the body runs to EOF. */
	ck_assert_int_eq(parse("HTTP/1.0 404 Not Found\r\n\r\n{\"error\":"
	    "{\"code\":\"NOT_FOUND\",\"message\":\"no such\\nsession\"}}", &r,
	    &cause), 0);
	ck_assert_int_eq(r.head.status, 404);
	msg = http_error_message(&r);
	ck_assert_str_eq(msg, "no such?session");
	free(msg);
	http_resp_free(&r);
	ck_assert_int_eq(parse("HTTP/1.1 413 Too Large\r\nContent-Length: 6"
	    "\r\n\r\n<html>", &r, &cause), 0);
	msg = http_error_message(&r);
	ck_assert_str_eq(msg, "server answered HTTP 413");
	free(msg);
	http_resp_free(&r);
	ck_assert_int_eq(parse("HTTP/1.1 204 No Content\r\n\r\n", &r, &cause),
	    0);
	ck_assert_uint_eq(r.body.len, 0);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_response_chunked)
{
	struct http_resp	 r;
	const char		*cause;
	const char		*text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\n"
	    "X-Trailer: y\r\n\r\n";
	struct chunk_dec	 d;
	struct cbuf		 out = { 0 };
	size_t			 i, hl;

	ck_assert_int_eq(parse(text, &r, &cause), 0);
	ck_assert_int_eq(r.head.chunked, 1);
	ck_assert_str_eq(r.body.data, "hello, world!!!");
	http_resp_free(&r);
	/* The decoder fed one byte at a time gives the same bytes. */
	hl = strstr(text, "\r\n\r\n") - text + 4;
	memset(&d, 0, sizeof d);
	for (i = hl; text[i] != '\0'; i++)
		ck_assert_int_eq(http_dechunk(&d, text + i, 1, &out, &cause),
		    0);
	ck_assert_int_eq(d.done, 1);
	ck_assert_str_eq(out.data, "hello, world!!!");
	cbuf_free(&out);
}
END_TEST

START_TEST(test_response_hostile)
{
	static const char *const bad[] = {
		"",
		"HTTP/1.1 200 OK\r\n",				/* truncated */
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 X\r\n\r\n",
		"HTTP/1.1 20x OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: 1\nY: 2\r\n\r\n",	/* bare LF */
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2"
		    "\r\n\r\nxx",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "Content-Length: 3\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5\r\nhel",				/* truncated chunk */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "zz\r\nhello\r\n0\r\n\r\n",			/* bad size */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "\r\n",					/* empty size */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "fffffffffffffffffff\r\n",			/* overflow */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "20000000\r\n",				/* > limit */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "2\r\nabXY0\r\n\r\n",			/* no CRLF */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "1\r\na\r\n",				/* no last chunk */
		NULL
	};
	struct http_resp	 r;
	struct http_head	 h;
	const char		*cause;
	char			*big;
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++) {
		cause = NULL;
		ck_assert_msg(parse(bad[i], &r, &cause) == -1,
		    "accepted: %s", bad[i]);
		ck_assert_ptr_nonnull(cause);
	}
	/* A chunk size line that never ends. */
	big = malloc(HTTP_MAX_HEAD + 100);
	memset(big, '1', HTTP_MAX_HEAD + 99);
	big[HTTP_MAX_HEAD + 99] = '\0';
	memcpy(big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    47);
	ck_assert_int_eq(parse(big, &r, &cause), -1);
	/* A head that never ends. */
	memset(big, 'a', HTTP_MAX_HEAD + 99);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	ck_assert_int_eq(http_parse_head(big, HTTP_MAX_HEAD + 99, &h,
	    &cause), -1);
	ck_assert_str_eq(cause, "response head too large");
	ck_assert_int_eq(http_parse_head(big, 100, &h, &cause), 0);
	free(big);
}
END_TEST

/* Collect SSE events as "event|id|data;" into a cbuf. */
static int
sse_collect(const struct sse_event *ev, void *arg)
{
	cbuf_printf(arg, "%s|%s|%s;", ev->event, ev->id, ev->data);
	return (strcmp(ev->event, "STOP") == 0);
}

START_TEST(test_sse)
{
	const char *text = ": session x\n\nid: 1\nevent: A\ndata: {\"a\":1}\n\n"
	    ": heartbeat\n\nid:2\r\nevent:B\r\ndata: l1\r\ndata:l2\r\n\r\n"
	    "data\n\nevent: STOP\ndata: s\n\nid: 9\ndata: after\n\n";
	struct sse_parser	p;
	struct cbuf		out = { 0 };
	size_t			i;
	int			rc = 0;

	memset(&p, 0, sizeof p);
	ck_assert_int_eq(http_sse_feed(&p, text, strlen(text), sse_collect,
	    &out), 1);
	ck_assert_str_eq(out.data, "A|1|{\"a\":1};B|2|l1\nl2;message||;"
	    "STOP||s;");
	http_sse_free(&p);
	cbuf_free(&out);
	/* Byte by byte: the same events. */
	memset(&p, 0, sizeof p);
	for (i = 0; text[i] != '\0' && rc == 0; i++)
		rc = http_sse_feed(&p, text + i, 1, sse_collect, &out);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out.data, "A|1|{\"a\":1};B|2|l1\nl2;message||;"
	    "STOP||s;");
	http_sse_free(&p);
	cbuf_free(&out);
}
END_TEST

/* The suite. */
Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("runnerctl");
	tc = tcase_create("arguments");
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_env_and_age);
	tcase_add_test(tc, test_resolve);
	suite_add_tcase(s, tc);

	tc = tcase_create("render");
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_render_hostile);
	tcase_add_test(tc, test_status);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_test(tc, test_response_plain);
	tcase_add_test(tc, test_response_chunked);
	tcase_add_test(tc, test_response_hostile);
	tcase_add_test(tc, test_sse);
	suite_add_tcase(s, tc);
	return (s);
}
