/*
 * A cgroup per session: memory, pids and CPU limits, OOM detection and the
 * CPU and peak-memory readings behind USAGE_TICK.
 *
 * cgroup v2 is the target. The session's leaf lives directly under a
 * delegated base (systemd Delegate=yes gives the service's own cgroup; a
 * configured directory works too). Because of the "no internal processes"
 * rule, a supervisor living in the base itself moves into <base>/supervisor
 * at start-up, before it forks any worker, and then enables the
 * controllers for the base's children.
 *
 * Hosts that still mount memory, pids and cpu as v1 hierarchies get the
 * same per controller: <mount>/<own cgroup>/runnerd/<session>. v1 has no
 * internal-process rule, so nothing moves.
 *
 * The parsers, the limit writers and the readings are plain files read
 * and written (cgroupfs.c), so they run against a fake tree in the unit
 * tests.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "host/cgroup_int.h"

#define CGROUP_CPU_PERIOD	100000	/* µs; cpu.max / cfs_period_us */
#define CGROUP_V1_DIR		"runnerd"
#define CGROUP_SUPERVISOR	"supervisor"
#define CGROUP_KILL_TRIES	100	/* of CGROUP_KILL_WAIT_MS each */
#define CGROUP_KILL_WAIT_MS	10
#define CGROUP_GC_MAX		32	/* removals pending at once */
#define CGROUP_GC_TRIES		50	/* of CGROUP_GC_WAIT_MS each */
#define CGROUP_GC_WAIT_MS	100

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

struct cgroup {
	int			 v2;
	char			*dir;			/* v2 leaf */
	char			*v1[CGROUP_V1_N];	/* v1 leaves, or NULL */
	char			*home[CGROUP_V1_N];	/* ours before enter */
	int			 entered;
	struct cgroup_limits	 lim;
	int64_t			 oom_base;	/* oom_kill when created */
	int64_t			 peak;		/* highest memory seen */
};

/* Where sessions' cgroups go, as found from the base setting. */
struct cgroup_where {
	int	v2;
	int	own;				/* v2: we live in dir itself */
	char	dir[PATH_MAX];			/* v2 base */
	char	v1[CGROUP_V1_N][PATH_MAX];	/* v1 own cgroups, "" = none */
};

/* Removals retried from the supervisor's loop; static: nothing to leak. */
static struct cgroup_gc {
	int			 used;
	int			 tries;
	struct event_base	*base;
	char			 where[PATH_MAX];
	char			 name[65];
} cgroup_gc[CGROUP_GC_MAX];

/* What cgroup_prepare found: 0 not run, 1 usable, -1 not. */
static int	cgroup_prepared;
static char	cgroup_prepared_base[PATH_MAX];
static char	cgroup_prepared_why[512];

/* A cgroup v2 base: its controllers there and writable. */
static int
cgroup_check_v2(const char *dir, char *detail, size_t len)
{
	char	*ctl;
	int	 mem, pids, cpu;

	if ((ctl = cgroupfs_read_file(dir, "cgroup.controllers")) == NULL) {
		snprintf(detail, len, "cgroup v2 at %s: %s", dir,
		    errno == ENOENT ? "not a cgroup v2 directory" :
		    strerror(errno));
		return (0);
	}
	mem = cgroupfs_has_word(ctl, "memory");
	pids = cgroupfs_has_word(ctl, "pids");
	cpu = cgroupfs_has_word(ctl, "cpu");
	free(ctl);
	if (!mem || !pids) {
		snprintf(detail, len, "cgroup v2 at %s: no %s controller "
		    "(delegate memory and pids to it)", dir, !mem ? "memory" :
		    "pids");
		return (0);
	}
	if (access(dir, W_OK) == -1) {
		snprintf(detail, len, "cgroup v2 at %s: %s", dir,
		    strerror(errno));
		return (0);
	}
	snprintf(detail, len, "cgroup v2 at %s: memory pids%s", dir,
	    cpu ? " cpu" : " (no cpu controller: CPU not limited)");
	return (1);
}

