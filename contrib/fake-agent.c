/*
 * runnerd-fake-agent: a scriptable stand-in for an agent CLI, for the demo
 * and the tests. It runs the script in argv[1] (commands separated by
 * newlines or ';', "\;" for a literal ';') and exits 0. Output goes straight
 * to stdout with write(2), one write per command, so tests can reason about
 * what arrives when.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netdb.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "contrib/fake-proto.h"

#define FAKE_VERSION	"runnerd-fake-agent 1.0.0"

enum fake_op {
	OP_PRINT, OP_PRINTN, OP_SLEEP, OP_READ, OP_WRITE, OP_APPEND, OP_DELETE,
	OP_CAT, OP_PWD, OP_PROMPT, OP_FLOOD, OP_ENV, OP_ENVSPLIT, OP_EXIT,
	OP_SIGNAL, OP_HANG, OP_SPAWN_CHILD, OP_RENAME, OP_MKDIR,
	/* Hostile ones, for the sandbox tests: each says what happened. */
	OP_SH, OP_TRY_WRITE, OP_TRY_READ, OP_TRY_KILL, OP_TRY_PTRACE,
	OP_TRY_MOUNT, OP_TRY_TIOCSTI, OP_FORKBOMB, OP_HOG, OP_CONNECT,
	OP_WHOAMI
};

/* Argument shapes: none, TEXT, a number, a word, WORD TEXT, WORD NUMBER. */
enum fake_args { A_NONE, A_TEXT, A_NUM, A_WORD, A_WORD_TEXT, A_WORD_NUM };

static const struct fake_cmd {
	const char	*name;
	enum fake_op	 op;
	enum fake_args	 args;
} fake_cmds[] = {
	{ "print", OP_PRINT, A_TEXT },
	{ "printn", OP_PRINTN, A_TEXT },
	{ "sleep", OP_SLEEP, A_NUM },
	{ "read", OP_READ, A_NONE },
	{ "write", OP_WRITE, A_WORD_TEXT },
	{ "append", OP_APPEND, A_WORD_TEXT },
	{ "delete", OP_DELETE, A_WORD },
	{ "cat", OP_CAT, A_WORD },
	{ "pwd", OP_PWD, A_NONE },
	{ "prompt", OP_PROMPT, A_TEXT },
	{ "flood", OP_FLOOD, A_WORD },
	{ "env", OP_ENV, A_WORD },
	{ "envsplit", OP_ENVSPLIT, A_WORD_NUM },
	{ "exit", OP_EXIT, A_NUM },
	{ "signal", OP_SIGNAL, A_WORD },
	{ "hang", OP_HANG, A_NONE },
	{ "spawn-child", OP_SPAWN_CHILD, A_NONE },
	{ "rename", OP_RENAME, A_WORD_TEXT },
	{ "mkdir", OP_MKDIR, A_WORD },
	{ "sh", OP_SH, A_TEXT },
	{ "try-write", OP_TRY_WRITE, A_WORD },
	{ "try-read", OP_TRY_READ, A_WORD },
	{ "try-kill", OP_TRY_KILL, A_NUM },
	{ "try-ptrace", OP_TRY_PTRACE, A_NUM },
	{ "try-mount", OP_TRY_MOUNT, A_NONE },
	{ "try-tiocsti", OP_TRY_TIOCSTI, A_TEXT },
	{ "forkbomb", OP_FORKBOMB, A_NUM },
	{ "hog", OP_HOG, A_NUM },
	{ "connect", OP_CONNECT, A_WORD_NUM },
	{ "whoami", OP_WHOAMI, A_NONE },
};

static const struct {
	const char	*name;
	int		 sig;
} fake_signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "SYS", SIGSYS },
	{ "STOP", SIGSTOP }, { "CONT", SIGCONT }, { "CHLD", SIGCHLD },
};

/* One parsed command: its word argument and its text, both unescaped. */
struct fake_step {
	const struct fake_cmd	*cmd;
	char			*word;
	char			*text;
	size_t			 textlen;
	long long		 num;
};

