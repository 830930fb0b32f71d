/* Server-sent events on GET /api/runner/sessions/:id/events. */
#ifndef SSE_H
#define SSE_H

#include <stddef.h>
#include <stdint.h>

struct evhttp_request;
struct gw_blob;
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
/* One event in SSE form: "id: N\nevent: TYPE\ndata: LINE\n\n". */
struct gw_blob	*sse_encode(uint64_t, const char *, const char *, size_t);
/* A Last-Event-ID value as a seq; -1 unless it is a plain number. */
int		 sse_last_event_id(const char *, uint64_t *);

#endif
