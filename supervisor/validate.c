/* Strict parsing and validation of request bodies (DESIGN section 6). */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conf.h"
#include "jsonget.h"
#include "log.h"
#include "util.h"
#include "validate.h"

#define VALIDATE_MAX_ID		128	/* villageId, agentName, providerId */
#define VALIDATE_MAX_PATH	4096	/* repoRef.path */
#define VALIDATE_MAX_ROOM	1024	/* roomPath, task.roomPath */
#define VALIDATE_MAX_REPO	100	/* repoRef.owner, repoRef.name */
#define VALIDATE_MAX_REF	255	/* branch, tag and ref names */
#define VALIDATE_MAX_TITLE	200	/* characters */
#define VALIDATE_MAX_GOAL	4000	/* characters */
#define VALIDATE_MAX_ITEMS	100	/* constraints, acceptance, lists */
#define VALIDATE_MAX_ITEM	1000	/* characters of one item */
#define VALIDATE_MAX_NOTE	2000	/* characters of an approval note */
#define VALIDATE_MAX_ENV	256	/* variables */
#define VALIDATE_MAX_ENVNAME	128	/* bytes */
#define VALIDATE_MAX_ENVVAL	32768	/* bytes */
#define VALIDATE_MAX_DIM	1000	/* terminal columns and rows */

/* What a string field must look like. */
struct validate_str {
	int		 required;
	size_t		 min;		/* characters (code points) */
	size_t		 max;
	int		 allow_nul;	/* embedded U+0000 accepted */
};

static const char *const validate_categories[] = {
	"merge", "deps_add", "secrets", "deploy", "shell", "network", NULL
};
static const char *const validate_default_approvals[] = {
	"merge", "deps_add", "secrets", "deploy", NULL
};

/* Fill in a 400 for a field; the message starts with the field's path. */
static int __attribute__((format(printf, 3, 4)))
validate_fail(struct validate_err *e, const char *field, const char *fmt, ...)
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
static void
validate_printable(const char *s, char *out, size_t outlen)
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
static void
validate_path(char *out, size_t outlen, const char *parent, const char *key)
{
	char	safe[72];

	validate_printable(key, safe, sizeof safe);
	if (*parent == '\0')
		snprintf(out, outlen, "%s", safe);
	else
		snprintf(out, outlen, "%s.%s", parent, safe);
}

/* The path of an array element: "parent[i]". */
static void
validate_index(char *out, size_t outlen, const char *parent, size_t i)
{
	snprintf(out, outlen, "%s[%zu]", parent, i);
}

/* Characters (code points) in a UTF-8 string, or -1 if it is not UTF-8. */
static long
validate_utf8_chars(const char *s, size_t len)
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
static int
validate_in(const char *s, const char *const *list)
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return (1);
	return (0);
}

/* Reject any member of an object that is not in allowed. */
static int
validate_keys(struct json_object *o, const char *path,
    const char *const *allowed, struct validate_err *e)
{
	char	field[128];

	json_object_object_foreach(o, key, v) {
		(void)v;
		if (!validate_in(key, allowed)) {
			validate_path(field, sizeof field, path, key);
			return (validate_fail(e, field, "unknown field"));
		}
	}
	return (0);
}

/* Check a string value against its rule; *out borrows it. */
static int
validate_string_value(struct json_object *v, const char *field,
    const struct validate_str *rule, const char **out, size_t *outlen,
    struct validate_err *e)
{
	const char	*s;
	size_t		 len;
	long		 chars;

	if (jsonget_string(v, field, &s, NULL, 0) == -1)
		return (validate_fail(e, field, "must be a string"));
	len = (size_t)json_object_get_string_len(v);
	if (!rule->allow_nul && strlen(s) != len)
		return (validate_fail(e, field, "must not contain NUL"));
	if ((chars = validate_utf8_chars(s, len)) < 0)
		return (validate_fail(e, field, "must be valid UTF-8"));
	if ((size_t)chars < rule->min) {
		if (rule->min == 1)
			return (validate_fail(e, field, "must not be empty"));
		return (validate_fail(e, field,
		    "must be at least %zu characters", rule->min));
	}
	if ((size_t)chars > rule->max)
		return (validate_fail(e, field,
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
static int
validate_string(struct json_object *o, const char *path, const char *key,
    const struct validate_str *rule, const char **out,
    struct validate_err *e)
{
	struct json_object	*v;
	char			 field[128];

	validate_path(field, sizeof field, path, key);
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (rule->required)
			return (validate_fail(e, field, "required"));
		return (0);
	}
	return (validate_string_value(v, field, rule, out, NULL, e));
}

/* Get member key of o as an object; *out is NULL if absent and optional. */
static int
validate_object(struct json_object *o, const char *path, const char *key,
    int required, struct json_object **out, struct validate_err *e)
{
	struct json_object	*v;
	char			 field[128];

	validate_path(field, sizeof field, path, key);
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return (validate_fail(e, field, "required"));
		return (0);
	}
	if (jsonget_object(v, field, out, NULL, 0) == -1)
		return (validate_fail(e, field, "must be an object"));
	return (0);
}

/*
 * An optional array of strings: at most VALIDATE_MAX_ITEMS items, each
 * under rule. *out is a new array (a copy, or dflt when absent).
 */
static int
validate_strings(struct json_object *o, const char *path, const char *key,
    const struct validate_str *rule, const char *const *dflt,
    struct json_object **out, struct validate_err *e)
{
	struct json_object	*v, *a;
	char			 field[128], item[160];
	const char		*s;
	size_t			 i, n;

