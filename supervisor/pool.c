/* The pool of pre-forked workers and the channel to each. */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/util.h"
#include "supervisor/pool.h"
#include "supervisor/server.h"

#define POOL_BACKOFF_MIN	100		/* ms */
#define POOL_BACKOFF_MAX	30000
#define POOL_LINGER_MS		10000		/* after SESSION_ENDED */
#define POOL_EOF_WAIT_MS	5000		/* reaped, channel still open */

struct pool_worker {
	pid_t			 pid;
	struct peer		*peer;
	int			 ready;
	int			 dead;		/* killed or channel closed */
	int			 released;	/* user done with it */
	int			 exited;	/* reaped; status is valid */
	int			 status;
	int			 taken;		/* by a user, until released */
	pool_event_cb		 eventcb;
	pool_gone_cb		 gonecb;
	void			*arg;
	int64_t			 forked_at;
	struct event		*linger;
	TAILQ_ENTRY(pool_worker) entry;
};
static TAILQ_HEAD(, pool_worker) workers = TAILQ_HEAD_INITIALIZER(workers);

static struct event	*pool_refill_ev;
static int		 pool_backoff;		/* ms, 0 when healthy */
static int		 pool_stopping;
static uint64_t		 pool_crashes;

static void	pool_dispatch_cb(struct peer *, struct json_object *,
		    enum msg_type, enum event_type, void *);
static void	pool_peer_gone_cb(struct peer *, enum peer_gone, const char *,
		    void *);
static void	pool_schedule_refill(void);
static void	pool_finish(struct pool_worker *);

static const struct peer_ops pool_peer_ops = {
	pool_dispatch_cb, pool_peer_gone_cb, NULL
};

/*
 * Fork a worker: a re-exec of our own binary in worker mode with its end of
 * a socketpair on fd 3, stdin and stdout on /dev/null, stderr kept for the
 * log, every other descriptor closed and signals back to their defaults.
 * The child never returns and never calls exit.
 */
static struct pool_worker *
pool_fork(void)
{
	struct pool_worker	*w;
	int		 sv[2], null;
	pid_t		 pid;
	sigset_t	 set;
	int		 sig;
	char		*argv[4];

	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return (NULL);
	}
	switch (pid = fork()) {
	case -1:
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		return (NULL);
	case 0:
		setsid();
		if (sv[1] == CHANNEL_FD) {
			if (fcntl(sv[1], F_SETFD, 0) == -1)
				_exit(126);
		} else if (dup2(sv[1], CHANNEL_FD) == -1)
			_exit(126);
		if ((null = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(null, STDIN_FILENO) == -1 ||
		    dup2(null, STDOUT_FILENO) == -1)
			_exit(126);
		close_from(CHANNEL_FD + 1);
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		argv[0] = (char *)"runnerd";
		argv[1] = (char *)"--worker";
		argv[2] = log_getverbose() > 0 ? (char *)"-v" : NULL;
		argv[3] = NULL;
		execv(server_self, argv);
		_exit(127);
	}
	close(sv[1]);
	set_nonblock(sv[0]);

	w = xcalloc(1, sizeof *w);
	w->pid = pid;
	w->forked_at = mono_ms();
	w->peer = peer_create(server_base, sv[0], &pool_peer_ops, w);
	if (w->peer == NULL)
		fatalx("peer_create");
	TAILQ_INSERT_TAIL(&workers, w, entry);
	log_debug("forked worker %ld", (long)pid);
	return (w);
}

/* Stop listening to a worker's channel: it is dying or has said all. */
static void
pool_close_channel(struct pool_worker *w)
{
	if (w->peer != NULL) {
		peer_free(w->peer);
		w->peer = NULL;
	}
}

void
pool_kill(struct pool_worker *w, const char *why)
{
	if (w == NULL || w->dead)
		return;
	log_warnx("killing worker %ld: %s", (long)w->pid, why);
	w->dead = 1;
	kill(w->pid, SIGKILL);
	pool_close_channel(w);
}

/* A worker broke the protocol: kill it, and tell its user. */
static void
pool_protocol_error(struct pool_worker *w, const char *cause)
{
	char		*reason;

	reason = xasprintf("protocol error: %s", cause);
	pool_kill(w, reason);
	if (w->taken)
		w->gonecb(reason, w->arg);
	free(reason);
}

/* Dispatch one frame from a worker: READY once, then its user's events. */
static void
pool_dispatch_cb(struct peer *p, struct json_object *o, enum msg_type type,
    enum event_type ev, void *arg)
{
	struct pool_worker	*w = arg;
	struct json_object	*v;
	char			 cause[FRAME_CAUSE_MAX];

