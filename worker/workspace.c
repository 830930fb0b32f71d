/* The session's workspace: a libgit2 clone of a repository at one commit. */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "util.h"
#include "workspace.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

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

/* Lexically normalize an absolute path: no ".", "..", empty components. */
char *
workspace_path_normalize(const char *path)
{
	char	*out, *copy, *comp, *save = NULL;
	size_t	 len = 0, i;

	out = xcalloc(1, strlen(path) + 2);
	copy = xstrdup(path);
	for (comp = strtok_r(copy, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			for (i = len; i > 0 && out[i - 1] != '/'; i--)
				;
			len = i > 0 ? i - 1 : 0;
			out[len] = '\0';
			continue;
		}
		out[len++] = '/';
		memcpy(out + len, comp, strlen(comp));
		len += strlen(comp);
		out[len] = '\0';
	}
	free(copy);
	if (len == 0)
		strcpy(out, "/");
	return (out);
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
			root = workspace_path_normalize(roots[i]);
		ok = workspace_path_under(path, root);
		free(root);
		if (ok)
			return (1);
	}
	return (0);
}

/* libgit2's last error message, or a fallback. */
static const char *
workspace_git_error(void)
{
	const git_error	*e;

	e = git_error_last();
	return (e != NULL && e->message != NULL ? e->message : "unknown error");
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
		norm = workspace_path_normalize(path);
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
		CAUSE("repository '%s': %s", path, workspace_git_error());
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (error < 0)
		return (NULL);
	return (xstrdup(real));
}

/* The credential callback's state; the token is never logged. */
struct workspace_cred {
	const char	*user;
	const char	*token;
	int		 tries;
	int		 refused;	/* the server wanted what we lack */
};

