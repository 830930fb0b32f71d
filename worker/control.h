/* The supervisor's messages to a started session, one handler each. */
#ifndef CONTROL_H
#define CONTROL_H

struct json_object;

/* STOP {graceful}: honoured before the CLI runs, escalated while STOPPING. */
void	 control_stop(struct json_object *);
/* PAUSE: freeze the CLI. */
void	 control_pause(void);
/* RESUME: thaw the CLI and return to where it was. */
void	 control_resume(void);
/* APPROVE {approvalId, decision}: answer a prompt or a held exec. */
void	 control_approve(struct json_object *);
/* INPUT {data}: to the CLI's terminal. */
void	 control_input(struct json_object *);
/* RESIZE {cols, rows}: the pty's window size (remembered before spawn). */
void	 control_resize(struct json_object *);

#endif
