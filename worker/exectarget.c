/*
 * Exec policy: an exec as the target asked for it, read from its memory
 * and /proc, and the program file the kernel will run, identified.
 */
#include "config.h"

#include <sys/pidfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <seccomp.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/execpol.h"
#include "worker/execpol_int.h"

/* Read len bytes at addr of the target (fewer at the end of a mapping). */
static ssize_t
exectarget_peek(int mem, uint64_t addr, void *buf, size_t len)
{
	ssize_t	n;

	if (addr > (uint64_t)INT64_MAX)
		return (-1);
	while ((n = pread(mem, buf, len, (off_t)addr)) == -1 && errno == EINTR)
		;
	return (n);
}

/*
 * A NUL-terminated string at addr, at most max bytes (then cut, and
 * *truncated set); NULL when unreadable.
 */
static char *
exectarget_peek_str(int mem, uint64_t addr, size_t max, int *truncated)
{
	char	*s;
	size_t	 len = 0;
	ssize_t	 n;
	char	*nul;

	s = xmalloc(max + 1);
	while (len < max) {
		n = exectarget_peek(mem, addr + len, s + len,
		    max - len < EXECPOL_CHUNK ? max - len : EXECPOL_CHUNK);
		if (n <= 0) {
			free(s);
			return (NULL);
		}
		if ((nul = memchr(s + len, '\0', (size_t)n)) != NULL) {
			len = (size_t)(nul - s);
			break;
		}
		len += (size_t)n;
	}
	if (len == max)
		*truncated = 1;
	s[len] = '\0';
	return (s);
}

/* What a /proc/<pid>/ link points to, or NULL. */
static char *
exectarget_link(pid_t pid, const char *what)
{
	char	path[64], buf[PATH_MAX];
	ssize_t	n;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, what);
	if ((n = readlink(path, buf, sizeof buf - 1)) <= 0)
		return (NULL);
	buf[n] = '\0';
	return (xstrdup(buf));
}

void
exectarget_exec_free(struct execpol_exec *x)
{
	if (x == NULL)
		return;
	free(x->path);
	strv_free(x->argv);
	free(x->cwd);
	free(x->line);
	execmatch_git_free(x->git);
	free(x);
}

/* Which exec a notification is (0 execve, 1 execveat, -1 neither). */
static int
exectarget_which(const struct seccomp_notif *req, size_t *psize)
{
	uint32_t	arch = req->data.arch;
	int		nr = req->data.nr;

	*psize = (arch & __AUDIT_ARCH_64BIT) ? 8 : 4;
	/* x32 reports the x86_64 arch with its own bit in the number. */
	if (arch == AUDIT_ARCH_X86_64 && (nr & 0x40000000)) {
		arch = SCMP_ARCH_X32;
		*psize = 4;
	}
	if (nr == seccomp_syscall_resolve_name_arch(arch, "execve"))
		return (0);
	if (nr == seccomp_syscall_resolve_name_arch(arch, "execveat"))
		return (1);
	return (-1);
}

/* A cursor over a NULL-terminated pointer vector in the target's memory. */
struct execpol_vec {
	int		 mem;
	uint64_t	 addr;
	size_t		 psize;		/* 8, or 4 for a 32-bit caller */
	size_t		 done;		/* pointers taken */
	size_t		 have, i;	/* pointers in ptrs, the next one */
	unsigned char	 ptrs[32 * 8];
};

/* The vector's next pointer into *ptr (0 at its end); -1 if unreadable. */
static int
exectarget_vec_next(struct execpol_vec *v, uint64_t *ptr)
{
	ssize_t		n;
	uint32_t	p32;

	if (v->i == v->have) {
		n = exectarget_peek(v->mem, v->addr + v->done * v->psize, v->ptrs,
		    sizeof v->ptrs / 8 * v->psize);
		if (n < (ssize_t)v->psize)
			return (-1);
		v->have = (size_t)n / v->psize;
		v->i = 0;
	}
	if (v->psize == 8)
		memcpy(ptr, v->ptrs + v->i * 8, 8);
	else {
		memcpy(&p32, v->ptrs + v->i * 4, 4);
		*ptr = p32;
	}
	v->i++;
	v->done++;
	return (0);
}

