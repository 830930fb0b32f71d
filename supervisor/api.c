/* The HTTP API (DESIGN section 6) on evhttp. */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "api.h"
#include "gateway.h"
#include "gw_ws.h"
#include "sse.h"
#include "auth.h"
#include "conf.h"
#include "control.h"
#include "event.h"
#include "guard.h"
#include "log.h"
#include "overlay.h"
#include "pool.h"
#include "quota.h"
#include "sandbox.h"
#include "server.h"
#include "session.h"
#include "util.h"
#include "validate.h"

#define API_PREFIX_SEGS	3	/* api / runner / sessions */
#define API_MAX_SEGS	6
#define API_MAX_SEG	256	/* bytes of one decoded path segment */
#define API_EVENTS_LIMIT	1000
#define API_EVENTS_MAX	10000

/* Where a request goes, by path alone. */
enum api_route {
	API_NONE,
	API_HEALTHZ,
	API_METRICS,
	API_SESSIONS,
	API_SESSION,
	API_EVENTS,
	API_INPUT,
	API_RESIZE,
	API_PAUSE,
	API_RESUME,
	API_STOP,
	API_APPROVAL
};

/* One request being answered. */
struct api_ctx {
	struct evhttp_request	*req;
	enum api_route		 route;
	const char		*name;		/* route template (metrics) */
	const char		*method;
	char			*id;		/* :id, decoded */
	char			*approval_id;	/* :approvalId, decoded */
	struct auth_result	 who;
	struct evkeyvalq	 query;
	int			 replied;
};

typedef void (*api_handler)(struct api_ctx *);

/* Requests answered, by route template and status (GET /metrics). */
struct api_http_row {
	char		*route;
	int		 status;
	uint64_t	 count;
};
static struct api_http_row	*api_http_rows;
static size_t			 api_http_nrows;

static void	api_healthz(struct api_ctx *);
static void	api_metrics(struct api_ctx *);
static void	api_list(struct api_ctx *);
static void	api_start(struct api_ctx *);
static void	api_get(struct api_ctx *);
static void	api_delete(struct api_ctx *);
static void	api_events(struct api_ctx *);
static void	api_input(struct api_ctx *);
static void	api_resize(struct api_ctx *);
static void	api_pause(struct api_ctx *);
static void	api_resume(struct api_ctx *);
static void	api_stop(struct api_ctx *);
static void	api_approval(struct api_ctx *);

/* The routes: one row per route and method. */
static const struct api_entry {
	enum api_route		 route;
	const char		*name;
	enum evhttp_cmd_type	 method;
	int			 auth;
	api_handler		 handler;
} api_table[] = {
	{ API_HEALTHZ, "/healthz", EVHTTP_REQ_GET, 0, api_healthz },
	{ API_METRICS, "/metrics", EVHTTP_REQ_GET, 1, api_metrics },
	{ API_SESSIONS, "/api/runner/sessions", EVHTTP_REQ_GET, 1, api_list },
	{ API_SESSIONS, "/api/runner/sessions", EVHTTP_REQ_POST, 1,
	  api_start },
	{ API_SESSION, "/api/runner/sessions/:id", EVHTTP_REQ_GET, 1,
	  api_get },
	{ API_SESSION, "/api/runner/sessions/:id", EVHTTP_REQ_DELETE, 1,
	  api_delete },
	{ API_EVENTS, "/api/runner/sessions/:id/events", EVHTTP_REQ_GET, 1,
	  api_events },
	{ API_INPUT, "/api/runner/sessions/:id/input", EVHTTP_REQ_POST, 1,
	  api_input },
	{ API_RESIZE, "/api/runner/sessions/:id/resize", EVHTTP_REQ_POST, 1,
	  api_resize },
	{ API_PAUSE, "/api/runner/sessions/:id/pause", EVHTTP_REQ_POST, 1,
	  api_pause },
	{ API_RESUME, "/api/runner/sessions/:id/resume", EVHTTP_REQ_POST, 1,
	  api_resume },
	{ API_STOP, "/api/runner/sessions/:id/stop", EVHTTP_REQ_POST, 1,
	  api_stop },
	{ API_APPROVAL, "/api/runner/sessions/:id/approvals/:approvalId",
	  EVHTTP_REQ_POST, 1, api_approval },
};

