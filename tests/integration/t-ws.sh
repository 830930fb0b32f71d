#!/bin/bash
# The plain-JSON /ws endpoint, driven by tests/node/ws-client.js (npm ws):
# subscribe to village:<id> (before the session starts) and agent:<id>
# (since 0, after it started: replay, then live) and to both on one
# connection: each room gets the session's whole stream, {room, event,
# sessionId, seq, data} with data = the recorded event, seq 1..N in order;
# unsubscribe stops delivery (nothing of the room after the "unsubscribed"
# reply, while the session room on the same connection gets the rest);
# a client that disconnects mid-session and comes back with its cursor
# (a seq for an agent room, {sessionId: seq} for a village room) while the
# agent keeps printing gets exactly the rest; bad requests get an error
# reply and the connection stays usable; then the limits: past
# gateway_max_connections a clear 503, credentials when tokens are
# configured (401 without), and SIGTERM closes clients with 1001, exit 0.
# Skipped (77) only when node/npm are missing or the npm registry cannot be
# reached to install the pinned client.
. "$TESTS_SRCDIR/integration/lib.sh"

node_setup
WSC=$NODE_DIR/ws-client.js

# wsc NAME ARGS...: ws-client in the background, summary in $T/NAME.json,
# events in $T/NAME.ev (with --out both); its pid in PID_NAME.
wsc() {
	name=$1
	shift
	rm -f "$T/$name.ready"
	node "$WSC" --url "$WSURL" --ready-file "$T/$name.ready" --out both "$@" \
	    >"$T/$name.out" 2>"$T/$name.err" &
	eval "PID_$name=$!"
}

# wsc_ready NAME: until the client has subscribed to all its rooms.
wsc_ready() {
	pid=$(eval echo "\$PID_$1")
	for _ in $(seq 1 300); do
		[ -s "$T/$1.ready" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "$1 exited before subscribing: $(cat "$T/$1.err" "$T/$1.out" | tail -c 600)"
		sleep 0.1
	done
	fail "$1 not subscribed after 30s"
}

# wsc_wait NAME [RC]: the client exits (by its own stop condition) with RC
# (0); its summary in $T/NAME.json, its messages in $T/NAME.ev.
wsc_wait() {
	pid=$(eval echo "\$PID_$1")
	rc=0
	wait "$pid" || rc=$?
	grep -v '^{"clients"' "$T/$1.out" >"$T/$1.ev"
	grep '^{"clients"' "$T/$1.out" >"$T/$1.json"
	[ $rc -eq "${2:-0}" ] || fail "$1 exited $rc, expected ${2:-0}: $(cat "$T/$1.err") $(head -c 800 "$T/$1.json")"
}

# room_stream NAME ROOM: what a client got in a room, as [{seq, type, data}].
room_stream() {
	jq -s -c --arg r "$2" '[.[] | .msg | select(. != null and .room == $r and .seq != null) |
	    {seq, type: .event, sid: .sessionId, data}]' "$T/$1.ev"
}

# want_stream SID [AFTER]: the recorded events in the same form.
want_stream() {
	events "$1" | jq -c --argjson a "${2:-0}" --arg s "$1" \
	    '[.[] | select(.seq > $a) | {seq, type, sid: $s, data: .}]'
}

# assert_room NAME ROOM SID [AFTER]
assert_room() {
	got=$(room_stream "$1" "$2")
	want=$(want_stream "$3" "${4:-0}")
	[ "$got" = "$want" ] ||
	    fail "$1: $2 differs from the recorded events of $3 after ${4:-0}: got seqs $(jq -c '[.[].seq]' <<<"$got"), want $(jq -c '[.[].seq]' <<<"$want"); first difference: $(jq -n --argjson g "$got" --argjson w "$want" \
	    '[range(0; [($g|length), ($w|length)] | max) | select($g[.] != $w[.])][0] as $i | {got: $g[$i], want: $w[$i]}' | head -c 600)"
}

