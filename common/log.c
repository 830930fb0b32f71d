/* Logging to stderr, each line tagged with the process. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "common/log.h"

static int	log_verbose;
static char	log_tag[64] = "runnerd";

/* Set verbosity (0 warnings and info, 1 debug) and the process tag. */
void
log_init(int verbose, const char *tag)
{
	log_verbose = verbose;
	if (tag != NULL)
		log_settag("%s", tag);
}

/* Change the tag, e.g. once a worker knows its session. */
void
log_settag(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(log_tag, sizeof log_tag, fmt, ap);
	va_end(ap);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

/* Write one line: time, tag, level, message and optional errno string. */
static void
log_vwrite(const char *level, int err, const char *fmt, va_list ap)
{
	char		 msg[2048], ts[32];
	struct timeval	 tv;
	struct tm	 tm;

	vsnprintf(msg, sizeof msg, fmt, ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	if (err != 0)
		fprintf(stderr, "%s.%03ld %s %s: %s: %s\n", ts,
		    (long)(tv.tv_usec / 1000), log_tag, level, msg,
		    strerror(err));
	else
		fprintf(stderr, "%s.%03ld %s %s: %s\n", ts,
		    (long)(tv.tv_usec / 1000), log_tag, level, msg);
	fflush(stderr);
}

/* Write a line of the calling function's own format and arguments. */
#define LOG_VA(level, err) do {						\
	va_list	ap;							\
									\
	va_start(ap, fmt);						\
	log_vwrite(level, err, fmt, ap);				\
	va_end(ap);							\
} while (0)

/* A warning with strerror(errno) appended; errno is kept. */
void
log_warn(const char *fmt, ...)
{
	int	saved = errno;

	LOG_VA("warning", saved);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	LOG_VA("warning", 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_VA("info", 0);
}

void
log_debug(const char *fmt, ...)
{
	if (log_verbose < 1)
		return;
	LOG_VA("debug", 0);
}

/* A broken invariant or a failed start-up syscall: log it and exit. */
void
fatal(const char *fmt, ...)
{
	int	saved = errno;

	LOG_VA("fatal", saved);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_VA("fatal", 0);
	exit(1);
}
