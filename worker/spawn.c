/* Starting the agent CLI in a pty (after tmux's spawn.c). */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <errno.h>
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
spawn_child(const struct spawn *sp, pid_t parent, int sock)
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
spawn_pty(const struct spawn *sp, int *master, int *notify_fd, char *cause,
    size_t causelen)
{
	struct termios	tio;
	struct winsize	ws;
	pid_t		pid, parent;
	int		fd, sock[2] = { -1, -1 };
	char		why[256];

	*notify_fd = -1;
	if (sp->notify && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sock) == -1) {
		CAUSE("socketpair: %s", strerror(errno));
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
		return (-1);
	case 0:
		if (sock[0] != -1)
			close(sock[0]);
		spawn_child(sp, parent, sock[1]);
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
		return (-1);
	}
	*master = fd;
	return (pid);
}
