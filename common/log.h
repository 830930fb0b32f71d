/* Logging to stderr, each line tagged with the process (runnerd, worker[3f2a1b2c]). */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_WARNX	0
#define LOG_INFOX	1
#define LOG_DEBUGX	2

void	log_init(int verbose, const char *tag);
void	log_settag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
