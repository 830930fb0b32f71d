/*
 * Workspace disk quotas: the size arithmetic, usage from hostile statfs
 * numbers, and (as root) a real quota filesystem: made, filled to ENOSPC,
 * released with its loop device and image; failures leave nothing behind.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "common/util.h"
#include "host/overlay.h"
#include "host/quota.h"
#include "fixture.h"
#include "unit.h"

#define MiB	(1024LL * 1024)

static char	tmp[128];

static void
setup(void)
{
	fixture_tmpdir(tmp, sizeof tmp, "check_quota");
}

/* Whether mountinfo names a mount point below dir (or dir). */
static int
mounted_under(const char *dir)
{
	FILE	*f;
	char	 line[4096], mp[4096];
	size_t	 len = strlen(dir);
	int	 n = 0;

	if ((f = fopen("/proc/self/mountinfo", "r")) == NULL)
		return (0);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
		    strncmp(mp, dir, len) == 0 && (mp[len] == '/' ||
		    mp[len] == '\0'))
			n++;
	fclose(f);
	return (n);
}

/* How many loop devices are backed by a file below dir. */
static int
loops_under(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*path, *text;
	int		 n = 0;

	if ((d = opendir("/sys/block")) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		path = xasprintf("/sys/block/%s/loop/backing_file", de->d_name);
		if ((text = read_file(path, NULL)) != NULL &&
		    strncmp(text, dir, strlen(dir)) == 0 &&
		    text[strlen(dir)] == '/')
			n++;
		free(text);
		free(path);
	}
	closedir(d);
	return (n);
}

/* loops_under, once it is n (a device can take a moment to clear). */
static int
loops_now(const char *dir, int n)
{
	int	i;

	for (i = 0; i < 100 && loops_under(dir) != n; i++)
		usleep(20 * 1000);
	return (loops_under(dir));
}

