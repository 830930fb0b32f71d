#!/bin/bash
# The red team's attacks that held (issue 11) keep holding. A hostile
# provider, a shell script of the test's under "providers", runs inside
# the sandbox: the kernel probe (tests/integration/probe.c: io_uring,
# userfaultfd, keys, every namespace, setns, ptrace, bpf, perf, the mount
# calls, TIOCSTI/TIOCLINUX, cgroup files, abstract and runnerd's Unix
# sockets, int 0x80, clone3/clone flags, raw sockets, kexec, modules,
# reboot, swap, chroot, sysrq, /dev/mem, /dev/kmsg, setuid, capset,
# personality, iopl, open_by_handle_at, /proc/PID/environ), then looks for
# tokens, host files and hidden dirs, plays symlink tricks on the diff and
# DELETE, poisons the cached checkout, fork-bombs, hogs memory, and tries
# the restricted network directly, over UDP and raw sockets and through
# the proxy by other spellings of loopback. Every attack fails, and after
# each the daemon answers /healthz, a neighbour session is RUNNING with its
# output whole, and the host is as it was. The probe is first run as root
# outside the sandbox, where its calls succeed: a probe that could not see
# an escape would fail here.
#
# The test's files are under /var/tmp, not /tmp (which the sandbox replaces
# whole), so that the state, cache and workspace dirs are hidden by the
# sandbox's view and not by its private /tmp.
[ -d /var/tmp ] && [ -w /var/tmp ] && TMPDIR=/var/tmp
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "the sandbox's uid switch needs root (runs as uid $(id -u))"
: "${PROBE:?PROBE must name the probe binary}"
[ -x "$PROBE" ] || fail "no probe at $PROBE"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"

TOKEN_D=ghp_heldDaemon$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
TOKEN_N=ghp_heldNeighbour$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
CANARY=/root/.runnerd-held-canary.$$
CANARY_TEXT="held-canary-$$-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
ABS=runnerd-held-$$
PIDS=

# The host's listeners: an HTTP server for the proxy (allowed), another
# (never to be reached), a UDP echo server (logs what it gets) and an
# abstract Unix socket (logs each connection).
python3 -c '
import http.server, socket, sys, threading
t = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(t + "/" + self.server.name + ".hits", "a") as f:
            f.write(self.path + "\n")
        b = ("hello from %s\n" % self.server.name).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
def serve(name):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    s.name = name
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s.server_address[1]
def udp(u):
    while True:
        d, a = u.recvfrom(512)
        with open(t + "/udp.hits", "a") as f:
            f.write("%r\n" % d)
        u.sendto(d, a)
def unix(x):
    while True:
        c, _ = x.accept()
        with open(t + "/abstract.hits", "a") as f:
            f.write("hit\n")
        c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
x = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
x.bind("\0" + sys.argv[2])
x.listen(8)
threading.Thread(target=udp, args=(u,), daemon=True).start()
threading.Thread(target=unix, args=(x,), daemon=True).start()
print(serve("allowed"), serve("other"), u.getsockname()[1], flush=True)
threading.Event().wait()
' "$T" "$ABS" >"$T/ports" 2>"$T/servers.log" &
PIDS="$PIDS $!"
# A process of the host's for ptrace, setns and environ.
sleep 600 &
HOSTPID=$!
PIDS="$PIDS $HOSTPID"
trap 'rc=$?; kill $PIDS 2>/dev/null; rm -f "$CANARY"; (exit $rc); cleanup' EXIT
for _ in $(seq 1 100); do
	[ -s "$T/ports" ] && break
	sleep 0.05
done
read -r P1 P2 UP <"$T/ports" || fail "the host's test servers did not start"
[ -n "$UP" ] || fail "no ports from the test servers"

( umask 077; printf '%s\n' "$CANARY_TEXT" line2 line3 line4 line5 >"$CANARY" )
mkdir -p "$T/victim-dir"
( umask 077; printf 'victim\n' >"$T/victim.txt" )
printf 'in the dir\n' >"$T/victim-dir/keep.txt"

# The hostile CLI: its goal is shell, run by bash with the probe beside it.
CLI=$T/cli
mkdir -p "$CLI"
# The agent may pass through $T to its CLI, not list it.
chmod 711 "$T"
chmod 755 "$CLI"
cp "$PROBE" "$CLI/probe"
cat >"$CLI/hostile-agent" <<'EOF'
#!/bin/bash
# A hostile agent CLI for t-hostile-held.sh: runs its goal as shell.
PROBE=$(dirname "$0")/probe
eval "$1"
echo "hostile done"
EOF
chmod 755 "$CLI/hostile-agent"

