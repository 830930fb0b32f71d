/*
 * What the session changed, as the diff child computes it: libgit2's
 * diff of the workspace against the start commit, the files git ignores
 * walked by hand, and the DIFF_SUMMARY they make.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <git2.h>
#include <json-c/json.h>
#include <linux/capability.h>

#include "common/event.h"
#include "common/log.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/diff.h"
#include "worker/diff_int.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* libgit2's last error message, or a fallback. */
static const char *
diffgit_error(void)
{
	const git_error	*e;

	e = git_error_last();
	return (e != NULL && e->message != NULL ? e->message : "unknown error");
}

/* The DIFF_SUMMARY status of each kind of delta; NULL: left out. */
static const char *const diff_statuses[] = {
	[GIT_DELTA_ADDED] = "added", [GIT_DELTA_UNTRACKED] = "added",
	[GIT_DELTA_COPIED] = "added", [GIT_DELTA_MODIFIED] = "modified",
	[GIT_DELTA_TYPECHANGE] = "modified", [GIT_DELTA_DELETED] = "deleted",
	[GIT_DELTA_RENAMED] = "renamed"
};

/* The DIFF_SUMMARY status of a delta, or NULL for one to leave out. */
static const char *
diffgit_status(git_delta_t s)
{
	if ((size_t)s >= nitems(diff_statuses))
		return (NULL);
	return (diff_statuses[s]);
}

/* A path as a JSON string, made valid UTF-8 (the channel carries no other). */
struct json_object *
diffgit_path(const char *path)
{
	struct utf8_carry	 carry = { { 0 }, 0 };
	struct json_object	*o;
	struct evbuffer		*b;

	if (utf8_valid((const unsigned char *)path, strlen(path)))
		return (json_object_new_string(path));
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	utf8_sanitize(&carry, (const unsigned char *)path, strlen(path), b);
	utf8_flush(&carry, b);
	o = json_object_new_string_len((const char *)evbuffer_pullup(b, -1),
	    (int)evbuffer_get_length(b));
	evbuffer_free(b);
	return (o);
}

/* The summary as it grows: exact totals, files[] cut to its byte budget. */
struct diff_acc {
	struct json_object	*files;
	size_t			 changed;
	size_t			 omitted;
	size_t			 used;
	size_t			 adds;
	size_t			 dels;
};

