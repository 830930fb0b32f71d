/* The pool of pre-forked workers and the channel to each. */
#ifndef POOL_H
#define POOL_H

#include <sys/types.h>

struct json_object;
struct session;
struct worker;

void		 pool_init(void);
/* Take a worker for a session: an idle one, or one forked on demand. */
struct worker	*pool_take(struct session *);
/* Send a message to a worker; -1 if it is gone. */
int		 pool_send(struct worker *, struct json_object *);
/* Kill a worker (and, through the session, its agent's process group). */
void		 pool_kill(struct worker *, const char *);
pid_t		 pool_pid(struct worker *);
/* A session is done with its worker: it no longer reports to it. */
void		 pool_release(struct worker *);
/* SIGCHLD: reap every exited worker. */
void		 pool_reap(void);
int		 pool_idle_count(void);
int		 pool_busy_count(void);
void		 pool_shutdown(void);
void		 pool_free_all(void);

#endif