	validate_path(field, sizeof field, path, key);
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
		return (validate_fail(e, field, "must be an array of strings"));
	}
	n = json_object_array_length(v);
	if (n > VALIDATE_MAX_ITEMS) {
		json_object_put(a);
		return (validate_fail(e, field, "must have at most %d items",
		    VALIDATE_MAX_ITEMS));
	}
	for (i = 0; i < n; i++) {
		validate_index(item, sizeof item, field, i);
		if (validate_string_value(json_object_array_get_idx(v, i), item,
		    rule, &s, NULL, e) != 0) {
			json_object_put(a);
			return (-1);
		}
		json_object_array_add(a, json_object_new_string(s));
	}
	*out = a;
	return (0);
}

/* Whether c is an ASCII letter or digit (whatever the locale). */
static int
validate_alnum(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'));
}

/* Whether every byte of s is in the set [A-Za-z0-9] plus extra. */
static int
validate_charset(const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if (validate_alnum(*s))
			continue;
		if (strchr(extra, *s) == NULL)
			return (0);
	}
	return (1);
}

/* Whether s holds an ASCII control character. */
static int
validate_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	return (0);
}

/*
 * A conservative git ref name (stricter than git-check-ref-format):
 * [A-Za-z0-9._/-] only, no empty, "." or ".."-containing component, no
 * component starting with '.' or ending with ".lock", not starting with
 * '-' or '/', not ending with '/' or '.', not "HEAD".
 */
static int
validate_refname(const char *s)
{
	const char	*c, *end;
	size_t		 len = strlen(s), clen;

	if (len == 0 || len > VALIDATE_MAX_REF)
		return (0);
	if (!validate_charset(s, "._/-"))
		return (0);
	if (s[0] == '-' || s[0] == '/' || s[len - 1] == '/' ||
	    s[len - 1] == '.')
		return (0);
	if (strstr(s, "..") != NULL || strstr(s, "//") != NULL)
		return (0);
	if (strcmp(s, "HEAD") == 0)
		return (0);
	for (c = s; *c != '\0'; c = *end == '\0' ? end : end + 1) {
		if ((end = strchr(c, '/')) == NULL)
			end = c + strlen(c);
		clen = (size_t)(end - c);
		if (clen == 0 || *c == '.')
			return (0);
		if (clen >= 5 && strncmp(end - 5, ".lock", 5) == 0)
			return (0);
	}
	return (1);
}

/* A ref-name member (optional); *out is NULL if absent. */
static int
validate_ref(struct json_object *o, const char *path, const char *key,
    int required, const char **out, struct validate_err *e)
{
	static const struct validate_str rule = { 0, 1, VALIDATE_MAX_REF, 0 };
	char	field[128];

	if (validate_string(o, path, key, &rule, out, e) != 0)
		return (-1);
	validate_path(field, sizeof field, path, key);
	if (*out == NULL) {
		if (required)
			return (validate_fail(e, field, "required"));
		return (0);
	}
	if (!validate_refname(*out))
		return (validate_fail(e, field, "must be a valid git ref name "
		    "([A-Za-z0-9._/-], no '..', no component starting with "
		    "'.')"));
	return (0);
}

/* A relative path (roomPath): no leading '/', no ".." component. */
static int
validate_relpath(struct json_object *o, const char *path, const char *key,
    const char **out, struct validate_err *e)
{
	static const struct validate_str rule = { 0, 1, VALIDATE_MAX_ROOM, 0 };
	const char	*c, *end;
	char		 field[128];

	if (validate_string(o, path, key, &rule, out, e) != 0)
		return (-1);
	if (*out == NULL)
		return (0);
	validate_path(field, sizeof field, path, key);
	if (strlen(*out) > VALIDATE_MAX_ROOM)
		return (validate_fail(e, field, "must be at most %d bytes",
		    VALIDATE_MAX_ROOM));
	if (validate_has_control(*out))
		return (validate_fail(e, field,
		    "must not contain control characters"));
	if ((*out)[0] == '/')
		return (validate_fail(e, field, "must be a relative path"));
	for (c = *out; *c != '\0'; c = *end == '\0' ? end : end + 1) {
		if ((end = strchr(c, '/')) == NULL)
			end = c + strlen(c);
		if (end - c == 2 && c[0] == '.' && c[1] == '.')
			return (validate_fail(e, field,
			    "must not contain a '..' component"));
	}
	return (0);
}

