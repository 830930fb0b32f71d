/*
 * A standalone driver for the terminal filter's fuzz target, so `make
 * check` exercises it under gcc and the sanitizers: each file named on the
 * command line is one input; with none, every file of the seed corpus
 * ($TESTS_SRCDIR/fuzz/corpus/termfilter), then a fixed-seed run of
 * terminal output spliced from pieces of sequences, C1 code points, bad
 * UTF-8 and junk bytes, cut anywhere.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *pieces[] = {
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

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
fuzz_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)rng);
}

/* Run one file; -1 if it cannot be read. */
static int
fuzz_file(const char *path)
{
	char	*data;
	size_t	 len;

	if ((data = read_file(path, &len)) == NULL) {
		perror(path);
		return (-1);
	}
	LLVMFuzzerTestOneInput((uint8_t *)data, len);
	free(data);
	return (0);
}

/* Run every file of the seed corpus; how many, or -1. */
static int
fuzz_corpus(void)
{
	const char	*src = getenv("TESTS_SRCDIR");
	struct dirent	*de;
	DIR		*d;
	char		*dir, *path;
	int		 n = 0;

	if (src == NULL)
		return (0);
	dir = xasprintf("%s/fuzz/corpus/termfilter", src);
	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		free(dir);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (fuzz_file(path) != 0)
			n = -1;
		else if (n >= 0)
			n++;
		free(path);
	}
	closedir(d);
	free(dir);
	return (n);
}

int
main(int argc, char **argv)
{
	static uint8_t	 buf[8192];
	const char	*p;
	size_t		 len, n, plen;
	int		 iter, a, files;

	if (argc > 1) {
		for (a = 1; a < argc; a++) {
			if (fuzz_file(argv[a]) != 0)
				return (1);
		}
		return (0);
	}
	if ((files = fuzz_corpus()) < 0)
		return (1);
	for (iter = 0; iter < 20000; iter++) {
		buf[0] = (uint8_t)fuzz_rand();
		len = 1;
		n = fuzz_rand() % 200;
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
	printf("fuzz_termfilter: %d corpus files, 20000 inputs, no crash\n",
	    files);
	return (0);
}
