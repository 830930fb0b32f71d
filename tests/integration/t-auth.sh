#!/bin/bash
# Authentication: static bearer tokens on TCP, /healthz open, the Unix
# socket trusted by its 0660 mode, HS256 JWTs (header or "token" cookie)
# whose sub/orgId become the session's user and org, and refusals of expired,
# not-yet-valid, unsigned and wrongly signed tokens. Listening beyond
# loopback without any credential is a start-up error; with one it starts.
. "$TESTS_SRCDIR/integration/lib.sh"

unset JWT_SECRET

b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# jwt HEADER-JSON PAYLOAD-JSON SECRET: a signed token.
jwt() {
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac "$3" -binary | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}

# assert_401 WHAT: the last answer is a JSON 401.
assert_401() {
	assert_eq "$STATUS" 401 "$1"
	jq -e '.error.code and .error.message' <<<"$BODY" >/dev/null 2>&1 ||
	    fail "$1: 401 is not a JSON error: $BODY"
}

make_repo "$T/repo"

# Static tokens.
start_daemon '{"tokens": ["tok-123"]}'
api GET /api/runner/sessions
assert_401 "no credential"
CURL_EXTRA="--oauth2-bearer tok-1234" api GET /api/runner/sessions
assert_401 "wrong token"
CURL_EXTRA="--oauth2-bearer tok-12" api GET /api/runner/sessions
assert_401 "a prefix of the token"
CURL_EXTRA="-u tok-123:x" api GET /api/runner/sessions
assert_401 "the token as Basic credentials"
CURL_EXTRA="--oauth2-bearer tok-123" api GET /api/runner/sessions
assert_eq "$STATUS" 200 "right token"
api POST /api/runner/sessions "$(session_body 'print x')"
assert_401 "POST without a token"
CURL_EXTRA="--oauth2-bearer tok-123" api GET /api/runner/sessions
assert_eq "$(jq '.sessions | length' <<<"$BODY")" 0 "nothing was started without a token"
ok "tokens: none → 401, wrong → 401, right → 200"

api GET /healthz
assert_eq "$STATUS" 200 "/healthz without a token"
ok "/healthz needs no credential"

