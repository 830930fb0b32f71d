/* Workspace: checkouts of a repository built by the test; path escapes. */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <git2.h>

#include "fixture.h"
#include "common/util.h"
#include "host/overlay.h"
#include "worker/workspace.h"
#include "unit.h"

static char	 tmp[128];		/* per test */
static char	 allowed[256];		/* tmp/allowed */
static char	 repo_path[384];	/* tmp/allowed/repo */
static char	*roots[2];
static char	 c1[GIT_OID_HEXSZ + 1];	/* main~1, tags v1 and v1-ann */
static char	 c2[GIT_OID_HEXSZ + 1];	/* main */
static char	 c3[GIT_OID_HEXSZ + 1];	/* feature */
static char	 cause[1024];
static char	 commit[64];

/*
 * A repository: main has c1 ("one") then c2 ("two"); feature branches off
 * c1 with c3 ("feature"); v1 is a lightweight tag and v1-ann an annotated
 * one, both on c1.
 */
static void
setup(void)
{
	git_repository			*repo;
	git_repository_init_options	 opts;
	git_commit			*k1;
	git_object			*o1;
	git_signature			*sig;
	git_oid				 o, tag;

	fixture_tmpdir(tmp, sizeof tmp, "check_workspace");
	snprintf(allowed, sizeof allowed, "%s/allowed", tmp);
	snprintf(repo_path, sizeof repo_path, "%s/repo", allowed);
	ck_assert_int_eq(mkdir_p(repo_path, 0755), 0);
	roots[0] = allowed;
	roots[1] = NULL;

	git_libgit2_init();
	git_repository_init_options_init(&opts,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	ck_assert_int_eq(git_repository_init_ext(&repo, repo_path, &opts), 0);

	fixture_commit(repo, "HEAD", "one\n", NULL, &o);
	git_oid_tostr(c1, sizeof c1, &o);
	ck_assert_int_eq(git_commit_lookup(&k1, repo, &o), 0);
	fixture_commit(repo, "HEAD", "two\n", k1, &o);
	git_oid_tostr(c2, sizeof c2, &o);
	fixture_commit(repo, "refs/heads/feature", "feature\n", k1, &o);
	git_oid_tostr(c3, sizeof c3, &o);

	o1 = (git_object *)k1;
	ck_assert_int_eq(git_tag_create_lightweight(&tag, repo, "v1", o1, 0),
	    0);
	ck_assert_int_eq(git_signature_new(&sig, "Test",
	    "test@example.invalid", 1700000000, 0), 0);
	ck_assert_int_eq(git_tag_create(&tag, repo, "v1-ann", o1, sig,
	    "release one", 0), 0);
	git_signature_free(sig);
	git_commit_free(k1);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static void
teardown(void)
{
	fixture_rmdir(tmp);
}

/* A spec for a branch checkout into tmp/ws/NAME. */
static struct workspace_spec
spec_for(enum workspace_kind kind, const char *ref, const char *name)
{
	struct workspace_spec	sp;
	static char		dirs[8][512];	/* a test holds a few specs */
	static int		next;
	char			*dir = dirs[next++ % nitems(dirs)];

	snprintf(dir, sizeof dirs[0], "%s/ws/%s", tmp, name);
	memset(&sp, 0, sizeof sp);
	sp.provider = "local";
	sp.repo_path = repo_path;
	sp.kind = kind;
	sp.ref = ref;
	sp.allowed_roots = roots;
	sp.dir = dir;
	sp.owner_uid = (uid_t)-1;
	sp.owner_gid = (gid_t)-1;
	return (sp);
}

/* The same in overlay mode, its cache in tmp/cache. */
static struct workspace_spec
overlay_for(enum workspace_kind kind, const char *ref, const char *name)
{
	struct workspace_spec	sp = spec_for(kind, ref, name);
	static char		cache[256];

	snprintf(cache, sizeof cache, "%s/cache", tmp);
	sp.mode = WORKSPACE_OVERLAY;
	sp.cache_dir = cache;
	return (sp);
}

/* Whether dir is a mount point: another device than its parent's. */
static int
is_mount(const char *dir)
{
	struct stat	 a, b;
	char		*parent;
	int		 rv;

	parent = xasprintf("%s/..", dir);
	rv = stat(dir, &a) == 0 && stat(parent, &b) == 0 &&
	    a.st_dev != b.st_dev;
	free(parent);
	return (rv);
}

/* How many cached checkouts tmp/cache holds, and the last one's path. */
static int
checkouts(char *last, size_t len)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir;
	int		 n = 0;

	dir = xasprintf("%s/cache/checkouts", tmp);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strlen(de->d_name) != 64 ||
			    strspn(de->d_name, "0123456789abcdef") != 64)
				continue;
			n++;
			if (last != NULL)
				snprintf(last, len, "%s/%s", dir, de->d_name);
		}
		closedir(d);
	}
	free(dir);
	return (n);
}

