/*
 * runnerctl's HTTP/1.1 client. Requests are blocking, one connection each
 * (Connection: close); responses are parsed by pure functions (head,
 * chunked coding, SSE) that the unit tests feed hostile input.
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

enum {
	CHUNK_SIZE,
	CHUNK_DATA,
	CHUNK_DATA_END,
	CHUNK_TRAILER,
	CHUNK_DONE
};

/* Append bytes to a buffer, keeping it NUL-terminated. */
void
cbuf_add(struct cbuf *b, const void *p, size_t n)
{
	size_t	need;

	need = b->len + n + 1;
	if (need > b->size) {
		b->size = b->size == 0 ? 256 : b->size;
		while (b->size < need)
			b->size *= 2;
		b->data = xrealloc(b->data, b->size);
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append a string. */
void
cbuf_adds(struct cbuf *b, const char *s)
{
	cbuf_add(b, s, strlen(s));
}

/* Append formatted text. */
void
cbuf_printf(struct cbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	cbuf_add(b, s, (size_t)n);
	free(s);
}

/* Free a buffer's bytes and empty it. */
void
cbuf_free(struct cbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

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

/* Find "\r\n\r\n" in the first len bytes. */
static const char *
client_find_end(const char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i + 3 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' &&
		    buf[i + 2] == '\r' && buf[i + 3] == '\n')
			return (buf + i);
	}
	return (NULL);
}

/* Parse one header line into h. */
static int
client_header(struct http_head *h, const char *line, size_t len,
    const char **cause)
{
	const char	*colon, *v;
	size_t		 nlen, vlen;
	char		 num[32];

	if ((colon = memchr(line, ':', len)) == NULL || colon == line) {
		*cause = "malformed header line";
		return (-1);
	}
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (nlen == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
		if (vlen >= 7 && strncasecmp(v + vlen - 7, "chunked", 7) == 0)
			h->chunked = 1;
		else {
			*cause = "unsupported transfer coding";
			return (-1);
		}
	} else if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
		if (vlen == 0 || vlen >= sizeof num ||
		    strspn(v, "0123456789") < vlen) {
			*cause = "bad Content-Length";
			return (-1);
		}
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (vlen > 12 || strtoll(num, NULL, 10) > CLIENT_MAX_BODY) {
			*cause = "response body too large";
			return (-1);
		}
		if (h->content_length >= 0 &&
		    h->content_length != strtoll(num, NULL, 10)) {
			*cause = "conflicting Content-Length";
			return (-1);
		}
		h->content_length = strtoll(num, NULL, 10);
	} else if (nlen == 12 && strncasecmp(line, "Content-Type", 12) == 0) {
		if (vlen >= sizeof h->content_type)
			vlen = sizeof h->content_type - 1;
		memcpy(h->content_type, v, vlen);
		h->content_type[vlen] = '\0';
	}
	return (0);
}

/* Parse a response head; >0 its length, 0 incomplete, -1 with cause. */
int
client_parse_head(const char *buf, size_t len, struct http_head *h,
    const char **cause)
{
	const char	*end, *p, *eol;
	size_t		 scan;

	memset(h, 0, sizeof *h);
	h->content_length = -1;
	scan = len < CLIENT_MAX_HEAD ? len : CLIENT_MAX_HEAD;
	if ((end = client_find_end(buf, scan)) == NULL) {
		if (len >= CLIENT_MAX_HEAD) {
			*cause = "response head too large";
			return (-1);
		}
		if (len >= 5 && strncmp(buf, "HTTP/", 5) != 0) {
			*cause = "not an HTTP response";
			return (-1);
		}
		return (0);
	}
	if (end - buf < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
	    !isdigit((unsigned char)buf[9]) ||
	    !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]) ||
	    (end - buf > 12 && buf[12] != ' ' && buf[12] != '\r')) {
		*cause = "not an HTTP response";
		return (-1);
	}
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
	    (buf[11] - '0');
	if (h->status < 100 || h->status > 599) {
		*cause = "bad HTTP status";
		return (-1);
	}
	p = (const char *)memchr(buf, '\n', (size_t)(end - buf) + 2) + 1;
	while (p < end + 2) {
		eol = memchr(p, '\n', (size_t)(end + 4 - p));
		if (eol == NULL || eol == p || eol[-1] != '\r') {
			*cause = "malformed header line";
			return (-1);
		}
		if (eol - 1 == p)
			break;
		if (client_header(h, p, (size_t)(eol - 1 - p), cause) != 0)
			return (-1);
		p = eol + 1;
	}
	if (h->chunked && h->content_length >= 0) {
		*cause = "both chunked and Content-Length";
		return (-1);
	}
	h->head_len = (size_t)(end - buf) + 4;
	return ((int)h->head_len);
}

