/*
 * START, decoded. The supervisor sends {session: what this session is,
 * config: the daemon's config in its file's own form}; the config is read
 * by the loader of the file itself (config_load_json), so its defaults and
 * rules live once, in common/conf.c.
 */
#include "config.h"

#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/conf.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/netallow.h"
#include "common/proto.h"
#include "common/util.h"
#include "host/quota.h"
#include "worker/start.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* An optional string member: *out stays NULL when absent or null. */
#define OPT_STR(o, key, name, out) ((v = jsonget_member(o, key)) != NULL && \
	jsonget_string(v, name, out, cause, causelen) == -1)
#define OPT_STRV(o, key, name, out) ((v = jsonget_member(o, key)) != NULL && \
	jsonget_strv(v, name, out, cause, causelen) == -1)

/* Read the checkout: {type: branch, ref} | {commit, sha} | {tag, tag}. */
static int
start_checkout(struct start *st, struct json_object *repo,
    struct json_object *co, char *cause, size_t causelen)
{
	struct json_object	*v;
	const char		*type = NULL, *def = NULL, *key;
	int			 kind;

	if (co == NULL) {
		if (OPT_STR(repo, "defaultBranch", "repoRef.defaultBranch",
		    &def))
			return (-1);
		st->spec.kind = WORKSPACE_BRANCH;
		st->spec.ref = def != NULL ? def : "main";
		return (0);
	}
	if (OPT_STR(co, "type", "checkout.type", &type))
		return (-1);
	if (type == NULL || (kind = workspace_kind_parse(type)) == -1) {
		CAUSE("checkout.type must be branch, commit or tag");
		return (-1);
	}
	st->spec.kind = (enum workspace_kind)kind;
	key = kind == WORKSPACE_BRANCH ? "ref" : kind == WORKSPACE_COMMIT ?
	    "sha" : "tag";
	if (OPT_STR(co, key, key, &st->spec.ref))
		return (-1);
	if (st->spec.ref == NULL || *st->spec.ref == '\0') {
		CAUSE("checkout of type %s needs %s", type, key);
		return (-1);
	}
	return (0);
}

/*
 * A remote repoRef: its URL and the host's token from the request's env
 * (GITHUB_TOKEN, GITLAB_TOKEN, BITBUCKET_TOKEN) or the daemon's
 * (remoteToken, which the agent never sees); never logged.
 */
static int
start_remote(struct start *st, struct json_object *sess, char *cause,
    size_t causelen)
{
	struct json_object	*v;
	const char		*var = NULL;

	if (OPT_STR(sess, "remoteUrl", "session.remoteUrl",
	    &st->spec.remote_url))
		return (-1);
	if (st->spec.provider == NULL || st->spec.remote_url == NULL)
		return (0);
	if (st->spec.cache_dir[0] != '/') {
		CAUSE("cache_dir must be an absolute path");
		return (-1);
	}
	/* Named in errors and logs instead of a local path. */
	st->spec.repo_path = st->spec.remote_url;
	if (strcmp(st->spec.provider, "github") == 0)
		var = "GITHUB_TOKEN";
	else if (strcmp(st->spec.provider, "gitlab") == 0)
		var = "GITLAB_TOKEN";
	else if (strcmp(st->spec.provider, "bitbucket") == 0)
		var = "BITBUCKET_TOKEN";
	/* The request's own token first, else the daemon's (remoteToken). */
	if (var != NULL && (st->spec.token = jsonget_str(st->env, var)) != NULL)
		return (0);
	return (OPT_STR(sess, "remoteToken", "session.remoteToken",
	    &st->spec.token) ? -1 : 0);
}

