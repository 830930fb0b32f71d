/* Sandbox: layer names, required layers, seccomp, Landlock, the spawn. */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <seccomp.h>

#include "common/conf.h"
#include "common/util.h"
#include "host/sandbox.h"
#include "worker/confine.h"
#include "worker/initchan.h"
#include "worker/spawn.h"
#include "unit.h"

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE	(1UL << 0)
#endif

static char	tmp[128];
static char	cause[1024];
static int	seq;

static void
setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/check_sandbox.%ld.%d", (long)getpid(),
	    seq++);
	ck_assert_int_eq(mkdir_p(tmp, 0755), 0);
}

static void
teardown(void)
{
	rm_rf(tmp);
}

/*
 * Run fn in a forked child; the child writes what went wrong to the pipe
 * and exits 1, or exits 0. The test fails with the child's words.
 */
static int	child_pipe = -1;

static void
child_fail(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	(void)write(child_pipe, buf, strlen(buf));
	_exit(1);
}

static void
in_child(void (*fn)(void))
{
	char	buf[512];
	int	p[2], status;
	pid_t	pid;
	ssize_t	n;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		child_pipe = p[1];
		fn();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child: %s (status 0x%x)", buf, status);
}

/* The call's result must be -1 with errno want. */
#define DENIED(call, want) do {						\
	errno = 0;							\
	if ((call) != -1 || errno != (want))				\
		child_fail("%s: expected errno %d, got %d (%s)", #call,	\
		    (want), errno, strerror(errno));			\
} while (0)

/* ----- layer names and required layers ----- */