/* Parse the size line of a chunk. */
static int
client_chunk_size(struct chunk_dec *d, const char **cause)
{
	size_t		 i, n;
	uint64_t	 v = 0;
	int		 c;

	n = d->linelen;
	if (n > 0 && d->line[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++) {
		c = (unsigned char)d->line[i];
		if (c == ';' || c == ' ' || c == '\t')
			break;
		if (!isxdigit(c)) {
			*cause = "bad chunk size";
			return (-1);
		}
		v = v * 16 + (uint64_t)(isdigit(c) ? c - '0' :
		    tolower(c) - 'a' + 10);
		if (v > CLIENT_MAX_BODY) {
			*cause = "chunk too large";
			return (-1);
		}
	}
	if (i == 0) {
		*cause = "bad chunk size";
		return (-1);
	}
	d->left = v;
	return (0);
}

/* Feed chunked bytes; decoded bytes go to out; -1 with cause. */
int
client_dechunk(struct chunk_dec *d, const char *in, size_t len,
    struct cbuf *out, const char **cause)
{
	size_t	i = 0, n;
	char	c;

	while (i < len) {
		switch (d->state) {
		case CHUNK_SIZE:
		case CHUNK_TRAILER:
			c = in[i++];
			if (c != '\n') {
				if (d->linelen + 1 >= sizeof d->line) {
					*cause = "chunk line too long";
					return (-1);
				}
				d->line[d->linelen++] = c;
				break;
			}
			if (d->state == CHUNK_TRAILER) {
				n = d->linelen;
				d->linelen = 0;
				if (n == 0 || (n == 1 && d->line[0] == '\r')) {
					d->state = CHUNK_DONE;
					d->done = 1;
				}
				break;
			}
			if (client_chunk_size(d, cause) != 0)
				return (-1);
			d->linelen = 0;
			d->state = d->left == 0 ? CHUNK_TRAILER : CHUNK_DATA;
			break;
		case CHUNK_DATA:
			n = len - i;
			if (n > d->left)
				n = (size_t)d->left;
			if (out->len + n > CLIENT_MAX_BODY) {
				*cause = "response body too large";
				return (-1);
			}
			cbuf_add(out, in + i, n);
			i += n;
			d->left -= n;
			if (d->left == 0)
				d->state = CHUNK_DATA_END;
			break;
		case CHUNK_DATA_END:
			c = in[i++];
			if (c == '\r' && d->linelen == 0) {
				d->linelen = 1;
				break;
			}
			if (c != '\n') {
				*cause = "chunk not followed by CRLF";
				return (-1);
			}
			d->linelen = 0;
			d->state = CHUNK_SIZE;
			break;
		case CHUNK_DONE:
			return (0);	/* ignore anything after the last chunk */
		}
	}
	return (0);
}

/* Parse a whole response read until EOF; -1 with cause. */
int
client_parse_response(const char *buf, size_t len, struct http_resp *r,
    const char **cause)
{
	struct chunk_dec	 d;
	int			 n;

	memset(r, 0, sizeof *r);
	if ((n = client_parse_head(buf, len, &r->head, cause)) < 0)
		return (-1);
	if (n == 0) {
		*cause = len == 0 ? "empty response" : "truncated response head";
		return (-1);
	}
	buf += n;
	len -= (size_t)n;
	if (r->head.chunked) {
		memset(&d, 0, sizeof d);
		if (client_dechunk(&d, buf, len, &r->body, cause) != 0)
			goto bad;
		if (!d.done) {
			*cause = "truncated chunked body";
			goto bad;
		}
	} else if (r->head.content_length >= 0) {
		if ((uint64_t)r->head.content_length > len) {
			*cause = "truncated response body";
			goto bad;
		}
		cbuf_add(&r->body, buf, (size_t)r->head.content_length);
	} else
		cbuf_add(&r->body, buf, len);
	return (0);
bad:
	cbuf_free(&r->body);
	return (-1);
}

/* Free a response. */
void
client_resp_free(struct http_resp *r)
{
	cbuf_free(&r->body);
}

/* Server text as plain text: controls and bad UTF-8 become '?'. */
static void
client_add_clean(struct cbuf *out, const char *s)
{
	termfilter_plain(s, strlen(s), out);
}

/* The message of a JSON error body, or a generic one for the status. */
char *
client_error_message(const struct http_resp *r)
{
	struct json_object	*o, *e, *m;
	struct cbuf		 b = { 0 };

	if (r->body.len > 0 && (o = json_tokener_parse(r->body.data)) != NULL) {
		if (json_object_object_get_ex(o, "error", &e) &&
		    json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string)) {
			client_add_clean(&b, json_object_get_string(m));
			json_object_put(o);
			return (b.data);
		}
		json_object_put(o);
	}
	cbuf_printf(&b, "server answered HTTP %d", r->head.status);
	return (b.data);
}