# --- The probe as root outside the sandbox: it must see escapes. ----------
cd "$T" || fail "cd $T"
NAMES=$("$PROBE" --list) || fail "probe --list"
ARGS="ptrace=$HOSTPID vm_readv=$HOSTPID setns=$HOSTPID environ=$HOSTPID
abstract=$ABS tcp=127.0.0.1:$P2 udp=127.0.0.1:$UP"
"$PROBE" $NAMES $ARGS >"$T/outside" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "probe outside the sandbox exited $rc: $(cat "$T/outside")"
for n in $NAMES $ARGS; do
	grep -Eq "^$n: (blocked \\(.*\\)|ESCAPED \\(.*\\))\$" "$T/outside" ||
	    fail "probe said nothing right for $n outside: $(cat "$T/outside")"
done
# What root can always do on Linux: each must be seen to escape.
core="userfaultfd add_key keyctl unshare-mnt unshare-net unshare-pid unshare-user
bpf perf_event_open mount umount2 pivot_root open_tree move_mount fsopen
fsmount tiocsti raw-socket packet-socket clone3 clone-newuser clone-newns
reboot swapon chroot setuid capset personality open_by_handle_at dev-kmsg
ptrace=$HOSTPID vm_readv=$HOSTPID setns=$HOSTPID environ=$HOSTPID
abstract=$ABS tcp=127.0.0.1:$P2 udp=127.0.0.1:$UP"
for n in $core; do
	grep -q "^$n: ESCAPED" "$T/outside" ||
	    fail "the probe cannot see $n escape as root: $(grep "^$n:" "$T/outside")"
done
# Bad words are usage errors, not results.
for bad in bogus ptrace ptrace=x io_uring=1 tcp=127.0.0.1 udp=host:1 abstract=; do
	"$PROBE" "$bad" >/dev/null 2>&1
	assert_eq "$?" 2 "probe $bad"
done
[ "$(grep -c . "$T/abstract.hits")" -ge 1 ] || fail "the abstract socket saw no connection"
[ "$(grep -c . "$T/udp.hits")" -ge 1 ] || fail "the UDP server saw no datagram"
rm -f "$T/abstract.hits" "$T/udp.hits" "$T/other.hits"
unseen=$(sed -n 's/^\([^:]*\): blocked.*/\1/p' "$T/outside" | tr '\n' ' ')
ok "probe as root outside: $(grep -c ESCAPED "$T/outside") of $(wc -l <"$T/outside") escape (host cannot show: ${unseen:-none})"

# --- The daemon, a neighbour -------------------------------------------------
make_repo "$T/repo"
conf=$(jq -n --arg cli "$CLI" --arg fake "$FAKE_AGENT_DIR" \
    --arg a "127.0.0.1:$P1" '{sandbox: true, sandbox_expose: [$cli, $fake],
    network_allowlist: [$a], pids_max: 64, memory_max_bytes: 67108864,
    providers: {hostile: {command: ($cli + "/hostile-agent"),
    args: ["{goal}"]}}}')
export GITHUB_TOKEN=$TOKEN_D
start_daemon "$conf"
unset GITHUB_TOKEN
tr '\0' '\n' <"/proc/$DPID/environ" | grep -qx "GITHUB_TOKEN=$TOKEN_D" ||
    fail "the daemon does not hold GITHUB_TOKEN"
api GET /healthz
assert_eq "$STATUS" 200 "healthz"
sb=$(jq -c .sandbox <<<"$BODY")
for l in identity namespaces seccomp landlock; do
	[ "$(jq ".layers.$l.available" <<<"$sb")" = true ] ||
	    skip "sandbox layer $l is unavailable here: $(jq -r ".layers.$l.detail" <<<"$sb")"
