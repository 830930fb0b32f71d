/* What the session changed: a libgit2 diff of the workspace. */
#ifndef DIFF_H
#define DIFF_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;
struct diff_job;

#define DIFF_TIMEOUT_MS	20000	/* a diff taking longer is killed */

/* How the diff is computed. */
struct diff_opts {
	/*
	 * In a forked child with a private view that holds nothing but the
	 * workspace (read-only): needs root. Without, in a child that opens
	 * the repository with its gitdir and workdir pinned.
	 */
	int	 isolate;
	/*
	 * As uid/gid (sandbox on), then in a user namespace mapping them
	 * alone to 0 with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: the
	 * agent's own files are read whatever their mode, nothing else.
	 */
	int	 drop;
	uid_t	 uid;
	gid_t	 gid;
	int64_t	 timeout_ms;	/* 0: DIFF_TIMEOUT_MS */
	/*
	 * Overlay mode: the cached checkout's .git, the overlay's lower,
	 * which the agent cannot write (NULL in clone mode). The start tree
	 * and the index are read from it, the work tree is the workspace's;
	 * should that fail, the workspace's own .git is tried.
	 */
	const char *pristine;
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
 * it out of the workspace; with opts->pristine, nothing it wrote into its
 * .git (objects, index, info/exclude) is read at all. A file is left out
 * as ignored only if the start commit's own rules ignore it: ignore rules
 * the agent wrote hide nothing. -1 with a cause.
 */
int	 diff_summary(const char *, const char *, const struct diff_opts *,
	    struct json_object *, char *, size_t);

/*
 * Check the diff child's answer (JSON: the DIFF_SUMMARY fields, or
 * {error}) and add its fields to ev, files[] cut to EVENT_DIFF_FILES_MAX.
 * -1 with a cause, ev untouched, for anything else.
 */
int	 diff_answer_parse(const char *, size_t, struct json_object *, char *,
	    size_t);

/*
 * The same, without blocking the loop: the DIFF_SUMMARY fields (the
 * caller owns them) or NULL and a cause.
 */
typedef void	 (*diff_done_cb)(struct json_object *, const char *, void *);
/*
 * Start diff_summary's child; done is called once from the loop when it
 * answers, fails or times out. NULL with a cause if it cannot start.
 */
struct diff_job	*diff_start(struct event_base *, const char *, const char *,
		    const struct diff_opts *, diff_done_cb, void *, char *,
		    size_t);
/* Kill the child and free the job; done is not called. */
void		 diff_cancel(struct diff_job *);

#endif
