/* runnerctl attach: a session's terminal in the user's terminal. */
#ifndef ATTACH_H
#define ATTACH_H

struct client;

/* The detach key: Ctrl-], as telnet. */
#define ATTACH_DETACH_KEY	0x1d

/*
 * Attach to session id; the runnerctl exit status. The agent's output goes
 * through a termfilter unless raw.
 */
int	attach_run(struct client *, const char *, int);

#endif
