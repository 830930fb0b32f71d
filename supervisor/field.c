/* One field of a request body: its dotted path and its typed checks. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/jsonget.h"
#include "supervisor/field.h"
#include "supervisor/validate.h"

/* Fill in a 400 for a field; the message starts with the field's path. */
int
field_fail(struct validate_err *e, const char *field, const char *fmt, ...)
{
	va_list	ap;
	char	text[192];

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	e->status = 400;
	e->code = "VALIDATION_ERROR";
	snprintf(e->field, sizeof e->field, "%s", field);
	snprintf(e->message, sizeof e->message, "%s: %s", field, text);
	return (-1);
}

/*
 * Copy a client-chosen name into out for an error message: printable
 * ASCII only (anything else becomes '?') and at most 64 bytes, so the
 * message stays short and valid UTF-8.
 */
void
field_printable(const char *s, char *out, size_t outlen)
{
	size_t	i, n = 0;

	for (i = 0; s[i] != '\0' && n + 1 < outlen && n < 64; i++) {
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
		if ((unsigned char)s[i] >= 0x80)
			while (((unsigned char)s[i + 1] & 0xc0) == 0x80)
				i++;
	}
	if (s[i] != '\0' && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* The dotted path of a member: "parent.key", or "key" at the top. */
void
field_path(char *out, size_t outlen, const char *parent, const char *key)
{
	char	safe[72];

	field_printable(key, safe, sizeof safe);
	if (*parent == '\0')
		snprintf(out, outlen, "%s", safe);
	else
		snprintf(out, outlen, "%s.%s", parent, safe);
}

/* The path of an array element: "parent[i]". */
static void
field_index(char *out, size_t outlen, const char *parent, size_t i)
{
	snprintf(out, outlen, "%s[%zu]", parent, i);
}

/* Characters (code points) in a UTF-8 string, or -1 if it is not UTF-8. */
static long
field_utf8_chars(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, need, k;
	long			 n = 0;
	uint32_t		 cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			n++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return (-1);
		if (len - i <= need)
			return (-1);
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (-1);
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (-1);
		i += need + 1;
		n++;
	}
	return (n);
}

/* Whether a name is one of a NULL-terminated list. */
int
field_in(const char *s, const char *const *list)
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return (1);
	return (0);
}

/* Reject any member of an object that is not in allowed. */
int
field_keys(struct json_object *o, const char *path,
    const char *const *allowed, struct validate_err *e)
{
	char	field[128];

	json_object_object_foreach(o, key, v) {
		(void)v;
		if (!field_in(key, allowed)) {
			field_path(field, sizeof field, path, key);
			return (field_fail(e, field, "unknown field"));
		}
	}
	return (0);
}

/* Check a string value against its rule; *out borrows it. */
int
field_string_value(struct json_object *v, const char *field,
    const struct field_rule *rule, const char **out, size_t *outlen,
    struct validate_err *e)
{
	const char	*s;
	size_t		 len;
	long		 chars;

	if (jsonget_string(v, field, &s, NULL, 0) == -1)
		return (field_fail(e, field, "must be a string"));
	len = (size_t)json_object_get_string_len(v);
	if (!rule->allow_nul && strlen(s) != len)
		return (field_fail(e, field, "must not contain NUL"));
	if ((chars = field_utf8_chars(s, len)) < 0)
		return (field_fail(e, field, "must be valid UTF-8"));
	if ((size_t)chars < rule->min) {
		if (rule->min == 1)
			return (field_fail(e, field, "must not be empty"));
		return (field_fail(e, field,
		    "must be at least %zu characters", rule->min));
	}
	if ((size_t)chars > rule->max)
		return (field_fail(e, field,
		    "must be at most %zu characters", rule->max));
	*out = s;
	if (outlen != NULL)
		*outlen = len;
	return (0);
}

/*
 * Get member key of o as a string under rule; *out is NULL if it is
 * absent and optional. null is a type error, not absence.
 */
int
field_string(struct json_object *o, const char *path, const char *key,
    const struct field_rule *rule, const char **out,
    struct validate_err *e)
{
	struct json_object	*v;
	char			 field[128];

	field_path(field, sizeof field, path, key);
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (rule->required)
			return (field_fail(e, field, "required"));
		return (0);
	}
	return (field_string_value(v, field, rule, out, NULL, e));
}

/* Get member key of o as an object; *out is NULL if absent and optional. */
int
field_object(struct json_object *o, const char *path, const char *key,
    int required, struct json_object **out, struct validate_err *e)
{
	struct json_object	*v;
	char			 field[128];

	field_path(field, sizeof field, path, key);
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return (field_fail(e, field, "required"));
		return (0);
	}
	if (jsonget_object(v, field, out, NULL, 0) == -1)
		return (field_fail(e, field, "must be an object"));
	return (0);
}

/*
 * An optional array of strings: at most FIELD_MAX_ITEMS items, each
 * under rule. *out is a new array (a copy, or dflt when absent).
 */
int
field_strings(struct json_object *o, const char *path, const char *key,
    const struct field_rule *rule, const char *const *dflt,
    struct json_object **out, struct validate_err *e)
{
	struct json_object	*v, *a;
	char			 field[128], item[160];
	const char		*s;
	size_t			 i, n;

	field_path(field, sizeof field, path, key);
	*out = NULL;
	a = json_object_new_array();
	if (!json_object_object_get_ex(o, key, &v)) {
		for (i = 0; dflt != NULL && dflt[i] != NULL; i++)
			json_object_array_add(a,
			    json_object_new_string(dflt[i]));
		*out = a;
		return (0);
	}
	if (jsonget_array(v, field, &v, NULL, 0) == -1) {
		json_object_put(a);
		return (field_fail(e, field, "must be an array of strings"));
	}
	n = json_object_array_length(v);
	if (n > FIELD_MAX_ITEMS) {
		json_object_put(a);
		return (field_fail(e, field, "must have at most %d items",
		    FIELD_MAX_ITEMS));
	}
	for (i = 0; i < n; i++) {
		field_index(item, sizeof item, field, i);
		if (field_string_value(json_object_array_get_idx(v, i), item,
		    rule, &s, NULL, e) != 0) {
			json_object_put(a);
			return (-1);
		}
		json_object_array_add(a, json_object_new_string(s));
	}
	*out = a;
	return (0);
}
