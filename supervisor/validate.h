/* Strict parsing and validation of request bodies (DESIGN section 6). */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stddef.h>

struct json_object;
struct config;

/* Limits a client can rely on. */
#define VALIDATE_MAX_DEPTH	16	/* JSON nesting of a request body */
#define VALIDATE_MAX_INPUT	65536	/* bytes of one terminal input */

/*
 * Why a body was refused: the HTTP status (400), the error code
 * ("VALIDATION_ERROR" or "PROVIDER_AUTH_MISSING"), the dotted path of the
 * offending field ("task.title", "env.OPENAI_API_KEY", "body") and a
 * message that starts with that path. Never holds an env value.
 */
struct validate_err {
	int		 status;
	const char	*code;
	char		 field[128];
	char		 message[256];
};

/*
 * Parse a request body strictly (RFC 8259 JSON, valid UTF-8, no trailing
 * data, nesting at most VALIDATE_MAX_DEPTH). 0 and *out (the caller owns
 * it; NULL if optional and the body is empty or blank); -1 with the error
 * (field "body") if it is not a JSON object, or empty and not optional.
 */
int	validate_body(const char *, size_t, int, struct json_object **,
	    struct validate_err *);

/*
 * Validate a POST /api/runner/sessions body (borrowed) against the config.
 * On success 0, *norm is the request with every default filled in and
 * without "env", *env the env object (name → string value; {} if none);
 * the caller owns both. On failure -1 and the error. The provider's
 * required credentials come from the request env or, failing that, the
 * process environment, in which case they are added to *env.
 */
int	validate_start(struct json_object *, const struct config *,
	    struct json_object **, struct json_object **,
	    struct validate_err *);

/* POST …/input {data}: data (borrowed from the body) and its length. */
int	validate_input(struct json_object *, const char **, size_t *,
	    struct validate_err *);
/* POST …/resize {cols, rows}, each an integer 1..1000. */
int	validate_resize(struct json_object *, int *, int *,
	    struct validate_err *);
/* POST …/stop {graceful?}; the body may be NULL; graceful defaults to 1. */
int	validate_stop(struct json_object *, int *, struct validate_err *);
/*
 * POST …/approvals/:id {decision: allow|deny, note?}: decision and note
 * (NULL if absent) are borrowed from the body.
 */
int	validate_approval(struct json_object *, const char **, const char **,
	    struct validate_err *);

#endif
