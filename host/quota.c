/* Hard per-session disk quotas: an ext4 image on a loop device (quota.h). */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/loop.h>
#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "host/quota.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

#define QUOTA_BLOCK		4096
#define QUOTA_LOOP_MAJOR	7
#define QUOTA_LOOP_TRIES	16
#define QUOTA_PROBE_PREFIX	".qprobe."

/* Where e2fsprogs puts mkfs.ext4; the worker's PATH is not trusted. */
static const char *const quota_mkfs_paths[] = {
	"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"
};

/* The start-up probe's verdict (supervisor only). */
static int	 quota_probed;
static int	 quota_works;
static char	 quota_why[256];

uint64_t
quota_image_bytes(int64_t limit)
{
	if (limit < QUOTA_MIN_BYTES)
		return (0);
	return ((uint64_t)limit / QUOTA_BLOCK * QUOTA_BLOCK);
}

void
quota_usage_of(uint64_t blocks, uint64_t bavail, uint64_t bsize,
    uint64_t ffree, struct quota_usage *u)
{
	memset(u, 0, sizeof *u);
	if (bsize == 0 || blocks > UINT64_MAX / bsize)
		return;
	u->total = blocks * bsize;
	u->avail = bavail > blocks ? u->total : bavail * bsize;
	u->used = u->total - u->avail;
	/* used * 100 could overflow; total / 100 cannot. */
	if (u->total >= 100)
		u->pct = (int)(u->used / (u->total / 100));
	else if (u->total > 0)
		u->pct = (int)(u->used * 100 / u->total);
	if (u->pct > 100)
		u->pct = 100;
	u->full = u->avail < QUOTA_FULL_SLACK || u->avail < u->total / 1024 ||
	    ffree == 0;
}

int
quota_usage(const char *path, struct quota_usage *u)
{
	struct statfs	sf;

	if (statfs(path, &sf) == -1)
		return (-1);
	quota_usage_of((uint64_t)sf.f_blocks, (uint64_t)sf.f_bavail,
	    (uint64_t)sf.f_bsize, (uint64_t)sf.f_ffree, u);
	return (0);
}

int
quota_mounted(const char *dir)
{
	struct stat	 a, b;
	char		*parent;
	int		 rv;

	parent = xasprintf("%s/..", dir);
	rv = lstat(dir, &a) == 0 && S_ISDIR(a.st_mode) &&
	    stat(parent, &b) == 0 && (a.st_dev != b.st_dev ||
	    a.st_ino == b.st_ino);
	free(parent);
	return (rv);
}

/*
 * A free loop device attached to fd, clearing itself when its last user
 * goes: its open descriptor (the caller's to close) and its path in dev.
 * Another process can take the free device first: then try the next.
 */
static int
quota_loop_attach(int fd, char *dev, size_t devlen, char *cause,
    size_t causelen)
{
	struct loop_config	 lc;
	int			 ctl, lfd, n, i;

	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) == -1) {
		CAUSE("/dev/loop-control: %s", strerror(errno));
		return (-1);
	}
	for (i = 0; i < QUOTA_LOOP_TRIES; i++) {
		if ((n = ioctl(ctl, LOOP_CTL_GET_FREE)) < 0) {
			CAUSE("no free loop device: %s", strerror(errno));
			break;
		}
		snprintf(dev, devlen, "/dev/loop%d", n);
		lfd = open(dev, O_RDWR | O_CLOEXEC);
		/* Without udev the node may not exist yet. */
		if (lfd == -1 && errno == ENOENT && mknod(dev, S_IFBLK | 0600,
		    makedev(QUOTA_LOOP_MAJOR, (unsigned)n)) == 0)
			lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd == -1) {
			CAUSE("%s: %s", dev, strerror(errno));
			break;
		}
		memset(&lc, 0, sizeof lc);
		lc.fd = (uint32_t)fd;
		lc.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (ioctl(lfd, LOOP_CONFIGURE, &lc) == 0) {
			close(ctl);
			return (lfd);
		}
		CAUSE("%s: LOOP_CONFIGURE: %s", dev, strerror(errno));
		close(lfd);
		if (errno != EBUSY)
			break;
	}
	close(ctl);
	return (-1);
}

