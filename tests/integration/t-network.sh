#!/bin/bash
# Networking: every sandboxed session runs in a network namespace of its
# own, "restricted" and "open" alike. It cannot reach a loopback server of
# the host directly; in restricted mode, through the worker's proxy
# (HTTP_PROXY in its environment) it reaches the allowlisted server, by
# plain HTTP and by CONNECT, while the other server is refused with 403 and
# one ALERT_RAISED (category network) naming it, however often it retries.
# A keep-alive server asked twice by one curl: the forwarded answer says
# close, so the second request goes on a new connection.
. "$TESTS_SRCDIR/integration/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) is not installed"
unshare --net true 2>/dev/null || skip "network namespaces are not available here"

# serve NAME [keepalive]: a loopback HTTP server answering "hello from
# NAME PATH on connection N"; with keepalive an HTTP/1.1 one that keeps
# connections, answering "Connection: keep-alive" as Node's does. Its
# port in $T/NAME.port.
serve() {
	python3 -c '
import http.server, sys, threading
keep = len(sys.argv) > 2
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1" if keep else "HTTP/1.0"
    conns = 0
    lock = threading.Lock()
    def setup(self):
        super().setup()
        with H.lock:
            H.conns += 1
            self.conn = H.conns
    def do_GET(self):
        b = ("hello from %s %s on connection %d\n" %
             (sys.argv[1], self.path, self.conn)).encode()
        self.send_response(200)
        if keep:
            self.send_header("Connection", "keep-alive")
            self.send_header("Keep-Alive", "timeout=30")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
print(s.server_address[1], flush=True)
s.serve_forever()
' "$@" >"$T/$1.port" 2>"$T/$1.log" &
	echo $! >"$T/$1.pid"
}
serve allowed
serve other
serve keepalive keepalive
SERVERS="$(cat "$T/allowed.pid") $(cat "$T/other.pid") $(cat "$T/keepalive.pid")"
trap 'rc=$?; kill $SERVERS 2>/dev/null; (exit $rc); cleanup' EXIT
for _ in $(seq 1 100); do
	[ -s "$T/allowed.port" ] && [ -s "$T/other.port" ] &&
	    [ -s "$T/keepalive.port" ] && break
	sleep 0.05
done
P1=$(cat "$T/allowed.port")
P2=$(cat "$T/other.port")
P3=$(cat "$T/keepalive.port")
[ -n "$P1" ] && [ -n "$P2" ] && [ -n "$P3" ] || fail "the test servers did not start"
curl -sS "http://127.0.0.1:$P1/" | grep -q "hello from allowed" ||
    fail "the allowed server does not answer on the host"

make_repo "$T/repo"
start_daemon "$(jq -n --arg fake "$FAKE_AGENT_DIR" --arg a "127.0.0.1:$P1" \
    --arg k "127.0.0.1:$P3" \
    '{sandbox: true, sandbox_expose: [$fake], network_allowlist: [$a, $k]}')"

api GET /healthz
[ "$STATUS" = 200 ] || fail "healthz: $STATUS"
[ "$(jq -r '.sandbox.layers.network.available // empty' <<<"$BODY")" = false ] &&
    skip "the sandbox's network layer is unavailable: $(jq -c .sandbox.layers.network <<<"$BODY")"

# The config names the patterns, and a bad one is refused at load time.
[ "$(jq -c .network_allowlist <(RUNNER_WORKSPACE_DIR=$WS "$RUNNERD" \
    -c "$T/runnerd.conf" --check-config 2>/dev/null))" = "[\"127.0.0.1:$P1\",\"127.0.0.1:$P3\"]" ] ||
    fail "--check-config does not show network_allowlist"
jq -n '{network_allowlist: ["*.ok.example", "bad host"]}' >"$T/bad.conf"
out=$("$RUNNERD" -c "$T/bad.conf" --check-config 2>&1) &&
    fail "a bad network_allowlist pattern was accepted"
assert_match "$out" "network_allowlist: 'bad host'" "bad pattern error"
ok "network_allowlist in the config, bad patterns refused"

