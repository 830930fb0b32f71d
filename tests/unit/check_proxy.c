/*
 * Proxy: the allowlist patterns and matcher, the address classifier and
 * vetting (every non-public range and its IPv6 spellings, the exact
 * allowlist override, runnerd's own listeners), the request-head parser
 * with hostile input, the worker side over socketpairs standing in for
 * the bridge's connections (tunnels, forwards, refusals, open mode,
 * backpressure), and the bridge itself.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/netallow.h"
#include "common/proto.h"
#include "common/util.h"
#include "worker/proxy.h"
#include "unit.h"

/* Normalise host[:port] and match it against a one-pattern list. */
static int
allowed1(const char *pattern, const char *authority)
{
	char		*v[2] = { (char *)pattern, NULL };
	struct netallow	*na;
	char		 host[NETALLOW_HOST_MAX], cause[128];
	int		 port, rv;

	na = netallow_create(v, cause, sizeof cause);
	ck_assert_msg(na != NULL, "pattern %s: %s", pattern, cause);
	if (netallow_authority(authority, strlen(authority), 443, host,
	    sizeof host, &port, cause, sizeof cause) == -1) {
		netallow_free(na);
		return (-1);
	}
	rv = netallow_match(na, host, port);
	netallow_free(na);
	return (rv);
}

START_TEST(test_exact)
{
	ck_assert_int_eq(allowed1("registry.npmjs.org", "registry.npmjs.org"),
	    1);
	ck_assert_int_eq(allowed1("registry.npmjs.org",
	    "registry.npmjs.org:8443"), 1);
	ck_assert_int_eq(allowed1("registry.npmjs.org", "npmjs.org"), 0);
	ck_assert_int_eq(allowed1("registry.npmjs.org",
	    "xregistry.npmjs.org"), 0);
	ck_assert_int_eq(allowed1("registry.npmjs.org",
	    "registry.npmjs.org.evil.com"), 0);
	ck_assert_int_eq(allowed1("registry.npmjs.org",
	    "a.registry.npmjs.org"), 0);
	ck_assert_int_eq(allowed1("127.0.0.1", "127.0.0.1:9"), 1);
	ck_assert_int_eq(allowed1("127.0.0.1", "127.0.0.2"), 0);
}
END_TEST

START_TEST(test_wildcard)
{
	ck_assert_int_eq(allowed1("*.openai.com", "api.openai.com"), 1);
	ck_assert_int_eq(allowed1("*.openai.com", "a.b.openai.com"), 1);
	ck_assert_int_eq(allowed1("*.openai.com", "openai.com"), 0);
	ck_assert_int_eq(allowed1("*.openai.com", "evilopenai.com"), 0);
	ck_assert_int_eq(allowed1("*.openai.com", "openai.com.evil.net"), 0);
	ck_assert_int_eq(allowed1("*.openai.com", ".openai.com"), -1);
	ck_assert_int_eq(allowed1("*.openai.com", "x.openai.co"), 0);
	ck_assert_int_eq(allowed1("*.openai.com:443", "cdn.openai.com"), 1);
	ck_assert_int_eq(allowed1("*.openai.com:443", "cdn.openai.com:80"),
	    0);
}
END_TEST

START_TEST(test_port_case_dot)
{
	ck_assert_int_eq(allowed1("example.com:8080", "example.com:8080"), 1);
	ck_assert_int_eq(allowed1("example.com:8080", "example.com:80"), 0);
	ck_assert_int_eq(allowed1("example.com:8080", "example.com"), 0);
	ck_assert_int_eq(allowed1("API.OpenAI.com", "api.openai.COM"), 1);
	ck_assert_int_eq(allowed1("*.OPENAI.com", "Api.OpenAI.Com"), 1);
	ck_assert_int_eq(allowed1("example.com.", "example.com"), 1);
	ck_assert_int_eq(allowed1("example.com", "example.com."), 1);
	ck_assert_int_eq(allowed1("example.com", "example.com.:443"), 1);
	ck_assert_int_eq(allowed1("*.example.com", "a.example.com."), 1);
	ck_assert_int_eq(allowed1("example.com", "example.com.."), -1);
}
END_TEST

START_TEST(test_ipv6)
{
	ck_assert_int_eq(allowed1("[::1]", "[::1]:443"), 1);
	ck_assert_int_eq(allowed1("[::1]", "[0:0:0:0:0:0:0:1]"), 1);
	ck_assert_int_eq(allowed1("[::1]:8443", "[::1]:8443"), 1);
	ck_assert_int_eq(allowed1("[::1]:8443", "[::1]:443"), 0);
	ck_assert_int_eq(allowed1("[2001:DB8::1]", "[2001:db8:0::1]"), 1);
	ck_assert_int_eq(allowed1("[::1]", "127.0.0.1"), 0);
	/* The literal is what is matched: a mapped form is another host. */
	ck_assert_int_eq(allowed1("127.0.0.1", "[::ffff:127.0.0.1]"), 0);
	ck_assert_int_eq(allowed1("[::1]", "::1"), -1);
	ck_assert_int_eq(allowed1("[::1]", "[::1"), -1);
}
END_TEST

START_TEST(test_bad_patterns)
{
	static const char *const bad[] = { "", "*", "*.", "**.a.com",
	    "a.*.com", "*a.com", "a.com*", "*.1.2.3.4", "*.[::1]", "a..b",
	    ".a.com", "-a.com", "a-.com", "a.com:", "a.com:0", "a.com:65536",
	    "a.com:80x", "a.com: 80", "a.com:+80", "a.com:-1", "[::1",
	    "[zz::1]", "[::1]x", "[::1]:", "::1", "[fe80::1%eth0]", "127.1",
	    "0x7f000001", "2130706433", "127.000.000.001", "1.2.3.4.5",
	    "a b.com", "a\x01.com", "a/b.com", "user@a.com", "a.com/path",
	    "http://a.com", "a.com:80:80", "\xc3\xa9.com", "a.123",
	    "0177.0.0.1",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".com", NULL };
	char		 cause[128], big[400];
	char		*v[3] = { "ok.example", NULL, NULL };
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(netallow_check(bad[i], cause, sizeof cause) ==
		    -1, "pattern '%s' accepted", bad[i]);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (i = 60; i < sizeof big; i += 61)
		big[i] = '.';
	ck_assert_int_eq(netallow_check(big, cause, sizeof cause), -1);
	/* A list fails whole, naming the pattern. */
	v[1] = "*";
	ck_assert_ptr_null(netallow_create(v, cause, sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "'*'"));
	ck_assert_int_eq(netallow_check("under_score.example.com", cause,
	    sizeof cause), 0);
	ck_assert_int_eq(netallow_check("[::1]:65535", cause, sizeof cause),
	    0);
	ck_assert_int_eq(netallow_check("localhost", cause, sizeof cause), 0);
}
END_TEST

START_TEST(test_hostile_hosts)
{
	static const char nul[] = "evil.com\0.openai.com";
	struct netallow	*na;
	char		*v[] = { "*.openai.com", NULL };
	char		 host[NETALLOW_HOST_MAX], cause[128];
	int		 port;

	/* The length includes the NUL: the whole is not a host. */
	ck_assert_int_eq(netallow_authority(nul, sizeof nul - 1, 443, host,
	    sizeof host, &port, cause, sizeof cause), -1);
	ck_assert_int_eq(netallow_authority("0x7f.1", 6, 443, host,
	    sizeof host, &port, cause, sizeof cause), -1);
	ck_assert_int_eq(netallow_authority("a.openai.com:443:1", 18, 443,
	    host, sizeof host, &port, cause, sizeof cause), -1);
	ck_assert_int_eq(netallow_authority("", 0, 443, host, sizeof host,
	    &port, cause, sizeof cause), -1);
	ck_assert_int_eq(netallow_authority("a.openai.com", 12, -1, host,
	    sizeof host, &port, cause, sizeof cause), -1);
	ck_assert_int_eq(netallow_authority("A.OpenAI.com.:99", 16, -1, host,
	    sizeof host, &port, cause, sizeof cause), 0);
	ck_assert_str_eq(host, "a.openai.com");
	ck_assert_int_eq(port, 99);
	na = netallow_create(v, cause, sizeof cause);
	ck_assert_ptr_nonnull(na);
	ck_assert_int_eq(netallow_match(na, "", 443), 0);
	ck_assert_int_eq(netallow_match(na, "openai.com", 443), 0);
	ck_assert_int_eq(netallow_match(na, ".openai.com", 443), 0);
	netallow_free(na);
	/* Empty list: nothing at all. */
	v[0] = NULL;
	na = netallow_create(v, cause, sizeof cause);
	ck_assert_int_eq(netallow_match(na, "api.openai.com", 443), 0);
	netallow_free(na);
}
END_TEST

