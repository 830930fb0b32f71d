/* runnerctl's rendering of session events for humans. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/jsonget.h"
#include "ctl/render.h"

/* Append TYPE and the event's own fields (not the common stamps) as JSON. */
static void
render_generic(struct json_object *ev, const char *type,
    struct cbuf *out)
{
	struct json_object	*rest;
	static const char *const common[] = {
		"type", "sessionId", "orgId", "repoRef", "ts", "seq", NULL
	};
	size_t			 i;
	int			 skip;

	rest = json_object_new_object();
	json_object_object_foreach(ev, k, v) {
		skip = 0;
		for (i = 0; common[i] != NULL; i++)
			skip |= strcmp(k, common[i]) == 0;
		if (!skip)	/* the new object keeps a reference */
			json_object_object_add(rest, k, json_object_get(v));
	}
	termfilter_plain_str(type, out);
	if (json_object_object_length(rest) > 0) {
		cbuf_adds(out, " ");
		termfilter_plain_str(json_object_to_json_string_ext(rest,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), out);
	}
	json_object_put(rest);
}

/* Start rendering; raw passes the agent's terminal output unfiltered. */
void
render_init(struct render *r, int raw)
{
	memset(r, 0, sizeof *r);
	r->at_bol = 1;
	r->raw = raw;
	termfilter_init(&r->tf);
}

/* Append the end of a rendering: undo the modes the output left set. */
void
render_end(struct render *r, struct cbuf *out)
{
	if (!r->raw)
		termfilter_restore(&r->tf, out);
}

/* Append JSON text made safe for a terminal (see termfilter_json). */
void
render_json_clean(const char *json, struct cbuf *out)
{
	termfilter_json(json, strlen(json), out);
}

/*
 * Append before, o's string key made safe for a terminal (dflt when it
 * has none) and after; nothing when it has none and dflt is NULL.
 */
static void
render_add_key(struct cbuf *out, const char *before, struct json_object *o,
    const char *key, const char *dflt, const char *after)
{
	const char	*s;

	if ((s = jsonget_str(o, key)) == NULL && (s = dflt) == NULL)
		return;
	cbuf_adds(out, before);
	termfilter_plain_str(s, out);
	cbuf_adds(out, after);
}

/* Append one event, rendered for humans, to out. */
void
render_event(struct render *r, struct json_object *ev,
    struct cbuf *out)
{
	struct json_object	*v, *ap;
	const char		*type, *s;
	size_t			 len, start;

	if ((type = jsonget_str(ev, "type")) == NULL)
		type = "?";
	if (strcmp(type, "TERMINAL_CHUNK") == 0) {
		if (json_object_object_get_ex(ev, "data", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    (len = (size_t)json_object_get_string_len(v)) > 0) {
			s = json_object_get_string(v);
			start = out->len;
			if (r->raw)
				cbuf_add(out, s, len);
			else
				termfilter_feed(&r->tf, s, len, out);
			if (out->len > start)
				r->at_bol = out->data[out->len - 1] == '\n';
		}
		return;
	}
	if (!r->at_bol)
		cbuf_adds(out, "\n");
	cbuf_adds(out, "-- ");
	if (strcmp(type, "SESSION_STATE_CHANGED") == 0) {
		render_add_key(out, "", ev, "previousState", "?", "");
		render_add_key(out, " -> ", ev, "newState", "?", "");
		render_add_key(out, " (", ev, "reason", NULL, ")");
	} else if (strcmp(type, "SESSION_ENDED") == 0) {
		render_add_key(out, "SESSION_ENDED ", ev, "finalState", "?", "");
		if (json_object_object_get_ex(ev, "exitCode", &v) &&
		    json_object_is_type(v, json_type_int))
			cbuf_printf(out, ", exit %d", json_object_get_int(v));
	} else if (strcmp(type, "APPROVAL_REQUESTED") == 0 &&
	    json_object_object_get_ex(ev, "approval", &ap) &&
	    jsonget_str(ap, "approvalId") != NULL) {
		render_add_key(out, "APPROVAL_REQUESTED ", ap, "approvalId",
		    NULL, "");
		render_add_key(out, ": ", ap, "summary", NULL, "");
	} else if (strcmp(type, "APPROVAL_RESOLVED") == 0 &&
	    jsonget_str(ev, "approvalId") != NULL) {
		render_add_key(out, "APPROVAL_RESOLVED ", ev, "approvalId",
		    NULL, "");
		render_add_key(out, " ", ev, "decision", NULL, "");
	} else
		render_generic(ev, type, out);
	cbuf_adds(out, "\n");
	r->at_bol = 1;
}
