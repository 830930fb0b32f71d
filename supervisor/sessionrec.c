/* A session's record on disk: session.json, written and read back. */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/approval.h"
#include "supervisor/eventlog.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sessionrec.h"

/* The session's directory in the state dir; the caller frees it. */
char *
sessionrec_dir(const char *id)
{
	return (xasprintf("%s/sessions/%s", server_cfg->state_dir, id));
}

/* An epoch-ms member, 0 when missing. */
static int64_t
sessionrec_get_time(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (0);
	return (json_object_get_int64(v));
}

/*
 * Write session.json from o, the session's state (borrowed, added to):
 * what a restarted supervisor needs, no secret value.
 */
void
sessionrec_save(struct session *s, struct json_object *o)
{
	const char		*text;
	size_t			 len;
	char			*dir, *path;

	json_object_object_add(o, "createdAtMs",
	    json_object_new_int64(s->created_at));
	json_object_object_add(o, "startedAtMs",
	    json_object_new_int64(s->started_at));
	json_object_object_add(o, "endedAtMs",
	    json_object_new_int64(s->ended_at));
	json_object_object_add(o, "ended", json_object_new_boolean(s->ended));
	json_object_object_add(o, "record", json_object_get(s->record));
	json_object_object_add(o, "approvals",
	    json_object_get(approval_records(s->approvals)));
	text = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	dir = sessionrec_dir(s->id);
	path = xasprintf("%s/session.json", dir);
	if (write_file_atomic(path, text, len) == -1)
		log_warn("%s", path);
	free(path);
	free(dir);
}

/*
 * What a driven session's SESSION_ENDED (totalUsage, finalMessage,
 * summary) or AGENT_MESSAGE (text: the final message so far) leaves for
 * the GET.
 */
void
sessionrec_keep_end(struct session *s, struct json_object *ev)
{
	struct json_object	*v;
	const char		*str;

	if ((v = jsonget_member(ev, "totalUsage")) != NULL &&
	    json_object_is_type(v, json_type_object)) {
		json_object_put(s->total_usage);
		s->total_usage = NULL;
		json_object_deep_copy(v, &s->total_usage, NULL);
	}
	if ((str = jsonget_str(ev, "finalMessage")) != NULL ||
	    (str = jsonget_str(ev, "text")) != NULL) {
		free(s->final_message);
		s->final_message = xstrdup(str);
	}
	if ((str = jsonget_str(ev, "summary")) != NULL) {
		free(s->summary);
		s->summary = xstrdup(str);
	}
}

/* Whether SESSION_ENDED's finalMessage and summary are strings, if there. */
int
sessionrec_end_valid(struct json_object *ev)
{
	struct json_object	*v;

	return (((v = jsonget_member(ev, "finalMessage")) == NULL ||
	    json_object_is_type(v, json_type_string)) &&
	    ((v = jsonget_member(ev, "summary")) == NULL ||
	    json_object_is_type(v, json_type_string)));
}

/* finalMessage, summary and usage (the end's, else the last tick's). */
void
sessionrec_agent_json(struct session *s, struct json_object *o)
{
	struct json_object	*v;

	json_object_object_add(o, "finalMessage", s->final_message != NULL ?
	    json_object_new_string(s->final_message) : NULL);
	json_object_object_add(o, "summary", s->summary != NULL ?
	    json_object_new_string(s->summary) : NULL);
	v = s->total_usage != NULL ? s->total_usage : s->last_usage;
	json_object_object_add(o, "usage", v != NULL ? json_object_get(v) :
	    NULL);
}

/* Read session.json; NULL (logged) if there is none to read. */
struct json_object *
sessionrec_read(const char *id)
{
	struct json_object	*o;
	char			*dir, *path, *text;

	dir = sessionrec_dir(id);
	path = xasprintf("%s/session.json", dir);
	text = read_file(path, NULL);
	free(path);
	free(dir);
	if (text == NULL || (o = json_tokener_parse(text)) == NULL) {
		log_warnx("session %s: no readable session.json, skipped", id);
		free(text);
		return (NULL);
	}
	free(text);
	return (o);
}

/*
 * Fill a fresh session from its session.json (o, borrowed) and reopen its
 * event log; -1 (logged) if the log cannot be opened.
 */
int
sessionrec_load(struct session *s, struct json_object *o)
{
	struct json_object	*v;
	char			*dir, cause[256];
	const char		*str;
	int			 st;

	s->org_id = xstrdup((str = jsonget_str(o, "orgId")) ? str : "default");
	s->user_id = xstrdup((str = jsonget_str(o, "userId")) ? str : "");
	s->village_id = xstrdup((str = jsonget_str(o, "villageId")) ?
	    str : "demo");
	if ((str = jsonget_str(o, "agentName")) != NULL)
		s->agent_name = xstrdup(str);
	s->provider_id = xstrdup((str = jsonget_str(o, "providerId")) ?
	    str : "unknown");
	if ((str = jsonget_str(o, "providerVersion")) != NULL)
		s->provider_version = xstrdup(str);
	if ((str = jsonget_str(o, "workspace")) != NULL)
		s->workspace = xstrdup(str);
	if ((str = jsonget_str(o, "errorMessage")) != NULL)
		s->error_message = xstrdup(str);
	if ((str = jsonget_str(o, "finalMessage")) != NULL)
		s->final_message = xstrdup(str);
	if ((str = jsonget_str(o, "summary")) != NULL)
		s->summary = xstrdup(str);
	if (json_object_object_get_ex(o, "usage", &v) &&
	    json_object_is_type(v, json_type_object)) {
		/* Ended sessions' totals; a running one's come with ticks. */
		if (json_object_object_get_ex(o, "ended", &v) &&
		    json_object_get_boolean(v))
			json_object_deep_copy(json_object_object_get(o,
			    "usage"), &s->total_usage, NULL);
		else
			json_object_deep_copy(json_object_object_get(o,
			    "usage"), &s->last_usage, NULL);
	}
	st = (str = jsonget_str(o, "state")) ? session_state_from_name(str) :
	    -1;
	s->state = st == -1 ? ST_CREATED : (enum session_state)st;
	s->created_at = sessionrec_get_time(o, "createdAtMs");
	s->started_at = sessionrec_get_time(o, "startedAtMs");
	s->ended_at = sessionrec_get_time(o, "endedAtMs");
	if (json_object_object_get_ex(o, "exitCode", &v) &&
	    json_object_is_type(v, json_type_int)) {
		s->has_exit_code = 1;
		s->exit_code = json_object_get_int(v);
	}
	if (json_object_object_get_ex(o, "providerPid", &v))
		s->provider_pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "ended", &v))
		s->ended = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "record", &v))
		s->record = json_object_get(v);
	else
		s->record = json_object_new_object();
	if (json_object_object_get_ex(o, "approvals", &v) &&
	    json_object_is_type(v, json_type_object))
		approval_restore(s->approvals, v);
	dir = sessionrec_dir(s->id);
	s->log = eventlog_open(dir, &s->last_seq, cause, sizeof cause);
	free(dir);
	if (s->log == NULL) {
		log_warnx("session %s: %s, skipped", s->id, cause);
		return (-1);
	}
	return (0);
}

/* Call cb with the id of every session directory in the state dir. */
void
sessionrec_scan(void (*cb)(const char *, void *), void *arg)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir;

	dir = xasprintf("%s/sessions", server_cfg->state_dir);
	d = opendir(dir);
	free(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (uuid_valid(de->d_name))
			cb(de->d_name, arg);
	}
	closedir(d);
}
