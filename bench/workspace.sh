#!/bin/bash
# Workspace creation: overlay (over a warm cached checkout, and the one-time
# cold build of that checkout), libgit2 clone (workspace_mode clone) and the
# baseline `git worktree add --detach`, on a generated repository of ~1,500
# files and one of >= 100,000 small files, all in the same run.
#
# runnerd figures are measured through the daemon: for each session (the
# fake agent, `print x`), the worker's timestamps of its state changes
# CREATED -> PREPARING_WORKSPACE and PREPARING_WORKSPACE -> STARTING_PROVIDER
# (`ts`, epoch ms), a span that holds the workspace and the start of its
# FILE_TOUCHED watch; beside it the worker's own log line for the workspace
# alone ("workspace: overlay over cached checkout ... in N ms", "libgit2
# clone in N ms"). Each session is DELETEd (unmounted) before the next.
# `git worktree add` is timed with date +%s%3N around the command. Every
# timed sample that writes a tree starts after a `sync` (not timed), so
# that one sample's writeback does not land on the next. The cold overlay
# samples empty <cache>/checkouts first. Needs root for overlay mounts
# (without it, only clone and git are measured). Bounded: about 2 min on an
# idle 2-CPU VM, under 10 min on a busy one.
#
#   RUNNERD=build/supervisor/runnerd FAKE_AGENT_DIR=build/contrib \
#       bench/workspace.sh [N] [SMALL_FILES] [LARGE_FILES]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
RUNNERD=${RUNNERD:-$top/build/supervisor/runnerd}
FAKE_AGENT_DIR=${FAKE_AGENT_DIR:-$top/build/contrib}
N=${1:-10}
SMALL=${2:-1500}
LARGE=${3:-100000}
COLD=3		# cold overlay builds of the small repository (1 of the large)
NLARGE=3	# clones and git worktree adds of the large repository (seconds each)

for tool in curl jq git awk; do
	command -v "$tool" >/dev/null || { echo "workspace: $tool is required" >&2; exit 1; }
done
[ -x "$RUNNERD" ] || { echo "workspace: no runnerd at $RUNNERD (set RUNNERD)" >&2; exit 1; }
[ -x "$FAKE_AGENT_DIR/runnerd-fake-agent" ] ||
    { echo "workspace: no runnerd-fake-agent in $FAKE_AGENT_DIR (set FAKE_AGENT_DIR)" >&2; exit 1; }
RUNNERD=$(cd "$(dirname "$RUNNERD")" && pwd)/$(basename "$RUNNERD")
FAKE_AGENT_DIR=$(cd "$FAKE_AGENT_DIR" && pwd)

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
t_start=$(date +%s)
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

# gen DIR FILES: FILES one-line files, 100 per directory, one commit.
gen() {
	mkdir -p "$1"
	awk -v root="$1" -v n="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i % 100 == 0) {
				d = sprintf("%s/d%04d", root, i / 100)
				system("mkdir -p " d)
			}
			f = sprintf("%s/f%06d.txt", d, i)
			printf("file %d\n", i) > f
			close(f)
		}
	}'
	git -C "$1" init -q -b main
	git -C "$1" add -A
	# Packed, as a real repository is; no auto gc racing the clones.
	git -C "$1" -c gc.auto=0 -c user.name=bench \
	    -c user.email=bench@localhost commit -q -m generated
	git -C "$1" gc -q
}

# stats FILE: median min max of the numbers in FILE.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %d %d\n", med, v[1], v[NR]
	}'
}

# start MODE: runnerd with workspace_mode MODE on a free port.
start() {
	jq -n --arg p "$FAKE_AGENT_DIR:$PATH" --arg m "$1" --arg w "$W" \
	    '{pool_size: 2, max_sessions: 20, agent_path: $p, sandbox: false,
	      workspace_mode: $m, cache_max_bytes: 0, allowed_roots: [$w]}' \
	    >"$W/runnerd.conf"
	: >"$W/runnerd.out"
	RUNNER_WORKSPACE_DIR=$W/workspaces RUNNER_CACHE_DIR=$W/cache \
	    "$RUNNERD" -c "$W/runnerd.conf" -l 127.0.0.1:0 -d "$W/state" \
	    -s "$W/runnerd.sock" >"$W/runnerd.out" 2>>"$W/runnerd.log" &
	DPID=$!
	for _ in $(seq 1 100); do
		grep -q '^listening on' "$W/runnerd.out" && break
		sleep 0.05
	done
	URL=http://$(sed -n 's/^listening on //p' "$W/runnerd.out" | head -1)
}

stop() {
	kill -TERM "$DPID"
	wait "$DPID" || true
	DPID=
}

# session REPO OUT LOGOUT: one session; its workspace span (state events)
# appended to OUT, the worker's logged workspace time to LOGOUT.
session() {
	body=$(jq -n --arg p "$1" '{providerId: "fake", villageId: "bench",
	    repoRef: {provider: "local", path: $p},
	    task: {title: "bench", goal: "print x"}}')
	id=$(curl -sS -X POST -H 'Content-Type: application/json' \
	    --data-binary "$body" "$URL/api/runner/sessions" | jq -r .sessionId)
	for _ in $(seq 1 1200); do
		ev=$(curl -sS "$URL/api/runner/sessions/$id/events?after=0&limit=1000")
		jq -e '.events[] | select(.type=="SESSION_ENDED")' <<<"$ev" >/dev/null && break
		sleep 0.05
	done
	jq -r '[.events[] | select(.type=="SESSION_STATE_CHANGED")] |
	    ((map(select(.newState=="STARTING_PROVIDER"))[0].ts) -
	     (map(select(.newState=="PREPARING_WORKSPACE"))[0].ts))' <<<"$ev" >>"$2"
	sed -n "s/.*worker\[${id:0:8}\].*workspace: .* in \([0-9]*\) ms.*/\1/p" \
	    "$W/runnerd.log" | tail -1 >>"$3"
	[ "$(jq -r '[.events[] | select(.type=="SESSION_ENDED")][0].finalState' <<<"$ev")" = COMPLETED ] ||
	    { echo "workspace: session $id did not complete" >&2; tail -20 "$W/runnerd.log" >&2; exit 1; }
	curl -sS -o /dev/null -X DELETE "$URL/api/runner/sessions/$id"
}

