#!/bin/bash
# Hostile WebSocket clients (tests/node/hostile.js, raw TCP) against /ws and
# /socket.io/: unmasked frames, reserved bits and opcodes, a 2^62 length,
# invalid UTF-8, fragmented and oversized control frames, a continuation
# without a start, bad close frames, garbage after the handshake, oversized
# messages (gateway_max_message_bytes lowered to 64 KiB), half-closed and
# aborted sockets mid-handshake and mid-frame, a silent peer
# (gateway_idle_timeout_ms 2 s). Every case must end that connection, with
# the close code RFC 6455 asks for where it asks for one (1002 protocol
# error, 1007 invalid UTF-8, 1009 too big, 1003 unacceptable data), first
# one at a time, then all at once. Afterwards: no connection left open, no
# descriptor leaked, /healthz OK, a normal session still streams to a
# normal client, and SIGTERM ends runnerd with exit 0 (under the ASan build
# that includes LeakSanitizer's verdict). Skipped (77) only when node is
# missing or the npm registry cannot be reached to install the pinned
# client used for the final check.
. "$TESTS_SRCDIR/integration/lib.sh"

node_setup

MAXMSG=65536
IDLE=2000
make_repo "$T/repo"
start_daemon "{\"gateway_max_message_bytes\": $MAXMSG, \"gateway_idle_timeout_ms\": $IDLE}"

metric() {
	curl -sS "$URL/metrics" | sed -n "s/^$1 //p"
}
nfds() {
	ls "/proc/$DPID/fd" | wc -l
}
# open_conns: WebSocket and SSE connections the gateway still holds.
open_conns() {
	curl -sS "$URL/metrics" | awk '/^runnerd_gateway_connections\{/ { n += $2 } END { print n + 0 }'
}
# settle: until the gateway holds no connection (close handshakes are
# bounded by 5 s), then the descriptor count.
settle() {
	for _ in $(seq 1 200); do
		[ "$(open_conns)" = 0 ] && break
		sleep 0.1
	done
	[ "$(open_conns)" = 0 ] || fail "$1: $(open_conns) gateway connections still open 20 s later"
}

api GET /healthz
assert_eq "$STATUS" 200 "healthz before"
fds0=$(nfds)

FAILED=
# run_cases MODE: hostile.js (sequential, or --parallel); one ok line per
# passing case; failing ones are collected in FAILED with what happened.
run_cases() {
	rc=0
	node "$NODE_DIR/hostile.js" --url "$URL" --max-message "$MAXMSG" \
	    --idle-ms "$IDLE" --timeout 15000 $2 >"$T/hostile-$1.jsonl" \
	    2>"$T/hostile-$1.err" || rc=$?
	[ -s "$T/hostile-$1.jsonl" ] || fail "hostile.js ($1) printed nothing (exit $rc): $(cat "$T/hostile-$1.err")"
	n=$(wc -l <"$T/hostile-$1.jsonl")
	[ "$n" -ge 25 ] || fail "hostile.js ($1) ran only $n cases"
	while IFS= read -r r; do
		name=$(jq -r .case <<<"$r")
		what=$(jq -r '"expected \(.expect), got close code \(.closeCode // "none") \(if .closeReason then "\"" + .closeReason + "\"" else "" end), server closed TCP: \(.serverClosedTcp), \(.ms) ms\(if .note != "" then ", " + .note else "" end)"' <<<"$r")
		if [ "$(jq -r .pass <<<"$r")" = true ]; then
			ok "$1: $name: $what"
		else
			echo "not ok - $1: $name: $what"
			FAILED="$FAILED
  $1 $name: $what"
		fi
	done <"$T/hostile-$1.jsonl"
	kill -0 "$DPID" 2>/dev/null || fail "runnerd died during the $1 hostile cases"
	api GET /healthz
	assert_eq "$STATUS" 200 "healthz after the $1 hostile cases"
	settle "$1"
}

run_cases sequential ""
run_cases parallel --parallel
ok "runnerd alive, /healthz 200, no gateway connection left after $(( $(wc -l <"$T/hostile-sequential.jsonl") * 2 )) hostile connections"

# No descriptor left behind (a little slack for the pool's workers).
for _ in $(seq 1 50); do
	[ "$(nfds)" -le $((fds0 + 2)) ] && break
	sleep 0.1
done
[ "$(nfds)" -le $((fds0 + 2)) ] ||
    fail "runnerd holds $(nfds) descriptors after the hostile cases, $fds0 before: $(ls -l "/proc/$DPID/fd" | tail -n +2 | awk '{print $NF}' | sort | uniq -c | sort -rn | head -5 | tr '\n' ' ')"
ok "descriptors: $fds0 before, $(nfds) after"

# A normal client still gets a normal session's whole stream.
WSURL=ws://${URL#http://}/ws
node "$NODE_DIR/ws-client.js" --url "$WSURL" --sub village:calm --until ended \
    --ready-file "$T/calm.ready" --out both --timeout 60000 >"$T/calm.out" 2>"$T/calm.err" &
cpid=$!
for _ in $(seq 1 300); do
	[ -s "$T/calm.ready" ] && break
	kill -0 "$cpid" 2>/dev/null || fail "the normal client exited: $(cat "$T/calm.err")"
	sleep 0.1
done
[ -s "$T/calm.ready" ] || fail "the normal client did not subscribe"
start_session 'print calm-1;sleep 50;print calm-2;sleep 50;print calm-3' "$T/repo" '.villageId = "calm"'
wait_ended "$SID"
rc=0
wait "$cpid" || rc=$?
[ $rc -eq 0 ] || fail "the normal client exited $rc: $(cat "$T/calm.err")"
got=$(grep -v '^{"clients"' "$T/calm.out" | jq -s -c '[.[] | .msg | select(. != null and .seq != null) | .seq]')
assert_eq "$got" "$(events "$SID" | jq -c '[.[].seq]')" "the normal client's seqs"
assert_match "$(grep -v '^{"clients"' "$T/calm.out" | jq -r '.msg.data.data // empty' | tr -d '\r\n')" \
    'calm-1calm-2calm-3' "the normal client's output"
ok "a normal /ws client then gets the whole stream of a session (seq 1..$(jq length <<<"$(events "$SID")"))"

# The counters saw it all; nothing that looks like a sanitizer report.
assert_match "$(metric 'runnerd_gateway_connections_total{transport="ws"}')" '^[0-9]+$' "ws connections counted"
[ "$(metric 'runnerd_gateway_connections_total{transport="ws"}')" -ge 40 ] ||
    fail "only $(metric 'runnerd_gateway_connections_total{transport="ws"}') ws connections counted"
grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$T/runnerd.log" &&
    fail "sanitizer report in the log: $(grep -E -m3 'Sanitizer|runtime error' "$T/runnerd.log")"
stop_daemon
grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$T/runnerd.log" &&
    fail "sanitizer report at exit: $(grep -E -m3 'Sanitizer|runtime error' "$T/runnerd.log")"
ok "SIGTERM → exit 0, no sanitizer report"

[ -z "$FAILED" ] || fail "hostile cases without the reaction RFC 6455 asks for:$FAILED"
