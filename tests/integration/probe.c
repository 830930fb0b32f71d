/*
 * probe: tries the kernel calls a hostile agent would use to leave its
 * sandbox, for t-hostile-held.sh. `probe NAME…` runs each named attempt in
 * a child of its own (so that what one does, or a SIGSYS, touches no other)
 * and prints one line per name:
 *
 *	NAME: blocked (why)	the kernel or the sandbox refused it
 *	NAME: ESCAPED (what)	the call did what the sandbox must prevent
 *
 * and exits 1 if anything escaped, 2 on a usage error. `probe --list`
 * prints the names that take no argument. A call that would harm the host
 * if it got through is made with an argument the kernel checks only after
 * the permission (a bad magic, a missing file, a bad fd): an answer other
 * than EPERM/EACCES means the permission check passed, which is the
 * escape. Mounts are made only in a private mount namespace, or as a
 * non-root user (inside the sandbox, whose namespace is the session's).
 * Packets go only to the address given on the command line, which the
 * test keeps to 127.0.0.1. Run as root outside any sandbox, most names
 * escape: that is how the test knows each probe can see an escape.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>

#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <sys/io.h>
#endif

#ifndef TIOCL_GETSHIFTSTATE
#define TIOCL_GETSHIFTSTATE	6
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME		0x00000080
#endif

/* An attempt: 0 blocked, 1 escaped; it prints its own line. */
typedef int (*probe_fn)(const char *, const char *);

static int	probe_failed(const char *, int);
static int	probe_escaped(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* NAME: blocked (errno's text). */
static int
probe_failed(const char *name, int error)
{
	printf("%s: blocked (%s)\n", name, strerror(error));
	return (0);
}

/* NAME: ESCAPED (what happened). */
static int
probe_escaped(const char *name, const char *fmt, ...)
{
	va_list	ap;

	printf("%s: ESCAPED (", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	return (1);
}

/* A call that did its work when it returns >= 0. */
static int
probe_result(const char *name, long rc, int error, const char *what)
{
	if (rc < 0)
		return (probe_failed(name, error));
	return (probe_escaped(name, "%s", what));
}

/*
 * A call made with an argument that fails after the permission check: EPERM
 * or EACCES (or ENOSYS, no such call) is a refusal; anything else is not.
 */
static int
probe_permission(const char *name, long rc, int error)
{
	if (rc >= 0)
		return (probe_escaped(name, "the call succeeded"));
	if (error == EPERM || error == EACCES || error == ENOSYS)
		return (probe_failed(name, error));
	return (probe_escaped(name, "past the permission check: %s",
	    strerror(error)));
}

/* A pid from ARG (an argument the test gives), or -1. */
static pid_t
probe_pid(const char *arg)
{
	char	*end;
	long	 n;

	if (arg == NULL)
		return (-1);
	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0 || n > INT_MAX)
		return (-1);
	return ((pid_t)n);
}

/* An io_uring instance. */
static int
probe_io_uring(const char *name, const char *arg)
{
	unsigned char	params[120];	/* struct io_uring_params */
	long		rc;

	(void)arg;
	memset(params, 0, sizeof params);
	rc = syscall(SYS_io_uring_setup, 1, params);
	return (probe_result(name, rc, errno, "an io_uring instance"));
}

/* A userfaultfd. */
static int
probe_userfaultfd(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	/* User-mode-only faults: allowed to anyone the filter lets through. */
	rc = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	return (probe_result(name, rc, errno, "a userfaultfd"));
}

/* A key in the kernel keyring. */
static int
probe_add_key(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_add_key, "user", "runnerd-probe", "x", (size_t)1,
	    KEY_SPEC_PROCESS_KEYRING);
	return (probe_result(name, rc, errno, "a key in the process keyring"));
}

/* keyctl: join a new session keyring. */
static int
probe_keyctl(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	/* A new anonymous session keyring, for this child only. */
	rc = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	return (probe_result(name, rc, errno, "joined a new session keyring"));
}

static const struct {
	const char	*name;
	int		 flag;
	const char	*ns;
} probe_ns[] = {
	{ "unshare-mnt", CLONE_NEWNS, "mnt" },
	{ "unshare-uts", CLONE_NEWUTS, "uts" },
	{ "unshare-ipc", CLONE_NEWIPC, "ipc" },
	{ "unshare-net", CLONE_NEWNET, "net" },
	{ "unshare-pid", CLONE_NEWPID, "pid" },
	{ "unshare-cgroup", CLONE_NEWCGROUP, "cgroup" },
	{ "unshare-time", CLONE_NEWTIME, "time" },
	{ "unshare-user", CLONE_NEWUSER, "user" },
};

/* A new namespace of the type in the name (unshare-TYPE). */
static int
probe_unshare(const char *name, const char *arg)
{
	size_t	i;

	(void)arg;
	for (i = 0; i < sizeof probe_ns / sizeof probe_ns[0] - 1; i++)
		if (strcmp(name, probe_ns[i].name) == 0)
			break;
	if (unshare(probe_ns[i].flag) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "a new %s namespace", probe_ns[i].ns));
}

