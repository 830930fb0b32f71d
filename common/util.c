/* Small helpers shared by every process: allocation, time, ids, files. */
#include "config.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		fatal("malloc");
	return (p);
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("calloc");
	return (p);
}

void *
xrealloc(void *old, size_t size)
{
	void	*p;

	if ((p = realloc(old, size == 0 ? 1 : size)) == NULL)
		fatal("realloc");
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return (p);
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatal("strndup");
	return (p);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	return (p);
}

int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
iso8601_ms(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;
	char		base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}

void
uuid_v4(char out[37])
{
	unsigned char	b[16];
	size_t		got = 0;
	ssize_t		n;

	while (got < sizeof b) {
		n = getrandom(b + got, sizeof b - got, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		got += (size_t)n;
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* A lowercase 8-4-4-4-12 hex UUID: the only ids we ever make or accept. */
int
uuid_valid(const char *s)
{
	size_t	i;

	if (strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	}
	return (1);
}

/* Create path and its missing parents; an existing non-directory fails. */
int
mkdir_p(const char *path, mode_t mode)
{
	struct stat	 st;
	char		*copy, *p;
	int		 rv = 0;

	if (*path == '\0') {
		errno = ENOENT;
		return (-1);
	}
	copy = xstrdup(path);
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			rv = -1;
			break;
		}
		*p = '/';
	}
	if (rv == 0 && mkdir(copy, mode) == -1) {
		if (errno != EEXIST)
			rv = -1;
		else if (stat(copy, &st) == -1)
			rv = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rv = -1;
		}
	}
	free(copy);
	return (rv);
}

/* Remove a tree without following symlinks out of it. */
int
rm_rf(const char *path)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*de;
	char		*child;
	int		 rv = 0;

	if (lstat(path, &st) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISDIR(st.st_mode))
		return (unlink(path));
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		child = xasprintf("%s/%s", path, de->d_name);
		if (rm_rf(child) == -1)
			rv = -1;
		free(child);
	}
	closedir(d);
	if (rmdir(path) == -1)
		rv = -1;
	return (rv);
}

int
write_file_atomic(const char *path, const char *data, size_t len)
{
	char	*tmp;
	int	 fd, saved;
	size_t	 off = 0;
	ssize_t	 n;

	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0600)) == -1)
		goto fail;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail_close;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail_close;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	free(tmp);
	return (0);

fail_close:
	saved = errno;
	close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	free(tmp);
	return (-1);
}

char *
read_file(const char *path, size_t *lenp)
{
	int	 fd, saved;
	char	*buf = NULL;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1)
		return (NULL);
	for (;;) {
		if (size - len < 4096) {
			size = size == 0 ? 8192 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return (NULL);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

/* Add flag to what fcntl's get reads and set writes (file or fd flags). */
static int
fd_add_flag(int fd, int get, int set, int flag)
{
	int	flags;

	if ((flags = fcntl(fd, get)) == -1)
		return (-1);
	return (fcntl(fd, set, flags | flag));
}

int
set_nonblock(int fd)
{
	return (fd_add_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK));
}

int
set_cloexec(int fd)
{
	return (fd_add_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC));
}

void
close_from(int lowfd)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, dfd;
	long		 max;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
		return;
#endif
	if ((d = opendir("/proc/self/fd")) != NULL) {
		dfd = dirfd(d);
		while ((de = readdir(d)) != NULL) {
			fd = atoi(de->d_name);
			if (de->d_name[0] != '.' && fd >= lowfd && fd != dfd)
				close(fd);
		}
		closedir(d);
		return;
	}
	max = sysconf(_SC_OPEN_MAX);
	for (fd = lowfd; fd < max; fd++)
		close(fd);
}

char *
path_search(const char *name, const char *path)
{
	const char	*p, *end;
	char		*cand;

	if (name[0] == '\0')
		return (NULL);
	if (strchr(name, '/') != NULL)
		return (access(name, X_OK) == 0 ? xstrdup(name) : NULL);
	if (path == NULL)
		return (NULL);
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		cand = xasprintf("%.*s/%s", (int)(end - p),
		    end == p ? "." : p, name);
		if (end == p) {
			free(cand);
			cand = xasprintf("./%s", name);
		}
		if (access(cand, X_OK) == 0)
			return (cand);
		free(cand);
		if (*end == '\0')
			break;
	}
	return (NULL);
}

const char *
signal_name(int sig)
{
	switch (sig) {
	case SIGHUP:	return ("SIGHUP");
	case SIGINT:	return ("SIGINT");
	case SIGQUIT:	return ("SIGQUIT");
	case SIGILL:	return ("SIGILL");
	case SIGTRAP:	return ("SIGTRAP");
	case SIGABRT:	return ("SIGABRT");
	case SIGBUS:	return ("SIGBUS");
	case SIGFPE:	return ("SIGFPE");
	case SIGKILL:	return ("SIGKILL");
	case SIGUSR1:	return ("SIGUSR1");
	case SIGSEGV:	return ("SIGSEGV");
	case SIGUSR2:	return ("SIGUSR2");
	case SIGPIPE:	return ("SIGPIPE");
	case SIGALRM:	return ("SIGALRM");
	case SIGTERM:	return ("SIGTERM");
	case SIGXCPU:	return ("SIGXCPU");
	case SIGXFSZ:	return ("SIGXFSZ");
	case SIGSYS:	return ("SIGSYS");
	default:	return ("signal");
	}
}

