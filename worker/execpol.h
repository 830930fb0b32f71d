/* Exec policy: every execve of the agent's tree, seen and decided here. */
#ifndef EXECPOL_H
#define EXECPOL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;
struct execpol;

/* What is read of an exec from the target's memory, at most. */
#define EXECPOL_MAX_ARGS	256
#define EXECPOL_MAX_ARG		4096
#define EXECPOL_MAX_TOTAL	(32 * 1024)

#define EXECPOL_TIMEOUT_MS	(600 * 1000)	/* approval_timeout_ms */
#define EXECPOL_PREAPPROVE_MS	(120 * 1000)	/* a pre-approval lasts */
#define EXECPOL_PREAPPROVALS	8		/* kept at once */

/* A session's policy; everything is copied by execpol_create. */
struct execpol_params {
	const char		 *session_id;
	char			**allow;	/* policy.shellAllowlist */
	char			**deny;		/* policy.shellDenylist */
	char			**categories;	/* policy.requiresApprovalFor */
	/* exec_approval_patterns: {category: [pattern]}, NULL: built in */
	struct json_object	 *patterns;
	char			**tests;	/* test_patterns, NULL: built in */
	struct json_object	 *env;		/* values redacted from commands */
	int64_t			  timeout_ms;	/* for an approval's timeoutAt */
	/*
	 * The CLI as the launch found it (wk.detect.path), or NULL: its
	 * file and the files of its install directory are not held to the
	 * allowlist (README "Exec policy").
	 */
	const char		 *cli;
};

/* Where decisions go; every callback gets arg. */
struct execpol_cb {
	/* TEST_RUN_STARTED, TEST_RUN_FINISHED, ALERT_RAISED (consumed). */
	void	(*event)(struct json_object *, void *);
	/*
	 * A gated exec is held: the approval object (borrowed) to send in
	 * APPROVAL_REQUESTED. Return 1 when sent, 0 to be asked again by
	 * execpol_recheck (paused), -1 to refuse it (the exec fails).
	 */
	int	(*request)(struct json_object *, void *);
	/* An exec after the first was let through: count it. */
	void	(*ran)(void *);
	/*
	 * Read what the terminal holds now and pass it to testrun_output
	 * (a test run's output ends where the next command starts); or NULL.
	 */
	void	(*drain)(void *);
	void	 *arg;
};

/*
 * Watch the seccomp listener fd (taken over) of the agent's tree in base's
 * loop. The first exec seen is the CLI's own and is let through silently.
 */
struct execpol	*execpol_create(struct event_base *, int,
		    const struct execpol_params *, const struct execpol_cb *);
/* Stop watching; held execs fail with EACCES. No callback is called. */
void		 execpol_free(struct execpol *);
/*
 * The answer to an approval this policy asked for: the exec proceeds
 * (allow) or fails with EACCES. 0 with its command line (redacted) in buf,
 * or -1 when the id is not one of its pending approvals.
 */
int		 execpol_resolve(struct execpol *, const char *, int, char *,
		    size_t);
/* Approvals asked for and not answered yet. */
size_t		 execpol_pending(const struct execpol *);
/* Add the ids of those approvals to a json array. */
void		 execpol_pending_ids(const struct execpol *,
		    struct json_object *);
/* How many program files were hashed to be told apart (exectarget_identify). */
size_t		 execpol_hashes(const struct execpol *);
/* Ask for the approvals that the request callback put off. */
void		 execpol_recheck(struct execpol *);
/*
 * Terminal output as read from the pty, for test runners' summary lines;
 * kept only while a run is open, never sent anywhere.
 */
void		 testrun_output(struct execpol *, const char *, size_t);
/*
 * The session is ending: TEST_RUN_FINISHED for every run still open,
 * held execs fail, and no event is sent after this.
 */
void		 execpol_finish(struct execpol *);

/*
 * The pattern language (README "Exec policy"): whether pattern matches the
 * program at path run with argv (argc entries, argv[0] included).
 */
int		 execmatch_match(const char *, const char *, char *const *,
		    size_t);
/*
 * The ways git reads a command line (argv[0] included, envp its
 * environment or NULL): NULL-terminated argv vectors "git <subcommand>
 * <arguments>" with global options skipped and aliases given on the
 * command line or in GIT_CONFIG_* resolved, none when git would run no
 * command; NULL when there are too many ways to tell.
 */
char		***execmatch_git_readings(char *const *, size_t, char *const *);
void		 execmatch_git_free(char ***);
/* The built-in patterns of a gated category, NULL-terminated, or NULL. */
const char *const *execmatch_default_patterns(const char *);
/* The risk of a category: "high", "medium" (also for unknown ones). */
const char	*execmatch_risk(const char *);
/*
 * A command line's words (quotes and backslashes as a shell reads simple
 * commands, nothing expanded): a NULL-terminated vector, strv_free'd.
 */
char		**execmatch_split(const char *);
/*
 * A human allowed this command (argv, argc) through a structured CLI's
 * own approval: the next gated exec of it within EXECPOL_PREAPPROVE_MS is
 * let through without asking again. ep may be NULL (no exec policy).
 */
void		 execnotify_preapprove(struct execpol *, char *const *, size_t);
/* Whether an exec is pre-approved: 1 (the pre-approval is used up) or 0. */
int		 execnotify_preapproved(struct execpol *, char *const *, size_t);
/* The built-in test_patterns, NULL-terminated. */
const char *const *execmatch_default_tests(void);
/*
 * The last test runner summary in text (ANSI already stripped): 1 with
 * the counts (each -1 when the runner does not say), or 0.
 */
int		 testsum_summary(const char *, size_t, int *, int *, int *);
/*
 * TEST_RUN_FINISHED's passed, failed and skipped (ev) from the last
 * summary in text (len bytes, may be NULL): null when there is none.
 */
void		 testsum_counts(struct json_object *, const char *, size_t);

#endif
