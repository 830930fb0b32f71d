#!/bin/bash
# Durability across restarts. After kill -9 of runnerd (a crash; its workers
# see EOF and take their agents with them) a new runnerd on the same state
# dir serves the ended session and its events exactly as before, and marks
# the session that was running FAILED "supervisor restarted" with a closing
# STATE_CHANGED and SESSION_ENDED, seq still contiguous. A clean SIGTERM
# restart keeps everything too, and leaves no agent behind.
. "$TESTS_SRCDIR/integration/lib.sh"

MARK=mark-$$-$RANDOM

# live_marked WORD: live (non-zombie) processes whose command line has WORD.
live_marked() {
	for p in $(pgrep -f -- "$1"); do
		st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
		case $st in Z*) ;; *) echo "$p" ;; esac
	done
}

# wait_gone WORD SECONDS: until no process has WORD in its command line.
wait_gone() {
	for _ in $(seq 1 $(( $2 * 10 ))); do
		[ -z "$(live_marked "$1")" ] && return 0
		sleep 0.1
	done
	fail "processes with '$1' still running: $(live_marked "$1" | tr '\n' ' ')"
}

# snapshot ID: the session's runtime state and all its events.
snapshot() {
	api GET "/api/runner/sessions/$1"
	[ "$STATUS" = 200 ] || fail "GET $1: $STATUS $BODY"
	printf '%s\n' "$BODY" | jq -S .
	events "$1" | jq -S .
}

# file_events ID: the session's events.jsonl as a JSON array.
file_events() {
	jq -s -c . "$STATE/sessions/$1/events.jsonl"
}

make_repo "$T/repo"
start_daemon

start_session 'print hello before the crash;write out.txt kept;print bye'
ended=$SID
wait_ended "$ended"
assert_eq "$(state_of "$ended")" COMPLETED "the ended session"
start_session "print long-running $MARK;sleep 60000"
long=$SID
wait_output "$long" long-running
wait_state "$long" RUNNING
api GET "/api/runner/sessions/$long"
agent=$(jq -r .providerPid <<<"$BODY")
kill -0 "$agent" || fail "the long session's agent $agent is not running"
snapshot "$ended" >"$T/ended.before"
long_before=$(events "$long")

kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
wait_gone "$MARK" 10
ok "kill -9 of runnerd: the running session's agent $agent went with its worker"

start_daemon
snapshot "$ended" >"$T/ended.after"
diff -u "$T/ended.before" "$T/ended.after" >&2 ||
    fail "the ended session is served differently after the restart"
ok "after the crash the ended session and its $(jq length <<<"$(events "$ended")") events are served identically"

api GET "/api/runner/sessions/$long"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "the running session after the crash"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" "supervisor restarted" "its errorMessage"
assert_seq_contiguous "$long"
long_after=$(events "$long")
n=$(jq length <<<"$long_before")
assert_eq "$(jq -c ".[:$n]" <<<"$long_after")" "$long_before" "the events recorded before the crash"
assert_eq "$(jq -r '.[-2] | .type + " " + .newState' <<<"$long_after")" \
    "SESSION_STATE_CHANGED FAILED" "the second last event"
assert_eq "$(jq -r '.[-2].reason' <<<"$long_after")" "supervisor restarted" "the FAILED transition's reason"
assert_eq "$(jq -r '.[-1] | .type + " " + .finalState' <<<"$long_after")" \
    "SESSION_ENDED FAILED" "the last event"
assert_eq "$(jq -c "[.[$n:][] | .type]" <<<"$long_after")" \
    '["SESSION_STATE_CHANGED","SESSION_ENDED"]' "the events added at the restart"
assert_eq "$(file_events "$long")" "$long_after" "events.jsonl and the API agree"
ok "the running session: FAILED 'supervisor restarted', closed with STATE_CHANGED and SESSION_ENDED, seq 1..$(jq length <<<"$long_after")"

# Restarted again right away: nothing more is added to either session.
snapshot "$long" >"$T/long.before"
stop_daemon
start_daemon
snapshot "$long" >"$T/long.after"
diff -u "$T/long.before" "$T/long.after" >&2 || fail "a second restart changed the failed session"
snapshot "$ended" >"$T/ended.after2"
diff -u "$T/ended.before" "$T/ended.after2" >&2 || fail "a second restart changed the ended session"
ok "a second restart changes nothing"

# The restarted daemon runs sessions; then a clean SIGTERM restart.
start_session 'print after the restart'
after=$SID
wait_ended "$after"
assert_eq "$(state_of "$after")" COMPLETED "a session on the restarted daemon"
start_session "print second long $MARK;sleep 60000"
long2=$SID
wait_output "$long2" 'second long'
snapshot "$after" >"$T/after.before"
stop_daemon
wait_gone "$MARK" 5
assert_eq "$(tail -1 "$STATE/sessions/$long2/events.jsonl" | jq -r .type)" SESSION_ENDED \
    "the running session's log ends with SESSION_ENDED after SIGTERM"
shutdown_events=$(file_events "$long2")
ok "SIGTERM: the running session was ended ($(jq -r '.[-1].finalState' <<<"$shutdown_events")), its agent is gone"

start_daemon
for id in "$ended" "$after"; do
	snapshot "$id" >"$T/$id.after3"
done
diff -u "$T/ended.before" "$T/$ended.after3" >&2 || fail "SIGTERM restart changed the first session"
diff -u "$T/after.before" "$T/$after.after3" >&2 || fail "SIGTERM restart changed a completed session"
snapshot "$long" >"$T/long.after3"
diff -u "$T/long.before" "$T/long.after3" >&2 || fail "SIGTERM restart changed the crashed session"
assert_eq "$(events "$long2")" "$shutdown_events" "the session stopped at SIGTERM is served as recorded"
api GET "/api/runner/sessions/$long2"
assert_match "$(jq -r .state <<<"$BODY")" '^(COMPLETED|FAILED)$' "the session stopped at SIGTERM"
[ "$(jq -r .errorMessage <<<"$BODY")" != "supervisor restarted" ] ||
    fail "a clean shutdown left a session to be failed at the next start"
assert_seq_contiguous "$long2"
api GET /api/runner/sessions
assert_eq "$(jq '.sessions | length' <<<"$BODY")" 4 "sessions listed after the restarts"
ok "after a SIGTERM restart every session and event is served as before"
stop_daemon
