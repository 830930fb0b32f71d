/* RunnerEvent → the UI's work_stream_event, agent_spawn, agent_disconnect. */
#ifndef MAPPING_H
#define MAPPING_H

struct json_object;

/*
 * Map a RunnerEvent (borrowed) to {agentId, sessionId, type, payload,
 * timestamp}, or NULL for types the UI does not show. The caller owns it.
 */
struct json_object *mapping_work_stream_event(struct json_object *,
		    const char *);
/* agent_spawn {agentId, sessionId, agentType, agentName, repoPath, timestamp} */
struct json_object *mapping_agent_spawn(const char *, const char *,
		    const char *, const char *, const char *, long long);
/* agent_disconnect {agentId, sessionId, timestamp} */
struct json_object *mapping_agent_disconnect(const char *, const char *,
		    long long);
/* "runner_" + the first 8 characters of a session id, into out[16]. */
void		 mapping_agent_id(const char *, char *);

#endif