/* Enter a namespace of pid ARG (default 1), any type. */
static int
probe_setns(const char *name, const char *arg)
{
	char	path[64];
	size_t	i;
	pid_t	pid;
	int	fd, first = 0;

	if ((pid = probe_pid(arg)) == -1)
		pid = 1;
	for (i = 0; i < sizeof probe_ns / sizeof probe_ns[0]; i++) {
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid,
		    probe_ns[i].ns);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			if (first == 0)
				first = errno;
			continue;
		}
		if (setns(fd, 0) == 0)
			return (probe_escaped(name, "entered %s", path));
		if (first == 0)
			first = errno;
		close(fd);
	}
	return (probe_failed(name, first));
}

/* Attach to pid ARG. */
static int
probe_ptrace(const char *name, const char *arg)
{
	pid_t	pid;
	int	status;

	if ((pid = probe_pid(arg)) == -1) {
		printf("%s: needs a pid\n", name);
		exit(2);
	}
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == -1)
		return (probe_failed(name, errno));
	waitpid(pid, &status, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return (probe_escaped(name, "attached to %d", (int)pid));
}

/* Read the memory of pid ARG. */
static int
probe_vm_readv(const char *name, const char *arg)
{
	struct iovec	local, remote;
	char		buf[16];
	pid_t		pid;
	long		rc;

	if ((pid = probe_pid(arg)) == -1) {
		printf("%s: needs a pid\n", name);
		exit(2);
	}
	local.iov_base = buf;
	local.iov_len = sizeof buf;
	/* An unmapped address: EFAULT once the access check has passed. */
	remote.iov_base = (void *)4096;
	remote.iov_len = sizeof buf;
	rc = syscall(SYS_process_vm_readv, pid, &local, 1UL, &remote, 1UL, 0UL);
	if (rc == -1 && errno == ESRCH)
		return (probe_failed(name, errno));
	return (probe_permission(name, rc, errno));
}

/* Read the environment of pid ARG (default 1). */
static int
probe_environ(const char *name, const char *arg)
{
	char	path[64], buf[256];
	ssize_t	n;
	pid_t	pid;
	int	fd;

	if ((pid = probe_pid(arg)) == -1)
		pid = 1;
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (probe_failed(name, errno));
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0)
		return (probe_failed(name, n == 0 ? ENODATA : errno));
	return (probe_escaped(name, "read %zd bytes of %s", n, path));
}

/* A BPF map. */
static int
probe_bpf(const char *name, const char *arg)
{
	union bpf_attr	attr;
	long		rc;

	(void)arg;
	memset(&attr, 0, sizeof attr);
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	rc = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
	return (probe_result(name, rc, errno, "a BPF map"));
}

