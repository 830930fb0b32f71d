/* A growable byte buffer, always NUL-terminated: what runnerctl builds text in. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ctl/cbuf.h"

/* Append bytes to a buffer, keeping it NUL-terminated. */
void
cbuf_add(struct cbuf *b, const void *p, size_t n)
{
	size_t	need;

	need = b->len + n + 1;
	if (need > b->size) {
		b->size = b->size == 0 ? 256 : b->size;
		while (b->size < need)
			b->size *= 2;
		b->data = xrealloc(b->data, b->size);
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append a string. */
void
cbuf_adds(struct cbuf *b, const char *s)
{
	cbuf_add(b, s, strlen(s));
}

/* Append formatted text. */
void
cbuf_printf(struct cbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	cbuf_add(b, s, (size_t)n);
	free(s);
}

/* Free a buffer's bytes and empty it. */
void
cbuf_free(struct cbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}
