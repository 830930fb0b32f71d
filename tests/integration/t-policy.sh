#!/bin/bash
# Exec policy (DESIGN 9): every exec of the agent's tree is seen by the
# worker. shellDenylist / shellAllowlist fail a command with EACCES and
# raise ALERT_RAISED (policy); commandsRun counts what ran; a `git push` to
# a bare repository on disk is held for approval (WAITING_FOR_APPROVAL)
# and lands only when allowed, fails the session when denied or when
# nobody answers in time; a provider prompt is answered through the API
# while an exec waits too; `make check` is a TEST_RUN with its exit code
# and counts. Without the sandbox, then (as root) once inside it.
. "$TESTS_SRCDIR/integration/lib.sh"

make_repo "$T/repo"
cat >"$T/repo/Makefile" <<'EOF'
check:
	@printf '%s\n' '=========' '# TOTAL: 4' '# PASS:  2' '# SKIP:  1' \
	    '# XFAIL: 0' '# FAIL:  1' '# XPASS: 0' '# ERROR: 0' '========='
	@exit 2
EOF
git -C "$T/repo" -c user.name=t -c user.email=t@localhost add Makefile
git -C "$T/repo" -c user.name=t -c user.email=t@localhost commit -q -m make
HEAD=$(git -C "$T/repo" rev-parse main)
BARE=$T/bare.git
git init -q --bare "$BARE" || fail "git init --bare"

# has_ref REPO REF: the commit REF points to, or nothing.
has_ref() { git -c safe.directory='*' -C "$1" rev-parse -q --verify "$2" 2>/dev/null; }

# pending SID CATEGORY: the id of its pending approval of that category.
pending() {
	api GET "/api/runner/sessions/$1"
	jq -r --arg c "$2" '[.pendingApprovals[] | select(.category == $c) |
	    .approvalId][0] // empty' <<<"$BODY"
}

# wait_pending SID CATEGORY: sets AID.
wait_pending() {
	for _ in $(seq 1 200); do
		AID=$(pending "$1" "$2")
		[ -n "$AID" ] && return 0
		sleep 0.1
	done
	fail "session $1: no pending $2 approval (state $(state_of "$1"))"
}

# answer SID AID DECISION [NOTE]: POST the approval, expect 200.
answer() {
	api POST "/api/runner/sessions/$1/approvals/$2" \
	    "$(jq -nc --arg d "$3" --arg n "${4:-}" '{decision: $d} +
	    (if $n == "" then {} else {note: $n} end)')"
	assert_eq "$STATUS" 200 "approval $3 ($BODY)"
}

# errcode: the error code of the last response.
errcode() { jq -r .error.code <<<"$BODY"; }

start_daemon

# 1. A denied command never runs; the agent's shell sees EACCES. A shell
# whose -c script names it is refused before it runs anything; one where
# it only appears after expansion runs, and the command itself is refused.
start_session 'write victim.txt keep me
sh rm -f victim.txt
sh r=rm && $r -f victim.txt
print after rm' "$T/repo" '.policy = {shellDenylist: ["rm"]}'
wait_ended "$SID"
ev=$(events "$SID")
out=$(output "$SID")
assert_eq "$(state_of "$SID")" COMPLETED "denied command: session state"
[ -f "$WS/$SID/victim.txt" ] || fail "rm ran: victim.txt is gone"
assert_match "$out" 'sh: cannot run /bin/sh: Permission denied' "the wrapper saw EACCES"
assert_match "$out" 'rm: Permission denied' "the agent's sh saw EACCES"
assert_match "$out" 'sh: exit 126' "the agent's sh failed"
alert=$(jq -c '[.[] | select(.type=="ALERT_RAISED" and .category=="policy")]' <<<"$ev")
assert_eq "$(jq length <<<"$alert")" 2 "two policy alerts ($alert)"
assert_eq "$(jq -r '.[0].title' <<<"$alert")" "command denied" "alert title"
assert_match "$(jq -r '.[0].description' <<<"$alert")" \
    "^sh -c 'rm -f victim.txt': denied by policy.shellDenylist pattern 'rm'\$" "alert names the wrapper"
assert_eq "$(jq -c '.[0].context.argv' <<<"$alert")" '["sh","-c","rm -f victim.txt"]' "alert context argv"
assert_match "$(jq -r '.[1].description' <<<"$alert")" \
    "^rm -f victim.txt: denied by policy.shellDenylist pattern 'rm'\$" "alert names the command"
assert_eq "$(jq -c '.[1].context.argv' <<<"$alert")" '["rm","-f","victim.txt"]' "alert context argv"
assert_eq "$(jq '.[-1].totalUsage.commandsRun' <<<"$ev")" 1 "commandsRun: one sh ran, rm did not"
ok "shellDenylist: rm -f failed with EACCES (in the script, then expanded), victim.txt kept, ALERT_RAISED policy"

