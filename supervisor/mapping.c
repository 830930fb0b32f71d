/* RunnerEvent → the UI's work_stream_event, agent_spawn, agent_disconnect. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/event.h"
#include "common/util.h"
#include "supervisor/mapping.h"

/*
 * Copy the named members of ev into payload. A member absent from ev is
 * left out of the payload (never added as null); one that is present is
 * shared, whatever its value (null included).
 */
static void
mapping_copy(struct json_object *payload, struct json_object *ev,
    const char *const *keys)
{
	struct json_object	*v;
	size_t			 i;

	for (i = 0; keys[i] != NULL; i++) {
		if (!json_object_object_get_ex(ev, keys[i], &v))
			continue;
		/* payload keeps its own reference to the shared value. */
		json_object_object_add(payload, keys[i], json_object_get(v));
	}
}

/* Add a string member unless the value is NULL. */
static void
mapping_add_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

/* The work_stream_event type for a FILE_TOUCHED reason, or NULL. */
static const char *
mapping_file_type(struct json_object *ev)
{
	struct json_object	*v;
	const char		*reason;

	if (!json_object_object_get_ex(ev, "reason", &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	reason = json_object_get_string(v);
	if (strcmp(reason, "read") == 0)
		return ("file_read");
	if (strcmp(reason, "write") == 0 || strcmp(reason, "diff") == 0)
		return ("file_edit");
	if (strcmp(reason, "delete") == 0)
		return ("file_delete");
	return (NULL);
}

/* An ISO-8601 timestamp string for epoch milliseconds. */
static struct json_object *
mapping_timestamp(long long ms)
{
	char	buf[32];

	iso8601_ms(ms, buf, sizeof buf);
	return (json_object_new_string(buf));
}

/* Map one RunnerEvent to a work_stream_event (DESIGN section 5). */
struct json_object *
mapping_work_stream_event(struct json_object *ev, const char *agent_id)
{
	static const char *const started[] = {
		"providerId", "providerVersion", "workspacePath", "roomPath",
		NULL
	};
	static const char *const changed[] = {
		"previousState", "newState", "reason", NULL
	};
	static const char *const chunk[] = { "data", "stream", NULL };
	static const char *const touched[] = {
		"path", "roomPath", "reason", NULL
	};
	static const char *const diff[] = {
		"filesChanged", "linesAdded", "linesRemoved", "files", "error",
		NULL
	};
	static const char *const requested[] = { "approval", NULL };
	static const char *const resolved[] = {
		"approvalId", "decision", "note", NULL
	};
	static const char *const ended[] = {
		"finalState", "exitCode", "totalDurationMs", "totalUsage",
		"finalMessage", "summary", NULL
	};
	static const char *const message[] = { "text", NULL };
	struct json_object	*v, *out, *payload;
	const char		*type, *const *keys;
	const char		*sid = NULL;
	char			 aid[16];
	long long		 ts;

	if (ev == NULL || !json_object_object_get_ex(ev, "type", &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	switch (event_type_from_name(json_object_get_string(v))) {
	case EV_SESSION_STARTED:
		type = "session_start";
		keys = started;
		break;
	case EV_SESSION_STATE_CHANGED:
		type = "status_change";
		keys = changed;
		break;
	case EV_TERMINAL_CHUNK:
		type = "output";
		keys = chunk;
		break;
	case EV_FILE_TOUCHED:
		if ((type = mapping_file_type(ev)) == NULL)
			return (NULL);
		keys = touched;
		break;
	case EV_DIFF_SUMMARY:
		type = "file_edit";
		keys = diff;
		break;
	case EV_APPROVAL_REQUESTED:
		type = "status_change";
		keys = requested;
		break;
	case EV_APPROVAL_RESOLVED:
		type = "status_change";
		keys = resolved;
		break;
	case EV_SESSION_ENDED:
		type = "session_end";
		keys = ended;
		break;
	case EV_AGENT_MESSAGE:
		type = "agent_message";
		keys = message;
		break;
	default:
		return (NULL);
	}

	if (json_object_object_get_ex(ev, "sessionId", &v) &&
	    json_object_is_type(v, json_type_string))
		sid = json_object_get_string(v);
	if (agent_id == NULL && sid != NULL) {
		mapping_agent_id(sid, aid);
		agent_id = aid;
	}
	if (json_object_object_get_ex(ev, "ts", &v) &&
	    json_object_is_type(v, json_type_int))
		ts = (long long)json_object_get_int64(v);
	else
		ts = (long long)now_ms();

	payload = json_object_new_object();
	mapping_copy(payload, ev, keys);
	if (keys == requested)
		json_object_object_add(payload, "newState",
		    json_object_new_string("WAITING_FOR_APPROVAL"));

	out = json_object_new_object();
	mapping_add_str(out, "agentId", agent_id);
	mapping_add_str(out, "sessionId", sid);
	json_object_object_add(out, "type", json_object_new_string(type));
	json_object_object_add(out, "payload", payload);
	json_object_object_add(out, "timestamp", mapping_timestamp(ts));
	return (out);
}

/* agent_spawn for a session that was accepted. */
struct json_object *
mapping_agent_spawn(const char *agent_id, const char *session_id,
    const char *provider_id, const char *agent_name, const char *repo_path,
    long long ts_ms)
{
	struct json_object	*out;
	const char		*agent_type = "custom";

	if (provider_id != NULL && strcmp(provider_id, "codex") == 0)
		agent_type = "codex";
	else if (provider_id != NULL && (strcmp(provider_id, "claude_code") ==
	    0 || strcmp(provider_id, "claude") == 0))
		agent_type = "claude";

	out = json_object_new_object();
	json_object_object_add(out, "agentId",
	    json_object_new_string(agent_id));
	json_object_object_add(out, "sessionId",
	    json_object_new_string(session_id));
	json_object_object_add(out, "agentType",
	    json_object_new_string(agent_type));
	mapping_add_str(out, "agentName", agent_name);
	mapping_add_str(out, "repoPath", repo_path);
	json_object_object_add(out, "timestamp", mapping_timestamp(ts_ms));
	return (out);
}

/* agent_disconnect for a session that ended or never started. */
struct json_object *
mapping_agent_disconnect(const char *agent_id, const char *session_id,
    long long ts_ms)
{
	struct json_object	*out;

	out = json_object_new_object();
	json_object_object_add(out, "agentId",
	    json_object_new_string(agent_id));
	json_object_object_add(out, "sessionId",
	    json_object_new_string(session_id));
	json_object_object_add(out, "timestamp", mapping_timestamp(ts_ms));
	return (out);
}

/* The agent id of a session: runner_ + 8 characters of its id. */
void
mapping_agent_id(const char *session_id, char *out)
{
	snprintf(out, 16, "runner_%.8s", session_id);
}
