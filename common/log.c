/* Logging to stderr, each line tagged with the process. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "log.h"

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

/* A warning with strerror(errno) appended; errno is kept. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("warning", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("warning", 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("info", 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vwrite("debug", 0, fmt, ap);
	va_end(ap);
}

/* A broken invariant or a failed start-up syscall: log it and exit. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
