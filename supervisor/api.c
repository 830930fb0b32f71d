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

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/util.h"
#include "host/overlay.h"
#include "host/quota.h"
#include "host/sandbox.h"
#include "supervisor/api.h"
#include "supervisor/auth.h"
#include "supervisor/control.h"
#include "supervisor/gateway.h"
#include "supervisor/guard.h"
#include "supervisor/gw_ws.h"
#include "supervisor/pool.h"
#include "supervisor/reply.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/sessroute.h"
#include "supervisor/sse.h"
#include "supervisor/validate.h"

#define API_PREFIX_SEGS	3	/* api / runner / sessions */
#define API_MAX_SEGS	6
#define API_MAX_SEG	256	/* bytes of one decoded path segment */

typedef void (*api_handler)(struct api_ctx *);

static void	api_healthz(struct api_ctx *);
static void	api_metrics(struct api_ctx *);

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
	{ API_SESSIONS, "/api/runner/sessions", EVHTTP_REQ_GET, 1,
	  sessroute_list },
	{ API_SESSIONS, "/api/runner/sessions", EVHTTP_REQ_POST, 1,
	  sessroute_start },
	{ API_SESSION, "/api/runner/sessions/:id", EVHTTP_REQ_GET, 1,
	  sessroute_get },
	{ API_SESSION, "/api/runner/sessions/:id", EVHTTP_REQ_DELETE, 1,
	  sessroute_delete },
	{ API_EVENTS, "/api/runner/sessions/:id/events", EVHTTP_REQ_GET, 1,
	  sessroute_events },
	{ API_INPUT, "/api/runner/sessions/:id/input", EVHTTP_REQ_POST, 1,
	  sessroute_input },
	{ API_RESIZE, "/api/runner/sessions/:id/resize", EVHTTP_REQ_POST, 1,
	  sessroute_resize },
	{ API_PAUSE, "/api/runner/sessions/:id/pause", EVHTTP_REQ_POST, 1,
	  sessroute_pause },
	{ API_RESUME, "/api/runner/sessions/:id/resume", EVHTTP_REQ_POST, 1,
	  sessroute_resume },
	{ API_STOP, "/api/runner/sessions/:id/stop", EVHTTP_REQ_POST, 1,
	  sessroute_stop },
	{ API_APPROVAL, "/api/runner/sessions/:id/approvals/:approvalId",
	  EVHTTP_REQ_POST, 1, sessroute_approval },
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

/* Check a TCP client's HTTP credentials (Authorization, Cookie); -1, cause. */
static int
api_credentials(struct api_ctx *ctx, char *cause, size_t causelen)
{
	struct evkeyvalq	*h;

	h = evhttp_request_get_input_headers(ctx->req);
	return (auth_check(server_cfg, evhttp_find_header(h, "Authorization"),
	    evhttp_find_header(h, "Cookie"), (int64_t)time(NULL), &ctx->who,
	    cause, causelen));
}

/* Who is asking: a Unix socket peer, or a TCP client with credentials. */
static int
api_auth(struct api_ctx *ctx)
{
	char	cause[256];
	long	uid;

	if (auth_unix_peer(api_fd(ctx->req), &ctx->who, &uid)) {
		log_debug("http: unix socket peer uid %ld", uid);
		return (0);
	}
	if (api_credentials(ctx, cause, sizeof cause) == 0)
		return (0);
	snprintf(ctx->who.user_id, sizeof ctx->who.user_id, "-");
	evhttp_add_header(evhttp_request_get_output_headers(ctx->req),
	    "WWW-Authenticate", "Bearer");
	reply_error(ctx, 401, "UNAUTHORIZED", cause, NULL);
	return (-1);
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
	reply_json(ctx, 200, o);
}

/* GET /metrics: the Prometheus text format, each subsystem's own lines. */
static void
api_metrics(struct api_ctx *ctx)
{
	struct evbuffer	*buf;

	if ((buf = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	session_metrics(buf);
	pool_metrics(buf);
	reply_metrics(buf);
	gateway_metrics(buf);
	reply_send(ctx, 200, "text/plain; version=0.0.4", buf);
	evbuffer_free(buf);
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
	const struct auth_result	*who = NULL;
	char				 cause[256];
	long				 uid;
	int				 trusted = 0;

	if (path == NULL || (strcmp(path, "/ws") != 0 &&
	    strcmp(path, "/socket.io") != 0 &&
	    strncmp(path, "/socket.io/", 11) != 0))
		return (0);
	ctx->name = path[1] == 'w' ? "/ws" : "/socket.io/";
	if (auth_unix_peer(api_fd(ctx->req), &ctx->who, &uid)) {
		trusted = 1;
		who = &ctx->who;
	} else if (api_credentials(ctx, cause, sizeof cause) == 0)
		who = &ctx->who;
	if (gw_ws_upgrade(ctx->req, trusted, who)) {
		reply_handed_over(ctx, 101);
		return (1);
	}
	return (0);
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
		reply_error(ctx, 403, "FORBIDDEN", "requests from inside a "
		    "session are refused", NULL);
		return (-1);
	}
	switch (guard_tcp(fd, server_cfg)) {
	case GUARD_ALLOW:
		break;
	case GUARD_SESSION:
		reply_error(ctx, 403, "FORBIDDEN", "requests from inside a "
		    "session are refused", NULL);
		return (-1);
	case GUARD_UNKNOWN:
		reply_error(ctx, 403, "FORBIDDEN", "cannot tell whether this "
		    "connection comes from inside a session (see the log); "
		    "use the Unix socket", NULL);
		return (-1);
	}
	h = evhttp_request_get_input_headers(ctx->req);
	if (auth_browser_check(server_cfg, &server_addr, h, cause,
	    sizeof cause) != 0) {
		reply_error(ctx, 403, "FORBIDDEN", cause, NULL);
		return (-1);
	}
	if ((method == EVHTTP_REQ_POST || method == EVHTTP_REQ_PUT ||
	    method == EVHTTP_REQ_PATCH || method == EVHTTP_REQ_DELETE) &&
	    auth_content_check(h, evbuffer_get_length(
	    evhttp_request_get_input_buffer(ctx->req)), cause,
	    sizeof cause) != 0) {
		reply_error(ctx, 415, "UNSUPPORTED_MEDIA_TYPE", cause, NULL);
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
	ctx.method = reply_method_name(method);
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
		reply_send(&ctx, 204, NULL, NULL);
		goto out;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	if (uri != NULL && api_gateway(&ctx, evhttp_uri_get_path(uri)))
		goto out;
	ctx.route = api_match(&ctx, uri != NULL ? evhttp_uri_get_path(uri) :
	    NULL);
	if (ctx.route == API_NONE) {
		reply_error(&ctx, 404, "NOT_FOUND", "no such route", NULL);
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
		    len != 0 ? ", " : "",
		    reply_method_name(api_table[i].method));
	}
	if (entry == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow);
		reply_error(&ctx, 405, "METHOD_NOT_ALLOWED",
		    "method not allowed on this route", NULL);
		goto out;
	}

	if (entry->auth && api_auth(&ctx) != 0)
		goto out;
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    server_cfg->max_body_bytes) {
		reply_error(&ctx, 413, "PAYLOAD_TOO_LARGE", "request body is "
		    "larger than the limit (max_body_bytes)", NULL);
		goto out;
	}
	entry->handler(&ctx);

out:
	if (!ctx.replied) {
		log_warnx("http: %s %s: no answer", ctx.method, ctx.name);
		reply_error(&ctx, 500, "INTERNAL", "internal error", NULL);
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
