/*
 * Overlay workspaces: cache keys, the LRU plan, reference counts, locks,
 * pruning of a real cache directory, and (as root) mounting.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "fixture.h"
#include "common/util.h"
#include "host/overlay.h"
#include "unit.h"

#define C1	"0123456789abcdef0123456789abcdef01234567"
#define C2	"76543210fedcba9876543210fedcba9876543210"
#define KEY	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char	tmp[128];

static void
setup(void)
{
	fixture_tmpdir(tmp, sizeof tmp, "check_overlay");
}

static void
teardown(void)
{
	fixture_rmdir(tmp);
}

START_TEST(test_key_vector)
{
	char	key[OVERLAY_KEY_LEN + 1];

	/* SHA-256 of "identity\0commit\0uid\0" (python3 hashlib). */
	ck_assert_int_eq(overlay_key("/srv/repo", C1, 1000, key, sizeof key),
	    0);
	ck_assert_str_eq(key, "cefb9270a0668f55afcfc91acc2ec7a8"
	    "bec5dd30de7a0655e01c594e33fa3650");
	ck_assert_int_eq(overlay_key("https://github.com/o/n.git", C1,
	    (uid_t)-1, key, sizeof key), 0);
	ck_assert_str_eq(key, "c9a6d4968e380abc41e3ce999cf5de04"
	    "d87c34a1d50bcff22051d061b5365f72");
}
END_TEST

