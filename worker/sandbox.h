/* The agent's sandbox: namespaces, a view, identity, Landlock, seccomp. */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

struct cgroup;
struct json_object;
struct spawn;

/* The layers, in the order the logs and /healthz list them. */
enum sandbox_layer {
	SB_IDENTITY,		/* setuid to sandbox_uid, or a user namespace */
	SB_NAMESPACES,		/* mount, pid, ipc, uts */
	SB_NETWORK,		/* a network namespace: never optional */
	SB_LANDLOCK,
	SB_SECCOMP,		/* the deny list */
	SB_EXEC_POLICY,		/* seccomp user notification of execve */
	SB_CGROUP,
	SB_RLIMITS,
	SB_NLAYERS
};

#define SANDBOX_ALL		((1u << SB_NLAYERS) - 1)
#define SANDBOX_PROXY_PORT	3128	/* the bridge in the netns */
#define SANDBOX_HOME		"/tmp/home"	/* the agent's private HOME */
#define SANDBOX_HOSTNAME	"runnerd-sandbox"

/* A layer's name ("identity", ...), or NULL when out of range. */
const char	*sandbox_layer_name(int);
/*
 * A list of layer names, or ["all"] alone, as a mask. NULL or an empty
 * list is 0. -1 with a cause naming the first bad entry.
 */
int		 sandbox_layers_parse(char **, unsigned *, char *, size_t);
/* "name, name" of the layers in mask into buf; buf. */
char		*sandbox_layers_format(unsigned, char *, size_t);

/*
 * Supervisor start-up: probe every layer for real (forked children try
 * each one) once, and log each one that is missing. cgroup_base is handed
 * to cgroup_probe() and may be NULL.
 */
void		 sandbox_probe(uid_t, gid_t, const char *);
/* The probed mask of available layers (all of them before a probe). */
unsigned	 sandbox_available(void);
/*
 * Of the layers in required, those not available: their mask, and their
 * names in buf. With the sandbox disabled nothing is applied, so every
 * required layer is missing.
 */
unsigned	 sandbox_missing(int, unsigned, char *, size_t);
/*
 * GET /healthz "sandbox": {enabled, layers: {name: {available, detail}},
 * missing: [names]}; the caller owns it.
 */
struct json_object *sandbox_health(int);

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

/* What sandbox_spawn started; the worker owns every descriptor. */
struct sandbox_proc {
	pid_t		 pid;		/* init: its exit is the session's */
	int		 master;	/* the pty: non-blocking, cloexec */
	int		 notify_fd;	/* seccomp listener for execve, or -1 */
	int		 proxy_fd;	/* to the bridge in the namespace */
	int		 status_fd;	/* init's report of how it ended */
};

/*
 * Start the CLI in the sandbox: a pty, init as pid 1 of new namespaces,
 * joined to cg (may be NULL) before it runs, and the agent under it.
 * Returns when the agent is about to exec (it waits on the notify fd, if
 * one was asked for, for its own execve); 0 with *out filled, or -1 with
 * a cause (a required layer failed, or no process could be started).
 * Layers that failed but are not required are logged.
 */
int		 sandbox_spawn(const struct spawn *,
		    const struct sandbox_policy *, struct cgroup *,
		    struct sandbox_proc *, char *, size_t);
/*
 * The agent's own wait status, given init's (status_fd is read without
 * blocking): init, as pid 1, cannot die of the agent's signal, so it sends
 * the status before it exits. Without such a report, init's own status.
 */
int		 sandbox_status(int, int);

/*
 * Used by spawn.c when the sandbox is off. In the child: load a filter
 * that only notifies execve/execveat and send its listener over fd; 0, or
 * -1 with a cause (no filter loaded). In the worker: receive it; the fd,
 * or -1 with a cause.
 */
int		 sandbox_notify_child(int, char *, size_t);
int		 sandbox_notify_recv(int, int, char *, size_t);

/*
 * The pieces, exported for tests: build and load the agent's seccomp
 * filter (what: the deny list, a listener for execve and execveat, or
 * both; the listener's fd in *fd, else -1), and the Landlock ruleset
 * (write only under the given paths, NULL-terminated). 0, or -1 with a
 * cause.
 */
#define SANDBOX_SECCOMP_DENY	0x1
#define SANDBOX_SECCOMP_NOTIFY	0x2
int		 sandbox_seccomp_load(int, int *, char *, size_t);
int		 sandbox_landlock_apply(const char *const *, char *, size_t);
/* The Landlock ABI of the running kernel, or 0 without Landlock. */
int		 sandbox_landlock_abi(void);

#endif
