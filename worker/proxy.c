/*
 * The egress proxy of a restricted session, in two halves.
 *
 * The bridge runs inside the agent's network namespace, which has nothing
 * but a loopback: it accepts TCP connections on 127.0.0.1 (and ::1) and
 * hands each connected socket to the worker over a Unix socketpair with
 * SCM_RIGHTS. It never reads a byte of them, so it holds no state an agent
 * could wedge, and it cannot make the agent wait: a full socketpair only
 * pauses its accepting, which leaves connections in the listen backlog.
 *
 * The worker, outside the namespace, speaks HTTP proxy on each received
 * socket from its event loop: CONNECT host:port (a tunnel, how HTTPS goes
 * through a proxy) and absolute-URI plain HTTP, one request per
 * connection. The host asked for must be on the allowlist (any host in
 * open mode). It is resolved once with evdns, never blocking the loop;
 * every address it resolved to is vetted (netallow_vet: never runnerd's
 * listeners, no loopback, private, link-local or host address unless the
 * operator named the destination exactly), and the proxy connects to the
 * very address it vetted, so nothing can change between the check and the
 * connect (DNS rebinding), and a refused address never sees a packet.
 * The two sockets are then spliced with bounded buffers on either side.
 * A forwarded request's response head is parsed and rewritten on its way
 * to the agent: it says Connection: close (the upstream was asked to
 * close, and the agent must not send its next request on a connection
 * that is about to end), and the connection closes when upstream's does.
 * Per-connection lines are debug: an agent in a retry loop must not be
 * able to flood the log (the worker's callbacks say what matters once).
 *
 * This file is the worker's relay; the request head is parsed in
 * proxyhead.c, the bridge and the agent's environment are proxybridge.c.
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

#define PROXY_MAX_CONNS		256	/* at once, per session */
#define PROXY_BUF_MAX		(256 * 1024)	/* unsent, per direction */
#define PROXY_HEAD_SEC		30	/* for the request head */
#define PROXY_CONNECT_SEC	30	/* for the upstream TCP handshake */
#define PROXY_IDLE_SEC		600	/* a tunnel with no traffic at all */
#define PROXY_LINGER_SEC	2	/* reading after an error reply */
#define PROXY_RECV_FDS		16	/* per recvmsg */
#define PROXY_MAX_INTERIM	8	/* 1xx heads before a response */

enum proxy_conn_state {
	CONN_HEAD,		/* reading the request head */
	CONN_RESOLVING,		/* evdns is looking the host up */
	CONN_CONNECTING,	/* connecting upstream */
	CONN_SPLICE,		/* bytes flow both ways */
	CONN_CLOSING,		/* an error reply is being sent */
	CONN_DEAD		/* waiting to be freed */
};

struct proxy_conn {
	struct proxy		*px;
	enum proxy_conn_state	 state;
	struct bufferevent	*cl;		/* the agent's connection */
	struct bufferevent	*up;		/* upstream, or NULL */
	struct proxy_req	 req;
	struct evdns_getaddrinfo_request *dnsreq;	/* while resolving */
	int			 exact;		/* named exactly in the list */
	char			 name[NETALLOW_HOST_MAX + 8];
	int			 cl_eof;	/* the agent sent EOF */
	int			 up_eof;
	int			 cl_shut;	/* EOF passed on to the agent */
	int			 up_shut;
	int64_t			 last_ms;	/* last byte either way */
	int			 interim;	/* 1xx heads passed on */
	TAILQ_ENTRY(proxy_conn)	 entry;
};
TAILQ_HEAD(proxy_conns, proxy_conn);

struct proxy {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct netallow		*allow;
	int			 open;		/* any host: public addresses */
	struct sockaddr_storage	*listen;	/* runnerd's listeners */
	size_t			 nlisten;
	int			 mark_logged;
	struct proxy_cb		 cb;
	int			 ctrl;		/* from the bridge, or -1 */
	struct event		*ctrl_ev;
	struct event		*reap_ev;	/* frees the dead */
	struct proxy_conns	 conns;
	struct proxy_conns	 dead;
	size_t			 nconns;
	size_t			 refused;
	size_t			 allowed;
	int			 full_logged;
};

static void	proxy_conn_close(struct proxy_conn *);
static void	proxy_conn_reply(struct proxy_conn *, int, const char *);

