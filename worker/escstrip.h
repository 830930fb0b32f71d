/* Terminal escape sequences stripped from a byte stream, a byte at a time. */
#ifndef ESCSTRIP_H
#define ESCSTRIP_H

/* Where the stripper is; zero is outside any sequence. */
enum escstrip_state {
	ESC_NONE,
	ESC_ESC,	/* after ESC */
	ESC_CSI,	/* ESC [ ... final byte */
	ESC_STR,	/* OSC, DCS, SOS, PM, APC: until BEL or ESC \ */
	ESC_STR_ESC,	/* ESC inside a string */
	ESC_INTER	/* ESC + intermediate bytes ... final byte */
};

/* Whether c is text (1) or part of an escape sequence (0); moves *st. */
int	 escstrip_byte(enum escstrip_state *, unsigned char);

#endif
