/* The channel between the sandbox's init (or a plain child) and the worker. */
#ifndef INITCHAN_H
#define INITCHAN_H

#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_MSG_MAX		512

/*
 * Messages from init and the agent to the worker, one per SEQPACKET
 * datagram: a type byte, then text or an int.
 */
#define SANDBOX_MSG_GO		'G'	/* worker: joined the cgroup, go on */
#define SANDBOX_MSG_WARN	'W'	/* a layer failed, not required */
#define SANDBOX_MSG_FAIL	'F'	/* setup failed: the reason */
#define SANDBOX_MSG_NOTIFY	'N'	/* the listener attached; exec next */
#define SANDBOX_MSG_READY	'R'	/* no listener; exec next */
#define SANDBOX_MSG_STATUS	'S'	/* the agent's wait status */

/* Send one message to the worker, with a descriptor when fd is not -1. */
int		 initchan_send(int, char, const void *, size_t, int);
/*
 * Receive one message: its type, its data NUL-terminated in buf, and a
 * descriptor (close-on-exec) or -1. 0 at EOF, -1 on error.
 */
ssize_t		 initchan_recv(int, char *, char *, size_t, int *);

/*
 * Used by spawn.c when the sandbox is off. In the child: load a filter
 * that only notifies execve/execveat and send its listener over fd; 0, or
 * -1 with a cause (no filter loaded). In the worker: receive it; the fd,
 * or -1 with a cause.
 */
int		 initchan_notify_child(int, char *, size_t);
int		 initchan_notify_recv(int, int, char *, size_t);

#endif
