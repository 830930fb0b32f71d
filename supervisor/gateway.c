/*
 * The real-time gateway: Socket.IO and /ws clients over WebSocket, and SSE
 * (sse.c), subscribed to rooms village:<id>, agent:<id> and session:<id>.
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
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "auth.h"
#include "conf.h"
#include "event.h"
#include "gateway.h"
#include "log.h"
#include "mapping.h"
#include "server.h"
#include "session.h"
#include "sio.h"
#include "sse.h"
#include "util.h"
#include "ws.h"

#define GW_PUMP_HIGH		(256 * 1024)	/* handed to a transport */
#define GW_REPLAY_LOW		(512 * 1024)	/* replay reads below this */
#define GW_REPLAY_BATCH		64		/* events per log read */
#define GW_REPLAY_BUDGET	512		/* events per loop turn */
#define GW_MAX_SUBS		64		/* rooms per connection */
#define GW_JOIN_MAX		20		/* joins per window */
#define GW_JOIN_WINDOW_MS	5000
#define GW_CONNECT_TIMEOUT_MS	45000		/* Socket.IO CONNECT */
#define GW_NAME_MAX		128		/* a room's id */
/* How we write JSON: compact, and "/" left alone. */
#define GW_JSON	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

enum gw_proto {
	GW_SIO,
	GW_WS,
	GW_SSE,
	GW__PROTOS
};

static const char *const gw_proto_names[] = { "socket.io", "ws", "sse" };

enum gw_kind {
	GW_VILLAGE,
	GW_AGENT,
	GW_SESSION,
	GW__KINDS
};

static const char *const gw_kind_names[] = { "village", "agent", "session" };

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

struct gw_client {
	TAILQ_ENTRY(gw_client)	 entry;
	uint64_t		 id;
	enum gw_proto		 proto;
	const struct gw_transport *tr;		/* SSE */
	void			*tr_arg;
	struct ws_conn		*ws;		/* Socket.IO and /ws */
	struct sio_conn		*sio;
	int			 dying;		/* transport gone; reap */
	int			 closing;	/* we ended it: no output */
	int			 finishing;	/* end once the queue is out */
	int			 replaying;
	TAILQ_HEAD(, gw_out)	 outq;
	size_t			 outq_bytes;
	TAILQ_HEAD(, gw_sub)	 subs;
	int			 nsubs;
	struct event		*replay_ev;
	int64_t			 join_window;
	int			 joins;
	int			 authed;
	struct auth_result	 who;
	struct json_object	*auth_since;	/* Socket.IO auth.since */
	char			 peer[80];
};

