/*
 * runnerctl's HTTP/1.1 client. Requests are blocking, one connection each
 * (Connection: close); responses are parsed in http.c.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/jsonget.h"
#include "common/util.h"
#include "ctl/client.h"
#include "ctl/termfilter.h"

/* Parse http://HOST:PORT[/] (IPv6 as [::1]); -1 with cause. */
int
client_parse_url(const char *url, char **host, char **port,
    const char **cause)
{
	const char	*p, *end, *colon;
	size_t		 n;

	*host = *port = NULL;
	if (strncmp(url, "http://", 7) != 0) {
		*cause = "URL must start with http://";
		return (-1);
	}
	p = url + 7;
	end = p + strcspn(p, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0) {
		*cause = "URL must be http://HOST:PORT";
		return (-1);
	}
	if (*p == '[') {
		colon = memchr(p, ']', (size_t)(end - p));
		if (colon == NULL || colon == p + 1) {
			*cause = "bad IPv6 address in URL";
			return (-1);
		}
		*host = xstrndup(p + 1, (size_t)(colon - p - 1));
		colon++;
		if (colon != end && *colon != ':') {
			free(*host);
			*host = NULL;
			*cause = "URL must be http://HOST:PORT";
			return (-1);
		}
		if (colon == end)
			colon = NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon != NULL ? colon : end) - p);
		if (n == 0) {
			*cause = "URL has no host";
			return (-1);
		}
		*host = xstrndup(p, n);
	}
	if (colon == NULL)
		*port = xstrdup("80");
	else {
		n = (size_t)(end - colon - 1);
		if (n == 0 || n > 5 || strspn(colon + 1, "0123456789") < n ||
		    strtol(colon + 1, NULL, 10) > 65535 ||
		    strtol(colon + 1, NULL, 10) == 0) {
			free(*host);
			*host = NULL;
			*cause = "bad port in URL";
			return (-1);
		}
		*port = xstrndup(colon + 1, n);
	}
	return (0);
}

/* The daemon's default socket, the same rule as config_default(). */
char *
client_default_socket(void)
{
	const char	*home;

	if (geteuid() == 0)
		return (xstrdup("/var/lib/runnerd/runnerd.sock"));
	if ((home = getenv("HOME")) != NULL && *home != '\0')
		return (xasprintf("%s/.local/state/runnerd/runnerd.sock",
		    home));
	return (xasprintf("/tmp/runnerd-%ld/runnerd.sock", (long)geteuid()));
}

/* Resolve an id prefix against a "sessions" array. */
int
client_resolve_id(struct json_object *sessions, const char *prefix,
    char **out, struct cbuf *cause)
{
	size_t		 i, n, plen = strlen(prefix), found = 0;
	const char	*id, *match = NULL;
	struct cbuf	 list = { 0 };

	*out = NULL;
	n = json_object_is_type(sessions, json_type_array) ?
	    json_object_array_length(sessions) : 0;
	for (i = 0; i < n; i++) {
		id = jsonget_str(json_object_array_get_idx(sessions, i),
		    "sessionId");
		if (id == NULL)
			continue;
		if (strcmp(id, prefix) == 0) {
			cbuf_free(&list);
			*out = xstrdup(id);
			return (0);
		}
		if (plen == 0 || strncmp(id, prefix, plen) != 0)
			continue;
		if (found++ > 0)
			cbuf_adds(&list, ", ");
		termfilter_plain_str(id, &list);
		match = id;
	}
	if (found == 1) {
		*out = xstrdup(match);
		cbuf_free(&list);
		return (0);
	}
	cause->len = 0;
	if (found == 0) {
		cbuf_adds(cause, "no session matches '");
		termfilter_plain_str(prefix, cause);
		cbuf_adds(cause, "'");
		cbuf_free(&list);
		return (-1);
	}
	cbuf_adds(cause, "ambiguous id '");
	termfilter_plain_str(prefix, cause);
	cbuf_printf(cause, "' matches %zu sessions: %s", found, list.data);
	cbuf_free(&list);
	return (-2);
}

/* Format an age in seconds as 42s, 5m, 3h, 2d. */
void
client_fmt_age(int64_t secs, char *buf, size_t size)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		snprintf(buf, size, "%llds", (long long)secs);
	else if (secs < 3600)
		snprintf(buf, size, "%lldm", (long long)(secs / 60));
	else if (secs < 86400)
		snprintf(buf, size, "%lldh", (long long)(secs / 3600));
	else
		snprintf(buf, size, "%lldd", (long long)(secs / 86400));
}

