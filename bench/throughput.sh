#!/bin/bash
# Terminal throughput: a fake agent flooding SIZE (200M) of terminal output
# through runnerd (pty -> worker -> supervisor -> durable log -> gateway)
# to 1 subscriber, then to SUBS (100) subscribers at once (plain /ws
# clients, tests/node/ws-client.js --bench, which count the bytes of the
# TERMINAL_CHUNK messages they get), against, in the same run, the raw rate
# at which the same flood is read from a pty on this machine: `script -qfc
# "runnerd-fake-agent 'flood SIZE'" /dev/null >/dev/null` timed, and a
# small Python pty reader (when python3 is there).
#
# Rates are the agent's SIZE bytes over the time from the start (POST, or
# the pty reader's fork) to the last TERMINAL_CHUNK reaching the client (or
# EOF on the pty); "wire" is the bytes of the /ws messages. A subscriber
# that does not get every chunk is counted as incomplete. runnerd's RSS is
# sampled during the fan-out. Loopback only; every wait is bounded.
#
#   RUNNERD=build/supervisor/runnerd FAKE_AGENT_DIR=build/contrib \
#       bench/throughput.sh [SIZE] [SUBS]
#
# The pinned clients are installed with npm ci into NODE_DIR (default
# ${TMPDIR:-/tmp}/runnerd-bench-node) once per lockfile. Appends the result
# to bench/RESULTS.md unless NO_RESULTS=1.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
RUNNERD=${RUNNERD:-$top/build/supervisor/runnerd}
FAKE_AGENT_DIR=${FAKE_AGENT_DIR:-$top/build/contrib}
SIZE=${1:-200M}
SUBS=${2:-100}
NODE_DIR=${NODE_DIR:-${TMPDIR:-/tmp}/runnerd-bench-node}
cmdline="bench/throughput.sh $*"

die() { echo "throughput: $*" >&2; exit 1; }
for tool in curl jq git node npm flock script; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
[ -x "$RUNNERD" ] || die "no runnerd at $RUNNERD (set RUNNERD)"
AGENT=$FAKE_AGENT_DIR/runnerd-fake-agent
[ -x "$AGENT" ] || die "no runnerd-fake-agent in $FAKE_AGENT_DIR (set FAKE_AGENT_DIR)"
RUNNERD=$(cd "$(dirname "$RUNNERD")" && pwd)/$(basename "$RUNNERD")
FAKE_AGENT_DIR=$(cd "$FAKE_AGENT_DIR" && pwd)
AGENT=$FAKE_AGENT_DIR/runnerd-fake-agent
[ $((SUBS % 2)) -eq 0 ] || die "SUBS must be even (two client processes)"
case $SIZE in
*[kK]) BYTES=$(( ${SIZE%?} * 1024 )) ;;
*[mM]) BYTES=$(( ${SIZE%?} * 1024 * 1024 )) ;;
*[gG]) BYTES=$(( ${SIZE%?} * 1024 * 1024 * 1024 )) ;;
*) BYTES=$SIZE ;;
esac

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
W=$(mktemp -d "${TMPDIR:-/tmp}/runnerd-throughput.XXXXXX")
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

ms_now() { date +%s%3N; }
mbps() { awk -v b="$1" -v ms="$2" 'BEGIN { if (ms > 0) printf "%.1f", b / 1048576 / (ms / 1000); else print "-" }'; }

# 1. The baseline: the same flood read from a pty.
t0=$(ms_now)
timeout 300 script -qfc "$AGENT 'flood $SIZE'" /dev/null >/dev/null </dev/null ||
    die "script: the flood failed"
t1=$(ms_now)
script_ms=$((t1 - t0))
py_ms=-
if command -v python3 >/dev/null 2>&1; then
	py_ms=$(timeout 300 python3 - "$AGENT" "flood $SIZE" 2>"$W/py.bytes" <<'EOF'
import os, pty, sys, time
t0 = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2]])
n = 0
while True:
    try:
        b = os.read(fd, 1 << 16)
    except OSError:
        break
    if not b:
        break
    n += len(b)
