/* Overlay workspaces over cached checkouts, and the cache's pruning. */
#include "config.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "common/util.h"
#include "host/overlay.h"
#include "host/quota.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* The start-up probe's verdict (supervisor only). */
static int	 overlay_probed;
static int	 overlay_works;
static char	 overlay_why[512];

/* Whether s is OVERLAY_KEY_LEN lowercase hex digits. */
static int
overlay_is_key(const char *s)
{
	return (strspn(s, "0123456789abcdef") == OVERLAY_KEY_LEN &&
	    s[OVERLAY_KEY_LEN] == '\0');
}

int
overlay_key(const char *identity, const char *commit, uid_t owner,
    char *out, size_t outlen)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		 uid[32];
	size_t		 n;
	int		 ok;

	if (outlen > 0)
		out[0] = '\0';
	if (identity == NULL || *identity == '\0' || commit == NULL ||
	    outlen < OVERLAY_KEY_LEN + 1)
		return (-1);
	/* A full object id: SHA-1 or SHA-256. */
	n = strspn(commit, "0123456789abcdef");
	if (commit[n] != '\0' || (n != 40 && n != 64))
		return (-1);
	snprintf(uid, sizeof uid, "%ld", owner == (uid_t)-1 ? -1L :
	    (long)owner);
	/* Each part with its NUL: no two different triples hash alike. */
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (-1);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, identity, strlen(identity) + 1) &&
	    EVP_DigestUpdate(ctx, commit, n + 1) &&
	    EVP_DigestUpdate(ctx, uid, strlen(uid) + 1) &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen * 2 < OVERLAY_KEY_LEN)
		return (-1);
	for (i = 0; i < OVERLAY_KEY_LEN / 2; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
	return (0);
}

int
overlay_lock(const char *path, int op)
{
	struct stat	 a, b;
	int		 fd, saved;

	for (;;) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
			return (-1);
		while (flock(fd, op) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return (-1);
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return (fd);
		/* Pruned while we waited: that lock guards nothing now. */
		close(fd);
	}
}

void
overlay_touch(const char *path)
{
	file_touch(0600, "%s.stamp", path);
}

void
overlay_stamp(const char *path, uint64_t bytes)
{
	char	*stamp, text[32];

	stamp = xasprintf("%s.stamp", path);
	snprintf(text, sizeof text, "%llu\n", (unsigned long long)bytes);
	if (write_file_atomic(stamp, text, strlen(text)) == -1)
		log_warn("cache: cannot write %s", stamp);
	free(stamp);
}

/* nftw has no argument: the running total of overlay_du. */
static uint64_t	overlay_du_total;

static int
overlay_du_cb(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	overlay_du_total += (uint64_t)st->st_blocks * 512;
	return (0);
}

uint64_t
overlay_du(const char *path)
{
	overlay_du_total = 0;
	(void)nftw(path, overlay_du_cb, 32, FTW_PHYS);
	return (overlay_du_total);
}

char *
overlay_private(const char *dir)
{
	const char	*slash;

	if ((slash = strrchr(dir, '/')) == NULL || slash == dir ||
	    slash[1] == '\0')
		return (NULL);
	return (xasprintf("%.*s/.overlay/%s", (int)(slash - dir), dir,
	    slash + 1));
}

/* Remove a private dir, unmounting its quota filesystem first. */
static int
overlay_private_remove(const char *priv)
{
	if (quota_release(priv) == -1)
		return (-1);
	return (rm_rf(priv));
}

int
overlay_quota(const char *dir, int64_t bytes, char *cause, size_t causelen)
{
	char	*priv, *top;
	int	 rv = -1;

	if ((priv = overlay_private(dir)) == NULL) {
		CAUSE("bad workspace path '%s'", dir);
		return (-1);
	}
	top = xstrdup(priv);
	*strrchr(top, '/') = '\0';
	if (mkdir_p(top, 0700) == -1)
		CAUSE("cannot create '%s': %s", top, strerror(errno));
	else
		rv = quota_create(priv, top, bytes, cause, causelen);
	free(top);
	free(priv);
	return (rv);
}

