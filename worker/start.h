/* START, decoded: the session part and the config it carries. */
#ifndef START_H
#define START_H

#include <stddef.h>
#include <stdint.h>

#include "host/cgroup.h"
#include "worker/confine.h"
#include "worker/diff.h"
#include "worker/provider.h"
#include "worker/workspace.h"

struct config;
struct json_object;

/*
 * What a worker runs its session with. Strings borrow from the START
 * message or from cfg; cfg, dir, net_listen, the task's vectors and
 * spec.allowed_roots, sb_expose, exec_tests and net_allow are the
 * struct's (taken from cfg) until start_free or a caller takes them.
 */
struct start {
	struct config		*cfg;		/* START "config" */
	const char		*session_id;
	struct json_object	*env;		/* name: value, or NULL */
	const struct provider	*provider;	/* one of cfg's */
	struct workspace_spec	 spec;
	char			*dir;		/* workspace_dir/session_id */
	struct provider_task	 task;
	const char		*room_path;
	const char		*home;
	const char		*lang;
	int			 cols;
	int			 rows;
	struct sandbox_policy	 sbp;
	char			**sb_expose;	/* cfg's sandbox_expose */
	struct diff_opts	 diff_opts;
	size_t			 max_watches;	/* 0: none */
	const char		*cg_base;	/* resolved, or NULL */
	struct cgroup_limits	 cg_limits;
	int64_t			 idle_ms;	/* limits.idleTimeoutMs, or -1 */
	char			**exec_tests;	/* cfg's test_patterns */
	char			**net_allow;	/* cfg's network_allowlist */
	char			**net_listen;	/* session daemonListen */
	int			 net_open;	/* networkMode open */
};

/*
 * Decode a START message (borrowed; keep it as long as st) into st:
 * -1 with a cause on anything missing or malformed.
 */
int	 start_parse(struct json_object *, struct start *, char *, size_t);
/* Free what st still owns. */
void	 start_free(struct start *);

#endif