/* Count one changed file into a, and list it while files[] has room. */
static void
diffgit_acc_add(struct diff_acc *a, const char *path, const char *status,
    size_t add, size_t del, int binary, const char *oldpath)
{
	struct json_object	*f;
	size_t			 len;

	a->changed++;
	a->adds += add;
	a->dels += del;
	if (a->omitted > 0) {
		a->omitted++;
		return;
	}
	f = json_object_new_object();
	json_object_object_add(f, "path", diffgit_path(path));
	json_object_object_add(f, "status", json_object_new_string(status));
	json_object_object_add(f, "additions",
	    json_object_new_int64((int64_t)add));
	json_object_object_add(f, "deletions",
	    json_object_new_int64((int64_t)del));
	if (oldpath != NULL)
		json_object_object_add(f, "oldPath", diffgit_path(oldpath));
	if (binary)
		json_object_object_add(f, "binary", json_object_new_boolean(1));
	json_object_to_json_string_length(f, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (a->used + len + 1 > EVENT_DIFF_FILES_MAX) {
		json_object_put(f);
		a->omitted++;
		return;
	}
	a->used += len + 1;
	json_object_array_add(a->files, f);
}

/*
 * What the agent's ignore rules hid is judged by the start commit's own.
 *
 * The diff runs with GIT_DIFF_INCLUDE_IGNORED and without recursing into
 * ignored directories, so node_modules/ is one entry however big. Each
 * ignored entry is then asked of a second repository handle whose work
 * tree is a scratch directory (a tmpfs of the child's own when isolated)
 * holding nothing but the start tree's .gitignore blobs, materialised
 * lazily and only along the paths asked about: git_ignore_path_is_ignored
 * there applies exactly git's rules (precedence, negation, anchoring,
 * directory-only patterns), reading per-directory files from that tree,
 * so libgit2's matcher is used, not a copy of it. Its gitdir is the
 * pristine repository's (its info/exclude and config are the cached
 * checkout's, which the agent cannot write) or, in clone mode, a fresh
 * empty one: the agent's info/exclude and core.excludesFile count for
 * nothing. An entry the start rules do not ignore is the agent's doing
 * and is walked like an untracked directory. Every bound below errs
 * towards listing: a rule left out can only make more files count.
 */
#define DIFF_IGN_BYTES	(4 * 1024 * 1024)	/* .gitignore bytes copied */
#define DIFF_WALK_DEPTH	128			/* then listed as one entry */
#define DIFF_WALK_FILE	(256 * 1024 * 1024)	/* then counted as binary */

struct diff_ign {
	const char	*scratch;	/* where to make the scratch tree */
	const char	*gitdir;	/* trusted, or NULL: a fresh one */
	const char	*workdir;	/* the workspace */
	git_tree	*tree;		/* the start tree */
	git_repository	*repo;		/* NULL until first asked */
	char		*root;		/* the scratch work tree */
	size_t		 bytes;
	size_t		 dirs;
	int		 top;		/* the top's .gitignore is there */
	int		 full;		/* a bound was hit */
};

/* Open the scratch repository: -1 with a cause. */
static int
diffgit_ign_open(struct diff_ign *ig, char *cause, size_t causelen)
{
	static unsigned	 n;
	char		*base, *gd;

	base = xasprintf("%s/%u", ig->scratch, n++);
	ig->root = xasprintf("%s/t", base);
	gd = xasprintf("%s/r", base);
	if (mkdir(base, 0700) == -1 || mkdir(ig->root, 0700) == -1) {
		CAUSE("scratch '%s': %s", base, strerror(errno));
		goto fail;
	}
	if (ig->gitdir != NULL ? git_repository_open_bare(&ig->repo,
	    ig->gitdir) < 0 : git_repository_init(&ig->repo, gd, 1) < 0) {
		CAUSE("ignore rules: %s", diffgit_error());
		goto fail;
	}
	if (git_repository_set_workdir(ig->repo, ig->root, 0) < 0) {
		CAUSE("ignore rules: %s", diffgit_error());
		goto fail;
	}
	free(gd);
	free(base);
	return (0);
fail:
	git_repository_free(ig->repo);
	ig->repo = NULL;
	free(gd);
	free(base);
	return (-1);
}

/*
 * Make the scratch directory rel (relative, "" the top) with the start
 * tree's rel/.gitignore in it, once: 0, or -1 with a cause. A blob past
 * the byte bound is left out (ig->full), which can only list more.
 */
static int
diffgit_ign_dir(struct diff_ign *ig, const char *rel, char *cause,
    size_t causelen)
{
	git_tree_entry	*te = NULL;
	git_blob	*blob = NULL;
	git_filemode_t	 mode;
	const void	*data;
	char		*path, *gi, *file;
	size_t		 len;
	int		 fd, rv = -1;

	path = xasprintf("%s%s%s", ig->root, *rel != '\0' ? "/" : "", rel);
	file = xasprintf("%s/.gitignore", path);
	gi = xasprintf("%s%s.gitignore", rel, *rel != '\0' ? "/" : "");
	if (*rel != '\0') {
		if (ig->dirs >= DIFF_IGN_DIRS) {
			ig->full = 1;
			rv = 0;
			goto out;
		}
		if (mkdir(path, 0700) == -1) {
			if (errno == EEXIST)
				rv = 0;
			else
				CAUSE("scratch: %s", strerror(errno));
			goto out;
		}
		ig->dirs++;
	} else if (ig->top) {
		rv = 0;
		goto out;
	}
	ig->top = 1;
	rv = 0;
	if (git_tree_entry_bypath(&te, ig->tree, gi) < 0)
		goto out;	/* none there */
	mode = git_tree_entry_filemode(te);
	/* Git reads no .gitignore that is a symlink in the tree. */
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		goto out;
	if (git_blob_lookup(&blob, git_tree_owner(ig->tree),
	    git_tree_entry_id(te)) < 0) {
		CAUSE("start tree's '%s': %s", gi, diffgit_error());
		rv = -1;
		goto out;
	}
	len = (size_t)git_blob_rawsize(blob);
	data = git_blob_rawcontent(blob);
	if (ig->bytes + len > DIFF_IGN_BYTES) {
		ig->full = 1;
		goto out;
	}
	ig->bytes += len;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		CAUSE("scratch: %s", strerror(errno));
		rv = -1;
		goto out;
	}
	if (len > 0 && write(fd, data, len) != (ssize_t)len) {
		CAUSE("scratch: %s", strerror(errno));
		rv = -1;
	}
	close(fd);
out:
	git_blob_free(blob);
	git_tree_entry_free(te);
	free(gi);
	free(file);
	free(path);
	return (rv);
}