/* The v2 base of auto mode: our own cgroup, or its parent once moved. */
static int
cgroup_auto_v2(const char *proc, const char *mountinfo,
    struct cgroup_where *w, char *detail, size_t len)
{
	char	mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX], *slash;

	if (cgroupfs_parse_mountinfo(mountinfo, "", mnt, sizeof mnt, root,
	    sizeof root) == -1) {
		snprintf(detail, len, "no cgroup v2 mounted");
		return (0);
	}
	if (cgroupfs_parse_proc(proc, "", own, sizeof own) == -1 ||
	    cgroupfs_join(mnt, root, own, w->dir, sizeof w->dir) == -1) {
		snprintf(detail, len, "cgroup v2 at %.256s: own cgroup not "
		    "found below it", mnt);
		return (0);
	}
	w->own = 1;
	slash = strrchr(w->dir, '/');
	if (strcmp(w->dir, mnt) != 0 && slash != NULL &&
	    strcmp(slash + 1, CGROUP_SUPERVISOR) == 0) {
		/* Moved there by cgroup_prepare (a worker, or a restart). */
		*slash = '\0';
		w->own = 0;
	}
	if (strcmp(w->dir, mnt) == 0) {
		snprintf(detail, len, "cgroup v2 at %.256s: runnerd runs in the "
		    "root cgroup (use systemd Delegate=yes or set "
		    "cgroup_base)", mnt);
		return (0);
	}
	return (cgroup_check_v2(w->dir, detail, len));
}

/* The v1 hierarchies: memory and pids needed, cpu and cpuacct wanted. */
static int
cgroup_auto_v1(const char *proc, const char *mountinfo,
    struct cgroup_where *w, char *detail, size_t len)
{
	char	mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX];
	size_t	i;

	for (i = 0; i < CGROUP_V1_N; i++) {
		w->v1[i][0] = '\0';
		if (cgroupfs_parse_mountinfo(mountinfo, cgroup_v1_names[i], mnt,
		    sizeof mnt, root, sizeof root) == -1 ||
		    cgroupfs_parse_proc(proc, cgroup_v1_names[i], own,
		    sizeof own) == -1 ||
		    cgroupfs_join(mnt, root, own, w->v1[i],
		    sizeof w->v1[i]) == -1) {
			w->v1[i][0] = '\0';
			continue;
		}
		if (access(w->v1[i], W_OK) == -1) {
			if (i <= CGROUP_V1_PIDS) {
				snprintf(detail, len, "cgroup v1 %s at %s: %s",
				    cgroup_v1_names[i], w->v1[i],
				    strerror(errno));
				return (0);
			}
			w->v1[i][0] = '\0';
		}
	}
	for (i = 0; i <= CGROUP_V1_PIDS; i++) {
		if (w->v1[i][0] == '\0') {
			snprintf(detail, len, "no cgroup v1 %s hierarchy",
			    cgroup_v1_names[i]);
			return (0);
		}
	}
	/* Short: it is shown in /healthz. The controllers, then where. */
	snprintf(detail, len, "cgroup v1: memory pids%s%s%s; memory in %s",
	    w->v1[CGROUP_V1_CPU][0] != '\0' ? " cpu" : "",
	    w->v1[CGROUP_V1_CPUACCT][0] != '\0' ? " cpuacct" : "",
	    w->v1[CGROUP_V1_CPU][0] == '\0' ? " (no cpu: CPU not limited)" :
	    w->v1[CGROUP_V1_CPUACCT][0] == '\0' ? " (no cpuacct: no CPU "
	    "time)" : "", w->v1[CGROUP_V1_MEMORY]);
	return (1);
}

/* Whether our own cgroup v2 is dir. */
static int
cgroup_lives_in(const char *proc, const char *mountinfo, const char *dir)
{
	char	mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX], path[PATH_MAX];

	if (cgroupfs_parse_proc(proc, "", own, sizeof own) == -1 ||
	    cgroupfs_parse_mountinfo(mountinfo, "", mnt, sizeof mnt, root,
	    sizeof root) == -1 ||
	    cgroupfs_join(mnt, root, own, path, sizeof path) == -1)
		return (0);
	return (strcmp(path, dir) == 0);
}

/* Where session cgroups go for base; 1, or 0 with the reason in detail. */
static int
cgroup_locate(const char *base, const char *proc, const char *mountinfo,
    struct cgroup_where *w, char *detail, size_t len)
{
	char	why[512];
	int	n;

