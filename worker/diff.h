/* What the session changed: a libgit2 diff of the workspace. */
#ifndef DIFF_H
#define DIFF_H

#include <stddef.h>

struct json_object;

/*
 * Diff the workspace at dir (index and work tree, untracked files
 * included, renames found) against the commit with hex id commit, and add
 * the DIFF_SUMMARY fields to ev: filesChanged, linesAdded, linesRemoved and
 * files [{path, status, additions, deletions, oldPath?, binary?}]. Binary
 * files count without lines. -1 with a cause.
 */
int	 diff_summary(const char *, const char *, struct json_object *,
	    char *, size_t);

#endif
