/*
 * cgroup files: the parsers of what the kernel writes (/proc/<pid>/cgroup,
 * mountinfo, flat keyed files), the limits written into a leaf and the
 * readings taken from it, for v2 and v1 alike.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "host/cgroup_int.h"

#define CGROUP_CPU_PERIOD	100000	/* µs; cpu.max / cfs_period_us */

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* The v1 hierarchies' controller names, by CGROUP_V1_*. */
const char *const cgroup_v1_names[CGROUP_V1_N] = {
	"memory", "pids", "cpu", "cpuacct"
};

/* Whether a separated list (by any of seps) holds word. */
static int
cgroupfs_in_list(const char *list, size_t len, const char *word,
    const char *seps)
{
	size_t	i = 0, n, wlen = strlen(word);

	while (i < len) {
		while (i < len && strchr(seps, list[i]) != NULL)
			i++;
		n = 0;
		while (i + n < len && strchr(seps, list[i + n]) == NULL)
			n++;
		if (n > 0 && n == wlen && memcmp(list + i, word, n) == 0)
			return (1);
		i += n;
	}
	return (0);
}

int
cgroupfs_has_word(const char *list, const char *word)
{
	if (list == NULL || *word == '\0')
		return (0);
	return (cgroupfs_in_list(list, strlen(list), word, " \t\n"));
}

/* A decimal number of up to 19 digits; -1 if s[0..len) is not one. */
static int64_t
cgroupfs_number(const char *s, size_t len)
{
	int64_t	v = 0;
	size_t	i;

	if (len == 0 || len > 19)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

int64_t
cgroupfs_parse_keyed(const char *text, const char *key)
{
	const char	*line, *end, *v;
	size_t		 klen = strlen(key);

	if (text == NULL || klen == 0)
		return (-1);
	for (line = text; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if ((size_t)(end - line) <= klen + 1 ||
		    memcmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		v = line + klen + 1;
		return (cgroupfs_number(v, (size_t)(end - v)));
	}
	return (-1);
}

int64_t
cgroupfs_parse_int(const char *text)
{
	size_t	len;

	if (text == NULL)
		return (-1);
	len = strlen(text);
	if (len > 0 && text[len - 1] == '\n')
		len--;
	return (cgroupfs_number(text, len));
}

/* A path from the kernel: absolute, and no "." or ".." component. */
static int
cgroupfs_path_ok(const char *p)
{
	const char	*c;
	size_t		 n;

	if (*p != '/')
		return (0);
	for (c = p; *c != '\0'; c += n) {
		while (*c == '/')
			c++;
		n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' &&
		    c[1] == '.'))
			return (0);
	}
	return (1);
}

int
cgroupfs_parse_proc(const char *text, const char *ctrl, char *path, size_t len)
{
	const char	*line, *end, *c1, *c2;
	size_t		 n;
	int		 match;

	if (text == NULL)
		return (-1);
	for (line = text; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if ((c1 = memchr(line, ':', (size_t)(end - line))) == NULL ||
		    (c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1))) == NULL)
			continue;
		if (*ctrl == '\0')
			match = c2 == c1 + 1 && c1 - line == 1 && line[0] == '0';
		else
			match = cgroupfs_in_list(c1 + 1, (size_t)(c2 - c1 - 1),
			    ctrl, ",");
		if (!match)
			continue;
		n = (size_t)(end - c2 - 1);
		if (n == 0 || n >= len)
			return (-1);
		memcpy(path, c2 + 1, n);
		path[n] = '\0';
		if (!cgroupfs_path_ok(path))
			return (-1);
		return (0);
	}
	return (-1);
}

int
cgroupfs_parse_mountinfo(const char *text, const char *ctrl, char *mnt,
    size_t mlen, char *root, size_t rlen)
{
	const char	*line, *end, *f[16], *p;
	size_t		 fl[16], nf, sep;
	int		 match;

	if (text == NULL)
		return (-1);
	for (line = text; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		end = strchrnul(line, '\n');
		/* Fields: id parent dev root mnt opts [opt...] - type src so */
		nf = 0;
		for (p = line; p < end && nf < nitems(f);) {
			while (p < end && *p == ' ')
				p++;
			if (p == end)
				break;
			f[nf] = p;
			while (p < end && *p != ' ')
				p++;
			fl[nf] = (size_t)(p - f[nf]);
			nf++;
		}
		for (sep = 6; sep < nf; sep++)
			if (fl[sep] == 1 && f[sep][0] == '-')
				break;
		if (sep + 3 >= nf)
			continue;
		if (*ctrl == '\0')
			match = fl[sep + 1] == 7 &&
			    memcmp(f[sep + 1], "cgroup2", 7) == 0;
		else
			match = fl[sep + 1] == 6 &&
			    memcmp(f[sep + 1], "cgroup", 6) == 0 &&
			    cgroupfs_in_list(f[sep + 3], fl[sep + 3], ctrl, ",");
		if (!match)
			continue;
		if (mountinfo_unescape(f[4], fl[4], mnt, mlen) == -1 ||
		    mountinfo_unescape(f[3], fl[3], root, rlen) == -1 ||
		    *mnt != '/' || *root != '/')
			return (-1);
		return (0);
	}
	return (-1);
}

