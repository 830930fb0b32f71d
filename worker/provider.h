/* Providers in the worker: version and feature detection, argv, prompt. */
#ifndef PROVIDER_H
#define PROVIDER_H

#include <stddef.h>

struct provider;

/* Features detected from a built-in provider's --help. */
#define PROVIDER_F_EXEC		0x0001	/* codex: the exec subcommand */
#define PROVIDER_F_JSON		0x0002	/* codex exec --json */
#define PROVIDER_F_MODEL	0x0004	/* --model */
#define PROVIDER_F_PRINT	0x0008	/* claude: -p, --print */
#define PROVIDER_F_STREAM_JSON	0x0010	/* --output-format stream-json */
#define PROVIDER_F_VERBOSE	0x0020	/* claude: --verbose */
#define PROVIDER_F_ALLOWED	0x0040	/* claude: --allowedTools */
#define PROVIDER_F_DISALLOWED	0x0080	/* claude: --disallowedTools */
#define PROVIDER_F_APP_SERVER	0x0100	/* codex: the app-server subcommand */
#define PROVIDER_F_INPUT_STREAM	0x0200	/* claude: --input-format stream-json */

#define PROVIDER_DETECT_TIMEOUT	5000	/* ms for each --version, --help */

enum provider_kind {
	PROVIDER_TEMPLATE,	/* args is a template */
	PROVIDER_CODEX,
	PROVIDER_CLAUDE
};

/* A session's task and policy as the prompt and argv need them; borrowed. */
struct provider_task {
	const char	 *session_id;
	const char	 *workspace;
	const char	 *title;
	const char	 *goal;
	char		**constraints;		/* NULL-terminated or NULL */
	char		**acceptance;
	const char	 *room_path;		/* task.roomPath or roomPath */
	char		**shell_allow;		/* NULL or ["*"]: anything */
	char		**shell_deny;
	char		**approval_for;		/* merge, deps_add, ... */
	const char	 *network_mode;		/* restricted or open */
};

/* What detection found; provider_detect_clear frees it. */
struct provider_detect {
	char	*path;			/* the resolved command */
	char	*version_line;		/* first line of --version, or NULL */
	char	*version;		/* x.y.z from it, or NULL */
	int	 features;		/* PROVIDER_F_* */
};

enum provider_kind provider_kind(const struct provider *);
/*
 * The version line of a command's output, trimmed: the first non-empty line
 * with a version number in it, else the first non-empty line; or NULL.
 */
char	*provider_version_line(const char *);
/* The first dotted version number (1.2 or 1.2.3...) in a line; or NULL. */
char	*provider_version_number(const char *);
/* The PROVIDER_F_* features a built-in provider's help text shows. */
int	 provider_features(enum provider_kind, const char *);
/* Feature names for reports, a NULL-terminated malloc'd vector. */
char	**provider_feature_names(int);
/* The task prompt given to the CLI; malloc'd. */
char	*provider_prompt(const struct provider_task *);
/*
 * The CLI's argv (NULL-terminated, malloc'd) for this provider, detected
 * features, task, prompt and endpoint (OPENAI_BASE_URL for codex, or
 * NULL). *jsonl is set when the arguments ask the CLI for JSON-lines output.
 */
char	**provider_argv(const struct provider *, int,
	    const struct provider_task *, const char *, const char *, int *);
/*
 * Find the command in PATH and run its version and help detection (home,
 * lang make the rest of their environment). -1 with a cause when the
 * command is not found; a detection that fails is only logged.
 */
int	 provider_detect(const struct provider *, const char *, const char *,
	    const char *, struct provider_detect *, char *, size_t);
void	 provider_detect_clear(struct provider_detect *);
/*
 * The structured driver for a provider with these features: its config's
 * driver key ("none", "codex", "claude"), else for "auto" a built-in's
 * protocol when detected (codex app-server, claude stream-json input),
 * else DRV_NONE (the one-shot argv). An int: an enum drv_kind.
 */
int	 provider_driver(const struct provider *, int);

/*
 * runnerd --probe-provider NAME [--path PATH] [-c CONFIG]: detect the
 * provider's version and features and print them, with the argv a sample
 * task would get, as JSON on stdout. For tests against the real CLIs and for
 * operators.
 */
int	provider_probe_main(int, char **);

#endif
