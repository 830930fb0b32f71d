/* The session's workspace: a libgit2 clone of a repository at one commit. */
#ifndef WORKSPACE_H
#define WORKSPACE_H

#include <stddef.h>

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
};

/* The checkout kind for its START name ("branch", "commit", "tag"), or -1. */
int	 workspace_kind_parse(const char *);
/* Whether an absolute, normalized path lies under root, by component. */
int	 workspace_path_under(const char *, const char *);
/* Lexically normalize an absolute path (".", "..", "//"); malloc'd. */
char	*workspace_path_normalize(const char *);
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
char	*workspace_mirror(const struct workspace_spec *, int *, char *,
	    size_t);
/*
 * Clone the repository into spec->dir and check out the requested commit
 * (detached HEAD, or spec->branch_name created there). On success 0 and the
 * commit's hex id in commit (41 bytes); -1 with a cause, the partial
 * checkout removed.
 */
int	 workspace_create(const struct workspace_spec *, char *, char *,
	    size_t);

#endif
