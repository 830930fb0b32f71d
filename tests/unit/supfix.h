/*
 * A supervisor on a real event base for the unit tests of pool.c,
 * session.c and gateway.c: a config with its state in a temporary
 * directory, SIGCHLD reaping workers, and fake workers (shell scripts
 * re-exec'd in place of "runnerd --worker") that write prepared frames on
 * their end of the channel, fd 3.
 */
#ifndef SUPFIX_H
#define SUPFIX_H

struct evbuffer;
struct session;

/* Fixture: base, config, pool; and back. */
void	supfix_setup(void);
void	supfix_teardown(void);
/* Append one frame holding the JSON text. */
void	supfix_frame(struct evbuffer *, const char *);
/* A READY frame for protocol version v, in a new buffer. */
struct evbuffer *supfix_ready(int);
/*
 * The next worker forked writes first (consumed) on fd 3, then, if later
 * is not NULL, waits 300 ms and writes later (consumed), then runs tail
 * (a shell command: "exit 3", "exec sleep 30"...).
 */
void	supfix_worker(struct evbuffer *, struct evbuffer *, const char *);
/* Whether workers read START (one read) before they write anything. */
void	supfix_wait_start(int);
/* Run the loop for at most ms, or until supfix_break. */
void	supfix_run(int);
void	supfix_break(void);

/*
 * Start a session of the fake provider in village v1 for alice of org1,
 * with one secret in its env (SECRET=x), on the next fake worker.
 */
struct session *supfix_session(void);

#endif
