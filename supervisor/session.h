/* Sessions: the table, the lifecycle seen from the supervisor, requests. */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "common/event.h"

struct json_object;
struct evbuffer;
struct pool_worker;
struct approval_set;
struct eventlog;

/* An error for the API: HTTP status, error code and message. */
struct sess_err {
	int		 status;
	const char	*code;
	char		 message[256];
};

/* Fill an error for the API (a macro: the message is a format). */
#define SESS_ERR(e, st, c, ...) do {					\
	(e)->status = (st);						\
	(e)->code = (c);						\
	snprintf((e)->message, sizeof (e)->message, __VA_ARGS__);	\
} while (0)

struct session {
	char			 id[37];
	char			 agent_id[16];	/* runner_ + 8 of the id */
	char			*org_id;
	char			*user_id;
	char			*village_id;
	char			*agent_name;
	char			*provider_id;
	/* The normalized start request, env reduced to variable names. */
	struct json_object	*record;
	enum session_state	 state;
	char			*error_message;
	int			 has_exit_code;
	int			 exit_code;
	int64_t			 created_at;	/* epoch ms */
	int64_t			 started_at;	/* SESSION_STARTED, or 0 */
	int64_t			 ended_at;
	pid_t			 provider_pid;
	char			*workspace;
	char			*provider_version;
	uint64_t		 last_seq;
	struct approval_set	*approvals;	/* approval.c */
	struct pool_worker	*worker;
	struct eventlog		*log;
	int			 stop_requested;
	int			 ended;		/* SESSION_ENDED recorded */
	struct event		*backstop;	/* kills a worker that hangs */
	size_t			 terminal_bytes;
	struct json_object	*last_usage;	/* last USAGE_TICK's units */
	struct json_object	*total_usage;	/* SESSION_ENDED's, or NULL */
	char			*final_message;	/* a driven CLI's last message */
	char			*summary;	/* its first line, at the end */
	int			 capped;	/* log cap reached */
	size_t			 dropped_bytes;	/* terminal output not kept */
	size_t			 dropped_touched; /* FILE_TOUCHED not kept */
	size_t			 dropped_diffs;	/* DIFF_SUMMARY not kept */
	struct json_object	*held_diff;	/* the last one, past the cap */
	int			 flushing;	/* storing held_diff */
	int			 no_watch;	/* the worker has no inotify */
	TAILQ_ENTRY(session)	 entry;
};

/* Load ended sessions from the state dir; fail the ones that were live. */
void		 session_restore_all(void);
/*
 * Start a session from a validated, normalized request (validate.c) and the
 * request's env (name → value; values are secrets, never kept). Both are
 * borrowed. 0 and *sp, or -1 with err filled in (429 at the session limit).
 */
int		 session_start(struct json_object *, struct json_object *,
		    const char *, const char *, struct session **,
		    struct sess_err *);
struct session	*session_find(const char *);
struct session	*session_first(void);
struct session	*session_next(struct session *);
int		 session_active_count(void);
/* SessionRuntimeState (DESIGN section 6); the caller owns it. */
struct json_object *session_state_json(struct session *);

/* Remove an ended session's workspace and records (409 if live). */
int		 session_delete(struct session *, struct sess_err *);
/*
 * Append to out the events with seq > after, at most limit of them, as the
 * comma-separated JSON objects of an array's body; *count and *last_seq
 * say what was written.
 */
int		 session_events_write(struct session *, uint64_t, size_t,
		    struct evbuffer *, size_t *, uint64_t *);

/*
 * Someone who sees every recorded event after it is in the log (the
 * gateway): the event, its type and its serialized line, all borrowed.
 */
typedef void	(*session_listener)(struct session *, struct json_object *,
		    enum event_type, const char *, size_t);
void		 session_add_listener(session_listener);

/* The sessions' lines of GET /metrics. */
void		 session_metrics(struct evbuffer *);

/*
 * End a session from the supervisor's side: the final transition and
 * SESSION_ENDED, unless already ended.
 */
void		 session_end(struct session *, enum session_state,
		    const char *);
/* (Re)arm the timer that kills a worker which does not end in time. */
void		 session_arm_backstop(struct session *, int64_t);

/* Fail every session still live (shutdown past its bound). */
void		 session_fail_all(const char *);
void		 session_free_all(void);

#endif
