#!/bin/bash
# The real codex and claude, pinned in tests/clis, driven through runnerd by
# their structured protocols (codex app-server, claude stream-json with its
# control requests) against the model stand-ins of tests/models, sandbox on,
# in open and in restricted network mode with the stand-in allowlisted by
# its loopback address. Configured by the request's env alone. Each session:
# the CLI's own approval for a command surfaces as APPROVAL_REQUESTED; an
# allowed command runs in the workspace, a denied one does not and the CLI
# tells its model; a file edit shows in FILE_TOUCHED and DIFF_SUMMARY;
# input is a second turn; the token usage the stand-in sent is in
# USAGE_TICK, SESSION_ENDED and GET; the final message is on GET; the
# terminal carries a transcript, never the protocol's JSON; the key shows
# nowhere; idle after its last turn the session ends COMPLETED. Skipped
# (77) only when npm cannot install the CLIs.
. "$TESTS_SRCDIR/integration/lib.sh"

install_clis
export HOME=$T/home
mkdir -p "$HOME"
KEY=sk-runnerd-agents-$$-$RANDOM
make_repo "$T/repo"

# One script for both CLIs: a command to allow, one to deny, a file to
# write, the final answer; then the second turn's answer.
cat >"$T/script.json" <<'EOF'
[
  [{"say": "Starting."}, {"shell": "echo allowed > allowed.txt"},
   {"usage": {"input": 100, "cached": 10, "output": 5, "reasoning": 1}}],
  [{"shell": "echo denied > denied.txt"},
   {"usage": {"input": 200, "cached": 20, "output": 6, "reasoning": 2}}],
  [{"write": {"path": "notes.txt", "content": "alpha\nbeta\n"}},
   {"usage": {"input": 300, "cached": 30, "output": 7, "reasoning": 3}}],
  [{"say": "All done with the first turn."},
   {"usage": {"input": 400, "cached": 40, "output": 8, "reasoning": 4}}],
  [{"say": "Second answer, after the follow-up."},
   {"usage": {"input": 500, "cached": 50, "output": 9, "reasoning": 5}}]
]
EOF

# events_of SID TYPE: that session's events of a type, as a JSON array.
events_of() {
	events "$1" | jq -c --arg t "$2" '[.[] | select(.type == $t)]'
}

# wait_event SID JQ-FILTER WHAT: until an event matches the filter.
wait_event() {
	for _ in $(seq 1 600); do
		events "$1" | jq -e "[.[] | select($2)] | length > 0" >/dev/null &&
		    return 0
		events "$1" | jq -e '.[] | select(.type == "SESSION_ENDED")' \
		    >/dev/null && break
		sleep 0.1
	done
	api GET "/api/runner/sessions/$1"
	fail "$3: not seen (state $(jq -r .state <<<"$BODY"): $(jq -r .errorMessage <<<"$BODY"); last events $(events "$1" | jq -c '[.[-6:][] | {type, newState, text, data}]'))"
}

# approval SID N: the Nth APPROVAL_REQUESTED's approval object.
approval() {
	wait_event "$1" '.type == "APPROVAL_REQUESTED"' "approval $2" >/dev/null
	for _ in $(seq 1 600); do
		a=$(events_of "$1" APPROVAL_REQUESTED | jq -c ".[$2 - 1].approval // empty")
		[ -n "$a" ] && { printf '%s\n' "$a"; return 0; }
		sleep 0.1
	done
	fail "no approval $2 in session $1"
}

