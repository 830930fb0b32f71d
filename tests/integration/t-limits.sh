#!/bin/bash
# Resources (issue 5): each session in a cgroup of its own with pids.max,
# memory and CPU limits from the config, lowered per session by
# policy.limits. A fork bomb hits pids.max and the session carries on; a
# memory hog is OOM-killed and the session FAILS with "out of memory (limit
# 64 MiB)"; USAGE_TICK arrives every usage_tick_ms with real numbers and
# SESSION_ENDED carries the totals; the cgroup is gone after the session.
# Runs with the sandbox on.
. "$TESTS_SRCDIR/integration/lib.sh"

make_repo "$T/repo"
conf='{"sandbox": true, "pids_max": 64, "memory_max_bytes": 67108864,
    "usage_tick_ms": 500}'
# The sandbox shows the agent only what it is given: the fake agent's dir.
conf=$(jq -c --arg d "$FAKE_AGENT_DIR" '. + {sandbox_expose: [$d]}' <<<"$conf")
start_daemon "$conf"

# runnerd says at start-up whether sessions get a cgroup, and why not.
why=$(sed -n 's/.*cgroup: sessions run without resource limits: //p' "$T/runnerd.log" | head -1)
[ -z "$why" ] || skip "no usable cgroup: $why"
grep -q 'session cgroups: ' "$T/runnerd.log" || fail "runnerd did not report its cgroup"
ok "$(sed -n 's/.*\(session cgroups: .*\); limits.*/\1/p' "$T/runnerd.log" | head -1)"

# leaf SID: the session's cgroup directories (v2: one; v1: one per controller).
leaf() {
	find /sys/fs/cgroup -maxdepth 8 -type d -name "$1" 2>/dev/null
}

# A request may lower the limits, never raise them.
api POST /api/runner/sessions "$(session_body 'print x' "$T/repo" \
    '.policy = {limits: {memoryMaxBytes: 134217728}}')"
assert_eq "$STATUS" 400 "memoryMaxBytes above the config's"
assert_eq "$(jq -r .error.details.field <<<"$BODY")" \
    policy.limits.memoryMaxBytes "details.field"
api POST /api/runner/sessions "$(session_body 'print x' "$T/repo" \
    '.policy = {limits: {pidsMax: 65}}')"
assert_eq "$STATUS" 400 "pidsMax above the config's"
assert_eq "$(jq -r .error.details.field <<<"$BODY")" policy.limits.pidsMax \
    "details.field"
api POST /api/runner/sessions "$(session_body 'print x' "$T/repo" \
    '.policy = {limits: {cpuMaxPct: "lots"}}')"
assert_eq "$STATUS" 400 "cpuMaxPct not an integer"
api POST /api/runner/sessions "$(session_body 'print x' "$T/repo" \
    '.policy = {limits: {diskMax: 1}}')"
assert_eq "$STATUS" 400 "unknown limit"
assert_eq "$(jq -r .error.details.field <<<"$BODY")" policy.limits.diskMax \
    "details.field"
ok "policy.limits above the config's bounds: 400 naming the field"

# Fork bomb: pids.max stops it; the agent goes on and exits 0.
start_session 'forkbomb 500
print after the bomb'
wait_ended "$SID"
out=$(output "$SID")
nfork=$(sed -n 's/.*forkbomb: \([0-9]*\) forked, then.*/\1/p' <<<"$out" | head -1)
[ -n "$nfork" ] || fail "fork bomb not stopped: $(tail -c 300 <<<"$out")"
[ "$nfork" -lt 64 ] || fail "fork bomb forked $nfork, pids.max is 64"
assert_match "$out" "after the bomb" "the agent carried on"
assert_eq "$(state_of "$SID")" COMPLETED "fork bomb session"
api GET /healthz
assert_eq "$STATUS" 200 "healthz after the fork bomb"
[ -z "$(leaf "$SID")" ] || fail "cgroup left behind: $(leaf "$SID")"
ok "fork bomb: $nfork forked, then refused; session COMPLETED; cgroup removed"

# A session's own, lower pids limit.
start_session 'forkbomb 500' "$T/repo" '.policy = {limits: {pidsMax: 16}}'
wait_ended "$SID"
nfork=$(output "$SID" | sed -n 's/.*forkbomb: \([0-9]*\) forked, then.*/\1/p' | head -1)
[ -n "$nfork" ] && [ "$nfork" -lt 16 ] || fail "pidsMax 16: forked '$nfork'"
ok "policy.limits.pidsMax 16: $nfork forked"

