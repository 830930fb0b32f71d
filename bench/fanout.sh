#!/bin/bash
# Fan-out: work_stream_events per second delivered to CLIENTS (1,000)
# Socket.IO clients (the stock socket.io-client v4, tests/node, in two
# processes) joined to one village room, from runnerd and, in the same run,
# from a plain Node socket.io server (tests/node/sio-baseline-server.js)
# broadcasting the very events runnerd recorded (same shape, same size,
# same pace: each event at its recorded ts offset) to the same clients.
#
# The load: SESSIONS fake-agent sessions at once, each printing LINES lines
# of ~100 bytes GAP_MS (11) ms apart (about one work_stream_event per line:
# the worker coalesces output for 10 ms), so the room is offered up to
# ~SESSIONS * 90 events/s, times CLIENTS deliveries: more than the clients
# and servers can take on this machine, so the rate measures capacity (a task goal holds at most 4000 characters: 35
# such lines). Delivered
# events/s = all events received by all clients / (last arrival - first
# arrival) over all clients; "complete" counts the clients that got every
# event. Loopback only; every wait is bounded.
#
#   RUNNERD=build/supervisor/runnerd FAKE_AGENT_DIR=build/contrib \
#       bench/fanout.sh [CLIENTS] [SESSIONS] [LINES]
#
# The pinned clients are installed with npm ci into NODE_DIR (default
# ${TMPDIR:-/tmp}/runnerd-bench-node) once per lockfile. Appends the result
# to bench/RESULTS.md unless NO_RESULTS=1.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
RUNNERD=${RUNNERD:-$top/build/supervisor/runnerd}
FAKE_AGENT_DIR=${FAKE_AGENT_DIR:-$top/build/contrib}
CLIENTS=${1:-1000}
SESSIONS=${2:-20}
LINES=${3:-35}
GAP_MS=${GAP_MS:-11}
NODE_DIR=${NODE_DIR:-${TMPDIR:-/tmp}/runnerd-bench-node}
cmdline="${GAP_MS:+GAP_MS=$GAP_MS }bench/fanout.sh $*"

die() { echo "fanout: $*" >&2; exit 1; }
for tool in curl jq git node npm flock; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
[ -x "$RUNNERD" ] || die "no runnerd at $RUNNERD (set RUNNERD)"
[ -x "$FAKE_AGENT_DIR/runnerd-fake-agent" ] ||
    die "no runnerd-fake-agent in $FAKE_AGENT_DIR (set FAKE_AGENT_DIR)"
RUNNERD=$(cd "$(dirname "$RUNNERD")" && pwd)/$(basename "$RUNNERD")
FAKE_AGENT_DIR=$(cd "$FAKE_AGENT_DIR" && pwd)
[ $((CLIENTS % 2)) -eq 0 ] || die "CLIENTS must be even (two client processes)"

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
W=$(mktemp -d "${TMPDIR:-/tmp}/runnerd-fanout.XXXXXX")
PIDS=
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	bench_remove "$W"
}
trap cleanup EXIT

# The pinned clients, once per lockfile.
src=$top/tests/node
mkdir -p "$NODE_DIR"
exec 9>"$NODE_DIR/.lock"
flock -w 900 9 || die "cannot lock $NODE_DIR/.lock"
stamp=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$NODE_DIR/.installed" 2>/dev/null)" != "$stamp" ]; then
	install -m 644 "$src/package.json" "$src/package-lock.json" "$NODE_DIR/"
	npm ci --prefix "$NODE_DIR" --no-audit --no-fund >"$W/npm.log" 2>&1 ||
	    die "npm ci failed: $(tail -5 "$W/npm.log")"
	echo "$stamp" >"$NODE_DIR/.installed"
