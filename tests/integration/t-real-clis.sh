#!/bin/bash
# The real agent CLIs, pinned in tests/clis (package.json + lockfile):
# `runnerd --probe-provider` finds codex and claude, reads the pinned
# versions, detects their features and builds the argv a task gets; then a
# real codex session (with a dummy OPENAI_API_KEY, so it cannot do real
# work) reaches RUNNING with its version recorded, and ends, stopped if need
# be, without the key ever showing. Skipped (77) only when npm is missing or
# the npm registry cannot be reached.
. "$TESTS_SRCDIR/integration/lib.sh"

install_clis

# Their state (~/.codex, ~/.claude) goes to the test dir, not the user's.
export HOME=$T/home
mkdir -p "$HOME"

# The one-shot argv of each built-in, as when it is forced (driver "none").
jq -n '{providers: {
  codex: {command: "codex", builtin: 1, version_args: ["--version"],
    help_args: ["--help"], driver: "none"},
  claude_code: {command: "claude", builtin: 1, version_args: ["--version"],
    help_args: ["--help"], output: "jsonl", driver: "none"}}}' >"$T/oneshot.conf"

# probe NAME [CONFIG]: the probe's JSON in p.
probe() {
	"$RUNNERD" --probe-provider "$1" --path "$BIN:$PATH" ${2:+-c "$2"} \
	    >"$T/probe-$1" 2>"$T/probe-$1.err" ||
	    fail "probe $1: $(cat "$T/probe-$1" "$T/probe-$1.err")"
	p=$(cat "$T/probe-$1")
}

probe codex
assert_eq "$(jq -r .found <<<"$p")" true "codex found"
assert_eq "$(jq -r .path <<<"$p")" "$BIN/codex" "codex path"
assert_eq "$(jq -r .version <<<"$p")" "$CODEX_V" "codex version"
for f in exec json model app-server; do
	jq -e --arg f "$f" '.features | index($f) != null' <<<"$p" >/dev/null ||
	    fail "codex: feature $f not detected: $(jq -c .features <<<"$p")"
done
assert_eq "$(jq -r .driver <<<"$p")" codex "codex is driven through app-server"
# The stand-in driver (before drv_codex.c is merged) gives the command alone.
STUB=no
if [ "$(jq '.argv | length' <<<"$p")" -gt 1 ]; then
	jq -e '.argv | index("app-server") != null' <<<"$p" >/dev/null ||
	    fail "codex driver argv has no app-server: $(jq -c .argv <<<"$p")"
else
	STUB=yes
fi
ok "probe codex: $CODEX_V, features $(jq -c .features <<<"$p"), driver codex, argv $(jq -c .argv <<<"$p")"
probe codex "$T/oneshot.conf"
assert_eq "$(jq -r .driver <<<"$p")" none "codex with driver none"
jq -e '.argv | index("exec") != null' <<<"$p" >/dev/null || fail "codex argv has no exec: $(jq -c .argv <<<"$p")"
jq -e '.argv | index("--json") != null' <<<"$p" >/dev/null || fail "codex argv has no --json: $(jq -c .argv <<<"$p")"
assert_match "$(jq -r '.argv[-1]' <<<"$p")" '^Task: Add a README' "codex: the prompt is the last argument"
jq -e '.argv[-1] | contains("Write a short README.md")' <<<"$p" >/dev/null || fail "codex: the prompt lacks the goal"
ok "probe codex: $CODEX_V, features $(jq -c .features <<<"$p"), argv $(jq -c '.argv[:-1]' <<<"$p") + prompt"

probe claude_code
assert_eq "$(jq -r .found <<<"$p")" true "claude found"
assert_eq "$(jq -r .path <<<"$p")" "$BIN/claude" "claude path"
assert_eq "$(jq -r .version <<<"$p")" "$CLAUDE_V" "claude version"
for f in print stream-json verbose allowedTools input-stream-json; do
	jq -e --arg f "$f" '.features | index($f) != null' <<<"$p" >/dev/null ||
	    fail "claude: feature $f not detected: $(jq -c .features <<<"$p")"
done
assert_eq "$(jq -r .driver <<<"$p")" claude "claude is driven through stream-json"
if [ "$(jq '.argv | length' <<<"$p")" -gt 1 ]; then
	jq -e '.argv | index("--input-format") != null and index("stream-json") != null' \
	    <<<"$p" >/dev/null || fail "claude driver argv: $(jq -c .argv <<<"$p")"
fi
ok "probe claude_code: driver claude, argv $(jq -c .argv <<<"$p")"
probe claude_code "$T/oneshot.conf"
assert_eq "$(jq -r .driver <<<"$p")" none "claude with driver none"
jq -e '.argv | index("-p") != null and index("stream-json") != null' <<<"$p" >/dev/null ||
    fail "claude argv: $(jq -c .argv <<<"$p")"