/* The README a workspace holds. */
static char *
readme(const struct workspace_spec *sp)
{
	char	*path, *data;

	path = xasprintf("%s/README", sp->dir);
	data = read_file(path, NULL);
	free(path);
	ck_assert_ptr_nonnull(data);
	return (data);
}

/* Create sp's workspace; it must be at commit and README hold text (if set). */
static void
create_ok(struct workspace_spec *sp, const char *want_commit,
    const char *want_readme)
{
	char	*data;

	ck_assert_msg(workspace_create(sp, commit, cause, sizeof cause) == 0,
	    "workspace_create: %s", cause);
	if (want_commit != NULL)
		ck_assert_str_eq(commit, want_commit);
	if (want_readme != NULL) {
		data = readme(sp);
		ck_assert_str_eq(data, want_readme);
		free(data);
	}
}

/* Creating sp's workspace must fail with the cause fmt makes. */
static void
create_fails(struct workspace_spec *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
create_fails(struct workspace_spec *sp, const char *fmt, ...)
{
	va_list	 ap;
	char	*want;

	ck_assert_int_eq(workspace_create(sp, commit, cause, sizeof cause),
	    -1);
	va_start(ap, fmt);
	ck_assert_int_ne(vasprintf(&want, fmt, ap), -1);
	va_end(ap);
	ck_assert_str_eq(cause, want);
	free(want);
}

/* HEAD's commit in a workspace, and whether it is detached. */
static void
head_of(const char *dir, char *hex, int *detached, char *refname,
    size_t reflen)
{
	git_repository	*repo;
	git_reference	*head;
	git_oid		 o;

	git_libgit2_init();
	ck_assert_int_eq(git_repository_open(&repo, dir), 0);
	ck_assert_int_eq(git_reference_name_to_id(&o, repo, "HEAD"), 0);
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &o);
	*detached = git_repository_head_detached(repo);
	ck_assert_int_eq(git_repository_head(&head, repo), 0);
	snprintf(refname, reflen, "%s", git_reference_name(head));
	git_reference_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

START_TEST(test_branch_main)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "a");
	char			 hex[64], ref[256];
	int			 detached;

	create_ok(&sp, c2, "two\n");
	head_of(sp.dir, hex, &detached, ref, sizeof ref);
	ck_assert_str_eq(hex, c2);
	ck_assert_int_eq(detached, 1);
}
END_TEST

START_TEST(test_branch_other)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "feature",
				    "b");

	create_ok(&sp, c3, "feature\n");
}
END_TEST

START_TEST(test_commit_full)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_COMMIT, c1, "c");

	create_ok(&sp, c1, "one\n");
}
END_TEST

START_TEST(test_commit_short)
{
	char			 abbrev[8];
	struct workspace_spec	 sp;

	snprintf(abbrev, sizeof abbrev, "%.7s", c3);
	sp = spec_for(WORKSPACE_COMMIT, abbrev, "d");
	create_ok(&sp, c3, "feature\n");
}
END_TEST