# 2. An allowlist: what is not on it fails; commandsRun counts the rest.
start_session 'sh ls >/dev/null && echo ls=ok
sh cat README.md || echo cat=$?
print end' "$T/repo" '.policy = {shellAllowlist: ["sh", "ls"]}'
wait_ended "$SID"
ev=$(events "$SID")
out=$(output "$SID")
assert_match "$out" 'ls=ok' "ls is allowed"
assert_match "$out" 'cat=126' "cat is not"
assert_eq "$(jq '[.[] | select(.type=="ALERT_RAISED" and .category=="policy")] | length' <<<"$ev")" 1 "one alert"
assert_match "$(jq -r '[.[] | select(.type=="ALERT_RAISED")][0].description' <<<"$ev")" \
    '^cat README.md: not in policy.shellAllowlist$' "allowlist alert"
assert_eq "$(jq '.[-1].totalUsage.commandsRun' <<<"$ev")" 3 "commandsRun: sh, ls, sh"
ok "shellAllowlist: cat refused, commandsRun 3"

# 3. git push is held until allowed, then lands.
push='sh git push -q '"$BARE"' HEAD:refs/heads/allowed && echo pushed
print end'
start_session "$push"
S3=$SID
wait_state "$S3" WAITING_FOR_APPROVAL
wait_pending "$S3" merge
api GET "/api/runner/sessions/$S3"
ap=$(jq -c '.pendingApprovals[0]' <<<"$BODY")
assert_eq "$(jq -r .summary <<<"$ap")" "git push -q $BARE HEAD:refs/heads/allowed" "summary: the command line"
assert_eq "$(jq -r .risk <<<"$ap")" high "merge risk"
assert_eq "$(jq -r .context.pattern <<<"$ap")" "git push" "the pattern"
assert_eq "$(jq -r .context.cwd <<<"$ap")" "$WS/$S3" "context cwd"
assert_match "$(jq -r .timeoutAt <<<"$ap")" '^[0-9]{4}-' "timeoutAt"
sleep 0.5
[ -z "$(has_ref "$BARE" refs/heads/allowed)" ] || fail "the push landed while held"
assert_eq "$(state_of "$S3")" WAITING_FOR_APPROVAL "still held"
api POST "/api/runner/sessions/$S3/approvals/00000000-0000-4000-8000-000000000000" '{"decision":"allow"}'
assert_eq "$STATUS" 404 "unknown approval"
answer "$S3" "$AID" allow
wait_ended "$S3"
assert_eq "$(has_ref "$BARE" refs/heads/allowed)" "$HEAD" "the push landed"
assert_match "$(output "$S3")" pushed "git push succeeded"
ev=$(events "$S3")
assert_eq "$(jq -c '[.[] | select(.type=="APPROVAL_RESOLVED") | {decision, resolvedBy}]' <<<"$ev")" \
    '[{"decision":"allow","resolvedBy":"api"}]' "APPROVAL_RESOLVED"
assert_eq "$(jq -r '[.[] | select(.type=="SESSION_STATE_CHANGED") | .newState] | join(" ")' <<<"$ev")" \
    "PREPARING_WORKSPACE STARTING_PROVIDER RUNNING WAITING_FOR_APPROVAL RUNNING COMPLETED" "states"
api POST "/api/runner/sessions/$S3/approvals/$AID" '{"decision":"deny"}'
assert_eq "$STATUS" 409 "answered twice"
assert_eq "$(errcode)" ALREADY_RESOLVED "answered twice: code"
ok "git push held (WAITING_FOR_APPROVAL), allowed, landed in the bare repository; 404, 409"

# 4. Denied: the push does not land and the session fails.
start_session "${push//allowed/denied}"
S4=$SID
wait_pending "$S4" merge
answer "$S4" "$AID" deny "not today"
wait_ended "$S4"
[ -z "$(has_ref "$BARE" refs/heads/denied)" ] || fail "a denied push landed"
api GET "/api/runner/sessions/$S4"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "denied: state"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" \
    "approval denied: git push -q $BARE HEAD:refs/heads/denied (not today)" "denied: reason"
assert_eq "$(events "$S4" | jq -c '[.[] | select(.type=="APPROVAL_RESOLVED") | {decision, note}]')" \
    '[{"decision":"deny","note":"not today"}]' "denial recorded with its note"
ok "git push denied: nothing landed, session FAILED 'approval denied: git push …'"

