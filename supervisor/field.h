/* One field of a request body: its dotted path and its typed checks. */
#ifndef FIELD_H
#define FIELD_H

#include <stddef.h>

struct json_object;
struct validate_err;

#define FIELD_MAX_ITEMS		100	/* constraints, acceptance, lists */
#define FIELD_MAX_ITEM		1000	/* characters of one item */

/* What a string field must look like. */
struct field_rule {
	int		 required;
	size_t		 min;		/* characters (code points) */
	size_t		 max;
	int		 allow_nul;	/* embedded U+0000 accepted */
};

/* Fill in a 400 for a field (its path starts the message); -1. */
int	field_fail(struct validate_err *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* A client-chosen name made short, printable ASCII for a message. */
void	field_printable(const char *, char *, size_t);
/* The dotted path of a member: "parent.key", or "key" at the top. */
void	field_path(char *, size_t, const char *, const char *);
/* Whether a name is one of a NULL-terminated list. */
int	field_in(const char *, const char *const *);
/* Reject any member of an object that is not in the list. */
int	field_keys(struct json_object *, const char *, const char *const *,
	    struct validate_err *);
/* Check a string value against its rule; the string is borrowed. */
int	field_string_value(struct json_object *, const char *,
	    const struct field_rule *, const char **, size_t *,
	    struct validate_err *);
/* A member as a string under a rule; NULL if absent and optional. */
int	field_string(struct json_object *, const char *, const char *,
	    const struct field_rule *, const char **, struct validate_err *);
/* A member as an object; NULL if absent and optional. */
int	field_object(struct json_object *, const char *, const char *, int,
	    struct json_object **, struct validate_err *);
/* An optional array of strings under a rule: a new array, or the default. */
int	field_strings(struct json_object *, const char *, const char *,
	    const struct field_rule *, const char *const *,
	    struct json_object **, struct validate_err *);

#endif
