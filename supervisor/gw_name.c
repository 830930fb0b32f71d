/* What clients name in the gateway: rooms, their kinds and seqs. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "supervisor/gw_name.h"

static const char *const gw_name_kinds[] = { "village", "agent", "session" };

/* A room's id: 1 to GW_NAME_MAX printable characters, no quotes. */
int
gw_name_valid(const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= GW_NAME_MAX || name[i] < 0x21 || name[i] > 0x7e ||
		    name[i] == '"' || name[i] == '\\')
			return (0);
	}
	return (i > 0);
}

/* The name of a kind of room, as in "village:demo". */
const char *
gw_name_kind(enum gw_kind kind)
{
	return (gw_name_kinds[kind]);
}

/* A seq from a header or a cursor: 1 to 19 digits. */
int
gw_name_seq(const char *s, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (s == NULL || *s == '\0')
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 19)
			return (-1);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return (0);
}

/* "village:demo" into a kind and a pointer to the id; -1 if malformed. */
int
gw_name_room(const char *full, enum gw_kind *kind, const char **name)
{
	size_t	i, n;

	for (i = 0; i < GW__KINDS; i++) {
		n = strlen(gw_name_kinds[i]);
		if (strncmp(full, gw_name_kinds[i], n) == 0 &&
		    full[n] == ':' && gw_name_valid(full + n + 1)) {
			*kind = (enum gw_kind)i;
			*name = full + n + 1;
			return (0);
		}
	}
	return (-1);
}
