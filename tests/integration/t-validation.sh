#!/bin/bash
# Request validation and HTTP errors: every class of bad start body is a 400
# VALIDATION_ERROR naming its field; 413 past max_body_bytes; 429 at the
# session limit (config and RUNNER_MAX_SESSIONS); 404 for unknown sessions,
# ids and routes; 405 for wrong methods; 409/204 for DELETE; and the daemon
# still answers after all of it. Every error is JSON {error: {code, message}}.
. "$TESTS_SRCDIR/integration/lib.sh"

# assert_error STATUS CODE WHAT: the last response is that JSON error.
assert_error() {
	assert_eq "$STATUS" "$1" "$3: status (body: $BODY)"
	jq -e '.error | (.code | type) == "string" and (.message | type) == "string" and (.message | length) > 0' \
	    <<<"$BODY" >/dev/null 2>&1 || fail "$3: not a JSON error: $BODY"
	[ -z "$2" ] || assert_eq "$(jq -r .error.code <<<"$BODY")" "$2" "$3: error code"
}

# check_400 WHAT FIELD-REGEX JQ-FILTER: the base body changed by the filter
# is refused, naming the field.
check_400() {
	api POST /api/runner/sessions "$(session_body 'print never' "$T/repo" "$3")"
	assert_error 400 VALIDATION_ERROR "$1"
	field=$(jq -r '.error.details.field // empty' <<<"$BODY")
	assert_match "$field" "^($2)\$" "$1: details.field"
}

# check_raw_400 WHAT BODY: a body that is not a JSON object.
check_raw_400() {
	api POST /api/runner/sessions "$2"
	assert_error 400 VALIDATION_ERROR "$1"
	assert_eq "$(jq -r '.error.details.field // empty' <<<"$BODY")" body "$1: details.field"
}

make_repo "$T/repo"
start_daemon

# The base body is valid: each row below breaks exactly one thing.
start_session 'print valid'
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "the base body runs"
ok "the base body is valid"

check_400 "missing providerId" providerId 'del(.providerId)'
check_400 "unknown providerId" providerId '.providerId = "no-such-provider"'
check_400 "unknown top-level field" 'bogus' '.bogus = 1'
check_400 "unknown nested field" 'task\.bogus' '.task.bogus = "x"'
check_400 "number for task.title" 'task\.title' '.task.title = 42'
check_400 "task.title of 201 characters" 'task\.title' '.task.title = ("t" * 201)'
check_400 "task.goal of 4001 characters" 'task\.goal' '.task.goal = ("g" * 4001)'
check_400 "missing task" 'task' 'del(.task)'
check_400 "bad repoRef.provider" 'repoRef\.provider' '.repoRef.provider = "svn"'
check_400 "relative local path" 'repoRef\.path' '.repoRef.path = "relative/repo"'
check_400 "missing repoRef" 'repoRef' 'del(.repoRef)'
check_400 "bad checkout.type" 'checkout\.type' '.checkout = {type: "revision", ref: "main"}'
check_400 "bad sha" 'checkout\.sha' '.checkout = {type: "commit", sha: "not-a-sha!"}'
check_400 "bad policy.networkMode" 'policy\.networkMode' '.policy = {networkMode: "sometimes"}'
check_400 "bad requiresApprovalFor entry" 'policy\.requiresApprovalFor(\[1\])?' \
    '.policy = {requiresApprovalFor: ["merge", "launch_missiles"]}'
check_400 "env value not a string" 'env\.FOO' '.env = {FOO: 12}'
check_400 "bad env name" 'env(\..*)?' '.env = {"1BAD-NAME": "x"}'
ok "each bad field is a 400 VALIDATION_ERROR naming it"

check_raw_400 "non-JSON body" 'this is not json'
check_raw_400 "truncated JSON" '{"providerId": "fake", '
check_raw_400 "JSON array body" '[{"providerId": "fake"}]'
check_raw_400 "JSON string body" '"fake"'
check_raw_400 "empty body" ''
ok "bodies that are not a JSON object are a 400 naming body"

# The limits themselves are accepted.
start_session 'print boundary' "$T/repo" \
    '.task.title = ("t" * 200) | .task.goal = "print boundary;#" + ("g" * 3984)'
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "a 200-character title and a 4000-character goal"
ok "title of 200 and goal of 4000 characters accepted"

api GET "/api/runner/sessions?state=NOT_A_STATE"
assert_error 400 VALIDATION_ERROR "list with a bad state filter"

# Unknown sessions, ids and routes.
nosuch=0b9e1d5c-4f7a-4c8e-9a53-2f6d1e7c8b90
for req in "GET /api/runner/sessions/$nosuch" \
    "GET /api/runner/sessions/$nosuch/events" \
    "POST /api/runner/sessions/$nosuch/input" \
    "POST /api/runner/sessions/$nosuch/stop" \
    "POST /api/runner/sessions/$nosuch/pause" \
    "POST /api/runner/sessions/$nosuch/resume" \
    "POST /api/runner/sessions/$nosuch/resize" \
    "DELETE /api/runner/sessions/$nosuch"; do
	set -- $req
	case $1 in
	POST) api "$1" "$2" '{"data":"x\n","cols":80,"rows":24}' ;;
	*) api "$1" "$2" ;;
	esac
	assert_error 404 "" "$req"
done
ok "unknown session id → 404 for GET, events, input, stop, pause, resume, resize, DELETE"

for id in not-a-uuid 0B9E1D5C-4F7A-4C8E-9A53 "$(printf 'a%.0s' $(seq 1 300))" \
    '..%2F..%2Fetc' "$nosuch-0"; do
	api GET "/api/runner/sessions/$id"
	assert_error 404 "" "malformed id '$id'"
done
ok "malformed ids → 404"