/* A perf event on this process. */
static int
probe_perf(const char *name, const char *arg)
{
	struct perf_event_attr	attr;
	long			rc;

	(void)arg;
	/* Own process, user space only: what perf_event_paranoid 2 allows. */
	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	rc = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
	return (probe_result(name, rc, errno, "a perf event"));
}

/*
 * A mount namespace of this child's own where that is possible (root,
 * outside the sandbox), so that nothing mounted reaches the host: 1 if
 * private, 0 if not (inside the sandbox: the session's namespace), -1 if
 * root could not make one (then nothing is mounted).
 */
static int
probe_private_mounts(void)
{
	if (unshare(CLONE_NEWNS) == 0) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
			return (-1);
		return (1);
	}
	return (geteuid() == 0 ? -1 : 0);
}

/* Mount a tmpfs. */
static int
probe_mount(const char *name, const char *arg)
{
	(void)arg;
	if (probe_private_mounts() == -1)
		return (probe_failed(name, errno));
	if (mount("runnerd-probe", "/tmp", "tmpfs", 0, NULL) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "mounted a tmpfs on /tmp"));
}

/* Unmount /proc. */
static int
probe_umount2(const char *name, const char *arg)
{
	(void)arg;
	if (probe_private_mounts() == -1)
		return (probe_failed(name, errno));
	if (umount2("/proc", MNT_DETACH) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "unmounted /proc"));
}

/* pivot_root, past its permission check. */
static int
probe_pivot_root(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	if (probe_private_mounts() == -1)
		return (probe_failed(name, errno));
	/* "/" is not a new root: EBUSY/EINVAL once the permission passed. */
	rc = syscall(SYS_pivot_root, "/", "/");
	return (probe_permission(name, rc, errno));
}

/* A detached copy of the mount tree (the new mount API). */
static int
probe_open_tree(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE |
	    OPEN_TREE_CLOEXEC);
	return (probe_result(name, rc, errno, "a detached copy of /"));
}

/* move_mount, past its permission check. */
static int
probe_move_mount(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_move_mount, -1, "", -1, "",
	    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	return (probe_permission(name, rc, errno));
}

/* A filesystem context. */
static int
probe_fsopen(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	return (probe_result(name, rc, errno, "a tmpfs context"));
}

/* A detached mount of a new tmpfs. */
static int
probe_fsmount(const char *name, const char *arg)
{
	long	fd, rc;

	(void)arg;
	if ((fd = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)) < 0) {
		/* fsmount itself, on a bad fd: EBADF past the permission. */
		rc = syscall(SYS_fsmount, -1, FSMOUNT_CLOEXEC, 0);
		return (probe_permission(name, rc, errno));
	}
	if (syscall(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return (probe_failed(name, errno));
	rc = syscall(SYS_fsmount, fd, FSMOUNT_CLOEXEC, 0);
	return (probe_result(name, rc, errno, "a detached tmpfs mount"));
}

/* The terminal: fd 0 when it is one, else a new pty's slave. */
static int
probe_tty(void)
{
	int	master, slave;

	if (isatty(0))
		return (0);
	if (openpty(&master, &slave, NULL, NULL, NULL) == -1)
		return (-1);
	return (slave);
}

/* Type a character into the terminal. */
static int
probe_tiocsti(const char *name, const char *arg)
{
	char	c = ' ';
	int	fd;

	(void)arg;
	if ((fd = probe_tty()) == -1)
		return (probe_failed(name, errno));
	if (ioctl(fd, TIOCSTI, &c) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "typed into the terminal"));
}

/* The console ioctl on the terminal. */
static int
probe_tioclinux(const char *name, const char *arg)
{
	char	sub = TIOCL_GETSHIFTSTATE;
	int	fd;

	(void)arg;
	if ((fd = probe_tty()) == -1)
		return (probe_failed(name, errno));
	if (ioctl(fd, TIOCLINUX, &sub) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "a console ioctl"));
}

