/*
 * Unit tests: cgroup files (host/cgroupfs.c) — the parsers of cpu.stat,
 * memory.events, memory.oom_control, /proc/self/cgroup and mountinfo, the
 * limit writers and readers and the v2/v1 choice, all against a fake tree
 * of plain files in a temporary directory, with hostile inputs.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/util.h"
#include "host/cgroup.h"
#include "unit.h"

static char	tmp[128];

static void
setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/check_cgroup.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
	rm_rf(tmp);
}

/* dir/file in one of a few static buffers: no frees in the tests. */
static const char *
P(const char *dir, const char *file)
{
	static char	buf[8][512];
	static int	n;
	char		*b = buf[n++ % 8];

	if (file == NULL)
		snprintf(b, sizeof buf[0], "%s/%s", tmp, dir);
	else
		snprintf(b, sizeof buf[0], "%s/%s", dir, file);
	return (b);
}

/* Create dir/file (and dir) holding text. */
static void
put(const char *dir, const char *file, const char *text)
{
	char	*path;
	FILE	*f;

	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	path = xasprintf("%s/%s", dir, file);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	free(path);
}

/* The contents of dir/file, or "(missing)"; static storage. */
static const char *
get(const char *dir, const char *file)
{
	static char	 buf[256];
	char		*path, *s;

	path = xasprintf("%s/%s", dir, file);
	s = read_file(path, NULL);
	free(path);
	snprintf(buf, sizeof buf, "%s", s != NULL ? s : "(missing)");
	free(s);
	return (buf);
}

/* A leaf with empty interface files, as the kernel would make it. */
static void
fake_leaf_v2(const char *dir)
{
	static const char *const files[] = {
		"memory.max", "memory.swap.max", "pids.max", "cpu.max",
		"cgroup.procs"
	};
	size_t	i;

	for (i = 0; i < nitems(files); i++)
		put(dir, files[i], "");
}

