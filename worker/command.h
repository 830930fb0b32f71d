/* The supervisor's messages to a started session, one handler each. */
#ifndef COMMAND_H
#define COMMAND_H

struct json_object;

/* STOP {graceful}: honoured before the CLI runs, escalated while STOPPING. */
void	 command_stop(struct json_object *);
/* PAUSE: freeze the CLI. */
void	 command_pause(void);
/* RESUME: thaw the CLI and return to where it was. */
void	 command_resume(void);
/* APPROVE {approvalId, decision}: answer a prompt or a held exec. */
void	 command_approve(struct json_object *);
/* INPUT {data}: to the CLI's terminal. */
void	 command_input(struct json_object *);
/* RESIZE {cols, rows}: the pty's window size (remembered before spawn). */
void	 command_resize(struct json_object *);

#endif
