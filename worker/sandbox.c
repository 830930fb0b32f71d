/*
 * The agent's sandbox (DESIGN section 9).
 *
 * sandbox_spawn() clones "init" into new mount, pid, ipc, uts and network
 * namespaces (and a user namespace when the worker is not root). The
 * network namespace is never given up: without it the session fails, as
 * it would otherwise share the host's loopback and runnerd's listeners.
 * The worker holds init on a socketpair until it has joined the session's
 * cgroup; init then builds a read-only view of the host in which only the
 * session's workspace and a private /tmp are writable and runnerd's own
 * directories are empty, opens the proxy bridge's listening sockets, and
 * forks the agent and then the bridge. The agent takes its identity,
 * rlimits, no_new_privs, Landlock and one seccomp filter, sends the
 * filter's listener (exec policy) to the worker and execs the CLI. Init
 * stays as pid 1: it reaps every orphan and, when the agent exits,
 * reports the agent's wait status to the worker on the same socketpair,
 * since a pid 1 cannot die of the agent's signal itself.
 *
 * Every layer is applied by one function that can say why it failed. A
 * layer that fails is fatal to the session when the config requires it
 * (the network layer always), and is logged otherwise. The supervisor
 * probes each layer once at start-up (sandbox_probe) for the log, /healthz
 * and sandbox_required.
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

#include "cgroup.h"
#include "conf.h"
#include "log.h"
#include "proxy.h"
#include "sandbox.h"
#include "spawn.h"
#include "util.h"
#include "workspace.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

_Static_assert(SANDBOX_PROXY_PORT == PROXY_PORT, "one proxy port");

#define SANDBOX_SETUP_MS	10000	/* for init and the agent to be ready */
#define SANDBOX_MSG_MAX		512
#define SANDBOX_DETAIL_MAX	160

/* Descriptors in init and the agent. */
#define SANDBOX_CTL_FD		3	/* the socketpair to the worker */
#define SANDBOX_PROXY_FD	4	/* to the worker's proxy */

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

/* Landlock beyond the ABI 1-2 definitions of older headers. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER		(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)
#endif
#define SANDBOX_LL_SCOPE_ABSTRACT_UNIX		(1ULL << 0)
#define SANDBOX_LL_SCOPE_SIGNAL			(1ULL << 1)

/* The kernel's struct as of ABI 6; older kernels take a zeroed tail. */
struct sandbox_ll_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

static const char *const sandbox_layer_names[SB_NLAYERS] = {
	"identity", "namespaces", "network", "landlock", "seccomp",
	"exec_policy", "cgroup", "rlimits"
};

/* What the supervisor's probe found. */
static int	sandbox_probed;
static unsigned	sandbox_avail = SANDBOX_ALL;
static char	sandbox_detail[SB_NLAYERS][SANDBOX_DETAIL_MAX];

/* Places no agent may see, whatever the config says. */
static const char *const sandbox_hidden_always[] = { "/etc/runnerd" };

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

/* A layer's name, for logs, /healthz and the config. */
const char *
sandbox_layer_name(int l)
{
	if (l < 0 || l >= SB_NLAYERS)
		return (NULL);
	return (sandbox_layer_names[l]);
}

/* sandbox_required's names (or ["all"]) as a mask of layers. */
int
sandbox_layers_parse(char **names, unsigned *mask, char *cause,
    size_t causelen)
{
	size_t	i;
	int	l;

	*mask = 0;
	for (i = 0; names != NULL && names[i] != NULL; i++) {
		if (strcmp(names[i], "all") == 0) {
			if (i != 0 || names[1] != NULL) {
				CAUSE("\"all\" must be alone");
				return (-1);
			}
			*mask = SANDBOX_ALL;
			return (0);
		}
		for (l = 0; l < SB_NLAYERS; l++)
			if (strcmp(names[i], sandbox_layer_names[l]) == 0)
				break;
		if (l == SB_NLAYERS) {
			CAUSE("unknown layer \"%.64s\" (layers: identity, "
			    "namespaces, network, landlock, seccomp, "
			    "exec_policy, cgroup, rlimits, or \"all\")",
			    names[i]);
			return (-1);
		}
		*mask |= 1u << l;
	}
	return (0);
}

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
		    "", sandbox_layer_names[l]);
		if (n < 0 || (size_t)n >= len - used) {
			/* Cut at a whole name. */
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	return (buf);
}

/*
 * The seccomp filter. Escape and kernel-attack syscalls fail with EPERM;
 * clone3 with ENOSYS, so that libc falls back to clone, whose flags the
 * filter can read (clone3's are behind a pointer); execve and execveat
 * notify the worker when exec policy is wanted. The default is to allow:
 * this is a deny list on top of the other layers, not a whitelist.
 */
static const int sandbox_denied[] = {
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(pidfd_getfd),
	SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
	SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(fsopen),
	SCMP_SYS(fsmount), SCMP_SYS(fsconfig), SCMP_SYS(fspick),
	SCMP_SYS(mount_setattr), SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load), SCMP_SYS(bpf), SCMP_SYS(keyctl),
	SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(perf_event_open),
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register), SCMP_SYS(userfaultfd),
	SCMP_SYS(init_module), SCMP_SYS(finit_module),
	SCMP_SYS(delete_module), SCMP_SYS(reboot), SCMP_SYS(swapon),
	SCMP_SYS(swapoff), SCMP_SYS(setns), SCMP_SYS(acct),
	SCMP_SYS(quotactl), SCMP_SYS(lookup_dcookie),
	SCMP_SYS(open_by_handle_at)
};

