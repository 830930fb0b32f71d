#!/bin/bash
# A structured CLI (issue 12), driven through its protocol on stdin and
# stdout while stderr stays the terminal: a config-defined provider whose
# driver is "claude" runs runnerd-fake-agent --protocol mock, with the test
# build's mock driver in the claude slot (RUNNERD_TEST_DRIVER=mock). The
# CLI's own approval becomes APPROVAL_REQUESTED and the answer reaches it;
# an allowed `git push` is not held again by the exec gate; input is a
# second turn; token usage reaches USAGE_TICK, SESSION_ENDED and GET with
# the final message; idle after its last turn it ends COMPLETED; no JSON
# record is ever terminal output. Without the sandbox, then (as root)
# inside it, where the pipes pass through the sandbox's init.
. "$TESTS_SRCDIR/integration/lib.sh"

export RUNNERD_TEST_DRIVER=mock

make_repo "$T/repo"
cat >"$T/repo/Makefile" <<'EOF'
check:
	@printf '%s\n' '# TOTAL: 3' '# PASS:  2' '# SKIP:  0' '# FAIL:  1'
	@exit 1
EOF
git -C "$T/repo" -c user.name=t -c user.email=t@localhost add Makefile
git -C "$T/repo" -c user.name=t -c user.email=t@localhost commit -q -m make
HEAD=$(git -C "$T/repo" rev-parse main)

has_ref() { git -c safe.directory='*' -C "$1" rev-parse -q --verify "$2" 2>/dev/null; }

# pending SID: the id of its pending merge approval, or nothing.
pending() {
	api GET "/api/runner/sessions/$1"
	jq -r '[.pendingApprovals[] | select(.category == "merge") |
	    .approvalId][0] // empty' <<<"$BODY"
}

wait_pending() {
	for _ in $(seq 1 200); do
		AID=$(pending "$1")
		[ -n "$AID" ] && return 0
		sleep 0.1
	done
	fail "session $1: no pending merge approval (state $(state_of "$1"))"
}

answer() {
	api POST "/api/runner/sessions/$1/approvals/$2" "{\"decision\":\"$3\"}"
	assert_eq "$STATUS" 200 "approval $3 ($BODY)"
}

# wait_message SID REGEX: an AGENT_MESSAGE whose text matches.
wait_message() {
	for _ in $(seq 1 200); do
		events "$1" | jq -r '.[] | select(.type=="AGENT_MESSAGE") | .text' |
		    grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	fail "session $1: no agent message /$2/ ($(events "$1" | jq -c '[.[] | select(.type=="AGENT_MESSAGE") | .text]'))"
}

# conf SANDBOX [DIALECT]: the config with the double as provider "dbl"
# (the mock dialect under driver "claude"), and as "dcodex" and "dclaude"
# speaking those protocols to the real drivers.
conf() {
	jq -n --argjson sb "$1" --arg d "$FAKE_AGENT_DIR" '
	  def dbl(drv; dia): {command: "runnerd-fake-agent", driver: drv,
	    extra_args: ["--protocol", dia, "--log", "proto.log",
	      "--run", "git init -q --bare pushed.git", "--run", "make check",
	      "--ask", "git push -q pushed.git HEAD:refs/heads/ok"]};
	  {sandbox: $sb, sandbox_expose: [$d], usage_tick_ms: 200,
	   agent_idle_timeout_ms: 3000,
	   providers: {dbl: dbl("claude"; "mock"), dcodex: dbl("codex"; "codex"),
	     dclaude: dbl("claude"; "claude")}}'
}

# body [IDLE] [PROVIDER]: a session of the double, git push gated.
body() {
	jq -n --arg path "$T/repo" --argjson idle "${1:-null}" \
	    --arg p "${2:-dbl}" '{
	  providerId: $p, villageId: "test",
	  repoRef: {provider: "local", path: $path},
	  task: {title: "t", goal: "push it"},
	  policy: ({requiresApprovalFor: ["merge"]} +
	    (if $idle == null then {} else {limits: {idleTimeoutMs: $idle}} end))}'
}

