#!/bin/bash
# Hostile agent, network half (issue 11 item 1): a sandboxed agent never
# reaches runnerd's listeners, the host's loopback, link-local or private
# addresses, in the default network mode (open) nor in restricted.
#
# The agent is a config-defined provider whose CLI is a shell script. It
# looks for the daemon's port in /proc/net/tcp{,6}, connects directly to
# 127.0.0.1, localhost, [::1] and the host's own address, goes through
# the proxy (curl with HTTP_PROXY, and hand-written CONNECT and forward
# requests for 127.1, decimal, hex, octal, mapped spellings), tries the
# Unix socket, sends UDP to a host listener, and asks for cloud metadata
# and a private address; every one of those must fail, and a neighbour
# session's held `git push` must still be pending afterwards (the test
# then approves it itself, proving the route it tried is real). A loopback
# HTTP server the operator allowlisted (127.0.0.1:PORT) is reachable in
# both modes, another is not, and runnerd's own port stays refused even
# though it is allowlisted. No packet goes to a non-loopback address: the
# host's own address has no route from the namespace, and the proxy
# refuses metadata and private addresses before it connects (its 403 and
# the ALERT name the reason).
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "the sandbox's uid switch needs root"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"

# A free loopback TCP port for the daemon, so that it can be allowlisted.
DP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The host's own address, if it has one (only ever refused, never sent to).
HIP=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1)
: "${HIP:=127.0.0.2}"

# serve NAME: a loopback HTTP server answering "hello from NAME" and
# logging each request to $T/NAME.log; its port in $T/NAME.port.
serve() {
	python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = ("hello from %s\n" % sys.argv[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    do_POST = do_GET
    def log_message(self, *a):
        sys.stderr.write("request %s\n" % self.path)
        sys.stderr.flush()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
' "$1" >"$T/$1.port" 2>"$T/$1.log" &
	echo $! >"$T/$1.pid"
}
# A UDP listener on the host's loopback: what it receives, in $T/udp.got.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    d, a = s.recvfrom(2048)
    open(sys.argv[1], "ab").write(d + b"\n")
' "$T/udp.got" >"$T/udp.port" 2>/dev/null &
UPID=$!
serve svc
serve other
CLI=$(mktemp -d /tmp/runnerd-hostile.XXXXXX)
SERVERS="$(cat "$T/svc.pid") $(cat "$T/other.pid") $UPID"
trap 'rc=$?; kill $SERVERS 2>/dev/null; rm -rf "$CLI"; (exit $rc); cleanup' EXIT
for _ in $(seq 1 100); do
	[ -s "$T/svc.port" ] && [ -s "$T/other.port" ] && [ -s "$T/udp.port" ] && break
	sleep 0.05
done
PS=$(cat "$T/svc.port")
PO=$(cat "$T/other.port")
PU=$(cat "$T/udp.port")
[ -n "$PS" ] && [ -n "$PO" ] && [ -n "$PU" ] || fail "the test servers did not start"

# The attacker. Its goal is "DP SID AID HIP PS PO PU SOCK".
chmod 755 "$CLI"
cat >"$CLI/attack.sh" <<'EOF'
#!/bin/bash
set -u
set -- $1
DP=$1 NSID=$2 AID=$3 HIP=$4 PS=$5 PO=$6 PU=$7 SOCK=$8
say() { printf '%s\n' "$*"; }
A="/api/runner/sessions/$NSID/approvals/$AID"
BODY='{"decision":"allow","note":"approved by the agent"}'
hex=$(printf '%04X' "$DP")

# The daemon's port in this namespace's socket tables? (The proxy's
# bridge, 3128 = 0C38, is there: the check can see sockets.)
if grep -qi ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
	say "procnet: found"
else
	say "procnet: clean"
fi
grep -qi ':0C38 ' /proc/net/tcp && say "procnet-bridge: found"

# Directly, around the proxy.
for h in 127.0.0.1 localhost '[::1]' "$HIP"; do
	c=$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -d "$BODY" "http://$h:$DP$A")
	say "direct $h: ${c:-none}"
done
if (exec 3<>"/dev/tcp/127.0.0.1/$DP") 2>/dev/null; then
	say "devtcp: connected"
else
	say "devtcp: failed"
fi

# Through the proxy with curl: forwarded and tunnelled.
for h in 127.0.0.1 localhost '[::1]' 0.0.0.0 127.1 2130706433 \
    0x7f000001 '[::ffff:127.0.0.1]' "$HIP"; do
	c=$(curl -s -m 10 -x "$HTTP_PROXY" -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -d "$BODY" "http://$h:$DP$A")
	say "proxy $h: $c"
	c=$(curl -s -m 10 -p -x "$HTTP_PROXY" -o /dev/null \
	    -w '%{http_connect}' -H 'Content-Type: application/json' \
	    -d "$BODY" "http://$h:$DP$A")
	say "tunnel $h: $c"
done

# Hand-written requests to the proxy, spellings curl would normalise.
raw() {
	exec 3<>/dev/tcp/127.0.0.1/3128 || { say "raw $2: no proxy"; return; }
	printf '%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	    "$1" "$2" ${#BODY} "$BODY" >&3
	IFS= read -r -t 10 line <&3
	rest=$(timeout 5 cat <&3 | tr -d '\r' | tail -1)
	exec 3<&-
	say "raw $1 $2: ${line%$'\r'} | $rest"
}
for h in 127.0.0.1 127.1 2130706433 0x7f000001 0177.0.0.1 017700000001 \
    localhost '[::1]' '[::ffff:7f00:1]' '[::127.0.0.1]' '[64:ff9b::7f00:1]' \
    0.0.0.0 '[::]'; do
	raw CONNECT "$h:$DP"
	raw POST "http://$h:$DP$A"
done

# The Unix socket (hidden) and UDP (no route out of the namespace).
c=$(curl -s -m 5 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' -d "$BODY" "http://x$A")
say "unix: ${c:-none}"
for h in 127.0.0.1 "$HIP"; do
	(printf 'from the agent\n' >"/dev/udp/$h/$PU") 2>/dev/null &&
	    say "udp $h: sent" || say "udp $h: failed"
done

# Loopback services of the host: the allowlisted one, another one.
say "svc: $(curl -s -m 10 -x "$HTTP_PROXY" "http://127.0.0.1:$PS/")"
say "svc-tunnel: $(curl -s -m 10 -p -x "$HTTP_PROXY" "http://127.0.0.1:$PS/")"
say "other: $(curl -s -m 10 -x "$HTTP_PROXY" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PO/")"
# The same with only the environment the agent was given (the request's
# NO_PROXY=127.0.0.1,localhost removed): loopback goes through the proxy.
say "no_proxy: ${no_proxy:-unset} ${NO_PROXY:-unset}"
say "svc-env: $(curl -s -m 10 "http://127.0.0.1:$PS/")"
say "other-env: $(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PO/")"

