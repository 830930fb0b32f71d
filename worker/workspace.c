/* The session's workspace: a libgit2 clone of a repository at one commit. */
#include "config.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#if LIBGIT2_VER_MAJOR > 1 || LIBGIT2_VER_MINOR >= 8
#include <git2/sys/errors.h>	/* git_error_set_str moved here in 1.8 */
#endif

#include "common/log.h"
#include "common/util.h"
#include "host/gitcap.h"
#include "host/overlay.h"
#include "worker/workspace.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

static int	workspace_chown(const char *dir, uid_t uid, gid_t gid, char *cause,
	    size_t causelen);

#if defined(__SANITIZE_ADDRESS__)
#define WORKSPACE_LSAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKSPACE_LSAN	1
#endif
#endif

#ifdef WORKSPACE_LSAN
const char	*__lsan_default_suppressions(void);

/*
 * Sanitizer builds only. libgit2 1.5 leaks a PCRE2 match block in its
 * regexp matching under git_remote_create, which git_clone calls (fixed
 * upstream by libgit2 pull request #6382, after 1.5). Suppress that stack,
 * and PCRE2's own allocations for when fast unwinding stops inside it (we
 * never call PCRE2), so LeakSanitizer still reports our own leaks.
 */
const char *
__lsan_default_suppressions(void)
{
	return ("leak:git_remote_create\nleak:libpcre2-8.so\n");
}
#endif

/* The checkout kind for its START name, or -1. */
int
workspace_kind_parse(const char *s)
{
	if (strcmp(s, "branch") == 0)
		return (WORKSPACE_BRANCH);
	if (strcmp(s, "commit") == 0)
		return (WORKSPACE_COMMIT);
	if (strcmp(s, "tag") == 0)
		return (WORKSPACE_TAG);
	return (-1);
}

/* Whether path equals root or lies below it, comparing whole components. */
int
workspace_path_under(const char *path, const char *root)
{
	size_t	len;

	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	if (len == 1 && root[0] == '/')
		return (path[0] == '/');
	if (strncmp(path, root, len) != 0)
		return (0);
	return (path[len] == '\0' || path[len] == '/');
}

/* Whether an absolute resolved path lies under any of the allowed roots. */
static int
workspace_allowed(const char *path, char **roots)
{
	char	*root, real[PATH_MAX];
	size_t	 i;
	int	 ok;

	for (i = 0; roots != NULL && roots[i] != NULL; i++) {
		if (roots[i][0] != '/')
			continue;
		/* A root that is itself a symlink counts where it points. */
		if (realpath(roots[i], real) != NULL)
			root = xstrdup(real);
		else
			root = path_normalize(roots[i]);
		ok = workspace_path_under(path, root);
		free(root);
		if (ok)
			return (1);
	}
	return (0);
}

/* Check a local repository path; its real path, or NULL and a cause. */
char *
workspace_resolve_local(const char *path, char **roots, char *cause,
    size_t causelen)
{
	char		 real[PATH_MAX], *norm;
	struct stat	 st;
	git_repository	*repo = NULL;
	int		 error;

	if (path == NULL || path[0] != '/') {
		CAUSE("repository path '%s' must be absolute",
		    path != NULL ? path : "");
		return (NULL);
	}
	if (realpath(path, real) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR) {
			CAUSE("repository '%s': %s", path, strerror(errno));
			return (NULL);
		}
		/* Say "outside" rather than reveal what exists out there. */
		norm = path_normalize(path);
		if (!workspace_allowed(norm, roots))
			CAUSE("repository path '%s' is outside the allowed "
			    "roots", path);
		else
			CAUSE("repository '%s' not found", path);
		free(norm);
		return (NULL);
	}
	if (!workspace_allowed(real, roots)) {
		CAUSE("repository path '%s' is outside the allowed roots",
		    path);
		return (NULL);
	}
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		CAUSE("'%s' is not a git repository", path);
		return (NULL);
	}

	git_libgit2_init();
	error = git_repository_open_ext(&repo, real,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (error == GIT_ENOTFOUND)
		CAUSE("'%s' is not a git repository", path);
	else if (error == GIT_EOWNER)
		CAUSE("repository '%s' is not owned by the current user", path);
	else if (error < 0)
		CAUSE("repository '%s': %s", path, gitcap_error());
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (error < 0)
		return (NULL);
	return (xstrdup(real));
}