# allowed WHAT [PROVIDER DRIVER USAGE]: allow, a second turn, the idle end,
# every field checked; USAGE is the jq array of inputTokens,
# cachedInputTokens, outputTokens, reasoningTokens, costUsd expected.
allowed() {
	what=$1
	prov=${2:-dbl}
	drv=${3:-claude}
	want=${4:-[200,20,40,10,0.5]}
	api POST /api/runner/sessions "$(body null "$prov")"
	assert_eq "$STATUS" 201 "$what: start ($BODY)"
	SID=$(jq -r .sessionId <<<"$BODY")
	wait_pending "$SID"
	assert_eq "$(state_of "$SID")" WAITING_FOR_APPROVAL "$what: waiting"
	ap=$(events "$SID" | jq -c '[.[] | select(.type=="APPROVAL_REQUESTED")][0].approval')
	assert_eq "$(jq -r .context.driver <<<"$ap")" "$drv" "$what: approval context driver"
	assert_eq "$(jq -r .context.command <<<"$ap")" \
	    "git push -q pushed.git HEAD:refs/heads/ok" "$what: approval command"
	assert_eq "$(jq -r .risk <<<"$ap")" high "$what: merge is high risk"
	answer "$SID" "$AID" allow
	wait_message "$SID" 'approval allowed'
	# One decision: the push ran through the exec gate without a second ask.
	assert_eq "$(has_ref "$WS/$SID/pushed.git" refs/heads/ok)" "$HEAD" \
	    "$what: the allowed push landed"
	api POST "/api/runner/sessions/$SID/input" '{"data":"second turn please\n"}'
	assert_eq "$STATUS" 202 "$what: input accepted"
	wait_message "$SID" '^Turn 2 done: second turn please$'
	wait_ended "$SID" 30
	ev=$(events "$SID")
	api GET "/api/runner/sessions/$SID"
	st=$BODY
	assert_eq "$(jq -r .state <<<"$st")" COMPLETED "$what: state ($(jq -r .errorMessage <<<"$st"))"
	assert_eq "$(jq -r .exitCode <<<"$st")" 0 "$what: exit code"
	assert_eq "$(jq -r .finalMessage <<<"$st")" "Turn 2 done: second turn please" "$what: GET finalMessage"
	assert_eq "$(jq -r .summary <<<"$st")" "Turn 2 done: second turn please" "$what: GET summary"
	got='[.inputTokens, .cachedInputTokens, .outputTokens, .reasoningTokens, .costUsd]'
	assert_eq "$(jq -c ".usage | $got" <<<"$st")" "$want" "$what: GET usage"
	end=$(jq -c '[.[] | select(.type=="SESSION_ENDED")][0]' <<<"$ev")
	assert_eq "$(jq -c ".totalUsage | $got" <<<"$end")" "$want" "$what: SESSION_ENDED usage"
	assert_eq "$(jq -c .totalUsage.commandsRun <<<"$end")" 3 "$what: 3 tool calls"
	assert_eq "$(jq -r .finalMessage <<<"$end")" "Turn 2 done: second turn please" "$what: SESSION_ENDED finalMessage"
	jq -e --argjson w "$want" '[.[] | select(.type=="USAGE_TICK") | .units.inputTokens] | any(. == $w[0])' \
	    <<<"$ev" >/dev/null || fail "$what: no USAGE_TICK with tokens ($(jq -c '[.[] | select(.type=="USAGE_TICK") | .units]' <<<"$ev"))"
	assert_eq "$(jq '[.[] | select(.type=="APPROVAL_REQUESTED")] | length' <<<"$ev")" 1 \
	    "$what: one approval (the exec gate did not ask again)"
	fin=$(jq -c '[.[] | select(.type=="TEST_RUN_FINISHED")][0]' <<<"$ev")
	assert_eq "$(jq -c '[.command, .passed, .failed, .exitCode]' <<<"$fin")" \
	    '["make check",2,1,2]' "$what: TEST_RUN_FINISHED from the reported output"
	assert_eq "$(jq '[.[] | select(.type=="TEST_RUN_STARTED")] | length' <<<"$ev")" 1 "$what: one test run"
	[ "$(jq '[.[] | select(.type=="PROVIDER_EVENT_FORWARDED")] | length' <<<"$ev")" -ge 10 ] ||
	    fail "$what: records not forwarded"
	out=$(output "$SID")
	assert_match "$out" 'fake-proto: approval a1 allowed' "$what: stderr on the terminal"
	[ "$prov" = dbl ] && assert_match "$out" 'turn 1: ' "$what: the driver's transcript text"
	assert_match "$out" 'fake-proto ready' "$what: a non-JSON stdout line is text"
	printf '%s' "$out" | grep -Eq '"(ev|method|type|id)":' &&
	    fail "$what: a JSON record in TERMINAL_CHUNK: $out"
	log=$(cat "$WS/$SID/proto.log")
	assert_match "$log" 'second turn please' "$what: the double got the input"
	if [ "$prov" = dbl ]; then
		assert_match "$log" '"op":"answer","id":"a1","allow":true' "$what: the double got allow"
		assert_match "$log" '"op":"start"' "$what: the double got the task"
	fi
	jq -e '[.[] | select(.type=="AGENT_MESSAGE")] | length == 2' <<<"$ev" >/dev/null ||
	    fail "$what: two agent messages"
	ok "$what: approval allowed over the protocol, push not held again, second turn, usage, finalMessage, idle end COMPLETED"
}

