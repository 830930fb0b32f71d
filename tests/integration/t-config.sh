#!/bin/bash
# Configuration: --check-config prints the effective config with secrets
# masked; bad files fail naming the key; file < environment < flags; SIGHUP
# reloads what can change live, keeps running sessions, reports what needs a
# restart, and never half-applies a bad file.
. "$TESTS_SRCDIR/integration/lib.sh"

# check_config [ENV=VALUE...] -- [FLAGS...]: sets OUT, ERR and RC.
check_config() {
	envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	RC=0
	env -u PORT -u HOST -u JWT_SECRET -u RUNNER_MAX_SESSIONS \
	    "${envs[@]}" "$RUNNERD" --check-config "$@" >"$T/out" 2>"$T/err" ||
	    RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

cat >"$T/good.conf" <<'JSON'
{
  "listen": "127.0.0.1:4100",
  "max_sessions": 4,
  "tokens": ["tok-super-secret-1", "tok-super-secret-2"],
  "jwt_secret": "jwt-super-secret",
  "providers": { "extra": { "command": "runnerd-fake-agent",
                            "args": ["{goal}"] } }
}
JSON
check_config -- -c "$T/good.conf" -d "$T/st"
assert_eq "$RC" 0 "--check-config on a good file exits 0 ($ERR)"
jq -e . >/dev/null <<<"$OUT" || fail "--check-config output is not JSON: $OUT"
assert_eq "$(jq -r .listen <<<"$OUT")" 127.0.0.1:4100 "listen from the file"
assert_eq "$(jq -r .max_sessions <<<"$OUT")" 4 "max_sessions from the file"
assert_eq "$(jq -c .tokens <<<"$OUT")" '["********","********"]' "tokens masked"
assert_eq "$(jq -r .jwt_secret <<<"$OUT")" '********' "jwt_secret masked"
assert_eq "$(jq -r .socket <<<"$OUT")" "$T/st/runnerd.sock" "socket in the state dir"
assert_eq "$(jq -r .providers.extra.command <<<"$OUT")" runnerd-fake-agent "provider entry"
assert_eq "$(jq -r '.providers | has("codex") and has("claude_code")' <<<"$OUT")" true "built-ins kept"
grep -q 'super-secret' "$T/out" "$T/err" && fail "a secret was printed"
ok "--check-config prints the effective config, secrets masked"

# The shipped example is a valid configuration and says what it seems to.
check_config -- -c "$TESTS_SRCDIR/../contrib/runnerd.conf.example"
assert_eq "$RC" 0 "contrib/runnerd.conf.example is valid ($ERR)"
assert_eq "$(jq -c '[.sandbox, .sandbox_required[0], .providers.aider.command]' <<<"$OUT")" \
    '[true,"identity","aider"]' "the example's sandbox and provider"
ok "contrib/runnerd.conf.example is accepted"

# Precedence: file < environment < flags.
check_config RUNNER_MAX_SESSIONS=7 PORT=4200 -- -c "$T/good.conf" -d "$T/st"
assert_eq "$RC" 0 "env over file ($ERR)"
assert_eq "$(jq -r .max_sessions <<<"$OUT")" 7 "RUNNER_MAX_SESSIONS over the file"
assert_eq "$(jq -r .listen <<<"$OUT")" 127.0.0.1:4200 "PORT over the file"
check_config PORT=4200 RUNNER_SOCKET=/tmp/env.sock -- -c "$T/good.conf" \
    -d "$T/st" -l 127.0.0.1:4300 -s /tmp/flag.sock
assert_eq "$(jq -r .listen <<<"$OUT")" 127.0.0.1:4300 "-l over PORT"
assert_eq "$(jq -r .socket <<<"$OUT")" /tmp/flag.sock "-s over RUNNER_SOCKET"
check_config RUNNER_SOCKET=/tmp/env.sock -- -c "$T/good.conf" -d "$T/st"
assert_eq "$(jq -r .socket <<<"$OUT")" /tmp/env.sock "RUNNER_SOCKET over the default"
ok "precedence: file < environment < flags"

# bad_config JSON KEY-REGEX WHAT
bad_config() {
	printf '%s\n' "$1" >"$T/bad.conf"
	check_config -- -c "$T/bad.conf" -d "$T/st"
	[ "$RC" -ne 0 ] || fail "$3: accepted"
	assert_match "$ERR" "$2" "$3: the message names the key"
}
bad_config '{"max_sesions": 3}' 'max_sesions: unknown key' "unknown key"
bad_config '{"max_sessions": "3"}' 'max_sessions: must be an integer' "wrong type"
bad_config '{"pool_size": true}' 'pool_size: must be an integer' "wrong type (bool)"
bad_config '{"max_sessions": 0}' 'max_sessions: 0 is out of range' "out of range"
bad_config '{"stop_grace_ms": 99999999999}' 'stop_grace_ms: .*out of range' "out of range (large)"
bad_config '{"listen": "localhost"}' 'listen: bad address' "bad listen"
bad_config '{"tokens": ["a", 1]}' 'tokens: must be an array of strings' "bad tokens"
bad_config '{"providers": {"x": {"args": ["a"]}}}' 'providers\.x\.command: is required' "provider without command"
bad_config '{"providers": {"x": {"command": "x", "colour": 1}}}' 'providers\.x\.colour: unknown key' "provider unknown key"
bad_config '{"providers": {"x": {"command": "x", "output": "xml"}}}' 'providers\.x\.output: must be' "provider bad output"
bad_config '{"providers": []}' 'providers: must be an object' "providers not an object"
bad_config '{"max_sessions": 3' 'bad JSON' "truncated JSON"
bad_config '{"listen": "0.0.0.0:4000"}' 'refusing to listen on 0.0.0.0' "public without credentials"
check_config PORT=99999 -- -c "$T/good.conf"
[ "$RC" -ne 0 ] || fail "bad PORT accepted"
assert_match "$ERR" 'PORT' "bad PORT names the variable"
ok "bad configs fail naming the key"

# SIGHUP: reload live, keep the running session.
make_repo "$T/repo"
write_conf '{"max_sessions": 10}'
start_daemon
start_session 'print waiting;read;print after reload'
wait_output "$SID" waiting
jq -n --arg self "$RUNNERD" --arg t "$T" '{pool_size: 2, sandbox: false,
    max_sessions: 3, allowed_roots: [$t], verbose: 1, worker_path: $self,
    providers: {fake2: {command: "runnerd-fake-agent", args: ["{goal}"]}}}' \
    >"$T/runnerd.conf"