# Memory hog: OOM-killed in its cgroup, the session FAILS saying why.
start_session 'print hogging
hog 256
print survived'
wait_ended "$SID"
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "memory hog session"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" "out of memory (limit 64 MiB)" \
    "errorMessage"
out=$(output "$SID")
assert_match "$out" hogging "the agent ran"
printf '%s' "$out" | grep -q survived && fail "the hog survived 256 MiB"
peak=$(events "$SID" | jq '.[-1].totalUsage.peakMemoryBytes')
[ "$peak" -gt 50000000 ] && [ "$peak" -le 67108864 ] ||
    fail "peakMemoryBytes $peak for a 64 MiB limit"
[ -z "$(leaf "$SID")" ] || fail "cgroup left behind: $(leaf "$SID")"
ok "memory hog: FAILED, out of memory (limit 64 MiB), peak $peak bytes"

# Usage: burn ~1.5 s of CPU in a shell, write files and terminal output,
# then wait to be stopped.
script='write notes.txt some notes\n
write src/more.c int z\;\n
sh i=0\; while [ $i -lt 2200000 ]\; do i=$((i+1))\; done\; echo burned
flood 20K
print done burning
sleep 60000'
start_session "$script" "$T/repo" '.policy = {limits: {cpuMaxPct: 150}}'
wait_output "$SID" "done burning" 30
# While it runs: the leaf holds the agent, with the limits asked for.
dirs=$(leaf "$SID")
[ -n "$dirs" ] || fail "no cgroup for a running session"
procs=$(for d in $dirs; do cat "$d/cgroup.procs"; done | sort -u | wc -l)
[ "$procs" -ge 1 ] || fail "no process in the session's cgroup"
pmax=$(for d in $dirs; do cat "$d/pids.max" 2>/dev/null; done)
assert_eq "$pmax" 64 "pids.max"
mmax=$(for d in $dirs; do cat "$d/memory.max" "$d/memory.limit_in_bytes" 2>/dev/null; done)
assert_eq "$mmax" 67108864 "memory limit"
cmax=$(for d in $dirs; do cat "$d/cpu.max" "$d/cpu.cfs_quota_us" 2>/dev/null; done | head -1)
assert_match "$cmax" '^150000( 100000)?$' "cpu quota for cpuMaxPct 150"
ok "running session's cgroup: $procs process(es), pids 64, memory 64 MiB, cpu $cmax"
# Let a few more ticks come, then stop it.
sleep 1.2
api POST "/api/runner/sessions/$SID/stop" '{}'
assert_eq "$STATUS" 202 "stop accepted"
wait_ended "$SID"
ev=$(events "$SID")
ticks=$(jq -c '[.[] | select(.type=="USAGE_TICK")]' <<<"$ev")
nt=$(jq length <<<"$ticks")
[ "$nt" -ge 3 ] || fail "expected USAGE_TICKs every 500 ms, got $nt"
jq -e 'all(.[]; .providerId == "fake" and (.intervalMs > 0) and
    (.units | has("agentSeconds") and has("terminalKb") and
    has("filesTouched") and has("commandsRun") and
    has("approvalsRequested") and has("cpuSeconds") and
    has("peakMemoryBytes")))' <<<"$ticks" >/dev/null ||
    fail "USAGE_TICK fields: $(jq -c '.[0]' <<<"$ticks")"
jq -e '[.[].units.agentSeconds] as $a | all(range(1; $a | length);
    $a[.] > $a[. - 1])' <<<"$ticks" >/dev/null ||
    fail "agentSeconds not increasing: $(jq -c '[.[].units.agentSeconds]' <<<"$ticks")"
jq -e '[.[].units.cpuSeconds] as $a | all(range(1; $a | length);
    $a[.] >= $a[. - 1])' <<<"$ticks" >/dev/null ||
    fail "cpuSeconds went down: $(jq -c '[.[].units.cpuSeconds]' <<<"$ticks")"
last=$(jq -c '.[-1].units' <<<"$ticks")
jq -e '.cpuSeconds > 0.5 and .terminalKb >= 20 and .peakMemoryBytes > 0 and
    .filesTouched >= 2 and .commandsRun >= 1 and .approvalsRequested == 0' \
    <<<"$last" >/dev/null || fail "last USAGE_TICK units: $last"