/*
 * The cgroup files of this process, one per hierarchy it is in (v2 and
 * each v1 controller's), as "/sys/fs/cgroup[/CONTROLLER]PATH/FILE" for
 * each FILE; with ROOT, the hierarchies' roots instead. NULL-terminated,
 * at most MAX - 1 of them.
 */
static void
probe_cgroup_files(char paths[][PATH_MAX], size_t max, int root,
    const char *const *files)
{
	char		 line[512], *ctl, *path;
	const char	*const *f;
	size_t		 n = 0;
	FILE		*fp;

	paths[0][0] = '\0';
	if ((fp = fopen("/proc/self/cgroup", "r")) == NULL)
		return;
	while (fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		/* ID:CONTROLLERS:PATH */
		if ((ctl = strchr(line, ':')) == NULL ||
		    (path = strchr(++ctl, ':')) == NULL)
			continue;
		*path++ = '\0';
		if (strncmp(ctl, "name=", 5) == 0)
			continue;
		if (root || strcmp(path, "/") == 0)
			path = "";
		for (f = files; *f != NULL && n + 1 < max; f++)
			snprintf(paths[n++], PATH_MAX, "/sys/fs/cgroup%s%s%s/%s",
			    *ctl != '\0' ? "/" : "", ctl, path, *f);
	}
	fclose(fp);
	paths[n][0] = '\0';
}

/* Move into the root cgroup (or ARG's cgroup.procs). */
static int
probe_cgroup_procs(const char *name, const char *arg)
{
	static const char *const files[] = { "cgroup.procs", NULL };
	char		paths[16][PATH_MAX];
	size_t		i;
	int		fd, first = ENOENT;

	/* This child moves itself to the root: out of its session's limits. */
	if (arg != NULL)
		snprintf(paths[0], PATH_MAX, "%s", arg), paths[1][0] = '\0';
	else
		probe_cgroup_files(paths, 16, 1, files);
	for (i = 0; paths[i][0] != '\0'; i++) {
		if ((fd = open(paths[i], O_WRONLY | O_CLOEXEC)) == -1 ||
		    dprintf(fd, "%d\n", (int)getpid()) < 0) {
			if (first == ENOENT)
				first = errno;
			if (fd != -1)
				close(fd);
			continue;
		}
		close(fd);
		return (probe_escaped(name, "moved into %s", paths[i]));
	}
	return (probe_failed(name, first));
}

/* Open the own cgroup's limits for writing. */
static int
probe_cgroup_write(const char *name, const char *arg)
{
	static const char *const files[] = { "pids.max", "memory.max",
	    "memory.limit_in_bytes", "cpu.max", NULL };
	char		paths[32][PATH_MAX];
	size_t		i;
	int		fd, first = ENOENT;

	(void)arg;
	/* Its own limits, opened for writing (nothing is written). */
	probe_cgroup_files(paths, 32, 0, files);
	for (i = 0; paths[i][0] != '\0'; i++) {
		if ((fd = open(paths[i], O_WRONLY | O_CLOEXEC)) == -1) {
			if (first == ENOENT)
				first = errno;
			continue;
		}
		close(fd);
		return (probe_escaped(name, "%s is writable", paths[i]));
	}
	return (probe_failed(name, first));
}