/* Whether s is 4 to 40 hex digits: a full or abbreviated commit id. */
static int
workspace_is_sha(const char *s)
{
	size_t	n;

	n = strspn(s, "0123456789abcdefABCDEF");
	return (s[n] == '\0' && n >= 4 && n <= GIT_OID_HEXSZ);
}

/* The commit ref points at, if error (the lookup's) is 0; ref is freed. */
static int
workspace_peel(int error, git_reference *ref, git_object **commit)
{
	if (error == 0)
		error = git_reference_peel(commit, ref, GIT_OBJECT_COMMIT);
	git_reference_free(ref);
	return (error);
}

/*
 * The commit a branch names. In a clone, origin's copy first, then a local
 * branch; in the source repository itself (a local repository or a mirror),
 * its own branch, which is what origin's copy is in a clone of it. 0, or
 * libgit2's error.
 */
static int
workspace_find_branch(git_repository *repo, const struct workspace_spec *sp,
    int source, git_object **commit)
{
	git_reference	*ref = NULL;
	char		*remote;
	int		 error = GIT_ENOTFOUND;

	if (!source) {
		remote = xasprintf("origin/%s", sp->ref);
		error = git_branch_lookup(&ref, repo, remote,
		    GIT_BRANCH_REMOTE);
		free(remote);
	}
	if (error < 0)
		error = git_branch_lookup(&ref, repo, sp->ref,
		    GIT_BRANCH_LOCAL);
	return (workspace_peel(error, ref, commit));
}

/* The commit a full or abbreviated id names; 0, or libgit2's error. */
static int
workspace_find_commit(git_repository *repo, const struct workspace_spec *sp,
    git_object **commit)
{
	git_object	*obj = NULL;
	int		 error = GIT_ENOTFOUND;

	/* Only hex ids: never hand revparse an expression like "HEAD~2". */
	if (workspace_is_sha(sp->ref))
		error = git_revparse_single(&obj, repo, sp->ref);
	if (error == GIT_EAMBIGUOUS)
		return (error);
	if (error == 0) {
		error = git_object_peel(commit, obj, GIT_OBJECT_COMMIT);
		git_object_free(obj);
	}
	return (error);
}

/* The commit a tag (lightweight or annotated) points at; 0, or an error. */
static int
workspace_find_tag(git_repository *repo, const struct workspace_spec *sp,
    git_object **commit)
{
	git_reference	*ref = NULL;
	char		*name;
	int		 error, valid = 0;

	name = xasprintf("refs/tags/%s", sp->ref);
	error = git_reference_name_is_valid(&valid, name);
	if (error == 0 && valid)
		error = git_reference_lookup(&ref, repo, name);
	else
		error = GIT_ENOTFOUND;
	free(name);
	return (workspace_peel(error, ref, commit));
}

/* The commit the spec's checkout names, in a clone or in the source. */
static int
workspace_find(git_repository *repo, const struct workspace_spec *sp,
    int source, git_object **commit, char *cause, size_t causelen)
{
	static const char *const	 kinds[] = { "branch", "commit", "tag" };
	int				 error;

	switch (sp->kind) {
	case WORKSPACE_BRANCH:
		error = workspace_find_branch(repo, sp, source, commit);
		break;
	case WORKSPACE_COMMIT:
		error = workspace_find_commit(repo, sp, commit);
		break;
	case WORKSPACE_TAG:
		error = workspace_find_tag(repo, sp, commit);
		break;
	default:
		CAUSE("unknown checkout type");
		return (-1);
	}
	if (sp->kind == WORKSPACE_COMMIT && error == GIT_EAMBIGUOUS) {
		CAUSE("commit '%s' is ambiguous in repository '%s'", sp->ref,
		    sp->repo_path);
		return (-1);
	}
	if (error < 0) {
		CAUSE("%s '%s' not found in repository '%s'", kinds[sp->kind],
		    sp->ref, sp->repo_path);
		return (-1);
	}
	return (0);
}