START_TEST(test_keyed)
{
	static const char cpu[] = "usage_usec 1534567\nuser_usec 1200000\n"
	    "system_usec 334567\nnr_periods 0\n";
	static const char events[] = "low 0\nhigh 0\nmax 12\noom 3\n"
	    "oom_kill 2\noom_group_kill 0\n";
	static const char oomctl[] = "oom_kill_disable 0\nunder_oom 0\n"
	    "oom_kill 5\n";

	ck_assert_int_eq(cgroupfs_parse_keyed(cpu, "usage_usec"), 1534567);
	ck_assert_int_eq(cgroupfs_parse_keyed(cpu, "system_usec"), 334567);
	ck_assert_int_eq(cgroupfs_parse_keyed(events, "oom_kill"), 2);
	ck_assert_int_eq(cgroupfs_parse_keyed(events, "oom"), 3);
	ck_assert_int_eq(cgroupfs_parse_keyed(oomctl, "oom_kill"), 5);
	ck_assert_int_eq(cgroupfs_parse_keyed(oomctl, "oom_kill_disable"), 0);
	/* No trailing newline. */
	ck_assert_int_eq(cgroupfs_parse_keyed("a 1\nb 22", "b"), 22);

	/* Absent, prefixes, and hostile values. */
	ck_assert_int_eq(cgroupfs_parse_keyed(cpu, "usage"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed(cpu, "usage_use"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed(cpu, "sage_usec"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("", "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed(NULL, "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill", "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill \n", "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill -1\n", "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill 1x\n", "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill  1\n", "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill 1 2\n", "oom_kill"),
	    -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill 99999999999999999999\n",
	    "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill 9223372036854775807\n",
	    "oom_kill"), INT64_MAX);
	ck_assert_int_eq(cgroupfs_parse_keyed("oom_kill 9223372036854775808\n",
	    "oom_kill"), -1);
	ck_assert_int_eq(cgroupfs_parse_keyed("\n\n\noom_kill 4", "oom_kill"),
	    4);
	ck_assert_int_eq(cgroupfs_parse_keyed("x 1\n", ""), -1);
}
END_TEST

START_TEST(test_int)
{
	ck_assert_int_eq(cgroupfs_parse_int("123\n"), 123);
	ck_assert_int_eq(cgroupfs_parse_int("0"), 0);
	ck_assert_int_eq(cgroupfs_parse_int("max\n"), -1);
	ck_assert_int_eq(cgroupfs_parse_int(""), -1);
	ck_assert_int_eq(cgroupfs_parse_int("\n"), -1);
	ck_assert_int_eq(cgroupfs_parse_int("-5\n"), -1);
	ck_assert_int_eq(cgroupfs_parse_int("12 \n"), -1);
	ck_assert_int_eq(cgroupfs_parse_int("12\n\n"), -1);
	ck_assert_int_eq(cgroupfs_parse_int("18446744073709551615\n"), -1);
	ck_assert_int_eq(cgroupfs_parse_int(NULL), -1);
}
END_TEST

START_TEST(test_proc)
{
	static const char hybrid[] = "9:name=systemd:/\n8:pids:/\n"
	    "4:memory:/process_api/5809eb83\n2:cpuacct:/\n1:cpu:/\n0::/\n";
	static const char unified[] = "0::/system.slice/runnerd.service\n";
	static const char joint[] = "3:cpu,cpuacct:/a b/c:d\n"
	    "2:memory,pids:/m\n";
	char	path[64];

	ck_assert_int_eq(cgroupfs_parse_proc(hybrid, "memory", path,
	    sizeof path), 0);
	ck_assert_str_eq(path, "/process_api/5809eb83");
	ck_assert_int_eq(cgroupfs_parse_proc(hybrid, "pids", path, sizeof path),
	    0);
	ck_assert_str_eq(path, "/");
	ck_assert_int_eq(cgroupfs_parse_proc(hybrid, "", path, sizeof path), 0);
	ck_assert_str_eq(path, "/");
	ck_assert_int_eq(cgroupfs_parse_proc(hybrid, "name=systemd", path,
	    sizeof path), 0);
	ck_assert_int_eq(cgroupfs_parse_proc(hybrid, "cpu", path, sizeof path),
	    0);
	ck_assert_int_eq(cgroupfs_parse_proc(hybrid, "blkio", path,
	    sizeof path), -1);
	/* "cpu" is not a prefix match of "cpuacct", nor "systemd" of it. */
	ck_assert_int_eq(cgroupfs_parse_proc("2:cpuacct:/x\n", "cpu", path,
	    sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc(hybrid, "systemd", path,
	    sizeof path), -1);

	ck_assert_int_eq(cgroupfs_parse_proc(unified, "", path, sizeof path), 0);
	ck_assert_str_eq(path, "/system.slice/runnerd.service");
	ck_assert_int_eq(cgroupfs_parse_proc(unified, "memory", path,
	    sizeof path), -1);

	/* Shared hierarchies; a path may hold blanks and colons. */
	ck_assert_int_eq(cgroupfs_parse_proc(joint, "cpuacct", path,
	    sizeof path), 0);
	ck_assert_str_eq(path, "/a b/c:d");
	ck_assert_int_eq(cgroupfs_parse_proc(joint, "pids", path, sizeof path),
	    0);
	ck_assert_str_eq(path, "/m");
	ck_assert_int_eq(cgroupfs_parse_proc(joint, "", path, sizeof path), -1);

	/* Hostile. */
	ck_assert_int_eq(cgroupfs_parse_proc("", "", path, sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc(NULL, "", path, sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc("0::\n", "", path, sizeof path),
	    -1);
	ck_assert_int_eq(cgroupfs_parse_proc("0::relative\n", "", path,
	    sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc("0::/a/../../etc\n", "", path,
	    sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc("0::/..\n", "", path, sizeof path),
	    -1);
	ck_assert_int_eq(cgroupfs_parse_proc("0::/a/./b\n", "", path,
	    sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc("0::/..a/b.\n", "", path,
	    sizeof path), 0);
	ck_assert_int_eq(cgroupfs_parse_proc("4:memory\n", "memory", path,
	    sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc("no colons at all", "", path,
	    sizeof path), -1);
	ck_assert_int_eq(cgroupfs_parse_proc("10::/x\n", "", path, sizeof path),
	    -1);
	ck_assert_int_eq(cgroupfs_parse_proc("0::/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "", path, sizeof path), -1);
}
END_TEST

START_TEST(test_mountinfo)
{
	static const char mi[] =
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup "
	    "rw,cpu\n"
	    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup "
	    "rw,cpuacct\n"
	    "35 31 0:32 /x /sys/fs/cgroup/memory rw,relatime shared:5 - cgroup "
	    "cgroup rw,memory\n"
	    "41 31 0:38 / /sys/fs/cgroup/un\\040ified rw,relatime - cgroup2 "
	    "cgroup2 rw\n";
	char	mnt[64], root[64];

	ck_assert_int_eq(cgroupfs_parse_mountinfo(mi, "cpu", mnt, sizeof mnt,
	    root, sizeof root), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/cpu");
	ck_assert_str_eq(root, "/");
	ck_assert_int_eq(cgroupfs_parse_mountinfo(mi, "cpuacct", mnt,
	    sizeof mnt, root, sizeof root), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/cpuacct");
	/* Optional fields before the separator; a mount of a subtree. */
	ck_assert_int_eq(cgroupfs_parse_mountinfo(mi, "memory", mnt, sizeof mnt,
	    root, sizeof root), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/memory");
	ck_assert_str_eq(root, "/x");
	/* Escapes undone. */
	ck_assert_int_eq(cgroupfs_parse_mountinfo(mi, "", mnt, sizeof mnt, root,
	    sizeof root), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/un ified");
	ck_assert_int_eq(cgroupfs_parse_mountinfo(mi, "pids", mnt, sizeof mnt,
	    root, sizeof root), -1);
	/* "rw" is an option, not a controller of tmpfs. */
	ck_assert_int_eq(cgroupfs_parse_mountinfo(mi, "rw", mnt, sizeof mnt,
	    root, sizeof root), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/cpu");

	/* Hostile: no separator, too few fields, truncated, bad escapes. */
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / /m rw cgroup "
	    "cgroup rw,pids\n", "pids", mnt, sizeof mnt, root, sizeof root),
	    -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / /m rw - cgroup\n",
	    "pids", mnt, sizeof mnt, root, sizeof root), -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 - cgroup c pids\n",
	    "pids", mnt, sizeof mnt, root, sizeof root), -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo("", "", mnt, sizeof mnt, root,
	    sizeof root), -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo(NULL, "", mnt, sizeof mnt,
	    root, sizeof root), -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / m rw - cgroup2 c "
	    "rw\n", "", mnt, sizeof mnt, root, sizeof root), -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / /m\\0 rw - cgroup2 "
	    "c rw\n", "", mnt, sizeof mnt, root, sizeof root), 0);
	ck_assert_str_eq(mnt, "/m\\0");
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / /m\\777 rw - "
	    "cgroup2 c rw\n", "", mnt, sizeof mnt, root, sizeof root), 0);
	ck_assert_str_eq(mnt, "/m\\777");
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / /mmmmmmmmmmmmmmmmm"
	    "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm rw - "
	    "cgroup2 c rw\n", "", mnt, sizeof mnt, root, sizeof root), -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / /m rw - cgroup c "
	    "rw,memoryx\n", "memory", mnt, sizeof mnt, root, sizeof root), -1);
	ck_assert_int_eq(cgroupfs_parse_mountinfo("1 2 0:1 / /m rw - cgroup2x "
	    "c rw\n", "", mnt, sizeof mnt, root, sizeof root), -1);
}
END_TEST

/* mountinfo's \ooo escapes, shared with the overlay sweep (in place). */
START_TEST(test_unescape)
{
	char	out[16], in[32];

	ck_assert_int_eq(mountinfo_unescape("a\\040b\\011", 10, out,
	    sizeof out), 0);
	ck_assert_str_eq(out, "a b\t");
	/* Not an escape: a digit out of range, or cut short by n. */
	ck_assert_int_eq(mountinfo_unescape("\\400\\04", 7, out,
	    sizeof out), 0);
	ck_assert_str_eq(out, "\\400\\04");
	ck_assert_int_eq(mountinfo_unescape("x\\040", 3, out, sizeof out), 0);
	ck_assert_str_eq(out, "x\\0");
	/* Too long for out, NUL included. */
	ck_assert_int_eq(mountinfo_unescape("0123456789abcdef", 16, out,
	    sizeof out), -1);
	ck_assert_int_eq(mountinfo_unescape("0123456789abcde", 15, out,
	    sizeof out), 0);
	/* In place. */
	snprintf(in, sizeof in, "/w/\\134x\\040y");
	ck_assert_int_eq(mountinfo_unescape(in, strlen(in), in,
	    strlen(in) + 1), 0);
	ck_assert_str_eq(in, "/w/\\x y");
}
END_TEST

START_TEST(test_words)
{
	char	buf[64];

	ck_assert(cgroupfs_has_word("cpuset cpu io memory pids\n", "cpu"));
	ck_assert(cgroupfs_has_word("cpuset cpu io memory pids\n", "pids"));
	ck_assert(!cgroupfs_has_word("cpuset io memory\n", "cpu"));
	ck_assert(!cgroupfs_has_word("", "cpu"));
	ck_assert(!cgroupfs_has_word(NULL, "cpu"));
	ck_assert(!cgroupfs_has_word("cpu", ""));

	cgroupfs_cpu_max(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "max 100000");
	cgroupfs_cpu_max(-3, buf, sizeof buf);
	ck_assert_str_eq(buf, "max 100000");
	cgroupfs_cpu_max(100, buf, sizeof buf);
	ck_assert_str_eq(buf, "100000 100000");
	cgroupfs_cpu_max(150, buf, sizeof buf);
	ck_assert_str_eq(buf, "150000 100000");
	cgroupfs_cpu_max(1, buf, sizeof buf);
	ck_assert_str_eq(buf, "1000 100000");
	/* No overflow, whatever comes in. */
	cgroupfs_cpu_max(INT64_MAX, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, " 100000"));
	ck_assert(buf[0] != '-');
}
END_TEST

START_TEST(test_write_v2)
{
	struct cgroup_limits	 lim = { 64 << 20, 64, 150 };
	struct cgroup_limits	 none = { 0, 0, 0 };
	char			 cause[256], *leaf;

	leaf = xasprintf("%s/leaf", tmp);
	fake_leaf_v2(leaf);
	ck_assert_int_eq(cgroupfs_write_v2(leaf, &lim, cause, sizeof cause), 0);
	ck_assert_str_eq(get(leaf, "memory.max"), "67108864");
	ck_assert_str_eq(get(leaf, "memory.swap.max"), "0");
	ck_assert_str_eq(get(leaf, "pids.max"), "64");
	ck_assert_str_eq(get(leaf, "cpu.max"), "150000 100000");
	ck_assert_int_eq(cgroupfs_write_v2(leaf, &none, cause, sizeof cause), 0);
	ck_assert_str_eq(get(leaf, "memory.max"), "max");
	ck_assert_str_eq(get(leaf, "memory.swap.max"), "max");
	ck_assert_str_eq(get(leaf, "pids.max"), "max");
	ck_assert_str_eq(get(leaf, "cpu.max"), "max 100000");

	/* No swap accounting, no cpu controller: limited all the same. */
	unlink(P(leaf, "memory.swap.max"));
	unlink(P(leaf, "cpu.max"));
	ck_assert_int_eq(cgroupfs_write_v2(leaf, &lim, cause, sizeof cause), 0);
	ck_assert_str_eq(get(leaf, "memory.max"), "67108864");
	ck_assert_str_eq(get(leaf, "cpu.max"), "(missing)");

	/* A limit asked for and no controller to hold it: an error. */
	unlink(P(leaf, "pids.max"));
	ck_assert_int_eq(cgroupfs_write_v2(leaf, &lim, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "pids.max"));
	ck_assert_int_eq(cgroupfs_write_v2(leaf, &none, cause, sizeof cause), 0);
	ck_assert_int_eq(cgroupfs_write_v2("/nonexistent/leaf", &lim, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "memory.max"));
	free(leaf);
}
END_TEST

START_TEST(test_write_v1)
{
	struct cgroup_limits	 lim = { 64 << 20, 32, 50 };
	struct cgroup_limits	 none = { 0, 0, 0 };
	const char		*dirs[CGROUP_V1_N];
	char			 cause[256], *mem, *pids, *cpu;

	mem = xasprintf("%s/memory/runnerd/s", tmp);
	pids = xasprintf("%s/pids/runnerd/s", tmp);
	cpu = xasprintf("%s/cpu/runnerd/s", tmp);
	put(mem, "memory.limit_in_bytes", "");
	put(mem, "memory.memsw.limit_in_bytes", "");
	put(pids, "pids.max", "");
	put(cpu, "cpu.cfs_period_us", "");
	put(cpu, "cpu.cfs_quota_us", "");
	dirs[CGROUP_V1_MEMORY] = mem;
	dirs[CGROUP_V1_PIDS] = pids;
	dirs[CGROUP_V1_CPU] = cpu;
	dirs[CGROUP_V1_CPUACCT] = NULL;
	ck_assert_int_eq(cgroupfs_write_v1(dirs, &lim, cause, sizeof cause), 0);
	ck_assert_str_eq(get(mem, "memory.limit_in_bytes"), "67108864");
	ck_assert_str_eq(get(mem, "memory.memsw.limit_in_bytes"), "67108864");
	ck_assert_str_eq(get(pids, "pids.max"), "32");
	ck_assert_str_eq(get(cpu, "cpu.cfs_period_us"), "100000");
	ck_assert_str_eq(get(cpu, "cpu.cfs_quota_us"), "50000");
	ck_assert_int_eq(cgroupfs_write_v1(dirs, &none, cause, sizeof cause), 0);
	ck_assert_str_eq(get(mem, "memory.limit_in_bytes"), "-1");
	ck_assert_str_eq(get(mem, "memory.memsw.limit_in_bytes"), "-1");
	ck_assert_str_eq(get(pids, "pids.max"), "max");
	ck_assert_str_eq(get(cpu, "cpu.cfs_quota_us"), "-1");

	/* No memsw (swap accounting off), no cpu hierarchy: fine. */
	unlink(P(mem, "memory.memsw.limit_in_bytes"));
	dirs[CGROUP_V1_CPU] = NULL;
	ck_assert_int_eq(cgroupfs_write_v1(dirs, &lim, cause, sizeof cause), 0);
	/* No memory or pids hierarchy for a limit: an error naming it. */
	dirs[CGROUP_V1_MEMORY] = NULL;
	ck_assert_int_eq(cgroupfs_write_v1(dirs, &lim, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "memory"));
	dirs[CGROUP_V1_MEMORY] = mem;
	dirs[CGROUP_V1_PIDS] = NULL;
	ck_assert_int_eq(cgroupfs_write_v1(dirs, &lim, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "pids"));
	dirs[CGROUP_V1_PIDS] = pids;
	unlink(P(mem, "memory.limit_in_bytes"));
	ck_assert_int_eq(cgroupfs_write_v1(dirs, &lim, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "memory.limit_in_bytes"));
	free(mem);
	free(pids);
	free(cpu);
}
END_TEST

START_TEST(test_read)
{
	struct cgroup_usage	 u;
	const char		*dirs[CGROUP_V1_N];
	char			*leaf, *mem, *pids, *acct;

	leaf = xasprintf("%s/v2", tmp);
	put(leaf, "cpu.stat", "usage_usec 1500000\nuser_usec 1000000\n");
	put(leaf, "memory.peak", "52428800\n");
	put(leaf, "memory.current", "1048576\n");
	put(leaf, "memory.events", "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n");
	put(leaf, "pids.current", "3\n");
	ck_assert_int_eq(cgroupfs_read_v2(leaf, &u), 0);
	ck_assert(u.cpu_seconds > 1.49 && u.cpu_seconds < 1.51);
	ck_assert_int_eq(u.memory_peak, 52428800);
	ck_assert_int_eq(u.memory_current, 1048576);
	ck_assert_int_eq(u.oom_kills, 1);
	ck_assert_int_eq(u.pids_current, 3);
	/* Before Linux 5.19: no memory.peak. Garbage reads as unknown. */
	unlink(P(leaf, "memory.peak"));
	put(leaf, "memory.events", "oom_kill lots\n");
	ck_assert_int_eq(cgroupfs_read_v2(leaf, &u), 0);
	ck_assert_int_eq(u.memory_peak, -1);
	ck_assert_int_eq(u.oom_kills, -1);
	ck_assert_int_eq(cgroupfs_read_v2(tmp, &u), -1);

	mem = xasprintf("%s/m", tmp);
	pids = xasprintf("%s/p", tmp);
	acct = xasprintf("%s/a", tmp);
	put(mem, "memory.max_usage_in_bytes", "67108864\n");
	put(mem, "memory.usage_in_bytes", "4096\n");
	put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n"
	    "oom_kill 2\n");
	put(pids, "pids.current", "7\n");
	put(acct, "cpuacct.usage", "2500000000\n");
	dirs[CGROUP_V1_MEMORY] = mem;
	dirs[CGROUP_V1_PIDS] = pids;
	dirs[CGROUP_V1_CPU] = NULL;
	dirs[CGROUP_V1_CPUACCT] = acct;
	ck_assert_int_eq(cgroupfs_read_v1(dirs, &u), 0);
	ck_assert(u.cpu_seconds > 2.49 && u.cpu_seconds < 2.51);
	ck_assert_int_eq(u.memory_peak, 67108864);
	ck_assert_int_eq(u.memory_current, 4096);
	ck_assert_int_eq(u.oom_kills, 2);
	ck_assert_int_eq(u.pids_current, 7);
	dirs[CGROUP_V1_CPUACCT] = NULL;
	ck_assert_int_eq(cgroupfs_read_v1(dirs, &u), 0);
	ck_assert(u.cpu_seconds < 0);
	dirs[CGROUP_V1_MEMORY] = dirs[CGROUP_V1_PIDS] = NULL;
	ck_assert_int_eq(cgroupfs_read_v1(dirs, &u), -1);
	free(leaf);
	free(mem);
	free(pids);
	free(acct);
}
END_TEST

/* mountinfo text for a fake tree under tmp: cgroup2, and v1 hierarchies. */
static char *
fake_mountinfo(const char *v1)
{
	char	*s, *t;
	size_t	 i, n;

	s = xasprintf("25 1 0:1 / %s/unified rw - cgroup2 cgroup2 rw\n", tmp);
	for (i = 0; v1 != NULL && v1[i] != '\0'; i += n) {
		n = strcspn(v1 + i, " ");
		t = xasprintf("%s30 25 0:2 / %s/%.*s rw - cgroup cgroup rw,%.*s\n",
		    s, tmp, (int)n, v1 + i, (int)n, v1 + i);
		free(s);
		s = t;
		while (v1[i + n] == ' ')
			n++;
	}
	return (s);
}

START_TEST(test_probe)
{
	char	detail[1024], *mi, *dir, *proc;

	/* v2 under a delegated service cgroup. */
	dir = xasprintf("%s/unified/system.slice/runnerd.service", tmp);
	put(dir, "cgroup.controllers", "cpuset cpu io memory pids\n");
	mi = fake_mountinfo("memory pids");
	proc = "0::/system.slice/runnerd.service\n";
	ck_assert_int_eq(cgroup_probe_text(NULL, proc, mi, detail,
	    sizeof detail), 1);
	ck_assert_msg(strstr(detail, "cgroup v2 at") != NULL &&
	    strstr(detail, "runnerd.service: memory pids cpu") != NULL, "%s",
	    detail);
	ck_assert_int_eq(cgroup_probe_text("auto", proc, mi, detail,
	    sizeof detail), 1);
	/* Once moved into <base>/supervisor, the base is the parent. */
	ck_assert_int_eq(cgroup_probe_text(NULL,
	    "0::/system.slice/runnerd.service/supervisor\n", mi, detail,
	    sizeof detail), 1);
	ck_assert_msg(strstr(detail, "runnerd.service: memory") != NULL, "%s",
	    detail);
	/* An explicit base. */
	ck_assert_int_eq(cgroup_probe_text(dir, proc, mi, detail,
	    sizeof detail), 1);
	/* Without a cpu controller: usable, and it says so. */
	put(dir, "cgroup.controllers", "memory pids\n");
	ck_assert_int_eq(cgroup_probe_text(dir, proc, mi, detail,
	    sizeof detail), 1);
	ck_assert_ptr_nonnull(strstr(detail, "no cpu controller"));
	/* Without memory: not usable there; no v1 memory either. */
	put(dir, "cgroup.controllers", "cpu pids\n");
	ck_assert_int_eq(cgroup_probe_text(dir, proc, mi, detail,
	    sizeof detail), 0);
	ck_assert_ptr_nonnull(strstr(detail, "no memory controller"));
	free(mi);
	mi = fake_mountinfo(NULL);
	ck_assert_int_eq(cgroup_probe_text(NULL, proc, mi, detail,
	    sizeof detail), 0);
	ck_assert_msg(strstr(detail, "no cgroup v1 memory") != NULL &&
	    strstr(detail, "no memory controller") != NULL, "%s", detail);
	free(mi);

	/* The hybrid layout of this kind of host: v2 root without
	 * controllers, v1 memory in a sub-cgroup, the rest at the root. */
	put(P("unified", NULL), "cgroup.controllers", "");
	put(P("memory/process_api/5809", NULL), "tasks", "");
	put(P("pids", NULL), "tasks", "");
	put(P("cpu", NULL), "tasks", "");
	put(P("cpuacct", NULL), "tasks", "");
	mi = fake_mountinfo("memory pids cpu cpuacct");
	proc = "8:pids:/\n4:memory:/process_api/5809\n2:cpuacct:/\n1:cpu:/\n"
	    "0::/\n";
	ck_assert_int_eq(cgroup_probe_text(NULL, proc, mi, detail,
	    sizeof detail), 1);
	ck_assert_msg(strstr(detail, "cgroup v1: memory pids cpu cpuacct; "
	    "memory in ") == detail &&
	    strstr(detail, "/memory/process_api/5809 (") != NULL &&
	    strstr(detail, "root cgroup") != NULL, "%s", detail);
	ck_assert_int_eq(cgroup_probe_text("v1", proc, mi, detail,
	    sizeof detail), 1);
	ck_assert_ptr_null(strstr(detail, "root cgroup"));
	/* No cpu hierarchy: still usable, without a CPU limit. */
	free(mi);
	mi = fake_mountinfo("memory pids cpuacct");
	ck_assert_int_eq(cgroup_probe_text("v1", proc, mi, detail,
	    sizeof detail), 1);
	ck_assert_msg(strstr(detail, "cgroup v1: memory pids cpuacct (no cpu: "
	    "CPU not limited)") == detail, "%s", detail);
	/* No pids hierarchy: not usable. */
	free(mi);
	mi = fake_mountinfo("memory cpu");
	ck_assert_int_eq(cgroup_probe_text("v1", proc, mi, detail,
	    sizeof detail), 0);
	ck_assert_ptr_nonnull(strstr(detail, "no cgroup v1 pids"));

	/* Bad settings and hostile /proc contents. */
	ck_assert_int_eq(cgroup_probe_text("relative/dir", proc, mi, detail,
	    sizeof detail), 0);
	ck_assert_ptr_nonnull(strstr(detail, "cgroup_base"));
	ck_assert_int_eq(cgroup_probe_text(tmp, proc, mi, detail,
	    sizeof detail), 0);
	ck_assert_ptr_nonnull(strstr(detail, "not a cgroup v2 directory"));
	ck_assert_int_eq(cgroup_probe_text(NULL, "", "", detail,
	    sizeof detail), 0);
	ck_assert_int_eq(cgroup_probe_text(NULL, "0::/../..\n4:memory:/..\n",
	    mi, detail, sizeof detail), 0);
	/* A tiny buffer is filled, never overrun. */
	memset(detail, 'x', sizeof detail);
	ck_assert_int_eq(cgroup_probe_text("v1", "x", mi, detail, 8), 0);
	ck_assert_uint_eq(strlen(detail), 7);
	free(mi);
	free(dir);
}
END_TEST

START_TEST(test_create)
{
	struct cgroup_limits	 lim = { 64 << 20, 64, 0 };
	struct cgroup_usage	 u;
	struct cgroup		*cg;
	char			 cause[512], *base, *leaf, pid[32];
	static const char *const bad[] = {
		"", "..", ".", "a/b", "../escape", "supervisor", "cgroup.procs",
		"0123456789012345678901234567890123456789012345678901234567890"
		"12345"
	};
	pid_t			 child;
	size_t			 i;
	int			 status;

	base = xasprintf("%s/base", tmp);
	put(base, "cgroup.controllers", "memory pids\n");
	for (i = 0; i < nitems(bad); i++) {
		ck_assert_ptr_null(cgroup_create(base, bad[i], &lim, cause,
		    sizeof cause));
		ck_assert_str_eq(cause, "bad cgroup name");
	}
	ck_assert_ptr_null(cgroup_create(base, NULL, &lim, cause,
	    sizeof cause));
	/* A base that is no cgroup: the cause says why. */
	ck_assert_ptr_null(cgroup_create(tmp, "s1", &lim, cause,
	    sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "not a cgroup v2 directory"));
	/* A leaf made in a plain directory has no limit files: refused,
	 * and removed again. */
	ck_assert_ptr_null(cgroup_create(base, "s1", &lim, cause,
	    sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "memory.max"));
	ck_assert_int_eq(access(P(base, "s1"), F_OK), -1);

	/* A leaf as the kernel makes it. */
	leaf = xasprintf("%s/s2", base);
	fake_leaf_v2(leaf);
	put(leaf, "memory.events", "oom_kill 4\n");
	put(leaf, "cpu.stat", "usage_usec 250000\n");
	put(leaf, "memory.current", "1000\n");
	cg = cgroup_create(base, "s2", &lim, cause, sizeof cause);
	ck_assert_msg(cg != NULL, "%s", cause);
	ck_assert_str_eq(cgroup_kind(cg), "v2");
	ck_assert_str_eq(get(leaf, "memory.max"), "67108864");
	ck_assert_str_eq(get(leaf, "pids.max"), "64");
	ck_assert_str_eq(get(leaf, "cpu.max"), "max 100000");

	/* Readings: OOM kills counted from creation, the peak remembered. */
	ck_assert_int_eq(cgroup_read(cg, &u), 0);
	ck_assert_int_eq(u.oom_kills, 0);
	ck_assert_int_eq(u.memory_peak, 1000);
	put(leaf, "memory.events", "oom_kill 5\n");
	put(leaf, "memory.current", "500\n");
	ck_assert_int_eq(cgroup_read(cg, &u), 0);
	ck_assert_int_eq(u.oom_kills, 1);
	ck_assert_int_eq(u.memory_peak, 1000);
	ck_assert_int_eq(u.memory_current, 500);

	/* Attach, then destroy: what is listed in the leaf is killed. */
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_gt(child, 0);
	ck_assert_int_eq(cgroup_attach(cg, child, cause, sizeof cause), 0);
	snprintf(pid, sizeof pid, "%ld", (long)child);
	ck_assert_str_eq(get(leaf, "cgroup.procs"), pid);
	cgroup_destroy(cg);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cgroup_destroy(NULL);
	free(leaf);
	free(base);
}
END_TEST

/* Start-up: controllers enabled for an explicit base; failures remembered. */
START_TEST(test_prepare)
{
	char	resolved[512], cause[512], detail[512], *base;

	base = xasprintf("%s/svc", tmp);
	put(base, "cgroup.controllers", "memory pids cpu\n");
	put(base, "cgroup.subtree_control", "");
	ck_assert_ptr_null(cgroup_resolved());
	ck_assert_int_eq(cgroup_prepare(base, resolved, sizeof resolved, cause,
	    sizeof cause), 0);
	ck_assert_str_eq(resolved, base);
	ck_assert_str_eq(cgroup_resolved(), base);
	/* Written one by one (a plain file keeps the last). */
	ck_assert_str_eq(get(base, "cgroup.subtree_control"), "+cpu");
	ck_assert_int_eq(cgroup_probe("/elsewhere", detail, sizeof detail), 1);
	ck_assert_ptr_nonnull(strstr(detail, base));
	free(base);
}
END_TEST

START_TEST(test_prepare_fails)
{
	char	resolved[512], cause[512], detail[512], *base;

	/* No subtree_control to enable the controllers in. */
	base = xasprintf("%s/svc", tmp);
	put(base, "cgroup.controllers", "memory pids\n");
	ck_assert_int_eq(cgroup_prepare(base, resolved, sizeof resolved, cause,
	    sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "cgroup.subtree_control"));
	ck_assert_ptr_null(cgroup_resolved());
	/* The probe reports the same reason from then on. */
	ck_assert_int_eq(cgroup_probe(NULL, detail, sizeof detail), 0);
	ck_assert_str_eq(detail, cause);
	free(base);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("cgroup");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_keyed);
	tcase_add_test(tc, test_int);
	tcase_add_test(tc, test_proc);
	tcase_add_test(tc, test_mountinfo);
	tcase_add_test(tc, test_unescape);
	tcase_add_test(tc, test_words);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write_v2);
	tcase_add_test(tc, test_write_v1);
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_prepare);
	tcase_add_test(tc, test_prepare_fails);
	suite_add_tcase(s, tc);
	return (s);
}