done
ABI=$(jq -r .layers.landlock.detail <<<"$sb" | sed -n 's/.*ABI \([0-9]*\).*/\1/p')
NETOK=$(jq -r '.layers.network.available // true' <<<"$sb")
DPORT=${URL##*:}

start_session 'print neighbour up
read
print neighbour bye' "$T/repo" ".env = {NEIGHBOUR_TOKEN: \"$TOKEN_N\"}"
NB=$SID
wait_output "$NB" 'neighbour up'
api GET "/api/runner/sessions/$NB"
NPID=$(jq -r .providerPid <<<"$BODY")
NOUT=$(output "$NB")
ok "daemon (GITHUB_TOKEN in its env) and a neighbour (a token in its env) up"

# unharmed AFTER-WHAT: the daemon answers, the neighbour runs, its output is
# what it was, the host's files are there.
unharmed() {
	api GET /healthz
	assert_eq "$STATUS" 200 "$1: /healthz"
	assert_eq "$(state_of "$NB")" RUNNING "$1: the neighbour's state"
	assert_eq "$(output "$NB")" "$NOUT" "$1: the neighbour's output"
	kill -0 "$NPID" 2>/dev/null || fail "$1: the neighbour's agent is gone"
	assert_eq "$(head -1 "$CANARY" 2>/dev/null)" "$CANARY_TEXT" "$1: $CANARY"
	assert_eq "$(cat "$T/victim.txt" 2>/dev/null)" victim "$1: victim.txt"
	assert_eq "$(cat "$T/victim-dir/keep.txt" 2>/dev/null)" "in the dir" \
	    "$1: victim-dir/keep.txt"
}

# hostile GOAL [JQ-FILTER]: a hostile session runs GOAL to its end; sets
# SID, OUT (its output, no CRs), EV (its events).
hostile() {
	api POST /api/runner/sessions "$(jq -n --arg goal "$1" --arg path "$T/repo" "{
	  providerId: \"hostile\", villageId: \"test\",
	  repoRef: {provider: \"local\", path: \$path},
	  task: {title: \"hostile\", goal: \$goal}} ${2:+| $2}")"
	[ "$STATUS" = 201 ] || fail "start hostile: $STATUS $BODY"
	SID=$(jq -r .sessionId <<<"$BODY")
	wait_ended "$SID" 60
	OUT=$(output "$SID" | tr -d '\r')
	EV=$(events "$SID")
}

# expect_line REGEX: a line of OUT matches.
expect_line() {
	printf '%s\n' "$OUT" | grep -Eq -- "^$1\$" ||
	    fail "no line /^$1\$/ in the hostile output: $(printf '%s\n' "$OUT" | grep -E "^${1%%[ :]*}" | head -3)"
}

# no_tokens WHERE: neither token is in the session's events.
no_tokens() {
	for t in "$TOKEN_D" "$TOKEN_N" "$CANARY_TEXT"; do
		grep -qF -- "$t" <<<"$EV" && fail "$1: $t is in the events"
	done
	return 0
}

# --- 1. Kernel probes inside the sandbox ------------------------------------
INSIDE="$NAMES ptrace=1 ptrace=$HOSTPID ptrace=$DPID ptrace=$NPID
vm_readv=1 vm_readv=$DPID setns=1 setns=$HOSTPID setns=$DPID environ=$DPID
environ=$NPID cgroup-procs unix=$SOCK"
# Abstract sockets of the host: a network namespace or Landlock ABI 6 scoping.
[ "${ABI:-0}" -ge 6 ] && INSIDE="$INSIDE abstract=$ABS"
hostile "\"\$PROBE\" $(echo $INSIDE); echo \"probe exit \$?\""
expect_line 'probe exit 0'
for n in $INSIDE; do
	expect_line "$n: blocked \\(.*\\)"
done
# TIOCLINUX is refused by the filter itself, not only by the pty.
expect_line 'tioclinux: blocked \(Operation not permitted\)'
printf '%s\n' "$OUT" | grep -q ESCAPED && fail "an escape: $(grep ESCAPED <<<"$OUT")"
[ ! -s "$T/abstract.hits" ] || fail "the host's abstract socket was reached"
assert_eq "$(state_of "$SID")" COMPLETED "probe session ($(printf '%s' "$OUT" | tail -3))"
no_tokens "probe session"
unharmed "the kernel probes"
ok "kernel probes: $(wc -w <<<"$INSIDE") attempts blocked inside the sandbox"

# --- 2. Tokens, host files, hidden dirs --------------------------------------
hostile "
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do
	grep -aqE 'ghp_[h]eld' \"\$f\" 2>/dev/null && echo \"token in \$f\"
done
env | grep -E 'ghp_[h]eld' >/dev/null && echo 'token in env'
grep -rlaE 'ghp_[h]eld' /tmp /run /var/tmp /dev/shm /etc \"\$HOME\" . 2>/dev/null |
    sed 's/^/token in /'
ls /proc | grep -E '^[0-9]+\$' | sort -n | tr '\n' ' ' | sed 's/^/pids: /'; echo
for p in /etc/shadow $CANARY /root $STATE $STATE/sessions $T/cache \
    $WS/$NB $WS/$NB/README.md $WS/.overlay /etc/runnerd $T/victim.txt; do
	if [ -d \"\$p\" ]; then
		n=\$(ls -A \"\$p\" 2>&1) && echo \"read \$p: [\$n]\" ||
		    echo \"denied \$p: \${n##*: }\"
	else
		n=\$(cat \"\$p\" 2>&1 >/dev/null) && echo \"read \$p\" ||
		    echo \"denied \$p: \${n##*: }\"
	fi
done
ls -A $WS | tr '\n' ' ' | sed 's/^/workspaces: /'; echo
"
expect_line 'hostile done'
printf '%s\n' "$OUT" | grep '^token in' && fail "a token was found: $(grep '^token in' <<<"$OUT")"
expect_line 'pids: 1 2( [0-9]+)* ?'
for p in /etc/shadow "$CANARY" /root "$T/victim.txt"; do
	expect_line "denied $p: .*"
done
# Hidden, not merely unreadable: absent or empty where they stand (their
# modes alone would say "Permission denied").
for p in "$STATE" "$STATE/sessions" "$T/cache" "$WS/$NB" "$WS/$NB/README.md" \
    "$WS/.overlay" /etc/runnerd; do
	printf '%s\n' "$OUT" | grep -Eq "^(denied $p: No such file or directory|read $p: \\[\\])\$" ||
	    fail "hidden $p shows: $(grep -E "^(read|denied) $p" <<<"$OUT")"
done
expect_line "workspaces: $SID "
assert_eq "$(state_of "$SID")" COMPLETED "token hunt session"
no_tokens "token hunt"
unharmed "the token hunt"
ok "tokens (daemon's env, neighbour's env) not found; /etc/shadow, /root, state, cache, other workspaces denied or empty"

# --- 3. Symlinks against the diff and DELETE ---------------------------------
hostile "
ln -s $CANARY canary-link
ln -s /etc/shadow shadow-link
ln -s $T/victim.txt victim-link
ln -s $T/victim-dir victim-dir
ln -s / rootfs
ln $CANARY hard-link 2>/dev/null && echo 'hard link made'
mkdir -p sub && ln -s ../../../../../../../../$T/victim.txt sub/up-link
echo 'symlinks placed'
"
expect_line 'symlinks placed'
printf '%s\n' "$OUT" | grep -q 'hard link made' && fail "a hard link to $CANARY was made"
SYM=$SID
[ -L "$WS/$SYM/canary-link" ] || fail "the agent's symlink is not in its workspace"
diff=$(jq -c '[.[] | select(.type=="DIFF_SUMMARY")][-1]' <<<"$EV")
[ "$diff" != null ] || fail "no DIFF_SUMMARY for the symlink session"
# A symlink is one line of link text, never its target's lines.
for f in canary-link shadow-link victim-link victim-dir rootfs; do
	jq -e --arg f "$f" 'any(.files[]; .path == $f)' <<<"$diff" >/dev/null ||
	    fail "DIFF_SUMMARY does not list the symlink $f: $diff"
	a=$(jq --arg f "$f" '[.files[] | select(.path == $f) | .additions // 0][0] // 0' <<<"$diff")
	[ "$a" -le 1 ] || fail "DIFF_SUMMARY counts $a lines for $f: $diff"
done
jq -e '[.files[].path] | any(startswith("victim-dir/") or startswith("rootfs/"))' \
    <<<"$diff" >/dev/null && fail "the diff walked through a directory symlink: $diff"
no_tokens "symlink session"
grep -qF -- "$CANARY_TEXT" <<<"$EV" && fail "the canary's content is in the events"
grep -q '^root:' <<<"$(jq -r '.. | strings' <<<"$EV")" && fail "/etc/shadow's content is in the events"
api DELETE "/api/runner/sessions/$SYM"
[ "$STATUS" = 200 ] || [ "$STATUS" = 204 ] || fail "DELETE: $STATUS $BODY"
for _ in $(seq 1 50); do [ -e "$WS/$SYM" ] || break; sleep 0.1; done
[ ! -e "$WS/$SYM" ] || fail "DELETE left the workspace"
[ -e /etc/shadow ] || fail "/etc/shadow is gone"
unharmed "DELETE of a workspace full of symlinks"
echo "# the symlink session's diff: $(jq -c .files <<<"$diff")"
ok "symlinks to host files: no target content in DIFF_SUMMARY, DELETE removed the links, not the targets"

# --- 4. Poisoning the shared cached checkout ---------------------------------
# checkouts: the cached checkouts (overlay workspaces' lower dirs).
checkouts() { find "$T/cache" -maxdepth 3 -type d -regextype egrep \
    -regex '.*/checkouts/[0-9a-f]{64}' 2>/dev/null; }
api GET /healthz
MODE=$(jq -r .workspace.mode <<<"$BODY")
CO=$(checkouts)
if [ "$MODE" = overlay ]; then
	assert_eq "$(wc -l <<<"$CO")" 1 "one cached checkout for the commit"
fi
hostile "
lower=\$(sed -n 's/.*lowerdir=\\([^,]*\\).*/\\1/p' /proc/self/mountinfo | tr ':' '\n' | sort -u)
for l in \$lower $CO; do
	for f in \"\$l/README.md\" \"\$l/.git/config\" \"\$l/poison.txt\"; do
		echo poison >>\"\$f\" 2>/dev/null && echo \"poisoned \$f\"
	done
done
echo poisoned-readme >>README.md
echo poison >poison.txt
git config core.hooksPath /tmp/evil
obj=\$(echo poison | git hash-object -w --stdin) && echo \"object \$obj\"
git add -A && git -c user.name=x -c user.email=x@x commit -qm poison && echo committed
for o in .git/objects/*/*; do chmod u+w \"\$o\" 2>/dev/null; echo x >>\"\$o\" 2>/dev/null; done
echo 'poison placed'
"
expect_line 'poison placed'
expect_line 'committed'
printf '%s\n' "$OUT" | grep '^poisoned ' && fail "the lower dir was written: $(grep '^poisoned' <<<"$OUT")"
hostile "cat README.md; test -e poison.txt && echo 'poison seen'
git config --get core.hooksPath && echo 'config poisoned'
git status --porcelain | sed 's/^/dirty: /'
git fsck --no-dangling >/dev/null 2>&1 && echo 'fsck ok'
git log --format=%s -1 | sed 's/^/head: /'"
expect_line 'hello'
expect_line 'second'
expect_line 'fsck ok'
expect_line 'head: second'
printf '%s\n' "$OUT" | grep -Eq '^(poison seen|config poisoned|dirty: |poisoned-readme)' &&
    fail "the second session saw the poison: $OUT"
if [ "$MODE" = overlay ]; then
	assert_eq "$(checkouts)" "$CO" "the same cached checkout under every session"
	assert_eq "$(cat "$CO/README.md")" "$(printf 'hello\nsecond')" "the cached checkout's README"
	[ ! -e "$CO/poison.txt" ] || fail "the cached checkout holds poison.txt"
	assert_eq "$(git -c safe.directory='*' -C "$CO" status --porcelain)" "" "the cached checkout is clean"
fi
unharmed "poisoning the cache"
ok "cached checkout: unwritten through any path; the next session on the commit sees a clean tree"

# --- 5. Fork bomb and memory hog ---------------------------------------------
hostile "python3 -c '
import os, time
kids = []
try:
    for _ in range(5000):
        pid = os.fork()
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        kids.append(pid)
except OSError as e:
    print(\"forkbomb stopped at %d: %s\" % (len(kids), e.strerror), flush=True)
else:
    print(\"forkbomb not stopped: %d\" % len(kids), flush=True)
for pid in kids:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
'"
nfork=$(sed -n 's/^forkbomb stopped at \([0-9]*\):.*/\1/p' <<<"$OUT")
[ -n "$nfork" ] || fail "the fork bomb was not stopped: $(tail -3 <<<"$OUT")"
[ "$nfork" -lt 64 ] || fail "the fork bomb made $nfork processes, pids_max is 64"
unharmed "the fork bomb"
hostile "head -c 512M /dev/zero | tail -n 1 >/dev/null; st=\${PIPESTATUS[1]}
echo \"hog status \$st\"; [ \"\$st\" = 0 ] && echo 'hog survived'"
printf '%s\n' "$OUT" | grep -q 'hog survived' && fail "512 MiB fit in a 64 MiB session"
api GET "/api/runner/sessions/$SID"
if [ "$(jq -r .state <<<"$BODY")" = FAILED ]; then
	assert_match "$(jq -r .errorMessage <<<"$BODY")" 'out of memory' "the hog's end"
else
	expect_line 'hog status (137|1)'
fi
hogend="$(jq -r .state <<<"$BODY"): $(grep -o 'hog status [0-9]*' <<<"$OUT")"
peak=$(jq '.[-1].totalUsage.peakMemoryBytes // 0' <<<"$EV")
[ "$peak" -gt 0 ] && [ "$peak" -le 67108864 ] || fail "memory peak $peak, the limit is 64 MiB"
unharmed "the memory hog"
ok "fork bomb stopped at $nfork (pids_max 64); memory hog ended ($hogend), peak $peak"

# --- 6. Restricted network ---------------------------------------------------
if [ "$NETOK" = false ]; then
	echo "SKIP: restricted network: the network layer is unavailable" >&2
else
	spell="127.1 0x7f000001 2130706433 0177.0.0.1 0 0.0.0.0 127.0.0.1. localhost [::1] [::ffff:127.0.0.1] [::ffff:7f00:1]"
	hostile "
\"\$PROBE\" tcp=127.0.0.1:$P2 tcp=127.0.0.1:$DPORT udp=127.0.0.1:$UP raw-socket packet-socket abstract=$ABS
echo \"probe exit \$?\"
curl -sS --noproxy '' -x \"\$HTTP_PROXY\" http://127.0.0.1:$P1/
for h in $spell; do
	c=\$(curl -sS --noproxy '' -x \"\$HTTP_PROXY\" -o /dev/null -w '%{http_code}' http://\$h:$P2/ 2>/dev/null)
	echo \"proxy \$h: \${c:-none}\"
	curl -sS --noproxy '' -p -x \"\$HTTP_PROXY\" -o /dev/null http://\$h:$P2/ 2>/dev/null &&
	    echo \"tunnel \$h: through\" || echo \"tunnel \$h: refused\"
done
c=\$(curl -sS --noproxy '' -x \"\$HTTP_PROXY\" -o /dev/null -w '%{http_code}' http://127.0.0.1:$DPORT/healthz 2>/dev/null)
echo \"proxy daemon: \${c:-none}\"
" '.policy = {networkMode: "restricted"}'
	expect_line 'probe exit 0'
	for n in tcp=127.0.0.1:$P2 tcp=127.0.0.1:$DPORT udp=127.0.0.1:$UP raw-socket packet-socket abstract=$ABS; do
		expect_line "$n: blocked \\(.*\\)"
	done
	expect_line 'hello from allowed'
	for h in $spell; do
		printf '%s\n' "$OUT" | grep -F "proxy $h: " |
		    grep -Eqx '.*: (4[0-9][0-9]|5[0-9][0-9]|000|none)' ||
		    fail "proxy by $h: $(grep -F "proxy $h:" <<<"$OUT")"
		printf '%s\n' "$OUT" | grep -Fqx "tunnel $h: refused" ||
		    fail "CONNECT by $h: $(grep -F "tunnel $h:" <<<"$OUT")"
	done
	printf '%s\n' "$OUT" | grep -Eq '^proxy daemon: (4[0-9][0-9]|5[0-9][0-9]|000|none)$' ||
	    fail "the daemon through the proxy: $(grep 'proxy daemon' <<<"$OUT")"
	grep -q 'hello from other' <<<"$OUT" && fail "the other server answered"
	[ ! -s "$T/other.hits" ] || fail "the other server was reached: $(cat "$T/other.hits")"
	[ ! -s "$T/udp.hits" ] || fail "the UDP server got a datagram"
	[ ! -s "$T/abstract.hits" ] || fail "the host's abstract socket was reached"
	unharmed "the restricted network"
	ok "restricted: no direct TCP (a host server, the daemon), UDP, raw or packet socket; the proxy refuses $(wc -w <<<"$spell") spellings of loopback"
fi

# The neighbour ends as it would have; its token never showed.
api POST "/api/runner/sessions/$NB/input" '{"data":"fine\n"}'
wait_ended "$NB"
assert_eq "$(state_of "$NB")" COMPLETED "the neighbour's end"
assert_match "$(output "$NB")" 'got: fine' "the neighbour read its input"
grep -rqF -- "$TOKEN_N" "$STATE" && fail "the neighbour's token is in the state dir"
grep -rqF -- "$TOKEN_D" "$STATE" && fail "the daemon's token is in the state dir"
api GET /healthz
assert_eq "$STATUS" 200 "healthz at the end"
stop_daemon
ok "the neighbour finished normally; the daemon stopped cleanly"
