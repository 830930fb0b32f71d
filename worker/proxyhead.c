/*
 * The egress proxy: an HTTP proxy request's head and a forwarded
 * request's response head, parsed and checked as the hostile input they
 * are and rewritten for the other side, and the reason phrases of the
 * replies.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "common/log.h"
#include "common/netallow.h"
#include "common/proto.h"
#include "common/util.h"
#include "worker/proxy.h"
#include "worker/proxy_int.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

#define PROXY_MAX_HEADERS	100

/* The reason phrases of the statuses the proxy sends. */
static const struct {
	int		 status;
	const char	*reason;
} proxy_reasons[] = {
	{ 200, "Connection established" }, { 400, "Bad Request" },
	{ 403, "Forbidden" }, { 408, "Request Timeout" },
	{ 431, "Request Header Fields Too Large" },
	{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" }
};

/* The reason phrase of a status the proxy sends. */
const char *
proxyhead_reason(int status)
{
	size_t	i;

	for (i = 0; i < nitems(proxy_reasons); i++)
		if (proxy_reasons[i].status == status)
			return (proxy_reasons[i].reason);
	return ("Error");
}

/* RFC 9110 tchar: what a method or header name is made of. */
static int
proxyhead_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return (1);
	return (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Whether a header name (n bytes) is name, case-insensitively. */
static int
proxyhead_hdr_is(const char *h, size_t n, const char *name)
{
	return (strlen(name) == n && strncasecmp(h, name, n) == 0);
}

struct proxy_hdr {
	const char	*name;
	size_t		 nlen;
	const char	*value;
	size_t		 vlen;
};

/* Whether the Connection header values list name as a token. */
static int
proxyhead_conn_lists(const struct proxy_hdr *hs, size_t n, const char *name,
    size_t nlen)
{
	const char	*v, *e, *t;
	size_t		 i, tl;

	for (i = 0; i < n; i++) {
		if (!proxyhead_hdr_is(hs[i].name, hs[i].nlen, "connection"))
			continue;
		v = hs[i].value;
		e = v + hs[i].vlen;
		while (v < e) {
			while (v < e && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			t = v;
			while (v < e && *v != ',' && *v != ' ' && *v != '\t')
				v++;
			tl = (size_t)(v - t);
			if (tl > 0 && tl == nlen && strncasecmp(t, name,
			    nlen) == 0)
				return (1);
		}
	}
	return (0);
}

/* Headers a proxy must not pass on (RFC 9110 7.6.1), and Host. */
static int
proxyhead_hop_by_hop(const struct proxy_hdr *hs, size_t n,
    const struct proxy_hdr *h)
{
	static const char *const hop[] = { "connection", "proxy-connection",
	    "keep-alive", "proxy-authorization", "proxy-authenticate", "te",
	    "upgrade", "host" };
	size_t	i;

	for (i = 0; i < nitems(hop); i++)
		if (proxyhead_hdr_is(h->name, h->nlen, hop[i]))
			return (1);
	return (proxyhead_conn_lists(hs, n, h->name, h->nlen));
}

/* The next line of [*p, end): its length without CR LF; -1 if none. */
static ssize_t
proxyhead_line(const char **p, const char *end, const char **line)
{
	const char	*nl;
	size_t		 len;

	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return (-1);
	*line = *p;
	len = (size_t)(nl - *p);
	if (len > 0 && nl[-1] == '\r')
		len--;
	*p = nl + 1;
	return ((ssize_t)len);
}

/* An absolute http:// target: host, port and the origin-form path. */
static int
proxyhead_parse_uri(const char *t, size_t tlen, struct proxy_req *req,
    const char **path, size_t *plen, char *cause, size_t causelen)
{
	const char	*a;
	char		 why[128];
	size_t		 alen;

	if (tlen >= 8 && strncasecmp(t, "https://", 8) == 0) {
		CAUSE("https:// URIs go through CONNECT");
		return (-1);
	}
	if (tlen < 7 || strncasecmp(t, "http://", 7) != 0) {
		if (tlen > 0 && t[0] == '/')
			CAUSE("not a proxy request (origin-form target)");
		else
			CAUSE("only CONNECT and http:// URIs are proxied");
		return (-1);
	}
	if (memchr(t, '#', tlen) != NULL) {
		CAUSE("fragment in the request target");
		return (-1);
	}
	a = t + 7;
	alen = strcspn(a, "/?");
	if (alen > tlen - 7)
		alen = tlen - 7;
	if (memchr(a, '@', alen) != NULL) {
		CAUSE("user information in the URI");
		return (-1);
	}
	if (alen == 0) {
		CAUSE("no host in the URI");
		return (-1);
	}
	if (netallow_authority(a, alen, 80, req->host, sizeof req->host,
	    &req->port, why, sizeof why) == -1) {
		CAUSE("%s", why);
		return (-1);
	}
	*path = a + alen;
	*plen = tlen - 7 - alen;
	return (0);
}

/* Add the end-to-end fields of hs to b, Connection: close if close, the end. */
static void
proxyhead_add_fields(struct evbuffer *b, const struct proxy_hdr *hs, size_t n,
    int close)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (proxyhead_hop_by_hop(hs, n, &hs[i]))
			continue;
		evbuffer_add(b, hs[i].name, hs[i].nlen);
		evbuffer_add(b, ": ", 2);
		evbuffer_add(b, hs[i].value, hs[i].vlen);
		evbuffer_add(b, "\r\n", 2);
	}
	if (close)
		evbuffer_add_printf(b, "Connection: close\r\n");
	evbuffer_add(b, "\r\n", 2);
}

/* The bytes of b, malloc'd, and their length; b is freed. */
static char *
proxyhead_take(struct evbuffer *b, size_t *len)
{
	char	*p;

	*len = evbuffer_get_length(b);
	p = xmalloc(*len);
	evbuffer_remove(b, p, *len);
	evbuffer_free(b);
	return (p);
}

/* Build the head sent upstream for a forwarded request. */
static void
proxyhead_rewrite(struct proxy_req *req, const char *method, size_t mlen,
    const char *path, size_t plen, const char *version,
    const struct proxy_hdr *hs, size_t n)
{
	struct evbuffer	*b;
	char		 auth[NETALLOW_HOST_MAX + 8];

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	if (req->port != 80)
		netallow_format(req->host, req->port, auth, sizeof auth);
	else if (strchr(req->host, ':') != NULL)
		snprintf(auth, sizeof auth, "[%s]", req->host);
	else
		snprintf(auth, sizeof auth, "%s", req->host);
	evbuffer_add(b, method, mlen);
	evbuffer_add(b, " ", 1);
	if (plen == 0 || path[0] != '/')
		evbuffer_add(b, "/", 1);
	evbuffer_add(b, path, plen);
	evbuffer_add_printf(b, " %s\r\nHost: %s\r\n", version, auth);
	proxyhead_add_fields(b, hs, n, 1);
	req->head = proxyhead_take(b, &req->headlen);
}

/* Check the fields through the head's end and the body framing; fill hs. */
static int
proxyhead_parse_fields(const char **p, const char *end, struct proxy_hdr *hs,
    size_t *np, char *cause, size_t causelen)
{
	const char	*line, *colon, *v, *ve;
	const char	*cl = NULL;
	size_t		 n = 0, i, cllen = 0;
	ssize_t		 len;
	int		 te = 0;

	for (;;) {
		if ((len = proxyhead_line(p, end, &line)) == -1) {
			CAUSE("the head does not end with an empty line");
			return (-1);
		}
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			CAUSE("folded header line");
			return (-1);
		}
		if (n == PROXY_MAX_HEADERS) {
			CAUSE("more than %d header fields", PROXY_MAX_HEADERS);
			return (-1);
		}
		colon = memchr(line, ':', (size_t)len);
		if (colon == NULL || colon == line) {
			CAUSE("malformed header line");
			return (-1);
		}
		for (v = line; v < colon; v++) {
			if (!proxyhead_tchar((unsigned char)*v)) {
				CAUSE("bad character in a header name");
				return (-1);
			}
		}
		v = colon + 1;
		ve = line + len;
		for (i = 0; v + i < ve; i++) {
			unsigned char	c = (unsigned char)v[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				CAUSE("control character in a header value");
				return (-1);
			}
		}
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		hs[n].name = line;
		hs[n].nlen = (size_t)(colon - line);
		hs[n].value = v;
		hs[n].vlen = (size_t)(ve - v);
		if (proxyhead_hdr_is(line, hs[n].nlen, "transfer-encoding"))
			te = 1;
		if (proxyhead_hdr_is(line, hs[n].nlen, "content-length")) {
			for (i = 0; i < hs[n].vlen; i++) {
				if (v[i] < '0' || v[i] > '9')
					break;
			}
			if (hs[n].vlen == 0 || i != hs[n].vlen ||
			    hs[n].vlen > 18) {
				CAUSE("bad Content-Length");
				return (-1);
			}
			if (cl != NULL && (cllen != hs[n].vlen ||
			    memcmp(cl, v, cllen) != 0)) {
				CAUSE("conflicting Content-Length");
				return (-1);
			}
			cl = v;
			cllen = hs[n].vlen;
		}
		n++;
	}
	/* Both would let the two ends disagree on where the body ends. */
	if (te && cl != NULL) {
		CAUSE("both Transfer-Encoding and Content-Length");
		return (-1);
	}
	if (*p != end) {
		CAUSE("bytes after the end of the head");
		return (-1);
	}
	*np = n;
	return (0);
}

