/* codex's argv and -c overrides, which the one-shot codex exec shares. */
#ifndef DRV_CODEXARGS_H
#define DRV_CODEXARGS_H

struct drv_params;

/*
 * The -c overrides every codex run gets (its sandbox off, no update checks
 * or analytics, the model when given, a provider for the endpoint when
 * given): a NULL-terminated malloc'd vector.
 */
char	**drv_codexargs_config(const char *, const char *);
/* codex app-server's argv: the overrides, then the provider's extra_args. */
char	**drv_codexargs_argv(const char *, const struct drv_params *);

#endif
