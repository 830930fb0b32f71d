/* The API's session routes: list, start, read, control, approve. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/control.h"
#include "supervisor/reply.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sessroute.h"
#include "supervisor/sse.h"
#include "supervisor/validate.h"

#define SESSROUTE_EVENTS_LIMIT	1000
#define SESSROUTE_EVENTS_MAX	10000

/* Parse the query string; a 400 naming "query" if it is malformed. */
static int
sessroute_query(struct api_ctx *ctx)
{
	const struct evhttp_uri	*uri;
	const char		*q;

	uri = evhttp_request_get_evhttp_uri(ctx->req);
	if (uri == NULL || (q = evhttp_uri_get_query(uri)) == NULL)
		return (0);
	if (evhttp_parse_query_str(q, &ctx->query) != 0) {
		reply_invalid(ctx, "query", "query: malformed (want "
		    "name=value&...)");
		return (-1);
	}
	return (0);
}

/* The session named by :id; a 404 if there is none. */
static struct session *
sessroute_session(struct api_ctx *ctx)
{
	struct session	*s = NULL;

	if (ctx->id != NULL && uuid_valid(ctx->id))
		s = session_find(ctx->id);
	if (s == NULL)
		reply_error(ctx, 404, "NOT_FOUND", "no such session", NULL);
	return (s);
}

/*
 * The request's body as a JSON object; *out is NULL for an empty body if
 * optional. -1 after answering 400.
 */
static int
sessroute_body(struct api_ctx *ctx, int optional, struct json_object **out)
{
	struct evbuffer		*in;
	struct validate_err	 e;
	size_t			 len;
	const char		*data;

	in = evhttp_request_get_input_buffer(ctx->req);
	len = evbuffer_get_length(in);
	data = len == 0 ? "" : (const char *)evbuffer_pullup(in, -1);
	if (data == NULL)
		fatalx("evbuffer_pullup");
	if (validate_body(data, len, optional, out, &e) != 0) {
		reply_verr(ctx, &e);
		return (-1);
	}
	return (0);
}

/* GET /api/runner/sessions?state=&villageId=: every matching session. */
void
sessroute_list(struct api_ctx *ctx)
{
	struct json_object	*o, *a, *st;
	struct session		*s;
	const char		*state, *village;
	int			 want = -1;

	if (sessroute_query(ctx) != 0)
		return;
	state = evhttp_find_header(&ctx->query, "state");
	village = evhttp_find_header(&ctx->query, "villageId");
	if (state != NULL && (want = session_state_from_name(state)) < 0) {
		reply_invalid(ctx, "state", "state: must be one of CREATED, "
		    "PREPARING_WORKSPACE, STARTING_PROVIDER, RUNNING, "
		    "WAITING_FOR_APPROVAL, PAUSED_BY_HUMAN, STOPPING, "
		    "COMPLETED, FAILED");
		return;
	}
	a = json_object_new_array();
	for (s = session_first(); s != NULL; s = session_next(s)) {
		if (want >= 0 && (int)s->state != want)
			continue;
		if (village != NULL && (s->village_id == NULL ||
		    strcmp(s->village_id, village) != 0))
			continue;
		if ((st = session_state_json(s)) != NULL)
			json_object_array_add(a, st);
	}
	o = json_object_new_object();
	json_object_object_add(o, "sessions", a);
	reply_json(ctx, 200, o);
}

/* POST /api/runner/sessions: validate and start a session. */
void
sessroute_start(struct api_ctx *ctx)
{
	struct json_object	*body, *norm, *env, *o;
	struct validate_err	 e;
	struct sess_err		 se;
	struct session		*s;
	char			 location[128];

	if (sessroute_body(ctx, 0, &body) != 0)
		return;
	if (validate_start(body, server_cfg, &norm, &env, &e) != 0) {
		json_object_put(body);
		reply_verr(ctx, &e);
		return;
	}
	json_object_put(body);

	reply_serr_init(&se);
	s = NULL;
	if (session_start(norm, env, ctx->who.org_id, ctx->who.user_id, &s,
	    &se) != 0 || s == NULL) {
		json_object_put(norm);
		json_object_put(env);
		reply_serr(ctx, &se);
		return;
	}
	json_object_put(norm);
	json_object_put(env);

	o = json_object_new_object();
	json_object_object_add(o, "sessionId", json_object_new_string(s->id));
	json_object_object_add(o, "agentId",
	    json_object_new_string(s->agent_id));
	json_object_object_add(o, "state",
	    json_object_new_string(session_state_name(s->state)));
	snprintf(location, sizeof location, "/api/runner/sessions/%s", s->id);
	evhttp_add_header(evhttp_request_get_output_headers(ctx->req),
	    "Location", location);
	reply_json(ctx, 201, o);
}

