/*
 * The worker's one session, shared by its files: the state every part of
 * the worker reads (wk), and the few things every part does to it: send
 * an event, raise an alert, move to another state, stop the CLI.
 */
#ifndef WSTATE_H
#define WSTATE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "common/event.h"
#include "host/cgroup.h"
#include "worker/confine.h"
#include "worker/diff.h"
#include "worker/driver.h"
#include "worker/provider.h"
#include "worker/usage.h"
#include "worker/workspace.h"

#define WORKER_HIGH_WATER	(4 * 1024 * 1024)  /* stop reading the pty */
#define WORKER_LOW_WATER	(1024 * 1024)	   /* read it again */
#define WORKER_DRAIN_MS		200	/* output after the CLI exited */
#define WORKER_LINGER_MS	10000	/* for the channel to drain */
#define WORKER_INPUT_MAX	(1024 * 1024)	/* unwritten terminal input */
#define WORKER_READ_SIZE	(64 * 1024)
#define WORKER_CAUSE_MAX	1024
#define WORKER_QUIET_MS		1000	/* tree unchanged: DIFF_SUMMARY */

/*
 * Priorities: everything runs at WORKER_PRIO_IO except the start steps,
 * which libevent runs only when no I/O was ready, so a STOP sent while the
 * workspace was being built is read before the CLI is started.
 */
#define WORKER_PRIOS		3
#define WORKER_PRIO_STEP	2

/* The start steps, run one per loop turn after START. */
enum worker_step {
	STEP_WORKSPACE,
	STEP_PROVIDER,
	STEP_SPAWN
};

/* Why the session is STOPPING. */
enum worker_stop {
	STOP_NONE,
	STOP_REQUESTED,
	STOP_TIMEOUT,
	STOP_DENIED,		/* a held exec was denied */
	STOP_QUOTA,		/* the workspace's disk quota is full */
	STOP_DRIVER,		/* the driver failed: denied says why */
	STOP_IDLE		/* a driven CLI idle past its timeout */
};

struct worker {
	struct event_base	*base;
	struct peer		*peer;		/* the channel */
	struct bufferevent	*chan;		/* its bufferevent */
	struct event		*step_ev;
	struct event		*sigchld_ev;
	struct event		*read_ev;	/* pty output */
	struct event		*write_ev;	/* pty input */
	struct event		*timeout_ev;
	struct event		*kill_ev;	/* SIGKILL after the grace */
	struct event		*drain_ev;	/* end of output after exit */
	struct event		*linger_ev;	/* stop flushing the channel */
	struct event		*quiet_ev;	/* the tree went quiet */

	enum session_state	 state;
	enum session_state	 paused_from;
	enum worker_step	 step;
	int			 started;	/* START seen */
	int			 closing;	/* SESSION_ENDED sent */
	int			 stop_early;	/* STOP before the CLI ran */
	enum worker_stop	 stopping;

	/* START; the strings below are borrowed from it. */
	struct json_object	*start;
	const char		*session_id;
	struct json_object	*env;
	struct config		*cfg;		/* START config */
	const struct provider	*provider;	/* one of cfg's */
	struct workspace_spec	 spec;
	const char		*workspace_dir;
	char			*dir;
	struct provider_task	 task;
	const char		*room_path;
	const char		*path;
	const char		*home;
	const char		*lang;
	int			 cols;
	int			 rows;
	int64_t			 timeout_ms;
	int64_t			 grace_ms;

	struct provider_detect	 detect;
	char			*version;
	char			*prompt;
	char			**argv;
	struct output		*out;
	enum drv_kind		 driven;	/* a structured driver's, or none */
	int			 stdin_fd;	/* driven: the CLI's stdin, or -1 */
	int			 stdout_fd;	/* driven: its stdout, or -1 */
	int64_t			 idle_ms;	/* driven: idle timeout */

	pid_t			 pid;
	int			 master;
	struct evbuffer		*input;
	int			 reading;	/* read_ev added */
	int			 throttled;	/* channel too full */
	int			 pty_eof;
	int			 exited;	/* reaped */
	int			 status;

	char			 approval_id[37];	/* pending, or "" */
	int			 approvals;

	char			 commit[64];	/* start commit, or "" */
	struct watch		*watch;		/* FILE_TOUCHED */
	struct diff_opts	 diff_opts;
	struct diff_job		*diff_job;	/* a diff child running */
	int			 diff_again;	/* changes since it started */
	size_t			 files_touched;	/* once the watch is gone */
	size_t			 max_watches;	/* START maxWatches, 0: none */
	char			*diff_failed;	/* alerted for, or NULL */
	char			*pristine;	/* the lower's .git, or NULL */

	struct cgroup		*cg;		/* cgroup.c, or NULL */
	struct execpol		*exec;		/* execpol.c, or NULL */
	struct proxy		*proxy;		/* proxy.c, or NULL */
	size_t			 commands_run;	/* execs seen */
	int			 notify_fd;	/* exec listener, or -1 */
	int			 exec_notify;	/* want an exec listener */
	int			 sandboxed;	/* START sandbox */
	struct sandbox_policy	 sbp;
	char			**sb_expose;	/* START sandboxExpose */
	int			 sb_status_fd;	/* init's report, or -1 */
	int			 proxy_fd;	/* to the bridge, or -1 */
	const char		*cg_base;	/* START cgroupBase, or NULL */
	struct cgroup_limits	 cg_limits;
	struct usage_reading	 cg_reading;	/* the last, usage.c */
	int64_t			 usage_tick_ms;
	struct event		*usage_ev;	/* USAGE_TICK */
	int64_t			 usage_last_ms;	/* monotonic, last tick */
	struct json_object	*exec_patterns;	/* START, borrowed */
	char			**exec_tests;	/* START testPatterns */
	int64_t			 approval_timeout_ms;
	int			 deny_continues;	/* approvalDenyContinues */
	char			*denied;	/* why STOP_DENIED */
	char			**net_allow;	/* START networkAllowlist */
	char			**net_listen;	/* START daemonListen */
	int			 net_open;	/* networkMode open */
	char			**net_alerted;	/* host:port alerted once */
	size_t			 net_nalerted;
	size_t			 net_refused;	/* connections refused */
	char			*quota_path;	/* the quota filesystem */
	int			 quota_alerted;	/* past QUOTA_ALERT_PCT */
	int64_t			 start_ms;	/* monotonic, at START */
	int64_t			 spawn_ms;
	int64_t			 exit_ms;
};

/* The session; worker.c fills it from START. */
extern struct worker	 wk;

/* The supervisor is gone or broke the protocol: take the CLI with us. */
__attribute__((noreturn)) void wstate_peer_gone(const char *);
/* Leave the loop; worker_main cleans up and exits. */
void	 wstate_exit(void);
/* Stop reading the pty while the channel holds more than the high water. */
void	 wstate_throttle(void);
/* Send one event (consumed), stamped with the time. */
void	 wstate_emit(struct json_object *);
/* ALERT_RAISED {severity warn, category}, with its context (consumed). */
void	 wstate_alert(const char *, const char *, const char *,
	    struct json_object *);
/* s as valid UTF-8: s, or a copy in *bp (freed by the caller). */
const char	*wstate_utf8(const char *, struct evbuffer **);
/* Move to another state; only legal moves are ever asked for. */
void	 wstate_move(enum session_state, const char *);
/* Signal the CLI's whole process group. */
void	 wstate_signal(int);
/* Enter STOPPING and end the CLI: SIGTERM and a grace, or SIGKILL now. */
void	 wstate_stop(enum worker_stop, const char *, int);

#endif
