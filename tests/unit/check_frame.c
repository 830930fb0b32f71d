/*
 * Unit tests for the channel's frame codec (common/frame.c), over real
 * non-blocking AF_UNIX socketpairs: frames are written with frame_write and
 * evbuffer_write, read with evbuffer_read and frame_read, as the supervisor
 * and the worker do. Hostile input is written raw to the socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/frame.h"
#include "unit.h"

/* The largest single allocation libevent asked for since the last reset. */
static size_t	mem_max;

/* libevent's allocator, recording the largest request. */
static void *
mem_malloc(size_t n)
{
	if (n > mem_max)
		mem_max = n;
	return (malloc(n));
}

/* libevent's reallocator, recording the largest request. */
static void *
mem_realloc(void *p, size_t n)
{
	if (n > mem_max)
		mem_max = n;
	return (realloc(p, n));
}

/* libevent's free. */
static void
mem_free(void *p)
{
	free(p);
}

/* A connected non-blocking AF_UNIX stream pair: [0] writes, [1] reads. */
static void
pair_open(int sv[2])
{
	int	i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_ne(fcntl(sv[i], F_SETFL,
		    fcntl(sv[i], F_GETFL) | O_NONBLOCK), -1);
}

/* Close both ends (the writer may already be closed: -1). */
static void
pair_close(int sv[2])
{
	if (sv[0] != -1)
		close(sv[0]);
	close(sv[1]);
}

/* Read everything available on fd into in; 0 at EOF, else bytes read. */
static ssize_t
drain_socket(int fd, struct evbuffer *in, int *eof)
{
	ssize_t	n, total = 0;

	*eof = 0;
	for (;;) {
		n = evbuffer_read(in, fd, -1);
		if (n > 0) {
			total += n;
			continue;
		}
		if (n == 0)
			*eof = 1;
		else
			ck_assert_msg(errno == EAGAIN, "read: %s",
			    strerror(errno));
		return (total);
	}
}

/* Move all of out through the socket pair into in, both non-blocking. */
static void
pump(struct evbuffer *out, int sv[2], struct evbuffer *in)
{
	int	eof;
	int	n;

	while (evbuffer_get_length(out) > 0) {
		n = evbuffer_write(out, sv[0]);
		ck_assert_msg(n >= 0 || errno == EAGAIN, "write: %s",
		    strerror(errno));
		drain_socket(sv[1], in, &eof);
		ck_assert(!eof);
	}
	drain_socket(sv[1], in, &eof);
}

/* Write raw bytes to the socket and read them into in. */
static void
send_raw(int sv[2], const void *buf, size_t len, struct evbuffer *in)
{
	struct evbuffer	*out = evbuffer_new();

	evbuffer_add(out, buf, len);
	pump(out, sv, in);
	evbuffer_free(out);
	ck_assert_uint_eq(evbuffer_get_length(in), len);
}

/* A frame header for len. */
static void
header(unsigned char h[4], uint32_t len)
{
	len = htonl(len);
	memcpy(h, &len, 4);
}

/* A message of each type with realistic fields (caller owns it). */
static struct json_object *
sample(const char *json)
{
	struct json_object	*o = json_tokener_parse(json);

	ck_assert_msg(o != NULL, "sample: %s", json);
	return (o);
}

static const char *const samples[] = {
	"{\"type\":\"READY\",\"pid\":4242,\"protocol\":1}",
	"{\"type\":\"START\",\"protocol\":1,\"session\":{\"sessionId\":"
	    "\"3f2a1b2c-0000-4000-8000-000000000001\",\"orgId\":\"org\","
	    "\"villageId\":\"demo\",\"agentId\":\"runner_3f2a1b2c\"},"
	    "\"repoRef\":{\"provider\":\"local\",\"path\":\"/srv/r\"},"
	    "\"checkout\":{\"type\":\"branch\",\"ref\":\"main\"},"
	    "\"task\":{\"title\":\"t\",\"goal\":\"print h\\u00e9llo \\u20ac"
	    " \\ud83d\\ude00\",\"constraints\":[],\"acceptance\":[\"a\"]},"
	    "\"policy\":{\"shellAllowlist\":[\"*\"],\"networkMode\":\"open\"},"
	    "\"env\":{\"API_KEY\":\"sk-123\"},\"provider\":{\"name\":\"fake\","
	    "\"command\":\"runnerd-fake-agent\",\"args\":[\"{goal}\"]},"
	    "\"workspaceDir\":\"/tmp/ws\",\"allowedRoots\":[\"/\"],\"cols\":80,"
	    "\"rows\":24,\"timeoutMs\":3600000,\"graceMs\":10000,"
	    "\"path\":\"/usr/bin\",\"home\":\"/root\",\"lang\":\"C.UTF-8\"}",
	"{\"type\":\"INPUT\",\"data\":\"ls -l\\r\\n\\u001b[A\\t\\\"q\\\" \\\\ /\"}",
	"{\"type\":\"RESIZE\",\"cols\":132,\"rows\":43}",
	"{\"type\":\"STOP\",\"graceful\":true}",
	"{\"type\":\"PAUSE\"}",
	"{\"type\":\"RESUME\"}",
	"{\"type\":\"APPROVE\",\"approvalId\":\"ap-1\",\"decision\":\"deny\","
	    "\"note\":\"no\"}",
};