/*
 * personality(2): only the values a normal program uses (PER_LINUX,
 * PER_LINUX32, UNAME26 and their sum, and 0xffffffff, the query). One
 * masked comparison per rule (libseccomp allows no more on one argument):
 * a value with bit 31 clear may only hold bits 3 and 17; a value with bit
 * 31 set must be all ones.
 */
static int
sandbox_seccomp_personality(scmp_filter_ctx ctx)
{
	const uint32_t	allowed = 0x0008 | 0x20000, top = 0x80000000u;
	uint32_t	bit;
	int		i, rc;

	for (i = 0; i < 31; i++) {
		bit = 1u << i;
		if ((bit & allowed) == 0 && (rc = seccomp_rule_add(ctx,
		    SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, top | bit, bit))) != 0)
			return (rc);
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(personality), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, top | bit, top))) != 0)
			return (rc);
	}
	return (0);
}

/* The deny list (see sandbox_denied) into ctx. */
static int
sandbox_seccomp_deny(scmp_filter_ctx ctx)
{
	size_t	i;
	int	rc;

	for (i = 0; i < nitems(sandbox_denied); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    sandbox_denied[i], 0)) != 0)
			return (rc);
	/* No new user namespace: it would give back every capability. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
	    CLONE_NEWUSER))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
	    CLONE_NEWUSER))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) != 0)
		return (rc);
	/*
	 * Typing into the terminal, and the console's own ioctl. The command
	 * is an int: only its low 32 bits count, whatever the register's
	 * upper half holds.
	 */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
	    TIOCSTI))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
	    TIOCLINUX))) != 0)
		return (rc);
	return (sandbox_seccomp_personality(ctx));
}

/* Build and load the agent's filter (see sandbox_denied); its listener. */
int
sandbox_seccomp_load(int what, int *fd, char *cause, size_t causelen)
{
	scmp_filter_ctx	ctx;
	int		rc, nfd;

	if (fd != NULL)
		*fd = -1;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		CAUSE("seccomp_init failed");
		return (-1);
	}
	/* Root needs no no_new_privs to load a filter; keep setuid as is. */
	if (geteuid() == 0 && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP,
	    0)) != 0)
		goto fail;
	if ((what & SANDBOX_SECCOMP_DENY) && (rc = sandbox_seccomp_deny(ctx))
	    != 0)
		goto fail;
	if (what & SANDBOX_SECCOMP_NOTIFY) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
		    SCMP_SYS(execve), 0)) != 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
		    SCMP_SYS(execveat), 0)) != 0)
			goto fail;
	}
	if ((rc = seccomp_load(ctx)) != 0)
		goto fail;
	if (what & SANDBOX_SECCOMP_NOTIFY) {
		if ((nfd = seccomp_notify_fd(ctx)) < 0) {
			rc = nfd;
			goto fail;
		}
		/* Ours, not libseccomp's: it closes its own on release. */
		*fd = fcntl(nfd, F_DUPFD_CLOEXEC, 3);
		if (*fd == -1) {
			rc = -errno;
			goto fail;
		}
	}
	seccomp_release(ctx);
	return (0);

fail:
	CAUSE("seccomp: %s", strerror(rc < 0 ? -rc : EINVAL));
	seccomp_release(ctx);
	return (-1);
}

/* The kernel's Landlock ABI, 0 without Landlock. */
int
sandbox_landlock_abi(void)
{
	long	abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return (abi < 0 ? 0 : (int)abi);
}

/* The filesystem rights Landlock ABI abi knows. */
static uint64_t
sandbox_landlock_fs(int abi)
{
	uint64_t	fs;

	fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	/*
	 * ABI 5's IOCTL_DEV is left unhandled on purpose: programs ioctl
	 * their terminal (window size, modes); TIOCSTI is seccomp's.
	 */
	return (fs);
}

/* Allow access under path; a path that does not exist is skipped. */
static int
sandbox_landlock_rule(int rfd, const char *path, uint64_t access,
    char *cause, size_t causelen)
{
	struct landlock_path_beneath_attr	pb;
	struct stat				st;
	int					fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		CAUSE("landlock: %s: %s", path, strerror(errno));
		return (-1);
	}
	/* Only directories have a "beneath"; a file takes file rights. */
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LANDLOCK_ACCESS_FS_EXECUTE |
		    LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	memset(&pb, 0, sizeof pb);
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1) {
		CAUSE("landlock: rule for %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/*
 * Landlock: read and execute everything, write only beneath the given
 * paths and to the usual devices. With ABI 6, no signals to processes
 * outside the domain and no abstract Unix sockets outside it. The caller
 * has set no_new_privs (or is root). Best effort for older ABIs: each
 * gets the rights it knows.
 */
int
sandbox_landlock_apply(const char *const *writable, char *cause,
    size_t causelen)
{
	static const char *const devices[] = { "/dev/null", "/dev/zero",
		"/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
		"/dev/ptmx", "/dev/pts", "/dev/shm" };
	struct sandbox_ll_attr	 attr;
	uint64_t		 fs, rd;
	size_t			 i;
	int			 abi, rfd;

	if ((abi = sandbox_landlock_abi()) <= 0) {
		CAUSE("landlock: not available in this kernel");
		return (-1);
	}
	fs = sandbox_landlock_fs(abi);
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = fs;
	if (abi >= 6)
		attr.scoped = SANDBOX_LL_SCOPE_ABSTRACT_UNIX |
		    SANDBOX_LL_SCOPE_SIGNAL;
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof (uint64_t) :
	    sizeof (uint64_t), 0);
	if (rfd == -1) {
		CAUSE("landlock: create ruleset: %s", strerror(errno));
		return (-1);
	}
	rd = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR;
	if (sandbox_landlock_rule(rfd, "/", rd, cause, causelen) == -1)
		goto fail;
	for (i = 0; writable != NULL && writable[i] != NULL; i++)
		if (sandbox_landlock_rule(rfd, writable[i], fs, cause,
		    causelen) == -1)
			goto fail;
	for (i = 0; i < nitems(devices); i++)
		if (sandbox_landlock_rule(rfd, devices[i], rd |
		    LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 3 ?
		    LANDLOCK_ACCESS_FS_TRUNCATE : 0) |
		    (strcmp(devices[i], "/dev/shm") == 0 ? fs : 0), cause,
		    causelen) == -1)
			goto fail;
	if (syscall(SYS_landlock_restrict_self, rfd, 0) == -1) {
		CAUSE("landlock: restrict self: %s", strerror(errno));
		goto fail;
	}
	close(rfd);
	return (0);

fail:
	close(rfd);
	return (-1);
}

