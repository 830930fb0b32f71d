/*
 * The agent's view of the filesystem, built by init in its new mount
 * namespace: the host read-only, the workspace and a private /tmp
 * writable, runnerd's own directories and the configured ones hidden.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>


#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "host/sandbox.h"
#include "worker/confine.h"
#include "worker/spawn.h"
#include "worker/workspace.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* Places no agent may see, whatever the config says. */
static const char *const sandbox_hidden_always[] = { "/etc/runnerd" };

/* A private copy of the tree at path, with set added; -1 with a cause. */
static int
fsview_tree(const char *path, uint64_t set, char *cause, size_t causelen)
{
	int	tree;

	tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_RECURSIVE);
	if (tree == -1) {
		CAUSE("open_tree %s: %s", path, strerror(errno));
		return (-1);
	}
	if (set != 0 && sandbox_tree_attr(tree, set) == -1) {
		CAUSE("mount_setattr %s: %s", path, strerror(errno));
		close(tree);
		return (-1);
	}
	return (tree);
}

/* Attach a detached tree at path, creating the mount point as needed. */
static int
fsview_attach(int tree, const char *path, char *cause, size_t causelen)
{
	struct stat	 st;
	char		*dir, *slash;
	int		 fd;

	if (fstat(tree, &st) == -1) {
		CAUSE("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir_p(path, 0755) == -1) {
			CAUSE("mkdir %s: %s", path, strerror(errno));
			return (-1);
		}
	} else if (access(path, F_OK) == -1) {
		dir = xstrdup(path);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir_p(dir, 0755) == -1) {
				CAUSE("mkdir %s: %s", dir, strerror(errno));
				free(dir);
				return (-1);
			}
		}
		free(dir);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644))
		    == -1) {
			CAUSE("create %s: %s", path, strerror(errno));
			return (-1);
		}
		close(fd);
	}
	if (move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH)
	    == -1) {
		CAUSE("move_mount %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* A tmpfs at path: nosuid, nodev, with the given options. */
static int
fsview_tmpfs(const char *path, const char *opts, char *cause,
    size_t causelen)
{
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) == -1) {
		CAUSE("tmpfs on %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Whether path is a directory to hide: any but the root that exists in
 * the view (under a place already hidden it no longer does).
 */
static int
fsview_hideable(const char *path)
{
	struct stat	st;

	return (path != NULL && path[0] == '/' && path[1] != '\0' &&
	    stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/*
 * Detach every mount at or below one of dirs, so that the view's
 * mountinfo does not name them: a tmpfs over a place hides its files but
 * still lists the mounts below it (other sessions' overlays with their
 * ids, upper dirs and cache keys). The table is read once, then undone
 * from the last mount to the first, children before their parents.
 */
static int
fsview_detach_under(const char *const *dirs, size_t ndirs, char *cause,
    size_t causelen)
{
	FILE	 *f;
	char	 *line = NULL, *mp, **mps = NULL, **real, buf[PATH_MAX];
	size_t	  linesize = 0, n = 0, i, j;
	int	  rv = 0;

	/* Resolved once: a symlinked place still names its mounts. */
	real = xcalloc(ndirs + 1, sizeof *real);
	for (j = 0; j < ndirs; j++)
		if (dirs[j] != NULL && realpath(dirs[j], buf) != NULL &&
		    strcmp(buf, "/") != 0)
			real[j] = xstrdup(buf);
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL) {
		CAUSE("mountinfo: %s", strerror(errno));
		rv = -1;
		goto out;
	}
	while (getline(&line, &linesize, f) != -1) {
		if ((mp = mountinfo_point(line)) == NULL)
			continue;
		for (j = 0; j < ndirs; j++) {
			if (real[j] == NULL || !workspace_path_under(mp, real[j]))
				continue;
			mps = xrealloc(mps, (n + 1) * sizeof *mps);
			mps[n++] = xstrdup(mp);
			break;
		}
	}
	free(line);
	fclose(f);
	for (i = n; i > 0; i--) {
		if (umount2(mps[i - 1], MNT_DETACH | UMOUNT_NOFOLLOW) == -1 &&
		    errno != EINVAL && errno != ENOENT && rv == 0) {
			CAUSE("detaching %s: %s", mps[i - 1], strerror(errno));
			rv = -1;
		}
		free(mps[i - 1]);
	}
	free(mps);
out:
	for (j = 0; j < ndirs; j++)
		free(real[j]);
	free(real);
	return (rv);
}

/*
 * Build the agent's view and move into it. Copies of the trees are taken
 * first, while the host's paths are still there to name them: the whole
 * of / (read-only, nosuid), the workspace (read-write) and each exposed
 * path (read-only). The root copy becomes / through pivot_root. Every
 * mount below what the view replaces or hides is detached, so that
 * mountinfo names no other session, upper dir or cache key; over the
 * root then go a private /tmp, a private /home holding HOME, empty
 * read-only tmpfs over runnerd's directories (their files: the state dir
 * with its socket, the cache, other sessions' empty mount points), the exposed paths, the
 * workspace at its own path, a /dev/shm and a /proc of the new pid
 * namespace.
 */
int
fsview_build(struct sandbox_ctx *c, char *cause, size_t causelen)
{
	const struct sandbox_policy	*pol = c->pol;
	const char			*hide[nitems(pol->hide) +
					    nitems(sandbox_hidden_always)];
	const char			*detach[nitems(pol->hide) +
					    nitems(sandbox_hidden_always) + 3];
	struct mount_attr		 attr;
	int				 root = -1, ws = -1, *exp = NULL;
	size_t				 nexp, i, nhide = 0;
	char				 why[256], home[] = SANDBOX_HOME;
	int				 rv = -1;

	nexp = strv_len(pol->expose);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		CAUSE("making / private: %s", strerror(errno));
		return (-1);
	}
	if ((root = fsview_tree("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID,
	    cause, causelen)) == -1)
		return (-1);
	if ((ws = fsview_tree(pol->workspace, MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NODEV, cause, causelen)) == -1)
		goto out;
	exp = xcalloc(nexp + 1, sizeof *exp);
	for (i = 0; i < nexp; i++) {
		exp[i] = fsview_tree(pol->expose[i], MOUNT_ATTR_RDONLY |
		    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, why, sizeof why);
		if (exp[i] == -1)
			initchan_send(SANDBOX_CTL_FD, SANDBOX_MSG_WARN, why,
			    strlen(why), -1);
	}

	/*
	 * pivot_root needs the new root mounted somewhere: on a scratch
	 * tmpfs over this namespace's /tmp, which leaves with the old root.
	 */
	if (fsview_tmpfs("/tmp", "mode=0700,size=64k", cause, causelen) == -1)
		goto out;
	if (mkdir("/tmp/root", 0700) == -1) {
		CAUSE("mkdir /tmp/root: %s", strerror(errno));
		goto out;
	}
	if (move_mount(root, "", AT_FDCWD, "/tmp/root",
	    MOVE_MOUNT_F_EMPTY_PATH) == -1) {
		CAUSE("move_mount /: %s", strerror(errno));
		goto out;
	}
	/* pivot_root(".", "."): the old root lands on top, then goes. */
	if (chdir("/tmp/root") == -1 ||
	    syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1) {
		CAUSE("pivot_root: %s", strerror(errno));
		goto out;
	}

	/* Sorted by length: a place under one already hidden is gone. */
	for (i = 0; i < nitems(pol->hide); i++)
		if (pol->hide[i] != NULL)
			hide[nhide++] = pol->hide[i];
	for (i = 0; i < nitems(sandbox_hidden_always); i++)
		hide[nhide++] = sandbox_hidden_always[i];
	/*
	 * What the view replaces goes first, mounts and all: the host's
	 * /tmp and /dev/shm, and every hidden place. The copies of the
	 * workspace and the exposed paths were taken above and stay.
	 */
	for (i = 0; i < nhide; i++)
		detach[i] = hide[i];
	detach[nhide] = "/tmp";
	detach[nhide + 1] = "/dev/shm";
	detach[nhide + 2] = SANDBOX_HOME_BASE;
	if (fsview_detach_under(detach, nhide + 3, cause, causelen) == -1)
		goto out;
	if (fsview_tmpfs("/tmp", "mode=1777", cause, causelen) == -1)
		goto out;
	/*
	 * HOME, out of /tmp (CLIs keep helpers there that they refuse to
	 * put under the temp dir), on its own tmpfs over the host's users.
	 */
	if (fsview_tmpfs(SANDBOX_HOME_BASE, "mode=0755", cause, causelen) == -1)
		goto out;
	if (mkdir(home, 0700) == -1 || chown(home, c->uid, c->gid) == -1) {
		CAUSE("%s: %s", home, strerror(errno));
		goto out;
	}
	for (i = 0; i < nhide; i++) {
		size_t	j, k = i;

		for (j = i + 1; j < nhide; j++)
			if (strlen(hide[j]) < strlen(hide[k]))
				k = j;
		if (k != i) {
			const char *t = hide[i];

			hide[i] = hide[k];
			hide[k] = t;
		}
		if (!fsview_hideable(hide[i]))
			continue;
		if (fsview_tmpfs(hide[i], "mode=0755,size=1m", cause,
		    causelen) == -1)
			goto out;
	}
	for (i = 0; i < nexp; i++) {
		if (exp[i] != -1 && fsview_attach(exp[i], pol->expose[i], why,
		    sizeof why) == -1)
			initchan_send(SANDBOX_CTL_FD, SANDBOX_MSG_WARN, why,
			    strlen(why), -1);
	}
	/* Last, so that no exposed path covers it. */
	if (fsview_attach(ws, pol->workspace, cause, causelen) == -1)
		goto out;
	/* The hiding tmpfs held mount points only: read-only from now. */
	memset(&attr, 0, sizeof attr);
	attr.attr_set = MOUNT_ATTR_RDONLY;
	for (i = 0; i < nhide; i++) {
		if (mount_setattr(AT_FDCWD, hide[i], 0, &attr,
		    sizeof attr) == -1 && errno != ENOENT && errno != EINVAL) {
			CAUSE("read-only %s: %s", hide[i], strerror(errno));
			goto out;
		}
	}
	if (access("/dev/shm", F_OK) == 0 &&
	    fsview_tmpfs("/dev/shm", "mode=1777", cause, causelen) == -1)
		goto out;
	if ((c->nsflags & CLONE_NEWPID) && mount("proc", "/proc", "proc",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1) {
		CAUSE("mount /proc: %s", strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (root != -1)
		close(root);
	if (ws != -1)
		close(ws);
	for (i = 0; exp != NULL && i < nexp; i++)
		if (exp[i] != -1)
			close(exp[i]);
	free(exp);
	return (rv);
}

