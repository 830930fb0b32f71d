/* Approvals and the exec policy, as the session sees them. */
#ifndef POLICY_H
#define POLICY_H

/* output.c's prompt callback: APPROVAL_REQUESTED for a provider prompt. */
int	 policy_prompt_cb(const char *, void *);
/* The exec policy takes the listener of the CLI's tree (wk.notify_fd). */
void	 policy_exec_start(void);

#endif
