#!/bin/bash
# Session start latency: from just before POST /api/runner/sessions to the
# first TERMINAL_CHUNK of the fake agent (`print ready`), over N sequential
# sessions on a generated repository of ~1,500 files; beside it, in the same
# run and on the same repository, the baseline `git worktree add --detach`
# timed N times. Prints median, p95, min and max of each and their ratio.
#
# Both ends of a runnerd sample are wall-clock readings on this machine: the
# client's `date +%s%3N` just before the POST and the event's `ts` (epoch ms,
# stamped by runnerd when it records the event), so polling for the event
# adds no error. Builds nothing but the repository.
#
#   RUNNERD=build/supervisor/runnerd FAKE_AGENT_DIR=build/contrib \
#       bench/start-latency.sh [N] [FILES]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
RUNNERD=${RUNNERD:-$top/build/supervisor/runnerd}
FAKE_AGENT_DIR=${FAKE_AGENT_DIR:-$top/build/contrib}
N=${1:-50}
FILES=${2:-1500}

for tool in curl jq git awk; do
	command -v "$tool" >/dev/null || { echo "start-latency: $tool is required" >&2; exit 1; }
done
[ -x "$RUNNERD" ] || { echo "start-latency: no runnerd at $RUNNERD (set RUNNERD)" >&2; exit 1; }
[ -x "$FAKE_AGENT_DIR/runnerd-fake-agent" ] ||
    { echo "start-latency: no runnerd-fake-agent in $FAKE_AGENT_DIR (set FAKE_AGENT_DIR)" >&2; exit 1; }
RUNNERD=$(cd "$(dirname "$RUNNERD")" && pwd)/$(basename "$RUNNERD")
FAKE_AGENT_DIR=$(cd "$FAKE_AGENT_DIR" && pwd)

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
W=$(mktemp -d "${TMPDIR:-/tmp}/runnerd-bench.XXXXXX")
DPID=
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		wait "$DPID" 2>/dev/null || true
	fi
	bench_remove "$W"
}
trap cleanup EXIT

# The repository: FILES files of ~2 KiB in 30 directories, one commit.
repo=$W/repo
mkdir -p "$repo"
awk -v root="$repo" -v n="$FILES" 'BEGIN {
	for (i = 0; i < n; i++) {
		d = sprintf("%s/pkg%02d", root, i % 30)
		if (i < 30)
			system("mkdir -p " d)
		f = sprintf("%s/file%04d.c", d, i)
		for (l = 0; l < 40; l++)
			printf("/* file %d line %d: some source text to fill a line */\n", i, l) > f
		close(f)
	}
}'
g() { git -C "$repo" -c user.name=bench -c user.email=bench@localhost "$@"; }
g init -q -b main
g add -A
g commit -q -m "generated repository"
nfiles=$(g ls-files | wc -l)

# stats FILE: median p95 min max of the numbers in FILE (p95 nearest-rank).
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		r = int(0.95 * NR); if (r < 0.95 * NR) r++
		printf "%.1f %d %d %d\n", med, v[r], v[1], v[NR]
	}'
}

# runnerd on a free port with a private state dir.
jq -n --arg p "$FAKE_AGENT_DIR:$PATH" --arg w "$W" \
    '{pool_size: 2, max_sessions: 60, agent_path: $p, allowed_roots: [$w]}' >"$W/runnerd.conf"
RUNNER_WORKSPACE_DIR=$W/workspaces RUNNER_CACHE_DIR=$W/cache \
    "$RUNNERD" -c "$W/runnerd.conf" -l 127.0.0.1:0 -d "$W/state" -s "$W/runnerd.sock" \
    >"$W/runnerd.out" 2>"$W/runnerd.log" &
DPID=$!
for _ in $(seq 1 100); do
	grep -q '^listening on' "$W/runnerd.out" && break
	kill -0 "$DPID" 2>/dev/null || { cat "$W/runnerd.log" >&2; exit 1; }
	sleep 0.05
done
URL=http://$(sed -n 's/^listening on //p' "$W/runnerd.out" | head -1)
sleep 0.5	# the pool's first workers

body=$(jq -n --arg path "$repo" '{providerId: "fake", villageId: "bench",
    repoRef: {provider: "local", path: $path},
    task: {title: "bench", goal: "print ready"}}')
: >"$W/runnerd.ms"
for i in $(seq 1 "$N"); do
	t0=$(date +%s%3N)
	sid=$(curl -sS -H 'Content-Type: application/json' --data-binary "$body" \
	    "$URL/api/runner/sessions" | jq -r .sessionId)
	[ -n "$sid" ] && [ "$sid" != null ] || { echo "start-latency: POST failed" >&2; exit 1; }
	ts=
	for _ in $(seq 1 600); do
		ev=$(curl -sS "$URL/api/runner/sessions/$sid/events?after=0")
		ts=$(jq -r '[.events[] | select(.type == "TERMINAL_CHUNK")][0].ts // empty' <<<"$ev")
		ended=$(jq -r '[.events[] | select(.type == "SESSION_ENDED")] | length' <<<"$ev")
		[ -n "$ts" ] && [ "$ended" = 1 ] && break
		[ "$ended" = 1 ] && break
		sleep 0.02
	done
	[ -n "$ts" ] || { echo "start-latency: session $sid: no output ($(jq -c .state <<<"$ev"))" >&2; exit 1; }
	echo $((ts - t0)) >>"$W/runnerd.ms"
done

# The baseline: a detached worktree of the same commit, as git itself does it.
: >"$W/git.ms"
for i in $(seq 1 "$N"); do
	t0=$(date +%s%3N)
	git -C "$repo" worktree add -q --detach "$W/worktrees/$i" main
	t1=$(date +%s%3N)
	echo $((t1 - t0)) >>"$W/git.ms"
done

read -r rmed rp95 rmin rmax < <(stats "$W/runnerd.ms")
read -r gmed gp95 gmin gmax < <(stats "$W/git.ms")
echo "start-latency: $N sequential sessions, repository of $nfiles files ($(du -sh --exclude=.git "$repo" | cut -f1))"
echo "date: $started; machine: $(nproc) CPUs, $(uname -sr), $(uname -m); load average at start: $load"
printf '%-44s %8s %8s %8s %8s\n' "(milliseconds)" median p95 min max
printf '%-44s %8s %8s %8s %8s\n' "runnerd: POST -> first TERMINAL_CHUNK" "$rmed" "$rp95" "$rmin" "$rmax"
printf '%-44s %8s %8s %8s %8s\n' "baseline: git worktree add --detach" "$gmed" "$gp95" "$gmin" "$gmax"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
printf '%-44s %8s %8s\n' "ratio runnerd / baseline" "$(ratio "$rmed" "$gmed")" "$(ratio "$rp95" "$gp95")"