/* Read the argv vector at addr into x, within the bounds. */
static int
exectarget_peek_argv(int mem, uint64_t addr, size_t psize,
    struct execpol_exec *x)
{
	struct execpol_vec	 vec = { .mem = mem, .addr = addr,
				    .psize = psize };
	uint64_t		 ptr;
	size_t			 total = 0, want;
	char			*s;

	x->argv = xcalloc(EXECPOL_MAX_ARGS + 1, sizeof *x->argv);
	if (addr == 0)
		return (0);
	for (;;) {
		if (exectarget_vec_next(&vec, &ptr) == -1)
			return (-1);
		if (ptr == 0)
			return (0);
		if (x->argc == EXECPOL_MAX_ARGS || total >= EXECPOL_MAX_TOTAL) {
			x->truncated = 1;
			return (0);
		}
		want = EXECPOL_MAX_TOTAL - total;
		if (want > EXECPOL_MAX_ARG)
			want = EXECPOL_MAX_ARG;
		if ((s = exectarget_peek_str(mem, ptr, want, &x->truncated)) ==
		    NULL)
			return (-1);
		total += strlen(s) + 1;
		x->argv[x->argc++] = s;
	}
}

/*
 * The entries of the environment vector at addr that start with one of
 * want, NULL-terminated. *truncated when more than EXECPOL_ENV_MAX
 * entries or a kept one longer than EXECPOL_MAX_ARG could not all be read.
 */
static char **
exectarget_peek_env(int mem, uint64_t addr, size_t psize,
    const char *const *want, int *truncated)
{
	struct execpol_vec	 vec = { .mem = mem, .addr = addr,
				    .psize = psize };
	uint64_t		 ptr;
	size_t			 n = 0, k;
	char			**v, *s;
	int			 cut;

	v = xcalloc(1, sizeof *v);
	while (addr != 0) {
		if (vec.done == EXECPOL_ENV_MAX) {
			*truncated = 1;
			break;
		}
		if (exectarget_vec_next(&vec, &ptr) == -1 || ptr == 0)
			break;
		cut = 0;
		if ((s = exectarget_peek_str(mem, ptr, EXECPOL_MAX_ARG, &cut)) ==
		    NULL)
			break;
		for (k = 0; want[k] != NULL; k++)
			if (strncmp(s, want[k], strlen(want[k])) == 0)
				break;
		if (want[k] == NULL) {
			free(s);
			continue;
		}
		if (cut)
			*truncated = 1;
		v = xrealloc(v, (n + 2) * sizeof *v);
		v[n++] = s;
		v[n] = NULL;
	}
	return (v);
}

/* A string for humans and events: secrets redacted, valid UTF-8. */
char *
exectarget_clean(struct execpol *ep, const char *s)
{
	struct utf8_carry	 carry = { { 0 }, 0 };
	struct evbuffer		*b;
	char			*r, *out;

	r = redact_string(ep->redact, s);
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	utf8_sanitize(&carry, (const unsigned char *)r, strlen(r), b);
	utf8_flush(&carry, b);
	out = xmalloc(evbuffer_get_length(b) + 1);
	out[evbuffer_remove(b, out, evbuffer_get_length(b))] = '\0';
	evbuffer_free(b);
	free(r);
	return (out);
}

