/*
 * systemd integration without libsystemd: the sd_notify datagram protocol
 * (READY=1, STATUS=, STOPPING=1, WATCHDOG=1) to $NOTIFY_SOCKET, and socket
 * activation (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES).
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOTIFY_FDS_START	3	/* SD_LISTEN_FDS_START */
#define NOTIFY_MAX_FDS		16	/* more is a hostile LISTEN_FDS */

/* One socket passed by the service manager. */
struct notify_fd {
	int	 fd;
	int	 family;		/* AF_INET, AF_INET6 or AF_UNIX */
	char	 name[64];		/* from LISTEN_FDNAMES, or "unknown" */
};

/*
 * Send one datagram (newline-separated VAR=value lines) to addr: a path, or
 * "@name" for an abstract socket. 0 sent, -1 with a cause.
 */
int	notify_send_to(const char *, const char *, char *, size_t);
/* The same to $NOTIFY_SOCKET: 1 sent, 0 not under systemd, -1 failed. */
int	notify_send(const char *);
int	notify_sendf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/* Whether $NOTIFY_SOCKET is set, i.e. whether notifying is worth it. */
int	notify_enabled(void);

/*
 * The watchdog interval in microseconds from WATCHDOG_USEC (and
 * WATCHDOG_PID, which must be ours if set); 0 when there is none. The
 * variables are unset: children must not inherit them.
 */
uint64_t notify_watchdog_usec(void);

/*
 * Take the sockets of socket activation. Returns how many (0 when LISTEN_*
 * is absent or meant for another process), or -1 with a cause on a bad
 * value or an fd that is not a listening stream socket. The fds get
 * FD_CLOEXEC and O_NONBLOCK; the variables are always unset.
 */
int	notify_listen_fds(struct notify_fd *, size_t, char *, size_t);

#endif
