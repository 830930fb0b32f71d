/*
 * The real-time gateway's core: clients of every transport (Socket.IO and
 * /ws over WebSocket, gw_sio.c and gw_ws.c; SSE, sse.c), subscribed to rooms
 * village:<id>, agent:<id> and session:<id>. A transport plugs in through
 * struct gw_transport; nothing here knows which one a client uses.
 *
 * Every recorded event reaches us after it is in the durable log
 * (session_add_listener), in seq order per session. Each subscription keeps,
 * per session of its room, the seq delivered so far: the cursor. A live
 * event is delivered when it is the next one (seq = cursor + 1); a cursor
 * that is behind (a subscriber that gave an older cursor, or joined a room
 * whose session started while it was away) is caught up from the log in
 * bounded batches, paced by what the subscriber drains, while live events
 * for that session are not queued for it: they are in the log and the
 * replay reads them. When the replay reaches the session's last seq the
 * cursor is live again. Nothing is skipped, nothing comes twice.
 *
 * Cursors: a seq for agent:, session: rooms and SSE; for a village room an
 * object {sessionId: seq}, in which a session of the village that is
 * absent means "from its first event" (so sessions started while a client
 * was away are replayed whole). A join answers the full cursor to start
 * from; every event then carries sessionId and seq.
 *
 * Each event is encoded once per wire form (Socket.IO work_stream_event,
 * /ws message per room, SSE) and shared by reference among subscribers.
 * A subscriber's queue is bounded (gateway_max_buffer_bytes): one that
 * falls behind is disconnected with a reason, never allowed to slow anyone.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/types.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/gateway.h"
#include "supervisor/server.h"
#include "supervisor/session.h"

#define GW_PUMP_HIGH		(256 * 1024)	/* handed to a transport */
#define GW_REPLAY_LOW		(512 * 1024)	/* replay reads below this */
#define GW_REPLAY_BATCH		64		/* events per log read */
#define GW_REPLAY_BUDGET	512		/* events per loop turn */
#define GW_MAX_SUBS		64		/* rooms per connection */
#define GW_JOIN_MAX		20		/* joins per window */
#define GW_JOIN_WINDOW_MS	5000

static const char *const gw_proto_names[] = { "socket.io", "ws", "sse" };

/* One session's position in a subscription. */
struct gw_cursor {
	TAILQ_ENTRY(gw_cursor)	 entry;
	char			 sid[37];
	uint64_t		 seq;		/* delivered through */
	int			 behind;	/* being replayed */
};

struct gw_room;

/* A client's subscription to one room. */
struct gw_sub {
	TAILQ_ENTRY(gw_sub)	 centry;	/* in its client */
	TAILQ_ENTRY(gw_sub)	 rentry;	/* in its room */
	struct gw_client	*client;
	struct gw_room		*room;
	TAILQ_HEAD(, gw_cursor)	 cursors;
};

struct gw_room {
	TAILQ_ENTRY(gw_room)	 entry;
	enum gw_kind		 kind;
	char			*name;
	char			*full;		/* "village:demo" */
	TAILQ_HEAD(, gw_sub)	 subs;
};

/* A queued blob. */
struct gw_out {
	TAILQ_ENTRY(gw_out)	 entry;
	struct gw_blob		*blob;
};

static TAILQ_HEAD(, gw_client)	gw_clients = TAILQ_HEAD_INITIALIZER(gw_clients);
static TAILQ_HEAD(, gw_room)	gw_rooms = TAILQ_HEAD_INITIALIZER(gw_rooms);
static struct event		*gw_reap_ev;
static int			 gw_inited;
static int			 gw_shut;
static int			 gw_nclients;
static uint64_t			 gw_next_id;

static struct {
	uint64_t	open[GW__PROTOS];
	uint64_t	total[GW__PROTOS];
	uint64_t	refused;
	uint64_t	slow;
	uint64_t	rate_limited;
	uint64_t	replayed;
	uint64_t	sent;
} gw_stats;