/* The command line for humans: words quoted as a shell would need. */
static char *
exectarget_line_of(struct execpol *ep, const struct execpol_exec *x)
{
	struct evbuffer	*b;
	const char	*w, *p;
	char		*c, *out;
	size_t		 i, n = x->argc > 0 ? x->argc : 1;
	int		 quote;

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	for (i = 0; i < n; i++) {
		w = x->argc > 0 ? x->argv[i] : x->path;
		c = exectarget_clean(ep, w);
		quote = *c == '\0' || strpbrk(c, " \t\n'\"\\$`;&|<>()*?[]#~{}")
		    != NULL;
		if (i > 0)
			evbuffer_add(b, " ", 1);
		if (quote)
			evbuffer_add(b, "'", 1);
		for (p = c; *p != '\0'; p++) {
			if (*p == '\'' && quote)
				evbuffer_add(b, "'\\''", 4);
			else if ((unsigned char)*p < 0x20 || *p == 0x7f)
				evbuffer_add(b, "?", 1);
			else
				evbuffer_add(b, p, 1);
		}
		if (quote)
			evbuffer_add(b, "'", 1);
		free(c);
		if (evbuffer_get_length(b) > EXECPOL_LINE_MAX)
			break;
	}
	if (x->truncated || i < n)
		evbuffer_add(b, " \xe2\x80\xa6", 4);	/* an ellipsis */
	n = evbuffer_get_length(b);
	out = xmalloc(n + 1);
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	evbuffer_free(b);
	/* Cut at a character boundary past the limit. */
	if (n > EXECPOL_LINE_MAX + 8) {
		n = EXECPOL_LINE_MAX;
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;
		memcpy(out + n, "\xe2\x80\xa6", 4);
	}
	return (out);
}

/* Make a relative pathname absolute against dirfd or the target's cwd. */
static char *
exectarget_resolve_path(const struct execpol_exec *x, const char *path,
    int which, int dirfd, int flags)
{
	char	 fd[32], *base, *abs;

	if (path[0] == '/')
		return (xstrdup(path));
	if (which == 1 && dirfd != AT_FDCWD) {
		snprintf(fd, sizeof fd, "fd/%d", dirfd);
		base = exectarget_link(x->pid, fd);
	} else
		base = x->cwd != NULL ? xstrdup(x->cwd) : NULL;
	if (base == NULL)
		return (xstrdup(path));
	if (*path == '\0' && (flags & AT_EMPTY_PATH))
		return (base);
	abs = xasprintf("%s/%s", strcmp(base, "/") == 0 ? "" : base, path);
	free(base);
	return (abs);
}

/*
 * Programs by the file they run. When the policy starts, each program a
 * pattern names (git, rm, python3.*, /usr/bin/env) is looked up through
 * the agent's PATH in its own root; each file found is known by its
 * device and inode and, once a file of the same size turns up, by the
 * SHA-256 of its contents. An exec of a known file (a symlink, a hard
 * link or a copy under any name) is matched under the names patterns
 * gave it as well as its own. A file larger than EXECPOL_HASH_MAX is
 * known by device and inode only.
 */

/*
 * openat2(2): name as the target sees it, with rootfd as its root. A
 * rename racing the lookup makes it EAGAIN: tried again a few times.
 */
static int
exectarget_open_in(int rootfd, const char *name, int flags)
{
	struct open_how	how;
	int		fd, tries = 0;

	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT;
	do
		fd = (int)syscall(SYS_openat2, rootfd, name, &how, sizeof how);
	while (fd == -1 && (errno == EAGAIN || errno == EINTR) &&
	    ++tries < 16);
	return (fd);
}

/* Whether name is prefix or below it; what follows it, or NULL. */
static const char *
exectarget_under(const char *name, const char *prefix)
{
	size_t	len = strlen(prefix);

	if (strncmp(name, prefix, len) != 0 ||
	    (name[len] != '\0' && name[len] != '/'))
		return (NULL);
	return (name + len);
}

/*
 * A name through the target's own process in /proc, as a path in the
 * worker's /proc, or NULL: /proc/self and /proc/thread-self, and the
 * links of the target's /dev that lead there (/dev/fd, /dev/stdin...).
 * Those resolve by who looks: the worker's /proc/self is the worker, and
 * in the target's pid namespace it is nothing at all.
 */
