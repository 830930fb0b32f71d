/* Diff: DIFF_SUMMARY of a work tree against its start commit. */
#include "config.h"

#include <sys/stat.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/event.h"
#include "common/util.h"
#include "worker/diff.h"
#include "unit.h"

#define CANARY	"canary_secret_7f3a"

static char	 tmp[128];
static char	 outside[160];	/* a root-only directory with a canary */
static char	 pristine[160];	/* an overlay's lower .git, stood in for */
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
	snprintf(pristine, sizeof pristine, "%s.pristine", tmp);
	rm_rf(pristine);
	snprintf(outside, sizeof outside, "%s.outside", tmp);
	rm_rf(outside);
	ck_assert_int_eq(mkdir_p(outside, 0700), 0);
	cmd = xasprintf("cd '%s' && git init -q -b main . && mkdir .ssh && "
	    "seq 1 7 >.ssh/" CANARY " && seq 1 7 >" CANARY ".txt && "
	    "git add -A && git -c user.name=t -c user.email=t@localhost "
	    "commit -q -m secret >/dev/null", outside);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
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
	rm_rf(outside);
	rm_rf(pristine);
}

/* Whether the summary names the canary anywhere. */
static int
mentions_canary(struct json_object *o)
{
	return (strstr(json_object_to_json_string(o), "canary") != NULL);
}

/* The summary, which must be computed. */
static struct json_object *
summary(void)
{
	struct json_object	*o = json_object_new_object();

	ck_assert_msg(diff_summary(tmp, head, NULL, o, cause,
	    sizeof cause) == 0, "%s", cause);
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
	ck_assert_msg(f != NULL, "no entry for %s in %s", path,
	    json_object_to_json_string(o));
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

/* Commit everything as the new start commit (head). */
static void
recommit(void)
{
	FILE	*f;
	char	*cmd;

	sh("git add -A && git -c user.name=t -c user.email=t@localhost "
	    "commit -q -m start%s", NULL);
	cmd = xasprintf("git -C '%s' rev-parse HEAD", tmp);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(head, sizeof head, f));
	head[strcspn(head, "\n")] = '\0';
	pclose(f);
	free(cmd);
}

