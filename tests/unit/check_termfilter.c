/*
 * Unit tests for the terminal-output sanitiser (ctl/termfilter.c): every
 * class of sequence it passes or drops, each fed whole, split at every
 * byte boundary and byte by byte; hostile input (unterminated strings,
 * huge parameter lists, bad UTF-8); the mode restore; plain and JSON text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/cbuf.h"
#include "ctl/termfilter.h"
#include "unit.h"

/* Filter in[0..len) fed in pieces of step bytes (all at once if 0). */
static void
feed(const char *in, size_t len, size_t step, struct cbuf *out)
{
	struct termfilter	tf;
	size_t			off, n;

	termfilter_init(&tf);
	for (off = 0; off < len; off += n) {
		n = step == 0 || step > len - off ? len - off : step;
		termfilter_feed(&tf, in + off, n, out);
	}
	cbuf_add(out, "", 0);
}

/* Feed a C string. */
static void
feeds(struct termfilter *tf, const char *s, struct cbuf *out)
{
	termfilter_feed(tf, s, strlen(s), out);
}

/* Show bytes readably in a failure message. */
static char *
show(const char *s, size_t len)
{
	struct cbuf	b = { 0 };
	size_t		i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			cbuf_printf(&b, "\\x%02x", (unsigned char)s[i]);
		else
			cbuf_add(&b, s + i, 1);
	}
	cbuf_add(&b, "", 0);
	return (b.data);
}

/* Assert that out is exactly want[0..wlen). */
static void
same(const struct cbuf *out, const char *want, size_t wlen, const char *in,
    size_t ilen, const char *how)
{
	char	*a, *b, *c;

	if (out->len == wlen && memcmp(out->data, want, wlen) == 0)
		return;
	a = show(in, ilen);
	b = show(out->data, out->len);
	c = show(want, wlen);
	ck_abort_msg("%s of \"%s\": got \"%s\", want \"%s\"", how, a, b, c);
}

/*
 * The filter turns in into want whether fed whole, cut in two at every
 * byte boundary, or byte by byte.
 */
static void
check_filter(const char *in, size_t ilen, const char *want, size_t wlen)
{
	struct termfilter	tf;
	struct cbuf		out = { 0 };
	size_t			cut;

	feed(in, ilen, 0, &out);
	same(&out, want, wlen, in, ilen, "whole");
	out.len = 0;
	feed(in, ilen, 1, &out);
	same(&out, want, wlen, in, ilen, "byte by byte");
	for (cut = 1; cut < ilen; cut++) {
		out.len = 0;
		termfilter_init(&tf);
		termfilter_feed(&tf, in, cut, &out);
		termfilter_feed(&tf, in + cut, ilen - cut, &out);
		same(&out, want, wlen, in, ilen, "cut in two");
	}
	cbuf_free(&out);
}

/* For string literals, which may hold NUL bytes. */
#define CK(in, want)	check_filter(in, sizeof (in) - 1, want, sizeof (want) - 1)
/* A sequence that passes unchanged. */
#define PASS(s)		CK("<" s ">", "<" s ">")
/* A sequence that is dropped whole. */
#define DROP(s)		CK("<" s ">", "<>")

START_TEST(test_text)
{
	CK("hello, world\n", "hello, world\n");
	CK("caf\xc3\xa9 \xe2\x94\x80 \xe6\x97\xa5 \xf0\x9f\x98\x80\r\n",
	    "caf\xc3\xa9 \xe2\x94\x80 \xe6\x97\xa5 \xf0\x9f\x98\x80\r\n");
	CK("a\tb\bc\ad\r\n", "a\tb\bc\ad\r\n");
	/* Other C0 controls and DEL: dropped (SO/SI would switch charsets). */
	CK("a\x00\x01\x02\x03\x04\x05\x06\x0b\x0c\x0e\x0f\x10\x11\x12\x13"
	    "\x14\x15\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1f\x7f" "b", "ab");
	/* NBSP and U+00A0 onwards are text; U+0080–U+009F are C1. */
	CK("\xc2\xa0\xc2\xbf", "\xc2\xa0\xc2\xbf");
	CK("", "");
}
END_TEST

START_TEST(test_sgr)
{
	PASS("\033[m");
	PASS("\033[0m");
	PASS("\033[1;31mred\033[0m");
	PASS("\033[38;5;196m");
	PASS("\033[38;2;255;128;0;48;2;0;0;255m");
	PASS("\033[38:2::255:128:0m");
	PASS("\033[4:3m");
	CK("\033[1mbold\033[22m plain", "\033[1mbold\033[22m plain");
}
END_TEST