	memset(w, 0, sizeof *w);
	if (base != NULL && *base == '/') {
		w->v2 = 1;
		if (snprintf(w->dir, sizeof w->dir, "%s", base) >=
		    (int)sizeof w->dir) {
			snprintf(detail, len, "cgroup_base too long");
			return (0);
		}
		n = (int)strlen(w->dir);
		while (n > 1 && w->dir[n - 1] == '/')
			w->dir[--n] = '\0';
		w->own = cgroup_lives_in(proc, mountinfo, w->dir);
		return (cgroup_check_v2(w->dir, detail, len));
	}
	if (base != NULL && *base != '\0' && strcmp(base, "auto") != 0 &&
	    strcmp(base, "v1") != 0) {
		snprintf(detail, len, "cgroup_base must be \"auto\", \"v1\" or "
		    "an absolute path");
		return (0);
	}
	why[0] = '\0';
	if (base == NULL || strcmp(base, "v1") != 0) {
		w->v2 = 1;
		if (cgroup_auto_v2(proc, mountinfo, w, why, sizeof why)) {
			snprintf(detail, len, "%s", why);
			return (1);
		}
		w->v2 = 0;
	}
	if (!cgroup_auto_v1(proc, mountinfo, w, detail, len)) {
		if (why[0] != '\0' && strlen(detail) + 2 < len)
			snprintf(detail + strlen(detail), len - strlen(detail),
			    "; %s", why);
		return (0);
	}
	if (why[0] != '\0' && strlen(detail) + 2 < len)
		snprintf(detail + strlen(detail), len - strlen(detail),
		    " (%s)", why);
	return (1);
}

/* cgroup_locate for this process. */
static int
cgroup_locate_self(const char *base, struct cgroup_where *w, char *detail,
    size_t len)
{
	char	*proc, *mi;
	int	 rv;

	proc = read_file("/proc/self/cgroup", NULL);
	mi = read_file("/proc/self/mountinfo", NULL);
	if (proc == NULL || mi == NULL) {
		snprintf(detail, len, "cannot read /proc/self/%s: %s",
		    proc == NULL ? "cgroup" : "mountinfo", strerror(errno));
		rv = 0;
	} else
		rv = cgroup_locate(base, proc, mi, w, detail, len);
	free(proc);
	free(mi);
	return (rv);
}

int
cgroup_probe_text(const char *base, const char *proc, const char *mountinfo,
    char *detail, size_t len)
{
	struct cgroup_where	*w;
	int			 rv;

	w = xcalloc(1, sizeof *w);
	rv = cgroup_locate(base, proc, mountinfo, w, detail, len);
	free(w);
	return (rv);
}

int
cgroup_probe(const char *base, char *detail, size_t len)
{
	struct cgroup_where	*w;
	int			 rv;

	if (cgroup_prepared == -1) {
		snprintf(detail, len, "%s", cgroup_prepared_why);
		return (0);
	}
	if (cgroup_prepared == 1)
		base = cgroup_prepared_base;
	w = xcalloc(1, sizeof *w);
	rv = cgroup_locate_self(base, w, detail, len);
	free(w);
	return (rv);
}

