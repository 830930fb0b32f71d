/* The event model: RunnerEvent types, session states and their transitions. */
#ifndef EVENT_H
#define EVENT_H

struct json_object;

enum event_type {
	EV_SESSION_STARTED,
	EV_SESSION_STATE_CHANGED,
	EV_SESSION_ENDED,
	EV_TERMINAL_CHUNK,
	EV_FILE_TOUCHED,
	EV_DIFF_SUMMARY,
	EV_TEST_RUN_STARTED,
	EV_TEST_RUN_FINISHED,
	EV_APPROVAL_REQUESTED,
	EV_APPROVAL_RESOLVED,
	EV_ALERT_RAISED,
	EV_USAGE_TICK,
	EV_PROVIDER_EVENT_FORWARDED,
	EV_AGENT_MESSAGE,	/* a driven CLI's assistant message */
	EV__COUNT
};

enum session_state {
	ST_CREATED,
	ST_PREPARING_WORKSPACE,
	ST_STARTING_PROVIDER,
	ST_RUNNING,
	ST_WAITING_FOR_APPROVAL,
	ST_PAUSED_BY_HUMAN,
	ST_STOPPING,
	ST_COMPLETED,
	ST_FAILED,
	ST__COUNT
};

const char	*event_type_name(enum event_type);
/* The type for a name, or -1. */
int		 event_type_from_name(const char *);

const char	*session_state_name(enum session_state);
/* The state for a name, or -1. */
int		 session_state_from_name(const char *);
int		 session_state_final(enum session_state);
/* Whether DESIGN section 3 allows moving from one state to another. */
int		 session_state_can_move(enum session_state, enum session_state);

/* A new event object {"type": name}; the caller owns it. (Not event_new:
 * that name is libevent's.) */
struct json_object *event_create(enum event_type);
/* SESSION_STATE_CHANGED {previousState, newState, reason?}. */
struct json_object *event_state_changed(enum session_state,
		    enum session_state, const char *);
/*
 * ALERT_RAISED {alertId (new), severity warn, category, title,
 * description, context?}; the context is consumed.
 */
struct json_object *event_alert(const char *, const char *, const char *,
		    struct json_object *);

/*
 * The most a DIFF_SUMMARY's files[] may take when encoded: well under
 * FRAME_MAX, whatever the paths. Past a session's log cap, the final
 * summary is stored with files[] cut to the smaller budget.
 */
#define EVENT_DIFF_FILES_MAX	(256 * 1024)
#define EVENT_DIFF_FILES_CAPPED	(8 * 1024)
/*
 * Cut a DIFF_SUMMARY's files[] to the entries whose encoding fits in
 * budget bytes; the totals are left as they are. When entries are left
 * out, truncated is true and filesOmitted counts them (added to any
 * count already there). The number left out now.
 */
size_t		 event_diff_trim(struct json_object *, size_t);

#endif