static void	gw_client_pump(struct gw_client *);
static void	gw_replay_schedule(struct gw_client *);

/* A room by kind and id, or NULL. */
static struct gw_room *
gw_room_find(enum gw_kind kind, const char *name)
{
	struct gw_room	*r;

	TAILQ_FOREACH(r, &gw_rooms, entry)
		if (r->kind == kind && strcmp(r->name, name) == 0)
			return (r);
	return (NULL);
}

/* Whether a session's events go to a room. */
static int
gw_room_match(struct gw_room *r, struct session *s)
{
	switch (r->kind) {
	case GW_VILLAGE:
		return (s->village_id != NULL &&
		    strcmp(s->village_id, r->name) == 0);
	case GW_AGENT:
		return (strcmp(s->agent_id, r->name) == 0);
	case GW_SESSION:
		return (strcmp(s->id, r->name) == 0);
	default:
		return (0);
	}
}

/* A subscription's cursor for a session, or NULL. */
static struct gw_cursor *
gw_cursor_find(struct gw_sub *sub, const char *sid)
{
	struct gw_cursor	*cur;

	TAILQ_FOREACH(cur, &sub->cursors, entry)
		if (strcmp(cur->sid, sid) == 0)
			return (cur);
	return (NULL);
}

/* Start following a session at seq. */
static struct gw_cursor *
gw_cursor_add(struct gw_sub *sub, const char *sid, uint64_t seq)
{
	struct gw_cursor	*cur;

	cur = xcalloc(1, sizeof *cur);
	snprintf(cur->sid, sizeof cur->sid, "%s", sid);
	cur->seq = seq;
	TAILQ_INSERT_TAIL(&sub->cursors, cur, entry);
	return (cur);
}

/* Leave a room; the room goes with its last subscriber. */
static void
gw_sub_free(struct gw_sub *sub)
{
	struct gw_client	*c = sub->client;
	struct gw_room		*r = sub->room;
	struct gw_cursor	*cur;

	while ((cur = TAILQ_FIRST(&sub->cursors)) != NULL) {
		TAILQ_REMOVE(&sub->cursors, cur, entry);
		free(cur);
	}
	TAILQ_REMOVE(&c->subs, sub, centry);
	c->nsubs--;
	TAILQ_REMOVE(&r->subs, sub, rentry);
	if (TAILQ_EMPTY(&r->subs)) {
		TAILQ_REMOVE(&gw_rooms, r, entry);
		free(r->name);
		free(r->full);
		free(r);
	}
	free(sub);
}

/* A client's subscription to a room, or NULL. */
static struct gw_sub *
gw_sub_find(struct gw_client *c, enum gw_kind kind, const char *name)
{
	struct gw_sub	*sub;

	TAILQ_FOREACH(sub, &c->subs, centry)
		if (sub->room->kind == kind && strcmp(sub->room->name,
		    name) == 0)
			return (sub);
	return (NULL);
}

/* A cursor value from JSON: a non-negative integer or a string of digits. */
static int
gw_seq_value(struct json_object *v, uint64_t *out)
{
	const char	*s;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return (-1);
		*out = (uint64_t)json_object_get_int64(v);
		return (0);
	}
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		return (gw_name_seq(s, out));
	}
	return (-1);
}

/* The cursor a subscription starts from, as the client sees it. */
static struct json_object *
gw_sub_cursor(struct gw_sub *sub)
{
	struct gw_cursor	*cur;
	struct json_object	*o;

	if (sub->room->kind != GW_VILLAGE) {
		cur = TAILQ_FIRST(&sub->cursors);
		if (cur == NULL || TAILQ_NEXT(cur, entry) == NULL)
			return (json_object_new_int64(cur != NULL ?
			    (int64_t)cur->seq : 0));
	}
	o = json_object_new_object();
	TAILQ_FOREACH(cur, &sub->cursors, entry)
		json_object_object_add(o, cur->sid,
		    json_object_new_int64((int64_t)cur->seq));
	return (o);
}

