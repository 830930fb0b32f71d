/* A growable byte buffer, always NUL-terminated. */
#ifndef CBUF_H
#define CBUF_H

#include <stddef.h>

struct cbuf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

void	cbuf_add(struct cbuf *, const void *, size_t);
void	cbuf_adds(struct cbuf *, const char *);
void	cbuf_printf(struct cbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	cbuf_free(struct cbuf *);

#endif
