/*
 * Inputs for the redactor's fuzz target (driver.h): terminal output
 * spliced from pieces of credentials, near misses, escapes and junk bytes.
 */
#include "config.h"

#include <stdint.h>

#include "driver.h"
#include "common/util.h"

static const char *const pieces[] = {
	"ghp_", "github_pat_", "0123456789abcdefABCDEF", "eyJ", "eyJhbGciOi",
	".", "-----BEGIN ", "RSA ", "PRIVATE KEY", "-----", "-----END ",
	" BLOCK", "AKIA", "ASIA", "XYZ0123456789ABCD", "xoxb-", "xoxp-", "sk-",
	"sk-ant-", "api03-", "token", "password", "API_KEY", "secret", "=",
	":", "==", " ", "\t", "\"", "'", "\\", "\\\"", "(", "[", "$", "***",
	"\r\n", "\n", "\033[1;32m", "\033[0m", "s3cr3t-v4lue", "s3cr3t",
	"eyJ0b2tlbiI6", "_", "-", "\xff", "\xc3\xa9", "\0",
};

/* Terminal output spliced from the pieces. */
static size_t
redact_generate(uint8_t *buf, size_t cap)
{
	return (fuzz_splice(buf, cap, pieces, nitems(pieces), 300));
}

const struct fuzz_gen	fuzz_gen = {
	"fuzz_redact", 20000, 0x853c49e6748fea9bULL, 16384, NULL,
	redact_generate
};
