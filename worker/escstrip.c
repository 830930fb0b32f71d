/* Terminal escape sequences stripped from a byte stream, a byte at a time. */
#include "config.h"

#include "worker/escstrip.h"

/* Follow c through the escape sequences; 1 when it is text. */
int
escstrip_byte(enum escstrip_state *st, unsigned char c)
{
	switch (*st) {
	case ESC_ESC:
		if (c == '[')
			*st = ESC_CSI;
		else if (c == ']' || c == 'P' || c == 'X' ||
		    c == '^' || c == '_')
			*st = ESC_STR;
		else if (c >= 0x20 && c <= 0x2f)
			*st = ESC_INTER;
		else
			*st = ESC_NONE;
		return (0);
	case ESC_CSI:
		if (c >= 0x40 && c <= 0x7e)
			*st = ESC_NONE;
		return (0);
	case ESC_STR:
		if (c == 0x07)
			*st = ESC_NONE;
		else if (c == 0x1b)
			*st = ESC_STR_ESC;
		return (0);
	case ESC_STR_ESC:
		*st = c == '\\' ? ESC_NONE : ESC_STR;
		return (0);
	case ESC_INTER:
		if (c >= 0x30 && c <= 0x7e)
			*st = ESC_NONE;
		return (0);
	case ESC_NONE:
		break;
	}
	if (c == 0x1b) {
		*st = ESC_ESC;
		return (0);
	}
	return (1);
}