make_repo "$T/repo"
start_daemon
WSURL=ws://${URL#http://}/ws

# 1. The whole stream in a village room, an agent room, and both at once.
wsc vil --sub village:v1 --until ended --timeout 60000
wsc_ready vil
start_session 'print ws-one;read;print ws-two;print ws-three' "$T/repo" '.villageId = "v1"'
S1=$SID
A1=runner_${S1:0:8}
wsc agt --sub "agent:$A1@0" --session "$S1" --until ended --timeout 60000
wsc both --sub "village:v1@0,agent:$A1@0" --session "$S1" --until ended --timeout 60000
wsc_ready agt
wsc_ready both
wait_output "$S1" ws-one
api POST "/api/runner/sessions/$S1/input" '{"data":"x\n"}'
assert_eq "$STATUS" 202 "input"
wait_ended "$S1"
assert_seq_contiguous "$S1"
N1=$(events "$S1" | jq length)
for c in vil agt both; do
	wsc_wait "$c"
done
assert_eq "$(jq -c '.per[0].replies[0] | {op, room}' "$T/vil.json")" \
    '{"op":"subscribed","room":"village:v1"}' "subscribe reply"
assert_room vil village:v1 "$S1"
ok "village:v1 subscribed before the start: seq 1..$N1, each message the recorded event"
assert_room agt "agent:$A1" "$S1"
assert_eq "$(jq -c '.per[0].replies[0].cursor' "$T/agt.json")" 0 "agent room cursor answered for since 0"
ok "agent:$A1 since 0 after the start: replay then live, seq 1..$N1"
assert_room both village:v1 "$S1"
assert_room both "agent:$A1" "$S1"
assert_eq "$(jq '.per[0].dups + .per[0].gaps' "$T/both.json")" 0 "gaps and duplicates per room"
ok "both rooms on one connection: each gets the whole stream once"

# 2. Unsubscribe: after the reply, nothing more from that room.
start_session 'print u-one;read;print u-two;read;print u-three' "$T/repo" '.villageId = "v2"'
S2=$SID
wait_output "$S2" u-one
wsc uns --sub "village:v2@0,session:$S2@0" --unsub-after village:v2:3 \
    --session "$S2" --until ended --timeout 60000
for _ in $(seq 1 300); do
	grep -q '"op":"unsubscribed"' "$T/uns.out" 2>/dev/null && break
	kill -0 "$PID_uns" 2>/dev/null || fail "uns exited early: $(cat "$T/uns.err")"
	sleep 0.1
done
grep -q '"op":"unsubscribed"' "$T/uns.out" || fail "no unsubscribed reply in 30s"
before=$(events "$S2" | jq length)
api POST "/api/runner/sessions/$S2/input" '{"data":"a\n"}'
wait_output "$S2" u-two
api POST "/api/runner/sessions/$S2/input" '{"data":"b\n"}'
wait_ended "$S2"
wsc_wait uns
N2=$(events "$S2" | jq length)
[ "$N2" -gt "$before" ] || fail "no event after the unsubscribe"
assert_room uns "session:$S2" "$S2"
assert_eq "$(jq '.per[0].afterUnsub' "$T/uns.json")" 0 "village:v2 events after the unsubscribed reply"
vseqs=$(room_stream uns village:v2 | jq -c '[.[].seq]')
nv=$(jq length <<<"$vseqs")
assert_eq "$vseqs" "$(jq -c -n --argjson n "$nv" '[range(1; $n + 1)]')" "village:v2 seqs before the unsubscribe"
[ "$nv" -ge 3 ] && [ "$nv" -le "$before" ] || fail "village:v2 got $nv events (unsubscribed after 3, $before recorded then)"
assert_eq "$(jq -c '[.per[0].replies[] | select(.op == "unsubscribed")][0]' "$T/uns.json")" \
    '{"op":"unsubscribed","room":"village:v2"}' "unsubscribe reply"