/* libgit2 asks for credentials: the token once, then give up. */
static int
workspace_cred_cb(git_credential **out, const char *url,
    const char *user_from_url, unsigned int allowed, void *arg)
{
	struct workspace_cred	*wc = arg;

	(void)url;
	(void)user_from_url;
	if (wc->token == NULL || wc->tries++ > 0 ||
	    (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) {
		wc->refused = 1;
		git_error_set_str(GIT_ERROR_NET, "authentication failed");
		return (GIT_EAUTH);
	}
	return (git_credential_userpass_plaintext_new(out, wc->user,
	    wc->token));
}

/* The user name a host takes with a token as its password. */
static const char *
workspace_token_user(const char *provider)
{
	if (strcmp(provider, "gitlab") == 0)
		return ("oauth2");
	if (strcmp(provider, "bitbucket") == 0)
		return ("x-token-auth");
	return ("x-access-token");
}

/* Whether the mirror's stamp (FETCH_HEAD) is older than the maximum age. */
static int
workspace_mirror_stale(const char *mirror, long long max_age_ms)
{
	struct stat	 st;
	struct timespec	 now;
	char		*stamp;
	long long	 age;
	int		 rv;

	stamp = xasprintf("%s/FETCH_HEAD", mirror);
	rv = stat(stamp, &st);
	free(stamp);
	if (rv == -1 || clock_gettime(CLOCK_REALTIME, &now) == -1)
		return (1);
	age = (long long)(now.tv_sec - st.st_mtim.tv_sec) * 1000 +
	    (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
	return (age < 0 || age >= max_age_ms);
}

/* Mark the mirror fetched now: FETCH_HEAD's mtime is the stamp. */
static void
workspace_mirror_stamp(const char *mirror)
{
	char	*stamp;
	int	 fd;

	stamp = xasprintf("%s/FETCH_HEAD", mirror);
	if ((fd = open(stamp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) != -1) {
		(void)futimens(fd, NULL);
		close(fd);
	}
	free(stamp);
}

/*
 * Fetch every ref of the remote into the mirror (the mirror refspec, pruned)
 * and point the mirror's HEAD at the remote's default branch; -1 with a
 * cause.
 */
static int
workspace_mirror_fetch(git_repository *repo, git_remote *remote,
    const struct workspace_spec *sp, char *cause, size_t causelen)
{
	git_fetch_options	 fo;
	struct workspace_cred	 wc;
	git_buf			 head = { NULL, 0, 0 };
	int			 error;

	memset(&wc, 0, sizeof wc);
	wc.user = workspace_token_user(sp->provider);
	wc.token = sp->token != NULL && *sp->token != '\0' ? sp->token : NULL;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = workspace_cred_cb;
	fo.callbacks.payload = &wc;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	error = git_remote_connect(remote, GIT_DIRECTION_FETCH, &fo.callbacks,
	    &fo.proxy_opts, &fo.custom_headers);
	if (error == 0)
		error = git_remote_download(remote, NULL, &fo);
	if (error == 0)
		error = git_remote_update_tips(remote, &fo.callbacks, 1,
		    fo.download_tags, NULL);
	if (error == 0)
		error = git_remote_prune(remote, &fo.callbacks);
	if (error == 0 && git_remote_default_branch(&head, remote) == 0)
		error = git_repository_set_head(repo, head.ptr);
	git_buf_dispose(&head);
	if (error < 0) {
		if (error == GIT_EAUTH || wc.refused)
			CAUSE("authentication failed for %s", sp->remote_url);
		else
			CAUSE("cannot fetch %s: %s", sp->remote_url,
			    workspace_git_error());
	}
	git_remote_disconnect(remote);
	return (error < 0 ? -1 : 0);
}

/* The mirror's path for a remote URL, or NULL if it names none. */
static char *
workspace_mirror_path(const struct workspace_spec *sp)
{
	const char	*host, *end;
	char		*cache, *mirror, *norm, *h;
	size_t		 len, i;

	if (sp->remote_url == NULL || sp->cache_dir == NULL ||
	    sp->cache_dir[0] != '/' ||
	    (host = strstr(sp->remote_url, "://")) == NULL)
		return (NULL);
	host += 3;
	if ((end = strchr(host, '/')) == NULL || end == host)
		return (NULL);
	len = (size_t)(end - host);
	/* No user:password@ in the URL, and nothing that leaves the cache. */
	if (memchr(host, '@', len) != NULL || end[1] == '\0')
		return (NULL);
	/* host:port → host_port: a ':' would make it an scp-like URL. */
	h = xstrndup(host, len);
	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] == ':')
			h[i] = '_';
	}
	cache = workspace_path_normalize(sp->cache_dir);
	mirror = xasprintf("%s/mirrors/%s/%s", strcmp(cache, "/") == 0 ?
	    "" : cache, h, end + 1);
	free(cache);
	free(h);
	norm = workspace_path_normalize(mirror);
	if (strcmp(norm, mirror) != 0) {
		free(mirror);
		mirror = NULL;
	}
	free(norm);
	return (mirror);
}

/* Create or refresh the bare mirror of a remote repository. */
char *
workspace_mirror(const struct workspace_spec *sp, int *lockfd, char *cause,
    size_t causelen)
{
	git_repository	*repo = NULL;
	git_remote	*remote = NULL;
	char		*mirror, *lock, *slash;
	int		 fd, created = 0, ok = 0;

	*lockfd = -1;
	if ((mirror = workspace_mirror_path(sp)) == NULL) {
		CAUSE("bad remote repository URL or cache directory");
		return (NULL);
	}
	lock = xasprintf("%s.lock", mirror);
	slash = strrchr(lock, '/');
	*slash = '\0';
	if (mkdir_p(lock, 0700) == -1) {
		CAUSE("cannot create cache directory '%s': %s", lock,
		    strerror(errno));
		free(lock);
		free(mirror);
		return (NULL);
	}
	*slash = '/';
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		CAUSE("cannot open '%s': %s", lock, strerror(errno));
		free(lock);
		free(mirror);
		return (NULL);
	}
	free(lock);
	/* Exclusive while the mirror is created or fetched. */
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			CAUSE("cannot lock the mirror of %s: %s",
			    sp->remote_url, strerror(errno));
			goto out;
		}
	}

	git_libgit2_init();
	if (git_repository_open_bare(&repo, mirror) < 0) {
		/* Absent, or left half made: start again. */
		rm_rf(mirror);
		if (git_repository_init(&repo, mirror, 1) < 0 ||
		    git_remote_create_with_fetchspec(&remote, repo, "origin",
		    sp->remote_url, "+refs/*:refs/*") < 0) {
			CAUSE("cannot create the mirror of %s: %s",
			    sp->remote_url, workspace_git_error());
			goto shutdown;
		}
		created = 1;
	} else if (workspace_mirror_stale(mirror, sp->cache_max_age_ms) &&
	    git_remote_lookup(&remote, repo, "origin") < 0) {
		CAUSE("mirror of %s: %s", sp->remote_url,
		    workspace_git_error());
		goto shutdown;
	}
	if (remote != NULL) {
		if (workspace_mirror_fetch(repo, remote, sp, cause,
		    causelen) == -1)
			goto shutdown;
		workspace_mirror_stamp(mirror);
	}
	ok = 1;

