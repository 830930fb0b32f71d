#!/bin/bash
# runnerctl attach through a real pty (driven by python3's pty/termios):
# replayed and live output, keystrokes as input, raw mode, window size
# followed on SIGWINCH, detach with Ctrl-], exit with the session's code,
# and the terminal restored after detach, session end and SIGTERM.
. "$TESTS_SRCDIR/integration/lib.sh"
: "${RUNNERCTL:?RUNNERCTL must name the runnerctl binary}"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

cat >"$T/drive.py" <<'EOF'
# drive.py SOCK ID SCENARIO: run runnerctl attach on a fresh pty.
import fcntl, os, re, select, signal, struct, subprocess, sys, termios, time

sock, sid, scenario = sys.argv[1:4]
ctl = os.environ["RUNNERCTL"]
master, slave = os.openpty()

def setsize(rows, cols):
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

setsize(30, 100)
before = termios.tcgetattr(slave)
proc = subprocess.Popen([ctl, "-s", sock, "attach", sid[:8]], stdin=slave,
                        stdout=slave, stderr=slave, start_new_session=True,
                        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
out = b""

def die(msg):
    proc.kill()
    sys.exit("FAIL: %s; output so far: %r" % (msg, out[-600:]))

def pump(t):
    global out
    r, _, _ = select.select([master], [], [], t)
    if r:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass

def expect(pattern, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if re.search(pattern, out):
            return
        pump(0.1)
    die("never saw %r" % pattern)

def wait_exit(timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        pump(0.05)
        if proc.poll() is not None:
            for _ in range(5):
                pump(0.05)
            return proc.returncode
    die("runnerctl still running")

def assert_raw():
    lflag = termios.tcgetattr(slave)[3]
    if lflag & (termios.ICANON | termios.ECHO | termios.ISIG):
        die("terminal not in raw mode while attached")

def assert_restored(what):
    if termios.tcgetattr(slave) != before:
        die("terminal not restored after " + what)

if scenario == "input-detach":
    expect(rb"ready")                      # replayed from the log
    assert_raw()
    os.write(master, b"hello\r")
    expect(rb"got: hello")
    expect(rb"second")                     # live output
    os.write(master, b"\x1d")
    rc = wait_exit()
    if rc != 0:
        die("detach exit %d" % rc)
    expect(rb"detached from")
    assert_restored("detach")
elif scenario == "resize-sigterm":
    expect(rb"30 100")                     # the size sent at start
    assert_raw()
    setsize(50, 132)                       # the kernel sends SIGWINCH
    expect(rb"50 132")
    proc.send_signal(signal.SIGTERM)
    rc = wait_exit()
    if rc != 128 + signal.SIGTERM:
        die("SIGTERM exit %d" % rc)
    assert_restored("SIGTERM")
elif scenario == "sighup":
    expect(rb"\d+ \d+")
    assert_raw()
    proc.send_signal(signal.SIGHUP)
    rc = wait_exit()
    if rc != 128 + signal.SIGHUP:
        die("SIGHUP exit %d" % rc)
    assert_restored("SIGHUP")
elif scenario == "session-end":
    expect(rb"waiting")
    os.write(master, b"bye\r")
    rc = wait_exit()
    if rc != 5:
        die("exit %d, wanted the session's 5" % rc)
    expect(rb"got: bye")
    assert_restored("the session's end")
elif scenario == "hostile":
    # The agent prints terminal attacks among coloured text; on a real
    # terminal only the text and the colours arrive, and the alternate
    # screen it left on is left on the way out.
    rc = wait_exit()
    if rc != 0:
        die("exit %d" % rc)
    expect(rb"\x1b\[31mRED\x1b\[0m")
    expect(rb"AB")
    expect(rb"ALT\r\n\x1b\[\?1049l")
    for bad in (b"\x1b]", b"\x1bP", b"\x1b[c", b"\x1b[6n", b"\x1b[21t",
                b"\x1b[?2004h", b"\xc2\x9b", b"PWNED"):
        if bad in out:
            die("%r reached the terminal" % bad)
    assert_restored("a hostile session's end")
print("drive ok: " + scenario)
EOF

# drive ID SCENARIO
drive() {
	RUNNERCTL=$RUNNERCTL python3 "$T/drive.py" "$SOCK" "$1" "$2" ||
	    fail "attach scenario $2"
}

make_repo "$T/repo"
start_daemon '{"providers":{"sh":{"command":"/bin/sh","args":["-c","{goal}"]}}}'

# Input echoed by the agent, live output, detach; the session keeps running.
start_session 'print ready;read;print second;read;print after detach'
wait_output "$SID" ready
drive "$SID" input-detach
assert_eq "$(state_of "$SID")" RUNNING "session keeps running after detach"
api POST "/api/runner/sessions/$SID/input" '{"data":"more\n"}'
wait_ended "$SID"
assert_match "$(output "$SID")" 'got: hello' "input through attach"
ok "attach: output, input, Ctrl-] detach, terminal restored"

# The window size follows the pty: at start and on SIGWINCH.
start_session 'while :; do stty size; sleep 0.2; done' "$T/repo" '.providerId = "sh"'
wait_output "$SID" '^40 120|[^0-9]40 120'
drive "$SID" resize-sigterm
ok "attach: size at start and on SIGWINCH, SIGTERM restores the terminal"
drive "$SID" sighup
ok "attach: SIGHUP restores the terminal"
api POST "/api/runner/sessions/$SID/stop" '{"graceful":false}'
wait_ended "$SID"

# attach ends with the session and exits with its code.
start_session 'print waiting;read;exit 5'
wait_output "$SID" waiting
drive "$SID" session-end
ok "attach: exits with the session's exit code, terminal restored"

# Hostile output: OSC 52, title, DA, DSR, window report, bracketed paste
# and C1 CSI never reach the operator's terminal.
start_session 'printf "\\033[31mRED\\033[0m A\\033]52;c;UFdORUQ=\\007\\033]0;PWNED\\007\\033[c\\033[6n\\033[21t\\033[?2004h\\302\\2336nB\\n\\033[?1049hALT\\n"' \
    "$T/repo" '.providerId = "sh"'
wait_ended "$SID"
output "$SID" | grep -aq $'\e]52;c;' || fail "the hostile output was not recorded"
drive "$SID" hostile
ok "attach: agent output filtered on a real terminal, alternate screen put back"

# Errors: unknown session, no daemon.
"$RUNNERCTL" -s "$SOCK" attach zzzz </dev/null 2>"$T/err"
assert_eq "$?" 3 "attach of an unknown session"
"$RUNNERCTL" -s "$T/nope.sock" attach "$SID" </dev/null 2>"$T/err"
assert_eq "$?" 4 "attach without a daemon"
ok "attach: exit 3 unknown, 4 no connection"

stop_daemon