/*
 * In a sanitizer build, LeakSanitizer stops the world with ptrace at exit,
 * which the sandbox's seccomp filter refuses: it would turn every sandboxed
 * run into a failure. The fake agent's leaks are not what the tests are for.
 */
const char	*__lsan_default_options(void);

const char *
__lsan_default_options(void)
{
	return ("detect_leaks=0");
}

/* The parsed script: lives until exit (a global, so no leak checker minds). */
static struct fake_step	*fake_steps;

/* Say what went wrong on stderr and exit with code. */
static __attribute__((noreturn, format(printf, 2, 3))) void
fake_die(int code, const char *fmt, ...)
{
	va_list	ap;

	fputs("runnerd-fake-agent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Allocate or die. */
static void *
fake_alloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fake_die(1, "out of memory");
	return (p);
}

/* Write all of buf to fd, waiting out EINTR and a non-blocking fd. */
static void
fake_write(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	struct pollfd	 pfd;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				poll(&pfd, 1, -1);
				continue;
			}
			exit(1);	/* stdout is gone: nobody to tell */
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Sleep ms milliseconds, resuming after signals. */
static void
fake_sleep(long long ms)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		/* nothing */;
}

/* Decode \n \t \r \\ \e \xHH \; in s[0..len) into a new buffer. */
static char *
fake_unescape(const char *s, size_t len, size_t *outlen)
{
	char	*out, *o, hex[3];
	size_t	 i, k;

	o = out = fake_alloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] != '\\' || i + 1 == len) {
			*o++ = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'n':	*o++ = '\n'; break;
		case 't':	*o++ = '\t'; break;
		case 'r':	*o++ = '\r'; break;
		case 'e':	*o++ = '\033'; break;
		case '\\':	*o++ = '\\'; break;
		case ';':	*o++ = ';'; break;
		case 'x':
			for (k = 0; k < 2 && i + 1 < len &&
			    isxdigit((unsigned char)s[i + 1]); k++)
				hex[k] = s[++i];
			hex[k] = '\0';
			if (k == 0) {
				*o++ = '\\';
				*o++ = 'x';
			} else
				*o++ = (char)strtol(hex, NULL, 16);
			break;
		default:	/* not an escape: keep it as written */
			*o++ = '\\';
			*o++ = s[i];
			break;
		}
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return (out);
}

/* A non-negative decimal number, optionally with a K/M/G suffix. */
static int
fake_number(const char *s, int suffix, long long *out)
{
	long long	v = 0, mul = 1;

	if (!isdigit((unsigned char)*s))
		return (-1);
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (LLONG_MAX - 9) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	if (suffix && *s != '\0' && s[1] == '\0') {
		switch (*s++) {
		case 'k': case 'K': mul = 1024; break;
		case 'm': case 'M': mul = 1024 * 1024; break;
		case 'g': case 'G': mul = 1024 * 1024 * 1024; break;
		default: return (-1);
		}
	}
	if (*s != '\0' || v > LLONG_MAX / mul)
		return (-1);
	*out = v * mul;
	return (0);
}

/* A signal by name (TERM, SIGTERM) or number; -1 if unknown. */
static int
fake_signal(const char *s)
{
	long long	n;
	size_t		i;

	if (fake_number(s, 0, &n) == 0)
		return (n >= 1 && n < NSIG ? (int)n : -1);
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof fake_signals / sizeof fake_signals[0]; i++)
		if (strcasecmp(s, fake_signals[i].name) == 0)
			return (fake_signals[i].sig);
	return (-1);
}