static const char *const event_samples[] = {
	"{\"type\":\"SESSION_STARTED\",\"providerId\":\"fake\","
	    "\"providerVersion\":\"1.0.0\",\"workspacePath\":\"/tmp/ws/x\"}",
	"{\"type\":\"SESSION_STATE_CHANGED\",\"previousState\":\"RUNNING\","
	    "\"newState\":\"STOPPING\",\"reason\":\"stop requested\"}",
	"{\"type\":\"SESSION_ENDED\",\"finalState\":\"COMPLETED\","
	    "\"exitCode\":0,\"totalDurationMs\":1234,\"totalUsage\":{}}",
	"{\"type\":\"TERMINAL_CHUNK\",\"data\":\"hello \\ufffd\\r\\n\","
	    "\"stream\":\"stdout\"}",
	"{\"type\":\"FILE_TOUCHED\",\"path\":\"src/a.c\",\"reason\":\"write\"}",
	"{\"type\":\"DIFF_SUMMARY\",\"filesChanged\":1,\"linesAdded\":2,"
	    "\"linesRemoved\":0,\"files\":[{\"path\":\"a\",\"status\":\"added\","
	    "\"additions\":2,\"deletions\":0}]}",
	"{\"type\":\"TEST_RUN_STARTED\",\"command\":\"make check\"}",
	"{\"type\":\"TEST_RUN_FINISHED\",\"exitCode\":1,\"passed\":3,"
	    "\"failed\":1,\"skipped\":0,\"duration\":2.5}",
	"{\"type\":\"APPROVAL_REQUESTED\",\"approval\":{\"approvalId\":\"a\","
	    "\"category\":\"merge\",\"summary\":\"git push\",\"risk\":\"high\","
	    "\"requestedAt\":1700000000000}}",
	"{\"type\":\"APPROVAL_RESOLVED\",\"approvalId\":\"a\","
	    "\"decision\":\"allow\"}",
	"{\"type\":\"ALERT_RAISED\",\"alertId\":\"x\",\"severity\":\"warn\","
	    "\"category\":\"sandbox\",\"title\":\"t\",\"description\":\"d\"}",
	"{\"type\":\"USAGE_TICK\",\"providerId\":\"fake\",\"units\":"
	    "{\"agentSeconds\":1.25,\"terminalKb\":3,\"filesTouched\":0,"
	    "\"commandsRun\":0,\"approvalsRequested\":0},\"intervalMs\":1000}",
	"{\"type\":\"PROVIDER_EVENT_FORWARDED\",\"providerEvent\":"
	    "{\"kind\":\"tool\",\"nested\":[1,[2,[3]],null,false]}}",
	"{\"type\":\"AGENT_MESSAGE\",\"text\":\"Done: 2 files.\"}",
};
_Static_assert(sizeof event_samples / sizeof event_samples[0] == EV__COUNT,
    "one sample per event type");

