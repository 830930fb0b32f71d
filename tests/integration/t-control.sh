#!/bin/bash
# Controlling a running session: graceful and forced stop, an agent that
# ignores SIGTERM (killed after stop_grace_ms), pause that really freezes the
# output and resume that thaws it, resize, requests to an ended session
# (409), the session timeout, and a stop that takes the agent's whole
# process group with it.
. "$TESTS_SRCDIR/integration/lib.sh"

MARK=mark-$$-$RANDOM

# live_marked WORD: pids of live (non-zombie) processes whose command line
# has WORD.
live_marked() {
	for p in $(pgrep -f -- "$1"); do
		st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
		case $st in Z*) ;; *) echo "$p" ;; esac
	done
}

# transition_ts ID STATE: ts of the first move to STATE.
transition_ts() {
	events "$1" | jq -r --arg s "$2" \
	    '[.[] | select(.type == "SESSION_STATE_CHANGED" and .newState == $s)][0].ts'
}

# states ID: the newState of each transition, comma-separated.
states() {
	events "$1" | jq -r '[.[] | select(.type=="SESSION_STATE_CHANGED") | .newState] | join(",")'
}

# reason_of ID STATE: the reason given for the move to STATE.
reason_of() {
	events "$1" | jq -r --arg s "$2" \
	    '[.[] | select(.type == "SESSION_STATE_CHANGED" and .newState == $s)][0].reason'
}

# tick_count ID: how many "tick" lines so far.
tick_count() {
	output "$1" | tr -d '\r' | grep -c '^tick$'
}

make_repo "$T/repo"
start_daemon '{"stop_grace_ms": 1000}'

# Graceful stop.
start_session "print started $MARK-g;sleep 60000"
g=$SID
wait_output "$g" started
wait_state "$g" RUNNING
t0=$(date +%s%3N)
api POST "/api/runner/sessions/$g/stop" '{"graceful":true}'
assert_eq "$STATUS" 202 "graceful stop accepted"
wait_ended "$g" 5
t1=$(date +%s%3N)
api GET "/api/runner/sessions/$g"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "graceful stop: state"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" null "graceful stop: no error"
assert_eq "$(states "$g")" "PREPARING_WORKSPACE,STARTING_PROVIDER,RUNNING,STOPPING,COMPLETED" "graceful stop: states"
assert_match "$(reason_of "$g" COMPLETED)" 'stopped on request' "graceful stop: reason"
assert_seq_contiguous "$g"
[ -z "$(live_marked "$MARK-g")" ] || fail "graceful stop: the agent is still running"
ok "graceful stop → STOPPING → COMPLETED 'stopped on request' in $((t1 - t0)) ms"

# Forced stop.
start_session "print started $MARK-f;sleep 60000"
f=$SID
wait_output "$f" started
t0=$(date +%s%3N)
api POST "/api/runner/sessions/$f/stop" '{"graceful":false}'
assert_eq "$STATUS" 202 "forced stop accepted"
wait_ended "$f" 5
t1=$(date +%s%3N)
assert_eq "$(state_of "$f")" COMPLETED "forced stop: state"
assert_match "$(reason_of "$f" COMPLETED)" 'stopped on request' "forced stop: reason"
assert_seq_contiguous "$f"
[ -z "$(live_marked "$MARK-f")" ] || fail "forced stop: the agent is still running"
ok "forced stop → COMPLETED in $((t1 - t0)) ms"

# An agent that ignores SIGTERM is killed once the grace (1 s) is over.
start_session "print $MARK-h;hang"
h=$SID
wait_output "$h" hanging
[ -n "$(live_marked "$MARK-h")" ] || fail "hang: no agent process found by its marker"
t0=$(date +%s%3N)
api POST "/api/runner/sessions/$h/stop" '{}'
assert_eq "$STATUS" 202 "stop of a hanging agent accepted"
sleep 0.5
[ -n "$(live_marked "$MARK-h")" ] || fail "hang: the agent was gone 0.5 s into a 1 s grace"
wait_ended "$h" 8
t1=$(date +%s%3N)
assert_eq "$(state_of "$h")" COMPLETED "hang: state"
stopping=$(transition_ts "$h" STOPPING)
completed=$(transition_ts "$h" COMPLETED)
took=$((completed - stopping))
[ "$took" -ge 900 ] || fail "hang: COMPLETED $took ms after STOPPING, before the 1000 ms grace"
[ "$took" -le 5000 ] || fail "hang: COMPLETED $took ms after STOPPING"
[ $((t1 - t0)) -ge 900 ] || fail "hang: ended $((t1 - t0)) ms after the stop request"
[ -z "$(live_marked "$MARK-h")" ] || fail "hang: the agent is still running after the session ended"
ok "agent ignoring SIGTERM killed after the grace: COMPLETED $took ms after STOPPING"