/*
 * sendmsg(2) of len bytes of data with descriptor fd attached (none when
 * fd is -1), with flags; its result, errno set on -1.
 */
ssize_t
send_fd(int sock, const void *data, size_t len, int fd, int flags)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof (int))];
	} cbuf;

	memset(&msg, 0, sizeof msg);
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cbuf, 0, sizeof cbuf);
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof cbuf.buf;
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof (int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	return (sendmsg(sock, &msg, flags));
}

/*
 * recvmsg(2) of up to len bytes into data, with flags; the one descriptor
 * that came with them (close-on-exec) in *fd, or -1; any further ones are
 * closed. Its result, errno set on -1.
 */
ssize_t
receive_fd(int sock, void *data, size_t len, int *fd, int flags)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof (int))];
	} cbuf;
	int		 got;
	size_t		 i, nfd;
	ssize_t		 n;

	*fd = -1;
	memset(&msg, 0, sizeof msg);
	iov.iov_base = data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof cbuf.buf;
	if ((n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC)) == -1)
		return (-1);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof (int);
		for (i = 0; i < nfd; i++) {
			memcpy(&got, CMSG_DATA(cm) + i * sizeof got, sizeof got);
			if (*fd == -1)
				*fd = got;
			else
				close(got);
		}
	}
	return (n);
}

/*
 * A /proc/self/mountinfo field (n bytes of s) with its \ooo escapes
 * undone, NUL-terminated in out (len bytes; out may be s itself); -1 if
 * it does not fit.
 */
int
mountinfo_unescape(const char *s, size_t n, char *out, size_t len)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (o + 1 >= len)
			return (-1);
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[o++] = (char)((s[i + 1] - '0') * 64 +
			    (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return (0);
}

/* An absolute path with ".", ".." and repeated '/' folded away; new. */
char *
path_normalize(const char *path)
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

/* The integer a /proc/sys file holds, or -1. */
long
sysctl_long(const char *path)
{
	FILE	*f;
	long	 n = -1;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return (n);
}

/*
 * The mount point of a /proc/self/mountinfo line: field 5, unescaped in
 * place (the line is changed; the result is never longer). NULL if the
 * line has no such field.
 */
char *
mountinfo_point(char *line)
{
	char	*mp, *save = NULL;
	int	 i;

	mp = strtok_r(line, " ", &save);
	for (i = 1; mp != NULL && i < 5; i++)
		mp = strtok_r(NULL, " ", &save);
	if (mp != NULL)
		(void)mountinfo_unescape(mp, strlen(mp), mp, strlen(mp) + 1);
	return (mp);
}

/*
 * Open directory rel ("" for root itself) below root, one name at a time
 * and never through a symlink or a "." or ".." (a tree someone else
 * writes can swap a directory for a link between two calls). flags is
 * O_RDONLY or O_PATH. The descriptor, or -1 with errno.
 */
int
dir_open_beneath(const char *root, const char *rel, int flags)
{
	char	*copy, *name, *save = NULL;
	int	 fd, next;

	if ((fd = open(root, flags | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	copy = xstrdup(rel);
	for (name = strtok_r(copy, "/", &save); name != NULL;
	    name = strtok_r(NULL, "/", &save)) {
		if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
			errno = EINVAL;
			next = -1;
		} else
			next = openat(fd, name, flags | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if ((fd = next) == -1)
			break;
	}
	free(copy);
	return (fd);
}

/* Create the file the format names, or set its times to now; quietly. */
void
file_touch(mode_t mode, const char *fmt, ...)
{
	va_list	 ap;
	char	*path;
	int	 fd;

	va_start(ap, fmt);
	if (vasprintf(&path, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode)) != -1) {
		(void)futimens(fd, NULL);
		close(fd);
	}
	free(path);
}

/*
 * A decimal number in [min, max]: digits only. strtoll alone would take
 * leading blanks and a sign (" 80", "+80", "-0").
 */
int
parse_decimal(const char *s, long long min, long long max, long long *out)
{
	char		*ep;
	long long	 n;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtoll(s, &ep, 10);
	if (*ep != '\0' || errno != 0 || n < min || n > max)
		return (-1);
	*out = n;
	return (0);
}

/* The name of i in a table of n names, or "UNKNOWN" out of it. */
const char *
name_of(const char *const *names, int n, int i)
{
	if (i < 0 || i >= n || names[i] == NULL)
		return ("UNKNOWN");
	return (names[i]);
}

/* The index of name in a table of n names, or -1. */
int
name_find(const char *const *names, int n, const char *name)
{
	int	i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (i);
	return (-1);
}

/*
 * Write all of buf to fd, to a socket without raising SIGPIPE; -1 if it
 * stopped short. Only write(2) or send(2): safe in a signal handler.
 */
int
write_all(int fd, const char *buf, size_t len, int sock)
{
	ssize_t	n;

	while (len > 0) {
		n = sock ? send(fd, buf, len, MSG_NOSIGNAL) :
		    write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}