/* Parse one command line (already split) into st; exits 2 when bad. */
static void
fake_parse(const char *line, size_t len, size_t lineno, struct fake_step *st)
{
	const char	*p = line, *end = line + len, *w, *rest;
	size_t		 i, n, wlen;
	char		*num;

	memset(st, 0, sizeof *st);
	for (n = 0; p + n < end && !isspace((unsigned char)p[n]); n++)
		/* nothing */;
	for (i = 0; i < sizeof fake_cmds / sizeof fake_cmds[0]; i++)
		if (strlen(fake_cmds[i].name) == n &&
		    strncmp(fake_cmds[i].name, p, n) == 0)
			st->cmd = &fake_cmds[i];
	if (st->cmd == NULL)
		fake_die(2, "command %zu: unknown command '%.*s'", lineno,
		    (int)n, p);
	/* The rest starts after one separating space or tab. */
	rest = p + n < end ? p + n + 1 : end;
	if (st->cmd->args == A_NONE || st->cmd->args == A_TEXT) {
		if (st->cmd->args == A_NONE)
			return;
		st->text = fake_unescape(rest, (size_t)(end - rest),
		    &st->textlen);
		return;
	}
	while (rest < end && (*rest == ' ' || *rest == '\t'))
		rest++;
	w = rest;
	while (rest < end && *rest != ' ' && *rest != '\t')
		rest++;
	wlen = (size_t)(rest - w);
	if (wlen == 0)
		fake_die(2, "command %zu: %s needs an argument", lineno,
		    st->cmd->name);
	st->word = fake_unescape(w, wlen, &n);
	rest = rest < end ? rest + 1 : end;
	switch (st->cmd->args) {
	case A_NUM:
		if (fake_number(st->word, 0, &st->num) == -1)
			fake_die(2, "command %zu: %s: bad number '%s'",
			    lineno, st->cmd->name, st->word);
		break;
	case A_WORD:
		if (st->cmd->op == OP_FLOOD &&
		    fake_number(st->word, 1, &st->num) == -1)
			fake_die(2, "command %zu: flood: bad size '%s'",
			    lineno, st->word);
		if (st->cmd->op == OP_SIGNAL &&
		    (st->num = fake_signal(st->word)) == -1)
			fake_die(2, "command %zu: signal: unknown signal '%s'",
			    lineno, st->word);
		break;
	case A_WORD_TEXT:
		st->text = fake_unescape(rest, (size_t)(end - rest),
		    &st->textlen);
		if (st->cmd->op == OP_RENAME && (st->textlen == 0 ||
		    strchr(st->text, ' ') != NULL))
			fake_die(2, "command %zu: rename needs OLD NEW",
			    lineno);
		break;
	case A_WORD_NUM:
		while (rest < end && (*rest == ' ' || *rest == '\t'))
			rest++;
		num = fake_unescape(rest, (size_t)(end - rest), &n);
		if (fake_number(num, 0, &st->num) == -1)
			fake_die(2, "command %zu: %s: bad number '%s'",
			    lineno, st->cmd->name, num);
		free(num);
		break;
	default:
		break;
	}
	if (st->cmd->op == OP_EXIT && st->num > 255)
		fake_die(2, "command %zu: exit: status over 255", lineno);
}

