/*
 * A standalone driver for the Engine.IO / Socket.IO fuzz target, so `make
 * check` exercises it under gcc and the sanitizers: each file named on the
 * command line is one input; with none, a fixed-seed run of mutated
 * packets (packets as socket.io-client sends them, with bytes flipped,
 * digits and separators inserted, truncated, spliced and joined).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
static uint64_t		 rng = 0x2545f4914f6cdd1dULL;

static uint32_t
fuzz_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)rng);
}

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

int
main(int argc, char **argv)
{
	static uint8_t	 buf[8192];
	size_t		 len, i, n, pos;
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
		do {
			len += fuzz_seed(buf + len, sizeof buf / 2 - len);
			if (fuzz_rand() % 2 == 0 && len < sizeof buf / 2)
				buf[len++] = '\n';
		} while (fuzz_rand() % 3 == 0 && len < sizeof buf / 4);
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
				if (len + 24 < sizeof buf) {
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
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_sio: 200000 inputs, no crash\n");
	return (0);
}