# Every tick came while the agent ran: after SESSION_STARTED, before the end.
jq -e '([.[] | select(.type=="SESSION_STARTED")][0].seq) as $s |
    ([.[] | select(.type=="SESSION_STATE_CHANGED" and
    .newState=="COMPLETED")][0].seq) as $e |
    all(.[] | select(.type=="USAGE_TICK"); .seq > $s and .seq < $e)' \
    <<<"$ev" >/dev/null || fail "a USAGE_TICK outside RUNNING"
ok "$nt USAGE_TICKs; last: $last"

total=$(jq -c '.[-1] | select(.type=="SESSION_ENDED") | .totalUsage' <<<"$ev")
[ -n "$total" ] || fail "no SESSION_ENDED last"
jq -e --argjson l "$last" '.agentSeconds >= $l.agentSeconds and
    .cpuSeconds >= $l.cpuSeconds and .peakMemoryBytes >= $l.peakMemoryBytes and
    .terminalKb >= $l.terminalKb and .filesTouched >= $l.filesTouched and
    .commandsRun >= $l.commandsRun and .approvalsRequested == 0' \
    <<<"$total" >/dev/null || fail "SESSION_ENDED totals $total vs last tick $last"
assert_eq "$(state_of "$SID")" COMPLETED "stopped usage session"
[ -z "$(leaf "$SID")" ] || fail "cgroup left behind: $(leaf "$SID")"
ok "SESSION_ENDED totalUsage: $total"

# A worker that dies: the SESSION_ENDED the supervisor makes keeps the
# worker's last counts, and the supervisor removes the cgroup.
start_session 'write a.txt a
write b.txt b
sleep 60000'
for _ in $(seq 1 100); do
	events "$SID" | jq -e '[.[] | select(.type=="USAGE_TICK" and
	    .units.filesTouched == 2)] | length > 0' >/dev/null && break
	sleep 0.1
done
api GET "/api/runner/sessions/$SID"
pp=$(jq -r .providerPid <<<"$BODY")
[ -n "$(leaf "$SID")" ] || fail "no cgroup for the session"
wpid=$(awk '{print $4}' "/proc/$pp/stat")
[ -n "$wpid" ] && [ "$wpid" -gt 1 ] || fail "no worker for provider pid $pp"
kill -KILL "$wpid"
wait_ended "$SID"
total=$(events "$SID" | jq -c '.[-1].totalUsage')
jq -e '.filesTouched == 2 and .cpuSeconds >= 0 and .peakMemoryBytes > 0' \
    <<<"$total" >/dev/null || fail "crashed worker's totalUsage: $total"
assert_eq "$(state_of "$SID")" FAILED "session of a killed worker"
for _ in $(seq 1 50); do
	[ -z "$(leaf "$SID")" ] && break
	sleep 0.1
done
[ -z "$(leaf "$SID")" ] || fail "dead worker's cgroup left behind: $(leaf "$SID")"
ok "worker killed: totalUsage from its last tick ($total), cgroup removed"

api GET /healthz
assert_eq "$STATUS" 200 "healthz at the end"
stop_daemon
ok "daemon healthy, exit 0"

# Without the sandbox the same limits hold: the worker forks the CLI from
# inside the session's cgroup, so nothing it forks escapes.
start_daemon '{"sandbox": false, "pids_max": 64, "memory_max_bytes": 67108864}'
start_session 'forkbomb 500
print after the bomb'
wait_ended "$SID"
nfork=$(output "$SID" | sed -n 's/.*forkbomb: \([0-9]*\) forked, then.*/\1/p' | head -1)
[ -n "$nfork" ] && [ "$nfork" -lt 64 ] || fail "no sandbox: fork bomb forked '$nfork'"
assert_eq "$(state_of "$SID")" COMPLETED "no sandbox: fork bomb session"
start_session 'hog 256'
wait_ended "$SID"
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" "out of memory (limit 64 MiB)" \
    "no sandbox: memory hog"
[ -z "$(leaf "$SID")" ] || fail "cgroup left behind: $(leaf "$SID")"
api GET /healthz
assert_eq "$STATUS" 200 "healthz without the sandbox"
stop_daemon
ok "no sandbox: fork bomb stopped at $nfork, hog out of memory, daemon healthy"