START_TEST(test_key_distinct)
{
	char	a[OVERLAY_KEY_LEN + 1], b[OVERLAY_KEY_LEN + 1];

	ck_assert_int_eq(overlay_key("/r", C1, 0, a, sizeof a), 0);
	ck_assert_int_eq(strlen(a), OVERLAY_KEY_LEN);
	ck_assert_int_eq(strspn(a, "0123456789abcdef"), OVERLAY_KEY_LEN);
	ck_assert_int_eq(overlay_key("/r", C1, 0, b, sizeof b), 0);
	ck_assert_str_eq(a, b);
	/* Any part changes it: repository, commit, owner. */
	ck_assert_int_eq(overlay_key("/r2", C1, 0, b, sizeof b), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(overlay_key("/r", C2, 0, b, sizeof b), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(overlay_key("/r", C1, 65534, b, sizeof b), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(overlay_key("/r", C1, (uid_t)-1, b, sizeof b), 0);
	ck_assert_str_ne(a, b);
	/* Parts cannot run into each other. */
	ck_assert_int_eq(overlay_key("/r1", C1, 0, a, sizeof a), 0);
	ck_assert_int_eq(overlay_key("/r", C1, 10, b, sizeof b), 0);
	ck_assert_str_ne(a, b);
	/* SHA-256 object ids too. */
	ck_assert_int_eq(overlay_key("/r", C1 "0123456789abcdef01234567", 0,
	    b, sizeof b), 0);
}
END_TEST

START_TEST(test_key_bad)
{
	char		 key[OVERLAY_KEY_LEN + 1];
	static const char *bad[] = { "", "0123456", C1 "0", "0123456789ABCDEF"
	    "0123456789abcdef01234567", "g123456789abcdef0123456789abcdef0123"
	    "4567", C1 " ", "HEAD", "../../etc/passwd" };
	size_t		 i;

	for (i = 0; i < nitems(bad); i++) {
		memcpy(key, "x", 2);
		ck_assert_int_eq(overlay_key("/r", bad[i], 0, key, sizeof key),
		    -1);
		ck_assert_str_eq(key, "");
	}
	ck_assert_int_eq(overlay_key(NULL, C1, 0, key, sizeof key), -1);
	ck_assert_int_eq(overlay_key("", C1, 0, key, sizeof key), -1);
	ck_assert_int_eq(overlay_key("/r", NULL, 0, key, sizeof key), -1);
	ck_assert_int_eq(overlay_key("/r", C1, 0, key, OVERLAY_KEY_LEN), -1);
}
END_TEST

/* An entry for the plan. */
static struct overlay_entry
ent(const char *path, int checkout, uint64_t bytes, int64_t used, int busy)
{
	struct overlay_entry	e;

	memset(&e, 0, sizeof e);
	e.path = (char *)path;
	e.checkout = checkout;
	e.bytes = bytes;
	e.used_ms = used;
	e.busy = busy;
	e.prune = 7;	/* the plan must reset it */
	return (e);
}

START_TEST(test_lru_order)
{
	struct overlay_entry	e[4];

	e[0] = ent("/c/new", 1, 100, 4000, 0);
	e[1] = ent("/m/old", 0, 100, 1000, 0);
	e[2] = ent("/c/mid", 1, 100, 2000, 0);
	e[3] = ent("/m/mid2", 0, 100, 3000, 0);
	/* 400 bytes, cap 250: the two least recently used go. */
	ck_assert_uint_eq(overlay_lru_plan(e, 4, 250, 5000, 0), 200);
	ck_assert_int_eq(e[0].prune, 0);
	ck_assert_int_eq(e[1].prune, 1);
	ck_assert_int_eq(e[2].prune, 1);
	ck_assert_int_eq(e[3].prune, 0);
	/* Exactly at the cap is under it. */
	ck_assert_uint_eq(overlay_lru_plan(e, 4, 400, 5000, 0), 400);
	ck_assert_int_eq(e[0].prune + e[1].prune + e[2].prune + e[3].prune, 0);
	/* No cap: nothing. */
	ck_assert_uint_eq(overlay_lru_plan(e, 4, 0, 5000, 0), 400);
	ck_assert_int_eq(e[0].prune + e[1].prune + e[2].prune + e[3].prune, 0);
}
END_TEST

START_TEST(test_lru_busy)
{
	struct overlay_entry	e[3];

	e[0] = ent("/c/a", 1, 500, 1000, 1);	/* oldest, in use */
	e[1] = ent("/m/b", 0, 100, 2000, 0);
	e[2] = ent("/c/c", 1, 100, 3000, 0);
	/* Busy entries stay even when that leaves the cache over the cap. */
	ck_assert_uint_eq(overlay_lru_plan(e, 3, 300, 5000, 0), 500);
	ck_assert_int_eq(e[0].prune, 0);
	ck_assert_int_eq(e[1].prune, 1);
	ck_assert_int_eq(e[2].prune, 1);
	/* All busy: nothing to do. */
	e[1].busy = e[2].busy = 1;
	ck_assert_uint_eq(overlay_lru_plan(e, 3, 1, 5000, 0), 700);
	ck_assert_int_eq(e[0].prune + e[1].prune + e[2].prune, 0);
	/* Nothing at all. */
	ck_assert_uint_eq(overlay_lru_plan(NULL, 0, 1, 5000, 0), 0);
}
END_TEST

START_TEST(test_lru_ties)
{
	struct overlay_entry	e[3];

	/* Same last use: by path, whatever the order given. */
	e[0] = ent("/z", 0, 10, 1000, 0);
	e[1] = ent("/a", 0, 10, 1000, 0);
	e[2] = ent("/m", 0, 10, 1000, 0);
	ck_assert_uint_eq(overlay_lru_plan(e, 3, 20, 5000, 0), 20);
	ck_assert_int_eq(e[1].prune, 1);
	ck_assert_int_eq(e[0].prune + e[2].prune, 0);
}
END_TEST

START_TEST(test_lru_age)
{
	struct overlay_entry	e[4];

	e[0] = ent("/c/old", 1, 10, 1000, 0);	/* unused for 9 s: goes */
	e[1] = ent("/c/busy", 1, 10, 1000, 1);	/* as old, in use: stays */
	e[2] = ent("/m/old", 0, 10, 1000, 0);	/* a mirror: no age rule */
	e[3] = ent("/c/new", 1, 10, 9000, 0);
	ck_assert_uint_eq(overlay_lru_plan(e, 4, 0, 10000, 5000), 30);
	ck_assert_int_eq(e[0].prune, 1);
	ck_assert_int_eq(e[1].prune, 0);
	ck_assert_int_eq(e[2].prune, 0);
	ck_assert_int_eq(e[3].prune, 0);
	/* Age first, then the cap among what is left. */
	ck_assert_uint_eq(overlay_lru_plan(e, 4, 20, 10000, 5000), 20);
	ck_assert_int_eq(e[0].prune, 1);
	ck_assert_int_eq(e[2].prune, 1);
	ck_assert_int_eq(e[3].prune, 0);
	/* A clock that went backwards prunes nothing by age. */
	ck_assert_uint_eq(overlay_lru_plan(e, 4, 0, 0, 5000), 40);
}
END_TEST

START_TEST(test_private)
{
	char	*p;

	p = overlay_private("/ws/3f2a");
	ck_assert_str_eq(p, "/ws/.overlay/3f2a");
	free(p);
	p = overlay_private("/a/b/c");
	ck_assert_str_eq(p, "/a/b/.overlay/c");
	free(p);
	ck_assert_ptr_null(overlay_private("/top"));
	ck_assert_ptr_null(overlay_private("/ws/"));
	ck_assert_ptr_null(overlay_private("relative"));
}
END_TEST

START_TEST(test_refcount)
{
	char	*ws, *lower, *other, *rec;

	ws = xasprintf("%s/ws", tmp);
	lower = xasprintf("%s/cache/checkouts/aa", tmp);
	other = xasprintf("%s/cache/checkouts/a", tmp);
	/* No .overlay yet: nobody. */
	ck_assert_int_eq(overlay_refcount(ws, lower), 0);
	fixture_put(tmp, "ws/.overlay/s1/lower", lower);	/* no newline */
	ck_assert_int_eq(overlay_refcount(ws, lower), 1);
	fixture_put(tmp, "ws/.overlay/s2/lower", "");
	ck_assert_int_eq(overlay_refcount(ws, lower), 1);
	rec = xasprintf("%s\n", lower);
	fixture_put(tmp, "ws/.overlay/s2/lower", rec);
	free(rec);
	ck_assert_int_eq(overlay_refcount(ws, lower), 2);
	/* A prefix of the path is another checkout. */
	ck_assert_int_eq(overlay_refcount(ws, other), 0);
	/* Private dirs without a record, and dot entries, do not count. */
	fixture_put(tmp, "ws/.overlay/s3/upper/x", "x");
	fixture_put(tmp, "ws/.overlay/.probe.abc/lower", lower);
	ck_assert_int_eq(overlay_refcount(ws, lower), 2);
	/* Removing a workspace's private dir drops its reference. */
	rec = xasprintf("%s/ws/.overlay/s1", tmp);
	ck_assert_int_eq(rm_rf(rec), 0);
	free(rec);
	ck_assert_int_eq(overlay_refcount(ws, lower), 1);
	ck_assert_int_eq(overlay_refcount(ws, ""), -1);
	ck_assert_int_eq(overlay_refcount(NULL, lower), -1);
	ck_assert_int_eq(overlay_refcount(ws, NULL), -1);
	free(other);
	free(lower);
	free(ws);
}
END_TEST

/* The record naming a workspace's checkout, read back; bad ones refused. */
START_TEST(test_lower)
{
	static const char	*bad[] = {
		"", "\n", "relative/" KEY, "/", "/nokey", "/x/" KEY "0",
		"/x/" KEY "\n\n", "/x/ABCDEF",
	};
	char	*ws, *lower, *rec, *p;
	size_t	 i;

	ws = xasprintf("%s/ws/s1", tmp);
	lower = xasprintf("%s/cache/checkouts/" KEY, tmp);
	/* No private dir: not an overlay workspace. */
	ck_assert_ptr_null(overlay_lower(ws));
	ck_assert_ptr_null(overlay_lower("relative"));
	rec = xasprintf("%s\n", lower);
	fixture_put(tmp, "ws/.overlay/s1/lower", rec);
	free(rec);
	/* The checkout is gone: nothing to read from. */
	ck_assert_ptr_null(overlay_lower(ws));
	ck_assert_int_eq(mkdir_p(lower, 0755), 0);
	p = overlay_lower(ws);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, lower);
	free(p);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fixture_put(tmp, "ws/.overlay/s1/lower", bad[i]);
		ck_assert_msg(overlay_lower(ws) == NULL, "accepted '%s'",
		    bad[i]);
	}
	/* A directory that is there, but not a checkout's. */
	rec = xasprintf("%s/cache/checkouts", tmp);
	fixture_put(tmp, "ws/.overlay/s1/lower", rec);
	ck_assert_ptr_null(overlay_lower(ws));
	free(rec);
	free(lower);
	free(ws);
}
END_TEST

START_TEST(test_lock)
{
	char	*path;
	int	 a, b;

	path = xasprintf("%s/x.lock", tmp);
	ck_assert_int_ge((a = overlay_lock(path, LOCK_EX)), 0);
	/* Another open file description conflicts, even in one process. */
	ck_assert_int_eq(overlay_lock(path, LOCK_EX | LOCK_NB), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	ck_assert_int_eq(overlay_lock(path, LOCK_SH | LOCK_NB), -1);
	close(a);
	ck_assert_int_ge((a = overlay_lock(path, LOCK_SH)), 0);
	ck_assert_int_ge((b = overlay_lock(path, LOCK_SH | LOCK_NB)), 0);
	close(a);
	close(b);
	/* The lock file's directory must exist: a clean error. */
	free(path);
	path = xasprintf("%s/nope/x.lock", tmp);
	ck_assert_int_eq(overlay_lock(path, LOCK_EX), -1);
	ck_assert_int_eq(errno, ENOENT);
	free(path);
}
END_TEST

START_TEST(test_stamp)
{
	char		*path, *stamp, *text;
	struct stat	 st;

	path = xasprintf("%s/entry", tmp);
	stamp = xasprintf("%s.stamp", path);
	fixture_put(tmp, "entry/a", "12345");
	ck_assert_uint_ge(overlay_du(path), 4096);
	overlay_stamp(path, 4242);
	text = read_file(stamp, NULL);
	ck_assert_str_eq(text, "4242\n");
	free(text);
	/* Touching keeps the size and moves the last use. */
	ck_assert_int_eq(utimensat(AT_FDCWD, stamp, (struct timespec[2]){
	    { 1000, 0 }, { 1000, 0 } }, 0), 0);
	overlay_touch(path);
	ck_assert_int_eq(stat(stamp, &st), 0);
	ck_assert_int_gt(st.st_mtim.tv_sec, 1000);
	text = read_file(stamp, NULL);
	ck_assert_str_eq(text, "4242\n");
	free(text);
	free(stamp);
	free(path);
}
END_TEST

/* An entry of the cache: dir rel with a stamp of bytes, used at when. */
static void
cache_entry(const char *rel, const char *bytes, time_t when)
{
	char		*p, *s;
	struct timespec	 ts[2] = { { when, 0 }, { when, 0 } };

	p = xasprintf("%s/%s/HEAD", tmp, rel);
	*strrchr(p, '/') = '\0';
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
	p = xasprintf("%s/%s/HEAD", tmp, rel);
	ck_assert_int_eq(write_file_atomic(p, "x", 1), 0);
	free(p);
	if (bytes == NULL)
		return;
	s = xasprintf("%s/%s.stamp", tmp, rel);
	ck_assert_int_eq(write_file_atomic(s, bytes, strlen(bytes)), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, s, ts, 0), 0);
	free(s);
}

#define K1 "1111111111111111111111111111111111111111111111111111111111111111"
#define K2 "2222222222222222222222222222222222222222222222222222222222222222"
#define K3 "3333333333333333333333333333333333333333333333333333333333333333"

START_TEST(test_prune)
{
	char	*cache, *ws, *lock, *rec;
	time_t	 now = time(NULL);
	int	 fd;

	cache = xasprintf("%s/cache", tmp);
	ws = xasprintf("%s/ws", tmp);
	/* Mirrors: one old, one old but locked, one new (gitlab subgroup). */
	cache_entry("cache/mirrors/h/o/old.git", "1000\n", now - 500);
	cache_entry("cache/mirrors/h/o/locked.git", "1000\n", now - 400);
	cache_entry("cache/mirrors/h/g/sub/new.git", "1000\n", now - 10);
	/* Checkouts: an old one in use, an old unused one, a new one. */
	cache_entry("cache/checkouts/" K1, "1000\n", now - 600);
	cache_entry("cache/checkouts/" K2, "1000\n", now - 300);
	cache_entry("cache/checkouts/" K3, "1000\n", now - 5);
	/* Not cache entries: a stray file, a half-built checkout. */
	cache_entry("cache/checkouts/" K3 ".tmp", NULL, now);
	fixture_put(tmp, "cache/checkouts/notakey", "x");
	rec = xasprintf("%s/checkouts/" K1 "\n", cache);
	fixture_put(tmp, "ws/.overlay/s1/lower", rec);
	free(rec);
	lock = xasprintf("%s/mirrors/h/o/locked.git.lock", cache);
	ck_assert_int_ge((fd = overlay_lock(lock, LOCK_SH)), 0);

	/* 6000 bytes, cap 3000: oldest unused first until under it. */
	ck_assert_int_eq(overlay_prune(cache, ws, 3000, 0), 3);
	ck_assert_int_eq(fixture_exists(tmp, "cache/mirrors/h/o/old.git"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/mirrors/h/o/old.git.stamp"),
	    0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K2), 0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K2 ".stamp"),
	    0);
	/* Then the newer mirror (the locked one is skipped). */
	ck_assert_int_eq(fixture_exists(tmp, "cache/mirrors/h/g/sub/new.git"),
	    0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/mirrors/h/o/locked.git"),
	    1);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K1), 1);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K3), 1);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K3 ".tmp"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/notakey"), 1);
	close(fd);
	free(lock);

	/* No cap and no age: nothing is even looked at. */
	ck_assert_int_eq(overlay_prune(cache, ws, 0, 0), 0);
	/* By age: unused checkouts older than 60 s; in use ones stay. */
	ck_assert_int_eq(overlay_prune(cache, ws, 0, 60 * 1000), 0);
	cache_entry("cache/checkouts/" K2, "10\n", now - 120);
	ck_assert_int_eq(overlay_prune(cache, ws, 0, 60 * 1000), 1);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K2), 0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K1), 1);
	/* A stamp without a size: measured, then counted. */
	cache_entry("cache/checkouts/" K2, "garbage", now - 1);
	ck_assert_int_eq(overlay_prune(cache, ws, 1, 0), 3);
	ck_assert_int_eq(fixture_exists(tmp, "cache/mirrors/h/o/locked.git"),
	    0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K1), 1);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K2), 0);
	ck_assert_int_eq(fixture_exists(tmp, "cache/checkouts/" K3), 0);
	/* Bad input. */
	ck_assert_int_eq(overlay_prune(NULL, ws, 1, 0), 0);
	ck_assert_int_eq(overlay_prune("relative", ws, 1, 0), 0);
	free(ws);
	free(cache);
}
END_TEST