/* Free the connections closed since the last loop turn. */
static void
proxy_reap_cb(int fd, short events, void *arg)
{
	struct proxy		*px = arg;
	struct proxy_conn	*c;

	while ((c = TAILQ_FIRST(&px->dead)) != NULL) {
		TAILQ_REMOVE(&px->dead, c, entry);
		if (c->cl != NULL)
			bufferevent_free(c->cl);
		if (c->up != NULL)
			bufferevent_free(c->up);
		proxyhead_req_clear(&c->req);
		free(c);
	}
}

/* Done with a connection: silenced now, closed and freed next loop turn. */
static void
proxy_conn_close(struct proxy_conn *c)
{
	struct proxy	*px = c->px;

	if (c->state == CONN_DEAD)
		return;
	log_debug("proxy: %s closed", c->name);
	c->state = CONN_DEAD;
	if (c->dnsreq != NULL) {
		/* Its callback, now or later, sees EVUTIL_EAI_CANCEL only. */
		evdns_getaddrinfo_cancel(c->dnsreq);
		c->dnsreq = NULL;
	}
	bufferevent_setcb(c->cl, NULL, NULL, NULL, NULL);
	bufferevent_disable(c->cl, EV_READ|EV_WRITE);
	if (c->up != NULL) {
		bufferevent_setcb(c->up, NULL, NULL, NULL, NULL);
		bufferevent_disable(c->up, EV_READ|EV_WRITE);
	}
	TAILQ_REMOVE(&px->conns, c, entry);
	px->nconns--;
	TAILQ_INSERT_TAIL(&px->dead, c, entry);
	event_active(px->reap_ev, EV_TIMEOUT, 0);
}

/* Set a bufferevent's read and write timeouts in seconds (0: none). */
static void
proxy_timeouts(struct bufferevent *bev, int rsec, int wsec)
{
	struct timeval	r = { rsec, 0 }, w = { wsec, 0 };

	bufferevent_set_timeouts(bev, rsec > 0 ? &r : NULL,
	    wsec > 0 ? &w : NULL);
}

/* After an error reply: read and drop what the agent still sends. */
static void
proxy_linger_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * The reply is sent: half-close, then linger a little so that closing
 * with unread input does not reset the connection before the agent has
 * read the reply.
 */
static void
proxy_linger_write_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	proxy_timeouts(bev, PROXY_LINGER_SEC, 0);
	bufferevent_enable(bev, EV_READ);
}

/* EOF, error or timeout while replying or lingering: close. */
static void
proxy_linger_event_cb(struct bufferevent *bev, short what, void *arg)
{
	proxy_conn_close(arg);
}

/*
 * Upstream is done with: send the agent what its buffer holds, then
 * half-close, linger and close.
 */
static void
proxy_conn_linger(struct proxy_conn *c)
{
	c->state = CONN_CLOSING;
	if (c->up != NULL) {
		bufferevent_free(c->up);
		c->up = NULL;
	}
	bufferevent_disable(c->cl, EV_READ);
	bufferevent_setcb(c->cl, proxy_linger_read_cb, proxy_linger_write_cb,
	    proxy_linger_event_cb, c);
	bufferevent_setwatermark(c->cl, EV_WRITE, 0, 0);
	proxy_timeouts(c->cl, 0, PROXY_HEAD_SEC);
	bufferevent_enable(c->cl, EV_WRITE);
	/* Nothing left to write: no write callback would come. */
	if (evbuffer_get_length(bufferevent_get_output(c->cl)) == 0)
		proxy_linger_write_cb(c->cl, c);
}

/* Answer the agent with an error status and a one-line body, then close. */
static void
proxy_conn_reply(struct proxy_conn *c, int status, const char *text)
{
	struct evbuffer	*out = bufferevent_get_output(c->cl);
	char		 body[512];
	int		 n;

	if (c->state == CONN_DEAD || c->state == CONN_CLOSING)
		return;
	n = snprintf(body, sizeof body, "runnerd proxy: %s\n", text);
	if (n < 0 || (size_t)n >= sizeof body)
		n = (int)strlen(body);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: text/plain"
	    "\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", status,
	    proxyhead_reason(status), n, body);
	proxy_conn_linger(c);
}