START_TEST(test_defaults)
{
	struct netallow	*na;
	char		 cause[128];

	na = netallow_create((char *const *)netallow_default, cause,
	    sizeof cause);
	ck_assert_msg(na != NULL, "%s", cause);
	ck_assert_int_eq(netallow_match(na, "api.openai.com", 443), 1);
	ck_assert_int_eq(netallow_match(na, "chatgpt.com", 443), 1);
	ck_assert_int_eq(netallow_match(na, "api.anthropic.com", 443), 1);
	ck_assert_int_eq(netallow_match(na, "statsig.anthropic.com", 443), 1);
	ck_assert_int_eq(netallow_match(na, "registry.npmjs.org", 443), 1);
	ck_assert_int_eq(netallow_match(na, "objects.githubusercontent.com",
	    443), 1);
	ck_assert_int_eq(netallow_match(na, "openai.com", 443), 0);
	ck_assert_int_eq(netallow_match(na, "githubusercontent.com", 443), 0);
	ck_assert_int_eq(netallow_match(na, "example.com", 443), 0);
	ck_assert_int_eq(netallow_match(na, "127.0.0.1", 443), 0);
	netallow_free(na);
}
END_TEST

/* Parse a head given as a C string; returns the status (0 when good). */
static int
parse(const char *head, struct proxy_req *req)
{
	char	cause[256];

	if (proxyhead_parse(head, strlen(head), req, cause,
	    sizeof cause) == -1) {
		ck_assert_int_ge(req->status, 400);
		ck_assert_ptr_null(req->head);
		return (req->status);
	}
	return (0);
}

START_TEST(test_parse_connect)
{
	struct proxy_req	req;

	ck_assert_int_eq(parse("CONNECT api.openai.com:443 HTTP/1.1\r\n"
	    "Host: api.openai.com:443\r\nUser-Agent: t\r\n\r\n", &req), 0);
	ck_assert_int_eq(req.kind, PROXY_TUNNEL);
	ck_assert_str_eq(req.host, "api.openai.com");
	ck_assert_int_eq(req.port, 443);
	ck_assert_ptr_null(req.head);

	ck_assert_int_eq(parse("CONNECT [::1]:8443 HTTP/1.0\n\n", &req), 0);
	ck_assert_str_eq(req.host, "::1");
	ck_assert_int_eq(req.port, 8443);

	ck_assert_int_eq(parse("CONNECT api.openai.com HTTP/1.1\r\n\r\n",
	    &req), 400);
	ck_assert_int_eq(parse("CONNECT api.openai.com:0 HTTP/1.1\r\n\r\n",
	    &req), 400);
	ck_assert_int_eq(parse("CONNECT /x HTTP/1.1\r\n\r\n", &req), 400);
	ck_assert_int_eq(parse("CONNECT http://a.com:443 HTTP/1.1\r\n\r\n",
	    &req), 400);
	ck_assert_int_eq(parse("connect a.com:443 HTTP/1.1\r\n\r\n", &req),
	    400);
}
END_TEST

START_TEST(test_parse_forward)
{
	struct proxy_req	req;
	char			head[1024];

	ck_assert_int_eq(parse("GET http://Example.COM/a/b?q=1 HTTP/1.1\r\n"
	    "Host: wrong.example\r\nProxy-Connection: keep-alive\r\n"
	    "Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\n"
	    "Keep-Alive: 5\r\nProxy-Authorization: Basic eA==\r\n"
	    "Accept:  */* \r\nTE: trailers\r\n\r\n", &req), 0);
	ck_assert_int_eq(req.kind, PROXY_FORWARD);
	ck_assert_str_eq(req.host, "example.com");
	ck_assert_int_eq(req.port, 80);
	ck_assert_uint_lt(req.headlen, sizeof head);
	memcpy(head, req.head, req.headlen);
	head[req.headlen] = '\0';
	ck_assert_str_eq(head, "GET /a/b?q=1 HTTP/1.1\r\n"
	    "Host: example.com\r\nAccept: */*\r\nConnection: close\r\n\r\n");
	proxyhead_req_clear(&req);

	ck_assert_int_eq(parse("POST http://127.0.0.1:8080?x HTTP/1.0\n"
	    "Content-Length: 3\n\n", &req), 0);
	ck_assert_int_eq(req.port, 8080);
	memcpy(head, req.head, req.headlen);
	head[req.headlen] = '\0';
	ck_assert_str_eq(head, "POST /?x HTTP/1.0\r\nHost: 127.0.0.1:8080\r\n"
	    "Content-Length: 3\r\nConnection: close\r\n\r\n");
	proxyhead_req_clear(&req);

	ck_assert_int_eq(parse("GET http://[::1] HTTP/1.1\r\n\r\n", &req), 0);
	memcpy(head, req.head, req.headlen);
	head[req.headlen] = '\0';
	ck_assert_str_eq(head, "GET / HTTP/1.1\r\nHost: [::1]\r\n"
	    "Connection: close\r\n\r\n");
	proxyhead_req_clear(&req);
}
END_TEST

/* Parse a response head; its rewrite in out (NUL-ended), or the cause. */
static int
resp(const char *head, char *out, size_t cap)
{
	struct proxy_resp	r;

	if (proxyhead_response(head, strlen(head), &r, out, cap) == -1) {
		ck_assert_ptr_null(r.head);
		return (-1);
	}
	ck_assert_uint_lt(r.headlen, cap);
	memcpy(out, r.head, r.headlen);
	out[r.headlen] = '\0';
	proxyhead_resp_clear(&r);
	return (r.status);
}

