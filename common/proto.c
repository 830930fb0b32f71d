/* Names of the channel's message types. */
#include "config.h"

#include <string.h>

#include "proto.h"

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
	if ((int)t < 0 || t >= MSG__COUNT)
		return ("UNKNOWN");
	return (msg_names[t]);
}

int
msg_type_parse(const char *name, enum event_type *ev)
{
	int	i;

	for (i = 0; i < MSG__COUNT; i++) {
		if (i != MSG_EVENT && strcmp(msg_names[i], name) == 0)
			return (i);
	}
	if ((i = event_type_from_name(name)) != -1) {
		if (ev != NULL)
			*ev = (enum event_type)i;
		return (MSG_EVENT);
	}
	return (-1);
}
