/*
 * The standalone driver every fuzz target links, so `make check` runs each
 * under gcc and the sanitizers (with clang and -fsanitize=fuzzer, libFuzzer
 * brings its own main instead). A target supplies LLVMFuzzerTestOneInput
 * and one fuzz_gen: how to make a fixed-seed run of inputs for it.
 */
#ifndef FUZZ_DRIVER_H
#define FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_gen {
	const char	*name;		/* for the closing line */
	int		 iterations;
	uint64_t	 seed;		/* of the xorshift generator */
	size_t		 cap;		/* bytes an input may take */
	const char	*corpus;	/* $TESTS_SRCDIR/fuzz/corpus/<this>, or NULL */
	/* Make one input in buf (cap bytes); its length. */
	size_t		(*generate)(uint8_t *, size_t);
};

extern const struct fuzz_gen	fuzz_gen;

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* The next number of the fixed-seed generator. */
uint32_t	 fuzz_rand(void);
/*
 * Append piece p at buf[len] if it fits in cap ("" stands for one NUL
 * byte); the new length, or len when it does not fit.
 */
size_t		 fuzz_piece(uint8_t *, size_t, size_t, const char *);
/*
 * A random first byte, then up to max pieces (from pieces[0..n)) and junk
 * bytes, as much as fits in cap; the length.
 */
size_t		 fuzz_splice(uint8_t *, size_t, const char *const *, size_t,
		    uint32_t);

#endif
