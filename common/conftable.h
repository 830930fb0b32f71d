/*
 * The config's keys, one row each (conf.c's engine walks them), after
 * tmux's options-table.c. Private to conf.c and conftable.c.
 */
#ifndef CONFTABLE_H
#define CONFTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"

enum conf_type {
	CONF_STR,		/* char *, a non-empty string */
	CONF_STRV,		/* char **, an array of strings */
	CONF_BOOL,		/* int, true or false */
	CONF_INT,		/* int */
	CONF_SIZE,		/* size_t */
	CONF_I64,		/* int64_t */
	CONF_OTHER		/* a structure of its own: ops */
};

#define CONF_RESTART	0x01	/* bound at start-up: SIGHUP only says so */
#define CONF_SECRET	0x02	/* masked in the dump, never sent to workers */
#define CONF_NULL	0x04	/* vector: NULL (the built-ins) is null */
#define CONF_SHOW	0x08	/* string: SIGHUP names old and new value */
#define CONF_QUIET	0x10	/* number: SIGHUP names the key alone */

struct conf_row;

/* How a CONF_OTHER key is read, written, compared, moved and set up. */
struct conf_ops {
	int	 (*parse)(struct config *, struct json_object *, char *,
		    size_t);
	struct json_object *(*dump)(const struct config *);
	int	 (*same)(const struct config *, const struct config *);
	void	 (*move)(struct config *, struct config *);
	void	 (*init)(struct config *);
	void	 (*free)(struct config *);
};

struct conf_row {
	const char		*name;
	enum conf_type		 type;
	size_t			 off;		/* in struct config */
	int			 flags;
	int64_t			 min;		/* numbers */
	int64_t			 max;
	int64_t			 least;		/* 0, or at least this */
	int64_t			 num;		/* default number or flag */
	const char		*str;		/* default string */
	const char *const	*strv;		/* default vector */
	void			 (*init)(struct config *); /* a computed one */
	int			 (*check)(struct config *, char *, size_t);
	const struct conf_ops	*ops;
	const char		*doc;		/* one line */
};

typedef char **conf_strv_t;

#define CONF_P(c, r, t)	((t *)(void *)((char *)(c) + (r)->off))
#define CONF_CP(c, r, t) ((const t *)(const void *)((const char *)(c) + \
	(r)->off))
#define CONF_MASK	"********"

/*
 * The table: one row per key of the config file, in the order
 * --check-config prints them. Load, dump, reload, the defaults and the man
 * page's key list (checked by tests/unit/check_conf.c) all come from it.
 */
extern const struct conf_row	conftable[];
extern const size_t		conftable_n;

/* conf.c's, for the keys' own handlers. */
void	 config_add_provider(struct config *, struct provider *);

#endif
