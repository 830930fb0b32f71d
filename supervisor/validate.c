/* Strict parsing and validation of request bodies (DESIGN section 6). */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/util.h"
#include "supervisor/field.h"
#include "supervisor/policy.h"
#include "supervisor/validate.h"

#define VALIDATE_MAX_ID		128	/* villageId, agentName, providerId */
#define VALIDATE_MAX_PATH	4096	/* repoRef.path */
#define VALIDATE_MAX_ROOM	1024	/* roomPath, task.roomPath */
#define VALIDATE_MAX_REPO	100	/* repoRef.owner, repoRef.name */
#define VALIDATE_MAX_REF	255	/* branch, tag and ref names */
#define VALIDATE_MAX_TITLE	200	/* characters */
#define VALIDATE_MAX_GOAL	4000	/* characters */
#define VALIDATE_MAX_NOTE	2000	/* characters of an approval note */
#define VALIDATE_MAX_ENV	256	/* variables */
#define VALIDATE_MAX_ENVNAME	128	/* bytes */
#define VALIDATE_MAX_ENVVAL	32768	/* bytes */
#define VALIDATE_MAX_DIM	1000	/* terminal columns and rows */

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
	static const struct field_rule rule = { 0, 1, VALIDATE_MAX_REF, 0 };
	char	field[128];

	if (field_string(o, path, key, &rule, out, e) != 0)
		return (-1);
	field_path(field, sizeof field, path, key);
	if (*out == NULL) {
		if (required)
			return (field_fail(e, field, "required"));
		return (0);
	}
	if (!validate_refname(*out))
		return (field_fail(e, field, "must be a valid git ref name "
		    "([A-Za-z0-9._/-], no '..', no component starting with "
		    "'.')"));
	return (0);
}

