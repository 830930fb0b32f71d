#!/bin/bash
# The sandbox (DESIGN 9): a hostile fake agent cannot write outside its
# workspace, see other sessions or runnerd's state, signal or ptrace
# anything outside, mount, or type into its terminal; it runs as uid 65534
# under an init of its own, writes where it may (workspace, HOME, /tmp),
# and those writes are reported. How it ends (signals included) is told
# right. /healthz lists the layers; sandbox_required fails closed (503).
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "the sandbox's uid switch needs root (runs as uid $(id -u))"
make_repo "$T/repo"
# The fake agent may live under /tmp, which the sandbox replaces.
expose=$(jq -n --arg d "$FAKE_AGENT_DIR" '[$d]')
start_daemon "{\"sandbox\": true, \"sandbox_expose\": $expose}"

api GET /healthz
assert_eq "$STATUS" 200 "healthz"
sb=$(jq -c .sandbox <<<"$BODY")
assert_eq "$(jq .enabled <<<"$sb")" true "sandbox enabled"
assert_eq "$(jq -r '.layers | keys | sort | join(",")' <<<"$sb")" \
    "cgroup,exec_policy,identity,landlock,namespaces,network,rlimits,seccomp" \
    "the eight layers"
assert_eq "$(jq '[.layers[] | select((.available | type) == "boolean" and (.detail | type) == "string")] | length' <<<"$sb")" 8 "each layer: available, detail"
assert_eq "$(jq -c '[.layers | to_entries[] | select(.value.available | not) | .key] | sort' <<<"$sb")" \
    "$(jq -c '.missing | sort' <<<"$sb")" "missing = the unavailable layers"
grep -q 'sandbox layers available:' "$T/runnerd.log" || fail "no start-up line for the layers"
for l in identity namespaces seccomp landlock; do
	[ "$(jq ".layers.$l.available" <<<"$sb")" = true ] ||
	    skip "sandbox layer $l is unavailable here: $(jq -r ".layers.$l.detail" <<<"$sb")"
done
ok "/healthz: $(jq -c '{enabled, missing}' <<<"$sb"), landlock $(jq -r .layers.landlock.detail <<<"$sb")"

# A neighbour: another session, with its worker and its agent.
start_session 'print neighbour up
read
print bye'
SA=$SID
wait_output "$SA" 'neighbour up'
api GET "/api/runner/sessions/$SA"
apid=$(jq -r .providerPid <<<"$BODY")
wpid=$(sed -n "s/.*session $SA: started by .* worker \([0-9]*\).*/\1/p" "$T/runnerd.log" | head -1)
[ -n "$apid" ] && [ "$apid" != null ] || fail "no providerPid for the neighbour"
[ -n "$wpid" ] || fail "no worker pid for the neighbour in the log"
[ -d "$WS/$SA" ] || fail "no workspace for the neighbour"

start_session "whoami
sh test \"\$HOME\" = /home/agent && test -O \"\$HOME\"
try-write $WS/$SA/evil.txt
try-write /etc/runnerd-sandbox-evil
try-write $STATE/evil
try-write $T/repo/evil
try-read $WS/$SA
try-read $WS/$SA/README.md
try-read $STATE
try-read $STATE/sessions
try-kill $DPID
try-kill $apid
try-kill $wpid
try-kill 1
try-ptrace 1
try-ptrace $apid
try-mount
try-tiocsti id\\n
sh kill -0 $DPID
try-write agent.txt
try-write /home/agent/home.txt
try-write /tmp/tmp.txt
try-read $FAKE_AGENT_DIR
print all tried"
SB=$SID
wait_ended "$SB"
out=$(output "$SB")
ev=$(events "$SB")
api GET "/api/runner/sessions/$SB"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "hostile session state ($(jq -r .errorMessage <<<"$BODY"))"
assert_match "$out" 'all tried' "the script ran to its end"