# 5. A provider prompt and a held exec at once, answered one by one.
start_session "sh git push -q $BARE HEAD:refs/heads/both &
prompt Proceed?
read
print end"
S5=$SID
wait_pending "$S5" merge
wait_pending "$S5" shell
api GET "/api/runner/sessions/$S5"
assert_eq "$(jq '.pendingApprovals | length' <<<"$BODY")" 2 "two pending approvals"
answer "$S5" "$AID" allow
wait_output "$S5" approved
assert_eq "$(state_of "$S5")" WAITING_FOR_APPROVAL "the exec still waits"
wait_pending "$S5" merge
[ -z "$(has_ref "$BARE" refs/heads/both)" ] || fail "the background push landed while held"
answer "$S5" "$AID" allow
for _ in $(seq 1 100); do
	[ -n "$(has_ref "$BARE" refs/heads/both)" ] && break
	sleep 0.1
done
assert_eq "$(has_ref "$BARE" refs/heads/both)" "$HEAD" "background push landed"
wait_state "$S5" RUNNING
api POST "/api/runner/sessions/$S5/input" '{"data":"go\n"}'
wait_ended "$S5"
assert_eq "$(state_of "$S5")" COMPLETED "prompt + exec: state"
assert_eq "$(events "$S5" | jq -c '[.[] | select(.type=="APPROVAL_REQUESTED") | .approval.category] | sort')" \
    '["merge","shell"]' "both categories requested"
ok "provider prompt (shell) answered through the API while an exec (merge) waited"

# 5b. The agent exits while a prompt and a held exec still wait: one
# ALERT_RAISED (approval) naming both, before SESSION_ENDED; both are
# cancelled "session ended".
start_session "sh git push -q $BARE HEAD:refs/heads/orphan &
printn Proceed? [y/n]
sleep 4000
exit 0"
S5B=$SID
wait_pending "$S5B" merge
A1=$AID
wait_pending "$S5B" shell
A2=$AID
wait_ended "$S5B"
ev=$(events "$S5B")
al=$(jq -c '[.[] | select(.type=="ALERT_RAISED" and .category=="approval")]' <<<"$ev")
assert_eq "$(jq length <<<"$al")" 1 "pending at the end: one alert"
assert_eq "$(jq -r '.[0].title' <<<"$al")" "session ended with approvals pending" "pending: title"
assert_eq "$(jq -c '.[0].context.approvalIds | sort' <<<"$al")" \
    "$(jq -nc --arg a "$A1" --arg b "$A2" '[$a, $b] | sort')" "pending: both ids"
assert_eq "$(jq -r '[.[] | .type] | (index("ALERT_RAISED") < index("SESSION_ENDED"))' <<<"$ev")" true \
    "pending: the alert before SESSION_ENDED"
assert_eq "$(jq -c '[.[] | select(.type=="APPROVAL_RESOLVED") | .note] | unique' <<<"$ev")" \
    '["session ended"]' "pending: both cancelled"
[ -z "$(has_ref "$BARE" refs/heads/orphan)" ] || fail "pending: the held push landed"
# Answered ones raise nothing.
assert_eq "$(events "$S5" | jq '[.[] | select(.type=="ALERT_RAISED" and .category=="approval")] | length')" 0 \
    "answered approvals: no alert"
ok "the agent exited with two approvals pending: one ALERT before SESSION_ENDED"

# 6. make check is a test run: exit code and the automake counts.
start_session 'sh make check
print end'
wait_ended "$SID"
ev=$(events "$SID")
assert_eq "$(jq -c '[.[] | select(.type=="TEST_RUN_STARTED") | .command]' <<<"$ev")" '["make check"]' "TEST_RUN_STARTED"
fin=$(jq -c '[.[] | select(.type=="TEST_RUN_FINISHED")]' <<<"$ev")
assert_eq "$(jq -c '.[] | {command, exitCode, passed, failed, skipped}' <<<"$fin")" \
    '{"command":"make check","exitCode":2,"passed":2,"failed":1,"skipped":1}' "TEST_RUN_FINISHED"
assert_match "$(jq '.[0].duration' <<<"$fin")" '^[0-9]+$' "duration"
s=$(jq '[.[] | select(.type=="TEST_RUN_STARTED")][0].seq' <<<"$ev")
f=$(jq '.[0].seq' <<<"$fin")
[ "$s" -lt "$f" ] || fail "TEST_RUN_FINISHED before STARTED"
ok "make check: TEST_RUN_STARTED, TEST_RUN_FINISHED exitCode 2, 2/1/1"

api GET /healthz
assert_eq "$STATUS" 200 "healthz"
stop_daemon