# worktree REPO OUT COUNT: time git worktree add COUNT times.
worktree() {
	for i in $(seq 1 "$3"); do
		sync
		t0=$(date +%s%3N)
		git -C "$1" worktree add -q --detach "$W/wt$i" main
		t1=$(date +%s%3N)
		echo $((t1 - t0)) >>"$2"
		git -C "$1" worktree remove --force "$W/wt$i"
	done
}

gen "$W/small" "$SMALL"
gen "$W/large" "$LARGE"
gen_s=$(( $(date +%s) - t_start ))

overlay=1
[ "$(id -u)" = 0 ] && grep -qw overlay /proc/filesystems || overlay=0

for size in small large; do
	repo=$W/$size
	n=$N
	[ "$size" = large ] && n=$NLARGE
	: >"$W/$size.git"
	worktree "$repo" "$W/$size.git" "$n"
	if [ "$overlay" = 1 ]; then
		start auto
		curl -sS "$URL/healthz" | jq -e '.workspace.mode == "overlay"' >/dev/null ||
		    { echo "workspace: runnerd does not use overlays here" >&2; overlay=0; }
	fi
	if [ "$overlay" = 1 ]; then
		: >"$W/$size.cold"; : >"$W/$size.coldlog"
		c=$COLD
		[ "$size" = large ] && c=1
		for _ in $(seq 1 "$c"); do
			rm -rf "$W/cache/checkouts"
			sync
			session "$repo" "$W/$size.cold" "$W/$size.coldlog"
		done
		: >"$W/$size.warm"; : >"$W/$size.warmlog"
		for _ in $(seq 1 "$N"); do
			session "$repo" "$W/$size.warm" "$W/$size.warmlog"
		done
		stop
	fi
	start clone
	: >"$W/$size.clone"; : >"$W/$size.clonelog"
	for _ in $(seq 1 "$n"); do
		sync
		session "$repo" "$W/$size.clone" "$W/$size.clonelog"
	done
	stop
done

files_s=$(git -C "$W/small" ls-files | wc -l)
files_l=$(git -C "$W/large" ls-files | wc -l)
echo "workspace: repositories of $files_s files ($(du -sh "$W/small" | cut -f1)) and $files_l files ($(du -sh "$W/large" | cut -f1)), generated in ${gen_s} s"
echo "date: $started; machine: $(nproc) CPUs, $(uname -sr), $(uname -m); load average at start: $load"
echo "samples: overlay warm $N per size, cold $COLD (small) and 1 (large); git worktree add and clone $N (small), $NLARGE (large)"
echo "(milliseconds: median min max; ratio = median / git worktree add median)"
for size in small large; do
	read -r gm gmin gmax <<<"$(stats "$W/$size.git")"
	printf '%s (%s files)\n' "$size" "$([ $size = small ] && echo "$files_s" || echo "$files_l")"
	printf '  %-44s %8s %6s %6s\n' "git worktree add --detach" "$gm" "$gmin" "$gmax"
	for kind in warm cold clone; do
		[ -s "$W/$size.$kind" ] || continue
		case $kind in
		warm) label="overlay, cached checkout warm" ;;
		cold) label="overlay, first session (builds the checkout)" ;;
		clone) label="libgit2 clone (workspace_mode clone)" ;;
		esac
		read -r m mn mx <<<"$(stats "$W/$size.$kind")"
		read -r lm lmn lmx <<<"$(stats "$W/$size.${kind}log")"
		printf '  %-44s %8s %6s %6s   ratio %8.4f\n' "$label" "$m" "$mn" "$mx" \
		    "$(awk -v a="$m" -v b="$gm" 'BEGIN { print a / b }')"
		printf '  %-44s %8s %6s %6s   ratio %8.4f\n' "  of which the worker's workspace step" "$lm" "$lmn" "$lmx" \
		    "$(awk -v a="$lm" -v b="$gm" 'BEGIN { print a / b }')"
	done
done
if [ -s "$W/small.warmlog" ] && [ -s "$W/large.warmlog" ]; then
	read -r a _ _ <<<"$(stats "$W/small.warmlog")"
	read -r b _ _ <<<"$(stats "$W/large.warmlog")"
	printf 'overlay warm, large / small: worker step %.2f' "$(awk -v a="$b" -v b="$a" 'BEGIN { print a / b }')"
	read -r a _ _ <<<"$(stats "$W/small.warm")"
	read -r b _ _ <<<"$(stats "$W/large.warm")"
	printf ', span (with the FILE_TOUCHED watch) %.2f\n' "$(awk -v a="$b" -v b="$a" 'BEGIN { print a / b }')"
	read -r a _ _ <<<"$(stats "$W/small.clonelog")"
	read -r b _ _ <<<"$(stats "$W/large.clonelog")"
	printf 'clone, large / small: worker step %.2f\n' "$(awk -v a="$b" -v b="$a" 'BEGIN { print a / b }')"
fi
echo "total run time: $(( $(date +%s) - t_start )) s"
