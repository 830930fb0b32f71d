/* One HTTP request of the API and its answer, counted for GET /metrics. */
#ifndef REPLY_H
#define REPLY_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "supervisor/auth.h"

struct evbuffer;
struct json_object;
struct sess_err;
struct validate_err;

/* Where a request goes, by path alone. */
enum api_route {
	API_NONE,
	API_HEALTHZ,
	API_METRICS,
	API_SESSIONS,
	API_SESSION,
	API_EVENTS,
	API_INPUT,
	API_RESIZE,
	API_PAUSE,
	API_RESUME,
	API_STOP,
	API_APPROVAL
};

/* One request being answered. */
struct api_ctx {
	struct evhttp_request	*req;
	enum api_route		 route;
	const char		*name;		/* route template (metrics) */
	const char		*method;
	char			*id;		/* :id, decoded */
	char			*approval_id;	/* :approvalId, decoded */
	struct auth_result	 who;
	struct evkeyvalq	 query;
	int			 replied;
};

/* A method's name, for logs and the Allow header. */
const char	*reply_method_name(enum evhttp_cmd_type);
/* Send a response (body may be NULL) and count it; exactly once. */
void		 reply_send(struct api_ctx *, int, const char *,
		    struct evbuffer *);
/* The request was taken over (upgrade, event stream): count it once. */
void		 reply_handed_over(struct api_ctx *, int);
/* Send a JSON object (consumed) with a status. */
void		 reply_json(struct api_ctx *, int, struct json_object *);
/* Send {"error": {code, message, details?}}; field names the culprit. */
void		 reply_error(struct api_ctx *, int, const char *, const char *,
		    const char *);
/* A 400 for a field (query parameters and body members alike). */
void		 reply_invalid(struct api_ctx *, const char *, const char *);
/* Answer a validation failure. */
void		 reply_verr(struct api_ctx *, const struct validate_err *);
/* Answer a failed session operation with exactly what it said. */
void		 reply_serr(struct api_ctx *, const struct sess_err *);
/* A sess_err that means "internal error" unless the operation says more. */
void		 reply_serr_init(struct sess_err *);
/* Answer 202 {sessionId, accepted: action}. */
void		 reply_accepted(struct api_ctx *, const char *, const char *);
/* The HTTP lines of GET /metrics. */
void		 reply_metrics(struct evbuffer *);

#endif