START_TEST(test_cursor)
{
	PASS("\033[A");
	PASS("\033[5B");
	PASS("\033[12C");
	PASS("\033[D");
	PASS("\033[2E");
	PASS("\033[F");
	PASS("\033[40G");
	PASS("\033[H");
	PASS("\033[10;20H");
	PASS("\033[;5H");
	PASS("\033[3;4f");
	PASS("\033[7d");
	PASS("\033[2e");
	PASS("\033[3a");
	PASS("\033[9`");
	PASS("\033[I");
	PASS("\033[2Z");
	PASS("\0337");
	PASS("\0338");
	PASS("\033[s");
	PASS("\033[u");
	PASS("\033D");
	PASS("\033E");
	PASS("\033M");
	PASS("\033[?25l");
	PASS("\033[?25h");
	PASS("\033[?12h");
	PASS("\033[2 q");
	PASS("\033[ q");
	/* Too many parameters for what the final takes. */
	DROP("\033[1;2A");
	DROP("\033[1;2;3H");
	DROP("\033[1s");	/* DECSLRM, not save */
	DROP("\033[7 q");
	DROP("\033[1;2 q");
}
END_TEST

START_TEST(test_erase_edit)
{
	PASS("\033[J");
	PASS("\033[0J");
	PASS("\033[1J");
	PASS("\033[2J");
	PASS("\033[K");
	PASS("\033[1K");
	PASS("\033[2K");
	PASS("\033[5X");
	PASS("\033[3@");
	PASS("\033[4P");
	PASS("\033[2L");
	PASS("\033[M");
	PASS("\033[3S");
	PASS("\033[T");
	PASS("\033[4h");
	PASS("\033[4l");
	/* ED 3 erases the operator's scrollback. */
	DROP("\033[3J");
	DROP("\033[9K");
	DROP("\033[?2J");	/* DECSED */
	DROP("\033[1;2;3;4;5T");	/* mouse highlight tracking */
	DROP("\033[5b");	/* REP */
	DROP("\033[3g");	/* TBC */
	DROP("\033[20h");	/* LNM */
	DROP("\033[4;20h");
}
END_TEST

START_TEST(test_screen_modes)
{
	PASS("\033[r");
	PASS("\033[1;24r");
	PASS("\033[?1049h");
	PASS("\033[?1049l");
	PASS("\033[?1047h");
	PASS("\033[?47h");
	PASS("\033[?47l");
	PASS("\033[?1048h");
	PASS("\033[?1h");
	PASS("\033[?7l");
	PASS("\033[?2026h");
	PASS("\033[?25;1049h");
	PASS("\033=");
	PASS("\033>");
	PASS("\033(0");
	PASS("\033(B");
	/* Modes that report, take input or change the terminal globally. */
	DROP("\033[?1000h");	/* mouse tracking */
	DROP("\033[?1002h");
	DROP("\033[?1003h");
	DROP("\033[?1006h");
	DROP("\033[?1015h");
	DROP("\033[?9h");
	DROP("\033[?2004h");	/* bracketed paste */
	DROP("\033[?1004h");	/* focus events */
	DROP("\033[?3h");	/* 132 columns */
	DROP("\033[?5h");	/* reverse video */
	DROP("\033[?69h");
	DROP("\033[?h");
	DROP("\033[?25;1000h");	/* one bad mode spoils the lot */
	DROP("\033[?1000;25l");
	DROP("\033[?r");	/* XTRESTORE */
	DROP("\033[?1049s");	/* XTSAVE */
	DROP("\033)0");		/* G1 */
	DROP("\033(A");
	DROP("\033*0");
	DROP("\033%G");		/* UTF-8 mode */
	DROP("\033#8");		/* DECALN */
}
END_TEST