/* Unmount whatever a failed test left mounted below tmp. */
static void
teardown(void)
{
	FILE	*f;
	char	 line[4096], mp[4096];
	size_t	 len = strlen(tmp);

	if ((f = fopen("/proc/self/mountinfo", "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
			    strncmp(mp, tmp, len) == 0 && mp[len] == '/')
				(void)umount2(mp, MNT_DETACH);
		fclose(f);
	}
	rm_rf(tmp);
}

START_TEST(test_image_bytes)
{
	ck_assert_uint_eq(quota_image_bytes(0), 0);
	ck_assert_uint_eq(quota_image_bytes(-1), 0);
	ck_assert_uint_eq(quota_image_bytes(INT64_MIN), 0);
	ck_assert_uint_eq(quota_image_bytes(QUOTA_MIN_BYTES - 1), 0);
	ck_assert_uint_eq(quota_image_bytes(QUOTA_MIN_BYTES),
	    (uint64_t)QUOTA_MIN_BYTES);
	/* Whole blocks, never more than the limit. */
	ck_assert_uint_eq(quota_image_bytes(64 * MiB + 4095),
	    (uint64_t)(64 * MiB));
	ck_assert_uint_eq(quota_image_bytes(64 * MiB + 4096),
	    (uint64_t)(64 * MiB + 4096));
	ck_assert_uint_eq(quota_image_bytes(INT64_MAX) % 4096, 0);
	ck_assert(quota_image_bytes(INT64_MAX) <= (uint64_t)INT64_MAX);
}
END_TEST

START_TEST(test_usage_of)
{
	struct quota_usage	u;

	/* Empty: 100000 blocks of 4 KiB, all free. */
	quota_usage_of(100000, 100000, 4096, 100, &u);
	ck_assert_uint_eq(u.total, 409600000);
	ck_assert_uint_eq(u.used, 0);
	ck_assert_int_eq(u.pct, 0);
	ck_assert_int_eq(u.full, 0);
	/* 89 % and 90 %. */
	quota_usage_of(100000, 11000, 4096, 100, &u);
	ck_assert_int_eq(u.pct, 89);
	quota_usage_of(100000, 10000, 4096, 100, &u);
	ck_assert_int_eq(u.pct, 90);
	ck_assert_int_eq(u.full, 0);
	/* Less than the slack left: full. */
	quota_usage_of(100000, QUOTA_FULL_SLACK / 4096 - 1, 4096, 100, &u);
	ck_assert_int_eq(u.full, 1);
	quota_usage_of(100000, QUOTA_FULL_SLACK / 4096, 4096, 100, &u);
	ck_assert_int_eq(u.full, 0);
	/* Or than a 1024th of a large filesystem (40 GB: 39 MB). */
	quota_usage_of(10000000, 9000, 4096, 100, &u);
	ck_assert_int_eq(u.full, 1);
	quota_usage_of(10000000, 10000, 4096, 100, &u);
	ck_assert_int_eq(u.full, 0);
	quota_usage_of(100000, 0, 4096, 100, &u);
	ck_assert_int_eq(u.pct, 100);
	ck_assert_int_eq(u.full, 1);
	/* No inode left is full too, whatever the blocks say. */
	quota_usage_of(100000, 100000, 4096, 0, &u);
	ck_assert_int_eq(u.full, 1);
	/* Nonsense from a filesystem: never more than 100 %, no overflow. */
	quota_usage_of(1000, 5000, 4096, 100, &u);
	ck_assert_uint_eq(u.used, 0);
	ck_assert_int_eq(u.pct, 0);
	quota_usage_of(10, 0, 0, 100, &u);
	ck_assert_uint_eq(u.total, 0);
	ck_assert_int_eq(u.pct, 0);
	quota_usage_of(UINT64_MAX, 0, 4096, 100, &u);
	ck_assert_uint_eq(u.total, 0);
	quota_usage_of(UINT64_MAX / 4096, 0, 4096, 1, &u);
	ck_assert_int_eq(u.pct, 100);
	quota_usage_of(50, 25, 1, 1, &u);
	ck_assert_int_eq(u.pct, 50);
}
END_TEST

START_TEST(test_health)
{
	struct json_object	*o, *v;

	o = quota_health(0);
	ck_assert(json_object_object_get_ex(o, "enforced", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "reason", &v));
	json_object_put(o);
	/* Not probed (the worker's view): taken as it is. */
	ck_assert_int_eq(quota_effective(64 * MiB), 64 * MiB);
	o = quota_health(64 * MiB);
	ck_assert(json_object_object_get_ex(o, "limitBytes", &v));
	ck_assert_int_eq(json_object_get_int64(v), 64 * MiB);
	json_object_put(o);
}
END_TEST

/* Fill dir's filesystem until a write fails; that write's errno. */
static int
fill(const char *dir, int64_t *wrote)
{
	char	*path, buf[65536];
	int	 fd, err = 0;
	ssize_t	 n;

	memset(buf, 'q', sizeof buf);
	*wrote = 0;
	path = xasprintf("%s/big", dir);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    -1);
	for (;;) {
		if ((n = write(fd, buf, sizeof buf)) == -1) {
			err = errno;
			break;
		}
		*wrote += n;
		ck_assert(*wrote < 1024 * MiB);
	}
	if (fsync(fd) == -1 && err == 0)
		err = errno;
	close(fd);
	free(path);
	return (err);
}

