/*
 * Exec policy, between its files: the policy's state, the exec as read
 * from the target, and the functions one file gives the others.
 */
#ifndef EXECPOL_INT_H
#define EXECPOL_INT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <linux/seccomp.h>
#include <openssl/sha.h>

#include "worker/escstrip.h"

struct event;
struct event_base;
struct json_object;
struct redact;

#define EXECPOL_LINE_MAX	1024	/* bytes of a displayed command line */
#define EXECPOL_TAIL		(16 * 1024)	/* output kept for summaries */
#define EXECPOL_SETTLE_MS	250	/* output after a test run's exit */
#define EXECPOL_CHUNK		256	/* reads of the target's strings */
#define EXECPOL_DEPTH		64	/* parents walked for nested runs */
#define EXECPOL_NLBUF		8192
#define EXECPOL_VERDICTS	8	/* refusals remembered */
#define EXECPOL_VERDICT_MS	5000	/* for so long */
#define EXECPOL_ENV_MAX		8192	/* environment entries read */
#define EXECPOL_HASH_MAX	(64 * 1024 * 1024) /* bytes of a program hashed */
#define EXECPOL_HASH_CACHE	64	/* hashes of unknown files kept */
#define EXECPOL_KNOWN_MAX	4096	/* files of programs patterns name */
#define EXECPOL_PATH		"/usr/local/bin:/usr/bin:/bin"
#define EXECPOL_GRANTS		8	/* approved git commands remembered */

/* An exec as the target asked for it. */
struct execpol_exec {
	pid_t		  pid;
	char		 *path;		/* absolute when it could be resolved */
	char		**argv;		/* NULL-terminated */
	size_t		  argc;
	int		  truncated;	/* past the bounds */
	char		 *cwd;		/* or NULL */
	char		 *line;		/* for humans: redacted, valid UTF-8 */
	int		  missing;	/* why the kernel will refuse, or 0 */
	char		**names;	/* known program: its names (borrowed) */
	char		***git;		/* git: its readings, or NULL */
	int		  git_unsure;	/* git: too many readings to tell */
	int		  wrapper;	/* a shell that only wraps a script */
	dev_t		  dev;		/* the file run, when it exists */
	ino_t		  ino;
};

/* A program file as the kernel runs it (exectarget_identify). */
struct execpol_file {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct timespec	 ctime;
	int		 hashed;	/* 1 done, -1 cannot, 0 not yet */
	unsigned char	 sha[SHA256_DIGEST_LENGTH];
	char		*path;		/* known programs: in the target's root */
	char		**names;	/* known programs: patterns' names */
};

/* A refusal remembered for the same process trying the same again. */
struct execpol_verdict {
	struct execpol_exec	*x;
	int			 error;
	int64_t			 at;
};

/* A gated category and its patterns. */
struct execpol_gate {
	char		 *category;
	const char	 *risk;
	char		**patterns;
};

/*
 * A git command a human allowed. git runs an alias of a builtin as a new
 * exec of "git <builtin> ..." (git.c run_argv): that exec, under the
 * approved one and the same as one of its readings, is not asked again.
 */
struct execnotify_grant {
	pid_t			  pid;		/* the thread group */
	unsigned long long	  start;	/* its start time: not reused */
	const struct execpol_gate *gate;
	char			***readings;	/* owned */
};

/* An exec held until a human answers. */
struct execnotify_hold {
	uint64_t		 id;	/* the notification; new after a restart */
	char			 approval[37];
	int			 requested;	/* APPROVAL_REQUESTED sent */
	const struct execpol_gate *gate;
	char			*pattern;
	struct execpol_exec	*x;
	TAILQ_ENTRY(execnotify_hold) entry;
};

/* A test run, from its exec to its exit and a little output after. */
struct execpol_run {
	struct execpol		*ep;
	pid_t			 pid;	/* the thread group */
	char			*command;
	struct json_object	*files;
	int64_t			 start_ms;
	int64_t			 end_ms;
	uint64_t		 out_start;	/* its output: from here */
	uint64_t		 out_end;	/* to here, once closed */
	int			 closed;
	int			 pidfd;
	struct event		*exit_ev;	/* pidfd readable */
	struct event		*settle_ev;
	int			 exited;
	int			 has_status;
	int			 status;
	TAILQ_ENTRY(execpol_run) entry;
};

struct execpol {
	struct event_base		*base;
	int				 fd;
	struct event			*ev;
	struct seccomp_notif		*req;
	struct seccomp_notif_resp	*resp;
	int				 own_alloc;
	struct execpol_cb		 cb;

	char				*session_id;
	char				**allow;
	char				**deny;
	/* The CLI's own files, run past the allowlist (execpol_own). */
	char				*cli;
	dev_t				 cli_dev;
	ino_t				 cli_ino;
	char				**cli_dirs;
	struct execpol_gate		*gates;
	size_t				 ngates;
	char				**tests;
	int64_t				 timeout_ms;
	struct redact			*redact;

	int				 seen_first;
	struct execpol_file		*known;
	size_t				 nknown;
	struct execpol_file		 cache[EXECPOL_HASH_CACHE];
	size_t				 nextc;
	size_t				 hashes;	/* files hashed */
	int				 finished;
	int				 mem_alert;	/* once */
	struct execpol_verdict		 verdicts[EXECPOL_VERDICTS];
	struct execnotify_grant		 grants[EXECPOL_GRANTS];
	char				**pre[EXECPOL_PREAPPROVALS];
	int64_t				 pre_until[EXECPOL_PREAPPROVALS];
	size_t				 nextp;
	size_t				 nextg;
	size_t				 nextv;
	TAILQ_HEAD(, execnotify_hold)	 holds;
	TAILQ_HEAD(, execpol_run)	 runs;

