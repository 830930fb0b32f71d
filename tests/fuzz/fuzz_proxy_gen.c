/*
 * Inputs for the proxy's fuzz target (driver.h): request heads spliced
 * from methods, targets in every address spelling, headers and junk bytes,
 * and response heads from status lines and the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "common/util.h"

static const char *pieces[] = {
	"CONNECT ", "GET ", "POST ", "http://", "https://", "127.0.0.1",
	"127.1", "0x7f000001", "2130706433", "0177.0.0.1", "localhost", "[",
	"]", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "64:ff9b::", "2002:",
	"fe80::1", "169.254.169.254", "10.0.0.1", "[::]", "0.0.0.0",
	"a.example.com", ":", ":443", ":3000", ":0", ":65536", "/", "/api",
	"?", "#", "@", " HTTP/1.1", " HTTP/1.0", " HTTP/2", "\r\n", "\n",
	"Host: x", "Content-Length: 4", "Transfer-Encoding: chunked",
	"Connection: upgrade", "Upgrade: x", " ", "\t", "%", "*.",
	"Connection: keep-alive, X-Hop", "X-Hop: 1", "Keep-Alive: 5",
	"Proxy-Connection: keep-alive", "HTTP/1.1 ", "100 ", "200 OK",
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

/* Reason phrases, and what follows a 1xx. */
static const char *statuses[] = {
	"OK", "Continue", "Switching Protocols", "", "Early Hints",
	"Not Found\r\n\r\nHTTP/1.1 200 OK", "\x01", "\xff",
};

/* Maybe a well-formed request or status line, pieces, maybe the end. */
static size_t
proxy_generate(uint8_t *buf, size_t cap)
{
	const char	*p;
	size_t		 len, n, next;

	len = 0;
	if (fuzz_rand() % 4 == 0) {
		/* A status line, as upstream answers a forwarded request. */
		len = (size_t)snprintf((char *)buf, 512, "HTTP/1.%u %u %s\r\n",
		    fuzz_rand() % 3, fuzz_rand() % 700,
		    statuses[fuzz_rand() % nitems(statuses)]);
		if (fuzz_rand() % 8 == 0)
			buf[fuzz_rand() % len] = (uint8_t)fuzz_rand();
	} else if (fuzz_rand() % 2 == 0) {
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
			next = fuzz_piece(buf, len, cap,
			    pieces[fuzz_rand() % nitems(pieces)]);
			if (next == len)
				break;
			len = next;
		}
		if (len == cap)
			break;
	}
	/* Most heads end as heads do, to get past the first line. */
	if (fuzz_rand() % 4 != 0 && len + 4 <= cap) {
		memcpy(buf + len, "\r\n\r\n", 4);
		len += 4;
	}
	return (len);
}

const struct fuzz_gen	fuzz_gen = {
	"fuzz_proxy", 20000, 0x9e3779b97f4a7c15ULL, 4096, NULL,
	proxy_generate
};