jq -e '.argv | (index("--output-format") + 1) as $i | .[$i] == "stream-json"' <<<"$p" >/dev/null ||
    fail "claude argv: --output-format is not followed by stream-json: $(jq -c .argv <<<"$p")"
jq -e '.argv | (index("-p") + 1) as $i | .[$i] | startswith("Task: Add a README")' <<<"$p" >/dev/null ||
    fail "claude argv: -p is not followed by the prompt: $(jq -c .argv <<<"$p")"
ok "probe claude_code: $CLAUDE_V, features $(jq -c .features <<<"$p")"

rc=0
"$RUNNERD" --probe-provider codex --path "$T/home" >"$T/probe-none" 2>"$T/probe-none.err" || rc=$?
[ $rc -ne 0 ] || fail "probe of codex off PATH exited 0"
assert_eq "$(head -1 "$T/probe-none" | jq -r .found)" false "probe of codex off PATH"
ok "probe of a CLI that is not on the path: found false, exit $rc"

# A real codex session. It cannot reach its service with a dummy key: it
# fails, exits or waits; whichever, it is stopped after 20 s.
DUMMY=sk-dummy-runnerd-test-$$-$RANDOM
make_repo "$T/repo"
# Through the app-server driver; the one-shot argv while it is a stand-in.
if [ "$STUB" = yes ]; then
	start_daemon "$(jq -n --arg p "$BIN:$PATH" --slurpfile c "$T/oneshot.conf" \
	    '{agent_path: $p} + $c[0]')"
else
	start_daemon "$(jq -n --arg p "$BIN:$PATH" '{agent_path: $p}')"
fi
start_session 'x' "$T/repo" \
    ".providerId = \"codex\" | .task = {title: \"Say hello\", goal: \"Print hello and stop.\"} | .env = {OPENAI_API_KEY: \"$DUMMY\"}"
sid=$SID
for _ in $(seq 1 300); do
	ev=$(events "$sid")
	jq -e '.[] | select(.type == "SESSION_STATE_CHANGED" and .newState == "RUNNING")' \
	    <<<"$ev" >/dev/null && break
	jq -e '.[] | select(.type == "SESSION_ENDED")' <<<"$ev" >/dev/null && break
	sleep 0.1
done
jq -e '.[] | select(.type == "SESSION_STATE_CHANGED" and .newState == "RUNNING")' <<<"$ev" >/dev/null ||
    fail "the codex session never reached RUNNING: $(state_of "$sid"), $(api GET "/api/runner/sessions/$sid"; jq -r .errorMessage <<<"$BODY")"
assert_eq "$(jq -r '.[] | select(.type == "SESSION_STARTED") | .providerVersion' <<<"$ev")" "$CODEX_V" \
    "SESSION_STARTED.providerVersion"
assert_eq "$(jq -r '.[] | select(.type == "SESSION_STARTED") | .providerId' <<<"$ev")" codex \
    "SESSION_STARTED.providerId"
ok "codex session RUNNING, SESSION_STARTED.providerVersion $CODEX_V"

stopped=no
for _ in $(seq 1 200); do
	events "$sid" | jq -e '.[] | select(.type == "SESSION_ENDED")' >/dev/null && break
	sleep 0.1
done
if ! events "$sid" | jq -e '.[] | select(.type == "SESSION_ENDED")' >/dev/null; then
	stopped=yes
	api POST "/api/runner/sessions/$sid/stop" '{"graceful":true}'
	assert_eq "$STATUS" 202 "stop of the codex session"
fi
wait_ended "$sid" 30
api GET "/api/runner/sessions/$sid"
final=$(jq -r .state <<<"$BODY")
assert_match "$final" '^(COMPLETED|FAILED)$' "codex session final state"
assert_seq_contiguous "$sid"
ev=$(events "$sid")
assert_eq "$(jq -r '.[-1].type' <<<"$ev")" SESSION_ENDED "codex session last event"
[ "$(jq '[.[] | select(.type == "TERMINAL_CHUNK" or .type == "PROVIDER_EVENT_FORWARDED")] | length' <<<"$ev")" -gt 0 ] ||
    fail "the codex session produced no output at all"
grep -qF -- "$DUMMY" <<<"$ev" && fail "the dummy key shows in the events"
grep -qF -- "$DUMMY" <<<"$BODY" && fail "the dummy key shows in GET session"
stop_daemon
hits=$(grep -rlF -- "$DUMMY" "$STATE" "$T/runnerd.log" "$T/runnerd.out" 2>/dev/null)
[ -z "$hits" ] || fail "the dummy key was written to: $hits"
ok "codex session ended $final (stopped by the test: $stopped): $(jq -r .errorMessage <<<"$BODY"); the key never shows"
