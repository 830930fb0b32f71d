/* The policy object of a session request: shell lists, approvals, limits. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "supervisor/field.h"
#include "supervisor/policy.h"
#include "supervisor/validate.h"

static const char *const policy_categories[] = {
	"merge", "deps_add", "secrets", "deploy", "shell", "network", NULL
};
static const char *const policy_default_approvals[] = {
	"merge", "deps_add", "secrets", "deploy", NULL
};

/*
 * policy.limits {memoryMaxBytes, pidsMax, cpuMaxPct, workspaceMaxBytes,
 * idleTimeoutMs (a driven CLI's, agent_idle_timeout_ms)}: a
 * session may ask for
 * less than the config's limits, never for more (0 in the config means no
 * limit, so anything goes). Only what was given lands in norm.policy; the
 * supervisor fills in the rest from the config when it starts the worker.
 */
int
policy_limits(struct json_object *body, const struct config *cfg,
    struct json_object *norm, struct validate_err *e)
{
	static const char *const keys[] = {
		"memoryMaxBytes", "pidsMax", "cpuMaxPct", "workspaceMaxBytes",
		"idleTimeoutMs", NULL
	};
	/*
	 * pidsMax: the worker is in the cgroup while it forks the CLI.
	 * workspaceMaxBytes: room for a filesystem (host/quota.h).
	 */
	const int64_t		 min[] = { 4 * 1024 * 1024, 8, 1,
		16 * 1024 * 1024, 0 };
	const int64_t		 max[] = {
		cfg->memory_max_bytes > 0 ? cfg->memory_max_bytes :
		INT64_MAX / 2, cfg->pids_max > 0 ? cfg->pids_max : 4194304,
		cfg->cpu_max_pct > 0 ? cfg->cpu_max_pct : 100000,
		cfg->workspace_max_bytes > 0 ? cfg->workspace_max_bytes :
		INT64_MAX / 2, cfg->agent_idle_timeout_ms
	};
	struct json_object	*policy, *limits, *v, *out, *np;
	char			 field[64];
	size_t			 i;
	int64_t			 n;

	if (!json_object_object_get_ex(body, "policy", &policy) ||
	    !json_object_object_get_ex(policy, "limits", &limits))
		return (0);
	if (jsonget_object(limits, "policy.limits", &limits, NULL, 0) == -1)
		return (field_fail(e, "policy.limits", "must be an object"));
	if (field_keys(limits, "policy.limits", keys, e) != 0)
		return (-1);
	out = json_object_new_object();
	for (i = 0; keys[i] != NULL; i++) {
		if (!json_object_object_get_ex(limits, keys[i], &v))
			continue;
		snprintf(field, sizeof field, "policy.limits.%s", keys[i]);
		if (jsonget_int(v, field, INT64_MIN, INT64_MAX, &n, NULL,
		    0) == -1) {
			json_object_put(out);
			return (field_fail(e, field, "must be an integer"));
		}
		if (n < min[i] || n > max[i]) {
			json_object_put(out);
			return (field_fail(e, field, "must be %lld..%lld "
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
int
policy_validate(struct json_object *body, struct json_object *norm,
    struct validate_err *e)
{
	static const char *const keys[] = {
		"shellAllowlist", "shellDenylist", "requiresApprovalFor",
		"networkMode", "limits", NULL
	};
	static const char *const allow_all[] = { "*", NULL };
	static const char *const modes[] = { "restricted", "open", NULL };
	static const struct field_rule pattern = {
		1, 1, FIELD_MAX_ITEM, 0
	};
	static const struct field_rule any = { 0, 1, 64, 0 };
	struct json_object	*policy, *empty, *out, *a, *cats;
	const char		*v, *c;
	char			 field[64];
	size_t			 i, j, n;
	int			 dup;

	if (field_object(body, "", "policy", 0, &policy, e) != 0)
		return (-1);
	if (policy != NULL && field_keys(policy, "policy", keys, e) != 0)
		return (-1);
	/* An absent policy is an empty one: every member takes its default. */
	empty = json_object_new_object();
	if (policy == NULL)
		policy = empty;
	out = json_object_new_object();
	if (field_strings(policy, "policy", "shellAllowlist", &pattern,
	    allow_all, &a, e) != 0)
		goto fail;
	json_object_object_add(out, "shellAllowlist", a);
	if (field_strings(policy, "policy", "shellDenylist", &pattern,
	    NULL, &a, e) != 0)
		goto fail;
	json_object_object_add(out, "shellDenylist", a);
	if (field_strings(policy, "policy", "requiresApprovalFor", &any,
	    policy_default_approvals, &a, e) != 0)
		goto fail;
	/* Keep known categories, each once, in the order given. */
	cats = json_object_new_array();
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		v = json_object_get_string(json_object_array_get_idx(a, i));
		if (!field_in(v, policy_categories)) {
			json_object_put(cats);
			json_object_put(a);
			snprintf(field, sizeof field,
			    "policy.requiresApprovalFor[%zu]", i);
			field_fail(e, field, "must be one of merge, "
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
	if (field_string(policy, "policy", "networkMode", &any, &v, e) != 0)
		goto fail;
	if (v == NULL)
		v = "open";
	else if (!field_in(v, modes)) {
		field_fail(e, "policy.networkMode",
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
