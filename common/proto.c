/* Names of the channel's message types. */
#include "config.h"

#include <string.h>

#include "common/proto.h"
#include "common/util.h"

static const char *msg_names[MSG__COUNT] = {
	[MSG_READY] = "READY",
	[MSG_START] = "START",
	[MSG_INPUT] = "INPUT",
	[MSG_RESIZE] = "RESIZE",
	[MSG_STOP] = "STOP",
	[MSG_PAUSE] = "PAUSE",
	[MSG_RESUME] = "RESUME",
	[MSG_APPROVE] = "APPROVE",
	[MSG_EVENT] = "EVENT",
};

const char *
msg_type_name(enum msg_type t)
{
	return (name_of(msg_names, MSG__COUNT, (int)t));
}

int
msg_type_parse(const char *name, enum event_type *ev)
{
	int	i;

	/* "EVENT" is only a name for logs: a frame names its event. */
	if ((i = name_find(msg_names, MSG__COUNT, name)) != -1 &&
	    i != MSG_EVENT)
		return (i);
	if ((i = event_type_from_name(name)) != -1) {
		if (ev != NULL)
			*ev = (enum event_type)i;
		return (MSG_EVENT);
	}
	return (-1);
}
