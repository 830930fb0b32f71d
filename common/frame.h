/* The channel's frame codec: length-prefixed JSON over a byte stream. */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>

#include "common/proto.h"

struct evbuffer;
struct json_object;

#define FRAME_CAUSE_MAX	128

/* Append one frame holding obj to out; -1 and cause if it is too large. */
int	frame_write(struct evbuffer *, struct json_object *, char *, size_t);
/*
 * Take one whole frame from in. Returns 1 with *obj (the caller owns it) and
 * *type set; 0 when more bytes are needed (nothing is consumed); -1 with a
 * cause on a protocol error: a length of 0 or over FRAME_MAX (checked before
 * anything is allocated), bad JSON, not an object, no "type" string, or an
 * unknown type. After -1 the stream is unusable.
 */
int	frame_read(struct evbuffer *, struct json_object **, enum msg_type *,
	    enum event_type *, char *, size_t);

#endif
