/* RunnerEvent → the UI's work_stream_event, agent_spawn, agent_disconnect. */
#ifndef MAPPING_H
#define MAPPING_H

struct json_object;

/*
 * Map a RunnerEvent (borrowed) to {agentId, sessionId, type, payload,
 * timestamp} (DESIGN section 5), or NULL for types the UI does not show
 * (and FILE_TOUCHED with an unknown reason). A payload field absent from
 * the event is left out, never set to null. agentId may be NULL: it is then
 * derived from the event's sessionId. The caller owns the result.
 */
struct json_object *mapping_work_stream_event(struct json_object *,
		    const char *);
/*
 * agent_spawn {agentId, sessionId, agentType (codex, claude or custom, by
 * provider id), agentName, repoPath, timestamp}; a NULL name or path is
 * left out.
 */
struct json_object *mapping_agent_spawn(const char *, const char *,
		    const char *, const char *, const char *, long long);
/* agent_disconnect {agentId, sessionId, timestamp} */
struct json_object *mapping_agent_disconnect(const char *, const char *,
		    long long);
/* "runner_" + the first 8 characters of a session id, into out[16]. */
void		 mapping_agent_id(const char *, char *);

#endif