/* The encodings of one event, made on first use. */
struct gw_enc {
	struct session		*s;
	struct json_object	*ev;
	int			 type;
	const char		*tname;
	const char		*line;
	size_t			 len;
	uint64_t		 seq;
	int64_t			 ts;
	int			 wse_done;
	struct gw_blob		*wse;
	struct gw_blob		*spawn;
	struct gw_blob		*disc;
	struct gw_blob		*ws[GW__KINDS];
	struct gw_blob		*sse;
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
static void	gw_client_close(struct gw_client *, int, const char *);
static void	gw_replay_schedule(struct gw_client *);

/* A blob holding a copy of data, with one reference. */
struct gw_blob *
gateway_blob_new(const void *data, size_t len)
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
gateway_blob_ref(struct gw_blob *b)
{
	b->refs++;
	return (b);
}

/* One holder less; the last one frees it. */
void
gateway_blob_unref(struct gw_blob *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

/* A blob holding an evbuffer's bytes; the evbuffer is emptied. */
static struct gw_blob *
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

/* A room's id: 1 to GW_NAME_MAX printable characters, no quotes. */
static int
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

/* "village:demo" into a kind and a pointer to the id; -1 if malformed. */
static int
gw_room_parse(const char *full, enum gw_kind *kind, const char **name)
{
	size_t	i, n;

	for (i = 0; i < GW__KINDS; i++) {
		n = strlen(gw_kind_names[i]);
		if (strncmp(full, gw_kind_names[i], n) == 0 &&
		    full[n] == ':' && gw_name_valid(full + n + 1)) {
			*kind = (enum gw_kind)i;
			*name = full + n + 1;
			return (0);
		}
	}
	return (-1);
}

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
		return (sse_last_event_id(s, out));
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
static int
gw_subscribe(struct gw_client *c, enum gw_kind kind, const char *name,
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
		snprintf(cause, causelen, "bad %s id", gw_kind_names[kind]);
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
		r->full = xasprintf("%s:%s", gw_kind_names[kind], name);
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
static void
gw_unsubscribe(struct gw_client *c, enum gw_kind kind, const char *name)
{
	struct gw_sub	*sub, *next;

	for (sub = TAILQ_FIRST(&c->subs); sub != NULL; sub = next) {
		next = TAILQ_NEXT(sub, centry);
		if (sub->room->kind == kind && (name == NULL ||
		    strcmp(sub->room->name, name) == 0))
			gw_sub_free(sub);
	}
}

/* Joins are rate-limited per connection, with an error, not a close. */
static int
gw_join_allowed(struct gw_client *c)
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

/* "local" for a local repository's path, else provider:owner/name. */
static char *
gw_repo_path(struct session *s)
{
	struct json_object	*r, *v;
	const char		*prov = NULL, *owner = NULL, *name = NULL;

	if (s->record == NULL ||
	    !json_object_object_get_ex(s->record, "repoRef", &r))
		return (NULL);
	if (json_object_object_get_ex(r, "provider", &v))
		prov = json_object_get_string(v);
	if (prov != NULL && strcmp(prov, "local") == 0) {
		if (json_object_object_get_ex(r, "path", &v))
			return (xstrdup(json_object_get_string(v)));
		return (NULL);
	}
	if (json_object_object_get_ex(r, "owner", &v))
		owner = json_object_get_string(v);
	if (json_object_object_get_ex(r, "name", &v))
		name = json_object_get_string(v);
	if (prov == NULL || owner == NULL || name == NULL)
		return (NULL);
	return (xasprintf("%s:%s/%s", prov, owner, name));
}

/* 42["name",arg] as a blob. */
static struct gw_blob *
gw_sio_blob(const char *name, struct json_object *arg)
{
	struct evbuffer	*b;
	struct gw_blob	*blob;
	const char	*s;
	size_t		 len;

	b = evbuffer_new();
	s = json_object_to_json_string_length(arg, GW_JSON,
	    &len);
	sio_encode_event(b, "/", SIO_NO_ACK, name, s, len);
	blob = gw_blob_from(b);
	evbuffer_free(b);
	return (blob);
}

/* work_stream_event (DESIGN section 5) with seq, or NULL if not shown. */
static struct gw_blob *
gw_enc_wse(struct gw_enc *e)
{
	struct json_object	*o;

	if (e->wse_done)
		return (e->wse);
	e->wse_done = 1;
	if ((o = mapping_work_stream_event(e->ev, e->s->agent_id)) == NULL)
		return (NULL);
	json_object_object_add(o, "seq", json_object_new_int64(
	    (int64_t)e->seq));
	e->wse = gw_sio_blob("work_stream_event", o);
	json_object_put(o);
	return (e->wse);
}

/* agent_spawn, sent to the village with a session's first event. */
static struct gw_blob *
gw_enc_spawn(struct gw_enc *e)
{
	struct json_object	*o;
	char			*repo;

	if (e->spawn != NULL)
		return (e->spawn);
	repo = gw_repo_path(e->s);
	o = mapping_agent_spawn(e->s->agent_id, e->s->id, e->s->provider_id,
	    e->s->agent_name != NULL ? e->s->agent_name : e->s->agent_id,
	    repo, e->ts);
	free(repo);
	e->spawn = gw_sio_blob("agent_spawn", o);
	json_object_put(o);
	return (e->spawn);
}

/* agent_disconnect, sent to the village after SESSION_ENDED. */
static struct gw_blob *
gw_enc_disc(struct gw_enc *e)
{
	struct json_object	*o;

	if (e->disc != NULL)
		return (e->disc);
	o = mapping_agent_disconnect(e->s->agent_id, e->s->id, e->ts);
	e->disc = gw_sio_blob("agent_disconnect", o);
	json_object_put(o);
	return (e->disc);
}

/* {"room","event","sessionId","seq","data"} for /ws, one per room. */
static struct gw_blob *
gw_enc_ws(struct gw_enc *e, struct gw_room *r)
{
	struct evbuffer	*b;

	if (e->ws[r->kind] != NULL)
		return (e->ws[r->kind]);
	b = evbuffer_new();
	/* Room ids hold no quote or backslash (gw_name_valid). */
	evbuffer_add_printf(b, "{\"room\":\"%s\",\"event\":\"%s\","
	    "\"sessionId\":\"%s\",\"seq\":%" PRIu64 ",\"data\":", r->full,
	    e->tname, e->s->id, e->seq);
	evbuffer_add(b, e->line, e->len);
	evbuffer_add(b, "}", 1);
	e->ws[r->kind] = gw_blob_from(b);
	evbuffer_free(b);
	return (e->ws[r->kind]);
}

/* The SSE form of the event. */
static struct gw_blob *
gw_enc_sse(struct gw_enc *e)
{
	if (e->sse == NULL)
		e->sse = sse_encode(e->seq, e->tname, e->line, e->len);
	return (e->sse);
}

/* Drop the encodings made for one event. */
static void
gw_enc_release(struct gw_enc *e)
{
	size_t	i;

	gateway_blob_unref(e->wse);
	gateway_blob_unref(e->spawn);
	gateway_blob_unref(e->disc);
	for (i = 0; i < GW__KINDS; i++)
		gateway_blob_unref(e->ws[i]);
	gateway_blob_unref(e->sse);
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

	if (c->ws != NULL)
		n += ws_pending(c->ws);
	else if (c->tr != NULL && !c->dying)
		n += c->tr->pending(c->tr_arg);
	return (n);
}

/* A subscriber that falls behind is dropped, with the reason, at once. */
static void
gw_client_slow(struct gw_client *c, size_t want)
{
	struct gw_out		*o;
	struct json_object	*err, *e;
	struct evbuffer		*b;
	const char		*s;
	size_t			 len;

	gw_stats.slow++;
	log_warnx("gateway: %s client %" PRIu64 " (%s) too slow: %zu bytes "
	    "queued, %zu more would pass the limit of %zu; disconnecting",
	    gw_proto_names[c->proto], c->id, c->peer, gw_client_queued(c),
	    want, server_cfg->gateway_max_buffer_bytes);
	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, o, entry);
		gateway_blob_unref(o->blob);
		free(o);
	}
	c->outq_bytes = 0;
	if (c->ws != NULL) {
		/* The reason goes straight behind what the socket holds. */
		b = evbuffer_new();
		err = json_object_new_object();
		e = json_object_new_object();
		json_object_object_add(e, "code",
		    json_object_new_string("SLOW_CONSUMER"));
		json_object_object_add(e, "message", json_object_new_string(
		    "subscriber too slow: output buffer limit reached; "
		    "reconnect with your cursor to resume"));
		if (c->proto == GW_SIO) {
			json_object_object_add(err, "ok",
			    json_object_new_boolean(0));
			json_object_object_add(err, "error", e);
			s = json_object_to_json_string_length(err,
			    GW_JSON, &len);
			sio_encode_event(b, "/", SIO_NO_ACK, "ws_error", s,
			    len);
		} else {
			json_object_object_add(err, "op",
			    json_object_new_string("error"));
			json_object_object_add(err, "code", json_object_get(
			    json_object_object_get(e, "code")));
			json_object_object_add(err, "message",
			    json_object_get(json_object_object_get(e,
			    "message")));
			json_object_put(e);
			s = json_object_to_json_string_length(err,
			    GW_JSON, &len);
			evbuffer_add(b, s, len);
		}
		ws_send(c->ws, evbuffer_pullup(b, -1), evbuffer_get_length(b));
		json_object_put(err);
		evbuffer_free(b);
	}
	gw_client_close(c, 1013, "subscriber too slow");
}

/* Queue one blob for a client (a reference), then pump. */
static void
gw_client_push(struct gw_client *c, struct gw_blob *blob)
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
	o->blob = gateway_blob_ref(blob);
	TAILQ_INSERT_TAIL(&c->outq, o, entry);
	c->outq_bytes += blob->len;
	gw_client_pump(c);
}

