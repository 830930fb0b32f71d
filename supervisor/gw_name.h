/* What clients name in the gateway: rooms, their kinds and seqs. */
#ifndef GW_NAME_H
#define GW_NAME_H

#include <stdint.h>

#define GW_NAME_MAX		128		/* a room's id */

/* The kinds of room: village:<id>, agent:<id>, session:<id>. */
enum gw_kind {
	GW_VILLAGE,
	GW_AGENT,
	GW_SESSION,
	GW__KINDS
};

/* A room's id: 1 to GW_NAME_MAX printable characters, no quotes. */
int		 gw_name_valid(const char *);
/* "village", "agent" or "session". */
const char	*gw_name_kind(enum gw_kind);
/* "village:demo" into a kind and a pointer to the id; -1 if malformed. */
int		 gw_name_room(const char *, enum gw_kind *, const char **);
/* A seq from a header or a cursor: 1 to 19 digits; -1 if not one. */
int		 gw_name_seq(const char *, uint64_t *);

#endif
