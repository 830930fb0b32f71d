/*
 * The egress proxy's other half, in the agent's network namespace: the
 * bridge that hands each accepted connection to the worker, and the
 * agent's environment that points its tools at it.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "common/log.h"
#include "common/netallow.h"
#include "common/proto.h"
#include "common/util.h"
#include "worker/proxy.h"
#include "worker/proxy_int.h"

#define PROXY_BACKOFF_MS	100	/* bridge: out of descriptors */

/* Remove NAME from a malloc'd environment of *n entries. */
static void
proxybridge_unsetenv(char **env, size_t *n, const char *name)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < *n; i++) {
		if (strncmp(env[i], name, len) != 0 || env[i][len] != '=')
			continue;
		free(env[i]);
		memmove(&env[i], &env[i + 1], (*n - i) * sizeof *env);
		(*n)--;
		i--;
	}
}

/* Set or replace NAME=VALUE in a malloc'd environment of *n entries. */
static char **
proxybridge_setenv(char **env, size_t *n, const char *name, const char *value)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < *n; i++) {
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=') {
			free(env[i]);
			env[i] = xasprintf("%s=%s", name, value);
			return (env);
		}
	}
	env = xrealloc(env, (*n + 2) * sizeof *env);
	env[(*n)++] = xasprintf("%s=%s", name, value);
	env[*n] = NULL;
	return (env);
}

char **
proxybridge_env(char **env, int port)
{
	static const char *const vars[] = { "http_proxy", "HTTP_PROXY",
	    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	char	 url[64];
	size_t	 i, n = 0;

	while (env[n] != NULL)
		n++;
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	for (i = 0; i < nitems(vars); i++)
		env = proxybridge_setenv(env, &n, vars[i], url);
	/*
	 * Nothing goes around the proxy: the namespace's own loopback is
	 * empty, and an allowlisted 127.0.0.1:PORT is the host's, reached
	 * only through the proxy.
	 */
	proxybridge_unsetenv(env, &n, "no_proxy");
	proxybridge_unsetenv(env, &n, "NO_PROXY");
	return (env);
}

/* Bridge: a listening socket on a loopback address, or -1. */
static int
proxybridge_listen1(int family, int port)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	int			fd, one = 1;

	if ((fd = socket(family, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	if (family == AF_INET6) {
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		sin6.sin6_addr = in6addr_loopback;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof one) == -1 || bind(fd, (struct sockaddr *)&sin6,
		    sizeof sin6) == -1)
			goto fail;
	} else {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
			goto fail;
	}
	if (listen(fd, 128) == -1)
		goto fail;
	return (fd);

fail:
	close(fd);
	return (-1);
}

/* Bridge: pass fd to the worker; 0 sent, 1 try again later, -1 gone. */
static int
proxybridge_send(int ctrl, int fd)
{
	for (;;) {
		if (send_fd(ctrl, "c", 1, fd, MSG_NOSIGNAL|MSG_DONTWAIT) == 1)
			return (0);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS || errno == ENOMEM)
			return (1);
		return (-1);
	}
}

int
proxybridge_listen(int port, int lfd[2])
{
	int	nl = 0;

	if ((lfd[nl] = proxybridge_listen1(AF_INET, port)) == -1)
		return (-1);
	nl++;
	/* No IPv6 in the namespace: IPv4 alone will do. */
	if ((lfd[nl] = proxybridge_listen1(AF_INET6, port)) != -1)
		nl++;
	return (nl);
}

void
proxybridge_main(int ctrl, int port)
{
	int	lfd[2], nl;

	if ((nl = proxybridge_listen(port, lfd)) == -1)
		_exit(1);
	proxybridge_serve(ctrl, lfd, nl);
}

/*
 * The bridge's loop. While a descriptor waits for room on the socketpair
 * (or after running out of descriptors) it stops accepting for a while;
 * the kernel's listen backlog holds new connections meanwhile.
 */
void
proxybridge_serve(int ctrl, const int *lfds, int nl)
{
	struct pollfd	 pfd[3];
	char		 junk[64];
	int		 lfd[2], pending = -1, backoff = 0;
	int		 i, n, fd, null;

	/* ctrl on 3, the listeners on 4 and 5, nothing else. */
	if (nl < 1 || nl > 2 || (ctrl = fcntl(ctrl, F_DUPFD, 64)) == -1)
		_exit(1);
	for (i = 0; i < nl; i++)
		if ((lfd[i] = fcntl(lfds[i], F_DUPFD, 64)) == -1)
			_exit(1);
	if (dup2(ctrl, 3) == -1)
		_exit(1);
	ctrl = 3;
	for (i = 0; i < nl; i++) {
		if (dup2(lfd[i], 4 + i) == -1)
			_exit(1);
		lfd[i] = 4 + i;
	}
	close(0);
	close(1);
	close(2);
	close_from(4 + nl);
	if ((null = open("/dev/null", O_RDWR)) == 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	if (set_nonblock(ctrl) == -1)
		_exit(1);

	for (;;) {
		pfd[0].fd = ctrl;
		pfd[0].events = POLLIN | (pending != -1 ? POLLOUT : 0);
		pfd[0].revents = 0;
		for (i = 0; i < nl; i++) {
			pfd[1 + i].fd = lfd[i];
			pfd[1 + i].events = pending == -1 && !backoff ?
			    POLLIN : 0;
			pfd[1 + i].revents = 0;
		}
		n = poll(pfd, (nfds_t)(1 + nl), backoff || pending != -1 ?
		    PROXY_BACKOFF_MS : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		backoff = 0;
		if (pfd[0].revents & (POLLHUP|POLLERR|POLLNVAL))
			_exit(0);
		if (pfd[0].revents & POLLIN) {
			n = (int)read(ctrl, junk, sizeof junk);
			if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN))
				_exit(0);
		}
		if (pending != -1) {
			switch (proxybridge_send(ctrl, pending)) {
			case -1:
				_exit(0);
			case 0:
				close(pending);
				pending = -1;
				break;
			}
			continue;
		}
		for (i = 0; i < nl; i++) {
			if (!(pfd[1 + i].revents & POLLIN))
				continue;
			fd = accept4(lfd[i], NULL, NULL, SOCK_CLOEXEC);
			if (fd == -1) {
				if (errno == EMFILE || errno == ENFILE ||
				    errno == ENOBUFS || errno == ENOMEM)
					backoff = 1;
				continue;
			}
			switch (proxybridge_send(ctrl, fd)) {
			case -1:
				_exit(0);
			case 0:
				close(fd);
				break;
			case 1:
				pending = fd;
				break;
			}
			if (pending != -1)
				break;
		}
	}
}