START_TEST(test_roundtrip_every_type)
{
	struct evbuffer		*out = evbuffer_new(), *in = evbuffer_new();
	struct json_object	*o, *got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	int			 sv[2], i, n;

	pair_open(sv);
	n = (int)(sizeof samples / sizeof samples[0]);
	ck_assert_int_eq(n, MSG_EVENT);
	for (i = 0; i < n + EV__COUNT; i++) {
		o = sample(i < n ? samples[i] : event_samples[i - n]);
		ck_assert_int_eq(frame_write(out, o, cause, sizeof cause), 0);
		pump(out, sv, in);
		ev = EV__COUNT;
		ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
		    sizeof cause), 1);
		ck_assert_ptr_nonnull(got);
		if (i < n)
			ck_assert_int_eq(type, i);
		else {
			ck_assert_int_eq(type, MSG_EVENT);
			ck_assert_int_eq(ev, i - n);
		}
		ck_assert_msg(json_object_equal(o, got), "%s != %s",
		    json_object_to_json_string(o),
		    json_object_to_json_string(got));
		json_object_put(got);
		ck_assert_uint_eq(evbuffer_get_length(in), 0);
		ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
		    sizeof cause), 0);
		ck_assert_ptr_null(got);
		json_object_put(o);
	}
	pair_close(sv);
	evbuffer_free(out);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_wire_format)
{
	struct evbuffer		*out = evbuffer_new();
	struct json_object	*o = sample("{\"type\":\"PAUSE\"}");
	char			 cause[FRAME_CAUSE_MAX];
	unsigned char		*p;

	ck_assert_int_eq(frame_write(out, o, cause, sizeof cause), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 4 + 16);
	p = evbuffer_pullup(out, -1);
	ck_assert_mem_eq(p, "\0\0\0\x10{\"type\":\"PAUSE\"}", 20);
	json_object_put(o);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_many_frames_one_read)
{
	struct evbuffer		*out = evbuffer_new(), *in = evbuffer_new();
	struct json_object	*o, *got, *v;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	int			 sv[2], i, total;

	pair_open(sv);
	for (i = 0; i < 60; i++) {
		o = event_create(EV_TERMINAL_CHUNK);
		json_object_object_add(o, "seqInTest", json_object_new_int(i));
		ck_assert_int_eq(frame_write(out, o, cause, sizeof cause), 0);
		json_object_put(o);
	}
	total = (int)evbuffer_get_length(out);
	ck_assert_int_lt(total, 4096);	/* libevent reads up to 4096 */
	ck_assert_int_eq(evbuffer_write(out, sv[0]), total);
	/* One read(2) brings every frame in. */
	ck_assert_int_eq(evbuffer_read(in, sv[1], -1), total);
	for (i = 0; i < 60; i++) {
		ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
		    sizeof cause), 1);
		ck_assert_int_eq(type, MSG_EVENT);
		ck_assert_int_eq(ev, EV_TERMINAL_CHUNK);
		ck_assert(json_object_object_get_ex(got, "seqInTest", &v));
		ck_assert_int_eq(json_object_get_int(v), i);
		json_object_put(got);
	}
	ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
	    sizeof cause), 0);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	pair_close(sv);
	evbuffer_free(out);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	struct evbuffer		*out = evbuffer_new(), *in = evbuffer_new();
	struct json_object	*o, *got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	unsigned char		*bytes;
	size_t			 len, i;
	int			 sv[2];

	pair_open(sv);
	o = sample(samples[1]);	/* START, a few hundred bytes */
	ck_assert_int_eq(frame_write(out, o, cause, sizeof cause), 0);
	len = evbuffer_get_length(out);
	bytes = malloc(len);
	evbuffer_remove(out, bytes, len);
	for (i = 0; i < len; i++) {
		ck_assert_int_eq(write(sv[0], bytes + i, 1), 1);
		ck_assert_int_eq(evbuffer_read(in, sv[1], -1), 1);
		if (i + 1 < len) {
			/* Not yet: 0, and nothing taken from the buffer. */
			ck_assert_int_eq(frame_read(in, &got, &type, &ev,
			    cause, sizeof cause), 0);
			ck_assert_ptr_null(got);
			ck_assert_uint_eq(evbuffer_get_length(in), i + 1);
		}
	}
	ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
	    sizeof cause), 1);
	ck_assert_int_eq(type, MSG_START);
	ck_assert(json_object_equal(o, got));
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	json_object_put(got);
	json_object_put(o);
	free(bytes);
	pair_close(sv);
	evbuffer_free(out);
	evbuffer_free(in);
}
END_TEST

/* An INPUT frame whose encoding is exactly size bytes. */
static struct json_object *
sized(size_t size)
{
	struct json_object	*o;
	char			*data;
	size_t			 n = size - strlen("{\"type\":\"INPUT\",\"data\":\"\"}");

	data = malloc(n);
	memset(data, 'x', n);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("INPUT"));
	json_object_object_add(o, "data", json_object_new_string_len(data,
	    (int)n));
	free(data);
	return (o);
}