/* The summary with opts, which must be computed. */
static struct json_object *
summary_opts(const struct diff_opts *opts)
{
	struct json_object	*o = json_object_new_object();

	ck_assert_msg(diff_summary(tmp, head, opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	return (o);
}

/* What the start commit's .gitignore ignores stays out. */
START_TEST(test_ignored)
{
	struct json_object	*o;

	sh("echo '*.o' >.gitignore%s", NULL);
	recommit();
	sh("echo x >a.o && echo y >b.txt%s", NULL);
	o = summary();
	check_file(o, "b.txt", "added", 1, 0);
	ck_assert_ptr_null(file(o, "a.o"));
	ck_assert_int_eq(num(o, "filesChanged"), 1);
	json_object_put(o);
}
END_TEST

/* How many scratch directories of unisolated diffs /tmp holds. */
static int
scratch_dirs(void)
{
	glob_t	g;
	int	n;

	if (glob("/tmp/runnerd-diff.*", 0, NULL, &g) != 0)
		return (0);
	n = (int)g.gl_pathc;
	globfree(&g);
	return (n);
}

/*
 * A new directory whose own .gitignore is '*' hides nothing: its files
 * and the .gitignore itself count, as the sandbox uid too.
 */
START_TEST(test_ignore_new_dir)
{
	struct json_object	*o;
	struct diff_opts	 opts = { 0 };
	int			 before;

	sh("mkdir -p loot/sub && echo '*' >loot/.gitignore && "
	    "seq 1 5 >loot/a.txt && seq 1 3 >loot/sub/b.txt && "
	    "printf 'a\\0b' >loot/bin && ln -s /etc/passwd loot/link%s", NULL);
	o = summary();
	check_file(o, "loot/.gitignore", "added", 1, 0);
	check_file(o, "loot/a.txt", "added", 5, 0);
	check_file(o, "loot/sub/b.txt", "added", 3, 0);
	check_file(o, "loot/bin", "added", 0, 0);
	/* The link's target is its content; nothing is read through it. */
	check_file(o, "loot/link", "added", 1, 0);
	ck_assert(strstr(json_object_to_json_string(o), "root:") == NULL);
	ck_assert_int_eq(num(o, "filesChanged"), 5);
	ck_assert_int_eq(num(o, "linesAdded"), 10);
	json_object_put(o);
	/* Not isolated: the scratch is a directory of /tmp, then gone. */
	before = scratch_dirs();
	o = summary_opts(&opts);
	ck_assert_int_eq(num(o, "filesChanged"), 5);
	ck_assert_int_eq(num(o, "linesAdded"), 10);
	json_object_put(o);
	ck_assert_int_eq(scratch_dirs(), before);
	if (geteuid() != 0)
		return;
	sh("chown -R 65534:65534 .%s", NULL);
	opts.isolate = opts.drop = 1;
	opts.uid = opts.gid = 65534;
	o = summary_opts(&opts);
	ck_assert_int_eq(num(o, "filesChanged"), 5);
	ck_assert_int_eq(num(o, "linesAdded"), 10);
	json_object_put(o);
}
END_TEST

/*
 * '*', 'secret-dir/' and 'src/' (a tracked directory) appended to the
 * committed .gitignore: that change shows, and so do the files it would
 * hide, at the top and in src/ too; what the committed rules
 * ignore (build/ at any depth, *.o) stays out. In overlay mode too, where
 * the cached checkout's info/exclude counts and the agent's does not.
 */
START_TEST(test_ignore_appended)
{
	struct json_object	*o;
	struct diff_opts	 opts = { 0 };
	char			*cmd;
	int			 pass;

	sh("printf 'build/\\n*.o\\n' >.gitignore%s", NULL);
	recommit();
	cmd = xasprintf("cp -a .git '%s' && echo '*.log' >'%s/info/exclude'",
	    pristine, pristine);
	sh("%s", cmd);
	free(cmd);
	sh("printf '*\\nsecret-dir/\\nsrc/\\n' >>.gitignore && "
	    "seq 1 4 >x.txt && seq 1 3 >src/new.c && mkdir src/nd && "
	    "seq 1 7 >src/nd/f.c && "
	    "mkdir -p secret-dir/build deep/er && seq 1 6 >secret-dir/s.txt && "
	    "seq 1 2 >deep/er/d.txt && echo x >deep/er/d.o && "
	    "seq 1 9 >secret-dir/build/out.txt && mkdir build && "
	    "seq 1 9 >build/out.txt && echo x >a.o && echo l >x.log && "
	    "echo '*' >.git/info/exclude%s", NULL);
	for (pass = 0; pass < 2; pass++) {
		opts.isolate = geteuid() == 0;
		opts.pristine = pass == 1 ? pristine : NULL;
		o = summary_opts(&opts);
		check_file(o, ".gitignore", "modified", 3, 0);
		check_file(o, "src/new.c", "added", 3, 0);
		check_file(o, "src/nd/f.c", "added", 7, 0);
		check_file(o, "x.txt", "added", 4, 0);
		check_file(o, "secret-dir/s.txt", "added", 6, 0);
		check_file(o, "deep/er/d.txt", "added", 2, 0);
		ck_assert_ptr_null(file(o, "secret-dir/build/out.txt"));
		ck_assert_ptr_null(file(o, "build/out.txt"));
		ck_assert_ptr_null(file(o, "build/"));
		ck_assert_ptr_null(file(o, "a.o"));
		ck_assert_ptr_null(file(o, "deep/er/d.o"));
		if (pass == 0)
			check_file(o, "x.log", "added", 1, 0);
		else
			ck_assert_ptr_null(file(o, "x.log"));
		ck_assert_int_eq(num(o, "filesChanged"), pass == 0 ? 7 : 6);
		ck_assert_int_eq(num(o, "linesAdded"), pass == 0 ? 26 : 25);
		json_object_put(o);
	}
}
END_TEST

/* A committed 'build/': nothing under build/ counts, even new files. */
START_TEST(test_ignore_committed)
{
	struct json_object	*o;

	sh("echo 'build/' >.gitignore%s", NULL);
	recommit();
	sh("mkdir -p build/deep src/build && seq 1 50 >build/out.txt && "
	    "seq 1 5 >build/deep/o.txt && seq 1 5 >src/build/o.txt%s", NULL);
	o = summary();
	ck_assert_int_eq(num(o, "filesChanged"), 0);
	ck_assert_int_eq(num(o, "linesAdded"), 0);
	ck_assert_int_eq(json_object_array_length(
	    json_object_object_get(o, "files")), 0);
	json_object_put(o);
}
END_TEST

/*
 * Clone mode: the agent's .git/info/exclude and a core.excludesFile it
 * set hide nothing.
 */
START_TEST(test_ignore_exclude_clone)
{
	struct json_object	*o;

	/* The workspace is at /w in the isolated child's view. */
	sh(geteuid() == 0 ? "git config core.excludesFile /w/ex%s" :
	    "git config core.excludesFile \"$PWD/ex\"%s", NULL);
	sh("echo '*.txt' >.git/info/exclude && seq 1 3 >new.txt && "
	    "echo 'hid*' >ex && mkdir hidden && seq 1 2 >hidden/h.c%s", NULL);
	o = summary();
	check_file(o, "new.txt", "added", 3, 0);
	check_file(o, "hidden/h.c", "added", 2, 0);
	check_file(o, "ex", "added", 1, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 3);
	ck_assert_int_eq(num(o, "linesAdded"), 6);
	json_object_put(o);
}
END_TEST

START_TEST(test_errors)
{
	struct json_object	*o = json_object_new_object();

	ck_assert_int_eq(diff_summary(tmp, "0123456789012345678901234567890"
	    "123456789", NULL, o, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "start commit"));
	ck_assert_int_eq(diff_summary("/nonexistent/check_diff", head, NULL, o,
	    cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "workspace"));
	ck_assert_int_eq(json_object_object_length(o), 0);
	json_object_put(o);
}
END_TEST


START_TEST(test_core_worktree)
{
	struct json_object	*o;
	char			*cmd;

	/* The agent points the work tree at a root-only directory. */
	cmd = xasprintf("git config core.worktree '%s'", outside);
	sh("%s", cmd);
	free(cmd);
	sh("echo more >>src/a.c%s", NULL);
	o = summary();
	ck_assert_msg(!mentions_canary(o), "%s", json_object_to_json_string(o));
	check_file(o, "src/a.c", "modified", 1, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 1);
	json_object_put(o);
}
END_TEST

START_TEST(test_gitdir_file)
{
	struct json_object	*o = json_object_new_object();
	char			*cmd;

	/* .git becomes a gitdir: file naming another repository. */
	cmd = xasprintf("rm -rf .git && echo 'gitdir: %s/.git' >.git",
	    outside);
	sh("%s", cmd);
	free(cmd);
	ck_assert_int_eq(diff_summary(tmp, head, NULL, o, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, ".git is not a directory"));
	ck_assert(!mentions_canary(o));
	ck_assert_ptr_null(strstr(cause, "canary"));
	json_object_put(o);
}
END_TEST

START_TEST(test_gitdir_symlink)
{
	struct json_object	*o = json_object_new_object();
	char			*cmd;

	cmd = xasprintf("rm -rf .git && ln -s '%s/.git' .git", outside);
	sh("%s", cmd);
	free(cmd);
	ck_assert_int_eq(diff_summary(tmp, head, NULL, o, cause,
	    sizeof cause), -1);
	ck_assert(!mentions_canary(o));
	json_object_put(o);
}
END_TEST

START_TEST(test_indirection)
{
	struct json_object	*o;
	char			*cmd;

	/* Alternates, an include and excludes/attributes files outside. */
	cmd = xasprintf("echo '%s/.git/objects' >.git/objects/info/alternates "
	    "&& git config include.path '%s/.git/config' && "
	    "git config core.excludesfile '%s/" CANARY ".txt' && "
	    "git config core.attributesfile '%s/" CANARY ".txt' && "
	    "ln -s '%s/.ssh' sshlink && ln -s '%s/" CANARY ".txt' filelink",
	    outside, outside, outside, outside, outside, outside);
	sh("%s", cmd);
	free(cmd);
	sh("echo more >>src/a.c%s", NULL);
	o = summary();
	ck_assert_msg(!mentions_canary(o), "%s", json_object_to_json_string(o));
	check_file(o, "src/a.c", "modified", 1, 0);
	/* Links are diffed as links: one line, their target. */
	check_file(o, "sshlink", "added", 1, 0);
	check_file(o, "filelink", "added", 1, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 3);
	json_object_put(o);
}
END_TEST

START_TEST(test_many_files)
{
	struct json_object	*o, *files;
	size_t			 len, kept;

	/* 4,500 long names: far more than a frame holds. */
	sh("mkdir pad && cd pad && i=0; while [ $i -lt 4500 ]; do "
	    "printf 'x\\ny\\n' >\"$(printf 'f%%05d_%%0200d' $i 0)\"; "
	    "i=$((i+1)); done%s", NULL);
	sh("echo more >>src/a.c%s", NULL);
	o = summary();
	ck_assert_int_eq(num(o, "filesChanged"), 4501);
	ck_assert_int_eq(num(o, "linesAdded"), 9001);
	ck_assert_int_eq(num(o, "linesRemoved"), 0);
	ck_assert(json_object_object_get_ex(o, "files", &files));
	kept = json_object_array_length(files);
	ck_assert_uint_gt(kept, 100);
	ck_assert_uint_lt(kept, 4501);
	ck_assert_int_eq(num(o, "filesOmitted"), 4501 - (int64_t)kept);
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "truncated")));
	json_object_to_json_string_length(files, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	ck_assert_uint_le(len, EVENT_DIFF_FILES_MAX);
	json_object_put(o);
}
END_TEST

