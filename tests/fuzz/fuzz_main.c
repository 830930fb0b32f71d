/*
 * A standalone driver for the fuzz targets, so `make check` exercises them
 * under gcc and the sanitizers: each file named on the command line is one
 * input; with none, a fixed-seed run of mutated frames (valid frames with
 * bytes flipped, lengths forged, truncations, concatenations).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *seeds[] = {
	"{\"type\":\"READY\",\"pid\":1,\"protocol\":1}",
	"{\"type\":\"TERMINAL_CHUNK\",\"data\":\"hello\\u001b[0m\","
	    "\"stream\":\"stdout\"}",
	"{\"type\":\"SESSION_STATE_CHANGED\",\"previousState\":\"CREATED\","
	    "\"newState\":\"PREPARING_WORKSPACE\"}",
	"{\"type\":\"START\",\"env\":{\"A\":\"b\"},\"task\":{\"title\":\"t\"}}",
	"[1,2,3]", "{\"type\":7}", "{\"type\":\"NOPE\"}", "{\"a\":{\"b\":[{}]}}",
};

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
fuzz_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)rng);
}

/* Append one seed as a frame, sometimes with a forged length. */
static size_t
fuzz_frame(uint8_t *buf, size_t cap)
{
	const char	*s = seeds[fuzz_rand() % nitems(seeds)];
	size_t		 len = strlen(s);
	uint32_t	 n = (uint32_t)len;

	if (len + 4 > cap)
		return (0);
	if (fuzz_rand() % 8 == 0)
		n = fuzz_rand() % 3 == 0 ? 0 : fuzz_rand();
	buf[0] = n >> 24;
	buf[1] = n >> 16;
	buf[2] = n >> 8;
	buf[3] = n;
	memcpy(buf + 4, s, len);
	return (len + 4);
}

int
main(int argc, char **argv)
{
	static uint8_t	 buf[65536];
	size_t		 len, i, flips;
	int		 iter, a;
	char		*data;

	if (argc > 1) {
		for (a = 1; a < argc; a++) {
			if ((data = read_file(argv[a], &len)) == NULL) {
				perror(argv[a]);
				return (1);
			}
			LLVMFuzzerTestOneInput((uint8_t *)data, len);
			free(data);
		}
		return (0);
	}
	for (iter = 0; iter < 200000; iter++) {
		len = 0;
		do
			len += fuzz_frame(buf + len, sizeof buf - len);
		while (fuzz_rand() % 3 == 0 && len < sizeof buf / 2);
		flips = fuzz_rand() % 4;
		for (i = 0; i < flips && len > 0; i++)
			buf[fuzz_rand() % len] = (uint8_t)fuzz_rand();
		if (len > 0 && fuzz_rand() % 4 == 0)
			len = fuzz_rand() % len;
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_frame: 200000 inputs, no crash\n");
	return (0);
}
