/*
 * Fuzz target for the terminal-output sanitiser: any bytes an agent could
 * print. The output must not depend on how the bytes were read (one feed,
 * and feeds cut where the input's first byte says, give the same bytes);
 * it must be what the filter passes unchanged (filtering it again changes
 * nothing); and an independent check of its bytes finds only text, the
 * harmless C0 controls and whole sequences of the rendering subset. The
 * mode restore obeys the same check. Built for libFuzzer with clang
 * (-fsanitize=fuzzer), or with the standalone driver in
 * driver.c with fuzz_termfilter_gen.c for `make check`.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctl/cbuf.h"
#include "ctl/termfilter.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Filter data in feeds of step bytes (all at once if 0), then restore. */
static void
fuzz_run(const uint8_t *data, size_t size, size_t step, struct cbuf *out,
    struct cbuf *restore)
{
	struct termfilter	tf;
	size_t			off, n;

	termfilter_init(&tf);
	for (off = 0; off < size; off += n) {
		n = step == 0 || step > size - off ? size - off : step;
		termfilter_feed(&tf, (const char *)data + off, n, out);
	}
	termfilter_restore(&tf, restore);
}

/* Length of the allowed sequence at s (s[0] is ESC), or 0. */
static size_t
fuzz_seq(const unsigned char *s, size_t len)
{
	size_t	i = 2;

	if (len >= 2 && strchr("78=>DEM", s[1]) != NULL && s[1] != '\0')
		return (2);
	if (len >= 3 && s[1] == '(' && (s[2] == '0' || s[2] == 'B'))
		return (3);
	if (len < 3 || s[1] != '[')
		return (0);
	if (s[i] == '?')
		i++;
	while (i < len && ((s[i] >= '0' && s[i] <= ';')))
		i++;
	if (i < len && s[i] == ' ')
		i++;
	if (i >= len || s[i] == '\0' ||
	    strchr("mABCDEFGHfdea`IZJKXP@LMSTrsuhlq", s[i]) == NULL)
		return (0);
	return (i + 1);
}

/* Trap unless out holds only text, harmless C0 and allowed sequences. */
static void
fuzz_check(const struct cbuf *out)
{
	const unsigned char	*s = (const unsigned char *)out->data;
	size_t			 i = 0, n;

	while (i < out->len) {
		if (s[i] == 0x1b) {
			if ((n = fuzz_seq(s + i, out->len - i)) == 0)
				__builtin_trap();
			i += n;
		} else if (s[i] == 0x7f || (s[i] < 0x20 && s[i] != '\a' &&
		    s[i] != '\b' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r'))
			__builtin_trap();
		else if (s[i] == 0xc2 && i + 1 < out->len && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f)
			__builtin_trap();
		else
			i++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cbuf	one = { 0 }, many = { 0 }, again = { 0 };
	struct cbuf	r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	size_t		step;

	if (size == 0)
		return (0);
	step = 1 + data[0] % 64;
	fuzz_run(data + 1, size - 1, 0, &one, &r1);
	fuzz_run(data + 1, size - 1, step, &many, &r2);
	if (one.len != many.len || (one.len > 0 &&
	    memcmp(one.data, many.data, one.len) != 0) || r1.len != r2.len ||
	    (r1.len > 0 && memcmp(r1.data, r2.data, r1.len) != 0))
		__builtin_trap();
	fuzz_run((const uint8_t *)one.data, one.len, 0, &again, &r3);
	if (again.len != one.len || (one.len > 0 &&
	    memcmp(again.data, one.data, one.len) != 0))
		__builtin_trap();
	fuzz_check(&one);
	fuzz_check(&r1);
	if (one.len > 3 * (size - 1))
		__builtin_trap();
	cbuf_free(&one);
	cbuf_free(&many);
	cbuf_free(&again);
	cbuf_free(&r1);
	cbuf_free(&r2);
	cbuf_free(&r3);
	return (0);
}
