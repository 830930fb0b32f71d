/*
 * The sandbox's layers as the supervisor sees them: their names, the
 * config's sandbox_required list, the start-up probe of each layer (in
 * forked children) and GET /healthz's report. Applying them to an agent is
 * the worker's (worker/confine.c); the seccomp filter and the Landlock
 * ruleset, which the probe loads too, are in seccomp.c and landlock.c.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>


#include <linux/landlock.h>
#include <seccomp.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "host/sandbox.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

#define SANDBOX_DETAIL_MAX	160

/* What the supervisor's probe found. */
static int	sandbox_probed;
static unsigned	sandbox_avail = SANDBOX_ALL;
static char	sandbox_detail[SB_NLAYERS][SANDBOX_DETAIL_MAX];


/* The names of the layers in mask, comma-separated, cut at a name. */
char *
sandbox_layers_format(unsigned mask, char *buf, size_t len)
{
	size_t	used = 0;
	int	l, n;

	if (len == 0)
		return (buf);
	*buf = '\0';
	for (l = 0; l < SB_NLAYERS; l++) {
		if ((mask & (1u << l)) == 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " :
		    "", config_layer_name(l));
		if (n < 0 || (size_t)n >= len - used) {
			/* Cut at a whole name. */
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	return (buf);
}
/* Apply the attributes in set to a detached tree, recursively. */
int
sandbox_tree_attr(int tree, uint64_t set)
{
	struct mount_attr	attr;

	memset(&attr, 0, sizeof attr);
	attr.attr_set = set;
	return (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
	    sizeof attr));
}


/*
 * Run fn in a forked child and return whether it exited 0. The probes
 * change the process (namespaces, filters): never in the supervisor.
 */
static int
sandbox_probe_child(int (*fn)(void *), void *arg, char *detail, size_t len)
{
	char	buf[SANDBOX_DETAIL_MAX];
	pid_t	pid;
	int	p[2], status;
	ssize_t	n;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(detail, len, "pipe: %s", strerror(errno));
		return (0);
	}
	switch (pid = fork()) {
	case -1:
		snprintf(detail, len, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (0);
	case 0:
		close(p[0]);
		buf[0] = '\0';
		if (fn(arg) == 0)
			_exit(0);
		/* fn left its reason in errno. */
		snprintf(buf, sizeof buf, "%s", strerror(errno));
		(void)write(p[1], buf, strlen(buf));
		_exit(1);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			snprintf(detail, len, "waitpid: %s", strerror(errno));
			return (0);
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (1);
	if (buf[0] != '\0')
		snprintf(detail, len, "%s", buf);
	else if (WIFSIGNALED(status))
		snprintf(detail, len, "probe killed by %s",
		    signal_name(WTERMSIG(status)));
	return (0);
}

/* Probe: become the sandbox uid (root), or make a user namespace. */
static int
sandbox_probe_identity(void *arg)
{
	const uid_t	*ids = arg;

	if (geteuid() != 0)
		return (unshare(CLONE_NEWUSER));
	if (setgroups(0, NULL) == -1 || setresgid(ids[1], ids[1], ids[1]) ==
	    -1 || setresuid(ids[0], ids[0], ids[0]) == -1)
		return (-1);
	return (0);
}

/* Probe: the namespaces, and the mount API the view is built with. */
static int
sandbox_probe_ns(void *arg)
{
	int	flags, tree;

	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	if (geteuid() != 0)
		flags |= CLONE_NEWUSER;
	if (unshare(flags) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return (-1);
	tree = open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_RECURSIVE);
	if (tree == -1 || sandbox_tree_attr(tree, MOUNT_ATTR_RDONLY) == -1)
		return (-1);
	return (0);
}

/* Probe: a network namespace. */
static int
sandbox_probe_net(void *arg)
{
	return (unshare(CLONE_NEWNET | (geteuid() != 0 ? CLONE_NEWUSER :
	    0)));
}

/* Probe: a Landlock ruleset that really restricts. */
static int
sandbox_probe_landlock(void *arg)
{
	const char *const	writable[] = { NULL };
	char			why[128];

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return (-1);
	if (landlock_apply(writable, why, sizeof why) == -1)
		return (-1);
	/* Nothing is writable now. */
	if (mkdir("/tmp/.runnerd-landlock-probe", 0700) == 0) {
		rmdir("/tmp/.runnerd-landlock-probe");
		errno = EPERM;
		return (-1);
	}
	return (errno == EACCES ? 0 : -1);
}

/* Probe: the deny list loads and denies. */
static int
sandbox_probe_seccomp(void *arg)
{
	char	why[128];

	if (seccomp_filter_load(SANDBOX_SECCOMP_DENY, NULL, why,
	    sizeof why) == -1)
		return (-1);
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS ||
	    ptrace(PTRACE_TRACEME, 0, NULL, NULL) != -1 || errno != EPERM) {
		errno = ENOTSUP;
		return (-1);
	}
	return (0);
}

/* Probe: a listener for execve. */
static int
sandbox_probe_notify(void *arg)
{
	char	why[128];
	int	fd;

	if (seccomp_filter_load(SANDBOX_SECCOMP_NOTIFY, &fd, why,
	    sizeof why) == -1)
		return (-1);
	return (fd >= 0 ? 0 : -1);
}

/* Probe: the limits can be set. */
static int
sandbox_probe_rlimits(void *arg)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1 ||
	    getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (-1);
	return (0);
}