fi
install -m 644 "$src"/*.js "$NODE_DIR/"
exec 9>&-

repo=$W/repo
mkdir -p "$repo"
git -C "$repo" init -q -b main
echo bench >"$repo/README"
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -q -m bench

jq -n --arg p "$FAKE_AGENT_DIR:$PATH" --argjson m $((SESSIONS + 2)) --arg w "$W" \
    '{pool_size: 2, max_sessions: $m, agent_path: $p, allowed_roots: [$w]}' >"$W/runnerd.conf"
RUNNER_WORKSPACE_DIR=$W/workspaces RUNNER_CACHE_DIR=$W/cache \
    "$RUNNERD" -c "$W/runnerd.conf" -l 127.0.0.1:0 -d "$W/state" \
    -s "$W/runnerd.sock" >"$W/runnerd.out" 2>"$W/runnerd.log" &
DPID=$!
PIDS="$PIDS $DPID"
for _ in $(seq 1 100); do
	grep -q '^listening on' "$W/runnerd.out" && break
	kill -0 "$DPID" 2>/dev/null || { cat "$W/runnerd.log" >&2; exit 1; }
	sleep 0.05
done
URL=http://$(sed -n 's/^listening on //p' "$W/runnerd.out" | head -1)

# clients NAME URL: CLIENTS clients in two processes, joined to village:bench,
# each until it saw SESSIONS agent_disconnects (or 300 s).
clients() {
	half=$((CLIENTS / 2))
	CPIDS=
	for k in 1 2; do
		rm -f "$W/$1.$k.ready"
		timeout 400 node "$NODE_DIR/sio-client.js" --url "$2" --clients "$half" \
		    --village bench --until agent_disconnect --ends "$SESSIONS" \
		    --light --concurrency 25 --timeout 300000 \
		    --ready-file "$W/$1.$k.ready" >"$W/$1.$k.json" 2>"$W/$1.$k.err" &
		CPIDS="$CPIDS $!"
		PIDS="$PIDS $!"
	done
	for k in 1 2; do
		for _ in $(seq 1 1200); do
			[ -s "$W/$1.$k.ready" ] && break
			sleep 0.1
		done
		[ -s "$W/$1.$k.ready" ] || die "$1: client process $k did not join in 120 s: $(tail -3 "$W/$1.$k.err")"
	done
	joined=$(cat "$W/$1.1.ready" "$W/$1.2.ready" | jq -s 'map(.joined) | add')
	[ "$joined" = "$CLIENTS" ] || die "$1: only $joined of $CLIENTS clients joined"
}
# clients_wait NAME: both processes done; prints "total first last
# complete gaps+dups".
clients_wait() {
	for p in $CPIDS; do
		rc=0
		wait "$p" || rc=$?
		[ $rc -eq 0 ] || echo "fanout: $1: a client process exited $rc ($(cat "$W/$1".*.err | tail -2))" >&2
	done
	jq -s -r --argjson e "$EXPECT" '[
	    (map(.totals.wse) | add),
	    (map(.firstAt) | min), (map(.lastAt) | max),
	    (map([.per[] | select(.wse == $e)] | length) | add),
	    (map(.totals.gaps + .totals.dups) | add)] | @tsv' "$W/$1".[12].json
}

line=$(printf '%-90s' "a line of agent output, about one hundred bytes long, to fan out" | tr ' ' '.')
script=$(for i in $(seq 1 "$LINES"); do printf 'print %04d %s\nsleep %d\n' "$i" "$line" "$GAP_MS"; done)
[ ${#script} -le 4000 ] || die "$LINES lines make a task goal of ${#script} characters (at most 4000)"

# 1. runnerd.
clients rd "$URL"
for s in $(seq 1 "$SESSIONS"); do
	body=$(jq -n --arg path "$repo" --arg goal "$script" '{providerId: "fake",
	    villageId: "bench", repoRef: {provider: "local", path: $path},
	    task: {title: "fanout", goal: $goal}}')
	sid=$(curl -sS -H 'Content-Type: application/json' --data-binary "$body" \
	    "$URL/api/runner/sessions" | jq -r .sessionId)
	[ -n "$sid" ] && [ "$sid" != null ] || die "POST failed"
done
# What the room gets: the mapped events of the sessions (they are recorded
# before anyone sees them, so counting after the end is exact).
for _ in $(seq 1 3000); do
	n=$(curl -sS "$URL/api/runner/sessions?villageId=bench" |
	    jq '[.sessions[] | select(.state == "COMPLETED" or .state == "FAILED")] | length')
	[ "$n" = "$SESSIONS" ] && break
	sleep 0.1
done
[ "$n" = "$SESSIONS" ] || die "the sessions did not end in 300 s"
EXPECT=$(cat "$W"/state/sessions/*/events.jsonl | jq -s '[.[] | select((.type |
    IN("SESSION_STARTED","SESSION_STATE_CHANGED","TERMINAL_CHUNK","DIFF_SUMMARY",
       "APPROVAL_REQUESTED","APPROVAL_RESOLVED","SESSION_ENDED")) or
    (.type == "FILE_TOUCHED" and (.reason | IN("read","write","diff","delete")))
    )] | length')
