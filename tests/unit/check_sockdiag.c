/*
 * sock_diag and the guard: real TCP connections on loopback whose client
 * end belongs to another uid (a forked child that setresuid()s) or carries
 * the session mark, looked up from the accepted end as the API does.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>

#include "common/conf.h"
#include "common/proto.h"
#include "supervisor/guard.h"
#include "supervisor/sockdiag.h"
#include "unit.h"

#define NOBODY	65534

/* A listener on addr:0 (family AF_INET or AF_INET6); -1 if unavailable. */
static int
listener(int family, const char *addr)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, off = 0;

	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		sin->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sin->sin_addr);
		len = sizeof *sin;
	} else {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		len = sizeof *sin6;
	}
	if ((fd = socket(family, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	if (bind(fd, (void *)&ss, len) == -1 || listen(fd, 4) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Connect to the listener from a child that first becomes uid (if not
 * -1) and marks its socket (if mark is not 0), over family (the client's
 * own: AF_INET to a dual-stack listener gives a mapped peer; a socket
 * is owned by the uid that made it, and only root may mark it, so not
 * both). The child
 * holds the connection until the parent closes its end. The accepted fd.
 */
static int
connect_as(int lfd, int family, const char *addr, long uid, uint32_t mark,
    pid_t *pid)
{
	struct sockaddr_storage	 ss, to;
	socklen_t		 len = sizeof ss;
	int			 fd, cfd;
	char			 c;

	ck_assert_int_eq(getsockname(lfd, (void *)&ss, &len), 0);
	memset(&to, 0, sizeof to);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&to;

		sin->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sin->sin_addr);
		sin->sin_port = ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)(void *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port;
		len = sizeof *sin;
	} else {
		struct sockaddr_in6 *sin6 = (void *)&to;

		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		sin6->sin6_port = ((struct sockaddr_in6 *)(void *)&ss)->
		    sin6_port;
		len = sizeof *sin6;
	}
	if ((*pid = fork()) == 0) {
		if (uid != -1 && (setresgid((gid_t)uid, (gid_t)uid,
		    (gid_t)uid) == -1 || setresuid((uid_t)uid, (uid_t)uid,
		    (uid_t)uid) == -1))
			_exit(2);
		if ((cfd = socket(family, SOCK_STREAM, 0)) == -1)
			_exit(3);
		if (mark != 0 && setsockopt(cfd, SOL_SOCKET, SO_MARK, &mark,
		    sizeof mark) == -1)
			_exit(4);
		if (connect(cfd, (void *)&to, len) == -1)
			_exit(5);
		if (write(cfd, "x", 1) != 1)
			_exit(6);
		while (read(cfd, &c, 1) > 0)
			;
		_exit(0);
	}
	ck_assert_int_ne(*pid, -1);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	/* The child has connected and written: its socket exists. */
	ck_assert_int_eq(read(fd, &c, 1), 1);
	return (fd);
}

/* Close our end and reap the child, which must have done all it meant to. */
static void
finish(int fd, pid_t pid)
{
	int	status;

	close(fd);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(test_peer_uid)
{
	struct sockdiag_sock	 ds;
	char			 cause[256];
	pid_t			 pid;
	int			 lfd, fd;

	if (geteuid() != 0)
		return;		/* setresuid needs root */
	ck_assert_int_ge(lfd = listener(AF_INET, "127.0.0.1"), 0);

	fd = connect_as(lfd, AF_INET, "127.0.0.1", NOBODY, 0, &pid);
	ck_assert_int_eq(sockdiag_peer(fd, &ds, cause, sizeof cause), 0);
	ck_assert_uint_eq(ds.uid, NOBODY);
	ck_assert(ds.inode != 0);
	ck_assert(ds.has_mark);
	ck_assert_uint_eq(ds.mark, 0);
	finish(fd, pid);

	fd = connect_as(lfd, AF_INET, "127.0.0.1", -1, 0, &pid);
	ck_assert_int_eq(sockdiag_peer(fd, &ds, cause, sizeof cause), 0);
	ck_assert_uint_eq(ds.uid, 0);
	finish(fd, pid);
	close(lfd);
}
END_TEST

START_TEST(test_peer_mark)
{
	struct sockdiag_sock	 ds;
	char			 cause[256];
	pid_t			 pid;
	int			 lfd, fd;

	if (geteuid() != 0)
		return;		/* SO_MARK needs CAP_NET_ADMIN */
	ck_assert_int_ge(lfd = listener(AF_INET, "127.0.0.1"), 0);
	fd = connect_as(lfd, AF_INET, "127.0.0.1", -1, SESSION_SOCK_MARK,
	    &pid);
	ck_assert_int_eq(sockdiag_peer(fd, &ds, cause, sizeof cause), 0);
	ck_assert(ds.has_mark);
	ck_assert_uint_eq(ds.mark, SESSION_SOCK_MARK);
	ck_assert_uint_eq(ds.uid, 0);
	finish(fd, pid);
	close(lfd);
}
END_TEST

START_TEST(test_peer_ipv6)
{
	struct sockdiag_sock	 ds;
	char			 cause[256];
	pid_t			 pid;
	int			 lfd, fd;

	if (geteuid() != 0)
		return;
	if ((lfd = listener(AF_INET6, "::1")) == -1)
		return;		/* no IPv6 here */
	fd = connect_as(lfd, AF_INET6, "::1", NOBODY, 0, &pid);
	ck_assert_int_eq(sockdiag_peer(fd, &ds, cause, sizeof cause), 0);
	ck_assert_uint_eq(ds.uid, NOBODY);
	finish(fd, pid);
	close(lfd);

	/* An IPv4 client of a dual-stack listener: a mapped peer address. */
	if ((lfd = listener(AF_INET6, "::")) == -1)
		return;
	fd = connect_as(lfd, AF_INET, "127.0.0.1", NOBODY, 0, &pid);
	ck_assert_int_eq(sockdiag_peer(fd, &ds, cause, sizeof cause), 0);
	ck_assert_uint_eq(ds.uid, NOBODY);
	finish(fd, pid);
	fd = connect_as(lfd, AF_INET, "127.0.0.1", -1, SESSION_SOCK_MARK,
	    &pid);
	ck_assert_int_eq(sockdiag_peer(fd, &ds, cause, sizeof cause), 0);
	ck_assert_uint_eq(ds.mark, SESSION_SOCK_MARK);
	finish(fd, pid);
	close(lfd);
}
END_TEST

START_TEST(test_not_found)
{
	struct sockaddr_in	 a, b;
	struct sockaddr_un	 sun;
	struct sockdiag_sock	 ds;
	char			 cause[256];

	/* Nothing on these ports: the kernel says so, it is no error. */
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(1);
	b = a;
	b.sin_port = htons(2);
	ck_assert_int_eq(sockdiag_lookup((void *)&a, (void *)&b, &ds, cause,
	    sizeof cause), 1);

	/* Not TCP/IP, or families that do not agree: a cause. */
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	*cause = '\0';
	ck_assert_int_eq(sockdiag_lookup((void *)&sun, (void *)&b, &ds, cause,
	    sizeof cause), -1);
	ck_assert(*cause != '\0');
	ck_assert_int_eq(sockdiag_peer(-1, &ds, cause, sizeof cause), -1);
}
END_TEST

START_TEST(test_guard)
{
	struct config	*cfg;
	pid_t		 pid;
	int		 lfd, fd;

	cfg = config_default();
	ck_assert(!guard_uid_is_session(cfg, 0));
	ck_assert(!guard_uid_is_session(cfg, (long)geteuid()));
	ck_assert(!guard_uid_is_session(cfg, -1));
	ck_assert(guard_uid_is_session(cfg, NOBODY) == (geteuid() != NOBODY));
	ck_assert(!guard_uid_is_session(cfg, 1000));
	ck_assert_int_eq(guard_tcp(-1, cfg), GUARD_ALLOW);
	if (geteuid() != 0) {
		config_free(cfg);
		return;
	}
	ck_assert_int_ge(lfd = listener(AF_INET, "127.0.0.1"), 0);

	fd = connect_as(lfd, AF_INET, "127.0.0.1", NOBODY, 0, &pid);
	ck_assert_int_eq(guard_tcp(fd, cfg), GUARD_SESSION);
	/* Remembered for the connection: asked again, the same answer. */
	ck_assert_int_eq(guard_tcp(fd, cfg), GUARD_SESSION);
	finish(fd, pid);

	fd = connect_as(lfd, AF_INET, "127.0.0.1", -1, SESSION_SOCK_MARK,
	    &pid);
	ck_assert_int_eq(guard_tcp(fd, cfg), GUARD_SESSION);
	finish(fd, pid);

	fd = connect_as(lfd, AF_INET, "127.0.0.1", -1, 0, &pid);
	ck_assert_int_eq(guard_tcp(fd, cfg), GUARD_ALLOW);
	finish(fd, pid);

	/* Another uid that is not the sandbox's: let in. */
	fd = connect_as(lfd, AF_INET, "127.0.0.1", 1000, 0, &pid);
	ck_assert_int_eq(guard_tcp(fd, cfg), GUARD_ALLOW);
	finish(fd, pid);

	/*
	 * A client that sends and closes at once: its socket soon has no
	 * owner the kernel can name (a time-wait remnant says uid 0). It is
	 * refused, never taken for root's.
	 */
	{
		struct sockdiag_sock	 ds;
		char			 cause[256];
		int			 i;

		fd = connect_as(lfd, AF_INET, "127.0.0.1", NOBODY, 0, &pid);
		kill(pid, SIGKILL);	/* its socket is closed, not reset */
		waitpid(pid, NULL, 0);
		for (i = 0; i < 100; i++) {
			/* Until it is a remnant (or at least orphaned). */
			if (sockdiag_peer(fd, &ds, cause, sizeof cause) != 0 ||
			    (ds.inode == 0 && ds.uid == 0))
				break;
			usleep(10000);
		}
		ck_assert_int_eq(guard_tcp(fd, cfg), GUARD_UNKNOWN);
		close(fd);
	}

	/* The sandbox uid configured elsewhere: follows the config. */
	cfg->sandbox_uid = 1000;
	fd = connect_as(lfd, AF_INET, "127.0.0.1", 1000, 0, &pid);
	ck_assert_int_eq(guard_tcp(fd, cfg), GUARD_SESSION);
	finish(fd, pid);
	close(lfd);
	config_free(cfg);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("sockdiag");
	TCase	*tc;

	signal(SIGPIPE, SIG_IGN);
	tc = tcase_create("lookup");
	tcase_add_test(tc, test_peer_uid);
	tcase_add_test(tc, test_peer_mark);
	tcase_add_test(tc, test_peer_ipv6);
	tcase_add_test(tc, test_not_found);
	suite_add_tcase(s, tc);
	tc = tcase_create("guard");
	tcase_add_test(tc, test_guard);
	suite_add_tcase(s, tc);
	return (s);
}