assert_eq "$(stat -c %a "$SOCK")" 660 "Unix socket mode"
STATUS=$(curl -sS -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" \
    http://localhost/api/runner/sessions) || fail "curl over the Unix socket"
assert_eq "$STATUS" 200 "Unix socket without a token"
STATUS=$(curl -sS -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" \
    -H 'Content-Type: application/json' --data-binary "$(session_body 'print over the socket')" \
    http://localhost/api/runner/sessions) || fail "curl POST over the Unix socket"
assert_eq "$STATUS" 201 "start over the Unix socket"
sock_sid=$(jq -r .sessionId "$T/resp")
CURL_EXTRA="--oauth2-bearer tok-123" wait_ended "$sock_sid"
CURL_EXTRA="--oauth2-bearer tok-123" api GET "/api/runner/sessions/$sock_sid"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "session started over the socket"
ok "Unix socket (mode 0660) needs no token"
stop_daemon

# JWTs with JWT_SECRET from the environment.
SECRET=test-jwt-secret-$$-$RANDOM
now=$(date +%s)
HDR='{"alg":"HS256","typ":"JWT"}'
good=$(jwt "$HDR" "{\"type\":\"access\",\"sub\":\"user-42\",\"orgId\":\"org-7\",\"exp\":$((now + 600))}" "$SECRET")
suborg=$(jwt "$HDR" "{\"type\":\"access\",\"sub\":\"user-43\",\"exp\":$((now + 600))}" "$SECRET")
expired=$(jwt "$HDR" "{\"type\":\"access\",\"sub\":\"user-42\",\"orgId\":\"org-7\",\"exp\":$((now - 60))}" "$SECRET")
notyet=$(jwt "$HDR" "{\"type\":\"access\",\"sub\":\"user-42\",\"nbf\":$((now + 600)),\"exp\":$((now + 1200))}" "$SECRET")
wrongsig=$(jwt "$HDR" "{\"type\":\"access\",\"sub\":\"user-42\",\"orgId\":\"org-7\",\"exp\":$((now + 600))}" "not-$SECRET")
none="$(printf '{"alg":"none","typ":"JWT"}' | b64url).$(printf '{"type":"access","sub":"user-42","orgId":"org-7","exp":%d}' $((now + 600)) | b64url)."
tampered="${good%%.*}.$(printf '{"sub":"admin","orgId":"org-7","exp":%d}' $((now + 600)) | b64url).${good##*.}"

export JWT_SECRET=$SECRET
start_daemon '{}'
unset JWT_SECRET
api GET /api/runner/sessions
assert_401 "JWT configured, no credential"
CURL_EXTRA="--oauth2-bearer $good" api POST /api/runner/sessions "$(session_body 'print as user-42')"
assert_eq "$STATUS" 201 "POST with a JWT"
jsid=$(jq -r .sessionId <<<"$BODY")
CURL_EXTRA="--oauth2-bearer $good" api GET "/api/runner/sessions/$jsid"
assert_eq "$STATUS" 200 "GET with a JWT"
assert_eq "$(jq -r .userId <<<"$BODY")" user-42 "userId from sub"
assert_eq "$(jq -r .orgId <<<"$BODY")" org-7 "orgId from orgId"
CURL_EXTRA="--oauth2-bearer $good" wait_ended "$jsid"
CURL_EXTRA="--oauth2-bearer $good" events "$jsid" >"$T/jwt-events"
assert_eq "$(jq -r '[.[].orgId] | unique | join(",")' "$T/jwt-events")" org-7 "events stamped with the JWT's org"
ok "HS256 JWT in Authorization → 200, userId user-42 and orgId org-7 from the token"

CURL_EXTRA="--cookie token=$good" api GET /api/runner/sessions
assert_eq "$STATUS" 200 "JWT as a token cookie"
CURL_EXTRA="--cookie theme=dark;token=$good" api GET /api/runner/sessions
assert_eq "$STATUS" 200 "JWT as a token cookie among others"
CURL_EXTRA="--cookie token=$expired" api GET /api/runner/sessions
assert_401 "expired JWT as a cookie"
ok "JWT in a 'token' cookie → 200"

CURL_EXTRA="--oauth2-bearer $suborg" api POST /api/runner/sessions "$(session_body 'print as user-43')"
assert_eq "$STATUS" 201 "POST with a JWT without orgId"
CURL_EXTRA="--oauth2-bearer $suborg" api GET "/api/runner/sessions/$(jq -r .sessionId <<<"$BODY")"
assert_eq "$(jq -r .userId <<<"$BODY")" user-43 "userId without orgId"
assert_eq "$(jq -r .orgId <<<"$BODY")" user-43 "orgId defaults to sub"
ok "without orgId the org is sub"

for t in expired notyet wrongsig none tampered; do
	CURL_EXTRA="--oauth2-bearer ${!t}" api GET /api/runner/sessions
	assert_401 "$t JWT"
done
CURL_EXTRA="--oauth2-bearer not.a.jwt" api GET /api/runner/sessions
assert_401 "garbage token"
CURL_EXTRA="--oauth2-bearer tok-123" api GET /api/runner/sessions
assert_401 "a static token that is not configured"
ok "expired, not yet valid, wrong signature, alg none, tampered, garbage → 401"
api GET /healthz
assert_eq "$STATUS" 200 "/healthz with JWT auth"
stop_daemon

# Beyond loopback: refused without any credential, allowed with one.
jq -n '{pool_size: 1}' >"$T/open.conf"
rc=0
timeout 10 "$RUNNERD" -c "$T/open.conf" -l 0.0.0.0:0 -d "$T/state-open" -s "$T/open.sock" \
    >"$T/open.out" 2>"$T/open.err" || rc=$?
[ $rc -ne 0 ] || fail "runnerd -l 0.0.0.0:0 without credentials exited 0"
[ $rc -ne 124 ] || fail "runnerd -l 0.0.0.0:0 without credentials kept running"
grep -q '^listening on' "$T/open.out" && fail "runnerd listened without credentials: $(cat "$T/open.out")"
assert_match "$(cat "$T/open.err")" '[Cc]redential|[Tt]oken|JWT' "the start-up error says why"
assert_match "$(cat "$T/open.err")" '0\.0\.0\.0' "the start-up error names the address"
ok "-l 0.0.0.0:0 without credentials: exit $rc, $(tail -1 "$T/open.err")"

RUNNERD_FLAGS="-l 0.0.0.0:0" start_daemon '{"tokens": ["tok-123"]}'
assert_match "$URL" '^http://0\.0\.0\.0:[0-9]+$' "listening on all addresses"
port=${URL##*:}
URL=http://127.0.0.1:$port
api GET /api/runner/sessions
assert_401 "0.0.0.0 without a token"
CURL_EXTRA="--oauth2-bearer tok-123" api GET /api/runner/sessions
assert_eq "$STATUS" 200 "0.0.0.0 with the token"
stop_daemon
ok "-l 0.0.0.0:0 with a token configured starts and requires it"
