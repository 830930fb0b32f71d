/* The egress proxy, between its files. */
#ifndef PROXY_INT_H
#define PROXY_INT_H

#include <stddef.h>

/* proxyhead.c */
/* The reason phrase of a status the proxy sends. */
const char	*proxyhead_reason(int);
/* Where the head ends in p (len bytes): past its empty line, or 0. */
size_t		 proxyhead_end(const unsigned char *, size_t);

#endif
