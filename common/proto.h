/*
 * The wire contract between supervisor and worker (DESIGN section 2).
 *
 * A frame is a 4-byte big-endian length N (1 <= N <= FRAME_MAX) and N bytes
 * of UTF-8 JSON: one object with a "type" string. Supervisor to worker:
 * START, INPUT, RESIZE, STOP, PAUSE, RESUME, APPROVE. Worker to supervisor:
 * READY once, then RunnerEvents named by their event type (event.h).
 *
 * START {protocol, session {sessionId, orgId, villageId, agentId},
 *     repoRef, checkout, task, policy, roomPath?, env {name: value},
 *     provider {...config_provider_to_json...}, workspaceDir, allowedRoots[],
 *     cols, rows, timeoutMs, graceMs, path, home, lang, remoteToken?,
 *     remoteUrl?, cacheDir, cacheMaxAgeMs, workspaceMode, workspaceFallback,
 *     cacheMaxBytes, checkoutMaxAgeMs, shallow, sandbox, sandboxUid,
 *     sandboxGid, sandboxRequired[], sandboxExpose[], nofileMax,
 *     maxWatches, stateDir, cgroupBase,
 *     limits {memoryMaxBytes, pidsMax, cpuMaxPct, workspaceMaxBytes},
 *     usageTickMs,
 *     execApprovalPatterns?, testPatterns?, approvalTimeoutMs,
 *     approvalDenyContinues, networkAllowlist[],
 *     daemonListen["addr:port"]}
 * INPUT {data}			RESIZE {cols, rows}
 * STOP {graceful}		PAUSE {}	RESUME {}
 * APPROVE {approvalId, decision: allow|deny, note?}
 * READY {pid, protocol}
 *
 * Bump PROTO_VERSION when anything here changes.
 */
#ifndef PROTO_H
#define PROTO_H

#include "event.h"

#define PROTO_VERSION	2
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
