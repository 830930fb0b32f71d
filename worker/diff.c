/* What the session changed: a libgit2 diff of the workspace. */
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

#include "diff.h"
#include "event.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

/* The child's answer: the summary with its files cut, and some slack. */
#define DIFF_OUT_MAX	(EVENT_DIFF_FILES_MAX + 64 * 1024)
/* Where the workspace is in the child's private view. */
#define DIFF_VIEW_DIR	"/w"
/* Where the cached checkout's .git is in it (overlay mode). */
#define DIFF_PRISTINE_DIR	"/g"
/* The scratch tmpfs for the start commit's ignore rules (see diff_ign). */
#define DIFF_SCRATCH_DIR	"/s"
#define DIFF_SCRATCH_OPTS	"mode=0700,size=8m,nr_inodes=%d,uid=%ld,gid=%ld"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* libgit2's last error message, or a fallback. */
static const char *
diff_git_error(void)
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
diff_status(git_delta_t s)
{
	if ((size_t)s >= nitems(diff_statuses))
		return (NULL);
	return (diff_statuses[s]);
}

/* A path as a JSON string, made valid UTF-8 (the channel carries no other). */
static struct json_object *
diff_path(const char *path)
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
diff_acc_add(struct diff_acc *a, const char *path, const char *status,
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
	json_object_object_add(f, "path", diff_path(path));
	json_object_object_add(f, "status", json_object_new_string(status));
	json_object_object_add(f, "additions",
	    json_object_new_int64((int64_t)add));
	json_object_object_add(f, "deletions",
	    json_object_new_int64((int64_t)del));
	if (oldpath != NULL)
		json_object_object_add(f, "oldPath", diff_path(oldpath));
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
#define DIFF_IGN_DIRS	65536			/* scratch directories */
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
diff_ign_open(struct diff_ign *ig, char *cause, size_t causelen)
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
		CAUSE("ignore rules: %s", diff_git_error());
		goto fail;
	}
	if (git_repository_set_workdir(ig->repo, ig->root, 0) < 0) {
		CAUSE("ignore rules: %s", diff_git_error());
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
diff_ign_dir(struct diff_ign *ig, const char *rel, char *cause,
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
		CAUSE("start tree's '%s': %s", gi, diff_git_error());
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
diff_ign_ignored(struct diff_ign *ig, const char *path, int isdir,
    char *cause, size_t causelen)
{
	char	*rel, *p;
	int	 ignored;

	if (ig->repo == NULL && diff_ign_open(ig, cause, causelen) == -1)
		return (-1);
	if (diff_ign_dir(ig, "", cause, causelen) == -1)
		return (-1);
	rel = xstrdup(path);
	/* Every directory above path, then path itself if a directory. */
	for (p = rel; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (diff_ign_dir(ig, rel, cause, causelen) == -1) {
			free(rel);
			return (-1);
		}
		*p = '/';
	}
	/* libgit2 stats the path in the scratch tree to see a directory. */
	if (isdir && diff_ign_dir(ig, rel, cause, causelen) == -1) {
		free(rel);
		return (-1);
	}
	free(rel);
	if (ig->full)
		return (0);
	if (git_ignore_path_is_ignored(&ignored, ig->repo, path) < 0) {
		CAUSE("ignore rules of '%s': %s", path, diff_git_error());
		return (-1);
	}
	return (ignored != 0);
}

/* Count the added file (or symlink) name in dirfd as rel into a. */
static int
diff_walk_file(struct diff_acc *a, int dirfd, const char *name,
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
		diff_acc_add(a, rel, "added", 0, 0, 1, NULL);
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
		CAUSE("diff of '%s': %s", rel, diff_git_error());
		free(buf);
		return (-1);
	}
	binary = (git_patch_get_delta(patch)->flags &
	    GIT_DIFF_FLAG_BINARY) != 0;
	if (!binary)
		git_patch_line_stats(&ctx, &add, &del, patch);
	git_patch_free(patch);
	free(buf);
	diff_acc_add(a, rel, "added", add, 0, binary, NULL);
	return (0);
}

/* strcmp for qsort over char *. */
static int
diff_name_cmp(const void *a, const void *b)
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
diff_walk(struct diff_ign *ig, struct diff_acc *a, int fd, const char *rel,
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
		diff_acc_add(a, sub, "added", 0, 0, 0, NULL);
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
		qsort(names, n, sizeof *names, diff_name_cmp);
	for (i = 0; i < n && rv == 0; i++) {
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* gone since */
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
		    !S_ISLNK(st.st_mode))
			continue;	/* as libgit2: no fifos, sockets, … */
		sub = xasprintf("%s/%s", rel, names[i]);
		if ((r = diff_ign_ignored(ig, sub, S_ISDIR(st.st_mode), cause,
		    causelen)) == -1)
			rv = -1;
		else if (r == 0 && S_ISDIR(st.st_mode)) {
			if ((cfd = openat(dirfd(d), names[i], O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
				CAUSE("'%s': %s", sub, strerror(errno));
				rv = -1;
			} else
				rv = diff_walk(ig, a, cfd, sub, depth + 1,
				    cause, causelen);
		} else if (r == 0)
			rv = diff_walk_file(a, dirfd(d), names[i], sub, &st,
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
diff_ignored(struct diff_ign *ig, struct diff_acc *a, const char *path,
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
	if ((r = diff_ign_ignored(ig, rel, S_ISDIR(st.st_mode), cause,
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
			r = diff_walk(ig, a, nfd, rel, 0, cause, causelen);
	} else
		r = diff_walk_file(a, fd, name, rel, &st, cause, causelen);
	close(fd);
	free(rel);
	return (r);
}

/* strcmp for bsearch of a key among char *. */
static int
diff_key_cmp(const void *key, const void *elem)
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
diff_skipped(struct diff_ign *ig, git_repository *repo, git_diff *diff,
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
		CAUSE("index: %s", diff_git_error());
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
	qsort(seen, nseen, sizeof *seen, diff_name_cmp);
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
	qsort(dirs, ndirs, sizeof *dirs, diff_name_cmp);
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
			    diff_key_cmp) == NULL &&
			    (r = diff_ign_ignored(ig, sub, 0, cause,
			    causelen)) == 0)
				r = diff_walk_file(a, dirfd(dp), de->d_name,
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
 * entries go through diff_ignored.
 */
static int
diff_collect(git_repository *repo, git_diff *diff, struct diff_ign *ig,
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
			if (diff_ignored(ig, &a, d->new_file.path, cause,
			    causelen) == -1) {
				json_object_put(a.files);
				return (-1);
			}
			continue;
		}
		if ((status = diff_status(d->status)) == NULL)
			continue;
		if (git_patch_from_diff(&patch, diff, i) < 0) {
			CAUSE("diff of '%s': %s", d->new_file.path,
			    diff_git_error());
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
		diff_acc_add(&a, d->status == GIT_DELTA_DELETED ?
		    d->old_file.path : d->new_file.path, status, add, del,
		    binary, d->status == GIT_DELTA_RENAMED ?
		    d->old_file.path : NULL);
	}
	if (diff_skipped(ig, repo, diff, &a, cause, causelen) == -1) {
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
diff_compute(const char *gitdir, int trusted, const char *scratch,
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
	/* Ignored directories stay one entry each: see diff_ign. */
	opts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_INCLUDE_IGNORED |
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
	memset(&ig, 0, sizeof ig);
	ig.scratch = scratch;
	ig.gitdir = trusted ? gitdir : NULL;
	ig.workdir = dir;
	ig.tree = tree;
	rv = diff_collect(repo, diff, &ig, ev, cause, causelen);
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

/* diff_compute with the workspace's own repository, dir/.git. */
static int
diff_compute_own(const char *scratch, const char *dir, const char *commit_hex,
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
	rv = diff_compute(gitdir, 0, scratch, dir, commit_hex, ev, cause,
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
static int
diff_compute_any(const char *pristine, const char *scratch, const char *dir,
    const char *commit_hex, struct json_object *ev, char *cause,
    size_t causelen)
{
	struct stat	 st;
	char		 first[512], second[512];

	if (pristine != NULL) {
		if (lstat(pristine, &st) == -1 || !S_ISDIR(st.st_mode))
			snprintf(first, sizeof first, "'%s' is not a directory",
			    pristine);
		else if (diff_compute(pristine, 1, scratch, dir, commit_hex,
		    ev, first, sizeof first) == 0)
			return (0);
		/* diff_collect adds its fields only once it succeeds. */
		if (diff_compute_own(scratch, dir, commit_hex, ev, cause,
		    causelen) == 0)
			return (0);
		/* Both failed: say why of both. */
		snprintf(second, sizeof second, "%.500s", cause);
		CAUSE("%.500s (the cached checkout's repository: %.400s)",
		    second, first);
		return (-1);
	}
	return (diff_compute_own(scratch, dir, commit_hex, ev, cause,
	    causelen));
}

/* In the child: bind the directory open at fd read-only at path. */
static int
diff_bind(int fd, const char *path)
{
	char	src[64];

	snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
	if (mkdir(path, 0755) == -1 ||
	    mount(src, path, NULL, MS_BIND, NULL) == -1 ||
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		return (-1);
	return (0);
}

/*
 * In the child: a mount namespace of its own whose root is a fresh tmpfs
 * holding only the workspace, bound read-only at DIFF_VIEW_DIR, and the
 * pristine repository if there is one at DIFF_PRISTINE_DIR (*pristinep
 * is then set to it, else NULL; why says why not), and a writable
 * scratch tmpfs owned by uid:gid at DIFF_SCRATCH_DIR. The old root is
 * detached, so no path — absolute, relative, or through a symlink the
 * agent planted — names anything else. *procfdp is /proc/self, opened
 * before: the user namespace's maps are written through it.
 */
static int
diff_view(const char *dir, const char *pristine, const char **pristinep,
    uid_t uid, gid_t gid, int *procfdp, char *why, size_t whylen, char *cause,
    size_t causelen)
{
	char	opts[128];
	int	wfd, gfd = -1;

	*pristinep = NULL;
	if (unshare(CLONE_NEWNS) == -1) {
		CAUSE("unshare: %s", strerror(errno));
		return (-1);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		CAUSE("making / private: %s", strerror(errno));
		return (-1);
	}
	/* Opened in the new namespace: a bind takes a mount of its own. */
	if ((wfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		CAUSE("workspace '%s': %s", dir, strerror(errno));
		return (-1);
	}
	if (pristine != NULL && (gfd = open(pristine, O_PATH | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		snprintf(why, whylen, "'%s': %s", pristine, strerror(errno));
	*procfdp = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* The new root: over this namespace's /tmp, gone with the old root. */
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "mode=0755,size=16k") == -1) {
		CAUSE("tmpfs: %s", strerror(errno));
		goto fail;
	}
	if (diff_bind(wfd, "/tmp" DIFF_VIEW_DIR) == -1) {
		CAUSE("binding the workspace: %s", strerror(errno));
		goto fail;
	}
	if (gfd != -1 && diff_bind(gfd, "/tmp" DIFF_PRISTINE_DIR) == -1)
		snprintf(why, whylen, "binding '%s': %s", pristine,
		    strerror(errno));
	else if (gfd != -1)
		*pristinep = DIFF_PRISTINE_DIR;
	close(wfd);
	wfd = -1;
	if (gfd != -1)
		close(gfd);
	gfd = -1;
	snprintf(opts, sizeof opts, DIFF_SCRATCH_OPTS, DIFF_IGN_DIRS + 1024,
	    (long)uid, (long)gid);
	if (mkdir("/tmp" DIFF_SCRATCH_DIR, 0700) == -1 ||
	    mount("tmpfs", "/tmp" DIFF_SCRATCH_DIR, "tmpfs", MS_NOSUID |
	    MS_NODEV | MS_NOEXEC, opts) == -1) {
		CAUSE("scratch tmpfs: %s", strerror(errno));
		return (-1);
	}
	if (chdir("/tmp") == -1 || syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1) {
		CAUSE("pivot_root: %s", strerror(errno));
		return (-1);
	}
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1) {
		CAUSE("read-only root: %s", strerror(errno));
		return (-1);
	}
	return (0);
fail:
	if (wfd != -1)
		close(wfd);
	if (gfd != -1)
		close(gfd);
	return (-1);
}

/* In the child: become the sandbox's uid and gid, for good. */
static int
diff_drop(uid_t uid, gid_t gid, char *cause, size_t causelen)
{
	if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		CAUSE("dropping to %ld:%ld: %s", (long)uid, (long)gid,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* In the child: write text to the file name of the /proc/self at procfd. */
static int
diff_proc_write(int procfd, const char *name, const char *text, char *why,
    size_t whylen)
{
	ssize_t	n;
	int	fd;

	if ((fd = openat(procfd, name, O_WRONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", name, strerror(errno));
		return (-1);
	}
	n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text)) {
		snprintf(why, whylen, "%s: %s", name, n == -1 ?
		    strerror(errno) : "short write");
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/*
 * In the child, as the sandbox uid: a user namespace in which that uid
 * (and gid) alone is mapped, to 0. The child then holds CAP_DAC_OVERRIDE
 * and CAP_DAC_READ_SEARCH in it — only those — which the kernel honours
 * only on inodes whose owner and group are mapped: the agent's own files,
 * so a directory it made mode 000 is diffed all the same, and nothing
 * else is reachable (no capability in the initial namespace, so no
 * open_by_handle_at either). -1 with why if the kernel will not: the
 * child goes on as the plain sandbox uid.
 */
static int
diff_userns(int procfd, uid_t uid, gid_t gid, char *why, size_t whylen)
{
	struct __user_cap_header_struct	 hdr = { _LINUX_CAPABILITY_VERSION_3,
					    0 };
	struct __user_cap_data_struct	 data[2];
	char				 map[64];
	int				 cap;

	if (procfd == -1) {
		snprintf(why, whylen, "/proc/self: not open");
		return (-1);
	}
	/* setresuid made us undumpable: /proc/self is root's until this. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == -1 ||
	    unshare(CLONE_NEWUSER) == -1) {
		snprintf(why, whylen, "unshare(CLONE_NEWUSER): %s",
		    strerror(errno));
		return (-1);
	}
	if (diff_proc_write(procfd, "setgroups", "deny", why, whylen) == -1)
		return (-1);
	snprintf(map, sizeof map, "0 %ld 1\n", (long)uid);
	if (diff_proc_write(procfd, "uid_map", map, why, whylen) == -1)
		return (-1);
	snprintf(map, sizeof map, "0 %ld 1\n", (long)gid);
	if (diff_proc_write(procfd, "gid_map", map, why, whylen) == -1)
		return (-1);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (cap != CAP_DAC_OVERRIDE && cap != CAP_DAC_READ_SEARCH)
			(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	memset(data, 0, sizeof data);
	data[0].effective = data[0].permitted = (1U << CAP_DAC_OVERRIDE) |
	    (1U << CAP_DAC_READ_SEARCH);
	if (syscall(SYS_capset, &hdr, data) == -1) {
		snprintf(why, whylen, "capset: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/* Write all of buf to fd; the reader may be gone. */
static void
diff_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * The child: view, uid, diff, and the answer as one JSON object on fd:
 * the DIFF_SUMMARY fields or {error}, with "userns" or "pristine" saying
 * why the child went without them.
 *
 * With the sandbox off the workspace is root's, as is the agent: the
 * child stays root in its private view, which holds nothing but the
 * workspace (and the pristine repository) to read, and no user namespace
 * would keep from the agent what it already has.
 */
static void __attribute__((noreturn))
diff_child(int fd, const char *dir, const char *commit,
    const struct diff_opts *o)
{
	struct json_object	*ev;
	const char		*s, *pristine = o->pristine;
	const char		*scratch = DIFF_SCRATCH_DIR;
	char			 cause[1024], uwhy[256] = "", pwhy[512] = "";
	char			 tmpl[64] = "";
	size_t			 len;
	int			 rv = 0, procfd = -1;

	signal(SIGPIPE, SIG_DFL);
	if (fd != 3) {
		if (dup2(fd, 3) == -1)
			_exit(2);
		fd = 3;
	}
	close_from(4);
	ev = json_object_new_object();
	if (o->isolate) {
		rv = diff_view(dir, o->pristine, &pristine, o->drop ? o->uid :
		    0, o->drop ? o->gid : 0, &procfd, pwhy, sizeof pwhy, cause,
		    sizeof cause);
		dir = DIFF_VIEW_DIR;
	} else {
		/* Not isolated: a private directory, removed before exit. */
		snprintf(tmpl, sizeof tmpl, "/tmp/runnerd-diff.XXXXXX");
		if ((scratch = mkdtemp(tmpl)) == NULL) {
			snprintf(cause, sizeof cause, "scratch: %s",
			    strerror(errno));
			tmpl[0] = '\0';
			rv = -1;
		} else if (o->drop && chown(scratch, o->uid, o->gid) == -1) {
			snprintf(cause, sizeof cause, "scratch: %s",
			    strerror(errno));
			rv = -1;
		}
	}
	if (rv == 0 && o->drop) {
		rv = diff_drop(o->uid, o->gid, cause, sizeof cause);
		if (rv == 0)
			(void)diff_userns(procfd, o->uid, o->gid, uwhy,
			    sizeof uwhy);
	}
	if (procfd != -1)
		close(procfd);
	if (rv == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(cause, sizeof cause, "no_new_privs: %s",
		    strerror(errno));
		rv = -1;
	}
	if (rv == 0)
		rv = diff_compute_any(pristine, scratch, dir, commit, ev,
		    cause, sizeof cause);
	if (tmpl[0] != '\0')
		(void)rm_rf(tmpl);
	if (rv == -1) {
		json_object_put(ev);
		ev = json_object_new_object();
		json_object_object_add(ev, "error", diff_path(cause));
	}
	if (uwhy[0] != '\0')
		json_object_object_add(ev, "userns", diff_path(uwhy));
	if (pwhy[0] != '\0')
		json_object_object_add(ev, "pristine", diff_path(pwhy));
	s = json_object_to_json_string_length(ev, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	diff_write_all(fd, s, len);
	_exit(rv == 0 ? 0 : 1);
}

/* Read the child's answer until EOF, the limit or the deadline. */
static int
diff_read(int fd, struct evbuffer *out, int64_t timeout_ms, char *cause,
    size_t causelen)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		buf[16384];
	int64_t		deadline = mono_ms() + timeout_ms, left;
	ssize_t		n;
	int		r;

	for (;;) {
		if ((left = deadline - mono_ms()) <= 0) {
			CAUSE("diff took longer than %lld ms",
			    (long long)timeout_ms);
			return (-1);
		}
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			CAUSE("poll: %s", strerror(errno));
			return (-1);
		}
		if (r == 0)
			continue;
		n = read(fd, buf, sizeof buf);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			CAUSE("read: %s", strerror(errno));
			return (-1);
		}
		if (n == 0)
			return (0);
		if (evbuffer_get_length(out) + (size_t)n > DIFF_OUT_MAX) {
			CAUSE("diff answer over %d bytes", DIFF_OUT_MAX);
			return (-1);
		}
		evbuffer_add(out, buf, (size_t)n);
	}
}

/* A non-negative integer field of o, or -1. */
static int64_t
diff_count(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return (-1);
	return (json_object_get_int64(v));
}

/*
 * Log, once per process and kind, why a child went without its user
 * namespace or the pristine repository: the diff goes on (and may fail,
 * and then says so) without.
 */
static void
diff_note(struct json_object *o)
{
	static const struct {
		const char	*key;
		const char	*what;
		const char	*then;
	} notes[] = {
		{ "userns", "no user namespace", "files of the agent's that "
		    "it cannot read itself make the diff fail" },
		{ "pristine", "without the cached checkout's repository",
		    "the workspace's own .git is used" }
	};
	static int		 said[nitems(notes)];
	struct json_object	*v;
	size_t			 i;

	for (i = 0; i < nitems(notes); i++) {
		if (said[i] || !json_object_object_get_ex(o, notes[i].key,
		    &v) || !json_object_is_type(v, json_type_string))
			continue;
		said[i] = 1;
		log_warnx("diff: %s (%s): %s", notes[i].what,
		    json_object_get_string(v), notes[i].then);
	}
}

/*
 * Take the child's answer into ev. It ran libgit2 over what the agent
 * wrote, so it is checked like any outside input.
 */
int
diff_answer_parse(const char *buf, size_t len, struct json_object *ev,
    char *cause, size_t causelen)
{
	static const char	*totals[] = { "filesChanged", "linesAdded",
				    "linesRemoved" };
	struct json_tokener	*tok;
	struct json_object	*o, *v, *files, *f;
	size_t			 i;
	int64_t			 n;

	if (len == 0) {
		CAUSE("the diff child gave no answer");
		return (-1);
	}
	if (len > DIFF_OUT_MAX) {
		CAUSE("diff answer over %d bytes", DIFF_OUT_MAX);
		return (-1);
	}
	if ((tok = json_tokener_new()) == NULL)
		fatalx("json_tokener_new");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_tokener_free(tok);
		json_object_put(o);
		CAUSE("the diff child's answer is not a JSON object");
		return (-1);
	}
	json_tokener_free(tok);
	diff_note(o);
	if (json_object_object_get_ex(o, "error", &v)) {
		CAUSE("%s", json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "the diff failed");
		json_object_put(o);
		return (-1);
	}
	if (!json_object_object_get_ex(o, "files", &files) ||
	    !json_object_is_type(files, json_type_array))
		goto bad;
	for (i = 0; i < json_object_array_length(files); i++) {
		f = json_object_array_get_idx(files, i);
		if (!json_object_is_type(f, json_type_object) ||
		    !json_object_object_get_ex(f, "path", &v) ||
		    !json_object_is_type(v, json_type_string))
			goto bad;
	}
	for (i = 0; i < nitems(totals); i++)
		if (diff_count(o, totals[i]) == -1)
			goto bad;
	if (json_object_object_get_ex(o, "filesOmitted", &v) &&
	    diff_count(o, "filesOmitted") == -1)
		goto bad;
	for (i = 0; i < nitems(totals); i++)
		json_object_object_add(ev, totals[i],
		    json_object_new_int64(diff_count(o, totals[i])));
	if ((n = diff_count(o, "filesOmitted")) > 0) {
		json_object_object_add(ev, "truncated",
		    json_object_new_boolean(1));
		json_object_object_add(ev, "filesOmitted",
		    json_object_new_int64(n));
	}
	/* ev holds files too, until o goes. */
	json_object_object_add(ev, "files", json_object_get(files));
	event_diff_trim(ev, EVENT_DIFF_FILES_MAX);
	json_object_put(o);
	return (0);
bad:
	json_object_put(o);
	CAUSE("the diff child's answer is malformed");
	return (-1);
}

/* Fork the diff child; its answer comes on *fdp. -1 with a cause. */
static pid_t
diff_spawn(const char *dir, const char *commit_hex,
    const struct diff_opts *opts, int *fdp, char *cause, size_t causelen)
{
	pid_t	pid;
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		CAUSE("pipe: %s", strerror(errno));
		return (-1);
	}
	if ((pid = fork()) == -1) {
		CAUSE("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	}
	if (pid == 0) {
		close(p[0]);
		diff_child(p[1], dir, commit_hex, opts);
	}
	close(p[1]);
	*fdp = p[0];
	return (pid);
}

/* The child is done or given up on: make sure it is gone, and reap it. */
static void
diff_reap(pid_t pid)
{
	int	status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
}

/* opts, or the defaults: isolated when root, no drop. */
static const struct diff_opts *
diff_defaults(const struct diff_opts *opts, struct diff_opts *def)
{
	if (opts != NULL)
		return (opts);
	memset(def, 0, sizeof *def);
	def->isolate = geteuid() == 0;
	return (def);
}

/* The timeout of opts. */
static int64_t
diff_timeout(const struct diff_opts *opts)
{
	return (opts->timeout_ms > 0 ? opts->timeout_ms : DIFF_TIMEOUT_MS);
}

/* Diff the workspace against its start commit into ev, in a child. */
int
diff_summary(const char *dir, const char *commit_hex,
    const struct diff_opts *opts, struct json_object *ev, char *cause,
    size_t causelen)
{
	struct diff_opts	 def;
	struct evbuffer		*out;
	pid_t			 pid;
	int			 fd, rv;

	opts = diff_defaults(opts, &def);
	if ((pid = diff_spawn(dir, commit_hex, opts, &fd, cause,
	    causelen)) == -1)
		return (-1);
	if ((out = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	rv = diff_read(fd, out, diff_timeout(opts), cause, causelen);
	close(fd);
	diff_reap(pid);
	if (rv == 0)
		rv = diff_answer_parse((const char *)evbuffer_pullup(out, -1),
		    evbuffer_get_length(out), ev, cause, causelen);
	evbuffer_free(out);
	return (rv);
}

struct diff_job {
	pid_t		 pid;
	int		 fd;
	struct event	*read_ev;
	struct event	*timer;
	struct evbuffer	*out;
	diff_done_cb	 done;
	void		*arg;
};

/* Free a job whose child is gone. */
static void
diff_job_free(struct diff_job *j)
{
	event_free(j->read_ev);
	event_free(j->timer);
	close(j->fd);
	evbuffer_free(j->out);
	free(j);
}

/* The job is over: reap, free, then tell (ev NULL and a cause on failure). */
static void
diff_job_end(struct diff_job *j, const char *error)
{
	struct json_object	*ev = NULL;
	char			 cause[1024];
	diff_done_cb		 done = j->done;
	void			*arg = j->arg;

	diff_reap(j->pid);
	if (error != NULL)
		snprintf(cause, sizeof cause, "%s", error);
	else {
		ev = json_object_new_object();
		if (diff_answer_parse((const char *)evbuffer_pullup(j->out,
		    -1), evbuffer_get_length(j->out), ev, cause,
		    sizeof cause) == -1) {
			json_object_put(ev);
			ev = NULL;
		}
	}
	diff_job_free(j);
	done(ev, ev == NULL ? cause : NULL, arg);
}

/* The child's answer, as it comes. */
static void
diff_job_read_cb(int fd, short events, void *arg)
{
	struct diff_job	*j = arg;
	char		 buf[16384], cause[128];
	ssize_t		 n;

	n = read(fd, buf, sizeof buf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1) {
		snprintf(cause, sizeof cause, "read: %s", strerror(errno));
		diff_job_end(j, cause);
		return;
	}
	if (n == 0) {
		diff_job_end(j, NULL);
		return;
	}
	if (evbuffer_get_length(j->out) + (size_t)n > DIFF_OUT_MAX) {
		snprintf(cause, sizeof cause, "diff answer over %d bytes",
		    DIFF_OUT_MAX);
		diff_job_end(j, cause);
		return;
	}
	evbuffer_add(j->out, buf, (size_t)n);
}

/* The child took too long. */
static void
diff_job_timeout_cb(int fd, short events, void *arg)
{
	diff_job_end(arg, "the diff took too long");
}

/* Start the diff in a child; done is called once, from the loop. */
struct diff_job *
diff_start(struct event_base *base, const char *dir, const char *commit_hex,
    const struct diff_opts *opts, diff_done_cb done, void *arg, char *cause,
    size_t causelen)
{
	struct diff_opts	 def;
	struct diff_job		*j;
	struct timeval		 tv;
	int64_t			 ms;

	opts = diff_defaults(opts, &def);
	j = xcalloc(1, sizeof *j);
	if ((j->pid = diff_spawn(dir, commit_hex, opts, &j->fd, cause,
	    causelen)) == -1) {
		free(j);
		return (NULL);
	}
	if (set_nonblock(j->fd) == -1)
		fatal("diff: set_nonblock");
	j->done = done;
	j->arg = arg;
	if ((j->out = evbuffer_new()) == NULL ||
	    (j->read_ev = event_new(base, j->fd, EV_READ | EV_PERSIST,
	    diff_job_read_cb, j)) == NULL ||
	    (j->timer = evtimer_new(base, diff_job_timeout_cb, j)) == NULL)
		fatalx("diff: event_new");
	ms = diff_timeout(opts);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (event_add(j->read_ev, NULL) == -1 || evtimer_add(j->timer,
	    &tv) == -1)
		fatalx("diff: event_add");
	return (j);
}

/* Give up on a job: the child is killed, done is not called. */
void
diff_cancel(struct diff_job *j)
{
	if (j == NULL)
		return;
	diff_reap(j->pid);
	diff_job_free(j);
}