/* Record one layer's probe. */
static void
sandbox_probe_set(int l, int ok, const char *fmt, ...)
{
	va_list	ap;

	if (!ok)
		sandbox_avail &= ~(1u << l);
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(sandbox_detail[l], sizeof sandbox_detail[l], fmt, ap);
	va_end(ap);
}

/* Supervisor start-up: probe each layer once, log the missing ones. */
void
sandbox_probe(uid_t uid, gid_t gid, const char *cgroup_base)
{
	uid_t	ids[2] = { uid, (uid_t)gid };
	char	d[SANDBOX_DETAIL_MAX], names[256];
	int	l, ok, abi;

	sandbox_avail = SANDBOX_ALL;
	memset(sandbox_detail, 0, sizeof sandbox_detail);

	d[0] = '\0';
	ok = sandbox_probe_child(sandbox_probe_identity, ids, d, sizeof d);
	if (geteuid() != 0 && ok)
		sandbox_probe_set(SB_IDENTITY, ok, "not root: a user "
		    "namespace, agents keep uid %ld", (long)geteuid());
	else if (geteuid() != 0)
		sandbox_probe_set(SB_IDENTITY, ok, "no user namespace: %s", d);
	else if (ok)
		sandbox_probe_set(SB_IDENTITY, ok, "root: agents run as uid "
		    "%ld, gid %ld", (long)uid, (long)gid);
	else
		sandbox_probe_set(SB_IDENTITY, ok, "uid %ld: %s", (long)uid, d);

	d[0] = '\0';
	ok = sandbox_probe_child(sandbox_probe_ns, NULL, d, sizeof d);
	sandbox_probe_set(SB_NAMESPACES, ok, ok ? "mount, pid, ipc, uts; "
	    "read-only view" : "%s", d);

	d[0] = '\0';
	ok = sandbox_probe_child(sandbox_probe_net, NULL, d, sizeof d);
	sandbox_probe_set(SB_NETWORK, ok, ok ? "a network namespace per "
	    "session, egress only through the proxy" : "%s: sandboxed "
	    "sessions cannot start", d);

	d[0] = '\0';
	abi = landlock_abi();
	ok = abi > 0 && sandbox_probe_child(sandbox_probe_landlock, NULL, d,
	    sizeof d);
	if (abi <= 0)
		sandbox_probe_set(SB_LANDLOCK, 0, "not in this kernel (or "
		    "disabled: lsm=landlock)");
	else
		sandbox_probe_set(SB_LANDLOCK, ok, ok ? "ABI %d" :
		    "ABI %d: %s", abi, d);

	d[0] = '\0';
	ok = sandbox_probe_child(sandbox_probe_seccomp, NULL, d, sizeof d);
	if (ok)
		sandbox_probe_set(SB_SECCOMP, ok, "deny list, libseccomp "
		    "%u.%u.%u", seccomp_version()->major,
		    seccomp_version()->minor, seccomp_version()->micro);
	else
		sandbox_probe_set(SB_SECCOMP, ok, "%s", d);

	d[0] = '\0';
	ok = sandbox_probe_child(sandbox_probe_notify, NULL, d, sizeof d);
	sandbox_probe_set(SB_EXEC_POLICY, ok, ok ? "seccomp user "
	    "notification of execve" : "%s", d);

	d[0] = '\0';
	ok = cgroup_probe(cgroup_base, d, sizeof d) == 1;
	sandbox_probe_set(SB_CGROUP, ok, "%s", d);

	d[0] = '\0';
	ok = sandbox_probe_child(sandbox_probe_rlimits, NULL, d, sizeof d);
	sandbox_probe_set(SB_RLIMITS, ok, ok ? "core 0, nofile" : "%s", d);

	sandbox_probed = 1;
	for (l = 0; l < SB_NLAYERS; l++) {
		if (sandbox_avail & (1u << l))
			log_debug("sandbox: %s: %s", config_layer_name(l),
			    sandbox_detail[l]);
		else
			log_warnx("sandbox: layer %s unavailable: %s",
			    config_layer_name(l), sandbox_detail[l]);
	}
	log_info("sandbox layers available: %s",
	    sandbox_layers_format(sandbox_avail, names, sizeof names));
}

/* The layers the probe found. */
unsigned
sandbox_available(void)
{
	return (sandbox_avail);
}

/* Which required layers a session would lack. */
unsigned
sandbox_missing(int enabled, unsigned required, char *buf, size_t len)
{
	unsigned	missing;

	missing = enabled ? required & ~sandbox_avail : required;
	sandbox_layers_format(missing, buf, len);
	return (missing);
}

/* GET /healthz's "sandbox" object. */
struct json_object *
sandbox_health(int enabled)
{
	struct json_object	*o, *layers, *l, *missing;
	int			 i;

	o = json_object_new_object();
	json_object_object_add(o, "enabled",
	    json_object_new_boolean(enabled));
	layers = json_object_new_object();
	missing = json_object_new_array();
	for (i = 0; i < SB_NLAYERS; i++) {
		l = json_object_new_object();
		json_object_object_add(l, "available", json_object_new_boolean(
		    (sandbox_avail & (1u << i)) != 0));
		json_object_object_add(l, "detail", json_object_new_string(
		    sandbox_probed ? sandbox_detail[i] : "not probed"));
		json_object_object_add(layers, config_layer_name(i), l);
		if ((sandbox_avail & (1u << i)) == 0)
			json_object_array_add(missing,
			    json_object_new_string(config_layer_name(i)));
	}
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "missing", missing);
	return (o);
}