# Pause really stops the output; resume starts it again.
script=
for _ in $(seq 1 150); do script="${script}print tick;sleep 100;"; done
start_session "${script}print $MARK-p"
p=$SID
wait_output "$p" '^tick' 10
api GET "/api/runner/sessions/$p"
ppid_agent=$(jq -r .providerPid <<<"$BODY")
assert_match "$ppid_agent" '^[0-9]+$' "pause: providerPid"
api POST "/api/runner/sessions/$p/pause" ''
assert_eq "$STATUS" 202 "pause accepted"
wait_state "$p" PAUSED_BY_HUMAN 5
assert_match "$(ps -o stat= -p "$ppid_agent")" '^T' "pause: the agent process is stopped"
sleep 0.5
n1=$(tick_count "$p")
api GET "/api/runner/sessions/$p"
seq1=$(jq -r .lastEventSeq <<<"$BODY")
sleep 2
n2=$(tick_count "$p")
assert_eq "$n2" "$n1" "ticks while paused for 2 s"
api GET "/api/runner/sessions/$p"
assert_eq "$(jq -r .lastEventSeq <<<"$BODY")" "$seq1" "no event while paused"
assert_eq "$(jq -r .state <<<"$BODY")" PAUSED_BY_HUMAN "still paused"
api POST "/api/runner/sessions/$p/pause" ''
assert_eq "$STATUS" 409 "pause of a paused session"
ok "pause → PAUSED_BY_HUMAN, agent stopped, no output for 2 s ($n1 ticks)"

api POST "/api/runner/sessions/$p/resume" ''
assert_eq "$STATUS" 202 "resume accepted"
wait_state "$p" RUNNING 5
for _ in $(seq 1 50); do
	[ "$(tick_count "$p")" -gt $((n1 + 3)) ] && break
	sleep 0.1
done
n3=$(tick_count "$p")
[ "$n3" -gt $((n1 + 3)) ] || fail "resume: only $((n3 - n1)) new ticks in 5 s"
api POST "/api/runner/sessions/$p/resume" ''
assert_eq "$STATUS" 409 "resume of a running session"
assert_eq "$(states "$p")" "PREPARING_WORKSPACE,STARTING_PROVIDER,RUNNING,PAUSED_BY_HUMAN,RUNNING" "pause/resume: states"
ok "resume → RUNNING, output flows again ($((n3 - n1)) new ticks)"

# Resize, and its validation.
api POST "/api/runner/sessions/$p/resize" '{"cols":100,"rows":30}'
assert_eq "$STATUS" 202 "resize accepted"
api POST "/api/runner/sessions/$p/resize" '{"cols":0,"rows":30}'
assert_eq "$STATUS" 400 "resize to 0 columns"
api POST "/api/runner/sessions/$p/resize" '{"cols":"wide","rows":30}'
assert_eq "$STATUS" 400 "resize with a string"
ok "resize → 202; bad sizes → 400"

# A stop while paused still ends it.
api POST "/api/runner/sessions/$p/pause" ''
wait_state "$p" PAUSED_BY_HUMAN 5
api POST "/api/runner/sessions/$p/stop" '{}'
assert_eq "$STATUS" 202 "stop of a paused session"
wait_ended "$p" 8
assert_eq "$(state_of "$p")" COMPLETED "stopped while paused: state"
[ -z "$(live_marked "$MARK-p")" ] || fail "stopped while paused: the agent is still there"
ok "stop while paused → COMPLETED"

# Requests to an ended session.
for req in "input|{\"data\":\"x\\n\"}" "resize|{\"cols\":80,\"rows\":24}" "pause|" \
    "resume|" "stop|{}"; do
	api POST "/api/runner/sessions/$p/${req%%|*}" "${req#*|}"
	assert_eq "$STATUS" 409 "${req%%|*} to an ended session"
	assert_eq "$(jq -r .error.code <<<"$BODY")" INVALID_STATE "${req%%|*} to an ended session: code"
done
ok "input, resize, pause, resume, stop to an ended session → 409 INVALID_STATE"

# Stop takes the agent's whole process group, children included.
start_session "spawn-child;print spawned $MARK-c;sleep 60000"
c=$SID
wait_output "$c" "spawned $MARK-c"
child=$(output "$c" | tr -d '\r' | sed -n 's/^child \([0-9]*\)$/\1/p')
assert_match "$child" '^[0-9]+$' "spawn-child: the child's pid"
api GET "/api/runner/sessions/$c"
agent=$(jq -r .providerPid <<<"$BODY")
[ "$(live_marked "$MARK-c" | wc -l)" -ge 2 ] || fail "spawn-child: expected the agent and its child"
assert_eq "$(ps -o pgid= -p "$child" | tr -d ' ')" "$agent" "the child is in the agent's group"
api POST "/api/runner/sessions/$c/stop" '{}'
wait_ended "$c" 8
for _ in $(seq 1 20); do
	[ -z "$(live_marked "$MARK-c")" ] && break
	sleep 0.1
done
[ -z "$(live_marked "$MARK-c")" ] ||
    fail "processes left after stop: $(ps -o pid=,stat=,args= -p "$(live_marked "$MARK-c" | tr '\n' ',' | sed 's/,$//')")"
ok "stop leaves no process of the agent's group (agent $agent, child $child)"
stop_daemon

# The session timeout fails a session that runs too long.
start_daemon '{"stop_grace_ms": 1000, "session_timeout_ms": 1500}'
t0=$(date +%s%3N)
start_session "print $MARK-t;sleep 60000"
wait_ended "$SID" 15
t1=$(date +%s%3N)
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "timeout: state"
msg=$(jq -r .errorMessage <<<"$BODY")
assert_match "$msg" '[Tt]ime(d)? ?out' "timeout: errorMessage"
[ $((t1 - t0)) -ge 1400 ] || fail "timeout: ended after $((t1 - t0)) ms, before the 1500 ms timeout"
[ -z "$(live_marked "$MARK-t")" ] || fail "timeout: the agent is still running"
assert_seq_contiguous "$SID"
ok "session_timeout_ms 1500 → FAILED '$msg' after $((t1 - t0)) ms"
stop_daemon
