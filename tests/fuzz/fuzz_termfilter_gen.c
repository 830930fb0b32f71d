/*
 * Inputs for the terminal filter's fuzz target (driver.h), after its seed
 * corpus (corpus/termfilter): terminal output spliced from pieces of
 * sequences, C1 code points, bad UTF-8 and junk bytes, cut anywhere.
 */
#include "config.h"

#include <stdint.h>

#include "driver.h"
#include "common/util.h"

static const char *const pieces[] = {
	"\033", "\033[", "\033]", "\033P", "\033_", "\033^", "\033X", "\033(",
	"\033\\", "\a", "\x18", "\x1a", "\xc2\x9b", "\xc2\x9d", "\xc2\x9c",
	"\xc2\x90", "\xc2", "\x9b", "\x9c", "\xc0\x9b", "\xe2\x94", "\x80",
	"\xe2\x94\x80", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xff", "?", ">",
	"=", "!", "$", " ", "\"", ";", ":", "0", "1", "2", "3", "4", "5", "6",
	"7", "8", "9", "25", "1049", "1000", "2004", "2026", "65535",
	"65536", "m", "h", "l", "c", "n", "t", "p", "q", "r", "s", "u", "H",
	"J", "K", "B", "\n", "\r", "\t", "\b", "\x0e", "\x7f", "text",
	"52;c;SGVsbG8=", "0;title", "$qm", "+q544e", "\033[?1049h",
	"\033[31m", "\033[?25l", "\033=", "\033(0", "\0",
};

/* Terminal output spliced from the pieces. */
static size_t
termfilter_generate(uint8_t *buf, size_t cap)
{
	return (fuzz_splice(buf, cap, pieces, nitems(pieces), 200));
}

const struct fuzz_gen	fuzz_gen = {
	"fuzz_termfilter", 20000, 0x9e3779b97f4a7c15ULL, 8192, "termfilter",
	termfilter_generate
};