/* Send one message, with a descriptor when fd is not -1. */
static int
sandbox_send(int sock, char type, const void *data, size_t len, int fd)
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
static ssize_t
sandbox_recv(int sock, char *type, char *buf, size_t len, int *fd)
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

/* A line on the session's terminal (fd 2 is the pty in the child). */
static void
sandbox_say(const char *fmt, ...)
{
	char	buf[SANDBOX_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "runnerd: sandbox: %s\r\n", buf);
}

/* Setup failed in the child: tell the terminal and the worker, then die. */
static void __attribute__((noreturn))
sandbox_die(const char *fmt, ...)
{
	char	buf[SANDBOX_MSG_MAX - 1];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sandbox_say("%s", buf);
	sandbox_send(SANDBOX_CTL_FD, SANDBOX_MSG_FAIL, buf, strlen(buf), -1);
	_exit(127);
}

/* A layer could not be applied: fatal when required, else reported. */
static void
sandbox_layer_failed(const struct sandbox_ctx *c, int l, const char *why)
{
	char	buf[SANDBOX_MSG_MAX - 1];

	if (c->pol->required & (1u << l))
		sandbox_die("required layer %s failed: %s",
		    sandbox_layer_names[l], why);
	snprintf(buf, sizeof buf, "layer %s not applied: %s",
	    sandbox_layer_names[l], why);
	sandbox_send(SANDBOX_CTL_FD, SANDBOX_MSG_WARN, buf, strlen(buf), -1);
}

/* Apply the attributes in set to a detached tree, recursively. */
static int
sandbox_tree_attr(int tree, uint64_t set)
{
	struct mount_attr	attr;

	memset(&attr, 0, sizeof attr);
	attr.attr_set = set;
	return (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
	    sizeof attr));
}

/* A private copy of the tree at path, with set added; -1 with a cause. */
static int
sandbox_tree(const char *path, uint64_t set, char *cause, size_t causelen)
{
	int	tree;

	tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_RECURSIVE);
	if (tree == -1) {
		CAUSE("open_tree %s: %s", path, strerror(errno));
		return (-1);
	}
	if (set != 0 && sandbox_tree_attr(tree, set) == -1) {
		CAUSE("mount_setattr %s: %s", path, strerror(errno));
		close(tree);
		return (-1);
	}
	return (tree);
}