/* The bufferevent at the other end of the splice. */
static struct bufferevent *
proxy_other(struct proxy_conn *c, struct bufferevent *bev)
{
	return (bev == c->cl ? c->up : c->cl);
}

/* Pass an EOF on once everything before it is written; close when both are. */
static void
proxy_splice_shut(struct proxy_conn *c)
{
	if (c->cl_eof && !c->up_shut &&
	    evbuffer_get_length(bufferevent_get_output(c->up)) == 0) {
		shutdown(bufferevent_getfd(c->up), SHUT_WR);
		c->up_shut = 1;
	}
	if (c->up_eof && !c->cl_shut &&
	    evbuffer_get_length(bufferevent_get_output(c->cl)) == 0) {
		shutdown(bufferevent_getfd(c->cl), SHUT_WR);
		c->cl_shut = 1;
	}
	if (c->cl_shut && c->up_shut)
		proxy_conn_close(c);
	/* The response has ended, and the agent was told: close. */
	else if (c->cl_shut && c->req.kind == PROXY_FORWARD)
		proxy_conn_linger(c);
}

/* Bytes from one side: to the other, pausing when it holds too much. */
static void
proxy_splice_read_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn	*c = arg;
	struct bufferevent	*dst = proxy_other(c, bev);
	struct evbuffer		*out = bufferevent_get_output(dst);

	c->last_ms = mono_ms();
	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	if (evbuffer_get_length(out) >= PROXY_BUF_MAX)
		bufferevent_disable(bev, EV_READ);
}

/* A side drained (below half, or empty after an EOF): read the other again. */
static void
proxy_splice_write_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn	*c = arg;
	struct bufferevent	*src = proxy_other(c, bev);
	int			 src_eof = src == c->cl ? c->cl_eof : c->up_eof;

	c->last_ms = mono_ms();
	if (!src_eof && evbuffer_get_length(bufferevent_get_output(bev)) <
	    PROXY_BUF_MAX)
		bufferevent_enable(src, EV_READ);
	proxy_splice_shut(c);
}

/* EOF, error or a timeout on one side of a splice. */
static void
proxy_splice_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn	*c = arg;
	struct bufferevent	*dst = proxy_other(c, bev);

	if (what & BEV_EVENT_EOF) {
		evbuffer_add_buffer(bufferevent_get_output(dst),
		    bufferevent_get_input(bev));
		if (bev == c->cl)
			c->cl_eof = 1;
		else
			c->up_eof = 1;
		/* Now the write callback must say when dst is empty. */
		bufferevent_setwatermark(dst, EV_WRITE, 0, 0);
		proxy_splice_shut(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) &&
	    mono_ms() - c->last_ms < PROXY_IDLE_SEC * 1000) {
		/* Quiet this way, busy the other: keep it. */
		if (what & BEV_EVENT_WRITING)
			bufferevent_enable(bev, EV_WRITE);
		else if (evbuffer_get_length(bufferevent_get_output(dst)) <
		    PROXY_BUF_MAX)
			bufferevent_enable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("proxy: %s idle for %d s", c->name, PROXY_IDLE_SEC);
	proxy_conn_close(c);
}

/*
 * Bytes of a forwarded request's response head: interim (1xx) heads and
 * then the final one go to the agent rewritten, the body after it as it
 * comes. A head that is malformed or too large gets a 502 instead.
 */
static void
proxy_resp_read_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer		*out = bufferevent_get_output(c->cl);
	struct proxy_resp	 resp;
	unsigned char		*p;
	size_t			 len, scan, end;
	char			*head, cause[256], text[NETALLOW_HOST_MAX + 300];
	int			 rc;

	c->last_ms = mono_ms();
	for (;;) {
		len = evbuffer_get_length(in);
		scan = len > PROXY_RESP_HEAD_MAX ? PROXY_RESP_HEAD_MAX : len;
		if ((p = evbuffer_pullup(in, (ssize_t)scan)) == NULL)
			return;
		if ((end = proxyhead_end(p, scan)) == 0) {
			if (len < PROXY_RESP_HEAD_MAX)
				return;
			snprintf(cause, sizeof cause, "response head over %d "
			    "bytes", PROXY_RESP_HEAD_MAX);
			break;
		}
		head = xmalloc(end);
		evbuffer_remove(in, head, end);
		rc = proxyhead_response(head, end, &resp, cause, sizeof cause);
		free(head);
		if (rc == -1)
			break;
		if (resp.status < 200 && ++c->interim > PROXY_MAX_INTERIM) {
			proxyhead_resp_clear(&resp);
			snprintf(cause, sizeof cause, "more than %d interim "
			    "responses", PROXY_MAX_INTERIM);
			break;
		}
		evbuffer_add(out, resp.head, resp.headlen);
		proxyhead_resp_clear(&resp);
		if (resp.status >= 200) {
			bufferevent_setcb(bev, proxy_splice_read_cb,
			    proxy_splice_write_cb, proxy_splice_event_cb, c);
			if (evbuffer_get_length(in) > 0)
				proxy_splice_read_cb(bev, c);
			return;
		}
	}
	snprintf(text, sizeof text, "%s: bad response: %s", c->name, cause);
	log_debug("proxy: %s", text);
	proxy_conn_reply(c, 502, text);
}