START_TEST(test_frame_max)
{
	struct evbuffer		*out = evbuffer_new(), *in = evbuffer_new();
	struct json_object	*o, *got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	int			 sv[2];

	pair_open(sv);
	/* Exactly FRAME_MAX bytes: written, carried and read. */
	o = sized(FRAME_MAX);
	ck_assert_int_eq(frame_write(out, o, cause, sizeof cause), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), FRAME_HDR + FRAME_MAX);
	pump(out, sv, in);
	ck_assert_uint_eq(evbuffer_get_length(in), FRAME_HDR + FRAME_MAX);
	ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
	    sizeof cause), 1);
	ck_assert_int_eq(type, MSG_INPUT);
	ck_assert(json_object_equal(o, got));
	json_object_put(got);
	json_object_put(o);

	/* One more byte: refused, nothing appended. */
	o = sized(FRAME_MAX + 1);
	evbuffer_add(out, "z", 1);
	cause[0] = '\0';
	ck_assert_int_eq(frame_write(out, o, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "limit"));
	ck_assert_uint_eq(evbuffer_get_length(out), 1);
	json_object_put(o);

	/* A string with invalid UTF-8 would be refused by the peer. */
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("INPUT"));
	json_object_object_add(o, "data", json_object_new_string("\xc0\xaf"));
	ck_assert_int_eq(frame_write(out, o, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "UTF-8"));
	ck_assert_uint_eq(evbuffer_get_length(out), 1);
	json_object_put(o);
	pair_close(sv);
	evbuffer_free(out);
	evbuffer_free(in);
}
END_TEST

/* Send raw bytes; frame_read must fail with a cause holding want. */
static void
expect_bad(const void *buf, size_t len, const char *want)
{
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*got = (struct json_object *)1;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	int			 sv[2];

	pair_open(sv);
	send_raw(sv, buf, len, in);
	cause[0] = '\0';
	ck_assert_msg(frame_read(in, &got, &type, &ev, cause,
	    sizeof cause) == -1, "accepted %zu bytes: %.*s", len, (int)len - 4,
	    (const char *)buf + 4);
	ck_assert_ptr_null(got);
	ck_assert_msg(strcasestr(cause, want) != NULL, "cause '%s' lacks '%s'",
	    cause, want);
	pair_close(sv);
	evbuffer_free(in);
}

/* A whole frame around body (a C string) that must be refused. */
static void
expect_bad_body(const char *body, size_t len, const char *want)
{
	unsigned char	*buf = malloc(4 + len);

	header(buf, (uint32_t)len);
	memcpy(buf + 4, body, len);
	expect_bad(buf, 4 + len, want);
	free(buf);
}

#define BAD(body, want)	expect_bad_body(body, sizeof (body) - 1, want)

START_TEST(test_bad_length)
{
	unsigned char	h[8];
	uint32_t	lens[] = { FRAME_MAX + 1, 0x7fffffff, 0x80000000,
	    0xffffffff };
	size_t		i;

	/* Zero, even with bytes after it. */
	header(h, 0);
	memcpy(h + 4, "{}{}", 4);
	expect_bad(h, 8, "out of range");
	/* Too large: refused from the header alone, nothing allocated. */
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		header(h, lens[i]);
		mem_max = 0;
		expect_bad(h, 4, "out of range");
		ck_assert_uint_lt(mem_max, 64 * 1024);
	}
}
END_TEST