/* The session's limits, already lowered by its policy, and the quota. */
static int
start_limits(struct start *st, struct json_object *sess, char *cause,
    size_t causelen)
{
	struct json_object	*v, *lim;
	int64_t			 quota;

	if (OPT_STR(sess, "cgroupBase", "session.cgroupBase", &st->cg_base) ||
	    jsonget_object(jsonget_member(sess, "limits"), "session.limits",
	    &lim, cause, causelen) == -1 ||
	    jsonget_int(jsonget_member(lim, "memoryMaxBytes"),
	    "limits.memoryMaxBytes", 0, INT64_MAX / 2,
	    &st->cg_limits.memory_max, cause, causelen) == -1 ||
	    jsonget_int(jsonget_member(lim, "pidsMax"), "limits.pidsMax", 0,
	    INT32_MAX, &st->cg_limits.pids_max, cause, causelen) == -1 ||
	    jsonget_int(jsonget_member(lim, "cpuMaxPct"), "limits.cpuMaxPct",
	    0, 100000, &st->cg_limits.cpu_max_pct, cause, causelen) == -1 ||
	    jsonget_int(jsonget_member(lim, "workspaceMaxBytes"),
	    "limits.workspaceMaxBytes", 0, INT64_MAX / 2, &quota, cause,
	    causelen) == -1)
		return (-1);
	if (quota != 0 && quota_image_bytes(quota) == 0) {
		CAUSE("limits.workspaceMaxBytes: 0 or at least %lld",
		    (long long)QUOTA_MIN_BYTES);
		return (-1);
	}
	st->spec.quota_bytes = quota;
	/* A driven CLI's idle timeout; the config's when not given. */
	st->idle_ms = -1;
	if (jsonget_member(lim, "idleTimeoutMs") != NULL &&
	    jsonget_int(jsonget_member(lim, "idleTimeoutMs"),
	    "limits.idleTimeoutMs", 0, INT64_MAX / 4, &st->idle_ms, cause,
	    causelen) == -1)
		return (-1);
	return (0);
}

/*
 * The sandbox: the agent's uid and gid, required layers, exposed paths,
 * nofile, and the places to hide (the workspace root, the state and cache
 * dirs). As root, the workspace is the agent's.
 */
static void
start_sandbox(struct start *st)
{
	struct config	*c = st->cfg;

	st->sbp.uid = (uid_t)c->sandbox_uid;
	st->sbp.gid = (gid_t)c->sandbox_gid;
	st->sbp.nofile_max = (long)c->nofile_max;
	st->sbp.required = c->sandbox_layers;
	st->sb_expose = c->sandbox_expose;
	c->sandbox_expose = NULL;
	st->sbp.expose = st->sb_expose;
	st->sbp.hide[0] = c->workspace_dir;
	st->sbp.hide[1] = c->state_dir;
	st->sbp.hide[2] = c->cache_dir;
	st->net_open = st->task.network_mode == NULL ||
	    strcmp(st->task.network_mode, "restricted") != 0;
	if (c->sandbox && geteuid() == 0) {
		st->spec.owner_uid = st->sbp.uid;
		st->spec.owner_gid = st->sbp.gid;
	}
	/*
	 * The diff reads what the agent wrote: as root, in a private view
	 * holding only the workspace, as the workspace's owner when the
	 * sandbox is on. Rootless, only its gitdir and workdir are pinned.
	 */
	st->diff_opts.isolate = geteuid() == 0;
	st->diff_opts.drop = c->sandbox && geteuid() == 0;
	st->diff_opts.uid = st->sbp.uid;
	st->diff_opts.gid = st->sbp.gid;
	if (!st->diff_opts.isolate)
		log_info("not root: the diff runs without a private view, "
		    "its gitdir and workdir pinned (core.worktree and gitdir: "
		    "files ignored)");
	st->max_watches = (size_t)c->max_watches;
}

