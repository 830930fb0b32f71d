#!/bin/bash
# How sessions fail: a non-zero exit, death on a signal, a CLI that is not
# installed, a missing provider credential (refused up front, 400), a repo
# path that does not exist and a branch, tag or commit that does not: each
# ends FAILED (or is refused) with a reason that names the cause.
. "$TESTS_SRCDIR/integration/lib.sh"

# The daemon must not have the credentials in its own environment.
unset OPENAI_API_KEY ANTHROPIC_API_KEY

# ended_within ID SECONDS: wait for SESSION_ENDED, then GET the session.
ended_within() {
	wait_ended "$1" "$2"
	api GET "/api/runner/sessions/$1"
}

# never_ran ID: the session never reached RUNNING.
never_ran() {
	events "$1" | jq -e '[.[] | select(.type == "SESSION_STATE_CHANGED" and .newState == "RUNNING")] | length == 0' \
	    >/dev/null || fail "session $1 reached RUNNING"
}

make_repo "$T/repo"
mkdir -p "$T/bin"
agent_path="$FAKE_AGENT_DIR:$T/bin:/usr/local/bin:/usr/bin:/bin"
start_daemon "$(jq -n --arg p "$agent_path" '{
  agent_path: $p,
  providers: {missing: {command: "no-such-agent-cli", args: ["{goal}"]}}
}')"

# A non-zero exit.
start_session 'print about to exit;exit 3'
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "exit 3: state"
assert_eq "$(jq -r .exitCode <<<"$BODY")" 3 "exit 3: exitCode"
msg=$(jq -r .errorMessage <<<"$BODY")
assert_match "$msg" '(^|[^0-9])3([^0-9]|$)' "exit 3: errorMessage gives the code"
assert_match "$msg" '[Ee]xit' "exit 3: errorMessage says it exited"
ev=$(events "$SID")
assert_eq "$(jq -r '.[-1].type' <<<"$ev")" SESSION_ENDED "exit 3: last event"
assert_eq "$(jq -r '.[-1].finalState' <<<"$ev")" FAILED "exit 3: SESSION_ENDED finalState"
assert_eq "$(jq -r '.[-1].exitCode' <<<"$ev")" 3 "exit 3: SESSION_ENDED exitCode"
assert_eq "$(jq -r '[.[] | select(.type=="SESSION_STATE_CHANGED") | .newState] | join(",")' <<<"$ev")" \
    "PREPARING_WORKSPACE,STARTING_PROVIDER,RUNNING,FAILED" "exit 3: states"
output "$SID" | grep -q 'about to exit' || fail "exit 3: output before the exit is missing"
assert_seq_contiguous "$SID"
ok "exit 3 → FAILED, exitCode 3: $msg"

# Death on a signal nobody asked for.
start_session 'print about to crash;signal SEGV'
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "SIGSEGV: state"
assert_eq "$(jq -r .exitCode <<<"$BODY")" null "SIGSEGV: exitCode"
msg=$(jq -r .errorMessage <<<"$BODY")
assert_match "$msg" 'SIGSEGV|SEGV|signal 11([^0-9]|$)' "SIGSEGV: errorMessage names the signal"
assert_eq "$(events "$SID" | jq -r '.[-1].exitCode')" null "SIGSEGV: SESSION_ENDED exitCode"
ok "signal SEGV → FAILED, exitCode null: $msg"

# exit 0 after the same output is a success: the failures above are real.
start_session 'print about to exit;exit 0'
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "exit 0: state"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" null "exit 0: errorMessage"

# A CLI that is not installed: a quick failure, never a hang.
t0=$(date +%s%3N)
start_session 'print never' "$T/repo" '.providerId = "missing"'
ended_within "$SID" 10
t1=$(date +%s%3N)
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "missing CLI: state"
assert_match "$(jq -r .errorMessage <<<"$BODY")" "provider CLI 'no-such-agent-cli' not found" \
    "missing CLI: errorMessage"
never_ran "$SID"
[ $((t1 - t0)) -lt 5000 ] || fail "missing CLI: took $((t1 - t0)) ms to fail"
ok "missing CLI → FAILED \"provider CLI 'no-such-agent-cli' not found\" in $((t1 - t0)) ms"

# A missing credential is refused before anything starts.
api GET /api/runner/sessions
nsessions=$(jq '.sessions | length' <<<"$BODY")
api POST /api/runner/sessions "$(session_body 'x' "$T/repo" '.providerId = "codex"')"
assert_eq "$STATUS" 400 "codex without OPENAI_API_KEY: status"
assert_eq "$(jq -r .error.code <<<"$BODY")" PROVIDER_AUTH_MISSING "codex: error code"
assert_match "$(jq -r .error.message <<<"$BODY")" OPENAI_API_KEY "codex: message names the variable"
api POST /api/runner/sessions "$(session_body 'x' "$T/repo" '.providerId = "codex" | .env = {OPENAI_API_KEY: ""}')"
assert_eq "$STATUS" 400 "codex with an empty OPENAI_API_KEY: status"
assert_eq "$(jq -r .error.code <<<"$BODY")" PROVIDER_AUTH_MISSING "codex, empty key: error code"
api POST /api/runner/sessions "$(session_body 'x' "$T/repo" '.providerId = "claude_code" | .env = {OPENAI_API_KEY: "sk-wrong-provider"}')"
assert_eq "$STATUS" 400 "claude_code without ANTHROPIC_API_KEY: status"
assert_eq "$(jq -r .error.code <<<"$BODY")" PROVIDER_AUTH_MISSING "claude_code: error code"
assert_match "$(jq -r .error.message <<<"$BODY")" ANTHROPIC_API_KEY "claude_code: message names the variable"
api GET /api/runner/sessions
assert_eq "$(jq '.sessions | length' <<<"$BODY")" "$nsessions" "no session created by a refused start"
ok "missing credential → 400 PROVIDER_AUTH_MISSING naming OPENAI_API_KEY / ANTHROPIC_API_KEY"

