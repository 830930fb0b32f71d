/* The pool of pre-forked workers and the channel to each. */
#ifndef POOL_H
#define POOL_H

#include <sys/types.h>

#include "common/event.h"

struct evbuffer;
struct json_object;
struct pool_worker;

/* One event frame from a taken worker: the object is borrowed. */
typedef void	(*pool_event_cb)(struct json_object *, enum event_type,
		    void *);
/* A taken worker is gone (exit, signal, protocol error), and why. */
typedef void	(*pool_gone_cb)(const char *, void *);

void		 pool_init(void);
/*
 * Take a worker: an idle one, or one forked on demand. Its event frames
 * and its end go to the callbacks, with arg, until pool_release.
 */
struct pool_worker *pool_take(pool_event_cb, pool_gone_cb, void *);
/* Send a message to a worker; -1 if it is gone. */
int		 pool_send(struct pool_worker *, struct json_object *);
/* Kill a worker (and, with it, its agent's process group). */
void		 pool_kill(struct pool_worker *, const char *);
pid_t		 pool_pid(struct pool_worker *);
/* The user is done with its worker: no callback is called again. */
void		 pool_release(struct pool_worker *);
/* SIGCHLD: reap every exited worker. */
void		 pool_reap(void);
int		 pool_idle_count(void);
int		 pool_busy_count(void);
/* The pool's lines of GET /metrics. */
void		 pool_metrics(struct evbuffer *);
void		 pool_shutdown(void);
void		 pool_free_all(void);

#endif
