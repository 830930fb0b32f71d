/* The durable per-session event log: events.jsonl and session.json. */
#ifndef EVENTLOG_H
#define EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct eventlog;

/* Open (create) <dir>/events.jsonl; the last seq found is in *last. */
struct eventlog	*eventlog_open(const char *, uint64_t *, char *, size_t);
void		 eventlog_close(struct eventlog *);
/* Append one serialized event line (no newline) with its seq. */
int		 eventlog_append(struct eventlog *, uint64_t, const char *,
		    size_t);
/* Make what was appended durable now (state transitions). */
void		 eventlog_sync(struct eventlog *);
/* fsync every log with unsynced data (the ~100 ms batch timer). */
void		 eventlog_sync_all(void);
size_t		 eventlog_bytes(const struct eventlog *);
/* Write events with seq > after (at most limit) comma-separated to out. */
int		 eventlog_read(struct eventlog *, uint64_t, size_t,
		    struct evbuffer *, size_t *, uint64_t *);

#endif