START_TEST(test_timeout)
{
	struct json_object	*o = json_object_new_object();
	struct diff_opts	 opts = { 0 };

	sh("i=0; while [ $i -lt 2000 ]; do echo $i >n$i; i=$((i+1)); done%s",
	    NULL);
	opts.isolate = geteuid() == 0;
	opts.timeout_ms = 1;
	ck_assert_int_eq(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "longer than"));
	ck_assert_int_eq(json_object_object_length(o), 0);
	json_object_put(o);
}
END_TEST

START_TEST(test_as_sandbox_uid)
{
	struct json_object	*o = json_object_new_object();
	struct diff_opts	 opts = { 0 };

	if (geteuid() != 0)
		return;
	sh("echo more >>src/a.c && chown -R 65534:65534 .%s", NULL);
	opts.isolate = opts.drop = 1;
	opts.uid = opts.gid = 65534;
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	check_file(o, "src/a.c", "modified", 1, 0);
	json_object_put(o);
}
END_TEST

START_TEST(test_bad_utf8_name)
{
	struct json_object	*o;
	const char		*s;

	sh("printf 'x\\n' >\"$(printf 'bad\\377name')\"%s", NULL);
	o = summary();
	ck_assert_int_eq(num(o, "filesChanged"), 1);
	s = json_object_to_json_string(o);
	ck_assert_ptr_nonnull(strstr(s, "bad\xef\xbf\xbd" "name"));
	json_object_put(o);
}
END_TEST

