/*
 * Terminal-output sanitiser for runnerctl attach and events. An agent's
 * terminal output is hostile: OSC 52 writes the operator's clipboard, OSC
 * 0/2 sets the window title, DCS and the query sequences (DA, DSR, window
 * reports, DECRQSS, DECRQM…) make the terminal type an answer into its
 * input, and a UTF-8 terminal may take U+009B for CSI. What passes:
 *
 *   - text: UTF-8 without C1 code points (bad UTF-8 becomes U+FFFD), and
 *     of C0 only BEL, BS, TAB, LF and CR;
 *   - CSI: SGR, cursor movement and positioning, erase (not the
 *     scrollback), insert/delete, scroll and scroll region, save/restore
 *     cursor, cursor style, insert mode, and the DEC modes of
 *     termfilter_dec_modes (cursor keys, autowrap, cursor blink and
 *     visibility, the alternate screen, synchronised output);
 *   - ESC: save/restore cursor, keypad modes, index, reverse index, next
 *     line, and G0 as ASCII or line drawing.
 *
 * Everything else is dropped whole: OSC, DCS, SOS, PM and APC strings up to
 * their BEL or ST, C1 controls (and a C1 CSI or string with all it
 * carries), every other CSI and ESC sequence, and a sequence longer than
 * TERMFILTER_SEQ_MAX bytes or with too many or too large parameters. The
 * filter emits only whole sequences, so the terminal is back in its ground
 * state after every byte it gets; the state between feeds is fixed-size.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "ctl/cbuf.h"
#include "ctl/termfilter.h"

/* Where in the output the filter is. */
enum {
	TF_GROUND,
	TF_ESC,		/* after ESC: intermediates in seq */
	TF_CSI,		/* after CSI: parameters and intermediates in seq */
	TF_STRING	/* inside OSC, DCS, SOS, PM or APC: dropped */
};

/* Modes the passed output may leave other than their default. */
#define TERMFILTER_M_DECCKM	0x0001
#define TERMFILTER_M_DECAWM	0x0002
#define TERMFILTER_M_DECTCEM	0x0004
#define TERMFILTER_M_ALT47	0x0008
#define TERMFILTER_M_ALT1047	0x0010
#define TERMFILTER_M_ALT1049	0x0020
#define TERMFILTER_M_SYNC	0x0040
#define TERMFILTER_M_IRM	0x0080
#define TERMFILTER_M_KEYPAD	0x0100
#define TERMFILTER_M_G0	0x0200
#define TERMFILTER_M_SGR	0x0400
#define TERMFILTER_M_REGION	0x0800
#define TERMFILTER_M_CURSOR	0x1000

/* The DEC private modes passed (CSI ? Pm h/l) and what each leaves set. */
static const struct {
	unsigned int	mode;
	unsigned int	bit;		/* 0: nothing to restore */
	int		on_by_default;
} termfilter_dec_modes[] = {
	{ 1, TERMFILTER_M_DECCKM, 0 },		/* cursor keys */
	{ 7, TERMFILTER_M_DECAWM, 1 },		/* autowrap */
	{ 12, 0, 0 },				/* cursor blink */
	{ 25, TERMFILTER_M_DECTCEM, 1 },	/* cursor visible */
	{ 47, TERMFILTER_M_ALT47, 0 },		/* alternate screen */
	{ 1047, TERMFILTER_M_ALT1047, 0 },
	{ 1048, 0, 0 },				/* save/restore cursor */
	{ 1049, TERMFILTER_M_ALT1049, 0 },
	{ 2026, TERMFILTER_M_SYNC, 0 },		/* synchronised output */
};

