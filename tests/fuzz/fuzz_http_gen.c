/*
 * Inputs for runnerctl's response parsers' fuzz target (driver.h):
 * responses spliced from pieces of heads, chunk sizes and event-stream
 * lines, with junk bytes, cut anywhere.
 */
#include "config.h"

#include <stdint.h>

#include "driver.h"
#include "common/util.h"

static const char *const pieces[] = {
	"HTTP/1.1 200 OK\r\n", "HTTP/1.1 404 Not Found\r\n", "HTTP/1.0 ",
	"HTTP/1.1 999 x\r\n", "HTTP/1.1 -1\r\n", "Content-Length: 5\r\n",
	"Content-Length: -1\r\n", "Content-Length: 99999999999999\r\n",
	"Content-Length: 0\r\n", "Transfer-Encoding: chunked\r\n",
	"Transfer-Encoding: gzip, chunked\r\n",
	"Content-Type: text/event-stream\r\n",
	"Content-Type: application/json\r\n", "X:\r\n", ": no name\r\n",
	"\r\n", "\n", "\r", "0\r\n\r\n", "5\r\n", "a;ext=1\r\n",
	"ffffffffffffffff\r\n", "10000000000000000\r\n", "-1\r\n", "hello",
	"\r\n0\r\n", "trailer: x\r\n",
	"id: 1\n", "event: SESSION_ENDED\n", "data: {\"a\":1}\n", "data\n",
	"data:", ": comment\n", "retry: 5\n", "id\n", "event:\r\n", "\n\n",
	"{\"error\":{\"message\":\"m\"}}", "\0", "\xff", " ", ":",
};

/* A response spliced from the pieces. */
static size_t
http_generate(uint8_t *buf, size_t cap)
{
	return (fuzz_splice(buf, cap, pieces, nitems(pieces), 64));
}

const struct fuzz_gen	fuzz_gen = {
	"fuzz_http", 20000, 0x2545f4914f6cdd1dULL, 4096, NULL, http_generate
};
