/*
 * The egress proxy of a sandboxed session. The agent's network namespace
 * has only a loopback; a bridge process inside it accepts TCP connections
 * on 127.0.0.1:PROXY_PORT (and [::1]) and passes each one to the worker
 * over a Unix socketpair (SCM_RIGHTS). The worker speaks HTTP proxy on
 * them (CONNECT, and absolute-URI plain HTTP) and connects out only to
 * hosts on the config's network_allowlist (restricted) or to any host
 * (open), and then only to addresses netallow_vet lets through.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>

#include "common/netallow.h"

/* Where the bridge listens inside the namespace; HTTP(S)_PROXY name it. */
#define PROXY_PORT		3128

#define PROXY_HEAD_MAX		(16 * 1024)	/* a request's head */
#define PROXY_RESP_HEAD_MAX	(32 * 1024)	/* a response's head */

struct event_base;
struct proxy;

/* What the worker hears of each request; host as netallow gives it. */
struct proxy_cb {
	void	(*refused)(const char *host, int port, const char *why,
		    void *arg);
	void	(*allowed)(const char *host, int port, void *arg);
	void	 *arg;
};

/* What a proxy lets through; every pointer is borrowed. */
struct proxy_policy {
	char	**allowlist;	/* network_allowlist patterns */
	int	  open;		/* any host name, to public addresses */
	char	**listen;	/* runnerd's listeners: "addr:port", "[v6]:port" */
};

/*
 * Serve the connections that arrive on ctrl_fd (owned from here on, closed
 * by proxy_free) under pol (copied). NULL with a cause on a bad pattern or
 * listener.
 */
struct proxy	*proxy_create(struct event_base *, int,
		    const struct proxy_policy *, const struct proxy_cb *,
		    char *, size_t);
void		 proxy_free(struct proxy *);
/* Connections refused and allowed so far. */
size_t		 proxy_refused(const struct proxy *);
size_t		 proxy_allowed(const struct proxy *);

/*
 * The bridge, in a process of its own inside the namespace: listen on the
 * loopback port, hand every accepted connection to ctrl_fd; exit when the
 * worker's end closes. Every other descriptor is closed first.
 */
void		 proxybridge_main(int, int) __attribute__((noreturn));
/*
 * The same in two steps, so that the sockets listen before the agent
 * runs: listen on 127.0.0.1 and [::1] (close-on-exec; the count, or -1),
 * then serve them.
 */
int		 proxybridge_listen(int, int[2]);
void		 proxybridge_serve(int, const int *, int)
		    __attribute__((noreturn));

/*
 * Set HTTP_PROXY, HTTPS_PROXY, ALL_PROXY (and lower-case forms) naming the
 * bridge in a malloc'd NULL-terminated environment (spawn_env's), and
 * remove NO_PROXY and no_proxy: nothing may go around the proxy. Returns
 * the new vector.
 */
char		**proxybridge_env(char **, int);

/* A parsed request head; the tests use this too. */
enum proxy_kind {
	PROXY_TUNNEL,		/* CONNECT host:port */
	PROXY_FORWARD		/* METHOD http://host[:port]/path */
};

struct proxy_req {
	enum proxy_kind	 kind;
	char		 host[NETALLOW_HOST_MAX];
	int		 port;
	int		 status;	/* on error: the HTTP status */
	char		*head;		/* PROXY_FORWARD: the head to send */
	size_t		 headlen;
};

/*
 * Parse a whole request head (through its empty line) of len bytes. A
 * forwarded request gets its head rewritten: origin-form target, Host
 * from the URI, hop-by-hop and proxy headers dropped, Connection: close.
 * -1 with req->status and a cause.
 */
int		 proxyhead_parse(const char *, size_t, struct proxy_req *,
		    char *, size_t);
void		 proxyhead_req_clear(struct proxy_req *);

/* A forwarded request's response head, as the agent gets it. */
struct proxy_resp {
	int		 status;	/* 1xx: more heads follow */
	char		*head;
	size_t		 headlen;
};

/*
 * Parse a whole response head from upstream (through its empty line) of
 * len bytes and rewrite it for the agent: hop-by-hop headers (Connection,
 * Keep-Alive, Proxy-*, Upgrade and what Connection names) dropped and,
 * on a final (non-1xx) response, Connection: close, since the proxy
 * closes after it. A 101 is refused: no Upgrade is ever passed upstream.
 * -1 with a cause.
 */
int		 proxyhead_response(const char *, size_t, struct proxy_resp *,
		    char *, size_t);
void		 proxyhead_resp_clear(struct proxy_resp *);

#endif
