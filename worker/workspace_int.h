/* The workspace, between its files. */
#ifndef WORKSPACE_INT_H
#define WORKSPACE_INT_H

/* workspace.c */
/* libgit2's last error message, or a fallback. */
const char	*workspace_git_error(void);

#endif
