/*
 * A standalone driver for the browser rules' fuzz target, so `make check`
 * exercises it under gcc and the sanitizers: each file named on the
 * command line is one input; with none, a fixed-seed run of header values
 * spliced from origins, hosts, media types and junk bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *pieces[] = {
	"http://", "https://", "HTTP://", "localhost", "127.0.0.1", "[::1]",
	"[", "]", ":", ":3000", ":8080", ":65536", ":0", "/", "null", "",
	"evil.example", "ui.example.com", "application/json", ";", " ",
	"charset=utf-8", "text/plain", "\x01", "\xff", "\r\n", "%2e", "@",
	"..", "[::1]:8080", "00000000000000000000", "*",
};

static uint64_t	rng = 0x2545f4914f6cdd1dULL;

static uint32_t
fuzz_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)rng);
}

int
main(int argc, char **argv)
{
	uint8_t		 buf[4096];
	const char	*p;
	size_t		 len, n;
	FILE		*f;
	int		 i, j, k;

	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			perror(argv[i]);
			return (1);
		}
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
	}
	if (argc > 1)
		return (0);
	for (i = 0; i < 20000; i++) {
		len = 0;
		buf[len++] = (uint8_t)fuzz_rand();
		for (j = 0; j < 4; j++) {
			for (k = fuzz_rand() % 6; k > 0; k--) {
				p = pieces[fuzz_rand() % nitems(pieces)];
				n = strlen(p);
				if (len + n + 2 > sizeof buf)
					break;
				memcpy(buf + len, p, n);
				len += n;
			}
			if (fuzz_rand() % 4 != 0)
				buf[len++] = '\0';
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_origin: %d inputs\n", i);
	return (0);
}