/*
 * Join a room with an optional cursor (since: a seq for agent and session
 * rooms, an object {sessionId: seq} for any room, 0 for a village room to
 * mean every session from its start). Sessions of the room start at their
 * cursor, or at their last seq (live) without one; in an object, a session
 * of the room that is absent starts at 0. 0 and the starting cursor, or -1
 * with a cause.
 */
int
gateway_subscribe(struct gw_client *c, enum gw_kind kind, const char *name,
    struct json_object *since, struct json_object **cursor, char *cause,
    size_t causelen)
{
	struct gw_room		*r;
	struct gw_sub		*sub;
	struct gw_cursor	*cur;
	struct session		*s;
	struct json_object	*v;
	uint64_t		 start, num = 0, val;
	int			 behind = 0, per_session = 0;

	*cursor = NULL;
	if (!gw_name_valid(name)) {
		snprintf(cause, causelen, "bad %s id", gw_name_kind(kind));
		return (-1);
	}
	if ((sub = gw_sub_find(c, kind, name)) != NULL) {
		*cursor = gw_sub_cursor(sub);
		return (0);
	}
	if (c->nsubs >= GW_MAX_SUBS) {
		snprintf(cause, causelen, "too many rooms on one connection "
		    "(at most %d)", GW_MAX_SUBS);
		return (-1);
	}
	if (since != NULL && json_object_is_type(since, json_type_object)) {
		per_session = 1;
		json_object_object_foreach(since, k, sv) {
			(void)k;
			if (gw_seq_value(sv, &val) == -1) {
				snprintf(cause, causelen, "since: cursor values "
				    "must be seqs");
				return (-1);
			}
		}
	} else if (since != NULL && gw_seq_value(since, &num) == -1) {
		snprintf(cause, causelen, "since: must be a seq or an object "
		    "{sessionId: seq}");
		return (-1);
	} else if (since != NULL && kind == GW_VILLAGE) {
		/* A seq means nothing across sessions; 0 is "from the start". */
		if (num != 0) {
			snprintf(cause, causelen, "since: a village cursor is "
			    "an object {sessionId: seq}, or 0 for everything");
			return (-1);
		}
		per_session = 1;
	}

	if ((r = gw_room_find(kind, name)) == NULL) {
		r = xcalloc(1, sizeof *r);
		r->kind = kind;
		r->name = xstrdup(name);
		r->full = xasprintf("%s:%s", gw_name_kind(kind), name);
		TAILQ_INIT(&r->subs);
		TAILQ_INSERT_TAIL(&gw_rooms, r, entry);
	}
	sub = xcalloc(1, sizeof *sub);
	sub->client = c;
	sub->room = r;
	TAILQ_INIT(&sub->cursors);
	TAILQ_INSERT_TAIL(&r->subs, sub, rentry);
	TAILQ_INSERT_TAIL(&c->subs, sub, centry);
	c->nsubs++;

	for (s = session_first(); s != NULL; s = session_next(s)) {
		if (!gw_room_match(r, s))
			continue;
		start = s->last_seq;
		if (per_session) {
			start = 0;
			if (json_object_is_type(since, json_type_object) &&
			    json_object_object_get_ex(since, s->id, &v))
				gw_seq_value(v, &start);
		} else if (since != NULL)
			start = num;
		if (start > s->last_seq)
			start = s->last_seq;
		cur = gw_cursor_add(sub, s->id, start);
		if (start < s->last_seq) {
			cur->behind = 1;
			behind = 1;
		}
	}
	*cursor = gw_sub_cursor(sub);
	if (behind)
		gw_replay_schedule(c);
	log_debug("gateway: client %" PRIu64 " joined %s", c->id, r->full);
	return (0);
}