int
overlay_prepare(const char *dir, const char *lower, uid_t uid, gid_t gid,
    char *cause, size_t causelen)
{
	char	*priv, *path, *top, *record;
	int	 rv = -1;

	if ((priv = overlay_private(dir)) == NULL) {
		CAUSE("bad workspace path '%s'", dir);
		return (-1);
	}
	top = xstrdup(priv);
	*strrchr(top, '/') = '\0';
	if (mkdir_p(top, 0700) == -1) {
		CAUSE("cannot create '%s': %s", top, strerror(errno));
		free(top);
		free(priv);
		return (-1);
	}
	free(top);
	/* A quota filesystem (overlay_quota) is mounted there already. */
	if (mkdir(priv, 0700) == -1 && (errno != EEXIST ||
	    !quota_mounted(priv))) {
		CAUSE("cannot create '%s': %s", priv, strerror(errno));
		free(priv);
		return (-1);
	}
	path = xasprintf("%s/upper", priv);
	/* The root of the merged view takes the upper dir's owner and mode. */
	if (mkdir(path, 0755) == -1 || chmod(path, 0755) == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) == -1)) {
		CAUSE("cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	free(path);
	path = xasprintf("%s/work", priv);
	if (mkdir(path, 0700) == -1) {
		CAUSE("cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	free(path);
	path = xasprintf("%s/lower", priv);
	record = xasprintf("%s\n", lower);
	if (write_file_atomic(path, record, strlen(record)) == -1) {
		CAUSE("cannot write '%s': %s", path, strerror(errno));
		free(record);
		goto out;
	}
	free(record);
	/* Ours alone: never mount over, or later remove, what was there. */
	if (mkdir(dir, 0755) == -1) {
		CAUSE("cannot create workspace '%s': %s", dir, strerror(errno));
		goto out;
	}
	rv = 0;
out:
	free(path);
	if (rv == -1)
		overlay_private_remove(priv);
	free(priv);
	return (rv);
}

/* Whether a path can be a layer in overlay's comma and colon syntax. */
static int
overlay_path_ok(const char *path)
{
	return (path[0] == '/' && strpbrk(path, ",:\\\n") == NULL);
}

/*
 * The layers are named by descriptors (/proc/self/fd/N), which is what the
 * mount's options then say in every mountinfo, the sandbox's included: no
 * cache key, no private dir, no session id.
 */
int
overlay_mount(const char *dir, const char *lower, char *cause,
    size_t causelen)
{
	char	*priv, *path, *opts = NULL;
	int	 fd[3] = { -1, -1, -1 }, rv = -1;
	size_t	 i;

	if ((priv = overlay_private(dir)) == NULL) {
		CAUSE("bad workspace path '%s'", dir);
		return (-1);
	}
	for (i = 0; i < nitems(fd); i++) {
		path = i == 0 ? xstrdup(lower) : xasprintf("%s/%s", priv,
		    i == 1 ? "upper" : "work");
		fd[i] = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd[i] == -1) {
			CAUSE("cannot mount an overlay at '%s': %s: %s", dir,
			    path, strerror(errno));
			free(path);
			goto out;
		}
		free(path);
	}
	opts = xasprintf("lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/"
	    "%d,workdir=/proc/self/fd/%d", fd[0], fd[1], fd[2]);
	if (mount("overlay", dir, "overlay", MS_NOSUID | MS_NODEV,
	    opts) == -1)
		CAUSE("cannot mount an overlay at '%s': %s", dir,
		    strerror(errno));
	else
		rv = 0;
out:
	for (i = 0; i < nitems(fd); i++)
		if (fd[i] != -1)
			close(fd[i]);
	free(opts);
	free(priv);
	return (rv);
}

/* Walk the upper dir, changing the owner of each entry through merged. */
static int
overlay_chown_walk(const char *upper, const char *merged, uid_t uid,
    gid_t gid)
{
	char *const	 roots[] = { (char *)upper, NULL };
	FTS		*fts;
	FTSENT		*e;
	char		*m;
	int		 rv = 0;

	if ((fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL)) == NULL)
		return (-1);
	while ((e = fts_read(fts)) != NULL) {
		/* A directory that cannot be read comes again as FTS_DNR. */
		if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR) {
			rv = -1;
			continue;
		}
		if (e->fts_info == FTS_DP || e->fts_level == 0)
			continue;
		m = xasprintf("%s%s", merged, e->fts_path + strlen(upper));
		if (lchown(m, uid, gid) == -1) {
			rv = -1;
			fts_set(fts, e, FTS_SKIP);
		}
		free(m);
	}
	fts_close(fts);
	return (rv);
}

