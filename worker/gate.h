/* Approvals and the exec policy, as the session sees them. */
#ifndef GATE_H
#define GATE_H

#include <stddef.h>

struct json_object;

/* output.c's prompt callback: APPROVAL_REQUESTED for a provider prompt. */
int	 gate_prompt_cb(const char *, void *);
/*
 * APPROVAL_REQUESTED for an approval object (borrowed); the session is
 * WAITING_FOR_APPROVAL until the last one waiting is answered.
 */
void	 gate_approval_send(struct json_object *);
/*
 * An approval was answered: RUNNING again when no prompt, held exec or
 * other approval (others, a driver's) is left waiting.
 */
void	 gate_approval_done(size_t, const char *);
/* The exec policy takes the listener of the CLI's tree (wk.notify_fd). */
void	 gate_exec_start(void);

/*
 * The session is ending: one ALERT_RAISED {category approval, context
 * {approvalIds}} for the approvals still waiting, ids (borrowed, or NULL:
 * a driver's own) with the prompt's and the held execs'. Called before
 * the held execs are released and SESSION_ENDED is sent; only the first
 * call raises it, so a driver calls it before worker_finish does.
 */
void	 gate_pending_alert(struct json_object *);

#endif