/* Leave one room, or every room of a kind when name is NULL. */
void
gateway_unsubscribe(struct gw_client *c, enum gw_kind kind, const char *name)
{
	struct gw_sub	*sub, *next;

	for (sub = TAILQ_FIRST(&c->subs); sub != NULL; sub = next) {
		next = TAILQ_NEXT(sub, centry);
		if (sub->room->kind == kind && (name == NULL ||
		    strcmp(sub->room->name, name) == 0))
			gw_sub_free(sub);
	}
}

/* Leave every room (Socket.IO: the client left "/"). */
void
gateway_leave_all(struct gw_client *c)
{
	struct gw_sub	*sub;

	while ((sub = TAILQ_FIRST(&c->subs)) != NULL)
		gw_sub_free(sub);
}

/* Joins are rate-limited per connection, with an error, not a close. */
int
gateway_join_allowed(struct gw_client *c)
{
	int64_t	now = mono_ms();

	if (now - c->join_window >= GW_JOIN_WINDOW_MS) {
		c->join_window = now;
		c->joins = 0;
	}
	if (++c->joins <= GW_JOIN_MAX)
		return (1);
	gw_stats.rate_limited++;
	return (0);
}

/* Drop the encodings made for one event. */
static void
gw_enc_release(struct gw_enc *e)
{
	size_t	i;

	gw_blob_unref(e->wse);
	gw_blob_unref(e->spawn);
	gw_blob_unref(e->disc);
	for (i = 0; i < GW__KINDS; i++)
		gw_blob_unref(e->ws[i]);
	gw_blob_unref(e->sse);
}

/* Fill an encoding context from a recorded event. */
static void
gw_enc_init(struct gw_enc *e, struct session *s, struct json_object *ev,
    const char *line, size_t len)
{
	struct json_object	*v;

	memset(e, 0, sizeof *e);
	e->s = s;
	e->ev = ev;
	e->line = line;
	e->len = len;
	e->tname = "UNKNOWN";
	e->type = -1;
	if (json_object_object_get_ex(ev, "type", &v) &&
	    json_object_is_type(v, json_type_string)) {
		e->tname = json_object_get_string(v);
		e->type = event_type_from_name(e->tname);
	}
	if (json_object_object_get_ex(ev, "seq", &v))
		e->seq = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(ev, "ts", &v))
		e->ts = json_object_get_int64(v);
	else
		e->ts = now_ms();
}

/* Bytes waiting for a client: its queue and what its transport holds. */
static size_t
gw_client_queued(struct gw_client *c)
{
	size_t	n = c->outq_bytes;

	if (!c->dying)
		n += c->tr->pending(c->tr_arg);
	return (n);
}

/* Drop whatever is queued for a client. */
static void
gw_client_drop(struct gw_client *c)
{
	struct gw_out	*o;

	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, o, entry);
		gw_blob_unref(o->blob);
		free(o);
	}
	c->outq_bytes = 0;
}

/* A subscriber that falls behind is dropped, with the reason, at once. */
static void
gw_client_slow(struct gw_client *c, size_t want)
{
	gw_stats.slow++;
	log_warnx("gateway: %s client %" PRIu64 " (%s) too slow: %zu bytes "
	    "queued, %zu more would pass the limit of %zu; disconnecting",
	    gw_proto_names[c->tr->proto], c->id, c->peer, gw_client_queued(c),
	    want, server_cfg->gateway_max_buffer_bytes);
	gw_client_drop(c);
	/* The reason goes straight behind what the socket holds. */
	if (c->tr->slow != NULL)
		c->tr->slow(c->tr_arg);
	gateway_client_close(c, 1013, "subscriber too slow");
}

/* Queue one blob for a client (a reference), then pump. */
void
gateway_client_push(struct gw_client *c, struct gw_blob *blob)
{
	struct gw_out	*o;

	if (blob == NULL || c->closing || c->dying)
		return;
	if (gw_client_queued(c) + blob->len >
	    server_cfg->gateway_max_buffer_bytes) {
		gw_client_slow(c, blob->len);
		return;
	}
	o = xmalloc(sizeof *o);
	o->blob = gw_blob_ref(blob);
	TAILQ_INSERT_TAIL(&c->outq, o, entry);
	c->outq_bytes += blob->len;
	gw_client_pump(c);
}

