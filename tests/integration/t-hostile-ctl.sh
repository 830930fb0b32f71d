#!/bin/bash
# Issue 11, item 4: an agent's terminal output must not drive the operator's
# terminal. A config-defined provider whose CLI is a shell script prints
# OSC 52 (clipboard), OSC 0/2 (title), DCS (DECRQSS), terminal queries (DA,
# DSR/CPR, window reports), mouse and bracketed-paste modes, RIS, C1 CSI
# and OSC as UTF-8 code points, and sequences written in two pieces,
# mixed with coloured text. runnerctl events (log and --follow) and attach
# show the text and the colours but none of those bytes, and put back the
# modes the agent left set; --raw shows every byte as it came; --json
# escapes C1. The daemon and a session beside it are unharmed.
. "$TESTS_SRCDIR/integration/lib.sh"
: "${RUNNERCTL:?RUNNERCTL must name the runnerctl binary}"
export LC_ALL=C

# has FILE PCRE WHAT / hasnt FILE PCRE WHAT: the bytes of FILE as one
# string (grep -zP; the files hold no NUL, see check_filtered).
has() {
	grep -zaqP -- "$2" "$1" || fail "$3: /$2/ not in $(od -c "$1" | head -40)"
}
hasnt() {
	! grep -zaqP -- "$2" "$1" || fail "$3: /$2/ reached the terminal: $(grep -zaoP -- ".{0,20}$2.{0,20}" "$1" | od -c | head -20)"
}

# The hostile CLI. The sleeps cut sequences across TERMINAL_CHUNK events.
cat >"$T/hostile.sh" <<'EOF'
#!/bin/sh
printf '\033[32mGREEN-TEXT\033[0m\n'
printf 'A\033]52;c;cHduZWQ=\007B\n'
printf 'C\033]52;c;cHduZWQ=\033\\D\n'
printf 'E\033]0;PWNED-TITLE\007F\n'
printf 'G\033]2;PWNED-TITLE\033\\H\n'
printf 'I\033P$qm\033\\J\033P+q544e\033\\K\n'
printf 'L\033[cM\033[>cN\033[6nO\033[5nP\033[21tQ\033[14tR\n'
printf 'S\033[?2004hT\033[?1000hU\033[?2004$pV\033cW\n'
printf 'X\302\2336nY\302\235''0;PWNED-TITLE\007Z\n'
printf 'a\033]52;c;'; sleep 0.5; printf 'c3BsaXQ=\007b\n'
printf 'c\033['; sleep 0.5; printf '6nd\n'
printf 'e\302'; sleep 0.5; printf '\233''6nf\n'
printf '\033[1;34mBLUE-TEXT\033[m\n'
printf '\033[?1049h\033[?25lALT-SCREEN\n'
exit 0
EOF
chmod +x "$T/hostile.sh"

# A CLI that leaves the alternate screen on and the cursor hidden, and
# stays.
cat >"$T/linger.sh" <<'EOF'
#!/bin/sh
printf '\033[?1049h\033[?25l\033[7mLINGER\n'
exec sleep 600
EOF
chmod +x "$T/linger.sh"

make_repo "$T/repo"
start_daemon "$(jq -n --arg cmd "$T/hostile.sh" --arg linger "$T/linger.sh" \
    '{providers: {hostile: {command: $cmd}, linger: {command: $linger}}}')"

# A bystander session, waiting for input throughout.
start_session 'print bystander up;read;print bystander done'
BYSTANDER=$SID
wait_output "$BYSTANDER" 'bystander up'

start_session 'ignored' "$T/repo" \
    '.providerId = "hostile" | .agentName = "evil\u001b]0;PWNED\u0007\u009b6n"'
HOSTILE=$SID
wait_ended "$HOSTILE"
assert_eq "$(state_of "$HOSTILE")" COMPLETED "the hostile CLI ran to its end"
# The attack is really there. The CLI writes an OSC 52 and a CSI in two
# pieces each; runnerd never cuts a chunk inside a sequence, so each
# arrives whole in one chunk (runnerctl's filter keeps its state across
# chunks anyway: ctl's unit tests).
output "$HOSTILE" >"$T/stored"
has "$T/stored" '\x1b\]52;c;cHduZWQ=' "stored output keeps OSC 52"
has "$T/stored" '\xc2\x9b6n' "stored output keeps C1 CSI"
chunks=$(events "$HOSTILE" | jq -c '[.[] | select(.type == "TERMINAL_CHUNK") | .data]')
jq -e '[.[] | select(endswith("\u001b]52;c;") or endswith("c\u001b["))] | length == 0' \
    <<<"$chunks" >/dev/null || fail "a sequence was split across chunks: $chunks"