# Cloud metadata and a private address: refused before any connect.
raw GET "http://169.254.169.254/latest/meta-data/"
raw CONNECT "10.0.0.1:22"
raw CONNECT "[fd00::1]:443"
say "attack done"
EOF
chmod 755 "$CLI/attack.sh"

make_repo "$T/repo"
conf=$(jq -n --arg fake "$FAKE_AGENT_DIR" --arg cli "$CLI/attack.sh" \
    --arg svc "127.0.0.1:$PS" --arg dp "127.0.0.1:$DP" --arg dl "localhost:$DP" \
    --arg d6 "[::1]:$DP" '{sandbox: true, sandbox_expose: [$fake],
    network_allowlist: [$svc, $dp, $dl, $d6],
    providers: {hostile: {command: $cli, args: ["{goal}"]}}}')
RUNNERD_FLAGS="-l 127.0.0.1:$DP" start_daemon "$conf"
assert_eq "$URL" "http://127.0.0.1:$DP" "the daemon listens on the chosen port"
api GET /healthz
[ "$STATUS" = 200 ] || fail "healthz: $STATUS"
[ "$(jq -r .sandbox.layers.network.available <<<"$BODY")" = true ] ||
    skip "the sandbox's network layer is unavailable: $(jq -c .sandbox.layers.network <<<"$BODY")"
[ "$(jq -r .sandbox.layers.exec_policy.available <<<"$BODY")" = true ] ||
    skip "no exec policy here: a git push cannot be held"
assert_match "$(jq -r .sandbox.layers.network.detail <<<"$BODY")" "network namespace per session" \
    "healthz: the network layer's detail"

# The neighbour: a held git push in its own workspace.
start_session 'sh git init -q --bare pushed.git
sh git push -q pushed.git HEAD:refs/heads/held && echo pushed
print neighbour end' "$T/repo"
NSID=$SID
for _ in $(seq 1 200); do
	api GET "/api/runner/sessions/$NSID"
	AID=$(jq -r '[.pendingApprovals[] | select(.category == "merge") | .approvalId][0] // empty' <<<"$BODY")
	[ -n "$AID" ] && break
	sleep 0.1