/* Rootless: no private view, but gitdir and workdir pinned all the same. */
START_TEST(test_pinned)
{
	struct json_object	*o = json_object_new_object();
	struct diff_opts	 opts = { 0 };
	char			*cmd;

	cmd = xasprintf("git config core.worktree '%s' && echo more >>src/a.c",
	    outside);
	sh("%s", cmd);
	free(cmd);
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert(!mentions_canary(o));
	check_file(o, "src/a.c", "modified", 1, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 1);
	json_object_put(o);

	o = json_object_new_object();
	cmd = xasprintf("mv .git .git.real && echo 'gitdir: %s/.git' >.git",
	    outside);
	sh("%s", cmd);
	free(cmd);
	ck_assert_int_eq(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, ".git is not a directory"));
	ck_assert_int_eq(json_object_object_length(o), 0);
	json_object_put(o);
}
END_TEST

/*
 * The agent's files it made unreadable to itself: mode 000 dirs and
 * files. The child, as the sandbox uid in a user namespace of its own,
 * reads them all the same (its capabilities cover the agent's files).
 */
START_TEST(test_unreadable)
{
	struct json_object	*o = json_object_new_object();
	struct diff_opts	 opts = { 0 };

	if (geteuid() != 0)
		return;
	sh("mkdir -p locked/deep && printf '1\\n2\\n' >locked/f.txt && "
	    "printf 'a\\nb\\nc\\n' >locked/deep/g.txt && echo more >>src/a.c && "
	    "printf 'x\\n' >>gone.txt && chown -R 65534:65534 . && "
	    "chmod 000 locked/deep locked gone.txt%s", NULL);
	opts.isolate = opts.drop = 1;
	opts.uid = opts.gid = 65534;
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	check_file(o, "locked/f.txt", "added", 2, 0);
	check_file(o, "locked/deep/g.txt", "added", 3, 0);
	check_file(o, "src/a.c", "modified", 1, 0);
	check_file(o, "gone.txt", "modified", 1, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 4);
	ck_assert_int_eq(num(o, "linesAdded"), 7);
	ck_assert_int_eq(num(o, "linesRemoved"), 0);
	json_object_put(o);
}
END_TEST

