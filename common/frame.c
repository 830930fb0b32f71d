/* The channel's frame codec: length-prefixed JSON over a byte stream. */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "frame.h"

int
frame_write(struct evbuffer *out, struct json_object *obj, char *cause,
    size_t causelen)
{
	const char	*s;
	size_t		 len;
	uint32_t	 hdr;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN,
	    &len);
	if (len == 0 || len > FRAME_MAX) {
		snprintf(cause, causelen, "frame of %zu bytes is over the "
		    "limit of %d", len, FRAME_MAX);
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

int
frame_read(struct evbuffer *in, struct json_object **obj,
    enum msg_type *type, enum event_type *ev, char *cause, size_t causelen)
{
	uint32_t		 hdr, len;
	unsigned char		*body;
	struct json_tokener	*tok;
	struct json_object	*o, *t;
	enum json_tokener_error	 jerr;
	int			 mt;

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

	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o != NULL && jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
		snprintf(cause, causelen, "trailing bytes after JSON");
	} else if (o == NULL) {
		snprintf(cause, causelen, "bad JSON: %s",
		    jerr == json_tokener_continue ? "truncated" :
		    json_tokener_error_desc(jerr));
	}
	json_tokener_free(tok);
	evbuffer_drain(in, len);
	if (o == NULL)
		return (-1);

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(cause, causelen, "frame is not a JSON object");
		goto bad;
	}
	if (!json_object_object_get_ex(o, "type", &t) ||
	    !json_object_is_type(t, json_type_string)) {
		snprintf(cause, causelen, "frame has no \"type\" string");
		goto bad;
	}
	if ((mt = msg_type_parse(json_object_get_string(t), ev)) == -1) {
		snprintf(cause, causelen, "unknown message type '%.40s'",
		    json_object_get_string(t));
		goto bad;
	}
	*type = (enum msg_type)mt;
	*obj = o;
	return (1);

bad:
	json_object_put(o);
	return (-1);
}