/* Queue private bytes (an ack, an error) in order with the events. */
void
gateway_client_push_bytes(struct gw_client *c, const char *data, size_t len)
{
	struct gw_blob	*b;

	b = gw_blob_new(data, len);
	gateway_client_push(c, b);
	gw_blob_unref(b);
}

/* Hand queued blobs to the transport while it holds little. */
static void
gw_client_pump(struct gw_client *c)
{
	struct gw_out	*o;

	while (!c->closing && !c->dying &&
	    (o = TAILQ_FIRST(&c->outq)) != NULL) {
		if (c->tr->pending(c->tr_arg) >= GW_PUMP_HIGH)
			break;
		c->tr->send(c->tr_arg, o->blob);
		TAILQ_REMOVE(&c->outq, o, entry);
		c->outq_bytes -= o->blob->len;
		gw_blob_unref(o->blob);
		free(o);
		gw_stats.sent++;
	}
	if (c->finishing && !c->closing && !c->dying &&
	    TAILQ_EMPTY(&c->outq)) {
		c->closing = 1;
		c->tr->close(c->tr_arg, 1000, "end of stream");
	}
}

/* Deliver one event through one subscription, in the client's form. */
static void
gw_deliver(struct gw_client *c, struct gw_sub *sub, struct gw_enc *e)
{
	c->tr->deliver(c, sub->room->kind, sub->room->full, e);
	if (c->follow && e->type == EV_SESSION_ENDED) {
		c->finishing = 1;
		gw_client_pump(c);
	}
}

/* A live event for one subscription: the next one, or left to replay. */
static void
gw_sub_live(struct gw_sub *sub, struct gw_enc *e)
{
	struct gw_client	*c = sub->client;
	struct gw_cursor	*cur;

	if (c->dying || c->closing)
		return;
	if ((cur = gw_cursor_find(sub, e->s->id)) == NULL)
		cur = gw_cursor_add(sub, e->s->id, 0);
	if (cur->behind || e->seq <= cur->seq)
		return;
	if (e->seq != cur->seq + 1) {
		/* Not expected; the log has what is missing. */
		cur->behind = 1;
		gw_replay_schedule(c);
		return;
	}
	gw_deliver(c, sub, e);
	cur->seq = e->seq;
}

/* The session listener: every recorded event, after it is in the log. */
static void
gw_session_cb(struct session *s, struct json_object *ev, enum event_type t,
    const char *line, size_t len)
{
	struct gw_enc	 e;
	struct gw_room	*r;
	struct gw_sub	*sub;
	const char	*names[GW__KINDS];
	size_t		 k;

	if (gw_nclients == 0 || TAILQ_EMPTY(&gw_rooms))
		return;
	gw_enc_init(&e, s, ev, line, len);
	names[GW_VILLAGE] = s->village_id;
	names[GW_AGENT] = s->agent_id;
	names[GW_SESSION] = s->id;
	for (k = 0; k < GW__KINDS; k++) {
		if (names[k] == NULL ||
		    (r = gw_room_find((enum gw_kind)k, names[k])) == NULL)
			continue;
		TAILQ_FOREACH(sub, &r->subs, rentry)
			gw_sub_live(sub, &e);
	}
	gw_enc_release(&e);
}

/* Catch up from the log from the loop, not from here. */
static void
gw_replay_schedule(struct gw_client *c)
{
	c->replaying = 1;
	if (c->replay_ev != NULL && !c->dying && !c->closing)
		event_active(c->replay_ev, 0, 0);
}

/* How much a replay leaves queued before waiting for the client. */
static size_t
gw_replay_low(void)
{
	size_t	half = server_cfg->gateway_max_buffer_bytes / 2;

	return (half < GW_REPLAY_LOW ? half : GW_REPLAY_LOW);
}