/* EOF, error or a timeout on upstream before the whole response head. */
static void
proxy_resp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn	*c = arg;
	char			 text[NETALLOW_HOST_MAX + 128];

	if ((what & BEV_EVENT_TIMEOUT) &&
	    mono_ms() - c->last_ms < PROXY_IDLE_SEC * 1000) {
		/* Still sending the request body: keep waiting. */
		if (what & BEV_EVENT_WRITING)
			bufferevent_enable(bev, EV_WRITE);
		else
			bufferevent_enable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		snprintf(text, sizeof text, "%s: no response within %d s",
		    c->name, PROXY_IDLE_SEC);
		log_debug("proxy: %s", text);
		proxy_conn_reply(c, 504, text);
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(text, sizeof text, "%s: bad response: closed %s",
		    c->name, evbuffer_get_length(bufferevent_get_input(bev)) >
		    0 ? "within the response head" : "without a response");
	else
		snprintf(text, sizeof text, "%s: %s", c->name,
		    strerror(EVUTIL_SOCKET_ERROR()));
	log_debug("proxy: %s", text);
	proxy_conn_reply(c, 502, text);
}

/* Upstream is connected: answer CONNECT or send the request; splice. */
static void
proxy_splice_start(struct proxy_conn *c)
{
	static const char	 ok[] = "HTTP/1.1 200 Connection established"
				    "\r\n\r\n";
	struct bufferevent	*bevs[2] = { c->cl, c->up };
	size_t			 i;

	c->state = CONN_SPLICE;
	c->last_ms = mono_ms();
	log_debug("proxy: %s connected", c->name);
	if (c->req.kind == PROXY_TUNNEL)
		evbuffer_add(bufferevent_get_output(c->cl), ok, sizeof ok - 1);
	else
		evbuffer_add(bufferevent_get_output(c->up), c->req.head,
		    c->req.headlen);
	proxyhead_req_clear(&c->req);
	for (i = 0; i < nitems(bevs); i++) {
		bufferevent_setcb(bevs[i], proxy_splice_read_cb,
		    proxy_splice_write_cb, proxy_splice_event_cb, c);
		bufferevent_setwatermark(bevs[i], EV_WRITE, PROXY_BUF_MAX / 2,
		    0);
		proxy_timeouts(bevs[i], PROXY_IDLE_SEC, PROXY_IDLE_SEC);
		bufferevent_enable(bevs[i], EV_READ|EV_WRITE);
	}
	/* A forward's response head is read and rewritten first. */
	if (c->req.kind == PROXY_FORWARD)
		bufferevent_setcb(c->up, proxy_resp_read_cb,
		    proxy_splice_write_cb, proxy_resp_event_cb, c);
	/* What came after the head (a TLS hello, a body) goes first. */
	if (evbuffer_get_length(bufferevent_get_input(c->cl)) > 0)
		proxy_splice_read_cb(c->cl, c);
}

/* The upstream connection attempt ended. */
static void
proxy_connect_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn	*c = arg;
	char			 text[NETALLOW_HOST_MAX + 128];
	int			 err = EVUTIL_SOCKET_ERROR(), dnserr;

	if (what & BEV_EVENT_CONNECTED) {
		proxy_splice_start(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		snprintf(text, sizeof text, "%s: connection timed out",
		    c->name);
		log_debug("proxy: %s", text);
		proxy_conn_reply(c, 504, text);
		return;
	}
	if ((dnserr = bufferevent_socket_get_dns_error(bev)) != 0)
		snprintf(text, sizeof text, "%s: cannot resolve: %s", c->name,
		    evutil_gai_strerror(dnserr));
	else
		snprintf(text, sizeof text, "%s: cannot connect: %s", c->name,
		    strerror(err));
	log_debug("proxy: %s", text);
	proxy_conn_reply(c, 502, text);
}