int
overlay_chown_upper(const char *dir, uid_t uid, gid_t gid)
{
	char	*priv, *upper;
	int	 rv;

	if ((priv = overlay_private(dir)) == NULL)
		return (-1);
	upper = xasprintf("%s/upper", priv);
	rv = overlay_chown_walk(upper, dir, uid, gid);
	free(upper);
	free(priv);
	return (rv);
}

/* Unmount whatever is mounted on dir (detached: busy or not); -1 if not. */
static int
overlay_unmount(const char *dir)
{
	int	i;

	for (i = 0; i < 16; i++) {
		if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) == -1)
			return (errno == EINVAL || errno == ENOENT ? 0 : -1);
	}
	return (-1);
}

void
overlay_discard(const char *dir)
{
	char	*priv;

	if (overlay_unmount(dir) == -1)
		log_warn("cannot unmount %s", dir);
	else
		(void)rmdir(dir);
	if ((priv = overlay_private(dir)) != NULL &&
	    overlay_private_remove(priv) == -1)
		log_warn("cannot remove %s", priv);
	free(priv);
}

int
overlay_remove(const char *workspace_dir, const char *id)
{
	char	*dir, *priv;
	int	 rv = 0;

	if (!uuid_valid(id))
		return (0);
	dir = xasprintf("%s/%s", workspace_dir, id);
	if (overlay_unmount(dir) == -1) {
		log_warn("session %s: cannot unmount %s", id, dir);
		rv = -1;
	} else if ((priv = overlay_private(dir)) != NULL) {
		if (overlay_private_remove(priv) == -1)
			log_warn("session %s: removing %s", id, priv);
		free(priv);
	}
	free(dir);
	return (rv);
}

/* The record of a workspace's private dir, without its newline; or NULL. */
static char *
overlay_record(const char *priv)
{
	char	*path, *text;
	size_t	 len;

	path = xasprintf("%s/lower", priv);
	text = read_file(path, &len);
	free(path);
	if (text == NULL)
		return (NULL);
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	return (text);
}

char *
overlay_lower(const char *dir)
{
	char		*priv, *rec, *slash;
	struct stat	 st;

	if ((priv = overlay_private(dir)) == NULL)
		return (NULL);
	rec = overlay_record(priv);
	free(priv);
	/* Ours, in a root-only dir; checked all the same. */
	if (rec == NULL || rec[0] != '/' || (slash = strrchr(rec, '/')) ==
	    NULL || !overlay_is_key(slash + 1) || lstat(rec, &st) == -1 ||
	    !S_ISDIR(st.st_mode)) {
		free(rec);
		return (NULL);
	}
	return (rec);
}