/* The repository, the task and the policy of the request. */
static int
start_request(struct start *st, struct json_object *sess, char *cause,
    size_t causelen)
{
	struct json_object	*v, *repo, *co = NULL, *task, *policy = NULL;
	const char		*room = NULL;

	if (jsonget_object(jsonget_member(sess, "repoRef"), "repoRef", &repo,
	    cause, causelen) == -1 ||
	    jsonget_object(jsonget_member(sess, "task"), "task", &task, cause,
	    causelen) == -1 ||
	    ((v = jsonget_member(sess, "checkout")) != NULL &&
	    jsonget_object(v, "checkout", &co, cause, causelen) == -1) ||
	    ((v = jsonget_member(sess, "policy")) != NULL &&
	    jsonget_object(v, "policy", &policy, cause, causelen) == -1))
		return (-1);
	if (OPT_STR(repo, "provider", "repoRef.provider", &st->spec.provider) ||
	    OPT_STR(repo, "path", "repoRef.path", &st->spec.repo_path) ||
	    start_checkout(st, repo, co, cause, causelen) == -1)
		return (-1);
	if (OPT_STR(task, "title", "task.title", &st->task.title) ||
	    OPT_STR(task, "goal", "task.goal", &st->task.goal) ||
	    OPT_STRV(task, "constraints", "task.constraints",
	    &st->task.constraints) ||
	    OPT_STRV(task, "acceptance", "task.acceptance",
	    &st->task.acceptance) ||
	    OPT_STR(task, "roomPath", "task.roomPath", &room) ||
	    OPT_STR(task, "branchName", "task.branchName",
	    &st->spec.branch_name) ||
	    OPT_STR(sess, "roomPath", "roomPath", &st->room_path))
		return (-1);
	st->task.room_path = room != NULL ? room : st->room_path;
	if (st->room_path == NULL)
		st->room_path = room;
	return (OPT_STRV(policy, "shellAllowlist", "policy.shellAllowlist",
	    &st->task.shell_allow) ||
	    OPT_STRV(policy, "shellDenylist", "policy.shellDenylist",
	    &st->task.shell_deny) ||
	    OPT_STRV(policy, "requiresApprovalFor",
	    "policy.requiresApprovalFor", &st->task.approval_for) ||
	    OPT_STR(policy, "networkMode", "policy.networkMode",
	    &st->task.network_mode) ? -1 : 0);
}

/* The workspace: where, how it is made, from which cache. */
static int
start_workspace(struct start *st, struct json_object *sess, char *cause,
    size_t causelen)
{
	struct config	*c = st->cfg;
	const char	*mode;

	st->spec.cache_dir = c->cache_dir;
	st->spec.cache_max_age_ms = (long long)c->cache_max_age_ms;
	st->spec.allowed_roots = c->allowed_roots;
	c->allowed_roots = NULL;
	if (c->workspace_dir[0] != '/') {
		CAUSE("workspace_dir must be an absolute path");
		return (-1);
	}
	/* Leave ownership alone unless the sandbox sets it. */
	st->spec.owner_uid = (uid_t)-1;
	st->spec.owner_gid = (gid_t)-1;
	/* The mode the supervisor's probe resolved "auto" to. */
	if (jsonget_string(jsonget_member(sess, "workspaceMode"),
	    "session.workspaceMode", &mode, cause, causelen) == -1)
		return (-1);
	if (strcmp(mode, "overlay") == 0)
		st->spec.mode = WORKSPACE_OVERLAY;
	else if (strcmp(mode, "clone") != 0) {
		CAUSE("session.workspaceMode must be overlay or clone");
		return (-1);
	}
	/* auto: a mount that fails anyway falls back to a clone. */
	st->spec.fallback = strcmp(c->workspace_mode, "auto") == 0;
	st->spec.cache_max_bytes = (long long)c->cache_max_bytes;
	/* A cached checkout no workspace used for a retention is pruned. */
	st->spec.checkout_max_age_ms = (long long)c->retention_ms;
	st->spec.shallow = c->shallow;
	return (start_remote(st, sess, cause, causelen));
}