# Restricted: no direct route; the proxy takes the allowed server only.
script="connect 127.0.0.1 $P1
sh curl -sS --noproxy '' -x \"\$HTTP_PROXY\" http://127.0.0.1:$P1/
sh curl -sS --noproxy '' -p -x \"\$HTTP_PROXY\" -w 'tunnel %{http_code}\\\\n' http://127.0.0.1:$P1/
sh curl -sS --noproxy '' -x \"\$HTTP_PROXY\" -o /dev/null -w 'other %{http_code}\\\\n' http://127.0.0.1:$P2/
sh curl -sS --noproxy '' -p -x \"\$HTTP_PROXY\" http://127.0.0.1:$P2/ || echo tunnel refused
sh curl -sS --noproxy '' -x \"\$HTTP_PROXY\" -w 'connects %{num_connects}\\n' http://127.0.0.1:$P3/one http://127.0.0.1:$P3/two
print done"
start_session "$script" "$T/repo" '.policy = {networkMode: "restricted"}'
RSID=$SID
wait_ended "$RSID"
out=$(output "$RSID")
assert_match "$out" "connect 127.0.0.1 $P1: failed" "direct connect from a restricted session"
assert_match "$out" "hello from allowed" "plain HTTP through the proxy"
assert_match "$out" "tunnel 200" "CONNECT through the proxy"
assert_match "$out" "other 403" "non-allowlisted server through the proxy"
assert_match "$out" "tunnel refused" "CONNECT to a non-allowlisted server"
printf '%s' "$out" | grep -q "hello from other" && fail "the other server was reached"
assert_match "$out" "done" "script ran to the end"
ok "restricted: direct connect fails, allowlisted server reachable through the proxy, other refused"

# A keep-alive server: the proxy told the client to close, so curl sent
# its second request on a connection of its own, and both were answered.
assert_match "$out" "hello from keepalive /one on connection 1" "first request to the keep-alive server"
assert_match "$out" "hello from keepalive /two on connection 2" "second request, on a new connection"
assert_eq "$(printf '%s\n' "$out" | grep -c '^connects 1')" 2 "curl connected anew for each request"
ok "forward mode: a keep-alive server's answer says close; two requests, two connections"

ev=$(events "$RSID")
alerts=$(jq -c '[.[] | select(.type=="ALERT_RAISED" and .category=="network")]' <<<"$ev")
assert_eq "$(jq length <<<"$alerts")" 1 "one alert for the refused host:port (two refusals)"
assert_eq "$(jq -r '.[0].severity' <<<"$alerts")" warn "alert severity"
assert_eq "$(jq -r '.[0].title' <<<"$alerts")" "connection refused by policy" "alert title"
assert_match "$(jq -r '.[0].description' <<<"$alerts")" "127\\.0\\.0\\.1:$P2" "alert names host:port"
assert_eq "$(jq -r '.[0].context.port' <<<"$alerts")" "$P2" "alert context port"
assert_eq "$(jq '.[-1].totalUsage.connectionsRefused' <<<"$ev")" 2 "every refusal counted"
assert_seq_contiguous "$RSID"
ok "ALERT_RAISED category network naming 127.0.0.1:$P2, once; connectionsRefused 2"

# Open: a namespace of its own too, and the proxy with any host allowed,
# but loopback only where the operator named it exactly (P1), never P2;
# no NO_PROXY sends anything around the proxy.
start_session "connect 127.0.0.1 $P1
env HTTP_PROXY
env ALL_PROXY
env NO_PROXY
sh curl -sS -x \"\$HTTP_PROXY\" http://127.0.0.1:$P1/
sh curl -sS -o /dev/null -w 'noproxy-env %{http_code}\\\\n' http://127.0.0.1:$P1/
sh curl -sS -x \"\$HTTP_PROXY\" -o /dev/null -w 'open-other %{http_code}\\\\n' http://127.0.0.1:$P2/
sh curl -sS -p -x \"\$HTTP_PROXY\" http://localhost:$P1/ || echo localhost refused
print done" "$T/repo" '.policy = {networkMode: "open"}'
wait_ended "$SID"
out=$(output "$SID")
assert_match "$out" "connect 127.0.0.1 $P1: failed" "direct connect from an open session"
assert_match "$out" "HTTP_PROXY=http://127.0.0.1:3128" "an open session gets the proxy"
assert_match "$out" "ALL_PROXY=http://127.0.0.1:3128" "ALL_PROXY too"
assert_match "$out" "NO_PROXY=[[:space:]]*\$" "no NO_PROXY"
assert_match "$out" "hello from allowed" "the exactly allowlisted loopback server through the proxy"
assert_match "$out" "noproxy-env 200" "curl with the environment alone goes through the proxy"
assert_match "$out" "open-other 403" "a loopback server not allowlisted is refused in open mode"
assert_match "$out" "localhost refused" "localhost is not 127.0.0.1:P1"
printf '%s' "$out" | grep -q "hello from other" && fail "the other server was reached from an open session"
alerts=$(events "$SID" | jq -c '[.[] | select(.type=="ALERT_RAISED" and .category=="network")]')
assert_match "$(jq -r '[.[].description] | join(" ")' <<<"$alerts")" "127\\.0\\.0\\.1:$P2 refused: loopback address" "alert names the reason"
ok "open: own namespace, proxy only; exact allowlist reaches a loopback server, others refused"

api GET /healthz
[ "$STATUS" = 200 ] || fail "healthz after the sessions: $STATUS"
stop_daemon
ok "daemon healthy and stopped cleanly"