/* Split the script on newlines and unescaped ';', parse every command. */
static struct fake_step *
fake_script(const char *s, size_t *countp)
{
	struct fake_step	*steps = NULL;
	size_t			 count = 0, i, start, len = strlen(s);
	const char		*p;

	for (i = start = 0; i <= len; i++) {
		if (i < len && s[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (i < len && s[i] != '\n' && s[i] != ';')
			continue;
		p = s + start;
		while (p < s + i && isspace((unsigned char)*p))
			p++;
		if (p < s + i && *p != '#') {
			steps = realloc(steps, (count + 1) * sizeof *steps);
			if (steps == NULL)
				fake_die(1, "out of memory");
			fake_parse(p, (size_t)(s + i - p), count + 1,
			    &steps[count]);
			count++;
		}
		start = i + 1;
	}
	*countp = count;
	return (steps);
}

/* Read one line from stdin a byte at a time (so nothing is read ahead). */
static char *
fake_readline(void)
{
	char	*line;
	size_t	 len = 0, size = 128;
	ssize_t	 n;
	char	 c;

	line = fake_alloc(size);
	for (;;) {
		if ((n = read(STDIN_FILENO, &c, 1)) == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (len + 2 > size && (line = realloc(line, size *= 2)) == NULL)
			fake_die(1, "out of memory");
		line[len++] = c;
	}
	while (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	return (line);
}

/* Create the directories above path. */
static void
fake_mkparents(const char *path)
{
	char	*copy, *p;

	copy = strdup(path);
	if (copy == NULL)
		fake_die(1, "out of memory");
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0777) == -1 && errno != EEXIST)
			fake_die(1, "mkdir %s: %s", copy, strerror(errno));
		*p = '/';
	}
	free(copy);
}

/* Print a, b and c (b and c may be NULL) in one write. */
static void
fake_say(const char *a, size_t alen, const char *b, size_t blen,
    const char *c)
{
	size_t	 clen = c != NULL ? strlen(c) : 0;
	char	*buf;

	buf = fake_alloc(alen + blen + clen);
	memcpy(buf, a, alen);
	if (blen > 0)
		memcpy(buf + alen, b, blen);
	if (clen > 0)
		memcpy(buf + alen + blen, c, clen);
	fake_write(STDOUT_FILENO, buf, alen + blen + clen);
	free(buf);
}

/* Whether an answer means yes: y or yes in any case, blanks around. */
static int
fake_yes(const char *s)
{
	size_t	len;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return ((len == 1 && (*s == 'y' || *s == 'Y')) ||
	    (len == 3 && strncasecmp(s, "yes", 3) == 0));
}

/* Write size bytes of numbered 80-byte lines: "%08llu " + 70 letters + \n. */
static void
fake_flood(long long size)
{
	static char		 buf[65536];
	unsigned long long	 line = 0;
	size_t			 fill, j;
	char			 l[81];

	while (size > 0) {
		for (fill = 0; fill + 80 <= sizeof buf && size - (long long)
		    fill > 0; fill += 80, line++) {
			snprintf(l, sizeof l, "%08llu ", line % 100000000ULL);
			for (j = 9; j < 79; j++)
				l[j] = (char)('a' + (line + j - 9) % 26);
			l[79] = '\n';
			memcpy(buf + fill, l, 80);
		}
		if ((long long)fill > size)
			fill = (size_t)size;
		fake_write(STDOUT_FILENO, buf, fill);
		size -= (long long)fill;
	}
}

/* One result line, in one write. */
static __attribute__((format(printf, 1, 2))) void
fake_result(const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	fake_write(STDOUT_FILENO, buf, (size_t)n);
}

/* "NAME ARG: ok" or "NAME ARG: denied (why)" for a return of 0 or -1. */
static void
fake_outcome(const char *name, const char *arg, int rc, int error)
{
	if (rc == 0)
		fake_result("%s%s%s: ok", name, *arg != '\0' ? " " : "", arg);
	else
		fake_result("%s%s%s: denied (%s)", name, *arg != '\0' ? " " :
		    "", arg, strerror(error));
}

/* Open HOST PORT over TCP within 3 s; 0 or -1 with errno. */
static int
fake_connect(const char *host, long long port)
{
	struct addrinfo	 hints, *res, *ai;
	struct pollfd	 pfd;
	char		 serv[16];
	socklen_t	 len;
	int		 fd = -1, rc, error = ECONNREFUSED;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof serv, "%lld", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		errno = EHOSTUNREACH;
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			error = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 3000) == 1) {
				len = sizeof error;
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
				    &len);
				if (error == 0)
					break;
			} else
				error = ETIMEDOUT;
		} else
			error = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		errno = error;
		return (-1);
	}
	close(fd);
	return (0);
}

/* Fork up to n children that sleep; then take them all down again. */
static void
fake_forkbomb(long long n)
{
	pid_t		*kids;
	long long	 i;
	int		 error = 0;

	kids = fake_alloc((size_t)n * sizeof *kids);
	for (i = 0; i < n; i++) {
		if ((kids[i] = fork()) == -1) {
			error = errno;
			break;
		}
		if (kids[i] == 0) {
			for (;;)
				pause();
		}
	}
	if (error != 0)
		fake_result("forkbomb: %lld forked, then %s", i,
		    strerror(error));
	else
		fake_result("forkbomb: %lld forked", i);
	while (i-- > 0) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	free(kids);
}