/* Response heads: hop-by-hop fields out, Connection: close in. */
START_TEST(test_parse_response)
{
	char	out[1024], *big;
	size_t	n;
	static const struct {
		const char	*head;
		const char	*cause;
	} bad[] = {
		{ "", "no HTTP/1.x status line" },
		{ "HTTP/1.1 200 OK", "no HTTP/1.x status line" },
		{ "\r\n\r\n", "no HTTP/1.x status line" },
		{ "SSH-2.0-OpenSSH_9.6\r\n\r\n", "no HTTP/1.x status line" },
		{ "HTTP/2 200 OK\r\n\r\n", "no HTTP/1.x status line" },
		{ "http/1.1 200 OK\r\n\r\n", "no HTTP/1.x status line" },
		{ "HTTP/1.1  200 OK\r\n\r\n", "malformed status code" },
		{ "HTTP/1.1 2x0 OK\r\n\r\n", "malformed status code" },
		{ "HTTP/1.1 2000 OK\r\n\r\n", "malformed status code" },
		{ "HTTP/1.1 099 Low\r\n\r\n", "malformed status code" },
		{ "HTTP/1.1 600 High\r\n\r\n", "malformed status code" },
		{ "HTTP/1.1 200 O\x01K\r\n\r\n",
		    "control character in the status line" },
		{ "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		    "malformed header line" },
		{ "HTTP/1.1 200 OK\r\n: v\r\n\r\n", "malformed header line" },
		{ "HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n",
		    "bad character in a header name" },
		{ "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
		    "folded header line" },
		{ "HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n",
		    "control character in a header value" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\n", "conflicting Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		    "bad Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
		    "both Transfer-Encoding and Content-Length" },
		{ "HTTP/1.1 200 OK\r\nX: y\r\n", "the head does not end" },
		{ "HTTP/1.1 200 OK\r\n\r\nbody", "bytes after the end" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\n\r\n", "switching protocols" },
	};
	size_t	i;

	/* A keep-alive answer, as Node's server gives it, says close. */
	ck_assert_int_eq(resp("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
	    "Content-Length: 5\r\n\r\n", out, sizeof out), 200);
	ck_assert_str_eq(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 5\r\nConnection: close\r\n\r\n");

	/* What Connection names goes too; Proxy-*, Upgrade, TE as well. */
	ck_assert_int_eq(resp("HTTP/1.0 404 Not Found\n"
	    "Connection: keep-alive, X-Hop\nX-Hop: secret\n"
	    "Proxy-Connection: keep-alive\nProxy-Authenticate: Basic\n"
	    "Upgrade: h2c\nTransfer-Encoding: chunked\nX-Kept:  v \n\n",
	    out, sizeof out), 404);
	ck_assert_str_eq(out, "HTTP/1.0 404 Not Found\r\n"
	    "Transfer-Encoding: chunked\r\nX-Kept: v\r\n"
	    "Connection: close\r\n\r\n");

	/* No reason phrase, or an empty one; an upstream close passes. */
	ck_assert_int_eq(resp("HTTP/1.1 204\r\nConnection: close\r\n\r\n",
	    out, sizeof out), 204);
	ck_assert_str_eq(out, "HTTP/1.1 204\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(resp("HTTP/1.1 500 \r\n\r\n", out, sizeof out),
	    500);
	ck_assert_str_eq(out, "HTTP/1.1 500 \r\nConnection: close\r\n\r\n");

	/* Interim heads pass without a Connection: close of their own. */
	ck_assert_int_eq(resp("HTTP/1.1 100 Continue\r\n\r\n", out,
	    sizeof out), 100);
	ck_assert_str_eq(out, "HTTP/1.1 100 Continue\r\n\r\n");
	ck_assert_int_eq(resp("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n"
	    "Connection: keep-alive\r\n\r\n", out, sizeof out), 103);
	ck_assert_str_eq(out, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n"
	    "\r\n");

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(resp(bad[i].head, out, sizeof out) == -1,
		    "accepted: %s", bad[i].head);
		ck_assert_msg(strstr(out, bad[i].cause) != NULL,
		    "'%s': cause '%s'", bad[i].head, out);
	}

	/* Too many fields, and too many bytes. */
	big = xmalloc(PROXY_RESP_HEAD_MAX + 64);
	n = (size_t)snprintf(big, 64, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 101; i++)
		n += (size_t)snprintf(big + n, 64, "X-%zu: v\r\n", i);
	snprintf(big + n, 64, "\r\n");
	ck_assert_int_eq(resp(big, out, sizeof out), -1);
	ck_assert_ptr_nonnull(strstr(out, "more than 100 header fields"));
	memset(big, 'a', PROXY_RESP_HEAD_MAX + 10);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memcpy(big + PROXY_RESP_HEAD_MAX + 6, "\r\n\r\n", 5);
	ck_assert_int_eq(resp(big, out, sizeof out), -1);
	ck_assert_ptr_nonnull(strstr(out, "response head over"));
	free(big);
}
END_TEST

START_TEST(test_parse_bad)
{
	static const struct {
		const char	*head;
		int		 status;
	} bad[] = {
		{ "GET /path HTTP/1.1\r\n\r\n", 400 },
		{ "GET https://a.com/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET ftp://a.com/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://user:pw@a.com/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET http:///x HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://a.com/#f HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://0x7f000001/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://a.com:99999/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET  http://a.com/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://a.com/  HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://a.com/ HTTP/1.1 x\r\n\r\n", 400 },
		{ "GET http://a.com/\r\n\r\n", 400 },
		{ "GET http://a.com/ HTTP/2.0\r\n\r\n", 505 },
		{ "GET http://a.com/ http/1.1\r\n\r\n", 400 },
		{ "G(T http://a.com/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://a.com/\r HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://a.com/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
		    400 },
		{ "GET http://a.com/ HTTP/1.1\r\nBad Name: x\r\n\r\n", 400 },
		{ "GET http://a.com/ HTTP/1.1\r\nNoColon\r\n\r\n", 400 },
		{ "GET http://a.com/ HTTP/1.1\r\n: empty\r\n\r\n", 400 },
		{ "GET http://a.com/ HTTP/1.1\r\nX: a\rb\r\n\r\n", 400 },
		{ "GET http://a.com/ HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400 },
		{ "POST http://a.com/ HTTP/1.1\r\nContent-Length: 1\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST http://a.com/ HTTP/1.1\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\n", 400 },
		{ "POST http://a.com/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		    400 },
		{ "POST http://a.com/ HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
		    400 },
		{ "GET http://a.com/ HTTP/1.1\r\nX: y\r\n", 400 },
		{ "GET http://a.com/ HTTP/1.1\r\n\r\nextra", 400 },
		{ "\r\n\r\n", 400 },
		{ "", 400 },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400 },
	};
	struct proxy_req	req;
	char			cause[256], *big;
	size_t			i, n;

	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(parse(bad[i].head, &req) == bad[i].status,
		    "case %zu: status %d, want %d", i, req.status,
		    bad[i].status);

	/* A NUL in a header value. */
	ck_assert_int_eq(proxyhead_parse("GET http://a.com/ HTTP/1.1\r\n"
	    "X: a\0b\r\n\r\n", 33, &req, cause, sizeof cause), -1);
	ck_assert_int_eq(req.status, 400);

	/* Over the head limit. */
	big = xmalloc(PROXY_HEAD_MAX + 64);
	n = (size_t)snprintf(big, 64, "GET http://a.com/ HTTP/1.1\r\nX: ");
	memset(big + n, 'a', PROXY_HEAD_MAX);
	memcpy(big + n + PROXY_HEAD_MAX, "\r\n\r\n", 4);
	ck_assert_int_eq(proxyhead_parse(big, n + PROXY_HEAD_MAX + 4, &req,
	    cause, sizeof cause), -1);
	ck_assert_int_eq(req.status, 431);
	free(big);

	/* Too many header fields. */
	big = xmalloc(8192);
	n = (size_t)snprintf(big, 8192, "GET http://a.com/ HTTP/1.1\r\n");
	for (i = 0; i < 101; i++)
		n += (size_t)snprintf(big + n, 8192 - n, "X%zu: y\r\n", i);
	n += (size_t)snprintf(big + n, 8192 - n, "\r\n");
	ck_assert_int_eq(proxyhead_parse(big, n, &req, cause, sizeof cause),
	    -1);
	free(big);
}
END_TEST

/* Random mutations of good heads: an answer every time, never a crash. */
START_TEST(test_parse_garbage)
{
	static const char *const seeds[] = {
		"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET http://a.com:8080/p?q HTTP/1.1\r\nConnection: x, y\r\n"
		"X: 1\r\nContent-Length: 4\r\n\r\n",
	};
	struct proxy_req	req;
	char			buf[256], cause[256];
	size_t			len, k;
	int			i, j;

	srandom(42);
	for (i = 0; i < 50000; i++) {
		const char	*s = seeds[i % nitems(seeds)];

		len = strlen(s);
		memcpy(buf, s, len);
		for (j = random() % 4; j >= 0; j--) {
			k = (size_t)random() % len;
			switch (random() % 3) {
			case 0:
				buf[k] = (char)(random() & 0xff);
				break;
			case 1:
				len = k + 1;
				break;
			default:
				buf[k] = "\r\n :[]@*./"[random() % 10];
				break;
			}
		}
		if (proxyhead_parse(buf, len, &req, cause, sizeof cause) ==
		    0) {
			ck_assert_int_eq(req.status, 0);
			ck_assert(req.port >= 1 && req.port <= 65535);
			ck_assert(req.kind == PROXY_TUNNEL ||
			    req.head != NULL);
			proxyhead_req_clear(&req);
		} else
			ck_assert(req.status >= 400 && req.status < 600);
	}
}
END_TEST

/* An address in text (v4 or v6, no port) as a sockaddr with port. */
static struct sockaddr_storage
addr(const char *text, int port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (void *)&ss;
	struct sockaddr_in6	*sin6 = (void *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else {
		ck_assert_msg(inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1,
		    "bad test address %s", text);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	}
	return (ss);
}

/* Every range the proxy refuses, in IPv4 and every IPv6 spelling. */
START_TEST(test_addr_class)
{
	static const struct {
		const char	*a;
		const char	*why;	/* a word of the reason; NULL: public */
	} t[] = {
		{ "0.0.0.0", "unspecified" }, { "0.1.2.3", "unspecified" },
		{ "127.0.0.1", "loopback" }, { "127.1.2.3", "loopback" },
		{ "127.255.255.255", "loopback" },
		{ "10.0.0.1", "private" }, { "10.255.255.255", "private" },
		{ "172.16.0.1", "private" }, { "172.31.255.254", "private" },
		{ "172.15.255.255", NULL }, { "172.32.0.1", NULL },
		{ "192.168.0.1", "private" }, { "192.169.0.1", NULL },
		{ "169.254.169.254", "link-local" },
		{ "169.254.0.1", "link-local" }, { "169.253.0.1", NULL },
		{ "100.64.0.1", "CGNAT" }, { "100.127.255.255", "CGNAT" },
		{ "100.63.255.255", NULL }, { "100.128.0.0", NULL },
		{ "224.0.0.1", "multicast" }, { "239.255.255.250", "multicast" },
		{ "240.0.0.1", "reserved" }, { "255.255.255.255", "broadcast" },
		{ "192.0.2.1", "reserved" }, { "198.18.0.1", "reserved" },
		{ "8.8.8.8", NULL }, { "1.1.1.1", NULL }, { "11.0.0.1", NULL },
		{ "126.255.255.255", NULL }, { "128.0.0.1", NULL },
		{ "223.255.255.255", NULL },
		{ "::", "unspecified" }, { "::1", "loopback" },
		{ "::ffff:127.0.0.1", "loopback" }, { "::ffff:7f00:2", "loopback" },
		{ "::ffff:10.1.2.3", "private" },
		{ "::ffff:169.254.169.254", "link-local" },
		{ "::ffff:0.0.0.0", "unspecified" },
		{ "::ffff:8.8.8.8", NULL },
		{ "::127.0.0.1", "loopback" }, { "::10.0.0.1", "private" },
		{ "::8.8.8.8", "reserved" },
		{ "64:ff9b::127.0.0.1", "loopback" },
		{ "64:ff9b::a9fe:a9fe", "link-local" },
		{ "64:ff9b::192.168.1.1", "private" },
		{ "64:ff9b::8.8.8.8", NULL }, { "64:ff9b:1::1", "private" },
		{ "2002:7f00:1::", "loopback" }, { "2002:a00:1::1", "private" },
		{ "2002:a9fe:a9fe::1", "link-local" },
		{ "2002:808:808::1", NULL },
		{ "fe80::1", "link-local" }, { "febf:ffff::1", "link-local" },
		{ "fec0::1", "private" }, { "fc00::1", "private" },
		{ "fd12:3456::1", "private" }, { "ff02::1", "multicast" },
		{ "ff05::2", "multicast" }, { "2001:db8::1", "reserved" },
		{ "2001::1", "reserved" }, { "100::1", "reserved" },
		{ "4000::1", "reserved" }, { "::2", "unspecified" },
		{ "2606:4700:4700::1111", NULL }, { "2a00:1450:4001::1", NULL },
	};
	struct sockaddr_storage	 ss;
	struct sockaddr		 un = { .sa_family = AF_UNIX };
	const char		*why;
	size_t			 i;

	for (i = 0; i < nitems(t); i++) {
		ss = addr(t[i].a, 443);
		why = netallow_addr_class((struct sockaddr *)&ss);
		if (t[i].why == NULL)
			ck_assert_msg(why == NULL, "%s: refused as %s", t[i].a,
			    why);
		else
			ck_assert_msg(why != NULL && strstr(why, t[i].why) !=
			    NULL, "%s: %s, want %s", t[i].a, why != NULL ? why :
			    "public", t[i].why);
	}
	ck_assert_str_eq(netallow_addr_class(&un), "not an IP address");
}
END_TEST

/* vet: the host's own addresses, the exact override, runnerd's ports. */
START_TEST(test_vet)
{
	struct sockaddr_storage	local[3], listen[2], ss;
	struct netallow_vet	v;
	static const struct {
		const char	*a;
		int		 port;
		int		 exact;
		const char	*why;
	} t[] = {
		/* The host's own public-looking address. */
		{ "93.184.216.34", 443, 0, "this host" },
		{ "::ffff:93.184.216.34", 443, 0, "this host" },
		{ "93.184.216.34", 443, 1, NULL },
		{ "2a00:1450::5", 443, 0, "this host" },
		{ "93.184.216.35", 443, 0, NULL },
		/* Named exactly by the operator: any class. */
		{ "127.0.0.1", 8080, 1, NULL },
		{ "127.0.0.1", 8080, 0, "loopback" },
		{ "169.254.169.254", 80, 0, "link-local" },
		{ "169.254.169.254", 80, 1, NULL },
		{ "10.1.2.3", 22, 1, NULL },
		/* runnerd's listener 127.0.0.1:3000, exact or not. */
		{ "127.0.0.1", 3000, 1, "runnerd" },
		{ "127.0.0.1", 3000, 0, "runnerd" },
		{ "127.0.0.2", 3000, 1, "runnerd" },
		{ "0.0.0.0", 3000, 1, "runnerd" },
		{ "::1", 3000, 1, "runnerd" },
		{ "::", 3000, 1, "runnerd" },
		{ "::ffff:127.0.0.1", 3000, 1, "runnerd" },
		{ "::127.0.0.1", 3000, 1, "runnerd" },
		{ "64:ff9b::7f00:1", 3000, 1, "runnerd" },
		{ "2002:7f00:1::", 3000, 1, "runnerd" },
		{ "93.184.216.34", 3000, 1, "runnerd" },
		{ "10.9.9.9", 3000, 1, "runnerd" },
		{ "8.8.8.8", 3000, 1, NULL },
		{ "127.0.0.1", 3001, 1, NULL },
		/* The other listener, [::]:4000: every local address. */
		{ "10.9.9.9", 4000, 1, "runnerd" },
		{ "2a00:1450::5", 4000, 1, "runnerd" },
		{ "10.9.9.8", 4000, 1, NULL },
		{ "8.8.4.4", 4000, 0, NULL },
	};
	size_t	i;
	const char *why;

	local[0] = addr("93.184.216.34", 0);
	local[1] = addr("10.9.9.9", 0);
	local[2] = addr("2a00:1450::5", 0);
	ck_assert_int_eq(netallow_sockaddr("127.0.0.1:3000", &listen[0]), 0);
	ck_assert_int_eq(netallow_sockaddr("[::]:4000", &listen[1]), 0);
	memset(&v, 0, sizeof v);
	v.local = local;
	v.nlocal = nitems(local);
	v.listen = listen;
	v.nlisten = nitems(listen);
	for (i = 0; i < nitems(t); i++) {
		ss = addr(t[i].a, t[i].port);
		v.exact = t[i].exact;
		why = netallow_vet((struct sockaddr *)&ss, &v);
		if (t[i].why == NULL)
			ck_assert_msg(why == NULL, "%s port %d: refused as %s",
			    t[i].a, t[i].port, why);
		else
			ck_assert_msg(why != NULL && strstr(why, t[i].why) !=
			    NULL, "%s port %d: %s, want %s", t[i].a, t[i].port,
			    why != NULL ? why : "allowed", t[i].why);
	}
	/* Nothing about the host: only the class counts. */
	memset(&v, 0, sizeof v);
	ss = addr("93.184.216.34", 443);
	ck_assert_ptr_null(netallow_vet((struct sockaddr *)&ss, &v));
}
END_TEST

/* Only patterns without '*' name a destination exactly. */
START_TEST(test_exact_override)
{
	char		*v[] = { "127.0.0.1:8080", "*.example.com",
			    "intranet.corp", "[::1]", "metadata.internal:80",
			    NULL };
	struct netallow	*na;
	char		 cause[128];

	na = netallow_create(v, cause, sizeof cause);
	ck_assert_ptr_nonnull(na);
	ck_assert_int_eq(netallow_exact(na, "127.0.0.1", 8080), 1);
	ck_assert_int_eq(netallow_exact(na, "127.0.0.1", 8081), 0);
	ck_assert_int_eq(netallow_exact(na, "a.example.com", 443), 0);
	ck_assert_int_eq(netallow_match(na, "a.example.com", 443), 1);
	ck_assert_int_eq(netallow_exact(na, "example.com", 443), 0);
	ck_assert_int_eq(netallow_exact(na, "intranet.corp", 1), 1);
	ck_assert_int_eq(netallow_exact(na, "::1", 5), 1);
	ck_assert_int_eq(netallow_exact(na, "metadata.internal", 80), 1);
	ck_assert_int_eq(netallow_exact(na, "metadata.internal", 443), 0);
	ck_assert_int_eq(netallow_exact(na, "localhost", 8080), 0);
	ck_assert_int_eq(netallow_exact(na, "", 8080), 0);
	netallow_free(na);
}
END_TEST

/* daemonListen entries: address literals with a port, nothing else. */
START_TEST(test_sockaddr_hostile)
{
	static const char *const bad[] = { "", "1.2.3.4", "host:80",
	    "localhost:80", "[::1]:0", "127.1:80", "0x7f000001:80",
	    "1.2.3.4:99999", "1.2.3.4:80:80", "[::1", "::1:80", "[::1]x",
	    "1.2.3.4: 80", "1.2.3.4:-1", "[fe80::1%lo]:80", "*:80",
	    "\xff\xfe:80" };
	struct sockaddr_storage	 ss;
	char			 big[600];
	size_t			 i;

	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(netallow_sockaddr(bad[i], &ss) == -1,
		    "'%s' accepted", bad[i]);
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(netallow_sockaddr(big, &ss), -1);
	ck_assert_int_eq(netallow_sockaddr("127.0.0.1:3000", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 3000);
	ck_assert_int_eq(netallow_sockaddr("[::]:65535", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
}
END_TEST

/* An echo server for the proxy to reach; it closes after the EOF. */
static struct event_base	*base;
static struct evconnlistener	*echo_l;
static int			 echo_port;
static int			 refused_n, allowed_n;
static char			 refused_host[256], refused_why[128];
static int			 refused_port;
static int			 echo_accepts;

static void
echo_read_cb(struct bufferevent *bev, void *arg)
{
	evbuffer_add_buffer(bufferevent_get_output(bev),
	    bufferevent_get_input(bev));
}

static void
echo_write_cb(struct bufferevent *bev, void *arg)
{
	if (arg != NULL)	/* EOF seen and all written */
		bufferevent_free(bev);
}

static void
echo_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if ((what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		bufferevent_setcb(bev, NULL, echo_write_cb, NULL, bev);
		return;
	}
	bufferevent_free(bev);
}

static void
echo_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct bufferevent	*bev;

	echo_accepts++;
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
	bufferevent_enable(bev, EV_READ|EV_WRITE);
}

/*
 * The canned server: reads a request head (kept in canned_req), answers
 * canned_resp (canned_len bytes), then closes, or with canned_hold keeps
 * the connection until the other end closes, as a keep-alive server does.
 */
static struct evconnlistener	*canned_l;
static int			 canned_port, canned_accepts;
static const char		*canned_resp;
static size_t			 canned_len;
static int			 canned_hold;
static char			 canned_req[4096];
static size_t			 canned_reqlen;
static int			 canned_closed;

/* The canned server's connection ends (counted). */
static void
canned_event_cb(struct bufferevent *bev, short what, void *arg)
{
	canned_closed++;
	echo_event_cb(bev, what, arg);
}

static void
canned_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 n = evbuffer_get_length(in);

	if (n > sizeof canned_req - 1 - canned_reqlen)
		n = sizeof canned_req - 1 - canned_reqlen;
	evbuffer_remove(in, canned_req + canned_reqlen, n);
	evbuffer_drain(in, evbuffer_get_length(in));
	canned_reqlen += n;
	canned_req[canned_reqlen] = '\0';
	if (arg != NULL || strstr(canned_req, "\r\n\r\n") == NULL)
		return;
	if (canned_len == 0) {
		bufferevent_free(bev);
		return;
	}
	/* Answered, as the argument now says; closed once written. */
	bufferevent_setcb(bev, canned_read_cb, canned_hold ? NULL :
	    echo_write_cb, canned_event_cb, bev);
	bufferevent_write(bev, canned_resp, canned_len);
}

static void
canned_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct bufferevent	*bev;

	canned_accepts++;
	canned_reqlen = 0;
	canned_req[0] = '\0';
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, canned_read_cb, NULL, canned_event_cb, NULL);
	bufferevent_enable(bev, EV_READ|EV_WRITE);
}

/* A loopback port nothing listens on (bound then closed). */
static int
dead_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

static void
rec_refused(const char *host, int port, const char *why, void *arg)
{
	refused_n++;
	snprintf(refused_host, sizeof refused_host, "%s", host);
	snprintf(refused_why, sizeof refused_why, "%s", why);
	refused_port = port;
}

static void
rec_allowed(const char *host, int port, void *arg)
{
	allowed_n++;
}

static void	spin(int);

static const struct proxy_cb	cb = { rec_refused, rec_allowed, NULL };
static struct proxy		*px;
static int			 ctrl[2];	/* [0] the proxy's */
static int			 closed_port;

static void
setup(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	struct proxy_policy	 pol = { NULL, 0, NULL };
	char			 cause[128], allow1[64], allow2[64], allow3[64];
	char			*allow[6];

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	echo_l = evconnlistener_new_bind(base, echo_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE|LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof sin);
	ck_assert_ptr_nonnull(echo_l);
	getsockname(evconnlistener_get_fd(echo_l), (struct sockaddr *)&sin,
	    &len);
	echo_port = ntohs(sin.sin_port);
	closed_port = dead_port();
	sin.sin_port = 0;
	canned_l = evconnlistener_new_bind(base, canned_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE|LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof sin);
	ck_assert_ptr_nonnull(canned_l);
	len = sizeof sin;
	getsockname(evconnlistener_get_fd(canned_l), (struct sockaddr *)&sin,
	    &len);
	canned_port = ntohs(sin.sin_port);
	canned_accepts = canned_closed = 0;
	canned_hold = 0;

	snprintf(allow1, sizeof allow1, "127.0.0.1:%d", echo_port);
	snprintf(allow2, sizeof allow2, "127.0.0.1:%d", closed_port);
	allow[0] = allow1;
	allow[1] = allow2;
	allow[2] = "*.allowed.example";
	allow[3] = "localhost";
	snprintf(allow3, sizeof allow3, "127.0.0.1:%d", canned_port);
	allow[4] = allow3;
	allow[5] = NULL;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, ctrl), 0);
	pol.allowlist = allow;
	px = proxy_create(base, ctrl[0], &pol, &cb, cause, sizeof cause);
	ck_assert_msg(px != NULL, "%s", cause);
	refused_n = allowed_n = 0;
	refused_host[0] = '\0';
}

static void
teardown(void)
{
	proxy_free(px);
	px = NULL;
	close(ctrl[1]);
	/* The echo server's ends see the close and free themselves. */
	spin(50);
	evconnlistener_free(echo_l);
	evconnlistener_free(canned_l);
	event_base_free(base);
}

/* A new "TCP connection" through the bridge: our end, non-blocking. */
static int
connection(void)
{
	int	sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(send_fd(ctrl[1], "c", 1, sp[1], 0), 1);
	close(sp[1]);
	set_nonblock(sp[0]);
	return (sp[0]);
}

/*
 * Run the loop and read fd until buf (cap bytes) holds want, or EOF when
 * want is NULL; within 30 s (a DNS timeout is 5 s a try). Returns the
 * bytes read; *eof set on EOF.
 */
static size_t
pump(int fd, char *buf, size_t cap, const char *want, int *eof)
{
	size_t	len = 0;
	ssize_t	n;
	int64_t	deadline = mono_ms() + 30000;

	*eof = 0;
	buf[0] = '\0';
	while (mono_ms() < deadline) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = read(fd, buf + len, cap - 1 - len);
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (want != NULL && strstr(buf, want) != NULL)
				return (len);
			continue;
		}
		if (n == 0) {
			*eof = 1;
			return (len);
		}
		if (errno != EAGAIN)
			ck_abort_msg("read: %s", strerror(errno));
		usleep(1000);
	}
	ck_abort_msg("timed out; have '%s', want '%s'", buf,
	    want != NULL ? want : "EOF");
	return (len);
}

