/* Starting the CLI: the provider, then the spawn and what it hands back. */
#ifndef LAUNCH_H
#define LAUNCH_H

#include <stddef.h>

/*
 * Find the CLI, detect its version and features, build its argv and its
 * output parser; NULL, or why not (malloc'd, logged).
 */
char	*launch_provider(void);
/*
 * Spawn the CLI with its environment, in the sandbox or on a plain pty,
 * into wk's pid, master and descriptors; then the exec policy and the
 * proxy on what the spawn handed back. -1 with a cause if nothing runs.
 */
int	 launch_spawn(char *, size_t);

#endif