/*
 * Nothing but the agent's own: a root-only file in the workspace stays
 * unreadable to the child, which fails rather than read it.
 */
START_TEST(test_unreadable_not_agents)
{
	struct json_object	*o = json_object_new_object();
	struct diff_opts	 opts = { 0 };

	if (geteuid() != 0)
		return;
	sh("chown -R 65534:65534 . && echo " CANARY " >rootfile && "
	    "chown 0:0 rootfile && chmod 600 rootfile%s", NULL);
	opts.isolate = opts.drop = 1;
	opts.uid = opts.gid = 65534;
	ck_assert_int_eq(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause), -1);
	ck_assert(!mentions_canary(o));
	ck_assert_ptr_null(strstr(cause, CANARY));
	json_object_put(o);
}
END_TEST

/* Overwrite every loose object of the workspace's .git with garbage. */
static void
corrupt_objects(void)
{
	sh("for f in .git/objects/?\?/*; do chmod u+w \"$f\" && "
	    "echo garbage >\"$f\"; done%s", NULL);
}

/*
 * The agent overwrites its .git's objects (the start tree's among them):
 * with an overlay's pristine lower, the diff is still exact; without, it
 * fails and says why.
 */
START_TEST(test_corrupt_objects)
{
	struct json_object	*o;
	struct diff_opts	 opts = { 0 };
	char			*cmd;

	cmd = xasprintf("cp -a .git '%s'", pristine);
	sh("%s", cmd);
	free(cmd);
	sh("sed -i 3d src/a.c && echo new >>src/a.c && rm gone.txt && "
	    "printf '1\\n2\\n3\\n' >n.txt%s", NULL);
	corrupt_objects();
	opts.isolate = geteuid() == 0;
	/* Without the pristine repository: no summary. */
	o = json_object_new_object();
	ck_assert_int_eq(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause), -1);
	ck_assert_int_eq(json_object_object_length(o), 0);
	json_object_put(o);
	/* With it: exact. */
	opts.pristine = pristine;
	o = json_object_new_object();
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	check_file(o, "src/a.c", "modified", 1, 1);
	check_file(o, "gone.txt", "deleted", 0, 2);
	check_file(o, "n.txt", "added", 3, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 3);
	ck_assert_int_eq(num(o, "linesAdded"), 4);
	ck_assert_int_eq(num(o, "linesRemoved"), 3);
	json_object_put(o);
	/* As the sandbox uid too, the lower being the agent's uid's. */
	if (geteuid() != 0)
		return;
	cmd = xasprintf("chown -R 65534:65534 . '%s'", pristine);
	sh("%s", cmd);
	free(cmd);
	opts.drop = 1;
	opts.uid = opts.gid = 65534;
	o = json_object_new_object();
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert_int_eq(num(o, "filesChanged"), 3);
	ck_assert_int_eq(num(o, "linesAdded"), 4);
	ck_assert_int_eq(num(o, "linesRemoved"), 3);
	json_object_put(o);
}
END_TEST