# expect LINE-REGEX: a line of the agent's output matches.
expect() {
	printf '%s\n' "$out" | tr -d '\r' | grep -Eq -- "^$1\$" ||
	    fail "no line /^$1\$/ in the agent's output: $(printf '%s' "$out" | tr -d '\r' | grep -E "^${1%% *}" | head -3)"
}
expect 'whoami: uid=65534 gid=65534 pid=2 ppid=1'
expect 'sh: exit 0'
expect "try-write $WS/$SA/evil.txt: denied \\(.*\\)"
expect "try-write /etc/runnerd-sandbox-evil: denied \\(.*\\)"
expect "try-write $STATE/evil: denied \\(.*\\)"
expect "try-write $T/repo/evil: denied \\(.*\\)"
expect "try-read $WS/$SA: denied \\(No such file or directory\\)"
expect "try-read $WS/$SA/README.md: denied \\(No such file or directory\\)"
expect "try-read $STATE: denied \\(No such file or directory\\)"
expect "try-read $STATE/sessions: denied \\(No such file or directory\\)"
expect "try-kill $DPID: denied \\(No such process\\)"
expect "try-kill $apid: denied \\(No such process\\)"
expect "try-kill $wpid: denied \\(No such process\\)"
expect "try-kill 1: denied \\(.*\\)"
expect "try-ptrace 1: denied \\(Operation not permitted\\)"
expect "try-ptrace $apid: denied \\(.*\\)"
expect "try-mount: denied \\(Operation not permitted\\)"
expect "try-tiocsti: denied \\(Operation not permitted\\)"
expect 'sh: exit 1'
expect "try-write agent.txt: ok"
expect "try-write /home/agent/home.txt: ok"
expect "try-write /tmp/tmp.txt: ok"
expect "try-read $FAKE_AGENT_DIR: ok"
ok "hostile agent: every escape denied, its own places writable"

# Nothing landed outside; the workspace write did, as the agent's.
[ ! -e "$WS/$SA/evil.txt" ] || fail "the neighbour's workspace was written"
[ ! -e /etc/runnerd-sandbox-evil ] || { rm -f /etc/runnerd-sandbox-evil; fail "/etc was written"; }
[ ! -e "$STATE/evil" ] || fail "the state dir was written"
[ ! -e "$T/repo/evil" ] || fail "the repository was written"
[ ! -e /tmp/tmp.txt ] || fail "the agent's /tmp is the host's"
[ -f "$WS/$SB/agent.txt" ] || fail "the workspace write is not on the host"
assert_eq "$(stat -c %u "$WS/$SB/agent.txt")" 65534 "the agent's file is uid 65534's"
assert_eq "$(jq '[.[] | select(.type=="FILE_TOUCHED" and .path=="agent.txt" and .reason=="write")] | length' <<<"$ev")" 1 "FILE_TOUCHED agent.txt"
assert_eq "$(jq -r '[.[] | select(.type=="DIFF_SUMMARY")][-1].files[] | select(.path=="agent.txt") | .status' <<<"$ev")" added "DIFF_SUMMARY has agent.txt"
assert_eq "$(jq '[.[] | select(.type=="FILE_TOUCHED" and (.path | test("evil")))] | length' <<<"$ev")" 0 "no evil FILE_TOUCHED"
ok "workspace write reported (FILE_TOUCHED, DIFF_SUMMARY) and owned by 65534; nothing else written"

# The neighbour was untouched all along and ends normally.
api POST "/api/runner/sessions/$SA/input" '{"data":"hi\n"}'
wait_ended "$SA"
api GET "/api/runner/sessions/$SA"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "neighbour state"
assert_match "$(output "$SA")" 'got: hi' "neighbour read its input"
ok "the neighbour session was unharmed"

# How the agent ended, through init (pid 1 cannot die of the signal).
start_session 'signal TERM'
wait_ended "$SID"
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "killed agent: state"
assert_match "$(jq -r .errorMessage <<<"$BODY")" '^provider killed by signal 15 \(SIGTERM\)$' "killed agent: reason"
assert_eq "$(events "$SID" | jq -c '.[-1] | [.exitCode, .signal]')" '[null,"SIGTERM"]' "SESSION_ENDED: no exit code, the signal"
start_session 'exit 3'
wait_ended "$SID"
api GET "/api/runner/sessions/$SID"
assert_match "$(jq -r .errorMessage <<<"$BODY")" '^provider exited with code 3$' "exit 3: reason"
assert_eq "$(jq .exitCode <<<"$BODY")" 3 "exit 3: exitCode"
ok "signal and exit code reported through init"

# Pause freezes the whole sandbox; stop ends it gracefully.
start_session 'print ready
read
print after'
wait_output "$SID" ready
api POST "/api/runner/sessions/$SID/pause"
assert_eq "$STATUS" 202 "pause"
wait_state "$SID" PAUSED_BY_HUMAN
api POST "/api/runner/sessions/$SID/input" '{"data":"x\n"}'
sleep 0.5
output "$SID" | grep -q 'got: x' && fail "a paused agent read its input"
api POST "/api/runner/sessions/$SID/resume"
wait_output "$SID" 'got: x'
ok "pause froze the agent, resume thawed it"
start_session 'print up
hang'
wait_output "$SID" up
api POST "/api/runner/sessions/$SID/stop" '{}'
wait_ended "$SID"
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "graceful stop"
assert_eq "$(events "$SID" | jq -r '[.[] | select(.type=="SESSION_STATE_CHANGED")][-1].reason')" \
    "stopped on request" "graceful stop: reason"