/* A relative path (roomPath): no leading '/', no ".." component. */
static int
validate_relpath(struct json_object *o, const char *path, const char *key,
    const char **out, struct validate_err *e)
{
	static const struct field_rule rule = { 0, 1, VALIDATE_MAX_ROOM, 0 };
	const char	*c, *end;
	char		 field[128];

	if (field_string(o, path, key, &rule, out, e) != 0)
		return (-1);
	if (*out == NULL)
		return (0);
	field_path(field, sizeof field, path, key);
	if (strlen(*out) > VALIDATE_MAX_ROOM)
		return (field_fail(e, field, "must be at most %d bytes",
		    VALIDATE_MAX_ROOM));
	if (validate_has_control(*out))
		return (field_fail(e, field,
		    "must not contain control characters"));
	if ((*out)[0] == '/')
		return (field_fail(e, field, "must be a relative path"));
	for (c = *out; *c != '\0'; c = *end == '\0' ? end : end + 1) {
		if ((end = strchr(c, '/')) == NULL)
			end = c + strlen(c);
		if (end - c == 2 && c[0] == '.' && c[1] == '.')
			return (field_fail(e, field,
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
	field_printable(path, shown, sizeof shown);
	for (i = 0; i < nitems(dirs); i++) {
		if (dirs[i] == NULL || !validate_under(p, dirs[i]))
			continue;
		free(p);
		return (field_fail(e, "repoRef.path", "'%s' lies in "
		    "runnerd's %s (other sessions' data); refused whatever "
		    "allowed_roots says", shown, names[i]));
	}
	for (i = 0; cfg->allowed_roots != NULL &&
	    cfg->allowed_roots[i] != NULL && !ok; i++)
		ok = validate_under(p, cfg->allowed_roots[i]);
	free(p);
	if (!ok)
		return (field_fail(e, "repoRef.path", "'%s' is outside "
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
	static const struct field_rule any = { 1, 1, 64, 0 };
	static const struct field_rule path_rule = {
		1, 1, VALIDATE_MAX_PATH, 0
	};
	static const struct field_rule local_name = { 0, 1, 200, 0 };
	static const struct field_rule repo_part = {
		1, 1, VALIDATE_MAX_REPO, 0
	};
	struct json_object	*repo, *out;
	const char		*provider, *path = NULL, *name, *owner, *branch;

	if (field_object(body, "", "repoRef", 1, &repo, e) != 0)
		return (-1);
	if (field_string(repo, "repoRef", "provider", &any, &provider,
	    e) != 0)
		return (-1);
	if (!field_in(provider, providers))
		return (field_fail(e, "repoRef.provider", "must be one of "
		    "local, github, gitlab, bitbucket"));
	out = json_object_new_object();
	json_object_object_add(out, "provider",
	    json_object_new_string(provider));
	if (strcmp(provider, "local") == 0) {
		if (field_keys(repo, "repoRef", local_keys, e) != 0)
			goto fail;
		if (field_string(repo, "repoRef", "path", &path_rule, &path,
		    e) != 0)
			goto fail;
		if (strlen(path) > VALIDATE_MAX_PATH) {
			field_fail(e, "repoRef.path", "must be at most %d "
			    "bytes", VALIDATE_MAX_PATH);
			goto fail;
		}
		if (path[0] != '/') {
			field_fail(e, "repoRef.path",
			    "must be an absolute path");
			goto fail;
		}
		if (validate_has_control(path)) {
			field_fail(e, "repoRef.path",
			    "must not contain control characters");
			goto fail;
		}
		json_object_object_add(out, "path",
		    json_object_new_string(path));
		if (field_string(repo, "repoRef", "name", &local_name,
		    &name, e) != 0)
			goto fail;
		if (name != NULL)
			json_object_object_add(out, "name",
			    json_object_new_string(name));
	} else {
		if (field_keys(repo, "repoRef", remote_keys, e) != 0)
			goto fail;
		if (field_string(repo, "repoRef", "owner", &repo_part,
		    &owner, e) != 0)
			goto fail;
		if (!validate_charset(owner, "_.-") ||
		    strcmp(owner, ".") == 0 || strcmp(owner, "..") == 0) {
			field_fail(e, "repoRef.owner",
			    "must be 1..100 of [A-Za-z0-9_.-]");
			goto fail;
		}
		if (field_string(repo, "repoRef", "name", &repo_part,
		    &name, e) != 0)
			goto fail;
		if (!validate_charset(name, "_.-") ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			field_fail(e, "repoRef.name",
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
	static const struct field_rule any = { 1, 1, 64, 0 };
	static const struct field_rule sha_rule = { 1, 4, 40, 0 };
	struct json_object	*co, *out;
	const char		*type, *v;
	char			 sha[41];
	size_t			 i;

	if (field_object(body, "", "checkout", 0, &co, e) != 0)
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
	if (field_string(co, "checkout", "type", &any, &type, e) != 0)
		goto fail;
	if (!field_in(type, types)) {
		field_fail(e, "checkout.type",
		    "must be one of branch, commit, tag");
		goto fail;
	}
	json_object_object_add(out, "type", json_object_new_string(type));
	if (strcmp(type, "branch") == 0) {
		if (field_keys(co, "checkout", branch_keys, e) != 0 ||
		    validate_ref(co, "checkout", "ref", 1, &v, e) != 0)
			goto fail;
		json_object_object_add(out, "ref", json_object_new_string(v));
	} else if (strcmp(type, "tag") == 0) {
		if (field_keys(co, "checkout", tag_keys, e) != 0 ||
		    validate_ref(co, "checkout", "tag", 1, &v, e) != 0)
			goto fail;
		json_object_object_add(out, "tag", json_object_new_string(v));
	} else {
		if (field_keys(co, "checkout", commit_keys, e) != 0 ||
		    field_string(co, "checkout", "sha", &sha_rule, &v,
		    e) != 0)
			goto fail;
		for (i = 0; v[i] != '\0'; i++) {
			if (i >= 40 || !isxdigit((unsigned char)v[i])) {
				field_fail(e, "checkout.sha",
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
	static const struct field_rule title = {
		1, 1, VALIDATE_MAX_TITLE, 0
	};
	static const struct field_rule goal = { 1, 1, VALIDATE_MAX_GOAL, 0 };
	static const struct field_rule item = {
		1, 0, FIELD_MAX_ITEM, 0
	};
	struct json_object	*task, *out, *a;
	const char		*v;

	if (field_object(body, "", "task", 1, &task, e) != 0)
		return (-1);
	if (field_keys(task, "task", keys, e) != 0)
		return (-1);
	out = json_object_new_object();
	if (field_string(task, "task", "title", &title, &v, e) != 0)
		goto fail;
	json_object_object_add(out, "title", json_object_new_string(v));
	if (field_string(task, "task", "goal", &goal, &v, e) != 0)
		goto fail;
	json_object_object_add(out, "goal", json_object_new_string(v));
	if (field_strings(task, "task", "constraints", &item, NULL, &a,
	    e) != 0)
		goto fail;
	json_object_object_add(out, "constraints", a);
	if (field_strings(task, "task", "acceptance", &item, NULL, &a,
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
	if (field_object(body, "", "env", 0, &env, e) != 0)
		return (-1);
	*out = json_object_new_object();
	if (env == NULL)
		return (0);
	if (json_object_object_length(env) > VALIDATE_MAX_ENV) {
		field_fail(e, "env", "must have at most %d variables",
		    VALIDATE_MAX_ENV);
		goto fail;
	}
	json_object_object_foreach(env, key, v) {
		if (!validate_envname(key)) {
			field_fail(e, "env", "invalid variable name (want "
			    "[A-Za-z_][A-Za-z0-9_]*, at most %d bytes)",
			    VALIDATE_MAX_ENVNAME);
			goto fail;
		}
		snprintf(field, sizeof field, "env.%s", key);
		if (jsonget_string(v, field, &s, NULL, 0) == -1) {
			field_fail(e, field, "must be a string");
			goto fail;
		}
		len = (size_t)json_object_get_string_len(v);
		if (len > VALIDATE_MAX_ENVVAL) {
			field_fail(e, field, "must be at most %d bytes",
			    VALIDATE_MAX_ENVVAL);
			goto fail;
		}
		if (strlen(s) != len) {
			field_fail(e, field, "must not contain NUL");
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
		return (field_fail(e, "body",
		    "empty (want a JSON object)"));
	}
	if (len >= INT_MAX || memchr(buf, '\0', len) != NULL)
		return (field_fail(e, "body", "invalid JSON"));

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
		return (field_fail(e, "body", "invalid JSON (%s)",
		    json_tokener_error_desc(jerr)));
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return (field_fail(e, "body", "must be a JSON object"));
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
	static const struct field_rule id = { 0, 1, VALIDATE_MAX_ID, 0 };
	static const struct field_rule name = { 0, 0, VALIDATE_MAX_ID, 0 };
	static const struct field_rule provider_id = {
		1, 1, VALIDATE_MAX_ID, 0
	};
	const struct provider	*p;
	struct json_object	*norm, *env = NULL;
	const char		*v, *branch = NULL;
	char			 safe[72];

	*normp = *envp = NULL;
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (field_fail(e, "body", "must be a JSON object"));
	if (field_keys(body, "", keys, e) != 0)
		return (-1);

	norm = json_object_new_object();
	if (field_string(body, "", "villageId", &id, &v, e) != 0)
		goto fail;
	if (v != NULL && (strlen(v) > VALIDATE_MAX_ID ||
	    !validate_charset(v, "_.:-"))) {
		field_fail(e, "villageId",
		    "must be 1..128 of [A-Za-z0-9_.:-]");
		goto fail;
	}
	json_object_object_add(norm, "villageId",
	    json_object_new_string(v != NULL ? v : "demo"));

	if (field_string(body, "", "agentName", &name, &v, e) != 0)
		goto fail;
	if (v != NULL)
		json_object_object_add(norm, "agentName",
		    json_object_new_string(v));

	if (field_string(body, "", "providerId", &provider_id, &v, e) != 0)
		goto fail;
	if ((p = config_provider(cfg, v)) == NULL) {
		field_printable(v, safe, sizeof safe);
		field_fail(e, "providerId", "unknown provider '%s'", safe);
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
	if (policy_validate(body, norm, e) != 0)
		goto fail;
	if (policy_limits(body, cfg, norm, e) != 0)
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
	static const struct field_rule rule = {
		1, 1, VALIDATE_MAX_INPUT, 1
	};
	struct json_object	*v;

	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (field_fail(e, "body", "must be a JSON object"));
	if (field_keys(body, "", keys, e) != 0)
		return (-1);
	if (!json_object_object_get_ex(body, "data", &v))
		return (field_fail(e, "data", "required"));
	if (field_string_value(v, "data", &rule, data, len, e) != 0)
		return (-1);
	if (*len > VALIDATE_MAX_INPUT)
		return (field_fail(e, "data", "must be at most %d bytes",
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
		return (field_fail(e, key, "required"));
	if (jsonget_int(v, key, INT64_MIN, INT64_MAX, &n, NULL, 0) == -1)
		return (field_fail(e, key, "must be an integer"));
	if (n < 1 || n > VALIDATE_MAX_DIM)
		return (field_fail(e, key, "must be 1..%d",
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
		return (field_fail(e, "body", "must be a JSON object"));
	if (field_keys(body, "", keys, e) != 0)
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
		return (field_fail(e, "body", "must be a JSON object"));
	if (field_keys(body, "", keys, e) != 0)
		return (-1);
	if (!json_object_object_get_ex(body, "graceful", &v))
		return (0);
	if (jsonget_bool(v, "graceful", graceful, NULL, 0) == -1)
		return (field_fail(e, "graceful", "must be a boolean"));
	return (0);
}

/* Validate an approval body {decision, note?}. */
int
validate_approval(struct json_object *body, const char **decision,
    const char **note, struct validate_err *e)
{
	static const char *const keys[] = { "decision", "note", NULL };
	static const struct field_rule any = { 1, 1, 64, 0 };
	static const struct field_rule note_rule = {
		0, 0, VALIDATE_MAX_NOTE, 0
	};

	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (field_fail(e, "body", "must be a JSON object"));
	if (field_keys(body, "", keys, e) != 0)
		return (-1);
	if (field_string(body, "", "decision", &any, decision, e) != 0)
		return (-1);
	if (strcmp(*decision, "allow") != 0 && strcmp(*decision, "deny") != 0)
		return (field_fail(e, "decision",
		    "must be one of allow, deny"));
	if (field_string(body, "", "note", &note_rule, note, e) != 0)
		return (-1);
	return (0);
}
