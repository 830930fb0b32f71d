/* Changes to the workspace as they happen: recursive inotify, .git left out. */
#ifndef WATCH_H
#define WATCH_H

#include <stddef.h>

struct event_base;
struct watch;

/*
 * One event per path and reason; and a file created then deleted or
 * renamed away within it (an atomic write's temp file) is not reported.
 */
#define WATCH_COALESCE_MS	100

enum watch_reason {
	WATCH_READ,
	WATCH_WRITE,
	WATCH_DELETE
};

/* What the watch reports; every callback gets arg. */
struct watch_cb {
	/* A path (relative to the root) was read, written or deleted. */
	void	(*touched)(const char *, enum watch_reason, void *);
	/* Any write or delete, coalesced or not (for a quiet-tree timer). */
	void	(*changed)(void *);
	/*
	 * The watch is incomplete: category ("resources" for the session's
	 * cap, "workspace" for the system's limit), title, text.
	 */
	void	(*alert)(const char *, const char *, const char *, void *);
	void	 *arg;
};

/*
 * Watch every directory under root (but .git), and directories created
 * later, never through a symlink. max_watches caps the watches (0 for
 * none but the kernel's); reaching it raises one alert. NULL with a cause
 * and errno when inotify is unavailable (EMFILE: out of instances).
 */
struct watch	*watch_create(struct event_base *, const char *,
		    const struct watch_cb *, size_t, char *, size_t);
/* For tests: create the inotify instance with this (NULL: inotify_init1). */
void		 watch_set_init(int (*)(int));
/* Stop watching and free; what is still queued is dropped. */
void		 watch_free(struct watch *);
/*
 * Read and report what the kernel has queued now, files created a moment
 * ago included; reads only if asked.
 */
void		 watch_flush(struct watch *, int);
/* Distinct paths reported so far. */
size_t		 watch_paths(const struct watch *);
/* Directories watched now. */
size_t		 watch_dirs(const struct watch *);
/* "read", "write" or "delete". */
const char	*watch_reason_name(enum watch_reason);
/* Whether a workspace-relative path lies in room ("src", "./src/", "/"). */
int		 watch_in_room(const char *, const char *);

#endif