int
proxyhead_parse(const char *buf, size_t len, struct proxy_req *req,
    char *cause, size_t causelen)
{
	struct proxy_hdr	 hs[PROXY_MAX_HEADERS];
	const char		*p = buf, *end = buf + len, *line, *sp1, *sp2;
	const char		*path = NULL, *version;
	char			 why[128], vers[9];
	size_t			 n, i, mlen, tlen, plen = 0;
	ssize_t			 llen;

	memset(req, 0, sizeof *req);
	req->status = 400;
	if (len > PROXY_HEAD_MAX) {
		req->status = 431;
		CAUSE("request head over %d bytes", PROXY_HEAD_MAX);
		return (-1);
	}
	if ((llen = proxyhead_line(&p, end, &line)) <= 0) {
		CAUSE("no request line");
		return (-1);
	}
	for (i = 0; i < (size_t)llen; i++) {
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e) {
			CAUSE("bad character in the request line");
			return (-1);
		}
	}
	/* METHOD SP target SP HTTP/1.x, single spaces. */
	if ((sp1 = memchr(line, ' ', (size_t)llen)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(line + llen - sp1 - 1))) ==
	    NULL) {
		CAUSE("malformed request line");
		return (-1);
	}
	mlen = (size_t)(sp1 - line);
	tlen = (size_t)(sp2 - sp1 - 1);
	version = sp2 + 1;
	if (mlen == 0 || mlen > 32 || tlen == 0) {
		CAUSE("malformed request line");
		return (-1);
	}
	for (i = 0; i < mlen; i++) {
		if (!proxyhead_tchar((unsigned char)line[i])) {
			CAUSE("bad method");
			return (-1);
		}
	}
	if ((size_t)(line + llen - version) != 8 ||
	    (strncmp(version, "HTTP/1.1", 8) != 0 &&
	    strncmp(version, "HTTP/1.0", 8) != 0)) {
		if ((size_t)(line + llen - version) == 8 &&
		    strncmp(version, "HTTP/", 5) == 0)
			req->status = 505;
		CAUSE("not HTTP/1.0 or HTTP/1.1");
		return (-1);
	}
	if (mlen == 7 && memcmp(line, "CONNECT", 7) == 0) {
		req->kind = PROXY_TUNNEL;
		if (netallow_authority(sp1 + 1, tlen, -1, req->host,
		    sizeof req->host, &req->port, why, sizeof why) == -1) {
			CAUSE("CONNECT target: %s", why);
			return (-1);
		}
	} else {
		req->kind = PROXY_FORWARD;
		if (proxyhead_parse_uri(sp1 + 1, tlen, req, &path, &plen, why,
		    sizeof why) == -1) {
			CAUSE("%s", why);
			return (-1);
		}
	}
	if (proxyhead_parse_fields(&p, end, hs, &n, cause, causelen) == -1)
		return (-1);
	if (req->kind == PROXY_FORWARD) {
		memcpy(vers, version, 8);
		vers[8] = '\0';
		proxyhead_rewrite(req, line, mlen, path, plen, vers, hs, n);
	}
	req->status = 0;
	return (0);
}

