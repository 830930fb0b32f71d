#!/bin/bash
# Twenty sessions started at once, each printing its own marker around a
# 200 KiB flood of numbered lines: all complete, each event log has seq
# 1..N, holds its own marker and no other session's, and its terminal output
# is exactly what its agent wrote (every flood line, in order, nothing
# else).
. "$TESTS_SRCDIR/integration/lib.sh"

N=20
# flood 200K writes 204800 bytes: 2560 lines of 80 bytes.
FLOOD_LINES=2560

make_repo "$T/repo"
start_daemon '{"max_sessions": 25}'

# What each agent writes, apart from its markers.
awk -v n=$FLOOD_LINES 'BEGIN {
	for (l = 0; l < n; l++) {
		s = sprintf("%08d ", l)
		for (j = 9; j < 79; j++)
			s = s sprintf("%c", 97 + (l + j - 9) % 26)
		print s
	}
}' >"$T/flood.expected"
[ "$(wc -c <"$T/flood.expected")" = 204800 ] || fail "test bug: flood.expected size"

for i in $(seq -w 1 $N); do
	session_body "print marker-$i;flood 200K;print end-$i" >"$T/body.$i"
done
pids=
for i in $(seq -w 1 $N); do
	curl -sS -o "$T/start.$i" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary "@$T/body.$i" "$URL/api/runner/sessions" >"$T/code.$i" &
	pids="$pids $!"
done
# Not a bare wait: the daemon is a background job of this shell too.
wait $pids
for i in $(seq -w 1 $N); do
	assert_eq "$(cat "$T/code.$i")" 201 "start $i ($(cat "$T/start.$i"))"
	jq -r .sessionId "$T/start.$i" >"$T/sid.$i"
done
[ "$(cat "$T"/sid.* | sort -u | wc -l)" = $N ] || fail "session ids are not distinct"
ok "$N sessions started at once"

for i in $(seq -w 1 $N); do
	wait_ended "$(cat "$T/sid.$i")" 60
done
ok "all $N sessions ended"

for i in $(seq -w 1 $N); do
	sid=$(cat "$T/sid.$i")
	api GET "/api/runner/sessions/$sid"
	assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "session $i: state"
	assert_eq "$(jq -r .exitCode <<<"$BODY")" 0 "session $i: exit code"
	assert_seq_contiguous "$sid"
	ev=$(events "$sid")
	assert_eq "$(jq -r '[.[] | select(.sessionId != "'"$sid"'")] | length' <<<"$ev")" 0 \
	    "session $i: events of another session"
	jq -j '.[] | select(.type == "TERMINAL_CHUNK") | .data' <<<"$ev" | tr -d '\r' >"$T/out.$i"
	markers=$(grep -oE '(marker|end)-[0-9]{2}' "$T/out.$i" | sort | tr '\n' ' ')
	assert_eq "$markers" "end-$i marker-$i " "session $i: markers in its output"
	grep -E '^[0-9]{8} ' "$T/out.$i" >"$T/flood.$i"
	assert_eq "$(wc -l <"$T/flood.$i")" $FLOOD_LINES "session $i: flood lines"
	cmp -s "$T/flood.expected" "$T/flood.$i" ||
	    fail "session $i: flood lines differ from what the agent wrote: $(cmp "$T/flood.expected" "$T/flood.$i" 2>&1)"
	{ echo "marker-$i"; cat "$T/flood.expected"; echo "end-$i"; } >"$T/want.$i"
	cmp -s "$T/want.$i" "$T/out.$i" ||
	    fail "session $i: output is not exactly what the agent wrote: $(cmp "$T/want.$i" "$T/out.$i" 2>&1)"
done
ok "each session: COMPLETED, seq contiguous, its marker only, all $FLOOD_LINES flood lines in order"

api GET /healthz
assert_eq "$(jq -r .sessions.active <<<"$BODY")" 0 "no active session left"
stop_daemon
