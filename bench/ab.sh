#!/bin/bash
# Two builds of runnerd against each other, in the same run: the named
# baseline build A (e.g. the commit before a change) and build B, each
# driven ROUNDS times through bench/start-latency.sh and bench/throughput.sh,
# alternating A B B A A B ... so that drift in the machine's load falls on
# both. Prints, per measure, the median over the rounds of each build and
# the ratio B / A. Nothing is appended to RESULTS.md.
#
#   bench/ab.sh BUILD_A BUILD_B [ROUNDS] [SESSIONS] [FLOOD]
#
# BUILD_x is a build directory (supervisor/runnerd and contrib/ in it).
# Defaults: 3 rounds, 10 sessions per start-latency run, a 50M flood to 1
# and 10 subscribers per throughput run.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: bench/ab.sh BUILD_A BUILD_B [ROUNDS] [SESSIONS] [FLOOD]" >&2; exit 2; }
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
ROUNDS=${3:-3}
SESSIONS=${4:-10}
FLOOD=${5:-50M}
for b in "$A" "$B"; do
	[ -x "$b/supervisor/runnerd" ] || { echo "ab: no $b/supervisor/runnerd" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/runnerd-ab.XXXXXX")
trap 'rm -rf "$W"' EXIT

# One run of both benches with build $2, its numbers appended to $W/$1.
one() {
	local tag=$1 b=$2 out
	out=$(RUNNERD=$b/supervisor/runnerd FAKE_AGENT_DIR=$b/contrib \
	    "$top/bench/start-latency.sh" "$SESSIONS" 2>&1) ||
	    { echo "$out" >&2; exit 1; }
	echo "$out" | awk '/^runnerd: POST/ { print "start_ms", $(NF-3) }
	    /^ratio runnerd/ { print "start_ratio", $(NF-1) }' >>"$W/$tag"
	out=$(NO_RESULTS=1 RUNNERD=$b/supervisor/runnerd FAKE_AGENT_DIR=$b/contrib \
	    "$top/bench/throughput.sh" "$FLOOD" 10 2>&1) ||
	    { echo "$out" >&2; exit 1; }
	echo "$out" | awk '/-> 1 \/ws subscriber/ { print "tp1_mibs", $(NF-11) }
	    /subscribers, aggregate/ { print "tp10_agg_mibs", $(NF-9) }' >>"$W/$tag"
}

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then one a "$A"; one b "$B"; else one b "$B"; one a "$A"; fi
	echo "ab: round $r of $ROUNDS done" >&2
done

med() { awk -v k="$2" '$1 == k { v[n++] = $2 } END { if (n == 0) { print "-"; exit }
	for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$W/$1"; }
echo "ab: A = $A, B = $B; $ROUNDS rounds (A B, B A, ...), $SESSIONS sessions, flood $FLOOD"
echo "date: $started; machine: $(nproc) CPUs, $(uname -sr); load average at start: $load"
all() { awk -v k="$2" '$1 == k { printf "%s%s", n++ ? " " : "", $2 }' "$W/$1"; }
printf '%-16s %10s %10s %8s   %s\n' "(median)" A B "B / A" "each round: A | B"
for k in start_ms start_ratio tp1_mibs tp10_agg_mibs; do
	a=$(med a $k); b=$(med b $k)
	printf '%-16s %10s %10s %8s   %s | %s\n' "$k" "$a" "$b" \
	    "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a + 0 > 0) printf "%.2f", b / a; else print "-" }')" \
	    "$(all a $k)" "$(all b $k)"
done
echo "(start_ms: POST -> first output, lower is better; start_ratio: that over"
echo " git worktree add in the same run; tp*: MiB/s of terminal output, higher is better)"