/* Join a mount point and a cgroup path below the mount's root. */
int
cgroupfs_join(const char *mnt, const char *root, const char *own, char *out,
    size_t len)
{
	size_t	rl = strlen(root);
	int	n;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl > 1) {
		if (strncmp(own, root, rl) != 0 ||
		    (own[rl] != '/' && own[rl] != '\0'))
			return (-1);
		own += rl;
	}
	while (*own == '/')
		own++;
	if (*own == '\0')
		n = snprintf(out, len, "%s", mnt);
	else
		n = snprintf(out, len, "%s%s%s", mnt,
		    mnt[strlen(mnt) - 1] == '/' ? "" : "/", own);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

/* Read dir/file into a string (caller frees); NULL if unreadable. */
char *
cgroupfs_read_file(const char *dir, const char *file)
{
	char	*path, *s;

	path = xasprintf("%s/%s", dir, file);
	s = read_file(path, NULL);
	free(path);
	return (s);
}

/* Write value to dir/file; a missing file is fine when optional. */
int
cgroupfs_write_file(const char *dir, const char *file, const char *value,
    int optional, char *cause, size_t causelen)
{
	char	*path;
	size_t	 len = strlen(value);
	ssize_t	 n;
	int	 fd, error;

	path = xasprintf("%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY|O_TRUNC|O_CLOEXEC)) == -1) {
		error = errno;
		free(path);
		if (error == ENOENT && optional)
			return (0);
		CAUSE("%s/%s: %s", dir, file, strerror(error));
		return (-1);
	}
	do
		n = write(fd, value, len);
	while (n == -1 && errno == EINTR);
	error = errno;
	close(fd);
	free(path);
	if (n != (ssize_t)len) {
		CAUSE("%s/%s: write %s: %s", dir, file, value,
		    n == -1 ? strerror(error) : "short write");
		return (-1);
	}
	return (0);
}

/* Whether dir/file exists. */
static int
cgroupfs_exists(const char *dir, const char *file)
{
	char	*path;
	int	 rv;

	path = xasprintf("%s/%s", dir, file);
	rv = access(path, F_OK) == 0;
	free(path);
	return (rv);
}

/* A number, or none when 0. */
static void
cgroupfs_limit_str(int64_t v, const char *none, char *buf, size_t len)
{
	if (v <= 0)
		snprintf(buf, len, "%s", none);
	else
		snprintf(buf, len, "%" PRId64, v);
}

void
cgroupfs_cpu_max(int64_t pct, char *buf, size_t len)
{
	int64_t	quota;

	if (pct <= 0) {
		snprintf(buf, len, "max %d", CGROUP_CPU_PERIOD);
		return;
	}
	if (pct > INT64_MAX / (CGROUP_CPU_PERIOD / 100))
		pct = INT64_MAX / (CGROUP_CPU_PERIOD / 100);
	quota = pct * (CGROUP_CPU_PERIOD / 100);
	snprintf(buf, len, "%" PRId64 " %d", quota, CGROUP_CPU_PERIOD);
}

int
cgroupfs_write_v2(const char *dir, const struct cgroup_limits *lim,
    char *cause, size_t causelen)
{
	char	buf[64];

	cgroupfs_limit_str(lim->memory_max, "max", buf, sizeof buf);
	if (cgroupfs_write_file(dir, "memory.max", buf, lim->memory_max <= 0,
	    cause, causelen) == -1)
		return (-1);
	/* The limit is on memory, not on memory until it can swap. */
	if (cgroupfs_write_file(dir, "memory.swap.max", lim->memory_max > 0 ?
	    "0" : "max", 1, cause, causelen) == -1)
		return (-1);
	cgroupfs_limit_str(lim->pids_max, "max", buf, sizeof buf);
	if (cgroupfs_write_file(dir, "pids.max", buf, lim->pids_max <= 0, cause,
	    causelen) == -1)
		return (-1);
	cgroupfs_cpu_max(lim->cpu_max_pct, buf, sizeof buf);
	if (lim->cpu_max_pct > 0 && !cgroupfs_exists(dir, "cpu.max"))
		log_warnx("%s: no cpu controller: CPU not limited", dir);
	else if (cgroupfs_write_file(dir, "cpu.max", buf, 1, cause,
	    causelen) == -1)
		return (-1);
	return (0);
}

