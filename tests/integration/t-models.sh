#!/bin/bash
# The model stand-ins of tests/models against the real pinned CLIs, with no
# runnerd in between: codex exec --json against responses.js and claude -p
# against messages.js each run a scripted shell command and file write in a
# scratch repository and end with a final message carrying chosen usage
# numbers. The files are there, the CLI's own JSON reports exactly those
# numbers, and the stand-in's log shows the tool results went back to the
# model. Also: codex's built-in openai provider reaches the stand-in by
# openai_base_url, and a request a stand-in does not know is a loud 500.
# Skipped (77) only when npm is missing or its registry is unreachable.
. "$TESTS_SRCDIR/integration/lib.sh"

install_clis

# Their state (~/.codex, ~/.claude) goes to the test dir, not the user's.
export HOME=$T/home
mkdir -p "$HOME"
KEY=sk-dummy-models-test-$$-$RANDOM
MARK=shell-ran-$$

cat >"$T/script.json" <<EOF
[
  [{"say": "Running a command."}, {"shell": "echo $MARK > shell.txt && echo $MARK"}],
  [{"write": {"path": "notes.txt", "content": "alpha\nbeta\n"}}],
  [{"say": "All done here."},
   {"usage": {"input": 1234, "cached": 567, "output": 89, "reasoning": 12}}]
]
EOF

# assert_ran DIR CLI TOOL: the script's shell step and write happened in DIR.
assert_ran() {
	assert_eq "$(cat "$1/shell.txt" 2>/dev/null)" "$MARK" "$2: the shell step's file"
	assert_eq "$(cat "$1/notes.txt" 2>/dev/null)" "alpha
beta" "$2: the written file"
	ok "$2 ran the shell command and wrote notes.txt with $3"
}

# ---- codex exec --json against responses.js, a config-defined provider.
make_repo "$T/codex"
start_model responses "$T/script.json"
(cd "$T/codex" && OPENAI_API_KEY=$KEY timeout 120 "$BIN/codex" exec --json \
    -s danger-full-access -m gpt-5.5 \
    -c model_provider=stand -c model_providers.stand.name=stand \
    -c "model_providers.stand.base_url=\"$MODEL_URL/v1\"" \
    -c model_providers.stand.wire_api=responses \
    -c model_providers.stand.supports_websockets=false \
    -c model_providers.stand.env_key=OPENAI_API_KEY \
    "Do the task." </dev/null >"$T/codex.out" 2>"$T/codex.err") ||
    fail "codex exec exited $?: $(tail -5 "$T/codex.err")"
stop_model

assert_ran "$T/codex" codex apply_patch

u=$(jq -c 'select(.type == "turn.completed") | .usage' "$T/codex.out")
assert_eq "$(jq -c '[.input_tokens, .cached_input_tokens, .output_tokens, .reasoning_output_tokens]' <<<"$u")" \
    '[1234,567,89,12]' "codex turn.completed.usage"
assert_eq "$(jq -r 'select(.type == "item.completed" and .item.type == "agent_message") | .item.text' \
    "$T/codex.out" | tail -1)" "All done here." "codex's last agent message"
jq -s -e 'any(.[]; .type == "item.completed" and .item.type == "error")' "$T/codex.out" >/dev/null &&
    fail "codex reported an error item: $(grep '"error"' "$T/codex.out" | head -3)"
ok "codex reports the usage the stand-in sent: $u"

assert_eq "$(jq -s '[.[] | select(.path == "/v1/responses" and .method == "POST")] | length' "$MODEL_LOG")" 3 \
    "codex: requests to /v1/responses"
jq -s -e 'any(.[]; .error)' "$MODEL_LOG" >/dev/null && fail "responses.js logged an error: $(jq -c 'select(.error)' "$MODEL_LOG")"
jq -s -e '.[1].body.tools | map(.name) | index("exec_command") != null' "$MODEL_LOG" >/dev/null ||
    fail "codex offered no exec_command tool: $(jq -s -c '[.[0].body.tools[].name]' "$MODEL_LOG")"
jq -s -e --arg m "$MARK" '.[1].body.input | map(select(.type == "function_call_output" and
    (.output | contains($m)))) | length == 1' "$MODEL_LOG" >/dev/null ||
    fail "the command's output did not go back to the model: $(jq -s -c '.[1].body.input[-1]' "$MODEL_LOG")"
jq -s -e '.[2].body.input | map(select(.type == "custom_tool_call_output" and
    (.output | contains("A notes.txt")))) | length == 1' "$MODEL_LOG" >/dev/null ||
    fail "apply_patch's result did not go back to the model: $(jq -s -c '.[2].body.input[-1]' "$MODEL_LOG")"
grep -qF -- "$KEY" "$MODEL_LOG" && fail "the key shows in the stand-in's log"
ok "codex sent the tool results back; the log keeps no key"

