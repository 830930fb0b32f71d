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
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "conf.h"
#include "frame.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "server.h"
#include "session.h"
#include "util.h"

#define POOL_BACKOFF_MIN	100		/* ms */
#define POOL_BACKOFF_MAX	30000
#define POOL_LINGER_MS		10000		/* after SESSION_ENDED */
#define POOL_EOF_WAIT_MS	5000		/* reaped, channel still open */

struct worker {
	pid_t			 pid;
	struct bufferevent	*bev;
	int			 ready;
	int			 dead;		/* killed or channel closed */
	int			 released;	/* session done with it */
	int			 exited;	/* reaped; status is valid */
	int			 status;
	struct session		*session;
	int64_t			 forked_at;
	struct event		*linger;
	TAILQ_ENTRY(worker)	 entry;
};
static TAILQ_HEAD(, worker) workers = TAILQ_HEAD_INITIALIZER(workers);

static struct event	*pool_refill_ev;
static int		 pool_backoff;		/* ms, 0 when healthy */
static int		 pool_stopping;

static void	pool_read_cb(struct bufferevent *, void *);
static void	pool_event_cb(struct bufferevent *, short, void *);
static void	pool_schedule_refill(void);
static void	pool_finish(struct worker *);

/*
 * Fork a worker: a re-exec of our own binary in worker mode with its end of
 * a socketpair on fd 3, stdin and stdout on /dev/null, stderr kept for the
 * log, every other descriptor closed and signals back to their defaults.
 * The child never returns and never calls exit.
 */
static struct worker *
pool_fork(void)
{
	struct worker	*w;
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
	w->bev = bufferevent_socket_new(server_base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE);
	if (w->bev == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(w->bev, pool_read_cb, NULL, pool_event_cb, w);
	bufferevent_enable(w->bev, EV_READ|EV_WRITE);
	TAILQ_INSERT_TAIL(&workers, w, entry);
	log_debug("forked worker %ld", (long)pid);
	return (w);
}

/* Stop listening to a worker's channel: it is dying or has said all. */
static void
pool_close_channel(struct worker *w)
{
	if (w->bev != NULL) {
		bufferevent_free(w->bev);
		w->bev = NULL;
	}
}

void
pool_kill(struct worker *w, const char *why)
{
	if (w == NULL || w->dead)
		return;
	log_warnx("killing worker %ld: %s", (long)w->pid, why);
	w->dead = 1;
	kill(w->pid, SIGKILL);
	pool_close_channel(w);
}

/* A worker broke the protocol: kill it, and fail its session. */
static void
pool_protocol_error(struct worker *w, const char *cause)
{
	struct session	*s = w->session;
	char		*reason;

	reason = xasprintf("protocol error: %s", cause);
	pool_kill(w, reason);
	if (s != NULL)
		session_worker_gone(s, reason);
	free(reason);
}

/* Dispatch one frame from a worker: READY once, then its session's events. */
static void
pool_dispatch(struct worker *w, struct json_object *o, enum msg_type type,
    enum event_type ev)
{
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
		if (!w->ready || w->session == NULL) {
			pool_protocol_error(w, "event from a worker without a "
			    "session");
			return;
		}
		session_worker_event(w->session, o, ev);
		return;
	default:
		snprintf(cause, sizeof cause, "%s is not a worker message",
		    msg_type_name(type));
		pool_protocol_error(w, cause);
		return;
	}
}

/* Read every whole frame buffered on a worker's channel. */
static void
pool_read_frames(struct worker *w)
{
	struct json_object	*o;
	enum msg_type		 type;
	enum event_type		 ev = EV__COUNT;
	char			 cause[FRAME_CAUSE_MAX];
	int			 rv;

	while (!w->dead && w->bev != NULL) {
		rv = frame_read(bufferevent_get_input(w->bev), &o, &type, &ev,
		    cause, sizeof cause);
		if (rv == 0)
			break;
		if (rv == -1) {
			pool_protocol_error(w, cause);
			break;
		}
		pool_dispatch(w, o, type, ev);
		json_object_put(o);
	}
}