	switch (type) {
	case MSG_READY:
		if (w->ready) {
			pool_protocol_error(w, "READY sent twice");
			return;
		}
		if (!json_object_object_get_ex(o, "protocol", &v) ||
		    json_object_get_int(v) != PROTO_VERSION) {
			snprintf(cause, sizeof cause, "worker speaks protocol "
			    "%d, not %d", json_object_get_int(v),
			    PROTO_VERSION);
			pool_protocol_error(w, cause);
			return;
		}
		w->ready = 1;
		log_debug("worker %ld ready", (long)w->pid);
		return;
	case MSG_EVENT:
		if (!w->ready || !w->taken) {
			pool_protocol_error(w, "event from a worker without a "
			    "session");
			return;
		}
		w->eventcb(o, ev, w->arg);
		return;
	default:
		snprintf(cause, sizeof cause, "%s is not a worker message",
		    msg_type_name(type));
		pool_protocol_error(w, cause);
		return;
	}
}

/*
 * The channel is gone. A bad frame kills the worker and fails its user; at
 * EOF or error everything the worker sent has been read by now, and if it
 * was already reaped its end can be judged.
 */
static void
pool_peer_gone_cb(struct peer *p, enum peer_gone why, const char *cause,
    void *arg)
{
	struct pool_worker	*w = arg;

	if (w->dead)
		return;
	if (why == PEER_BAD_FRAME) {
		pool_protocol_error(w, cause);
		return;
	}
	log_debug("worker %ld closed its channel", (long)w->pid);
	pool_close_channel(w);
	if (w->exited)
		pool_finish(w);
}

static void
pool_free(struct pool_worker *w)
{
	TAILQ_REMOVE(&workers, w, entry);
	pool_close_channel(w);
	if (w->linger != NULL)
		event_free(w->linger);
	free(w);
}

/* A reaped worker whose channel is read to the end: tell its user. */
static void
pool_finish(struct pool_worker *w)
{
	char	*why;

	if (WIFSIGNALED(w->status))
		why = xasprintf("worker exited on signal %d",
		    WTERMSIG(w->status));
	else
		why = xasprintf("worker exited with status %d",
		    WEXITSTATUS(w->status));
	if (w->taken) {
		log_debug("worker %ld: %s", (long)w->pid, why);
		pool_crashes++;
		w->gonecb(why, w->arg);
	} else if (w->released)
		log_debug("worker %ld: %s", (long)w->pid, why);
	else if (!pool_stopping) {
		log_warnx("idle worker %ld: %s", (long)w->pid, why);
		pool_backoff = pool_backoff == 0 ?
		    POOL_BACKOFF_MIN : pool_backoff * 2;
		if (pool_backoff > POOL_BACKOFF_MAX)
			pool_backoff = POOL_BACKOFF_MAX;
	}
	free(why);
	pool_free(w);
	pool_schedule_refill();
}

/* The channel of a reaped worker never reached EOF: judge it anyway. */
static void
pool_eof_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool_worker	*w = arg;

	log_warnx("worker %ld exited but its channel stays open",
	    (long)w->pid);
	if (!w->dead)
		peer_read(w->peer);
	pool_finish(w);
}

/*
 * SIGCHLD: reap every exited worker. Its last frames may still be in the
 * socket (SIGCHLD can beat them to us, and a socket bufferevent's input
 * cannot be read into by hand): while its channel is open, its end is
 * judged at the channel's EOF, once every byte it sent has been read.
 */
void
pool_reap(void)
{
	struct pool_worker	*w;
	pid_t		 pid;
	int		 status;
	struct timeval	 tv = { POOL_EOF_WAIT_MS / 1000, 0 };

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		TAILQ_FOREACH(w, &workers, entry)
			if (w->pid == pid)
				break;
		if (w == NULL)
			continue;
		w->exited = 1;
		w->status = status;
		if (w->peer == NULL || w->dead) {
			pool_finish(w);
			continue;
		}
		if (w->linger != NULL)
			event_free(w->linger);
		w->linger = evtimer_new(server_base, pool_eof_timeout_cb, w);
		evtimer_add(w->linger, &tv);
	}
	pool_schedule_refill();
}

int
pool_idle_count(void)
{
	struct pool_worker	*w;
	int		 n = 0;

	TAILQ_FOREACH(w, &workers, entry)
		if (!w->taken && !w->dead && !w->released)
			n++;
	return (n);
}

int
pool_busy_count(void)
{
	struct pool_worker	*w;
	int		 n = 0;

	TAILQ_FOREACH(w, &workers, entry)
		if (w->taken)
			n++;
	return (n);
}

