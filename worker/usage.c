/* A session's usage units, and its cgroup as the worker uses it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "worker/usage.h"

#define USAGE_CAUSE_MAX		1024

/* Seconds for a reason: "30" or "1.5". */
char *
usage_seconds(int64_t ms)
{
	if (ms % 1000 == 0)
		return (xasprintf("%lld", (long long)(ms / 1000)));
	return (xasprintf("%.1f", (double)ms / 1000.0));
}

/* Read the session's cgroup into r; 0, or -1 without one. */
int
usage_read(struct cgroup *cg, struct usage_reading *r)
{
	if (cg == NULL || cgroup_read(cg, &r->u) == -1)
		return (-1);
	r->read = 1;
	return (0);
}

/* Seconds with millisecond precision, as a JSON number ("1.25"). */
struct json_object *
usage_json_seconds(double s)
{
	char	buf[64];
	size_t	len;

	snprintf(buf, sizeof buf, "%.3f", s < 0 ? 0.0 : s);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	return (json_object_new_double_s(s, buf));
}

/*
 * The usage units after ran_ms of the CLI, for USAGE_TICK and
 * SESSION_ENDED: agentSeconds to the millisecond, the counts, then CPU
 * seconds and peak memory from the cgroup (null without one).
 */
struct json_object *
usage_units(const struct usage_counts *c, struct cgroup *cg,
    struct usage_reading *r)
{
	struct json_object	*units;

	units = json_object_new_object();
	json_object_object_add(units, "agentSeconds",
	    usage_json_seconds((double)c->ran_ms / 1000.0));
	json_object_object_add(units, "terminalKb", json_object_new_int64(
	    (int64_t)(c->terminal_bytes + 1023) / 1024));
	json_object_object_add(units, "filesTouched", json_object_new_int64(
	    (int64_t)c->files_touched));
	json_object_object_add(units, "commandsRun",
	    json_object_new_int64((int64_t)c->commands_run));
	json_object_object_add(units, "approvalsRequested",
	    json_object_new_int(c->approvals));
	usage_read(cg, r);
	if (r->read && r->u.cpu_seconds >= 0)
		json_object_object_add(units, "cpuSeconds",
		    usage_json_seconds(r->u.cpu_seconds));
	else
		json_object_object_add(units, "cpuSeconds", NULL);
	if (r->read && r->u.memory_peak >= 0)
		json_object_object_add(units, "peakMemoryBytes",
		    json_object_new_int64(r->u.memory_peak));
	else
		json_object_object_add(units, "peakMemoryBytes", NULL);
	return (units);
}

/* Whether the cgroup's OOM killer struck during the session. */
int
usage_oom(struct cgroup *cg, struct usage_reading *r)
{
	return (usage_read(cg, r) == 0 && r->u.oom_kills > 0);
}

/*
 * The session's cgroup, made before the CLI is spawned so that the
 * sandbox can put its init in it before releasing it.
 */
struct cgroup *
usage_cg_create(const char *base, const char *name,
    const struct cgroup_limits *limits, char *cause, size_t causelen)
{
	struct cgroup	*cg;
	char		 why[USAGE_CAUSE_MAX];

	cg = cgroup_create(base, name, limits, cause, causelen);
	if (cg == NULL)
		return (NULL);
	log_info("cgroup %s: memory %lld, pids %lld, cpu %lld%%",
	    cgroup_kind(cg), (long long)limits->memory_max,
	    (long long)limits->pids_max, (long long)limits->cpu_max_pct);
	/* Until the CLI is forked: it is born in the cgroup. */
	if (cgroup_enter(cg, why, sizeof why) == -1)
		log_warnx("cgroup: %s", why);
	return (cg);
}

/*
 * The CLI is forked: the worker leaves the cgroup it entered for the
 * fork, so the CLI (or the sandbox's init) was born in it. Attaching the
 * CLI again changes nothing then; it is what puts it there when entering
 * failed, racing its exec (what it forks before this write escapes).
 */
void
usage_cg_attach(struct cgroup *cg, pid_t pid)
{
	char	cause[USAGE_CAUSE_MAX];

	if (cg == NULL)
		return;
	if (cgroup_leave(cg, cause, sizeof cause) == -1)
		log_warnx("cgroup: %s", cause);
	if (pid > 0 && cgroup_attach(cg, pid, cause, sizeof cause) == -1)
		log_warnx("cgroup: %s", cause);
}