START_TEST(test_layer_names)
{
	char		buf[256];
	unsigned	m;

	/* The layer bits name config's one list (sandbox_required's names). */
	ck_assert_ptr_null(config_layer_name(-1));
	ck_assert_ptr_null(config_layer_name(SB_NLAYERS));
	ck_assert_str_eq(config_layer_name(SB_IDENTITY), "identity");
	ck_assert_str_eq(config_layer_name(SB_EXEC_POLICY), "exec_policy");
	ck_assert_str_eq(config_layer_name(SB_RLIMITS), "rlimits");

	m = (1u << SB_SECCOMP) | (1u << SB_LANDLOCK);
	ck_assert_str_eq(sandbox_layers_format(m, buf, sizeof buf),
	    "landlock, seccomp");
	sandbox_layers_format(SANDBOX_ALL, buf, sizeof buf);
	ck_assert_str_eq(buf, "identity, namespaces, network, landlock, "
	    "seccomp, exec_policy, cgroup, rlimits");
	/* A small buffer is cut at a name, never overrun. */
	sandbox_layers_format(SANDBOX_ALL, buf, 12);
	ck_assert_str_eq(buf, "identity");
	sandbox_layers_format(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* Load a config file holding one JSON text; the result of the load. */
static int
load_conf(const char *json)
{
	struct config	*c;
	char		*path;
	FILE		*f;
	int		 rv;

	path = xasprintf("%s/runnerd.conf", tmp);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(json, f);
	fclose(f);
	c = config_default();
	rv = config_load_file(c, path, cause, sizeof cause);
	config_free(c);
	free(path);
	return (rv);
}

/* The config knows exactly sandbox.c's layer names. */
START_TEST(test_config_keys)
{
	struct config	*c;
	char		*j;
	int		 l;

	for (l = 0; l < SB_NLAYERS; l++) {
		j = xasprintf("{\"sandbox_required\": [\"%s\"]}",
		    config_layer_name(l));
		ck_assert_msg(load_conf(j) == 0, "%s: %s", j, cause);
		free(j);
	}
	ck_assert_int_eq(load_conf("{\"sandbox_required\": [\"all\"]}"), 0);
	ck_assert_int_eq(load_conf("{\"sandbox_required\": []}"), 0);
	ck_assert_int_eq(load_conf("{\"sandbox_required\": [\"bogus\"]}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "sandbox_required"));
	ck_assert_ptr_nonnull(strstr(cause, "bogus"));
	ck_assert_int_eq(load_conf("{\"sandbox_required\": [\"all\", "
	    "\"seccomp\"]}"), -1);
	ck_assert_int_eq(load_conf("{\"sandbox_required\": \"all\"}"), -1);
	ck_assert_int_eq(load_conf("{\"sandbox_required\": [1]}"), -1);
	ck_assert_int_eq(load_conf("{\"sandbox_expose\": [\"/opt/x\"]}"), 0);
	ck_assert_int_eq(load_conf("{\"sandbox_expose\": [\"opt/x\"]}"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "absolute"));
	ck_assert_int_eq(load_conf("{\"sandbox_uid\": 1000, "
	    "\"sandbox_gid\": 1000, \"nofile_max\": 1024}"), 0);
	ck_assert_int_eq(load_conf("{\"sandbox_uid\": -1}"), -1);
	ck_assert_int_eq(load_conf("{\"sandbox_uid\": 4294967295}"), -1);
	ck_assert_int_eq(load_conf("{\"nofile_max\": 0}"), -1);
	ck_assert_int_eq(load_conf("{\"nofile_max\": \"4096\"}"), -1);

	c = config_default();
	ck_assert_int_eq(c->sandbox, 1);
	ck_assert_int_eq(c->sandbox_uid, 65534);
	ck_assert_int_eq(c->sandbox_gid, 65534);
	ck_assert_int_eq(c->nofile_max, 4096);
	ck_assert_uint_eq(strv_len(c->sandbox_required), 0);
	ck_assert_uint_eq(strv_len(c->sandbox_expose), 0);
	config_free(c);
}
END_TEST

/* Required layers against a probe where the cgroup layer is missing. */
START_TEST(test_required)
{
	struct json_object	*h, *layers, *v, *missing;
	char			 names[256];
	unsigned		 avail, m;
	char			*base;
	size_t			 i;
	int			 found = 0;

	base = xasprintf("%s/no-such-cgroup", tmp);
	sandbox_probe(65534, 65534, base);
	free(base);
	avail = sandbox_available();
	ck_assert_msg((avail & (1u << SB_CGROUP)) == 0,
	    "a cgroup under a missing path is unavailable");
	ck_assert_uint_eq(sandbox_missing(1, 1u << SB_CGROUP, names,
	    sizeof names), 1u << SB_CGROUP);
	ck_assert_str_eq(names, "cgroup");
	ck_assert_uint_eq(sandbox_missing(1, SANDBOX_ALL, names,
	    sizeof names), SANDBOX_ALL & ~avail);
	ck_assert_ptr_nonnull(strstr(names, "cgroup"));
	m = avail & ((1u << SB_SECCOMP) | (1u << SB_RLIMITS));
	ck_assert_uint_eq(sandbox_missing(1, m, names, sizeof names), 0);
	ck_assert_uint_eq(sandbox_missing(1, 0, names, sizeof names), 0);
	/* Off, nothing is applied: whatever is required is missing. */
	ck_assert_uint_eq(sandbox_missing(0, 1u << SB_SECCOMP, names,
	    sizeof names), 1u << SB_SECCOMP);
	ck_assert_str_eq(names, "seccomp");

	h = sandbox_health(1);
	ck_assert(json_object_object_get_ex(h, "enabled", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(h, "layers", &layers));
	ck_assert_int_eq(json_object_object_length(layers), SB_NLAYERS);
	ck_assert(json_object_object_get_ex(layers, "cgroup", &v));
	ck_assert(json_object_object_get_ex(v, "available", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(layers, "landlock", &v));
	ck_assert(json_object_object_get_ex(v, "detail", &v));
	ck_assert_int_gt(json_object_get_string_len(v), 0);
	ck_assert(json_object_object_get_ex(h, "missing", &missing));
	for (i = 0; i < json_object_array_length(missing); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(
		    missing, i)), "cgroup") == 0)
			found = 1;
	ck_assert(found);
	json_object_put(h);
	h = sandbox_health(0);
	ck_assert(json_object_object_get_ex(h, "enabled", &v));
	ck_assert(!json_object_get_boolean(v));
	json_object_put(h);
}
END_TEST

/* ----- seccomp ----- */

static void *
thread_fn(void *arg)
{
	return (arg);
}

static void
seccomp_child(void)
{
	struct iovec	 local, remote;
	pthread_t	 th;
	char		 c = 'x', buf[8];
	void		*ret;
	pid_t		 pid;
	int		 master, slave, status, fd;

	if (openpty(&master, &slave, NULL, NULL, NULL) == -1)
		child_fail("openpty: %s", strerror(errno));
	if (seccomp_filter_load(SANDBOX_SECCOMP_DENY, NULL, cause,
	    sizeof cause) == -1)
		child_fail("%s", cause);

	DENIED(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	DENIED(ptrace(PTRACE_ATTACH, getppid(), NULL, NULL), EPERM);
	DENIED(mount("none", tmp, "tmpfs", 0, NULL), EPERM);
	DENIED(umount2(tmp, MNT_DETACH), EPERM);
	DENIED(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
	DENIED(syscall(SYS_add_key, "user", "k", "v", 1, 0), EPERM);
	DENIED(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	DENIED(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	DENIED(syscall(SYS_io_uring_setup, 1, NULL), EPERM);
	DENIED(syscall(SYS_userfaultfd, 0), EPERM);
	DENIED(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	DENIED(syscall(SYS_init_module, NULL, 0, ""), EPERM);
	DENIED(syscall(SYS_open_tree, AT_FDCWD, "/", 1), EPERM);
	DENIED(syscall(SYS_fsopen, "tmpfs", 0), EPERM);
	DENIED(syscall(SYS_setns, 0, 0), EPERM);
	DENIED(syscall(SYS_pivot_root, ".", "."), EPERM);
	DENIED(unshare(CLONE_NEWUSER), EPERM);
	DENIED(unshare(CLONE_NEWUSER | CLONE_NEWNS), EPERM);
	DENIED(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM);
	DENIED(syscall(SYS_clone3, NULL, 0), ENOSYS);
	local.iov_base = buf;
	local.iov_len = sizeof buf;
	remote.iov_base = &c;
	remote.iov_len = 1;
	DENIED(process_vm_readv(getppid(), &local, 1, &remote, 1, 0), EPERM);
	DENIED(ioctl(slave, TIOCSTI, &c), EPERM);
	/* The command is an int: garbage in the upper half changes nothing. */
	DENIED(syscall(SYS_ioctl, slave, 0xdead00000000UL | TIOCSTI, &c),
	    EPERM);
	DENIED(ioctl(slave, TIOCLINUX, &c), EPERM);
	DENIED(personality(ADDR_NO_RANDOMIZE), EPERM);
	DENIED(personality(READ_IMPLIES_EXEC), EPERM);
	DENIED(personality(0x80040000), EPERM);
	DENIED(personality(0xfffffffe), EPERM);

	/* And ordinary life goes on. */
	if (personality(0xffffffff) == -1 || personality(PER_LINUX) == -1)
		child_fail("personality query: %s", strerror(errno));
	if (ioctl(slave, TIOCGWINSZ, buf) == -1 && errno != EINVAL &&
	    errno != ENOTTY)
		child_fail("TIOCGWINSZ: %s", strerror(errno));
	if ((fd = open("/etc/hostname", O_RDONLY)) == -1 &&
	    (fd = open("/dev/null", O_RDONLY)) == -1)
		child_fail("open: %s", strerror(errno));
	close(fd);
	if (unshare(0) == -1)
		child_fail("unshare(0): %s", strerror(errno));
	/* fork() is clone without CLONE_NEWUSER. */
	if ((pid = fork()) == -1)
		child_fail("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(7);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 7)
		child_fail("fork/wait");
	/* Threads: libc tries clone3, gets ENOSYS, falls back to clone. */
	if ((errno = pthread_create(&th, NULL, thread_fn, &c)) != 0)
		child_fail("pthread_create: %s", strerror(errno));
	if (pthread_join(th, &ret) != 0 || ret != &c)
		child_fail("pthread_join");
}

START_TEST(test_seccomp_denies)
{
	in_child(seccomp_child);
}
END_TEST

/* Notify only: ordinary escape syscalls are not this filter's business. */
static int	notify_sock = -1;

static void
notify_child(void)
{
	if (initchan_notify_child(notify_sock, cause, sizeof cause) == -1)
		child_fail("%s", cause);
	execl("/bin/true", "true", (char *)NULL);
	_exit(errno == EPERM ? 42 : 1);
}

START_TEST(test_seccomp_notify)
{
	struct seccomp_notif		*req;
	struct seccomp_notif_resp	*resp;
	int				 sv[2], fd, status;
	pid_t				 pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(sv[0]);
		notify_sock = sv[1];
		child_pipe = STDERR_FILENO;
		notify_child();
	}
	close(sv[1]);
	fd = initchan_notify_recv(sv[0], 5000, cause, sizeof cause);
	ck_assert_msg(fd >= 0, "%s", cause);
	close(sv[0]);
	/* The child's execve waits for us: deny it. */
	ck_assert_int_eq(seccomp_notify_alloc(&req, &resp), 0);
	ck_assert_int_eq(seccomp_notify_receive(fd, req), 0);
	ck_assert_int_eq(req->pid, pid);
	ck_assert_int_eq(req->data.nr, seccomp_syscall_resolve_name("execve"));
	resp->id = req->id;
	resp->val = 0;
	resp->error = -EPERM;
	resp->flags = 0;
	ck_assert_int_eq(seccomp_notify_respond(fd, resp), 0);
	seccomp_notify_free(req, resp);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	    "status 0x%x", status);
	close(fd);
}
END_TEST

/* ----- Landlock ----- */

static void
landlock_child(void)
{
	const char	*writable[2];
	char		*in, *out, *p;
	int		 fd;

	in = xasprintf("%s/in", tmp);
	out = xasprintf("%s/out", tmp);
	writable[0] = in;
	writable[1] = NULL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		child_fail("no_new_privs: %s", strerror(errno));
	if (landlock_apply(writable, cause, sizeof cause) == -1)
		child_fail("%s", cause);

	p = xasprintf("%s/new", in);
	if ((fd = open(p, O_WRONLY | O_CREAT, 0644)) == -1)
		child_fail("write inside: %s", strerror(errno));
	close(fd);
	free(p);
	p = xasprintf("%s/sub", in);
	if (mkdir(p, 0755) == -1 || rmdir(p) == -1)
		child_fail("mkdir inside: %s", strerror(errno));
	free(p);
	p = xasprintf("%s/new", out);
	DENIED(open(p, O_WRONLY | O_CREAT, 0644), EACCES);
	free(p);
	p = xasprintf("%s/old", out);
	DENIED(open(p, O_WRONLY | O_TRUNC), EACCES);
	DENIED(unlink(p), EACCES);
	if ((fd = open(p, O_RDONLY)) == -1)
		child_fail("read outside: %s", strerror(errno));
	close(fd);
	free(p);
	DENIED(mkdir("/tmp/check_sandbox.landlock", 0755), EACCES);
	if ((fd = open("/dev/null", O_WRONLY | O_TRUNC)) == -1)
		child_fail("/dev/null: %s", strerror(errno));
	close(fd);
	free(in);
	free(out);
}

START_TEST(test_landlock)
{
	char	*p;

	if (landlock_abi() <= 0) {
		fprintf(stderr, "check_sandbox: no Landlock here: skipped\n");
		return;
	}
	p = xasprintf("%s/in", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/out", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/out/old", tmp);
	ck_assert_int_eq(write_file_atomic(p, "x", 1), 0);
	free(p);
	in_child(landlock_child);
}
END_TEST

/* ----- confine_spawn, end to end ----- */

/*
 * Run sh -c script in the sandbox; its output, and the agent's status as
 * the worker would learn it. Every exec is let through.
 */
static char *
run(const char *script, struct sandbox_policy *pol, int *status)
{
	struct sandbox_proc		 proc;
	struct spawn			 sp;
	struct seccomp_notif		*req;
	struct seccomp_notif_resp	*resp;
	struct pollfd			 pfd[2];
	char				*argv[] = { "sh", "-c", (char *)script,
					    NULL };
	char				*envv[] = { "PATH=/usr/bin:/bin",
					    "HOME=" SANDBOX_HOME, NULL };
	char				 buf[4096], *out = xstrdup("");
	char				*more;
	int				 st, execs = 0, n;
	int64_t				 end = mono_ms() + 20000;

	memset(&sp, 0, sizeof sp);
	sp.path = "/bin/sh";
	sp.argv = argv;
	sp.envp = envv;
	sp.cwd = pol->workspace;
	ck_assert_msg(confine_spawn(&sp, pol, NULL, &proc, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert_int_gt(proc.pid, 0);
	ck_assert_int_ge(proc.master, 0);
	ck_assert_int_ge(proc.status_fd, 0);
	/* Every sandboxed session has its namespace's proxy bridge. */
	ck_assert_int_ge(proc.proxy_fd, 0);
	if (pol->exec_notify)
		ck_assert_int_ge(proc.notify_fd, 0);
	else
		ck_assert_int_eq(proc.notify_fd, -1);
	ck_assert_int_eq(seccomp_notify_alloc(&req, &resp), 0);
	while (mono_ms() < end) {
		pfd[0].fd = proc.master;
		pfd[0].events = POLLIN;
		pfd[1].fd = proc.notify_fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, proc.notify_fd != -1 ? 2 : 1, 1000) <= 0)
			continue;
		if (proc.notify_fd != -1 && (pfd[1].revents & POLLIN)) {
			memset(req, 0, sizeof *req);
			if (seccomp_notify_receive(proc.notify_fd, req) == 0) {
				execs++;
				resp->id = req->id;
				resp->val = 0;
				resp->error = 0;
				resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
				seccomp_notify_respond(proc.notify_fd, resp);
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = (int)read(proc.master, buf, sizeof buf - 1);
			if (n > 0) {
				buf[n] = '\0';
				more = xasprintf("%s%s", out, buf);
				free(out);
				out = more;
			} else if (n == 0 || errno != EAGAIN)
				break;
		}
	}
	seccomp_notify_free(req, resp);
	ck_assert_int_eq(waitpid(proc.pid, &st, 0), proc.pid);
	*status = confine_status(proc.status_fd, st);
	if (pol->exec_notify)
		ck_assert_int_gt(execs, 0);
	close(proc.master);
	close(proc.status_fd);
	close(proc.proxy_fd);
	if (proc.notify_fd != -1)
		close(proc.notify_fd);
	return (out);
}

static struct sandbox_policy	pol;
static char			*ws, *hidden, *exposed;

/* A workspace, a place to hide and one to expose, outside /tmp if we can. */
static void
spawn_setup(void)
{
	setup();
	memset(&pol, 0, sizeof pol);
	ws = xasprintf("%s/ws", tmp);
	ck_assert_int_eq(mkdir(ws, 0777), 0);
	ck_assert_int_eq(chmod(ws, 0777), 0);
	/* /tmp is private in the sandbox anyway: hide something else. */
	hidden = xasprintf("/var/tmp/check_sandbox.%ld", (long)getpid());
	ck_assert_int_eq(mkdir_p(hidden, 0755), 0);
	exposed = xasprintf("%s/exposed", hidden);
	ck_assert_int_eq(mkdir_p(exposed, 0755), 0);
	{
		char *p = xasprintf("%s/secret", hidden);

		ck_assert_int_eq(write_file_atomic(p, "secret\n", 7), 0);
		free(p);
		p = xasprintf("%s/shown", exposed);
		ck_assert_int_eq(write_file_atomic(p, "shown\n", 6), 0);
		free(p);
	}
	pol.workspace = ws;
	pol.hide[0] = hidden;
	pol.uid = 65534;
	pol.gid = 65534;
	pol.nofile_max = 256;
	pol.required = SANDBOX_ALL & ~(1u << SB_CGROUP);
	pol.expose = xcalloc(2, sizeof *pol.expose);
	pol.expose[0] = exposed;
}

static void
spawn_teardown(void)
{
	rm_rf(hidden);
	free(pol.expose);
	free(ws);
	free(hidden);
	free(exposed);
	teardown();
}

/* Skip when this host cannot sandbox (the probe says why). */
static int
spawn_possible(void)
{
	unsigned	need = (1u << SB_NAMESPACES) | (1u << SB_IDENTITY) |
			    (1u << SB_SECCOMP) | (1u << SB_LANDLOCK) |
			    (1u << SB_EXEC_POLICY);

	sandbox_probe(65534, 65534, NULL);
	if ((sandbox_available() & need) != need) {
		fprintf(stderr, "check_sandbox: namespaces, identity, seccomp "
		    "or Landlock missing: spawn tests skipped\n");
		return (0);
	}
	return (1);
}

START_TEST(test_spawn_view)
{
	char	*out, *script, *p;
	int	 status;
	struct stat st;

	if (!spawn_possible())
		return;
	pol.exec_notify = 1;
	script = xasprintf(
	    "echo \"pid=$$ ppid=$PPID uid=$(id -u) gid=$(id -g) "
	    "host=$(hostname) nofile=$(ulimit -n) core=$(ulimit -c)\"; "
	    "touch ./inside \"$HOME/h\" /tmp/t && echo wrote-ok; "
	    "touch /etc/check_sandbox 2>/dev/null || echo etc-denied; "
	    "cat %s/secret 2>/dev/null || echo secret-hidden; "
	    "touch %s/x 2>/dev/null || echo hidden-ro; "
	    "cat %s/shown; touch %s/x 2>/dev/null || echo exposed-ro; "
	    "test -e %s/marker || echo tmp-private; "
	    "test $(ls /proc | grep -c '^[0-9]') -le 6 && echo proc-private; "
	    "kill -0 %ld 2>/dev/null || echo parent-invisible; "
	    "exit 3", hidden, hidden, exposed, exposed, tmp, (long)getpid());
	p = xasprintf("%s/marker", tmp);
	ck_assert_int_eq(write_file_atomic(p, "m", 1), 0);
	free(p);
	out = run(script, &pol, &status);
	free(script);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3,
	    "status 0x%x: %s", status, out);
	p = xasprintf("%s/marker", tmp);
	ck_assert_int_eq(access(p, F_OK), 0);
	free(p);
	ck_assert_msg(strstr(out, "tmp-private") != NULL, "%s", out);
	/* Not root: a user namespace, and the agent keeps our uid. */
	p = xasprintf("pid=2 ppid=1 uid=%ld gid=%ld host=runnerd-sandbox "
	    "nofile=256 core=0", geteuid() == 0 ? 65534L : (long)geteuid(),
	    geteuid() == 0 ? 65534L : (long)getegid());
	ck_assert_msg(strstr(out, p) != NULL, "want %s in %s", p, out);
	free(p);
	ck_assert_msg(strstr(out, "wrote-ok") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "etc-denied") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "secret-hidden") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "hidden-ro") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "shown") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "exposed-ro") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "proc-private") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "parent-invisible") != NULL, "%s", out);
	/* The workspace write is on the host, the agent's. */
	p = xasprintf("%s/inside", ws);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, geteuid() == 0 ? 65534 : geteuid());
	free(p);
	ck_assert_int_eq(access("/etc/check_sandbox", F_OK), -1);
	free(out);
}
END_TEST