/* The per-session actions that follow :id, by segment name. */
static const struct {
	const char	*segment;
	enum api_route	 route;
} api_actions[] = {
	{ "events", API_EVENTS },
	{ "input", API_INPUT },
	{ "resize", API_RESIZE },
	{ "pause", API_PAUSE },
	{ "resume", API_RESUME },
	{ "stop", API_STOP },
};

/* A method's name, for logs and the Allow header. */
static const char *
api_method_name(enum evhttp_cmd_type m)
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
api_reason(int status)
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
api_cors(struct api_ctx *ctx)
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
api_http_count(const char *route, int status)
{
	size_t	i;

	for (i = 0; i < api_http_nrows; i++) {
		if (api_http_rows[i].status == status &&
		    strcmp(api_http_rows[i].route, route) == 0) {
			api_http_rows[i].count++;
			return;
		}
	}
	api_http_rows = xrealloc(api_http_rows,
	    (api_http_nrows + 1) * sizeof *api_http_rows);
	api_http_rows[api_http_nrows].route = xstrdup(route);
	api_http_rows[api_http_nrows].status = status;
	api_http_rows[api_http_nrows].count = 1;
	api_http_nrows++;
}

/* Send a response (body may be NULL) and count it; exactly once. */
static void
api_reply(struct api_ctx *ctx, int status, const char *type,
    struct evbuffer *body)
{
	struct evkeyvalq	*h;

	if (ctx->replied)
		fatalx("%s: second reply to %s", __func__, ctx->name);
	ctx->replied = 1;
	h = evhttp_request_get_output_headers(ctx->req);
	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	api_cors(ctx);
	evhttp_send_reply(ctx->req, status, api_reason(status), body);
	api_http_count(ctx->name, status);
	log_debug("http: %s %s %s -> %d", ctx->who.user_id, ctx->method,
	    ctx->name, status);
}

/* The request was taken over (upgrade, event stream): count it once. */
static void
api_handed_over(struct api_ctx *ctx, int status)
{
	ctx->replied = 1;
	api_http_count(ctx->name, status);
	log_debug("http: %s %s %s -> %d (taken over)", ctx->who.user_id,
	    ctx->method, ctx->name, status);
}

/* Send a JSON object (consumed) with a status. */
static void
api_reply_json(struct api_ctx *ctx, int status, struct json_object *o)
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
	api_reply(ctx, status, "application/json", buf);
	evbuffer_free(buf);
}

/* Send {"error": {code, message, details?}}; field names the culprit. */
static void
api_error(struct api_ctx *ctx, int status, const char *code,
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
	api_reply_json(ctx, status, o);
}

/* A 400 for a field (query parameters and body members alike). */
static void
api_invalid(struct api_ctx *ctx, const char *field, const char *message)
{
	api_error(ctx, 400, "VALIDATION_ERROR", message, field);
}

/* Answer a validation failure. */
static void
api_verr(struct api_ctx *ctx, const struct validate_err *e)
{
	api_error(ctx, e->status, e->code, e->message, e->field);
}

/* Answer a failed session operation with exactly what it said. */
static void
api_serr(struct api_ctx *ctx, const struct sess_err *e)
{
	if (e->status < 400 || e->status > 599 || e->code == NULL) {
		log_warnx("http: %s: session error without a status",
		    ctx->name);
		api_error(ctx, 500, "INTERNAL", "internal error", NULL);
		return;
	}
	api_error(ctx, e->status, e->code, e->message, NULL);
}

/* A sess_err that means "internal error" unless the operation says more. */
static void
api_serr_init(struct sess_err *e)
{
	memset(e, 0, sizeof *e);
	e->status = 500;
	e->code = "INTERNAL";
	snprintf(e->message, sizeof e->message, "internal error");
}