/*
 * Read one cursor's events from the log and deliver them, at most *budget
 * and while the client holds less than gw_replay_low(): what was read past
 * that is read again next time. -1 if the client was closed.
 */
static int
gw_replay_cursor(struct gw_client *c, struct gw_sub *sub,
    struct gw_cursor *cur, int *budget)
{
	struct session		*s;
	struct evbuffer		*buf;
	struct json_tokener	*tok;
	struct json_object	*ev;
	struct gw_enc		 e;
	const char		*p, *why = NULL;
	size_t			 count, len, off, end, i, low = gw_replay_low();
	uint64_t		 last;
	int			 full = 0;

	if ((s = session_find(cur->sid)) == NULL) {
		/* Deleted: there is nothing more to read or to wait for. */
		cur->behind = 0;
		if (c->follow) {
			c->finishing = 1;
			gw_client_pump(c);
		}
		return (0);
	}
	buf = evbuffer_new();
	tok = json_tokener_new();
	while (*budget > 0 && cur->seq < s->last_seq && !c->closing &&
	    !c->dying && !full && why == NULL) {
		if (session_events_write(s, cur->seq, *budget <
		    GW_REPLAY_BATCH ? (size_t)*budget : GW_REPLAY_BATCH, buf,
		    &count, &last) == -1 || count == 0) {
			why = "cannot read the event log";
			break;
		}
		len = evbuffer_get_length(buf);
		p = (const char *)evbuffer_pullup(buf, -1);
		for (i = 0, off = 0; i < count && off < len && !c->closing;
		    i++) {
			if (gw_client_queued(c) >= low) {
				full = 1;
				break;
			}
			json_tokener_reset(tok);
			ev = json_tokener_parse_ex(tok, p + off,
			    (int)(len - off));
			end = json_tokener_get_parse_end(tok);
			if (ev == NULL) {
				why = "unreadable event in the log";
				break;
			}
			gw_enc_init(&e, s, ev, p + off, end);
			if (e.seq == cur->seq + 1) {
				gw_deliver(c, sub, &e);
				cur->seq = e.seq;
				gw_stats.replayed++;
			} else
				why = "seq out of order in the log";
			gw_enc_release(&e);
			json_object_put(ev);
			if (why != NULL)
				break;
			off += end;
			if (off < len && p[off] == ',')
				off++;
			(*budget)--;
		}
		evbuffer_drain(buf, len);
	}
	json_tokener_free(tok);
	evbuffer_free(buf);
	if (why != NULL) {
		log_warnx("gateway: session %s: %s after seq %" PRIu64, s->id,
		    why, cur->seq);
		gateway_client_close(c, 1011, why);
		return (-1);
	}
	if (cur->seq >= s->last_seq)
		cur->behind = 0;
	return (c->closing || c->dying ? -1 : 0);
}

/* Catch up every cursor that is behind, a bounded amount per loop turn. */
static void
gw_replay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_client	*c = arg;
	struct gw_sub		*sub;
	struct gw_cursor	*cur;
	int			 budget = GW_REPLAY_BUDGET, more = 0;

	if (c->dying || c->closing)
		return;
	TAILQ_FOREACH(sub, &c->subs, centry) {
		TAILQ_FOREACH(cur, &sub->cursors, entry) {
			if (!cur->behind)
				continue;
			if (gw_replay_cursor(c, sub, cur, &budget) == -1)
				return;
			if (c->closing || c->dying)
				return;
			if (cur->behind)
				more = 1;
			if (budget == 0 ||
			    gw_client_queued(c) >= gw_replay_low())
				goto out;
		}
	}
out:
	if (!more) {
		TAILQ_FOREACH(sub, &c->subs, centry)
			TAILQ_FOREACH(cur, &sub->cursors, entry)
				if (cur->behind)
					more = 1;
	}
	if (!more) {
		c->replaying = 0;
		return;
	}
	/* More to read: next turn, or when the client drains. */
	if (gw_client_queued(c) < gw_replay_low())
		event_active(c->replay_ev, 0, 0);
}