/* Allocate and touch mb MiB, page by page. */
static void
fake_hog(long long mb)
{
	size_t	 len = (size_t)mb * 1024 * 1024, off;
	char	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fake_result("hog: %s", strerror(errno));
		return;
	}
	for (off = 0; off < len; off += 4096)
		p[off] = 1;
	fake_result("hog: %lld MiB", mb);
	munmap(p, len);
}

/* Run a shell command on our terminal; say how it ended. */
static void
fake_sh(const char *cmd)
{
	pid_t	pid;
	int	status;

	switch (pid = fork()) {
	case -1:
		fake_result("sh: %s", strerror(errno));
		return;
	case 0:
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		dprintf(STDERR_FILENO, "sh: cannot run /bin/sh: %s\n",
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			fake_result("sh: %s", strerror(errno));
			return;
		}
	if (WIFEXITED(status))
		fake_result("sh: exit %d", WEXITSTATUS(status));
	else
		fake_result("sh: signal %d", WTERMSIG(status));
}

/* The hostile commands: try, and report; never die of a refusal. */
static void
fake_hostile(const struct fake_step *st)
{
	char		 arg[64], buf[4096], dir[] = "/tmp/fake-mount.XXXXXX";
	struct stat	 sb;
	DIR		*d;
	size_t		 i;
	int		 fd, rc, error = 0;
	ssize_t		 n;

	snprintf(arg, sizeof arg, "%lld", st->num);
	switch (st->cmd->op) {
	case OP_SH:
		fake_sh(st->text);
		break;
	case OP_TRY_WRITE:
		fd = open(st->word, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0666);
		if (fd == -1 || write(fd, "x\n", 2) != 2)
			error = errno;
		if (fd != -1)
			close(fd);
		fake_outcome("try-write", st->word, error ? -1 : 0, error);
		break;
	case OP_TRY_READ:
		if ((fd = open(st->word, O_RDONLY | O_CLOEXEC)) == -1)
			error = errno;
		else if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			/* A directory: can we list it? */
			if ((d = fdopendir(fd)) == NULL)
				error = errno;
			else {
				errno = 0;
				if (readdir(d) == NULL && errno != 0)
					error = errno;
				closedir(d);	/* closes fd */
			}
			fd = -1;
		} else if ((n = read(fd, buf, sizeof buf)) == -1)
			error = errno;
		if (fd != -1)
			close(fd);
		fake_outcome("try-read", st->word, error ? -1 : 0, error);
		break;
	case OP_TRY_KILL:
		rc = kill((pid_t)st->num, SIGKILL);
		fake_outcome("try-kill", arg, rc, errno);
		break;
	case OP_TRY_PTRACE:
		rc = ptrace(PTRACE_ATTACH, (pid_t)st->num, NULL, NULL) == -1 ?
		    -1 : 0;
		error = errno;
		if (rc == 0)
			ptrace(PTRACE_DETACH, (pid_t)st->num, NULL, NULL);
		fake_outcome("try-ptrace", arg, rc, error);
		break;
	case OP_TRY_MOUNT:
		if (mkdtemp(dir) == NULL) {
			fake_outcome("try-mount", "", -1, errno);
			break;
		}
		rc = mount("none", dir, "tmpfs", 0, NULL);
		error = errno;
		if (rc == 0)
			umount(dir);
		rmdir(dir);
		fake_outcome("try-mount", "", rc, error);
		break;
	case OP_TRY_TIOCSTI:
		rc = 0;
		for (i = 0; i < st->textlen && rc == 0; i++)
			if ((rc = ioctl(STDIN_FILENO, TIOCSTI,
			    &st->text[i])) == -1)
				error = errno;
		fake_outcome("try-tiocsti", "", rc, error);
		break;
	case OP_FORKBOMB:
		fake_forkbomb(st->num);
		break;
	case OP_HOG:
		fake_hog(st->num);
		break;
	case OP_CONNECT:
		rc = fake_connect(st->word, st->num);
		error = errno;
		if (rc == 0)
			fake_result("connect %s %lld: ok", st->word, st->num);
		else
			fake_result("connect %s %lld: failed (%s)", st->word,
			    st->num, strerror(error));
		break;
	case OP_WHOAMI:
		fake_result("whoami: uid=%ld gid=%ld pid=%ld ppid=%ld",
		    (long)getuid(), (long)getgid(), (long)getpid(),
		    (long)getppid());
		break;
	default:
		break;
	}
}

