/*
 * What the unit tests of the structured drivers share (in libunit.a): a
 * log of the sink's calls, one line each, and records fed as JSON text.
 */
#ifndef DRVFIX_H
#define DRVFIX_H

struct drv_ops;

/* The sink's calls so far, one line each, in order. */
extern char	**drvfix_calls;
extern int	  drvfix_ncalls;

/* Add a line to the log. */
void	drvfix_logf(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Forget the log. */
void	drvfix_clear(void);
/* The log as text, each line ended by a newline; then forget it. */
char	*drvfix_take(void);
/* Sink calls both drivers' tests log alike: "gone", "message", "fatal". */
void	drvfix_gone(const char *, void *);
void	drvfix_message(const char *, void *);
void	drvfix_fatal(const char *, void *);
/* Feed a driver one record given as JSON text ("null" feeds NULL). */
void	drvfix_feed(const struct drv_ops *, void *, const char *);

#endif
