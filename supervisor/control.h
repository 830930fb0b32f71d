/* Requests from the API that control a live session (session.c's table). */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>

struct session;
struct sess_err;

/* Requests from the API; -1 with err (404, 409 wrong state...). */
int		 control_input(struct session *, const char *, size_t,
		    struct sess_err *);
int		 control_resize(struct session *, int, int, struct sess_err *);
int		 control_pause(struct session *, struct sess_err *);
int		 control_resume(struct session *, struct sess_err *);
int		 control_stop(struct session *, int, struct sess_err *);
int		 control_approve(struct session *, const char *, const char *,
		    const char *, const char *, struct sess_err *);
/* Stop every live session gracefully (SIGTERM shutdown). */
void		 control_stop_all(void);

#endif