static char *
exectarget_self(pid_t pid, const char *name)
{
	static const char *const links[] = { "/dev/fd", "/dev/stdin",
	    "/dev/stdout", "/dev/stderr" };
	const char	*rest;
	char		*link, *path, *s;
	size_t		 i;

	if ((rest = exectarget_under(name, "/proc/self")) != NULL)
		return (xasprintf("/proc/%ld%s", (long)pid, rest));
	if ((rest = exectarget_under(name, "/proc/thread-self")) != NULL)
		return (xasprintf("/proc/%ld/task/%ld%s", (long)pid,
		    (long)pid, rest));
	for (i = 0; i < nitems(links); i++) {
		if ((rest = exectarget_under(name, links[i])) == NULL)
			continue;
		/* The target's own link, read in its root: one level. */
		s = xasprintf("root%s", links[i]);
		link = exectarget_link(pid, s);
		free(s);
		if (link == NULL || link[0] != '/' ||
		    exectarget_under(link, "/dev") != NULL) {
			free(link);
			return (NULL);
		}
		s = xasprintf("%s%s", link, rest);
		free(link);
		path = exectarget_self(pid, s);
		free(s);
		return (path);
	}
	return (NULL);
}

/*
 * The file an exec names, opened O_PATH as the kernel will resolve it for
 * the target: from its root, its cwd or dirfd, absolute symlinks inside
 * its root; -1 with errno. /proc/self and /proc/thread-self there are the
 * target's, not the worker's, and so are /dev/fd/N and /dev/stdin.
 */
static int
exectarget_open(pid_t pid, const char *name, const char *cwd, int which,
    int dirfd, int flags)
{
	char	*path = NULL, *dir = NULL, *rel = NULL, fd[32];
	int	 o = O_PATH|O_CLOEXEC, rootfd, f = -1, saved;

	if (flags & AT_SYMLINK_NOFOLLOW)
		o |= O_NOFOLLOW;
	path = exectarget_self(pid, name);
	if (path == NULL && which == 1 && dirfd != AT_FDCWD &&
	    *name == '\0' && (flags & AT_EMPTY_PATH))
		path = xasprintf("/proc/%ld/fd/%d", (long)pid, dirfd);
	if (path != NULL) {
		f = open(path, o);
		goto out;
	}
	if (name[0] == '/')
		rel = xstrdup(name);
	else {
		if (which == 1 && dirfd != AT_FDCWD) {
			snprintf(fd, sizeof fd, "fd/%d", dirfd);
			dir = exectarget_link(pid, fd);
		} else if (cwd != NULL)
			dir = xstrdup(cwd);
		if (dir != NULL && dir[0] == '/')
			rel = xasprintf("%s/%s", dir, name);
	}
	if (rel != NULL) {
		path = xasprintf("/proc/%ld/root", (long)pid);
		if ((rootfd = open(path, O_PATH|O_DIRECTORY|O_CLOEXEC)) == -1)
			goto out;
		f = exectarget_open_in(rootfd, rel, o);
		saved = errno;
		close(rootfd);
		errno = saved;
		/*
		 * Magic links (/proc/<n>/fd/...) are not followed in root;
		 * renames that keep racing the lookup do not stop this one.
		 */
		if (f != -1 || (errno != EXDEV && errno != ELOOP &&
		    errno != ENOSYS && errno != EAGAIN))
			goto out;
		free(path);
		path = xasprintf("/proc/%ld/root%s", (long)pid, rel);
	} else if (which == 1 && dirfd != AT_FDCWD) {
		free(path);
		path = xasprintf("/proc/%ld/fd/%d/%s", (long)pid, dirfd, name);
	} else {
		free(path);
		path = xasprintf("/proc/%ld/cwd/%s", (long)pid, name);
	}
	f = open(path, o);
out:
	saved = errno;
	free(path);
	free(dir);
	free(rel);
	errno = saved;
	return (f);
}

/* Whether two stats are of the same file as it was. */
static int
exectarget_same_file(const struct execpol_file *f, const struct stat *sb)
{
	return (f->dev == sb->st_dev && f->ino == sb->st_ino &&
	    f->size == sb->st_size &&
	    f->mtime.tv_sec == sb->st_mtim.tv_sec &&
	    f->mtime.tv_nsec == sb->st_mtim.tv_nsec &&
	    f->ctime.tv_sec == sb->st_ctim.tv_sec &&
	    f->ctime.tv_nsec == sb->st_ctim.tv_nsec);
}

