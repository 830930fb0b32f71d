/* The session's changes: FILE_TOUCHED, DIFF_SUMMARY and the disk quota. */
#ifndef CHANGES_H
#define CHANGES_H

#include "worker/watch.h"

/* One statfs of the workspace's filesystem: alert near, stop when full. */
void	 changes_quota_check(void);
/* The watch's callbacks (watch.h): touched, changed, a partial watch. */
void	 changes_touched_cb(const char *, enum watch_reason, void *);
void	 changes_changed_cb(void *);
void	 changes_watch_alert_cb(const char *, const char *, const char *,
	    void *);
/* The watch could not start: FILE_TOUCHED stops, the session goes on. */
void	 changes_watch_failed(const char *, int);
/* The tree was quiet for a while after changes (wk.quiet_ev). */
void	 changes_quiet_cb(int, short, void *);
/* The session is ending: the last DIFF_SUMMARY, then stop watching. */
void	 changes_end(void);

#endif
