/*
 * Inputs for the browser rules' fuzz target (driver.h): header values
 * spliced from origins, hosts, media types and junk bytes, NUL-separated.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "driver.h"
#include "common/util.h"

static const char *pieces[] = {
	"http://", "https://", "HTTP://", "localhost", "127.0.0.1", "[::1]",
	"[", "]", ":", ":3000", ":8080", ":65536", ":0", "/", "null", "",
	"evil.example", "ui.example.com", "application/json", ";", " ",
	"charset=utf-8", "text/plain", "\x01", "\xff", "\r\n", "%2e", "@",
	"..", "[::1]:8080", "00000000000000000000", "*",
};

/* A random byte, then four fields of up to five pieces each. */
static size_t
origin_generate(uint8_t *buf, size_t cap)
{
	const char	*p;
	size_t		 len = 0, n;
	int		 j, k;

	buf[len++] = (uint8_t)fuzz_rand();
	for (j = 0; j < 4; j++) {
		for (k = fuzz_rand() % 6; k > 0; k--) {
			p = pieces[fuzz_rand() % nitems(pieces)];
			n = strlen(p);
			if (len + n + 2 > cap)
				break;
			memcpy(buf + len, p, n);
			len += n;
		}
		if (fuzz_rand() % 4 != 0)
			buf[len++] = '\0';
	}
	return (len);
}

const struct fuzz_gen	fuzz_gen = {
	"fuzz_origin", 20000, 0x2545f4914f6cdd1dULL, 4096, NULL,
	origin_generate
};