/* Attach a detached tree at path, creating the mount point as needed. */
static int
sandbox_attach(int tree, const char *path, char *cause, size_t causelen)
{
	struct stat	 st;
	char		*dir, *slash;
	int		 fd;

	if (fstat(tree, &st) == -1) {
		CAUSE("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir_p(path, 0755) == -1) {
			CAUSE("mkdir %s: %s", path, strerror(errno));
			return (-1);
		}
	} else if (access(path, F_OK) == -1) {
		dir = xstrdup(path);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir_p(dir, 0755) == -1) {
				CAUSE("mkdir %s: %s", dir, strerror(errno));
				free(dir);
				return (-1);
			}
		}
		free(dir);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644))
		    == -1) {
			CAUSE("create %s: %s", path, strerror(errno));
			return (-1);
		}
		close(fd);
	}
	if (move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH)
	    == -1) {
		CAUSE("move_mount %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* A tmpfs at path: nosuid, nodev, with the given options. */
static int
sandbox_tmpfs(const char *path, const char *opts, char *cause,
    size_t causelen)
{
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) == -1) {
		CAUSE("tmpfs on %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Whether path is a directory to hide: any but the root that exists in
 * the view (under a place already hidden it no longer does).
 */
static int
sandbox_hideable(const char *path)
{
	struct stat	st;

	return (path != NULL && path[0] == '/' && path[1] != '\0' &&
	    stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/*
 * Detach every mount at or below one of dirs, so that the view's
 * mountinfo does not name them: a tmpfs over a place hides its files but
 * still lists the mounts below it (other sessions' overlays with their
 * ids, upper dirs and cache keys). The table is read once, then undone
 * from the last mount to the first, children before their parents.
 */
static int
sandbox_detach_under(const char *const *dirs, size_t ndirs, char *cause,
    size_t causelen)
{
	FILE	 *f;
	char	 *line = NULL, *mp, **mps = NULL, **real, buf[PATH_MAX];
	size_t	  linesize = 0, n = 0, i, j;
	int	  rv = 0;

	/* Resolved once: a symlinked place still names its mounts. */
	real = xcalloc(ndirs + 1, sizeof *real);
	for (j = 0; j < ndirs; j++)
		if (dirs[j] != NULL && realpath(dirs[j], buf) != NULL &&
		    strcmp(buf, "/") != 0)
			real[j] = xstrdup(buf);
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL) {
		CAUSE("mountinfo: %s", strerror(errno));
		rv = -1;
		goto out;
	}
	while (getline(&line, &linesize, f) != -1) {
		if ((mp = mountinfo_point(line)) == NULL)
			continue;
		for (j = 0; j < ndirs; j++) {
			if (real[j] == NULL || !workspace_path_under(mp, real[j]))
				continue;
			mps = xrealloc(mps, (n + 1) * sizeof *mps);
			mps[n++] = xstrdup(mp);
			break;
		}
	}
	free(line);
	fclose(f);
	for (i = n; i > 0; i--) {
		if (umount2(mps[i - 1], MNT_DETACH | UMOUNT_NOFOLLOW) == -1 &&
		    errno != EINVAL && errno != ENOENT && rv == 0) {
			CAUSE("detaching %s: %s", mps[i - 1], strerror(errno));
			rv = -1;
		}
		free(mps[i - 1]);
	}
	free(mps);
out:
	for (j = 0; j < ndirs; j++)
		free(real[j]);
	free(real);
	return (rv);
}

/*
 * Build the agent's view and move into it. Copies of the trees are taken
 * first, while the host's paths are still there to name them: the whole
 * of / (read-only, nosuid), the workspace (read-write) and each exposed
 * path (read-only). The root copy becomes / through pivot_root. Every
 * mount below what the view replaces or hides is detached, so that
 * mountinfo names no other session, upper dir or cache key; over the
 * root then go a private /tmp (holding HOME), empty read-only tmpfs over
 * runnerd's directories (their files: the state dir with its socket, the
 * cache, other sessions' empty mount points), the exposed paths, the
 * workspace at its own path, a /dev/shm and a /proc of the new pid
 * namespace.
 */
static int
sandbox_view(struct sandbox_ctx *c, char *cause, size_t causelen)
{
	const struct sandbox_policy	*pol = c->pol;
	const char			*hide[nitems(pol->hide) +
					    nitems(sandbox_hidden_always)];
	const char			*detach[nitems(pol->hide) +
					    nitems(sandbox_hidden_always) + 2];
	struct mount_attr		 attr;
	int				 root = -1, ws = -1, *exp = NULL;
	size_t				 nexp, i, nhide = 0;
	char				 why[256], home[] = SANDBOX_HOME;
	int				 rv = -1;

	nexp = strv_len(pol->expose);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		CAUSE("making / private: %s", strerror(errno));
		return (-1);
	}
	if ((root = sandbox_tree("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID,
	    cause, causelen)) == -1)
		return (-1);
	if ((ws = sandbox_tree(pol->workspace, MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NODEV, cause, causelen)) == -1)
		goto out;
	exp = xcalloc(nexp + 1, sizeof *exp);
	for (i = 0; i < nexp; i++) {
		exp[i] = sandbox_tree(pol->expose[i], MOUNT_ATTR_RDONLY |
		    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, why, sizeof why);
		if (exp[i] == -1)
			sandbox_send(SANDBOX_CTL_FD, SANDBOX_MSG_WARN, why,
			    strlen(why), -1);
	}

	/*
	 * pivot_root needs the new root mounted somewhere: on a scratch
	 * tmpfs over this namespace's /tmp, which leaves with the old root.
	 */
	if (sandbox_tmpfs("/tmp", "mode=0700,size=64k", cause, causelen) == -1)
		goto out;
	if (mkdir("/tmp/root", 0700) == -1) {
		CAUSE("mkdir /tmp/root: %s", strerror(errno));
		goto out;
	}
	if (move_mount(root, "", AT_FDCWD, "/tmp/root",
	    MOVE_MOUNT_F_EMPTY_PATH) == -1) {
		CAUSE("move_mount /: %s", strerror(errno));
		goto out;
	}
	/* pivot_root(".", "."): the old root lands on top, then goes. */
	if (chdir("/tmp/root") == -1 ||
	    syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1) {
		CAUSE("pivot_root: %s", strerror(errno));
		goto out;
	}

	/* Sorted by length: a place under one already hidden is gone. */
	for (i = 0; i < nitems(pol->hide); i++)
		if (pol->hide[i] != NULL)
			hide[nhide++] = pol->hide[i];
	for (i = 0; i < nitems(sandbox_hidden_always); i++)
		hide[nhide++] = sandbox_hidden_always[i];
	/*
	 * What the view replaces goes first, mounts and all: the host's
	 * /tmp and /dev/shm, and every hidden place. The copies of the
	 * workspace and the exposed paths were taken above and stay.
	 */
	for (i = 0; i < nhide; i++)
		detach[i] = hide[i];
	detach[nhide] = "/tmp";
	detach[nhide + 1] = "/dev/shm";
	if (sandbox_detach_under(detach, nhide + 2, cause, causelen) == -1)
		goto out;
	if (sandbox_tmpfs("/tmp", "mode=1777", cause, causelen) == -1)
		goto out;
	if (mkdir(home, 0700) == -1 || chown(home, c->uid, c->gid) == -1) {
		CAUSE("%s: %s", home, strerror(errno));
		goto out;
	}
	for (i = 0; i < nhide; i++) {
		size_t	j, k = i;

		for (j = i + 1; j < nhide; j++)
			if (strlen(hide[j]) < strlen(hide[k]))
				k = j;
		if (k != i) {
			const char *t = hide[i];

			hide[i] = hide[k];
			hide[k] = t;
		}
		if (!sandbox_hideable(hide[i]))
			continue;
		if (sandbox_tmpfs(hide[i], "mode=0755,size=1m", cause,
		    causelen) == -1)
			goto out;
	}
	for (i = 0; i < nexp; i++) {
		if (exp[i] != -1 && sandbox_attach(exp[i], pol->expose[i], why,
		    sizeof why) == -1)
			sandbox_send(SANDBOX_CTL_FD, SANDBOX_MSG_WARN, why,
			    strlen(why), -1);
	}
	/* Last, so that no exposed path covers it. */
	if (sandbox_attach(ws, pol->workspace, cause, causelen) == -1)
		goto out;
	/* The hiding tmpfs held mount points only: read-only from now. */
	memset(&attr, 0, sizeof attr);
	attr.attr_set = MOUNT_ATTR_RDONLY;
	for (i = 0; i < nhide; i++) {
		if (mount_setattr(AT_FDCWD, hide[i], 0, &attr,
		    sizeof attr) == -1 && errno != ENOENT && errno != EINVAL) {
			CAUSE("read-only %s: %s", hide[i], strerror(errno));
			goto out;
		}
	}
	if (access("/dev/shm", F_OK) == 0 &&
	    sandbox_tmpfs("/dev/shm", "mode=1777", cause, causelen) == -1)
		goto out;
	if ((c->nsflags & CLONE_NEWPID) && mount("proc", "/proc", "proc",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1) {
		CAUSE("mount /proc: %s", strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (root != -1)
		close(root);
	if (ws != -1)
		close(ws);
	for (i = 0; exp != NULL && i < nexp; i++)
		if (exp[i] != -1)
			close(exp[i]);
	free(exp);
	return (rv);
}

/* The loopback of a new network namespace starts down. */
static int
sandbox_lo_up(char *cause, size_t causelen)
{
	struct ifreq	ifr;
	int		s;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		CAUSE("socket: %s", strerror(errno));
		return (-1);
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) {
		CAUSE("lo: %s", strerror(errno));
		close(s);
		return (-1);
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
		CAUSE("lo up: %s", strerror(errno));
		close(s);
		return (-1);
	}
	close(s);
	return (0);
}

/* Default dispositions and an empty mask. */
static void
sandbox_signals_reset(void)
{
	sigset_t	set;
	int		sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* rlimits: no core dumps (they could hold secrets), at most nofile_max. */
static int
sandbox_rlimits(const struct sandbox_ctx *c, char *cause, size_t causelen)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1) {
		CAUSE("RLIMIT_CORE: %s", strerror(errno));
		return (-1);
	}
	if (c->pol->nofile_max > 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
			CAUSE("RLIMIT_NOFILE: %s", strerror(errno));
			return (-1);
		}
		/* Raising the hard limit needs root; lowering it does not. */
		if (geteuid() == 0 || rl.rlim_max == RLIM_INFINITY ||
		    (rlim_t)c->pol->nofile_max < rl.rlim_max)
			rl.rlim_max = (rlim_t)c->pol->nofile_max;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			CAUSE("RLIMIT_NOFILE %ld: %s", c->pol->nofile_max,
			    strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/*
 * Identity: as root, drop the capability bounding set and become the
 * sandbox uid and gid with no supplementary groups. In a user namespace
 * the uid is already the worker's own, mapped to itself, and exec drops
 * the namespace's capabilities.
 */
static int
sandbox_identity(const struct sandbox_ctx *c, char *cause, size_t causelen)
{
	int	cap;

	/* Neither root nor a namespace: the worker has reported it. */
	if (geteuid() != 0 && !c->rootless)
		return (0);
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL) {
			CAUSE("dropping capability %d: %s", cap,
			    strerror(errno));
			return (-1);
		}
	if (c->rootless)
		return (0);
	if (setgroups(0, NULL) == -1 ||
	    setresgid(c->gid, c->gid, c->gid) == -1 ||
	    setresuid(c->uid, c->uid, c->uid) == -1) {
		CAUSE("uid %ld gid %ld: %s", (long)c->uid, (long)c->gid,
		    strerror(errno));
		return (-1);
	}
	if (getuid() != c->uid || geteuid() != c->uid || getgid() != c->gid) {
		CAUSE("uid %ld gid %ld did not stick", (long)c->uid,
		    (long)c->gid);
		return (-1);
	}
	return (0);
}

/*
 * The agent, init's child: rlimits, identity, no_new_privs, Landlock and
 * seccomp, in that order (each needs the one before), the listener to the
 * worker, then the CLI. Without the view /tmp is the host's: Landlock
 * then lets it write in the workspace only.
 */
static void __attribute__((noreturn))
sandbox_agent(struct sandbox_ctx *c)
{
	const struct spawn	*sp = c->sp;
	const char		*writable[] = { c->pol->workspace,
				    c->viewed ? "/tmp" : NULL, NULL };
	char			 why[256];
	int			 nfd = -1, what;

	sandbox_signals_reset();
	close(SANDBOX_PROXY_FD);
	if (sandbox_rlimits(c, why, sizeof why) == -1)
		sandbox_layer_failed(c, SB_RLIMITS, why);
	if (sandbox_identity(c, why, sizeof why) == -1)
		sandbox_layer_failed(c, SB_IDENTITY, why);
	if (chdir(sp->cwd) == -1)
		sandbox_die("cannot enter %s: %s", sp->cwd, strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		sandbox_die("no_new_privs: %s", strerror(errno));
	if (sandbox_landlock_apply(writable, why, sizeof why) == -1)
		sandbox_layer_failed(c, SB_LANDLOCK, why);

	what = SANDBOX_SECCOMP_DENY;
	if (c->pol->exec_notify)
		what |= SANDBOX_SECCOMP_NOTIFY;
	if (sandbox_seccomp_load(what, &nfd, why, sizeof why) == -1 &&
	    (what & SANDBOX_SECCOMP_NOTIFY)) {
		sandbox_layer_failed(c, SB_EXEC_POLICY, why);
		what &= ~SANDBOX_SECCOMP_NOTIFY;
		if (sandbox_seccomp_load(what, &nfd, why, sizeof why) == -1)
			sandbox_layer_failed(c, SB_SECCOMP, why);
	} else if (nfd == -1 && (what & SANDBOX_SECCOMP_NOTIFY))
		sandbox_layer_failed(c, SB_SECCOMP, why);

	/*
	 * From here the worker returns to its loop, where the exec policy
	 * answers the notification of the execve below.
	 */
	if (nfd != -1) {
		if (sandbox_send(SANDBOX_CTL_FD, SANDBOX_MSG_NOTIFY, NULL, 0,
		    nfd) == -1)
			sandbox_die("sending the listener: %s",
			    strerror(errno));
		close(nfd);
	} else if (sandbox_send(SANDBOX_CTL_FD, SANDBOX_MSG_READY, NULL, 0,
	    -1) == -1)
		_exit(127);
	close_from(STDERR_FILENO + 1);
	execve(sp->path, sp->argv, sp->envp);
	sandbox_say("cannot run %s: %s", sp->path, strerror(errno));
	_exit(127);
}

/* The bridge to the session's proxy, init's other child. */
static void __attribute__((noreturn))
sandbox_bridge(const int *lfd, int nl)
{
	int	fd;

	sandbox_signals_reset();
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	close(SANDBOX_CTL_FD);
	proxy_bridge_serve(SANDBOX_PROXY_FD, lfd, nl);
}

/*
 * Init: wait for the worker's go, take the terminal, build the view, start
 * the bridge and the agent, then reap until the agent is gone and report
 * how it ended. The session's signals need no forwarding: the agent stays
 * in init's process group, the terminal's foreground group, so the
 * worker's killpg() and the terminal's ^C reach it directly (a forward
 * would deliver them twice), and SIGSTOP/SIGCONT freeze and thaw the
 * whole group. Init itself ignores them: as pid 1 it would anyway, and
 * without a pid namespace it must not die before the agent.
 */
static void __attribute__((noreturn))
sandbox_init(struct sandbox_ctx *c)
{
	char		why[256], type;
	pid_t		agent, pid;
	int		status, fd, sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
			    SIGTSTP, SIGTTIN, SIGTTOU };
	int		lfd[2], nl;
	size_t		i;
	ssize_t		n;

	/* Wait for the worker: the cgroup, the user namespace's maps. */
	n = sandbox_recv(SANDBOX_CTL_FD, &type, why, sizeof why, &fd);
	if (n <= 0 || type != SANDBOX_MSG_GO)
		_exit(127);
	if (setsid() == -1 || ioctl(STDIN_FILENO, TIOCSCTTY, 0) == -1)
		sandbox_die("controlling terminal: %s", strerror(errno));
	prctl(PR_SET_NAME, "runnerd-init", 0, 0, 0);
	if ((c->nsflags & CLONE_NEWPID) == 0)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if ((c->nsflags & CLONE_NEWUTS) && sethostname(SANDBOX_HOSTNAME,
	    strlen(SANDBOX_HOSTNAME)) == -1) {
		snprintf(why, sizeof why, "hostname: %s", strerror(errno));
		sandbox_layer_failed(c, SB_NAMESPACES, why);
	}
	if (c->nsflags & CLONE_NEWNS) {
		if (sandbox_view(c, why, sizeof why) == -1)
			sandbox_layer_failed(c, SB_NAMESPACES, why);
		else
			c->viewed = 1;
	}
	/*
	 * The proxy is the only way out; without it, no session. Its
	 * bridge listens before the agent runs (the agent stays pid 2).
	 */
	if ((c->nsflags & CLONE_NEWNET) == 0)
		sandbox_die("no network namespace");
	if (sandbox_lo_up(why, sizeof why) == -1)
		sandbox_die("network namespace: %s", why);
	if ((nl = proxy_bridge_listen(SANDBOX_PROXY_PORT, lfd)) == -1)
		sandbox_die("proxy bridge: %s", strerror(errno));

	for (i = 0; i < nitems(sigs); i++)
		signal(sigs[i], SIG_IGN);
	switch (agent = fork()) {
	case -1:
		sandbox_die("fork: %s", strerror(errno));
	case 0:
		sandbox_agent(c);
	}
	switch (fork()) {
	case -1:
		sandbox_die("fork: %s", strerror(errno));
	case 0:
		sandbox_bridge(lfd, nl);
	}
	close(SANDBOX_PROXY_FD);
	for (i = 0; i < (size_t)nl; i++)
		close(lfd[i]);
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid == agent)
			break;
		if (pid == -1 && errno != EINTR)
			_exit(127);
	}
	sandbox_send(SANDBOX_CTL_FD, SANDBOX_MSG_STATUS, &status,
	    sizeof status, -1);
	/* Only if the report is lost: a shell's encoding. */
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
}

/*
 * The clone child, before init proper: die with the worker, put the pty
 * on 0, 1, 2, the socketpairs on 3 and 4, and close everything else.
 */
static void __attribute__((noreturn))
sandbox_child(struct sandbox_ctx *c, int slave, int ctl, int px)
{
	sandbox_signals_reset();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((slave = fcntl(slave, F_DUPFD, 10)) == -1 ||
	    (ctl = fcntl(ctl, F_DUPFD, 10)) == -1 ||
	    (px != -1 && (px = fcntl(px, F_DUPFD, 10)) == -1))
		_exit(127);
	if (dup2(slave, STDIN_FILENO) == -1 ||
	    dup2(slave, STDOUT_FILENO) == -1 ||
	    dup2(slave, STDERR_FILENO) == -1 ||
	    dup2(ctl, SANDBOX_CTL_FD) == -1 ||
	    (px != -1 && dup2(px, SANDBOX_PROXY_FD) == -1))
		_exit(127);
	close_from(px != -1 ? SANDBOX_PROXY_FD + 1 : SANDBOX_CTL_FD + 1);
	sandbox_init(c);
}

/* Map the worker's uid and gid to themselves in init's user namespace. */
static int
sandbox_userns_map(pid_t pid, char *cause, size_t causelen)
{
	char	path[64], map[64];
	struct {
		const char	*file;
		const char	*text;
	} w[3];
	size_t	i;
	int	fd;
	ssize_t	n;
	char	umap[32], gmap[32];

	snprintf(umap, sizeof umap, "%ld %ld 1\n", (long)geteuid(),
	    (long)geteuid());
	snprintf(gmap, sizeof gmap, "%ld %ld 1\n", (long)getegid(),
	    (long)getegid());
	w[0].file = "setgroups";
	w[0].text = "deny";
	w[1].file = "uid_map";
	w[1].text = umap;
	w[2].file = "gid_map";
	w[2].text = gmap;
	for (i = 0; i < nitems(w); i++) {
		snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid,
		    w[i].file);
		snprintf(map, sizeof map, "%s", w[i].text);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1) {
			CAUSE("%s: %s", path, strerror(errno));
			return (-1);
		}
		n = write(fd, map, strlen(map));
		if (n != (ssize_t)strlen(map)) {
			CAUSE("%s: %s", path, n == -1 ? strerror(errno) :
			    "short write");
			close(fd);
			return (-1);
		}
		close(fd);
	}
	return (0);
}

/* In the worker: a layer failed; -1 (with the cause) when it is required. */
static int
sandbox_worker_layer(const struct sandbox_policy *pol, unsigned layers,
    const char *why, char *cause, size_t causelen)
{
	char	names[128];

	sandbox_layers_format(layers, names, sizeof names);
	if (pol->required & layers) {
		CAUSE("sandbox: required layer %s failed: %s", names, why);
		return (-1);
	}
	log_warnx("sandbox: layer %s not applied: %s", names, why);
	return (0);
}

/*
 * Wait for the agent to be ready to exec (or for the reason it is not),
 * logging what failed on the way. The listener, or -1; -2 on failure.
 */
static int
sandbox_wait_ready(int ctl, char *cause, size_t causelen)
{
	struct pollfd	pfd;
	char		buf[SANDBOX_MSG_MAX], type;
	int64_t		deadline, left;
	ssize_t		n;
	int		fd, rc;

	deadline = mono_ms() + SANDBOX_SETUP_MS;
	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0) {
			CAUSE("sandbox: not ready after %d ms",
			    SANDBOX_SETUP_MS);
			return (-2);
		}
		pfd.fd = ctl;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, (int)left)) == -1 && errno != EINTR) {
			CAUSE("sandbox: poll: %s", strerror(errno));
			return (-2);
		}
		if (rc <= 0)
			continue;
		n = sandbox_recv(ctl, &type, buf, sizeof buf, &fd);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			CAUSE("sandbox: setup failed (init exited)");
			return (-2);
		}
		switch (type) {
		case SANDBOX_MSG_WARN:
			log_warnx("sandbox: %s", buf);
			break;
		case SANDBOX_MSG_FAIL:
			CAUSE("sandbox: %s", buf);
			return (-2);
		case SANDBOX_MSG_NOTIFY:
			if (fd == -1) {
				CAUSE("sandbox: listener missing");
				return (-2);
			}
			return (fd);
		case SANDBOX_MSG_READY:
			return (-1);
		}
		if (fd != -1)
			close(fd);
	}
}