/*
 * A path as the worker will find it: realpath(3) if it exists; otherwise
 * folded, with the longest prefix that exists resolved, so that neither a
 * symlink nor ".." hides where a path that does not exist yet points. A
 * new string.
 */
static char *
validate_resolve(const char *path)
{
	char	 real[PATH_MAX], *norm, *head, *cut, *out;

	if (realpath(path, real) != NULL)
		return (xstrdup(real));
	norm = path_normalize(path);
	head = xstrdup(norm);
	while ((cut = strrchr(head, '/')) != NULL && cut != head) {
		*cut = '\0';
		if (realpath(head, real) != NULL) {
			out = xasprintf("%s%s", strcmp(real, "/") == 0 ? "" :
			    real, norm + strlen(head));
			free(head);
			free(norm);
			return (out);
		}
	}
	free(head);
	return (norm);
}

/* Whether resolved path p is dir or lies under it (dir resolved too). */
static int
validate_under(const char *p, const char *dir)
{
	char	*d;
	size_t	 n;
	int	 under;

	d = validate_resolve(dir);
	n = strlen(d);
	if (strcmp(d, "/") == 0)
		under = 1;
	else
		under = strncmp(p, d, n) == 0 && (p[n] == '\0' ||
		    p[n] == '/');
	free(d);
	return (under);
}

/*
 * Where a local repository may be. Never in runnerd's own directories
 * (other sessions' workspaces, the event logs, the cache), whatever
 * allowed_roots says; always under one of allowed_roots. Paths that do not
 * exist are judged alike, so the answer never says what exists.
 */
static int
validate_local_path(const char *path, const struct config *cfg,
    struct validate_err *e)
{
	static const char *const names[] = {
		"workspace_dir", "state_dir", "cache_dir"
	};
	const char	*dirs[3];
	char		*p, shown[72];
	size_t		 i;
	int		 ok = 0;

	dirs[0] = cfg->workspace_dir;
	dirs[1] = cfg->state_dir;
	dirs[2] = cfg->cache_dir;
	p = validate_resolve(path);
	validate_printable(path, shown, sizeof shown);
	for (i = 0; i < nitems(dirs); i++) {
		if (dirs[i] == NULL || !validate_under(p, dirs[i]))
			continue;
		free(p);
		return (validate_fail(e, "repoRef.path", "'%s' lies in "
		    "runnerd's %s (other sessions' data); refused whatever "
		    "allowed_roots says", shown, names[i]));
	}
	for (i = 0; cfg->allowed_roots != NULL &&
	    cfg->allowed_roots[i] != NULL && !ok; i++)
		ok = validate_under(p, cfg->allowed_roots[i]);
	free(p);
	if (!ok)
		return (validate_fail(e, "repoRef.path", "'%s' is outside "
		    "the allowed roots; add its directory to allowed_roots in "
		    "runnerd.conf", shown));
	return (0);
}

/* repoRef: {provider: local, path, ...} or {provider: github…, owner…}. */
static int
validate_repo(struct json_object *body, const struct config *cfg,
    struct json_object *norm, const char **default_branch,
    struct validate_err *e)
{
	static const char *const providers[] = {
		"local", "github", "gitlab", "bitbucket", NULL
	};
	static const char *const local_keys[] = {
		"provider", "path", "name", "defaultBranch", NULL
	};
	static const char *const remote_keys[] = {
		"provider", "owner", "name", "defaultBranch", NULL
	};
	static const struct validate_str any = { 1, 1, 64, 0 };
	static const struct validate_str path_rule = {
		1, 1, VALIDATE_MAX_PATH, 0
	};
	static const struct validate_str local_name = { 0, 1, 200, 0 };
	static const struct validate_str repo_part = {
		1, 1, VALIDATE_MAX_REPO, 0
	};
	struct json_object	*repo, *out;
	const char		*provider, *path = NULL, *name, *owner, *branch;

