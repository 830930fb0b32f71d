/* Watch: recursive inotify of a tree, reasons, .git, renames, coalescing. */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "common/util.h"
#include "worker/watch.h"
#include "unit.h"

#define NREC	256

static char		 tmp[128];
static struct event_base *base;
static char		*rec[NREC];	/* "write a/b" */
static size_t		 nrec;
static int		 changes;
static int		 alerts;
static int		 seq;

static void
rec_touched(const char *path, enum watch_reason r, void *arg)
{
	ck_assert_uint_lt(nrec, NREC);
	rec[nrec++] = xasprintf("%s %s", watch_reason_name(r), path);
}

static void
rec_changed(void *arg)
{
	changes++;
}

static void
rec_alert(const char *category, const char *title, const char *desc,
    void *arg)
{
	/* start(n) caps the watches: the session's cap, not the system's. */
	ck_assert_str_eq(category, "resources");
	ck_assert_ptr_nonnull(strstr(desc, "max_watches"));
	alerts++;
}

static const struct watch_cb cb = { rec_touched, rec_changed, rec_alert,
				    NULL };

/* How many recorded events equal s. */
static int
seen(const char *s)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < nrec; i++)
		if (strcmp(rec[i], s) == 0)
			n++;
	return (n);
}

static void
put(const char *rel, const char *data)
{
	char	*p;
	int	 fd;

	p = xasprintf("%s/%s", tmp, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, strlen(data)), (int)strlen(data));
	close(fd);
	free(p);
}

static void
get(const char *rel)
{
	char	*p, buf[64];
	int	 fd;

	p = xasprintf("%s/%s", tmp, rel);
	fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(read(fd, buf, sizeof buf), 0);
	close(fd);
	free(p);
}

static void
mk(const char *rel)
{
	char	*p;

	p = xasprintf("%s/%s", tmp, rel);
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
}

static void
setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/check_watch.%ld.%d", (long)getpid(),
	    seq++);
	rm_rf(tmp);
	ck_assert_int_eq(mkdir_p(tmp, 0755), 0);
	mk(".git/objects");
	mk("src/deep");
	put("README", "hello\n");
	put("src/main.c", "int main;\n");
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	nrec = 0;
	changes = 0;
	alerts = 0;
}

static void
teardown(void)
{
	size_t	i;

	for (i = 0; i < nrec; i++)
		free(rec[i]);
	event_base_free(base);
	rm_rf(tmp);
}

static struct watch *
start(size_t max)
{
	struct watch	*w;
	char		 cause[256];

	w = watch_create(base, tmp, &cb, max, cause, sizeof cause);
	ck_assert_msg(w != NULL, "%s", cause);
	return (w);
}

START_TEST(test_reasons)
{
	struct watch	*w = start(0);
	char		*p;

	ck_assert_uint_eq(watch_dirs(w), 3);	/* root, src, src/deep */
	watch_flush(w, 1);
	ck_assert_uint_eq(nrec, 0);		/* nothing before the watch */
	put("src/main.c", "int main(void);\n");
	get("README");
	p = xasprintf("%s/src/deep/x", tmp);
	put("src/deep/x", "x");
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write src/main.c"), 1);
	ck_assert_int_eq(seen("read README"), 1);
	/* Created and deleted at once: a temp file, not reported. */
	ck_assert_int_eq(seen("write src/deep/x"), 0);
	ck_assert_int_eq(seen("delete src/deep/x"), 0);
	ck_assert_uint_eq(nrec, 2);
	ck_assert_int_ge(changes, 3);
	ck_assert_uint_eq(watch_paths(w), 2);
	/* An old file deleted is. */
	p = xasprintf("%s/README", tmp);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	watch_flush(w, 1);
	ck_assert_int_eq(seen("delete README"), 1);
	watch_free(w);
}
END_TEST

START_TEST(test_reads_skipped)
{
	struct watch	*w = start(0);

	get("README");
	put("src/main.c", "x\n");
	watch_flush(w, 0);
	ck_assert_int_eq(seen("read README"), 0);
	ck_assert_int_eq(seen("write src/main.c"), 1);
	watch_free(w);
}
END_TEST

START_TEST(test_git_excluded)
{
	struct watch	*w = start(0);

	put(".git/HEAD", "ref: refs/heads/main\n");
	put(".git/objects/ab", "x");
	get(".git/HEAD");
	mk(".git/refs/heads");
	watch_flush(w, 1);
	ck_assert_uint_eq(nrec, 0);
	ck_assert_uint_eq(watch_dirs(w), 3);
	watch_free(w);
}
END_TEST

