/* runnerctl's rendering of session events for humans. */
#ifndef RENDER_H
#define RENDER_H

#include "ctl/cbuf.h"
#include "ctl/termfilter.h"

struct json_object;

/* State for rendering events for humans. */
struct render {
	int			at_bol;	/* last byte printed was a newline
					   (or none yet) */
	int			raw;	/* terminal output unfiltered */
	struct termfilter	tf;	/* filters it otherwise */
};

/* Start rendering; raw passes the agent's terminal output unfiltered. */
void	render_init(struct render *, int);
/* Append one event, rendered for humans, to out. */
void	render_event(struct render *, struct json_object *,
	    struct cbuf *);
/* Append the end of a rendering: undo the modes the output left set. */
void	render_end(struct render *, struct cbuf *);
/* Append JSON text made safe for a terminal (see termfilter_json). */
void	render_json_clean(const char *, struct cbuf *);

#endif
