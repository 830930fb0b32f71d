/* The worker's session state and the transitions every part of it makes. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/event.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/utf8.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "worker/wstate.h"

struct worker	 wk;

/* The supervisor is gone or broke the protocol: take the CLI with us. */
void __attribute__((noreturn))
wstate_peer_gone(const char *why)
{
	log_warnx("%s", why);
	if (wk.pid > 0 && !wk.closing)
		killpg(wk.pid, SIGKILL);
	/* And whatever left the group, with the cgroup itself. */
	cgroup_destroy(wk.cg);
	_exit(1);
}

/* Leave the loop; worker_main cleans up and exits. */
void
wstate_exit(void)
{
	event_base_loopbreak(wk.base);
}

/* Stop reading the pty while the channel holds more than the high water. */
void
wstate_throttle(void)
{
	size_t	len;

	len = evbuffer_get_length(bufferevent_get_output(wk.chan));
	if (wk.reading && !wk.exited && len > WORKER_HIGH_WATER) {
		event_del(wk.read_ev);
		wk.reading = 0;
		wk.throttled = 1;
		log_debug("channel holds %zu bytes: pty paused", len);
	}
}

/* Send one event (consumed), stamped with the time. */
void
wstate_emit(struct json_object *ev)
{
	char	cause[FRAME_CAUSE_MAX];

	json_object_object_add(ev, "ts", json_object_new_int64(now_ms()));
	if (frame_write(bufferevent_get_output(wk.chan), ev, cause,
	    sizeof cause) == -1)
		log_warnx("event dropped: %s", cause);
	json_object_put(ev);
	wstate_throttle();
}

/* ALERT_RAISED {severity warn, category}, with its context (consumed) or not. */
void
wstate_alert(const char *category, const char *title, const char *desc,
    struct json_object *ctx)
{
	wstate_emit(event_alert(category, title, desc, ctx));
}

/*
 * s as valid UTF-8, since the supervisor rejects any frame that is not: s
 * itself (*bp NULL), or a sanitised copy held in *bp for the caller to
 * free. NULL stays NULL.
 */
const char *
wstate_utf8(const char *s, struct evbuffer **bp)
{
	struct utf8_carry	 carry = { { 0 }, 0 };

	*bp = NULL;
	if (s == NULL || utf8_valid((const unsigned char *)s, strlen(s)))
		return (s);
	if ((*bp = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	utf8_sanitize(&carry, (const unsigned char *)s, strlen(s), *bp);
	utf8_flush(&carry, *bp);
	evbuffer_add(*bp, "", 1);
	return ((const char *)evbuffer_pullup(*bp, -1));
}

/*
 * Move to another state; only legal moves are ever asked for. A reason can
 * quote libgit2, which can quote file names: it is made valid UTF-8, as
 * the supervisor rejects any frame that is not.
 */
void
wstate_move(enum session_state to, const char *reason)
{
	struct evbuffer	*b;

	if (!session_state_can_move(wk.state, to))
		fatalx("illegal transition %s -> %s",
		    session_state_name(wk.state), session_state_name(to));
	reason = wstate_utf8(reason, &b);
	log_info("%s -> %s%s%s", session_state_name(wk.state),
	    session_state_name(to), reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");
	wstate_emit(event_state_changed(wk.state, to, reason));
	wk.state = to;
	if (b != NULL)
		evbuffer_free(b);
}

/* Signal the CLI's whole process group. */
void
wstate_signal(int sig)
{
	if (wk.pid > 0 && !wk.exited && killpg(wk.pid, sig) == -1 &&
	    errno != ESRCH)
		log_warn("killpg %d %s", (int)wk.pid, signal_name(sig));
}

/* Enter STOPPING and end the CLI: SIGTERM and a grace, or SIGKILL now. */
void
wstate_stop(enum worker_stop why, const char *reason, int graceful)
{
	struct timeval	tv;
	int		paused = wk.state == ST_PAUSED_BY_HUMAN;

	wk.stopping = why;
	wstate_move(ST_STOPPING, reason);
	if (!graceful) {
		wstate_signal(SIGKILL);
		return;
	}
	wstate_signal(SIGTERM);
	if (paused)
		wstate_signal(SIGCONT);
	tv.tv_sec = wk.grace_ms / 1000;
	tv.tv_usec = (wk.grace_ms % 1000) * 1000;
	evtimer_add(wk.kill_ev, &tv);
}
