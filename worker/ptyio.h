/*
 * The CLI's terminal from the worker's side: input queued for the pty
 * master, output read from it, its window size. The worker owns the
 * master, the queue and the events; these only use them.
 */
#ifndef PTYIO_H
#define PTYIO_H

#include <sys/types.h>

#include <stddef.h>

struct evbuffer;
struct event;

/* Write what master takes of input; write_ev pending while some is left. */
void	 ptyio_write(int, struct evbuffer *, struct event *);
/*
 * Queue len bytes for the terminal and write what it takes; -1 (dropped,
 * logged) when more than max bytes would be pending.
 */
int	 ptyio_input(int, struct evbuffer *, struct event *, const char *,
	    size_t, size_t);
/*
 * Read what the terminal holds into buf: the bytes read, 0 when nothing is
 * there now, -1 at its end (EIO once the last holder of the tty is gone;
 * other errors are logged).
 */
ssize_t	 ptyio_read(int, void *, size_t);
/* Set the window size (TIOCSWINSZ), logging a failure. */
void	 ptyio_resize(int, int, int);

#endif