for path in /api/runner/nope /nope /api/runner/sessions/$nosuch/bogus \
    /api/runner/sessions/$nosuch/approvals /api/runner/sessions/$nosuch/events/1/2 \
    /api; do
	api GET "$path"
	assert_error 404 "" "unknown route $path"
done
ok "unknown routes → 404"

api PUT /api/runner/sessions '{}'
assert_error 405 "" "PUT /api/runner/sessions"
api DELETE /healthz
assert_error 405 "" "DELETE /healthz"
api GET "/api/runner/sessions/$SID/stop"
assert_error 405 "" "GET …/stop"
api POST "/api/runner/sessions/$SID" '{}'
assert_error 405 "" "POST …/:id"
api PATCH "/api/runner/sessions/$SID/input" '{"data":"x"}'
assert_error 405 "" "PATCH …/input"
ok "wrong methods → 405"

# A live session: an approval it never asked for, DELETE while running.
start_session 'print live;sleep 60000'
live=$SID
wait_output "$live" live
api POST "/api/runner/sessions/$live/approvals/$nosuch" '{"decision":"allow"}'
assert_error 404 "" "approval on an unknown approvalId"
api DELETE "/api/runner/sessions/$live"
assert_error 409 INVALID_STATE "DELETE of a running session"
assert_eq "$(state_of "$live")" RUNNING "still running after the refused DELETE"
[ -d "$WS/$live" ] || fail "the running session's workspace is gone after a refused DELETE"
api POST "/api/runner/sessions/$live/stop" '{"graceful":false}'
assert_eq "$STATUS" 202 "stop"
wait_ended "$live"
[ -d "$WS/$live" ] || fail "no workspace dir $WS/$live to delete"
[ -d "$STATE/sessions/$live" ] || fail "no state dir $STATE/sessions/$live to delete"
api DELETE "/api/runner/sessions/$live"
assert_eq "$STATUS" 204 "DELETE of an ended session"
[ -e "$WS/$live" ] && fail "workspace $WS/$live still there after DELETE"
[ -e "$STATE/sessions/$live" ] && fail "state $STATE/sessions/$live still there after DELETE"
api GET "/api/runner/sessions/$live"
assert_error 404 "" "GET after DELETE"
api GET "/api/runner/sessions/$live/events"
assert_error 404 "" "events after DELETE"
api DELETE "/api/runner/sessions/$live"
assert_error 404 "" "DELETE twice"
api GET /api/runner/sessions
jq -e --arg id "$live" '[.sessions[] | select(.sessionId == $id)] | length == 0' \
    <<<"$BODY" >/dev/null || fail "deleted session still listed"
ok "DELETE: 409 while running, 204 once ended, workspace and records gone, then 404"

api GET /healthz
assert_eq "$STATUS" 200 "healthz after all that"
assert_eq "$(jq -r .status <<<"$BODY")" ok "healthz status"
stop_daemon

# Body limit and session limit from the config.
start_daemon '{"max_body_bytes": 4096, "max_sessions": 2}'
big=$(session_body "print $(printf 'x%.0s' $(seq 1 10240))")
[ ${#big} -gt 10240 ] || fail "test bug: body of ${#big} bytes"
api POST /api/runner/sessions "$big"
assert_eq "$STATUS" 413 "body of ${#big} bytes over max_body_bytes 4096"
ok "10 KB body → 413"
# Checked again at the end, so that one wrong answer does not hide the rest.
if jq -e '.error.code and .error.message' <<<"$BODY" >/dev/null 2>&1; then
	ok "413 is a JSON error"
else
	echo "FAIL: $TEST_NAME: 413 is not a JSON error: $(head -c 120 <<<"$BODY" | tr '\n' ' ')" >&2
	DEFERRED="${DEFERRED:-}413 is not a JSON error; "
fi
api GET /healthz
assert_eq "$STATUS" 200 "healthz after 413"

# check_limit N: two sleeping sessions fill the limit of 2, a third is
# refused until one ends.
check_limit() {
	start_session 'print one;sleep 60000'
	s1=$SID
	start_session 'print two;sleep 60000'
	s2=$SID
	wait_output "$s1" one
	wait_output "$s2" two
	api GET /api/runner/sessions
	before=$(jq '.sessions | length' <<<"$BODY")
	api POST /api/runner/sessions "$(session_body 'print three')"
	assert_error 429 SESSION_LIMIT "third session at the limit ($1)"
	msg=$(jq -r .error.message <<<"$BODY")
	assert_match "$msg" '[Ll]imit' "429 message says it is a limit"
	assert_match "$msg" '(^|[^0-9])2([^0-9]|$)' "429 message gives the limit"
	api GET /api/runner/sessions
	assert_eq "$(jq '.sessions | length' <<<"$BODY")" "$before" "the refused session was not created"
	api POST "/api/runner/sessions/$s1/stop" '{}'
	assert_eq "$STATUS" 202 "stop one"
	wait_ended "$s1"
	start_session 'print three'
	s3=$SID
	wait_ended "$s3"
	assert_eq "$(state_of "$s3")" COMPLETED "the session after one ended"
	api POST "/api/runner/sessions/$s2/stop" '{}'
	wait_ended "$s2"
	ok "max_sessions 2 ($1): third → 429 SESSION_LIMIT, accepted again after a stop"
}
check_limit "config max_sessions"
stop_daemon

# The same limit from the environment, with no max_sessions in the file.
write_conf '{}'
export RUNNER_MAX_SESSIONS=2
start_daemon
unset RUNNER_MAX_SESSIONS
check_limit "RUNNER_MAX_SESSIONS"

api GET /healthz
assert_eq "$STATUS" 200 "healthz at the end"
stop_daemon
[ -z "${DEFERRED:-}" ] || fail "$DEFERRED"