os.waitpid(pid, 0)
print(round((time.monotonic() - t0) * 1000), file=sys.stdout)
print(n, file=sys.stderr)
EOF
	) || py_ms=-
fi

# 2. runnerd.
repo=$W/repo
mkdir -p "$repo"
git -C "$repo" init -q -b main
echo bench >"$repo/README"
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -q -m bench
jq -n --arg p "$FAKE_AGENT_DIR:$PATH" --arg w "$W" '{pool_size: 2, agent_path: $p,
    allowed_roots: [$w], max_log_bytes: 4294967296,
    gateway_max_buffer_bytes: 67108864}' >"$W/runnerd.conf"
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
WSURL=ws://${URL#http://}/ws

# run NAME N: N /ws subscribers of village:NAME (in two processes when
# N > 1), a flood session in that village; leaves per-client
# "lastAt chunks ended" lines in $W/NAME.per and sets POST_MS, CHUNKS.
run() {
	procs=1
	[ "$2" -gt 1 ] && procs=2
	per=$(( $2 / procs ))
	CPIDS=
	for k in $(seq 1 $procs); do
		rm -f "$W/$1.$k.ready"
		timeout 900 node "$NODE_DIR/ws-client.js" --url "$WSURL" --clients "$per" \
		    --sub "village:$1" --until ended --bench --timeout 800000 \
		    --ready-file "$W/$1.$k.ready" >"$W/$1.$k.json" 2>"$W/$1.$k.err" &
		CPIDS="$CPIDS $!"
		PIDS="$PIDS $!"
	done
	for k in $(seq 1 $procs); do
		for _ in $(seq 1 600); do
			[ -s "$W/$1.$k.ready" ] && break
			sleep 0.1
		done
		[ -s "$W/$1.$k.ready" ] || die "$1: client process $k did not subscribe"
	done
	body=$(jq -n --arg path "$repo" --arg v "$1" --arg goal "flood $SIZE" \
	    '{providerId: "fake", villageId: $v, repoRef: {provider: "local", path: $path},
	      task: {title: "throughput", goal: $goal}}')
	: >"$W/$1.rss"
	( while kill -0 "$DPID" 2>/dev/null; do ps -o rss= -p "$DPID" >>"$W/$1.rss"; sleep 0.2; done ) &
	rsspid=$!
	POST_MS=$(ms_now)
	sid=$(curl -sS -H 'Content-Type: application/json' --data-binary "$body" \
	    "$URL/api/runner/sessions" | jq -r .sessionId)
	[ -n "$sid" ] && [ "$sid" != null ] || die "POST failed"
	for p in $CPIDS; do
		rc=0
		wait "$p" || rc=$?
		[ $rc -eq 0 ] || echo "throughput: $1: a client process exited $rc: $(tail -2 "$W"/$1.*.err)" >&2
	done
	kill "$rsspid" 2>/dev/null || true
	wait "$rsspid" 2>/dev/null || true
	for _ in $(seq 1 600); do
		[ "$(curl -sS "$URL/api/runner/sessions/$sid" | jq -r .state)" = COMPLETED ] && break
		sleep 0.1
	done
	# The chunks and terminal bytes runnerd recorded.
	log=$W/state/sessions/$sid/events.jsonl
	read -r CHUNKS TERMBYTES < <(node -e '
		const rl = require("readline").createInterface({ input: require("fs").createReadStream(process.argv[1]) });
		let n = 0, b = 0;
		rl.on("line", (l) => { if (l.includes("\"type\":\"TERMINAL_CHUNK\"")) { n++; b += Buffer.byteLength(JSON.parse(l).data); } });
		rl.on("close", () => console.log(n, b));' "$log")
	jq -r '.per[] | "\(.lastAt) \(.chunks) \(.ended) \(.chunkBytes)"' "$W"/$1.[12].json >"$W/$1.per"
	RSS_MAX=$(sort -n "$W/$1.rss" | tail -1)
}

# stats NAME: "complete median min max aggregate wire" in MiB/s.
stats() {
	awk -v post="$POST_MS" -v bytes="$BYTES" -v chunks="$CHUNKS" '
	{ ms = $1 - post; printf "%.3f %d %s %d\n", bytes / 1048576 / (ms / 1000), ms, \
	      ($2 == chunks && $3 == "true") ? "c" : "i", $4 }' "$W/$1.per" |
	sort -n | awk -v bytes="$BYTES" '
	{ r[NR] = $1; if ($2 > maxms) maxms = $2; if ($3 == "c") complete++; wire += $4 }
	END { med = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
	  printf "%d %.1f %.1f %.1f %.1f %.1f\n", complete + 0, med, r[1], r[NR],
	      NR * bytes / 1048576 / (maxms / 1000), wire / 1048576 / (maxms / 1000) }'
}

run tp1 1
read -r c1 med1 min1 max1 agg1 wire1 < <(stats tp1)
rss1=$RSS_MAX
chunks1=$CHUNKS
term1=$TERMBYTES
run tp$SUBS "$SUBS"
read -r cN medN minN maxN aggN wireN < <(stats "tp$SUBS")
rssN=$RSS_MAX
kill -TERM "$DPID"
wait "$DPID" || die "runnerd exited $? at SIGTERM"

raw=$(mbps "$BYTES" "$script_ms")
pyr=-
[ "$py_ms" != - ] && pyr=$(mbps "$BYTES" "$py_ms")
best=$(awk -v a="$raw" -v b="$pyr" 'BEGIN { if (b != "-" && b + 0 > a + 0) print b; else print a }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

out=$(cat <<EOF
throughput: fake agent 'flood $SIZE' ($BYTES bytes; through the pty $term1 terminal bytes in $chunks1 TERMINAL_CHUNK events)
date: $started; machine: $(nproc) CPUs, $(uname -sr), $(uname -m); load average at start: $load
(MiB/s of the agent's output, start to last byte)              rate   ratio to raw pty
raw pty read: script -qfc ... >/dev/null ($script_ms ms)          $(printf '%8s' "$raw")   1.00
raw pty read: python3 pty reader (${py_ms} ms)                    $(printf '%8s' "$pyr")   $(ratio "$pyr" "$raw")
runnerd -> 1 /ws subscriber                                   $(printf '%8s' "$med1")   $(ratio "$med1" "$best") (wire $wire1 MiB/s, complete $c1/1, runnerd RSS max $((rss1 / 1024)) MiB)
runnerd -> each of $SUBS /ws subscribers: median                $(printf '%8s' "$medN")   $(ratio "$medN" "$best") (min $minN, max $maxN; complete $cN/$SUBS)
runnerd -> $SUBS subscribers, aggregate                          $(printf '%8s' "$aggN")   $(ratio "$aggN" "$best") (wire $wireN MiB/s, runnerd RSS max $((rssN / 1024)) MiB)
(ratios are to the faster raw pty reader, $best MiB/s)
EOF
)
echo "$out"
if [ "${NO_RESULTS:-0}" != 1 ]; then
	{
		echo
		echo "## Terminal throughput, flood $SIZE to 1 and $SUBS subscribers ($(date -u '+%Y-%m-%d'))"
		echo
		echo "Command: \`RUNNERD=$RUNNERD FAKE_AGENT_DIR=$FAKE_AGENT_DIR $cmdline\` (nproc $(nproc); kernel $(uname -r); $(date -u '+%Y-%m-%d %H:%M UTC'))"
		echo
		echo '```'
		echo "$out"
		echo '```'
	} >>"$top/bench/RESULTS.md"
fi