START_TEST(test_no_alloc_before_check)
{
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	unsigned char		 h[4];

	header(h, 0xffffffff);
	evbuffer_add(in, h, 4);
	mem_max = 0;
	ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
	    sizeof cause), -1);
	/* Not one allocation during the call, and nothing consumed. */
	ck_assert_uint_eq(mem_max, 0);
	ck_assert_uint_eq(evbuffer_get_length(in), 4);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_short_header)
{
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	int			 i;

	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
		    sizeof cause), 0);
		ck_assert_uint_eq(evbuffer_get_length(in), (size_t)i);
		evbuffer_add(in, "\xff", 1);
	}
	ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
	    sizeof cause), -1);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_truncated_then_eof)
{
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	unsigned char		 buf[4 + 50];
	int			 sv[2], i, eof;

	pair_open(sv);
	header(buf, 100);
	memset(buf + 4, ' ', 50);
	memcpy(buf + 4, "{\"type\":\"INPUT\",\"data\":\"", 24);
	ck_assert_int_eq(write(sv[0], buf, sizeof buf), (ssize_t)sizeof buf);
	close(sv[0]);
	sv[0] = -1;
	ck_assert_int_eq(drain_socket(sv[1], in, &eof), (ssize_t)sizeof buf);
	ck_assert(eof);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
		    sizeof cause), 0);
		ck_assert_ptr_null(got);
		ck_assert_uint_eq(evbuffer_get_length(in), sizeof buf);
		ck_assert_int_eq(evbuffer_read(in, sv[1], -1), 0);
	}
	pair_close(sv);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_bad_json)
{
	BAD("{\"type\":", "bad JSON");
	BAD("{\"type\":\"READY\"", "bad JSON");
	BAD("{type:\"READY\"}", "bad JSON");
	BAD("{\"type\":\"READY\",}", "bad JSON");
	BAD("nope", "bad JSON");
	BAD(" ", "bad JSON");
	BAD("{\"type\":\"READY\"\0}", "bad JSON");
	/* Deeper than the tokener allows. */
	BAD("{\"type\":\"READY\",\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", "bad JSON");
	/* Not JSON, though json-c reads them: they must not reach clients. */
	BAD("{\"type\":\"USAGE_TICK\",\"intervalMs\":NaN}", "bad JSON");
	BAD("{\"type\":\"USAGE_TICK\",\"intervalMs\":Infinity}", "bad JSON");
	BAD("{\"type\":\"USAGE_TICK\",\"intervalMs\":-Infinity}", "bad JSON");
	BAD("{\"type\":\"USAGE_TICK\",\"intervalMs\":1e999}", "bad JSON");
	BAD("{\"type\":\"USAGE_TICK\",\"u\":{\"a\":[1,-1e400]}}", "bad JSON");
}
END_TEST

START_TEST(test_trailing_garbage)
{
	BAD("{\"type\":\"READY\"}x", "bad JSON");
	BAD("{\"type\":\"READY\"}{\"type\":\"READY\"}", "bad JSON");
	BAD("{\"type\":\"READY\"}\0", "trailing");
	BAD("{\"type\":\"READY\"} \0", "trailing");
}
END_TEST

START_TEST(test_not_object)
{
	BAD("[\"READY\"]", "not a JSON object");
	BAD("[]", "not a JSON object");
	BAD("\"READY\"", "not a JSON object");
	BAD("null", "not a JSON object");
	BAD("true", "not a JSON object");
	BAD("12", "not a JSON object");
	BAD("-1.5e3", "not a JSON object");
	BAD("-", "bad JSON");
}
END_TEST

START_TEST(test_bad_type)
{
	BAD("{}", "no \"type\"");
	BAD("{\"pid\":1}", "no \"type\"");
	BAD("{\"Type\":\"READY\"}", "no \"type\"");
	BAD("{\"type\":5}", "no \"type\"");
	BAD("{\"type\":null}", "no \"type\"");
	BAD("{\"type\":true}", "no \"type\"");
	BAD("{\"type\":[\"READY\"]}", "no \"type\"");
	BAD("{\"type\":{\"name\":\"READY\"}}", "no \"type\"");
	BAD("{\"type\":\"NOPE\"}", "unknown message type 'NOPE'");
	BAD("{\"type\":\"ready\"}", "unknown message type");
	BAD("{\"type\":\"EVENT\"}", "unknown message type");
	BAD("{\"type\":\"\"}", "unknown message type");
	BAD("{\"type\":\"READY \"}", "unknown message type");
	/* A NUL inside must not pass for "READY". */
	BAD("{\"type\":\"READY\\u0000x\"}", "unknown message type");
	BAD("{\"type\":\"SESSION_ENDED\\u0000\"}", "unknown message type");
}
END_TEST