/* A refusal: counted, told to the worker, 403 naming the reason. */
static void
proxy_conn_refuse(struct proxy_conn *c, const char *why)
{
	struct proxy	*px = c->px;
	char		 text[NETALLOW_HOST_MAX + 128];

	px->refused++;
	log_debug("proxy: %s refused: %s", c->name, why);
	snprintf(text, sizeof text, "%s refused: %s", c->name, why);
	if (px->cb.refused != NULL)
		px->cb.refused(c->req.host, c->req.port, why, px->cb.arg);
	proxy_conn_reply(c, 403, text);
}

/* The host's own interface addresses, read now (they change). */
static struct sockaddr_storage *
proxy_local_addrs(size_t *n)
{
	struct ifaddrs		*ifs, *ifa;
	struct sockaddr_storage	*out = NULL;
	size_t			 len;

	*n = 0;
	if (getifaddrs(&ifs) == -1)
		return (NULL);
	for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET)
			len = sizeof (struct sockaddr_in);
		else if (ifa->ifa_addr->sa_family == AF_INET6)
			len = sizeof (struct sockaddr_in6);
		else
			continue;
		out = xrealloc(out, (*n + 1) * sizeof *out);
		memset(&out[*n], 0, sizeof *out);
		memcpy(&out[(*n)++], ifa->ifa_addr, len);
	}
	freeifaddrs(ifs);
	return (out);
}

