#!/bin/bash
# Retention: an ended session (record, events, workspace) is kept until
# DELETE or until retention_ms after its end; a running one is never swept.
. "$TESTS_SRCDIR/integration/lib.sh"

make_repo "$T/repo"
start_daemon '{"retention_ms": 1500}'

start_session 'sleep 30000' "$T/repo"
LIVE=$SID
wait_state "$LIVE" RUNNING
start_session 'write out.txt kept for a while;print done' "$T/repo"
OLD=$SID
wait_ended "$OLD"
ended=$(date +%s%N)
[ -d "$WS/$OLD" ] || fail "ended session's workspace gone at once"
api GET "/api/runner/sessions/$OLD"
assert_eq "$STATUS" 200 "ended session kept at first"
ok "ended session and workspace kept after the end"

for _ in $(seq 1 80); do
	api GET "/api/runner/sessions/$OLD"
	[ "$STATUS" = 404 ] && break
	sleep 0.1
done
assert_eq "$STATUS" 404 "swept session gone"
gone_ms=$(( ($(date +%s%N) - ended) / 1000000 ))
[ "$gone_ms" -ge 1000 ] || fail "swept after only $gone_ms ms (retention 1500)"
[ ! -e "$WS/$OLD" ] || fail "swept session's workspace still there"
[ ! -e "$STATE/sessions/$OLD" ] || fail "swept session's state dir still there"
api GET "/api/runner/sessions/$OLD/events?after=0"
assert_eq "$STATUS" 404 "swept session's events gone"
ok "swept ${gone_ms} ms after its end: record, events, workspace gone"

assert_eq "$(state_of "$LIVE")" RUNNING "running session untouched"
[ -d "$WS/$LIVE" ] || fail "running session's workspace removed"
[ -d "$STATE/sessions/$LIVE" ] || fail "running session's state removed"
api DELETE "/api/runner/sessions/$LIVE"
assert_eq "$STATUS" 409 "DELETE of a running session"
ok "running session untouched by the sweep"

# DELETE before the sweep gets to it.
api POST "/api/runner/sessions/$LIVE/stop" '{"graceful": false}'
wait_ended "$LIVE"
api DELETE "/api/runner/sessions/$LIVE"
assert_eq "$STATUS" 204 "DELETE of an ended session"
api GET "/api/runner/sessions/$LIVE"
assert_eq "$STATUS" 404 "deleted session gone"
[ ! -e "$WS/$LIVE" ] || fail "deleted session's workspace still there"
[ ! -e "$STATE/sessions/$LIVE" ] || fail "deleted session's state dir still there"
ok "DELETE removes an ended session at once"

# The sweep also covers sessions restored after a restart.
start_session 'print x' "$T/repo"
R=$SID
wait_ended "$R"
stop_daemon
sleep 1.6
start_daemon '{"retention_ms": 1500}'
for _ in $(seq 1 30); do
	api GET "/api/runner/sessions/$R"
	[ "$STATUS" = 404 ] && break
	sleep 0.1
done
assert_eq "$STATUS" 404 "restored expired session swept"
[ ! -e "$WS/$R" ] || fail "restored session's workspace still there"
ok "restored, expired session swept after a restart"

stop_daemon
ok "SIGTERM → exit 0"