/* How the agent ended reaches the worker, signals included. */
START_TEST(test_spawn_status)
{
	char	*out;
	int	 status;

	if (!spawn_possible())
		return;
	out = run("kill -TERM $$", &pol, &status);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	    "status 0x%x: %s", status, out);
	free(out);
	out = run("kill -SEGV $$", &pol, &status);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	    "status 0x%x: %s", status, out);
	free(out);
	out = run("exit 0", &pol, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status 0x%x: %s", status, out);
	free(out);
	/* Without init's report, init's own status stands. */
	ck_assert_int_eq(confine_status(-1, 0x0900), 0x0900);
}
END_TEST

/* A required layer that cannot be applied fails the spawn with a cause. */
START_TEST(test_spawn_required)
{
	struct sandbox_proc	proc;
	struct spawn		sp;
	char			*argv[] = { "true", NULL }, *envv[] = { NULL };

	memset(&sp, 0, sizeof sp);
	sp.path = "/bin/true";
	sp.argv = argv;
	sp.envp = envv;
	sp.cwd = ws;
	pol.required = 1u << SB_CGROUP;
	ck_assert_int_eq(confine_spawn(&sp, &pol, NULL, &proc, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "cgroup"));
	ck_assert_int_eq(proc.pid, -1);
	ck_assert_int_eq(proc.master, -1);
}
END_TEST

