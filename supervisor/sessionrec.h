/* A session's record on disk (session.json) in the state dir. */
#ifndef SESSIONREC_H
#define SESSIONREC_H

struct json_object;
struct session;

/* <state_dir>/sessions/<id>; the caller frees it. */
char		*sessionrec_dir(const char *);
/* Write session.json from the session and its state (borrowed, added to). */
void		 sessionrec_save(struct session *, struct json_object *);
/* session.json parsed, the caller's; NULL (logged) if unreadable. */
struct json_object *sessionrec_read(const char *);
/* Fill a fresh session from its session.json; -1 (logged) if unusable. */
int		 sessionrec_load(struct session *, struct json_object *);
/* Call the callback with each session id found in the state dir. */
void		 sessionrec_scan(void (*)(const char *, void *), void *);
/* A driven session's end (or message): what the GET keeps of it. */
void		 sessionrec_keep_end(struct session *, struct json_object *);
/* Whether SESSION_ENDED's finalMessage and summary, if any, are strings. */
int		 sessionrec_end_valid(struct json_object *);
/* finalMessage, summary and usage into a session's state object. */
void		 sessionrec_agent_json(struct session *, struct json_object *);

#endif