/* Queue private bytes (an ack, an error) in order with the events. */
static void
gw_client_push_bytes(struct gw_client *c, const char *data, size_t len)
{
	struct gw_blob	*b;

	b = gateway_blob_new(data, len);
	gw_client_push(c, b);
	gateway_blob_unref(b);
}

/* Hand queued blobs to the transport while it holds little. */
static void
gw_client_pump(struct gw_client *c)
{
	struct gw_out	*o;

	while (!c->closing && !c->dying &&
	    (o = TAILQ_FIRST(&c->outq)) != NULL) {
		if (c->ws != NULL) {
			if (ws_pending(c->ws) >= GW_PUMP_HIGH)
				break;
			ws_send(c->ws, o->blob->data, o->blob->len);
		} else if (c->tr != NULL) {
			if (c->tr->pending(c->tr_arg) >= GW_PUMP_HIGH)
				break;
			c->tr->send(c->tr_arg, o->blob);
		}
		TAILQ_REMOVE(&c->outq, o, entry);
		c->outq_bytes -= o->blob->len;
		gateway_blob_unref(o->blob);
		free(o);
		gw_stats.sent++;
	}
	if (c->finishing && !c->closing && !c->dying &&
	    TAILQ_EMPTY(&c->outq)) {
		c->closing = 1;
		if (c->tr != NULL)
			c->tr->close(c->tr_arg, 1000, "end of stream");
		else if (c->ws != NULL)
			ws_close(c->ws, 1000, "end of stream");
	}
}

