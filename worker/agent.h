/*
 * A session driven through a structured CLI protocol (worker/driver.h):
 * the CLI's stdio pipes, the driver's sink, and what the session makes of
 * it: events, approvals decided by the session's policy, usage, turns,
 * the final message and the idle end.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stddef.h>

#include "worker/driver.h"

struct execpol;
struct json_object;
struct output_cb;

#define AGENT_STDIN_MAX		(16 * 1024 * 1024)	/* unwritten input */
#define AGENT_MESSAGE_MAX	(256 * 1024)	/* bytes of AGENT_MESSAGE */
#define AGENT_SUMMARY_MAX	200		/* characters of a summary */
#define AGENT_IDLE_MS		(300 * 1000)	/* agent_idle_timeout_ms */

/* How the session's policy takes a command the CLI asks to run. */
enum agent_verdict {
	AGENT_ALLOW,
	AGENT_ASK,		/* a human decides: *category */
	AGENT_DENY		/* at once: why */
};

/*
 * The driver of wk.driven with its params, and the pipelines for the CLI's
 * stdout (records) and the driver's transcript text; cb's chunk, record
 * (forwarded) and secret callbacks are the session's. -1 with a cause.
 */
int	 agent_create(const struct drv_params *, const struct output_cb *,
	    char *, size_t);
/* A value never to leave the worker (as output_add_secret). */
void	 agent_add_secret(const char *);
/* The CLI runs (wk.stdin_fd, wk.stdout_fd): read it, start the driver. */
void	 agent_start(void);
/* INPUT on a driven session: a user message (one trailing newline off). */
void	 agent_input(const char *, size_t);
/*
 * APPROVE for one of the driver's approvals: answered over the protocol,
 * 0; -1 when the id is not one of them.
 */
int	 agent_approve(const char *, int, const char *);
/* Driver approvals waiting for a human. */
size_t	 agent_pending(void);
/* Token usage into USAGE_TICK's or SESSION_ENDED's units. */
void	 agent_usage(struct json_object *);
/* finalMessage and summary into SESSION_ENDED. */
void	 agent_ended(struct json_object *);
/* Transcript bytes sent (terminalKb). */
size_t	 agent_sent(void);
/* The CLI is gone: read the rest of its stdout and flush the pipelines. */
void	 agent_finish(void);
/* The session ends: pending driver approvals denied, their ids added. */
void	 agent_end_approvals(struct json_object *);
void	 agent_free(void);

/*
 * agentpol.c. The session's policy on a command line (argv when the CLI gave one):
 * deny list, allow list, then the gated categories of requiresApprovalFor
 * ("shell" gates every command). Shell wrappers (sh -c, bash -lc) are
 * looked through.
 */
enum agent_verdict agentpol_classify(const char *, char *const *,
	    const char **, char *, size_t);
/* Whether a command line is a test run (test_patterns). */
int	 agentpol_is_test(const char *);
/* A human allowed a command line: the exec gate lets it through once. */
void	 agentpol_preapprove(struct execpol *, const char *);
/* A message's first line, trimmed, at most max characters; malloc'd. */
char	*agent_summary(const char *, size_t);

#endif
