/* Counters for GET /metrics in the Prometheus text format. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway.h"
#include "metrics.h"
#include "pool.h"
#include "session.h"
#include "util.h"

struct metrics_http_row {
	char		*route;
	int		 status;
	uint64_t	 count;
};

static uint64_t			 m_started;
static uint64_t			 m_ended[ST__COUNT];
static uint64_t			 m_events[EV__COUNT];
static uint64_t			 m_event_bytes;
static uint64_t			 m_terminal_bytes;
static uint64_t			 m_worker_crashes;
static uint64_t			 m_dropped[EV__COUNT];
static uint64_t			 m_no_watch;
static struct metrics_http_row	*m_http;
static size_t			 m_nhttp;

void
metrics_session_started(void)
{
	m_started++;
}

void
metrics_session_ended(enum session_state st)
{
	if ((int)st >= 0 && st < ST__COUNT)
		m_ended[st]++;
}

void
metrics_event(enum event_type t, size_t bytes)
{
	if ((int)t >= 0 && t < EV__COUNT)
		m_events[t]++;
	m_event_bytes += bytes;
}

void
metrics_terminal_bytes(size_t n)
{
	m_terminal_bytes += n;
}

void
metrics_worker_crash(void)
{
	m_worker_crashes++;
}

void
metrics_event_dropped(enum event_type t)
{
	if ((int)t >= 0 && t < EV__COUNT)
		m_dropped[t]++;
}

void
metrics_session_no_watch(void)
{
	m_no_watch++;
}

void
metrics_http(const char *route, int status)
{
	size_t	i;

	for (i = 0; i < m_nhttp; i++) {
		if (m_http[i].status == status &&
		    strcmp(m_http[i].route, route) == 0) {
			m_http[i].count++;
			return;
		}
	}
	m_http = xrealloc(m_http, (m_nhttp + 1) * sizeof *m_http);
	m_http[m_nhttp].route = xstrdup(route);
	m_http[m_nhttp].status = status;
	m_http[m_nhttp].count = 1;
	m_nhttp++;
}

void
metrics_render(struct evbuffer *out)
{
	int		 count[ST__COUNT] = { 0 };
	struct session	*s;
	size_t		 i;
	int		 st, t;

	for (s = session_first(); s != NULL; s = session_next(s))
		count[s->state]++;
	evbuffer_add_printf(out, "# HELP runnerd_sessions Sessions by state.\n"
	    "# TYPE runnerd_sessions gauge\n");
	for (st = 0; st < ST__COUNT; st++)
		evbuffer_add_printf(out, "runnerd_sessions{state=\"%s\"} %d\n",
		    session_state_name(st), count[st]);
	evbuffer_add_printf(out, "# HELP runnerd_sessions_started_total "
	    "Sessions started.\n# TYPE runnerd_sessions_started_total "
	    "counter\nrunnerd_sessions_started_total %llu\n",
	    (unsigned long long)m_started);
	evbuffer_add_printf(out, "# HELP runnerd_sessions_ended_total "
	    "Sessions ended, by final state.\n"
	    "# TYPE runnerd_sessions_ended_total counter\n");
	evbuffer_add_printf(out, "runnerd_sessions_ended_total{state=\""
	    "COMPLETED\"} %llu\n", (unsigned long long)m_ended[ST_COMPLETED]);
	evbuffer_add_printf(out, "runnerd_sessions_ended_total{state=\""
	    "FAILED\"} %llu\n", (unsigned long long)m_ended[ST_FAILED]);
	evbuffer_add_printf(out, "# HELP runnerd_events_total Events "
	    "recorded, by type.\n# TYPE runnerd_events_total counter\n");
	for (t = 0; t < EV__COUNT; t++)
		evbuffer_add_printf(out, "runnerd_events_total{type=\"%s\"} "
		    "%llu\n", event_type_name(t),
		    (unsigned long long)m_events[t]);
	evbuffer_add_printf(out, "# HELP runnerd_events_dropped_total Events "
	    "not stored, past their session's max_log_bytes, by type.\n"
	    "# TYPE runnerd_events_dropped_total counter\n");
	for (t = 0; t < EV__COUNT; t++)
		if (t == EV_TERMINAL_CHUNK || t == EV_FILE_TOUCHED ||
		    t == EV_DIFF_SUMMARY)
			evbuffer_add_printf(out, "runnerd_events_dropped_total"
			    "{type=\"%s\"} %llu\n", event_type_name(t),
			    (unsigned long long)m_dropped[t]);
	evbuffer_add_printf(out, "# HELP runnerd_sessions_without_watch_total "
	    "Sessions whose worker got no inotify instance "
	    "(fs.inotify.max_user_instances).\n"
	    "# TYPE runnerd_sessions_without_watch_total counter\n"
	    "runnerd_sessions_without_watch_total %llu\n",
	    (unsigned long long)m_no_watch);
	evbuffer_add_printf(out, "# HELP runnerd_event_log_bytes_total Bytes "
	    "appended to event logs.\n# TYPE runnerd_event_log_bytes_total "
	    "counter\nrunnerd_event_log_bytes_total %llu\n",
	    (unsigned long long)m_event_bytes);
	evbuffer_add_printf(out, "# HELP runnerd_terminal_bytes_total "
	    "Terminal output bytes received.\n"
	    "# TYPE runnerd_terminal_bytes_total counter\n"
	    "runnerd_terminal_bytes_total %llu\n",
	    (unsigned long long)m_terminal_bytes);
	evbuffer_add_printf(out, "# HELP runnerd_workers Worker processes.\n"
	    "# TYPE runnerd_workers gauge\n"
	    "runnerd_workers{state=\"idle\"} %d\n"
	    "runnerd_workers{state=\"busy\"} %d\n",
	    pool_idle_count(), pool_busy_count());
	evbuffer_add_printf(out, "# HELP runnerd_worker_crashes_total Workers "
	    "that died without finishing their session.\n"
	    "# TYPE runnerd_worker_crashes_total counter\n"
	    "runnerd_worker_crashes_total %llu\n",
	    (unsigned long long)m_worker_crashes);
	evbuffer_add_printf(out, "# HELP runnerd_http_requests_total HTTP "
	    "requests answered, by route and status.\n"
	    "# TYPE runnerd_http_requests_total counter\n");
	for (i = 0; i < m_nhttp; i++)
		evbuffer_add_printf(out, "runnerd_http_requests_total{route=\""
		    "%s\",status=\"%d\"} %llu\n", m_http[i].route,
		    m_http[i].status, (unsigned long long)m_http[i].count);
	gateway_metrics(out);
}
