/* The unit tests' shared set-up: directories, files, commits (fixture.h). */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <git2.h>

#include "fixture.h"
#include "common/util.h"

/* Make a fresh, empty /tmp/<name>.<pid>.<n> in dir: one per test. */
void
fixture_tmpdir(char *dir, size_t len, const char *name)
{
	static int	seq;

	snprintf(dir, len, "/tmp/%s.%ld.%d", name, (long)getpid(), seq++);
	rm_rf(dir);
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
}

/* Unmount whatever a failed test left mounted below dir. */
static void
fixture_unmount_under(const char *dir)
{
	FILE	*f;
	char	 line[4096], mp[4096];
	size_t	 len = strlen(dir);

	if ((f = fopen("/proc/self/mountinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
		    strncmp(mp, dir, len) == 0 && mp[len] == '/')
			(void)umount2(mp, MNT_DETACH);
	}
	fclose(f);
}

/* Remove a test's directory and whatever is mounted below it. */
void
fixture_rmdir(const char *dir)
{
	fixture_unmount_under(dir);
	rm_rf(dir);
}

/* Write text to dir/rel, making its parents. */
void
fixture_put(const char *dir, const char *rel, const char *text)
{
	char	*path, *parent;

	path = xasprintf("%s/%s", dir, rel);
	parent = xstrdup(path);
	*strrchr(parent, '/') = '\0';
	ck_assert_int_eq(mkdir_p(parent, 0755), 0);
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
	free(parent);
	free(path);
}

/* Whether dir/rel (or rel alone) exists, not following a last symlink. */
int
fixture_exists(const char *dir, const char *rel)
{
	struct stat	 st;
	char		*path;
	int		 rv;

	path = dir != NULL ? xasprintf("%s/%s", dir, rel) : xstrdup(rel);
	rv = lstat(path, &st) == 0;
	free(path);
	return (rv);
}

/* Commit a tree holding README with content onto ref, from parent. */
void
fixture_commit(git_repository *repo, const char *ref, const char *content,
    git_commit *parent, git_oid *out)
{
	git_oid			 blob, tree_id;
	git_treebuilder		*tb;
	git_tree		*tree;
	git_signature		*sig;
	const git_commit	*parents[1];

	ck_assert_int_eq(git_blob_create_from_buffer(&blob, repo, content,
	    strlen(content)), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, repo, NULL), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, "README", &blob,
	    GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(git_treebuilder_write(&tree_id, tb), 0);
	git_treebuilder_free(tb);
	ck_assert_int_eq(git_tree_lookup(&tree, repo, &tree_id), 0);
	ck_assert_int_eq(git_signature_new(&sig, "Test", "test@example.invalid",
	    1700000000, 0), 0);
	parents[0] = parent;
	ck_assert_int_eq(git_commit_create(out, repo, ref, sig, sig, NULL,
	    content, tree, parent != NULL ? 1 : 0, parents), 0);
	git_signature_free(sig);
	git_tree_free(tree);
}
