/*
 * A standalone driver for the proxy's fuzz target, so `make check`
 * exercises it under gcc and the sanitizers: each file named on the command
 * line is one input; with none, a fixed-seed run of request heads spliced
 * from methods, targets in every address spelling, headers and junk bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *pieces[] = {
	"CONNECT ", "GET ", "POST ", "http://", "https://", "127.0.0.1",
	"127.1", "0x7f000001", "2130706433", "0177.0.0.1", "localhost", "[",
	"]", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "64:ff9b::", "2002:",
	"fe80::1", "169.254.169.254", "10.0.0.1", "[::]", "0.0.0.0",
	"a.example.com", ":", ":443", ":3000", ":0", ":65536", "/", "/api",
	"?", "#", "@", " HTTP/1.1", " HTTP/1.0", " HTTP/2", "\r\n", "\n",
	"Host: x", "Content-Length: 4", "Transfer-Encoding: chunked",
	"Connection: upgrade", "Upgrade: x", " ", "\t", "%", "*.",
	"\xff", "\0",
};

/* Hosts in every spelling, for well-formed request lines. */
static const char *hosts[] = {
	"127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]",
	"[::ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::a9fe:a9fe]",
	"[2002:7f00:1::]", "[fe80::1]", "[fd00::1]", "[::]", "0.0.0.0",
	"169.254.169.254", "10.0.0.1", "100.64.0.1", "8.8.8.8",
	"[2606:4700::1111]", "127.1", "0x7f000001", "a.example.com",
	"A.Example.COM.", "-bad-.example", "x",
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

int
main(int argc, char **argv)
{
	static uint8_t	 buf[4096];
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
		len = 0;
		if (fuzz_rand() % 2 == 0) {
			/* A well-formed request line, a byte or so off. */
			p = hosts[fuzz_rand() % nitems(hosts)];
			if (fuzz_rand() % 2 == 0)
				len = (size_t)snprintf((char *)buf, 512,
				    "CONNECT %s:%u HTTP/1.1\r\n", p,
				    fuzz_rand() % 70000);
			else
				len = (size_t)snprintf((char *)buf, 512,
				    "GET http://%s:%u/x HTTP/1.1\r\n", p,
				    fuzz_rand() % 70000);
			if (fuzz_rand() % 8 == 0)
				buf[fuzz_rand() % len] = (uint8_t)fuzz_rand();
		}
		/* Then pieces: a few after a request line, more alone. */
		n = fuzz_rand() % (len > 0 ? 4 : 24);
		while (n-- > 0) {
			if (fuzz_rand() % 10 == 0) {
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
		/* Most heads end as heads do, to get past the first line. */
		if (fuzz_rand() % 4 != 0 && len + 4 <= sizeof buf) {
			memcpy(buf + len, "\r\n\r\n", 4);
			len += 4;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_proxy: 20000 inputs, no crash\n");
	return (0);
}
