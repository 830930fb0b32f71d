/* Counters for GET /metrics in the Prometheus text format. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "event.h"

struct evbuffer;

void	metrics_session_started(void);
void	metrics_session_ended(enum session_state);
void	metrics_event(enum event_type, size_t);
void	metrics_terminal_bytes(size_t);
void	metrics_worker_crash(void);
/* An event not stored: past its session's log cap. */
void	metrics_event_dropped(enum event_type);
/* A session's worker got no inotify instance. */
void	metrics_session_no_watch(void);
/* One HTTP request answered: a route name (not the raw path) and status. */
void	metrics_http(const char *, int);
void	metrics_render(struct evbuffer *);

#endif