/*
 * Whether the start commit's rules ignore path (relative, without a
 * trailing slash; isdir if it is a directory): 1 or 0, -1 with a cause.
 */
static int
diffgit_ign_ignored(struct diff_ign *ig, const char *path, int isdir,
    char *cause, size_t causelen)
{
	char	*rel, *p;
	int	 ignored;

	if (ig->repo == NULL && diffgit_ign_open(ig, cause, causelen) == -1)
		return (-1);
	if (diffgit_ign_dir(ig, "", cause, causelen) == -1)
		return (-1);
	rel = xstrdup(path);
	/* Every directory above path, then path itself if a directory. */
	for (p = rel; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (diffgit_ign_dir(ig, rel, cause, causelen) == -1) {
			free(rel);
			return (-1);
		}
		*p = '/';
	}
	/* libgit2 stats the path in the scratch tree to see a directory. */
	if (isdir && diffgit_ign_dir(ig, rel, cause, causelen) == -1) {
		free(rel);
		return (-1);
	}
	free(rel);
	if (ig->full)
		return (0);
	if (git_ignore_path_is_ignored(&ignored, ig->repo, path) < 0) {
		CAUSE("ignore rules of '%s': %s", path, diffgit_error());
		return (-1);
	}
	return (ignored != 0);
}

/* Count the added file (or symlink) name in dirfd as rel into a. */
static int
diffgit_walk_file(struct diff_acc *a, int dirfd, const char *name,
    const char *rel, const struct stat *st, char *cause, size_t causelen)
{
	git_diff_options	 opts;
	git_patch		*patch = NULL;
	char			*buf;
	size_t			 len = 0, ctx, add = 0, del = 0;
	ssize_t			 n;
	int			 fd, binary = 0;

	if (S_ISLNK(st->st_mode)) {
		buf = xmalloc(PATH_MAX);
		if ((n = readlinkat(dirfd, name, buf, PATH_MAX)) == -1) {
			CAUSE("'%s': %s", rel, strerror(errno));
			free(buf);
			return (-1);
		}
		len = (size_t)n;
	} else if (st->st_size > DIFF_WALK_FILE) {
		diffgit_acc_add(a, rel, "added", 0, 0, 1, NULL);
		return (0);
	} else {
		if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC)) == -1) {
			CAUSE("'%s': %s", rel, strerror(errno));
			return (-1);
		}
		buf = xmalloc((size_t)st->st_size + 1);
		/* It may shrink as it is read; what was read is counted. */
		while (len < (size_t)st->st_size) {
			n = read(fd, buf + len, (size_t)st->st_size - len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				CAUSE("'%s': %s", rel, strerror(errno));
				close(fd);
				free(buf);
				return (-1);
			}
			if (n == 0)
				break;
			len += (size_t)n;
		}
		close(fd);
	}
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	if (git_patch_from_buffers(&patch, NULL, 0, NULL, buf, len, rel,
	    &opts) < 0) {
		CAUSE("diff of '%s': %s", rel, diffgit_error());
		free(buf);
		return (-1);
	}
	binary = (git_patch_get_delta(patch)->flags &
	    GIT_DIFF_FLAG_BINARY) != 0;
	if (!binary)
		git_patch_line_stats(&ctx, &add, &del, patch);
	git_patch_free(patch);
	free(buf);
	diffgit_acc_add(a, rel, "added", add, 0, binary, NULL);
	return (0);
}