int
overlay_refcount(const char *workspace_dir, const char *lower)
{
	DIR		*d;
	struct dirent	*de;
	char		*top, *priv, *rec;
	int		 n = 0;

	if (workspace_dir == NULL || lower == NULL || *lower == '\0')
		return (-1);
	top = xasprintf("%s/.overlay", workspace_dir);
	d = opendir(top);
	if (d == NULL) {
		free(top);
		return (errno == ENOENT ? 0 : -1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		priv = xasprintf("%s/%s", top, de->d_name);
		if ((rec = overlay_record(priv)) != NULL &&
		    strcmp(rec, lower) == 0)
			n++;
		free(rec);
		free(priv);
	}
	closedir(d);
	free(top);
	return (n);
}

/* Oldest use first; the path breaks ties, so the plan is reproducible. */
static int
overlay_lru_cmp(const void *a, const void *b)
{
	const struct overlay_entry	*x = *(struct overlay_entry *const *)a;
	const struct overlay_entry	*y = *(struct overlay_entry *const *)b;

	if (x->used_ms != y->used_ms)
		return (x->used_ms < y->used_ms ? -1 : 1);
	return (strcmp(x->path != NULL ? x->path : "",
	    y->path != NULL ? y->path : ""));
}

uint64_t
overlay_lru_plan(struct overlay_entry *e, size_t n, uint64_t cap,
    int64_t now, int64_t max_age_ms)
{
	struct overlay_entry	**order;
	uint64_t		  total = 0;
	size_t			  i;

	for (i = 0; i < n; i++) {
		e[i].prune = 0;
		total += e[i].bytes;
	}
	if (max_age_ms > 0) {
		for (i = 0; i < n; i++) {
			if (!e[i].checkout || e[i].busy ||
			    now - e[i].used_ms <= max_age_ms)
				continue;
			e[i].prune = 1;
			total -= e[i].bytes;
		}
	}
	if (cap == 0 || total <= cap || n == 0)
		return (total);
	order = xcalloc(n, sizeof *order);
	for (i = 0; i < n; i++)
		order[i] = &e[i];
	qsort(order, n, sizeof *order, overlay_lru_cmp);
	for (i = 0; i < n && total > cap; i++) {
		if (order[i]->busy || order[i]->prune)
			continue;
		order[i]->prune = 1;
		total -= order[i]->bytes;
	}
	free(order);
	return (total);
}

/* The entries found so far by the cache scan. */
struct overlay_scan {
	struct overlay_entry	*e;
	size_t			 n;
	size_t			 size;
};

/* Add a cache entry: its size and last use from its stamp. */
static void
overlay_scan_add(struct overlay_scan *sc, const char *path, int checkout)
{
	struct overlay_entry	*e;
	struct stat		 st;
	char			*stamp, *text, *end;
	unsigned long long	 bytes = 0;
	int			 known = 0;

	if (sc->n == sc->size) {
		sc->size = sc->size == 0 ? 16 : sc->size * 2;
		sc->e = xrealloc(sc->e, sc->size * sizeof *sc->e);
	}
	e = &sc->e[sc->n++];
	memset(e, 0, sizeof *e);
	e->path = xstrdup(path);
	e->checkout = checkout;
	stamp = xasprintf("%s.stamp", path);
	if ((text = read_file(stamp, NULL)) != NULL) {
		errno = 0;
		bytes = strtoull(text, &end, 10);
		known = errno == 0 && end != text && (*end == '\n' ||
		    *end == '\0');
		free(text);
	}
	if (!known) {
		/* Made before stamps were: measure it once. */
		bytes = overlay_du(path);
		overlay_stamp(path, bytes);
	}
	e->bytes = bytes;
	if (stat(stamp, &st) == 0)
		e->used_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000;
	free(stamp);
}

/* Whether a cache entry's lock is free now (then not in use). */
static int
overlay_lock_free(const char *path)
{
	char	*lock;
	int	 fd;

	lock = xasprintf("%s.lock", path);
	fd = overlay_lock(lock, LOCK_EX | LOCK_NB);
	free(lock);
	if (fd == -1)
		return (0);
	close(fd);
	return (1);
}

/* Mirrors: directories named *.git below <cache>/mirrors (host/owner/...). */
static void
overlay_scan_mirrors(struct overlay_scan *sc, const char *dir, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*path;
	size_t		 len;

	if (depth > 8 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			len = strlen(de->d_name);
			if (len > 4 && strcmp(de->d_name + len - 4, ".git") == 0)
				overlay_scan_add(sc, path, 0);
			else
				overlay_scan_mirrors(sc, path, depth + 1);
		}
		free(path);
	}
	closedir(d);
}

