/*
 * The wire contract between supervisor and worker (DESIGN section 2): every
 * message and every key. "?" marks a key that may be absent (or null).
 *
 * A frame is a 4-byte big-endian length N (1 <= N <= FRAME_MAX) and N bytes
 * of UTF-8 JSON: one object with a "type" string, the message's name.
 *
 * Worker to supervisor (the supervisor trusts none of it):
 * READY {pid, protocol}		once, before anything else
 * then RunnerEvents, by their event type (event.h), the worker's session's:
 *   SESSION_STATE_CHANGED {previousState, newState, reason?}
 *   SESSION_STARTED {providerId, providerPid, providerVersion?,
 *	workspacePath, roomPath?}
 *   TERMINAL_CHUNK {stream, data}
 *   FILE_TOUCHED {path, reason, roomPath?}
 *   DIFF_SUMMARY {filesChanged, linesAdded, linesRemoved, files [{path,
 *	oldPath?, status, additions, deletions, binary?}], truncated?,
 *	filesOmitted?, pristine?, userns?, reason?, error?}
 *   TEST_RUN_STARTED {command, testFiles?}
 *   TEST_RUN_FINISHED {command, exitCode?, signal?, duration, passed?,
 *	failed?, skipped?}
 *   APPROVAL_REQUESTED {approval {approvalId, sessionId, category,
 *	summary, risk, pattern?, context?, requestedAt, timeoutAt}}
 *   ALERT_RAISED {alertId, severity, category, title, description,
 *	context?}
 *   USAGE_TICK {providerId, intervalMs, units {agentSeconds, terminalKb,
 *	filesTouched, commandsRun, approvalsRequested, cpuSeconds?,
 *	peakMemoryBytes?, inputTokens?, cachedInputTokens?, outputTokens?,
 *	reasoningTokens?, costUsd?}}	(tokens and cost: a driven CLI's)
 *   PROVIDER_EVENT_FORWARDED {providerEvent}
 *   AGENT_MESSAGE {text}		a driven CLI's assistant message
 *   SESSION_ENDED {finalState, exitCode?, signal?, totalDurationMs,
 *	totalUsage {...USAGE_TICK units}, connectionsRefused?,
 *	finalMessage?, summary?}	last (summary: finalMessage's first
 *	line, at most 200 characters)
 * (APPROVAL_RESOLVED is the supervisor's own; a worker never sends it.)
 *
 * Supervisor to worker:
 * START {protocol,
 *     session {sessionId, orgId, villageId, agentId,
 *	   repoRef, checkout?, task, policy?, roomPath?	(the request)
 *	   env {name: value}, provider (a name in config.providers),
 *	   remoteUrl?, remoteToken?	(a remote repoRef; the daemon's token)
 *	   workspaceMode (overlay|clone: what "auto" resolved to),
 *	   cgroupBase? (resolved), limits {memoryMaxBytes, pidsMax, cpuMaxPct,
 *	   workspaceMaxBytes, idleTimeoutMs} (the config's, lowered by the
 *	   request),
 *	   daemonListen ["addr:port"], cols, rows, home, lang},
 *     config {the config file's keys, as config_to_wire() writes them and
 *	   config_load_json() reads them: no secret (tokens, jwt_secret) and
 *	   no null}}			once, first
 * INPUT {data}			(a driven CLI: a user message, a new turn)
 * RESIZE {cols, rows}
 * STOP {graceful}
 * PAUSE {}
 * RESUME {}
 * APPROVE {approvalId, decision: allow|deny, note?}
 *
 * Bump PROTO_VERSION when anything here changes: READY carries it and the
 * supervisor refuses a worker that speaks another.
 */
#ifndef PROTO_H
#define PROTO_H

#include "common/event.h"

#define PROTO_VERSION	4
#define FRAME_HDR	4
#define FRAME_MAX	(1024 * 1024)
#define CHANNEL_FD	3

/*
 * SO_MARK of every socket a worker opens on a session's behalf (the egress
 * proxy's outbound connections). The supervisor looks up each TCP peer with
 * NETLINK_SOCK_DIAG and refuses one that carries this mark, so nothing a
 * session sends ever reaches the API, whatever the proxy let through.
 */
#define SESSION_SOCK_MARK	0x52554e44	/* "RUND" */

enum msg_type {
	MSG_READY,
	MSG_START,
	MSG_INPUT,
	MSG_RESIZE,
	MSG_STOP,
	MSG_PAUSE,
	MSG_RESUME,
	MSG_APPROVE,
	MSG_EVENT,		/* any RunnerEvent type, worker to supervisor */
	MSG__COUNT
};

/* The name of a message type, for logs. */
const char	*msg_type_name(enum msg_type);
/*
 * The message type for a frame's "type" string, or -1 when unknown. For a
 * RunnerEvent name this is MSG_EVENT and *ev (if not NULL) is its type.
 */
int		 msg_type_parse(const char *, enum event_type *);

#endif
