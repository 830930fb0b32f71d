/* Who holds the other end of a local TCP connection (NETLINK_SOCK_DIAG). */
#ifndef SOCKDIAG_H
#define SOCKDIAG_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* What the kernel says about one socket. */
struct sockdiag_sock {
	uid_t		uid;		/* its owner */
	uint32_t	mark;		/* SO_MARK (0 if has_mark is 0) */
	int		has_mark;	/* the kernel reported the mark */
	uint64_t	inode;		/* 0: no process holds it any more */
	int		state;		/* TCP_ESTABLISHED, TCP_TIME_WAIT... */
};

/*
 * Look up the TCP socket whose local address is peer and whose remote
 * address is local (the other end of a connection we hold, as seen from
 * its side): 0 and *out; 1 if this network namespace has no such socket;
 * -1 with a cause if the kernel cannot be asked. IPv4, IPv6 and
 * IPv4-mapped IPv6 addresses.
 */
int	sockdiag_lookup(const struct sockaddr *, const struct sockaddr *,
	    struct sockdiag_sock *, char *, size_t);
/* The same for the other end of a connected TCP socket. */
int	sockdiag_peer(int, struct sockdiag_sock *, char *, size_t);

#endif