/* A transport has room again: pump, then resume replay. */
void
gateway_client_drained(struct gw_client *c)
{
	if (c->dying || c->closing)
		return;
	gw_client_pump(c);
	if (c->replaying && gw_client_queued(c) < gw_replay_low())
		event_active(c->replay_ev, 0, 0);
}

/* Free a client: its rooms and queue (the transport keeps its own). */
void
gateway_client_free(struct gw_client *c)
{
	struct gw_sub	*sub;

	while ((sub = TAILQ_FIRST(&c->subs)) != NULL)
		gw_sub_free(sub);
	gw_client_drop(c);
	if (c->replay_ev != NULL)
		event_free(c->replay_ev);
	TAILQ_REMOVE(&gw_clients, c, entry);
	gw_nclients--;
	gw_stats.open[c->tr->proto]--;
	free(c);
}

/* Free the clients whose transport is gone, from the loop. */
static void
gw_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_client	*c, *next;

	for (c = TAILQ_FIRST(&gw_clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dying)
			gateway_client_free(c);
	}
}

/* A transport is gone: mark the client, reap it from the loop. */
void
gateway_client_gone(struct gw_client *c)
{
	if (c->dying)
		return;
	c->dying = 1;
	log_info("gateway: %s client %" PRIu64 " (%s) disconnected",
	    gw_proto_names[c->tr->proto], c->id, c->peer);
	if (gw_reap_ev != NULL)
		event_active(gw_reap_ev, 0, 0);
}

/* End a client from our side; its transport reports when it is gone. */
void
gateway_client_close(struct gw_client *c, int code, const char *reason)
{
	if (c->closing || c->dying)
		return;
	c->closing = 1;
	log_info("gateway: %s client %" PRIu64 " (%s): closing: %s (%d)",
	    gw_proto_names[c->tr->proto], c->id, c->peer, reason, code);
	gw_client_drop(c);
	c->tr->close(c->tr_arg, code, reason);
}

/* A client with nothing queued and no room. */
struct gw_client *
gateway_client_new(const struct gw_transport *tr, void *arg, const char *peer)
{
	struct gw_client	*c;

	c = xcalloc(1, sizeof *c);
	c->id = ++gw_next_id;
	c->tr = tr;
	c->tr_arg = arg;
	TAILQ_INIT(&c->outq);
	TAILQ_INIT(&c->subs);
	snprintf(c->peer, sizeof c->peer, "%s", peer != NULL ? peer : "?");
	c->replay_ev = event_new(server_base, -1, 0, gw_replay_cb, c);
	c->join_window = mono_ms();
	TAILQ_INSERT_TAIL(&gw_clients, c, entry);
	gw_nclients++;
	gw_stats.open[tr->proto]++;
	gw_stats.total[tr->proto]++;
	return (c);
}

/* Shutting down: no new connection is taken. */
int
gateway_shutting_down(void)
{
	return (gw_shut || server_exiting);
}

/* The connection limit and shutdown, checked before any upgrade. */
int
gateway_admit(char *msg, size_t msglen)
{
	if (gw_shut || server_exiting || !gw_inited) {
		snprintf(msg, msglen, "runnerd is shutting down");
		gw_stats.refused++;
		return (0);
	}
	if (gw_nclients >= server_cfg->gateway_max_connections) {
		snprintf(msg, msglen, "too many real-time connections (%d, "
		    "gateway_max_connections); try again later", gw_nclients);
		gw_stats.refused++;
		return (0);
	}
	return (1);
}

