/* What the libgit2 runnerd is built with can do. */
#include "config.h"

#include "host/gitcap.h"

/* Whether mirrors can be fetched shallow with this libgit2. */
int
gitcap_can_shallow(void)
{
#ifdef WORKSPACE_SHALLOW
	return (1);
#else
	return (0);
#endif
}

/* libgit2's last error message, or a fallback. */
const char *
gitcap_error(void)
{
	const git_error	*e;

	e = git_error_last();
	return (e != NULL && e->message != NULL ? e->message : "unknown error");
}
