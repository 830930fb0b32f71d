/*
 * The agent's sandbox (DESIGN section 9).
 *
 * confine_spawn() clones "init" into new mount, pid, ipc, uts and network
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
 * probes each layer once at start-up (sandbox_probe, host/sandbox.c) for
 * the log, /healthz and sandbox_required. The view is built in fsview.c.
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
#include "worker/confine.h"
#include "worker/proxy.h"
#include "worker/spawn.h"
#include "worker/workspace.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

_Static_assert(SANDBOX_PROXY_PORT == PROXY_PORT, "one proxy port");

#define SANDBOX_SETUP_MS	10000	/* for init and the agent to be ready */


/* A line on the session's terminal (fd 2 is the pty in the child). */
static void
confine_say(const char *fmt, ...)
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
confine_die(const char *fmt, ...)
{
	char	buf[SANDBOX_MSG_MAX - 1];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	confine_say("%s", buf);
	initchan_send(SANDBOX_CTL_FD, SANDBOX_MSG_FAIL, buf, strlen(buf), -1);
	_exit(127);
}

/* A layer could not be applied: fatal when required, else reported. */
static void
confine_layer_failed(const struct sandbox_ctx *c, int l, const char *why)
{
	char	buf[SANDBOX_MSG_MAX - 1];

	if (c->pol->required & (1u << l))
		confine_die("required layer %s failed: %s",
		    config_layer_name(l), why);
	snprintf(buf, sizeof buf, "layer %s not applied: %s",
	    config_layer_name(l), why);
	initchan_send(SANDBOX_CTL_FD, SANDBOX_MSG_WARN, buf, strlen(buf), -1);
}