# 7. Nobody answers: the approval expires, the session fails. A test
# pattern from the config replaces the built-in ones.
cat >"$T/run-tests" <<'EOF'
#!/bin/sh
echo '==== 1 failed, 4 passed in 0.02s ===='
exit 1
EOF
chmod +x "$T/run-tests"
start_daemon '{"approval_timeout_ms": 1500, "test_patterns": ["run-tests"]}'
start_session "sh $T/run-tests
sh make check
sh git push -q $BARE HEAD:refs/heads/late
print end"
S7=$SID
wait_pending "$S7" merge
wait_ended "$S7" 20
ev=$(events "$S7")
[ -z "$(has_ref "$BARE" refs/heads/late)" ] || fail "an expired push landed"
api GET "/api/runner/sessions/$S7"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "expired: state"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" \
    "approval denied: git push -q $BARE HEAD:refs/heads/late (timed out)" "expired: reason"
assert_eq "$(jq -c '[.[] | select(.type=="APPROVAL_RESOLVED") | {decision, resolvedBy, note}]' <<<"$ev")" \
    '[{"decision":"deny","resolvedBy":"timeout","note":"timed out"}]' "APPROVAL_RESOLVED by timeout"
api POST "/api/runner/sessions/$S7/approvals/$AID" '{"decision":"allow"}'
assert_eq "$STATUS" 409 "answer after expiry"
assert_eq "$(errcode)" EXPIRED "answer after expiry: code"
assert_eq "$(jq -c '[.[] | select(.type=="TEST_RUN_FINISHED") | {command, exitCode, passed, failed}]' <<<"$ev")" \
    "[{\"command\":\"$T/run-tests\",\"exitCode\":1,\"passed\":4,\"failed\":1}]" "configured test pattern only"
ok "approval_timeout_ms: expired → resolvedBy timeout, FAILED, 409 EXPIRED; test_patterns"
api GET /healthz
assert_eq "$STATUS" 200 "healthz"
stop_daemon

# 8. Inside the sandbox (as root): the same policy holds.
sandboxed() {
	expose=$(jq -n --arg d "$FAKE_AGENT_DIR" '[$d]')
	start_daemon "{\"sandbox\": true, \"sandbox_expose\": $expose, \"approval_deny_continues\": true}"
	api GET /healthz
	if [ "$(jq .sandbox.layers.exec_policy.available <<<"$BODY")" != true ]; then
		echo "ok - sandbox part not run: no exec policy here ($(jq -r .sandbox.layers.exec_policy.detail <<<"$BODY"))"
		stop_daemon
		return
	fi
	start_session 'write victim.txt keep me
sh rm -f victim.txt
sh git init -q --bare pushed.git
sh git push -q pushed.git HEAD:refs/heads/ok && echo pushed
sh git push -q pushed.git HEAD:refs/heads/no || echo push=$?
print end' "$T/repo" '.policy = {shellDenylist: ["rm"]}'
	S8=$SID
	wait_pending "$S8" merge
	answer "$S8" "$AID" allow
	wait_output "$S8" pushed
	wait_pending "$S8" merge
	answer "$S8" "$AID" deny
	wait_ended "$S8"
	ev=$(events "$S8")
	out=$(output "$S8")
	api GET "/api/runner/sessions/$S8"
	assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "sandboxed: approval_deny_continues ($(jq -r .errorMessage <<<"$BODY"))"
	[ -f "$WS/$S8/victim.txt" ] || fail "sandboxed: rm ran"
	assert_eq "$(jq '[.[] | select(.type=="ALERT_RAISED" and .category=="policy")] | length' <<<"$ev")" 1 "sandboxed: policy alert"
	assert_eq "$(has_ref "$WS/$S8/pushed.git" refs/heads/ok)" "$HEAD" "sandboxed: allowed push landed"
	[ -z "$(has_ref "$WS/$S8/pushed.git" refs/heads/no)" ] || fail "sandboxed: denied push landed"
	assert_match "$out" 'push=' "sandboxed: the denied push failed in the agent"
	assert_eq "$(jq -r '[.[] | select(.type=="SESSION_STATE_CHANGED") | .newState] | join(" ")' <<<"$ev")" \
	    "PREPARING_WORKSPACE STARTING_PROVIDER RUNNING WAITING_FOR_APPROVAL RUNNING WAITING_FOR_APPROVAL RUNNING COMPLETED" \
	    "sandboxed: states"
	ok "sandbox: rm denied, git push held then allowed (landed) and denied (continued)"
	api GET /healthz
	assert_eq "$STATUS" 200 "healthz"
	stop_daemon
}
if [ "$(id -u)" = 0 ]; then
	sandboxed
else
	echo "ok - sandbox part not run: the sandbox's uid switch needs root"
fi