/* initchan: a message and a descriptor across, long text cut, then EOF. */
START_TEST(test_initchan_roundtrip)
{
	char	 buf[SANDBOX_MSG_MAX], big[2 * SANDBOX_MSG_MAX], type = 0;
	int	 sv[2], fd = -1, null;
	ssize_t	 n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_ne(null = open("/dev/null", O_RDONLY), -1);
	ck_assert_int_eq(initchan_send(sv[0], SANDBOX_MSG_WARN, "hello", 5,
	    null), 0);
	close(null);
	n = initchan_recv(sv[1], &type, buf, sizeof buf, &fd);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(type, SANDBOX_MSG_WARN);
	ck_assert_str_eq(buf, "hello");
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);

	memset(big, 'x', sizeof big);
	ck_assert_int_eq(initchan_send(sv[0], SANDBOX_MSG_FAIL, big,
	    sizeof big, -1), 0);
	n = initchan_recv(sv[1], &type, buf, sizeof buf, &fd);
	ck_assert_int_eq(n, SANDBOX_MSG_MAX);
	ck_assert_int_eq(type, SANDBOX_MSG_FAIL);
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(strlen(buf), SANDBOX_MSG_MAX - 1);

	close(sv[0]);
	ck_assert_int_eq(initchan_recv(sv[1], &type, buf, sizeof buf, &fd), 0);
	ck_assert_int_eq(fd, -1);
	close(sv[1]);
}
END_TEST

