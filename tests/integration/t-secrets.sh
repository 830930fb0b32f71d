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

# Credential shapes that are in no env: a GitHub token (twice, the second
# split across two writes 300 ms apart), a JWT split the same way and a PEM
# private key whose block spans writes. Each is replaced by its marker and
# raises one ALERT_RAISED (category security) per kind, not per sighting.
# The fakes have the documented shapes; none is a real credential.
GH1=ghp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXyz
GH2=ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210
JWT=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c
PEM1=MIIEowIBAAKCAQEAfakefakefakefakefakefakefakefakefakefakefakefakeAB
PEM2=QyNTUxOQAAACBmYWtlLWtleS1mYWtlLWtleS1mYWtlLWtleS1mYWtlLWtlCD
start_session "print first $GH1
printn split ${GH2:0:20}
sleep 300
print ${GH2:20}
printn Bearer ${JWT:0:40}
sleep 300
print ${JWT:40}
print -----BEGIN RSA PRIVATE KEY-----\\n$PEM1
sleep 300
print $PEM2\\n-----END RSA PRIVATE KEY-----
print done" "$T/repo"
shapes=$SID
wait_ended "$shapes"
assert_eq "$(state_of "$shapes")" COMPLETED "shapes: state"
ev=$(events "$shapes")
out=$(jq -j '.[] | select(.type == "TERMINAL_CHUNK") | .data' <<<"$ev" | tr -d '\r')
for s in "$GH1" "$GH2" "${GH2:0:20}" "${GH2:20}" "$JWT" "${JWT:0:40}" "${JWT:40}" \
    "$PEM1" "$PEM2" "BEGIN RSA PRIVATE KEY" "END RSA PRIVATE KEY"; do
	grep -qF -- "$s" <<<"$out" && fail "shapes: the output holds '$s': $out"
done
assert_eq "$out" "$(printf 'first [REDACTED:github-token]\nsplit [REDACTED:github-token]\nBearer [REDACTED:jwt]\n[REDACTED:private-key]\ndone')" "shapes: output"
[ "$(jq '[.[] | select(.type == "TERMINAL_CHUNK")] | length' <<<"$ev")" -ge 2 ] ||
    fail "shapes: expected the split output in separate chunks"
ok "a GitHub token, a JWT and a PEM private key, whole and split across writes: markers only"

alerts=$(jq -c '[.[] | select(.type == "ALERT_RAISED" and .category == "security")]' <<<"$ev")
assert_eq "$(jq length <<<"$alerts")" 3 "shapes: security alerts ($alerts)"
for kind in github-token jwt private-key; do
	assert_eq "$(jq --arg k "$kind" '[.[] | select(.description | contains("kind " + $k + " "))] | length' <<<"$alerts")" 1 "alerts naming $kind"
done
jq -e 'all(.[]; .severity == "warn" and .title == "credential in output" and (.alertId | length) == 36)' \
    <<<"$alerts" >/dev/null || fail "shapes: alert fields: $alerts"
for s in ghp_ eyJ MIIE QyNT; do
	grep -qF -- "$s" <<<"$alerts" && fail "shapes: an alert holds '$s': $alerts"
done
api GET /healthz
assert_eq "$STATUS" 200 "healthz after the shapes session"
ok "one ALERT_RAISED (warn, security) per kind, naming the kind and never the value; daemon healthy"

stop_daemon
assert_nowhere "after shutdown"
ok "nothing under the test dir holds the value after shutdown"