START_TEST(test_tag_lightweight)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_TAG, "v1", "e");

	create_ok(&sp, c1, "one\n");
}
END_TEST

START_TEST(test_tag_annotated)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_TAG, "v1-ann", "f");
	char			 hex[64], ref[256];
	int			 detached;

	create_ok(&sp, c1, NULL);
	head_of(sp.dir, hex, &detached, ref, sizeof ref);
	ck_assert_str_eq(hex, c1);
	ck_assert_int_eq(detached, 1);
}
END_TEST

START_TEST(test_branch_name)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_TAG, "v1", "g");
	char			 hex[64], ref[256], *data;
	int			 detached;

	sp.branch_name = "runner/task-1";
	create_ok(&sp, NULL, NULL);
	head_of(sp.dir, hex, &detached, ref, sizeof ref);
	ck_assert_str_eq(hex, c1);
	ck_assert_int_eq(detached, 0);
	ck_assert_str_eq(ref, "refs/heads/runner/task-1");
	data = readme(&sp);
	ck_assert_str_eq(data, "one\n");
	free(data);
}
END_TEST

START_TEST(test_branch_name_existing)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_COMMIT, c1, "h");
	char			 hex[64], ref[256];
	int			 detached;

	/* "main" exists in the clone already: it moves to the commit. */
	sp.branch_name = "main";
	create_ok(&sp, NULL, NULL);
	head_of(sp.dir, hex, &detached, ref, sizeof ref);
	ck_assert_str_eq(hex, c1);
	ck_assert_str_eq(ref, "refs/heads/main");
}
END_TEST

START_TEST(test_branch_name_invalid)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "i");

	sp.branch_name = "bad..name";
	create_fails(&sp, "invalid branch name 'bad..name'");
	ck_assert_int_eq(fixture_exists(NULL, sp.dir), 0);
}
END_TEST

START_TEST(test_unknown_branch)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "nope", "j");

	create_fails(&sp, "branch 'nope' not found in repository '%s'",
	    repo_path);
	ck_assert_int_eq(fixture_exists(NULL, sp.dir), 0);
}
END_TEST

START_TEST(test_unknown_commit)
{
	struct workspace_spec	 sp;
	static const char	*bad[] = { "deadbeef", "HEAD~1", "abc",
				    "main" };
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		sp = spec_for(WORKSPACE_COMMIT, bad[i], "k");
		create_fails(&sp, "commit '%s' not found in repository '%s'",
		    bad[i], repo_path);
		ck_assert_int_eq(fixture_exists(NULL, sp.dir), 0);
	}
}
END_TEST

START_TEST(test_unknown_tag)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_TAG, "v9", "l");

	create_fails(&sp, "tag 'v9' not found in repository '%s'", repo_path);

	sp = spec_for(WORKSPACE_TAG, "..", "l");
	ck_assert_int_eq(workspace_create(&sp, commit, cause, sizeof cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "tag '..' not found"));
}
END_TEST

START_TEST(test_missing_repo)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "m");
	char			 path[512];

	snprintf(path, sizeof path, "%s/nope", allowed);
	sp.repo_path = path;
	create_fails(&sp, "repository '%s' not found", path);
	ck_assert_int_eq(fixture_exists(NULL, sp.dir), 0);
}
END_TEST

START_TEST(test_not_a_repo)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "n");
	char			 path[512];

	snprintf(path, sizeof path, "%s/plain", allowed);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	sp.repo_path = path;
	create_fails(&sp, "'%s' is not a git repository", path);

	/* A directory inside a repository is not one either. */
	snprintf(path, sizeof path, "%s/.git/objects", repo_path);
	sp.repo_path = path;
	create_fails(&sp, "'%s' is not a git repository", path);
}
END_TEST

START_TEST(test_remote)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "o");

	sp.provider = "github";
	create_fails(&sp, "remote repositories (github) are not supported yet");
}
END_TEST