ok "unsubscribe: village:v2 stopped at seq $nv (the reply came after it), session:$S2 got all $N2"

# 3. Disconnect mid-session, resume with the cursor while the agent prints.
script=$(for i in $(seq 1 150); do printf 'print tick-%03d\nsleep 30\n' "$i"; done)
start_session "$script" "$T/repo" '.villageId = "v3"'
S3=$SID
A3=runner_${S3:0:8}
wsc a1 --sub "agent:$A3@0" --session "$S3" --max-events 12 --until none --timeout 60000
wsc v1 --sub "village:v3@0" --session "$S3" --max-events 20 --until none --timeout 60000
wsc_wait a1
wsc_wait v1
la=$(jq -r --arg s "$S3" '.per[0].cursor[$s]' "$T/a1.json")
lv=$(jq -r --arg s "$S3" '.per[0].cursor[$s]' "$T/v1.json")
assert_eq "$la" 12 "agent cursor after 12 events"
assert_eq "$lv" 20 "village cursor after 20 events"
wsc a2 --sub "agent:$A3@$la" --session "$S3" --until ended --timeout 60000
wsc v2 --sub "village:v3@{\"$S3\":$lv}" --session "$S3" --until ended --timeout 60000
wsc_ready a2
wsc_ready v2
events "$S3" | jq -e '.[] | select(.type == "SESSION_ENDED")' >/dev/null &&
    fail "the ticking session had ended before the clients came back (machine too slow for this check)"
wait_ended "$S3" 60
wsc_wait a2
wsc_wait v2
N3=$(events "$S3" | jq length)
assert_seq_contiguous "$S3"
assert_eq "$(room_stream a1 "agent:$A3" | jq -c '[.[].seq]')" "$(jq -c -n '[range(1; 13)]')" "agent room before the disconnect"
got=$(jq -c -s '[(.[0] + .[1])[].seq]' <(room_stream a1 "agent:$A3") <(room_stream a2 "agent:$A3"))
assert_eq "$got" "$(jq -c -n --argjson n "$N3" '[range(1; $n + 1)]')" "agent room: before + after the reconnect"
assert_room a2 "agent:$A3" "$S3" "$la"
got=$(jq -c -s '[(.[0] + .[1])[].seq]' <(room_stream v1 village:v3) <(room_stream v2 village:v3))
assert_eq "$got" "$(jq -c -n --argjson n "$N3" '[range(1; $n + 1)]')" "village room: before + after the reconnect"
assert_room v2 village:v3 "$S3" "$lv"
assert_eq "$(jq -c --arg s "$S3" '.per[0].replies[0].cursor' "$T/v2.json")" "{\"$S3\":$lv}" "village cursor answered"
ok "reconnect with since=$la (agent) and {sid: $lv} (village) mid-session: the rest up to $N3, no gap, no duplicate"

# 4. Bad requests: an error reply each, the connection stays usable.
wsc bad --send 'not json' --send '{"op":"dance"}' --send '{"op":"subscribe","room":"nowhere:x"}' \
    --send '[1,2]' --send '{"op":"subscribe","room":"village:v1","since":"abc"}' \
    --send '{"op":"subscribe","room":"village:v1","since":{"x":-1}}' \
    --send '{"op":"subscribe","room":"village:bad\"id"}' \
    --send '{"op":"ping"}' --until none --replies 8 --timeout 20000
wsc_wait bad
r=$(jq -c '.per[0].replies' "$T/bad.json")
assert_eq "$(jq -c '[.[:7][] | [.op, .code]] | unique' <<<"$r")" '[["error","BAD_REQUEST"]]' "bad requests answered with errors: $r"
assert_eq "$(jq -c '.[7]' <<<"$r")" '{"op":"pong"}' "ping after the bad requests"
assert_eq "$(jq -r '.per[0].closedEarly' "$T/bad.json")" false "the server kept the connection open"
api GET /healthz
assert_eq "$STATUS" 200 "healthz after bad requests"
ok "bad JSON, unknown op, bad room, bad since: error replies; ping still answered; healthz 200"