# The mock driver stands in only in test builds (--enable-test-hooks);
# make distcheck's build runs the real drivers' parts alone.
hooks=no
grep -q '^#define RUNNERD_TEST_HOOKS 1' "$TESTS_BUILDDIR/../config.h" 2>/dev/null &&
    hooks=yes
start_daemon "$(conf false)"
if [ $hooks = yes ]; then
allowed "plain"

# Denied: the double is told, the session goes on and ends COMPLETED right
# after its turn (policy.limits.idleTimeoutMs 0).
api POST /api/runner/sessions "$(body 0)"
assert_eq "$STATUS" 201 "deny: start ($BODY)"
SID=$(jq -r .sessionId <<<"$BODY")
wait_pending "$SID"
answer "$SID" "$AID" deny
wait_ended "$SID" 30
ev=$(events "$SID")
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "deny: the session goes on ($(jq -r .errorMessage <<<"$BODY"))"
assert_eq "$(jq -r .finalMessage <<<"$BODY")" "Turn 1 done, approval denied.
Nothing else to say." "deny: finalMessage"
assert_eq "$(jq -r .summary <<<"$BODY")" "Turn 1 done, approval denied." "deny: summary is the first line"
[ -z "$(has_ref "$WS/$SID/pushed.git" refs/heads/ok)" ] || fail "deny: the push landed"
assert_match "$(cat "$WS/$SID/proto.log")" '"allow":false' "deny: the double got deny"
jq -e '[.[] | select(.type=="SESSION_STATE_CHANGED") | .newState] | index("FAILED") == null' \
    <<<"$ev" >/dev/null || fail "deny: FAILED on the way"
ok "denied over the protocol: the CLI was told, COMPLETED after its only turn"
else
	echo "ok - mock driver parts not run: built without --enable-test-hooks"
fi

# A limit above the server's is refused.
api POST /api/runner/sessions "$(body 99999999)"
assert_eq "$STATUS" 400 "idleTimeoutMs above agent_idle_timeout_ms"
assert_match "$BODY" 'idleTimeoutMs' "the error names the field"
ok "policy.limits.idleTimeoutMs is bounded by agent_idle_timeout_ms"
stop_daemon

# The real drivers (drv_codex.c, drv_claude.c) against the double's codex
# and claude dialects.
real_drivers() {
	unset RUNNERD_TEST_DRIVER
	start_daemon "$(conf false)"
	# claude's input_tokens leave out cache reads; inputTokens counts
	# every input token, as codex's does: 2 x (100 + 10).
	for d in codex:dcodex:'[200,20,40,10,null]' claude:dclaude:'[220,20,40,null,0.5]'; do
		IFS=: read -r drv prov want <<<"$d"
		api POST /api/runner/sessions "$(body 0 "$prov")"
		assert_eq "$STATUS" 201 "$drv driver: start ($BODY)"
		SID=$(jq -r .sessionId <<<"$BODY")
		for _ in $(seq 1 100); do
			api GET "/api/runner/sessions/$SID"
			st=$(jq -r .state <<<"$BODY")
			case $st in FAILED|COMPLETED|WAITING_FOR_APPROVAL) break ;; esac
			sleep 0.1
		done
		[ "$st" != FAILED ] || fail "$drv driver: FAILED: $(jq -r .errorMessage <<<"$BODY")"
		api POST "/api/runner/sessions/$SID/stop" '{}'
		wait_ended "$SID"
		allowed "$drv driver" "$prov" "$drv" "$want"
	done
	stop_daemon
	export RUNNERD_TEST_DRIVER=mock
}
real_drivers

if [ "$(id -u)" != 0 ]; then
	echo "ok - sandbox part not run: the sandbox's uid switch needs root"
	exit 0
fi
# Inside the sandbox, where the pipes pass through its init: the real
# claude driver against the double's claude dialect.
unset RUNNERD_TEST_DRIVER
start_daemon "$(conf true)"
api GET /healthz
if [ "$(jq .sandbox.layers.exec_policy.available <<<"$BODY")" != true ]; then
	echo "ok - sandbox part not run: no exec policy here"
	exit 0
fi
allowed "sandboxed" dclaude claude '[220,20,40,null,0.5]'
stop_daemon
