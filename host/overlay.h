/*
 * Overlay workspaces and the repository cache.
 *
 * The cache holds bare mirrors of remote repositories (workspace.c) and
 * one read-only checkout per (repository, commit, owner) at
 * <cache>/checkouts/<key>, built once under an flock on <key>.lock. A
 * session's workspace <workspace_dir>/<id> is an overlay mount of such a
 * checkout with a private upper and work dir in <workspace_dir>/.overlay/
 * <id> (with a disk quota, a filesystem of its own: quota.h), which also
 * holds "lower", the record naming the checkout: a checkout's reference
 * count is the number of records that name it.
 * Every cache entry has a stamp <path>.stamp whose mtime is its last use
 * and whose content is its size in bytes; past the size cap the least
 * recently used entries nobody uses are pruned.
 */
#ifndef OVERLAY_H
#define OVERLAY_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define OVERLAY_KEY_LEN	64	/* hex SHA-256 */

/*
 * The key of the cached checkout of commit (hex) of the repository named by
 * identity (its real path, or its remote URL) for owner ((uid_t)-1: as
 * built): OVERLAY_KEY_LEN hex digits in out. 0, or -1 on bad input.
 */
int	 overlay_key(const char *, const char *, uid_t, char *, size_t);
/*
 * Open (creating it) the lock file path and flock it with op (LOCK_EX or
 * LOCK_SH, maybe | LOCK_NB). A lock file can be unlinked by the pruner
 * while we wait on it: then open the new one. The fd, or -1 with errno.
 */
int	 overlay_lock(const char *, int);
/* Mark a cache entry used now: <path>.stamp's mtime. */
void	 overlay_touch(const char *);
/* Record a cache entry's size and mark it used now. */
void	 overlay_stamp(const char *, uint64_t);
/* The disk usage of a tree in bytes (symlinks not followed). */
uint64_t overlay_du(const char *);

/* A workspace's private dir: <parent>/.overlay/<name>; NULL if none. */
char	*overlay_private(const char *);
/*
 * With a disk quota: make the private dir of the workspace dir a quota
 * filesystem of that many bytes (quota.h), before overlay_prepare (which
 * then fills it) or a clone that binds it. overlay_discard and
 * overlay_remove unmount it, which frees its loop device and image.
 */
int	 overlay_quota(const char *, int64_t, char *, size_t);
/*
 * Before mounting the workspace dir over lower: its private dir with the
 * upper dir (owned by uid:gid unless -1), the work dir and the record
 * naming lower, and the empty workspace dir itself; neither may exist,
 * but the private dir may be a quota filesystem (overlay_quota) already.
 * Done under the checkout's lock, so that the pruner sees the reference.
 * -1 with a cause, nothing left behind.
 */
int	 overlay_prepare(const char *, const char *, uid_t, gid_t, char *,
	    size_t);
/*
 * Mount the overlay of lower on the prepared workspace dir, its layers
 * named by descriptor: mountinfo shows no path of the cache or private dir.
 */
int	 overlay_mount(const char *, const char *, char *, size_t);
/*
 * Give uid:gid what the worker itself wrote through the mount (the files
 * in the upper dir), changing them through the mount.
 */
int	 overlay_chown_upper(const char *, uid_t, gid_t);
/* Undo overlay_prepare and overlay_mount: a failed workspace. */
void	 overlay_discard(const char *);
/*
 * DELETE and the retention sweep: unmount (detached) the workspace
 * <workspace_dir>/<id> if it is mounted and remove its private dir; the
 * caller removes the workspace dir. -1 if it stays mounted.
 */
int	 overlay_remove(const char *, const char *);
/*
 * The cached checkout (lower dir) the overlay workspace dir was made over,
 * from its record (malloc'd); NULL if dir is not an overlay workspace.
 */
char	*overlay_lower(const char *);
/* How many workspaces of workspace_dir use the checkout lower; -1: error. */
int	 overlay_refcount(const char *, const char *);

/* A cache entry, for the pruning plan. */
struct overlay_entry {
	char		*path;
	int		 checkout;	/* a cached checkout, else a mirror */
	uint64_t	 bytes;
	int64_t		 used_ms;	/* last use, epoch ms */
	int		 busy;		/* in use: never pruned */
	int		 prune;		/* chosen by overlay_lru_plan */
};

/*
 * Choose what to prune: checkouts nobody uses that were last used more
 * than max_age_ms before now (0: no age limit), then, least recently used
 * first, entries that are not busy until the total is at most cap (0: no
 * cap). Sets prune; returns the bytes that stay.
 */
uint64_t overlay_lru_plan(struct overlay_entry *, size_t, uint64_t, int64_t,
	    int64_t);
/*
 * Prune the cache at cache_dir by that plan (references counted in
 * workspace_dir); how many entries went.
 */
int	 overlay_prune(const char *, const char *, uint64_t, int64_t);

/*
 * Supervisor: whether an overlay with its lower dir in cache_dir and its
 * upper dir in workspace_dir mounts, by mounting one. -1 with a cause.
 */
int	 overlay_probe(const char *, const char *, char *, size_t);
/* Probe once at start-up and say what sessions will get, once. */
void	 overlay_init(const char *, const char *, const char *);
/*
 * The mode sessions get under workspace_mode ("overlay" or "clone") and,
 * when overlays are not what they get or cannot work, why.
 */
const char *overlay_mode(const char *, const char **);
/* GET /healthz "workspace": {mode, configured, overlayAvailable, reason}. */
struct json_object *overlay_health(const char *);
/*
 * Start-up: unmount and remove the overlay workspaces of workspace_dir
 * whose session known() does not know; how many.
 */
int	 overlay_sweep(const char *, int (*)(const char *));

#endif