ok "graceful stop: COMPLETED, stopped on request"

api GET /healthz
assert_eq "$STATUS" 200 "healthz after the hostile agent"
stop_daemon
ok "SIGTERM → exit 0"

# Fail closed: a required layer that is missing refuses sessions.
"$RUNNERD" --check-config -c <(echo '{"sandbox_required": ["bogus"]}') >/dev/null 2>"$T/check.err" &&
    fail "a bad layer name was accepted"
assert_match "$(cat "$T/check.err")" 'sandbox_required.*bogus' "bad layer named"
start_daemon "{\"sandbox\": true, \"sandbox_expose\": $expose, \"sandbox_required\": [\"all\"], \"cgroup_base\": \"$T/no-such-cgroup\"}"
api GET /healthz
assert_eq "$(jq .sandbox.layers.cgroup.available <<<"$BODY")" false "cgroup unavailable under a missing base"
assert_match "$(jq -c .sandbox.missing <<<"$BODY")" cgroup "missing names cgroup"
grep -q 'sandbox: layer cgroup unavailable' "$T/runnerd.log" || fail "the missing layer was not logged"
api POST /api/runner/sessions "$(session_body 'print should not run')"
assert_eq "$STATUS" 503 "required layer missing"
assert_eq "$(jq -r .error.code <<<"$BODY")" SANDBOX_UNAVAILABLE "error code"
assert_match "$(jq -r .error.message <<<"$BODY")" cgroup "the message names the layer"
ok "sandbox_required [all] with no cgroup: 503 $(jq -r .error.message <<<"$BODY")"
api GET /healthz
assert_eq "$STATUS" 200 "healthz"
stop_daemon

# Required layers that are there: sessions run.
start_daemon "{\"sandbox\": true, \"sandbox_expose\": $expose, \"sandbox_required\": [\"identity\", \"namespaces\", \"seccomp\", \"landlock\", \"rlimits\"]}"
start_session 'whoami'
wait_ended "$SID"
assert_match "$(output "$SID")" 'uid=65534' "a session with its required layers"
# And with the sandbox off, nothing it requires is there.
write_conf "{\"sandbox\": false, \"sandbox_required\": [\"seccomp\"]}"
kill -HUP "$DPID"
for _ in $(seq 1 50); do
	grep -q 'SIGHUP: configuration reloaded' "$T/runnerd.log" && break
	sleep 0.1
done
api POST /api/runner/sessions "$(session_body 'print should not run')"
assert_eq "$STATUS" 503 "sandbox off but required"
assert_match "$(jq -r .error.message <<<"$BODY")" 'sandbox is off' "says the sandbox is off"
api GET /healthz
assert_eq "$(jq .sandbox.enabled <<<"$BODY")" false "healthz: enabled false"
ok "required layers present: runs; sandbox off with required layers: 503"
stop_daemon

# A CLI under /tmp (replaced by a private one in the sandbox) and no
# sandbox_expose: its directory is exposed read-only by itself, the README
# demo's case (a build tree under /tmp).
CLI=$(mktemp -d /tmp/runnerd-cli.XXXXXX)
trap 'rc0=$?; rm -rf "$CLI"; (exit $rc0); cleanup' EXIT
chmod 755 "$CLI"
cp "$FAKE_AGENT_DIR/runnerd-fake-agent" "$CLI/"
start_daemon "$(jq -nc --arg p "$CLI:/usr/bin:/bin" '{sandbox: true, agent_path: $p}')"
start_session "whoami
try-write $CLI/evil
print from-tmp"
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "CLI under /tmp: state ($(output "$SID" | head -3))"
out=$(output "$SID")
assert_match "$out" 'uid=65534' "CLI under /tmp: sandboxed"
assert_match "$out" "try-write $CLI/evil: denied" "CLI under /tmp: its directory is read-only"
grep -q "sandbox: exposing $CLI (the CLI is there)" "$T/runnerd.log" ||
    fail "the exposed CLI directory was not logged"
[ ! -e "$CLI/evil" ] || fail "the agent wrote into the CLI's directory"
api GET /healthz
assert_eq "$STATUS" 200 "healthz"
ok "a CLI under /tmp without sandbox_expose: exposed read-only, the session runs"
stop_daemon
ok "SIGTERM → exit 0"