# ---- codex's built-in openai provider, pointed by openai_base_url (the
# OPENAI_BASE_URL variable is ignored in 0.169.0); its WebSocket try is
# answered 426 and it falls back to HTTP at once.
echo '[[{"say": "Built-in provider."}, {"usage": {"input": 7, "cached": 0, "output": 3, "reasoning": 0}}]]' \
    >"$T/builtin.json"
start_model responses "$T/builtin.json"
(cd "$T/codex" && OPENAI_API_KEY=$KEY timeout 60 "$BIN/codex" exec --json \
    -s danger-full-access -m gpt-5.5 -c "openai_base_url=\"$MODEL_URL/v1\"" \
    "Say something." </dev/null >"$T/codex2.out" 2>"$T/codex2.err") ||
    fail "codex exec (openai provider) exited $?: $(tail -5 "$T/codex2.err")"
stop_model
assert_eq "$(jq -c 'select(.type == "turn.completed") | [.usage.input_tokens, .usage.output_tokens]' "$T/codex2.out")" \
    '[7,3]' "codex (openai provider) usage"
jq -s -e 'any(.[]; .method == "GET" and .path == "/v1/responses")' "$MODEL_LOG" >/dev/null ||
    fail "codex made no WebSocket try; the README says it does"
ok "codex's openai provider with -c openai_base_url works; it tries a WebSocket first"

# ---- claude -p against messages.js.
make_repo "$T/claude"
start_model messages "$T/script.json"
# IS_SANDBOX=1: as root, --dangerously-skip-permissions is refused without it.
(cd "$T/claude" && IS_SANDBOX=1 ANTHROPIC_API_KEY=$KEY ANTHROPIC_BASE_URL=$MODEL_URL \
    DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    timeout 120 "$BIN/claude" -p --output-format stream-json --verbose \
    --dangerously-skip-permissions "Do the task." </dev/null >"$T/claude.out" 2>"$T/claude.err") ||
    fail "claude exited $?: $(tail -5 "$T/claude.err") $(tail -2 "$T/claude.out")"
stop_model

assert_ran "$T/claude" claude Write

r=$(jq -c 'select(.type == "result")' "$T/claude.out")
assert_eq "$(jq -c '.usage | [.input_tokens, .cache_read_input_tokens, .output_tokens]' <<<"$r")" \
    '[1234,567,89]' "claude result.usage"
assert_eq "$(jq -r '[.subtype, .result, .is_error] | join(" ")' <<<"$r")" "success All done here. false" \
    "claude result"
ok "claude reports the usage the stand-in sent; cost $(jq -r .total_cost_usd <<<"$r") USD"

jq -s -e 'any(.[]; .error)' "$MODEL_LOG" >/dev/null && fail "messages.js logged an error: $(jq -c 'select(.error)' "$MODEL_LOG")"
n=$(jq -s '[.[] | select(.path == "/v1/messages" and (.body.tools | length) > 0)] | length' "$MODEL_LOG")
assert_eq "$n" 3 "claude: agent requests to /v1/messages"
jq -s -e --arg m "$MARK" '[.[] | select(.path == "/v1/messages") | .body.messages[-1].content |
    arrays | .[] | select(.type == "tool_result") | .content | tostring | select(contains($m))] |
    length == 1' "$MODEL_LOG" >/dev/null ||
    fail "the Bash output did not go back to the model"
jq -s -e '[.[] | select(.path == "/v1/messages") | .body.messages[-1].content | arrays | .[] |
    select(.type == "tool_result") | .content | tostring | select(contains("notes.txt"))] |
    length == 1' "$MODEL_LOG" >/dev/null ||
    fail "the Write result did not go back to the model"
grep -qF -- "$KEY" "$MODEL_LOG" && fail "the key shows in the stand-in's log"
ok "claude sent the tool results back; the log keeps no key"

# ---- A request the stand-in does not know: 500 and a log line, no hang.
start_model messages "$T/script.json"
st=$(curl -sS -m 10 -o "$T/resp" -w '%{http_code}' -X POST "$MODEL_URL/v1/complete" -d '{}') ||
    fail "curl to the stand-in failed"
assert_eq "$st" 500 "an unknown path"
st=$(curl -sS -m 10 -o "$T/resp" -w '%{http_code}' -X POST "$MODEL_URL/v1/messages" \
    -H 'Content-Type: application/json' -d '{"model": "x"}') || fail "curl to the stand-in failed"
assert_eq "$st" 500 "a Messages request without messages"
assert_eq "$(jq -s '[.[] | select(.error)] | length' "$MODEL_LOG")" 2 "error lines in the log"
stop_model
ok "a stand-in answers what it does not understand with 500 and a log line"