	int				 nl_fd;	/* proc connector */
	struct event			*nl_ev;
	int				 nl_failed;

	char				*tail;
	size_t				 tail_len;
	uint64_t			 out_total;
	enum escstrip_state		 esc;	/* the output kept */
};

/* execmatch.c */
/* The end of one alternative of a word: a '|' outside brackets, or NUL. */
char	*execmatch_alt_end(char *p);
/* The part of s after its last '/'. */
const char	*execmatch_base(const char *s);
/* Whether s is one of v. */
int	execmatch_in(const char *const *v, const char *s);
/*
 * The programs x is matched as (NULL-terminated, the strings borrowed):
 * the file run and its known names (only those when strict), plus "git".
 */
const char	**execmatch_progs(const struct execpol_exec *x, int strict,
	    int git);
/* The value of name in envp, or NULL. */
const char	*execmatch_getenv(char *const *envp, const char *name);
/* The first of patterns that matches x (as run, or as git reads it). */
const char	*execmatch_find(char **patterns, const struct execpol_exec *x);
/* Whether the allowlist lets x run, every way git could read it. */
int	execmatch_allowed(char **patterns, const struct execpol_exec *x);
/* Learn the CLI's own files from its path (execpol_params.cli). */
void	execmatch_own_set(struct execpol *ep, const char *cli);
/* Whether x runs one of the CLI's own files (not held to the allowlist). */
int	execmatch_own(const struct execpol *ep, const struct execpol_exec *x);
/* A copy of a NULL-terminated vector of constant strings. */
char	**execmatch_strv(const char *const *v);
/* The gated categories: requiresApprovalFor, with config or built-in. */
void	execmatch_gates(struct execpol *ep, const struct execpol_params *pp);

/* execwrap.c */
/*
 * When x is a shell that only wraps a script (-c): the script's simple
 * commands, each a NULL-terminated argv (possibly none); else NULL.
 * Freed like git's readings, with execmatch_git_free.
 */
char	***execwrap_commands(const struct execpol_exec *x);
/* The first of patterns that matches one of a script's commands, or NULL. */
const char	*execwrap_find(char **patterns, char ***cmds);

/* exectarget.c */
/* Free an exec as read from the target. */
void	exectarget_exec_free(struct execpol_exec *x);
/* A string for humans and events: secrets redacted, valid UTF-8. */
char	*exectarget_clean(struct execpol *ep, const char *s);
/* The first exec (the CLI's own): learn the programs patterns name. */
void	exectarget_learn(struct execpol *ep, const struct seccomp_notif *req);
/* A notification's exec from the target's memory; NULL with *error. */
struct execpol_exec	*exectarget_read(struct execpol *ep,
	    const struct seccomp_notif *req, int *error);
/* Whether two reads are the same exec by the same task. */
int	exectarget_same(const struct execpol_exec *a,
	    const struct execpol_exec *b, int anydir);
/* Send an event, unless the session is over. */
void	exectarget_emit(struct execpol *ep, struct json_object *ev);
/* The thread group of a task (an exec from a thread keeps it), or pid. */
pid_t	exectarget_tgid(pid_t pid);

/* execnotify.c */
/* Answer a notification: 0 lets the exec run, else it fails with -error. */
int	execnotify_respond(struct execpol *ep, uint64_t id, int error);
/* Fail an exec and remember it for a shell's next try along PATH. */
int	execnotify_refuse(struct execpol *ep, uint64_t id,
	    const struct execpol_exec *x, int error);
/* Remember an allowed git command (taking its readings) for its children. */
void	execnotify_grant(struct execpol *ep, struct execpol_exec *x,
	    const struct execpol_gate *g);
/* Let an exec run: a test run is followed, then it is counted. */
void	execnotify_allow(struct execpol *ep, uint64_t id,
	    const struct execpol_exec *x);
/* Unlink and free a held exec. */
void	execnotify_hold_free(struct execpol *ep, struct execnotify_hold *h);
/* Ask for a human's answer to a held exec, if the session can ask now. */
void	execnotify_ask(struct execpol *ep, struct execnotify_hold *h);
/* Hold an exec of a gated category. */
void	execnotify_hold(struct execpol *ep, uint64_t id, struct execpol_exec *x,
	    const struct execpol_gate *g, const char *pattern);
/* The listener is readable: decide the pending notification. */
void	execnotify_cb(int fd, short events, void *arg);

/* testrun.c */
/* Read every exit the connector has for us. */
void	testrun_nl_drain(struct execpol *ep);
/* No test run is open: stop hearing about every exit on the host. */
void	testrun_nl_close(struct execpol *ep);
/* Unlink and free a test run. */
void	testrun_free(struct execpol_run *r);
/* A test run is about to start: watch for its exit before it can exit. */
struct execpol_run	*testrun_start(struct execpol *ep,
	    const struct execpol_exec *x);
/* TEST_RUN_FINISHED for a run (its exit seen, or the session ending). */
void	testrun_end(struct execpol_run *r);

#endif