/* Parse K=V into a json object; -1 with cause. */
int
client_env_add(struct json_object *env, const char *kv, const char **cause)
{
	const char	*eq;
	char		*k;

	if ((eq = strchr(kv, '=')) == NULL || eq == kv) {
		*cause = "--env wants NAME=VALUE";
		return (-1);
	}
	k = xstrndup(kv, (size_t)(eq - kv));
	json_object_object_add(env, k, json_object_new_string(eq + 1));
	free(k);
	return (0);
}

/* The exit status a SESSION_ENDED event or an ended session stands for. */
int
client_session_status(struct json_object *o)
{
	struct json_object	*v;
	const char		*st;

	if (json_object_object_get_ex(o, "exitCode", &v) &&
	    json_object_is_type(v, json_type_int))
		return (json_object_get_int(v) & 255);
	if ((st = jsonget_str(o, "finalState")) == NULL)
		st = jsonget_str(o, "state");
	return (st != NULL && strcmp(st, "COMPLETED") == 0 ? 0 : 1);
}

/* Connect to the server; the fd or -1 with cause. */
static int
client_connect(struct client *c, struct cbuf *cause)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res, *ai;
	int			 fd = -1, error, saved = 0;

	cause->len = 0;
	if (c->sock_path != NULL) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(c->sock_path) >= sizeof sun.sun_path) {
			cbuf_printf(cause, "socket path too long: %s",
			    c->sock_path);
			return (-1);
		}
		strcpy(sun.sun_path, c->sock_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
			cbuf_printf(cause, "cannot connect to %s: %s",
			    c->sock_path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return (-1);
		}
		return (fd);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(c->host, c->port, &hints, &res)) != 0) {
		cbuf_printf(cause, "cannot resolve %s: %s", c->host,
		    gai_strerror(error));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		cbuf_printf(cause, "cannot connect to %s:%s: %s", c->host,
		    c->port, strerror(saved));
	return (fd);
}

/* Connect and send a request; the fd or -1 with cause. */
static int
client_send(struct client *c, const char *method, const char *path,
    const char *body, size_t len, int sse, struct cbuf *cause)
{
	struct cbuf	 req = { 0 };
	int		 fd;

	if (c->token != NULL && strpbrk(c->token, "\r\n") != NULL) {
		cause->len = 0;
		cbuf_adds(cause, "the token contains a line break");
		return (-1);
	}
	if ((fd = client_connect(c, cause)) < 0)
		return (-1);
	/* Host as a browser would send it: runnerd checks it (rebinding). */
	if (c->sock_path != NULL)
		cbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: localhost\r\n",
		    method, path);
	else
		cbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n",
		    method, path, strchr(c->host, ':') != NULL ? "[" : "",
		    c->host, strchr(c->host, ':') != NULL ? "]" : "", c->port);
	cbuf_printf(&req, "User-Agent: runnerctl/%s\r\nConnection: close\r\n"
	    "Accept: %s\r\n", PACKAGE_VERSION,
	    sse ? "text/event-stream" : "application/json");
	if (c->token != NULL)
		cbuf_printf(&req, "Authorization: Bearer %s\r\n", c->token);
	if (body != NULL)
		cbuf_printf(&req, "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n", len);
	else if (strcmp(method, "GET") != 0)
		cbuf_adds(&req, "Content-Length: 0\r\n");
	cbuf_adds(&req, "\r\n");
	if (body != NULL)
		cbuf_add(&req, body, len);
	if (write_all(fd, req.data, req.len, 1) != 0) {
		cause->len = 0;
		cbuf_printf(cause, "cannot send the request: %s",
		    strerror(errno));
		cbuf_free(&req);
		close(fd);
		return (-1);
	}
	cbuf_free(&req);
	return (fd);
}

/* Send a request and read the whole response; -1 with cause. */
int
client_request(struct client *c, const char *method, const char *path,
    const char *body, size_t len, struct http_resp *r, struct cbuf *cause)
{
	struct cbuf	 in = { 0 };
	char		 buf[16384];
	ssize_t		 n;
	int		 fd;
	const char	*why;

	memset(r, 0, sizeof *r);
	if ((fd = client_send(c, method, path, body, len, 0, cause)) < 0)
		return (-1);
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cause->len = 0;
			cbuf_printf(cause, "cannot read the response: %s",
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (in.len + (size_t)n > HTTP_MAX_BODY + HTTP_MAX_HEAD) {
			cause->len = 0;
			cbuf_adds(cause, "response too large");
			goto fail;
		}
		cbuf_add(&in, buf, (size_t)n);
	}
	close(fd);
	if (http_parse_response(in.data != NULL ? in.data : "", in.len, r,
	    &why) != 0) {
		cause->len = 0;
		cbuf_printf(cause, "bad response from runnerd: %s", why);
		cbuf_free(&in);
		return (-1);
	}
	cbuf_free(&in);
	return (0);
fail:
	close(fd);
	cbuf_free(&in);
	return (-1);
}