/* What putting the modes back writes, in this order. */
static const struct {
	unsigned int	 bit;
	const char	*undo;
} termfilter_undo[] = {
	{ TERMFILTER_M_SYNC, "\033[?2026l" },
	{ TERMFILTER_M_ALT1049, "\033[?1049l" },
	{ TERMFILTER_M_ALT1047, "\033[?1047l" },
	{ TERMFILTER_M_ALT47, "\033[?47l" },
	{ TERMFILTER_M_SGR, "\033[m" },
	{ TERMFILTER_M_REGION, "\0337\033[r\0338" },	/* DECSTBM homes */
	{ TERMFILTER_M_IRM, "\033[4l" },
	{ TERMFILTER_M_DECCKM, "\033[?1l" },
	{ TERMFILTER_M_KEYPAD, "\033>" },
	{ TERMFILTER_M_DECAWM, "\033[?7h" },
	{ TERMFILTER_M_DECTCEM, "\033[?25h" },
	{ TERMFILTER_M_CURSOR, "\033[0 q" },
	{ TERMFILTER_M_G0, "\033(B" },
};

/* U+FFFD, for bytes that are not UTF-8. */
static const char termfilter_repl[] = "\357\277\275";

/* What one byte does to a UTF-8 character being read. */
enum {
	TF_U8_MORE,	/* the character goes on */
	TF_U8_CHAR,	/* buf holds a whole character */
	TF_U8_BAD,	/* the byte cannot start a character */
	TF_U8_CUT	/* the character so far is cut short: look again at c */
};

/* Read byte c (0x80 or above, or any after a lead byte) of a character. */
static int
termfilter_u8(unsigned char *buf, size_t *len, size_t *need, unsigned char c,
    unsigned int *cp)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		i;

	if (*len == 0) {
		if (c >= 0xc2 && c <= 0xdf)
			*need = 2;
		else if (c >= 0xe0 && c <= 0xef)
			*need = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			*need = 4;
		else
			return (TF_U8_BAD);
		buf[(*len)++] = c;
		return (TF_U8_MORE);
	}
	if (*len == 1) {	/* no overlong forms, surrogates, > U+10FFFF */
		switch (buf[0]) {
		case 0xe0:
			lo = 0xa0;
			break;
		case 0xed:
			hi = 0x9f;
			break;
		case 0xf0:
			lo = 0x90;
			break;
		case 0xf4:
			hi = 0x8f;
			break;
		}
	}
	if (c < lo || c > hi) {
		*len = 0;
		return (TF_U8_CUT);
	}
	buf[(*len)++] = c;
	if (*len < *need)
		return (TF_U8_MORE);
	*cp = buf[0] & (0xff >> (*need + 1));
	for (i = 1; i < *len; i++)
		*cp = (*cp << 6) | (buf[i] & 0x3f);
	return (TF_U8_CHAR);
}

/* A C0 control outside strings: pass the harmless ones. */
static void
termfilter_c0(unsigned char c, struct cbuf *out)
{
	if (c == '\a' || c == '\b' || c == '\t' || c == '\n' || c == '\r')
		cbuf_add(out, &c, 1);
}

/* Enter state, with an empty sequence. */
static void
termfilter_enter(struct termfilter *tf, int state, int drop)
{
	tf->state = state;
	tf->seqlen = 0;
	tf->drop = drop;
	tf->c2 = 0;
}

/* A C1 control as a code point: dropped, with the sequence it opens. */
static void
termfilter_c1(struct termfilter *tf, unsigned int cp)
{
	switch (cp) {
	case 0x9b:		/* CSI */
		termfilter_enter(tf, TF_CSI, 1);
		break;
	case 0x90:		/* DCS */
	case 0x98:		/* SOS */
	case 0x9d:		/* OSC */
	case 0x9e:		/* PM */
	case 0x9f:		/* APC */
		termfilter_enter(tf, TF_STRING, 1);
		break;
	}
}

/* Keep one byte of the sequence; one too many refuses it. */
static void
termfilter_keep(struct termfilter *tf, unsigned char c)
{
	if (tf->seqlen == sizeof tf->seq)
		tf->drop = 1;
	else
		tf->seq[tf->seqlen++] = c;
}

/* Set or clear a mode bit. */
static void
termfilter_mode(struct termfilter *tf, unsigned int bit, int set)
{
	if (set)
		tf->modes |= bit;
	else
		tf->modes &= ~bit;
}