# run PROVIDER NETMODE: one whole session; sets SID.
run() {
	local prov=$1 mode=$2 env a1 a2 id
	start_model "$3" "$T/script.json"
	if [ "$prov" = codex ]; then
		env=$(jq -n --arg k "$KEY" --arg u "$MODEL_URL/v1" \
		    '{OPENAI_API_KEY: $k, OPENAI_BASE_URL: $u}')
	else
		env=$(jq -n --arg k "$KEY" --arg u "$MODEL_URL" \
		    '{ANTHROPIC_API_KEY: $k, ANTHROPIC_BASE_URL: $u,
		      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1"}')
	fi
	port=${MODEL_URL##*:}
	start_daemon "$(jq -n --arg p "$BIN:$PATH" --arg a "127.0.0.1:$port" '
	    {agent_path: $p, sandbox: true, usage_tick_ms: 300,
	     agent_idle_timeout_ms: 60000, network_allowlist: [$a],
	     providers: {codex: {model: "gpt-5.5",
	       extra_args: ["-c", "features.plugins=false"]}}}')"
	start_session 'x' "$T/repo" "
	    .providerId = \"$prov\" |
	    .task = {title: \"Notes\", goal: \"Write notes.txt.\"} |
	    .env = $env |
	    .policy = {networkMode: \"$mode\", requiresApprovalFor: [\"shell\"],
	      limits: {idleTimeoutMs: 4000}}"
	what="$prov ($mode)"

	# The first command: asked, allowed.
	a1=$(approval "$SID" 1) || exit 1
	assert_eq "$(jq -r .category <<<"$a1")" shell "$what: approval 1 category"
	jq -e '.summary | contains("allowed.txt")' <<<"$a1" >/dev/null ||
	    fail "$what: approval 1 summary: $a1"
	assert_eq "$(state_of "$SID")" WAITING_FOR_APPROVAL "$what: state while asked"
	id=$(jq -r .approvalId <<<"$a1")
	api POST "/api/runner/sessions/$SID/approvals/$id" '{"decision":"allow"}'
	assert_eq "$STATUS" 200 "$what: allow ($BODY)"

	# The second: asked, denied with a note the CLI passes on.
	a2=$(approval "$SID" 2) || exit 1
	jq -e '.summary | contains("denied.txt")' <<<"$a2" >/dev/null ||
	    fail "$what: approval 2 summary: $a2"
	id=$(jq -r .approvalId <<<"$a2")
	api POST "/api/runner/sessions/$SID/approvals/$id" \
	    '{"decision":"deny","note":"not this one"}'
	assert_eq "$STATUS" 200 "$what: deny ($BODY)"

	# The first turn's answer, then a follow-up as input: a second turn.
	wait_event "$SID" '.type == "AGENT_MESSAGE" and (.text | contains("first turn"))' \
	    "$what: first turn's message"
	api POST "/api/runner/sessions/$SID/input" '{"data":"Please go on.\n"}'
	assert_eq "$STATUS" 202 "$what: input ($BODY)"
	wait_event "$SID" '.type == "AGENT_MESSAGE" and (.text | contains("Second answer"))' \
	    "$what: second turn's message"
	wait_ended "$SID" 60
	api GET "/api/runner/sessions/$SID"
	ST=$BODY
	EV=$(events "$SID")
	assert_eq "$(jq -r .state <<<"$ST")" COMPLETED "$what: final state ($(jq -r .errorMessage <<<"$ST"))"
	assert_seq_contiguous "$SID"
	stop_model
}

# check PROVIDER: what both network modes must show.
check() {
	local prov=$1 files want got
	files=$(jq -c '[.[] | select(.type == "FILE_TOUCHED") | .path] | unique' <<<"$EV")
	jq -e 'index("allowed.txt") != null and index("notes.txt") != null' \
	    <<<"$files" >/dev/null || fail "$what: FILE_TOUCHED $files"
	jq -e 'index("denied.txt") == null' <<<"$files" >/dev/null ||
	    fail "$what: the denied command ran: $files"
	jq -e '[.[] | select(.type == "DIFF_SUMMARY")][-1].files | map(.path) |
	    index("allowed.txt") != null and index("notes.txt") != null' \
	    <<<"$EV" >/dev/null || fail "$what: DIFF_SUMMARY $(jq -c '[.[] | select(.type == "DIFF_SUMMARY")][-1]' <<<"$EV")"

	# The model heard of the denial, in the CLI's own words.
	if [ "$prov" = codex ]; then
		grep -q 'rejected by user' "$MODEL_LOG" ||
		    fail "$what: codex did not tell its model of the denial"
	else
		grep -q 'not this one' "$MODEL_LOG" ||
		    fail "$what: claude did not pass the note to its model"
	fi

	# Usage: what the stand-in sent, summed. claude's input_tokens leave
	# cache reads out; inputTokens counts every input token, as codex's.
	# claude reports its thinking tokens (none here), not reasoning ones.
	got='[.inputTokens, .cachedInputTokens, .outputTokens, .reasoningTokens]'
	if [ "$prov" = codex ]; then
		want='[1500,150,35,15]'
	else
		want='[1650,150,35,0]'
	fi
	end=$(jq -c '[.[] | select(.type == "SESSION_ENDED")][0]' <<<"$EV")
	assert_eq "$(jq -c ".totalUsage | $got" <<<"$end")" "$want" "$what: SESSION_ENDED usage"
	assert_eq "$(jq -c ".usage | $got" <<<"$ST")" "$want" "$what: GET usage"
	jq -e '[.[] | select(.type == "USAGE_TICK") | .units.inputTokens] |
	    map(select(. != null and . > 0)) | length > 0' <<<"$EV" >/dev/null ||
	    fail "$what: no USAGE_TICK carries tokens"
	if [ "$prov" = claude_code ]; then
		# claude prices its own tokens: the last result's cost.
		cost=$(jq '[.[] | select(.type == "PROVIDER_EVENT_FORWARDED") |
		    .providerEvent | select(.type == "result") |
		    .total_cost_usd][-1]' <<<"$EV")
		assert_eq "$(jq .totalUsage.costUsd <<<"$end")" "$cost" "$what: costUsd"
	fi
	# Tool calls, not the CLI's start-up execs.
	n=$(jq .totalUsage.commandsRun <<<"$end")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "$what: commandsRun $n"

	assert_eq "$(jq -r .finalMessage <<<"$ST")" "Second answer, after the follow-up." \
	    "$what: GET finalMessage"
	assert_eq "$(jq -r .finalMessage <<<"$end")" "Second answer, after the follow-up." \
	    "$what: SESSION_ENDED finalMessage"

	# The terminal is a transcript: the commands and the answers, no JSON.
	term=$(jq -r '[.[] | select(.type == "TERMINAL_CHUNK") | .data] | join("")' <<<"$EV")
	grep -q 'allowed.txt' <<<"$term" || fail "$what: the transcript lacks the command: $term"
	grep -q 'Second answer' <<<"$term" || fail "$what: the transcript lacks the answer"
	if grep -Eq '"(method|jsonrpc|type|request_id)" *:' <<<"$term"; then
		fail "$what: protocol JSON in TERMINAL_CHUNK: $(grep -E '"(method|type)"' <<<"$term" | head -3)"
	fi
	grep -q 'Refusing to create helper binaries' <<<"$term" &&
	    fail "$what: codex's /tmp HOME warning in the terminal"

	# The key, nowhere.
	grep -qF -- "$KEY" <<<"$EV$ST" && fail "$what: the key shows in the API"
	ok "$what: allow ran, deny told, edit diffed, 2 turns, usage $want, final message, transcript without JSON"
}

for prov in codex claude_code; do
	model=responses
	[ "$prov" = codex ] || model=messages
	for mode in open restricted; do
		run "$prov" "$mode" "$model"
		check "$prov"
		stop_daemon
		hits=$(grep -rlF -- "$KEY" "$STATE" "$T/runnerd.log" "$T/runnerd.out" 2>/dev/null)
		[ -z "$hits" ] || fail "$what: the key was written to: $hits"
	done
done

# claude under a shell allowlist: its Bash wraps each command in a shell
# and its own helpers run too; the allowlist must see the command inside
# the wrapper (ls, git run) and refuse what it does not list (touch), with
# an ALERT, the session going on to its answer.
cat >"$T/script-allow.json" <<'EOF2'
[
  [{"shell": "ls"}],
  [{"shell": "git status --short"}],
  [{"shell": "touch blocked.txt"}],
  [{"say": "Allowlist done."}]
]
EOF2
start_model messages "$T/script-allow.json"
start_daemon "$(jq -n --arg p "$BIN:$PATH" --arg a "127.0.0.1:${MODEL_URL##*:}" '
    {agent_path: $p, sandbox: true, network_allowlist: [$a]}')"
start_session 'x' "$T/repo" "
    .providerId = \"claude_code\" | .task = {title: \"Look\", goal: \"Look around.\"} |
    .env = {ANTHROPIC_API_KEY: \"$KEY\", ANTHROPIC_BASE_URL: \"$MODEL_URL\",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: \"1\"} |
    .policy = {networkMode: \"restricted\", shellAllowlist: [\"ls\", \"git\", \"make\"],
      limits: {idleTimeoutMs: 0}}"
wait_ended "$SID" 120
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "allowlist: final state ($(jq -r .errorMessage <<<"$BODY"))"
assert_eq "$(jq -r .finalMessage <<<"$BODY")" "Allowlist done." "allowlist: finalMessage"
EV=$(events "$SID")
results=$(jq -c '[.[] | select(.type == "PROVIDER_EVENT_FORWARDED") | .providerEvent |
    select(.type == "user") | .message.content[]? | select(.type == "tool_result") |
    {e: (.is_error // false), c: (.content | tostring)}]' <<<"$EV")
jq -e '.[0].e == false and (.[0].c | contains("README.md"))' <<<"$results" >/dev/null ||
    fail "allowlist: ls did not run: $results"
jq -e '.[1].e == false' <<<"$results" >/dev/null || fail "allowlist: git status did not run: $results"
jq -e '.[2].e == true' <<<"$results" >/dev/null || fail "allowlist: touch was not refused: $results"
jq -e '[.[] | select(.type == "FILE_TOUCHED") | .path] | index("blocked.txt") == null' \
    <<<"$EV" >/dev/null || fail "allowlist: touch ran"
jq -e '[.[] | select(.type == "ALERT_RAISED" and .category == "policy") |
    .description] | any(contains("touch"))' <<<"$EV" >/dev/null ||
    fail "allowlist: no policy ALERT for touch: $(jq -c '[.[] | select(.type == "ALERT_RAISED") | .title]' <<<"$EV")"
stop_daemon
stop_model
ok "claude under shellAllowlist [ls, git, make]: ls and git ran through its wrapper, touch refused with an ALERT"

# Nobody answers codex's approval: it holds (no give-up window of codex's
# own) until approval_timeout_ms, is denied with an ALERT, codex is told and
# goes on to its answer.
cat >"$T/script-late.json" <<'EOF2'
[
  [{"shell": "echo late > late.txt"}],
  [{"say": "Gave up on it."}]
]
EOF2
start_model responses "$T/script-late.json"
start_daemon "$(jq -n --arg p "$BIN:$PATH" --arg a "127.0.0.1:${MODEL_URL##*:}" '
    {agent_path: $p, sandbox: true, network_allowlist: [$a],
     approval_timeout_ms: 20000,
     providers: {codex: {model: "gpt-5.5",
       extra_args: ["-c", "features.plugins=false"]}}}')"
start_session 'x' "$T/repo" "
    .providerId = \"codex\" | .task = {title: \"Late\", goal: \"Try.\"} |
    .env = {OPENAI_API_KEY: \"$KEY\", OPENAI_BASE_URL: \"$MODEL_URL/v1\"} |
    .policy = {networkMode: \"restricted\", requiresApprovalFor: [\"shell\"],
      limits: {idleTimeoutMs: 0}}"
a=$(approval "$SID" 1) || exit 1
t0=$(date +%s)
wait_ended "$SID" 120
waited=$(( $(date +%s) - t0 ))
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "timeout: final state ($(jq -r .errorMessage <<<"$BODY"))"
assert_eq "$(jq -r .finalMessage <<<"$BODY")" "Gave up on it." "timeout: codex went on"
EV=$(events "$SID")
assert_eq "$(jq -c '[.[] | select(.type == "APPROVAL_RESOLVED") | [.decision, .resolvedBy]]' <<<"$EV")" \
    '[["deny","timeout"]]' "timeout: resolved"
jq -e '[.[] | select(.type == "ALERT_RAISED") | .title] | index("approval timed out") != null' \
    <<<"$EV" >/dev/null || fail "timeout: no ALERT"
jq -e '[.[] | select(.type == "FILE_TOUCHED") | .path] | index("late.txt") == null' \
    <<<"$EV" >/dev/null || fail "timeout: the command ran"
[ "$waited" -ge 15 ] || fail "timeout: the session ended after ${waited}s, before approval_timeout_ms"
stop_daemon
stop_model
ok "codex's approval held ${waited}s until approval_timeout_ms (20 s): denied, ALERT, codex went on, COMPLETED"

# codex without its app-server driver (driver "none": what a version
# without app-server gets): the one-shot `codex exec --json`, pointed at
# the endpoint by OPENAI_BASE_URL alone, its own sandbox off, runs the
# task and ends COMPLETED (restricted network, the stand-in allowlisted);
# its records are forwarded, not terminal text.
cat >"$T/script-exec.json" <<'EOF2'
[
  [{"shell": "echo ran > ran.txt"}],
  [{"write": {"path": "exec.txt", "content": "one shot\n"}}],
  [{"say": "One shot done."}, {"usage": {"input": 70, "cached": 7, "output": 3}}]
]
EOF2
start_model responses "$T/script-exec.json"
start_daemon "$(jq -n --arg p "$BIN:$PATH" --arg a "127.0.0.1:${MODEL_URL##*:}" '
    {agent_path: $p, sandbox: true, network_allowlist: [$a],
     providers: {codex: {model: "gpt-5.5", driver: "none",
       extra_args: ["-c", "features.plugins=false"]}}}')"
start_session 'x' "$T/repo" "
    .providerId = \"codex\" | .task = {title: \"One shot\", goal: \"Do it.\"} |
    .env = {OPENAI_API_KEY: \"$KEY\", OPENAI_BASE_URL: \"$MODEL_URL/v1\"}"
wait_ended "$SID" 120
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "exec --json: final state ($(jq -r .errorMessage <<<"$BODY"))"
EV=$(events "$SID")
files=$(jq -c '[.[] | select(.type == "FILE_TOUCHED") | .path] | unique' <<<"$EV")
jq -e 'index("ran.txt") != null and index("exec.txt") != null' <<<"$files" >/dev/null ||
    fail "exec --json: FILE_TOUCHED $files"
jq -e '[.[] | select(.type == "PROVIDER_EVENT_FORWARDED") | .providerEvent |
    select(.type == "turn.completed") | .usage.input_tokens] == [70]' <<<"$EV" >/dev/null ||
    fail "exec --json: no turn.completed with the stand-in's usage"
term=$(jq -r '[.[] | select(.type == "TERMINAL_CHUNK") | .data] | join("")' <<<"$EV")
grep -q '"type":"turn.completed"' <<<"$term" &&
    fail "exec --json: JSON records in the terminal"
grep -qF -- "$KEY" <<<"$EV" && fail "exec --json: the key shows in the events"
stop_daemon
stop_model
ok "codex exec --json (driver none): endpoint by env, files written, records forwarded, COMPLETED"

# codex's own sandbox asked for inside runnerd's: a clear failure at start,
# not a session whose every tool fails.
start_daemon "$(jq -n --arg p "$BIN:$PATH" '
    {agent_path: $p, sandbox: true,
     providers: {codex: {extra_args: ["-s", "workspace-write"]}}}')"
start_session 'x' "$T/repo" "
    .providerId = \"codex\" | .env = {OPENAI_API_KEY: \"$KEY\"}"
wait_ended "$SID" 60
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "codex -s workspace-write in the sandbox"
jq -e '.errorMessage | contains("codex'"'"'s own sandbox (workspace-write) cannot run inside runnerd'"'"'s")' \
    <<<"$BODY" >/dev/null || fail "codex's own sandbox: errorMessage $(jq -r .errorMessage <<<"$BODY")"
stop_daemon
ok "codex's own sandbox inside runnerd's: FAILED, $(jq -r .errorMessage <<<"$BODY" | cut -c1-80)..."
