/*
 * A session's approvals. Each pending one has a deadline,
 * approval_timeout_ms: unanswered by then it is denied to the worker and
 * recorded as expired. The session ending cancels what is pending.
 */
#include "config.h"

#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "common/event.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/approval.h"
#include "supervisor/server.h"

struct approval_timer {
	struct approval_set	*set;
	char			 id[37];
	struct event		*ev;
	TAILQ_ENTRY(approval_timer) entry;
};

struct approval_set {
	const struct approval_ops *ops;
	void			*arg;
	char			 sid[37];
	/* approvalId → approval (with "status") */
	struct json_object	*records;
	TAILQ_HEAD(, approval_timer) timers;
};

/* An empty set of approvals for one session. */
struct approval_set *
approval_create(const struct approval_ops *ops, void *arg, const char *sid)
{
	struct approval_set	*set;

	set = xcalloc(1, sizeof *set);
	set->ops = ops;
	set->arg = arg;
	snprintf(set->sid, sizeof set->sid, "%s", sid);
	set->records = json_object_new_object();
	TAILQ_INIT(&set->timers);
	return (set);
}

/* Records saved by an earlier run (borrowed); no deadline is armed. */
void
approval_restore(struct approval_set *set, struct json_object *records)
{
	json_object_put(set->records);
	/* Kept: the saved state it came from goes away. */
	set->records = json_object_get(records);
}

/* Drop the timer of an approval, or (id NULL) all of them. */
static void
approval_disarm(struct approval_set *set, const char *id)
{
	struct approval_timer	*t, *next;

	for (t = TAILQ_FIRST(&set->timers); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (id != NULL && strcmp(t->id, id) != 0)
			continue;
		TAILQ_REMOVE(&set->timers, t, entry);
		event_free(t->ev);
		free(t);
	}
}

/* Free the set and drop every deadline. */
void
approval_free(struct approval_set *set)
{
	if (set == NULL)
		return;
	approval_disarm(set, NULL);
	json_object_put(set->records);
	free(set);
}

/* APPROVAL_RESOLVED, and the approval's record. */
static void
approval_resolved(struct approval_set *set, struct json_object *ap,
    const char *id, const char *status, const char *decision,
    const char *by, const char *note)
{
	struct json_object	*ev;

	json_object_object_add(ap, "status", json_object_new_string(status));
	json_object_object_add(ap, "resolvedBy", json_object_new_string(by));
	if (note != NULL)
		json_object_object_add(ap, "note",
		    json_object_new_string(note));
	ev = event_create(EV_APPROVAL_RESOLVED);
	json_object_object_add(ev, "approvalId", json_object_new_string(id));
	json_object_object_add(ev, "decision",
	    json_object_new_string(decision));
	json_object_object_add(ev, "resolvedBy", json_object_new_string(by));
	if (note != NULL)
		json_object_object_add(ev, "note",
		    json_object_new_string(note));
	set->ops->resolved(ev, set->arg);
	json_object_put(ev);
}

/* Nobody answered in time: expired, and the worker is told it is denied. */
static void
approval_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct approval_timer	*t = arg;
	struct approval_set	*set = t->set;
	struct json_object	*ap, *st, *o;

	/* The timer stays listed (not freed in its own callback). */
	if (!json_object_object_get_ex(set->records, t->id, &ap) ||
	    (st = json_object_object_get(ap, "status")) == NULL ||
	    strcmp(json_object_get_string(st), "pending") != 0)
		return;
	log_info("session %s: approval %s timed out", set->sid, t->id);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("APPROVE"));
	json_object_object_add(o, "approvalId", json_object_new_string(t->id));
	json_object_object_add(o, "decision", json_object_new_string("deny"));
	json_object_object_add(o, "note", json_object_new_string("timed out"));
	set->ops->expired(o, set->arg);
	json_object_put(o);
	approval_resolved(set, ap, t->id, "expired", "deny", "timeout",
	    "timed out");
}

/* Deny an approval unless answered within ms. */
static void
approval_arm(struct approval_set *set, const char *id, int64_t ms)
{
	struct approval_timer	*t;
	struct timeval		 tv;

	t = xcalloc(1, sizeof *t);
	t->set = set;
	snprintf(t->id, sizeof t->id, "%s", id);
	if ((t->ev = evtimer_new(server_base, approval_expire_cb, t)) == NULL)
		fatalx("evtimer_new");
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(t->ev, &tv);
	TAILQ_INSERT_TAIL(&set->timers, t, entry);
}

/* A new request from the worker: stamped, recorded, its deadline armed. */
int
approval_request(struct approval_set *set, struct json_object *ap,
    int64_t ms)
{
	struct json_object	*v, *copy;
	const char		*id;
	char			 when[64];

	if (!json_object_object_get_ex(ap, "approvalId", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !uuid_valid(id = json_object_get_string(v)) ||
	    json_object_object_get_ex(set->records, id, NULL))
		return (-1);
	json_object_object_add(ap, "sessionId",
	    json_object_new_string(set->sid));
	/* Ours to enforce: unanswered by then, it is denied. */
	iso8601_ms(now_ms() + ms, when, sizeof when);
	json_object_object_add(ap, "timeoutAt", json_object_new_string(when));
	copy = NULL;
	json_object_deep_copy(ap, &copy, NULL);
	json_object_object_add(copy, "status",
	    json_object_new_string("pending"));
	json_object_object_add(set->records, id, copy);
	approval_arm(set, id, ms);
	return (0);
}

/* The status of an approval, or NULL if there is none. */
const char *
approval_status(struct approval_set *set, const char *id)
{
	struct json_object	*ap, *st;

	if (!json_object_object_get_ex(set->records, id, &ap))
		return (NULL);
	st = json_object_object_get(ap, "status");
	return (st != NULL ? json_object_get_string(st) : "pending");
}

/* Answered: the deadline goes, APPROVAL_RESOLVED is recorded. */
void
approval_resolve(struct approval_set *set, const char *id,
    const char *decision, const char *by, const char *note)
{
	struct json_object	*ap;

	if (!json_object_object_get_ex(set->records, id, &ap))
		return;
	approval_disarm(set, id);
	approval_resolved(set, ap, id, decision, decision, by, note);
}

/* The session ends: what is still pending is cancelled. */
void
approval_close(struct approval_set *set)
{
	struct json_object	*st;

	json_object_object_foreach(set->records, id, ap) {
		if ((st = json_object_object_get(ap, "status")) != NULL &&
		    strcmp(json_object_get_string(st), "pending") == 0)
			approval_resolved(set, ap, id, "cancelled", "deny",
			    "runnerd", "session ended");
	}
	approval_disarm(set, NULL);
}

/* Every record, approvalId → approval (borrowed). */
struct json_object *
approval_records(struct approval_set *set)
{
	return (set->records);
}

/* The pending approvals as a new array. */
struct json_object *
approval_pending(struct approval_set *set)
{
	struct json_object	*a, *st;

	a = json_object_new_array();
	json_object_object_foreach(set->records, id, ap) {
		(void)id;
		if (json_object_object_get_ex(ap, "status", &st) &&
		    strcmp(json_object_get_string(st), "pending") == 0)
			json_object_array_add(a, json_object_get(ap));
	}
	return (a);
}

/* How many approvals were requested. */
int
approval_count(struct approval_set *set)
{
	return (json_object_object_length(set->records));
}