START_TEST(test_new_dirs)
{
	struct watch	*w = start(0);

	/* Created and filled before the watch can see the directory. */
	mk("a/b/c");
	put("a/b/c/f", "f");
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write a/b/c/f"), 1);
	ck_assert_uint_eq(watch_dirs(w), 6);
	/* Now watched: later files are seen as they come. */
	put("a/b/g", "g");
	get("a/b/c/f");
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write a/b/g"), 1);
	ck_assert_int_eq(seen("read a/b/c/f"), 1);
	watch_free(w);
}
END_TEST

START_TEST(test_rename)
{
	struct watch	*w = start(0);
	char		*a, *b;

	a = xasprintf("%s/README", tmp);
	b = xasprintf("%s/src/README.md", tmp);
	ck_assert_int_eq(rename(a, b), 0);
	watch_flush(w, 1);
	ck_assert_int_eq(seen("delete README"), 1);
	ck_assert_int_eq(seen("write src/README.md"), 1);
	ck_assert_uint_eq(nrec, 2);
	free(a);
	free(b);

	/* A directory moved: watched under its new name, not its old. */
	a = xasprintf("%s/src/deep", tmp);
	b = xasprintf("%s/shallow", tmp);
	ck_assert_int_eq(rename(a, b), 0);
	watch_flush(w, 1);
	ck_assert_uint_eq(watch_dirs(w), 3);
	put("shallow/y", "y");
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write shallow/y"), 1);
	ck_assert_int_eq(seen("write src/deep/y"), 0);
	free(a);
	free(b);
	watch_free(w);
}
END_TEST