/* Open the upstream socket, marked as the session's, and connect it. */
static void
proxy_conn_connect(struct proxy_conn *c, const struct sockaddr *sa,
    socklen_t salen)
{
	struct proxy	*px = c->px;
	char		 text[NETALLOW_HOST_MAX + 64];
	uint32_t	 mark = SESSION_SOCK_MARK;
	int		 fd;

	c->state = CONN_CONNECTING;
	if ((fd = socket(sa->sa_family, SOCK_STREAM|SOCK_NONBLOCK|
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(text, sizeof text, "%s: socket: %s", c->name,
		    strerror(errno));
		proxy_conn_reply(c, 503, text);
		return;
	}
	/* Lets the API know a session's connection (needs CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) == -1 &&
	    !px->mark_logged) {
		log_warn("proxy: SO_MARK");
		px->mark_logged = 1;
	}
	if ((c->up = bufferevent_socket_new(px->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		proxy_conn_reply(c, 503, "out of memory");
		return;
	}
	bufferevent_setcb(c->up, NULL, NULL, proxy_connect_event_cb, c);
	proxy_timeouts(c->up, 0, PROXY_CONNECT_SEC);
	/* A failed connect may call back before it returns. */
	if (bufferevent_socket_connect(c->up, sa, (int)salen) == -1 &&
	    c->state == CONN_CONNECTING) {
		snprintf(text, sizeof text, "%s: cannot connect", c->name);
		proxy_conn_reply(c, 502, text);
	}
}

/*
 * The host resolved: vet every address, connect to the first that passes
 * (IPv4 first: many hosts have no IPv6 route), or refuse with the reason
 * the first one failed.
 */
static void
proxy_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct proxy_conn	*c = arg;
	struct proxy		*px;
	struct evutil_addrinfo	*ai, *pick = NULL;
	struct sockaddr_storage	*local;
	struct netallow_vet	 v;
	char			 text[NETALLOW_HOST_MAX + 128];
	const char		*why, *first = NULL;

	/* Cancelled: the connection may be gone already. */
	if (result == EVUTIL_EAI_CANCEL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	px = c->px;
	c->dnsreq = NULL;
	if (c->state != CONN_RESOLVING) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	if (result != 0 || res == NULL) {
		snprintf(text, sizeof text, "%s: cannot resolve: %s", c->name,
		    result != 0 ? evutil_gai_strerror(result) : "no address");
		log_debug("proxy: %s", text);
		proxy_conn_reply(c, 502, text);
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	memset(&v, 0, sizeof v);
	local = proxy_local_addrs(&v.nlocal);
	v.local = local;
	v.listen = px->listen;
	v.nlisten = px->nlisten;
	v.exact = c->exact;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((why = netallow_vet(ai->ai_addr, &v)) != NULL) {
			if (first == NULL)
				first = why;
			continue;
		}
		if (pick == NULL || (pick->ai_family != AF_INET &&
		    ai->ai_family == AF_INET))
			pick = ai;
	}
	free(local);
	if (pick == NULL)
		proxy_conn_refuse(c, first != NULL ? first : "no address");
	else {
		px->allowed++;
		log_debug("proxy: %s %s allowed", c->req.kind ==
		    PROXY_TUNNEL ? "CONNECT" : "forward to", c->name);
		if (px->cb.allowed != NULL)
			px->cb.allowed(c->req.host, c->req.port, px->cb.arg);
		proxy_conn_connect(c, pick->ai_addr, pick->ai_addrlen);
	}
	evutil_freeaddrinfo(res);
}

/* A whole head arrived: parse it, check the allowlist, go on or refuse. */
static void
proxy_conn_request(struct proxy_conn *c, const char *head, size_t len)
{
	struct proxy			*px = c->px;
	struct evutil_addrinfo		 hints;
	struct evdns_getaddrinfo_request *req;
	char				 cause[256], port[8];

	if (proxyhead_parse(head, len, &c->req, cause, sizeof cause) == -1) {
		log_debug("proxy: bad request: %s", cause);
		proxy_conn_reply(c, c->req.status, cause);
		return;
	}
	netallow_format(c->req.host, c->req.port, c->name, sizeof c->name);
	if (!px->open && !netallow_match(px->allow, c->req.host,
	    c->req.port)) {
		proxy_conn_refuse(c, "not on the network allowlist");
		return;
	}
	c->exact = netallow_exact(px->allow, c->req.host, c->req.port);
	c->state = CONN_RESOLVING;
	bufferevent_disable(c->cl, EV_READ);
	proxy_timeouts(c->cl, 0, 0);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof port, "%d", c->req.port);
	/* A numeric host or a failed lookup calls back before it returns. */
	req = evdns_getaddrinfo(px->dns, c->req.host, port, &hints,
	    proxy_resolved_cb, c);
	if (c->state != CONN_RESOLVING)
		return;
	if (req == NULL) {
		proxy_conn_reply(c, 502, "cannot resolve");
		return;
	}
	c->dnsreq = req;
}

/* Bytes of the request head. */
static void
proxy_head_read_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	unsigned char		*p;
	size_t			 len, scan, end;
	char			*head;

	len = evbuffer_get_length(in);
	scan = len > PROXY_HEAD_MAX ? PROXY_HEAD_MAX : len;
	if ((p = evbuffer_pullup(in, (ssize_t)scan)) == NULL)
		return;
	if ((end = proxyhead_end(p, scan)) == 0) {
		if (len >= PROXY_HEAD_MAX)
			proxy_conn_reply(c, 431, "request head too large");
		return;
	}
	head = xmalloc(end);
	evbuffer_remove(in, head, end);
	proxy_conn_request(c, head, end);
	free(head);
}

/* EOF, error or timeout before the head was whole. */
static void
proxy_head_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn	*c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		proxy_conn_reply(c, 408, "no request within the time limit");
	else
		proxy_conn_close(c);
}