/* Deliver one event through one subscription, in the client's form. */
static void
gw_deliver(struct gw_client *c, struct gw_sub *sub, struct gw_enc *e)
{
	int	village = sub->room->kind == GW_VILLAGE;

	switch (c->proto) {
	case GW_SIO:
		if (village && e->seq == 1)
			gw_client_push(c, gw_enc_spawn(e));
		gw_client_push(c, gw_enc_wse(e));
		if (village && e->type == EV_SESSION_ENDED)
			gw_client_push(c, gw_enc_disc(e));
		break;
	case GW_WS:
		gw_client_push(c, gw_enc_ws(e, sub->room));
		break;
	case GW_SSE:
		gw_client_push(c, gw_enc_sse(e));
		if (e->type == EV_SESSION_ENDED) {
			c->finishing = 1;
			gw_client_pump(c);
		}
		break;
	default:
		break;
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
		if (c->proto == GW_SSE) {
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
		gw_client_close(c, 1011, why);
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

/* Free a client: its rooms, queue and transport state. */
static void
gw_client_free(struct gw_client *c)
{
	struct gw_out	*o;
	struct gw_sub	*sub;

	while ((sub = TAILQ_FIRST(&c->subs)) != NULL)
		gw_sub_free(sub);
	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, o, entry);
		gateway_blob_unref(o->blob);
		free(o);
	}
	sio_free(c->sio);
	json_object_put(c->auth_since);
	if (c->replay_ev != NULL)
		event_free(c->replay_ev);
	TAILQ_REMOVE(&gw_clients, c, entry);
	gw_nclients--;
	gw_stats.open[c->proto]--;
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
			gw_client_free(c);
	}
}

/* A transport is gone: mark the client, reap it from the loop. */
void
gateway_client_gone(struct gw_client *c)
{
	if (c->dying)
		return;
	c->dying = 1;
	c->ws = NULL;
	c->tr = NULL;
	log_info("gateway: %s client %" PRIu64 " (%s) disconnected",
	    gw_proto_names[c->proto], c->id, c->peer);
	if (gw_reap_ev != NULL)
		event_active(gw_reap_ev, 0, 0);
}

/* End a client from our side; its transport reports when it is gone. */
static void
gw_client_close(struct gw_client *c, int code, const char *reason)
{
	struct gw_out	*o;

	if (c->closing || c->dying)
		return;
	c->closing = 1;
	log_info("gateway: %s client %" PRIu64 " (%s): closing: %s (%d)",
	    gw_proto_names[c->proto], c->id, c->peer, reason, code);
	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, o, entry);
		gateway_blob_unref(o->blob);
		free(o);
	}
	c->outq_bytes = 0;
	if (c->ws != NULL)
		ws_close(c->ws, (uint16_t)code, reason);
	else if (c->tr != NULL)
		c->tr->close(c->tr_arg, code, reason);
}