/* Run the loop for ms milliseconds. */
static void
spin(int ms)
{
	int64_t	end = mono_ms() + ms;

	while (mono_ms() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static void
send_str(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* How many of our descriptors are sockets marked as a session's. */
static int
marked_sockets(void)
{
	uint32_t	mark;
	socklen_t	len;
	int		fd, n = 0;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof mark;
		mark = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len) == 0 &&
		    mark == SESSION_SOCK_MARK)
			n++;
	}
	return (n);
}

START_TEST(test_tunnel)
{
	char	buf[4096], req[128];
	int	fd, eof;

	fd = connection();
	/* A client may send its first bytes right behind the head. */
	snprintf(req, sizeof req, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n\r\nearly,", echo_port);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, "\r\n\r\nearly,", &eof);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 200 ", 13), 0);
	/* The proxy's own upstream socket, in this process: marked. */
	if (geteuid() == 0)
		ck_assert_int_eq(marked_sockets(), 1);
	send_str(fd, "hello through the tunnel");
	pump(fd, buf, sizeof buf, "hello through the tunnel", &eof);
	ck_assert_int_eq(allowed_n, 1);
	ck_assert_int_eq(refused_n, 0);
	/* Our EOF reaches the server, whose close reaches us. */
	shutdown(fd, SHUT_WR);
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(eof, 1);
	close(fd);
	ck_assert_uint_eq(proxy_allowed(px), 1);
}
END_TEST

