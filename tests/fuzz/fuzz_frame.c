/*
 * Fuzz target for the channel's frame codec: any bytes a worker could send.
 * Built for libFuzzer with clang (-fsanitize=fuzzer), or with the standalone
 * driver (driver.c, fuzz_frame_gen.c) for `make check` under any compiler.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "common/frame.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer		*in, *out;
	struct json_object	*o;
	enum msg_type		 type;
	enum event_type		 ev;
	char			 cause[FRAME_CAUSE_MAX];
	int			 rv;

	in = evbuffer_new();
	out = evbuffer_new();
	evbuffer_add(in, data, size);
	/* Read frames until the stream needs more or breaks. */
	while ((rv = frame_read(in, &o, &type, &ev, cause,
	    sizeof cause)) == 1) {
		/* Whatever parsed must encode back into a frame. */
		if (frame_write(out, o, cause, sizeof cause) != 0)
			__builtin_trap();
		json_object_put(o);
	}
	evbuffer_free(in);
	evbuffer_free(out);
	return (0);
}
