/*
 * A session's approvals: the record of each request from its worker
 * (approvalId → approval with "status": pending|allow|deny|expired|
 * cancelled), the deadline of each pending one, and APPROVAL_RESOLVED.
 */
#ifndef APPROVAL_H
#define APPROVAL_H

#include <stdint.h>

struct json_object;
struct approval_set;

/* What the set needs from its owner; both objects are borrowed. */
struct approval_ops {
	/* Record one APPROVAL_RESOLVED event. */
	void	(*resolved)(struct json_object *, void *);
	/* Nobody answered in time: tell the worker with this APPROVE. */
	void	(*expired)(struct json_object *, void *);
};

/* An empty set; sid names the session in logs. */
struct approval_set *approval_create(const struct approval_ops *, void *,
		    const char *);
/* Records saved by an earlier run (borrowed); no deadline is armed. */
void		 approval_restore(struct approval_set *, struct json_object *);
/* Free the set and drop every deadline; no callback follows. */
void		 approval_free(struct approval_set *);
/*
 * A request from the worker (its "approval" object, borrowed): stamped
 * with sessionId and timeoutAt, recorded as pending and denied after ms
 * unless answered. -1 if it has no new, valid approvalId.
 */
int		 approval_request(struct approval_set *, struct json_object *,
		    int64_t);
/* The status of an approval, or NULL if there is no such approval. */
const char	*approval_status(struct approval_set *, const char *);
/* Answered (decision allow|deny) by someone: resolved, deadline dropped. */
void		 approval_resolve(struct approval_set *, const char *,
		    const char *, const char *, const char *);
/* The session ends: what is still pending is cancelled. */
void		 approval_close(struct approval_set *);
/* Every record, approvalId → approval (borrowed). */
struct json_object *approval_records(struct approval_set *);
/* The pending approvals as a new array (the caller owns it). */
struct json_object *approval_pending(struct approval_set *);
/* How many approvals were requested. */
int		 approval_count(struct approval_set *);

#endif
