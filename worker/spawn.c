/* Starting the agent CLI in a pty (after tmux's spawn.c). */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "host/sandbox.h"
#include "worker/initchan.h"
#include "worker/spawn.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

#define SPAWN_NOTIFY_MS	10000	/* for the child's exec listener */

/* Set NAME=value in env, replacing an entry with the same name. */
static void
spawn_setenv(char ***envp, size_t *n, const char *name, const char *value)
{
	char	**env = *envp;
	size_t	  i, len = strlen(name);

	for (i = 0; i < *n; i++) {
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=') {
			free(env[i]);
			env[i] = xasprintf("%s=%s", name, value);
			return;
		}
	}
	env = xrealloc(env, (*n + 2) * sizeof *env);
	env[(*n)++] = xasprintf("%s=%s", name, value);
	env[*n] = NULL;
	*envp = env;
}

/* The CLI's whole environment: the base four, then START env. */
char **
spawn_env(const char *path, const char *home, const char *lang,
    struct json_object *extra)
{
	char	**env = NULL;
	size_t	  n = 0;

	env = xcalloc(1, sizeof *env);
	spawn_setenv(&env, &n, "PATH", path);
	spawn_setenv(&env, &n, "HOME", home);
	spawn_setenv(&env, &n, "TERM", "xterm-256color");
	spawn_setenv(&env, &n, "LANG", lang);
	if (extra != NULL && json_object_is_type(extra, json_type_object)) {
		json_object_object_foreach(extra, k, v) {
			if (*k == '\0' || strchr(k, '=') != NULL ||
			    !json_object_is_type(v, json_type_string))
				continue;
			spawn_setenv(&env, &n, k, json_object_get_string(v));
		}
	}
	return (env);
}

