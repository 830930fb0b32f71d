/*
 * Unit tests for the shared helpers (common/util.c) that move bytes and
 * descriptors over sockets: write_all, send_fd and receive_fd, over real
 * AF_UNIX socketpairs.
 */
#include "config.h"

#include <sys/socket.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/util.h"
#include "unit.h"

START_TEST(test_write_all)
{
	int	sv[2];
	char	buf[8];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write_all(sv[0], "\033[0m", 4, 1), 0);
	ck_assert_int_eq(read(sv[1], buf, sizeof buf), 4);
	ck_assert_int_eq(memcmp(buf, "\033[0m", 4), 0);
	ck_assert_int_eq(write_all(sv[0], "ab", 2, 0), 0);
	ck_assert_int_eq(read(sv[1], buf, sizeof buf), 2);
	ck_assert_int_eq(write_all(sv[0], "", 0, 0), 0);
	/* The reader is gone: -1, and no SIGPIPE kills the test. */
	close(sv[1]);
	ck_assert_int_eq(write_all(sv[0], "x", 1, 1), -1);
	close(sv[0]);
}
END_TEST

START_TEST(test_send_recv_fd)
{
	int	sv[2], p[2], fd;
	char	buf[8];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);

	/* A descriptor travels with its data and arrives close-on-exec. */
	ck_assert_int_eq(send_fd(sv[0], "c", 1, p[1], 0), 1);
	ck_assert_int_eq(receive_fd(sv[1], buf, sizeof buf, &fd, 0), 1);
	ck_assert_int_eq(buf[0], 'c');
	ck_assert_int_ne(fd, -1);
	ck_assert_int_ne(fd, p[1]);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	ck_assert_int_eq(read(p[0], buf, sizeof buf), 2);
	ck_assert_int_eq(memcmp(buf, "hi", 2), 0);
	close(fd);

	/* Data alone: no descriptor. */
	ck_assert_int_eq(send_fd(sv[0], "dd", 2, -1, 0), 2);
	ck_assert_int_eq(receive_fd(sv[1], buf, sizeof buf, &fd, 0), 2);
	ck_assert_int_eq(fd, -1);

	/* EOF: 0 and no descriptor; a bad socket: -1. */
	close(sv[0]);
	ck_assert_int_eq(receive_fd(sv[1], buf, sizeof buf, &fd, 0), 0);
	ck_assert_int_eq(fd, -1);
	close(sv[1]);
	ck_assert_int_eq(receive_fd(sv[1], buf, sizeof buf, &fd, 0), -1);
	ck_assert_int_eq(fd, -1);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The suite. */
Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("util");
	tc = tcase_create("sockets");
	tcase_add_test(tc, test_write_all);
	tcase_add_test(tc, test_send_recv_fd);
	suite_add_tcase(s, tc);
	return (s);
}