/* Write the sequence: ESC, intro ('[' or none), what was kept, final. */
static void
termfilter_emit(struct termfilter *tf, const char *intro, unsigned char f,
    struct cbuf *out)
{
	cbuf_add(out, "\033", 1);
	cbuf_adds(out, intro);
	cbuf_add(out, tf->seq, tf->seqlen);
	cbuf_add(out, &f, 1);
}

/* ESC [intermediates] final: pass the rendering subset. */
static void
termfilter_esc_final(struct termfilter *tf, unsigned char f, struct cbuf *out)
{
	if (tf->seqlen == 0) {
		switch (f) {
		case '7':	/* DECSC */
		case '8':	/* DECRC */
		case 'D':	/* IND */
		case 'E':	/* NEL */
		case 'M':	/* RI */
			break;
		case '=':	/* DECKPAM */
		case '>':	/* DECKPNM */
			termfilter_mode(tf, TERMFILTER_M_KEYPAD, f == '=');
			break;
		default:
			return;
		}
	} else if (tf->seqlen == 1 && tf->seq[0] == '(' &&
	    (f == '0' || f == 'B'))	/* G0: line drawing or ASCII */
		termfilter_mode(tf, TERMFILTER_M_G0, f == '0');
	else
		return;
	termfilter_emit(tf, "", f, out);
}

/* Whether every parameter is one of the DEC modes passed; note them. */
static int
termfilter_dec(struct termfilter *tf, const unsigned int *p, size_t n,
    int set)
{
	size_t	i, j;

	if (n == 0)
		return (0);
	for (i = 0; i < n; i++) {
		for (j = 0; j < nitems(termfilter_dec_modes); j++) {
			if (termfilter_dec_modes[j].mode == p[i])
				break;
		}
		if (j == nitems(termfilter_dec_modes))
			return (0);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; termfilter_dec_modes[j].mode != p[i]; j++)
			;
		if (termfilter_dec_modes[j].bit != 0)
			termfilter_mode(tf, termfilter_dec_modes[j].bit,
			    set != termfilter_dec_modes[j].on_by_default);
	}
	return (1);
}

/* CSI [prefix] params [intermediate] final: pass the rendering subset. */
static void
termfilter_csi_final(struct termfilter *tf, unsigned char f, struct cbuf *out)
{
	unsigned int	 p[TERMFILTER_PARAMS_MAX], v = 0;
	unsigned char	 prefix = 0, inter = 0, c;
	size_t		 i = 0, n = 0;
	int		 colon = 0, any = 0, zero = 1;

	if (tf->seqlen > 0 && tf->seq[0] >= '<' && tf->seq[0] <= '?')
		prefix = tf->seq[i++];
	for (; i < tf->seqlen && (c = tf->seq[i]) >= '0' && c <= ';'; i++) {
		any = 1;
		if (c == ':' || c == ';') {
			colon |= c == ':';
			if (n == nitems(p))
				return;
			p[n++] = v;
			v = 0;
		} else if ((v = v * 10 + (c - '0')) > TERMFILTER_PARAM_LIMIT)
			return;
	}
	if (any) {
		if (n == nitems(p))
			return;
		p[n++] = v;
	}
	if (i < tf->seqlen)
		inter = tf->seq[i++];
	if (i != tf->seqlen || (inter != 0 && (inter < 0x20 || inter > 0x2f)))
		return;		/* more intermediates, or a misplaced prefix */
	for (i = 0; i < n; i++)
		zero &= p[i] == 0;
	if (colon && f != 'm')
		return;
	if (prefix == '?' && inter == 0 && (f == 'h' || f == 'l')) {
		if (!termfilter_dec(tf, p, n, f == 'h'))
			return;
	} else if (prefix == 0 && inter == ' ' && f == 'q') {	/* DECSCUSR */
		if (n > 1 || (n == 1 && p[0] > 6))
			return;
		termfilter_mode(tf, TERMFILTER_M_CURSOR, !zero);
	} else if (prefix != 0 || inter != 0)
		return;
	else {
		switch (f) {
		case 'm':	/* SGR */
			termfilter_mode(tf, TERMFILTER_M_SGR, !zero);
			break;
		case 'H':	/* CUP */
		case 'f':	/* HVP */
		case 'r':	/* DECSTBM */
			if (n > 2)
				return;
			if (f == 'r')
				termfilter_mode(tf, TERMFILTER_M_REGION, !zero);
			break;
		case 'A': case 'B': case 'C': case 'D':	/* CUU CUD CUF CUB */
		case 'E': case 'F': case 'G':		/* CNL CPL CHA */
		case 'a': case 'd': case 'e': case '`':	/* HPR VPA VPR HPA */
		case 'I': case 'Z':			/* CHT CBT */
		case 'X': case '@': case 'P':		/* ECH ICH DCH */
		case 'L': case 'M':			/* IL DL */
		case 'S': case 'T':			/* SU SD */
			if (n > 1)
				return;
			break;
		case 'J':	/* ED, but 3 erases the scrollback */
		case 'K':	/* EL */
			if (n > 1 || (n == 1 && p[0] > 2))
				return;
			break;
		case 's':	/* SCOSC */
		case 'u':	/* SCORC */
			if (n > 0)
				return;
			break;
		case 'h':	/* SM, IRM only */
		case 'l':	/* RM */
			if (n != 1 || p[0] != 4)
				return;
			termfilter_mode(tf, TERMFILTER_M_IRM, f == 'h');
			break;
		default:
			return;
		}
	}
	termfilter_emit(tf, "[", f, out);
}

