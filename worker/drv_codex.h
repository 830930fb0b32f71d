/* What of the codex driver the one-shot codex exec shares. */
#ifndef DRV_CODEX_H
#define DRV_CODEX_H

/*
 * The -c overrides every codex run gets (its sandbox off, no update checks
 * or analytics, the model when given, a provider for the endpoint when
 * given): a NULL-terminated malloc'd vector.
 */
char	**drv_codex_config(const char *, const char *);

#endif