int
cgroup_prepare(const char *base, char *resolved, size_t rlen, char *cause,
    size_t causelen)
{
	struct cgroup_where	*w;
	char			 detail[512], pid[32], *ctl, *sup = NULL;
	static const char *const need[] = { "memory", "pids", "cpu" };
	size_t			 i;
	int			 rv = -1;

	w = xcalloc(1, sizeof *w);
	if (!cgroup_locate_self(base, w, detail, sizeof detail)) {
		CAUSE("%s", detail);
		goto out;
	}
	if (!w->v2) {
		snprintf(cgroup_prepared_base, sizeof cgroup_prepared_base,
		    "v1");
		rv = 0;
		goto out;
	}
	if (w->own) {
		sup = xasprintf("%s/%s", w->dir, CGROUP_SUPERVISOR);
		if (mkdir(sup, 0755) == -1 && errno != EEXIST) {
			CAUSE("%s: %s", sup, strerror(errno));
			goto out;
		}
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		if (cgroupfs_write_file(sup, "cgroup.procs", pid, 0, cause,
		    causelen) == -1)
			goto out;
		log_info("cgroup: moved into %s", sup);
	}
	if ((ctl = cgroupfs_read_file(w->dir, "cgroup.controllers")) == NULL) {
		CAUSE("%s/cgroup.controllers: %s", w->dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < nitems(need); i++) {
		if (!cgroupfs_has_word(ctl, need[i]))
			continue;
		snprintf(pid, sizeof pid, "+%s", need[i]);
		if (cgroupfs_write_file(w->dir, "cgroup.subtree_control", pid, 0,
		    cause, causelen) == -1) {
			if (strcmp(need[i], "cpu") == 0) {
				log_warnx("cgroup: %s (CPU not limited)",
				    cause);
				continue;
			}
			if (strstr(cause, strerror(EBUSY)) != NULL)
				CAUSE("%s/cgroup.subtree_control: other "
				    "processes live in %s (give runnerd a "
				    "cgroup of its own: systemd Delegate=yes, "
				    "or set cgroup_base)", w->dir, w->dir);
			free(ctl);
			goto out;
		}
	}
	free(ctl);
	snprintf(cgroup_prepared_base, sizeof cgroup_prepared_base, "%s",
	    w->dir);
	rv = 0;
out:
	if (rv == 0) {
		cgroup_prepared = 1;
		snprintf(resolved, rlen, "%s", cgroup_prepared_base);
	} else {
		cgroup_prepared = -1;
		snprintf(cgroup_prepared_why, sizeof cgroup_prepared_why, "%s",
		    cause);
	}
	free(sup);
	free(w);
	return (rv);
}

const char *
cgroup_resolved(void)
{
	return (cgroup_prepared == 1 ? cgroup_prepared_base : NULL);
}

const char *
cgroup_kind(const struct cgroup *cg)
{
	return (cg->v2 ? "v2" : "v1");
}

/* A v1 leaf already made for an earlier controller (cpu,cpuacct). */
static int
cgroup_v1_dup(const struct cgroup *cg, size_t i)
{
	size_t	j;

	for (j = 0; j < i; j++)
		if (cg->v1[j] != NULL && strcmp(cg->v1[j], cg->v1[i]) == 0)
			return (1);
	return (0);
}

/* Where the calling process is now: cgroup_leave goes back there. */
static void
cgroup_home(struct cgroup *cg, const struct cgroup_where *w)
{
	char	*proc, *mi, mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX];
	char	 path[PATH_MAX];
	size_t	 i;

	if (!cg->v2) {
		for (i = 0; i < CGROUP_V1_N; i++)
			if (w->v1[i][0] != '\0')
				cg->home[i] = xstrdup(w->v1[i]);
		return;
	}
	proc = read_file("/proc/self/cgroup", NULL);
	mi = read_file("/proc/self/mountinfo", NULL);
	if (cgroupfs_parse_proc(proc, "", own, sizeof own) == 0 &&
	    cgroupfs_parse_mountinfo(mi, "", mnt, sizeof mnt, root,
	    sizeof root) == 0 &&
	    cgroupfs_join(mnt, root, own, path, sizeof path) == 0)
		cg->home[0] = xstrdup(path);
	free(proc);
	free(mi);
}

int
cgroup_enter(struct cgroup *cg, char *cause, size_t causelen)
{
	size_t	i;

	for (i = 0; i < CGROUP_V1_N && cg->home[i] == NULL; i++)
		;
	if (i == CGROUP_V1_N) {
		CAUSE("own cgroup unknown: not moving into the session's");
		return (-1);
	}
	if (cgroup_attach(cg, getpid(), cause, causelen) == -1) {
		cgroup_leave(cg, NULL, 0);
		return (-1);
	}
	cg->entered = 1;
	return (0);
}

int
cgroup_leave(struct cgroup *cg, char *cause, size_t causelen)
{
	char	pid[32], why[256];
	size_t	i;
	int	rv = 0;

	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	for (i = 0; i < CGROUP_V1_N; i++) {
		if (cg->home[i] == NULL)
			continue;
		if (cgroupfs_write_file(cg->home[i], "cgroup.procs", pid, 0, why,
		    sizeof why) == -1) {
			if (cause != NULL)
				snprintf(cause, causelen, "%s", why);
			rv = -1;
		}
	}
	if (rv == 0)
		cg->entered = 0;
	return (rv);
}

/* The oom_kill count now; 0 if unknown. */
static int64_t
cgroup_oom_now(struct cgroup *cg)
{
	struct cgroup_usage	u;

	if (cg->v2) {
		if (cgroupfs_read_v2(cg->dir, &u) == -1)
			return (0);
	} else if (cgroupfs_read_v1((const char *const *)cg->v1, &u) == -1)
		return (0);
	return (u.oom_kills > 0 ? u.oom_kills : 0);
}

