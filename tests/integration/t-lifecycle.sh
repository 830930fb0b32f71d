#!/bin/bash
# A whole session of the fake agent: output, input echoed, a file written in
# the workspace on a new branch, exit 0 → COMPLETED, seq 1..N contiguous.
. "$TESTS_SRCDIR/integration/lib.sh"

make_repo "$T/repo"
start_daemon
start_session 'print hello from fake;read;write notes/out.txt written by agent;print bye' \
    "$T/repo" '.task.branchName = "agent/work" | .agentName = "tester"'
assert_match "$SID" '^[0-9a-f-]{36}$' "session id"
assert_eq "$(printf '%s' "$BODY" | jq -r .agentId)" "runner_${SID:0:8}" "agentId"

wait_output "$SID" 'hello from fake'
api POST "/api/runner/sessions/$SID/input" '{"data":"world\n"}'
assert_eq "$STATUS" 202 "input accepted"
wait_ended "$SID"
ok "session ran to its end"

api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "final state"
assert_eq "$(jq -r .exitCode <<<"$BODY")" 0 "exit code"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" null "no error"
ws=$(jq -r .workspace <<<"$BODY")
assert_eq "$ws" "$WS/$SID" "workspace path"
assert_eq "$(cat "$ws/notes/out.txt")" "written by agent" "file written by the agent"
assert_eq "$(git -C "$ws" symbolic-ref --short HEAD)" "agent/work" "task.branchName checked out"
ok "workspace has the agent's file on its branch"

out=$(output "$SID")
assert_match "$out" 'got: world' "input echoed by the agent"
assert_match "$out" 'bye' "last output"
assert_seq_contiguous "$SID"
ev=$(events "$SID")
assert_eq "$(jq -r '[.[] | select(.type=="SESSION_STATE_CHANGED") | .newState] | join(",")' <<<"$ev")" \
    "PREPARING_WORKSPACE,STARTING_PROVIDER,RUNNING,COMPLETED" "state sequence"
assert_eq "$(jq -r '.[-1].type' <<<"$ev")" SESSION_ENDED "last event"
assert_eq "$(jq -r '[.[] | select(.sessionId != "'"$SID"'" or (.ts|type) != "number" or .orgId == null)] | length' <<<"$ev")" 0 "every event stamped"
assert_eq "$(jq -r '.[] | select(.type=="SESSION_STARTED") | .providerId' <<<"$ev")" fake "SESSION_STARTED providerId"
assert_eq "$(jq -r '.[-1].finalState' <<<"$ev")" COMPLETED "SESSION_ENDED finalState"
ok "events: states, stamps and seq 1..$(jq length <<<"$ev")"

# The record keeps no secret, the log is where the design says.
[ -f "$STATE/sessions/$SID/events.jsonl" ] || fail "no events.jsonl"
assert_eq "$(wc -l <"$STATE/sessions/$SID/events.jsonl")" "$(jq length <<<"$ev")" "one line per event"
[ -f "$STATE/sessions/$SID/session.json" ] || fail "no session.json"

api GET "/api/runner/sessions?state=COMPLETED"
assert_eq "$(jq -r '.sessions | length' <<<"$BODY")" 1 "list filtered by state"
api GET "/api/runner/sessions?villageId=elsewhere"
assert_eq "$(jq -r '.sessions | length' <<<"$BODY")" 0 "list filtered by village"

stop_daemon
ok "SIGTERM → exit 0"

# max_log_bytes: past the cap terminal output is counted, not stored; one
# ALERT_RAISED (storage) says so, and the lifecycle events are all kept.
start_daemon '{"max_log_bytes": 65536}'
start_session 'flood 400K
print after-flood'
wait_ended "$SID"
ev=$(events "$SID")
assert_eq "$(state_of "$SID")" COMPLETED "capped session state"
alerts=$(jq -c '[.[] | select(.type=="ALERT_RAISED") | {severity, category, title}]' <<<"$ev")
assert_eq "$alerts" '[{"severity":"warn","category":"storage","title":"terminal output truncated"}]' "one storage alert"
stored=$(output "$SID" | wc -c)
[ "$stored" -lt 131072 ] || fail "stored $stored bytes of terminal output past a 64 KiB cap"
[ "$stored" -gt 0 ] || fail "nothing stored before the cap"
assert_eq "$(jq -r '.[-1].type' <<<"$ev")" SESSION_ENDED "SESSION_ENDED kept past the cap"
assert_eq "$(jq -r '[.[] | select(.type=="SESSION_STATE_CHANGED") | .newState] | join(" ")' <<<"$ev")" \
    "PREPARING_WORKSPACE STARTING_PROVIDER RUNNING COMPLETED" "states kept past the cap"
api GET /healthz
assert_eq "$STATUS" 200 "healthz"
stop_daemon
ok "max_log_bytes 65536: $stored bytes of 400K stored, one storage alert, lifecycle kept"
