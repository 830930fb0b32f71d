/*
 * notify.c: sd_notify datagrams reach a real AF_UNIX SOCK_DGRAM socket (a
 * path and an abstract address), the watchdog variables, and socket
 * activation (LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES) including values meant
 * for another process and hostile ones.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "supervisor/notify.h"
#include "unit.h"

/* A bound datagram socket: a path, or an abstract name when path[0]=='@'. */
static int
dgram_bind(const char *addr)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd;

	fd = socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, addr, strlen(addr));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(addr));
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';
	else
		len++;
	ck_assert_int_eq(bind(fd, (void *)&sun, len), 0);
	return (fd);
}

static void
dgram_expect(int fd, const char *want)
{
	char	buf[512];
	ssize_t	n;

	n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(test_send_path)
{
	char	dir[] = "/tmp/check_notify.XXXXXX", path[128];
	int	fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/notify", dir);
	fd = dgram_bind(path);
	setenv("NOTIFY_SOCKET", path, 1);
	ck_assert_int_eq(notify_enabled(), 1);
	ck_assert_int_eq(notify_send("READY=1\nSTATUS=listening"), 1);
	dgram_expect(fd, "READY=1\nSTATUS=listening");
	ck_assert_int_eq(notify_sendf("STATUS=%d sessions", 3), 1);
	dgram_expect(fd, "STATUS=3 sessions");
	close(fd);
	unlink(path);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(test_send_abstract)
{
	char	addr[64];
	int	fd;

	snprintf(addr, sizeof addr, "@runnerd-check-notify-%ld",
	    (long)getpid());
	fd = dgram_bind(addr);
	setenv("NOTIFY_SOCKET", addr, 1);
	ck_assert_int_eq(notify_send("STOPPING=1"), 1);
	dgram_expect(fd, "STOPPING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(test_send_none_and_bad)
{
	char	cause[256];

	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(notify_enabled(), 0);
	ck_assert_int_eq(notify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ck_assert_int_eq(notify_send("READY=1"), -1);
	ck_assert_int_eq(notify_send_to("relative", "READY=1", cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "NOTIFY_SOCKET"));
	/* Nobody listening there. */
	ck_assert_int_eq(notify_send_to("/nonexistent/notify", "READY=1",
	    cause, sizeof cause), -1);
	ck_assert_int_eq(notify_send_to("@", "READY=1", cause, sizeof cause),
	    -1);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(test_watchdog)
{
	char	pid[32];

	setenv("WATCHDOG_USEC", "2000000", 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 2000000);
	ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("WATCHDOG_USEC", "500000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 500000);
	ck_assert_ptr_null(getenv("WATCHDOG_PID"));
	snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_USEC", "500000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);	/* not ours */
	setenv("WATCHDOG_USEC", "-5", 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "12abc", 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "0", 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);	/* unset */
}
END_TEST

/* Child-side helpers: no ck_assert there, Check's own pipe is fd 3. */
static int
tcp_listener(void)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		_exit(3);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (void *)&sin, sizeof sin) == -1 || listen(fd, 4) == -1)
		_exit(3);
	return (fd);
}

static int
unix_listener(char *path, size_t len)
{
	struct sockaddr_un	sun;
	int			fd;

	snprintf(path, len, "/tmp/check_notify.%ld.sock", (long)getpid());
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		_exit(4);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if (bind(fd, (void *)&sun, sizeof sun) == -1 || listen(fd, 4) == -1)
		_exit(4);
	return (fd);
}

enum scenario {
	SC_GOOD, SC_OTHER_PID, SC_BAD_PID, SC_BAD_COUNT, SC_NEGATIVE,
	SC_HUGE, SC_NAMES_MISMATCH, SC_NOT_SOCKET, SC_NOT_LISTENING,
	SC_ZERO, SC_BLANK
};

/*
 * Run one scenario in a child of our own: fds 3 and 4 are rearranged there,
 * where nothing of Check's can be in the way. The child reports one line.
 */
static void
listen_run(enum scenario sc, char *out, size_t outlen)
{
	struct notify_fd	 fds[NOTIFY_MAX_FDS];
	char			 path[108], cause[256], line[512], pid[32];
	int			 p[2], a, b, n, i, st;
	ssize_t			 r;
	pid_t			 child;

	ck_assert_int_eq(pipe(p), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int w = fcntl(p[1], F_DUPFD, 20);

		for (i = 3; i < 20; i++)
			close(i);
		a = tcp_listener();
		b = unix_listener(path, sizeof path);
		if (sc == SC_NOT_SOCKET) {
			int q[2];

			if (pipe(q) == -1)
				_exit(2);
			b = q[0];
		} else if (sc == SC_NOT_LISTENING)
			b = socket(AF_INET, SOCK_STREAM, 0);
		if (dup2(a, 30) == -1 || dup2(b, 31) == -1 ||
		    dup2(30, 3) == -1 || dup2(31, 4) == -1)
			_exit(2);
		close(30);
		close(31);
		if (a != 3 && a != 4)
			close(a);
		if (b != 3 && b != 4)
			close(b);
		snprintf(pid, sizeof pid, "%ld", (long)getpid() +
		    (sc == SC_OTHER_PID));
		setenv("LISTEN_PID", sc == SC_BAD_PID ? "12x" : pid, 1);
		setenv("LISTEN_FDS", sc == SC_BAD_COUNT ? "two" :
		    sc == SC_NEGATIVE ? "-2" : sc == SC_HUGE ?
		    "99999999999999999999999" : sc == SC_ZERO ? "0" :
		    sc == SC_BLANK ? " 2" : "2", 1);
		setenv("LISTEN_FDNAMES", sc == SC_NAMES_MISMATCH ? "a:b:c" :
		    sc == SC_ZERO ? "" : "web:ctl", 1);
		if (sc == SC_ZERO)
			unsetenv("LISTEN_FDNAMES");
		n = notify_listen_fds(fds, NOTIFY_MAX_FDS, cause,
		    sizeof cause);
		if (n < 0)
			snprintf(line, sizeof line, "error %s", cause);
		else {
			snprintf(line, sizeof line, "%d", n);
			for (i = 0; i < n; i++) {
				size_t l = strlen(line);

				snprintf(line + l, sizeof line - l,
				    " %d:%s:%s:%s", fds[i].fd, fds[i].family ==
				    AF_UNIX ? "unix" : fds[i].family ==
				    AF_INET ? "inet" : "other", fds[i].name,
				    (fcntl(fds[i].fd, F_GETFD) & FD_CLOEXEC) &&
				    (fcntl(fds[i].fd, F_GETFL) & O_NONBLOCK) ?
				    "cloexec+nonblock" : "inheritable");
			}
		}
		if (getenv("LISTEN_PID") != NULL ||
		    getenv("LISTEN_FDS") != NULL ||
		    getenv("LISTEN_FDNAMES") != NULL)
			strncat(line, " ENV-LEFT", sizeof line - strlen(line)
			    - 1);
		if (write(w, line, strlen(line)) == -1)
			_exit(2);
		unlink(path);
		_exit(0);
	}
	close(p[1]);
	r = read(p[0], out, outlen - 1);
	out[r > 0 ? r : 0] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

START_TEST(test_listen_good)
{
	char	out[512];

	listen_run(SC_GOOD, out, sizeof out);
	ck_assert_str_eq(out, "2 3:inet:web:cloexec+nonblock "
	    "4:unix:ctl:cloexec+nonblock");
	listen_run(SC_ZERO, out, sizeof out);
	ck_assert_str_eq(out, "0");
}
END_TEST

START_TEST(test_listen_other_pid)
{
	char	out[512];

	listen_run(SC_OTHER_PID, out, sizeof out);
	ck_assert_str_eq(out, "0");
}
END_TEST

START_TEST(test_listen_hostile)
{
	static const struct {
		enum scenario	 sc;
		const char	*want;
	} cases[] = {
		{ SC_BAD_PID, "error LISTEN_PID:" },
		{ SC_BAD_COUNT, "error LISTEN_FDS:" },
		{ SC_NEGATIVE, "error LISTEN_FDS:" },
		{ SC_HUGE, "error LISTEN_FDS:" },
		{ SC_BLANK, "error LISTEN_FDS:" },
		{ SC_NAMES_MISMATCH, "error LISTEN_FDNAMES:" },
		{ SC_NOT_SOCKET, "error LISTEN_FDS: fd 4 is not a socket" },
		{ SC_NOT_LISTENING, "error LISTEN_FDS: fd 4 is not listening" },
	};
	char	out[512];
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		listen_run(cases[i].sc, out, sizeof out);
		ck_assert_msg(strncmp(out, cases[i].want,
		    strlen(cases[i].want)) == 0, "case %zu: got '%s'", i,
		    out);
		ck_assert_ptr_null(strstr(out, "ENV-LEFT"));
	}
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_send_path);
	tcase_add_test(tc, test_send_abstract);
	tcase_add_test(tc, test_send_none_and_bad);
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_listen_good);
	tcase_add_test(tc, test_listen_other_pid);
	tcase_add_test(tc, test_listen_hostile);
	suite_add_tcase(s, tc);
	return (s);
}
