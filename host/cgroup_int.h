/* Per-session cgroups, between their files. */
#ifndef CGROUP_INT_H
#define CGROUP_INT_H

#include <stddef.h>

#include "host/cgroup.h"

/* cgroupfs.c */
/* The v1 hierarchies' controller names, by CGROUP_V1_*. */
extern const char *const cgroup_v1_names[CGROUP_V1_N];
/* Join a mount point and a cgroup path below the mount's root. */
int		 cgroupfs_join(const char *, const char *, const char *, char *,
		    size_t);
/* Read dir/file into a string (caller frees); NULL if unreadable. */
char		*cgroupfs_read_file(const char *, const char *);
/* Write value to dir/file; a missing file is fine when optional. */
int		 cgroupfs_write_file(const char *, const char *, const char *,
		    int, char *, size_t);

#endif