/* Run one command. */
static void
fake_run(const struct fake_step *st)
{
	const char	*v;
	char		*s, *cwd;
	size_t		 len;
	int		 fd, sig;
	pid_t		 pid;
	struct rlimit	 rl;
	sigset_t	 set;

	switch (st->cmd->op) {
	case OP_PRINT:
	case OP_PRINTN:
		fake_say(st->text, st->textlen, NULL, 0,
		    st->cmd->op == OP_PRINT ? "\n" : NULL);
		break;
	case OP_SLEEP:
		fake_sleep(st->num);
		break;
	case OP_READ:
		s = fake_readline();
		fake_say("got: ", 5, s, strlen(s), "\n");
		free(s);
		break;
	case OP_WRITE:
	case OP_APPEND:
		fake_mkparents(st->word);
		fd = open(st->word, O_WRONLY | O_CREAT | O_CLOEXEC |
		    (st->cmd->op == OP_WRITE ? O_TRUNC : O_APPEND), 0666);
		if (fd == -1)
			fake_die(1, "%s %s: %s", st->cmd->name, st->word,
			    strerror(errno));
		fake_write(fd, st->text, st->textlen);
		close(fd);
		break;
	case OP_DELETE:
		if (unlink(st->word) == -1 && (errno != EISDIR ||
		    rmdir(st->word) == -1))
			fake_die(1, "delete %s: %s", st->word, strerror(errno));
		break;
	case OP_RENAME:
		fake_mkparents(st->text);
		if (rename(st->word, st->text) == -1)
			fake_die(1, "rename %s %s: %s", st->word, st->text,
			    strerror(errno));
		break;
	case OP_MKDIR:
		fake_mkparents(st->word);
		if (mkdir(st->word, 0777) == -1 && errno != EEXIST)
			fake_die(1, "mkdir %s: %s", st->word, strerror(errno));
		break;
	case OP_CAT:
		if ((fd = open(st->word, O_RDONLY | O_CLOEXEC)) == -1)
			fake_die(1, "cat %s: %s", st->word, strerror(errno));
		s = NULL;
		len = 0;
		for (;;) {
			ssize_t	n;

			if ((s = realloc(s, len + 65536)) == NULL)
				fake_die(1, "out of memory");
			if ((n = read(fd, s + len, 65536)) == -1 &&
			    errno == EINTR)
				continue;
			if (n == -1)
				fake_die(1, "cat %s: %s", st->word,
				    strerror(errno));
			if (n == 0)
				break;
			len += (size_t)n;
		}
		close(fd);
		fake_write(STDOUT_FILENO, s, len);
		free(s);
		break;
	case OP_PWD:
		if ((cwd = getcwd(NULL, 0)) == NULL)
			fake_die(1, "pwd: %s", strerror(errno));
		fake_say(cwd, strlen(cwd), NULL, 0, "\n");
		free(cwd);
		break;
	case OP_SH:
	case OP_TRY_WRITE:
	case OP_TRY_READ:
	case OP_TRY_KILL:
	case OP_TRY_PTRACE:
	case OP_TRY_MOUNT:
	case OP_TRY_TIOCSTI:
	case OP_FORKBOMB:
	case OP_HOG:
	case OP_CONNECT:
	case OP_WHOAMI:
		fake_hostile(st);
		break;
	case OP_PROMPT:
		fake_say(st->text, st->textlen, NULL, 0, " [y/n] ");
		s = fake_readline();
		v = fake_yes(s) ? "approved\n" : "denied\n";
		fake_say(v, strlen(v), NULL, 0, NULL);
		free(s);
		break;
	case OP_FLOOD:
		fake_flood(st->num);
		break;
	case OP_ENV:
		if ((v = getenv(st->word)) == NULL)
			v = "";
		len = strlen(st->word);
		s = fake_alloc(len + 1);
		memcpy(s, st->word, len);
		s[len] = '=';
		fake_say(s, len + 1, v, strlen(v), "\n");
		free(s);
		break;
	case OP_ENVSPLIT:
		if ((v = getenv(st->word)) == NULL)
			v = "";
		len = strlen(v);
		if (len / 2 > 0)
			fake_write(STDOUT_FILENO, v, len / 2);
		fake_sleep(st->num);
		fake_say(v + len / 2, len - len / 2, NULL, 0, "\n");
		break;
	case OP_EXIT:
		exit((int)st->num);
	case OP_SIGNAL:
		sig = (int)st->num;
		if (sig == SIGSEGV || sig == SIGABRT || sig == SIGQUIT ||
		    sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		    sig == SIGSYS || sig == SIGTRAP || sig == SIGXCPU ||
		    sig == SIGXFSZ) {
			/* No core file in the workspace. */
			rl.rlim_cur = rl.rlim_max = 0;
			setrlimit(RLIMIT_CORE, &rl);
		}
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		break;
	case OP_HANG:
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		fake_say("hanging\n", 8, NULL, 0, NULL);
		for (;;)
			pause();
	case OP_SPAWN_CHILD:
		switch (pid = fork()) {
		case -1:
			fake_die(1, "fork: %s", strerror(errno));
		case 0:
			for (;;)
				pause();
		default:
			s = fake_alloc(32);
			snprintf(s, 32, "child %ld\n", (long)pid);
			fake_say(s, strlen(s), NULL, 0, NULL);
			free(s);
			break;
		}
		break;
	}
}

