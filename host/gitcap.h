/*
 * What the libgit2 runnerd is built with can do: the workspace's fetches
 * depend on it, and the supervisor reports it (runnerd -V).
 */
#ifndef GITCAP_H
#define GITCAP_H

#include <git2.h>

/* Whether the libgit2 in use can fetch shallow (depth came with 1.7). */
#if LIBGIT2_VER_MAJOR > 1 || LIBGIT2_VER_MINOR >= 7
#define WORKSPACE_SHALLOW	1/* libgit2's last error message, or a fallback. */
const char	*gitcap_error(void);

#endif

/* Whether mirrors can be fetched shallow with this libgit2. */
int	 gitcap_can_shallow(void);
/* libgit2's last error message, or a fallback. */
const char	*gitcap_error(void);

#endif
