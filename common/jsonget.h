/* Typed reads of JSON values: one family for config, START and requests. */
#ifndef JSONGET_H
#define JSONGET_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

/*
 * Each getter checks the type of v and, on a mismatch, returns -1 with
 * "<name>: must be ..." in cause (cause may be NULL); on success 0 and
 * *out (borrowed from v, except jsonget_strv's new vector).
 */
int	 jsonget_string(struct json_object *, const char *, const char **,
	    char *, size_t);
int	 jsonget_bool(struct json_object *, const char *, int *, char *,
	    size_t);
/* An integer in [min, max]; out of range says so with the bounds. */
int	 jsonget_int(struct json_object *, const char *, int64_t, int64_t,
	    int64_t *, char *, size_t);
int	 jsonget_object(struct json_object *, const char *,
	    struct json_object **, char *, size_t);
int	 jsonget_array(struct json_object *, const char *,
	    struct json_object **, char *, size_t);
/* An array of strings as a new NULL-terminated vector. */
int	 jsonget_strv(struct json_object *, const char *, char ***, char *,
	    size_t);

/* A string vector from a JSON array of strings; NULL if it is not one. */
char		**strv_from_json(struct json_object *);
/* A JSON array of the strings of a vector (NULL: an empty one). */
struct json_object *strv_to_json(char **);

/* Member key of o, NULL when o is NULL or the member is absent or null. */
struct json_object *jsonget_member(struct json_object *, const char *);
/* A string member of JSON we made ourselves, NULL if not one. */
const char	*jsonget_str(struct json_object *, const char *);

#endif
