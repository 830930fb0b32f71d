/* The event model: RunnerEvent types, session states and their transitions. */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "common/event.h"
#include "common/util.h"

static const char *event_names[EV__COUNT] = {
	[EV_SESSION_STARTED] = "SESSION_STARTED",
	[EV_SESSION_STATE_CHANGED] = "SESSION_STATE_CHANGED",
	[EV_SESSION_ENDED] = "SESSION_ENDED",
	[EV_TERMINAL_CHUNK] = "TERMINAL_CHUNK",
	[EV_FILE_TOUCHED] = "FILE_TOUCHED",
	[EV_DIFF_SUMMARY] = "DIFF_SUMMARY",
	[EV_TEST_RUN_STARTED] = "TEST_RUN_STARTED",
	[EV_TEST_RUN_FINISHED] = "TEST_RUN_FINISHED",
	[EV_APPROVAL_REQUESTED] = "APPROVAL_REQUESTED",
	[EV_APPROVAL_RESOLVED] = "APPROVAL_RESOLVED",
	[EV_ALERT_RAISED] = "ALERT_RAISED",
	[EV_USAGE_TICK] = "USAGE_TICK",
	[EV_PROVIDER_EVENT_FORWARDED] = "PROVIDER_EVENT_FORWARDED",
	[EV_AGENT_MESSAGE] = "AGENT_MESSAGE",
};

static const char *state_names[ST__COUNT] = {
	[ST_CREATED] = "CREATED",
	[ST_PREPARING_WORKSPACE] = "PREPARING_WORKSPACE",
	[ST_STARTING_PROVIDER] = "STARTING_PROVIDER",
	[ST_RUNNING] = "RUNNING",
	[ST_WAITING_FOR_APPROVAL] = "WAITING_FOR_APPROVAL",
	[ST_PAUSED_BY_HUMAN] = "PAUSED_BY_HUMAN",
	[ST_STOPPING] = "STOPPING",
	[ST_COMPLETED] = "COMPLETED",
	[ST_FAILED] = "FAILED",
};

const char *
event_type_name(enum event_type t)
{
	return (name_of(event_names, EV__COUNT, (int)t));
}

int
event_type_from_name(const char *name)
{
	return (name_find(event_names, EV__COUNT, name));
}

const char *
session_state_name(enum session_state s)
{
	return (name_of(state_names, ST__COUNT, (int)s));
}

int
session_state_from_name(const char *name)
{
	return (name_find(state_names, ST__COUNT, name));
}

int
session_state_final(enum session_state s)
{
	return (s == ST_COMPLETED || s == ST_FAILED);
}

/*
 * The lifecycle: CREATED → PREPARING_WORKSPACE → STARTING_PROVIDER →
 * RUNNING, RUNNING ⇄ WAITING_FOR_APPROVAL, RUNNING ⇄ PAUSED_BY_HUMAN, and
 * → STOPPING → COMPLETED | FAILED. Any live state may fail (crash, protocol
 * error) or go to STOPPING (stop on request, timeout); a CLI that exits on
 * its own ends straight from RUNNING, WAITING or PAUSED. Final is final.
 */
int
session_state_can_move(enum session_state from, enum session_state to)
{
	if ((int)from < 0 || from >= ST__COUNT || (int)to < 0 ||
	    to >= ST__COUNT || from == to || session_state_final(from))
		return (0);
	if (to == ST_FAILED)
		return (1);
	if (to == ST_STOPPING)
		return (1);
	switch (from) {
	case ST_CREATED:
		return (to == ST_PREPARING_WORKSPACE);
	case ST_PREPARING_WORKSPACE:
		return (to == ST_STARTING_PROVIDER);
	case ST_STARTING_PROVIDER:
		return (to == ST_RUNNING);
	case ST_RUNNING:
		return (to == ST_WAITING_FOR_APPROVAL ||
		    to == ST_PAUSED_BY_HUMAN || to == ST_COMPLETED);
	case ST_WAITING_FOR_APPROVAL:
		return (to == ST_RUNNING || to == ST_COMPLETED);
	case ST_PAUSED_BY_HUMAN:
		return (to == ST_RUNNING || to == ST_COMPLETED);
	case ST_STOPPING:
		return (to == ST_COMPLETED);
	default:
		return (0);
	}
}

struct json_object *
event_create(enum event_type t)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "type",
	    json_object_new_string(event_type_name(t)));
	return (o);
}

struct json_object *
event_state_changed(enum session_state from, enum session_state to,
    const char *reason)
{
	struct json_object	*o;

	o = event_create(EV_SESSION_STATE_CHANGED);
	json_object_object_add(o, "previousState",
	    json_object_new_string(session_state_name(from)));
	json_object_object_add(o, "newState",
	    json_object_new_string(session_state_name(to)));
	if (reason != NULL)
		json_object_object_add(o, "reason",
		    json_object_new_string(reason));
	return (o);
}

struct json_object *
event_alert(const char *category, const char *title, const char *desc,
    struct json_object *ctx)
{
	struct json_object	*o;
	char			 id[37];

	uuid_v4(id);
	o = event_create(EV_ALERT_RAISED);
	json_object_object_add(o, "alertId", json_object_new_string(id));
	json_object_object_add(o, "severity", json_object_new_string("warn"));
	json_object_object_add(o, "category",
	    json_object_new_string(category));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "description",
	    json_object_new_string(desc));
	if (ctx != NULL)
		json_object_object_add(o, "context", ctx);
	return (o);
}

/* Cut a DIFF_SUMMARY's files[] to what fits in budget bytes of JSON. */
size_t
event_diff_trim(struct json_object *ev, size_t budget)
{
	struct json_object	*files, *kept, *v;
	size_t			 i, n, len, used = 2, omitted;
	int64_t			 before = 0;

	if (!json_object_object_get_ex(ev, "files", &files) ||
	    !json_object_is_type(files, json_type_array))
		return (0);
	n = json_object_array_length(files);
	for (i = 0; i < n; i++) {
		json_object_to_json_string_length(json_object_array_get_idx(
		    files, i), JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (used + len + 1 > budget)
			break;
		used += len + 1;
	}
	if (i == n)
		return (0);
	omitted = n - i;
	kept = json_object_new_array_ext((int)i);
	for (n = 0; n < i; n++)
		/* Both arrays hold the entry until files goes. */
		json_object_array_add(kept, json_object_get(
		    json_object_array_get_idx(files, n)));
	json_object_object_add(ev, "files", kept);
	if (json_object_object_get_ex(ev, "filesOmitted", &v))
		before = json_object_get_int64(v);
	if (before < 0)
		before = 0;
	json_object_object_add(ev, "truncated", json_object_new_boolean(1));
	json_object_object_add(ev, "filesOmitted",
	    json_object_new_int64(before + (int64_t)omitted));
	return (omitted);
}
