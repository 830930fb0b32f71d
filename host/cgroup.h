/*
 * Per-session cgroups: limits, OOM detection and CPU / memory readings.
 *
 * cgroup v2 is the target: a leaf per session under a delegated subtree
 * (systemd Delegate=yes, or a configured directory). Hosts that still
 * mount memory, pids and cpu as v1 hierarchies get the v1 equivalent: a
 * directory per controller under the process's own cgroup of that
 * controller, <mount>/<own>/runnerd/<session>.
 */
#ifndef CGROUP_H
#define CGROUP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct cgroup;

/* 0 = no limit; cpu_max_pct 100 = one core. */
struct cgroup_limits {
	int64_t	memory_max;
	int64_t	pids_max;
	int64_t	cpu_max_pct;
};

struct cgroup_usage {
	double	cpu_seconds;
	int64_t	memory_peak;
	int64_t	memory_current;
	int64_t	oom_kills;
	int64_t	pids_current;
};

/*
 * base: NULL, "" or "auto" (the own cgroup: v2 when its controllers are
 * there, else v1), "v1" (v1 only), or the absolute path of a cgroup v2
 * directory.
 */
/* 1 usable, 0 not; detail says which hierarchy/controllers or why not. */
int		 cgroup_probe(const char *base, char *detail, size_t len);
struct cgroup	*cgroup_create(const char *base, const char *name,
		     const struct cgroup_limits *, char *cause, size_t len);
int		 cgroup_attach(struct cgroup *, pid_t, char *cause, size_t len);
/*
 * Move the calling process into the cgroup, and back to where it was when
 * the cgroup was created: around a fork, the child is in the cgroup from
 * its first instruction, with no race against its exec.
 */
int		 cgroup_enter(struct cgroup *, char *cause, size_t len);
int		 cgroup_leave(struct cgroup *, char *cause, size_t len);
int		 cgroup_read(struct cgroup *, struct cgroup_usage *);
/* Kill what is left, rmdir. */
void		 cgroup_destroy(struct cgroup *);

/*
 * Supervisor start-up, once, before any worker is forked. v2: when the
 * supervisor lives in the base itself it moves into <base>/supervisor (the
 * "no internal processes" rule), then +memory +pids +cpu are enabled in
 * <base>/cgroup.subtree_control. 0 and the base the workers must be given
 * (a v2 path, or "v1"), or -1 with the cause (no usable cgroup).
 */
int		 cgroup_prepare(const char *base, char *resolved, size_t rlen,
		     char *cause, size_t len);
/* What cgroup_prepare resolved, or NULL if it found nothing usable. */
const char	*cgroup_resolved(void);

/*
 * The supervisor's side, for a session whose worker died: kill what is
 * left in the session's cgroup and remove it, retrying from the event loop
 * (never blocking it) while the processes die. base as cgroup_resolved().
 */
struct event_base;
void		 cgroup_remove_later(struct event_base *, const char *base,
		     const char *name);

/* "v2" or "v1". */
const char	*cgroup_kind(const struct cgroup *);

/*
 * Exported for the tests: parsers take file contents, writers and readers
 * a directory, so a fake tree in a temporary directory exercises them.
 */
enum {
	CGROUP_V1_MEMORY,
	CGROUP_V1_PIDS,
	CGROUP_V1_CPU,
	CGROUP_V1_CPUACCT,
	CGROUP_V1_N
};

/* The value of "KEY N" in a flat keyed file (cpu.stat); -1 if absent. */
int64_t		 cgroupfs_parse_keyed(const char *text, const char *key);
/* A file holding one non-negative integer; -1 if it does not. */
int64_t		 cgroupfs_parse_int(const char *text);
/*
 * The path of the cgroup of controller ctrl ("" = the v2 line) in
 * /proc/<pid>/cgroup text; 0, or -1 if there is no such line.
 */
int		 cgroupfs_parse_proc(const char *text, const char *ctrl,
		     char *path, size_t len);
/*
 * The mount point and the mount's root of the hierarchy of ctrl ("" =
 * cgroup2) in /proc/<pid>/mountinfo text; 0, or -1 if not mounted.
 */
int		 cgroupfs_parse_mountinfo(const char *text, const char *ctrl,
		     char *mnt, size_t mlen, char *root, size_t rlen);
/* Whether a space-separated list (cgroup.controllers) holds word. */
int		 cgroupfs_has_word(const char *list, const char *word);
/* cpu.max for a percentage of one core: "max 100000" when pct <= 0. */
void		 cgroupfs_cpu_max(int64_t pct, char *buf, size_t len);
/* Limits into a v2 leaf: memory.max (+ swap 0), pids.max, cpu.max. */
int		 cgroupfs_write_v2(const char *dir, const struct cgroup_limits *,
		     char *cause, size_t len);
/* A v2 leaf's usage; memory_peak is -1 without memory.peak. */
int		 cgroupfs_read_v2(const char *dir, struct cgroup_usage *);
/* Limits into v1 leaves (indexed by CGROUP_V1_*; NULL = no hierarchy). */
int		 cgroupfs_write_v1(const char *const dirs[CGROUP_V1_N],
		     const struct cgroup_limits *, char *cause, size_t len);
int		 cgroupfs_read_v1(const char *const dirs[CGROUP_V1_N],
		     struct cgroup_usage *);
/* cgroup_probe on given /proc/self/cgroup and mountinfo contents. */
int		 cgroup_probe_text(const char *base, const char *proc,
		     const char *mountinfo, char *detail, size_t len);

#endif
