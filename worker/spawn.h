/* Starting the agent CLI in a pty (after tmux's spawn.c). */
#ifndef SPAWN_H
#define SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct json_object;
struct termios;

#define SPAWN_COLS	120
#define SPAWN_ROWS	40

/* What to run; every pointer is borrowed. */
struct spawn {
	const char	 *path;		/* resolved executable */
	char		**argv;
	char		**envp;
	const char	 *cwd;
	int		  cols;
	int		  rows;
	int		  notify;	/* hand over a listener for execve */
	int		  pipes;	/* stdin and stdout on pipes, not the pty */
};

/* The worker's ends of a CLI's stdio pipes; -1 without pipes. */
struct spawn_stdio {
	int		  in;		/* its stdin: non-blocking, cloexec */
	int		  out;		/* its stdout: non-blocking, cloexec */
};

/*
 * Two pipes for a CLI's stdin and stdout: fds[0], fds[1] the CLI's ends
 * (stdin's read end, stdout's write end), fds[2], fds[3] the worker's
 * (non-blocking); all close-on-exec. -1 with a cause.
 */
int	 spawn_pipes(int *, char *, size_t);
/* Close what spawn_pipes made (entries of -1 are skipped). */
void	 spawn_pipes_close(int *);

/*
 * The CLI's whole environment: PATH, HOME, TERM=xterm-256color, LANG, then
 * every entry of env (an object of strings; an entry replaces a base
 * variable of the same name). A NULL-terminated malloc'd vector.
 */
char	**spawn_env(const char *, const char *, const char *,
	    struct json_object *);
/* The terminal a login would get; sandbox.c's pty has it too. */
void	 spawn_termios(struct termios *);
/*
 * Fork the CLI on a new pty in its own session and process group. Returns
 * its pid with *master set (non-blocking, close-on-exec), or -1 with a
 * cause. With sp->pipes its stdin and stdout are pipes whose worker ends
 * are in *stdio (stderr stays on the pty); else *stdio is -1, -1. With sp->notify, the child first loads a seccomp filter that
 * notifies execve and execveat, and *notify_fd is its listener (its own
 * exec waits for an answer there); -1 where seccomp user notification is
 * unavailable (logged), and always -1 without sp->notify.
 */
pid_t	 spawn_pty(const struct spawn *, int *, int *, struct spawn_stdio *,
	    char *, size_t);

#endif
