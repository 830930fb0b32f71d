/* The diff, between its files. */
#ifndef DIFF_INT_H
#define DIFF_INT_H

#include <stddef.h>

struct json_object;

/* Directories of ignore rules the scratch tmpfs holds (diff_ign). */
#define DIFF_IGN_DIRS	65536

/* diffgit.c */
/* A path as a JSON string, made valid UTF-8 (the channel carries no other). */
struct json_object	*diffgit_path(const char *);
/*
 * In the child: the diff of dir against commit_hex into ev, from the
 * pristine repository when there is one, else the workspace's own .git.
 * 0, or -1 with a cause.
 */
int			 diffgit_compute_any(const char *, const char *,
			    const char *, const char *, struct json_object *,
			    char *, size_t);

#endif
