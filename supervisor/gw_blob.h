/* Encoded bytes shared, by reference, by every subscriber they go to. */
#ifndef GW_BLOB_H
#define GW_BLOB_H

#include <stddef.h>

struct evbuffer;

/* A blob: how many hold it, its length, its bytes and a NUL. */
struct gw_blob {
	unsigned	refs;
	size_t		len;
	char		data[];
};

/* A blob holding a copy of the bytes (1 ref). */
struct gw_blob	*gw_blob_new(const void *, size_t);
/* A blob of an evbuffer's bytes (1 ref); the evbuffer is emptied. */
struct gw_blob	*gw_blob_from(struct evbuffer *);
struct gw_blob	*gw_blob_ref(struct gw_blob *);
void		 gw_blob_unref(struct gw_blob *);

#endif