# With the key in the request it is accepted; without codex on agent_path
# it then fails naming the CLI.
start_session 'x' "$T/repo" '.providerId = "codex" | .env = {OPENAI_API_KEY: "sk-test-not-a-real-key-4242"}'
codex_sid=$SID
if PATH=$agent_path command -v codex >/dev/null; then
	# A real codex is installed: let it run, then stop it.
	sleep 3
	api POST "/api/runner/sessions/$codex_sid/stop" '{"graceful":false}'
	ended_within "$codex_sid" 30
	ok "codex with the key in the request env → 201 (a real codex ran: $(jq -r .state <<<"$BODY"))"
else
	ended_within "$codex_sid" 10
	assert_eq "$(jq -r .state <<<"$BODY")" FAILED "codex not installed: state"
	assert_match "$(jq -r .errorMessage <<<"$BODY")" "provider CLI 'codex' not found" \
	    "codex not installed: errorMessage"
	ok "codex with the key in the request env → 201, then FAILED \"provider CLI 'codex' not found\""
fi
grep -rq sk-test-not-a-real-key-4242 "$STATE" && fail "the request's key was stored under $STATE"

# Workspace failures name what is missing.
start_session 'print never' "$T/no-such-repo"
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "missing repo: state"
assert_match "$(jq -r .errorMessage <<<"$BODY")" "$T/no-such-repo" "missing repo: errorMessage names the path"
never_ran "$SID"
ok "missing repo path → FAILED: $(jq -r .errorMessage <<<"$BODY")"

mkdir -p "$T/not-a-repo"
start_session 'print never' "$T/not-a-repo"
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "not a repo: state"
assert_match "$(jq -r .errorMessage <<<"$BODY")" "$T/not-a-repo" "not a repo: errorMessage names the path"
never_ran "$SID"
ok "a directory that is not a repository → FAILED: $(jq -r .errorMessage <<<"$BODY")"

start_session 'print never' "$T/repo" '.checkout = {type: "branch", ref: "no-such-branch"}'
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "unknown branch: state"
assert_match "$(jq -r .errorMessage <<<"$BODY")" no-such-branch "unknown branch: errorMessage"
never_ran "$SID"
ok "unknown branch → FAILED: $(jq -r .errorMessage <<<"$BODY")"

start_session 'print never' "$T/repo" '.checkout = {type: "tag", tag: "v999"}'
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "unknown tag: state"
assert_match "$(jq -r .errorMessage <<<"$BODY")" v999 "unknown tag: errorMessage"
never_ran "$SID"
ok "unknown tag → FAILED: $(jq -r .errorMessage <<<"$BODY")"

sha=0123456789abcdef0123456789abcdef01234567
start_session 'print never' "$T/repo" ".checkout = {type: \"commit\", sha: \"$sha\"}"
ended_within "$SID" 20
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "unknown commit: state"
assert_match "$(jq -r .errorMessage <<<"$BODY")" "${sha:0:7}" "unknown commit: errorMessage"
never_ran "$SID"
ok "unknown commit → FAILED: $(jq -r .errorMessage <<<"$BODY")"

# The same three kinds of checkout succeed when the ref exists.
first=$(git -C "$T/repo" rev-parse main~1)
for co in '{type: "branch", ref: "feature"}|hello second' \
    '{type: "tag", tag: "v1"}|hello' \
    "{type: \"commit\", sha: \"$first\"}|hello"; do
	want=${co#*|}
	co=${co%|*}
	start_session 'cat README.md' "$T/repo" ".checkout = $co"
	ended_within "$SID" 20
	assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "checkout $co: state"
	assert_eq "$(output "$SID" | tr -d '\r' | tr '\n' ' ' | sed 's/ *$//')" "$want" \
	    "checkout $co: README.md"
done
ok "existing branch, tag and commit check out"

# A credential in runnerd's own environment is enough, and is not stored.
stop_daemon
export OPENAI_API_KEY=sk-from-the-daemon-env-4343
start_daemon
unset OPENAI_API_KEY
api POST /api/runner/sessions "$(session_body 'x' "$T/repo" '.providerId = "codex"')"
assert_eq "$STATUS" 201 "codex with OPENAI_API_KEY in runnerd's environment"
SID=$(jq -r .sessionId <<<"$BODY")
sleep 1
# Whether or not a real codex runs, it has done its part: end it.
[ "$(state_of "$SID")" = FAILED ] || api POST "/api/runner/sessions/$SID/stop" '{"graceful":false}'
wait_ended "$SID" 30
grep -rq sk-from-the-daemon-env-4343 "$STATE" && fail "the daemon's key was stored under $STATE"
ok "OPENAI_API_KEY from runnerd's environment → 201"

stop_daemon