/* START: -1 with a cause on anything missing or malformed. */
int
start_parse(struct json_object *o, struct start *st, char *cause,
    size_t causelen)
{
	struct json_object	*sess, *conf, *v;
	struct sockaddr_storage	 ss;
	const char		*name;
	char			 ccause[256];
	int64_t			 n;
	size_t			 i;

	memset(st, 0, sizeof *st);
	if (jsonget_int(jsonget_member(o, "protocol"), "protocol", 0,
	    INT32_MAX, &n, cause, causelen) == -1)
		return (-1);
	if (n != PROTO_VERSION) {
		CAUSE("START for protocol %lld, worker speaks %d",
		    (long long)n, PROTO_VERSION);
		return (-1);
	}
	if (jsonget_object(jsonget_member(o, "session"), "session", &sess,
	    cause, causelen) == -1 ||
	    jsonget_object(jsonget_member(o, "config"), "config", &conf,
	    cause, causelen) == -1 ||
	    jsonget_string(jsonget_member(sess, "sessionId"),
	    "session.sessionId", &st->session_id, cause, causelen) == -1)
		return (-1);
	/* The daemon's config, by the loader of its file: one set of rules. */
	st->cfg = config_default();
	if (config_load_json(st->cfg, conf, ccause, sizeof ccause) == -1) {
		CAUSE("config.%s", ccause);
		return (-1);
	}
	if ((v = jsonget_member(sess, "env")) != NULL &&
	    jsonget_object(v, "env", &st->env, cause, causelen) == -1)
		return (-1);
	if (st->env != NULL) {
		json_object_object_foreach(st->env, k, ev) {
			if (!json_object_is_type(ev, json_type_string)) {
				CAUSE("env.%.64s must be a string", k);
				return (-1);
			}
		}
	}
	if (jsonget_string(jsonget_member(sess, "provider"),
	    "session.provider", &name, cause, causelen) == -1)
		return (-1);
	if ((st->provider = config_provider(st->cfg, name)) == NULL) {
		CAUSE("provider %.64s is not in the config", name);
		return (-1);
	}
	if (start_request(st, sess, cause, causelen) == -1 ||
	    start_workspace(st, sess, cause, causelen) == -1)
		return (-1);
	if (jsonget_int(jsonget_member(sess, "cols"), "session.cols", 1, 1000,
	    &n, cause, causelen) == -1)
		return (-1);
	st->cols = (int)n;
	if (jsonget_int(jsonget_member(sess, "rows"), "session.rows", 1, 1000,
	    &n, cause, causelen) == -1)
		return (-1);
	st->rows = (int)n;
	if (jsonget_string(jsonget_member(sess, "home"), "session.home",
	    &st->home, cause, causelen) == -1 ||
	    jsonget_string(jsonget_member(sess, "lang"), "session.lang",
	    &st->lang, cause, causelen) == -1)
		return (-1);
	start_sandbox(st);
	if (start_limits(st, sess, cause, causelen) == -1)
		return (-1);
	st->exec_tests = st->cfg->test_patterns;
	st->cfg->test_patterns = NULL;
	st->net_allow = st->cfg->network_allowlist;
	st->cfg->network_allowlist = NULL;
	/* The session's proxy refuses these, allowlisted or not. */
	if (jsonget_strv(jsonget_member(sess, "daemonListen"),
	    "session.daemonListen", &st->net_listen, cause, causelen) == -1)
		return (-1);
	for (i = 0; st->net_listen[i] != NULL; i++) {
		if (netallow_sockaddr(st->net_listen[i], &ss) == -1) {
			CAUSE("daemonListen: '%.64s' is not address:port",
			    st->net_listen[i]);
			return (-1);
		}
	}
	st->dir = xasprintf("%s/%s", st->cfg->workspace_dir, st->session_id);
	st->spec.dir = st->dir;
	st->task.session_id = st->session_id;
	st->task.workspace = st->dir;
	return (0);
}

/* Free what st still owns (a caller may have taken some: NULL then). */
void
start_free(struct start *st)
{
	config_free(st->cfg);
	free(st->dir);
	strv_free(st->spec.allowed_roots);
	strv_free(st->sb_expose);
	strv_free(st->exec_tests);
	strv_free(st->net_allow);
	strv_free(st->net_listen);
	strv_free(st->task.constraints);
	strv_free(st->task.acceptance);
	strv_free(st->task.shell_allow);
	strv_free(st->task.shell_deny);
	strv_free(st->task.approval_for);
	memset(st, 0, sizeof *st);
}