static void
pool_read_cb(struct bufferevent *bev, void *arg)
{
	struct worker	*w = arg;

	if (w->dead)
		return;
	pool_read_frames(w);
}

/*
 * EOF or error on the channel. Everything the worker sent has been read by
 * now; if it was already reaped, its end can be judged.
 */
static void
pool_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct worker	*w = arg;

	if (w->dead)
		return;
	if (what & (BEV_EVENT_EOF|BEV_EVENT_ERROR)) {
		log_debug("worker %ld closed its channel", (long)w->pid);
		pool_read_frames(w);
		if (!w->dead)
			pool_close_channel(w);
		if (w->exited)
			pool_finish(w);
	}
}

static void
pool_free(struct worker *w)
{
	TAILQ_REMOVE(&workers, w, entry);
	pool_close_channel(w);
	if (w->linger != NULL)
		event_free(w->linger);
	free(w);
}

/* A reaped worker whose channel is read to the end: tell its session. */
static void
pool_finish(struct worker *w)
{
	char	*why;

	if (WIFSIGNALED(w->status))
		why = xasprintf("worker exited on signal %d",
		    WTERMSIG(w->status));
	else
		why = xasprintf("worker exited with status %d",
		    WEXITSTATUS(w->status));
	if (w->session != NULL) {
		log_debug("worker %ld: %s", (long)w->pid, why);
		metrics_worker_crash();
		session_worker_gone(w->session, why);
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
	struct worker	*w = arg;

	log_warnx("worker %ld exited but its channel stays open",
	    (long)w->pid);
	pool_read_frames(w);
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
	struct worker	*w;
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
		if (w->bev == NULL || w->dead) {
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
	struct worker	*w;
	int		 n = 0;

	TAILQ_FOREACH(w, &workers, entry)
		if (w->session == NULL && !w->dead && !w->released)
			n++;
	return (n);
}

int
pool_busy_count(void)
{
	struct worker	*w;
	int		 n = 0;

	TAILQ_FOREACH(w, &workers, entry)
		if (w->session != NULL)
			n++;
	return (n);
}

/* Fork spares up to pool_size; off the request path, backing off on deaths. */
static void
pool_refill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w;
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
			if (w->session == NULL &&
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

struct worker *
pool_take(struct session *s)
{
	struct worker	*w;

	TAILQ_FOREACH(w, &workers, entry) {
		if (w->session == NULL && !w->dead && !w->released &&
		    w->bev != NULL)
			break;
	}
	if (w == NULL && (w = pool_fork()) == NULL)
		return (NULL);
	w->session = s;
	pool_schedule_refill();
	return (w);
}

int
pool_send(struct worker *w, struct json_object *o)
{
	char	cause[FRAME_CAUSE_MAX];

	if (w == NULL || w->dead || w->bev == NULL)
		return (-1);
	if (frame_write(bufferevent_get_output(w->bev), o, cause,
	    sizeof cause) == -1) {
		log_warnx("worker %ld: %s", (long)w->pid, cause);
		return (-1);
	}
	return (0);
}

pid_t
pool_pid(struct worker *w)
{
	return (w->pid);
}

static void
pool_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;

	if (w->exited)
		return;
	pool_kill(w, "still running after its session ended");
}

/*
 * The session has its SESSION_ENDED (or has given up on the worker): it
 * will hear nothing more. A worker that does not exit soon is killed.
 */
void
pool_release(struct worker *w)
{
	struct timeval	tv = { POOL_LINGER_MS / 1000, 0 };

	if (w == NULL)
		return;
	w->session = NULL;
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
	struct worker	*w;

	pool_stopping = 1;
	if (pool_refill_ev != NULL) {
		event_free(pool_refill_ev);
		pool_refill_ev = NULL;
	}
	TAILQ_FOREACH(w, &workers, entry) {
		if (w->session == NULL)
			pool_close_channel(w);
		else
			pool_kill(w, "supervisor shutting down");
	}
}

/* After the loop: forget workers still around (they see EOF and exit). */
void
pool_free_all(void)
{
	struct worker	*w;

	while ((w = TAILQ_FIRST(&workers)) != NULL)
		pool_free(w);
}