# ---- The structured protocols the drivers speak (tests/models/converse.js):
# each CLI asks before each of three tool calls; allow, deny, allow.
cat >"$T/ask.json" <<EOF2
[
  [{"shell": "echo one > one.txt"}],
  [{"shell": "echo two > two.txt"}],
  [{"write": {"path": "three.txt", "content": "3\n"}}],
  [{"say": "Finished."}, {"usage": {"input": 11, "cached": 2, "output": 5, "reasoning": 1}}]
]
EOF2

# assert_asked DIR: one.txt and three.txt written, two.txt refused.
assert_asked() {
	assert_eq "$(cat "$1/one.txt" 2>/dev/null)" one "$1: the allowed command's file"
	[ -e "$1/two.txt" ] && fail "$1: the denied command ran"
	assert_eq "$(cat "$1/three.txt" 2>/dev/null)" 3 "$1: the allowed write"
}

make_repo "$T/app"
start_model responses "$T/ask.json"
(cd "$T/app" && OPENAI_API_KEY=$KEY timeout 120 node "$TESTS_SRCDIR/models/converse.js" codex \
    --decisions allow,deny,allow -- "$BIN/codex" app-server -c 'model="gpt-5.5"' \
    -c model_provider=stand -c model_providers.stand.name=stand \
    -c "model_providers.stand.base_url=\"$MODEL_URL/v1\"" \
    -c model_providers.stand.wire_api=responses \
    -c model_providers.stand.supports_websockets=false \
    -c model_providers.stand.env_key=OPENAI_API_KEY \
    >"$T/app.out" 2>"$T/app.err") || fail "codex app-server: $(tail -3 "$T/app.out" "$T/app.err")"
stop_model
assert_asked "$T/app"
rx() { sed -n 's/^<< //p' "$1"; }
assert_eq "$(rx "$T/app.out" | jq -r 'select(.id != null and .method != null) | .method' | tr '\n' ' ')" \
    "item/commandExecution/requestApproval item/commandExecution/requestApproval item/fileChange/requestApproval " \
    "codex app-server's approval requests"
assert_eq "$(rx "$T/app.out" | jq -r 'select(.method == "item/completed" and .params.item.type == "commandExecution") |
    .params.item.status' | tr '\n' ' ')" "completed declined " "codex: the commands' status"
assert_eq "$(rx "$T/app.out" | jq -c 'select(.method == "thread/tokenUsage/updated") | .params.tokenUsage.total |
    [.inputTokens, .cachedInputTokens, .outputTokens, .reasoningOutputTokens]' | tail -1)" '[11,2,5,1]' \
    "codex app-server's token usage"
assert_eq "$(rx "$T/app.out" | jq -r 'select(.method == "turn/completed") | .params.turn.items[] |
    select(.type == "agentMessage") | .text')" Finished. "codex app-server's final message"
jq -s -e '[.[] | .body.input? // [] | .[] | select(.type == "function_call_output") | .output |
    select(contains("rejected by user"))] | length >= 1' "$MODEL_LOG" >/dev/null ||
    fail "codex did not tell the model of the denial"
ok "codex app-server: approvals asked, allow ran, deny told the model, usage and final message"

make_repo "$T/sdk"
start_model messages "$T/ask.json"
(cd "$T/sdk" && ANTHROPIC_API_KEY=$KEY ANTHROPIC_BASE_URL=$MODEL_URL \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 timeout 120 \
    node "$TESTS_SRCDIR/models/converse.js" claude --decisions allow,deny,allow -- \
    "$BIN/claude" -p --input-format stream-json --output-format stream-json --verbose \
    --permission-prompt-tool stdio >"$T/sdk.out" 2>"$T/sdk.err") ||
    fail "claude stream-json: $(tail -3 "$T/sdk.out" "$T/sdk.err")"
stop_model
assert_asked "$T/sdk"
assert_eq "$(rx "$T/sdk.out" | jq -r 'select(.type == "control_request") | .request |
    "\(.subtype):\(.tool_name)"' | tr '\n' ' ')" "can_use_tool:Bash can_use_tool:Bash can_use_tool:Write " \
    "claude's permission requests"
r=$(rx "$T/sdk.out" | jq -c 'select(.type == "result")')
assert_eq "$(jq -c '[.usage.input_tokens, .usage.cache_read_input_tokens, .usage.output_tokens, .result]' <<<"$r")" \
    '[11,2,5,"Finished."]' "claude stream-json result"
jq -s -e '[.[] | .body.messages? // [] | .[-1].content | arrays | .[] |
    select(.type == "tool_result" and .is_error == true) | .content | tostring |
    select(contains("Denied by the person watching."))] | length >= 1' "$MODEL_LOG" >/dev/null ||
    fail "claude did not tell the model of the denial"
ok "claude stream-json: can_use_tool asked, allow ran, deny told the model, usage and result"