/* strcmp for qsort over char *. */
static int
diffgit_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char * const *)a, *(char * const *)b));
}

/*
 * Count what the directory at fd (rel, no trailing slash) holds into a:
 * like an untracked directory, files by name order, symlinks as links
 * (never followed), entries the start rules ignore left out. fd is
 * closed. -1 with a cause.
 */
static int
diffgit_walk(struct diff_ign *ig, struct diff_acc *a, int fd, const char *rel,
    int depth, char *cause, size_t causelen)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		**names = NULL, *sub;
	size_t		 i, n = 0, cap = 0;
	int		 rv = 0, r, cfd;

	if (depth >= DIFF_WALK_DEPTH) {
		sub = xasprintf("%s/", rel);
		diffgit_acc_add(a, sub, "added", 0, 0, 0, NULL);
		free(sub);
		close(fd);
		return (0);
	}
	if ((d = fdopendir(fd)) == NULL) {
		CAUSE("'%s': %s", rel, strerror(errno));
		close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 0)
		qsort(names, n, sizeof *names, diffgit_name_cmp);
	for (i = 0; i < n && rv == 0; i++) {
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* gone since */
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
		    !S_ISLNK(st.st_mode))
			continue;	/* as libgit2: no fifos, sockets, … */
		sub = xasprintf("%s/%s", rel, names[i]);
		if ((r = diffgit_ign_ignored(ig, sub, S_ISDIR(st.st_mode), cause,
		    causelen)) == -1)
			rv = -1;
		else if (r == 0 && S_ISDIR(st.st_mode)) {
			if ((cfd = openat(dirfd(d), names[i], O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
				CAUSE("'%s': %s", sub, strerror(errno));
				rv = -1;
			} else
				rv = diffgit_walk(ig, a, cfd, sub, depth + 1,
				    cause, causelen);
		} else if (r == 0)
			rv = diffgit_walk_file(a, dirfd(d), names[i], sub, &st,
			    cause, causelen);
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return (rv);
}

/*
 * An entry the diff calls ignored (path, a directory if it ends in '/'):
 * left out if the start commit's rules ignore it, else counted as
 * untracked. The entry is opened one component at a time, no symlink
 * followed. -1 with a cause.
 */
static int
diffgit_ignored(struct diff_ign *ig, struct diff_acc *a, const char *path,
    char *cause, size_t causelen)
{
	struct stat	 st;
	char		*rel, *name;
	size_t		 len;
	int		 fd, nfd, r;

	rel = xstrdup(path);
	len = strlen(rel);
	while (len > 0 && rel[len - 1] == '/')
		rel[--len] = '\0';
	if ((name = strrchr(rel, '/')) != NULL)
		*name++ = '\0';
	else
		name = rel;
	/* The entry's directory; gone or swapped since, it is not there. */
	if (len == 0 || (fd = dir_open_beneath(ig->workdir, name == rel ? "" :
	    rel, O_RDONLY)) == -1) {
		free(rel);
		return (0);
	}
	if (name != rel)
		name[-1] = '/';
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode))) {
		close(fd);
		free(rel);
		return (0);
	}
	if ((r = diffgit_ign_ignored(ig, rel, S_ISDIR(st.st_mode), cause,
	    causelen)) != 0) {
		close(fd);
		free(rel);
		return (r == 1 ? 0 : -1);
	}
	if (S_ISDIR(st.st_mode)) {
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1) {
			CAUSE("'%s': %s", rel, strerror(errno));
			r = -1;
		} else
			r = diffgit_walk(ig, a, nfd, rel, 0, cause, causelen);
	} else
		r = diffgit_walk_file(a, fd, name, rel, &st, cause, causelen);
	close(fd);
	free(rel);
	return (r);
}