/* Checkouts: <cache>/checkouts/<key>; half-built <key>.tmp are removed. */
static void
overlay_scan_checkouts(struct overlay_scan *sc, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*path, *key, *lock;
	size_t		 len;
	int		 fd;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		path = xasprintf("%s/%s", dir, de->d_name);
		len = strlen(de->d_name);
		if (overlay_is_key(de->d_name))
			overlay_scan_add(sc, path, 1);
		else if (len == OVERLAY_KEY_LEN + 4 &&
		    strcmp(de->d_name + OVERLAY_KEY_LEN, ".tmp") == 0) {
			/* Its builder holds the lock; else it died building. */
			key = xstrndup(de->d_name, OVERLAY_KEY_LEN);
			lock = xasprintf("%s/%s.lock", dir, key);
			if ((fd = overlay_lock(lock, LOCK_EX | LOCK_NB)) != -1) {
				rm_rf(path);
				close(fd);
			}
			free(lock);
			free(key);
		}
		free(path);
	}
	closedir(d);
}

/* Remove one entry if it is still unused, under its lock. */
static int
overlay_prune_one(const struct overlay_entry *e, const char *workspace_dir,
    int64_t now)
{
	char	*lock, *stamp;
	int	 fd, rv = -1;

	lock = xasprintf("%s.lock", e->path);
	if ((fd = overlay_lock(lock, LOCK_EX | LOCK_NB)) == -1) {
		free(lock);
		return (-1);
	}
	if (!e->checkout || overlay_refcount(workspace_dir, e->path) == 0) {
		stamp = xasprintf("%s.stamp", e->path);
		if (rm_rf(e->path) == 0) {
			(void)unlink(stamp);
			/* Waiters on this lock see it gone and take a new one. */
			(void)unlink(lock);
			log_info("cache: pruned %s %s (%llu bytes, unused for "
			    "%lld s)", e->checkout ? "checkout" : "mirror",
			    e->path, (unsigned long long)e->bytes,
			    (long long)((now - e->used_ms) / 1000));
			rv = 0;
		} else
			log_warn("cache: cannot remove %s", e->path);
		free(stamp);
	}
	close(fd);
	free(lock);
	return (rv);
}

int
overlay_prune(const char *cache_dir, const char *workspace_dir, uint64_t cap,
    int64_t max_age_ms)
{
	struct overlay_scan	 sc;
	char			*dir;
	uint64_t		 left;
	int64_t			 now = now_ms();
	size_t			 i;
	int			 n = 0, refs;

	if (cache_dir == NULL || cache_dir[0] != '/' ||
	    (cap == 0 && max_age_ms <= 0))
		return (0);
	memset(&sc, 0, sizeof sc);
	dir = xasprintf("%s/mirrors", cache_dir);
	overlay_scan_mirrors(&sc, dir, 0);
	free(dir);
	dir = xasprintf("%s/checkouts", cache_dir);
	overlay_scan_checkouts(&sc, dir);
	free(dir);
	for (i = 0; i < sc.n; i++) {
		if (sc.e[i].checkout) {
			refs = overlay_refcount(workspace_dir, sc.e[i].path);
			sc.e[i].busy = refs != 0;
		} else
			sc.e[i].busy = !overlay_lock_free(sc.e[i].path);
	}
	left = overlay_lru_plan(sc.e, sc.n, cap, now, max_age_ms);
	for (i = 0; i < sc.n; i++) {
		if (sc.e[i].prune && overlay_prune_one(&sc.e[i],
		    workspace_dir, now) == 0)
			n++;
	}
	if (cap != 0 && left > cap)
		log_info("cache: %llu bytes in use, over the cap of %llu",
		    (unsigned long long)left, (unsigned long long)cap);
	for (i = 0; i < sc.n; i++)
		free(sc.e[i].path);
	free(sc.e);
	return (n);
}

