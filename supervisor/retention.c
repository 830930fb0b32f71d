/* The retention sweep: ended sessions are deleted after retention_ms. */
#include "config.h"

#include <event2/event.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/retention.h"
#include "supervisor/server.h"
#include "supervisor/session.h"

static struct event	*retention_ev;

/* How long until the next sweep: half the retention, within bounds. */
static int64_t
retention_interval(void)
{
	int64_t	ms = server_cfg->retention_ms / 2;

	if (ms > RETENTION_SWEEP_MAX_MS)
		ms = RETENTION_SWEEP_MAX_MS;
	if (ms < RETENTION_SWEEP_MIN_MS)
		ms = RETENTION_SWEEP_MIN_MS;
	return (ms);
}

/* Delete every ended session whose end is older than retention_ms. */
int
retention_sweep(void)
{
	struct session	*s, *next;
	struct sess_err	 err;
	int64_t		 now = now_ms(), ended;
	int		 n = 0;

	for (s = session_first(); s != NULL; s = next) {
		next = session_next(s);
		if (!s->ended)
			continue;
		/* A record from before endedAt was kept: its creation. */
		ended = s->ended_at != 0 ? s->ended_at : s->created_at;
		if (now - ended < server_cfg->retention_ms)
			continue;
		log_info("session %s: ended %lld ms ago, past retention",
		    s->id, (long long)(now - ended));
		if (session_delete(s, &err) == 0)
			n++;
	}
	return (n);
}

/* The timer: sweep (from the loop, never inside a session's callback). */
static void
retention_sweep_cb(int fd, short events, void *arg)
{
	struct timeval	tv;
	int64_t		ms;

	retention_sweep();
	ms = retention_interval();
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(retention_ev, &tv);
}

/* Start the sweep timer; the first sweep comes after one interval. */
void
retention_init(void)
{
	struct timeval	tv;
	int64_t		ms;

	if ((retention_ev = evtimer_new(server_base, retention_sweep_cb,
	    NULL)) == NULL)
		fatalx("retention: evtimer_new");
	ms = retention_interval();
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(retention_ev, &tv);
	log_debug("retention %lld ms, sweep every %lld ms",
	    (long long)server_cfg->retention_ms, (long long)ms);
}
