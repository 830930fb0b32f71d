/* What the session changed: a libgit2 diff of the workspace. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <git2.h>
#include <json-c/json.h>

#include "diff.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* libgit2's last error message, or a fallback. */
static const char *
diff_git_error(void)
{
	const git_error	*e;

	e = git_error_last();
	return (e != NULL && e->message != NULL ? e->message : "unknown error");
}

/* The DIFF_SUMMARY status of a delta, or NULL for one to leave out. */
static const char *
diff_status(git_delta_t s)
{
	switch (s) {
	case GIT_DELTA_ADDED:
	case GIT_DELTA_UNTRACKED:
	case GIT_DELTA_COPIED:
		return ("added");
	case GIT_DELTA_MODIFIED:
	case GIT_DELTA_TYPECHANGE:
		return ("modified");
	case GIT_DELTA_DELETED:
		return ("deleted");
	case GIT_DELTA_RENAMED:
		return ("renamed");
	default:
		return (NULL);
	}
}

/* Add the summary of every delta to ev. */
static int
diff_collect(git_diff *diff, struct json_object *ev, char *cause,
    size_t causelen)
{
	const git_diff_delta	*d;
	struct json_object	*files, *f;
	git_patch		*patch;
	const char		*status;
	size_t			 i, n, ctx, add, del, adds = 0, dels = 0;
	int			 binary;

	files = json_object_new_array();
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n; i++) {
		d = git_diff_get_delta(diff, i);
		if ((status = diff_status(d->status)) == NULL)
			continue;
		if (git_patch_from_diff(&patch, diff, i) < 0) {
			CAUSE("diff of '%s': %s", d->new_file.path,
			    diff_git_error());
			json_object_put(files);
			return (-1);
		}
		add = del = 0;
		/* Loading the patch decides whether the file is binary. */
		binary = (d->flags & GIT_DIFF_FLAG_BINARY) != 0;
		if (patch != NULL) {
			binary = (git_patch_get_delta(patch)->flags &
			    GIT_DIFF_FLAG_BINARY) != 0;
			if (!binary)
				git_patch_line_stats(&ctx, &add, &del, patch);
			git_patch_free(patch);
		}
		f = json_object_new_object();
		json_object_object_add(f, "path", json_object_new_string(
		    d->status == GIT_DELTA_DELETED ? d->old_file.path :
		    d->new_file.path));
		json_object_object_add(f, "status",
		    json_object_new_string(status));
		json_object_object_add(f, "additions",
		    json_object_new_int64((int64_t)add));
		json_object_object_add(f, "deletions",
		    json_object_new_int64((int64_t)del));
		if (d->status == GIT_DELTA_RENAMED)
			json_object_object_add(f, "oldPath",
			    json_object_new_string(d->old_file.path));
		if (binary)
			json_object_object_add(f, "binary",
			    json_object_new_boolean(1));
		json_object_array_add(files, f);
		adds += add;
		dels += del;
	}
	json_object_object_add(ev, "filesChanged", json_object_new_int64(
	    (int64_t)json_object_array_length(files)));
	json_object_object_add(ev, "linesAdded",
	    json_object_new_int64((int64_t)adds));
	json_object_object_add(ev, "linesRemoved",
	    json_object_new_int64((int64_t)dels));
	json_object_object_add(ev, "files", files);
	return (0);
}

/* Diff the workspace against its start commit into ev; -1 with a cause. */
int
diff_summary(const char *dir, const char *commit_hex, struct json_object *ev,
    char *cause, size_t causelen)
{
	git_diff_options	 opts;
	git_diff_find_options	 find;
	git_repository		*repo = NULL;
	git_commit		*commit = NULL;
	git_tree		*tree = NULL;
	git_diff		*diff = NULL;
	git_oid			 oid;
	int			 rv = -1;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH,
	    NULL) < 0) {
		CAUSE("workspace '%s': %s", dir, diff_git_error());
		goto out;
	}
	if (git_oid_fromstr(&oid, commit_hex) < 0 ||
	    git_commit_lookup(&commit, repo, &oid) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		CAUSE("start commit '%s': %s", commit_hex, diff_git_error());
		goto out;
	}
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_INCLUDE_UNTRACKED |
	    GIT_DIFF_RECURSE_UNTRACKED_DIRS | GIT_DIFF_SHOW_UNTRACKED_CONTENT;
	if (git_diff_tree_to_workdir_with_index(&diff, repo, tree,
	    &opts) < 0) {
		CAUSE("diff: %s", diff_git_error());
		goto out;
	}
	git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
	/* An untracked file can be where a tracked one was moved to. */
	find.flags = GIT_DIFF_FIND_RENAMES | GIT_DIFF_FIND_FOR_UNTRACKED;
	if (git_diff_find_similar(diff, &find) < 0) {
		CAUSE("diff renames: %s", diff_git_error());
		goto out;
	}
	rv = diff_collect(diff, ev, cause, causelen);
out:
	git_diff_free(diff);
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return (rv);
}
