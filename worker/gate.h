/* Approvals and the exec policy, as the session sees them. */
#ifndef GATE_H
#define GATE_H

/* output.c's prompt callback: APPROVAL_REQUESTED for a provider prompt. */
int	 gate_prompt_cb(const char *, void *);
/* The exec policy takes the listener of the CLI's tree (wk.notify_fd). */
void	 gate_exec_start(void);

#endif
