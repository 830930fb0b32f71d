#!/bin/bash
# runnerctl against a real daemon and the fake agent: every command, id
# prefixes, exit codes, the Unix socket and TCP with a token.
. "$TESTS_SRCDIR/integration/lib.sh"
: "${RUNNERCTL:?RUNNERCTL must name the runnerctl binary}"

# rc ARGS...: runnerctl over the test's socket; stdout in OUT, status in RC.
rc() {
	OUT=$("$RUNNERCTL" -s "$SOCK" "$@" 2>"$T/ctl.err")
	RC=$?
	ERR=$(cat "$T/ctl.err")
}

# assert_err CODE MESSAGE: the last call failed with CODE and one error line.
assert_err() {
	assert_eq "$RC" "$1" "$2: exit status (stderr: $ERR)"
	assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "$2: one error line"
	assert_match "$ERR" '^runnerctl: .+' "$2: error line"
}

make_repo "$T/repo"
start_daemon

# start from flags; input by prefix; human and JSON events.
rc start --provider fake --repo "$T/repo" --branch main --title flags \
    --goal 'print hello ctl;read;print bye' --village v1 --name n1 \
    --env FOO=barbazqux
assert_eq "$RC" 0 "start from flags ($ERR)"
SID=$OUT
assert_match "$SID" '^[0-9a-f-]{36}$' "start prints the id"
wait_output "$SID" 'hello ctl'
rc input "${SID:0:8}" world
assert_eq "$RC" 0 "input by prefix ($ERR)"
wait_ended "$SID"
assert_match "$(output "$SID")" 'got: world' "input reached the agent"
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .villageId <<<"$BODY")" v1 "--village"
assert_eq "$(jq -r .agentName <<<"$BODY")" n1 "--name"
assert_eq "$(jq -r '.repoRef.path' <<<"$BODY")" "$T/repo" "--repo"
ok "start from flags, input by prefix"

rc events "$SID"
assert_eq "$RC" 0 "events"
assert_match "$OUT" 'hello ctl' "events: terminal output raw"
assert_match "$OUT" '-- RUNNING -> COMPLETED' "events: state change line"
assert_match "$OUT" '-- SESSION_ENDED COMPLETED, exit 0' "events: end line"
rc events --json "$SID"
assert_eq "$RC" 0 "events --json"
assert_eq "$(jq -s length <<<"$OUT")" "$(events "$SID" | jq length)" "one JSON line per event"
assert_eq "$(jq -s -c '[.[].seq]' <<<"$OUT")" "$(events "$SID" | jq -c '[.[].seq]')" "events --json seqs"
rc events --json --after 3 "$SID"
assert_eq "$(head -1 <<<"$OUT" | jq .seq)" 4 "events --after"
rc events --follow "$SID"
assert_eq "$RC" 0 "events --follow of an ended session"
assert_match "$OUT" 'SESSION_ENDED COMPLETED' "follow replays to the end"
ok "events: human, --json, --after, --follow"

rc show "${SID:0:6}"
assert_eq "$RC" 0 "show"
grep -qx 'state: COMPLETED' <<<"$OUT" || fail "show: state line: $OUT"
grep -qx 'exitCode: 0' <<<"$OUT" || fail "show: exitCode line: $OUT"
rc show --json "$SID"
assert_eq "$(jq -r .state <<<"$OUT")" COMPLETED "show --json"
rc list
assert_eq "$RC" 0 "list"
assert_match "$OUT" '^ID +STATE +PROVIDER +VILLAGE +AGE/EXIT' "list header"
assert_match "$OUT" "${SID:0:8}  COMPLETED +fake +v1 +exit 0" "list row"
ok "show, list"