/* Connect a socket of FAMILY to SA; 0 on success. */
static int
probe_connect(int family, int type, const struct sockaddr *sa, socklen_t len)
{
	int	s, rc, error;

	if ((s = socket(family, type | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	rc = connect(s, sa, len);
	error = errno;
	close(s);
	errno = error;
	return (rc);
}

/* Connect to the abstract Unix socket ARG. */
static int
probe_abstract(const char *name, const char *arg)
{
	struct sockaddr_un	sun;
	size_t			len;

	if (arg == NULL || (len = strlen(arg)) == 0 ||
	    len >= sizeof sun.sun_path) {
		printf("%s: needs a socket name\n", name);
		exit(2);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, arg, len);
	if (probe_connect(AF_UNIX, SOCK_STREAM, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "connected to @%s", arg));
}

/* Connect to the Unix socket at path ARG. */
static int
probe_unix(const char *name, const char *arg)
{
	struct sockaddr_un	sun;

	if (arg == NULL || strlen(arg) >= sizeof sun.sun_path) {
		printf("%s: needs a socket path\n", name);
		exit(2);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, arg, sizeof sun.sun_path - 1);
	if (probe_connect(AF_UNIX, SOCK_STREAM, (struct sockaddr *)&sun,
	    sizeof sun) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "connected to %s", arg));
}

/* HOST:PORT (an IPv4 address) into SIN; -1 if it is not one. */
static int
probe_inet(const char *arg, struct sockaddr_in *sin)
{
	char	 host[64], *colon, *end;
	long	 port;

	if (arg == NULL || strlen(arg) >= sizeof host)
		return (-1);
	strcpy(host, arg);
	if ((colon = strrchr(host, ':')) == NULL)
		return (-1);
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return (-1);
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return (inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1);
}

/* Connect to ADDRESS:PORT over TCP. */
static int
probe_tcp(const char *name, const char *arg)
{
	struct sockaddr_in	sin;

	if (probe_inet(arg, &sin) == -1) {
		printf("%s: needs ADDRESS:PORT\n", name);
		exit(2);
	}
	if (probe_connect(AF_INET, SOCK_STREAM, (struct sockaddr *)&sin,
	    sizeof sin) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "connected to %s", arg));
}

/* A UDP datagram to an echo server at ADDRESS:PORT, and its answer. */
static int
probe_udp(const char *name, const char *arg)
{
	struct sockaddr_in	sin;
	struct pollfd		pfd;
	char			buf[64];
	ssize_t			n;
	int			s;

	/* A datagram to an echo server there; its answer is the escape. */
	if (probe_inet(arg, &sin) == -1) {
		printf("%s: needs ADDRESS:PORT\n", name);
		exit(2);
	}
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    send(s, "runnerd-probe", 13, 0) == -1)
		return (probe_failed(name, errno));
	pfd.fd = s;
	pfd.events = POLLIN;
	switch (poll(&pfd, 1, 1000)) {
	case -1:
		return (probe_failed(name, errno));
	case 0:
		return (probe_failed(name, ETIMEDOUT));
	}
	if ((n = recv(s, buf, sizeof buf, 0)) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "%zd bytes back from %s", n, arg));
}

/* A raw IP socket. */
static int
probe_raw_socket(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	return (probe_result(name, rc, errno, "a raw IP socket"));
}

/* A packet socket. */
static int
probe_packet_socket(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	return (probe_result(name, rc, errno, "a packet socket"));
}

/* A 32-bit syscall through int $0x80 (x86_64). */
static int
probe_int80(const char *name, const char *arg)
{
	(void)arg;
#if defined(__x86_64__)
	long	rc, nr = 20;	/* getpid in the 32-bit table */

	__asm__ volatile ("int $0x80" : "=a" (rc) : "0" (nr) : "memory");
	if (rc < 0)
		return (probe_failed(name, (int)-rc));
	return (probe_escaped(name, "a 32-bit syscall ran (getpid %ld)", rc));
#else
	printf("%s: skipped (not x86_64)\n", name);
	return (0);
#endif
}

/* clone3 into new mount and user namespaces. */
static int
probe_clone3(const char *name, const char *arg)
{
	struct clone_args	ca;
	long			rc;
	int			status;

	(void)arg;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_NEWNS | CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	rc = syscall(SYS_clone3, &ca, sizeof ca);
	if (rc == 0)
		syscall(SYS_exit_group, 0);
	if (rc < 0)
		return (probe_failed(name, errno));
	waitpid((pid_t)rc, &status, 0);
	return (probe_escaped(name, "a child in new namespaces"));
}