START_TEST(test_existing_dir)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "p");
	char			*keep;

	ck_assert_int_eq(mkdir_p(sp.dir, 0755), 0);
	keep = xasprintf("%s/keep", sp.dir);
	ck_assert_int_eq(write_file_atomic(keep, "x", 1), 0);
	ck_assert_int_eq(workspace_create(&sp, commit, cause, sizeof cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "cannot create workspace"));
	/* Not ours: left alone. */
	ck_assert_int_eq(fixture_exists(NULL, keep), 1);
	free(keep);
}
END_TEST

START_TEST(test_outside_roots)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "q");
	char			*other;
	char			*narrow[2];

	/* A repository that exists but is not under the root. */
	narrow[0] = xasprintf("%s/elsewhere", tmp);
	narrow[1] = NULL;
	ck_assert_int_eq(mkdir(narrow[0], 0755), 0);
	sp.allowed_roots = narrow;
	create_fails(&sp, "repository path '%s' is outside the allowed roots",
	    repo_path);

	/* A missing path outside is "outside", not "not found". */
	other = xasprintf("%s/missing", tmp);
	sp.repo_path = other;
	ck_assert_int_eq(workspace_create(&sp, commit, cause, sizeof cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "is outside the allowed roots"));
	free(other);
	free(narrow[0]);

	/* No roots at all: nothing is allowed. */
	narrow[0] = NULL;
	sp.repo_path = repo_path;
	ck_assert_int_eq(workspace_create(&sp, commit, cause, sizeof cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "is outside the allowed roots"));

	/* Relative paths are refused. */
	sp.repo_path = "allowed/repo";
	sp.allowed_roots = roots;
	create_fails(&sp, "repository path 'allowed/repo' must be "
	    "absolute");
}
END_TEST

START_TEST(test_dotdot_escape)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "r");
	char			*inner, *path;
	char			*narrow[2];

	/* Root is allowed/inner; the repo is reached by inner/../repo. */
	inner = xasprintf("%s/inner", allowed);
	ck_assert_int_eq(mkdir(inner, 0755), 0);
	narrow[0] = inner;
	narrow[1] = NULL;
	path = xasprintf("%s/../repo", inner);
	sp.repo_path = path;
	sp.allowed_roots = narrow;
	create_fails(&sp, "repository path '%s' is outside the allowed roots",
	    path);
	free(path);

	/* The same through a root that is written with "..". */
	path = xasprintf("%s/../allowed/repo", allowed);
	sp.repo_path = path;
	sp.allowed_roots = roots;
	create_ok(&sp, NULL, NULL);
	free(path);
	free(inner);
}
END_TEST

START_TEST(test_symlink_escape)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "s");
	char			*outside, *link, *inside;
	char			*narrow[2];

	/* allowed/inner/link -> allowed/repo, with root allowed/inner. */
	inside = xasprintf("%s/inner", allowed);
	ck_assert_int_eq(mkdir(inside, 0755), 0);
	link = xasprintf("%s/link", inside);
	ck_assert_int_eq(symlink(repo_path, link), 0);
	narrow[0] = inside;
	narrow[1] = NULL;
	sp.repo_path = link;
	sp.allowed_roots = narrow;
	create_fails(&sp, "repository path '%s' is outside the allowed roots",
	    link);

	/* A symlink to a repository inside the root is fine. */
	outside = xasprintf("%s/link2", allowed);
	ck_assert_int_eq(symlink(repo_path, outside), 0);
	sp.repo_path = outside;
	sp.allowed_roots = roots;
	create_ok(&sp, NULL, NULL);

	/* A root that is a symlink counts where it points. */
	free(link);
	link = xasprintf("%s/rootlink", tmp);
	ck_assert_int_eq(symlink(allowed, link), 0);
	narrow[0] = link;
	sp = spec_for(WORKSPACE_BRANCH, "main", "s2");
	sp.allowed_roots = narrow;
	create_ok(&sp, NULL, NULL);
	free(link);
	free(outside);
	free(inside);
}
END_TEST

