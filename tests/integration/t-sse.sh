#!/bin/bash
# Server-sent events on GET /api/runner/sessions/:id/events: curl -N sees a
# fake agent's events live, before the session ends (the agent waits on
# `read` after its first line, and the stream already shows that line while
# the session is RUNNING); heartbeat comments (sse_heartbeat_ms lowered to
# 300 ms); ?follow=1 and `Accept: text/event-stream` both stream; id: = seq,
# event: = type, data: = the recorded RunnerEvent, exactly the events of the
# JSON route, in order, no gap, no duplicate; Last-Event-ID (and ?after=)
# resume with only later ids, also while the agent keeps printing; the
# stream ends by itself after SESSION_ENDED (curl exits 0); an ended session
# replays and ends; unknown session 404; SIGTERM with a stream open → exit 0.
. "$TESTS_SRCDIR/integration/lib.sh"

# sse_json FILE: the events of an SSE capture as [{id, event, data}];
# comment lines are left out, anything unexpected shows up as .bad.
sse_json() {
	jq -R -s '[split("\n\n")[] | split("\n") |
	    map(select(length > 0 and (startswith(":") | not))) |
	    select(length > 0) |
	    reduce .[] as $l ({};
	      if ($l | startswith("id: ")) then .id = ($l[4:] | tonumber)
	      elif ($l | startswith("event: ")) then .event = $l[7:]
	      elif ($l | startswith("data: ")) then .data = ($l[6:] | fromjson)
	      else .bad = $l end)]' "$1"
}

# sse_start NAME URL-SUFFIX [CURL-ARGS...]: curl -N in the background into
# $T/NAME (headers in $T/NAME.h); its pid in PID_NAME.
sse_start() {
	name=$1
	path=$2
	shift 2
	curl -sS -N -D "$T/$name.h" -o "$T/$name" "$@" "$URL$path" \
	    2>"$T/$name.err" &
	eval "PID_$name=$!"
}

# sse_wait_end NAME [SECONDS]: the stream must end by itself; curl exit 0.
sse_wait_end() {
	pid=$(eval echo "\$PID_$1")
	n=$(( ${2:-20} * 10 ))
	for _ in $(seq 1 $n); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		fail "$1: the stream did not end within ${2:-20}s after the session ended (last lines: $(tail -c 300 "$T/$1"))"
	fi
	rc=0
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || fail "$1: curl exited $rc: $(cat "$T/$1.err")"
}

# wait_in FILE REGEX [SECONDS]
wait_in() {
	n=$(( ${3:-20} * 10 ))
	for _ in $(seq 1 $n); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1 never showed /$2/ in ${3:-20}s: $(tail -c 400 "$1" 2>/dev/null)"
}

# assert_stream NAME AFTER: the capture is exactly the recorded events with
# seq > AFTER, as id/event/data, ending with SESSION_ENDED.
assert_stream() {
	got=$(sse_json "$T/$1") || fail "$1: unparsable SSE: $(head -c 400 "$T/$1")"
	want=$(jq -c --argjson a "$2" '[.[] | select(.seq > $a) |
	    {id: .seq, event: .type, data: .}]' <<<"$ALL")
	if [ "$(jq -c . <<<"$got")" != "$want" ]; then
		fail "$1: stream after $2 differs from the recorded events: ids $(jq -c '[.[].id]' <<<"$got"), want $(jq -c '[.[].id]' <<<"$want"); first difference: $(jq -n --argjson g "$got" --argjson w "$want" \
		    '[range(0; [($g|length), ($w|length)] | max) | select($g[.] != $w[.])][0] as $i | {index: $i, got: $g[$i], want: $w[$i]}' | head -c 600)"
	fi
}

# content_type NAME
content_type() {
	tr -d '\r' <"$T/$1.h" | sed -n 's/^[Cc]ontent-[Tt]ype: //p' | tail -1
}

make_repo "$T/repo"
start_daemon '{"sse_heartbeat_ms": 300}'

