/* Typed reads of JSON values with a cause naming the value on a mismatch. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "common/jsonget.h"
#include "common/util.h"

/* Whether v is of type t; if not, -1 and "<name>: must be <what>". */
static int
jsonget_type(struct json_object *v, enum json_type t, const char *name,
    const char *what, char *cause, size_t causelen)
{
	if (json_object_is_type(v, t))
		return (0);
	if (cause != NULL)
		snprintf(cause, causelen, "%s: must be %s", name, what);
	return (-1);
}

/* A string value. */
int
jsonget_string(struct json_object *v, const char *name, const char **out,
    char *cause, size_t causelen)
{
	if (jsonget_type(v, json_type_string, name, "a string", cause,
	    causelen) == -1)
		return (-1);
	*out = json_object_get_string(v);
	return (0);
}

/* A boolean value. */
int
jsonget_bool(struct json_object *v, const char *name, int *out, char *cause,
    size_t causelen)
{
	if (jsonget_type(v, json_type_boolean, name, "true or false", cause,
	    causelen) == -1)
		return (-1);
	*out = json_object_get_boolean(v);
	return (0);
}

/* An integer value within [min, max]. */
int
jsonget_int(struct json_object *v, const char *name, int64_t min,
    int64_t max, int64_t *out, char *cause, size_t causelen)
{
	int64_t	n;

	if (jsonget_type(v, json_type_int, name, "an integer", cause,
	    causelen) == -1)
		return (-1);
	n = json_object_get_int64(v);
	if (n < min || n > max) {
		if (cause != NULL)
			snprintf(cause, causelen, "%s: %lld is out of range "
			    "(%lld to %lld)", name, (long long)n,
			    (long long)min, (long long)max);
		return (-1);
	}
	*out = n;
	return (0);
}

/* An object value (*out is v). */
int
jsonget_object(struct json_object *v, const char *name,
    struct json_object **out, char *cause, size_t causelen)
{
	if (jsonget_type(v, json_type_object, name, "an object", cause,
	    causelen) == -1)
		return (-1);
	*out = v;
	return (0);
}

/* An array value (*out is v). */
int
jsonget_array(struct json_object *v, const char *name,
    struct json_object **out, char *cause, size_t causelen)
{
	if (jsonget_type(v, json_type_array, name, "an array", cause,
	    causelen) == -1)
		return (-1);
	*out = v;
	return (0);
}

/* An array of strings, copied into a new NULL-terminated vector. */
int
jsonget_strv(struct json_object *v, const char *name, char ***out,
    char *cause, size_t causelen)
{
	char	**sv;
	size_t	  n, i;

	n = json_object_is_type(v, json_type_array) ?
	    json_object_array_length(v) : 0;
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_string))
			break;
	if (!json_object_is_type(v, json_type_array) || i != n) {
		if (cause != NULL)
			snprintf(cause, causelen, "%s: must be an array of "
			    "strings", name);
		return (-1);
	}
	sv = xcalloc(n + 1, sizeof *sv);
	for (i = 0; i < n; i++)
		sv[i] = xstrdup(json_object_get_string(
		    json_object_array_get_idx(v, i)));
	*out = sv;
	return (0);
}

/* A member, or NULL when there is no object or no such (non-null) member. */
struct json_object *
jsonget_member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return (NULL);
	return (v);
}

/* A string member, or NULL when absent or of another type. */
const char *
jsonget_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if ((v = jsonget_member(o, key)) == NULL ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* A string vector from a JSON array of strings; NULL if it is not one. */
char **
strv_from_json(struct json_object *a)
{
	char	**v;

	return (jsonget_strv(a, "", &v, NULL, 0) == 0 ? v : NULL);
}

/* A JSON array of the strings of a vector. */
struct json_object *
strv_to_json(char **v)
{
	struct json_object	*a;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return (a);
}
