#!/bin/bash
# A worker crash ends only its own session: kill -9 of one worker fails that
# session ("worker exited on signal 9") and takes its agent's process group,
# while another session keeps streaming and completes. Then a worker that
# breaks the channel protocol (bad-worker, through worker_path) in each of
# the ways the supervisor must catch: its session FAILED "protocol error: …",
# the worker killed, a concurrent well-behaved session unharmed.
. "$TESTS_SRCDIR/integration/lib.sh"

: "${BAD_WORKER:?BAD_WORKER must name tests/integration/bad-worker}"

# live_in_group PGID: the processes of a group that are not zombies.
live_in_group() {
	ps -e -o pid=,pgid=,stat= | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'
}

# alive PID: the process exists and is not a zombie.
alive() {
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
	return 0
}

# ticks ID PREFIX: how many "PREFIX" lines the session printed.
ticks() {
	output "$1" | tr -d '\r' | grep -c "^$2\$"
}

# loop_script WORD N: print WORD every 100 ms, N times, then WORD-done.
loop_script() {
	for _ in $(seq 1 "$2"); do printf 'print %s\nsleep 100\n' "$1"; done
	printf 'print %s-done\n' "$1"
}

make_repo "$T/repo"
start_daemon

start_session "$(loop_script victim-tick 120)"
victim=$SID
start_session "$(loop_script other-tick 50)"
other=$SID
wait_output "$victim" victim-tick
wait_output "$other" other-tick

api GET "/api/runner/sessions/$victim"
apid=$(jq -r .providerPid <<<"$BODY")
assert_match "$apid" '^[0-9]+$' "victim's providerPid"
alive "$apid" || fail "victim's agent $apid is not running"
wpid=$(ps -o ppid= -p "$apid" | tr -d ' ')
assert_match "$wpid" '^[0-9]+$' "victim's worker pid"
pgrep -P "$DPID" | grep -qx "$wpid" ||
    fail "the agent's parent $wpid is not a child of runnerd $DPID ($(pgrep -P "$DPID" | tr '\n' ' '))"
assert_eq "$(ps -o pgid= -p "$apid" | tr -d ' ')" "$apid" "the agent leads its own process group"
api GET "/api/runner/sessions/$other"
opid=$(jq -r .providerPid <<<"$BODY")
[ "$(ps -o ppid= -p "$opid" | tr -d ' ')" != "$wpid" ] || fail "both agents share worker $wpid"
ok "victim's agent $apid runs under worker $wpid, a child of runnerd"

before=$(ticks "$other" other-tick)
kill -9 "$wpid"
wait_ended "$victim" 10
api GET "/api/runner/sessions/$victim"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "victim's state"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" "worker exited on signal 9" "victim's errorMessage"
assert_seq_contiguous "$victim"
ev=$(events "$victim")
assert_eq "$(jq -r '.[-1].type' <<<"$ev")" SESSION_ENDED "victim's last event"
assert_eq "$(jq -r '.[-1].finalState' <<<"$ev")" FAILED "victim's SESSION_ENDED finalState"
for _ in $(seq 1 30); do
	[ -z "$(live_in_group "$apid")" ] && break
	sleep 0.1
done
[ -z "$(live_in_group "$apid")" ] ||
    fail "victim's agent group $apid still has processes: $(live_in_group "$apid" | tr '\n' ' ')"
ok "kill -9 of the worker: FAILED 'worker exited on signal 9', its agent group gone"

api GET /healthz
assert_eq "$STATUS" 200 "healthz after the worker crash"
wait_ended "$other" 20
[ "$(ticks "$other" other-tick)" -gt "$before" ] || fail "the other session printed nothing after the crash"
api GET "/api/runner/sessions/$other"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "the other session's state"
assert_eq "$(jq -r .exitCode <<<"$BODY")" 0 "the other session's exit code"
assert_eq "$(ticks "$other" other-tick)" 50 "the other session's ticks"
output "$other" | grep -q other-tick-done || fail "the other session's last line is missing"
assert_seq_contiguous "$other"
ok "the other session kept streaming and completed with all 50 ticks"

# A new session still works on the same daemon.
start_session 'print after the crash'
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "a session after the crash"
stop_daemon
ok "runnerd still starts sessions and stops cleanly"

# Misbehaving workers.
start_daemon "$(jq -n --arg w "$BAD_WORKER" '{worker_path: $w}')"

# A well-behaved run of the bad worker first: the harness itself works.
start_session 'good 5'
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "bad-worker 'good 5'"
assert_eq "$(ticks "$SID" 'tick [0-9]*')" 5 "ticks of 'good 5'"
ok "bad-worker's good run completes"

for how in zero-length oversize bad-json unknown-type bad-transition no-type \
    truncated-then-exit garbage; do
	start_session 'good 30'
	good=$SID
	start_session "$how"
	bad=$SID
	wait_ended "$bad" 10
	api GET "/api/runner/sessions/$bad"
	assert_eq "$(jq -r .state <<<"$BODY")" FAILED "$how: state"
	msg=$(jq -r .errorMessage <<<"$BODY")
	if [ "$how" = truncated-then-exit ]; then
		assert_match "$msg" '^(worker exited|protocol error: )' "$how: errorMessage"
	else
		assert_match "$msg" '^protocol error: .' "$how: errorMessage"
	fi
	assert_seq_contiguous "$bad"
	assert_eq "$(events "$bad" | jq -r '.[-1].type')" SESSION_ENDED "$how: last event"
	pidf=$WS/$bad.bad-worker.pid
	[ -s "$pidf" ] || fail "$how: bad-worker left no pid file $pidf"
	bpid=$(cat "$pidf")
	for _ in $(seq 1 30); do
		alive "$bpid" || break
		sleep 0.1
	done
	alive "$bpid" && fail "$how: bad worker $bpid still running after its session failed"
	api GET /healthz
	assert_eq "$STATUS" 200 "$how: healthz"
	assert_eq "$(jq -r .status <<<"$BODY")" ok "$how: healthz status"

	wait_ended "$good" 20
	assert_eq "$(state_of "$good")" COMPLETED "$how: the concurrent good session"
	got=$(output "$good" | grep -E '^tick [0-9]+$' | tr '\n' ' ')
	assert_eq "$got" "$(seq -f 'tick %g' 1 30 | tr '\n' ' ')" "$how: the good session's ticks"
	assert_seq_contiguous "$good"
	ok "$how: FAILED '$msg', worker killed; the concurrent session completed with 30 ticks"
done

api GET /healthz
assert_eq "$STATUS" 200 "healthz at the end"
stop_daemon
ok "SIGTERM → exit 0"
