#!/bin/bash
# Secrets from the request's env never leave the worker: the agent prints
# the value whole, split across two writes 300 ms apart, inside other text
# and after a 2 MB flood, and every time the output shows [REDACTED]. The
# value is nowhere: not in the events, session.json or anything under the
# state dir, not in the daemon's debug log, not in GET session, not in the
# workspace. Only the variable's name is kept. A value under 4 bytes is not
# treated as a secret.
. "$TESTS_SRCDIR/integration/lib.sh"

SECRET=s3cr3t-value-123456
# envsplit writes the first half, waits, then the rest.
HALF1=${SECRET:0:$(( ${#SECRET} / 2 ))}
HALF2=${SECRET:$(( ${#SECRET} / 2 ))}

# assert_nowhere WHAT: the secret, and each half of it, is not in $T.
assert_nowhere() {
	for s in "$SECRET" "$HALF1" "$HALF2"; do
		hits=$(grep -rlF -- "$s" "$T" 2>/dev/null)
		[ -z "$hits" ] || fail "$1: '$s' found in: $hits"
	done
}

make_repo "$T/repo"
RUNNERD_FLAGS=-v start_daemon

start_session 'env MY_TOKEN;envsplit MY_TOKEN 300;printn left<<;envsplit MY_TOKEN 0;env SHORT;print done' \
    "$T/repo" ".env = {MY_TOKEN: \"$SECRET\", SHORT: \"ab1\"}"
sid=$SID
wait_ended "$sid"
assert_eq "$(state_of "$sid")" COMPLETED "state"
out=$(output "$sid" | tr -d '\r')
assert_eq "$(printf '%s\n' "$out" | sed -n 1p)" "MY_TOKEN=[REDACTED]" "env MY_TOKEN"
assert_eq "$(printf '%s\n' "$out" | sed -n 2p)" "[REDACTED]" "envsplit MY_TOKEN 300"
assert_eq "$(printf '%s\n' "$out" | sed -n 3p)" "left<<[REDACTED]" "the value inside other text"
assert_eq "$(printf '%s\n' "$out" | sed -n 4p)" "SHORT=ab1" "a value of 3 bytes is not a secret"
assert_eq "$(printf '%s\n' "$out" | sed -n 5p)" "done" "the last line"
assert_eq "$(grep -o '\[REDACTED\]' <<<"$out" | wc -l)" 3 "[REDACTED] count"
ok "printed whole, split 300 ms apart and inside other text: [REDACTED] each time"

# The split really was two writes 300 ms apart.
chunks=$(events "$sid" | jq -c '[.[] | select(.type == "TERMINAL_CHUNK")]')
[ "$(jq length <<<"$chunks")" -ge 2 ] || fail "expected the split output in separate chunks: $chunks"

start_session 'flood 2000K;env MY_TOKEN;envsplit MY_TOKEN 300;print end' \
    "$T/repo" ".env = {MY_TOKEN: \"$SECRET\"}"
flood=$SID
wait_ended "$flood" 60
assert_eq "$(state_of "$flood")" COMPLETED "flood: state"
tail3=$(events "$flood" | jq -j '.[] | select(.type == "TERMINAL_CHUNK") | .data' | tr -d '\r' | tail -3)
assert_eq "$tail3" "$(printf 'MY_TOKEN=[REDACTED]\n[REDACTED]\nend')" "flood: the secret after 2 MB"
ok "after a 2 MB flood the secret is still redacted"

for id in "$sid" "$flood"; do
	api GET "/api/runner/sessions/$id"
	grep -qF -- "$SECRET" <<<"$BODY" && fail "GET session $id shows the secret"
	events "$id" | grep -qF -- "$HALF1" && fail "events of $id hold part of the secret"
	events "$id" | grep -qF -- "$HALF2" && fail "events of $id hold part of the secret"
	jq -e '[.. | objects | .envNames? // empty] | flatten | index("MY_TOKEN") != null' \
	    "$STATE/sessions/$id/session.json" >/dev/null ||
	    fail "session.json of $id does not name MY_TOKEN: $(jq -c .record.envNames "$STATE/sessions/$id/session.json")"
done
api GET /api/runner/sessions
grep -qF -- "$SECRET" <<<"$BODY" && fail "the session list shows the secret"
grep -q 'debug' "$T/runnerd.log" || fail "test bug: the daemon log has no debug lines (-v)"
assert_nowhere "while running"
ok "the value is in no event, record, API answer or debug log line; envNames has MY_TOKEN"

stop_daemon
assert_nowhere "after shutdown"
ok "nothing under the test dir holds the value after shutdown"