/* Every file of a tree (the tree itself too) owned by uid. */
static int
owned_by(const char *path, uid_t uid)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*child;
	int		 ok = 1;

	if (lstat(path, &st) == -1 || st.st_uid != uid)
		return (0);
	if (!S_ISDIR(st.st_mode) || (d = opendir(path)) == NULL)
		return (1);
	while (ok && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		child = xasprintf("%s/%s", path, de->d_name);
		ok = owned_by(child, uid);
		free(child);
	}
	closedir(d);
	return (ok);
}

/* libgit2's status of a workspace: how many entries differ. */
static size_t
status_count(const char *dir)
{
	git_repository		*repo;
	git_status_list		*st;
	git_status_options	 opts;
	size_t			 n;

	git_libgit2_init();
	(void)git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	ck_assert_int_eq(git_repository_open(&repo, dir), 0);
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
	ck_assert_int_eq(git_status_list_new(&st, repo, &opts), 0);
	n = git_status_list_entrycount(st);
	git_status_list_free(st);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return (n);
}

START_TEST(test_overlay_reuse)
{
	struct workspace_spec	 a, b, c;
	char			 lower[512], hex[64], ref[256], *p, *data;
	struct stat		 idx, f;
	int			 detached;

	if (geteuid() != 0)
		return;		/* mounting needs root */
	a = overlay_for(WORKSPACE_BRANCH, "main", "oa");
	create_ok(&a, c2, NULL);
	ck_assert_int_eq(is_mount(a.dir), 1);
	ck_assert_int_eq(checkouts(lower, sizeof lower), 1);
	b = overlay_for(WORKSPACE_COMMIT, c2, "ob");
	create_ok(&b, NULL, NULL);
	/* The same commit by another name: the same checkout. */
	ck_assert_int_eq(checkouts(NULL, 0), 1);
	data = readme(&b);
	ck_assert_str_eq(data, "two\n");
	free(data);
	ck_assert_uint_eq(status_count(b.dir), 0);

	/* The index is newer than every file: git never finds it racy. */
	p = xasprintf("%s/.git/index", lower);
	ck_assert_int_eq(stat(p, &idx), 0);
	free(p);
	p = xasprintf("%s/README", lower);
	ck_assert_int_eq(stat(p, &f), 0);
	free(p);
	ck_assert_int_gt(idx.st_mtim.tv_sec, f.st_mtim.tv_sec);

	/* Private edits. */
	p = xasprintf("%s/README", a.dir);
	ck_assert_int_eq(write_file_atomic(p, "mine\n", 5), 0);
	free(p);
	data = readme(&b);
	ck_assert_str_eq(data, "two\n");
	free(data);
	ck_assert_uint_eq(status_count(a.dir), 1);
	ck_assert_uint_eq(status_count(b.dir), 0);

	/* A branch is the session's, in its overlay only. */
	c = overlay_for(WORKSPACE_TAG, "v1", "oc");
	c.branch_name = "runner/x";
	create_ok(&c, c1, NULL);
	ck_assert_int_eq(checkouts(NULL, 0), 2);
	head_of(c.dir, hex, &detached, ref, sizeof ref);
	ck_assert_str_eq(ref, "refs/heads/runner/x");
	ck_assert_str_eq(hex, c1);
	head_of(lower, hex, &detached, ref, sizeof ref);
	ck_assert_int_eq(detached, 1);
	ck_assert_str_eq(hex, c2);

	/* Reference counts: one per workspace; gone with its private dir. */
	p = xasprintf("%s/ws", tmp);
	ck_assert_int_eq(overlay_refcount(p, lower), 2);
	overlay_discard(a.dir);
	ck_assert_int_eq(overlay_refcount(p, lower), 1);
	overlay_discard(b.dir);
	overlay_discard(c.dir);
	ck_assert_int_eq(overlay_refcount(p, lower), 0);
	free(p);
}
END_TEST