START_TEST(test_refused)
{
	char	buf[4096], req[128];
	int	fd, eof;

	fd = connection();
	send_str(fd, "CONNECT evil.example:443 HTTP/1.1\r\n\r\n");
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 403 Forbidden\r\n", 24), 0);
	ck_assert_ptr_nonnull(strstr(buf, "evil.example:443"));
	ck_assert_int_eq(refused_n, 1);
	ck_assert_str_eq(refused_host, "evil.example");
	ck_assert_int_eq(refused_port, 443);
	ck_assert_ptr_nonnull(strstr(refused_why, "allowlist"));
	close(fd);

	/* The right host on another port is another host:port. */
	fd = connection();
	snprintf(req, sizeof req, "GET http://127.0.0.1:%d/ HTTP/1.1\r\n\r\n",
	    echo_port + 1 == closed_port ? echo_port + 2 : echo_port + 1);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 403 ", 13), 0);
	ck_assert_int_eq(refused_n, 2);
	close(fd);

	/* The apex of a wildcard is not allowed. */
	fd = connection();
	send_str(fd, "CONNECT allowed.example:443 HTTP/1.1\r\n\r\n");
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 403 ", 13), 0);
	close(fd);
	ck_assert_int_eq(allowed_n, 0);
	ck_assert_uint_eq(proxy_refused(px), 3);
}
END_TEST