	if (validate_object(body, "", "repoRef", 1, &repo, e) != 0)
		return (-1);
	if (validate_string(repo, "repoRef", "provider", &any, &provider,
	    e) != 0)
		return (-1);
	if (!validate_in(provider, providers))
		return (validate_fail(e, "repoRef.provider", "must be one of "
		    "local, github, gitlab, bitbucket"));
	out = json_object_new_object();
	json_object_object_add(out, "provider",
	    json_object_new_string(provider));
	if (strcmp(provider, "local") == 0) {
		if (validate_keys(repo, "repoRef", local_keys, e) != 0)
			goto fail;
		if (validate_string(repo, "repoRef", "path", &path_rule, &path,
		    e) != 0)
			goto fail;
		if (strlen(path) > VALIDATE_MAX_PATH) {
			validate_fail(e, "repoRef.path", "must be at most %d "
			    "bytes", VALIDATE_MAX_PATH);
			goto fail;
		}
		if (path[0] != '/') {
			validate_fail(e, "repoRef.path",
			    "must be an absolute path");
			goto fail;
		}
		if (validate_has_control(path)) {
			validate_fail(e, "repoRef.path",
			    "must not contain control characters");
			goto fail;
		}
		json_object_object_add(out, "path",
		    json_object_new_string(path));
		if (validate_string(repo, "repoRef", "name", &local_name,
		    &name, e) != 0)
			goto fail;
		if (name != NULL)
			json_object_object_add(out, "name",
			    json_object_new_string(name));
	} else {
		if (validate_keys(repo, "repoRef", remote_keys, e) != 0)
			goto fail;
		if (validate_string(repo, "repoRef", "owner", &repo_part,
		    &owner, e) != 0)
			goto fail;
		if (!validate_charset(owner, "_.-") ||
		    strcmp(owner, ".") == 0 || strcmp(owner, "..") == 0) {
			validate_fail(e, "repoRef.owner",
			    "must be 1..100 of [A-Za-z0-9_.-]");
			goto fail;
		}
		if (validate_string(repo, "repoRef", "name", &repo_part,
		    &name, e) != 0)
			goto fail;
		if (!validate_charset(name, "_.-") ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			validate_fail(e, "repoRef.name",
			    "must be 1..100 of [A-Za-z0-9_.-]");
			goto fail;
		}
		json_object_object_add(out, "owner",
		    json_object_new_string(owner));
		json_object_object_add(out, "name",
		    json_object_new_string(name));
	}
	if (validate_ref(repo, "repoRef", "defaultBranch", 0, &branch, e) != 0)
		goto fail;
	if (branch != NULL)
		json_object_object_add(out, "defaultBranch",
		    json_object_new_string(branch));
	/* Where it may be, once it is well formed. */
	if (strcmp(provider, "local") == 0 &&
	    validate_local_path(path, cfg, e) != 0)
		goto fail;
	*default_branch = branch;
	json_object_object_add(norm, "repoRef", out);
	return (0);

fail:
	json_object_put(out);
	return (-1);
}

/* checkout: branch, commit or tag; defaults to the repo's default branch. */
static int
validate_checkout(struct json_object *body, struct json_object *norm,
    const char *default_branch, struct validate_err *e)
{
	static const char *const types[] = { "branch", "commit", "tag", NULL };
	static const char *const branch_keys[] = { "type", "ref", NULL };
	static const char *const commit_keys[] = { "type", "sha", NULL };
	static const char *const tag_keys[] = { "type", "tag", NULL };
	static const struct validate_str any = { 1, 1, 64, 0 };
	static const struct validate_str sha_rule = { 1, 4, 40, 0 };
	struct json_object	*co, *out;
	const char		*type, *v;
	char			 sha[41];
	size_t			 i;

	if (validate_object(body, "", "checkout", 0, &co, e) != 0)
		return (-1);
	out = json_object_new_object();
	if (co == NULL) {
		json_object_object_add(out, "type",
		    json_object_new_string("branch"));
		json_object_object_add(out, "ref", json_object_new_string(
		    default_branch != NULL ? default_branch : "main"));
		json_object_object_add(norm, "checkout", out);
		return (0);
	}
	if (validate_string(co, "checkout", "type", &any, &type, e) != 0)
		goto fail;
	if (!validate_in(type, types)) {
		validate_fail(e, "checkout.type",
		    "must be one of branch, commit, tag");
		goto fail;
	}
	json_object_object_add(out, "type", json_object_new_string(type));
	if (strcmp(type, "branch") == 0) {
		if (validate_keys(co, "checkout", branch_keys, e) != 0 ||
		    validate_ref(co, "checkout", "ref", 1, &v, e) != 0)
			goto fail;
		json_object_object_add(out, "ref", json_object_new_string(v));
	} else if (strcmp(type, "tag") == 0) {
		if (validate_keys(co, "checkout", tag_keys, e) != 0 ||
		    validate_ref(co, "checkout", "tag", 1, &v, e) != 0)
			goto fail;
		json_object_object_add(out, "tag", json_object_new_string(v));
	} else {
		if (validate_keys(co, "checkout", commit_keys, e) != 0 ||
		    validate_string(co, "checkout", "sha", &sha_rule, &v,
		    e) != 0)
			goto fail;
		for (i = 0; v[i] != '\0'; i++) {
			if (i >= 40 || !isxdigit((unsigned char)v[i])) {
				validate_fail(e, "checkout.sha",
				    "must be 4..40 hexadecimal digits");
				goto fail;
			}
			sha[i] = (char)tolower((unsigned char)v[i]);
		}
		sha[i] = '\0';
		json_object_object_add(out, "sha", json_object_new_string(sha));
	}
	json_object_object_add(norm, "checkout", out);
	return (0);

fail:
	json_object_put(out);
	return (-1);
}