/* strcmp for bsearch of a key among char *. */
static int
diffgit_key_cmp(const void *key, const void *elem)
{
	return (strcmp(key, *(char * const *)elem));
}

/*
 * The files libgit2 skips without a delta: without
 * GIT_DIFF_RECURSE_IGNORED_DIRS it passes over every ignored file whose
 * directory it entered although that directory is ignored too. It enters
 * only the top and the directories holding tracked files (an ignored
 * directory it did not enter is one ignored delta), so '*' appended to
 * the top .gitignore, or 'src/' naming a tracked directory, would hide
 * new files there. Those directories are read here: every file or
 * symlink in one that is neither tracked nor in a delta is such a file,
 * and is judged like an ignored delta. -1 with a cause.
 */
static int
diffgit_skipped(struct diff_ign *ig, git_repository *repo, git_diff *diff,
    struct diff_acc *a, char *cause, size_t causelen)
{
	const git_index_entry	*ie;
	const git_diff_delta	*d;
	git_index		*idx = NULL;
	DIR			*dp;
	struct dirent		*de;
	struct stat		 st;
	char			**seen = NULL, **dirs = NULL, *p, *sub;
	size_t			 i, nseen = 0, ndirs = 0, cap, n;
	int			 fd, r, rv = -1;

	if (git_repository_index(&idx, repo) < 0) {
		CAUSE("index: %s", diffgit_error());
		return (-1);
	}
	n = git_diff_num_deltas(diff);
	seen = xcalloc(2 * n + 1, sizeof *seen);
	for (i = 0; i < n; i++) {
		d = git_diff_get_delta(diff, i);
		seen[nseen++] = (char *)d->new_file.path;
		if (strcmp(d->old_file.path, d->new_file.path) != 0)
			seen[nseen++] = (char *)d->old_file.path;
	}
	qsort(seen, nseen, sizeof *seen, diffgit_name_cmp);
	/* The top and every directory above a tracked file. */
	cap = 16;
	dirs = xcalloc(cap, sizeof *dirs);
	dirs[ndirs++] = xstrdup("");
	for (i = 0; (ie = git_index_get_byindex(idx, i)) != NULL; i++) {
		p = xstrdup(ie->path);
		while ((sub = strrchr(p, '/')) != NULL) {
			*sub = '\0';
			if (strcmp(dirs[ndirs - 1], p) == 0)
				break;
			if (ndirs == cap) {
				cap *= 2;
				dirs = xrealloc(dirs, cap * sizeof *dirs);
			}
			dirs[ndirs++] = xstrdup(p);
		}
		free(p);
	}
	qsort(dirs, ndirs, sizeof *dirs, diffgit_name_cmp);
	for (i = 0; i < ndirs; i++) {
		if (i > 0 && strcmp(dirs[i], dirs[i - 1]) == 0)
			continue;
		if ((fd = dir_open_beneath(ig->workdir, dirs[i], O_RDONLY)) ==
		    -1)
			continue;	/* gone, or a symlink now */
		if ((dp = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while ((de = readdir(dp)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (fstatat(dirfd(dp), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 ||
			    (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)))
				continue;
			sub = xasprintf("%s%s%s", dirs[i], *dirs[i] != '\0' ?
			    "/" : "", de->d_name);
			r = 0;
			if (git_index_get_bypath(idx, sub, 0) == NULL &&
			    bsearch(sub, seen, nseen, sizeof *seen,
			    diffgit_key_cmp) == NULL &&
			    (r = diffgit_ign_ignored(ig, sub, 0, cause,
			    causelen)) == 0)
				r = diffgit_walk_file(a, dirfd(dp), de->d_name,
				    sub, &st, cause, causelen);
			free(sub);
			if (r == -1) {
				closedir(dp);
				goto out;
			}
		}
		closedir(dp);
	}
	rv = 0;
out:
	for (i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	free(seen);
	git_index_free(idx);
	return (rv);
}

/*
 * Add the summary of every delta to ev. The totals count every delta;
 * files[] stops growing at EVENT_DIFF_FILES_MAX bytes of JSON. Ignored
 * entries go through diffgit_ignored.
 */
static int
diffgit_collect(git_repository *repo, git_diff *diff, struct diff_ign *ig,
    struct json_object *ev, char *cause, size_t causelen)
{
	const git_diff_delta	*d;
	struct diff_acc		 a;
	git_patch		*patch;
	const char		*status;
	size_t			 i, n, ctx, add, del;
	int			 binary;

	memset(&a, 0, sizeof a);
	a.used = 2;
	a.files = json_object_new_array();
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n; i++) {
		d = git_diff_get_delta(diff, i);
		if (d->status == GIT_DELTA_IGNORED) {
			if (diffgit_ignored(ig, &a, d->new_file.path, cause,
			    causelen) == -1) {
				json_object_put(a.files);
				return (-1);
			}
			continue;
		}
		if ((status = diffgit_status(d->status)) == NULL)
			continue;
		if (git_patch_from_diff(&patch, diff, i) < 0) {
			CAUSE("diff of '%s': %s", d->new_file.path,
			    diffgit_error());
			json_object_put(a.files);
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
		diffgit_acc_add(&a, d->status == GIT_DELTA_DELETED ?
		    d->old_file.path : d->new_file.path, status, add, del,
		    binary, d->status == GIT_DELTA_RENAMED ?
		    d->old_file.path : NULL);
	}
	if (diffgit_skipped(ig, repo, diff, &a, cause, causelen) == -1) {
		json_object_put(a.files);
		return (-1);
	}
	if (a.omitted > 0) {
		json_object_object_add(ev, "truncated",
		    json_object_new_boolean(1));
		json_object_object_add(ev, "filesOmitted",
		    json_object_new_int64((int64_t)a.omitted));
	}
	json_object_object_add(ev, "filesChanged",
	    json_object_new_int64((int64_t)a.changed));
	json_object_object_add(ev, "linesAdded",
	    json_object_new_int64((int64_t)a.adds));
	json_object_object_add(ev, "linesRemoved",
	    json_object_new_int64((int64_t)a.dels));
	json_object_object_add(ev, "files", a.files);
	return (0);
}

/*
 * Diff the work tree at dir against the commit commit_hex into ev, with
 * the repository at gitdir (a real directory) and its index: -1 with a
 * cause. The work tree is dir whatever core.worktree or a gitdir: file
 * says, and no global, XDG or system configuration is read. Ignored
 * entries are judged in scratch by the start commit's rules, and by
 * gitdir's info/exclude and config only if trusted.
 */
static int
diffgit_compute(const char *gitdir, int trusted, const char *scratch,
    const char *dir, const char *commit_hex, struct json_object *ev,
    char *cause, size_t causelen)
{
	struct diff_ign		 ig;
	git_diff_options	 opts;
	git_diff_find_options	 find;
	git_repository		*repo = NULL;
	git_commit		*commit = NULL;
	git_tree		*tree = NULL;
	git_diff		*diff = NULL;
	git_oid			 oid;
	int			 rv = -1;

	git_libgit2_init();
	(void)git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM,
	    "");
	(void)git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG,
	    "");
	(void)git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL,
	    "");
	(void)git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH,
	    GIT_CONFIG_LEVEL_PROGRAMDATA, "");
	/* The worker made it; as the sandbox uid or root, it is ours. */
	(void)git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (git_repository_open_bare(&repo, gitdir) < 0 ||
	    git_repository_set_workdir(repo, dir, 0) < 0) {
		CAUSE("workspace '%s': %s", dir, diffgit_error());
		goto out;
	}
	if (git_oid_fromstr(&oid, commit_hex) < 0 ||
	    git_commit_lookup(&commit, repo, &oid) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		CAUSE("start commit '%s': %s", commit_hex, diffgit_error());
		goto out;
	}
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	/* Ignored directories stay one entry each: see diff_ign. */
	opts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_INCLUDE_IGNORED |
	    GIT_DIFF_RECURSE_UNTRACKED_DIRS | GIT_DIFF_SHOW_UNTRACKED_CONTENT;
	if (git_diff_tree_to_workdir_with_index(&diff, repo, tree,
	    &opts) < 0) {
		CAUSE("diff: %s", diffgit_error());
		goto out;
	}
	git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
	/* An untracked file can be where a tracked one was moved to. */
	find.flags = GIT_DIFF_FIND_RENAMES | GIT_DIFF_FIND_FOR_UNTRACKED;
	if (git_diff_find_similar(diff, &find) < 0) {
		CAUSE("diff renames: %s", diffgit_error());
		goto out;
	}
	memset(&ig, 0, sizeof ig);
	ig.scratch = scratch;
	ig.gitdir = trusted ? gitdir : NULL;
	ig.workdir = dir;
	ig.tree = tree;
	rv = diffgit_collect(repo, diff, &ig, ev, cause, causelen);
	git_repository_free(ig.repo);
	free(ig.root);
out:
	git_diff_free(diff);
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return (rv);
}