/* Create the branch name at commit and make it HEAD. */
static int
workspace_branch(git_repository *repo, const char *name, git_object *commit,
    char *cause, size_t causelen)
{
	git_reference	*branch = NULL;
	int		 valid = 0;

	if (git_branch_name_is_valid(&valid, name) < 0 || !valid) {
		CAUSE("invalid branch name '%s'", name);
		return (-1);
	}
	/*
	 * Forced: a branch of that name cloned from origin (the default one)
	 * is moved to the session's commit. HEAD is detached, so this is
	 * never the current branch.
	 */
	if (git_branch_create(&branch, repo, name, (git_commit *)commit,
	    1) < 0 ||
	    git_repository_set_head(repo, git_reference_name(branch)) < 0) {
		CAUSE("cannot create branch '%s': %s", name,
		    gitcap_error());
		git_reference_free(branch);
		return (-1);
	}
	git_reference_free(branch);
	return (0);
}

/* Check out commit into the work tree and point HEAD at it. */
static int
workspace_checkout(git_repository *repo, const struct workspace_spec *sp,
    git_object *commit, char *cause, size_t causelen)
{
	git_checkout_options	 co;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_tree(repo, commit, &co) < 0 ||
	    git_repository_set_head_detached(repo, git_object_id(commit)) < 0) {
		CAUSE("cannot check out '%s': %s", sp->ref,
		    gitcap_error());
		return (-1);
	}
	if (sp->branch_name == NULL)
		return (0);
	return (workspace_branch(repo, sp->branch_name, commit, cause,
	    causelen));
}

/* Whether the spec names an owner for the files. */
static int
workspace_owned(const struct workspace_spec *sp)
{
	return (sp->owner_uid != (uid_t)-1 || sp->owner_gid != (gid_t)-1);
}

/* nftw has no argument: the owner workspace_chown gives. */
static uid_t	workspace_chown_uid;
static gid_t	workspace_chown_gid;

static int
workspace_chown_cb(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (lchown(path, workspace_chown_uid, workspace_chown_gid));
}