/* Decode one path segment; NULL if it is empty, too long or holds NUL. */
static char *
api_segment(const char *s, size_t len)
{
	char	*raw, *dec;
	size_t	 declen;

	if (len == 0 || len > 3 * API_MAX_SEG)
		return (NULL);
	raw = xstrndup(s, len);
	dec = evhttp_uridecode(raw, 0, &declen);
	free(raw);
	if (dec == NULL)
		return (NULL);
	if (declen == 0 || declen > API_MAX_SEG || strlen(dec) != declen) {
		free(dec);
		return (NULL);
	}
	return (dec);
}

/* Find the route for a path; fills in :id and :approvalId. */
static enum api_route
api_match(struct api_ctx *ctx, const char *path)
{
	char		*seg[API_MAX_SEGS];
	const char	*p, *slash;
	size_t		 n = 0, i;
	enum api_route	 route = API_NONE;

	if (path == NULL || *path != '/')
		return (API_NONE);
	for (p = path + 1;; p = slash + 1) {
		if ((slash = strchr(p, '/')) == NULL)
			slash = p + strlen(p);
		if (n == API_MAX_SEGS ||
		    (seg[n] = api_segment(p, (size_t)(slash - p))) == NULL)
			goto out;
		n++;
		if (*slash == '\0')
			break;
	}

	if (n == 1 && strcmp(seg[0], "healthz") == 0)
		route = API_HEALTHZ;
	else if (n == 1 && strcmp(seg[0], "metrics") == 0)
		route = API_METRICS;
	if (n < API_PREFIX_SEGS || strcmp(seg[0], "api") != 0 ||
	    strcmp(seg[1], "runner") != 0 || strcmp(seg[2], "sessions") != 0)
		goto out;
	switch (n) {
	case 3:
		route = API_SESSIONS;
		break;
	case 4:
		route = API_SESSION;
		break;
	case 5:
		for (i = 0; i < nitems(api_actions); i++)
			if (strcmp(seg[4], api_actions[i].segment) == 0)
				route = api_actions[i].route;
		break;
	case 6:
		if (strcmp(seg[4], "approvals") == 0) {
			route = API_APPROVAL;
			ctx->approval_id = xstrdup(seg[5]);
		}
		break;
	}
	if (route != API_NONE && n >= 4)
		ctx->id = xstrdup(seg[3]);

out:
	for (i = 0; i < n; i++)
		free(seg[i]);
	return (route);
}

/* Who is asking: a Unix socket peer, or a TCP client with credentials. */
static int
api_auth(struct api_ctx *ctx)
{
	struct evhttp_connection	*conn;
	struct bufferevent		*bev;
	struct evkeyvalq		*h;
	char				 cause[256];
	long				 uid;
	int				 fd = -1;

	if ((conn = evhttp_request_get_connection(ctx->req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(conn)) != NULL)
		fd = bufferevent_getfd(bev);
	if (auth_unix_peer(fd, &ctx->who, &uid)) {
		log_debug("http: unix socket peer uid %ld", uid);
		return (0);
	}
	h = evhttp_request_get_input_headers(ctx->req);
	if (auth_check(server_cfg, evhttp_find_header(h, "Authorization"),
	    evhttp_find_header(h, "Cookie"), (int64_t)time(NULL), &ctx->who,
	    cause, sizeof cause) == 0)
		return (0);
	snprintf(ctx->who.user_id, sizeof ctx->who.user_id, "-");
	evhttp_add_header(evhttp_request_get_output_headers(ctx->req),
	    "WWW-Authenticate", "Bearer");
	api_error(ctx, 401, "UNAUTHORIZED", cause, NULL);
	return (-1);
}

/* Parse the query string; a 400 naming "query" if it is malformed. */
static int
api_query(struct api_ctx *ctx)
{
	const struct evhttp_uri	*uri;
	const char		*q;

	uri = evhttp_request_get_evhttp_uri(ctx->req);
	if (uri == NULL || (q = evhttp_uri_get_query(uri)) == NULL)
		return (0);
	if (evhttp_parse_query_str(q, &ctx->query) != 0) {
		api_invalid(ctx, "query", "query: malformed (want "
		    "name=value&...)");
		return (-1);
	}
	return (0);
}

/* The session named by :id; a 404 if there is none. */
static struct session *
api_session(struct api_ctx *ctx)
{
	struct session	*s = NULL;

	if (ctx->id != NULL && uuid_valid(ctx->id))
		s = session_find(ctx->id);
	if (s == NULL)
		api_error(ctx, 404, "NOT_FOUND", "no such session", NULL);
	return (s);
}

/*
 * The request's body as a JSON object; *out is NULL for an empty body if
 * optional. -1 after answering 400.
 */
static int
api_body(struct api_ctx *ctx, int optional, struct json_object **out)
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
		api_verr(ctx, &e);
		return (-1);
	}
	return (0);
}

