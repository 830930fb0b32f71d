/*
 * The channel between the sandbox's init (or a plain child) and the
 * worker: one SEQPACKET datagram per message, a type byte then text or an
 * int, with at most one descriptor. confine.c, fsview.c and spawn.c talk
 * over it; it calls none of them.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "host/sandbox.h"
#include "worker/initchan.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* Send one message, with a descriptor when fd is not -1. */
int
initchan_send(int sock, char type, const void *data, size_t len, int fd)
{
	char	buf[SANDBOX_MSG_MAX];

	if (len > sizeof buf - 1)
		len = sizeof buf - 1;
	buf[0] = type;
	if (len > 0)
		memcpy(buf + 1, data, len);
	while (send_fd(sock, buf, len + 1, fd, MSG_NOSIGNAL) == -1) {
		if (errno != EINTR)
			return (-1);
	}
	return (0);
}

/*
 * Receive one message: its type, its data NUL-terminated in buf, and a
 * descriptor (close-on-exec) or -1. 0 at EOF, -1 on error.
 */
ssize_t
initchan_recv(int sock, char *type, char *buf, size_t len, int *fd)
{
	char		 raw[SANDBOX_MSG_MAX];
	char		 cbuf[CMSG_SPACE(sizeof (int))];
	struct iovec	 iov;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	ssize_t		 n;
	size_t		 dlen;

	*fd = -1;
	iov.iov_base = raw;
	iov.iov_len = sizeof raw;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof cbuf;
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) == -1)
		if (errno != EINTR)
			return (-1);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof (int)))
			memcpy(fd, CMSG_DATA(cm), sizeof *fd);
	if (n == 0)
		return (0);
	*type = raw[0];
	dlen = (size_t)n - 1 < len - 1 ? (size_t)n - 1 : len - 1;
	memcpy(buf, raw + 1, dlen);
	buf[dlen] = '\0';
	return (n);
}

/* In a plain child (no sandbox): a notify-only filter, its listener sent. */
int
initchan_notify_child(int sock, char *cause, size_t causelen)
{
	int	fd;

	if (seccomp_filter_load(SANDBOX_SECCOMP_NOTIFY, &fd, cause,
	    causelen) == -1) {
		initchan_send(sock, SANDBOX_MSG_WARN, cause, strlen(cause), -1);
		return (-1);
	}
	if (initchan_send(sock, SANDBOX_MSG_NOTIFY, NULL, 0, fd) == -1) {
		CAUSE("sending the listener: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/* In the worker: the listener a child sent, or -1 with why not. */
int
initchan_notify_recv(int sock, int timeout_ms, char *cause, size_t causelen)
{
	struct pollfd	pfd;
	char		buf[SANDBOX_MSG_MAX], type;
	ssize_t		n;
	int		fd, rc;

	pfd.fd = sock;
	pfd.events = POLLIN;
	while ((rc = poll(&pfd, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (rc <= 0) {
		CAUSE("no listener from the child after %d ms", timeout_ms);
		return (-1);
	}
	n = initchan_recv(sock, &type, buf, sizeof buf, &fd);
	if (n > 0 && type == SANDBOX_MSG_NOTIFY && fd != -1)
		return (fd);
	if (fd != -1)
		close(fd);
	if (n > 0 && type == SANDBOX_MSG_WARN)
		CAUSE("%s", buf);
	else
		CAUSE("the child sent no listener");
	return (-1);
}