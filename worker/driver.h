/*
 * Structured drivers: a CLI with a bidirectional protocol on its stdio
 * (codex app-server's JSON-RPC, claude's stream-json with its control
 * requests) is driven through it instead of a one-shot prompt. A driver
 * is the protocol alone: it reads the CLI's records and writes its
 * messages, and tells the session what happened through a struct drv_sink.
 * worker/drv.c picks the driver of a kind; worker/agent.c is the session's
 * side: events, approvals, usage, turns.
 */
#ifndef DRIVER_H
#define DRIVER_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

/* An approval the CLI asks for; borrowed for the call. */
struct drv_approval {
	const char	*token;		/* the driver's handle for the answer */
	const char	*kind;		/* "exec", "patch", "tool", "network" */
	const char	*command;	/* the command line, or NULL */
	char *const	*argv;		/* its argv when the CLI gave one, or NULL */
	const char	*cwd;		/* or NULL */
	const char	*tool;		/* the CLI's tool name, or NULL */
	const char	*summary;	/* one line for a human */
	const char	*reason;	/* the CLI's own words, or NULL */
	char *const	*files;		/* paths a patch changes, or NULL */
};

/* A tool command the CLI ran: at begin, then at end with its output. */
struct drv_command {
	const char	*id;		/* the CLI's item id */
	const char	*command;
	const char	*cwd;		/* or NULL */
	int		 done;		/* 0: begin, 1: end */
	const char	*output;	/* at end: aggregated output, or NULL */
	size_t		 outlen;
	int		 exit_code;	/* at end; -1 unknown */
	int64_t		 duration_ms;	/* at end; -1 unknown */
};

/* Token usage so far, whole session (the driver sums turns); -1 unknown. */
struct drv_usage {
	int64_t		input;
	int64_t		cached_input;
	int64_t		output;
	int64_t		reasoning;
	double		cost_usd;	/* < 0: the CLI does not say */
};

/* What a driver tells the session; every callback gets arg. */
struct drv_sink {
	/* A message for the CLI's stdin: one JSON text, no newline. */
	void	(*send)(const char *, size_t, void *);
	/* Readable transcript text for TERMINAL_CHUNK (not JSON). */
	void	(*text)(const char *, size_t, void *);
	/* The CLI asks; answer later with drv_answer(token). */
	void	(*approval)(const struct drv_approval *, void *);
	/* The CLI withdrew or settled an approval itself (token). */
	void	(*approval_gone)(const char *, void *);
	void	(*command)(const struct drv_command *, void *);
	void	(*usage)(const struct drv_usage *, void *);
	/* A complete assistant message (the last one is the final answer). */
	void	(*message)(const char *, void *);
	/* A turn started (1) or ended (0); error is set when it failed. */
	void	(*turn)(int, const char *, void *);
	/* The protocol broke or the CLI refused to start: fail with this. */
	void	(*fatal)(const char *, void *);
	void	 *arg;
};

/* What a driver starts with; borrowed for drv_create. */
struct drv_params {
	const char	 *cwd;		/* the workspace as the CLI sees it */
	const char	 *model;	/* or NULL */
	const char	 *version;	/* the CLI's, or NULL */
	/*
	 * The endpoint the request's or daemon's env names (OPENAI_BASE_URL
	 * for codex, ANTHROPIC_BASE_URL for claude), or NULL: the driver
	 * adds whatever flags the CLI needs to use it.
	 */
	const char	 *base_url;
	char *const	 *extra_args;	/* the config's extra_args, or NULL */
	int		  ask_exec;	/* have the CLI ask before commands */
	int		  ask_edit;	/* ... and before file edits */
};

enum drv_kind {
	DRV_NONE,
	DRV_CODEX,		/* codex app-server */
	DRV_CLAUDE		/* claude -p stream-json, control protocol */
};

/* A driver's functions (drv_codex.c, drv_claude.c); state is its own. */
struct drv_ops {
	/* The CLI's whole argv (command first), strv_free'd by the caller. */
	char	**(*argv)(const char *, const struct drv_params *);
	void	*(*create)(const struct drv_params *, const struct drv_sink *);
	void	 (*free)(void *);
	void	 (*start)(void *, const char *);
	void	 (*record)(void *, struct json_object *);
	void	 (*input)(void *, const char *);
	void	 (*answer)(void *, const char *, int, const char *);
	int	 (*busy)(const void *);
};

extern const struct drv_ops	drv_codex_ops;
extern const struct drv_ops	drv_claude_ops;
#ifdef RUNNERD_TEST_HOOKS
/* drv_mock.c: every kind's with RUNNERD_TEST_DRIVER=mock (tests). */
extern const struct drv_ops	drv_mock_ops;
#endif

struct drv;

/* The argv that starts command as a driver of this kind expects it. */
char		**drv_argv(enum drv_kind, const char *, const struct drv_params *);
/* A driver of a kind; its messages go to sink->send from drv_start on. */
struct drv	*drv_create(enum drv_kind, const struct drv_params *,
		    const struct drv_sink *);
void		 drv_free(struct drv *);
/* Handshake, then the first turn with this prompt. */
void		 drv_start(struct drv *, const char *);
/* A record (a JSON object) the CLI wrote on stdout; borrowed. */
void		 drv_record(struct drv *, struct json_object *);
/* A user message: a new turn, or queued until the current one ends. */
void		 drv_input(struct drv *, const char *);
/* The answer to an approval (allow or deny, with an optional note). */
void		 drv_answer(struct drv *, const char *, int, const char *);
/* Whether a turn is running (or queued input waits for one). */
int		 drv_busy(const struct drv *);
/* The name of a kind: "codex", "claude", "none". */
const char	*drv_kind_name(enum drv_kind);
/* Tests: other ops in a kind's place; NULL puts the built-in ones back. */
void		 drv_set_ops(enum drv_kind, const struct drv_ops *);

#endif