# start from --file and from stdin; flags override the file.
session_body 'print from file' >"$T/body.json"
rc start --file "$T/body.json" --title overridden
assert_eq "$RC" 0 "start --file ($ERR)"
SID2=$OUT
wait_output "$SID2" 'from file'
api GET "/api/runner/sessions/$SID2"
OUT=$("$RUNNERCTL" -s "$SOCK" start --file - < <(session_body 'print from stdin'))
SID3=$OUT
assert_match "$SID3" '^[0-9a-f-]{36}$' "start --file -"
wait_output "$SID3" 'from stdin'
ok "start --file and stdin"

# events --follow on a live session ends at SESSION_ENDED with its status.
SID4=$("$RUNNERCTL" -s "$SOCK" start --file - < <(session_body 'print live;sleep 700;print done;exit 3'))
rc events --follow "$SID4"
assert_eq "$RC" 3 "events --follow exits with the session's code"
assert_match "$OUT" 'live' "follow: live output"
assert_match "$OUT" 'done' "follow: output until the end"
assert_match "$(tail -1 <<<"$OUT")" '^-- SESSION_ENDED FAILED, exit 3$' "follow: last line"
ok "events --follow"

# pause, resume, stop (graceful).
SID5=$("$RUNNERCTL" -s "$SOCK" start --file - < <(session_body 'print up;sleep 30000'))
wait_state "$SID5" RUNNING
rc pause "$SID5"
assert_eq "$RC" 0 "pause ($ERR)"
wait_state "$SID5" PAUSED_BY_HUMAN
rc resume "${SID5:0:10}"
assert_eq "$RC" 0 "resume ($ERR)"
wait_state "$SID5" RUNNING
rc stop "$SID5"
assert_eq "$RC" 0 "stop ($ERR)"
wait_ended "$SID5"
assert_eq "$(state_of "$SID5")" COMPLETED "stopped on request"
rc pause "$SID5"
assert_err 1 "pause of an ended session"
ok "pause, resume, stop"

# stop --force of an agent that ignores SIGTERM.
SID6=$("$RUNNERCTL" -s "$SOCK" start --file - < <(session_body 'print hanging;hang'))
wait_output "$SID6" hanging
rc stop --force "$SID6"
assert_eq "$RC" 0 "stop --force ($ERR)"
wait_ended "$SID6" 5
ok "stop --force"

# approve and deny prompts of the fake agent.
SID7=$("$RUNNERCTL" -s "$SOCK" start --file - < <(session_body 'prompt First;prompt Second;print end'))
wait_state "$SID7" WAITING_FOR_APPROVAL
api GET "/api/runner/sessions/$SID7"
AID=$(jq -r '.pendingApprovals[0].approvalId' <<<"$BODY")
rc approve "${SID7:0:8}" "$AID" --note "looks fine"
assert_eq "$RC" 0 "approve ($ERR)"
wait_output "$SID7" approved
wait_state "$SID7" WAITING_FOR_APPROVAL
api GET "/api/runner/sessions/$SID7"
AID2=$(jq -r '.pendingApprovals[0].approvalId' <<<"$BODY")
[ "$AID2" != "$AID" ] || fail "second approval has a new id"
rc deny "$SID7" "$AID2"
assert_eq "$RC" 0 "deny ($ERR)"
wait_output "$SID7" denied
wait_ended "$SID7"
events "$SID7" | jq -e '[.[] | select(.type=="APPROVAL_RESOLVED") | .decision] == ["allow","deny"]' >/dev/null ||
    fail "approval decisions: $(events "$SID7" | jq -c '[.[] | select(.type=="APPROVAL_RESOLVED")]')"
rc approve "$SID7" "$AID"
assert_err 1 "approve of a resolved approval"
ok "approve, deny"

# rm, then the session is gone.
wait_ended "$SID2"
rc rm "$SID2"
assert_eq "$RC" 0 "rm ($ERR)"
rc show "$SID2"
assert_err 3 "show after rm"
ok "rm"