START_TEST(test_cause_is_clean)
{
	static const char	 body[] = "{\"type\":\"\\u001b[31m\\n\\u00e9"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	unsigned char		 h[4];
	size_t			 i;

	header(h, sizeof body - 1);
	evbuffer_add(in, h, 4);
	evbuffer_add(in, body, sizeof body - 1);
	ck_assert_int_eq(frame_read(in, &got, &type, &ev, cause,
	    sizeof cause), -1);
	/* Worker bytes in a cause are printable ASCII, and bounded. */
	for (i = 0; cause[i] != '\0'; i++)
		ck_assert_msg(cause[i] >= 0x20 && cause[i] < 0x7f,
		    "byte %02x at %zu in cause", (unsigned char)cause[i], i);
	ck_assert_uint_lt(strlen(cause), 80);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_bad_utf8)
{
	BAD("{\"type\":\"INPUT\",\"data\":\"\xff\"}", "UTF-8");
	BAD("{\"type\":\"INPUT\",\"data\":\"\x80\"}", "UTF-8");
	BAD("{\"type\":\"INPUT\",\"data\":\"\xc0\xaf\"}", "UTF-8");
	BAD("{\"type\":\"INPUT\",\"data\":\"\xe0\x80\xaf\"}", "UTF-8");
	BAD("{\"type\":\"INPUT\",\"data\":\"\xed\xa0\x80\"}", "UTF-8");
	BAD("{\"type\":\"INPUT\",\"data\":\"\xf4\x90\x80\x80\"}", "UTF-8");
	BAD("{\"type\":\"INPUT\",\"data\":\"\xe2\x82\"}", "UTF-8");
	BAD("{\"type\":\"INPUT\",\"d\xff\":1}", "UTF-8");
	BAD("{\"type\":\"READY\"}\xe2\x82", "UTF-8");
}
END_TEST

START_TEST(test_good_edge_cases)
{
	static const char *const good[] = {
		/* Escaped lone surrogates decode to U+FFFD: valid. */
		"{\"type\":\"INPUT\",\"data\":\"\\ud800x\"}",
		"{\"type\":\"INPUT\",\"data\":\"\xf4\x8f\xbf\xbf\xef\xbf\xbd\"}",
		"{ \"type\" : \"INPUT\" , \"data\" : \"\" }",
		"{\"type\":\"READY\",\"type\":\"PAUSE\"}",
		"{\"type\":\"RESIZE\",\"cols\":1.,\"rows\":2.5e1}",
		/* JSON allows blanks around the value. */
		" \t\r\n{\"type\":\"STOP\"} \t\r\n",
	};
	static const enum msg_type want[] = { MSG_INPUT, MSG_INPUT, MSG_INPUT,
	    MSG_PAUSE, MSG_RESIZE, MSG_STOP };
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*got;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	unsigned char		 h[4];
	const char		*s;
	size_t			 i, len;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		header(h, (uint32_t)strlen(good[i]));
		evbuffer_add(in, h, 4);
		evbuffer_add(in, good[i], strlen(good[i]));
		ck_assert_msg(frame_read(in, &got, &type, &ev, cause,
		    sizeof cause) == 1, "%s: %s", good[i], cause);
		ck_assert_int_eq(type, want[i]);
		/* What was read encodes back as valid JSON and UTF-8. */
		s = json_object_to_json_string_length(got,
		    JSON_C_TO_STRING_PLAIN, &len);
		ck_assert_ptr_null(strstr(s, "1.,"));
		json_object_put(got);
	}
	evbuffer_free(in);
}
END_TEST

/* Every test of this file, a TCase per area. */
Suite *
unit_suite(void)
{
	Suite	*s = suite_create("frame");
	TCase	*tc;

	/* Before libevent allocates anything. */
	event_set_mem_functions(mem_malloc, mem_realloc, mem_free);
	tc = tcase_create("roundtrip");
	tcase_add_test(tc, test_roundtrip_every_type);
	tcase_add_test(tc, test_wire_format);
	tcase_add_test(tc, test_many_frames_one_read);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_frame_max);
	tcase_add_test(tc, test_good_edge_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("length");
	tcase_add_test(tc, test_bad_length);
	tcase_add_test(tc, test_no_alloc_before_check);
	tcase_add_test(tc, test_short_header);
	tcase_add_test(tc, test_truncated_then_eof);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, test_bad_json);
	tcase_add_test(tc, test_trailing_garbage);
	tcase_add_test(tc, test_not_object);
	tcase_add_test(tc, test_bad_type);
	tcase_add_test(tc, test_cause_is_clean);
	tcase_add_test(tc, test_bad_utf8);
	suite_add_tcase(s, tc);
	return (s);
}
