/* The channel's frame codec: length-prefixed JSON over a byte stream. */
#include "config.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "common/frame.h"
#include "common/utf8.h"

/* Append one frame holding obj to out; -1 with a cause if it cannot be. */
int
frame_write(struct evbuffer *out, struct json_object *obj, char *cause,
    size_t causelen)
{
	const char	*s;
	size_t		 len;
	uint32_t	 hdr;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    &len);
	if (s == NULL) {
		snprintf(cause, causelen, "out of memory");
		return (-1);
	}
	if (len == 0 || len > FRAME_MAX) {
		snprintf(cause, causelen, "frame of %zu bytes is over the "
		    "limit of %d", len, FRAME_MAX);
		return (-1);
	}
	/* json-c copies string bytes as they are; the peer would refuse. */
	if (!utf8_valid((const unsigned char *)s, len)) {
		snprintf(cause, causelen, "frame is not valid UTF-8");
		return (-1);
	}
	hdr = htonl((uint32_t)len);
	if (evbuffer_expand(out, FRAME_HDR + len) == -1 ||
	    evbuffer_add(out, &hdr, sizeof hdr) == -1 ||
	    evbuffer_add(out, s, len) == -1) {
		snprintf(cause, causelen, "out of memory");
		return (-1);
	}
	return (0);
}

/* Copy untrusted s into buf for a cause: printable ASCII, the rest '?'. */
static const char *
frame_quote(const char *s, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; i + 1 < size && s[i] != '\0'; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return (buf);
}

/*
 * json-c accepts a few things JSON does not (NaN, Infinity, "1.", numbers
 * that overflow a double) and writes numbers back as it read them, so they
 * would reach clients as invalid JSON: refuse non-finite numbers and make
 * the others print canonically. Depth is bounded by the tokener's (32).
 */
static int
frame_check(struct json_object *o)
{
	size_t	i, n;
	double	d;

	switch (json_object_get_type(o)) {
	case json_type_double:
		d = json_object_get_double(o);
		if (!isfinite(d))
			return (-1);
		json_object_set_double(o, d);
		return (0);
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (frame_check(json_object_array_get_idx(o, i)) == -1)
				return (-1);
		return (0);
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (frame_check(v) == -1)
				return (-1);
		}
		return (0);
	}
	default:
		return (0);
	}
}

/* Take one whole frame from in; see frame.h. */
int
frame_read(struct evbuffer *in, struct json_object **obj,
    enum msg_type *type, enum event_type *ev, char *cause, size_t causelen)
{
	uint32_t		 hdr, len;
	unsigned char		*body;
	struct json_tokener	*tok;
	struct json_object	*o, *t;
	enum json_tokener_error	 jerr;
	size_t			 end;
	int			 mt;
	char			 q[41];

	*obj = NULL;
	if (evbuffer_get_length(in) < FRAME_HDR)
		return (0);
	evbuffer_copyout(in, &hdr, sizeof hdr);
	len = ntohl(hdr);
	if (len == 0 || len > FRAME_MAX) {
		snprintf(cause, causelen, "frame length %u out of range "
		    "(1 to %d)", len, FRAME_MAX);
		return (-1);
	}
	if (evbuffer_get_length(in) < FRAME_HDR + (size_t)len)
		return (0);
	evbuffer_drain(in, FRAME_HDR);
	body = evbuffer_pullup(in, len);
	if (body == NULL) {
		snprintf(cause, causelen, "out of memory");
		return (-1);
	}

	/* json-c's own check lets overlongs and surrogates through. */
	if (!utf8_valid(body, len)) {
		snprintf(cause, causelen, "frame is not valid UTF-8");
		return (-1);
	}
	if ((tok = json_tokener_new()) == NULL) {
		snprintf(cause, causelen, "out of memory");
		return (-1);
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A bare number or literal only ends with the input: end it. */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	evbuffer_drain(in, len);
	if (jerr != json_tokener_success) {
		json_object_put(o);
		snprintf(cause, causelen, "bad JSON: %s",
		    json_tokener_error_desc(jerr));
		return (-1);
	}
	if (end != len) {
		json_object_put(o);
		snprintf(cause, causelen, "trailing bytes after JSON");
		return (-1);
	}

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(cause, causelen, "frame is not a JSON object");
		goto bad;
	}
	if (!json_object_object_get_ex(o, "type", &t) ||
	    !json_object_is_type(t, json_type_string)) {
		snprintf(cause, causelen, "frame has no \"type\" string");
		goto bad;
	}
	/* A NUL inside ("READY\u0000x") must not pass for a known name. */
	if ((size_t)json_object_get_string_len(t) !=
	    strlen(json_object_get_string(t)) ||
	    (mt = msg_type_parse(json_object_get_string(t), ev)) == -1) {
		snprintf(cause, causelen, "unknown message type '%s'",
		    frame_quote(json_object_get_string(t), q, sizeof q));
		goto bad;
	}
	if (frame_check(o) == -1) {
		snprintf(cause, causelen, "bad JSON: number out of range");
		goto bad;
	}
	*type = (enum msg_type)mt;
	*obj = o;
	return (1);

bad:
	json_object_put(o);
	return (-1);
}