START_TEST(test_strings)
{
	/* OSC 52 (clipboard) and 0/2 (title), ended by BEL or ST. */
	CK("a\033]52;c;SGVsbG8=\ab", "ab");
	CK("a\033]52;c;SGVsbG8=\033\\b", "ab");
	CK("a\033]0;pwned\ab", "ab");
	CK("a\033]2;pwned\033\\b", "ab");
	CK("a\033]8;;http://evil.example\033\\link\033]8;;\033\\b", "alinkb");
	CK("a\033]10;?\ab", "ab");	/* colour query */
	CK("a\033]1337;File=x\ab", "ab");
	/* DCS (DECRQSS, XTGETTCAP, sixel), SOS, PM, APC. */
	CK("a\033P$qm\033\\b", "ab");
	CK("a\033P+q544e\033\\b", "ab");
	CK("a\033Pq#0;2;0;0;0~~\033\\b", "ab");
	CK("a\033Xsos\033\\b", "ab");
	CK("a\033^pm\033\\b", "ab");
	CK("a\033_Gf=100;AAAA\033\\b", "ab");
	/* Controls inside a string are part of it. */
	CK("a\033]0;x\n\r\ty\ab", "ab");
	CK("a\033]0;\xc3\xa9\xe2\x94\x80\ab", "ab");
	/* CAN and SUB cancel a string; ESC starts the next sequence. */
	CK("a\033]0;x\x18" "b", "ab");
	CK("a\033]0;x\x1a" "b", "ab");
	CK("a\033]0;x\033[31mb", "a\033[31mb");
	/* ST as a C1 code point ends a string too. */
	CK("a\033]0;x\xc2\x9c" "b", "ab");
	/* A stray ST is dropped. */
	CK("a\033\\b", "ab");
}
END_TEST