START_TEST(test_mount)
{
	char		 cause[512], *lower, *ws, *a, *b, *p, *text, *bad;
	struct stat	 st;

	if (geteuid() != 0)
		return;		/* mounting needs root */
	lower = xasprintf("%s/lower", tmp);
	ws = xasprintf("%s/ws", tmp);
	a = xasprintf("%s/ws/a", tmp);
	b = xasprintf("%s/ws/b", tmp);
	fixture_put(tmp, "lower/f.txt", "lower\n");
	fixture_put(tmp, "ws/.keep", "");
	ck_assert_int_eq(overlay_prepare(a, lower, (uid_t)-1, (gid_t)-1,
	    cause, sizeof cause), 0);
	if (overlay_mount(a, lower, cause, sizeof cause) == -1) {
		/* No overlayfs here: the probe says the same. */
		ck_assert_int_eq(overlay_probe(tmp, tmp, cause, sizeof cause),
		    -1);
		overlay_discard(a);
		goto out;
	}
	ck_assert_int_eq(overlay_prepare(b, lower, 65534, 65534, cause,
	    sizeof cause), 0);
	ck_assert_int_eq(overlay_mount(b, lower, cause, sizeof cause), 0);
	fixture_put(tmp, "ws/a/f.txt", "from a\n");
	fixture_put(tmp, "ws/a/new.txt", "new\n");
	p = xasprintf("%s/f.txt", b);
	text = read_file(p, NULL);
	ck_assert_str_eq(text, "lower\n");
	free(text);
	free(p);
	/* The root of b is its owner's. */
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);
	ck_assert_int_eq(fixture_exists(tmp, "ws/b/new.txt"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "lower/new.txt"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "ws/.overlay/a/upper/f.txt"), 1);
	ck_assert_int_eq(overlay_refcount(ws, lower), 2);

	/*
	 * What root wrote into b is handed to its owner, at every depth of
	 * the upper dir; the lower's files are not copied up for it.
	 */
	fixture_put(tmp, "ws/b/d/sub/x.txt", "x\n");
	ck_assert_int_eq(symlink("nowhere", p = xasprintf("%s/ws/b/d/l", tmp)),
	    0);
	free(p);
	ck_assert_int_eq(overlay_chown_upper(b, 65534, 65534), 0);
	p = xasprintf("%s/ws/b/d/sub/x.txt", tmp);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);
	ck_assert_int_eq(st.st_gid, 65534);
	free(p);
	p = xasprintf("%s/ws/b/d/sub", tmp);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);
	free(p);
	p = xasprintf("%s/ws/b/d/l", tmp);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);
	free(p);
	ck_assert_int_eq(fixture_exists(tmp, "ws/.overlay/b/upper/f.txt"), 0);

	/* Preparing an existing workspace fails and leaves it alone. */
	ck_assert_int_eq(overlay_prepare(a, lower, (uid_t)-1, (gid_t)-1,
	    cause, sizeof cause), -1);
	ck_assert_int_eq(fixture_exists(tmp, "ws/.overlay/a/upper/new.txt"), 1);

	/*
	 * Layers go by descriptor: a path overlay's option syntax could not
	 * carry mounts all the same.
	 */
	bad = xasprintf("%s/ws/c,d", tmp);
	ck_assert_int_eq(overlay_prepare(bad, lower, (uid_t)-1, (gid_t)-1,
	    cause, sizeof cause), 0);
	ck_assert_msg(overlay_mount(bad, lower, cause, sizeof cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(fixture_exists(tmp, "ws/c,d/f.txt"), 1);
	/* Missing layers: said. */
	ck_assert_int_eq(overlay_mount(b, "/nonexistent", cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "/nonexistent"));
	overlay_discard(bad);
	ck_assert_int_eq(fixture_exists(tmp, "ws/c,d"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "ws/.overlay/c,d"), 0);
	free(bad);

	/* DELETE: unmounted, private dir gone; not a uuid: left alone. */
	ck_assert_int_eq(overlay_remove(ws, "a"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "ws/a/f.txt"), 1);
	overlay_discard(a);
	overlay_discard(b);
	ck_assert_int_eq(fixture_exists(tmp, "ws/a"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "ws/.overlay/b"), 0);
	ck_assert_int_eq(fixture_exists(tmp, "lower/f.txt"), 1);
	ck_assert_int_eq(overlay_probe(tmp, tmp, cause, sizeof cause), 0);
out:
	free(ws);
	free(lower);
	free(a);
	free(b);
}
END_TEST

static int	known_calls;

static int
known_one(const char *id)
{
	known_calls++;
	return (strcmp(id, "11111111-1111-4111-8111-111111111111") == 0);
}

START_TEST(test_sweep)
{
	char	 cause[512], *lower, *ws, *keep, *gone;

	if (geteuid() != 0)
		return;
	lower = xasprintf("%s/lower", tmp);
	ws = xasprintf("%s/ws", tmp);
	keep = xasprintf("%s/11111111-1111-4111-8111-111111111111", ws);
	gone = xasprintf("%s/22222222-2222-4222-8222-222222222222", ws);
	fixture_put(tmp, "lower/f.txt", "lower\n");
	fixture_put(tmp, "ws/.keep", "");
	ck_assert_int_eq(overlay_prepare(keep, lower, (uid_t)-1, (gid_t)-1,
	    cause, sizeof cause), 0);
	ck_assert_int_eq(overlay_prepare(gone, lower, (uid_t)-1, (gid_t)-1,
	    cause, sizeof cause), 0);
	if (overlay_mount(keep, lower, cause, sizeof cause) == -1) {
		overlay_discard(keep);
		overlay_discard(gone);
		goto out;
	}
	ck_assert_int_eq(overlay_mount(gone, lower, cause, sizeof cause), 0);
	ck_assert_int_eq(overlay_sweep(ws, known_one), 1);
	ck_assert_int_gt(known_calls, 0);
	ck_assert_int_eq(fixture_exists(tmp,
	    "ws/11111111-1111-4111-8111-111111111111/f.txt"), 1);
	ck_assert_int_eq(fixture_exists(tmp,
	    "ws/22222222-2222-4222-8222-222222222222"), 0);
	ck_assert_int_eq(fixture_exists(tmp,
	    "ws/.overlay/22222222-2222-4222-8222-222222222222"), 0);
	/* Nothing left to do the second time. */
	ck_assert_int_eq(overlay_sweep(ws, known_one), 0);
	ck_assert_int_eq(overlay_remove(ws,
	    "11111111-1111-4111-8111-111111111111"), 0);
	ck_assert_int_eq(fixture_exists(tmp,
	    "ws/11111111-1111-4111-8111-111111111111/f.txt"), 0);
	ck_assert_int_eq(fixture_exists(tmp,
	    "ws/.overlay/11111111-1111-4111-8111-111111111111"), 0);
out:
	free(keep);
	free(gone);
	free(ws);
	free(lower);
}
END_TEST

START_TEST(test_mode)
{
	const char	*why;

	/* Before any probe: what the config asks. */
	ck_assert_str_eq(overlay_mode("clone", &why), "clone");
	ck_assert_str_eq(why, "workspace_mode is clone");
	ck_assert_str_eq(overlay_mode("overlay", &why), "overlay");
	ck_assert_str_eq(overlay_mode("auto", &why), "overlay");
	ck_assert_ptr_null(why);
	ck_assert_str_eq(overlay_mode(NULL, NULL), "clone");
	/* A probe that cannot work: auto falls back, overlay says why. */
	overlay_init("auto", "relative", "relative");
	ck_assert_str_eq(overlay_mode("auto", &why), "clone");
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(overlay_mode("overlay", &why), "overlay");
	ck_assert_ptr_nonnull(why);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("overlay");

	tc = tcase_create("key");
	tcase_add_test(tc, test_key_vector);
	tcase_add_test(tc, test_key_distinct);
	tcase_add_test(tc, test_key_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("lru");
	tcase_add_test(tc, test_lru_order);
	tcase_add_test(tc, test_lru_busy);
	tcase_add_test(tc, test_lru_ties);
	tcase_add_test(tc, test_lru_age);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_private);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_lower);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_stamp);
	tcase_add_test(tc, test_prune);
	suite_add_tcase(s, tc);

	tc = tcase_create("mount");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_mount);
	tcase_add_test(tc, test_sweep);
	tcase_add_test(tc, test_mode);
	suite_add_tcase(s, tc);

	return (s);
}