/* A client with nothing queued and no room. */
static struct gw_client *
gw_client_new(enum gw_proto proto, const char *peer)
{
	struct gw_client	*c;

	c = xcalloc(1, sizeof *c);
	c->id = ++gw_next_id;
	c->proto = proto;
	TAILQ_INIT(&c->outq);
	TAILQ_INIT(&c->subs);
	snprintf(c->peer, sizeof c->peer, "%s", peer != NULL ? peer : "?");
	c->replay_ev = event_new(server_base, -1, 0, gw_replay_cb, c);
	c->join_window = mono_ms();
	TAILQ_INSERT_TAIL(&gw_clients, c, entry);
	gw_nclients++;
	gw_stats.open[proto]++;
	gw_stats.total[proto]++;
	return (c);
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

/* An SSE client following one session from a seq. */
struct gw_client *
gateway_follow(const struct gw_transport *tr, void *arg, struct session *s,
    uint64_t after, const char *peer)
{
	struct gw_client	*c;
	struct json_object	*since, *cursor = NULL;
	char			 cause[128];

	c = gw_client_new(GW_SSE, peer);
	c->tr = tr;
	c->tr_arg = arg;
	since = json_object_new_int64((int64_t)(after > INT64_MAX ?
	    INT64_MAX : after));
	if (gw_subscribe(c, GW_SESSION, s->id, since, &cursor, cause,
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

/* Socket.IO: send an Engine.IO packet, urgent ones ahead of the queue. */
static void
gw_sio_send(void *arg, const char *buf, size_t len, int urgent)
{
	struct gw_client	*c = arg;

	if (c->ws == NULL || c->dying || c->closing)
		return;
	if (urgent)
		ws_send(c->ws, buf, len);
	else
		gw_client_push_bytes(c, buf, len);
}

/* Socket.IO wants the connection closed. */
static void
gw_sio_close(void *arg, int code, const char *reason)
{
	gw_client_close(arg, code, reason);
}

/* Socket.IO CONNECT: token checked like the API unless already known. */
static int
gw_sio_connect(void *arg, struct json_object *auth, char *msg,
    size_t msglen)
{
	struct gw_client	*c = arg;
	struct json_object	*v;
	struct auth_result	 who;
	const char		*token = NULL;
	char			*hdr = NULL, cause[128];
	int			 rv;

	if (auth != NULL && json_object_object_get_ex(auth, "since", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_put(c->auth_since);
		/* Kept for later joins; the packet goes away. */
		c->auth_since = json_object_get(v);
	}
	if (c->authed)
		return (0);
	if (auth != NULL && json_object_object_get_ex(auth, "token", &v) &&
	    json_object_is_type(v, json_type_string))
		token = json_object_get_string(v);
	if (token != NULL && strlen(token) <= AUTH_MAX_TOKEN)
		hdr = xasprintf("Bearer %s", token);
	rv = auth_check(server_cfg, hdr, NULL, now_ms() / 1000, &who, cause,
	    sizeof cause);
	free(hdr);
	if (rv == -1) {
		snprintf(msg, msglen, "unauthorized: %s", token != NULL ?
		    "invalid token" : cause);
		log_info("gateway: socket.io client %" PRIu64 " (%s): "
		    "CONNECT refused: %s", c->id, c->peer, cause);
		return (-1);
	}
	c->authed = 1;
	c->who = who;
	return (0);
}

/* {ok:false, error:{code, message}} as the village server answers. */
static struct json_object *
gw_sio_error(const char *code, const char *message)
{
	struct json_object	*o, *e;

	o = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	return (o);
}

/* Answer an event's ack (if asked) with one argument. */
static void
gw_sio_reply(struct gw_client *c, long long ack, struct json_object *resp)
{
	struct json_object	*args;

	if (ack == SIO_NO_ACK)
		return;
	args = json_object_new_array();
	if (resp != NULL)
		json_object_array_add(args, json_object_get(resp));
	sio_ack(c->sio, ack, args);
	json_object_put(args);
}

/* join_village, join_agent, leave_village, leave_agent. */
static void
gw_sio_room(struct gw_client *c, enum gw_kind kind, int join,
    struct json_object *payload, long long ack)
{
	struct json_object	*v, *since = NULL, *cursor = NULL, *resp;
	const char		*key = kind == GW_VILLAGE ? "villageId" :
				    "agentId";
	const char		*id = NULL;
	char			 cause[160], full[GW_NAME_MAX + 16];

	if (payload != NULL && json_object_is_type(payload,
	    json_type_object) && json_object_object_get_ex(payload, key, &v) &&
	    json_object_is_type(v, json_type_string))
		id = json_object_get_string(v);
	if (join && !gw_join_allowed(c)) {
		resp = gw_sio_error("E_RATE_LIMIT", "too many join attempts");
		goto fail;
	}
	if (!join) {
		if (id != NULL && !gw_name_valid(id))
			id = NULL;
		gw_unsubscribe(c, kind, id);
		resp = json_object_new_object();
		json_object_object_add(resp, "ok", json_object_new_boolean(1));
		if (id != NULL) {
			snprintf(full, sizeof full, "%s:%s",
			    gw_kind_names[kind], id);
			json_object_object_add(resp, "room",
			    json_object_new_string(full));
		}
		gw_sio_reply(c, ack, resp);
		json_object_put(resp);
		return;
	}
	if (id == NULL || !gw_name_valid(id)) {
		snprintf(cause, sizeof cause, "%s required", key);
		resp = gw_sio_error("E_BAD_PAYLOAD", cause);
		goto fail;
	}
	snprintf(full, sizeof full, "%s:%s", gw_kind_names[kind], id);
	if (!json_object_object_get_ex(payload, "since", &since) &&
	    c->auth_since != NULL)
		json_object_object_get_ex(c->auth_since, full, &since);
	if (gw_subscribe(c, kind, id, since, &cursor, cause,
	    sizeof cause) == -1) {
		resp = gw_sio_error("E_BAD_PAYLOAD", cause);
		goto fail;
	}
	resp = json_object_new_object();
	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	json_object_object_add(resp, "room", json_object_new_string(full));
	json_object_object_add(resp, "cursor", cursor);
	gw_sio_reply(c, ack, resp);
	json_object_put(resp);
	return;
fail:
	sio_emit(c->sio, "ws_error", resp);
	gw_sio_reply(c, ack, resp);
	json_object_put(resp);
}

/* Client events (DESIGN section 7); others are ignored, as Socket.IO does. */
static void
gw_sio_event(void *arg, const char *name, struct json_object *args,
    long long ack)
{
	struct gw_client	*c = arg;
	struct json_object	*payload;

	if (c->closing || c->dying)
		return;
	payload = json_object_array_get_idx(args, 1);
	if (strcmp(name, "ping") == 0)
		gw_sio_reply(c, ack, NULL);
	else if (strcmp(name, "join_village") == 0)
		gw_sio_room(c, GW_VILLAGE, 1, payload, ack);
	else if (strcmp(name, "join_agent") == 0)
		gw_sio_room(c, GW_AGENT, 1, payload, ack);
	else if (strcmp(name, "leave_village") == 0)
		gw_sio_room(c, GW_VILLAGE, 0, payload, ack);
	else if (strcmp(name, "leave_agent") == 0)
		gw_sio_room(c, GW_AGENT, 0, payload, ack);
	else
		log_debug("gateway: socket.io client %" PRIu64 ": event "
		    "'%.40s' ignored", c->id, name);
}

/* The client left "/": it leaves its rooms too. */
static void
gw_sio_disconnect(void *arg)
{
	struct gw_client	*c = arg;
	struct gw_sub		*sub;

	while ((sub = TAILQ_FIRST(&c->subs)) != NULL)
		gw_sub_free(sub);
}

static const struct sio_ops gw_sio_ops = {
	gw_sio_send, gw_sio_close, gw_sio_connect, gw_sio_event,
	gw_sio_disconnect
};

/* /ws: send a small JSON reply in order with the events. */
static void
gw_ws_reply(struct gw_client *c, struct json_object *o)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(o, GW_JSON,
	    &len);
	gw_client_push_bytes(c, s, len);
	json_object_put(o);
}

/* {"op":"error","code","message"[,"room"]} */
static struct json_object *
gw_ws_error(const char *code, const char *message, const char *room)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "op", json_object_new_string("error"));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (room != NULL)
		json_object_object_add(o, "room", json_object_new_string(room));
	return (o);
}

/* A /ws request: subscribe, unsubscribe or ping. */
static void
gw_ws_request(struct gw_client *c, const char *buf, size_t len)
{
	struct json_object	*req, *v, *since = NULL, *cursor, *o;
	const char		*op = NULL, *room = NULL, *name;
	enum gw_kind		 kind;
	char			 cause[160];

	if ((req = sio_parse_json(buf, len, cause, sizeof cause)) == NULL ||
	    !json_object_is_type(req, json_type_object)) {
		gw_ws_reply(c, gw_ws_error("BAD_REQUEST", req == NULL ? cause :
		    "expected a JSON object", NULL));
		json_object_put(req);
		return;
	}
	if (json_object_object_get_ex(req, "op", &v) &&
	    json_object_is_type(v, json_type_string))
		op = json_object_get_string(v);
	if (json_object_object_get_ex(req, "room", &v) &&
	    json_object_is_type(v, json_type_string))
		room = json_object_get_string(v);
	json_object_object_get_ex(req, "since", &since);
	if (op != NULL && strcmp(op, "ping") == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "op", json_object_new_string("pong"));
		gw_ws_reply(c, o);
	} else if (op != NULL && (strcmp(op, "subscribe") == 0 ||
	    strcmp(op, "unsubscribe") == 0)) {
		if (room == NULL || gw_room_parse(room, &kind, &name) == -1) {
			gw_ws_reply(c, gw_ws_error("BAD_REQUEST", "room: want "
			    "village:<id>, agent:<id> or session:<id>", room));
		} else if (strcmp(op, "unsubscribe") == 0) {
			gw_unsubscribe(c, kind, name);
			o = json_object_new_object();
			json_object_object_add(o, "op",
			    json_object_new_string("unsubscribed"));
			json_object_object_add(o, "room",
			    json_object_new_string(room));
			gw_ws_reply(c, o);
		} else if (!gw_join_allowed(c)) {
			gw_ws_reply(c, gw_ws_error("RATE_LIMITED", "too many "
			    "subscriptions in a short time", room));
		} else if (gw_subscribe(c, kind, name, since, &cursor, cause,
		    sizeof cause) == -1) {
			gw_ws_reply(c, gw_ws_error("BAD_REQUEST", cause,
			    room));
		} else {
			o = json_object_new_object();
			json_object_object_add(o, "op",
			    json_object_new_string("subscribed"));
			json_object_object_add(o, "room",
			    json_object_new_string(room));
			json_object_object_add(o, "cursor", cursor);
			gw_ws_reply(c, o);
		}
	} else
		gw_ws_reply(c, gw_ws_error("BAD_REQUEST", "op: want subscribe, "
		    "unsubscribe or ping", room));
	json_object_put(req);
}

/* A WebSocket message: Engine.IO for Socket.IO, JSON requests for /ws. */
static void
gw_ws_message_cb(void *arg, int binary, const unsigned char *data,
    size_t len)
{
	struct gw_client	*c = arg;

	if (c->dying || c->closing)
		return;
	if (binary) {
		gw_client_close(c, 1003, "binary messages are not supported");
		return;
	}
	if (c->proto == GW_SIO)
		sio_input(c->sio, (const char *)data, len);
	else
		gw_ws_request(c, (const char *)data, len);
}

/* The WebSocket wrote what it had. */
static void
gw_ws_drained_cb(void *arg)
{
	gateway_client_drained(arg);
}

/* The WebSocket is over; it is freed as soon as this returns. */
static void
gw_ws_closed_cb(void *arg, int code, const char *reason)
{
	struct gw_client	*c = arg;

	log_debug("gateway: client %" PRIu64 ": websocket closed: %s (%d)",
	    c->id, reason, code);
	gateway_client_gone(c);
}

static const struct ws_ops gw_ws_ops = {
	gw_ws_message_cb, gw_ws_drained_cb, gw_ws_closed_cb
};

/* ---- Requests ---- */

/* An error reply: JSON, and a Retry-After or upgrade hint when useful. */
static void
gw_reply(struct evhttp_request *req, int status, const char *code,
    const char *message)
{
	struct evbuffer		*b;
	struct json_object	*o, *e;
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	o = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	b = evbuffer_new();
	evbuffer_add_printf(b, "%s\n", json_object_to_json_string_ext(o,
	    GW_JSON));
	json_object_put(o);
	evhttp_add_header(h, "Content-Type", "application/json");
	if (status == 503)
		evhttp_add_header(h, "Retry-After", "5");
	if (status == 426)
		evhttp_add_header(h, "Sec-WebSocket-Version", "13");
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	if (status == 405)
		evhttp_add_header(h, "Allow", "GET");
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
}

/* An Engine.IO handshake error: 400 {"code","message"} as engine.io does. */
static void
gw_reply_eio(struct evhttp_request *req, int code, const char *message)
{
	struct evbuffer		*b;
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	b = evbuffer_new();
	evbuffer_add_printf(b, "%s\n", json_object_to_json_string_ext(o,
	    GW_JSON));
	json_object_put(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 400, "Bad Request", b);
	evbuffer_free(b);
}

/*
 * Whether a browser request comes from an origin allowed to use a cookie:
 * a cookie rides along on cross-site WebSocket requests, so it only counts
 * when Origin is absent, the daemon's own or on cors_origins (never judged
 * by the request's Host, which a rebound DNS name controls).
 */
static int
gw_same_origin(const struct evkeyvalq *h)
{
	const char	*origin;

	if ((origin = evhttp_find_header(h, "Origin")) == NULL)
		return (1);
	return (auth_origin_allowed(server_cfg, &server_addr, origin));
}

/* Authenticate an upgrade: header, token cookie or ?token=. */
static int
gw_authenticate(struct evhttp_request *req, const struct evkeyvalq *q,
    struct auth_result *who, char *cause, size_t causelen)
{
	const struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	const char		*authz, *cookie, *token;
	char			*hdr = NULL;
	int			 rv;

	authz = evhttp_find_header(h, "Authorization");
	cookie = evhttp_find_header(h, "Cookie");
	if (cookie != NULL && !gw_same_origin(h))
		cookie = NULL;
	if (authz == NULL && (token = evhttp_find_header(q, "token")) != NULL &&
	    strlen(token) <= AUTH_MAX_TOKEN)
		authz = hdr = xasprintf("Bearer %s", token);
	rv = auth_check(server_cfg, authz, cookie, now_ms() / 1000, who, cause,
	    causelen);
	free(hdr);
	return (rv);
}

/* Checks of a Socket.IO handshake's query; 0, or -1 once answered. */
static int
gw_sio_check_query(struct evhttp_request *req, const struct evkeyvalq *q)
{
	const char	*eio, *transport;

	eio = evhttp_find_header(q, "EIO");
	transport = evhttp_find_header(q, "transport");
	if (transport != NULL && strcmp(transport, "polling") == 0) {
		gw_reply_eio(req, 3, "Bad request: runnerd serves Socket.IO "
		    "over the websocket transport only; connect with "
		    "transports: ['websocket']");
		return (-1);
	}
	if (eio == NULL || strcmp(eio, "4") != 0) {
		gw_reply_eio(req, 5, "Unsupported protocol version: want "
		    "EIO=4 (socket.io-client v3 or v4)");
		return (-1);
	}
	if (transport == NULL || strcmp(transport, "websocket") != 0) {
		gw_reply_eio(req, 0, "Transport unknown: use transport="
		    "websocket");
		return (-1);
	}
	if (evhttp_find_header(q, "sid") != NULL) {
		gw_reply_eio(req, 1, "Session ID unknown: there is no polling "
		    "session to upgrade");
		return (-1);
	}
	return (0);
}

/* Upgrade /ws and /socket.io/ requests, or answer why not. */
int
gateway_request(struct evhttp_request *req, int trusted,
    const struct auth_result *who)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq	 q;
	struct gw_client	*c;
	struct auth_result	 me;
	const char		*path, *query;
	char			 cause[WS_CAUSE_MAX], peer[80], *addr;
	enum gw_proto		 proto;
	int			 status, authed;
	ev_uint16_t		 port;

	if (uri == NULL || (path = evhttp_uri_get_path(uri)) == NULL)
		return (0);
	if (strcmp(path, "/ws") == 0)
		proto = GW_WS;
	else if (strcmp(path, "/socket.io") == 0 ||
	    strncmp(path, "/socket.io/", 11) == 0)
		proto = GW_SIO;
	else
		return (0);

	query = evhttp_uri_get_query(uri);
	if (evhttp_parse_query_str(query != NULL ? query : "", &q) == -1) {
		gw_reply(req, 400, "BAD_REQUEST", "malformed query string");
		return (1);
	}
	if (proto == GW_SIO && gw_sio_check_query(req, &q) == -1)
		goto done;
	if (ws_check_upgrade(evhttp_request_get_command(req), req->major,
	    req->minor, evhttp_request_get_input_headers(req), &status, cause,
	    sizeof cause) == -1) {
		gw_reply(req, status, status == 405 ? "METHOD_NOT_ALLOWED" :
		    status == 426 ? "UPGRADE_REQUIRED" : "BAD_REQUEST", cause);
		goto done;
	}
	if (!gateway_admit(cause, sizeof cause)) {
		gw_reply(req, 503, gw_shut || server_exiting ?
		    "SHUTTING_DOWN" : "TOO_MANY_CONNECTIONS", cause);
		goto done;
	}
	memset(&me, 0, sizeof me);
	/* Credentials that can only have come from a cross-site cookie. */
	if (who != NULL && !trusted && !gw_same_origin(
	    evhttp_request_get_input_headers(req)) &&
	    evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization") == NULL)
		who = NULL;
	authed = trusted || who != NULL;
	if (who != NULL)
		me = *who;
	else if (trusted)
		snprintf(me.user_id, sizeof me.user_id, "unix");
	else if (gw_authenticate(req, &q, &me, cause, sizeof cause) == 0)
		authed = 1;
	if (!authed && proto == GW_WS) {
		gw_reply(req, 401, "UNAUTHORIZED", cause);
		goto done;
	}

	addr = NULL;
	port = 0;
	if (evhttp_request_get_connection(req) != NULL)
		evhttp_connection_get_peer(evhttp_request_get_connection(req),
		    &addr, &port);
	snprintf(peer, sizeof peer, "%s:%u", trusted ? "unix" : addr != NULL ?
	    addr : "?", (unsigned)port);
	c = gw_client_new(proto, peer);
	c->authed = authed;
	c->who = me;
	c->ws = ws_upgrade(req, &gw_ws_ops, c,
	    server_cfg->gateway_max_message_bytes,
	    server_cfg->gateway_idle_timeout_ms);
	if (c->ws == NULL) {
		gw_client_free(c);
		if (evhttp_request_get_connection(req) != NULL)
			gw_reply(req, 500, "INTERNAL", "cannot start the "
			    "WebSocket");
		goto done;
	}
	log_info("gateway: %s client %" PRIu64 " (%s) connected%s%s",
	    gw_proto_names[proto], c->id, peer, authed ? " as " : "",
	    authed ? me.user_id : "");
	if (proto == GW_SIO) {
		c->sio = sio_create(server_base, &gw_sio_ops, c,
		    server_cfg->sio_ping_interval_ms,
		    server_cfg->sio_ping_timeout_ms, GW_CONNECT_TIMEOUT_MS,
		    server_cfg->gateway_max_message_bytes);
		sio_start(c->sio);
	}
done:
	evhttp_clear_headers(&q);
	return (1);
}

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
			if (c->ws != NULL)
				ws_free(c->ws, 1001, "server shutting down");
			else if (c->tr != NULL)
				c->tr->abort(c->tr_arg);
			c->ws = NULL;
			c->tr = NULL;
		}
		gw_client_free(c);
	}
	if (gw_reap_ev != NULL) {
		event_free(gw_reap_ev);
		gw_reap_ev = NULL;
	}
	if (n > 0)
		log_info("gateway: closed %d connections", n);
}

/* The gateway's counters in the Prometheus text format. */
void
gateway_metrics(struct evbuffer *out)
{
	size_t	i;

	evbuffer_add_printf(out,
	    "# HELP runnerd_gateway_connections Open real-time connections.\n"
	    "# TYPE runnerd_gateway_connections gauge\n");
	for (i = 0; i < GW__PROTOS; i++)
		evbuffer_add_printf(out, "runnerd_gateway_connections"
		    "{transport=\"%s\"} %" PRIu64 "\n", gw_proto_names[i],
		    gw_stats.open[i]);
	evbuffer_add_printf(out,
	    "# HELP runnerd_gateway_connections_total Real-time connections "
	    "accepted.\n"
	    "# TYPE runnerd_gateway_connections_total counter\n");
	for (i = 0; i < GW__PROTOS; i++)
		evbuffer_add_printf(out, "runnerd_gateway_connections_total"
		    "{transport=\"%s\"} %" PRIu64 "\n", gw_proto_names[i],
		    gw_stats.total[i]);
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
