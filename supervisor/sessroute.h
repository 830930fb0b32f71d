/* The API's session routes: /api/runner/sessions and what follows :id. */
#ifndef SESSROUTE_H
#define SESSROUTE_H

struct api_ctx;

/* GET /api/runner/sessions?state=&villageId= */
void	sessroute_list(struct api_ctx *);
/* POST /api/runner/sessions */
void	sessroute_start(struct api_ctx *);
/* GET /api/runner/sessions/:id */
void	sessroute_get(struct api_ctx *);
/* DELETE /api/runner/sessions/:id */
void	sessroute_delete(struct api_ctx *);
/* GET …/:id/events?after=&limit=&follow= */
void	sessroute_events(struct api_ctx *);
/* POST …/:id/input */
void	sessroute_input(struct api_ctx *);
/* POST …/:id/resize */
void	sessroute_resize(struct api_ctx *);
/* POST …/:id/pause */
void	sessroute_pause(struct api_ctx *);
/* POST …/:id/resume */
void	sessroute_resume(struct api_ctx *);
/* POST …/:id/stop */
void	sessroute_stop(struct api_ctx *);
/* POST …/:id/approvals/:approvalId */
void	sessroute_approval(struct api_ctx *);

#endif