int
overlay_probe(const char *cache_dir, const char *workspace_dir, char *cause,
    size_t causelen)
{
	char	*lower = NULL, *base = NULL, *top, *path = NULL, *opts = NULL;
	char	 buf[8];
	int	 fd, rv = -1, mounted = 0;

	if (cache_dir == NULL || cache_dir[0] != '/' ||
	    workspace_dir == NULL || workspace_dir[0] != '/') {
		CAUSE("the cache and workspace directories must be absolute");
		return (-1);
	}
	top = xasprintf("%s/.overlay", workspace_dir);
	if (mkdir_p(cache_dir, 0700) == -1 || mkdir_p(top, 0700) == -1) {
		CAUSE("cannot create '%s' or '%s': %s", cache_dir, top,
		    strerror(errno));
		free(top);
		return (-1);
	}
	lower = xasprintf("%s/.probe.XXXXXX", cache_dir);
	base = xasprintf("%s/.probe.XXXXXX", top);
	free(top);
	if (mkdtemp(lower) == NULL || mkdtemp(base) == NULL) {
		CAUSE("cannot create a probe directory: %s", strerror(errno));
		goto out;
	}
	path = xasprintf("%s/f", lower);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    write(fd, "lower", 5) != 5) {
		CAUSE("cannot write '%s': %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	close(fd);
	free(path);
	path = xasprintf("%s/merged", base);
	opts = xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work",
	    lower, base, base);
	if (!overlay_path_ok(lower) || !overlay_path_ok(base)) {
		CAUSE("'%s' or '%s' holds ',', ':' or '\\', which overlay "
		    "mount options cannot", cache_dir, workspace_dir);
		goto out;
	}
	if (mkdir(path, 0700) == -1) {
		CAUSE("cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	free(path);
	path = xasprintf("%s/upper", base);
	(void)mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/work", base);
	(void)mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/merged", base);
	if (mount("overlay", path, "overlay", MS_NOSUID | MS_NODEV,
	    opts) == -1) {
		CAUSE("overlay mount (lower in %s, upper in %s) failed: %s",
		    cache_dir, workspace_dir, strerror(errno));
		goto out;
	}
	mounted = 1;
	free(path);
	/* Read through it, and write: the write lands in the upper dir. */
	path = xasprintf("%s/merged/f", base);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1 || read(fd, buf, sizeof buf) != 5 ||
	    write(fd, "x", 1) != 1)
		CAUSE("overlay mount in %s does not work: %s", workspace_dir,
		    strerror(errno != 0 ? errno : EIO));
	else
		rv = 0;
	if (fd != -1)
		close(fd);
out:
	free(path);
	if (mounted) {
		path = xasprintf("%s/merged", base);
		if (overlay_unmount(path) == -1)
			log_warn("probe: cannot unmount %s", path);
		free(path);
	}
	if (base != NULL && strstr(base, "XXXXXX") == NULL)
		rm_rf(base);
	if (lower != NULL && strstr(lower, "XXXXXX") == NULL)
		rm_rf(lower);
	free(base);
	free(lower);
	free(opts);
	return (rv);
}

/* Remove <dir>/.probe.* left by a probe that did not finish. */
static void
overlay_probe_leftovers(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*path, *merged;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".probe.", 7) != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		merged = xasprintf("%s/merged", path);
		if (overlay_unmount(merged) == 0)
			rm_rf(path);
		free(merged);
		free(path);
	}
	closedir(d);
}

