#!/bin/bash
# systemd integration: sd_notify datagrams (READY=1 once listening, STATUS=
# with counts, WATCHDOG=1, STOPPING=1 at SIGTERM) on a test NOTIFY_SOCKET;
# socket activation with LISTEN_FDS; systemd-analyze verify on the units.
. "$TESTS_SRCDIR/integration/lib.sh"

command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
RPID=

# A NOTIFY_SOCKET receiver: one datagram per record, records split by ^^.
python3 - "$T/notify" "$T/notify.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        d = s.recv(4096)
        f.write(d + b"\n^^\n")
PY
RPID=$!
trap 'kill $RPID 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 50); do [ -S "$T/notify" ] && break; sleep 0.05; done
[ -S "$T/notify" ] || fail "notify receiver did not start"

# wait_notify REGEX [SECONDS]: until a datagram line matches.
wait_notify() {
	n=$(( ${2:-10} * 10 ))
	for _ in $(seq 1 $n); do
		grep -Eq -- "$1" "$T/notify.log" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no datagram matched /$1/; got: $(tr '\n' ' ' <"$T/notify.log" 2>/dev/null)"
}

make_repo "$T/repo"
export NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=400000
start_daemon
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_notify '^READY=1$'
api GET /healthz
assert_eq "$STATUS" 200 "healthz once READY"
# READY=1 comes with the first STATUS= in one datagram, after the listener.
assert_eq "$(sed -n '1p;2p' "$T/notify.log" | tr '\n' '|')" \
    "READY=1|STATUS=0 sessions active, 0 known; workers 0 idle, 0 busy|" \
    "first datagram"
ok "READY=1 with STATUS= once listening"

wait_notify '^WATCHDOG=1$'
sleep 1
n=$(grep -c '^WATCHDOG=1$' "$T/notify.log")
[ "$n" -ge 3 ] || fail "only $n WATCHDOG=1 in ~1s with WATCHDOG_USEC=400000"
ok "WATCHDOG=1 every WATCHDOG_USEC/2 ($n pings)"

start_session 'print waiting;read;print done'
wait_output "$SID" waiting
wait_notify '^STATUS=1 sessions active, 1 known; workers [0-9]+ idle, 1 busy$'
ok "STATUS= follows the session count"

api POST "/api/runner/sessions/$SID/input" '{"data":"x\n"}'
wait_ended "$SID"
wait_notify '^STATUS=0 sessions active, 1 known'
kill -HUP "$DPID"
wait_notify '^RELOADING=1$'
ok "RELOADING=1 at SIGHUP"

stop_daemon
grep -q '^STOPPING=1$' "$T/notify.log" || fail "no STOPPING=1 at SIGTERM"
ok "STOPPING=1 at SIGTERM"

# Socket activation: fds 3 (TCP) and 4 (Unix) bound by a launcher that
# then becomes runnerd (same pid, as LISTEN_PID requires).
ASOCK=$T/act.sock
: >"$T/runnerd.out"
python3 - "$RUNNERD" "$ASOCK" "$T/port" "$STATE" "$T/runnerd.conf" \
    >"$T/runnerd.out" 2>>"$T/runnerd.log" <<'PY' &
import os, socket, sys
runnerd, path, portfile, state, conf = sys.argv[1:6]
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 0)); t.listen(16)
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind(path); u.listen(16)
with open(portfile, "w") as f:
    f.write(str(t.getsockname()[1]))
os.dup2(t.fileno(), 3); os.dup2(u.fileno(), 4)
os.set_inheritable(3, True); os.set_inheritable(4, True)
env = dict(os.environ, LISTEN_FDS="2", LISTEN_PID=str(os.getpid()),
           LISTEN_FDNAMES="runnerd:runnerd")
# -l and -s point elsewhere: the activated sockets must win.
os.execve(runnerd, [runnerd, "-c", conf, "-d", state, "-l", "127.0.0.1:1",
          "-s", path + ".unused"], env)
PY
DPID=$!
for _ in $(seq 1 100); do
	grep -q '^listening on' "$T/runnerd.out" && break
	kill -0 "$DPID" 2>/dev/null || fail "activated runnerd exited at start"
	sleep 0.05
done
port=$(cat "$T/port")
assert_eq "$(sed -n 's/^listening on //p' "$T/runnerd.out")" "127.0.0.1:$port" \
    "listens on the activated TCP socket"
URL=http://127.0.0.1:$port
api GET /healthz
assert_eq "$STATUS" 200 "healthz over the activated TCP socket"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ASOCK" \
    http://localhost/api/runner/sessions)
assert_eq "$code" 200 "API over the activated Unix socket"
[ -e "$ASOCK.unused" ] && fail "bound -s although a Unix socket was passed"
grep -q 'socket activation: fd 3 (runnerd) tcp' "$T/runnerd.log" || fail "fd 3 not logged as tcp"
grep -q 'socket activation: fd 4 (runnerd) unix' "$T/runnerd.log" || fail "fd 4 not logged as unix"
ok "socket activation: serves on the passed TCP and Unix sockets"
stop_daemon
[ -S "$ASOCK" ] || fail "runnerd removed the activated socket file (systemd owns it)"
ok "the activated socket file is left to systemd"

# Hostile activation variables for our pid are a start-up error naming the
# variable; LISTEN_* meant for another pid are ignored (unset, not used).
rc=0
timeout 10 sh -c 'LISTEN_PID=$$ LISTEN_FDS=abc exec "$0" "$@"' "$RUNNERD" \
    -c "$T/runnerd.conf" -d "$STATE" -l 127.0.0.1:0 -s "$T/x.sock" \
    >/dev/null 2>"$T/err" || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "LISTEN_FDS=abc accepted (rc $rc)"
grep -q "LISTEN_FDS: 'abc'" "$T/err" || fail "LISTEN_FDS error not named: $(cat "$T/err")"
ok "a hostile LISTEN_FDS is refused, naming the variable"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	sed "s|/usr/local/sbin/runnerd|$RUNNERD|g" \
	    "$TESTS_SRCDIR/../contrib/runnerd.service" >"$T/units/runnerd.service"
	cp "$TESTS_SRCDIR/../contrib/runnerd.socket" "$T/units/"
	(cd "$T/units" && systemd-analyze verify --man=no \
	    ./runnerd.socket ./runnerd.service) >"$T/verify" 2>&1 ||
	    fail "systemd-analyze verify: $(cat "$T/verify")"
	ok "systemd-analyze verify passes on the units"
else
	echo "# systemd-analyze not installed: units not verified"
fi
