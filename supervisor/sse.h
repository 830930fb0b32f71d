/* Server-sent events on GET /api/runner/sessions/:id/events. */
#ifndef SSE_H
#define SSE_H

#include <stddef.h>
#include <stdint.h>

struct evhttp_request;
struct session;

/*
 * Answer req with a text/event-stream of the session's events after seq
 * `after' (a valid Last-Event-ID header overrides it): id: seq, event:
 * type, data: the RunnerEvent; replayed from the log, then live, with a
 * heartbeat comment every sse_heartbeat_ms; the stream ends after
 * SESSION_ENDED. The caller has authenticated the request; it must not
 * reply to it afterwards.
 */
void		 sse_start(struct evhttp_request *, struct session *,
		    uint64_t);

#endif
