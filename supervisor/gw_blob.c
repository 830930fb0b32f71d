/* Encoded bytes shared, by reference, by every subscriber they go to. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/util.h"
#include "supervisor/gw_blob.h"

/* A blob holding a copy of data, with one reference. */
struct gw_blob *
gw_blob_new(const void *data, size_t len)
{
	struct gw_blob	*b;

	b = xmalloc(sizeof *b + len + 1);
	b->refs = 1;
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	return (b);
}

/* One more holder of a blob. */
struct gw_blob *
gw_blob_ref(struct gw_blob *b)
{
	b->refs++;
	return (b);
}

/* One holder less; the last one frees it. */
void
gw_blob_unref(struct gw_blob *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

/* A blob holding an evbuffer's bytes; the evbuffer is emptied. */
struct gw_blob *
gw_blob_from(struct evbuffer *b)
{
	struct gw_blob	*blob;
	size_t		 len = evbuffer_get_length(b);

	blob = xmalloc(sizeof *blob + len + 1);
	blob->refs = 1;
	blob->len = len;
	evbuffer_remove(b, blob->data, len);
	blob->data[len] = '\0';
	return (blob);
}
