/*
 * Fuzz target for the streaming redactor: any bytes an agent could print.
 * The output must not depend on how the bytes were read: one feed, and
 * feeds cut where the input's first byte says, give the same output and
 * the same credentials. Built for libFuzzer with clang (-fsanitize=fuzzer),
 * or with the standalone driver in driver.c with fuzz_redact_gen.c for
 * `make check`.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/redact.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* redact_patterns' callback: count what was found. */
static void
fuzz_found(enum redact_kind kind, void *arg)
{
	size_t	*n = arg;

	if (kind < 0 || kind >= REDACT_NKINDS)
		__builtin_trap();
	n[kind]++;
}

/* Redact data fed in reads of step bytes (all at once if 0). */
static struct evbuffer *
fuzz_run(const uint8_t *data, size_t size, size_t step, size_t *found)
{
	struct redact	*r = redact_create();
	struct evbuffer	*out = evbuffer_new();
	size_t		 off, n;

	redact_add(r, "s3cr3t-v4lue");
	redact_add(r, "eyJ0b2tlbiI6");
	redact_patterns(r, fuzz_found, found);
	for (off = 0; off < size; off += n) {
		n = step == 0 || step > size - off ? size - off : step;
		redact_feed(r, data + off, n, out);
	}
	redact_flush(r, out);
	redact_free(r);
	return (out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer	*one, *many;
	size_t		 a[REDACT_NKINDS], b[REDACT_NKINDS], len, step;

	if (size == 0)
		return (0);
	step = 1 + data[0] % 64;
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	one = fuzz_run(data + 1, size - 1, 0, a);
	many = fuzz_run(data + 1, size - 1, step, b);
	len = evbuffer_get_length(one);
	if (len != evbuffer_get_length(many) || memcmp(a, b, sizeof a) != 0 ||
	    (len > 0 && memcmp(evbuffer_pullup(one, -1),
	    evbuffer_pullup(many, -1), len) != 0))
		__builtin_trap();
	evbuffer_free(one);
	evbuffer_free(many);
	return (0);
}