/* Dispatch the event gathered so far. */
static int
client_sse_dispatch(struct sse_parser *p, sse_cb cb, void *arg)
{
	struct sse_event	ev;
	int			rc = 0;

	if (p->has_data) {
		cbuf_add(&p->id, "", 0);
		cbuf_add(&p->event, "", 0);
		ev.id = p->id.data;
		ev.event = p->event.len > 0 ? p->event.data : (char *)"message";
		ev.data = p->data.data;
		rc = cb(&ev, arg);
	}
	p->id.len = p->event.len = p->data.len = 0;
	p->has_data = 0;
	return (rc);
}

/* Handle one complete SSE line. */
static int
client_sse_line(struct sse_parser *p, sse_cb cb, void *arg)
{
	char	*line = p->line.data, *v;
	size_t	 len = p->line.len, nlen;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return (client_sse_dispatch(p, cb, arg));
	if (line[0] == ':')
		return (0);
	if ((v = memchr(line, ':', len)) == NULL) {
		nlen = len;
		v = line + len;
	} else {
		nlen = (size_t)(v - line);
		v++;
		if (*v == ' ')
			v++;
	}
	if (nlen == 4 && strncmp(line, "data", 4) == 0) {
		if (p->has_data)
			cbuf_add(&p->data, "\n", 1);
		cbuf_add(&p->data, v, (size_t)(line + len - v));
		p->has_data = 1;
	} else if (nlen == 5 && strncmp(line, "event", 5) == 0) {
		p->event.len = 0;
		cbuf_add(&p->event, v, (size_t)(line + len - v));
	} else if (nlen == 2 && strncmp(line, "id", 2) == 0) {
		p->id.len = 0;
		cbuf_add(&p->id, v, (size_t)(line + len - v));
	}
	return (0);
}

/* Feed bytes to an SSE parser; a callback returning non-zero stops it. */
int
client_sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_cb cb,
    void *arg)
{
	const char	*nl;
	size_t		 n;
	int		 rc;

	while (len > 0) {
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) : len;
		if (p->line.len + n > CLIENT_MAX_BODY)
			return (-1);
		cbuf_add(&p->line, buf, n);
		if (nl == NULL)
			return (0);
		buf += n + 1;
		len -= n + 1;
		rc = client_sse_line(p, cb, arg);
		p->line.len = 0;
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Free an SSE parser's buffers. */
void
client_sse_free(struct sse_parser *p)
{
	cbuf_free(&p->line);
	cbuf_free(&p->id);
	cbuf_free(&p->event);
	cbuf_free(&p->data);
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
		client_add_clean(&list, id);
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
		client_add_clean(cause, prefix);
		cbuf_adds(cause, "'");
		cbuf_free(&list);
		return (-1);
	}
	cbuf_adds(cause, "ambiguous id '");
	client_add_clean(cause, prefix);
	cbuf_printf(cause, "' matches %zu sessions: %s", found, list.data);
	cbuf_free(&list);
	return (-2);
}

