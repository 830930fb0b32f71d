/*
 * runnerctl's HTTP/1.1 response parsers: pure functions (head, chunked
 * coding, SSE) that the unit tests feed hostile input.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/util.h"
#include "ctl/http.h"
#include "ctl/termfilter.h"

enum {
	CHUNK_SIZE,
	CHUNK_DATA,
	CHUNK_DATA_END,
	CHUNK_TRAILER,
	CHUNK_DONE
};

/* Find "\r\n\r\n" in the first len bytes. */
static const char *
http_find_end(const char *buf, size_t len)
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
http_header(struct http_head *h, const char *line, size_t len,
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
		if (vlen > 12 || strtoll(num, NULL, 10) > HTTP_MAX_BODY) {
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
http_parse_head(const char *buf, size_t len, struct http_head *h,
    const char **cause)
{
	const char	*end, *p, *eol;
	size_t		 scan;

	memset(h, 0, sizeof *h);
	h->content_length = -1;
	scan = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	if ((end = http_find_end(buf, scan)) == NULL) {
		if (len >= HTTP_MAX_HEAD) {
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
		if (http_header(h, p, (size_t)(eol - 1 - p), cause) != 0)
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
http_chunk_size(struct chunk_dec *d, const char **cause)
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
		if (v > HTTP_MAX_BODY) {
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
http_dechunk(struct chunk_dec *d, const char *in, size_t len,
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
			if (http_chunk_size(d, cause) != 0)
				return (-1);
			d->linelen = 0;
			d->state = d->left == 0 ? CHUNK_TRAILER : CHUNK_DATA;
			break;
		case CHUNK_DATA:
			n = len - i;
			if (n > d->left)
				n = (size_t)d->left;
			if (out->len + n > HTTP_MAX_BODY) {
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
http_parse_response(const char *buf, size_t len, struct http_resp *r,
    const char **cause)
{
	struct chunk_dec	 d;
	int			 n;

	memset(r, 0, sizeof *r);
	if ((n = http_parse_head(buf, len, &r->head, cause)) < 0)
		return (-1);
	if (n == 0) {
		*cause = len == 0 ? "empty response" : "truncated response head";
		return (-1);
	}
	buf += n;
	len -= (size_t)n;
	if (r->head.chunked) {
		memset(&d, 0, sizeof d);
		if (http_dechunk(&d, buf, len, &r->body, cause) != 0)
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
http_resp_free(struct http_resp *r)
{
	cbuf_free(&r->body);
}

/* The message of a JSON error body, or a generic one for the status. */
char *
http_error_message(const struct http_resp *r)
{
	struct json_object	*o, *e, *m;
	struct cbuf		 b = { 0 };

	if (r->body.len > 0 && (o = json_tokener_parse(r->body.data)) != NULL) {
		if (json_object_object_get_ex(o, "error", &e) &&
		    json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string)) {
			termfilter_plain_str(json_object_get_string(m), &b);
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
http_sse_dispatch(struct sse_parser *p, sse_cb cb, void *arg)
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
http_sse_line(struct sse_parser *p, sse_cb cb, void *arg)
{
	char	*line = p->line.data, *v;
	size_t	 len = p->line.len, nlen;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return (http_sse_dispatch(p, cb, arg));
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
http_sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_cb cb,
    void *arg)
{
	const char	*nl;
	size_t		 n;
	int		 rc;

	while (len > 0) {
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) : len;
		if (p->line.len + n > HTTP_MAX_BODY)
			return (-1);
		cbuf_add(&p->line, buf, n);
		if (nl == NULL)
			return (0);
		buf += n + 1;
		len -= n + 1;
		rc = http_sse_line(p, cb, arg);
		p->line.len = 0;
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Free an SSE parser's buffers. */
void
http_sse_free(struct sse_parser *p)
{
	cbuf_free(&p->line);
	cbuf_free(&p->id);
	cbuf_free(&p->event);
	cbuf_free(&p->data);
}