done
[ -n "$AID" ] || fail "the neighbour's push was not held ($(state_of "$NSID"))"
assert_eq "$(state_of "$NSID")" WAITING_FOR_APPROVAL "neighbour held"

# attack MODE: run the attacker in that network mode; sets OUT, EV.
attack() {
	body=$(jq -n --arg g "$DP $NSID $AID $HIP $PS $PO $PU $SOCK" --arg p "$T/repo" \
	    --arg m "$1" '{providerId: "hostile", villageId: "test",
	    repoRef: {provider: "local", path: $p},
	    task: {title: "hostile", goal: $g}, policy: {networkMode: $m},
	    env: {NO_PROXY: "127.0.0.1,localhost,::1", no_proxy: "*"}}')
	api POST /api/runner/sessions "$body"
	[ "$STATUS" = 201 ] || fail "$1: start: $STATUS $BODY"
	HSID=$(jq -r .sessionId <<<"$BODY")
	wait_ended "$HSID" 180
	OUT=$(output "$HSID" | tr -d '\r')
	printf '%s\n' "$OUT" >"$T/attack-$1.out"
	EV=$(events "$HSID")
	assert_match "$OUT" "attack done" "$1: the attack ran to its end ($(state_of "$HSID"))"
}

# check MODE: everything the attacker tried failed; the neighbour is intact.
check() {
	m=$1
	assert_match "$OUT" "procnet-bridge: found" "$m: /proc/net/tcp is readable"
	assert_match "$OUT" "procnet: clean" "$m: the daemon's port is not in /proc/net/tcp{,6}"
	for h in 127.0.0.1 localhost '\[::1\]' "$HIP"; do
		assert_match "$OUT" "direct $h: 000" "$m: direct connect to $h"
	done
	assert_match "$OUT" "devtcp: failed" "$m: /dev/tcp to the daemon"
	for h in 127.0.0.1 localhost '\[::1\]' 0.0.0.0 127.1 2130706433 0x7f000001 \
	    '\[::ffff:127.0.0.1\]' "$HIP"; do
		assert_match "$OUT" "proxy $h: 40[03]" "$m: forward through the proxy to $h"
		assert_match "$OUT" "tunnel $h: 40[03]" "$m: CONNECT through the proxy to $h"
	done
	# 127.0.0.1, localhost and [::1] with the daemon's port are on the
	# allowlist, and refused all the same as runnerd's own listener.
	for h in 127.0.0.1 localhost '\[::1\]'; do
		assert_match "$OUT" "raw CONNECT $h:$DP: HTTP/1.1 403 .*refused: runnerd's own listener" \
		    "$m: raw CONNECT $h"
		assert_match "$OUT" "raw POST http://$h:$DP[^ ]*: HTTP/1.1 403 .*refused: runnerd's own listener" \
		    "$m: raw forward to $h"
	done
	# Other spellings: the same in open mode; not allowlisted in restricted.
	why="runnerd's own listener"
	[ "$m" = restricted ] && why="not on the network allowlist"
	for h in '\[::ffff:7f00:1\]' '\[::127.0.0.1\]' '\[64:ff9b::7f00:1\]' 0.0.0.0 '\[::\]'; do
		assert_match "$OUT" "raw CONNECT $h:$DP: HTTP/1.1 403 .*refused: $why" \
		    "$m: raw CONNECT $h"
		assert_match "$OUT" "raw POST http://$h:$DP[^ ]*: HTTP/1.1 403 .*refused: $why" \
		    "$m: raw forward to $h"
	done
	for h in 127.1 2130706433 0x7f000001 0177.0.0.1 017700000001; do
		assert_match "$OUT" "raw CONNECT $h:$DP: HTTP/1.1 400 " "$m: raw CONNECT $h"
		assert_match "$OUT" "raw POST http://$h:$DP[^ ]*: HTTP/1.1 400 " "$m: raw forward to $h"
	done
	api_like=$(printf '%s\n' "$OUT" | grep -E '^(direct|proxy|tunnel|raw|unix)' |
	    grep -E '(: |HTTP/1.1 )(2[0-9][0-9]|40[14-9])')
	[ -z "$api_like" ] || fail "$m: something answered like the API: $api_like"
	assert_match "$OUT" "unix: 000" "$m: the Unix socket"
	assert_match "$OUT" "svc: hello from svc" "$m: the allowlisted loopback server (forward)"
	assert_match "$OUT" "svc-tunnel: hello from svc" "$m: the allowlisted loopback server (CONNECT)"
	assert_match "$OUT" "other: 403" "$m: a loopback server not allowlisted"
	assert_match "$OUT" "no_proxy: unset unset" "$m: no NO_PROXY from the request's env"
	assert_match "$OUT" "svc-env: hello from svc" "$m: the allowlisted loopback server (proxy env only)"
	assert_match "$OUT" "other-env: 403" "$m: a loopback server not allowlisted (proxy env only)"
	assert_match "$OUT" "raw GET http://169.254.169.254/latest/meta-data/: HTTP/1.1 403 " "$m: metadata"
	assert_match "$OUT" "raw CONNECT 10.0.0.1:22: HTTP/1.1 403 " "$m: a private address"
	assert_match "$OUT" "raw CONNECT \[fd00::1\]:443: HTTP/1.1 403 " "$m: a private IPv6 address"
	[ -s "$T/udp.got" ] && fail "$m: UDP from the agent reached the host: $(cat "$T/udp.got")"
	grep -q request "$T/other.log" && fail "$m: the other server was reached: $(cat "$T/other.log")"

	alerts=$(jq -r '[.[] | select(.type=="ALERT_RAISED" and .category=="network") | .description] | join("\n")' <<<"$EV")
	assert_match "$alerts" "127\.0\.0\.1:$DP refused: runnerd's own listener" "$m: alert for the daemon's port"
	[ "$m" = restricted ] && assert_match "$alerts" "127\.0\.0\.1:$PO refused: not on the network allowlist" \
	    "$m: alert for the loopback server not allowlisted"
	refused=$(jq '.[-1].totalUsage.connectionsRefused' <<<"$EV")
	[ "$refused" -ge 30 ] || fail "$m: connectionsRefused $refused"

	# The neighbour: still held, the same approval, nothing resolved.
	api GET "/api/runner/sessions/$NSID"
	assert_eq "$(jq -r .state <<<"$BODY")" WAITING_FOR_APPROVAL "$m: the neighbour is still held"
	assert_eq "$(jq -r '.pendingApprovals[0].approvalId' <<<"$BODY")" "$AID" "$m: its approval is pending"
	assert_eq "$(events "$NSID" | jq '[.[] | select(.type=="APPROVAL_RESOLVED")] | length')" 0 \
	    "$m: no APPROVAL_RESOLVED"
	api GET /healthz
	assert_eq "$STATUS" 200 "$m: healthz"
}

