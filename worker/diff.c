/* What the session changed: a libgit2 diff of the workspace. */
#include "config.h"

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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

/*
 * Add the summary of every delta to ev. The totals count every delta;
 * files[] stops growing at EVENT_DIFF_FILES_MAX bytes of JSON.
 */
static int
diff_collect(git_diff *diff, struct json_object *ev, char *cause,
    size_t causelen)
{
	const git_diff_delta	*d;
	struct json_object	*files, *f;
	git_patch		*patch;
	const char		*status;
	size_t			 i, n, ctx, add, del, adds = 0, dels = 0;
	size_t			 changed = 0, omitted = 0, used = 2, len;
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
		changed++;
		adds += add;
		dels += del;
		if (omitted > 0) {
			omitted++;
			continue;
		}
		f = json_object_new_object();
		json_object_object_add(f, "path", diff_path(
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
			    diff_path(d->old_file.path));
		if (binary)
			json_object_object_add(f, "binary",
			    json_object_new_boolean(1));
		json_object_to_json_string_length(f, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (used + len + 1 > EVENT_DIFF_FILES_MAX) {
			json_object_put(f);
			omitted++;
			continue;
		}
		used += len + 1;
		json_object_array_add(files, f);
	}
	if (omitted > 0) {
		json_object_object_add(ev, "truncated",
		    json_object_new_boolean(1));
		json_object_object_add(ev, "filesOmitted",
		    json_object_new_int64((int64_t)omitted));
	}
	json_object_object_add(ev, "filesChanged",
	    json_object_new_int64((int64_t)changed));
	json_object_object_add(ev, "linesAdded",
	    json_object_new_int64((int64_t)adds));
	json_object_object_add(ev, "linesRemoved",
	    json_object_new_int64((int64_t)dels));
	json_object_object_add(ev, "files", files);
	return (0);
}

/*
 * Diff the work tree at dir against the commit commit_hex into ev, with
 * the repository at gitdir (a real directory) and its index: -1 with a
 * cause. The work tree is dir whatever core.worktree or a gitdir: file
 * says, and no global, XDG or system configuration is read.
 */
static int
diff_compute(const char *gitdir, const char *dir, const char *commit_hex,
    struct json_object *ev, char *cause, size_t causelen)
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

/* diff_compute with the workspace's own repository, dir/.git. */
static int
diff_compute_own(const char *dir, const char *commit_hex,
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
	rv = diff_compute(gitdir, dir, commit_hex, ev, cause, causelen);
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
diff_compute_any(const char *pristine, const char *dir, const char *commit_hex,
    struct json_object *ev, char *cause, size_t causelen)
{
	struct stat	 st;
	char		 first[512], second[512];

	if (pristine != NULL) {
		if (lstat(pristine, &st) == -1 || !S_ISDIR(st.st_mode))
			snprintf(first, sizeof first, "'%s' is not a directory",
			    pristine);
		else if (diff_compute(pristine, dir, commit_hex, ev, first,
		    sizeof first) == 0)
			return (0);
		/* diff_collect adds its fields only once it succeeds. */
		if (diff_compute_own(dir, commit_hex, ev, cause,
		    causelen) == 0)
			return (0);
		/* Both failed: say why of both. */
		snprintf(second, sizeof second, "%.500s", cause);
		CAUSE("%.500s (the cached checkout's repository: %.400s)",
		    second, first);
		return (-1);
	}
	return (diff_compute_own(dir, commit_hex, ev, cause, causelen));
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
 * is then set to it, else NULL; why says why not). The old root is
 * detached, so no path — absolute, relative, or through a symlink the
 * agent planted — names anything else. *procfdp is /proc/self, opened
 * before: the user namespace's maps are written through it.
 */
static int
diff_view(const char *dir, const char *pristine, const char **pristinep,
    int *procfdp, char *why, size_t whylen, char *cause, size_t causelen)
{
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
	char			 cause[1024], uwhy[256] = "", pwhy[512] = "";
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
		rv = diff_view(dir, o->pristine, &pristine, &procfd, pwhy,
		    sizeof pwhy, cause, sizeof cause);
		dir = DIFF_VIEW_DIR;
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
		rv = diff_compute_any(pristine, dir, commit, ev, cause,
		    sizeof cause);
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
	static int		 said_userns, said_pristine;
	struct json_object	*v;

	if (!said_userns && json_object_object_get_ex(o, "userns", &v) &&
	    json_object_is_type(v, json_type_string)) {
		said_userns = 1;
		log_warnx("diff: no user namespace (%s): files of the agent's "
		    "that it cannot read itself make the diff fail",
		    json_object_get_string(v));
	}
	if (!said_pristine && json_object_object_get_ex(o, "pristine", &v) &&
	    json_object_is_type(v, json_type_string)) {
		said_pristine = 1;
		log_warnx("diff: without the cached checkout's repository "
		    "(%s): the workspace's own .git is used",
		    json_object_get_string(v));
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