void
overlay_init(const char *mode, const char *cache_dir,
    const char *workspace_dir)
{
	char	*top;

	top = xasprintf("%s/.overlay", workspace_dir);
	overlay_probe_leftovers(top);
	free(top);
	overlay_probe_leftovers(cache_dir);
	overlay_works = overlay_probe(cache_dir, workspace_dir, overlay_why,
	    sizeof overlay_why) == 0;
	overlay_probed = 1;
	if (overlay_works && strcmp(mode, "clone") != 0)
		log_info("workspaces: overlay mounts over cached checkouts in "
		    "%s/checkouts", cache_dir);
	else if (overlay_works)
		log_info("workspaces: a libgit2 clone per session "
		    "(workspace_mode clone; overlay mounts would work)");
	else if (strcmp(mode, "auto") == 0)
		log_warnx("workspaces: %s; falling back to a libgit2 clone "
		    "per session", overlay_why);
	else if (strcmp(mode, "overlay") == 0)
		log_warnx("workspaces: %s; workspace_mode is overlay, so "
		    "sessions will fail", overlay_why);
	else
		log_info("workspaces: a libgit2 clone per session "
		    "(workspace_mode clone; overlay mounts would not work: %s)",
		    overlay_why);
}

const char *
overlay_mode(const char *mode, const char **reason)
{
	const char	*why = NULL, *m;

	if (mode == NULL || strcmp(mode, "clone") == 0) {
		m = "clone";
		why = "workspace_mode is clone";
	} else if (strcmp(mode, "overlay") == 0) {
		m = "overlay";
		if (overlay_probed && !overlay_works)
			why = overlay_why;
	} else if (!overlay_probed || overlay_works) {
		m = "overlay";
	} else {
		m = "clone";
		why = overlay_why;
	}
	if (reason != NULL)
		*reason = why;
	return (m);
}

struct json_object *
overlay_health(const char *mode)
{
	struct json_object	*o;
	const char		*m, *why;

	m = overlay_mode(mode, &why);
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(m));
	json_object_object_add(o, "configured",
	    json_object_new_string(mode != NULL ? mode : "clone"));
	json_object_object_add(o, "overlayAvailable",
	    json_object_new_boolean(overlay_works));
	if (why != NULL)
		json_object_object_add(o, "reason",
		    json_object_new_string(why));
	return (o);
}

int
overlay_sweep(const char *workspace_dir, int (*known)(const char *))
{
	FILE		*f;
	DIR		*d;
	struct dirent	*de;
	char		 real[PATH_MAX], *line = NULL, *mp, *top, *path;
	const char	*name;
	size_t		 linesize = 0, len;
	int		 n = 0;

	if (realpath(workspace_dir, real) == NULL)
		return (0);
	len = strlen(real);
	/* Mount points: field 5 of mountinfo. */
	if ((f = fopen("/proc/self/mountinfo", "re")) != NULL) {
		while (getline(&line, &linesize, f) != -1) {
			if ((mp = mountinfo_point(line)) == NULL)
				continue;
			if (strncmp(mp, real, len) != 0 || mp[len] != '/')
				continue;
			name = mp + len + 1;
			if (!uuid_valid(name) || known(name))
				continue;
			log_info("workspaces: unmounting %s: no such session",
			    mp);
			if (overlay_remove(workspace_dir, name) == 0) {
				(void)rmdir(mp);
				n++;
			}
		}
		free(line);
		fclose(f);
	}
	/* Private dirs whose session is gone (its mount is gone too). */
	top = xasprintf("%s/.overlay", real);
	if ((d = opendir(top)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!uuid_valid(de->d_name) || known(de->d_name))
				continue;
			if (overlay_remove(real, de->d_name) == 0) {
				path = xasprintf("%s/%s", real, de->d_name);
				(void)rmdir(path);
				free(path);
			}
		}
		closedir(d);
	}
	free(top);
	if (n > 0)
		log_info("workspaces: unmounted %d stale overlay workspaces",
		    n);
	return (n);
}
