/* One HTTP request of the API and its answer, counted for GET /metrics. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/auth.h"
#include "supervisor/reply.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/validate.h"

/* Requests answered, by route template and status (GET /metrics). */
struct reply_row {
	char		*route;
	int		 status;
	uint64_t	 count;
};
static struct reply_row		*reply_rows;
static size_t			 reply_nrows;

/* A method's name, for logs and the Allow header. */
const char *
reply_method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return ("GET");
	case EVHTTP_REQ_POST:
		return ("POST");
	case EVHTTP_REQ_HEAD:
		return ("HEAD");
	case EVHTTP_REQ_PUT:
		return ("PUT");
	case EVHTTP_REQ_DELETE:
		return ("DELETE");
	case EVHTTP_REQ_OPTIONS:
		return ("OPTIONS");
	case EVHTTP_REQ_PATCH:
		return ("PATCH");
	default:
		return ("OTHER");
	}
}

/* The reason phrase for a status (libevent 2.1 lacks some, such as 429). */
static const char *
reply_reason(int status)
{
	static const struct {
		int		 status;
		const char	*reason;
	} reasons[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 409, "Conflict" }, { 413, "Payload Too Large" },
		{ 415, "Unsupported Media Type" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 503, "Service Unavailable" },
	};
	size_t	i;

	for (i = 0; i < nitems(reasons); i++)
		if (reasons[i].status == status)
			return (reasons[i].reason);
	return (NULL);	/* evhttp picks one */
}

/*
 * A page on a cors_origins origin may read what it asked for: its Origin
 * is echoed (the guard has let only allowed ones through), with
 * credentials, and caches are told the answer depends on Origin.
 */
static void
reply_cors(struct api_ctx *ctx)
{
	struct evkeyvalq	*h;
	const char		*origin;

	origin = evhttp_find_header(evhttp_request_get_input_headers(
	    ctx->req), "Origin");
	if (origin == NULL || !auth_origin_allowed(server_cfg, &server_addr,
	    origin))
		return;
	h = evhttp_request_get_output_headers(ctx->req);
	evhttp_add_header(h, "Access-Control-Allow-Origin", origin);
	evhttp_add_header(h, "Access-Control-Allow-Credentials", "true");
	evhttp_add_header(h, "Vary", "Origin");
}

/* Count one HTTP request answered: a route name (not the raw path). */
static void
reply_count(const char *route, int status)
{
	size_t	i;

	for (i = 0; i < reply_nrows; i++) {
		if (reply_rows[i].status == status &&
		    strcmp(reply_rows[i].route, route) == 0) {
			reply_rows[i].count++;
			return;
		}
	}
	reply_rows = xrealloc(reply_rows,
	    (reply_nrows + 1) * sizeof *reply_rows);
	reply_rows[reply_nrows].route = xstrdup(route);
	reply_rows[reply_nrows].status = status;
	reply_rows[reply_nrows].count = 1;
	reply_nrows++;
}

/* Send a response (body may be NULL) and count it; exactly once. */
void
reply_send(struct api_ctx *ctx, int status, const char *type,
    struct evbuffer *body)
{
	struct evkeyvalq	*h;

	if (ctx->replied)
		fatalx("%s: second reply to %s", __func__, ctx->name);
	ctx->replied = 1;
	h = evhttp_request_get_output_headers(ctx->req);
	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	reply_cors(ctx);
	evhttp_send_reply(ctx->req, status, reply_reason(status), body);
	reply_count(ctx->name, status);
	log_debug("http: %s %s %s -> %d", ctx->who.user_id, ctx->method,
	    ctx->name, status);
}

/* The request was taken over (upgrade, event stream): count it once. */
void
reply_handed_over(struct api_ctx *ctx, int status)
{
	ctx->replied = 1;
	reply_count(ctx->name, status);
	log_debug("http: %s %s %s -> %d (taken over)", ctx->who.user_id,
	    ctx->method, ctx->name, status);
}

/* Send a JSON object (consumed) with a status. */
void
reply_json(struct api_ctx *ctx, int status, struct json_object *o)
{
	struct evbuffer	*buf;
	const char	*s;

	if ((buf = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	evbuffer_add(buf, s, strlen(s));
	evbuffer_add(buf, "\n", 1);
	json_object_put(o);
	reply_send(ctx, status, "application/json", buf);
	evbuffer_free(buf);
}

/* Send {"error": {code, message, details?}}; field names the culprit. */
void
reply_error(struct api_ctx *ctx, int status, const char *code,
    const char *message, const char *field)
{
	struct json_object	*o, *e, *d;

	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	if (field != NULL) {
		d = json_object_new_object();
		json_object_object_add(d, "field",
		    json_object_new_string(field));
		json_object_object_add(e, "details", d);
	}
	o = json_object_new_object();
	json_object_object_add(o, "error", e);
	reply_json(ctx, status, o);
}

/* A 400 for a field (query parameters and body members alike). */
void
reply_invalid(struct api_ctx *ctx, const char *field, const char *message)
{
	reply_error(ctx, 400, "VALIDATION_ERROR", message, field);
}

/* Answer a validation failure. */
void
reply_verr(struct api_ctx *ctx, const struct validate_err *e)
{
	reply_error(ctx, e->status, e->code, e->message, e->field);
}

/* Answer a failed session operation with exactly what it said. */
void
reply_serr(struct api_ctx *ctx, const struct sess_err *e)
{
	if (e->status < 400 || e->status > 599 || e->code == NULL) {
		log_warnx("http: %s: session error without a status",
		    ctx->name);
		reply_error(ctx, 500, "INTERNAL", "internal error", NULL);
		return;
	}
	reply_error(ctx, e->status, e->code, e->message, NULL);
}

/* A sess_err that means "internal error" unless the operation says more. */
void
reply_serr_init(struct sess_err *e)
{
	memset(e, 0, sizeof *e);
	e->status = 500;
	e->code = "INTERNAL";
	snprintf(e->message, sizeof e->message, "internal error");
}

/* Answer 202 {sessionId, accepted: action}. */
void
reply_accepted(struct api_ctx *ctx, const char *id, const char *action)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "sessionId", json_object_new_string(id));
	json_object_object_add(o, "accepted", json_object_new_string(action));
	reply_json(ctx, 202, o);
}


/* The HTTP lines of GET /metrics: requests answered, by route and status. */
void
reply_metrics(struct evbuffer *buf)
{
	size_t	i;

	evbuffer_add_printf(buf, "# HELP runnerd_http_requests_total HTTP "
	    "requests answered, by route and status.\n"
	    "# TYPE runnerd_http_requests_total counter\n");
	for (i = 0; i < reply_nrows; i++)
		evbuffer_add_printf(buf, "runnerd_http_requests_total{route=\""
		    "%s\",status=\"%d\"} %llu\n", reply_rows[i].route,
		    reply_rows[i].status,
		    (unsigned long long)reply_rows[i].count);
}
