/* What the unit tests of the structured drivers share (drvfix.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "common/util.h"
#include "worker/driver.h"
#include "drvfix.h"

char	**drvfix_calls;
int	  drvfix_ncalls;

/* Add a line to the log. */
void
drvfix_logf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	ck_assert_int_ne(vasprintf(&s, fmt, ap), -1);
	va_end(ap);
	drvfix_calls = xrealloc(drvfix_calls,
	    (drvfix_ncalls + 1) * sizeof *drvfix_calls);
	drvfix_calls[drvfix_ncalls++] = s;
}

/* Forget the log. */
void
drvfix_clear(void)
{
	while (drvfix_ncalls > 0)
		free(drvfix_calls[--drvfix_ncalls]);
	free(drvfix_calls);
	drvfix_calls = NULL;
}

/* The log as text, each line ended by a newline; then forget it. */
char *
drvfix_take(void)
{
	char	*s, *p;
	size_t	 len = 1;
	int	 i;

	for (i = 0; i < drvfix_ncalls; i++)
		len += strlen(drvfix_calls[i]) + 1;
	s = p = xmalloc(len);
	for (i = 0; i < drvfix_ncalls; i++)
		p += sprintf(p, "%s\n", drvfix_calls[i]);
	*p = '\0';
	drvfix_clear();
	return (s);
}

/* Sink: an approval is gone. */
void
drvfix_gone(const char *token, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(token);
	drvfix_logf("gone %s", token);
}

/* Sink: the agent's message. */
void
drvfix_message(const char *s, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(s);
	drvfix_logf("message %s", s);
}

/* Sink: the session fails. */
void
drvfix_fatal(const char *cause, void *arg)
{
	(void)arg;
	ck_assert_ptr_nonnull(cause);
	drvfix_logf("fatal %s", cause);
}

/* Feed a driver one record given as JSON text ("null" feeds NULL). */
void
drvfix_feed(const struct drv_ops *ops, void *d, const char *text)
{
	struct json_object	*o = json_tokener_parse(text);

	ck_assert_msg(o != NULL || strcmp(text, "null") == 0,
	    "bad test JSON: %s", text);
	ops->record(d, o);
	json_object_put(o);
}