/*
 * The pristine repository's index, not the agent's: an index staged to
 * hide a change, or replaced, changes nothing; the agent's info/exclude
 * hides no file.
 */
START_TEST(test_pristine_index)
{
	struct json_object	*o;
	struct diff_opts	 opts = { 0 };
	char			*cmd;

	cmd = xasprintf("cp -a .git '%s'", pristine);
	sh("%s", cmd);
	free(cmd);
	sh("echo more >>src/a.c && git add -A && git rm -q --cached src/a.c "
	    "&& echo '*' >.git/info/exclude && echo x >hidden.txt && "
	    "echo garbage >.git/index%s", NULL);
	opts.isolate = geteuid() == 0;
	opts.pristine = pristine;
	o = json_object_new_object();
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	check_file(o, "src/a.c", "modified", 1, 0);
	check_file(o, "hidden.txt", "added", 1, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 2);
	json_object_put(o);
	/* .git made a gitdir: file: still the pristine one, .git unlisted. */
	cmd = xasprintf("rm -rf .git && echo 'gitdir: %s/.git' >.git",
	    outside);
	sh("%s", cmd);
	free(cmd);
	o = json_object_new_object();
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert(!mentions_canary(o));
	ck_assert_ptr_null(file(o, ".git"));
	ck_assert_int_eq(num(o, "filesChanged"), 2);
	json_object_put(o);
}
END_TEST

