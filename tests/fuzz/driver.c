/*
 * The standalone fuzz driver (driver.h): each file named on the command
 * line is one input; with none, every file of the target's seed corpus,
 * then its fixed-seed run of generated inputs.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "common/util.h"

static uint64_t	fuzz_state;

/* The next number of an xorshift64 generator. */
uint32_t
fuzz_rand(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return ((uint32_t)fuzz_state);
}

/* Append a piece if it fits; "" is one NUL byte. */
size_t
fuzz_piece(uint8_t *buf, size_t len, size_t cap, const char *p)
{
	size_t	plen = *p == '\0' ? 1 : strlen(p);

	if (len + plen > cap)
		return (len);
	memcpy(buf + len, p, plen);
	return (len + plen);
}

/* A random first byte, then pieces and junk bytes. */
size_t
fuzz_splice(uint8_t *buf, size_t cap, const char *const *pieces, size_t n,
    uint32_t max)
{
	size_t		len = 1, next;
	uint32_t	k;

	buf[0] = (uint8_t)fuzz_rand();
	for (k = fuzz_rand() % max; k > 0 && len < cap; k--) {
		if (fuzz_rand() % 8 == 0) {
			buf[len++] = (uint8_t)fuzz_rand();
			continue;
		}
		next = fuzz_piece(buf, len, cap, pieces[fuzz_rand() % n]);
		if (next == len)
			break;
		len = next;
	}
	return (len);
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

/* Run every file of the target's seed corpus; how many, or -1. */
static int
fuzz_corpus(void)
{
	const char	*src = getenv("TESTS_SRCDIR");
	struct dirent	*de;
	DIR		*d;
	char		*dir, *path;
	int		 n = 0;

	if (fuzz_gen.corpus == NULL || src == NULL)
		return (0);
	dir = xasprintf("%s/fuzz/corpus/%s", src, fuzz_gen.corpus);
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
	uint8_t	*buf;
	int	 a, i, files;

	if (argc > 1) {
		for (a = 1; a < argc; a++)
			if (fuzz_file(argv[a]) != 0)
				return (1);
		return (0);
	}
	if ((files = fuzz_corpus()) < 0)
		return (1);
	fuzz_state = fuzz_gen.seed;
	buf = xmalloc(fuzz_gen.cap);
	for (i = 0; i < fuzz_gen.iterations; i++)
		LLVMFuzzerTestOneInput(buf, fuzz_gen.generate(buf,
		    fuzz_gen.cap));
	free(buf);
	printf("%s: %d corpus files, %d inputs, no crash\n", fuzz_gen.name,
	    files, fuzz_gen.iterations);
	return (0);
}
