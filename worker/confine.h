/* Applying the sandbox to the agent: init, the view, the agent's layers. */
#ifndef CONFINE_H
#define CONFINE_H

#include <stddef.h>
#include <sys/types.h>

#include "host/sandbox.h"
#include "worker/initchan.h"

struct cgroup;
struct spawn;

/* How the agent is confined; every pointer is borrowed. */
struct sandbox_policy {
	const char	 *workspace;	/* this session's, bound read-write */
	const char	 *hide[4];	/* tmpfs over these when they exist */
	char		**expose;	/* bound read-only; NULL-terminated */
	uid_t		  uid;		/* the agent's, when we are root */
	gid_t		  gid;
	long		  nofile_max;
	int		  exec_notify;	/* want a listener for execve */
	unsigned	  required;	/* layers that must not fail */
};

/* What confine_spawn started; the worker owns every descriptor. */
struct sandbox_proc {
	pid_t		 pid;		/* init: its exit is the session's */
	int		 master;	/* the pty: non-blocking, cloexec */
	int		 notify_fd;	/* seccomp listener for execve, or -1 */
	int		 proxy_fd;	/* to the bridge in the namespace */
	int		 status_fd;	/* init's report of how it ended */
	int		 stdin_fd;	/* sp->pipes: the agent's stdin, or -1 */
	int		 stdout_fd;	/* sp->pipes: its stdout, or -1 */
};

/*
 * Start the CLI in the sandbox: a pty, init as pid 1 of new namespaces,
 * joined to cg (may be NULL) before it runs, and the agent under it.
 * Returns when the agent is about to exec (it waits on the notify fd, if
 * one was asked for, for its own execve); 0 with *out filled, or -1 with
 * a cause (a required layer failed, or no process could be started).
 * With sp->pipes the agent's stdin and stdout are pipes (stderr and init
 * keep the pty), their worker ends in stdin_fd and stdout_fd.
 * Layers that failed but are not required are logged.
 */
int		 confine_spawn(const struct spawn *,
		    const struct sandbox_policy *, struct cgroup *,
		    struct sandbox_proc *, char *, size_t);
/*
 * The agent's own wait status, given init's (status_fd is read without
 * blocking): init, as pid 1, cannot die of the agent's signal, so it sends
 * the status before it exits. Without such a report, init's own status.
 */
int		 confine_status(int, int);

/*
 * Between confine.c and fsview.c: what init and the agent share with the
 * worker, and how they talk to it.
 */
/* Descriptors in init and the agent. */
#define SANDBOX_CTL_FD		3	/* the socketpair to the worker */
#define SANDBOX_PROXY_FD	4	/* to the worker's proxy */
#define SANDBOX_STDIN_FD	5	/* sp->pipes: the agent's stdin, */
#define SANDBOX_STDOUT_FD	6	/* its stdout (init closes both) */

/* Everything init and the agent need; a copy lives in the child. */
struct sandbox_ctx {
	const struct spawn		*sp;
	const struct sandbox_policy	*pol;
	int				 nsflags;	/* what clone gave */
	int				 rootless;	/* a user namespace */
	int				 viewed;	/* the view is built */
	uid_t				 uid;		/* the agent's */
	gid_t				 gid;
};

/* In init: build the agent's view of the filesystem; -1 with a cause. */
int		 fsview_build(struct sandbox_ctx *, char *, size_t);

#endif