/* diffgit_compute with the workspace's own repository, dir/.git. */
static int
diffgit_compute_own(const char *scratch, const char *dir, const char *commit_hex,
    struct json_object *ev, char *cause, size_t causelen)
{
	struct stat	 st;
	char		*gitdir;
	int		 rv;

	gitdir = xasprintf("%s/.git", dir);
	if (lstat(gitdir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		CAUSE("workspace '%s': .git is not a directory", dir);
		free(gitdir);
		return (-1);
	}
	rv = diffgit_compute(gitdir, 0, scratch, dir, commit_hex, ev, cause,
	    causelen);
	free(gitdir);
	return (rv);
}

/*
 * The diff of dir, from the pristine repository when there is one: the
 * start tree and the index of the cached checkout the overlay shows, which
 * nothing the agent writes into its .git (objects overwritten, an index
 * that lies about stat data, info/exclude) can change. Failing that, the
 * workspace's own .git. ev holds only what the one that worked added.
 */
int
diffgit_compute_any(const char *pristine, const char *scratch, const char *dir,
    const char *commit_hex, struct json_object *ev, char *cause,
    size_t causelen)
{
	struct stat	 st;
	char		 first[512], second[512];

	if (pristine != NULL) {
		if (lstat(pristine, &st) == -1 || !S_ISDIR(st.st_mode))
			snprintf(first, sizeof first, "'%s' is not a directory",
			    pristine);
		else if (diffgit_compute(pristine, 1, scratch, dir, commit_hex,
		    ev, first, sizeof first) == 0)
			return (0);
		/* diffgit_collect adds its fields only once it succeeds. */
		if (diffgit_compute_own(scratch, dir, commit_hex, ev, cause,
		    causelen) == 0)
			return (0);
		/* Both failed: say why of both. */
		snprintf(second, sizeof second, "%.500s", cause);
		CAUSE("%.500s (the cached checkout's repository: %.400s)",
		    second, first);
		return (-1);
	}
	return (diffgit_compute_own(scratch, dir, commit_hex, ev, cause,
	    causelen));
}