# 1. A live stream: the first line arrives while the agent waits for input.
start_session 'print sse-first;read;print sse-second;sleep 200;print sse-third'
S1=$SID
sse_start live "/api/runner/sessions/$S1/events?follow=1"
wait_in "$T/live" '"data":"sse-first' 20
api GET "/api/runner/sessions/$S1/events?after=0&limit=10000"
jq -e '.events[] | select(.type == "SESSION_ENDED")' <<<"$BODY" >/dev/null &&
    fail "the session had already ended when its first line streamed"
assert_eq "$(state_of "$S1")" RUNNING "state while the first line is on the stream"
output "$S1" | grep -q sse-second && fail "sse-second printed before the input"
kill -0 "$PID_live" 2>/dev/null || fail "curl -N ended while the session runs: $(cat "$T/live.err")"
assert_match "$(content_type live)" '^text/event-stream' "Content-Type of ?follow=1"
ok "curl -N shows the first line while the session is RUNNING and waiting for input"

wait_in "$T/live" '^: heartbeat' 10
ok "heartbeat comments every 300 ms (sse_heartbeat_ms) while idle"

# 2. Other ways in, opened mid-session: Accept header, Last-Event-ID, after=.
sse_start accept "/api/runner/sessions/$S1/events" -H 'Accept: text/event-stream'
wait_in "$T/accept" '"data":"sse-first' 20
mid=$(sse_json "$T/live" | jq '[.[].id] | max')
assert_match "$mid" '^[0-9]+$' "ids on the live stream"
[ "$mid" -ge 3 ] || fail "only $mid events before the input"
lei=$((mid - 2))
sse_start resume "/api/runner/sessions/$S1/events?follow=1" -H "Last-Event-ID: $lei"
sse_start after "/api/runner/sessions/$S1/events?follow=1&after=1"
# Last-Event-ID wins over ?after= (it is what a reconnecting EventSource sends).
sse_start override "/api/runner/sessions/$S1/events?follow=1&after=1" -H "Last-Event-ID: $mid"
wait_in "$T/resume" "^id: $mid\$" 20
wait_in "$T/after" "^id: $mid\$" 20
api POST "/api/runner/sessions/$S1/input" '{"data":"go\n"}'
assert_eq "$STATUS" 202 "input accepted"
wait_ended "$S1"
ALL=$(events "$S1")
N=$(jq length <<<"$ALL")
assert_seq_contiguous "$S1"

for s in live accept resume after override; do
	sse_wait_end "$s" 20
done
ok "every stream ended by itself after SESSION_ENDED (curl exit 0)"

assert_stream live 0
assert_eq "$(sse_json "$T/live" | jq -r '.[-1].event')" SESSION_ENDED "last event of the live stream"
first=$(sse_json "$T/live" | jq '[.[] | select(.event == "TERMINAL_CHUNK" and (.data.data | test("sse-first")))][0].id')
second=$(sse_json "$T/live" | jq '[.[] | select(.event == "TERMINAL_CHUNK" and (.data.data | test("sse-second")))][0].id')
[ "$first" -lt "$second" ] || fail "sse-first ($first) not before sse-second ($second)"
ok "?follow=1: ids 1..$N = seq, event = type, data = the recorded event, in order"
assert_stream accept 0
assert_match "$(content_type accept)" '^text/event-stream' "Content-Type with Accept"
ok "Accept: text/event-stream streams the same $N events"
assert_stream resume "$lei"
ok "Last-Event-ID: $lei mid-session: exactly ids $((lei + 1))..$N"
assert_stream after 1
ok "?after=1&follow=1: exactly ids 2..$N"
assert_stream override "$mid"
ok "Last-Event-ID: $mid overrides ?after=1"

# 3. An ended session: replayed whole, then the stream ends.
sse_start ended "/api/runner/sessions/$S1/events?follow=1"
sse_wait_end ended 10
assert_stream ended 0
sse_start ended2 "/api/runner/sessions/$S1/events?follow=1" -H "Last-Event-ID: $N"
sse_wait_end ended2 10
assert_eq "$(sse_json "$T/ended2" | jq length)" 0 "events after the last id of an ended session"
sse_start ended3 "/api/runner/sessions/$S1/events?follow=1" -H "Last-Event-ID: 3"
sse_wait_end ended3 10
assert_stream ended3 3
sse_start badid "/api/runner/sessions/$S1/events?follow=1&after=2" -H "Last-Event-ID: x1"
sse_wait_end badid 10
assert_stream badid 2
ok "an ended session: full replay, Last-Event-ID $N → nothing, 3 → 4..$N, a bad id is ignored; each stream ends"

