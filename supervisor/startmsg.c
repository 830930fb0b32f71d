/* The START message: a session's part and the config, for its worker. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/proto.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "host/overlay.h"
#include "host/quota.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supervisor/startmsg.h"

/*
 * A remote repoRef's URL, <base>/<owner>/<name>.git, and the name of the
 * variable that holds its host's token; NULL for a local one.
 */
static char *
startmsg_remote_url(struct session *s, const char **token_var)
{
	struct json_object	*repo, *v;
	const char		*prov, *owner, *name, *base;
	size_t			 len;

	if (!json_object_object_get_ex(s->record, "repoRef", &repo) ||
	    !json_object_object_get_ex(repo, "provider", &v))
		return (NULL);
	prov = json_object_get_string(v);
	if (strcmp(prov, "github") == 0) {
		base = server_cfg->github_url;
		*token_var = "GITHUB_TOKEN";
	} else if (strcmp(prov, "gitlab") == 0) {
		base = server_cfg->gitlab_url;
		*token_var = "GITLAB_TOKEN";
	} else if (strcmp(prov, "bitbucket") == 0) {
		base = server_cfg->bitbucket_url;
		*token_var = "BITBUCKET_TOKEN";
	} else
		return (NULL);
	if (!json_object_object_get_ex(repo, "owner", &v))
		return (NULL);
	owner = json_object_get_string(v);
	if (!json_object_object_get_ex(repo, "name", &v))
		return (NULL);
	name = json_object_get_string(v);
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	return (xasprintf("%.*s/%s/%s.git", (int)len, base, owner, name));
}

/*
 * The session's resource limits for START: the config's, lowered by the
 * request's policy.limits (validate.c kept those within the config's);
 * the disk quota only where quotas work.
 */
static struct json_object *
startmsg_limits(struct session *s)
{
	struct json_object	*o, *pol, *req, *v;
	static const char *const keys[] = {
		"memoryMaxBytes", "pidsMax", "cpuMaxPct", "workspaceMaxBytes",
		"idleTimeoutMs"
	};
	int64_t			 val[5];
	size_t			 i;

	val[0] = server_cfg->memory_max_bytes;
	val[1] = server_cfg->pids_max;
	val[2] = server_cfg->cpu_max_pct;
	val[3] = server_cfg->workspace_max_bytes;
	val[4] = server_cfg->agent_idle_timeout_ms;
	if (!json_object_object_get_ex(s->record, "policy", &pol) ||
	    !json_object_object_get_ex(pol, "limits", &req))
		req = NULL;
	o = json_object_new_object();
	for (i = 0; i < nitems(keys); i++) {
		if (req != NULL && json_object_object_get_ex(req, keys[i], &v) &&
		    json_object_is_type(v, json_type_int))
			val[i] = json_object_get_int64(v);
		/* Without loop devices or mkfs: no quota, as /healthz says. */
		if (i == 3)
			val[i] = quota_effective(val[i]);
		json_object_object_add(o, keys[i],
		    json_object_new_int64(val[i]));
	}
	return (o);
}

/*
 * The START message (proto.h): this session's part, with what was derived
 * for it here, and the config in its own form for the worker's loader.
 */
struct json_object *
startmsg_create(struct session *s, struct json_object *env)
{
	struct json_object	*o, *sess, *v;
	const char		*home, *lang, *token_var = NULL, *token;
	static const char	*keys[] = { "repoRef", "checkout", "task",
				    "policy", "roomPath" };
	char			*url;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("START"));
	json_object_object_add(o, "protocol",
	    json_object_new_int(PROTO_VERSION));
	sess = json_object_new_object();
	json_object_object_add(sess, "sessionId",
	    json_object_new_string(s->id));
	json_object_object_add(sess, "orgId",
	    json_object_new_string(s->org_id));
	json_object_object_add(sess, "villageId",
	    json_object_new_string(s->village_id));
	json_object_object_add(sess, "agentId",
	    json_object_new_string(s->agent_id));
	for (i = 0; i < nitems(keys); i++) {
		if (json_object_object_get_ex(s->record, keys[i], &v))
			json_object_object_add(sess, keys[i],
			    json_object_get(v));
	}
	/* env is borrowed from the request; this ref dies with o. */
	json_object_object_add(sess, "env", json_object_get(env));
	json_object_object_add(sess, "provider",
	    json_object_new_string(s->provider_id));
	url = startmsg_remote_url(s, &token_var);
	if (url != NULL && (env == NULL ||
	    !json_object_object_get_ex(env, token_var, NULL)) &&
	    (token = getenv(token_var)) != NULL && *token != '\0') {
		/*
		 * The daemon's own token is for the worker's fetch alone:
		 * never in the record, never in the agent's environment.
		 */
		json_object_object_add(sess, "remoteToken",
		    json_object_new_string(token));
	}
	if (url != NULL) {
		json_object_object_add(sess, "remoteUrl",
		    json_object_new_string(url));
		free(url);
	}
	/* What "auto" resolved to, by the start-up probe. */
	json_object_object_add(sess, "workspaceMode", json_object_new_string(
	    overlay_mode(server_cfg->workspace_mode, NULL)));
	json_object_object_add(sess, "cgroupBase", cgroup_resolved() != NULL ?
	    json_object_new_string(cgroup_resolved()) : NULL);
	json_object_object_add(sess, "limits", startmsg_limits(s));
	/* The session's proxy refuses these, allowlisted or not. */
	json_object_object_add(sess, "daemonListen",
	    strv_to_json(server_listen));
	json_object_object_add(sess, "cols", json_object_new_int(120));
	json_object_object_add(sess, "rows", json_object_new_int(40));
	home = getenv("HOME");
	json_object_object_add(sess, "home",
	    json_object_new_string(home != NULL ? home : "/"));
	lang = getenv("LANG");
	json_object_object_add(sess, "lang", json_object_new_string(
	    lang != NULL && *lang != '\0' ? lang : "C.UTF-8"));
	json_object_object_add(o, "session", sess);
	/* No secret: the worker needs none of tokens and jwt_secret. */
	json_object_object_add(o, "config", config_to_wire(server_cfg));
	return (o);
}