STATUS=$(curl -sS -o "$T/plain" -w '%{http_code}' "$URL/ws")
assert_eq "$STATUS" 400 "GET /ws without an upgrade"
assert_match "$(cat "$T/plain")" '[Uu]pgrade' "GET /ws without an upgrade says why"
api GET /metrics
assert_match "$BODY" 'runnerd_gateway_connections_total\{transport="ws"\} [1-9]' "ws connections counted"
stop_daemon
ok "plain GET /ws → 400; SIGTERM → exit 0"

# 5. Limits: gateway_max_connections, tokens.
TOKEN=ws-test-token-$$
start_daemon "$(jq -n --arg t "$TOKEN" '{gateway_max_connections: 3, tokens: [$t]}')"
WSURL=ws://${URL#http://}/ws
metric() {
	curl -sS --unix-socket "$SOCK" http://localhost/metrics | sed -n "s/^$1 //p"
}
wsc noauth --sub village:v1 --until none --timeout 20000
wsc_wait noauth 3
assert_eq "$(jq -r '.per[0].httpStatus' "$T/noauth.json")" 401 "/ws without a token"
for i in 1 2 3; do
	wsc "held$i" --token "$TOKEN" --sub village:held --until none --timeout 120000
	wsc_ready "held$i"
done
assert_eq "$(metric 'runnerd_gateway_connections{transport="ws"}')" 3 "open /ws connections"
wsc over --token "$TOKEN" --sub village:held --until none --timeout 20000
wsc_wait over 3
assert_eq "$(jq -r '.per[0].httpStatus' "$T/over.json")" 503 "a 4th connection past gateway_max_connections=3"
assert_match "$(jq -r '.per[0].error' "$T/over.json")" 'TOO_MANY_CONNECTIONS' "the refusal says why"
# SSE streams count against the same limit.
sid=$(curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
    --data-binary "$(session_body 'print limited')" http://localhost/api/runner/sessions | jq -r .sessionId)
assert_match "$sid" '^[0-9a-f-]{36}$' "a session over the Unix socket"
STATUS=$(curl -sS -o "$T/sse-over" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "$URL/api/runner/sessions/$sid/events?follow=1")
assert_eq "$STATUS" 503 "an SSE stream past gateway_max_connections"
assert_match "$(cat "$T/sse-over")" 'TOO_MANY_CONNECTIONS' "the SSE refusal says why"
[ "$(metric runnerd_gateway_refused_total)" -ge 1 ] || fail "refusals not counted"
ok "past gateway_max_connections: 503 TOO_MANY_CONNECTIONS for /ws and SSE, counted"
kill -TERM "$PID_held1"
wait "$PID_held1" || true
for _ in $(seq 1 100); do
	[ "$(metric 'runnerd_gateway_connections{transport="ws"}')" = 2 ] && break
	sleep 0.1
done
assert_eq "$(metric 'runnerd_gateway_connections{transport="ws"}')" 2 "connections after one left"
# ?token= works as well as the header (browsers cannot set headers).
WSURL_SAVE=$WSURL
WSURL="$WSURL?token=$TOKEN"
wsc again --sub village:held --until none --timeout 120000
wsc_ready again
WSURL=$WSURL_SAVE
ok "a freed slot is usable again (token in the query)"

# SIGTERM with clients connected: they get 1001, runnerd exits 0.
stop_daemon
for c in held2 held3 again; do
	pid=$(eval echo "\$PID_$c")
	rc=0
	wait "$pid" || rc=$?
	grep '^{"clients"' "$T/$c.out" >"$T/$c.json"
	assert_eq "$(jq -r '.per[0].closeCode' "$T/$c.json")" 1001 "$c: close code at shutdown"
done
ok "SIGTERM: open /ws clients closed with 1001, exit 0"