/* Take a file's identity from its stat; not hashed yet. */
static void
exectarget_file_set(struct execpol_file *f, const struct stat *sb)
{
	f->dev = sb->st_dev;
	f->ino = sb->st_ino;
	f->size = sb->st_size;
	f->mtime = sb->st_mtim;
	f->ctime = sb->st_ctim;
	f->hashed = 0;
}

/*
 * The SHA-256 of the file pathfd (O_PATH) refers to, if it still has
 * size bytes: 1 done, -1 it cannot be hashed (too large, changed, gone).
 */
static int
exectarget_hash(int pathfd, off_t size, unsigned char *out)
{
	unsigned char	 buf[64 * 1024];
	char		 path[64];
	EVP_MD_CTX	*c;
	off_t		 total = 0;
	ssize_t		 n;
	int		 fd, rv = -1;

	if (size > EXECPOL_HASH_MAX)
		return (-1);
	snprintf(path, sizeof path, "/proc/self/fd/%d", pathfd);
	if ((fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK)) == -1)
		return (-1);
	if ((c = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto out;
	while (total <= size) {
		if ((n = read(fd, buf, sizeof buf)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		total += n;
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			goto out;
	}
	if (total == size && EVP_DigestFinal_ex(c, out, NULL) == 1)
		rv = 1;
out:
	EVP_MD_CTX_free(c);
	close(fd);
	return (rv);
}

/*
 * The hash of a known file, computed the first time it is needed: the
 * file at its path in the root of pid, if it is still the one learned.
 */
static int
exectarget_known_hash(struct execpol_file *f, pid_t pid)
{
	struct stat	 sb;
	char		 path[64];
	int		 rootfd, fd;

	if (f->hashed != 0)
		return (f->hashed);
	f->hashed = -1;
	snprintf(path, sizeof path, "/proc/%ld/root", (long)pid);
	if ((rootfd = open(path, O_PATH|O_DIRECTORY|O_CLOEXEC)) == -1)
		return (f->hashed);
	fd = exectarget_open_in(rootfd, f->path, O_PATH);
	close(rootfd);
	if (fd == -1)
		return (f->hashed);
	if (fstat(fd, &sb) == 0 && exectarget_same_file(f, &sb))
		f->hashed = exectarget_hash(fd, f->size, f->sha);
	close(fd);
	return (f->hashed);
}

/*
 * The names an exec's file (pathfd, sb) answers to, or NULL when it is
 * none of the known programs. Files of a known program's size are hashed
 * once each (by device, inode, size, mtime and ctime).
 */
static char **
exectarget_identify(struct execpol *ep, pid_t pid, int pathfd,
    const struct stat *sb)
{
	struct execpol_file	*f, *c = NULL;
	size_t			 i;
	int			 want = 0;

	for (i = 0; i < ep->nknown; i++) {
		f = &ep->known[i];
		if (f->dev == sb->st_dev && f->ino == sb->st_ino)
			return (f->names);
		if (f->size == sb->st_size)
			want = 1;
	}
	if (!want || sb->st_size > EXECPOL_HASH_MAX)
		return (NULL);
	for (i = 0; i < EXECPOL_HASH_CACHE; i++) {
		if (ep->cache[i].hashed != 0 &&
		    exectarget_same_file(&ep->cache[i], sb)) {
			c = &ep->cache[i];
			break;
		}
	}
	if (c == NULL) {
		c = &ep->cache[ep->nextc++ % EXECPOL_HASH_CACHE];
		exectarget_file_set(c, sb);
		c->hashed = exectarget_hash(pathfd, sb->st_size, c->sha);
		ep->hashes++;
	}
	if (c->hashed != 1)
		return (NULL);
	for (i = 0; i < ep->nknown; i++) {
		f = &ep->known[i];
		if (f->size == sb->st_size && exectarget_known_hash(f, pid) == 1 &&
		    memcmp(f->sha, c->sha, sizeof f->sha) == 0)
			return (f->names);
	}
	return (NULL);
}

/* Record that the file at path (in rootfd) answers to name. */
static void
exectarget_know(struct execpol *ep, int rootfd, const char *path,
    const char *name)
{
	struct execpol_file	*f;
	struct stat		 sb;
	size_t			 i, j, n;
	int			 fd, rv;

	if ((fd = exectarget_open_in(rootfd, path, O_PATH)) == -1)
		return;
	rv = fstat(fd, &sb);
	close(fd);
	if (rv == -1 || !S_ISREG(sb.st_mode) || (sb.st_mode & 0111) == 0)
		return;
	for (i = 0; i < ep->nknown; i++) {
		f = &ep->known[i];
		if (f->dev != sb.st_dev || f->ino != sb.st_ino)
			continue;
		n = strv_len(f->names);
		for (j = 0; j < n; j++)
			if (strcmp(f->names[j], name) == 0)
				return;
		f->names = xrealloc(f->names, (n + 2) * sizeof *f->names);
		f->names[n] = xstrdup(name);
		f->names[n + 1] = NULL;
		return;
	}
	if (ep->nknown == EXECPOL_KNOWN_MAX)
		return;
	ep->known = xrealloc(ep->known, (ep->nknown + 1) * sizeof *ep->known);
	f = &ep->known[ep->nknown++];
	memset(f, 0, sizeof *f);
	exectarget_file_set(f, &sb);
	f->path = xstrdup(path);
	f->names = xcalloc(2, sizeof *f->names);
	f->names[0] = xstrdup(name);
}

/* Find the files one program word alternative names, in root and PATH. */
static void
exectarget_learn_name(struct execpol *ep, int rootfd, const char *alt,
    const char *pathvar)
{
	const char	*p, *end;
	struct dirent	*de;
	DIR		*d;
	char		*cand, *dir;
	int		 glob, dfd;

	glob = strpbrk(alt, "*?[\\") != NULL;
	if (strchr(alt, '/') != NULL) {
		if (!glob && alt[0] == '/')
			exectarget_know(ep, rootfd, alt, alt);
		return;
	}
	/* Any program at all ("*", the default allowlist): no file to know. */
	if (alt[strspn(alt, "*")] == '\0' || strcmp(alt, "...") == 0)
		return;
	for (p = pathvar; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		/* Relative PATH entries move with the cwd: by name only. */
		if (*p != '/')
			continue;
		dir = xstrndup(p, (size_t)(end - p));
		if (!glob) {
			cand = xasprintf("%s/%s", dir, alt);
			exectarget_know(ep, rootfd, cand, alt);
			free(cand);
		} else if ((dfd = exectarget_open_in(rootfd, dir,
		    O_RDONLY|O_DIRECTORY)) != -1) {
			if ((d = fdopendir(dfd)) == NULL)
				close(dfd);
			while (d != NULL && (de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.' ||
				    fnmatch(alt, de->d_name, 0) != 0)
					continue;
				cand = xasprintf("%s/%s", dir, de->d_name);
				exectarget_know(ep, rootfd, cand, de->d_name);
				free(cand);
			}
			if (d != NULL)
				closedir(d);
		}
		free(dir);
	}
}

/* The programs the first words of patterns name. */
static void
exectarget_learn_patterns(struct execpol *ep, int rootfd, char **patterns,
    const char *pathvar)
{
	char	*copy, *p, *alt, *end, save;
	size_t	 i;

	for (i = 0; patterns != NULL && patterns[i] != NULL; i++) {
		copy = xstrdup(patterns[i]);
		p = copy + strspn(copy, " \t");
		p[strcspn(p, " \t")] = '\0';
		for (alt = p; *p != '\0'; alt = end + 1) {
			end = execmatch_alt_end(alt);
			save = *end;
			*end = '\0';
			exectarget_learn_name(ep, rootfd, alt, pathvar);
			if (save == '\0')
				break;
		}
		free(copy);
	}
}

/*
 * The first exec (the CLI's own, from the worker's spawn): learn the
 * programs the patterns name, through its PATH in its root.
 */
void
exectarget_learn(struct execpol *ep, const struct seccomp_notif *req)
{
	char		 path[64], **env;
	const char	*pathvar;
	const char	*want[] = { "PATH=", NULL };
	size_t		 psize, i;
	uint64_t	 envaddr;
	int		 which, mem, rootfd, truncated = 0;

	if ((which = exectarget_which(req, &psize)) == -1)
		return;
	envaddr = req->data.args[which == 0 ? 2 : 3];
	snprintf(path, sizeof path, "/proc/%u/mem", req->pid);
	env = NULL;
	if ((mem = open(path, O_RDONLY|O_CLOEXEC)) != -1) {
		if (seccomp_notify_id_valid(ep->fd, req->id) == 0)
			env = exectarget_peek_env(mem, envaddr, psize, want,
			    &truncated);
		close(mem);
	}
	pathvar = execmatch_getenv(env, "PATH");
	if (pathvar == NULL)
		pathvar = EXECPOL_PATH;
	snprintf(path, sizeof path, "/proc/%u/root", req->pid);
	if ((rootfd = open(path, O_PATH|O_DIRECTORY|O_CLOEXEC)) != -1) {
		exectarget_learn_patterns(ep, rootfd, ep->allow, pathvar);
		exectarget_learn_patterns(ep, rootfd, ep->deny, pathvar);
		for (i = 0; i < ep->ngates; i++)
			exectarget_learn_patterns(ep, rootfd,
			    ep->gates[i].patterns, pathvar);
		close(rootfd);
	}
	log_debug("exec policy: %zu programs known by file", ep->nknown);
	strv_free(env);
}

/*
 * Whether the file exists and may be run (fd from exectarget_open, or -1
 * with errno): 0, or the errno the kernel's exec would fail with. A
 * shell that searches PATH tries an execve in each directory until one
 * works; those that cannot are neither policy decisions nor commands.
 */
static int
exectarget_runnable(int fd, struct stat *sb)
{
	if (fd == -1)
		return (errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
		    errno == ENAMETOOLONG ? errno : 0);
	if (fstat(fd, sb) == -1)
		return (0);
	if (!S_ISREG(sb->st_mode) || (sb->st_mode & 0111) == 0)
		return (EACCES);
	return (0);
}

/* Whether the exec is of git: known as git, or (unknown) named so. */
static int
exectarget_is_git(const struct execpol_exec *x)
{
	const char	*b;
	size_t		 i;

	if (x->names != NULL) {
		for (i = 0; x->names[i] != NULL; i++)
			if (strcmp(x->names[i], "git") == 0)
				return (1);
		return (0);
	}
	b = execmatch_base(x->path);
	return (strcmp(b, "git") == 0 || strncmp(b, "git-", 4) == 0);
}

/*
 * How git will read an exec of git: its environment's configuration
 * (GIT_CONFIG_*, and what --config-env names) is read from the target.
 */
static void
exectarget_git_of(struct execpol_exec *x, int mem, uint64_t envaddr,
    size_t psize)
{
	const char	**want, *eq;
	char		**env;
	size_t		  i, n = 0;
	int		  truncated = 0;

	want = xcalloc(x->argc + 2, sizeof *want);
	want[n++] = "GIT_CONFIG";
	for (i = 1; i < x->argc; i++)
		if ((eq = strrchr(x->argv[i], '=')) != NULL && eq[1] != '\0')
			want[n++] = xasprintf("%s=", eq + 1);
	env = exectarget_peek_env(mem, envaddr, psize, want, &truncated);
	for (i = 1; i < n; i++)
		free((char *)want[i]);
	free(want);
	x->git = execmatch_git_readings(x->argv, x->argc, env);
	if (x->git == NULL || truncated)
		x->git_unsure = 1;
	/* Options padded past what was read hide the subcommand. */
	for (i = 0; x->truncated && x->git != NULL && x->git[i] != NULL; i++)
		if (x->git[i][1] == NULL)
			x->git_unsure = 1;
	strv_free(env);
}

/*
 * Read the exec of a notification from the target's memory. NULL with
 * *error: -1 not an exec (let it be), ESRCH the target is gone, EFAULT
 * its memory does not hold what it passed, EACCES we may not look.
 */
struct execpol_exec *
exectarget_read(struct execpol *ep, const struct seccomp_notif *req,
    int *error)
{
	struct execpol_exec	*x;
	struct stat		 sb;
	char			 path[64], *name;
	size_t			 psize;
	uint64_t		 pathaddr, argvaddr, envaddr;
	int			 which, mem, fd, dirfd = AT_FDCWD, flags = 0;

	if ((which = exectarget_which(req, &psize)) == -1) {
		*error = -1;
		return (NULL);
	}
	if (which == 0) {
		pathaddr = req->data.args[0];
		argvaddr = req->data.args[1];
		envaddr = req->data.args[2];
	} else {
		dirfd = (int)req->data.args[0];
		pathaddr = req->data.args[1];
		argvaddr = req->data.args[2];
		envaddr = req->data.args[3];
		flags = (int)req->data.args[4];
	}
	snprintf(path, sizeof path, "/proc/%u/mem", req->pid);
	if ((mem = open(path, O_RDONLY|O_CLOEXEC)) == -1) {
		*error = errno == ENOENT || errno == ESRCH ? ESRCH : EACCES;
		if (*error == EACCES)
			log_warn("%s", path);
		return (NULL);
	}
	/*
	 * The pid may have been reused since the notification: only once
	 * the kernel says it is still pending is the memory the target's.
	 */
	if (seccomp_notify_id_valid(ep->fd, req->id) != 0) {
		close(mem);
		*error = ESRCH;
		return (NULL);
	}
	x = xcalloc(1, sizeof *x);
	x->pid = (pid_t)req->pid;
	name = pathaddr == 0 ? NULL : exectarget_peek_str(mem, pathaddr, PATH_MAX,
	    &x->truncated);
	if (name == NULL || exectarget_peek_argv(mem, argvaddr, psize, x) == -1) {
		close(mem);
		free(name);
		exectarget_exec_free(x);
		*error = EFAULT;
		return (NULL);
	}
	x->cwd = exectarget_link(x->pid, "cwd");
	x->path = exectarget_resolve_path(x, name, which, dirfd, flags);
	fd = exectarget_open(x->pid, name, x->cwd, which, dirfd, flags);
	if ((x->missing = exectarget_runnable(fd, &sb)) == 0 && fd != -1) {
		x->names = exectarget_identify(ep, x->pid, fd, &sb);
		x->dev = sb.st_dev;
		x->ino = sb.st_ino;
	}
	if (fd != -1)
		close(fd);
	if (x->missing == 0 && exectarget_is_git(x))
		exectarget_git_of(x, mem, envaddr, psize);
	close(mem);
	free(name);
	x->line = exectarget_line_of(ep, x);
	return (x);
}

/*
 * Whether two reads are the same exec by the same task: a restarted one,
 * or (by basename, when anydir) the next try of a shell's PATH search.
 */
int
exectarget_same(const struct execpol_exec *a, const struct execpol_exec *b,
    int anydir)
{
	size_t	i;

	if (a->pid != b->pid || a->argc != b->argc)
		return (0);
	if (strcmp(anydir ? execmatch_base(a->path) : a->path,
	    anydir ? execmatch_base(b->path) : b->path) != 0)
		return (0);
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return (0);
	return (1);
}

/* Send an event, unless the session is over. */
void
exectarget_emit(struct execpol *ep, struct json_object *ev)
{
	if (ep->finished) {
		json_object_put(ev);
		return;
	}
	ep->cb.event(ev, ep->cb.arg);
}

/* The thread group of a task (an exec from a thread keeps it), or pid. */
pid_t
exectarget_tgid(pid_t pid)
{
	char	path[64], *text, *p;
	long	tgid = pid;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((text = read_file(path, NULL)) == NULL)
		return (pid);
	if ((p = strstr(text, "\nTgid:")) != NULL)
		tgid = strtol(p + 6, NULL, 10);
	free(text);
	return (tgid > 0 ? (pid_t)tgid : pid);
}