# Without follow or Accept the route stays JSON.
STATUS=$(curl -sS -o "$T/json" -D "$T/json.h" -w '%{http_code}' "$URL/api/runner/sessions/$S1/events?after=0")
assert_eq "$STATUS" 200 "plain events"
assert_match "$(content_type json)" '^application/json' "plain events Content-Type"
assert_eq "$(jq -c '.events' "$T/json")" "$(jq -c . <<<"$ALL")" "plain events body"
ok "without follow=1 or the Accept header the route answers JSON"

# 4. Resume while events keep arriving: a ticking agent, a stream opened
# from an old id in the middle of it.
script=$(for i in $(seq 1 40); do printf 'print tick-%02d\nsleep 30\n' "$i"; done)
start_session "$script"
S2=$SID
sse_start full2 "/api/runner/sessions/$S2/events?follow=1"
for _ in $(seq 1 200); do
	[ "$(events "$S2" | jq '[.[] | select(.type == "TERMINAL_CHUNK")] | length')" -ge 8 ] && break
	sleep 0.05
done
cur=$(events "$S2" | jq '.[-1].seq')
events "$S2" | jq -e '.[] | select(.type == "SESSION_ENDED")' >/dev/null &&
    fail "the ticking session ended before the resume could start"
from=$((cur - 4))
sse_start mid2 "/api/runner/sessions/$S2/events?follow=1" -H "Last-Event-ID: $from"
wait_ended "$S2" 30
sse_wait_end full2 20
sse_wait_end mid2 20
ALL=$(events "$S2")
assert_seq_contiguous "$S2"
assert_stream full2 0
assert_stream mid2 "$from"
ticks=$(sse_json "$T/mid2" | jq -r '[.[] | select(.event == "TERMINAL_CHUNK") | .data.data] | join("")' | grep -o 'tick-[0-9]*' | sort -u | wc -l)
[ "$ticks" -gt 10 ] || fail "the mid-stream resume saw only $ticks ticks"
ok "Last-Event-ID: $from while the agent printed: ids $((from + 1))..$(jq length <<<"$ALL"), no gap, no duplicate"

# 5. Errors.
for h in "" "Accept: text/event-stream"; do
	STATUS=$(curl -sS -o "$T/nf" -w '%{http_code}' ${h:+-H "$h"} \
	    "$URL/api/runner/sessions/00000000-0000-4000-8000-000000000000/events?follow=1")
	assert_eq "$STATUS" 404 "unknown session, follow=1 ${h:+($h)}"
	assert_eq "$(jq -r .error.code "$T/nf")" NOT_FOUND "unknown session error code"
done
STATUS=$(curl -sS -o "$T/bad" -w '%{http_code}' "$URL/api/runner/sessions/$S1/events?follow=maybe")
assert_eq "$STATUS" 400 "follow=maybe"
ok "unknown session → 404, follow=maybe → 400"

api GET /metrics
assert_match "$BODY" 'runnerd_gateway_connections_total\{transport="sse"\} [1-9]' "SSE connections counted"
assert_match "$BODY" 'runnerd_gateway_connections\{transport="sse"\} 0' "no SSE connection left open"
api GET /healthz
assert_eq "$STATUS" 200 "healthz"

# 6. SIGTERM with a stream open: the stream ends, runnerd exits 0.
start_session 'print waiting;read'
S3=$SID
sse_start open "/api/runner/sessions/$S3/events?follow=1"
wait_in "$T/open" '"data":"waiting' 20
stop_daemon
for _ in $(seq 1 100); do
	kill -0 "$PID_open" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$PID_open" 2>/dev/null && fail "the open stream outlived runnerd"
wait "$PID_open" || true
ok "SIGTERM with an open stream: exit 0, the stream closed"