START_TEST(test_create_fill_release)
{
	struct quota_usage	 u;
	char			*dir, cause[256];
	int64_t			 wrote;
	struct stat		 st;

	if (geteuid() != 0)
		return;
	dir = xasprintf("%s/q", tmp);
	ck_assert_msg(quota_create(dir, tmp, 32 * MiB, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert(quota_mounted(dir));
	ck_assert_int_eq(mounted_under(dir), 1);
	ck_assert_int_eq(loops_under(tmp), 1);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(st.st_uid, 0);
	ck_assert_int_eq(quota_usage(dir, &u), 0);
	ck_assert(u.total <= (uint64_t)(32 * MiB));
	ck_assert(u.total >= (uint64_t)(30 * MiB));
	ck_assert_int_lt(u.pct, 5);
	ck_assert_int_eq(u.full, 0);
	/* The image holds nothing named: not on disk, not in /sys. */
	ck_assert_int_eq(access(tmp, F_OK), 0);

	/* Past the quota: ENOSPC, never more than the limit. */
	ck_assert_int_eq(fill(dir, &wrote), ENOSPC);
	ck_assert(wrote <= 32 * MiB);
	ck_assert(wrote >= 28 * MiB);
	ck_assert_int_eq(quota_usage(dir, &u), 0);
	ck_assert_int_ge(u.pct, QUOTA_ALERT_PCT);
	ck_assert_int_eq(u.full, 1);

	/* Released: mount, loop device and image are gone. */
	ck_assert_int_eq(quota_release(dir), 0);
	ck_assert(!quota_mounted(dir));
	ck_assert_int_eq(mounted_under(tmp), 0);
	ck_assert_int_eq(loops_now(tmp, 0), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	/* Releasing what is not mounted is fine. */
	ck_assert_int_eq(quota_release(dir), 0);
	free(dir);
}
END_TEST

START_TEST(test_create_bad)
{
	char	*dir, *nodir, cause[256];

	if (geteuid() != 0)
		return;
	dir = xasprintf("%s/q", tmp);
	/* Too small: said, nothing made. */
	cause[0] = '\0';
	ck_assert_int_eq(quota_create(dir, tmp, QUOTA_MIN_BYTES - 1, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "at least"));
	ck_assert_int_eq(access(dir, F_OK), -1);
	/* No place for the image. */
	nodir = xasprintf("%s/none", tmp);
	cause[0] = '\0';
	ck_assert_int_eq(quota_create(dir, nodir, 32 * MiB, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "image"));
	ck_assert_int_eq(access(dir, F_OK), -1);
	/* The mount point exists already: never mounted over. */
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	cause[0] = '\0';
	ck_assert_int_eq(quota_create(dir, tmp, 32 * MiB, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "cannot create"));
	ck_assert_int_eq(mounted_under(tmp), 0);
	/* Its loop device went with the failure. */
	ck_assert_int_eq(loops_now(tmp, 0), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(nodir);
	free(dir);
}
END_TEST

/* An overlay workspace on a quota: made, full, removed without a trace. */
START_TEST(test_overlay_quota)
{
	char	*ws, *a, *lower, *priv, *path, cause[256];
	int64_t	 wrote;
	FILE	*f;
	char	 line[4096];
	int	 found = 0;

	if (geteuid() != 0)
		return;
	ws = xasprintf("%s/ws", tmp);
	a = xasprintf("%s/3f2a9c1e-0000-4000-8000-000000000001", ws);
	lower = xasprintf("%s/cache/checkouts/%064d", tmp, 0);
	ck_assert_int_eq(mkdir_p(lower, 0755), 0);
	path = xasprintf("%s/README", lower);
	ck_assert_int_eq(write_file_atomic(path, "hi\n", 3), 0);
	free(path);
	ck_assert_int_eq(mkdir_p(ws, 0755), 0);
	ck_assert_msg(overlay_quota(a, 16 * MiB, cause, sizeof cause) == 0,
	    "%s", cause);
	ck_assert_msg(overlay_prepare(a, lower, 65534, 65534, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert_msg(overlay_mount(a, lower, cause, sizeof cause) == 0,
	    "%s", cause);
	priv = overlay_private(a);
	ck_assert(quota_mounted(priv));
	ck_assert_int_eq(overlay_refcount(ws, lower), 1);
	/* The overlay's options name no path: no key, no session id. */
	ck_assert_ptr_nonnull(f = fopen("/proc/self/mountinfo", "r"));
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, " - overlay ") == NULL ||
		    strstr(line, a) == NULL)
			continue;
		found = 1;
		ck_assert_ptr_null(strstr(strstr(line, " - "), "checkouts"));
		ck_assert_ptr_null(strstr(strstr(line, " - "), ".overlay"));
		ck_assert_ptr_nonnull(strstr(line, "lowerdir=/proc/self/fd/"));
	}
	fclose(f);
	ck_assert_int_eq(found, 1);
	/* Writes through the workspace land in the quota and stop there. */
	ck_assert_int_eq(fill(a, &wrote), ENOSPC);
	ck_assert(wrote <= 16 * MiB);
	ck_assert_int_eq(loops_under(ws), 1);

	ck_assert_int_eq(overlay_remove(ws,
	    "3f2a9c1e-0000-4000-8000-000000000001"), 0);
	ck_assert_int_eq(rmdir(a), 0);
	ck_assert_int_eq(mounted_under(ws), 0);
	ck_assert_int_eq(loops_now(ws, 0), 0);
	ck_assert_int_eq(access(priv, F_OK), -1);
	ck_assert_int_eq(overlay_refcount(ws, lower), 0);
	free(priv);
	free(lower);
	free(a);
	free(ws);
}
END_TEST

/* A failed prepare takes its quota filesystem with it. */
START_TEST(test_overlay_quota_discard)
{
	char	*ws, *a, *priv, cause[256];

	if (geteuid() != 0)
		return;
	ws = xasprintf("%s/ws", tmp);
	a = xasprintf("%s/3f2a9c1e-0000-4000-8000-000000000002", ws);
	ck_assert_int_eq(mkdir_p(a, 0755), 0);
	ck_assert_int_eq(overlay_quota(a, 16 * MiB, cause, sizeof cause), 0);
	/* The workspace dir exists already: prepare fails, cleans up. */
	ck_assert_int_eq(overlay_prepare(a, "/nonexistent", (uid_t)-1,
	    (gid_t)-1, cause, sizeof cause), -1);
	priv = overlay_private(a);
	ck_assert_int_eq(access(priv, F_OK), -1);
	ck_assert_int_eq(mounted_under(ws), 0);
	ck_assert_int_eq(loops_now(ws, 0), 0);
	free(priv);
	free(a);
	free(ws);
}
END_TEST

START_TEST(test_probe)
{
	char	*ws, *top, cause[256];
	DIR	*d;
	struct dirent *de;

	if (geteuid() != 0)
		return;
	ws = xasprintf("%s/ws", tmp);
	ck_assert_msg(quota_probe(ws, cause, sizeof cause) == 0, "%s", cause);
	ck_assert_int_eq(mounted_under(tmp), 0);
	ck_assert_int_eq(loops_now(tmp, 0), 0);
	/* Nothing left in .overlay. */
	top = xasprintf("%s/.overlay", ws);
	ck_assert_ptr_nonnull(d = opendir(top));
	while ((de = readdir(d)) != NULL)
		ck_assert_msg(de->d_name[0] == '.' && (de->d_name[1] ==
		    '\0' || strcmp(de->d_name, "..") == 0), "left: %s",
		    de->d_name);
	closedir(d);
	ck_assert_int_eq(quota_probe("relative", cause, sizeof cause), -1);
	free(top);
	free(ws);
}
END_TEST

/* Quotas that cannot work: no quota for sessions, and /healthz says why. */
START_TEST(test_fallback)
{
	struct json_object	*o, *v;

	quota_init("relative", 64 * MiB);
	ck_assert_int_eq(quota_effective(64 * MiB), 0);
	ck_assert_int_eq(quota_effective(0), 0);
	o = quota_health(64 * MiB);
	ck_assert(json_object_object_get_ex(o, "enforced", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "available", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "reason", &v));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(v), "absolute"));
	ck_assert(json_object_object_get_ex(o, "limitBytes", &v));
	ck_assert_int_eq(json_object_get_int64(v), 64 * MiB);
	json_object_put(o);
}
END_TEST

/* Quotas that work (as root): sessions get the limit, /healthz says so. */
START_TEST(test_works)
{
	struct json_object	*o, *v;
	char			*ws;

	if (geteuid() != 0)
		return;
	ws = xasprintf("%s/ws", tmp);
	quota_init(ws, 64 * MiB);
	ck_assert_int_eq(quota_effective(64 * MiB), 64 * MiB);
	o = quota_health(64 * MiB);
	ck_assert(json_object_object_get_ex(o, "enforced", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(!json_object_object_get_ex(o, "reason", NULL));
	json_object_put(o);
	ck_assert_int_eq(loops_now(tmp, 0), 0);
	ck_assert_int_eq(mounted_under(tmp), 0);
	free(ws);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("quota");

	tc = tcase_create("arithmetic");
	tcase_add_test(tc, test_image_bytes);
	tcase_add_test(tc, test_usage_of);
	tcase_add_test(tc, test_health);
	tcase_add_test(tc, test_fallback);
	suite_add_tcase(s, tc);

	tc = tcase_create("filesystem");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_fill_release);
	tcase_add_test(tc, test_create_bad);
	tcase_add_test(tc, test_overlay_quota);
	tcase_add_test(tc, test_overlay_quota_discard);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_works);
	suite_add_tcase(s, tc);

	return (s);
}