/* GET /api/runner/sessions/:id: the SessionRuntimeState. */
void
sessroute_get(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*o;

	if ((s = sessroute_session(ctx)) == NULL)
		return;
	if ((o = session_state_json(s)) == NULL) {
		reply_error(ctx, 500, "INTERNAL", "internal error", NULL);
		return;
	}
	reply_json(ctx, 200, o);
}

/* DELETE /api/runner/sessions/:id: remove an ended session. */
void
sessroute_delete(struct api_ctx *ctx)
{
	struct session	*s;
	struct sess_err	 se;

	if ((s = sessroute_session(ctx)) == NULL)
		return;
	reply_serr_init(&se);
	if (session_delete(s, &se) != 0) {
		reply_serr(ctx, &se);
		return;
	}
	reply_send(ctx, 204, NULL, NULL);
}

/* Parse an unsigned decimal query parameter; -1 if it is not one. */
static int
sessroute_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	n = 0;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		if (n > (max - (uint64_t)(*s - '0')) / 10)
			return (-1);
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*out = n;
	return (0);
}

/* GET …/:id/events?after=&limit=: the recorded events as JSON. */
void
sessroute_events(struct api_ctx *ctx)
{
	struct session	*s;
	struct evbuffer	*buf;
	const char	*v, *accept;
	uint64_t	 after = 0, limit = SESSROUTE_EVENTS_LIMIT, last = 0;
	size_t		 count = 0;
	int		 sse = 0;
	char		*id;

	if ((s = sessroute_session(ctx)) == NULL || sessroute_query(ctx) != 0)
		return;
	if ((v = evhttp_find_header(&ctx->query, "after")) != NULL &&
	    sessroute_uint(v, UINT64_MAX, &after) != 0) {
		reply_invalid(ctx, "after", "after: must be a sequence number "
		    "(0 or more)");
		return;
	}
	if ((v = evhttp_find_header(&ctx->query, "limit")) != NULL &&
	    (sessroute_uint(v, SESSROUTE_EVENTS_MAX, &limit) != 0 ||
	    limit == 0)) {
		reply_invalid(ctx, "limit", "limit: must be 1..10000");
		return;
	}
	if ((v = evhttp_find_header(&ctx->query, "follow")) != NULL) {
		if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
			sse = 1;
		else if (strcmp(v, "0") != 0 && strcmp(v, "false") != 0) {
			reply_invalid(ctx, "follow", "follow: must be 0 or 1");
			return;
		}
	}
	accept = evhttp_find_header(evhttp_request_get_input_headers(ctx->req),
	    "Accept");
	if (accept != NULL && strcasestr(accept, "text/event-stream") != NULL)
		sse = 1;
	if (sse) {
		/* The stream owns the request from here (sse.c). */
		reply_handed_over(ctx, 200);
		sse_start(ctx->req, s, after);
		return;
	}

	if ((buf = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	id = xasprintf("{\"sessionId\":\"%s\",\"events\":[", s->id);
	evbuffer_add(buf, id, strlen(id));
	free(id);
	if (session_events_write(s, after, (size_t)limit, buf, &count,
	    &last) != 0) {
		evbuffer_free(buf);
		log_warnx("session %s: cannot read its event log", s->id);
		reply_error(ctx, 500, "INTERNAL", "cannot read the event log",
		    NULL);
		return;
	}
	evbuffer_add_printf(buf, "],\"lastSeq\":%" PRIu64
	    ",\"state\":\"%s\"}\n", count > 0 ? last : after,
	    session_state_name(s->state));
	reply_send(ctx, 200, "application/json", buf);
	evbuffer_free(buf);
}

/* POST …/:id/input {data}: bytes for the terminal. */
void
sessroute_input(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body;
	struct validate_err	 e;
	struct sess_err		 se;
	const char		*data;
	size_t			 len;

	if ((s = sessroute_session(ctx)) == NULL ||
	    sessroute_body(ctx, 0, &body) != 0)
		return;
	if (validate_input(body, &data, &len, &e) != 0) {
		json_object_put(body);
		reply_verr(ctx, &e);
		return;
	}
	reply_serr_init(&se);
	if (control_input(s, data, len, &se) != 0) {
		json_object_put(body);
		reply_serr(ctx, &se);
		return;
	}
	json_object_put(body);
	reply_accepted(ctx, s->id, "input");
}

/* POST …/:id/resize {cols, rows}. */
void
sessroute_resize(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body;
	struct validate_err	 e;
	struct sess_err		 se;
	int			 cols, rows;

	if ((s = sessroute_session(ctx)) == NULL ||
	    sessroute_body(ctx, 0, &body) != 0)
		return;
	if (validate_resize(body, &cols, &rows, &e) != 0) {
		json_object_put(body);
		reply_verr(ctx, &e);
		return;
	}
	json_object_put(body);
	reply_serr_init(&se);
	if (control_resize(s, cols, rows, &se) != 0) {
		reply_serr(ctx, &se);
		return;
	}
	reply_accepted(ctx, s->id, "resize");
}

/* A request without a body: one call on the session, accepted or not. */
static void
sessroute_call(struct api_ctx *ctx, int (*fn)(struct session *,
    struct sess_err *), const char *what)
{
	struct session	*s;
	struct sess_err	 se;

	if ((s = sessroute_session(ctx)) == NULL)
		return;
	reply_serr_init(&se);
	if (fn(s, &se) != 0) {
		reply_serr(ctx, &se);
		return;
	}
	reply_accepted(ctx, s->id, what);
}

/* POST …/:id/pause (any body is ignored). */
void
sessroute_pause(struct api_ctx *ctx)
{
	sessroute_call(ctx, control_pause, "pause");
}

/* POST …/:id/resume (any body is ignored). */
void
sessroute_resume(struct api_ctx *ctx)
{
	sessroute_call(ctx, control_resume, "resume");
}

/* POST …/:id/stop {graceful?}: the body is optional. */
void
sessroute_stop(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body;
	struct validate_err	 e;
	struct sess_err		 se;
	int			 graceful;

	if ((s = sessroute_session(ctx)) == NULL ||
	    sessroute_body(ctx, 1, &body) != 0)
		return;
	if (validate_stop(body, &graceful, &e) != 0) {
		json_object_put(body);
		reply_verr(ctx, &e);
		return;
	}
	json_object_put(body);
	reply_serr_init(&se);
	if (control_stop(s, graceful, &se) != 0) {
		reply_serr(ctx, &se);
		return;
	}
	reply_accepted(ctx, s->id, "stop");
}

/* Whether an id from the path is 1..128 bytes of printable ASCII. */
static int
sessroute_printable_id(const char *id)
{
	size_t	i;

	for (i = 0; id[i] != '\0'; i++)
		if (i >= 128 || id[i] <= 0x20 || id[i] >= 0x7f)
			return (0);
	return (i > 0);
}

/* POST …/:id/approvals/:approvalId {decision, note?}. */
void
sessroute_approval(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body, *o;
	struct validate_err	 e;
	struct sess_err		 se;
	const char		*decision, *note;

	if ((s = sessroute_session(ctx)) == NULL)
		return;
	if (!sessroute_printable_id(ctx->approval_id)) {
		reply_error(ctx, 404, "NOT_FOUND", "no such approval", NULL);
		return;
	}
	if (sessroute_body(ctx, 0, &body) != 0)
		return;
	if (validate_approval(body, &decision, &note, &e) != 0) {
		json_object_put(body);
		reply_verr(ctx, &e);
		return;
	}
	reply_serr_init(&se);
	if (control_approve(s, ctx->approval_id, decision, note,
	    ctx->who.user_id, &se) != 0) {
		json_object_put(body);
		reply_serr(ctx, &se);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "approvalId",
	    json_object_new_string(ctx->approval_id));
	json_object_object_add(o, "decision", json_object_new_string(decision));
	json_object_put(body);
	reply_json(ctx, 200, o);
}
