/*
 * Fuzz target for runnerctl's response parsers (ctl/http.c): any bytes a
 * server at --url could answer. The whole response, its head, its body
 * through the chunked decoder and the event-stream parser: none may read
 * out of bounds, and the decoder and the parser give the same result
 * whether the bytes come at once or in feeds cut where the input's first
 * byte says. Built for libFuzzer with clang (-fsanitize=fuzzer), or with
 * the standalone driver (driver.c, fuzz_http_gen.c) for `make check`.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctl/cbuf.h"
#include "ctl/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Record one event as event|id|data; go on. */
static int
fuzz_event(const struct sse_event *ev, void *arg)
{
	cbuf_printf(arg, "%s|%s|%s;", ev->event, ev->id,
	    ev->data != NULL ? ev->data : "");
	return (0);
}

/* Dechunk and parse s[0..len) in feeds of step bytes (0: at once). */
static int
fuzz_body(const char *s, size_t len, size_t step, struct cbuf *body,
    struct cbuf *events)
{
	struct chunk_dec	 dec;
	struct sse_parser	 sse;
	const char		*cause;
	size_t			 off, n;
	int			 rc = 0;

	memset(&dec, 0, sizeof dec);
	memset(&sse, 0, sizeof sse);
	for (off = 0; off < len && rc == 0; off += n) {
		n = step == 0 || step > len - off ? len - off : step;
		if (http_dechunk(&dec, s + off, n, body, &cause) != 0)
			rc = -1;
		if (http_sse_feed(&sse, s + off, n, fuzz_event, events) != 0)
			rc = -1;
	}
	http_sse_free(&sse);
	return (rc);
}

/* Whether two buffers hold the same bytes. */
static int
fuzz_same(const struct cbuf *a, const struct cbuf *b)
{
	return (a->len == b->len && (a->len == 0 ||
	    memcmp(a->data, b->data, a->len) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head	 h;
	struct http_resp	 r;
	struct cbuf		 b1 = { 0 }, e1 = { 0 }, b2 = { 0 }, e2 = { 0 };
	struct cbuf		 copy = { 0 };
	const char		*s, *cause;
	size_t			 len, step;
	int			 hl, rc1, rc2;

	if (size == 0)
		return (0);
	step = 1 + data[0] % 64;
	/* The parsers want a NUL after the bytes, as runnerctl gives them. */
	cbuf_add(&copy, data + 1, size - 1);
	s = copy.data != NULL ? copy.data : "";
	len = copy.len;

	memset(&r, 0, sizeof r);
	if (http_parse_response(s, len, &r, &cause) == 0 &&
	    r.body.len > len)
		__builtin_trap();
	http_resp_free(&r);

	memset(&h, 0, sizeof h);
	hl = http_parse_head(s, len, &h, &cause);
	if (hl > 0 && (size_t)hl > len)
		__builtin_trap();
	if (hl > 0) {
		s += hl;
		len -= (size_t)hl;
	}
	rc1 = fuzz_body(s, len, 0, &b1, &e1);
	rc2 = fuzz_body(s, len, step, &b2, &e2);
	if (rc1 != rc2 || (rc1 == 0 && (!fuzz_same(&b1, &b2) ||
	    !fuzz_same(&e1, &e2))))
		__builtin_trap();
	cbuf_free(&b1);
	cbuf_free(&e1);
	cbuf_free(&b2);
	cbuf_free(&e2);
	cbuf_free(&copy);
	return (0);
}
