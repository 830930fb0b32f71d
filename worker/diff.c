/*
 * What the session changed: a libgit2 diff of the workspace, computed in
 * a forked child with a private view of the workspace and no privileges
 * (the libgit2 walk it runs is diffgit.c), read back by the worker.
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
		rv = diffgit_compute_any(pristine, scratch, dir, commit, ev,
		    cause, sizeof cause);
	if (tmpl[0] != '\0')
		(void)rm_rf(tmpl);
	if (rv == -1) {
		json_object_put(ev);
		ev = json_object_new_object();
		json_object_object_add(ev, "error", diffgit_path(cause));
	}
	if (uwhy[0] != '\0')
		json_object_object_add(ev, "userns", diffgit_path(uwhy));
	if (pwhy[0] != '\0')
		json_object_object_add(ev, "pristine", diffgit_path(pwhy));
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