/* clone with namespace flags (CLONE_NEWUSER, or mount, net and pid). */
static int
probe_clone_flags(const char *name, const char *arg)
{
	long	rc, flags;
	int	status;

	(void)arg;
	flags = strcmp(name, "clone-newuser") == 0 ? CLONE_NEWUSER :
	    CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID;
	/* Fork-like: no new stack, the child leaves at once. */
	rc = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0UL);
	if (rc == 0)
		syscall(SYS_exit_group, 0);
	if (rc < 0)
		return (probe_failed(name, errno));
	waitpid((pid_t)rc, &status, 0);
	return (probe_escaped(name, "a child in new namespaces"));
}

/* kexec_load, past its permission check. */
static int
probe_kexec_load(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	/* Far too many segments: EINVAL past the permission check. */
	rc = syscall(SYS_kexec_load, 0UL, 100000UL, NULL, 0UL);
	return (probe_permission(name, rc, errno));
}

/* kexec_file_load, past its permission check. */
static int
probe_kexec_file_load(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL);
	return (probe_permission(name, rc, errno));
}

/* init_module, past its permission check. */
static int
probe_init_module(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_init_module, NULL, 0UL, "");
	return (probe_permission(name, rc, errno));
}

/* finit_module, past its permission check. */
static int
probe_finit_module(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_finit_module, -1, "", 0);
	return (probe_permission(name, rc, errno));
}

/* delete_module, past its permission check. */
static int
probe_delete_module(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = syscall(SYS_delete_module, "runnerd_probe_none", O_NONBLOCK);
	return (probe_permission(name, rc, errno));
}

/* reboot, past its permission check. */
static int
probe_reboot(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	/* A bad magic number: EINVAL past the capability check. */
	rc = syscall(SYS_reboot, 0x12345678, 0x9abcdef0, 0, NULL);
	return (probe_permission(name, rc, errno));
}

/* swapon, past its permission check. */
static int
probe_swapon(const char *name, const char *arg)
{
	long	rc;

	(void)arg;
	rc = swapon("/nonexistent-runnerd-probe", 0);
	return (probe_permission(name, rc, errno));
}

/* chroot, the first step of the classic chroot escape. */
static int
probe_chroot(const char *name, const char *arg)
{
	(void)arg;
	if (chroot("/") == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "chroot succeeded"));
}

/* Open PATH with FLAGS: opening it at all is the escape. */
static int
probe_open(const char *name, const char *path, int flags)
{
	int	fd;

	if ((fd = open(path, flags | O_CLOEXEC)) == -1)
		return (probe_failed(name, errno));
	close(fd);
	return (probe_escaped(name, "opened %s", path));
}

/* Open the magic SysRq trigger for writing. */
static int
probe_sysrq(const char *name, const char *arg)
{
	(void)arg;
	return (probe_open(name, "/proc/sysrq-trigger", O_WRONLY));
}

/* Open physical memory. */
static int
probe_dev_mem(const char *name, const char *arg)
{
	(void)arg;
	return (probe_open(name, "/dev/mem", O_RDONLY));
}

/* Open the kernel log for writing. */
static int
probe_dev_kmsg(const char *name, const char *arg)
{
	(void)arg;
	return (probe_open(name, "/dev/kmsg", O_WRONLY));
}

/* Become uid 0. */
static int
probe_setuid(const char *name, const char *arg)
{
	(void)arg;
	if (setuid(0) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "uid 0"));
}

/* Give this process CAP_SYS_ADMIN. */
static int
probe_capset(const char *name, const char *arg)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	(void)arg;
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = 1u << CAP_SYS_ADMIN;
	if (syscall(SYS_capset, &hdr, data) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "CAP_SYS_ADMIN"));
}