START_TEST(test_overlay_failures)
{
	struct workspace_spec	 sp;
	char			*dir, *real, lower[512];

	if (geteuid() != 0)
		return;
	/* An unknown ref: the clone's message, nothing built. */
	sp = overlay_for(WORKSPACE_BRANCH, "nope", "of");
	create_fails(&sp, "branch 'nope' not found in repository '%s'",
	    repo_path);
	ck_assert_int_eq(fixture_exists(NULL, sp.dir), 0);
	ck_assert_int_eq(checkouts(NULL, 0), 0);

	/*
	 * A cached checkout that is not a directory of its own (a symlink)
	 * is never mounted: required → fails.
	 */
	sp = overlay_for(WORKSPACE_BRANCH, "main", "first");
	create_ok(&sp, NULL, NULL);
	overlay_discard(sp.dir);
	ck_assert_int_eq(checkouts(lower, sizeof lower), 1);
	real = xasprintf("%s.real", lower);
	ck_assert_int_eq(rename(lower, real), 0);
	ck_assert_int_eq(symlink(real, lower), 0);
	sp = overlay_for(WORKSPACE_BRANCH, "main", "x,y");
	ck_assert_int_eq(workspace_create(&sp, commit, cause, sizeof cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "(workspace_mode is overlay)"));
	ck_assert_int_eq(fixture_exists(NULL, sp.dir), 0);
	dir = xasprintf("%s/ws/.overlay/x,y", tmp);
	ck_assert_int_eq(fixture_exists(NULL, dir), 0);
	free(dir);
	/* auto → a clone instead. */
	sp.fallback = 1;
	create_ok(&sp, c2, NULL);
	ck_assert_int_eq(is_mount(sp.dir), 0);
	ck_assert_uint_eq(status_count(sp.dir), 0);
	ck_assert_int_eq(unlink(lower), 0);
	ck_assert_int_eq(rename(real, lower), 0);
	free(real);
}
END_TEST