/* Answer 202 {sessionId, accepted: action}. */
static void
api_accepted(struct api_ctx *ctx, const char *id, const char *action)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "sessionId", json_object_new_string(id));
	json_object_object_add(o, "accepted", json_object_new_string(action));
	api_reply_json(ctx, 202, o);
}

/*
 * GET /healthz: liveness, sessions and workers. Degraded while a live
 * session runs without its inotify watch (out of instances).
 */
static void
api_healthz(struct api_ctx *ctx)
{
	struct json_object	*o, *sessions, *pool, *inotify, *ws;
	struct session		*s;
	int			 total = 0, nowatch = 0;

	for (s = session_first(); s != NULL; s = session_next(s)) {
		total++;
		if (s->no_watch && !s->ended)
			nowatch++;
	}
	sessions = json_object_new_object();
	json_object_object_add(sessions, "active",
	    json_object_new_int(session_active_count()));
	json_object_object_add(sessions, "total", json_object_new_int(total));
	pool = json_object_new_object();
	json_object_object_add(pool, "idle",
	    json_object_new_int(pool_idle_count()));
	json_object_object_add(pool, "busy",
	    json_object_new_int(pool_busy_count()));
	inotify = json_object_new_object();
	json_object_object_add(inotify, "maxUserInstances",
	    json_object_new_int64(
	    sysctl_long("/proc/sys/fs/inotify/max_user_instances")));
	json_object_object_add(inotify, "maxSessions",
	    json_object_new_int(server_cfg->max_sessions));
	json_object_object_add(inotify, "sessionsWithoutWatch",
	    json_object_new_int(nowatch));
	o = json_object_new_object();
	json_object_object_add(o, "status",
	    json_object_new_string(nowatch > 0 ? "degraded" : "ok"));
	json_object_object_add(o, "version",
	    json_object_new_string(RUNNERD_VERSION));
	json_object_object_add(o, "sessions", sessions);
	json_object_object_add(o, "pool", pool);
	json_object_object_add(o, "inotify", inotify);
	ws = overlay_health(server_cfg->workspace_mode);
	json_object_object_add(ws, "quota",
	    quota_health(server_cfg->workspace_max_bytes));
	json_object_object_add(o, "workspace", ws);
	json_object_object_add(o, "sandbox",
	    sandbox_health(server_cfg->sandbox));
	api_reply_json(ctx, 200, o);
}