START_TEST(test_c1)
{
	/* C1 as code points: dropped, with the sequence they open. */
	CK("a\xc2\x9b" "6nb", "ab");
	CK("a\xc2\x9b" "31mb", "ab");
	CK("a\xc2\x9b?1049hb", "ab");
	CK("a\xc2\x9d" "52;c;SGVsbG8=\ab", "ab");
	CK("a\xc2\x9d" "0;t\xc2\x9c" "b", "ab");
	CK("a\xc2\x90$qm\xc2\x9c" "b", "ab");
	CK("a\xc2\x98x\033\\b", "ab");
	CK("a\xc2\x9ex\ab", "ab");
	CK("a\xc2\x9fx\ab", "ab");
	CK("a\xc2\x80\xc2\x84\xc2\x85\xc2\x88\xc2\x8d\xc2\x8e\xc2\x8f"
	    "\xc2\x9a\xc2\x9c" "b", "ab");
	/* As raw bytes they are not UTF-8: U+FFFD, never a control. */
	CK("a\x9b" "6nb", "a\xef\xbf\xbd" "6nb");
	CK("a\x9d" "0;t\ab", "a\xef\xbf\xbd" "0;t\ab");
	CK("a\x90\x9c" "b", "a\xef\xbf\xbd\xef\xbf\xbd" "b");
	/* An overlong ESC or CSI is not UTF-8 either. */
	CK("\xc0\x9b[6n", "\xef\xbf\xbd\xef\xbf\xbd[6n");
	CK("\xe0\x80\x9b", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(test_queries)
{
	DROP("\033[c");		/* DA1 */
	DROP("\033[0c");
	DROP("\033[>c");	/* DA2 */
	DROP("\033[=c");	/* DA3 */
	DROP("\033[5n");	/* DSR */
	DROP("\033[6n");	/* CPR */
	DROP("\033[?6n");
	DROP("\033[?996n");	/* colour scheme */
	DROP("\033[14t");	/* window ops that report */
	DROP("\033[18t");
	DROP("\033[21t");
	DROP("\033[8;100;300t");	/* and that resize */
	DROP("\033[3;0;0t");
	DROP("\033[22;0t");
	DROP("\033[?2004$p");	/* DECRQM */
	DROP("\033[4$p");
	DROP("\033[>q");	/* XTVERSION */
	DROP("\033[>0q");
	DROP("\033[?u");	/* kitty keyboard query */
	DROP("\033[>1u");	/* and push */
	DROP("\033[>4;2m");	/* modifyOtherKeys */
	DROP("\033[?m");
	DROP("\033[x");		/* DECREQTPARM */
	DROP("\033[5i");	/* media copy */
	DROP("\033[!p");	/* DECSTR */
	DROP("\033[61;1\"p");	/* DECSCL */
	DROP("\033[1$w");	/* DECRQPSR */
	DROP("\033[q");		/* DECLL */
	DROP("\033['w");
	DROP("\033[2*x");
	DROP("\033[1;1;1;1$r");	/* DECCARA */
	DROP("\033[1;31$m");
	DROP("\033[1;31 m");
	/* ESC sequences outside the list. */
	DROP("\033c");		/* RIS */
	DROP("\033Z");		/* DECID */
	DROP("\033H");		/* HTS */
	DROP("\033N");		/* SS2 */
	DROP("\033O");		/* SS3 */
	DROP("\033n");		/* LS2 */
	DROP("\033 F");		/* S7C1T */
	DROP("\033 G");
	DROP("\033l");
	DROP("\0339");
	DROP("\033~");
}
END_TEST

START_TEST(test_malformed)
{
	struct termfilter	 tf;
	struct cbuf		 out = { 0 };
	char			*big;
	size_t			 i, n;

	/* CAN and SUB cancel a sequence, ESC restarts it. */
	CK("a\033[1;3\x18" "b", "ab");
	CK("a\033[1\x1a" "b", "ab");
	CK("a\033[1\033[31mb", "a\033[31mb");
	CK("a\033\033[31mb", "a\033[31mb");
	CK("a\033(\x18" "b", "ab");
	/* Controls inside a sequence act at once, as in a terminal. */
	CK("\033[3\n1m", "\n\033[31m");
	CK("\033[3\x7f" "1m", "\033[31m");
	CK("\033\n7", "\n\0337");
	CK("\033[3\x01" "1m", "\033[31m");
	/* A byte above 0x7f ends a sequence; it is text again. */
	CK("\033[3\xc3\xa9x", "\xc3\xa9x");
	CK("\033\xc3\xa9x", "\xc3\xa9x");
	CK("\033[\x9b" "6n", "\xef\xbf\xbd" "6n");
	/* A parameter after an intermediate; a prefix not first. */
	CK("\033[1 2qa", "a");
	CK("\033[1?25ha", "a");
	CK("\033[??25ha", "a");
	CK("\033(($Ba", "a");
	/* Parameters too large or too many. */
	CK("\033[65535Ca", "\033[65535Ca");
	CK("\033[65536Ca", "a");
	CK("\033[99999999999999999999999999999999ma", "a");
	CK("\033[1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;"
	    "1;1;1ma", "\033[1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;"
	    "1;1;1;1;1;1;1;1ma");
	CK("\033[1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;"
	    "1;1;1;1ma", "a");
	CK("\033[;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;ma", "a");
	/* Longer than TERMFILTER_SEQ_MAX: dropped whole. */
	CK("\033[0000000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000000000000000000000000000001ma", "a");
	CK("\033(                                                          "
	    "                                                       Ba", "a");
	/* A huge parameter list: state stays bounded, text after passes. */
	n = 4 << 20;
	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < n; i += 2)
		memcpy(big + i, "1;", 2);
	termfilter_init(&tf);
	termfilter_feed(&tf, "ok\033[", 4, &out);
	termfilter_feed(&tf, big, n, &out);
	termfilter_feed(&tf, "mafter\033[1mx", 12, &out);
	ck_assert_uint_eq(out.len, 12);
	ck_assert_mem_eq(out.data, "okafter\033[1mx", 12);
	/* An unterminated OSC swallows what follows, up to its end. */
	out.len = 0;
	memset(big, 'A', n);
	termfilter_init(&tf);
	termfilter_feed(&tf, "ok\033]52;c;", 9, &out);
	termfilter_feed(&tf, big, n, &out);
	ck_assert_uint_eq(out.len, 2);
	termfilter_feed(&tf, "\a\033]0;x", 6, &out);
	termfilter_feed(&tf, big, n, &out);
	termfilter_feed(&tf, "\033\\after", 7, &out);
	ck_assert_uint_eq(out.len, 7);
	ck_assert_mem_eq(out.data, "okafter", 7);
	free(big);
	cbuf_free(&out);
}
END_TEST

START_TEST(test_utf8)
{
	const char	*r = "\xef\xbf\xbd";
	struct cbuf	 want = { 0 };

	CK("\xff", "\xef\xbf\xbd");
	CK("a\xfe\xc1\xf5" "b", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b");
	CK("\x80\xbf", "\xef\xbf\xbd\xef\xbf\xbd");
	/* Cut short by ASCII, by an ESC, by another lead byte. */
	CK("\xe2\x94" "A", "\xef\xbf\xbd" "A");
	CK("\xe2\033[1m", "\xef\xbf\xbd\033[1m");
	CK("\xe2\xe2\x94\x80", "\xef\xbf\xbd\xe2\x94\x80");
	/* Surrogates, above U+10FFFF, overlong three-byte forms. */
	cbuf_printf(&want, "%s%s%s", r, r, r);
	check_filter("\xed\xa0\x80", 3, want.data, want.len);
	check_filter("\xe0\x9f\xbf", 3, want.data, want.len);
	want.len = 0;
	cbuf_printf(&want, "%s%s%s%s", r, r, r, r);
	check_filter("\xf4\x90\x80\x80", 4, want.data, want.len);
	check_filter("\xf0\x8f\xbf\xbf", 4, want.data, want.len);
	cbuf_free(&want);
	/* The edges that are valid. */
	CK("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xf0\x90\x80\x80",
	    "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xf0\x90\x80\x80");
}
END_TEST

START_TEST(test_mixed)
{
	/* The hostile script of the integration test, in one stream. */
	CK("\033[32mgreen\033[0m \033]52;c;cHduZWQ=\a\033]0;title\a"
	    "\033P$qm\033\\\033[c\033[6n\033[>c\033[21t\xc2\x9b" "6n"
	    "\033[?2004h\033[?1000h\033c\033[1;34mblue\033[m\n",
	    "\033[32mgreen\033[0m \033[1;34mblue\033[m\n");
}
END_TEST

START_TEST(test_restore)
{
	struct termfilter	tf;
	struct cbuf		out = { 0 };
	static const char	set[] = "\033[?2026h\033[?1049h\033[?47h"
	    "\033[?1047h\033[31m\033[2;20r\033[4h\033[?1h\033=\033[?7l"
	    "\033[?25l\033[4 q\033(0";

	static const char	undo[] = "\033[?2026l\033[?1049l\033[?1047l"
	    "\033[?47l\033[m\0337\033[r\0338\033[4l\033[?1l\033>\033[?7h"
	    "\033[?25h\033[0 q\033(B";
	char			buf[256];
	int			fd[2];

	termfilter_init(&tf);
	termfilter_feed(&tf, set, sizeof set - 1, &out);
	ck_assert_uint_eq(out.len, sizeof set - 1);
	/* The signal handler's way: the same bytes through write(2). */
	ck_assert_int_eq(pipe(fd), 0);
	termfilter_restore_fd(&tf, fd[1]);
	close(fd[1]);
	ck_assert_int_eq(read(fd[0], buf, sizeof buf), sizeof undo - 1);
	ck_assert_mem_eq(buf, undo, sizeof undo - 1);
	close(fd[0]);
	out.len = 0;
	termfilter_restore(&tf, &out);
	cbuf_add(&out, "", 0);
	ck_assert_str_eq(out.data, undo);
	out.len = 0;
	termfilter_restore(&tf, &out);
	ck_assert_uint_eq(out.len, 0);
	/* Modes put back by the output itself need nothing. */
	feeds(&tf, "\033[?1049h\033[1m\033[?25l\033[2;5r\033=", &out);
	feeds(&tf, "\033[?1049l\033[0m\033[?25h\033[r\033>", &out);
	out.len = 0;
	termfilter_restore(&tf, &out);
	ck_assert_uint_eq(out.len, 0);
	/* Dropped sequences set nothing. */
	feeds(&tf, "\033[?1049;1000h\xc2\x9b?25l", &out);
	ck_assert_uint_eq(out.len, 0);
	termfilter_restore(&tf, &out);
	ck_assert_uint_eq(out.len, 0);
	cbuf_free(&out);
}
END_TEST

START_TEST(test_plain_json)
{
	struct cbuf	out = { 0 };
	static const char plain[] = "a\033b\xc2\x9b" "c\xff" "d\n\x7f\xc3\xa9"
	    "\xe2\x94";
	static const char json[] = "{\"k\":\"a\x7f\xc2\x9b\xff\xc3\xa9\xe2\"}"
	    "\xe2";

	termfilter_plain(plain, sizeof plain - 1, &out);
	cbuf_add(&out, "", 0);
	ck_assert_str_eq(out.data, "a?b?c?d??\xc3\xa9?");
	out.len = 0;
	termfilter_plain_str(plain, &out);
	cbuf_add(&out, "", 0);
	ck_assert_str_eq(out.data, "a?b?c?d??\xc3\xa9?");
	out.len = 0;
	termfilter_json(json, sizeof json - 1, &out);
	cbuf_add(&out, "", 0);
	ck_assert_str_eq(out.data, "{\"k\":\"a\\u007f\\u009b\\ufffd\xc3\xa9"
	    "\\ufffd\"}\\ufffd");
	cbuf_free(&out);
}
END_TEST

/* The suite. */
Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("termfilter");
	tc = tcase_create("passed");
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_sgr);
	tcase_add_test(tc, test_cursor);
	tcase_add_test(tc, test_erase_edit);
	tcase_add_test(tc, test_screen_modes);
	suite_add_tcase(s, tc);
	tc = tcase_create("dropped");
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_c1);
	tcase_add_test(tc, test_queries);
	tcase_add_test(tc, test_mixed);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_utf8);
	suite_add_tcase(s, tc);
	tc = tcase_create("restore and text");
	tcase_add_test(tc, test_restore);
	tcase_add_test(tc, test_plain_json);
	suite_add_tcase(s, tc);
	return (s);
}