/* Start init and the agent in the sandbox (see the top of this file). */
int
sandbox_spawn(const struct spawn *sp, const struct sandbox_policy *pol,
    struct cgroup *cg, struct sandbox_proc *out, char *cause,
    size_t causelen)
{
	struct sandbox_ctx	 c;
	struct termios		 tio;
	struct winsize		 ws;
	char			 why[256];
	int			 master = -1, slave = -1, ctl[2] = { -1, -1 };
	int			 px[2] = { -1, -1 }, flags, full, nfd;
	pid_t			 pid;

	memset(out, 0, sizeof *out);
	out->pid = -1;
	out->master = out->notify_fd = out->proxy_fd = out->status_fd = -1;
	memset(&c, 0, sizeof c);
	c.sp = sp;
	c.pol = pol;
	c.rootless = geteuid() != 0;
	c.uid = c.rootless ? geteuid() : pol->uid;
	c.gid = c.rootless ? getegid() : pol->gid;

	if (cg == NULL && (pol->required & (1u << SB_CGROUP))) {
		CAUSE("sandbox: required layer cgroup failed: the session has "
		    "no cgroup");
		return (-1);
	}
	spawn_termios(&tio);
	memset(&ws, 0, sizeof ws);
	ws.ws_col = sp->cols > 0 ? (unsigned short)sp->cols : SPAWN_COLS;
	ws.ws_row = sp->rows > 0 ? (unsigned short)sp->rows : SPAWN_ROWS;
	if (openpty(&master, &slave, NULL, &tio, &ws) == -1) {
		CAUSE("cannot create a pty: %s", strerror(errno));
		return (-1);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, px) == -1) {
		CAUSE("socketpair: %s", strerror(errno));
		goto fail;
	}

	full = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
	    CLONE_NEWNET;
	if (c.rootless)
		full |= CLONE_NEWUSER;
	flags = full;
	pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0,
	    0, 0);
	if (pid == -1) {
		/* The other namespaces may go (if not required); never net. */
		snprintf(why, sizeof why, "clone: %s", strerror(errno));
		if (sandbox_worker_layer(pol, 1u << SB_NAMESPACES, why, cause,
		    causelen) == -1)
			goto fail;
		flags = CLONE_NEWNET | (c.rootless ? CLONE_NEWUSER : 0);
		pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD,
		    0, 0, 0, 0);
	}
	if (pid == -1) {
		CAUSE("sandbox: no network namespace for the session (clone: "
		    "%s); a sandboxed session never shares the host's network",
		    strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		c.nsflags = flags;
		c.rootless = c.rootless && (flags & CLONE_NEWUSER);
		close(master);
		close(ctl[0]);
		if (px[0] != -1)
			close(px[0]);
		sandbox_child(&c, slave, ctl[1], px[1]);
	}
	close(slave);
	slave = -1;
	close(ctl[1]);
	ctl[1] = -1;
	if (px[1] != -1) {
		close(px[1]);
		px[1] = -1;
	}

	if ((flags & CLONE_NEWUSER) && sandbox_userns_map(pid, why,
	    sizeof why) == -1) {
		CAUSE("sandbox: user namespace: %s", why);
		goto kill;
	}
	if (cg != NULL && cgroup_attach(cg, pid, why, sizeof why) == -1 &&
	    sandbox_worker_layer(pol, 1u << SB_CGROUP, why, cause,
	    causelen) == -1)
		goto kill;
	if (sandbox_send(ctl[0], SANDBOX_MSG_GO, NULL, 0, -1) == -1) {
		CAUSE("sandbox: %s", strerror(errno));
		goto kill;
	}
	if ((nfd = sandbox_wait_ready(ctl[0], cause, causelen)) == -2)
		goto kill;
	if (set_nonblock(master) == -1 || set_cloexec(master) == -1 ||
	    set_nonblock(ctl[0]) == -1) {
		CAUSE("pty: %s", strerror(errno));
		if (nfd != -1)
			close(nfd);
		goto kill;
	}
	out->pid = pid;
	out->master = master;
	out->notify_fd = nfd;
	out->proxy_fd = px[0];
	out->status_fd = ctl[0];
	return (0);

kill:
	/* The worker's SIGCHLD handler reaps it. */
	kill(pid, SIGKILL);
fail:
	if (master != -1)
		close(master);
	if (slave != -1)
		close(slave);
	if (ctl[0] != -1)
		close(ctl[0]);
	if (ctl[1] != -1)
		close(ctl[1]);
	if (px[0] != -1)
		close(px[0]);
	if (px[1] != -1)
		close(px[1]);
	return (-1);
}