/* task: title, goal, constraints[], acceptance[], roomPath?, branchName?. */
static int
validate_task(struct json_object *body, struct json_object *norm,
    struct validate_err *e)
{
	static const char *const keys[] = {
		"title", "goal", "constraints", "acceptance", "roomPath",
		"branchName", NULL
	};
	static const struct validate_str title = {
		1, 1, VALIDATE_MAX_TITLE, 0
	};
	static const struct validate_str goal = { 1, 1, VALIDATE_MAX_GOAL, 0 };
	static const struct validate_str item = {
		1, 0, VALIDATE_MAX_ITEM, 0
	};
	struct json_object	*task, *out, *a;
	const char		*v;

	if (validate_object(body, "", "task", 1, &task, e) != 0)
		return (-1);
	if (validate_keys(task, "task", keys, e) != 0)
		return (-1);
	out = json_object_new_object();
	if (validate_string(task, "task", "title", &title, &v, e) != 0)
		goto fail;
	json_object_object_add(out, "title", json_object_new_string(v));
	if (validate_string(task, "task", "goal", &goal, &v, e) != 0)
		goto fail;
	json_object_object_add(out, "goal", json_object_new_string(v));
	if (validate_strings(task, "task", "constraints", &item, NULL, &a,
	    e) != 0)
		goto fail;
	json_object_object_add(out, "constraints", a);
	if (validate_strings(task, "task", "acceptance", &item, NULL, &a,
	    e) != 0)
		goto fail;
	json_object_object_add(out, "acceptance", a);
	if (validate_relpath(task, "task", "roomPath", &v, e) != 0)
		goto fail;
	if (v != NULL)
		json_object_object_add(out, "roomPath",
		    json_object_new_string(v));
	if (validate_ref(task, "task", "branchName", 0, &v, e) != 0)
		goto fail;
	if (v != NULL)
		json_object_object_add(out, "branchName",
		    json_object_new_string(v));
	json_object_object_add(norm, "task", out);
	return (0);

fail:
	json_object_put(out);
	return (-1);
}

/*
 * policy.limits {memoryMaxBytes, pidsMax, cpuMaxPct, workspaceMaxBytes}: a
 * session may ask for
 * less than the config's limits, never for more (0 in the config means no
 * limit, so anything goes). Only what was given lands in norm.policy; the
 * supervisor fills in the rest from the config when it starts the worker.
 */
static int
validate_limits(struct json_object *body, const struct config *cfg,
    struct json_object *norm, struct validate_err *e)
{
	static const char *const keys[] = {
		"memoryMaxBytes", "pidsMax", "cpuMaxPct", "workspaceMaxBytes",
		NULL
	};
	/*
	 * pidsMax: the worker is in the cgroup while it forks the CLI.
	 * workspaceMaxBytes: room for a filesystem (worker/quota.h).
	 */
	const int64_t		 min[] = { 4 * 1024 * 1024, 8, 1,
		16 * 1024 * 1024 };
	const int64_t		 max[] = {
		cfg->memory_max_bytes > 0 ? cfg->memory_max_bytes :
		INT64_MAX / 2, cfg->pids_max > 0 ? cfg->pids_max : 4194304,
		cfg->cpu_max_pct > 0 ? cfg->cpu_max_pct : 100000,
		cfg->workspace_max_bytes > 0 ? cfg->workspace_max_bytes :
		INT64_MAX / 2
	};
	struct json_object	*policy, *limits, *v, *out, *np;
	char			 field[64];
	size_t			 i;
	int64_t			 n;

	if (!json_object_object_get_ex(body, "policy", &policy) ||
	    !json_object_object_get_ex(policy, "limits", &limits))
		return (0);
	if (jsonget_object(limits, "policy.limits", &limits, NULL, 0) == -1)
		return (validate_fail(e, "policy.limits", "must be an object"));
	if (validate_keys(limits, "policy.limits", keys, e) != 0)
		return (-1);
	out = json_object_new_object();
	for (i = 0; keys[i] != NULL; i++) {
		if (!json_object_object_get_ex(limits, keys[i], &v))
			continue;
		snprintf(field, sizeof field, "policy.limits.%s", keys[i]);
		if (jsonget_int(v, field, INT64_MIN, INT64_MAX, &n, NULL,
		    0) == -1) {
			json_object_put(out);
			return (validate_fail(e, field, "must be an integer"));
		}
		if (n < min[i] || n > max[i]) {
			json_object_put(out);
			return (validate_fail(e, field, "must be %lld..%lld "
			    "(the server's limit)", (long long)min[i],
			    (long long)max[i]));
		}
		json_object_object_add(out, keys[i], json_object_new_int64(n));
	}
	if (json_object_object_get_ex(norm, "policy", &np))
		json_object_object_add(np, "limits", out);
	else
		json_object_put(out);
	return (0);
}

