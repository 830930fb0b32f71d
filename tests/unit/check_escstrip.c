/*
 * The escape-sequence stripper the output's lines and the exec policy's
 * test summaries share: CSI, strings (OSC, DCS, ...), charset selections
 * and plain ESC pairs vanish, text stays, across any chunking.
 */
#include "config.h"

#include <string.h>

#include <check.h>

#include "worker/escstrip.h"
#include "unit.h"

/* The text of s, stripped, fed in chunks of n bytes through one state. */
static void
strip(const char *s, size_t n, char *out)
{
	enum escstrip_state	st = ESC_NONE;
	size_t			i, j, len = strlen(s);

	for (i = 0; i < len; i += n)
		for (j = i; j < i + n && j < len; j++)
			if (escstrip_byte(&st, (unsigned char)s[j]))
				*out++ = s[j];
	*out = '\0';
}

START_TEST(test_sequences)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "plain text", "plain text" },
		{ "\033[1;31mred\033[0m", "red" },
		{ "\033]0;title\007after", "after" },
		{ "\033]8;;http://x\033\\link\033]8;;\033\\", "link" },
		{ "\033P+q544e\033\\ok", "ok" },
		{ "\033(B\033[m5 passed", "5 passed" },
		{ "\033#8x", "x" },
		{ "a\033=b\033>c", "abc" },
		{ "\033[?25l\r\n", "\r\n" },
	};
	char	out[128];
	size_t	i, n;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (n = 1; n <= 4; n++) {
			strip(cases[i].in, n, out);
			ck_assert_msg(strcmp(out, cases[i].out) == 0,
			    "case %zu chunk %zu: got \"%s\"", i, n, out);
		}
}
END_TEST

/* A string left open swallows everything until it ends. */
START_TEST(test_open_string)
{
	enum escstrip_state	st = ESC_NONE;
	const char		*s = "\033]title text";
	size_t			 i;

	for (i = 0; s[i] != '\0'; i++)
		ck_assert_int_eq(escstrip_byte(&st, (unsigned char)s[i]), 0);
	ck_assert_int_eq(st, ESC_STR);
	ck_assert_int_eq(escstrip_byte(&st, 0x07), 0);
	ck_assert_int_eq(escstrip_byte(&st, 'x'), 1);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("escstrip");
	tc = tcase_create("escstrip");
	tcase_add_test(tc, test_sequences);
	tcase_add_test(tc, test_open_string);
	suite_add_tcase(s, tc);
	return (s);
}