/* Pipes for a CLI's stdin and stdout; the worker's ends non-blocking. */
int
spawn_pipes(int *fds, char *cause, size_t causelen)
{
	int	in[2], out[2];

	fds[0] = fds[1] = fds[2] = fds[3] = -1;
	if (pipe2(in, O_CLOEXEC) == -1) {
		CAUSE("pipe: %s", strerror(errno));
		return (-1);
	}
	if (pipe2(out, O_CLOEXEC) == -1) {
		CAUSE("pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return (-1);
	}
	fds[0] = in[0];
	fds[1] = out[1];
	fds[2] = in[1];
	fds[3] = out[0];
	if (set_nonblock(fds[2]) == -1 || set_nonblock(fds[3]) == -1) {
		CAUSE("pipe: %s", strerror(errno));
		spawn_pipes_close(fds);
		return (-1);
	}
	return (0);
}

/* Close the pipes spawn_pipes made. */
void
spawn_pipes_close(int *fds)
{
	int	i;

	for (i = 0; i < 4; i++) {
		if (fds[i] != -1)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* The terminal a login would get: cooked, echo, UTF-8, usual keys. */
void
spawn_termios(struct termios *tio)
{
	memset(tio, 0, sizeof *tio);
	tio->c_iflag = ICRNL|IXON|IXANY|IMAXBEL|BRKINT|IUTF8;
	tio->c_oflag = OPOST|ONLCR;
	tio->c_cflag = CREAD|CS8|HUPCL;
	tio->c_lflag = ICANON|ISIG|IEXTEN|ECHO|ECHOE|ECHOK|ECHOKE|ECHOCTL;
	tio->c_cc[VINTR] = 0x03;	/* ^C */
	tio->c_cc[VQUIT] = 0x1c;	/* ^\ */
	tio->c_cc[VERASE] = 0x7f;
	tio->c_cc[VKILL] = 0x15;	/* ^U */
	tio->c_cc[VEOF] = 0x04;		/* ^D */
	tio->c_cc[VSTART] = 0x11;	/* ^Q */
	tio->c_cc[VSTOP] = 0x13;	/* ^S */
	tio->c_cc[VSUSP] = 0x1a;	/* ^Z */
	tio->c_cc[VREPRINT] = 0x12;	/* ^R */
	tio->c_cc[VWERASE] = 0x17;	/* ^W */
	tio->c_cc[VLNEXT] = 0x16;	/* ^V */
	tio->c_cc[VDISCARD] = 0x0f;	/* ^O */
	tio->c_cc[VMIN] = 1;
	tio->c_cc[VTIME] = 0;
	cfsetispeed(tio, B38400);
	cfsetospeed(tio, B38400);
}

/*
 * In the child: die with the worker, default signals and an empty mask,
 * into the workspace, the exec listener to the worker (sock, when asked
 * for), no descriptor but the pty, then exec. Failures are written to the
 * pty, so they show in the session's terminal, and end with _exit(127);
 * never exit() or return, which would run the worker's code.
 */
static void __attribute__((noreturn))
spawn_child(const struct spawn *sp, pid_t parent, int sock, const int *fds)
{
	sigset_t	set;
	char		cause[256];
	int		sig;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(127);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	/* A structured CLI: stdin and stdout are the pipes, stderr the pty. */
	if (fds[0] != -1 && (dup2(fds[0], STDIN_FILENO) == -1 ||
	    dup2(fds[1], STDOUT_FILENO) == -1)) {
		dprintf(STDERR_FILENO, "runnerd: stdio pipes: %s\r\n",
		    strerror(errno));
		_exit(127);
	}
	if (chdir(sp->cwd) == -1) {
		dprintf(STDERR_FILENO, "runnerd: cannot enter %s: %s\r\n",
		    sp->cwd, strerror(errno));
		_exit(127);
	}
	/* Without a listener the worker logs why; the CLI runs anyway. */
	if (sock != -1)
		(void)initchan_notify_child(sock, cause, sizeof cause);
	close_from(STDERR_FILENO + 1);
	execve(sp->path, sp->argv, sp->envp);
	dprintf(STDERR_FILENO, "runnerd: cannot run %s: %s\r\n", sp->path,
	    strerror(errno));
	_exit(127);
}

/* Fork the CLI on a new pty; its pid, the master and listener, or -1. */
pid_t
spawn_pty(const struct spawn *sp, int *master, int *notify_fd,
    struct spawn_stdio *stdio, char *cause, size_t causelen)
{
	struct termios	tio;
	struct winsize	ws;
	pid_t		pid, parent;
	int		fd, sock[2] = { -1, -1 };
	int		fds[4] = { -1, -1, -1, -1 };
	char		why[256];

	*notify_fd = -1;
	stdio->in = stdio->out = -1;
	if (sp->pipes && spawn_pipes(fds, cause, causelen) == -1)
		return (-1);
	if (sp->notify && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sock) == -1) {
		CAUSE("socketpair: %s", strerror(errno));
		spawn_pipes_close(fds);
		return (-1);
	}

	spawn_termios(&tio);
	memset(&ws, 0, sizeof ws);
	ws.ws_col = sp->cols > 0 ? (unsigned short)sp->cols : SPAWN_COLS;
	ws.ws_row = sp->rows > 0 ? (unsigned short)sp->rows : SPAWN_ROWS;

	parent = getpid();
	switch (pid = forkpty(&fd, NULL, &tio, &ws)) {
	case -1:
		CAUSE("cannot create a pty: %s", strerror(errno));
		if (sock[0] != -1) {
			close(sock[0]);
			close(sock[1]);
		}
		spawn_pipes_close(fds);
		return (-1);
	case 0:
		if (sock[0] != -1)
			close(sock[0]);
		spawn_child(sp, parent, sock[1], fds);
	}
	/* The CLI's ends are its own now. */
	if (fds[0] != -1) {
		close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
	}
	if (sock[0] != -1) {
		/* Before the loop: the CLI's own execve waits on it. */
		close(sock[1]);
		*notify_fd = initchan_notify_recv(sock[0], SPAWN_NOTIFY_MS, why,
		    sizeof why);
		if (*notify_fd == -1)
			log_warnx("no exec policy for this session: %s", why);
		close(sock[0]);
	}
	if (set_nonblock(fd) == -1 || set_cloexec(fd) == -1) {
		CAUSE("pty: %s", strerror(errno));
		kill(pid, SIGKILL);
		close(fd);
		if (*notify_fd != -1)
			close(*notify_fd);
		*notify_fd = -1;
		spawn_pipes_close(fds);
		return (-1);
	}
	*master = fd;
	stdio->in = fds[2];
	stdio->out = fds[3];
	return (pid);
}