/* policy: shell allow/deny lists, approval categories, network mode. */
static int
validate_policy(struct json_object *body, struct json_object *norm,
    struct validate_err *e)
{
	static const char *const keys[] = {
		"shellAllowlist", "shellDenylist", "requiresApprovalFor",
		"networkMode", "limits", NULL
	};
	static const char *const allow_all[] = { "*", NULL };
	static const char *const modes[] = { "restricted", "open", NULL };
	static const struct validate_str pattern = {
		1, 1, VALIDATE_MAX_ITEM, 0
	};
	static const struct validate_str any = { 0, 1, 64, 0 };
	struct json_object	*policy, *empty, *out, *a, *cats;
	const char		*v, *c;
	char			 field[64];
	size_t			 i, j, n;
	int			 dup;

	if (validate_object(body, "", "policy", 0, &policy, e) != 0)
		return (-1);
	if (policy != NULL && validate_keys(policy, "policy", keys, e) != 0)
		return (-1);
	/* An absent policy is an empty one: every member takes its default. */
	empty = json_object_new_object();
	if (policy == NULL)
		policy = empty;
	out = json_object_new_object();
	if (validate_strings(policy, "policy", "shellAllowlist", &pattern,
	    allow_all, &a, e) != 0)
		goto fail;
	json_object_object_add(out, "shellAllowlist", a);
	if (validate_strings(policy, "policy", "shellDenylist", &pattern,
	    NULL, &a, e) != 0)
		goto fail;
	json_object_object_add(out, "shellDenylist", a);
	if (validate_strings(policy, "policy", "requiresApprovalFor", &any,
	    validate_default_approvals, &a, e) != 0)
		goto fail;
	/* Keep known categories, each once, in the order given. */
	cats = json_object_new_array();
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		v = json_object_get_string(json_object_array_get_idx(a, i));
		if (!validate_in(v, validate_categories)) {
			json_object_put(cats);
			json_object_put(a);
			snprintf(field, sizeof field,
			    "policy.requiresApprovalFor[%zu]", i);
			validate_fail(e, field, "must be one of merge, "
			    "deps_add, secrets, deploy, shell, network");
			goto fail;
		}
		dup = 0;
		for (j = 0; j < json_object_array_length(cats); j++) {
			c = json_object_get_string(
			    json_object_array_get_idx(cats, j));
			if (strcmp(c, v) == 0)
				dup = 1;
		}
		if (!dup)
			json_object_array_add(cats, json_object_new_string(v));
	}
	json_object_put(a);
	json_object_object_add(out, "requiresApprovalFor", cats);
	if (validate_string(policy, "policy", "networkMode", &any, &v, e) != 0)
		goto fail;
	if (v == NULL)
		v = "open";
	else if (!validate_in(v, modes)) {
		validate_fail(e, "policy.networkMode",
		    "must be one of restricted, open");
		goto fail;
	}
	json_object_object_add(out, "networkMode", json_object_new_string(v));
	json_object_object_add(norm, "policy", out);
	json_object_put(empty);
	return (0);

fail:
	json_object_put(out);
	json_object_put(empty);
	return (-1);
}

/* Whether s is an environment variable name we accept. */
static int
validate_envname(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len > VALIDATE_MAX_ENVNAME)
		return (0);
	if (s[0] != '_' && !(validate_alnum(s[0]) && !(s[0] >= '0' &&
	    s[0] <= '9')))
		return (0);
	return (validate_charset(s, "_"));
}

/* env: {NAME: "value"}; *out is a copy (values are secrets: never shown). */
static int
validate_env(struct json_object *body, struct json_object **out,
    struct validate_err *e)
{
	struct json_object	*env;
	char			 field[160];
	const char		*s;
	size_t			 len;

