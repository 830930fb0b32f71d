/* A peer: one end of the supervisor-worker channel and its read loop. */
#include "config.h"

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/frame.h"
#include "common/peer.h"

struct peer {
	struct bufferevent	*bev;
	const struct peer_ops	*ops;
	void			*arg;
	int			 busy;		/* inside the read loop */
	int			 dead;		/* gone, or freed by its owner */
	int			 freed;		/* free when the loop returns */
};

static void	peer_read_cb(struct bufferevent *, void *);
static void	peer_write_cb(struct bufferevent *, void *);
static void	peer_event_cb(struct bufferevent *, short, void *);

/* A peer reading and writing frames on fd. */
struct peer *
peer_create(struct event_base *base, int fd, const struct peer_ops *ops,
    void *arg)
{
	struct peer	*p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return (NULL);
	p->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL) {
		free(p);
		return (NULL);
	}
	p->ops = ops;
	p->arg = arg;
	bufferevent_setcb(p->bev, peer_read_cb, peer_write_cb, peer_event_cb,
	    p);
	bufferevent_enable(p->bev, EV_READ|EV_WRITE);
	return (p);
}

/* Free the bufferevent now; the peer itself once no loop holds it. */
void
peer_free(struct peer *p)
{
	if (p == NULL || p->freed)
		return;
	p->dead = 1;
	p->freed = 1;
	bufferevent_free(p->bev);
	p->bev = NULL;
	if (p->busy == 0)
		free(p);
}

/* Leave a loop that held the peer; free it if its owner did meanwhile. */
static void
peer_release(struct peer *p)
{
	if (--p->busy == 0 && p->freed)
		free(p);
}

/* The single "peer gone" path: called once, then nothing more. */
static void
peer_gone(struct peer *p, enum peer_gone why, const char *cause)
{
	if (p->dead)
		return;
	p->dead = 1;
	p->ops->gone(p, why, cause, p->arg);
}

/*
 * Take the length, check it before allocating, wait for the whole frame,
 * dispatch, and loop while another whole frame is buffered (frame_read).
 */
void
peer_read(struct peer *p)
{
	struct json_object	*o;
	enum msg_type		 type;
	enum event_type		 ev = EV__COUNT;
	char			 cause[FRAME_CAUSE_MAX];
	int			 rv;

	if (p == NULL)
		return;
	p->busy++;
	while (!p->dead) {
		rv = frame_read(bufferevent_get_input(p->bev), &o, &type, &ev,
		    cause, sizeof cause);
		if (rv == 0)
			break;
		if (rv == -1) {
			peer_gone(p, PEER_BAD_FRAME, cause);
			break;
		}
		p->ops->dispatch(p, o, type, ev, p->arg);
		json_object_put(o);
	}
	peer_release(p);
}

int
peer_send(struct peer *p, struct json_object *o, char *cause, size_t len)
{
	return (frame_write(bufferevent_get_output(p->bev), o, cause, len));
}

struct bufferevent *
peer_bufferevent(struct peer *p)
{
	return (p->bev);
}

static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	peer_read(arg);
}

static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct peer	*p = arg;

	if (!p->dead && p->ops->drained != NULL)
		p->ops->drained(p, p->arg);
}

/* EOF or error: what is buffered is dispatched, then the peer is gone. */
static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct peer	*p = arg;

	if (p->dead || !(what & (BEV_EVENT_EOF|BEV_EVENT_ERROR)))
		return;
	p->busy++;
	peer_read(p);
	if (!p->dead)
		peer_gone(p, (what & BEV_EVENT_EOF) ? PEER_EOF : PEER_ERROR,
		    NULL);
	peer_release(p);
}