# Prefixes: unique works (above), ambiguous lists the candidates. Start
# sessions until two ids share their first hex digit (16 buckets).
for _ in $(seq 1 17); do
	dup=$(curl -s --unix-socket "$SOCK" http://localhost/api/runner/sessions |
	    jq -r '[.sessions[].sessionId[0:1]] | group_by(.) | map(select(length > 1)) | .[0][0] // empty')
	[ -n "$dup" ] && break
	id=$("$RUNNERCTL" -s "$SOCK" start --file - < <(session_body 'print x'))
	wait_ended "$id"
done
[ -n "$dup" ] || fail "no two ids share a first digit"
rc show "$dup"
assert_err 2 "ambiguous prefix"
assert_match "$ERR" "ambiguous id '$dup' matches [0-9]+ sessions: $dup" "ambiguous lists candidates"
ok "ambiguous prefix → exit 2 with candidates"

# Exit codes.
rc show zzzz
assert_err 3 "unknown prefix"
rc show 00000000-0000-4000-8000-000000000000
assert_err 3 "unknown full id"
rc events
assert_eq "$RC" 2 "usage: events without id"
rc frobnicate
assert_err 2 "unknown command"
rc start --branch a --tag b
assert_eq "$RC" 2 "usage: two checkouts"
rc start --env NOEQUALS
assert_err 2 "--env without ="
rc start --provider fake --repo "$T/repo" --title t --goal x --village 'bad village!'
[ "$RC" = 1 ] || fail "validation error: exit $RC ($ERR)"
assert_err 1 "validation error"
OUT=$("$RUNNERCTL" -s "$T/nope.sock" list 2>"$T/ctl.err"); RC=$?; ERR=$(cat "$T/ctl.err")
assert_err 4 "connection refused"
assert_match "$ERR" 'nope.sock' "names the socket"
"$RUNNERCTL" -h | grep -q 'exit status' || fail "--help documents exit codes"
ok "exit codes: 3 not found, 2 usage, 1 API error, 4 no connection"

# RUNNER_SOCKET.
OUT=$(RUNNER_SOCKET=$SOCK "$RUNNERCTL" list) || fail "RUNNER_SOCKET"
assert_match "$OUT" "${SID:0:8}" "list over RUNNER_SOCKET"

# TCP: without a token a tokens config refuses, with one it works.
stop_daemon
start_daemon '{"tokens":["tok"]}'
OUT=$("$RUNNERCTL" -u "$URL" list 2>"$T/ctl.err"); RC=$?; ERR=$(cat "$T/ctl.err")
assert_err 1 "TCP without token"
OUT=$("$RUNNERCTL" -u "$URL" -t wrong list 2>"$T/ctl.err"); RC=$?; ERR=$(cat "$T/ctl.err")
assert_err 1 "TCP with a wrong token"
OUT=$("$RUNNERCTL" -u "$URL" -t tok show "${SID:0:8}") || fail "TCP with -t"
grep -qx 'state: COMPLETED' <<<"$OUT" || fail "show over TCP: $OUT"
OUT=$(RUNNER_URL=$URL RUNNER_TOKEN=tok "$RUNNERCTL" list) || fail "RUNNER_URL + RUNNER_TOKEN"
assert_match "$OUT" "${SID:0:8}" "list over TCP"
SID8=$(RUNNER_URL=$URL RUNNER_TOKEN=tok "$RUNNERCTL" start --file - < <(session_body 'print tcp;exit 0')) ||
    fail "start over TCP"
OUT=$(RUNNER_URL=$URL RUNNER_TOKEN=tok "$RUNNERCTL" events --follow "${SID8:0:12}") || fail "follow over TCP"
assert_match "$OUT" 'tcp' "follow over TCP"
OUT=$("$RUNNERCTL" -u "http://127.0.0.1:1" list 2>"$T/ctl.err"); RC=$?; ERR=$(cat "$T/ctl.err")
assert_err 4 "TCP connection refused"
OUT=$("$RUNNERCTL" -u "ftp://x" list 2>"$T/ctl.err"); RC=$?; ERR=$(cat "$T/ctl.err")
assert_err 2 "bad URL"
ok "TCP with a token, RUNNER_URL/RUNNER_TOKEN"

stop_daemon