/* Append TYPE and the event's own fields (not the common stamps) as JSON. */
static void
client_render_generic(struct json_object *ev, const char *type,
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
	client_add_clean(out, type);
	if (json_object_object_length(rest) > 0) {
		cbuf_adds(out, " ");
		client_add_clean(out, json_object_to_json_string_ext(rest,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(rest);
}

/* Start rendering; raw passes the agent's terminal output unfiltered. */
void
client_render_init(struct render *r, int raw)
{
	memset(r, 0, sizeof *r);
	r->at_bol = 1;
	r->raw = raw;
	termfilter_init(&r->tf);
}

/* Append the end of a rendering: undo the modes the output left set. */
void
client_render_end(struct render *r, struct cbuf *out)
{
	if (!r->raw)
		termfilter_restore(&r->tf, out);
}

/* Append JSON text made safe for a terminal (see termfilter_json). */
void
client_json_clean(const char *json, struct cbuf *out)
{
	termfilter_json(json, strlen(json), out);
}

/*
 * Append before, o's string key made safe for a terminal (dflt when it
 * has none) and after; nothing when it has none and dflt is NULL.
 */
static void
client_add_key(struct cbuf *out, const char *before, struct json_object *o,
    const char *key, const char *dflt, const char *after)
{
	const char	*s;

	if ((s = jsonget_str(o, key)) == NULL && (s = dflt) == NULL)
		return;
	cbuf_adds(out, before);
	client_add_clean(out, s);
	cbuf_adds(out, after);
}

/* Append one event, rendered for humans, to out. */
void
client_render_event(struct render *r, struct json_object *ev,
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
		client_add_key(out, "", ev, "previousState", "?", "");
		client_add_key(out, " -> ", ev, "newState", "?", "");
		client_add_key(out, " (", ev, "reason", NULL, ")");
	} else if (strcmp(type, "SESSION_ENDED") == 0) {
		client_add_key(out, "SESSION_ENDED ", ev, "finalState", "?", "");
		if (json_object_object_get_ex(ev, "exitCode", &v) &&
		    json_object_is_type(v, json_type_int))
			cbuf_printf(out, ", exit %d", json_object_get_int(v));
	} else if (strcmp(type, "APPROVAL_REQUESTED") == 0 &&
	    json_object_object_get_ex(ev, "approval", &ap) &&
	    jsonget_str(ap, "approvalId") != NULL) {
		client_add_key(out, "APPROVAL_REQUESTED ", ap, "approvalId",
		    NULL, "");
		client_add_key(out, ": ", ap, "summary", NULL, "");
	} else if (strcmp(type, "APPROVAL_RESOLVED") == 0 &&
	    jsonget_str(ev, "approvalId") != NULL) {
		client_add_key(out, "APPROVAL_RESOLVED ", ev, "approvalId",
		    NULL, "");
		client_add_key(out, " ", ev, "decision", NULL, "");
	} else
		client_render_generic(ev, type, out);
	cbuf_adds(out, "\n");
	r->at_bol = 1;
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

/*
 * Write all of buf to fd, to a socket without raising SIGPIPE; -1 if it
 * stopped short. Only write(2) or send(2): safe in a signal handler.
 */
int
client_write(int fd, const char *buf, size_t len, int sock)
{
	ssize_t	n;

	while (len > 0) {
		n = sock ? send(fd, buf, len, MSG_NOSIGNAL) :
		    write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		buf += n;
		len -= (size_t)n;
	}
	return (0);
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
	if (client_write(fd, req.data, req.len, 1) != 0) {
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
		if (in.len + (size_t)n > CLIENT_MAX_BODY + CLIENT_MAX_HEAD) {
			cause->len = 0;
			cbuf_adds(cause, "response too large");
			goto fail;
		}
		cbuf_add(&in, buf, (size_t)n);
	}
	close(fd);
	if (client_parse_response(in.data != NULL ? in.data : "", in.len, r,
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
		if ((hl = client_parse_head(in.data, in.len, &h, &why)) < 0)
			break;
		if (hl == 0)
			continue;
		if (h.status != 200) {
			/* An error: read the rest and parse it whole. */
			while ((n = read(fd, buf, sizeof buf)) > 0 &&
			    in.len < CLIENT_MAX_HEAD * 16)
				cbuf_add(&in, buf, (size_t)n);
			close(fd);
			if (client_parse_response(in.data, in.len, r,
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
		rc = client_sse_feed(&st->sse, buf, len, cb, arg);
	else {
		if (client_dechunk(&st->dec, buf, len, &out, &why) != 0) {
			cause->len = 0;
			cbuf_printf(cause, "bad response from runnerd: %s",
			    why);
			cbuf_free(&out);
			return (-1);
		}
		rc = client_sse_feed(&st->sse, out.data != NULL ? out.data :
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
	client_sse_free(&st->sse);
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