/* Connect, send, read the head; 0 ok, 1 non-200 (resp filled), -1 cause. */
int
client_stream_start(struct client *c, const char *path,
    struct client_stream *st, struct http_resp *r, struct cbuf *cause)
{
	struct cbuf	 in = { 0 };
	struct http_head h;
	char		 buf[16384];
	ssize_t		 n;
	int		 fd, hl;
	const char	*why = "connection closed";

	memset(st, 0, sizeof *st);
	st->fd = -1;
	memset(r, 0, sizeof *r);
	if ((fd = client_send(c, "GET", path, NULL, 0, 1, cause)) < 0)
		return (-1);
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		cbuf_add(&in, buf, (size_t)n);
		if ((hl = http_parse_head(in.data, in.len, &h, &why)) < 0)
			break;
		if (hl == 0)
			continue;
		if (h.status != 200) {
			/* An error: read the rest and parse it whole. */
			while ((n = read(fd, buf, sizeof buf)) > 0 &&
			    in.len < HTTP_MAX_HEAD * 16)
				cbuf_add(&in, buf, (size_t)n);
			close(fd);
			if (http_parse_response(in.data, in.len, r,
			    &why) != 0) {
				r->head = h;
				cbuf_free(&r->body);
			}
			cbuf_free(&in);
			return (1);
		}
		st->fd = fd;
		st->chunked = h.chunked;
		cbuf_add(&st->pending, in.data + hl, in.len - (size_t)hl);
		cbuf_free(&in);
		return (0);
	}
	close(fd);
	cbuf_free(&in);
	cause->len = 0;
	cbuf_printf(cause, "bad response from runnerd: %s", why);
	return (-1);
}

/* Feed body bytes through the dechunker and the SSE parser. */
static int
client_stream_feed(struct client_stream *st, const char *buf, size_t len,
    sse_cb cb, void *arg, struct cbuf *cause)
{
	struct cbuf	 out = { 0 };
	const char	*why;
	int		 rc;

	if (!st->chunked)
		rc = http_sse_feed(&st->sse, buf, len, cb, arg);
	else {
		if (http_dechunk(&st->dec, buf, len, &out, &why) != 0) {
			cause->len = 0;
			cbuf_printf(cause, "bad response from runnerd: %s",
			    why);
			cbuf_free(&out);
			return (-1);
		}
		rc = http_sse_feed(&st->sse, out.data != NULL ? out.data :
		    "", out.len, cb, arg);
		cbuf_free(&out);
	}
	if (rc < 0) {
		cause->len = 0;
		cbuf_adds(cause, "bad event stream from runnerd");
		return (-1);
	}
	return (rc != 0 ? 2 : 1);
}

/* Read once; 1 more, 0 EOF, -1 error, 2 a callback stopped it. */
int
client_stream_read(struct client_stream *st, sse_cb cb, void *arg,
    struct cbuf *cause)
{
	char	buf[16384];
	ssize_t	n;
	int	rc;

	if (st->pending.len > 0) {
		rc = client_stream_feed(st, st->pending.data, st->pending.len,
		    cb, arg, cause);
		st->pending.len = 0;
		return (rc);
	}
	if (st->chunked && st->dec.done)
		return (0);
	n = read(st->fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return (1);
	if (n < 0) {
		cause->len = 0;
		cbuf_printf(cause, "connection to runnerd lost: %s",
		    strerror(errno));
		return (-1);
	}
	if (n == 0)
		return (0);
	return (client_stream_feed(st, buf, (size_t)n, cb, arg, cause));
}

/* Close a stream and free its buffers. */
void
client_stream_close(struct client_stream *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	http_sse_free(&st->sse);
	cbuf_free(&st->pending);
}

/*
 * Give each of the n signals sigs the handler, with sa_flags flags; with
 * keep_ignored, one the process was started ignoring stays ignored.
 */
void
client_signals(const int *sigs, size_t n, void (*handler)(int), int flags,
    int keep_ignored)
{
	struct sigaction	sa, old;
	size_t			i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	sa.sa_handler = handler;
	for (i = 0; i < n; i++) {
		if (keep_ignored && sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}