/* The pristine repository unusable: the workspace's own is used. */
START_TEST(test_pristine_fallback)
{
	struct json_object	*o;
	struct diff_opts	 opts = { 0 };
	char			*cmd;

	sh("echo more >>src/a.c%s", NULL);
	opts.isolate = geteuid() == 0;
	opts.pristine = "/nonexistent/check_diff/.git";
	o = json_object_new_object();
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	check_file(o, "src/a.c", "modified", 1, 0);
	ck_assert_int_eq(num(o, "filesChanged"), 1);
	json_object_put(o);
	/* An empty repository: no start commit in it. */
	cmd = xasprintf("git init -q --bare '%s'", pristine);
	sh("%s", cmd);
	free(cmd);
	opts.pristine = pristine;
	o = json_object_new_object();
	ck_assert_msg(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert_int_eq(num(o, "filesChanged"), 1);
	json_object_put(o);
	/* Both unusable: a cause naming both. */
	corrupt_objects();
	o = json_object_new_object();
	ck_assert_int_eq(diff_summary(tmp, head, &opts, o, cause,
	    sizeof cause), -1);
	ck_assert_msg(strstr(cause, "start commit") != NULL &&
	    strstr(cause, "cached checkout") != NULL, "%s", cause);
	ck_assert_int_eq(json_object_object_length(o), 0);
	json_object_put(o);
}
END_TEST

/* The child's answer is checked like outside input. */
START_TEST(test_answer_hostile)
{
	static const char	*bad[] = {
		"",
		"x",
		"[]",
		"null",
		"\"str\"",
		"{\"filesChanged\": 1",
		"{} {}",
		"{}",
		"{\"files\": []}",
		"{\"files\": {}, \"filesChanged\": 0, \"linesAdded\": 0, "
		    "\"linesRemoved\": 0}",
		"{\"files\": [1], \"filesChanged\": 1, \"linesAdded\": 0, "
		    "\"linesRemoved\": 0}",
		"{\"files\": [{\"path\": 5}], \"filesChanged\": 1, "
		    "\"linesAdded\": 0, \"linesRemoved\": 0}",
		"{\"files\": [{}], \"filesChanged\": 1, \"linesAdded\": 0, "
		    "\"linesRemoved\": 0}",
		"{\"files\": [], \"filesChanged\": -1, \"linesAdded\": 0, "
		    "\"linesRemoved\": 0}",
		"{\"files\": [], \"filesChanged\": \"1\", \"linesAdded\": 0, "
		    "\"linesRemoved\": 0}",
		"{\"files\": [], \"filesChanged\": 1.5, \"linesAdded\": 0, "
		    "\"linesRemoved\": 0}",
		"{\"files\": [], \"filesChanged\": 0, \"linesAdded\": 0}",
		"{\"files\": [], \"filesChanged\": 0, \"linesAdded\": 0, "
		    "\"linesRemoved\": 0, \"filesOmitted\": -3}",
		"{\"files\": [{\"path\": \"a\\xff\"}], \"filesChanged\": 1, "
		    "\"linesAdded\": 0, \"linesRemoved\": 0}",
		"{\"error\": 5}",
	};
	struct json_object	*o;
	const char		*good;
	char			*big;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		o = json_object_new_object();
		ck_assert_msg(diff_answer_parse(bad[i], strlen(bad[i]), o,
		    cause, sizeof cause) == -1, "accepted: %s", bad[i]);
		ck_assert_msg(json_object_object_length(o) == 0,
		    "ev changed by: %s", bad[i]);
		ck_assert(cause[0] != '\0');
		json_object_put(o);
	}
	/* An error is passed on as the cause. */
	o = json_object_new_object();
	ck_assert_int_eq(diff_answer_parse("{\"error\": \"no repo\"}", 20, o,
	    cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "no repo");
	/* Over the bound: refused before parsing. */
	big = xcalloc(1, 2 * 1024 * 1024);
	memset(big, ' ', 2 * 1024 * 1024 - 1);
	ck_assert_int_eq(diff_answer_parse(big, strlen(big), o, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "over"));
	free(big);
	/* Notes of what the child went without are no fields of ev. */
	good = "{\"files\": [], \"filesChanged\": 0, \"linesAdded\": 0, "
	    "\"linesRemoved\": 0, \"userns\": \"EPERM\", \"pristine\": 7}";
	ck_assert_msg(diff_answer_parse(good, strlen(good), o, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert(!json_object_object_get_ex(o, "userns", NULL));
	ck_assert(!json_object_object_get_ex(o, "pristine", NULL));
	json_object_put(o);
	o = json_object_new_object();
	/* Good, with filesOmitted: truncated comes with it. */
	good = "{\"files\": [{\"path\": \"a\"}], \"filesChanged\": 3, "
	    "\"linesAdded\": 2, \"linesRemoved\": 1, \"filesOmitted\": 2}";
	ck_assert_msg(diff_answer_parse(good, strlen(good), o, cause,
	    sizeof cause) == 0, "%s", cause);
	ck_assert_int_eq(num(o, "filesChanged"), 3);
	ck_assert_int_eq(num(o, "filesOmitted"), 2);
	ck_assert(json_object_get_boolean(json_object_object_get(o,
	    "truncated")));
	json_object_put(o);
}
END_TEST

static struct json_object	*async_fields;
static char			 async_cause[1024];
static int			 async_calls;

static void
async_done(struct json_object *fields, const char *c, void *arg)
{
	async_calls++;
	async_fields = fields;
	snprintf(async_cause, sizeof async_cause, "%s", c != NULL ? c : "");
	event_base_loopbreak(arg);
}

/* Start a diff on a loop and run the loop until it answers. */
static void
async_run(const struct diff_opts *opts)
{
	struct event_base	*base = event_base_new();
	struct diff_job		*j;

	async_calls = 0;
	async_fields = NULL;
	j = diff_start(base, tmp, head, opts, async_done, base, cause,
	    sizeof cause);
	ck_assert_msg(j != NULL, "%s", cause);
	event_base_dispatch(base);
	ck_assert_int_eq(async_calls, 1);
	event_base_free(base);
}

START_TEST(test_async)
{
	sh("echo more >>src/a.c%s", NULL);
	async_run(NULL);
	ck_assert_msg(async_fields != NULL, "%s", async_cause);
	check_file(async_fields, "src/a.c", "modified", 1, 0);
	ck_assert_int_eq(num(async_fields, "filesChanged"), 1);
	json_object_put(async_fields);
}
END_TEST

START_TEST(test_async_fails)
{
	struct diff_opts	opts = { 0 };

	/* Too slow: killed, said so. */
	sh("i=0; while [ $i -lt 4000 ]; do echo $i >n$i; i=$((i+1)); done%s",
	    NULL);
	opts.isolate = geteuid() == 0;
	opts.timeout_ms = 1;
	async_run(&opts);
	ck_assert_ptr_null(async_fields);
	ck_assert_msg(strstr(async_cause, "too long") != NULL, "%s",
	    async_cause);
	/* Not a repository any more: a cause, no fields. */
	sh("rm -rf .git && echo 'gitdir: /etc' >.git%s", NULL);
	async_run(NULL);
	ck_assert_ptr_null(async_fields);
	ck_assert_ptr_nonnull(strstr(async_cause, ".git is not a directory"));
}
END_TEST

START_TEST(test_async_cancel)
{
	struct event_base	*base = event_base_new();
	struct diff_job		*j;

	async_calls = 0;
	j = diff_start(base, tmp, head, NULL, async_done, base, cause,
	    sizeof cause);
	ck_assert_ptr_nonnull(j);
	diff_cancel(j);
	diff_cancel(NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(async_calls, 0);
	event_base_free(base);
}
END_TEST

Suite *
unit_suite(void)
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
	tcase_add_test(tc, test_bad_utf8_name);
	tcase_add_test(tc, test_answer_hostile);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_core_worktree);
	tcase_add_test(tc, test_gitdir_file);
	tcase_add_test(tc, test_gitdir_symlink);
	tcase_add_test(tc, test_indirection);
	tcase_add_test(tc, test_many_files);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_as_sandbox_uid);
	tcase_add_test(tc, test_pinned);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_unreadable_not_agents);
	tcase_add_test(tc, test_corrupt_objects);
	tcase_add_test(tc, test_pristine_index);
	tcase_add_test(tc, test_pristine_fallback);
	tcase_add_test(tc, test_ignore_new_dir);
	tcase_add_test(tc, test_ignore_appended);
	tcase_add_test(tc, test_ignore_committed);
	tcase_add_test(tc, test_ignore_exclude_clone);
	tcase_add_test(tc, test_async);
	tcase_add_test(tc, test_async_fails);
	tcase_add_test(tc, test_async_cancel);
	suite_add_tcase(s, tc);
	return (s);
}
