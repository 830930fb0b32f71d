/* Authentication: the trusted Unix socket, static bearer tokens, HS256 JWTs. */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <stdint.h>

struct config;

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

#endif