shutdown:
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (!ok && created)
		rm_rf(mirror);
out:
	if (!ok) {
		close(fd);
		free(mirror);
		return (NULL);
	}
	/* Shared while workspaces are cloned from it. */
	while (flock(fd, LOCK_SH) == -1 && errno == EINTR)
		;
	*lockfd = fd;
	return (mirror);
}

/* Whether s is 4 to 40 hex digits: a full or abbreviated commit id. */
static int
workspace_is_sha(const char *s)
{
	size_t	n;

	n = strspn(s, "0123456789abcdefABCDEF");
	return (s[n] == '\0' && n >= 4 && n <= GIT_OID_HEXSZ);
}

/* The commit a branch names: origin's copy first, then a local branch. */
static int
workspace_find_branch(git_repository *repo, const struct workspace_spec *sp,
    git_object **commit, char *cause, size_t causelen)
{
	git_reference	*ref = NULL;
	char		*remote;
	int		 error;

	remote = xasprintf("origin/%s", sp->ref);
	error = git_branch_lookup(&ref, repo, remote, GIT_BRANCH_REMOTE);
	free(remote);
	if (error < 0)
		error = git_branch_lookup(&ref, repo, sp->ref,
		    GIT_BRANCH_LOCAL);
	if (error == 0)
		error = git_reference_peel(commit, ref, GIT_OBJECT_COMMIT);
	git_reference_free(ref);
	if (error < 0) {
		CAUSE("branch '%s' not found in repository '%s'", sp->ref,
		    sp->repo_path);
		return (-1);
	}
	return (0);
}

/* The commit a full or abbreviated id names. */
static int
workspace_find_commit(git_repository *repo, const struct workspace_spec *sp,
    git_object **commit, char *cause, size_t causelen)
{
	git_object	*obj = NULL;
	int		 error = GIT_ENOTFOUND;

	/* Only hex ids: never hand revparse an expression like "HEAD~2". */
	if (workspace_is_sha(sp->ref))
		error = git_revparse_single(&obj, repo, sp->ref);
	if (error == GIT_EAMBIGUOUS) {
		CAUSE("commit '%s' is ambiguous in repository '%s'", sp->ref,
		    sp->repo_path);
		return (-1);
	}
	if (error == 0)
		error = git_object_peel(commit, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (error < 0) {
		CAUSE("commit '%s' not found in repository '%s'", sp->ref,
		    sp->repo_path);
		return (-1);
	}
	return (0);
}

/* The commit a tag (lightweight or annotated) points at. */
static int
workspace_find_tag(git_repository *repo, const struct workspace_spec *sp,
    git_object **commit, char *cause, size_t causelen)
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
	if (error == 0)
		error = git_reference_peel(commit, ref, GIT_OBJECT_COMMIT);
	git_reference_free(ref);
	if (error < 0) {
		CAUSE("tag '%s' not found in repository '%s'", sp->ref,
		    sp->repo_path);
		return (-1);
	}
	return (0);
}

