/* What the session changed: a libgit2 diff of the workspace. */
#ifndef DIFF_H
#define DIFF_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define DIFF_TIMEOUT_MS	20000	/* a diff taking longer is killed */

/* How the diff is computed. */
struct diff_opts {
	/*
	 * In a forked child with a private view that holds nothing but the
	 * workspace (read-only): needs root. Without, in a child that opens
	 * the repository with its gitdir and workdir pinned.
	 */
	int	 isolate;
	int	 drop;		/* as uid/gid, no_new_privs (sandbox on) */
	uid_t	 uid;
	gid_t	 gid;
	int64_t	 timeout_ms;	/* 0: DIFF_TIMEOUT_MS */
};

/*
 * Diff the workspace at dir (index and work tree, untracked files
 * included, renames found) against the commit with hex id commit, and add
 * the DIFF_SUMMARY fields to ev: filesChanged, linesAdded, linesRemoved
 * (always exact) and files [{path, status, additions, deletions, oldPath?,
 * binary?}], cut to EVENT_DIFF_FILES_MAX bytes with truncated and
 * filesOmitted when entries were left out. Binary files count without
 * lines. The diff runs in a child killed after the timeout; opts NULL is
 * isolate when root, no drop. Nothing the agent wrote in the repository
 * (core.worktree, a gitdir: file, alternates, includes, symlinks) leads
 * it out of the workspace. -1 with a cause.
 */
int	 diff_summary(const char *, const char *, const struct diff_opts *,
	    struct json_object *, char *, size_t);

#endif
