/* Authentication: the trusted Unix socket, static bearer tokens, HS256 JWTs. */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

struct config;
struct evkeyvalq;

#define AUTH_MAX_TOKEN	8192	/* longest bearer token or JWT looked at */

struct auth_result {
	char	user_id[128];
	char	org_id[128];
};

/*
 * Check a request's Authorization header and Cookie header (either may be
 * NULL) at time now (epoch seconds). 0 and *out on success; -1 with a cause
 * otherwise. With no tokens and no JWT secret configured, everything passes
 * as the anonymous local user (the server only allows that on loopback).
 */
int	auth_check(const struct config *, const char *, const char *, int64_t,
	    struct auth_result *, char *, size_t);
/* Whether any credential (token or JWT secret) is configured. */
int	auth_configured(const struct config *);
/*
 * Whether a connected socket is a Unix socket, which is trusted by its file
 * permissions: then 1, *out is "uid:<peer uid>" in org "default" and *uid
 * the peer's uid (-1 if the kernel would not say). 0 for any other socket.
 */
int	auth_unix_peer(int, struct auth_result *, long *);

/* The daemon's own TCP address: what its own origin and Host can be. */
struct auth_self {
	char	host[INET6_ADDRSTRLEN + 2];	/* as bound; IPv6 in [] */
	int	port;
	int	loopback;	/* then localhost, 127.0.0.1, [::1] too */
	int	wildcard;	/* 0.0.0.0 or ::: the same names */
};

/* Fill in where the listener on fd is bound. */
void	auth_self_set(struct auth_self *, int);
/*
 * Whether an Origin is the daemon's own (http, its port, one of its names,
 * never taken from the request's Host) or on cors_origins.
 */
int	auth_origin_allowed(const struct config *, const struct auth_self *,
	    const char *);
/* Whether a Host header names the daemon, or a cors_origins host. */
int	auth_host_allowed(const struct config *, const struct auth_self *,
	    const char *);
/*
 * The browser rules for a TCP request's headers: one Origin at most, and
 * an allowed one; with no credentials configured, one Host naming the
 * daemon (against DNS rebinding). 0, or -1 with a cause for a 403.
 */
int	auth_browser_check(const struct config *, const struct auth_self *,
	    const struct evkeyvalq *, char *, size_t);
/* Whether a Content-Type value is application/json (parameters allowed). */
int	auth_json_type(const char *);
/*
 * The Content-Type rule for a state-changing request with a body of that
 * many bytes: JSON whenever there is a body or a Content-Type at all. 0,
 * or -1 with a cause for a 415.
 */
int	auth_content_check(const struct evkeyvalq *, size_t, char *, size_t);

#endif