	*out = NULL;
	if (validate_object(body, "", "env", 0, &env, e) != 0)
		return (-1);
	*out = json_object_new_object();
	if (env == NULL)
		return (0);
	if (json_object_object_length(env) > VALIDATE_MAX_ENV) {
		validate_fail(e, "env", "must have at most %d variables",
		    VALIDATE_MAX_ENV);
		goto fail;
	}
	json_object_object_foreach(env, key, v) {
		if (!validate_envname(key)) {
			validate_fail(e, "env", "invalid variable name (want "
			    "[A-Za-z_][A-Za-z0-9_]*, at most %d bytes)",
			    VALIDATE_MAX_ENVNAME);
			goto fail;
		}
		snprintf(field, sizeof field, "env.%s", key);
		if (jsonget_string(v, field, &s, NULL, 0) == -1) {
			validate_fail(e, field, "must be a string");
			goto fail;
		}
		len = (size_t)json_object_get_string_len(v);
		if (len > VALIDATE_MAX_ENVVAL) {
			validate_fail(e, field, "must be at most %d bytes",
			    VALIDATE_MAX_ENVVAL);
			goto fail;
		}
		if (strlen(s) != len) {
			validate_fail(e, field, "must not contain NUL");
			goto fail;
		}
		json_object_object_add(*out, key, json_object_new_string(s));
	}
	return (0);

fail:
	json_object_put(*out);
	*out = NULL;
	return (-1);
}

/*
 * Each variable the provider requires must be non-empty in the request env
 * or in our own environment; from the latter it is copied into env.
 */
static int
validate_credentials(const struct provider *p, struct json_object *env,
    struct validate_err *e)
{
	struct json_object	*v;
	const char		*name, *value;
	size_t			 i;

	for (i = 0; p->required_env != NULL && p->required_env[i] != NULL;
	    i++) {
		name = p->required_env[i];
		if (json_object_object_get_ex(env, name, &v) &&
		    json_object_get_string_len(v) > 0)
			continue;
		if ((value = getenv(name)) != NULL && *value != '\0') {
			json_object_object_add(env, name,
			    json_object_new_string(value));
			continue;
		}
		e->status = 400;
		e->code = "PROVIDER_AUTH_MISSING";
		snprintf(e->field, sizeof e->field, "env.%s", name);
		snprintf(e->message, sizeof e->message, "%s is required by "
		    "provider '%s': set it in the request's env or in the "
		    "server's environment", name, p->name);
		return (-1);
	}
	return (0);
}

/* Parse a request body strictly into a JSON object. */
int
validate_body(const char *buf, size_t len, int optional,
    struct json_object **out, struct validate_err *e)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 jerr;
	char			*copy;
	size_t			 i;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
		    buf[i] != '\n')
			break;
	if (i == len) {
		if (optional)
			return (0);
		return (validate_fail(e, "body",
		    "empty (want a JSON object)"));
	}
	if (len >= INT_MAX || memchr(buf, '\0', len) != NULL)
		return (validate_fail(e, "body", "invalid JSON"));

	copy = xmalloc(len + 1);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if ((tok = json_tokener_new_ex(VALIDATE_MAX_DEPTH)) == NULL)
		fatalx("json_tokener_new_ex");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, copy, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (o != NULL && json_tokener_get_parse_end(tok) < len) {
		json_object_put(o);
		o = NULL;
		jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	free(copy);
	if (o == NULL)
		return (validate_fail(e, "body", "invalid JSON (%s)",
		    json_tokener_error_desc(jerr)));
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return (validate_fail(e, "body", "must be a JSON object"));
	}
	*out = o;
	return (0);
}

/* Validate and normalize a start request; split off its env. */
int
validate_start(struct json_object *body, const struct config *cfg,
    struct json_object **normp, struct json_object **envp,
    struct validate_err *e)
{
	static const char *const keys[] = {
		"villageId", "agentName", "providerId", "repoRef", "checkout",
		"roomPath", "task", "policy", "env", NULL
	};
	static const struct validate_str id = { 0, 1, VALIDATE_MAX_ID, 0 };
	static const struct validate_str name = { 0, 0, VALIDATE_MAX_ID, 0 };
	static const struct validate_str provider_id = {
		1, 1, VALIDATE_MAX_ID, 0
	};
	const struct provider	*p;
	struct json_object	*norm, *env = NULL;
	const char		*v, *branch = NULL;
	char			 safe[72];

	*normp = *envp = NULL;
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (validate_fail(e, "body", "must be a JSON object"));
	if (validate_keys(body, "", keys, e) != 0)
		return (-1);

	norm = json_object_new_object();
	if (validate_string(body, "", "villageId", &id, &v, e) != 0)
		goto fail;
	if (v != NULL && (strlen(v) > VALIDATE_MAX_ID ||
	    !validate_charset(v, "_.:-"))) {
		validate_fail(e, "villageId",
		    "must be 1..128 of [A-Za-z0-9_.:-]");
		goto fail;
	}
	json_object_object_add(norm, "villageId",
	    json_object_new_string(v != NULL ? v : "demo"));

	if (validate_string(body, "", "agentName", &name, &v, e) != 0)
		goto fail;
	if (v != NULL)
		json_object_object_add(norm, "agentName",
		    json_object_new_string(v));