/* Feed one byte. */
static void
termfilter_byte(struct termfilter *tf, unsigned char c, struct cbuf *out)
{
	unsigned int	cp;

again:
	switch (tf->state) {
	case TF_GROUND:
		if (tf->u8len > 0 || c >= 0x80) {
			switch (termfilter_u8(tf->u8, &tf->u8len, &tf->u8need,
			    c, &cp)) {
			case TF_U8_MORE:
				return;
			case TF_U8_BAD:
				cbuf_adds(out, termfilter_repl);
				return;
			case TF_U8_CUT:
				cbuf_adds(out, termfilter_repl);
				goto again;
			}
			if (cp >= 0x80 && cp <= 0x9f)
				termfilter_c1(tf, cp);
			else
				cbuf_add(out, tf->u8, tf->u8len);
			tf->u8len = 0;
		} else if (c >= 0x20 && c < 0x7f)
			cbuf_add(out, &c, 1);
		else if (c == 0x1b)
			termfilter_enter(tf, TF_ESC, 0);
		else
			termfilter_c0(c, out);
		return;
	case TF_ESC:
	case TF_CSI:
		if (c >= 0x80) {	/* not in a sequence: give up on it */
			tf->state = TF_GROUND;
			goto again;
		}
		if (c == 0x18 || c == 0x1a)	/* CAN, SUB: cancel */
			tf->state = TF_GROUND;
		else if (c == 0x1b)
			termfilter_enter(tf, TF_ESC, 0);
		else if (c < 0x20)	/* done at once by a terminal, too */
			termfilter_c0(c, out);
		else if (c == 0x7f)	/* DEL: ignored */
			return;
		else if (tf->state == TF_ESC) {
			if (tf->seqlen == 0 && c == '[')
				termfilter_enter(tf, TF_CSI, 0);
			else if (tf->seqlen == 0 && strchr("]PX^_", c) != NULL)
				termfilter_enter(tf, TF_STRING, 1);
			else if (c < 0x30)
				termfilter_keep(tf, c);
			else {
				if (!tf->drop)
					termfilter_esc_final(tf, c, out);
				tf->state = TF_GROUND;
			}
		} else if (c < 0x40) {
			if (c >= 0x30 && tf->seqlen > 0 &&
			    tf->seq[tf->seqlen - 1] < 0x30)
				tf->drop = 1;	/* a parameter after an
						   intermediate */
			termfilter_keep(tf, c);
		} else {
			if (!tf->drop)
				termfilter_csi_final(tf, c, out);
			tf->state = TF_GROUND;
		}
		return;
	case TF_STRING:
		if (c == 0x07 || c == 0x18 || c == 0x1a || (tf->c2 && c == 0x9c))
			tf->state = TF_GROUND;	/* BEL, CAN, SUB, U+009C */
		else if (c == 0x1b)	/* ESC \ or another sequence */
			termfilter_enter(tf, TF_ESC, 0);
		else
			tf->c2 = c == 0xc2;
		return;
	}
}