span=$(cat "$W"/state/sessions/*/events.jsonl | jq -s '(map(.ts) | max) - (map(.ts) | min)')
clients_wait rd >"$W/rd.res"
read -r rtot rfirst rlast rcomplete rbad <"$W/rd.res"
rssd=$(ps -o rss= -p "$DPID" | tr -d ' ')
kill -TERM "$DPID"
wait "$DPID" || die "runnerd exited $? at SIGTERM"

# 2. The baseline, on the same events, with the same clients.
node "$NODE_DIR/sio-baseline-server.js" --sessions "$W/state/sessions" \
    --village bench --pace recorded >"$W/base.out" 2>"$W/base.err" &
BPID=$!
PIDS="$PIDS $BPID"
for _ in $(seq 1 100); do
	grep -q '^listening on' "$W/base.out" && break
	sleep 0.05
done
BURL=http://$(sed -n 's/^listening on //p' "$W/base.out" | head -1)
clients base "$BURL"
curl -sS --max-time 300 "$BURL/go" >"$W/base.go"
clients_wait base >"$W/base.res"
read -r btot bfirst blast bcomplete bbad <"$W/base.res"
rssb=$(ps -o rss= -p "$BPID" | tr -d ' ')

rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { if (b > a) printf "%.0f", n / ((b - a) / 1000); else print "-" }'; }
rr=$(rate "$rtot" "$rfirst" "$rlast")
br=$(rate "$btot" "$bfirst" "$blast")
ratio=$(awk -v a="$rr" -v b="$br" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
offered=$(awk -v e="$EXPECT" -v c="$CLIENTS" -v s="$span" 'BEGIN { if (s > 0) printf "%.0f", e * c / (s / 1000); else print "-" }')
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

out=$(cat <<EOF
fanout: $CLIENTS Socket.IO clients (socket.io-client $(jq -r '.dependencies["socket.io-client"]' "$src/package.json"), 2 processes) in village:bench; $SESSIONS sessions x $LINES lines, $EXPECT work_stream_events recorded over $span ms (offered: $offered deliveries/s)
date: $started; machine: $(nproc) CPUs, $(uname -sr), $(uname -m); load average at start: $load
                                   delivered  expected   first->last ms  events/s delivered  complete clients  gaps+dups  server RSS KiB
runnerd gateway                    $(printf '%9s %9s %16s %19s %17s %10s %15s' "$rtot" $((EXPECT * CLIENTS)) "$(ms "$rfirst" "$rlast")" "$rr" "$rcomplete/$CLIENTS" "$rbad" "$rssd")
baseline node socket.io $(jq -r '.dependencies["socket.io"]' "$src/package.json")      $(printf '%9s %9s %16s %19s %17s %10s %15s' "$btot" $((EXPECT * CLIENTS)) "$(ms "$bfirst" "$blast")" "$br" "$bcomplete/$CLIENTS" "$bbad" "$rssb")
ratio runnerd / baseline (events/s delivered): $ratio
EOF
)
echo "$out"
if [ "${NO_RESULTS:-0}" != 1 ]; then
	{
		echo
		echo "## Fan-out to $CLIENTS Socket.IO clients ($(date -u '+%Y-%m-%d'))"
		echo
		echo "Command: \`RUNNERD=$RUNNERD FAKE_AGENT_DIR=$FAKE_AGENT_DIR $cmdline\` (nproc $(nproc); kernel $(uname -r); $(date -u '+%Y-%m-%d %H:%M UTC'))"
		echo
		echo '```'
		echo "$out"
		echo '```'
	} >>"$top/bench/RESULTS.md"
fi
