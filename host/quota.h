/*
 * Hard per-session disk quotas (workspace_max_bytes).
 *
 * A session's private dir <workspace_dir>/.overlay/<id> is, with a quota,
 * an ext4 filesystem of its own: an anonymous sparse image (O_TMPFILE in
 * <workspace_dir>/.overlay, so no name, not even in /sys's backing_file,
 * carries the session id) on a loop device that frees itself when the
 * filesystem is unmounted (LO_FLAGS_AUTOCLEAR). It holds the overlay's
 * upper and work dirs, or in clone mode the clone, which the workspace dir
 * then binds. Unmounting the private dir frees mount, device and image
 * at once.
 *
 * The image is exactly the limit: the host's disk never gives a session
 * more. ext4's own metadata and reserve take about 3 % of it (less on
 * large images), so the agent can write a little less than the limit.
 */
#ifndef QUOTA_H
#define QUOTA_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define QUOTA_MIN_BYTES		(16LL * 1024 * 1024)
#define QUOTA_ALERT_PCT		90
/*
 * Less free than this, or than a 1024th of the filesystem, or no inode
 * left: the filesystem is full. ext4 refuses a large write with up to
 * about 1 MiB still free (it keeps room for the extent tree), so a smaller
 * slack would miss an agent that gets ENOSPC and stops.
 */
#define QUOTA_FULL_SLACK	(2 * 1024 * 1024)

/* A quota filesystem's use, from statfs. */
struct quota_usage {
	uint64_t	total;		/* bytes the agent may have */
	uint64_t	used;
	uint64_t	avail;
	int		pct;		/* used * 100 / total */
	int		full;		/* writes fail now */
};

/* The image size for a limit: whole 4 KiB blocks; 0 if below the minimum. */
uint64_t quota_image_bytes(int64_t);
/* The usage of statfs's block counts and block size, and free inodes. */
void	 quota_usage_of(uint64_t, uint64_t, uint64_t, uint64_t,
	    struct quota_usage *);
/* The usage of the quota filesystem at path; -1 (errno) if none. */
int	 quota_usage(const char *, struct quota_usage *);
/*
 * Make a quota filesystem of bytes (quota_image_bytes) and mount it on dir
 * (created, mode 0700, owned by root), its image anonymous in imgdir.
 * -1 with a cause, nothing left behind.
 */
int	 quota_create(const char *, const char *, int64_t, char *, size_t);
/* Unmount (detached) a quota filesystem at dir; -1 if it stays. */
int	 quota_release(const char *);
/* Whether dir is a mount point of its own. */
int	 quota_mounted(const char *);

/*
 * Supervisor: whether a quota filesystem can be made in workspace_dir, by
 * making a small one. -1 with a cause.
 */
int	 quota_probe(const char *, char *, size_t);
/* Probe once at start-up (when limit > 0) and say so once. */
void	 quota_init(const char *, int64_t);
/* The limit sessions get: the configured one, 0 when quotas do not work. */
int64_t	 quota_effective(int64_t);
/* GET /healthz "workspace.quota": {limitBytes, enforced, reason?}. */
struct json_object *quota_health(int64_t);

#endif
