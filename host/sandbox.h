/*
 * The agent's sandbox as both processes know it: the layers, the probe,
 * the seccomp filter and the Landlock ruleset. Applying them is the
 * worker's (worker/confine.h).
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;

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
/*
 * The agent's private HOME, on a tmpfs over /home (which also hides the
 * host's users): not under /tmp, where codex refuses to put its helper
 * binaries ("Refusing to create helper binaries under temporary dir").
 */
#define SANDBOX_HOME_BASE	"/home"
#define SANDBOX_HOME		SANDBOX_HOME_BASE "/agent"
#define SANDBOX_HOSTNAME	"runnerd-sandbox"

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

/*
 * The pieces, exported for tests: build and load the agent's seccomp
 * filter (what: the deny list, a listener for execve and execveat, or
 * both; the listener's fd in *fd, else -1), and the Landlock ruleset
 * (write only under the given paths, NULL-terminated). 0, or -1 with a
 * cause.
 */
#define SANDBOX_SECCOMP_DENY	0x1
#define SANDBOX_SECCOMP_NOTIFY	0x2
int		 seccomp_filter_load(int, int *, char *, size_t);
int		 landlock_apply(const char *const *, char *, size_t);
/* The Landlock ABI of the running kernel, or 0 without Landlock. */
int		 landlock_abi(void);
/* Apply mount attributes to a detached tree, recursively (mount API). */
int		 sandbox_tree_attr(int, uint64_t);

#endif