struct cgroup *
cgroup_create(const char *base, const char *name,
    const struct cgroup_limits *lim, char *cause, size_t causelen)
{
	struct cgroup_where	*w;
	struct cgroup		*cg;
	char			 detail[512], *mid;
	size_t			 i;

	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strcmp(name, CGROUP_SUPERVISOR) == 0 ||
	    strncmp(name, "cgroup.", 7) == 0 || strlen(name) > 64) {
		CAUSE("bad cgroup name");
		return (NULL);
	}
	w = xcalloc(1, sizeof *w);
	if (!cgroup_locate_self(base, w, detail, sizeof detail)) {
		CAUSE("%s", detail);
		free(w);
		return (NULL);
	}
	cg = xcalloc(1, sizeof *cg);
	cg->lim = *lim;
	cg->v2 = w->v2;
	cgroup_home(cg, w);
	if (cg->v2) {
		cg->dir = xasprintf("%s/%s", w->dir, name);
		if (mkdir(cg->dir, 0755) == -1 && errno != EEXIST) {
			CAUSE("%s: %s", cg->dir, strerror(errno));
			goto fail;
		}
		if (cgroupfs_write_v2(cg->dir, lim, cause, causelen) == -1)
			goto fail;
	} else {
		for (i = 0; i < CGROUP_V1_N; i++) {
			if (w->v1[i][0] == '\0')
				continue;
			mid = xasprintf("%s/%s", w->v1[i], CGROUP_V1_DIR);
			cg->v1[i] = xasprintf("%s/%s", mid, name);
			if ((mkdir(mid, 0755) == -1 && errno != EEXIST) ||
			    (mkdir(cg->v1[i], 0755) == -1 &&
			    errno != EEXIST)) {
				CAUSE("%s: %s", cg->v1[i], strerror(errno));
				free(mid);
				if (i <= CGROUP_V1_PIDS)
					goto fail;
				log_warnx("cgroup: %s", cause);
				free(cg->v1[i]);
				cg->v1[i] = NULL;
				continue;
			}
			free(mid);
		}
		if (cgroupfs_write_v1((const char *const *)cg->v1, lim, cause,
		    causelen) == -1)
			goto fail;
	}
	free(w);
	cg->oom_base = cgroup_oom_now(cg);
	return (cg);

fail:
	free(w);
	cgroup_destroy(cg);
	return (NULL);
}

int
cgroup_attach(struct cgroup *cg, pid_t pid, char *cause, size_t causelen)
{
	char	buf[32];
	size_t	i;

	snprintf(buf, sizeof buf, "%ld", (long)pid);
	if (cg->v2)
		return (cgroupfs_write_file(cg->dir, "cgroup.procs", buf, 0,
		    cause, causelen));
	for (i = 0; i < CGROUP_V1_N; i++) {
		if (cg->v1[i] == NULL || cgroup_v1_dup(cg, i))
			continue;
		if (cgroupfs_write_file(cg->v1[i], "cgroup.procs", buf, 0, cause,
		    causelen) == -1)
			return (-1);
	}
	return (0);
}

int
cgroup_read(struct cgroup *cg, struct cgroup_usage *u)
{
	int	rv;

	if (cg->v2)
		rv = cgroupfs_read_v2(cg->dir, u);
	else
		rv = cgroupfs_read_v1((const char *const *)cg->v1, u);
	if (rv == -1)
		return (-1);
	/* Without memory.peak (before Linux 5.19), what we saw is the peak. */
	if (u->memory_peak > cg->peak)
		cg->peak = u->memory_peak;
	if (u->memory_current > cg->peak)
		cg->peak = u->memory_current;
	u->memory_peak = cg->peak;
	if (u->oom_kills >= cg->oom_base)
		u->oom_kills -= cg->oom_base;
	return (0);
}

/* SIGKILL every process listed in dir/cgroup.procs; how many there were. */
static int
cgroup_kill_procs(const char *dir)
{
	char	*s, *p, *end;
	long	 pid;
	int	 n = 0;

	if ((s = cgroupfs_read_file(dir, "cgroup.procs")) == NULL)
		return (0);
	for (p = s; *p != '\0'; p = end) {
		errno = 0;
		pid = strtol(p, &end, 10);
		if (end == p || errno != 0)
			break;
		if (pid > 1 && pid != (long)getpid()) {
			kill((pid_t)pid, SIGKILL);
			n++;
		}
		while (*end == '\n' || *end == ' ')
			end++;
	}
	free(s);
	return (n);
}