jq -e '[.[] | select(contains("\u001b]52;c;c3BsaXQ=\u0007"))] | length == 1' \
    <<<"$chunks" >/dev/null || fail "the OSC 52 written in two pieces is not whole in one chunk: $chunks"
jq -e '[.[] | select(contains("\u001b[6nd"))] | length == 1' \
    <<<"$chunks" >/dev/null || fail "the CSI written in two pieces is not whole in one chunk: $chunks"
ok "the hostile CLI's sequences are in the log, each whole in one chunk"

# check_filtered FILE WHAT: text and colours, no stripped sequence.
check_filtered() {
	f=$1
	has "$f" '\x1b\[32mGREEN-TEXT\x1b\[0m' "$2: green text with its SGR"
	has "$f" '\x1b\[1;34mBLUE-TEXT\x1b\[m' "$2: blue text with its SGR"
	for pair in AB CD EF GH IJK LMNOPQR STUVW XYZ ab cd ef; do
		has "$f" "$pair" "$2: text around the sequences ($pair)"
	done
	has "$f" '\x1b\[\?1049h\x1b\[\?25lALT-SCREEN' "$2: alternate screen passes"
	hasnt "$f" '\x1b[\]P_^X]' "$2: OSC/DCS/APC/PM/SOS"
	hasnt "$f" '\x1b\[[>=]?[0-9;]*[cntp]' "$2: DA, DSR, window ops"
	hasnt "$f" '\x1b\[\?(2004|1000)' "$2: bracketed paste, mouse"
	hasnt "$f" '\x1bc' "$2: RIS"
	hasnt "$f" '\xc2[\x80-\x9f]' "$2: C1 code points"
	hasnt "$f" '[\x80-\x9f]' "$2: C1 bytes"
	hasnt "$f" 'PWNED|cHduZWQ|c3BsaXQ|qm|544e' "$2: string payloads"
	hasnt "$f" '[\x01-\x06\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]' "$2: other C0"
	assert_eq "$(tr -cd '\000' <"$f" | wc -c)" 0 "$2: NUL"
}

# check_raw FILE WHAT: every byte as it came.
check_raw() {
	f=$1
	has "$f" '\x1b\]52;c;cHduZWQ=\x07' "$2: OSC 52"
	has "$f" '\x1b\]0;PWNED-TITLE\x07' "$2: OSC 0"
	has "$f" '\x1b\]2;PWNED-TITLE\x1b\\' "$2: OSC 2"
	has "$f" '\x1bP\$qm\x1b\\' "$2: DCS"
	has "$f" '\x1b\[c' "$2: DA"
	has "$f" '\x1b\[6n' "$2: DSR"
	has "$f" '\x1b\[\?2004h' "$2: bracketed paste"
	has "$f" '\x1bc' "$2: RIS"
	has "$f" '\xc2\x9b6n' "$2: C1 CSI"
	has "$f" '\x1b\]52;c;c3BsaXQ=\x07' "$2: split OSC 52"
	has "$f" 'e\xc2\x9b6nf' "$2: split C1 CSI"
}

# events: the log.
"$RUNNERCTL" -s "$SOCK" events "$HOSTILE" >"$T/events" 2>"$T/err" ||
    fail "events: $(cat "$T/err")"
check_filtered "$T/events" "events"
has "$T/events" '(?m)^-- SESSION_ENDED COMPLETED, exit 0' "events: the end line"
has "$T/events" '\x1b\[\?1049l.*\x1b\[\?25h' "events: modes put back at the end"
"$RUNNERCTL" -s "$SOCK" events --raw "$HOSTILE" >"$T/events-raw" 2>"$T/err" ||
    fail "events --raw: $(cat "$T/err")"
check_raw "$T/events-raw" "events --raw"
hasnt "$T/events-raw" '\x1b\[\?1049l' "events --raw: nothing added"
ok "events: text and colours, no injected sequence; --raw as it came"

# events --follow: the SSE stream.
"$RUNNERCTL" -s "$SOCK" events --follow "$HOSTILE" >"$T/follow" 2>"$T/err" ||
    fail "events --follow: $(cat "$T/err")"
