/* Who holds the other end of a local TCP connection (NETLINK_SOCK_DIAG). */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/sockdiag.h"

#define SOCKDIAG_BUF	8192

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* An address and port as the kernel's diag id wants them; -1 if not IP. */
static int
sockdiag_addr(const struct sockaddr *sa, int *family, __be32 addr[4],
    __be16 *port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(addr, 0, 4 * sizeof addr[0]);
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		*family = AF_INET;
		addr[0] = sin->sin_addr.s_addr;
		*port = sin->sin_port;
		return (0);
	}
	if (sa->sa_family != AF_INET6)
		return (-1);
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	*port = sin6->sin6_port;
	/* A v4 client of a dual-stack listener holds an AF_INET socket. */
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		*family = AF_INET;
		memcpy(&addr[0], &sin6->sin6_addr.s6_addr[12], 4);
		return (0);
	}
	*family = AF_INET6;
	memcpy(addr, &sin6->sin6_addr, 16);
	return (0);
}

/* Read the one answer to an exact lookup; 0, 1 (no such socket) or -1. */
static int
sockdiag_answer(int fd, uint32_t seq, struct sockdiag_sock *out,
    char *cause, size_t causelen)
{
	union {
		struct nlmsghdr	nlh;
		char		buf[SOCKDIAG_BUF];
	} u;
	struct nlmsghdr		*nlh;
	struct nlmsgerr		*err;
	struct inet_diag_msg	*m;
	struct rtattr		*rta;
	ssize_t			 n;
	int			 len;

	/* The kernel answers within sendmsg(): nothing to wait for. */
	if ((n = recv(fd, u.buf, sizeof u.buf, MSG_DONTWAIT)) == -1) {
		CAUSE("sock_diag: recv: %s", strerror(errno));
		return (-1);
	}
	for (nlh = &u.nlh; NLMSG_OK(nlh, (size_t)n);
	    nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_seq != seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			err = NLMSG_DATA(nlh);
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *err)) {
				CAUSE("sock_diag: short error message");
				return (-1);
			}
			if (err->error == -ENOENT)
				return (1);
			CAUSE("sock_diag: %s", strerror(-err->error));
			return (-1);
		}
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *m)) {
			CAUSE("sock_diag: short answer");
			return (-1);
		}
		m = NLMSG_DATA(nlh);
		memset(out, 0, sizeof *out);
		out->uid = (uid_t)m->idiag_uid;
		out->inode = m->idiag_inode;
		out->state = m->idiag_state;
		len = (int)(nlh->nlmsg_len - NLMSG_LENGTH(sizeof *m));
		for (rta = (struct rtattr *)(m + 1); RTA_OK(rta, len);
		    rta = RTA_NEXT(rta, len)) {
			if (rta->rta_type == INET_DIAG_MARK &&
			    RTA_PAYLOAD(rta) >= sizeof (uint32_t)) {
				memcpy(&out->mark, RTA_DATA(rta),
				    sizeof out->mark);
				out->has_mark = 1;
			}
		}
		return (0);
	}
	CAUSE("sock_diag: no answer");
	return (-1);
}

/* Ask the kernel about the socket at the other end of local <-> peer. */
int
sockdiag_lookup(const struct sockaddr *local, const struct sockaddr *peer,
    struct sockdiag_sock *out, char *cause, size_t causelen)
{
	static uint32_t		 next_seq;
	struct {
		struct nlmsghdr		nlh;
		struct inet_diag_req_v2	req;
	} msg;
	struct sockaddr_nl	 nl;
	int			 fd, lfam, pfam, rv;
	__be32			 laddr[4], paddr[4];
	__be16			 lport, pport;

	if (sockdiag_addr(local, &lfam, laddr, &lport) == -1 ||
	    sockdiag_addr(peer, &pfam, paddr, &pport) == -1 || lfam != pfam) {
		CAUSE("sock_diag: not a TCP/IP connection");
		return (-1);
	}
	memset(&msg, 0, sizeof msg);
	msg.nlh.nlmsg_len = sizeof msg;
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;	/* one socket, not a dump */
	msg.nlh.nlmsg_seq = ++next_seq;
	msg.req.sdiag_family = (uint8_t)pfam;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = ~0U;
	/*
	 * INET_DIAG_MARK (15) cannot be asked for by bit: idiag_ext holds
	 * the first eight extensions only. The kernel adds the mark to every
	 * answer when the asker has CAP_NET_ADMIN, which the supervisor has
	 * as root; without it has_mark stays 0 and the caller decides.
	 */
	msg.req.idiag_ext = 0;
	/* The peer's socket: its local end is our peer, its remote us. */
	memcpy(msg.req.id.idiag_src, paddr, sizeof paddr);
	msg.req.id.idiag_sport = pport;
	memcpy(msg.req.id.idiag_dst, laddr, sizeof laddr);
	msg.req.id.idiag_dport = lport;
	msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM|SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1) {
		CAUSE("sock_diag: socket: %s", strerror(errno));
		return (-1);
	}
	memset(&nl, 0, sizeof nl);
	nl.nl_family = AF_NETLINK;
	if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&nl,
	    sizeof nl) != (ssize_t)sizeof msg) {
		CAUSE("sock_diag: send: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	rv = sockdiag_answer(fd, msg.nlh.nlmsg_seq, out, cause, causelen);
	close(fd);
	return (rv);
}

/* Ask the kernel about the socket at the other end of fd. */
int
sockdiag_peer(int fd, struct sockdiag_sock *out, char *cause,
    size_t causelen)
{
	struct sockaddr_storage	 local, peer;
	socklen_t		 llen = sizeof local, plen = sizeof peer;

	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) == -1) {
		CAUSE("sock_diag: %s", strerror(errno));
		return (-1);
	}
	return (sockdiag_lookup((struct sockaddr *)&local,
	    (struct sockaddr *)&peer, out, cause, causelen));
}