START_TEST(test_forward)
{
	char	buf[4096], req[256], want[512];
	int	fd, eof;

	/* The server sees the rewritten head; the agent its answer's. */
	canned_resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok";
	canned_len = strlen(canned_resp);
	fd = connection();
	snprintf(req, sizeof req, "GET http://127.0.0.1:%d/x?y HTTP/1.1\r\n"
	    "Host: bogus\r\nProxy-Connection: keep-alive\r\n"
	    "Content-Length: 4\r\n\r\nbody", canned_port);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(eof, 1);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\nok");
	snprintf(want, sizeof want, "GET /x?y HTTP/1.1\r\nHost: 127.0.0.1:%d"
	    "\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody",
	    canned_port);
	ck_assert_str_eq(canned_req, want);
	close(fd);
}
END_TEST

/* Forward a GET to the canned server; what the agent got, through EOF. */
static void
forward(const char *answer, size_t len, char *buf, size_t cap)
{
	char	req[256];
	int	fd, eof;

	canned_resp = answer;
	canned_len = len;
	fd = connection();
	snprintf(req, sizeof req, "GET http://127.0.0.1:%d/v1/messages "
	    "HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", canned_port);
	send_str(fd, req);
	pump(fd, buf, cap, NULL, &eof);
	ck_assert_int_eq(eof, 1);
	close(fd);
}

#define FORWARD(answer, buf) forward(answer, sizeof (answer) - 1, buf, \
    sizeof buf)

/* The proxy's own 502 for a bad response head, byte for byte. */
static void
expect_502(const char *got, const char *cause)
{
	char	body[512], want[1024];
	int	n;

	n = snprintf(body, sizeof body, "runnerd proxy: 127.0.0.1:%d: bad "
	    "response: %s\n", canned_port, cause);
	snprintf(want, sizeof want, "HTTP/1.1 502 Bad Gateway\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %d\r\n"
	    "Connection: close\r\n\r\n%s", n, body);
	ck_assert_str_eq(got, want);
}

/* Hostile and unusual response heads from upstream. */
START_TEST(test_forward_response)
{
	char	buf[8192], *big;
	int	i;

	/* Keep-alive from upstream becomes close; the body is passed on. */
	FORWARD("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\n"
	    "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 4\r\n\r\n"
	    "done", buf);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
	    "Connection: close\r\n\r\ndone");
	/* The rewritten request said close, whatever the agent said. */
	ck_assert_ptr_nonnull(strstr(canned_req, "Connection: close\r\n"));
	ck_assert_ptr_null(strstr(canned_req, "keep-alive"));

	/* 100 Continue passes, the real head after it is rewritten. */
	canned_hold = 0;
	FORWARD("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
	    "Connection: keep-alive\r\nContent-Length: 2\r\n\r\nok", buf);
	ck_assert_str_eq(buf, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"
	    "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");

	/* Chunked, close-delimited: the framing passes untouched. */
	FORWARD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nhi\r\n0\r\n\r\n", buf);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n");

	/* No CRLF at all, then the close. */
	FORWARD("HTTP/1.1 200 OK", buf);
	expect_502(buf, "closed within the response head");
	/* Nothing at all. */
	FORWARD("", buf);
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 502 Bad Gateway\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "closed without a response"));
	/* Not HTTP. */
	FORWARD("SSH-2.0-OpenSSH_9.6\r\n\r\n", buf);
	expect_502(buf, "no HTTP/1.x status line");
	/* A header line without a colon. */
	FORWARD("HTTP/1.1 200 OK\r\nNoColon\r\n\r\nbody", buf);
	expect_502(buf, "malformed header line");
	/* Switching protocols, never asked for. */
	FORWARD("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n\r\n\x81\x05hello", buf);
	expect_502(buf, "switching protocols without an upgrade asked for");
	/* An Upgrade offer on a final response is dropped. */
	FORWARD("HTTP/1.1 426 Upgrade Required\r\nUpgrade: h2c\r\n"
	    "Connection: Upgrade\r\nContent-Length: 0\r\n\r\n", buf);
	ck_assert_str_eq(buf, "HTTP/1.1 426 Upgrade Required\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	/* Endless 100 Continue: a few pass, then 502. */
	big = xmalloc(64 * 25);
	for (i = 0; i < 20; i++)
		memcpy(big + i * 25, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	forward(big, 20 * 25, buf, sizeof buf);
	free(big);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 100", 37), 0);
	ck_assert_ptr_nonnull(strstr(buf, "more than 8 interim responses"));
	/* A head that never ends: 502 once past the limit. */
	big = xmalloc(PROXY_RESP_HEAD_MAX + 4096);
	memset(big, 'a', PROXY_RESP_HEAD_MAX + 4096);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	forward(big, PROXY_RESP_HEAD_MAX + 4096, buf, sizeof buf);
	free(big);
	snprintf(buf + 4000, 64, "response head over %d bytes",
	    PROXY_RESP_HEAD_MAX);
	expect_502(buf, buf + 4000);
	ck_assert_int_eq(canned_accepts, 11);
}
END_TEST

/*
 * A keep-alive server that keeps the connection: the agent reads its
 * whole answer, sees Connection: close and closes; so does the proxy,
 * and the server sees its EOF.
 */
START_TEST(test_forward_keepalive)
{
	char	buf[4096], req[256];
	int	fd, eof;

	canned_hold = 1;
	canned_resp = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
	    "Content-Length: 3\r\n\r\none";
	canned_len = strlen(canned_resp);
	fd = connection();
	snprintf(req, sizeof req, "POST http://127.0.0.1:%d/a HTTP/1.1\r\n"
	    "Content-Length: 0\r\n\r\n", canned_port);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, "one", &eof);
	ck_assert_int_eq(eof, 0);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	    "Connection: close\r\n\r\none");
	ck_assert_int_eq(canned_closed, 0);
	close(fd);
	spin(200);
	/* The proxy let go of both ends: the server saw its EOF. */
	ck_assert_int_eq(canned_closed, 1);
	ck_assert_int_eq(canned_accepts, 1);
	ck_assert_uint_eq(proxy_allowed(px), 1);
}
END_TEST

