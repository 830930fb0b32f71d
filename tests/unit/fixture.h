/*
 * Set-up the unit tests share (in libunit.a with the one main): a fresh
 * directory per test, removed with whatever was mounted below it, files
 * written into it, and commits of a repository built by the test.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stddef.h>

#include <git2.h>

/* Make a fresh, empty /tmp/<name>.<pid>.<n> in dir (len bytes). */
void	fixture_tmpdir(char *, size_t, const char *);
/* Unmount what a failed test left mounted below dir, then remove it. */
void	fixture_rmdir(const char *);
/* Write text to dir/rel, making its parents. */
void	fixture_put(const char *, const char *, const char *);
/* Whether dir/rel (rel alone when dir is NULL) exists, as lstat sees it. */
int	fixture_exists(const char *, const char *);
/*
 * Commit a tree holding one file, README with content (also the message),
 * onto ref with parent (or none); its id in out.
 */
void	fixture_commit(git_repository *, const char *, const char *,
	    git_commit *, git_oid *);

#endif