/* Check out commit into the work tree and point HEAD at it. */
static int
workspace_checkout(git_repository *repo, const struct workspace_spec *sp,
    git_object *commit, char *cause, size_t causelen)
{
	git_checkout_options	 co;
	git_reference		*branch = NULL;
	int			 valid = 0;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_tree(repo, commit, &co) < 0 ||
	    git_repository_set_head_detached(repo, git_object_id(commit)) < 0) {
		CAUSE("cannot check out '%s': %s", sp->ref,
		    workspace_git_error());
		return (-1);
	}
	if (sp->branch_name == NULL)
		return (0);

	if (git_branch_name_is_valid(&valid, sp->branch_name) < 0 || !valid) {
		CAUSE("invalid branch name '%s'", sp->branch_name);
		return (-1);
	}
	/*
	 * Forced: a branch of that name cloned from origin (the default one)
	 * is moved to the session's commit. HEAD is detached, so this is
	 * never the current branch.
	 */
	if (git_branch_create(&branch, repo, sp->branch_name,
	    (git_commit *)commit, 1) < 0 ||
	    git_repository_set_head(repo, git_reference_name(branch)) < 0) {
		CAUSE("cannot create branch '%s': %s", sp->branch_name,
		    workspace_git_error());
		git_reference_free(branch);
		return (-1);
	}
	git_reference_free(branch);
	return (0);
}

/* Clone and check out the workspace; -1 with a cause. */
int
workspace_create(const struct workspace_spec *sp, char *commit_hex,
    char *cause, size_t causelen)
{
	git_clone_options	 opts;
	git_repository		*repo = NULL;
	git_object		*commit = NULL;
	char			*real, *parent, *slash;
	int			 rv = -1, created = 0, error, lockfd = -1;

	commit_hex[0] = '\0';
	if (sp->provider == NULL || (strcmp(sp->provider, "local") != 0 &&
	    sp->remote_url == NULL)) {
		CAUSE("remote repositories (%s) are not supported yet",
		    sp->provider != NULL ? sp->provider : "unknown");
		return (-1);
	}
	if (strcmp(sp->provider, "local") != 0)
		real = workspace_mirror(sp, &lockfd, cause, causelen);
	else
		real = workspace_resolve_local(sp->repo_path,
		    sp->allowed_roots, cause, causelen);
	if (real == NULL)
		return (-1);

	parent = xstrdup(sp->dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir_p(parent, 0755) == -1) {
			CAUSE("cannot create workspace directory '%s': %s",
			    parent, strerror(errno));
			free(parent);
			goto out;
		}
	}
	free(parent);
	/* Ours alone: never clone into, or later remove, what was there. */
	if (mkdir(sp->dir, 0755) == -1) {
		CAUSE("cannot create workspace '%s': %s", sp->dir,
		    strerror(errno));
		goto out;
	}
	created = 1;

	git_libgit2_init();
	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	opts.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	/* A mirror stays the cache's: copies, no hard links into it. */
	if (lockfd != -1)
		opts.local = GIT_CLONE_LOCAL_NO_LINKS;
	if ((error = git_clone(&repo, real, sp->dir, &opts)) < 0) {
		CAUSE("cannot clone '%s': %s", sp->repo_path,
		    workspace_git_error());
		goto shutdown;
	}
	/* The workspace's origin is the real remote, not the cache. */
	if (lockfd != -1 &&
	    git_remote_set_url(repo, "origin", sp->remote_url) < 0) {
		CAUSE("cannot set origin to %s: %s", sp->remote_url,
		    workspace_git_error());
		goto shutdown;
	}
	switch (sp->kind) {
	case WORKSPACE_BRANCH:
		error = workspace_find_branch(repo, sp, &commit, cause,
		    causelen);
		break;
	case WORKSPACE_COMMIT:
		error = workspace_find_commit(repo, sp, &commit, cause,
		    causelen);
		break;
	case WORKSPACE_TAG:
		error = workspace_find_tag(repo, sp, &commit, cause, causelen);
		break;
	default:
		CAUSE("unknown checkout type");
		error = -1;
		break;
	}
	if (error < 0)
		goto shutdown;
	if (workspace_checkout(repo, sp, commit, cause, causelen) == -1)
		goto shutdown;
	git_oid_tostr(commit_hex, GIT_OID_HEXSZ + 1, git_object_id(commit));
	rv = 0;

shutdown:
	git_object_free(commit);
	git_repository_free(repo);
	git_libgit2_shutdown();
out:
	if (rv == -1 && created)
		rm_rf(sp->dir);
	if (lockfd != -1)
		close(lockfd);
	free(real);
	return (rv);
}