START_TEST(test_errors)
{
	char	buf[4096], req[128], *big;
	int	fd, eof;

	/* Nothing listens: 502 naming the host and the reason. */
	fd = connection();
	snprintf(req, sizeof req, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n",
	    closed_port);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 502 ", 13), 0);
	ck_assert_ptr_nonnull(strstr(buf, "refused"));
	close(fd);

	/* Garbage: 400, and the connection ends. */
	fd = connection();
	send_str(fd, "\x16\x03\x01 hello\r\n\r\n");
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 400 ", 13), 0);
	close(fd);

	/* A head that never ends: 431 once past the limit. */
	fd = connection();
	big = xmalloc(PROXY_HEAD_MAX + 100);
	memset(big, 'a', PROXY_HEAD_MAX + 100);
	memcpy(big, "GET http://x.allowed.example/ HTTP/1.1\r\nX: ", 43);
	ck_assert_int_eq(write(fd, big, PROXY_HEAD_MAX + 100),
	    PROXY_HEAD_MAX + 100);
	free(big);
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_int_eq(strncmp(buf, "HTTP/1.1 431 ", 13), 0);
	close(fd);

	/* Gone before the head: closed, no callback. */
	fd = connection();
	send_str(fd, "CONNECT 127.0.0.1:");
	close(fd);
	spin(200);
	ck_assert_int_eq(refused_n, 0);
	ck_assert_int_eq(allowed_n, 1);	/* the 502 one */
}
END_TEST

/* Megabytes both ways through the tunnel with bounded buffers. */
START_TEST(test_backpressure)
{
	static char	 out[64 * 1024];
	char		 hdr[4096], req[128], *in;
	size_t		 total = 8 * 1024 * 1024, sent = 0, got = 0, i;
	ssize_t		 n;
	int		 fd, eof;
	int64_t		 deadline;

	fd = connection();
	snprintf(req, sizeof req, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n",
	    echo_port);
	send_str(fd, req);
	pump(fd, hdr, sizeof hdr, "\r\n\r\n", &eof);
	for (i = 0; i < sizeof out; i++)
		out[i] = (char)(i * 7 + 3);
	in = xmalloc(sizeof out);
	deadline = mono_ms() + 30000;
	while (got < total && mono_ms() < deadline) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (sent < total) {
			n = write(fd, out + sent % sizeof out,
			    sizeof out - sent % sizeof out);
			if (n > 0)
				sent += (size_t)n;
		}
		n = read(fd, in, sizeof out - got % sizeof out);
		if (n > 0) {
			ck_assert_int_eq(memcmp(in, out + got % sizeof out,
			    (size_t)n), 0);
			got += (size_t)n;
		}
	}
	ck_assert_uint_eq(got, total);
	free(in);
	close(fd);
}
END_TEST

/* A name, resolved by evdns (here from /etc/hosts), not blocking. */
START_TEST(test_resolve)
{
	char	buf[4096], req[128];
	int	fd, eof;

	fd = connection();
	snprintf(req, sizeof req, "CONNECT localhost:%d HTTP/1.1\r\n\r\n",
	    echo_port);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, "\r\n\r\n", &eof);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "%s", buf);
	send_str(fd, "by name");
	pump(fd, buf, sizeof buf, "by name", &eof);
	close(fd);

	/* A name that does not resolve: 502 saying so. */
	fd = connection();
	send_str(fd, "CONNECT nonexistent.invalid.allowed.example:443 "
	    "HTTP/1.1\r\n\r\n");
	pump(fd, buf, sizeof buf, NULL, &eof);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 502 ", 13) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "resolve"));
	close(fd);
}
END_TEST

/* Replace the fixture's proxy with one under pol. */
static void
repolicy(const struct proxy_policy *pol)
{
	char	cause[128];

	proxy_free(px);
	close(ctrl[1]);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, ctrl), 0);
	px = proxy_create(base, ctrl[0], pol, &cb, cause, sizeof cause);
	ck_assert_msg(px != NULL, "%s", cause);
}

/* CONNECT target: the status line and body, and what was counted. */
static void
expect_connect(const char *target, const char *status, const char *word)
{
	char	buf[4096], req[512];
	int	fd, eof;

	fd = connection();
	snprintf(req, sizeof req, "CONNECT %s HTTP/1.1\r\n\r\n", target);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, word != NULL ? word : "\r\n\r\n", &eof);
	ck_assert_msg(strncmp(buf, status, strlen(status)) == 0,
	    "%s: %s", target, buf);
	close(fd);
}

/*
 * Open mode: any host, but only public addresses; loopback, link-local
 * and private destinations are refused before any connect, in every
 * spelling, unless named exactly; runnerd's own listener never.
 */
