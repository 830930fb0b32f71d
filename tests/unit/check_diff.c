/* Diff: DIFF_SUMMARY of a work tree against its start commit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "diff.h"
#include "util.h"

static char	 tmp[128];
static char	 head[64];
static char	 cause[1024];
static int	 seq;

/* Run a shell command in tmp; it must succeed. */
static void
sh(const char *fmt, const char *arg)
{
	char	*cmd, *c;

	c = xasprintf(fmt, arg != NULL ? arg : "");
	cmd = xasprintf("cd '%s' && (%s) >/dev/null 2>&1", tmp, c);
	ck_assert_msg(system(cmd) == 0, "failed: %s", c);
	free(cmd);
	free(c);
}

static void
setup(void)
{
	FILE	*f;
	char	*cmd;

	snprintf(tmp, sizeof tmp, "/tmp/check_diff.%ld.%d", (long)getpid(),
	    seq++);
	rm_rf(tmp);
	ck_assert_int_eq(mkdir_p(tmp, 0755), 0);
	sh("git init -q -b main . && mkdir src lib && seq 1 10 >src/a.c && "
	    "seq 100 130 >lib/move.txt && printf 'x\\ny\\n' >gone.txt && "
	    "git add -A && git -c user.name=t -c user.email=t@localhost "
	    "commit -q -m one%s", NULL);
	cmd = xasprintf("git -C '%s' rev-parse HEAD", tmp);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(head, sizeof head, f));
	head[strcspn(head, "\n")] = '\0';
	pclose(f);
	free(cmd);
}

static void
teardown(void)
{
	rm_rf(tmp);
}

/* The summary, which must be computed. */
static struct json_object *
summary(void)
{
	struct json_object	*o = json_object_new_object();

	ck_assert_msg(diff_summary(tmp, head, o, cause, sizeof cause) == 0,
	    "%s", cause);
	return (o);
}

static int64_t
num(struct json_object *o, const char *k)
{
	struct json_object	*v;

	ck_assert(json_object_object_get_ex(o, k, &v));
	return (json_object_get_int64(v));
}

/* The entry for a path, or NULL. */
static struct json_object *
file(struct json_object *o, const char *path)
{
	struct json_object	*files, *f, *p;
	size_t			 i;

	ck_assert(json_object_object_get_ex(o, "files", &files));
	for (i = 0; i < json_object_array_length(files); i++) {
		f = json_object_array_get_idx(files, i);
		if (json_object_object_get_ex(f, "path", &p) &&
		    strcmp(json_object_get_string(p), path) == 0)
			return (f);
	}
	return (NULL);
}

static void
check_file(struct json_object *o, const char *path, const char *status,
    int64_t add, int64_t del)
{
	struct json_object	*f, *v;

	f = file(o, path);
	ck_assert_msg(f != NULL, "no entry for %s", path);
	ck_assert(json_object_object_get_ex(f, "status", &v));
	ck_assert_str_eq(json_object_get_string(v), status);
	ck_assert_int_eq(num(f, "additions"), add);
	ck_assert_int_eq(num(f, "deletions"), del);
}

START_TEST(test_clean)
{
	struct json_object	*o = summary();

	ck_assert_int_eq(num(o, "filesChanged"), 0);
	ck_assert_int_eq(num(o, "linesAdded"), 0);
	ck_assert_int_eq(num(o, "linesRemoved"), 0);
	json_object_put(o);
}
END_TEST

START_TEST(test_changes)
{
	struct json_object	*o, *f, *v;

	sh("sed -i 3d src/a.c && echo new >>src/a.c && rm gone.txt && "
	    "mkdir -p new/deep && printf '1\\n2\\n3\\n' >new/deep/n.txt && "
	    "mkdir lib2 && mv lib/move.txt lib2/moved.txt && "
	    "printf 'bin\\000ary\\n' >blob.bin%s", NULL);
	o = summary();
	check_file(o, "src/a.c", "modified", 1, 1);
	check_file(o, "gone.txt", "deleted", 0, 2);
	check_file(o, "new/deep/n.txt", "added", 3, 0);
	check_file(o, "lib2/moved.txt", "renamed", 0, 0);
	check_file(o, "blob.bin", "added", 0, 0);
	f = file(o, "blob.bin");
	ck_assert(json_object_object_get_ex(f, "binary", &v));
	ck_assert(json_object_get_boolean(v));
	f = file(o, "lib2/moved.txt");
	ck_assert(json_object_object_get_ex(f, "oldPath", &v));
	ck_assert_str_eq(json_object_get_string(v), "lib/move.txt");
	ck_assert_ptr_null(file(o, "lib/move.txt"));
	ck_assert_int_eq(num(o, "filesChanged"), 5);
	ck_assert_int_eq(num(o, "linesAdded"), 4);
	ck_assert_int_eq(num(o, "linesRemoved"), 3);
	json_object_put(o);
}
END_TEST

START_TEST(test_index)
{
	struct json_object	*o;

	/* Staged changes count too (the index, then the work tree). */
	sh("echo staged >staged.txt && git add staged.txt && "
	    "git mv src/a.c src/b.c%s", NULL);
	o = summary();
	check_file(o, "staged.txt", "added", 1, 0);
	check_file(o, "src/b.c", "renamed", 0, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 2);
	json_object_put(o);
}
END_TEST

START_TEST(test_ignored)
{
	struct json_object	*o;

	sh("echo '*.o' >.gitignore && echo x >a.o%s", NULL);
	o = summary();
	check_file(o, ".gitignore", "added", 1, 0);
	ck_assert_ptr_null(file(o, "a.o"));
	json_object_put(o);
}
END_TEST

START_TEST(test_errors)
{
	struct json_object	*o = json_object_new_object();

	ck_assert_int_eq(diff_summary(tmp, "0123456789012345678901234567890"
	    "123456789", o, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "start commit"));
	ck_assert_int_eq(diff_summary("/nonexistent/check_diff", head, o,
	    cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "workspace"));
	ck_assert_int_eq(json_object_object_length(o), 0);
	json_object_put(o);
}
END_TEST

static Suite *
diff_suite(void)
{
	Suite	*s = suite_create("diff");
	TCase	*tc;

	tc = tcase_create("summary");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_changes);
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_ignored);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(diff_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