	if (validate_string(body, "", "providerId", &provider_id, &v, e) != 0)
		goto fail;
	if ((p = config_provider(cfg, v)) == NULL) {
		validate_printable(v, safe, sizeof safe);
		validate_fail(e, "providerId", "unknown provider '%s'", safe);
		goto fail;
	}
	json_object_object_add(norm, "providerId", json_object_new_string(v));

	if (validate_repo(body, cfg, norm, &branch, e) != 0)
		goto fail;
	if (validate_checkout(body, norm, branch, e) != 0)
		goto fail;
	if (validate_relpath(body, "", "roomPath", &v, e) != 0)
		goto fail;
	if (v != NULL)
		json_object_object_add(norm, "roomPath",
		    json_object_new_string(v));
	if (validate_task(body, norm, e) != 0)
		goto fail;
	if (validate_policy(body, norm, e) != 0)
		goto fail;
	if (validate_limits(body, cfg, norm, e) != 0)
		goto fail;
	if (validate_env(body, &env, e) != 0)
		goto fail;
	if (validate_credentials(p, env, e) != 0)
		goto fail;

	*normp = norm;
	*envp = env;
	return (0);

fail:
	json_object_put(norm);
	json_object_put(env);
	return (-1);
}

/* Validate an input body {data}. */
int
validate_input(struct json_object *body, const char **data, size_t *len,
    struct validate_err *e)
{
	static const char *const keys[] = { "data", NULL };
	static const struct validate_str rule = {
		1, 1, VALIDATE_MAX_INPUT, 1
	};
	struct json_object	*v;

	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (validate_fail(e, "body", "must be a JSON object"));
	if (validate_keys(body, "", keys, e) != 0)
		return (-1);
	if (!json_object_object_get_ex(body, "data", &v))
		return (validate_fail(e, "data", "required"));
	if (validate_string_value(v, "data", &rule, data, len, e) != 0)
		return (-1);
	if (*len > VALIDATE_MAX_INPUT)
		return (validate_fail(e, "data", "must be at most %d bytes",
		    VALIDATE_MAX_INPUT));
	return (0);
}

/* An integer member in 1..VALIDATE_MAX_DIM. */
static int
validate_dim(struct json_object *body, const char *key, int *out,
    struct validate_err *e)
{
	struct json_object	*v;
	int64_t			 n;

	if (!json_object_object_get_ex(body, key, &v))
		return (validate_fail(e, key, "required"));
	if (jsonget_int(v, key, INT64_MIN, INT64_MAX, &n, NULL, 0) == -1)
		return (validate_fail(e, key, "must be an integer"));
	if (n < 1 || n > VALIDATE_MAX_DIM)
		return (validate_fail(e, key, "must be 1..%d",
		    VALIDATE_MAX_DIM));
	*out = (int)n;
	return (0);
}

/* Validate a resize body {cols, rows}. */
int
validate_resize(struct json_object *body, int *cols, int *rows,
    struct validate_err *e)
{
	static const char *const keys[] = { "cols", "rows", NULL };

	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (validate_fail(e, "body", "must be a JSON object"));
	if (validate_keys(body, "", keys, e) != 0)
		return (-1);
	if (validate_dim(body, "cols", cols, e) != 0 ||
	    validate_dim(body, "rows", rows, e) != 0)
		return (-1);
	return (0);
}

/* Validate an optional stop body {graceful?}. */
int
validate_stop(struct json_object *body, int *graceful, struct validate_err *e)
{
	static const char *const keys[] = { "graceful", NULL };
	struct json_object	*v;

	*graceful = 1;
	if (body == NULL)
		return (0);
	if (!json_object_is_type(body, json_type_object))
		return (validate_fail(e, "body", "must be a JSON object"));
	if (validate_keys(body, "", keys, e) != 0)
		return (-1);
	if (!json_object_object_get_ex(body, "graceful", &v))
		return (0);
	if (jsonget_bool(v, "graceful", graceful, NULL, 0) == -1)
		return (validate_fail(e, "graceful", "must be a boolean"));
	return (0);
}

/* Validate an approval body {decision, note?}. */
int
validate_approval(struct json_object *body, const char **decision,
    const char **note, struct validate_err *e)
{
	static const char *const keys[] = { "decision", "note", NULL };
	static const struct validate_str any = { 1, 1, 64, 0 };
	static const struct validate_str note_rule = {
		0, 0, VALIDATE_MAX_NOTE, 0
	};

	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (validate_fail(e, "body", "must be a JSON object"));
	if (validate_keys(body, "", keys, e) != 0)
		return (-1);
	if (validate_string(body, "", "decision", &any, decision, e) != 0)
		return (-1);
	if (strcmp(*decision, "allow") != 0 && strcmp(*decision, "deny") != 0)
		return (validate_fail(e, "decision",
		    "must be one of allow, deny"));
	if (validate_string(body, "", "note", &note_rule, note, e) != 0)
		return (-1);
	return (0);
}
