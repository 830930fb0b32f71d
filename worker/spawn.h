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
};

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
 * cause. With sp->notify, the child first loads a seccomp filter that
 * notifies execve and execveat, and *notify_fd is its listener (its own
 * exec waits for an answer there); -1 where seccomp user notification is
 * unavailable (logged), and always -1 without sp->notify.
 */
pid_t	 spawn_pty(const struct spawn *, int *, int *, char *, size_t);

#endif