void
cgroup_destroy(struct cgroup *cg)
{
	struct timespec	 ts = { 0, CGROUP_KILL_WAIT_MS * 1000000L };
	char		 cause[256];
	size_t		 i;
	int		 try, left;

	if (cg == NULL)
		return;
	if (cg->entered && cgroup_leave(cg, cause, sizeof cause) == -1)
		log_warnx("cgroup: %s", cause);
	/* Whatever escaped the agent's process group dies here. */
	if (cg->v2 && cg->dir != NULL)
		cgroupfs_write_file(cg->dir, "cgroup.kill", "1", 1, cause,
		    sizeof cause);
	for (try = 0; try < CGROUP_KILL_TRIES; try++) {
		left = 0;
		if (cg->v2 && cg->dir != NULL)
			left += cgroup_kill_procs(cg->dir);
		for (i = 0; !cg->v2 && i < CGROUP_V1_N; i++)
			if (cg->v1[i] != NULL && !cgroup_v1_dup(cg, i))
				left += cgroup_kill_procs(cg->v1[i]);
		if (left == 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (cg->dir != NULL && rmdir(cg->dir) == -1 && errno != ENOENT)
		log_warn("rmdir %s", cg->dir);
	for (i = 0; i < CGROUP_V1_N; i++) {
		if (cg->v1[i] != NULL && !cgroup_v1_dup(cg, i) &&
		    rmdir(cg->v1[i]) == -1 && errno != ENOENT)
			log_warn("rmdir %s", cg->v1[i]);
	}
	for (i = 0; i < CGROUP_V1_N; i++) {
		free(cg->v1[i]);
		free(cg->home[i]);
	}
	free(cg->dir);
	free(cg);
}

/* One pass over a session's cgroup: 0 once it is gone, -1 while busy. */
static int
cgroup_remove_once(const char *where, const char *name)
{
	struct cgroup_where	*w;
	char			 detail[512], *dir;
	size_t			 i;
	int			 busy = 0;

	w = xcalloc(1, sizeof *w);
	if (!cgroup_locate_self(where, w, detail, sizeof detail)) {
		free(w);
		return (0);
	}
	for (i = 0; i < (w->v2 ? 1 : CGROUP_V1_N); i++) {
		if (w->v2)
			dir = xasprintf("%s/%s", w->dir, name);
		else if (w->v1[i][0] != '\0')
			dir = xasprintf("%s/%s/%s", w->v1[i], CGROUP_V1_DIR,
			    name);
		else
			continue;
		cgroup_kill_procs(dir);
		if (rmdir(dir) == -1 && errno != ENOENT)
			busy = 1;
		free(dir);
	}
	free(w);
	return (busy ? -1 : 0);
}

static void
cgroup_gc_cb(int fd, short events, void *arg)
{
	struct cgroup_gc	*g = arg;
	struct timeval		 tv = { 0, CGROUP_GC_WAIT_MS * 1000 };

	if (cgroup_remove_once(g->where, g->name) == 0) {
		g->used = 0;
		return;
	}
	if (++g->tries >= CGROUP_GC_TRIES) {
		log_warnx("cgroup %s of a dead worker: still busy, left behind",
		    g->name);
		g->used = 0;
		return;
	}
	if (event_base_once(g->base, -1, EV_TIMEOUT, cgroup_gc_cb, g,
	    &tv) == -1)
		g->used = 0;
}

void
cgroup_remove_later(struct event_base *base, const char *where,
    const char *name)
{
	struct cgroup_gc	*g = NULL;
	struct timeval		 tv = { 0, CGROUP_GC_WAIT_MS * 1000 };
	size_t			 i;

	if (where == NULL || name == NULL || *name == '\0' ||
	    strchr(name, '/') != NULL || strcmp(name, "..") == 0 ||
	    strcmp(name, ".") == 0 || strlen(name) >= sizeof g->name)
		return;
	if (cgroup_remove_once(where, name) == 0)
		return;
	for (i = 0; i < CGROUP_GC_MAX && g == NULL; i++)
		if (!cgroup_gc[i].used)
			g = &cgroup_gc[i];
	if (g == NULL) {
		log_warnx("cgroup %s of a dead worker: left behind", name);
		return;
	}
	g->used = 1;
	g->tries = 0;
	g->base = base;
	snprintf(g->where, sizeof g->where, "%s", where);
	snprintf(g->name, sizeof g->name, "%s", name);
	if (event_base_once(base, -1, EV_TIMEOUT, cgroup_gc_cb, g, &tv) == -1)
		g->used = 0;
}
