/*
 * Inputs for the frame codec's fuzz target (driver.h): valid frames with
 * bytes flipped, lengths forged, truncations, concatenations.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "driver.h"
#include "common/util.h"

static const char *seeds[] = {
	"{\"type\":\"READY\",\"pid\":1,\"protocol\":1}",
	"{\"type\":\"TERMINAL_CHUNK\",\"data\":\"hello\\u001b[0m\","
	    "\"stream\":\"stdout\"}",
	"{\"type\":\"SESSION_STATE_CHANGED\",\"previousState\":\"CREATED\","
	    "\"newState\":\"PREPARING_WORKSPACE\"}",
	"{\"type\":\"START\",\"env\":{\"A\":\"b\"},\"task\":{\"title\":\"t\"}}",
	"[1,2,3]", "{\"type\":7}", "{\"type\":\"NOPE\"}", "{\"a\":{\"b\":[{}]}}",
};

/* Append one seed as a frame, sometimes with a forged length. */
static size_t
frame_one(uint8_t *buf, size_t cap)
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

/* One or more frames, then flips and a cut. */
static size_t
frame_generate(uint8_t *buf, size_t cap)
{
	size_t	len = 0, i, flips;

	do
		len += frame_one(buf + len, cap - len);
	while (fuzz_rand() % 3 == 0 && len < cap / 2);
	flips = fuzz_rand() % 4;
	for (i = 0; i < flips && len > 0; i++)
		buf[fuzz_rand() % len] = (uint8_t)fuzz_rand();
	if (len > 0 && fuzz_rand() % 4 == 0)
		len = fuzz_rand() % len;
	return (len);
}

const struct fuzz_gen	fuzz_gen = {
	"fuzz_frame", 200000, 0x9e3779b97f4a7c15ULL, 65536, NULL,
	frame_generate
};
