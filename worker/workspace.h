/* The session's workspace: a libgit2 clone of a repository at one commit. */
#ifndef WORKSPACE_H
#define WORKSPACE_H

#include <sys/types.h>

#include <stddef.h>

/* How the work tree is made. */
enum workspace_mode {
	WORKSPACE_CLONE,	/* a libgit2 clone and checkout of its own */
	WORKSPACE_OVERLAY	/* an overlay over a cached checkout */
};

enum workspace_kind {
	WORKSPACE_BRANCH,
	WORKSPACE_COMMIT,
	WORKSPACE_TAG
};

/* What to build; every string is borrowed. */
struct workspace_spec {
	const char		 *provider;	/* repoRef.provider */
	const char		 *repo_path;	/* repoRef.path (local) */
	enum workspace_kind	  kind;
	const char		 *ref;		/* branch, sha or tag */
	const char		 *branch_name;	/* task.branchName or NULL */
	char			**allowed_roots;	/* NULL-terminated */
	const char		 *dir;		/* checkout; must not exist */
	/* Remote repositories (provider github, gitlab, bitbucket). */
	const char		 *remote_url;	/* <base>/<owner>/<name>.git */
	const char		 *token;	/* or NULL; never logged */
	const char		 *cache_dir;	/* holds mirrors/ */
	long long		  cache_max_age_ms;	/* fetch when older */
	/*
	 * Who owns the files ((uid_t)-1 / (gid_t)-1: leave them as created),
	 * set when the sandbox runs the agent as an unprivileged uid.
	 */
	uid_t			  owner_uid;
	gid_t			  owner_gid;
	enum workspace_mode	  mode;
	int			  fallback;	/* overlay fails: clone instead */
	long long		  cache_max_bytes;	/* 0: no cap */
	long long		  checkout_max_age_ms;	/* unused: pruned */
	int			  shallow;	/* fetch mirrors with depth 1 */
	long long		  quota_bytes;	/* disk quota; 0: none */
};

/* The checkout kind for its START name ("branch", "commit", "tag"), or -1. */
int	 workspace_kind_parse(const char *);
/* Whether an absolute, normalized path lies under root, by component. */
int	 workspace_path_under(const char *, const char *);
/* Lexically normalize an absolute path (".", "..", "//"); malloc'd. */
/*
 * Resolve a local repository path: it must exist, lie under one of roots
 * once symlinks and ".." are resolved, and be a git repository. The real
 * path (malloc'd), or NULL with a cause for the session's errorMessage.
 */
char	*workspace_resolve_local(const char *, char **, char *, size_t);
/*
 * A remote repository's bare mirror, <cache>/mirrors/<host>/<owner>/<name>
 * .git, created or fetched (when older than the maximum age) under an
 * exclusive flock on <mirror>.lock. Its path (malloc'd) and the lock's fd,
 * now held shared for the clone from it; NULL with a cause.
 */
char	*mirror_refresh(const struct workspace_spec *, int *, char *,
	    size_t);
/*
 * Make the workspace spec->dir at the requested commit (detached HEAD, or
 * spec->branch_name created there): in overlay mode an overlay mount over
 * the cached checkout of that commit (built once, see overlay.h), else a
 * clone and checkout of its own; then prune the cache past its cap. On
 * success 0 and the commit's hex id in commit (41 bytes); -1 with a cause,
 * the partial workspace removed.
 */
int	 workspace_create(const struct workspace_spec *, char *, char *,
	    size_t);

#endif
