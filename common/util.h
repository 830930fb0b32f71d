/* Small helpers shared by every process: allocation, time, ids, files. */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define nitems(a)	(sizeof (a) / sizeof ((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

int64_t	 now_ms(void);		/* wall clock, epoch milliseconds */
int64_t	 mono_ms(void);		/* monotonic milliseconds */
/* Format epoch ms as 2026-11-24T15:38:23.123Z into buf (>= 25 bytes). */
void	 iso8601_ms(int64_t, char *, size_t);
/* A random version 4 UUID, 36 characters and a NUL. */
void	 uuid_v4(char out[37]);
int	 uuid_valid(const char *);

int	 mkdir_p(const char *, mode_t);
int	 rm_rf(const char *);
/* Write data to path through a temporary file, fsync and rename. */
int	 write_file_atomic(const char *, const char *, size_t);
/* Read a whole file; NUL-terminated; NULL with errno set on failure. */
char	*read_file(const char *, size_t *);
/* Write all of buf (to a socket: sock, no SIGPIPE); -1 if cut short. */
int	 write_all(int, const char *, size_t, int);
int	 set_nonblock(int);
int	 set_cloexec(int);
ssize_t	 send_fd(int, const void *, size_t, int, int);
/* Receive data and the descriptor sent with it (or -1) into the int. */
ssize_t	 receive_fd(int, void *, size_t, int *, int);
int	 mountinfo_unescape(const char *, size_t, char *, size_t);
/* The mount point (field 5) of a mountinfo line, unescaped in place. */
char	*mountinfo_point(char *);
/* Directory rel below root, one name at a time through no symlink. */
int	 dir_open_beneath(const char *, const char *, int);
/* Close every descriptor from lowfd up. */
void	 close_from(int);
/* Find a program in a PATH string; a malloc'd path or NULL. */
char	*path_search(const char *, const char *);
/* An absolute path with ".", ".." and repeated '/' folded away; new. */
char	*path_normalize(const char *);
/* The integer a /proc/sys file holds, or -1. */
long	 sysctl_long(const char *);
const char *signal_name(int);
/* Create a file (mode, printf-style path), or set its times to now. */
void	 file_touch(mode_t, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Name tables indexed by an enum: a name ("UNKNOWN" out of range), an index. */
const char *name_of(const char *const *, int, int);
int	 name_find(const char *const *, int, const char *);
/* A decimal number in [min, max], digits only (no blank, no sign). */
int	 parse_decimal(const char *, long long, long long, long long *);

#endif