START_TEST(test_open_mode)
{
	struct proxy_policy	 pol = { NULL, 1, NULL };
	char			 t[128], listen[64], *allow[3], a1[64];
	char			*lv[2];

	repolicy(&pol);
	echo_accepts = 0;
	snprintf(t, sizeof t, "127.0.0.1:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "loopback address");
	ck_assert_int_eq(refused_n, 1);
	ck_assert_str_eq(refused_why, "loopback address");
	ck_assert_int_eq(refused_port, echo_port);
	snprintf(t, sizeof t, "localhost:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "loopback address");
	snprintf(t, sizeof t, "[::ffff:127.0.0.1]:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "loopback address");
	snprintf(t, sizeof t, "[::1]:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "loopback address");
	snprintf(t, sizeof t, "0.0.0.0:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "unspecified address");
	/* Never connected to: refused on the resolved address alone. */
	expect_connect("169.254.169.254:80", "HTTP/1.1 403 ",
	    "link-local address");
	expect_connect("10.0.0.1:443", "HTTP/1.1 403 ", "private address");
	expect_connect("[fd00::1]:443", "HTTP/1.1 403 ", "private address");
	expect_connect("100.64.0.1:443", "HTTP/1.1 403 ", "CGNAT");
	expect_connect("[64:ff9b::a9fe:a9fe]:80", "HTTP/1.1 403 ",
	    "link-local");
	ck_assert_int_eq(refused_n, 10);
	ck_assert_uint_eq(proxy_refused(px), 10);
	ck_assert_int_eq(allowed_n, 0);
	spin(50);
	ck_assert_int_eq(echo_accepts, 0);

	/* The operator names 127.0.0.1:PORT: reachable, not localhost. */
	snprintf(a1, sizeof a1, "127.0.0.1:%d", echo_port);
	allow[0] = a1;
	allow[1] = "*.allowed.example";
	allow[2] = NULL;
	pol.allowlist = allow;
	repolicy(&pol);
	snprintf(t, sizeof t, "127.0.0.1:%d", echo_port);
	expect_connect(t, "HTTP/1.1 200 ", NULL);
	snprintf(t, sizeof t, "localhost:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "loopback address");
	spin(50);
	ck_assert_int_eq(echo_accepts, 1);

	/* ... unless it is runnerd's own listener: refused always. */
	snprintf(listen, sizeof listen, "127.0.0.1:%d", echo_port);
	lv[0] = listen;
	lv[1] = NULL;
	pol.listen = lv;
	repolicy(&pol);
	snprintf(t, sizeof t, "127.0.0.1:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "runnerd's own listener");
	snprintf(t, sizeof t, "[::1]:%d", echo_port);
	expect_connect(t, "HTTP/1.1 403 ", "runnerd's own listener");
	snprintf(t, sizeof t, "GET http://127.0.0.1:%d/api/runner/sessions "
	    "HTTP/1.1\r\n\r\n", echo_port);
	{
		char	buf[4096];
		int	fd, eof;

		fd = connection();
		send_str(fd, t);
		pump(fd, buf, sizeof buf, NULL, &eof);
		ck_assert_int_eq(strncmp(buf, "HTTP/1.1 403 ", 13), 0);
		ck_assert_ptr_nonnull(strstr(buf, "runnerd's own listener"));
		close(fd);
	}
	spin(50);
	ck_assert_int_eq(echo_accepts, 1);

	/* Restricted with the same list: the wildcard is still vetted. */
	pol.open = 0;
	pol.listen = NULL;
	repolicy(&pol);
	expect_connect("evil.example:443", "HTTP/1.1 403 ", "allowlist");
	snprintf(t, sizeof t, "127.0.0.1:%d", echo_port);
	expect_connect(t, "HTTP/1.1 200 ", NULL);
}
END_TEST

/* A bad daemonListen entry is the proxy's error, not a crash. */
START_TEST(test_bad_listen)
{
	char			*lv[] = { "localhost:3000", NULL };
	struct proxy_policy	 pol = { NULL, 1, lv };
	char			 cause[128];
	int			 sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_ptr_null(proxy_create(base, sp[0], &pol, &cb, cause,
	    sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "localhost:3000"));
	close(sp[1]);
}
END_TEST

/* The bridge stops; connections in flight keep going; free is clean. */
START_TEST(test_bridge_gone)
{
	char	buf[4096], req[128];
	int	fd, fd2, eof;

	fd = connection();
	snprintf(req, sizeof req, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n",
	    echo_port);
	send_str(fd, req);
	pump(fd, buf, sizeof buf, "\r\n\r\n", &eof);
	fd2 = connection();	/* left half-way through its head */
	send_str(fd2, "CONNECT ");
	close(ctrl[1]);
	ctrl[1] = open("/dev/null", O_RDONLY);
	send_str(fd, "still");
	pump(fd, buf, sizeof buf, "still", &eof);
	close(fd);
	close(fd2);
}
END_TEST

/* A free port, found by binding 0. */
static int
free_port(void)
{
	return (dead_port());
}

START_TEST(test_bridge)
{
	struct sockaddr_in	 sin;
	char			 byte, buf[64];
	int			 sp[2], port, c, got = -1, status, i;
	pid_t			 pid;

	port = free_port();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	if ((pid = fork()) == 0) {
		close(sp[0]);
		proxybridge_main(sp[1], port);
	}
	close(sp[1]);

	/* Connect (the bridge may take a moment to listen). */
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 200; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&sin, sizeof sin) == 0)
			break;
		close(c);
		c = -1;
		usleep(10000);
	}
	ck_assert_int_ne(c, -1);
	ck_assert_int_eq(write(c, "ping", 4), 4);

	/* The accepted connection comes to the worker's end. */
	ck_assert_int_eq(receive_fd(sp[0], &byte, 1, &got, 0), 1);
	ck_assert_int_ne(got, -1);
	ck_assert_int_eq(read(got, buf, sizeof buf), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	ck_assert_int_eq(write(got, "pong", 4), 4);
	ck_assert_int_eq(read(c, buf, sizeof buf), 4);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	close(got);
	close(c);

	/* The worker's end closes: the bridge exits 0. */
	close(sp[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_env)
{
	char	**env;
	size_t	  i, n = 0, all = 0;
	int	  seen = 0;

	env = xcalloc(6, sizeof *env);
	env[0] = xstrdup("PATH=/bin");
	env[1] = xstrdup("HTTPS_PROXY=http://elsewhere:1");
	env[2] = xstrdup("NO_PROXY=127.0.0.1,localhost");
	env[3] = xstrdup("no_proxy=*");
	env[4] = xstrdup("NO_PROXYX=kept");
	env = proxybridge_env(env, 3128);
	for (i = 0; env[i] != NULL; i++) {
		if (strcmp(env[i], "HTTPS_PROXY=http://127.0.0.1:3128") == 0 ||
		    strcmp(env[i], "http_proxy=http://127.0.0.1:3128") == 0 ||
		    strcmp(env[i], "HTTP_PROXY=http://127.0.0.1:3128") == 0 ||
		    strcmp(env[i], "https_proxy=http://127.0.0.1:3128") == 0 ||
		    strcmp(env[i], "ALL_PROXY=http://127.0.0.1:3128") == 0 ||
		    strcmp(env[i], "all_proxy=http://127.0.0.1:3128") == 0)
			seen++;
		if (strncmp(env[i], "HTTPS_PROXY=", 12) == 0)
			n++;
		/* Nothing may go around the proxy. */
		ck_assert_msg(strncasecmp(env[i], "no_proxy=", 9) != 0,
		    "%s left in", env[i]);
		all++;
	}
	ck_assert_int_eq(seen, 6);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(all, 8);	/* PATH, NO_PROXYX and the six */
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}
END_TEST

/* Load a config file holding text; -1 with cause. */
static int
load(struct config *c, const char *text, char *cause, size_t len)
{
	char	path[] = "/tmp/check_proxy.XXXXXX";
	int	fd, rv;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rv = config_load_file(c, path, cause, len);
	unlink(path);
	return (rv);
}

START_TEST(test_config)
{
	static const char *const bad[] = {
		"{\"network_allowlist\": [\"ok.example\", \"bad host\"]}",
		"{\"network_allowlist\": [\"\"]}",
		"{\"network_allowlist\": [\"*\"]}",
		"{\"network_allowlist\": \"a.example\"}",
		"{\"network_allowlist\": [1]}",
	};
	struct config		*c, *next;
	struct json_object	*o, *v;
	char			 cause[256], applied[256], restart[256];
	size_t			 i;

	c = config_default();
	ck_assert_uint_eq(strv_len(c->network_allowlist),
	    strv_len((char **)netallow_default));
	ck_assert_str_eq(c->network_allowlist[0], "api.openai.com");
	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(load(c, bad[i], cause, sizeof cause) == -1,
		    "accepted %s", bad[i]);
		ck_assert_msg(strstr(cause, "network_allowlist") != NULL,
		    "cause '%s' does not name the key", cause);
	}
	config_free(c);

	c = config_default();
	ck_assert_int_eq(load(c, "{\"network_allowlist\": [\"A.example\", "
	    "\"*.b.example:443\", \"[::1]:8080\"]}", cause, sizeof cause), 0);
	ck_assert_uint_eq(strv_len(c->network_allowlist), 3);
	o = config_to_json(c);
	ck_assert(json_object_object_get_ex(o, "network_allowlist", &v));
	ck_assert_int_eq((int)json_object_array_length(v), 3);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v,
	    1)), "*.b.example:443");
	json_object_put(o);

	/* SIGHUP: applied to new sessions, and said so. */
	next = config_default();
	ck_assert_int_eq(load(next, "{\"network_allowlist\": []}", cause,
	    sizeof cause), 0);
	config_reload(c, next, applied, sizeof applied, restart,
	    sizeof restart);
	ck_assert_ptr_nonnull(strstr(applied, "network_allowlist"));
	ck_assert_ptr_null(strstr(restart, "network_allowlist"));
	ck_assert_uint_eq(strv_len(c->network_allowlist), 0);
	config_free(next);
	config_free(c);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("proxy");
	TCase	*tc;

	tc = tcase_create("allowlist");
	tcase_add_test(tc, test_exact);
	tcase_add_test(tc, test_wildcard);
	tcase_add_test(tc, test_port_case_dot);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_bad_patterns);
	tcase_add_test(tc, test_hostile_hosts);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("vetting");
	tcase_add_test(tc, test_addr_class);
	tcase_add_test(tc, test_vet);
	tcase_add_test(tc, test_exact_override);
	tcase_add_test(tc, test_sockaddr_hostile);
	suite_add_tcase(s, tc);

	tc = tcase_create("parser");
	tcase_add_test(tc, test_parse_connect);
	tcase_add_test(tc, test_parse_forward);
	tcase_add_test(tc, test_parse_response);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_parse_garbage);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("proxy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tunnel);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_forward);
	tcase_add_test(tc, test_forward_response);
	tcase_add_test(tc, test_forward_keepalive);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_bridge_gone);
	tcase_add_test(tc, test_open_mode);
	tcase_add_test(tc, test_bad_listen);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("bridge");
	tcase_add_test(tc, test_bridge);
	tcase_add_test(tc, test_env);
	suite_add_tcase(s, tc);
	return (s);
}
