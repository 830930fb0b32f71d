/* The worker process: one session, from START to SESSION_ENDED. */
#ifndef WORKER_H
#define WORKER_H

/* Run as a worker on the channel at CHANNEL_FD; never returns. */
__attribute__((noreturn)) void worker_main(int);

#endif
