/* Connections that must never use the API: those from inside a session. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ifaddrs.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/util.h"
#include "supervisor/guard.h"
#include "supervisor/sockdiag.h"

#define GUARD_CACHE	256	/* connections remembered, by socket cookie */
#define GUARD_ADDRS	64	/* host addresses remembered */
#define GUARD_ADDRS_MS	5000	/* how long the host's address list is kept */

#ifndef SO_COOKIE
#define SO_COOKIE	57
#endif

/*
 * Verdicts by SO_COOKIE, which the kernel never reuses while it runs: a
 * connection is looked up once, whatever number of requests it carries. A
 * slot taken by a newer connection only costs the older one a lookup.
 */
static struct {
	uint64_t		cookie;
	enum guard_verdict	verdict;
} guard_cache[GUARD_CACHE];

/* The host's own addresses (IPv4 as mapped IPv6), refreshed now and then. */
static struct in6_addr	guard_addrs[GUARD_ADDRS];
static size_t		guard_naddrs;
static int64_t		guard_addrs_at = -GUARD_ADDRS_MS;
static int		guard_warned;

/* An address as IPv6 (IPv4 mapped); -1 if it is neither. */
static int
guard_in6(const struct sockaddr *sa, struct in6_addr *out)
{
	const struct sockaddr_in	*sin;

	if (sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
		return (0);
	}
	if (sa->sa_family != AF_INET)
		return (-1);
	sin = (const struct sockaddr_in *)(const void *)sa;
	memset(out, 0, sizeof *out);
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &sin->sin_addr, 4);
	return (0);
}

/* Read the host's addresses again when the list is older than a while. */
static void
guard_refresh_addrs(void)
{
	struct ifaddrs	*ifa, *i;

	if (mono_ms() - guard_addrs_at < GUARD_ADDRS_MS)
		return;
	guard_addrs_at = mono_ms();
	guard_naddrs = 0;
	if (getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL && guard_naddrs < GUARD_ADDRS; i = i->ifa_next)
		if (i->ifa_addr != NULL && guard_in6(i->ifa_addr,
		    &guard_addrs[guard_naddrs]) == 0)
			guard_naddrs++;
	freeifaddrs(ifa);
}

/*
 * Whether the peer is on this host: a loopback address, the address it
 * reached us on, or one of the host's addresses. Only such a peer can
 * have a socket the kernel can show us; anything else came over a wire.
 */
static int
guard_is_local(const struct sockaddr *local, const struct sockaddr *peer)
{
	struct in6_addr	l, p;
	size_t		i;

	if (guard_in6(peer, &p) == -1 || guard_in6(local, &l) == -1)
		return (0);
	if (IN6_IS_ADDR_LOOPBACK(&p) || (IN6_IS_ADDR_V4MAPPED(&p) &&
	    p.s6_addr[12] == 127))
		return (1);
	if (memcmp(&l, &p, sizeof p) == 0)
		return (1);
	guard_refresh_addrs();
	for (i = 0; i < guard_naddrs; i++)
		if (memcmp(&guard_addrs[i], &p, sizeof p) == 0)
			return (1);
	return (0);
}

/* Whether a peer uid is the sandbox uid that sessions run as. */
int
guard_uid_is_session(const struct config *cfg, long uid)
{
	if (uid < 0 || uid == 0 || uid == (long)geteuid())
		return (0);
	return (uid == (long)cfg->sandbox_uid);
}

/* Look the peer up; the verdict, logged if it is a refusal. */
static enum guard_verdict
guard_lookup(int fd, const struct config *cfg)
{
	struct sockaddr_storage	 local, peer;
	socklen_t		 llen = sizeof local, plen = sizeof peer;
	struct sockdiag_sock	 ds;
	char			 cause[256], host[INET6_ADDRSTRLEN];
	int			 rv;

	/*
	 * A peer already gone (reset after sending its request, which can
	 * still be read) cannot be named: refused, never let through.
	 */
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) == -1)
		return (GUARD_UNKNOWN);
	if (!guard_is_local((struct sockaddr *)&local,
	    (struct sockaddr *)&peer))
		return (GUARD_ALLOW);
	rv = sockdiag_lookup((struct sockaddr *)&local,
	    (struct sockaddr *)&peer, &ds, cause, sizeof cause);
	/*
	 * A socket its process has closed (no inode) has nobody to vouch
	 * for it: once it is a time-wait remnant the kernel reports uid 0
	 * and no mark whoever made it. A client that sends its request and
	 * closes at once gets here; it is refused.
	 */
	if (rv == 0 && ds.inode == 0) {
		log_warnx("http: refused a request from a local peer whose "
		    "socket is already closed (state %d)", ds.state);
		return (GUARD_UNKNOWN);
	}
	if (rv == 0) {
		if (guard_uid_is_session(cfg, (long)ds.uid) ||
		    (ds.has_mark && ds.mark == SESSION_SOCK_MARK)) {
			log_warnx("http: refused a request from inside a "
			    "session: peer socket uid %lu mark %#x",
			    (unsigned long)ds.uid, ds.has_mark ? ds.mark : 0);
			return (GUARD_SESSION);
		}
		return (GUARD_ALLOW);
	}
	/*
	 * A local peer we cannot name is refused (fail closed): it may be a
	 * session, and the operator has the Unix socket, which needs no
	 * lookup. Remote peers never get here. Said once in the log.
	 */
	if (rv == 1)
		snprintf(cause, sizeof cause, "no such socket in this network "
		    "namespace");
	if (!guard_warned) {
		guard_warned = 1;
		if (peer.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)
			    &peer)->sin_addr, host, sizeof host);
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)
			    &peer)->sin6_addr, host, sizeof host);
		log_warnx("http: cannot identify local peer %s (%s): its "
		    "requests are refused; use the Unix socket (said once)",
		    host, cause);
	}
	return (GUARD_UNKNOWN);
}

/* The remembered verdict on a connection, or a fresh one. */
enum guard_verdict
guard_tcp(int fd, const struct config *cfg)
{
	uint64_t		cookie = 0;
	socklen_t		len = sizeof cookie;
	enum guard_verdict	v;
	size_t			slot;

	if (fd < 0)
		return (GUARD_ALLOW);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) == -1 ||
	    len != sizeof cookie)
		cookie = 0;
	slot = (size_t)(cookie % GUARD_CACHE);
	if (cookie != 0 && guard_cache[slot].cookie == cookie)
		return (guard_cache[slot].verdict);
	v = guard_lookup(fd, cfg);
	if (cookie != 0) {
		guard_cache[slot].cookie = cookie;
		guard_cache[slot].verdict = v;
	}
	return (v);
}
