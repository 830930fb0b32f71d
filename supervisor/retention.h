/* The retention sweep: ended sessions are deleted after retention_ms. */
#ifndef RETENTION_H
#define RETENTION_H

#define RETENTION_SWEEP_MAX_MS	60000	/* sweep at least this often */
#define RETENTION_SWEEP_MIN_MS	100

/* Start the sweep timer on server_base (after the sessions are restored). */
void	retention_init(void);
/* Delete every ended session older than retention_ms now; how many. */
int	retention_sweep(void);

#endif