int
proxyhead_response(const char *buf, size_t len, struct proxy_resp *resp,
    char *cause, size_t causelen)
{
	struct proxy_hdr	 hs[PROXY_MAX_HEADERS];
	struct evbuffer		*b;
	const char		*p = buf, *end = buf + len, *line;
	size_t			 n, i;
	ssize_t			 llen;
	unsigned char		 ch;

	memset(resp, 0, sizeof *resp);
	if (len > PROXY_RESP_HEAD_MAX) {
		CAUSE("response head over %d bytes", PROXY_RESP_HEAD_MAX);
		return (-1);
	}
	/* HTTP/1.x SP 3DIGIT [SP reason], the reason possibly empty. */
	if ((llen = proxyhead_line(&p, end, &line)) < 12 ||
	    (strncmp(line, "HTTP/1.1 ", 9) != 0 &&
	    strncmp(line, "HTTP/1.0 ", 9) != 0)) {
		CAUSE("no HTTP/1.x status line");
		return (-1);
	}
	for (i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9') {
			CAUSE("malformed status code");
			return (-1);
		}
	}
	resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	if (resp->status < 100 || resp->status > 599 ||
	    (llen > 12 && line[12] != ' ')) {
		CAUSE("malformed status code");
		return (-1);
	}
	for (i = 12; i < (size_t)llen; i++) {
		ch = (unsigned char)line[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			CAUSE("control character in the status line");
			return (-1);
		}
	}
	/* Upgrade is never passed upstream, so nothing may switch. */
	if (resp->status == 101) {
		CAUSE("switching protocols without an upgrade asked for");
		return (-1);
	}
	if (proxyhead_parse_fields(&p, end, hs, &n, cause, causelen) == -1)
		return (-1);
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	evbuffer_add(b, line, (size_t)llen);
	evbuffer_add(b, "\r\n", 2);
	/* The proxy closes after the final response, so it says so. */
	proxyhead_add_fields(b, hs, n, resp->status >= 200);
	resp->head = proxyhead_take(b, &resp->headlen);
	return (0);
}

void
proxyhead_resp_clear(struct proxy_resp *resp)
{
	free(resp->head);
	resp->head = NULL;
	resp->headlen = 0;
}

void
proxyhead_req_clear(struct proxy_req *req)
{
	free(req->head);
	req->head = NULL;
	req->headlen = 0;
}

/*
 * Where the head ends in p (len bytes): just past its empty line, or 0
 * when it has not arrived yet.
 */
size_t
proxyhead_end(const unsigned char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < len && p[i + 1] == '\n')
			return (i + 2);
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return (i + 3);
	}
	return (0);
}