/* Run mkfs.ext4 on dev, quickly (see below); -1 with its complaint. */
static int
quota_mkfs(const char *dev, char *cause, size_t causelen)
{
	char		*const envp[] = { "PATH=/usr/sbin:/sbin:/usr/bin:/bin",
			    "LC_ALL=C", NULL };
	const char	*mkfs = NULL;
	char		 err[160];
	int		 p[2], null, status;
	ssize_t		 n;
	size_t		 i, got = 0;
	pid_t		 pid;

	for (i = 0; i < nitems(quota_mkfs_paths); i++)
		if (access(quota_mkfs_paths[i], X_OK) == 0) {
			mkfs = quota_mkfs_paths[i];
			break;
		}
	if (mkfs == NULL) {
		CAUSE("mkfs.ext4 not found (install e2fsprogs)");
		return (-1);
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		CAUSE("pipe: %s", strerror(errno));
		return (-1);
	}
	switch (pid = fork()) {
	case -1:
		CAUSE("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	case 0:
		if ((null = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(null, STDIN_FILENO) == -1 ||
		    dup2(null, STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1)
			_exit(127);
		close_from(STDERR_FILENO + 1);
		/*
		 * No journal (a scratch filesystem; a reboot ends it anyway)
		 * nor room to grow online,
		 * nothing reserved for root, no discard of the new image, and
		 * inode tables left to read as the zeros a sparse file holds.
		 */
		execle(mkfs, "mkfs.ext4", "-q", "-F", "-m", "0", "-b", "4096",
		    "-i", "16384", "-O", "^has_journal,^resize_inode", "-E",
		    "nodiscard,lazy_itable_init=1", "-L", "runnerd-ws", dev,
		    (char *)NULL, envp);
		_exit(127);
	}
	close(p[1]);
	while (got < sizeof err - 1 && ((n = read(p[0], err + got,
	    sizeof err - 1 - got)) > 0 || (n == -1 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	err[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			CAUSE("waitpid: %s", strerror(errno));
			return (-1);
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (0);
	err[strcspn(err, "\n")] = '\0';
	if (WIFEXITED(status))
		CAUSE("mkfs.ext4 exited with %d%s%s", WEXITSTATUS(status),
		    err[0] != '\0' ? ": " : "", err);
	else
		CAUSE("mkfs.ext4 killed by %s", signal_name(WTERMSIG(status)));
	return (-1);
}

int
quota_create(const char *dir, const char *imgdir, int64_t limit, char *cause,
    size_t causelen)
{
	char		 dev[32], why[192];
	uint64_t	 size;
	int		 img = -1, lfd = -1, made = 0, rv = -1;

	if ((size = quota_image_bytes(limit)) == 0) {
		CAUSE("workspace quota of %lld bytes: at least %lld needed",
		    (long long)limit, (long long)QUOTA_MIN_BYTES);
		return (-1);
	}
	/* Anonymous: it goes with its loop device, never named by an id. */
	if ((img = open(imgdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1 ||
	    ftruncate(img, (off_t)size) == -1) {
		CAUSE("workspace quota: image in %s: %s", imgdir,
		    strerror(errno));
		goto out;
	}
	if ((lfd = quota_loop_attach(img, dev, sizeof dev, why,
	    sizeof why)) == -1) {
		CAUSE("workspace quota: %s", why);
		goto out;
	}
	if (quota_mkfs(dev, why, sizeof why) == -1) {
		CAUSE("workspace quota: %s", why);
		goto out;
	}
	if (mkdir(dir, 0700) == -1) {
		CAUSE("cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	made = 1;
	if (mount(dev, dir, "ext4", MS_NOSUID | MS_NODEV | MS_NOATIME,
	    "noinit_itable") == -1) {
		CAUSE("workspace quota: mount %s on %s: %s", dev, dir,
		    strerror(errno));
		goto out;
	}
	if (chmod(dir, 0700) == -1) {
		CAUSE("chmod '%s': %s", dir, strerror(errno));
		(void)quota_release(dir);
		goto out;
	}
	rv = 0;
out:
	if (rv == -1 && made)
		(void)rmdir(dir);
	/* The mount holds the device now; alone, closing it frees it. */
	if (lfd != -1)
		close(lfd);
	if (img != -1)
		close(img);
	return (rv);
}

int
quota_release(const char *dir)
{
	int	i;

	for (i = 0; i < 16; i++)
		if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) == -1)
			return (errno == EINVAL || errno == ENOENT ? 0 : -1);
	return (-1);
}

int
quota_probe(const char *workspace_dir, char *cause, size_t causelen)
{
	char	*top, *base = NULL, *dir = NULL, *path = NULL;
	int	 fd, rv = -1, mounted = 0;

	if (workspace_dir == NULL || workspace_dir[0] != '/') {
		CAUSE("the workspace directory must be absolute");
		return (-1);
	}
	top = xasprintf("%s/.overlay", workspace_dir);
	if (mkdir_p(top, 0700) == -1) {
		CAUSE("cannot create '%s': %s", top, strerror(errno));
		free(top);
		return (-1);
	}
	base = xasprintf("%s/%sXXXXXX", top, QUOTA_PROBE_PREFIX);
	if (mkdtemp(base) == NULL) {
		CAUSE("cannot create a probe directory: %s", strerror(errno));
		goto out;
	}
	dir = xasprintf("%s/m", base);
	if (quota_create(dir, top, QUOTA_MIN_BYTES, cause, causelen) == -1)
		goto out;
	mounted = 1;
	path = xasprintf("%s/f", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    write(fd, "quota", 5) != 5)
		CAUSE("a quota filesystem does not take writes: %s",
		    strerror(errno));
	else
		rv = 0;
	if (fd != -1)
		close(fd);
out:
	if (mounted && quota_release(dir) == -1)
		log_warn("probe: cannot unmount %s", dir);
	if (dir != NULL)
		(void)rmdir(dir);
	if (base != NULL && strstr(base, "XXXXXX") == NULL)
		(void)rmdir(base);
	free(path);
	free(dir);
	free(base);
	free(top);
	return (rv);
}

/* Remove <workspace_dir>/.overlay/.qprobe.* left by a probe cut short. */
static void
quota_probe_leftovers(const char *workspace_dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*top, *path, *m;

	top = xasprintf("%s/.overlay", workspace_dir);
	if ((d = opendir(top)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, QUOTA_PROBE_PREFIX,
			    strlen(QUOTA_PROBE_PREFIX)) != 0)
				continue;
			path = xasprintf("%s/%s", top, de->d_name);
			m = xasprintf("%s/m", path);
			if (quota_release(m) == 0) {
				(void)rmdir(m);
				(void)rmdir(path);
			}
			free(m);
			free(path);
		}
		closedir(d);
	}
	free(top);
}

void
quota_init(const char *workspace_dir, int64_t limit)
{
	quota_probe_leftovers(workspace_dir);
	quota_works = quota_probe(workspace_dir, quota_why,
	    sizeof quota_why) == 0;
	quota_probed = 1;
	if (limit == 0)
		log_info("workspace quota: none (workspace_max_bytes is 0)");
	else if (quota_works)
		log_info("workspace quota: %lld MiB per session, an ext4 "
		    "image on a loop device", (long long)(limit >> 20));
	else
		log_warnx("workspace quota: %s; sessions run without a disk "
		    "quota", quota_why);
}

int64_t
quota_effective(int64_t limit)
{
	if (quota_probed && !quota_works)
		return (0);
	return (limit);
}

struct json_object *
quota_health(int64_t limit)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "limitBytes", json_object_new_int64(limit));
	json_object_object_add(o, "enforced", json_object_new_boolean(
	    limit > 0 && quota_effective(limit) > 0));
	json_object_object_add(o, "available",
	    json_object_new_boolean(!quota_probed || quota_works));
	if (limit == 0)
		json_object_object_add(o, "reason", json_object_new_string(
		    "workspace_max_bytes is 0"));
	else if (quota_probed && !quota_works)
		json_object_object_add(o, "reason",
		    json_object_new_string(quota_why));
	return (o);
}
