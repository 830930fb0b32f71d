/*
 * A standalone driver for the redactor's fuzz target, so `make check`
 * exercises it under gcc and the sanitizers: each file named on the command
 * line is one input; with none, a fixed-seed run of terminal output spliced
 * from pieces of credentials, near misses, escapes and junk bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *pieces[] = {
	"ghp_", "github_pat_", "0123456789abcdefABCDEF", "eyJ", "eyJhbGciOi",
	".", "-----BEGIN ", "RSA ", "PRIVATE KEY", "-----", "-----END ",
	" BLOCK", "AKIA", "ASIA", "XYZ0123456789ABCD", "xoxb-", "xoxp-", "sk-",
	"sk-ant-", "api03-", "token", "password", "API_KEY", "secret", "=",
	":", "==", " ", "\t", "\"", "'", "\\", "\\\"", "(", "[", "$", "***",
	"\r\n", "\n", "\033[1;32m", "\033[0m", "s3cr3t-v4lue", "s3cr3t",
	"eyJ0b2tlbiI6", "_", "-", "\xff", "\xc3\xa9", "\0",
};

static uint64_t	rng = 0x853c49e6748fea9bULL;

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
	static uint8_t	 buf[16384];
	const char	*p;
	size_t		 len, n, plen;
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
	for (iter = 0; iter < 20000; iter++) {
		buf[0] = (uint8_t)fuzz_rand();
		len = 1;
		n = fuzz_rand() % 300;
		while (n-- > 0) {
			if (fuzz_rand() % 8 == 0) {
				buf[len++] = (uint8_t)fuzz_rand();
			} else {
				p = pieces[fuzz_rand() % nitems(pieces)];
				plen = *p == '\0' ? 1 : strlen(p);
				if (len + plen > sizeof buf)
					break;
				memcpy(buf + len, p, plen);
				len += plen;
			}
			if (len == sizeof buf)
				break;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_redact: 20000 inputs, no crash\n");
	return (0);
}