/* Turn address space randomisation off. */
static int
probe_personality(const char *name, const char *arg)
{
	(void)arg;
	/* No address space randomisation, for this child only. */
	if (personality(ADDR_NO_RANDOMIZE) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "ADDR_NO_RANDOMIZE"));
}

/* I/O privilege level 3 (x86_64). */
static int
probe_iopl(const char *name, const char *arg)
{
	(void)arg;
#if defined(__x86_64__)
	if (iopl(3) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "I/O privilege level 3"));
#else
	printf("%s: skipped (not x86_64)\n", name);
	return (0);
#endif
}

/* Access to an I/O port (x86_64). */
static int
probe_ioperm(const char *name, const char *arg)
{
	(void)arg;
#if defined(__x86_64__)
	if (ioperm(0x80, 1, 1) == -1)
		return (probe_failed(name, errno));
	return (probe_escaped(name, "port 0x80"));
#else
	printf("%s: skipped (not x86_64)\n", name);
	return (0);
#endif
}

/* Open a file by handle (the "shocker" escape). */
static int
probe_open_by_handle(const char *name, const char *arg)
{
	struct file_handle	*fh;
	int			 mount_id, fd;

	(void)arg;
	if ((fh = calloc(1, sizeof *fh + MAX_HANDLE_SZ)) == NULL)
		return (probe_failed(name, errno));
	fh->handle_bytes = MAX_HANDLE_SZ;
	/* Any handle will do when name_to_handle_at has none to give. */
	if (name_to_handle_at(AT_FDCWD, "/", fh, &mount_id, 0) == -1) {
		fh->handle_bytes = 8;
		fh->handle_type = 1;
	}
	fd = open_by_handle_at(AT_FDCWD, fh, O_RDONLY | O_CLOEXEC);
	free(fh);
	if (fd == -1)
		return (probe_failed(name, errno));
	close(fd);
	return (probe_escaped(name, "opened a file by handle"));
}

static const struct {
	const char	*name;
	probe_fn	 fn;
	int		 needs_arg;	/* 1: NAME=ARG only; 2: optional */
} probe_table[] = {
	{ "io_uring", probe_io_uring, 0 },
	{ "userfaultfd", probe_userfaultfd, 0 },
	{ "add_key", probe_add_key, 0 },
	{ "keyctl", probe_keyctl, 0 },
	{ "unshare-mnt", probe_unshare, 0 },
	{ "unshare-uts", probe_unshare, 0 },
	{ "unshare-ipc", probe_unshare, 0 },
	{ "unshare-net", probe_unshare, 0 },
	{ "unshare-pid", probe_unshare, 0 },
	{ "unshare-cgroup", probe_unshare, 0 },
	{ "unshare-time", probe_unshare, 0 },
	{ "unshare-user", probe_unshare, 0 },
	{ "setns", probe_setns, 2 },
	{ "ptrace", probe_ptrace, 1 },
	{ "vm_readv", probe_vm_readv, 1 },
	{ "environ", probe_environ, 2 },
	{ "bpf", probe_bpf, 0 },
	{ "perf_event_open", probe_perf, 0 },
	{ "mount", probe_mount, 0 },
	{ "umount2", probe_umount2, 0 },
	{ "pivot_root", probe_pivot_root, 0 },
	{ "open_tree", probe_open_tree, 0 },
	{ "move_mount", probe_move_mount, 0 },
	{ "fsopen", probe_fsopen, 0 },
	{ "fsmount", probe_fsmount, 0 },
	{ "tiocsti", probe_tiocsti, 0 },
	{ "tioclinux", probe_tioclinux, 0 },
	{ "cgroup-procs", probe_cgroup_procs, 2 },
	{ "cgroup-write", probe_cgroup_write, 0 },
	{ "abstract", probe_abstract, 1 },
	{ "unix", probe_unix, 1 },
	{ "tcp", probe_tcp, 1 },
	{ "udp", probe_udp, 1 },
	{ "raw-socket", probe_raw_socket, 0 },
	{ "packet-socket", probe_packet_socket, 0 },
	{ "int80", probe_int80, 0 },
	{ "clone3", probe_clone3, 0 },
	{ "clone-newuser", probe_clone_flags, 0 },
	{ "clone-newns", probe_clone_flags, 0 },
	{ "kexec_load", probe_kexec_load, 0 },
	{ "kexec_file_load", probe_kexec_file_load, 0 },
	{ "init_module", probe_init_module, 0 },
	{ "finit_module", probe_finit_module, 0 },
	{ "delete_module", probe_delete_module, 0 },
	{ "reboot", probe_reboot, 0 },
	{ "swapon", probe_swapon, 0 },
	{ "chroot", probe_chroot, 0 },
	{ "sysrq-trigger", probe_sysrq, 0 },
	{ "dev-mem", probe_dev_mem, 0 },
	{ "dev-kmsg", probe_dev_kmsg, 0 },
	{ "setuid", probe_setuid, 0 },
	{ "capset", probe_capset, 0 },
	{ "personality", probe_personality, 0 },
	{ "iopl", probe_iopl, 0 },
	{ "ioperm", probe_ioperm, 0 },
	{ "open_by_handle_at", probe_open_by_handle, 0 },
};