/* Start a filter in the ground state. */
void
termfilter_init(struct termfilter *tf)
{
	memset(tf, 0, sizeof *tf);
	tf->state = TF_GROUND;
}

/* Append what of in[0..len) may reach a terminal to out. */
void
termfilter_feed(struct termfilter *tf, const char *in, size_t len,
    struct cbuf *out)
{
	size_t	i;

	for (i = 0; i < len; i++)
		termfilter_byte(tf, (unsigned char)in[i], out);
}

/* Append the sequences that undo the modes left set, and forget them. */
void
termfilter_restore(struct termfilter *tf, struct cbuf *out)
{
	size_t	i;

	for (i = 0; i < nitems(termfilter_undo); i++) {
		if (tf->modes & termfilter_undo[i].bit)
			cbuf_adds(out, termfilter_undo[i].undo);
	}
	tf->modes = 0;
}

/* Write the sequences that undo the modes left set; async-signal-safe. */
void
termfilter_restore_fd(const struct termfilter *tf, int fd)
{
	size_t	i;

	for (i = 0; i < nitems(termfilter_undo); i++) {
		if ((tf->modes & termfilter_undo[i].bit) != 0 &&
		    write_all(fd, termfilter_undo[i].undo,
		    strlen(termfilter_undo[i].undo), 0) != 0)
			return;
	}
}

/*
 * Append s[0..len) as text: controls, C1 and bad UTF-8 as '?' for plain
 * text; for JSON, C1 and DEL escaped and bad UTF-8 as \ufffd.
 */
static void
termfilter_text(const char *s, size_t len, struct cbuf *out, int json)
{
	const char	*bad = json ? "\\ufffd" : "?";
	unsigned char	 buf[4], c;
	size_t		 i, blen = 0, need = 0;
	unsigned int	 cp;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (blen == 0 && c < 0x80) {
			if (json ? c != 0x7f : c >= 0x20 && c < 0x7f)
				cbuf_add(out, &c, 1);
			else if (json)
				cbuf_printf(out, "\\u%04x", c);
			else
				cbuf_adds(out, bad);
			continue;
		}
		switch (termfilter_u8(buf, &blen, &need, c, &cp)) {
		case TF_U8_MORE:
			break;
		case TF_U8_BAD:
			cbuf_adds(out, bad);
			break;
		case TF_U8_CUT:
			cbuf_adds(out, bad);
			i--;
			break;
		case TF_U8_CHAR:
			if (cp > 0x9f)
				cbuf_add(out, buf, blen);
			else if (json)
				cbuf_printf(out, "\\u%04x", cp);
			else
				cbuf_adds(out, bad);
			blen = 0;
			break;
		}
	}
	if (blen > 0)
		cbuf_adds(out, bad);
}

/* Append s[0..len) as plain text: controls and bad UTF-8 as '?'. */
void
termfilter_plain(const char *s, size_t len, struct cbuf *out)
{
	termfilter_text(s, len, out, 0);
}

/* The same for a NUL-terminated string: server text as plain text. */
void
termfilter_plain_str(const char *s, struct cbuf *out)
{
	termfilter_plain(s, strlen(s), out);
}

/* Append JSON text with C1 and DEL escaped and bad UTF-8 as \ufffd. */
void
termfilter_json(const char *s, size_t len, struct cbuf *out)
{
	termfilter_text(s, len, out, 1);
}