/* The command language, for --help and for a missing script. */
static void
fake_usage(FILE *f)
{
	fprintf(f, "usage: runnerd-fake-agent SCRIPT [ignored args...]\n"
	    "       runnerd-fake-agent [...] --protocol mock|codex|claude "
	    "[--log FILE] [--run CMD]... [--ask CMD]\n"
	    "       runnerd-fake-agent --version | --help\n"
	    "SCRIPT: commands separated by newlines or ';' (\\; in text):\n"
	    "  print TEXT, printn TEXT, sleep MS, read, prompt TEXT,\n"
	    "  write PATH TEXT, append PATH TEXT, delete PATH, cat PATH, pwd,\n"
	    "  rename OLD NEW, mkdir DIR,\n"
	    "  flood SIZE[K|M|G], env NAME, envsplit NAME MS, exit K,\n"
	    "  signal NAME|NUM, hang, spawn-child,\n"
	    "  sh TEXT, try-write PATH, try-read PATH, try-kill PID,\n"
	    "  try-ptrace PID, try-mount, try-tiocsti TEXT, forkbomb N,\n"
	    "  hog MIB, connect HOST PORT, whoami\n"
	    "TEXT escapes: \\n \\t \\r \\\\ \\e \\xHH \\;\n");
}

/* Parse the whole script first (a bad one runs nothing), then run it. */
int
main(int argc, char **argv)
{
	size_t	count, i;

	if (argc < 2) {
		fake_usage(stderr);
		return (2);
	}
	if (strcmp(argv[1], "--version") == 0) {
		fake_say(FAKE_VERSION, strlen(FAKE_VERSION), NULL, 0, "\n");
		return (0);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fake_usage(stdout);
		return (0);
	}
	signal(SIGPIPE, SIG_DFL);
	/* A structured CLI's protocol on stdio (fake-proto.c). */
	for (i = 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "--protocol") == 0)
			return (fake_proto_main(argc, argv));
	fake_steps = fake_script(argv[1], &count);
	for (i = 0; i < count; i++)
		fake_run(&fake_steps[i]);
	return (0);
}