check_filtered "$T/follow" "events --follow"
"$RUNNERCTL" -s "$SOCK" events --follow --raw "$HOSTILE" >"$T/follow-raw" \
    2>"$T/err" || fail "events --follow --raw: $(cat "$T/err")"
check_raw "$T/follow-raw" "events --follow --raw"
ok "events --follow: filtered; --raw as it came"

# events --json: C1 escaped, the same data.
"$RUNNERCTL" -s "$SOCK" events --json "$HOSTILE" >"$T/json" 2>"$T/err" ||
    fail "events --json: $(cat "$T/err")"
hasnt "$T/json" '\xc2[\x80-\x9f]' "events --json: C1 code points"
hasnt "$T/json" '\x1b' "events --json: ESC"
has "$T/json" '\\u009b6n' "events --json: C1 escaped"
assert_eq "$(jq -rs '[.[] | select(.type == "TERMINAL_CHUNK") | .data] | join("")' \
    <"$T/json" | od -c)" "$(od -c <"$T/stored")" "events --json: the same data"
ok "events --json: C1 escaped, data unchanged"

# attach: the replayed terminal, on a file (no tty needed).
"$RUNNERCTL" -s "$SOCK" attach "$HOSTILE" </dev/null >"$T/attach" 2>"$T/err"
assert_eq "$?" 0 "attach exits with the session's code ($(cat "$T/err"))"
check_filtered "$T/attach" "attach"
has "$T/attach" 'ALT-SCREEN\r?\n\x1b\[\?1049l.*\x1b\[\?25h' \
    "attach: alternate screen and cursor put back"
"$RUNNERCTL" -s "$SOCK" attach --raw "$HOSTILE" </dev/null >"$T/attach-raw" \
    2>"$T/err"
assert_eq "$?" 0 "attach --raw ($(cat "$T/err"))"
check_raw "$T/attach-raw" "attach --raw"
hasnt "$T/attach-raw" '\x1b\[\?1049l' "attach --raw: nothing added"
ok "attach: text and colours, no injected sequence, modes put back; --raw as it came"

# events --follow killed by a signal still puts the modes back.
start_session 'ignored' "$T/repo" '.providerId = "linger"'
LINGER=$SID
wait_output "$LINGER" LINGER
"$RUNNERCTL" -s "$SOCK" events --follow "$LINGER" >"$T/linger" 2>"$T/err" &
CTL=$!
for _ in $(seq 1 100); do
	grep -aq LINGER "$T/linger" && break
	sleep 0.1
done
has "$T/linger" '\x1b\[\?1049h\x1b\[\?25l\x1b\[7mLINGER' "follow: the modes set"
kill -TERM "$CTL"
wait "$CTL"
assert_eq "$?" 143 "events --follow dies of SIGTERM"
has "$T/linger" 'LINGER\r?\n\x1b\[\?1049l\x1b\[m.*\x1b\[\?25h$' \
    "follow: modes put back on SIGTERM"
api POST "/api/runner/sessions/$LINGER/stop" '{"graceful":false}'
wait_ended "$LINGER"
ok "events --follow: modes put back when a signal ends it"

# show prints server text (here an agentName with OSC and C1 CSI) without
# controls, as text or as JSON.
"$RUNNERCTL" -s "$SOCK" show "$HOSTILE" >"$T/show" || fail "show"
has "$T/show" '(?m)^agentName: evil\?\]0;PWNED\?\?6n$' "show: the name, cleaned"
hasnt "$T/show" '[\x01-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "show: controls"
"$RUNNERCTL" -s "$SOCK" show --json "$HOSTILE" >"$T/show-json" || fail "show --json"
hasnt "$T/show-json" '\xc2[\x80-\x9f]|\x1b' "show --json: controls"
assert_eq "$(jq -r .agentName <"$T/show-json" | od -c)" \
    "$(printf 'evil\033]0;PWNED\007\302\2336n\n' | od -c)" "show --json: the name unchanged"
ok "show: server text without controls"

# The daemon and the session beside it are unharmed.
api GET /healthz
assert_eq "$STATUS" 200 "/healthz after the hostile session"
assert_eq "$(state_of "$BYSTANDER")" RUNNING "bystander still running"
api POST "/api/runner/sessions/$BYSTANDER/input" '{"data":"go\n"}'
wait_ended "$BYSTANDER"
assert_eq "$(state_of "$BYSTANDER")" COMPLETED "bystander completed"
assert_match "$(output "$BYSTANDER")" 'bystander done' "bystander output intact"
ok "daemon and the session beside it unharmed"

stop_daemon
