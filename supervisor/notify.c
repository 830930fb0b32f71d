/*
 * systemd integration without libsystemd.
 *
 * sd_notify(3): each message is one AF_UNIX SOCK_DGRAM datagram of
 * newline-separated VAR=value lines sent to $NOTIFY_SOCKET, a path or, with
 * a leading '@', an abstract address. sd_listen_fds(3): the service manager
 * passes LISTEN_FDS sockets as fds 3.., for the process LISTEN_PID, named by
 * the colon-separated LISTEN_FDNAMES.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "supervisor/notify.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* A decimal number in [min, max], digits only (no sign, no blanks). */
static int
notify_number(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char			*ep;
	unsigned long long	 n;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtoull(s, &ep, 10);
	if (*ep != '\0' || errno != 0 || n < min || n > max)
		return (-1);
	*out = n;
	return (0);
}

int
notify_send_to(const char *addr, const char *msg, char *cause,
    size_t causelen)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	size_t			 alen;
	ssize_t			 n;
	int			 fd;

	if (addr == NULL || (addr[0] != '/' && addr[0] != '@')) {
		CAUSE("NOTIFY_SOCKET: '%s' is neither a path nor an abstract "
		    "address", addr != NULL ? addr : "");
		return (-1);
	}
	alen = strlen(addr);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (alen >= sizeof sun.sun_path || alen < 2) {
		CAUSE("NOTIFY_SOCKET: bad length %zu", alen);
		return (-1);
	}
	memcpy(sun.sun_path, addr, alen);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen);
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no trailing NUL */
	else
		len++;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0)) == -1) {
		CAUSE("socket: %s", strerror(errno));
		return (-1);
	}
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (void *)&sun, len);
	if (n == -1)
		CAUSE("%s: %s", addr, strerror(errno));
	close(fd);
	return (n == (ssize_t)strlen(msg) ? 0 : -1);
}

int
notify_enabled(void)
{
	const char	*a = getenv("NOTIFY_SOCKET");

	return (a != NULL && *a != '\0');
}

int
notify_send(const char *msg)
{
	char	cause[256];

	if (!notify_enabled())
		return (0);
	if (notify_send_to(getenv("NOTIFY_SOCKET"), msg, cause,
	    sizeof cause) == -1)
		return (-1);
	return (1);
}

int
notify_sendf(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 rv;

	if (!notify_enabled())
		return (0);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return (-1);
	rv = notify_send(msg);
	free(msg);
	return (rv);
}

uint64_t
notify_watchdog_usec(void)
{
	const char		*us, *pid;
	unsigned long long	 n, p;
	uint64_t		 rv = 0;

	us = getenv("WATCHDOG_USEC");
	pid = getenv("WATCHDOG_PID");
	if (us != NULL && notify_number(us, 1, UINT64_MAX / 2, &n) == 0) {
		if (pid == NULL || (notify_number(pid, 1, INT32_MAX, &p) ==
		    0 && (pid_t)p == getpid()))
			rv = n;
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return (rv);
}

/* Copy the i-th colon-separated name (or "unknown") into out. */
static void
notify_fdname(const char *names, int i, char *out, size_t outlen)
{
	const char	*p = names, *e;
	size_t		 n;

	snprintf(out, outlen, "unknown");
	if (names == NULL)
		return;
	while (i-- > 0) {
		if ((p = strchr(p, ':')) == NULL)
			return;
		p++;
	}
	e = strchr(p, ':');
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (n == 0)
		return;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Whether fd is a listening stream socket; its family in *family. */
static int
notify_check_fd(int fd, int *family, char *cause, size_t causelen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	struct stat		 sb;
	int			 type, acc;
	socklen_t		 olen;

	if (fstat(fd, &sb) == -1 || !S_ISSOCK(sb.st_mode)) {
		CAUSE("LISTEN_FDS: fd %d is not a socket", fd);
		return (-1);
	}
	olen = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) == -1 ||
	    type != SOCK_STREAM) {
		CAUSE("LISTEN_FDS: fd %d is not a stream socket", fd);
		return (-1);
	}
	olen = sizeof acc;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &olen) == -1 ||
	    !acc) {
		CAUSE("LISTEN_FDS: fd %d is not listening", fd);
		return (-1);
	}
	if (getsockname(fd, (void *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6 &&
	    ss.ss_family != AF_UNIX)) {
		CAUSE("LISTEN_FDS: fd %d is neither TCP nor a Unix socket",
		    fd);
		return (-1);
	}
	*family = ss.ss_family;
	return (0);
}

int
notify_listen_fds(struct notify_fd *out, size_t max, char *cause,
    size_t causelen)
{
	const char		*pid, *fds, *names;
	unsigned long long	 p, n;
	size_t			 nnames;
	int			 i, fl, rv = -1;

	pid = getenv("LISTEN_PID");
	fds = getenv("LISTEN_FDS");
	names = getenv("LISTEN_FDNAMES");
	if (pid == NULL && fds == NULL) {
		rv = 0;
		goto out;
	}
	if (notify_number(pid, 1, INT32_MAX, &p) == -1) {
		CAUSE("LISTEN_PID: '%s' is not a process id",
		    pid != NULL ? pid : "");
		goto out;
	}
	if ((pid_t)p != getpid()) {
		rv = 0;		/* meant for another process: not ours */
		goto out;
	}
	if (notify_number(fds, 0, max < NOTIFY_MAX_FDS ? max : NOTIFY_MAX_FDS,
	    &n) == -1) {
		CAUSE("LISTEN_FDS: '%s' is not a number from 0 to %d",
		    fds != NULL ? fds : "", NOTIFY_MAX_FDS);
		goto out;
	}
	if (names != NULL) {
		nnames = 1;
		for (i = 0; names[i] != '\0'; i++)
			if (names[i] == ':')
				nnames++;
		if (nnames != n) {
			CAUSE("LISTEN_FDNAMES: %zu names for %llu fds", nnames,
			    n);
			goto out;
		}
	}
	for (i = 0; i < (int)n; i++) {
		out[i].fd = NOTIFY_FDS_START + i;
		if (notify_check_fd(out[i].fd, &out[i].family, cause,
		    causelen) == -1)
			goto out;
		notify_fdname(names, i, out[i].name, sizeof out[i].name);
		if (fcntl(out[i].fd, F_SETFD, FD_CLOEXEC) == -1 ||
		    (fl = fcntl(out[i].fd, F_GETFL)) == -1 ||
		    fcntl(out[i].fd, F_SETFL, fl|O_NONBLOCK) == -1) {
			CAUSE("LISTEN_FDS: fd %d: %s", out[i].fd,
			    strerror(errno));
			goto out;
		}
	}
	rv = (int)n;
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (rv);
}