START_TEST(test_owner_clone)
{
	struct workspace_spec	 sp = spec_for(WORKSPACE_BRANCH, "main", "ow");
	git_repository		*repo;
	git_index		*idx;
	const git_index_entry	*e;
	char			*p;
	struct stat		 st;

	if (geteuid() != 0)
		return;		/* chown needs root */
	sp.owner_uid = 65534;
	sp.owner_gid = 65534;
	sp.branch_name = "runner/o";
	create_ok(&sp, NULL, NULL);
	ck_assert_int_eq(owned_by(sp.dir, 65534), 1);
	/* The index says so too: git status has nothing to refresh. */
	git_libgit2_init();
	ck_assert_int_eq(git_repository_open(&repo, sp.dir), 0);
	ck_assert_int_eq(git_repository_index(&idx, repo), 0);
	ck_assert_ptr_nonnull((e = git_index_get_bypath(idx, "README", 0)));
	ck_assert_uint_eq(e->uid, 65534);
	p = xasprintf("%s/README", sp.dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(e->ctime.seconds, (int32_t)st.st_ctim.tv_sec);
	ck_assert_uint_eq(e->ctime.nanoseconds, (uint32_t)st.st_ctim.tv_nsec);
	free(p);
	git_index_free(idx);
	git_repository_free(repo);
	git_libgit2_shutdown();
	ck_assert_uint_eq(status_count(sp.dir), 0);
	/* The source repository is not chowned through a hard link. */
	ck_assert_int_eq(owned_by(repo_path, 0), 1);
}
END_TEST

START_TEST(test_owner_overlay)
{
	struct workspace_spec	 a, b;
	struct stat		 st;

	if (geteuid() != 0)
		return;
	a = overlay_for(WORKSPACE_BRANCH, "main", "oo1");
	create_ok(&a, NULL, NULL);
	b = overlay_for(WORKSPACE_BRANCH, "main", "oo2");
	b.owner_uid = 65534;
	b.owner_gid = 65534;
	b.branch_name = "runner/b";
	create_ok(&b, NULL, NULL);
	/* The owner is part of the key: a checkout of its own. */
	ck_assert_int_eq(checkouts(NULL, 0), 2);
	ck_assert_int_eq(stat(a.dir, &st), 0);
	ck_assert_int_eq(st.st_uid, 0);
	ck_assert_int_eq(stat(b.dir, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);
	/* What the worker wrote through the mount (the branch) too. */
	ck_assert_int_eq(owned_by(b.dir, 65534), 1);
	ck_assert_uint_eq(status_count(b.dir), 0);
	overlay_discard(a.dir);
	overlay_discard(b.dir);
	ck_assert_int_eq(owned_by(repo_path, 0), 1);
}
END_TEST

START_TEST(test_path_under)
{
	ck_assert_int_eq(workspace_path_under("/a/b", "/"), 1);
	ck_assert_int_eq(workspace_path_under("/a/b", "/a"), 1);
	ck_assert_int_eq(workspace_path_under("/a/b", "/a/"), 1);
	ck_assert_int_eq(workspace_path_under("/a/b", "/a/b"), 1);
	ck_assert_int_eq(workspace_path_under("/a/b/c", "/a/b"), 1);
	ck_assert_int_eq(workspace_path_under("/a/bc", "/a/b"), 0);
	ck_assert_int_eq(workspace_path_under("/a", "/a/b"), 0);
	ck_assert_int_eq(workspace_path_under("/x/a/b", "/a"), 0);
}
END_TEST

START_TEST(test_path_normalize)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "/", "/" },
		{ "/a/b", "/a/b" },
		{ "//a///b/", "/a/b" },
		{ "/a/./b/.", "/a/b" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/../../..", "/" },
		{ "/../etc", "/etc" },
		{ "/a/b/../../c/d/..", "/c" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		s = path_normalize(cases[i].in);
		ck_assert_str_eq(s, cases[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_kind_parse)
{
	ck_assert_int_eq(workspace_kind_parse("branch"), WORKSPACE_BRANCH);
	ck_assert_int_eq(workspace_kind_parse("commit"), WORKSPACE_COMMIT);
	ck_assert_int_eq(workspace_kind_parse("tag"), WORKSPACE_TAG);
	ck_assert_int_eq(workspace_kind_parse("sha"), -1);
	ck_assert_int_eq(workspace_kind_parse(""), -1);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("workspace");

	tc = tcase_create("checkout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_branch_main);
	tcase_add_test(tc, test_branch_other);
	tcase_add_test(tc, test_commit_full);
	tcase_add_test(tc, test_commit_short);
	tcase_add_test(tc, test_tag_lightweight);
	tcase_add_test(tc, test_tag_annotated);
	suite_add_tcase(s, tc);

	tc = tcase_create("branch name");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_branch_name);
	tcase_add_test(tc, test_branch_name_existing);
	tcase_add_test(tc, test_branch_name_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_unknown_branch);
	tcase_add_test(tc, test_unknown_commit);
	tcase_add_test(tc, test_unknown_tag);
	tcase_add_test(tc, test_missing_repo);
	tcase_add_test(tc, test_not_a_repo);
	tcase_add_test(tc, test_remote);
	tcase_add_test(tc, test_existing_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("allowed roots");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_outside_roots);
	tcase_add_test(tc, test_dotdot_escape);
	tcase_add_test(tc, test_symlink_escape);
	suite_add_tcase(s, tc);

	tc = tcase_create("overlay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_overlay_reuse);
	tcase_add_test(tc, test_overlay_failures);
	tcase_add_test(tc, test_owner_clone);
	tcase_add_test(tc, test_owner_overlay);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths");
	tcase_add_test(tc, test_path_under);
	tcase_add_test(tc, test_path_normalize);
	tcase_add_test(tc, test_kind_parse);
	suite_add_tcase(s, tc);

	return (s);
}