/* Give a whole tree (symlinks themselves, not their targets) to uid:gid. */
static int
workspace_chown(const char *dir, uid_t uid, gid_t gid, char *cause,
    size_t causelen)
{
	workspace_chown_uid = uid;
	workspace_chown_gid = gid;
	if (nftw(dir, workspace_chown_cb, 32, FTW_PHYS) != 0) {
		CAUSE("cannot give '%s' to %ld:%ld: %s", dir, (long)uid,
		    (long)gid, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Bring the index's stat data (owner, ctime, inode...) up to date with the
 * files it describes, which the checkout just wrote and a chown may have
 * changed since: git would otherwise rehash every file at the first status.
 * With settle, the index is written only once every file is older than it
 * (waiting for the next second if needed), so that no entry is "racily
 * clean" and git reads it as it is, without rewriting it. The index file
 * is then the spec's owner's too.
 */
static int
workspace_index_refresh(git_repository *repo, const struct workspace_spec *sp,
    int settle, char *cause, size_t causelen)
{
	git_index		*idx = NULL;
	const git_index_entry	*ie;
	git_index_entry		 e;
	struct stat		 st;
	struct timespec		 now, nap;
	const char		*wd;
	char			*path;
	time_t			 newest = 0;
	size_t			 i, n;
	int			 rv = -1;

	if ((wd = git_repository_workdir(repo)) == NULL ||
	    git_repository_index(&idx, repo) < 0 ||
	    git_index_read(idx, 1) < 0)
		goto out;
	n = git_index_entrycount(idx);
	for (i = 0; i < n; i++) {
		if ((ie = git_index_get_byindex(idx, i)) == NULL)
			continue;
		path = xasprintf("%s%s", wd, ie->path);
		if (lstat(path, &st) == 0) {
			e = *ie;
			e.ctime.seconds = (int32_t)st.st_ctim.tv_sec;
			e.ctime.nanoseconds = (uint32_t)st.st_ctim.tv_nsec;
			e.mtime.seconds = (int32_t)st.st_mtim.tv_sec;
			e.mtime.nanoseconds = (uint32_t)st.st_mtim.tv_nsec;
			e.dev = (uint32_t)st.st_dev;
			e.ino = (uint32_t)st.st_ino;
			e.uid = st.st_uid;
			e.gid = st.st_gid;
			e.file_size = (uint32_t)st.st_size;
			if (st.st_mtim.tv_sec > newest)
				newest = st.st_mtim.tv_sec;
			if (git_index_add(idx, &e) < 0) {
				free(path);
				goto out;
			}
		}
		free(path);
	}
	/*
	 * File times come from the kernel's coarse clock, a tick behind
	 * CLOCK_REALTIME: look at the index's own mtime, not at the clock.
	 */
	path = xasprintf("%s.git/index", wd);
	for (i = 0; i < 5; i++) {
		if (git_index_write(idx) < 0) {
			free(path);
			goto out;
		}
		if (!settle || lstat(path, &st) == -1 ||
		    st.st_mtim.tv_sec > newest)
			break;
		if (clock_gettime(CLOCK_REALTIME, &now) == -1)
			break;
		nap.tv_sec = 0;
		nap.tv_nsec = 1000000000L - now.tv_nsec + 20000000L;
		if (nap.tv_nsec >= 1000000000L) {
			nap.tv_sec = 1;
			nap.tv_nsec -= 1000000000L;
		}
		(void)nanosleep(&nap, NULL);
	}
	if (workspace_owned(sp) && lchown(path, sp->owner_uid,
	    sp->owner_gid) == -1) {
		CAUSE("cannot give '%s' to %ld:%ld: %s", path,
		    (long)sp->owner_uid, (long)sp->owner_gid, strerror(errno));
		free(path);
		git_index_free(idx);
		return (-1);
	}
	free(path);
	rv = 0;
out:
	if (rv == -1)
		CAUSE("cannot refresh the index: %s", gitcap_error());
	git_index_free(idx);
	return (rv);
}

/*
 * Open a repository the worker made itself, whatever its owner (it may be
 * the agent's uid): libgit2 otherwise refuses one not owned by us.
 */
static int
workspace_open_own(git_repository **repo, const char *dir)
{
	int	error, validate = 1;

	(void)git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &validate);
	(void)git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	error = git_repository_open_ext(repo, dir,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	(void)git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, validate);
	return (error);
}

/*
 * A clone of a shallow mirror is shallow too, but libgit2 does not copy the
 * mirror's list of cut-off commits: without it git stops at the first
 * missing parent ("Could not read ..."). 0, or -1 with a cause.
 */
static int
workspace_copy_shallow(git_repository *repo, const char *src, char *cause,
    size_t causelen)
{
	char	*from, *to, *buf;
	size_t	 len;
	int	 rv = 0;

	from = xasprintf("%s/shallow", src);
	if ((buf = read_file(from, &len)) == NULL) {
		free(from);
		return (0);		/* not shallow */
	}
	to = xasprintf("%sshallow", git_repository_path(repo));
	if (write_file_atomic(to, buf, len) == -1) {
		CAUSE("cannot write '%s': %s", to, strerror(errno));
		rv = -1;
	}
	free(buf);
	free(to);
	free(from);
	return (rv);
}

/*
 * Clone src into dir (made here; it must not exist) without checking out.
 * A mirror stays the cache's, and a tree that changes owner must not share
 * inodes with the source: copies then, no hard links.
 */
static int
workspace_clone_into(git_repository **repo, const struct workspace_spec *sp,
    const char *src, int mirror, const char *dir, char *cause,
    size_t causelen)
{
	git_clone_options	opts;

	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	opts.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	if (mirror || workspace_owned(sp))
		opts.local = GIT_CLONE_LOCAL_NO_LINKS;
	if (git_clone(repo, src, dir, &opts) < 0) {
		CAUSE("cannot clone '%s': %s", sp->repo_path,
		    gitcap_error());
		return (-1);
	}
	/* The workspace's origin is the real remote, not the cache. */
	if (mirror && git_remote_set_url(*repo, "origin",
	    sp->remote_url) < 0) {
		CAUSE("cannot set origin to %s: %s", sp->remote_url,
		    gitcap_error());
		return (-1);
	}
	if (mirror && workspace_copy_shallow(*repo, src, cause,
	    causelen) == -1)
		return (-1);
	return (0);
}

/* Make the parent of a workspace dir; -1 with a cause. */
static int
workspace_parent(const char *dir, char *cause, size_t causelen)
{
	char	*parent, *slash;
	int	 rv = 0;

	parent = xstrdup(dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir_p(parent, 0755) == -1) {
			CAUSE("cannot create workspace directory '%s': %s",
			    parent, strerror(errno));
			rv = -1;
		}
	}
	free(parent);
	return (rv);
}

/*
 * Clone mode with a disk quota: the clone lives in the quota filesystem
 * (the private dir's "tree"), which the workspace dir binds.
 */
static int
workspace_clone_quota(const struct workspace_spec *sp, char *cause,
    size_t causelen)
{
	char	*priv, *tree;
	int	 rv = -1;

	if (overlay_quota(sp->dir, sp->quota_bytes, cause, causelen) == -1)
		return (-1);
	priv = overlay_private(sp->dir);
	tree = xasprintf("%s/tree", priv);
	if (mkdir(tree, 0755) == -1 || chmod(tree, 0755) == -1)
		CAUSE("cannot create '%s': %s", tree, strerror(errno));
	else if (mount(tree, sp->dir, NULL, MS_BIND, NULL) == -1)
		CAUSE("cannot bind '%s' on '%s': %s", tree, sp->dir,
		    strerror(errno));
	else
		rv = 0;
	free(tree);
	free(priv);
	return (rv);
}

/* Clone mode: a clone and checkout of the workspace's own. */
static int
workspace_clone(const struct workspace_spec *sp, const char *src, int mirror,
    char *commit_hex, char *cause, size_t causelen)
{
	git_repository	*repo = NULL;
	git_object	*commit = NULL;
	int		 rv = -1, created = 0;

	if (workspace_parent(sp->dir, cause, causelen) == -1)
		return (-1);
	/* Ours alone: never clone into, or later remove, what was there. */
	if (mkdir(sp->dir, 0755) == -1) {
		CAUSE("cannot create workspace '%s': %s", sp->dir,
		    strerror(errno));
		return (-1);
	}
	created = 1;
	if (sp->quota_bytes > 0 && workspace_clone_quota(sp, cause,
	    causelen) == -1) {
		overlay_discard(sp->dir);
		return (-1);
	}

	git_libgit2_init();
	if (workspace_clone_into(&repo, sp, src, mirror, sp->dir, cause,
	    causelen) == -1 ||
	    workspace_find(repo, sp, 0, &commit, cause, causelen) == -1 ||
	    workspace_checkout(repo, sp, commit, cause, causelen) == -1)
		goto out;
	/* Before the index is final: a chown changes every file's ctime. */
	if (workspace_owned(sp) && (workspace_chown(sp->dir, sp->owner_uid,
	    sp->owner_gid, cause, causelen) == -1 ||
	    workspace_index_refresh(repo, sp, 0, cause, causelen) == -1))
		goto out;
	git_oid_tostr(commit_hex, GIT_OID_HEXSZ + 1, git_object_id(commit));
	rv = 0;
out:
	git_object_free(commit);
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (rv == -1 && created && sp->quota_bytes > 0)
		overlay_discard(sp->dir);
	else if (rv == -1 && created)
		rm_rf(sp->dir);
	return (rv);
}

/*
 * Build the cached checkout of commit at lower: a clone of src with its
 * own .git, HEAD detached at the commit, owned by the spec's owner, its
 * index matching the stat data an overlay over it shows (same inodes,
 * owners and times). Built in <lower>.tmp and renamed into place, so that
 * lower only ever exists complete. Called under the checkout's lock.
 */
static int
workspace_build(const struct workspace_spec *sp, const char *src, int mirror,
    const git_oid *oid, const char *lower, char *cause, size_t causelen)
{
	struct workspace_spec	 bs = *sp;
	git_repository		*repo = NULL;
	git_object		*commit = NULL;
	char			*tmp;
	int			 rv = -1;

	tmp = xasprintf("%s.tmp", lower);
	rm_rf(tmp);
	if (mkdir(tmp, 0755) == -1) {
		CAUSE("cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return (-1);
	}
	/* Each session creates its own branch in its overlay. */
	bs.branch_name = NULL;
	if (workspace_clone_into(&repo, &bs, src, mirror, tmp, cause,
	    causelen) == -1)
		goto out;
	if (git_object_lookup(&commit, repo, oid, GIT_OBJECT_COMMIT) < 0) {
		CAUSE("commit '%s' not found in a clone of '%s'", sp->ref,
		    sp->repo_path);
		goto out;
	}
	if (workspace_checkout(repo, &bs, commit, cause, causelen) == -1 ||
	    (workspace_owned(sp) && workspace_chown(tmp, sp->owner_uid,
	    sp->owner_gid, cause, causelen) == -1) ||
	    workspace_index_refresh(repo, &bs, 1, cause, causelen) == -1)
		goto out;
	git_repository_free(repo);
	repo = NULL;
	overlay_stamp(lower, overlay_du(tmp));
	if (rename(tmp, lower) == -1) {
		CAUSE("cannot rename '%s': %s", tmp, strerror(errno));
		goto out;
	}
	rv = 0;
out:
	git_object_free(commit);
	git_repository_free(repo);
	if (rv == -1)
		rm_rf(tmp);
	free(tmp);
	return (rv);
}

/* After mounting: the session's branch, written through the overlay. */
static int
workspace_overlay_branch(const struct workspace_spec *sp, const git_oid *oid,
    char *cause, size_t causelen)
{
	git_repository	*repo = NULL;
	git_object	*commit = NULL;
	int		 rv = -1;

	if (workspace_open_own(&repo, sp->dir) < 0 ||
	    git_object_lookup(&commit, repo, oid, GIT_OBJECT_COMMIT) < 0) {
		CAUSE("workspace '%s': %s", sp->dir, gitcap_error());
		goto out;
	}
	if (workspace_branch(repo, sp->branch_name, commit, cause,
	    causelen) == -1)
		goto out;
	/* The refs and logs the worker just wrote are the agent's too. */
	if (workspace_owned(sp) && overlay_chown_upper(sp->dir, sp->owner_uid,
	    sp->owner_gid) == -1) {
		CAUSE("cannot give '%s' to %ld:%ld: %s", sp->dir,
		    (long)sp->owner_uid, (long)sp->owner_gid, strerror(errno));
		goto out;
	}
	rv = 0;
out:
	git_object_free(commit);
	git_repository_free(repo);
	return (rv);
}

/*
 * Overlay mode: find the commit in the source, build its cached checkout
 * once (others wait on the lock, then reuse it), then mount the session's
 * overlay of it. 0; -1 with a cause; -2 with a cause when the overlay
 * itself could not be mounted (a clone may do instead).
 */
static int
workspace_overlay(const struct workspace_spec *sp, const char *src,
    int mirror, char *commit_hex, char *cause, size_t causelen)
{
	git_repository	*repo = NULL;
	git_object	*obj = NULL;
	git_oid		 oid;
	char		 key[OVERLAY_KEY_LEN + 1], *cache = NULL, *dir = NULL;
	char		*lower = NULL, *lock = NULL;
	int64_t		 t0 = mono_ms(), built = -1;
	int		 rv = -1, fd = -1, error;

	if (sp->cache_dir == NULL || sp->cache_dir[0] != '/') {
		CAUSE("cacheDir must be an absolute path");
		return (-1);
	}
	git_libgit2_init();
	if ((error = git_repository_open_ext(&repo, src,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		CAUSE("repository '%s': %s", sp->repo_path,
		    gitcap_error());
		goto out;
	}
	if (workspace_find(repo, sp, 1, &obj, cause, causelen) == -1)
		goto out;
	git_oid_cpy(&oid, git_object_id(obj));
	git_oid_tostr(commit_hex, GIT_OID_HEXSZ + 1, &oid);
	git_object_free(obj);
	git_repository_free(repo);
	repo = NULL;

	/* The repository's identity: its URL, or its real path. */
	if (overlay_key(mirror ? sp->remote_url : src, commit_hex,
	    sp->owner_uid, key, sizeof key) == -1) {
		CAUSE("cannot make a cache key for '%s'", sp->repo_path);
		goto out;
	}
	cache = path_normalize(sp->cache_dir);
	dir = xasprintf("%s/checkouts", strcmp(cache, "/") == 0 ? "" : cache);
	if (mkdir_p(dir, 0700) == -1) {
		CAUSE("cannot create cache directory '%s': %s", dir,
		    strerror(errno));
		goto out;
	}
	lower = xasprintf("%s/%s", dir, key);
	lock = xasprintf("%s.lock", lower);
	if ((fd = overlay_lock(lock, LOCK_EX)) == -1) {
		CAUSE("cannot lock '%s': %s", lock, strerror(errno));
		goto out;
	}
	if (access(lower, F_OK) == -1) {
		built = mono_ms();
		if (workspace_build(sp, src, mirror, &oid, lower, cause,
		    causelen) == -1)
			goto out;
		built = mono_ms() - built;
	}
	overlay_touch(lower);
	/* overlay_prepare fills the quota filesystem, or removes it. */
	if (workspace_parent(sp->dir, cause, causelen) == -1 ||
	    (sp->quota_bytes > 0 && overlay_quota(sp->dir, sp->quota_bytes,
	    cause, causelen) == -1) ||
	    overlay_prepare(sp->dir, lower, sp->owner_uid, sp->owner_gid,
	    cause, causelen) == -1)
		goto out;
	/* The record is written: the pruner counts this workspace now. */
	close(fd);
	fd = -1;
	if (overlay_mount(sp->dir, lower, cause, causelen) == -1) {
		overlay_discard(sp->dir);
		rv = -2;
		goto out;
	}
	if (sp->branch_name != NULL &&
	    workspace_overlay_branch(sp, &oid, cause, causelen) == -1) {
		overlay_discard(sp->dir);
		goto out;
	}
	if (built >= 0)
		log_info("workspace: overlay over checkout %.12s (built it in "
		    "%lld ms) in %lld ms", key, (long long)built,
		    (long long)(mono_ms() - t0));
	else
		log_info("workspace: overlay over cached checkout %.12s in "
		    "%lld ms", key, (long long)(mono_ms() - t0));
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(lock);
	free(lower);
	free(dir);
	free(cache);
	return (rv);
}

/* After a workspace is made: prune the cache past its cap and age. */
static void
workspace_prune(const struct workspace_spec *sp)
{
	char	*parent, *slash;

	if (sp->cache_dir == NULL || sp->cache_dir[0] != '/' ||
	    (sp->cache_max_bytes <= 0 && sp->checkout_max_age_ms <= 0))
		return;
	parent = xstrdup(sp->dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		(void)overlay_prune(sp->cache_dir, parent,
		    (uint64_t)(sp->cache_max_bytes > 0 ? sp->cache_max_bytes :
		    0), sp->checkout_max_age_ms);
	}
	free(parent);
}

/* Make the workspace in the spec's mode; -1 with a cause. */
int
workspace_create(const struct workspace_spec *sp, char *commit_hex,
    char *cause, size_t causelen)
{
	char	*real;
	int	 rv, lockfd = -1;
	int64_t	 t0 = mono_ms();

	commit_hex[0] = '\0';
	if (sp->provider == NULL || (strcmp(sp->provider, "local") != 0 &&
	    sp->remote_url == NULL)) {
		CAUSE("remote repositories (%s) are not supported yet",
		    sp->provider != NULL ? sp->provider : "unknown");
		return (-1);
	}
	if (strcmp(sp->provider, "local") != 0)
		real = mirror_refresh(sp, &lockfd, cause, causelen);
	else
		real = workspace_resolve_local(sp->repo_path,
		    sp->allowed_roots, cause, causelen);
	if (real == NULL)
		return (-1);

	if (sp->mode == WORKSPACE_OVERLAY) {
		rv = workspace_overlay(sp, real, lockfd != -1, commit_hex,
		    cause, causelen);
		if (rv == -2 && sp->fallback) {
			log_warnx("workspace: %s; a libgit2 clone instead",
			    cause);
			rv = workspace_clone(sp, real, lockfd != -1,
			    commit_hex, cause, causelen);
		} else if (rv == -2) {
			snprintf(cause + strlen(cause), causelen -
			    strlen(cause), " (workspace_mode is overlay)");
			rv = -1;
		}
	} else {
		rv = workspace_clone(sp, real, lockfd != -1, commit_hex, cause,
		    causelen);
		if (rv == 0)
			log_info("workspace: libgit2 clone in %lld ms",
			    (long long)(mono_ms() - t0));
	}
	if (rv == -1)
		commit_hex[0] = '\0';
	if (lockfd != -1)
		close(lockfd);
	free(real);
	if (rv == 0 && workspace_owned(sp)) {
		/*
		 * From here on this worker opens only its own workspace (the
		 * diff), owned by the agent's uid: no owner check.
		 */
		(void)git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	}
	if (rv == 0)
		workspace_prune(sp);
	return (rv);
}