attack open
check open
alerts=$(jq -r '[.[] | select(.type=="ALERT_RAISED" and .category=="network") | .description] | join("\n")' <<<"$EV")
assert_match "$alerts" "127\.0\.0\.1:$PO refused: loopback address" "open: alert names loopback"
assert_match "$alerts" "169\.254\.169\.254:80 refused: link-local address" "open: alert names link-local"
assert_match "$alerts" "10\.0\.0\.1:22 refused: private address" "open: alert names private"
assert_match "$OUT" "raw GET http://169.254.169.254/latest/meta-data/: HTTP/1.1 403 .*link-local address" \
    "open: metadata refused as link-local"
ok "open: the daemon's port, host loopback, metadata and private addresses refused; allowlisted server reached; neighbour untouched"

attack restricted
check restricted
alerts=$(jq -r '[.[] | select(.type=="ALERT_RAISED" and .category=="network") | .description] | join("\n")' <<<"$EV")
assert_match "$alerts" "127\.0\.0\.1:$PO refused: not on the network allowlist" "restricted: alert names the allowlist"
ok "restricted: the same, with the allowlist first"

# The route the agent tried is real: the test approves the push itself.
api POST "/api/runner/sessions/$NSID/approvals/$AID" '{"decision":"allow"}'
assert_eq "$STATUS" 200 "the test's approval ($BODY)"
wait_ended "$NSID"
assert_eq "$(state_of "$NSID")" COMPLETED "neighbour completed"
assert_match "$(output "$NSID")" pushed "the neighbour's push landed once approved"
grep -c request "$T/svc.log" | grep -qv '^0$' || fail "the allowlisted server saw no request"
ok "the neighbour's push, approved by the test, landed"

api GET /healthz
assert_eq "$STATUS" 200 "healthz at the end"
stop_daemon
ok "daemon healthy and stopped cleanly"