int
cgroupfs_write_v1(const char *const dirs[CGROUP_V1_N],
    const struct cgroup_limits *lim, char *cause, size_t causelen)
{
	const char	*mem = dirs[CGROUP_V1_MEMORY];
	const char	*pids = dirs[CGROUP_V1_PIDS];
	const char	*cpu = dirs[CGROUP_V1_CPU];
	char		 buf[64];

	if (mem != NULL) {
		cgroupfs_limit_str(lim->memory_max, "-1", buf, sizeof buf);
		/* memsw must stay >= the limit: order the two writes. */
		if (lim->memory_max > 0) {
			if (cgroupfs_write_file(mem, "memory.limit_in_bytes",
			    buf, 0, cause, causelen) == -1 ||
			    cgroupfs_write_file(mem,
			    "memory.memsw.limit_in_bytes", buf, 1, cause,
			    causelen) == -1)
				return (-1);
		} else if (cgroupfs_write_file(mem,
		    "memory.memsw.limit_in_bytes", buf, 1, cause,
		    causelen) == -1 || cgroupfs_write_file(mem,
		    "memory.limit_in_bytes", buf, 1, cause, causelen) == -1)
			return (-1);
	} else if (lim->memory_max > 0) {
		CAUSE("no memory hierarchy for memory.limit_in_bytes");
		return (-1);
	}
	if (pids != NULL) {
		cgroupfs_limit_str(lim->pids_max, "max", buf, sizeof buf);
		if (cgroupfs_write_file(pids, "pids.max", buf,
		    lim->pids_max <= 0, cause, causelen) == -1)
			return (-1);
	} else if (lim->pids_max > 0) {
		CAUSE("no pids hierarchy for pids.max");
		return (-1);
	}
	if (cpu != NULL) {
		snprintf(buf, sizeof buf, "%d", CGROUP_CPU_PERIOD);
		if (cgroupfs_write_file(cpu, "cpu.cfs_period_us", buf,
		    lim->cpu_max_pct <= 0, cause, causelen) == -1)
			return (-1);
		if (lim->cpu_max_pct > 0)
			snprintf(buf, sizeof buf, "%" PRId64,
			    lim->cpu_max_pct * (CGROUP_CPU_PERIOD / 100));
		else
			snprintf(buf, sizeof buf, "-1");
		if (cgroupfs_write_file(cpu, "cpu.cfs_quota_us", buf,
		    lim->cpu_max_pct <= 0, cause, causelen) == -1)
			return (-1);
	} else if (lim->cpu_max_pct > 0)
		log_warnx("no cpu hierarchy: CPU not limited");
	return (0);
}

/* A one-number file of dir; -1 if missing or not a number. */
static int64_t
cgroupfs_read_int(const char *dir, const char *file)
{
	char	*s;
	int64_t	 v;

	if ((s = cgroupfs_read_file(dir, file)) == NULL)
		return (-1);
	v = cgroupfs_parse_int(s);
	free(s);
	return (v);
}

/* A key of a flat keyed file of dir; -1 if missing. */
static int64_t
cgroupfs_read_keyed(const char *dir, const char *file, const char *key)
{
	char	*s;
	int64_t	 v;

	if ((s = cgroupfs_read_file(dir, file)) == NULL)
		return (-1);
	v = cgroupfs_parse_keyed(s, key);
	free(s);
	return (v);
}

int
cgroupfs_read_v2(const char *dir, struct cgroup_usage *u)
{
	int64_t	usec;

	usec = cgroupfs_read_keyed(dir, "cpu.stat", "usage_usec");
	u->cpu_seconds = usec >= 0 ? (double)usec / 1e6 : -1.0;
	u->memory_peak = cgroupfs_read_int(dir, "memory.peak");
	u->memory_current = cgroupfs_read_int(dir, "memory.current");
	u->oom_kills = cgroupfs_read_keyed(dir, "memory.events", "oom_kill");
	u->pids_current = cgroupfs_read_int(dir, "pids.current");
	if (usec < 0 && u->memory_current < 0 && u->pids_current < 0)
		return (-1);
	return (0);
}

int
cgroupfs_read_v1(const char *const dirs[CGROUP_V1_N], struct cgroup_usage *u)
{
	const char	*mem = dirs[CGROUP_V1_MEMORY];
	const char	*pids = dirs[CGROUP_V1_PIDS];
	const char	*acct = dirs[CGROUP_V1_CPUACCT];
	int64_t		 nsec = -1;

	u->memory_peak = u->memory_current = u->oom_kills = -1;
	u->pids_current = -1;
	if (acct != NULL)
		nsec = cgroupfs_read_int(acct, "cpuacct.usage");
	u->cpu_seconds = nsec >= 0 ? (double)nsec / 1e9 : -1.0;
	if (mem != NULL) {
		u->memory_peak = cgroupfs_read_int(mem,
		    "memory.max_usage_in_bytes");
		u->memory_current = cgroupfs_read_int(mem,
		    "memory.usage_in_bytes");
		u->oom_kills = cgroupfs_read_keyed(mem, "memory.oom_control",
		    "oom_kill");
	}
	if (pids != NULL)
		u->pids_current = cgroupfs_read_int(pids, "pids.current");
	if (nsec < 0 && u->memory_current < 0 && u->pids_current < 0)
		return (-1);
	return (0);
}