/* The loopback of a new network namespace starts down. */
static int
confine_lo_up(char *cause, size_t causelen)
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
confine_signals_reset(void)
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
confine_rlimits(const struct sandbox_ctx *c, char *cause, size_t causelen)
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
confine_identity(const struct sandbox_ctx *c, char *cause, size_t causelen)
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
confine_agent(struct sandbox_ctx *c)
{
	const struct spawn	*sp = c->sp;
	const char		*writable[] = { c->pol->workspace,
				    c->viewed ? "/tmp" : NULL,
				    c->viewed ? SANDBOX_HOME : NULL, NULL };
	char			 why[256];
	int			 nfd = -1, what;

	confine_signals_reset();
	close(SANDBOX_PROXY_FD);
	/* A structured CLI speaks on pipes; its stderr stays the pty. */
	if (sp->pipes) {
		if (dup2(SANDBOX_STDIN_FD, STDIN_FILENO) == -1 ||
		    dup2(SANDBOX_STDOUT_FD, STDOUT_FILENO) == -1)
			confine_die("stdio pipes: %s", strerror(errno));
		close(SANDBOX_STDIN_FD);
		close(SANDBOX_STDOUT_FD);
	}
	if (confine_rlimits(c, why, sizeof why) == -1)
		confine_layer_failed(c, SB_RLIMITS, why);
	if (confine_identity(c, why, sizeof why) == -1)
		confine_layer_failed(c, SB_IDENTITY, why);
	if (chdir(sp->cwd) == -1)
		confine_die("cannot enter %s: %s", sp->cwd, strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		confine_die("no_new_privs: %s", strerror(errno));
	if (landlock_apply(writable, why, sizeof why) == -1)
		confine_layer_failed(c, SB_LANDLOCK, why);

	what = SANDBOX_SECCOMP_DENY;
	if (c->pol->exec_notify)
		what |= SANDBOX_SECCOMP_NOTIFY;
	if (seccomp_filter_load(what, &nfd, why, sizeof why) == -1 &&
	    (what & SANDBOX_SECCOMP_NOTIFY)) {
		confine_layer_failed(c, SB_EXEC_POLICY, why);
		what &= ~SANDBOX_SECCOMP_NOTIFY;
		if (seccomp_filter_load(what, &nfd, why, sizeof why) == -1)
			confine_layer_failed(c, SB_SECCOMP, why);
	} else if (nfd == -1 && (what & SANDBOX_SECCOMP_NOTIFY))
		confine_layer_failed(c, SB_SECCOMP, why);

	/*
	 * From here the worker returns to its loop, where the exec policy
	 * answers the notification of the execve below.
	 */
	if (nfd != -1) {
		if (initchan_send(SANDBOX_CTL_FD, SANDBOX_MSG_NOTIFY, NULL, 0,
		    nfd) == -1)
			confine_die("sending the listener: %s",
			    strerror(errno));
		close(nfd);
	} else if (initchan_send(SANDBOX_CTL_FD, SANDBOX_MSG_READY, NULL, 0,
	    -1) == -1)
		_exit(127);
	close_from(STDERR_FILENO + 1);
	execve(sp->path, sp->argv, sp->envp);
	confine_say("cannot run %s: %s", sp->path, strerror(errno));
	_exit(127);
}

/* The bridge to the session's proxy, init's other child. */
static void __attribute__((noreturn))
confine_bridge(const int *lfd, int nl)
{
	int	fd;

	confine_signals_reset();
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	close(SANDBOX_CTL_FD);
	proxybridge_serve(SANDBOX_PROXY_FD, lfd, nl);
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
confine_init(struct sandbox_ctx *c)
{
	char		why[256], type;
	pid_t		agent, pid;
	int		status, fd, sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
			    SIGTSTP, SIGTTIN, SIGTTOU };
	int		lfd[2], nl;
	size_t		i;
	ssize_t		n;

	/* Wait for the worker: the cgroup, the user namespace's maps. */
	n = initchan_recv(SANDBOX_CTL_FD, &type, why, sizeof why, &fd);
	if (n <= 0 || type != SANDBOX_MSG_GO)
		_exit(127);
	if (setsid() == -1 || ioctl(STDIN_FILENO, TIOCSCTTY, 0) == -1)
		confine_die("controlling terminal: %s", strerror(errno));
	prctl(PR_SET_NAME, "runnerd-init", 0, 0, 0);
	if ((c->nsflags & CLONE_NEWPID) == 0)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if ((c->nsflags & CLONE_NEWUTS) && sethostname(SANDBOX_HOSTNAME,
	    strlen(SANDBOX_HOSTNAME)) == -1) {
		snprintf(why, sizeof why, "hostname: %s", strerror(errno));
		confine_layer_failed(c, SB_NAMESPACES, why);
	}
	if (c->nsflags & CLONE_NEWNS) {
		if (fsview_build(c, why, sizeof why) == -1)
			confine_layer_failed(c, SB_NAMESPACES, why);
		else
			c->viewed = 1;
	}
	/*
	 * The proxy is the only way out; without it, no session. Its
	 * bridge listens before the agent runs (the agent stays pid 2).
	 */
	if ((c->nsflags & CLONE_NEWNET) == 0)
		confine_die("no network namespace");
	if (confine_lo_up(why, sizeof why) == -1)
		confine_die("network namespace: %s", why);
	if ((nl = proxybridge_listen(SANDBOX_PROXY_PORT, lfd)) == -1)
		confine_die("proxy bridge: %s", strerror(errno));

	for (i = 0; i < nitems(sigs); i++)
		signal(sigs[i], SIG_IGN);
	switch (agent = fork()) {
	case -1:
		confine_die("fork: %s", strerror(errno));
	case 0:
		confine_agent(c);
	}
	/* Only the agent holds its pipes: its stdout ends when it does. */
	if (c->sp->pipes) {
		close(SANDBOX_STDIN_FD);
		close(SANDBOX_STDOUT_FD);
	}
	switch (fork()) {
	case -1:
		confine_die("fork: %s", strerror(errno));
	case 0:
		confine_bridge(lfd, nl);
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
	initchan_send(SANDBOX_CTL_FD, SANDBOX_MSG_STATUS, &status,
	    sizeof status, -1);
	/* Only if the report is lost: a shell's encoding. */
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
}

/*
 * The clone child, before init proper: die with the worker, put the pty
 * on 0, 1, 2, the socketpairs on 3 and 4, the agent's stdio pipes (if
 * any) on 5 and 6, and close everything else.
 */
static void __attribute__((noreturn))
confine_child(struct sandbox_ctx *c, int slave, int ctl, int px,
    const int *pipes)
{
	int	in = -1, out = -1, last;

	confine_signals_reset();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((slave = fcntl(slave, F_DUPFD, 10)) == -1 ||
	    (ctl = fcntl(ctl, F_DUPFD, 10)) == -1 ||
	    (px != -1 && (px = fcntl(px, F_DUPFD, 10)) == -1) ||
	    (pipes[0] != -1 && ((in = fcntl(pipes[0], F_DUPFD, 10)) == -1 ||
	    (out = fcntl(pipes[1], F_DUPFD, 10)) == -1)))
		_exit(127);
	if (dup2(slave, STDIN_FILENO) == -1 ||
	    dup2(slave, STDOUT_FILENO) == -1 ||
	    dup2(slave, STDERR_FILENO) == -1 ||
	    dup2(ctl, SANDBOX_CTL_FD) == -1 ||
	    (px != -1 && dup2(px, SANDBOX_PROXY_FD) == -1) ||
	    (in != -1 && (dup2(in, SANDBOX_STDIN_FD) == -1 ||
	    dup2(out, SANDBOX_STDOUT_FD) == -1)))
		_exit(127);
	last = px != -1 ? SANDBOX_PROXY_FD : SANDBOX_CTL_FD;
	if (in != -1)
		last = SANDBOX_STDOUT_FD;
	close_from(last + 1);
	confine_init(c);
}

/* Map the worker's uid and gid to themselves in init's user namespace. */
static int
confine_userns_map(pid_t pid, char *cause, size_t causelen)
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
confine_worker_layer(const struct sandbox_policy *pol, unsigned layers,
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
confine_wait_ready(int ctl, char *cause, size_t causelen)
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
		n = initchan_recv(ctl, &type, buf, sizeof buf, &fd);
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
confine_spawn(const struct spawn *sp, const struct sandbox_policy *pol,
    struct cgroup *cg, struct sandbox_proc *out, char *cause,
    size_t causelen)
{
	struct sandbox_ctx	 c;
	struct termios		 tio;
	struct winsize		 ws;
	char			 why[256];
	int			 master = -1, slave = -1, ctl[2] = { -1, -1 };
	int			 px[2] = { -1, -1 }, flags, full, nfd;
	int			 pipes[4] = { -1, -1, -1, -1 };
	pid_t			 pid;

	memset(out, 0, sizeof *out);
	out->pid = -1;
	out->master = out->notify_fd = out->proxy_fd = out->status_fd = -1;
	out->stdin_fd = out->stdout_fd = -1;
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
	if (sp->pipes && spawn_pipes(pipes, cause, causelen) == -1)
		goto fail;

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
		if (confine_worker_layer(pol, 1u << SB_NAMESPACES, why, cause,
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
		if (pipes[2] != -1) {
			close(pipes[2]);
			close(pipes[3]);
		}
		confine_child(&c, slave, ctl[1], px[1], pipes);
	}
	close(slave);
	slave = -1;
	if (pipes[0] != -1) {
		close(pipes[0]);
		close(pipes[1]);
		pipes[0] = pipes[1] = -1;
	}
	close(ctl[1]);
	ctl[1] = -1;
	if (px[1] != -1) {
		close(px[1]);
		px[1] = -1;
	}

	if ((flags & CLONE_NEWUSER) && confine_userns_map(pid, why,
	    sizeof why) == -1) {
		CAUSE("sandbox: user namespace: %s", why);
		goto kill;
	}
	if (cg != NULL && cgroup_attach(cg, pid, why, sizeof why) == -1 &&
	    confine_worker_layer(pol, 1u << SB_CGROUP, why, cause,
	    causelen) == -1)
		goto kill;
	if (initchan_send(ctl[0], SANDBOX_MSG_GO, NULL, 0, -1) == -1) {
		CAUSE("sandbox: %s", strerror(errno));
		goto kill;
	}
	if ((nfd = confine_wait_ready(ctl[0], cause, causelen)) == -2)
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
	out->stdin_fd = pipes[2];
	out->stdout_fd = pipes[3];
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
	spawn_pipes_close(pipes);
	return (-1);
}

/* The agent's wait status from init's report, else init's own. */
int
confine_status(int fd, int status)
{
	char	type, buf[SANDBOX_MSG_MAX];
	int	agent, pfd;
	ssize_t	n;

	while ((n = initchan_recv(fd, &type, buf, sizeof buf, &pfd)) > 0) {
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
