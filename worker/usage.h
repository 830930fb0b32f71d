/*
 * A session's usage: the units USAGE_TICK and SESSION_ENDED carry, and
 * the session's cgroup as the worker makes, joins and reads it.
 */
#ifndef USAGE_H
#define USAGE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "host/cgroup.h"

struct json_object;

/* What the worker counted. */
struct usage_counts {
	int64_t		 ran_ms;	/* the CLI's time so far */
	uint64_t	 terminal_bytes;	/* output sent */
	size_t		 files_touched;
	size_t		 commands_run;
	int		 approvals;
};

/* A cgroup's last reading, kept when a later one fails. */
struct usage_reading {
	struct cgroup_usage	 u;
	int			 read;	/* u holds one */
};

/* Seconds for a reason: "30" or "1.5"; malloc'd. */
char			*usage_seconds(int64_t);
/* Seconds with millisecond precision, as a JSON number ("1.25"). */
struct json_object	*usage_json_seconds(double);
/* Read cg (may be NULL) into r; 0, or -1 without a reading. */
int			 usage_read(struct cgroup *, struct usage_reading *);
/*
 * The units: agentSeconds to the millisecond, the counts, then CPU
 * seconds and peak memory from cg, read now (null without a reading).
 */
struct json_object	*usage_units(const struct usage_counts *,
			    struct cgroup *, struct usage_reading *);
/* Whether cg's OOM killer struck (read now). */
int			 usage_oom(struct cgroup *, struct usage_reading *);
/*
 * The session's cgroup under base, entered by the calling worker so that
 * what it forks next is born in it; NULL with a cause (no limits).
 */
struct cgroup		*usage_cg_create(const char *, const char *,
			    const struct cgroup_limits *, char *, size_t);
/*
 * The CLI (pid) is forked: leave the cgroup, and attach the CLI to it
 * (what puts it there when entering failed).
 */
void			 usage_cg_attach(struct cgroup *, pid_t);

#endif