/* GET /metrics: the Prometheus text format, each subsystem's own lines. */
static void
api_metrics(struct api_ctx *ctx)
{
	struct evbuffer	*buf;
	size_t		 i;

	if ((buf = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	session_metrics(buf);
	pool_metrics(buf);
	evbuffer_add_printf(buf, "# HELP runnerd_http_requests_total HTTP "
	    "requests answered, by route and status.\n"
	    "# TYPE runnerd_http_requests_total counter\n");
	for (i = 0; i < api_http_nrows; i++)
		evbuffer_add_printf(buf, "runnerd_http_requests_total{route=\""
		    "%s\",status=\"%d\"} %llu\n", api_http_rows[i].route,
		    api_http_rows[i].status,
		    (unsigned long long)api_http_rows[i].count);
	gateway_metrics(buf);
	api_reply(ctx, 200, "text/plain; version=0.0.4", buf);
	evbuffer_free(buf);
}

/* GET /api/runner/sessions?state=&villageId=: every matching session. */
static void
api_list(struct api_ctx *ctx)
{
	struct json_object	*o, *a, *st;
	struct session		*s;
	const char		*state, *village;
	int			 want = -1;

	if (api_query(ctx) != 0)
		return;
	state = evhttp_find_header(&ctx->query, "state");
	village = evhttp_find_header(&ctx->query, "villageId");
	if (state != NULL && (want = session_state_from_name(state)) < 0) {
		api_invalid(ctx, "state", "state: must be one of CREATED, "
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
	api_reply_json(ctx, 200, o);
}

/* POST /api/runner/sessions: validate and start a session. */
static void
api_start(struct api_ctx *ctx)
{
	struct json_object	*body, *norm, *env, *o;
	struct validate_err	 e;
	struct sess_err		 se;
	struct session		*s;
	char			 location[128];

	if (api_body(ctx, 0, &body) != 0)
		return;
	if (validate_start(body, server_cfg, &norm, &env, &e) != 0) {
		json_object_put(body);
		api_verr(ctx, &e);
		return;
	}
	json_object_put(body);

	api_serr_init(&se);
	s = NULL;
	if (session_start(norm, env, ctx->who.org_id, ctx->who.user_id, &s,
	    &se) != 0 || s == NULL) {
		json_object_put(norm);
		json_object_put(env);
		api_serr(ctx, &se);
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
	api_reply_json(ctx, 201, o);
}

/* GET /api/runner/sessions/:id: the SessionRuntimeState. */
static void
api_get(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*o;

	if ((s = api_session(ctx)) == NULL)
		return;
	if ((o = session_state_json(s)) == NULL) {
		api_error(ctx, 500, "INTERNAL", "internal error", NULL);
		return;
	}
	api_reply_json(ctx, 200, o);
}

/* DELETE /api/runner/sessions/:id: remove an ended session. */
static void
api_delete(struct api_ctx *ctx)
{
	struct session	*s;
	struct sess_err	 se;

	if ((s = api_session(ctx)) == NULL)
		return;
	api_serr_init(&se);
	if (session_delete(s, &se) != 0) {
		api_serr(ctx, &se);
		return;
	}
	api_reply(ctx, 204, NULL, NULL);
}

/* Parse an unsigned decimal query parameter; -1 if it is not one. */
static int
api_uint(const char *s, uint64_t max, uint64_t *out)
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
static void
api_events(struct api_ctx *ctx)
{
	struct session	*s;
	struct evbuffer	*buf;
	const char	*v, *accept;
	uint64_t	 after = 0, limit = API_EVENTS_LIMIT, last = 0;
	size_t		 count = 0;
	int		 sse = 0;
	char		*id;

	if ((s = api_session(ctx)) == NULL || api_query(ctx) != 0)
		return;
	if ((v = evhttp_find_header(&ctx->query, "after")) != NULL &&
	    api_uint(v, UINT64_MAX, &after) != 0) {
		api_invalid(ctx, "after", "after: must be a sequence number "
		    "(0 or more)");
		return;
	}
	if ((v = evhttp_find_header(&ctx->query, "limit")) != NULL &&
	    (api_uint(v, API_EVENTS_MAX, &limit) != 0 || limit == 0)) {
		api_invalid(ctx, "limit", "limit: must be 1..10000");
		return;
	}
	if ((v = evhttp_find_header(&ctx->query, "follow")) != NULL) {
		if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
			sse = 1;
		else if (strcmp(v, "0") != 0 && strcmp(v, "false") != 0) {
			api_invalid(ctx, "follow", "follow: must be 0 or 1");
			return;
		}
	}
	accept = evhttp_find_header(evhttp_request_get_input_headers(ctx->req),
	    "Accept");
	if (accept != NULL && strcasestr(accept, "text/event-stream") != NULL)
		sse = 1;
	if (sse) {
		/* The stream owns the request from here (sse.c). */
		api_handed_over(ctx, 200);
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
		api_error(ctx, 500, "INTERNAL", "cannot read the event log",
		    NULL);
		return;
	}
	evbuffer_add_printf(buf, "],\"lastSeq\":%" PRIu64
	    ",\"state\":\"%s\"}\n", count > 0 ? last : after,
	    session_state_name(s->state));
	api_reply(ctx, 200, "application/json", buf);
	evbuffer_free(buf);
}

/* POST …/:id/input {data}: bytes for the terminal. */
static void
api_input(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body;
	struct validate_err	 e;
	struct sess_err		 se;
	const char		*data;
	size_t			 len;

	if ((s = api_session(ctx)) == NULL || api_body(ctx, 0, &body) != 0)
		return;
	if (validate_input(body, &data, &len, &e) != 0) {
		json_object_put(body);
		api_verr(ctx, &e);
		return;
	}
	api_serr_init(&se);
	if (control_input(s, data, len, &se) != 0) {
		json_object_put(body);
		api_serr(ctx, &se);
		return;
	}
	json_object_put(body);
	api_accepted(ctx, s->id, "input");
}

/* POST …/:id/resize {cols, rows}. */
static void
api_resize(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body;
	struct validate_err	 e;
	struct sess_err		 se;
	int			 cols, rows;

	if ((s = api_session(ctx)) == NULL || api_body(ctx, 0, &body) != 0)
		return;
	if (validate_resize(body, &cols, &rows, &e) != 0) {
		json_object_put(body);
		api_verr(ctx, &e);
		return;
	}
	json_object_put(body);
	api_serr_init(&se);
	if (control_resize(s, cols, rows, &se) != 0) {
		api_serr(ctx, &se);
		return;
	}
	api_accepted(ctx, s->id, "resize");
}

/* A request without a body: one call on the session, accepted or not. */
static void
api_session_call(struct api_ctx *ctx, int (*fn)(struct session *,
    struct sess_err *), const char *what)
{
	struct session	*s;
	struct sess_err	 se;

	if ((s = api_session(ctx)) == NULL)
		return;
	api_serr_init(&se);
	if (fn(s, &se) != 0) {
		api_serr(ctx, &se);
		return;
	}
	api_accepted(ctx, s->id, what);
}

/* POST …/:id/pause (any body is ignored). */
static void
api_pause(struct api_ctx *ctx)
{
	api_session_call(ctx, control_pause, "pause");
}

/* POST …/:id/resume (any body is ignored). */
static void
api_resume(struct api_ctx *ctx)
{
	api_session_call(ctx, control_resume, "resume");
}

/* POST …/:id/stop {graceful?}: the body is optional. */
static void
api_stop(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body;
	struct validate_err	 e;
	struct sess_err		 se;
	int			 graceful;

	if ((s = api_session(ctx)) == NULL || api_body(ctx, 1, &body) != 0)
		return;
	if (validate_stop(body, &graceful, &e) != 0) {
		json_object_put(body);
		api_verr(ctx, &e);
		return;
	}
	json_object_put(body);
	api_serr_init(&se);
	if (control_stop(s, graceful, &se) != 0) {
		api_serr(ctx, &se);
		return;
	}
	api_accepted(ctx, s->id, "stop");
}

/* Whether an id from the path is 1..128 bytes of printable ASCII. */
static int
api_printable_id(const char *id)
{
	size_t	i;

	for (i = 0; id[i] != '\0'; i++)
		if (i >= 128 || id[i] <= 0x20 || id[i] >= 0x7f)
			return (0);
	return (i > 0);
}

/* POST …/:id/approvals/:approvalId {decision, note?}. */
static void
api_approval(struct api_ctx *ctx)
{
	struct session		*s;
	struct json_object	*body, *o;
	struct validate_err	 e;
	struct sess_err		 se;
	const char		*decision, *note;

	if ((s = api_session(ctx)) == NULL)
		return;
	if (!api_printable_id(ctx->approval_id)) {
		api_error(ctx, 404, "NOT_FOUND", "no such approval", NULL);
		return;
	}
	if (api_body(ctx, 0, &body) != 0)
		return;
	if (validate_approval(body, &decision, &note, &e) != 0) {
		json_object_put(body);
		api_verr(ctx, &e);
		return;
	}
	api_serr_init(&se);
	if (control_approve(s, ctx->approval_id, decision, note,
	    ctx->who.user_id, &se) != 0) {
		json_object_put(body);
		api_serr(ctx, &se);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "approvalId",
	    json_object_new_string(ctx->approval_id));
	json_object_object_add(o, "decision", json_object_new_string(decision));
	json_object_put(body);
	api_reply_json(ctx, 200, o);
}


/*
 * /ws and /socket.io/ belong to the gateway (gateway.c), which upgrades the
 * connection or answers by itself. A Unix socket peer is trusted; a TCP
 * client with valid HTTP credentials comes with them, one without is left
 * to the gateway (Socket.IO carries its token in the CONNECT packet).
 */
static int
api_gateway(struct api_ctx *ctx, const char *path)
{
	struct evhttp_connection	*conn;
	struct bufferevent		*bev;
	struct evkeyvalq		*h;
	const struct auth_result	*who = NULL;
	char				 cause[256];
	long				 uid;
	int				 fd = -1, trusted = 0;

	if (path == NULL || (strcmp(path, "/ws") != 0 &&
	    strcmp(path, "/socket.io") != 0 &&
	    strncmp(path, "/socket.io/", 11) != 0))
		return (0);
	ctx->name = path[1] == 'w' ? "/ws" : "/socket.io/";
	if ((conn = evhttp_request_get_connection(ctx->req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(conn)) != NULL)
		fd = bufferevent_getfd(bev);
	if (auth_unix_peer(fd, &ctx->who, &uid)) {
		trusted = 1;
		who = &ctx->who;
	} else {
		h = evhttp_request_get_input_headers(ctx->req);
		if (auth_check(server_cfg, evhttp_find_header(h,
		    "Authorization"), evhttp_find_header(h, "Cookie"),
		    (int64_t)time(NULL), &ctx->who, cause, sizeof cause) == 0)
			who = &ctx->who;
	}
	if (gw_ws_upgrade(ctx->req, trusted, who)) {
		api_handed_over(ctx, 101);
		return (1);
	}
	return (0);
}

/* The socket a request came on, or -1. */
static int
api_fd(struct evhttp_request *req)
{
	struct evhttp_connection	*conn;
	struct bufferevent		*bev;

	if ((conn = evhttp_request_get_connection(req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(conn)) != NULL)
		return (bufferevent_getfd(bev));
	return (-1);
}

/*
 * Before routing (the gateway's upgrades and SSE included): nothing from
 * inside a session, by the peer's socket (TCP, looked up once per
 * connection) or uid (Unix socket); over TCP, no other web page's
 * requests (Origin, and Host when there are no credentials) and no
 * state-changing request in a form a page can send without CORS. -1 once
 * answered.
 */
static int
api_guard(struct api_ctx *ctx, enum evhttp_cmd_type method)
{
	struct evkeyvalq	*h;
	struct auth_result	 who;
	char			 cause[256];
	long			 uid;
	int			 fd = api_fd(ctx->req);

	if (auth_unix_peer(fd, &who, &uid)) {
		if (!guard_uid_is_session(server_cfg, uid))
			return (0);
		log_warnx("http: refused a request from inside a session: "
		    "unix socket peer uid %ld", uid);
		api_error(ctx, 403, "FORBIDDEN", "requests from inside a "
		    "session are refused", NULL);
		return (-1);
	}
	switch (guard_tcp(fd, server_cfg)) {
	case GUARD_ALLOW:
		break;
	case GUARD_SESSION:
		api_error(ctx, 403, "FORBIDDEN", "requests from inside a "
		    "session are refused", NULL);
		return (-1);
	case GUARD_UNKNOWN:
		api_error(ctx, 403, "FORBIDDEN", "cannot tell whether this "
		    "connection comes from inside a session (see the log); "
		    "use the Unix socket", NULL);
		return (-1);
	}
	h = evhttp_request_get_input_headers(ctx->req);
	if (auth_browser_check(server_cfg, &server_addr, h, cause,
	    sizeof cause) != 0) {
		api_error(ctx, 403, "FORBIDDEN", cause, NULL);
		return (-1);
	}
	if ((method == EVHTTP_REQ_POST || method == EVHTTP_REQ_PUT ||
	    method == EVHTTP_REQ_PATCH || method == EVHTTP_REQ_DELETE) &&
	    auth_content_check(h, evbuffer_get_length(
	    evhttp_request_get_input_buffer(ctx->req)), cause,
	    sizeof cause) != 0) {
		api_error(ctx, 415, "UNSUPPORTED_MEDIA_TYPE", cause, NULL);
		return (-1);
	}
	return (0);
}

/* Route one request: 404 by path, 405 by method, 401, then the handler. */
static void
api_request_cb(struct evhttp_request *req, void *arg)
{
	struct api_ctx		 ctx;
	const struct evhttp_uri	*uri;
	const struct api_entry	*entry = NULL;
	enum evhttp_cmd_type	 method;
	struct evkeyvalq	*h;
	char			 allow[64];
	size_t			 i, len;

	memset(&ctx, 0, sizeof ctx);
	ctx.req = req;
	ctx.name = "unmatched";
	TAILQ_INIT(&ctx.query);
	method = evhttp_request_get_command(req);
	ctx.method = api_method_name(method);
	snprintf(ctx.who.user_id, sizeof ctx.who.user_id, "-");

	if (api_guard(&ctx, method) != 0)
		goto out;
	/* A CORS preflight from an allowed origin (the guard checked it). */
	if (method == EVHTTP_REQ_OPTIONS && evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Origin") != NULL &&
	    evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Access-Control-Request-Method") != NULL) {
		h = evhttp_request_get_output_headers(req);
		evhttp_add_header(h, "Access-Control-Allow-Methods",
		    "GET, POST, DELETE");
		evhttp_add_header(h, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type");
		evhttp_add_header(h, "Access-Control-Max-Age", "600");
		ctx.name = "preflight";
		api_reply(&ctx, 204, NULL, NULL);
		goto out;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	if (uri != NULL && api_gateway(&ctx, evhttp_uri_get_path(uri)))
		goto out;
	ctx.route = api_match(&ctx, uri != NULL ? evhttp_uri_get_path(uri) :
	    NULL);
	if (ctx.route == API_NONE) {
		api_error(&ctx, 404, "NOT_FOUND", "no such route", NULL);
		goto out;
	}

	/* HEAD is GET without the body (evhttp drops it). */
	if (method == EVHTTP_REQ_HEAD)
		method = EVHTTP_REQ_GET;
	*allow = '\0';
	for (i = 0; i < nitems(api_table); i++) {
		if (api_table[i].route != ctx.route)
			continue;
		ctx.name = api_table[i].name;
		if (api_table[i].method == method)
			entry = &api_table[i];
		len = strlen(allow);
		snprintf(allow + len, sizeof allow - len, "%s%s",
		    len != 0 ? ", " : "", api_method_name(api_table[i].method));
	}
	if (entry == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow);
		api_error(&ctx, 405, "METHOD_NOT_ALLOWED",
		    "method not allowed on this route", NULL);
		goto out;
	}

	if (entry->auth && api_auth(&ctx) != 0)
		goto out;
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    server_cfg->max_body_bytes) {
		api_error(&ctx, 413, "PAYLOAD_TOO_LARGE", "request body is "
		    "larger than the limit (max_body_bytes)", NULL);
		goto out;
	}
	entry->handler(&ctx);

out:
	if (!ctx.replied) {
		log_warnx("http: %s %s: no answer", ctx.method, ctx.name);
		api_error(&ctx, 500, "INTERNAL", "internal error", NULL);
	}
	evhttp_clear_headers(&ctx.query);
	free(ctx.id);
	free(ctx.approval_id);
}

/* Install the request handler on an evhttp serving TCP and the socket. */
void
api_init(struct evhttp *http)
{
	evhttp_set_gencb(http, api_request_cb, NULL);
}
