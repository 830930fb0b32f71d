/*
 * Inputs for the Socket.IO/Engine.IO codec's fuzz target (driver.h):
 * packets and /ws messages, cut, spliced, with bytes changed and long
 * runs of digits inserted.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "driver.h"
#include "common/util.h"

static const char *seeds[] = {
	"40", "40{\"token\":\"abc\"}", "40/admin,", "40/admin,{\"a\":1}",
	"41", "42[\"join_village\",{\"villageId\":\"demo\"}]",
	"4212[\"ping\"]", "42[\"join_agent\",{\"agentId\":\"runner_1234abcd\","
	    "\"since\":12}]",
	"42[\"join_village\",{\"villageId\":\"v\",\"since\":{\"a\":1}}]",
	"431[{\"ok\":true}]", "44{\"message\":\"x\"}",
	"451-[\"up\",{\"_placeholder\":true,\"num\":0}]", "461-2[]",
	"2", "3", "2probe", "3probe", "1", "5", "6", "0{}",
	"42/nsp,7[\"e\",\"\\u00e9\",[[[1]]],-1.5e3,null,true]",
	"{\"op\":\"subscribe\",\"room\":\"village:demo\",\"since\":{}}",
};

static const char	 alphabet[] = "0123456789-/,[]{}\":\\ \n\xff\xc3\xa9";

/* Append one seed, maybe with its head or tail cut off. */
static size_t
fuzz_seed(uint8_t *buf, size_t cap)
{
	const char	*s = seeds[fuzz_rand() % nitems(seeds)];
	size_t		 len = strlen(s), off = 0;

	if (fuzz_rand() % 8 == 0 && len > 1)
		off = fuzz_rand() % len;
	if (len - off > cap)
		return (0);
	memcpy(buf, s + off, len - off);
	return (len - off);
}

/* A few seeds, maybe on lines of their own, then mutations and a cut. */
static size_t
sio_generate(uint8_t *buf, size_t cap)
{
	size_t	len, i, n, pos;

	len = 0;
	do {
		len += fuzz_seed(buf + len, cap / 2 - len);
		if (fuzz_rand() % 2 == 0 && len < cap / 2)
			buf[len++] = '\n';
	} while (fuzz_rand() % 3 == 0 && len < cap / 4);
	n = fuzz_rand() % 4;
	for (i = 0; i < n && len > 0; i++) {
		pos = fuzz_rand() % len;
		switch (fuzz_rand() % 3) {
		case 0:
			buf[pos] = (uint8_t)fuzz_rand();
			break;
		case 1:
			buf[pos] = (uint8_t)alphabet[fuzz_rand() %
			    (sizeof alphabet - 1)];
			break;
		default:
			/* Insert a run of digits: long ack ids. */
			if (len + 24 < cap) {
				memmove(buf + pos + 20, buf + pos,
				    len - pos);
				memset(buf + pos, '0' + fuzz_rand() %
				    10, 20);
				len += 20;
			}
			break;
		}
	}
	if (len > 0 && fuzz_rand() % 4 == 0)
		len = fuzz_rand() % len;
	return (len);
}

const struct fuzz_gen	fuzz_gen = {
	"fuzz_sio", 200000, 0x2545f4914f6cdd1dULL, 8192, NULL, sio_generate
};