/* initchan: a child that sends no listener is a cause, not a descriptor. */
START_TEST(test_initchan_no_listener)
{
	char	why[256];
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(initchan_send(sv[0], SANDBOX_MSG_WARN, "no seccomp",
	    10, -1), 0);
	ck_assert_int_eq(initchan_notify_recv(sv[1], 1000, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "no seccomp");
	ck_assert_int_eq(initchan_notify_recv(sv[1], 50, why,
	    sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "no listener"));
	close(sv[0]);
	close(sv[1]);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("sandbox");
	TCase	*tc;

	tc = tcase_create("layers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_layer_names);
	tcase_add_test(tc, test_config_keys);
	tcase_add_test(tc, test_required);
	suite_add_tcase(s, tc);

	tc = tcase_create("filters");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_seccomp_denies);
	tcase_add_test(tc, test_seccomp_notify);
	tcase_add_test(tc, test_landlock);
	suite_add_tcase(s, tc);

	tc = tcase_create("channel");
	tcase_add_test(tc, test_initchan_roundtrip);
	tcase_add_test(tc, test_initchan_no_listener);
	suite_add_tcase(s, tc);

	tc = tcase_create("spawn");
	tcase_add_checked_fixture(tc, spawn_setup, spawn_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_spawn_view);
	tcase_add_test(tc, test_spawn_status);
	tcase_add_test(tc, test_spawn_required);
	suite_add_tcase(s, tc);
	return (s);
}