START_TEST(test_atomic_write)
{
	struct watch	*w = start(0);
	struct timeval	 tv = { 0, (WATCH_COALESCE_MS + 100) * 1000 };
	char		*a, *b;

	/*
	 * An editor's or a CLI's atomic write: x.tmp.123 written, then
	 * renamed to x. Only x is reported, as written.
	 */
	put("notes.md.tmp.123", "draft\n");
	a = xasprintf("%s/notes.md.tmp.123", tmp);
	b = xasprintf("%s/notes.md", tmp);
	ck_assert_int_eq(rename(a, b), 0);
	put("src/.main.c.swp", "x");
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write notes.md"), 1);
	ck_assert_int_eq(seen("write notes.md.tmp.123"), 0);
	ck_assert_int_eq(seen("delete notes.md.tmp.123"), 0);
	/* A new file that stays is reported (here by the flush). */
	ck_assert_int_eq(seen("write src/.main.c.swp"), 1);
	ck_assert_uint_eq(nrec, 2);

	/*
	 * Through the loop: the temp file's creation and its rename are
	 * read apart, still within the window.
	 */
	put("src/a.tmp", "tmp\n");
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_eq(nrec, 2);
	free(a);
	free(b);
	a = xasprintf("%s/src/a.tmp", tmp);
	b = xasprintf("%s/src/a", tmp);
	ck_assert_int_eq(rename(a, b), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(seen("write src/a"), 1);
	ck_assert_int_eq(seen("write src/a.tmp"), 0);

	/* A new file left alone is reported once its window is over. */
	put("src/kept", "k\n");
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(seen("write src/kept"), 0);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ck_assert_int_eq(seen("write src/kept"), 1);
	ck_assert_int_eq(seen("delete src/a.tmp"), 0);
	free(a);
	free(b);
	watch_free(w);
}
END_TEST

START_TEST(test_coalesce)
{
	struct watch	*w = start(0);
	int		 i;

	for (i = 0; i < 20; i++)
		put("README", "again\n");
	for (i = 0; i < 5; i++)
		get("README");
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write README"), 1);
	ck_assert_int_eq(seen("read README"), 1);
	usleep((WATCH_COALESCE_MS + 50) * 1000);
	put("README", "later\n");
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write README"), 2);
	ck_assert_uint_eq(watch_paths(w), 1);
	watch_free(w);
}
END_TEST

START_TEST(test_out_of_watches)
{
	struct watch	*w = start(2);

	ck_assert_int_eq(alerts, 1);
	ck_assert_uint_eq(watch_dirs(w), 2);
	mk("more/dirs");
	put("README", "still seen\n");
	watch_flush(w, 1);
	ck_assert_int_eq(alerts, 1);		/* once */
	ck_assert_int_eq(seen("write README"), 1);
	watch_free(w);
}
END_TEST

static void
loop_timeout_cb(int fd, short events, void *arg)
{
	event_base_loopbreak(base);
}

START_TEST(test_event_loop)
{
	struct watch	*w = start(0);
	struct event	*t;
	struct timeval	 tv = { 0, 200 * 1000 };

	put("src/main.c", "changed\n");
	t = evtimer_new(base, loop_timeout_cb, NULL);
	evtimer_add(t, &tv);
	event_base_dispatch(base);
	event_free(t);
	ck_assert_int_eq(seen("write src/main.c"), 1);
	watch_free(w);
}
END_TEST

/*
 * A directory swapped for a symlink to somewhere else between its event
 * and its watch: nothing out there is watched or reported.
 */
START_TEST(test_symlink_swap)
{
	struct watch	*w = start(0);
	char		*out, *cmd;

	out = xasprintf("%s.out", tmp);
	rm_rf(out);
	ck_assert_int_eq(mkdir_p(out, 0700), 0);
	cmd = xasprintf("mkdir -p '%s/b/deep' && echo s >'%s/b/canary' && "
	    "echo s >'%s/b/deep/canary2'", out, out, out);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	mk("a");
	watch_flush(w, 1);
	/* b's event names a/b; by the time it is read, a is a link. */
	mk("a/b");
	cmd = xasprintf("cd '%s' && mv a a.old && ln -s '%s' a && "
	    "ln -s '%s' top", tmp, out, out);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	watch_flush(w, 1);
	/* Only the link itself, never what is behind it. */
	ck_assert_int_eq(seen("write a/b/canary"), 0);
	ck_assert_int_eq(seen("write a/b/deep/canary2"), 0);
	ck_assert_int_eq(seen("write top/b/canary"), 0);
	/* root, src, src/deep, a.old, a.old/b */
	ck_assert_uint_eq(watch_dirs(w), 5);
	cmd = xasprintf("echo t >'%s/b/canary' && echo t >'%s/new'", out, out);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	watch_flush(w, 1);
	ck_assert_int_eq(seen("write a/b/canary"), 0);
	ck_assert_int_eq(seen("write a/new"), 0);
	watch_free(w);
	rm_rf(out);
	free(out);
}
END_TEST

static int
init_emfile(int flags)
{
	errno = EMFILE;
	return (-1);
}

START_TEST(test_no_instance)
{
	char	cause[256];

	/* As at fs.inotify.max_user_instances: NULL, cause and errno. */
	watch_set_init(init_emfile);
	errno = 0;
	ck_assert_ptr_null(watch_create(base, tmp, &cb, 0, cause,
	    sizeof cause));
	ck_assert_int_eq(errno, EMFILE);
	ck_assert_ptr_nonnull(strstr(cause, "inotify_init1"));
	watch_set_init(NULL);
	watch_free(start(0));
}
END_TEST

START_TEST(test_room)
{
	ck_assert_int_eq(watch_in_room("src/a.c", "src"), 1);
	ck_assert_int_eq(watch_in_room("src/a.c", "./src/"), 1);
	ck_assert_int_eq(watch_in_room("src", "src"), 1);
	ck_assert_int_eq(watch_in_room("srcx/a.c", "src"), 0);
	ck_assert_int_eq(watch_in_room("lib/a.c", "src"), 0);
	ck_assert_int_eq(watch_in_room("a/b/c", "a/b"), 1);
	ck_assert_int_eq(watch_in_room("x", "/"), 1);
	ck_assert_int_eq(watch_in_room("x", "."), 1);
	ck_assert_str_eq(watch_reason_name(WATCH_DELETE), "delete");
}
END_TEST

START_TEST(test_missing_root)
{
	char	cause[256];

	ck_assert_ptr_null(watch_create(base, "/nonexistent/check_watch", &cb,
	    0, cause, sizeof cause));
	ck_assert_ptr_nonnull(strstr(cause, "cannot watch"));
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("watch");
	TCase	*tc;

	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reasons);
	tcase_add_test(tc, test_reads_skipped);
	tcase_add_test(tc, test_git_excluded);
	tcase_add_test(tc, test_new_dirs);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_coalesce);
	tcase_add_test(tc, test_atomic_write);
	tcase_add_test(tc, test_event_loop);
	tcase_add_test(tc, test_symlink_swap);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_out_of_watches);
	tcase_add_test(tc, test_missing_root);
	tcase_add_test(tc, test_no_instance);
	suite_add_tcase(s, tc);

	tc = tcase_create("rooms");
	tcase_add_test(tc, test_room);
	suite_add_tcase(s, tc);
	return (s);
}