kill -HUP "$DPID"
for _ in $(seq 1 50); do
	grep -q 'SIGHUP: configuration reloaded' "$T/runnerd.log" && break
	sleep 0.1
done
grep -q 'SIGHUP: configuration reloaded; changed: .*max_sessions 10 -> 3' "$T/runnerd.log" ||
    fail "reload did not report max_sessions"
grep -q 'SIGHUP: configuration reloaded; changed: .*providers' "$T/runnerd.log" ||
    fail "reload did not report providers"
grep -q 'SIGHUP: changed but kept until a restart: worker_path' "$T/runnerd.log" ||
    fail "reload did not say worker_path needs a restart"
assert_eq "$(state_of "$SID")" RUNNING "session still running after SIGHUP"
api POST "/api/runner/sessions/$SID/input" '{"data":"go\n"}'
assert_eq "$STATUS" 202 "input after reload"
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "session completed after SIGHUP"
assert_match "$(output "$SID")" 'after reload' "session output after SIGHUP"
ok "SIGHUP reloads, the running session carries on to COMPLETED"

# The new provider is usable at once.
start_session 'print from fake2' "$T/repo" '.providerId = "fake2"'
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "session of the reloaded provider"
ok "a provider added by SIGHUP starts sessions"

# A bad file is refused whole: the old limits and providers stay.
echo '{"max_sessions": 50, "providers": {"fake3": {"command": "x"}}, "bogus": 1}' \
    >"$T/runnerd.conf"
kill -HUP "$DPID"
for _ in $(seq 1 50); do
	grep -q 'bogus: unknown key' "$T/runnerd.log" && break
	sleep 0.1
done
grep -q 'SIGHUP: .*bogus: unknown key; the running configuration is kept' \
    "$T/runnerd.log" || fail "bad reload not reported with the key"
api POST /api/runner/sessions "$(session_body 'print x' "$T/repo" '.providerId = "fake3"')"
[ "$STATUS" = 201 ] && fail "a provider from a rejected file was applied"
start_session 'print still fake2' "$T/repo" '.providerId = "fake2"'
wait_ended "$SID"
ok "a bad file on SIGHUP is not half-applied"

stop_daemon
ok "SIGTERM → exit 0"