/* Fork spares up to pool_size; off the request path, backing off on deaths. */
static void
pool_refill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool_worker	*w;
	int		 want;

	if (pool_stopping || server_exiting)
		return;
	want = server_cfg->pool_size - pool_idle_count();
	while (want-- > 0) {
		if ((w = pool_fork()) == NULL)
			break;
	}
	/* Spares that stay up a while mean forking works again. */
	if (pool_backoff != 0) {
		TAILQ_FOREACH(w, &workers, entry)
			if (!w->taken &&
			    mono_ms() - w->forked_at < 5000)
				break;
		if (w == NULL)
			pool_backoff = 0;
	}
}

static void
pool_schedule_refill(void)
{
	struct timeval	tv;

	if (pool_stopping || pool_refill_ev == NULL ||
	    evtimer_pending(pool_refill_ev, NULL))
		return;
	tv.tv_sec = pool_backoff / 1000;
	tv.tv_usec = (pool_backoff % 1000) * 1000;
	evtimer_add(pool_refill_ev, &tv);
}

void
pool_init(void)
{
	pool_refill_ev = evtimer_new(server_base, pool_refill_cb, NULL);
	pool_schedule_refill();
}

struct pool_worker *
pool_take(pool_event_cb eventcb, pool_gone_cb gonecb, void *arg)
{
	struct pool_worker	*w;

	TAILQ_FOREACH(w, &workers, entry) {
		if (!w->taken && !w->dead && !w->released &&
		    w->peer != NULL)
			break;
	}
	if (w == NULL && (w = pool_fork()) == NULL)
		return (NULL);
	w->taken = 1;
	w->eventcb = eventcb;
	w->gonecb = gonecb;
	w->arg = arg;
	pool_schedule_refill();
	return (w);
}

int
pool_send(struct pool_worker *w, struct json_object *o)
{
	char	cause[FRAME_CAUSE_MAX];

	if (w == NULL || w->dead || w->peer == NULL)
		return (-1);
	if (peer_send(w->peer, o, cause, sizeof cause) == -1) {
		log_warnx("worker %ld: %s", (long)w->pid, cause);
		return (-1);
	}
	return (0);
}

pid_t
pool_pid(struct pool_worker *w)
{
	return (w->pid);
}

static void
pool_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool_worker	*w = arg;

	if (w->exited)
		return;
	pool_kill(w, "still running after its session ended");
}

/*
 * The session has its SESSION_ENDED (or has given up on the worker): it
 * will hear nothing more. A worker that does not exit soon is killed.
 */
void
pool_release(struct pool_worker *w)
{
	struct timeval	tv = { POOL_LINGER_MS / 1000, 0 };

	if (w == NULL)
		return;
	w->taken = 0;
	w->eventcb = NULL;
	w->gonecb = NULL;
	w->arg = NULL;
	w->released = 1;
	if (!w->dead && !w->exited && w->linger == NULL) {
		w->linger = evtimer_new(server_base, pool_linger_cb, w);
		evtimer_add(w->linger, &tv);
	}
}

/* Shutdown: idle workers exit when their channel closes; kill the rest. */
void
pool_shutdown(void)
{
	struct pool_worker	*w;

	pool_stopping = 1;
	if (pool_refill_ev != NULL) {
		event_free(pool_refill_ev);
		pool_refill_ev = NULL;
	}
	TAILQ_FOREACH(w, &workers, entry) {
		if (!w->taken)
			pool_close_channel(w);
		else
			pool_kill(w, "supervisor shutting down");
	}
}

/* The pool's lines of GET /metrics in the Prometheus text format. */
void
pool_metrics(struct evbuffer *out)
{
	evbuffer_add_printf(out, "# HELP runnerd_workers Worker processes.\n"
	    "# TYPE runnerd_workers gauge\n"
	    "runnerd_workers{state=\"idle\"} %d\n"
	    "runnerd_workers{state=\"busy\"} %d\n",
	    pool_idle_count(), pool_busy_count());
	evbuffer_add_printf(out, "# HELP runnerd_worker_crashes_total Workers "
	    "that died without finishing their session.\n"
	    "# TYPE runnerd_worker_crashes_total counter\n"
	    "runnerd_worker_crashes_total %llu\n",
	    (unsigned long long)pool_crashes);
}

/* After the loop: forget workers still around (they see EOF and exit). */
void
pool_free_all(void)
{
	struct pool_worker	*w;

	while ((w = TAILQ_FIRST(&workers)) != NULL)
		pool_free(w);
}