/* A connection from the bridge: read its request head. */
static void
proxy_conn_new(struct proxy *px, int fd)
{
	struct proxy_conn	*c;

	if (px->nconns >= PROXY_MAX_CONNS) {
		if (!px->full_logged)
			log_warnx("proxy: %d connections open: refusing more",
			    PROXY_MAX_CONNS);
		px->full_logged = 1;
		close(fd);
		return;
	}
	px->full_logged = 0;
	if (set_nonblock(fd) == -1) {
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->px = px;
	c->state = CONN_HEAD;
	snprintf(c->name, sizeof c->name, "(request)");
	if ((c->cl = bufferevent_socket_new(px->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&px->conns, c, entry);
	px->nconns++;
	bufferevent_setcb(c->cl, proxy_head_read_cb, NULL,
	    proxy_head_event_cb, c);
	proxy_timeouts(c->cl, PROXY_HEAD_SEC, PROXY_HEAD_SEC);
	bufferevent_enable(c->cl, EV_READ|EV_WRITE);
}

/* Descriptors from the bridge; EOF when it is gone. */
static void
proxy_ctrl_cb(int fd, short events, void *arg)
{
	struct proxy	*px = arg;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(PROXY_RECV_FDS * sizeof (int))];
	} cbuf;
	char		 byte[PROXY_RECV_FDS];
	int		*fds;
	size_t		 i, nfd;
	ssize_t		 n;

	for (;;) {
		memset(&msg, 0, sizeof msg);
		iov.iov_base = byte;
		iov.iov_len = sizeof byte;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof cbuf.buf;
		n = recvmsg(px->ctrl, &msg, MSG_DONTWAIT|MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		for (cm = CMSG_FIRSTHDR(&msg); n > 0 && cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			fds = (int *)CMSG_DATA(cm);
			nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof (int);
			for (i = 0; i < nfd; i++)
				proxy_conn_new(px, fds[i]);
		}
		if (n > 0 && (msg.msg_flags & MSG_CTRUNC))
			log_warnx("proxy: descriptors lost (truncated)");
		if (n > 0)
			continue;
		if (n == -1)
			log_warn("proxy: recvmsg");
		else
			log_debug("proxy: the bridge is gone");
		event_del(px->ctrl_ev);
		close(px->ctrl);
		px->ctrl = -1;
		return;
	}
}

struct proxy *
proxy_create(struct event_base *base, int ctrl_fd,
    const struct proxy_policy *pol, const struct proxy_cb *cb, char *cause,
    size_t causelen)
{
	struct proxy	*px;
	size_t		 i;

	px = xcalloc(1, sizeof *px);
	px->base = base;
	px->ctrl = ctrl_fd;
	TAILQ_INIT(&px->conns);
	TAILQ_INIT(&px->dead);
	if (cb != NULL)
		px->cb = *cb;
	px->open = pol->open;
	if ((px->allow = netallow_create(pol->allowlist, cause,
	    causelen)) == NULL)
		goto fail;
	for (i = 0; pol->listen != NULL && pol->listen[i] != NULL; i++) {
		px->listen = xrealloc(px->listen, (i + 1) *
		    sizeof *px->listen);
		if (netallow_sockaddr(pol->listen[i], &px->listen[i]) == -1) {
			CAUSE("daemon listener '%.64s' is not an address:port",
			    pol->listen[i]);
			goto fail;
		}
		px->nlisten = i + 1;
	}
	if (set_nonblock(ctrl_fd) == -1 || set_cloexec(ctrl_fd) == -1) {
		CAUSE("proxy socket: %s", strerror(errno));
		goto fail;
	}
	/* Nameservers and /etc/hosts of the host, read once here. */
	if ((px->dns = evdns_base_new(base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
		CAUSE("proxy: cannot set up DNS resolution");
		goto fail;
	}
	if ((px->ctrl_ev = event_new(base, ctrl_fd, EV_READ|EV_PERSIST,
	    proxy_ctrl_cb, px)) == NULL ||
	    (px->reap_ev = event_new(base, -1, 0, proxy_reap_cb, px)) ==
	    NULL || event_add(px->ctrl_ev, NULL) == -1) {
		CAUSE("proxy: out of memory");
		goto fail;
	}
	return (px);

fail:
	proxy_free(px);
	return (NULL);
}

void
proxy_free(struct proxy *px)
{
	struct proxy_conn	*c;

	if (px == NULL)
		return;
	while ((c = TAILQ_FIRST(&px->conns)) != NULL)
		proxy_conn_close(c);
	if (px->reap_ev != NULL)
		event_del(px->reap_ev);
	proxy_reap_cb(-1, 0, px);
	if (px->ctrl_ev != NULL)
		event_free(px->ctrl_ev);
	if (px->reap_ev != NULL)
		event_free(px->reap_ev);
	if (px->ctrl != -1)
		close(px->ctrl);
	if (px->dns != NULL)
		evdns_base_free(px->dns, 1);
	netallow_free(px->allow);
	free(px->listen);
	free(px);
}

size_t
proxy_refused(const struct proxy *px)
{
	return (px->refused);
}

size_t
proxy_allowed(const struct proxy *px)
{
	return (px->allowed);
}