/* Run one WORD (NAME or NAME=ARG) in a child: 1 if it escaped. */
static int
probe_run(const char *word)
{
	char		 name[256];
	const char	*eq, *arg = NULL;
	size_t		 i, len;
	pid_t		 pid;
	int		 status;

	eq = strchr(word, '=');
	len = eq != NULL ? (size_t)(eq - word) : strlen(word);
	if (eq != NULL)
		arg = eq + 1;
	for (i = 0; i < sizeof probe_table / sizeof probe_table[0]; i++)
		if (strlen(probe_table[i].name) == len &&
		    strncmp(probe_table[i].name, word, len) == 0)
			break;
	if (i == sizeof probe_table / sizeof probe_table[0] ||
	    (probe_table[i].needs_arg == 1 && arg == NULL) ||
	    (probe_table[i].needs_arg == 0 && arg != NULL)) {
		fprintf(stderr, "probe: unknown or malformed: %s\n", word);
		exit(2);
	}
	snprintf(name, sizeof name, "%s", word);
	fflush(stdout);
	switch (pid = fork()) {
	case -1:
		printf("%s: blocked (fork: %s)\n", name, strerror(errno));
		return (0);
	case 0:
		/* The line is printed before the child's exit status counts. */
		status = probe_table[i].fn(name, arg);
		fflush(stdout);
		_exit(status);
	}
	if (waitpid(pid, &status, 0) == -1) {
		printf("%s: blocked (waitpid: %s)\n", name, strerror(errno));
		return (0);
	}
	if (WIFSIGNALED(status)) {
		printf("%s: blocked (killed by %s)\n", name,
		    sigabbrev_np(WTERMSIG(status)) != NULL ?
		    sigabbrev_np(WTERMSIG(status)) : "a signal");
		return (0);
	}
	if (WEXITSTATUS(status) == 2)
		exit(2);
	return (WEXITSTATUS(status) == 1);
}

/* probe --list | NAME[=ARG]...: run each attempt, exit 1 if one escaped. */
int
main(int argc, char **argv)
{
	size_t	i;
	int	escaped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: probe --list | NAME[=ARG]...\n");
		return (2);
	}
	if (strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < sizeof probe_table / sizeof probe_table[0]; i++)
			if (probe_table[i].needs_arg != 1)
				printf("%s\n", probe_table[i].name);
		return (0);
	}
	for (i = 1; i < (size_t)argc; i++)
		escaped |= probe_run(argv[i]);
	return (escaped ? 1 : 0);
}