/* The agent's wait status from init's report, else init's own. */
int
sandbox_status(int fd, int status)
{
	char	type, buf[SANDBOX_MSG_MAX];
	int	agent, pfd;
	ssize_t	n;

	while ((n = sandbox_recv(fd, &type, buf, sizeof buf, &pfd)) > 0) {
		if (pfd != -1)
			close(pfd);
		if (type == SANDBOX_MSG_STATUS &&
		    (size_t)n == 1 + sizeof agent) {
			memcpy(&agent, buf, sizeof agent);
			return (agent);
		}
	}
	return (status);
}

/* In a plain child (no sandbox): a notify-only filter, its listener sent. */
int
sandbox_notify_child(int sock, char *cause, size_t causelen)
{
	int	fd;

	if (sandbox_seccomp_load(SANDBOX_SECCOMP_NOTIFY, &fd, cause,
	    causelen) == -1) {
		sandbox_send(sock, SANDBOX_MSG_WARN, cause, strlen(cause), -1);
		return (-1);
	}
	if (sandbox_send(sock, SANDBOX_MSG_NOTIFY, NULL, 0, fd) == -1) {
		CAUSE("sending the listener: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/* In the worker: the listener a child sent, or -1 with why not. */
int
sandbox_notify_recv(int sock, int timeout_ms, char *cause, size_t causelen)
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
	n = sandbox_recv(sock, &type, buf, sizeof buf, &fd);
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
	if (sandbox_landlock_apply(writable, why, sizeof why) == -1)
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

	if (sandbox_seccomp_load(SANDBOX_SECCOMP_DENY, NULL, why,
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

	if (sandbox_seccomp_load(SANDBOX_SECCOMP_NOTIFY, &fd, why,
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
	abi = sandbox_landlock_abi();
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
			log_debug("sandbox: %s: %s", sandbox_layer_names[l],
			    sandbox_detail[l]);
		else
			log_warnx("sandbox: layer %s unavailable: %s",
			    sandbox_layer_names[l], sandbox_detail[l]);
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
		json_object_object_add(layers, sandbox_layer_names[i], l);
		if ((sandbox_avail & (1u << i)) == 0)
			json_object_array_add(missing,
			    json_object_new_string(sandbox_layer_names[i]));
	}
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "missing", missing);
	return (o);
}