/* A client following one session from a seq (SSE). */
struct gw_client *
gateway_follow(const struct gw_transport *tr, void *arg, struct session *s,
    uint64_t after, const char *peer)
{
	struct gw_client	*c;
	struct json_object	*since, *cursor = NULL;
	char			 cause[128];

	c = gateway_client_new(tr, arg, peer);
	c->follow = 1;
	since = json_object_new_int64((int64_t)(after > INT64_MAX ?
	    INT64_MAX : after));
	if (gateway_subscribe(c, GW_SESSION, s->id, since, &cursor, cause,
	    sizeof cause) == -1)
		log_warnx("gateway: sse: %s", cause);
	json_object_put(since);
	json_object_put(cursor);
	log_info("gateway: sse client %" PRIu64 " (%s) follows session %s "
	    "after %" PRIu64, c->id, c->peer, s->id, after);
	/* An ended session whose end the client has seen: nothing to send. */
	if (s->ended && after >= s->last_seq) {
		c->finishing = 1;
		gw_client_pump(c);
	}
	return (c);
}

/* ---- WebSocket transports: Socket.IO and /ws ---- */

/* Start listening to sessions; needs server_base. */
void
gateway_init(void)
{
	if (gw_inited)
		return;
	gw_inited = 1;
	session_add_listener(gw_session_cb);
	gw_reap_ev = event_new(server_base, -1, 0, gw_reap_cb, NULL);
}

/* Close every client now and refuse new ones. */
void
gateway_shutdown(void)
{
	struct gw_client	*c;
	int			 n = 0;

	gw_shut = 1;
	while ((c = TAILQ_FIRST(&gw_clients)) != NULL) {
		if (!c->dying) {
			n++;
			c->tr->abort(c->tr_arg);
		}
		gateway_client_free(c);
	}
	if (gw_reap_ev != NULL) {
		event_free(gw_reap_ev);
		gw_reap_ev = NULL;
	}
	if (n > 0)
		log_info("gateway: closed %d connections", n);
}

/* One metric by transport: HELP, TYPE and a line per transport. */
static void
gw_metrics_per_proto(struct evbuffer *out, const char *name,
    const char *help, const char *type, const uint64_t *v)
{
	size_t	i;

	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
	for (i = 0; i < GW__PROTOS; i++)
		evbuffer_add_printf(out, "%s{transport=\"%s\"} %" PRIu64 "\n",
		    name, gw_proto_names[i], v[i]);
}

/* The gateway's counters in the Prometheus text format. */
void
gateway_metrics(struct evbuffer *out)
{
	gw_metrics_per_proto(out, "runnerd_gateway_connections",
	    "Open real-time connections.", "gauge", gw_stats.open);
	gw_metrics_per_proto(out, "runnerd_gateway_connections_total",
	    "Real-time connections accepted.", "counter", gw_stats.total);
	evbuffer_add_printf(out,
	    "# HELP runnerd_gateway_refused_total Connections refused "
	    "(limit or shutdown).\n"
	    "# TYPE runnerd_gateway_refused_total counter\n"
	    "runnerd_gateway_refused_total %" PRIu64 "\n"
	    "# HELP runnerd_gateway_slow_disconnects_total Subscribers "
	    "disconnected for falling behind.\n"
	    "# TYPE runnerd_gateway_slow_disconnects_total counter\n"
	    "runnerd_gateway_slow_disconnects_total %" PRIu64 "\n"
	    "# HELP runnerd_gateway_rate_limited_total Joins refused by the "
	    "rate limit.\n"
	    "# TYPE runnerd_gateway_rate_limited_total counter\n"
	    "runnerd_gateway_rate_limited_total %" PRIu64 "\n"
	    "# HELP runnerd_gateway_replayed_events_total Events replayed "
	    "from the log.\n"
	    "# TYPE runnerd_gateway_replayed_events_total counter\n"
	    "runnerd_gateway_replayed_events_total %" PRIu64 "\n"
	    "# HELP runnerd_gateway_messages_sent_total Messages handed to "
	    "transports.\n"
	    "# TYPE runnerd_gateway_messages_sent_total counter\n"
	    "runnerd_gateway_messages_sent_total %" PRIu64 "\n",
	    gw_stats.refused, gw_stats.slow, gw_stats.rate_limited,
	    gw_stats.replayed, gw_stats.sent);
}
