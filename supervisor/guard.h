/* Connections that must never use the API: those from inside a session. */
#ifndef GUARD_H
#define GUARD_H

struct config;

enum guard_verdict {
	GUARD_ALLOW,
	GUARD_SESSION,		/* the peer is a session's socket */
	GUARD_UNKNOWN		/* a local peer the kernel could not name */
};

/*
 * The verdict on the TCP connection on fd, looked up once per connection
 * (NETLINK_SOCK_DIAG, only when the peer is on this host) and remembered;
 * each refusal is logged once, with the peer's uid and mark.
 */
enum guard_verdict	guard_tcp(int, const struct config *);
/* Whether a uid is a session's (the sandbox uid): never root or us. */
int			guard_uid_is_session(const struct config *, long);

#endif
