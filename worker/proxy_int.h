/* The egress proxy, between its files. */
#ifndef PROXY_INT_H
#define PROXY_INT_H

#include <stddef.h>

/* proxyhead.c */
/* The reason phrase of a status the proxy sends. */
const char	*proxy_reason(int);
/* Where the head ends in p (len bytes): past its empty line, or 0. */
size_t		 proxy_head_end(const unsigned char *, size_t);

#endif
