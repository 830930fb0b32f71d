/*
 * Terminal-output sanitiser: what an agent prints may reach the operator's
 * terminal only as text and the rendering subset of escape sequences.
 */
#ifndef TERMFILTER_H
#define TERMFILTER_H

#include <stddef.h>

struct cbuf;

/* Bytes kept of one CSI or ESC sequence; a longer one is dropped whole. */
#define TERMFILTER_SEQ_MAX	96
/* Parameters of one CSI sequence; more and it is dropped whole. */
#define TERMFILTER_PARAMS_MAX	32
/* The largest parameter value passed on. */
#define TERMFILTER_PARAM_LIMIT	65535

/*
 * The filter's state between two feeds: where in a sequence the last feed
 * ended, the sequence so far (bounded), a split UTF-8 character, and the
 * terminal modes passed on that termfilter_restore must put back.
 */
struct termfilter {
	int		state;
	int		drop;		/* the sequence in progress is refused */
	int		c2;		/* in a string: the last byte was 0xc2 */
	unsigned char	seq[TERMFILTER_SEQ_MAX];
	size_t		seqlen;
	unsigned char	u8[4];		/* a UTF-8 character so far */
	size_t		u8len;
	size_t		u8need;
	unsigned int	modes;		/* TERMFILTER_M_* left non-default */
};

/* Start a filter in the ground state. */
void	termfilter_init(struct termfilter *);
/* Append what of in[0..len) may reach a terminal to out. */
void	termfilter_feed(struct termfilter *, const char *, size_t,
	    struct cbuf *);
/*
 * Append the sequences that undo the modes the output left set (alternate
 * screen, hidden cursor, colours, scroll region, keypad…) and forget them.
 */
void	termfilter_restore(struct termfilter *, struct cbuf *);
/* The same, written to fd with write(2) only: safe in a signal handler. */
void	termfilter_restore_fd(const struct termfilter *, int);
/* Append s[0..len) as one line of plain text: controls and bad UTF-8 as '?'. */
void	termfilter_plain(const char *, size_t, struct cbuf *);
/* The same for a NUL-terminated string. */
void	termfilter_plain_str(const char *, struct cbuf *);
/*
 * Append JSON text with C1 code points and DEL escaped and bytes that are
 * not UTF-8 as \ufffd; outside strings JSON text is ASCII, so the result
 * is the same JSON, safe on any terminal.
 */
void	termfilter_json(const char *, size_t, struct cbuf *);

#endif
