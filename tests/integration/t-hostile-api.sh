#!/bin/bash
# The API refuses whatever a session or another web page sends it (issue 11,
# items 1 and 8), in the default setup (TCP on loopback, no credentials):
# a client running as the sandbox uid on this host, or whose socket carries
# the session mark, gets 403 on every route, upgrade and stream, and an
# approval it tries to answer stays pending; a cross-site text/plain or
# form POST starts nothing (415/403); a foreign Origin is refused (403)
# with and without credentials, a DNS-rebinding Host too; cors_origins lets
# a listed origin in; a refresh JWT is no credential (401). Each case also
# checks that nothing happened, and root's own client still works.
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (to act as the sandbox uid and set SO_MARK)"
command -v setpriv >/dev/null || skip "setpriv is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
# A python3 the sandbox uid can run (not one under root's home).
PY=$(readlink -f "$(command -v python3)")
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

NOBODY=65534
MARK=$((0x52554e44))	# SESSION_SOCK_MARK (common/proto.h)
REFUSED='requests from inside a session are refused'

# as_nobody CMD...: run as the sandbox uid, no groups, no privileges.
as_nobody() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"
}

# hreq WHO METHOD PATH [BODY] [CURL-ARGS...]: a request as root or as the
# sandbox uid; sets STATUS and BODY. A connection that fails gets 000.
hreq() {
	who=$1 m=$2 p=$3
	shift 3
	body=
	if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
		body=$1
		shift
	fi
	rm -f "$T/hresp"
	: >"$T/hresp" && chmod 666 "$T/hresp"
	run=
	[ "$who" = nobody ] && run=as_nobody
	if [ -n "$body" ]; then
		STATUS=$($run curl -sS -o "$T/hresp" -w '%{http_code}' -X "$m" \
		    --max-time 5 -H 'Content-Type: application/json' \
		    --data-binary "$body" "$@" "$URL$p" 2>/dev/null)
	else
		STATUS=$($run curl -sS -o "$T/hresp" -w '%{http_code}' -X "$m" \
		    --max-time 5 "$@" "$URL$p" 2>/dev/null)
	fi
	BODY=$(cat "$T/hresp")
}

# assert_refused WHAT: the last answer is the 403 for sessions.
assert_refused() {
	assert_eq "$STATUS" 403 "$1"
	assert_eq "$(jq -r .error.code <<<"$BODY" 2>/dev/null)" FORBIDDEN "$1: code"
	assert_eq "$(jq -r .error.message <<<"$BODY" 2>/dev/null)" "$REFUSED" "$1: message"
}

# upgrade WHO PATH: the status of a WebSocket handshake on PATH.
upgrade() {
	run=
	[ "$1" = nobody ] && run=as_nobody
	$run curl -sS -o /dev/null -w '%{http_code}' --max-time 2 --http1.1 \
	    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
	    -H 'Sec-WebSocket-Version: 13' \
	    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
	    ${3:+-H "$3"} "$URL$2" 2>/dev/null
}

# marked METHOD PATH [BODY]: a python3 client whose socket carries the
# session mark, as the worker's egress proxy's sockets do; prints the
# status code.
marked() {
	python3 - "$URL" "$MARK" "$1" "$2" "${3:-}" <<'EOF'
import socket, sys, urllib.parse
url, mark, method, path, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
u = urllib.parse.urlsplit(url)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, 36, mark)	# SO_MARK
s.settimeout(5)
s.connect((u.hostname, u.port))
req = f"{method} {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n"
if body:
    req += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
s.sendall((req + "\r\n" + body).encode())
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.split(b" ", 2)[1].decode())
EOF
}

# count: how many sessions root sees.
count() {
	api GET /api/runner/sessions
	jq '.sessions | length' <<<"$BODY"
}

# pending_of SID: the pending approvals' ids.
pending_of() {
	api GET "/api/runner/sessions/$1"
	jq -r '[.pendingApprovals[].approvalId] | join(",")' <<<"$BODY"
}

has_ref() { git -c safe.directory='*' -C "$1" rev-parse -q --verify "$2" 2>/dev/null; }

make_repo "$T/repo"
# The test dir is private to root; the sandbox uid may run curl in it.
chmod 755 "$T"
BARE=$T/bare.git
git init -q --bare "$BARE" || fail "git init --bare"
# A repository the sandbox uid cannot read: what the red team read back.
make_repo "$T/secret"
echo "canary-$RANDOM" >"$T/secret/CANARY"
chmod 700 "$T/secret"

start_daemon
PORT=${URL##*:}

# A session with a held git push: an approval for the attacker to answer.
start_session "sh git push -q $BARE HEAD:refs/heads/held && echo pushed
print end"
S1=$SID
wait_state "$S1" WAITING_FOR_APPROVAL
for _ in $(seq 1 100); do
	AID=$(pending_of "$S1")
	[ -n "$AID" ] && break
	sleep 0.1
done
[ -n "$AID" ] || fail "no pending approval"
# A second, running session: the attacker's other victim.
start_session 'print victim ready;read;print victim got input'
S2=$SID
wait_output "$S2" 'victim ready'
N0=$(count)

# 1. The sandbox uid, over TCP: every route, upgrade and stream refused.
hreq root GET /api/runner/sessions
assert_eq "$STATUS" 200 "root lists sessions"
start_body=$(session_body 'print started by the agent' "$T/secret")
for r in "GET /healthz" "GET /metrics" "GET /api/runner/sessions" \
    "GET /api/runner/sessions/$S1" "GET /api/runner/sessions/$S1/events?after=0" \
    "GET /api/runner/sessions/$S1/events?follow=1" \
    "POST /api/runner/sessions/$S1/approvals/$AID {\"decision\":\"allow\"}" \
    "POST /api/runner/sessions/$S2/input {\"data\":\"pwned\\n\"}" \
    "POST /api/runner/sessions/$S2/stop {\"graceful\":false}" \
    "POST /api/runner/sessions/$S2/pause" \
    "DELETE /api/runner/sessions/$S1" \
    "GET /nonexistent"; do
	set -- $r
	hreq nobody "$1" "$2" "${3:-}"
	assert_refused "sandbox uid: $1 $2"
done
hreq nobody POST /api/runner/sessions "$start_body"
assert_refused "sandbox uid: POST /api/runner/sessions"
assert_eq "$(upgrade nobody /ws)" 403 "sandbox uid: /ws handshake"
assert_eq "$(upgrade nobody '/socket.io/?EIO=4&transport=websocket')" 403 \
    "sandbox uid: Socket.IO handshake"
# The kernel's view, not the address: the same loopback from root works.
assert_eq "$(upgrade root /ws)" 101 "root: /ws handshake"
assert_eq "$(upgrade root '/socket.io/?EIO=4&transport=websocket')" 101 \
    "root: Socket.IO handshake"
grep -q "refused a request from inside a session: peer socket uid $NOBODY" \
    "$T/runnerd.log" || fail "no log line naming the uid"
ok "the sandbox uid gets 403 on every route, SSE, /ws and Socket.IO; root does not"

# Nothing happened: the approval is pending, nothing pushed, no session
# started, the victim runs and got no input.
assert_eq "$(pending_of "$S1")" "$AID" "approval still pending"
assert_eq "$(state_of "$S1")" WAITING_FOR_APPROVAL "S1 still held"
[ -z "$(has_ref "$BARE" refs/heads/held)" ] || fail "the held push landed"
assert_eq "$(count)" "$N0" "no session started"
assert_eq "$(state_of "$S2")" RUNNING "victim still running"
output "$S2" | grep -q pwned && fail "the victim got the attacker's input"
[ -z "$(ls "$WS" | grep -v "^$S1\$\|^$S2\$\|^\.")" ] || fail "a workspace appeared"
ok "approval still pending, push not landed, no session started, victim untouched"

# A request sent, then the connection reset at once (SO_LINGER 0): the
# peer is gone before runnerd looks at it, and must not count as nobody.
for i in 1 2 3 4 5; do
	as_nobody "$PY" - "$URL" "/api/runner/sessions/$S1/approvals/$AID" <<'EOF'
import socket, struct, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
body = '{"decision":"allow"}'
s = socket.create_connection((u.hostname, u.port))
s.sendall((f"POST {sys.argv[2]} HTTP/1.1\r\nHost: {u.netloc}\r\n"
    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    + body).encode())
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
EOF
done
sleep 0.5
assert_eq "$(pending_of "$S1")" "$AID" "approval still pending after reset connections"
ok "a request whose connection is reset at once is not let through"

# The same with an ordinary close: the client's socket, orphaned, may
# already be a time-wait remnant that no longer says whose it was.
for i in 1 2 3 4 5; do
	as_nobody "$PY" - "$URL" "/api/runner/sessions/$S1/approvals/$AID" <<'EOF'
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
body = '{"decision":"allow"}'
s = socket.create_connection((u.hostname, u.port))
s.sendall((f"POST {sys.argv[2]} HTTP/1.1\r\nHost: {u.netloc}\r\n"
    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    + body).encode())
s.close()
EOF
done
sleep 0.5
assert_eq "$(pending_of "$S1")" "$AID" "approval still pending after closed connections"
ok "a request whose client closed at once is not let through"

# 2. A socket with the session mark (the worker's proxy's), as root.
assert_eq "$(marked GET /api/runner/sessions)" 403 "marked: GET"
assert_eq "$(marked POST "/api/runner/sessions/$S1/approvals/$AID" '{"decision":"allow"}')" \
    403 "marked: approval"
assert_eq "$(marked POST /api/runner/sessions "$start_body")" 403 "marked: start"
assert_eq "$(pending_of "$S1")" "$AID" "approval still pending after marked"
assert_eq "$(count)" "$N0" "no session started by a marked socket"
grep -q "refused a request from inside a session: peer socket uid 0 mark 0x52554e44" \
    "$T/runnerd.log" || fail "no log line naming the mark"
ok "a socket marked SESSION_SOCK_MARK gets 403; the approval stays pending"

# 3. The Unix socket opened to everyone: SO_PEERCRED refuses the sandbox uid.
chmod 666 "$SOCK"
st=$(as_nobody curl -sS -o "$T/uresp" -w '%{http_code}' --unix-socket "$SOCK" \
    -H 'Content-Type: application/json' -d '{"decision":"allow"}' \
    "http://localhost/api/runner/sessions/$S1/approvals/$AID" 2>/dev/null)
chmod 660 "$SOCK"
assert_eq "$st" 403 "sandbox uid on the Unix socket"
assert_eq "$(pending_of "$S1")" "$AID" "approval still pending after the Unix socket"
ok "the sandbox uid on the Unix socket gets 403"

# 4. Drive-by: what a page can send without CORS starts nothing.
evil_start() {
	STATUS=$(curl -sS -o "$T/resp" -w '%{http_code}' "$@" \
	    --data-binary "$start_body" "$URL/api/runner/sessions")
	BODY=$(cat "$T/resp")
}
evil_start -H 'Content-Type: text/plain' -H 'Origin: http://evil.example'
assert_eq "$STATUS" 403 "cross-origin text/plain POST"
evil_start -H 'Content-Type: text/plain'
assert_eq "$STATUS" 415 "text/plain POST"
assert_eq "$(jq -r .error.code <<<"$BODY")" UNSUPPORTED_MEDIA_TYPE "415 code"
evil_start -H 'Content-Type: text/plain;charset=UTF-8'
assert_eq "$STATUS" 415 "text/plain;charset POST"
evil_start	# curl's default: application/x-www-form-urlencoded
assert_eq "$STATUS" 415 "form POST"
evil_start -H 'Content-Type: multipart/form-data; boundary=x'
assert_eq "$STATUS" 415 "multipart POST"
evil_start -H 'Content-Type:'
assert_eq "$STATUS" 415 "POST with a body and no Content-Type"
evil_start -H 'Content-Type: application/json' -H 'Origin: http://evil.example'
assert_eq "$STATUS" 403 "cross-origin JSON POST"
assert_match "$(jq -r .error.message <<<"$BODY")" cors_origins "403 names cors_origins"
evil_start -H 'Content-Type: application/json' -H 'Origin: null'
assert_eq "$STATUS" 403 "Origin: null"
evil_start -H 'Content-Type: application/json' -H "Origin: http://127.0.0.1:$PORT" \
    -H 'Origin: http://evil.example'
assert_eq "$STATUS" 403 "two Origin headers"
hreq root POST "/api/runner/sessions/$S1/approvals/$AID" '{"decision":"allow"}' \
    -H 'Origin: http://evil.example'
assert_eq "$STATUS" 403 "cross-origin approval"
hreq root POST "/api/runner/sessions/$S2/input" '{"data":"pwned\n"}' \
    -H 'Content-Type: text/plain'
assert_eq "$STATUS" 415 "text/plain input"
assert_eq "$(upgrade root /ws 'Origin: http://evil.example')" 403 "cross-site /ws"
assert_eq "$(upgrade root '/socket.io/?EIO=4&transport=websocket' 'Origin: http://evil.example')" \
    403 "cross-site Socket.IO"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 3 -H 'Origin: http://evil.example' \
    "$URL/api/runner/sessions/$S2/events?follow=1")
assert_eq "$STATUS" 403 "cross-site SSE"
assert_eq "$(count)" "$N0" "no session started by a drive-by"
assert_eq "$(pending_of "$S1")" "$AID" "approval still pending after drive-bys"
output "$S2" | grep -q pwned && fail "the victim got a drive-by's input"
ok "text/plain, form and multipart POSTs get 415; foreign Origins 403 (HTTP, /ws, Socket.IO, SSE); nothing started"

# The daemon's own origin, in each spelling, is let in.
for o in "http://127.0.0.1:$PORT" "http://localhost:$PORT" "http://LOCALHOST:$PORT"; do
	hreq root GET /api/runner/sessions "" -H "Origin: $o"
	assert_eq "$STATUS" 200 "own origin $o"
done

# 5. DNS rebinding: a page whose name now points at 127.0.0.1.
hreq root GET /api/runner/sessions "" -H "Host: evil.example:$PORT"
assert_eq "$STATUS" 403 "rebound Host: read"
assert_match "$(jq -r .error.message <<<"$BODY")" 'Host' "the 403 names Host"
hreq root POST /api/runner/sessions "$start_body" -H "Host: evil.example:$PORT" \
    -H "Origin: http://evil.example:$PORT"
assert_eq "$STATUS" 403 "rebound Host: start"
hreq root GET /api/runner/sessions "" -H "Host: localhost:$PORT.evil.example"
assert_eq "$STATUS" 403 "Host with a suffix"
assert_eq "$(upgrade root /ws "Host: evil.example:$PORT")" 403 "rebound Host: /ws"
assert_eq "$(count)" "$N0" "no session started by a rebound page"
ok "a DNS-rebinding Host is refused (403) without credentials"

# 6. A repository in runnerd's own dirs (another session's workspace, the
# state dir, the cache) is refused although allowed_roots ($T) covers them.
for d in "$WS/$S1:workspace_dir" "$WS/$S2/.git:workspace_dir" \
    "$T/repo/../workspaces/$S1:workspace_dir" "$STATE/sessions:state_dir" \
    "$T/cache:cache_dir"; do
	api POST /api/runner/sessions "$(session_body 'print x' "${d%:*}")"
	assert_eq "$STATUS" 400 "repoRef.path ${d%:*}"
	assert_eq "$(jq -r .error.details.field <<<"$BODY")" repoRef.path "field for ${d%:*}"
	assert_match "$(jq -r .error.message <<<"$BODY")" "${d##*:}" "message for ${d%:*}"
done
ln -s "$WS/$S1" "$T/innocent"
api POST /api/runner/sessions "$(session_body 'print x' "$T/innocent")"
assert_eq "$STATUS" 400 "repoRef.path through a symlink"
api POST /api/runner/sessions "$(session_body 'print x' /etc)"
assert_eq "$STATUS" 400 "repoRef.path outside allowed_roots"
assert_match "$(jq -r .error.message <<<"$BODY")" allowed_roots "the 400 names the key to set"
assert_eq "$(count)" "$N0" "no session on runnerd's own dirs"
ok "repoRef.path in workspace_dir, state_dir or cache_dir: 400 whatever allowed_roots says"

# Root answers the approval: it was pending all along, and the push lands.
hreq root POST "/api/runner/sessions/$S1/approvals/$AID" '{"decision":"allow"}'
assert_eq "$STATUS" 200 "root approves"
wait_ended "$S1"
[ -n "$(has_ref "$BARE" refs/heads/held)" ] || fail "the approved push did not land"
api POST "/api/runner/sessions/$S2/stop" '{"graceful":false}'
wait_ended "$S2"
stop_daemon

# 7. cors_origins lets a listed origin in, over a reload too.
write_conf '{"cors_origins": ["http://ui.example:8080"]}'
start_daemon
PORT=${URL##*:}
N0=$(count)	# the sessions above are kept in the state dir
hreq root POST /api/runner/sessions "$(session_body 'print from the ui')" \
    -H 'Origin: http://ui.example:8080'
assert_eq "$STATUS" 201 "listed origin starts a session"
SID=$(jq -r .sessionId <<<"$BODY")
wait_ended "$SID"
hreq root GET /api/runner/sessions "" -H 'Host: ui.example:8080' -H 'Origin: http://ui.example:8080'
assert_eq "$STATUS" 200 "listed origin's host"
# A browser's preflight and the answer it then reads.
pre() {
	curl -sS -o /dev/null -D "$T/pre.h" -w '%{http_code}' -X OPTIONS \
	    -H "Origin: $1" -H 'Access-Control-Request-Method: POST' \
	    -H 'Access-Control-Request-Headers: content-type' "$URL/api/runner/sessions"
}
assert_eq "$(pre http://ui.example:8080)" 204 "preflight from the listed origin"
grep -qi '^access-control-allow-origin: http://ui.example:8080' "$T/pre.h" ||
    fail "preflight: no Access-Control-Allow-Origin: $(cat "$T/pre.h")"
grep -qi '^access-control-allow-headers:.*content-type' "$T/pre.h" ||
    fail "preflight: Content-Type not allowed"
assert_eq "$(pre http://evil.example)" 403 "preflight from another origin"
grep -qi '^access-control-allow-origin' "$T/pre.h" && fail "ACAO for another origin"
curl -sS -o /dev/null -D "$T/get.h" -H 'Origin: http://ui.example:8080' "$URL/api/runner/sessions"
grep -qi '^access-control-allow-origin: http://ui.example:8080' "$T/get.h" ||
    fail "no Access-Control-Allow-Origin on the listed origin's GET"
curl -sS -o /dev/null -D "$T/get.h" "$URL/api/runner/sessions"
grep -qi '^access-control-allow-origin' "$T/get.h" && fail "ACAO without an Origin"
hreq root POST /api/runner/sessions "$(session_body 'print x')" -H 'Origin: http://ui.example:9090'
assert_eq "$STATUS" 403 "another port of the listed host"
hreq root POST /api/runner/sessions "$(session_body 'print x')" -H 'Origin: https://ui.example:8080'
assert_eq "$STATUS" 403 "another scheme of the listed host"
write_conf '{"cors_origins": ["http://other.example"]}'
kill -HUP "$DPID"
for _ in $(seq 1 50); do
	grep -q 'changed: .*cors_origins' "$T/runnerd.log" && break
	sleep 0.1
done
grep -q 'changed: .*cors_origins' "$T/runnerd.log" || fail "reload did not report cors_origins"
hreq root POST /api/runner/sessions "$(session_body 'print x')" -H 'Origin: http://ui.example:8080'
assert_eq "$STATUS" 403 "delisted origin after SIGHUP"
assert_eq "$(count)" $((N0 + 1)) "only the listed origin's session"
ok "cors_origins lets a listed origin in (scheme, host, port exact; preflight and Access-Control-Allow-Origin) and reloads"
stop_daemon

# 8. Credentials configured (JWT): cookies need an allowed Origin; a
# refresh token (or one without a type) is no credential.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
jwt() {
	h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
	p=$(printf '%s' "$1" | b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac "$SECRET" -binary | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}
SECRET=hostile-$RANDOM-$$
now=$(date +%s)
access=$(jwt "{\"type\":\"access\",\"sub\":\"u1\",\"exp\":$((now + 600))}")
refresh=$(jwt "{\"type\":\"refresh\",\"sub\":\"u1\",\"exp\":$((now + 600))}")
untyped=$(jwt "{\"sub\":\"u1\",\"exp\":$((now + 600))}")
rm -f "$T/runnerd.conf"
JWT_SECRET=$SECRET start_daemon
PORT=${URL##*:}
N0=$(CURL_EXTRA="--oauth2-bearer $access" count)
hreq root POST /api/runner/sessions "$(session_body 'print x')" \
    --cookie "access_token=$access" -H 'Origin: http://evil.example'
assert_eq "$STATUS" 403 "cookie + foreign Origin"
hreq root POST /api/runner/sessions "$(session_body 'print x')" \
    --cookie "token=$access" -H 'Origin: http://evil.example'
assert_eq "$STATUS" 403 "token cookie + foreign Origin"
hreq root POST /api/runner/sessions "$(session_body 'print x')" \
    --cookie "access_token=$access" -H 'Content-Type: text/plain'
assert_eq "$STATUS" 415 "cookie + text/plain"
assert_eq "$(CURL_EXTRA="--oauth2-bearer $access" count)" "$N0" "no session from a cross-site cookie"
hreq root POST /api/runner/sessions "$(session_body 'print from the own page')" \
    --cookie "access_token=$access" -H "Origin: http://127.0.0.1:$PORT"
assert_eq "$STATUS" 201 "cookie from the daemon's own origin"
SID=$(jq -r .sessionId <<<"$BODY")
for t in "$refresh" "$untyped"; do
	hreq root GET /api/runner/sessions "" --oauth2-bearer "$t"
	assert_eq "$STATUS" 401 "refresh/untyped JWT as a bearer"
	hreq root GET /api/runner/sessions "" --cookie "access_token=$t"
	assert_eq "$STATUS" 401 "refresh/untyped JWT as a cookie"
	hreq root POST "/api/runner/sessions/$SID/stop" "" --oauth2-bearer "$t"
	assert_eq "$STATUS" 401 "refresh/untyped JWT stopping a session"
	assert_eq "$(upgrade root "/ws?token=$t")" 401 "refresh/untyped JWT on /ws"
done
hreq root GET /api/runner/sessions "" --oauth2-bearer "$access"
assert_eq "$STATUS" 200 "access JWT"
# Socket.IO's auth.token, with the pinned client when it is installed.
NODE_DIR=${TESTS_BUILDDIR:-}/node
if command -v node >/dev/null && [ -f "$NODE_DIR/sio-client.js" ] &&
    [ -d "$NODE_DIR/node_modules/socket.io-client" ]; then
	sioc() {
		node "$NODE_DIR/sio-client.js" --url "$URL" --ready-file "$T/sio.ready" \
		    "$@" --timeout 20000 >"$T/sio.out" 2>"$T/sio.err" ||
		    fail "sio-client $*: $(tail -c 400 "$T/sio.err")"
		tail -1 "$T/sio.out"
	}
	for t in "$refresh" "$untyped"; do
		assert_match "$(sioc --token "$t" --expect-connect-error | jq -r '.per[0].connectError')" \
		    unauthorized "Socket.IO auth.token refresh/untyped"
	done
	assert_eq "$(sioc --token "$access" --ping | jq -c '.per[0].pingAck')" '[]' \
	    "Socket.IO auth.token access"
	ok "Socket.IO: a refresh or untyped JWT in auth.token gets CONNECT_ERROR, an access one connects"
else
	echo "# Socket.IO auth.token case not run: no installed socket.io-client (t-socketio installs it)"
fi
# A foreign Host is fine with credentials (the token is the gate).
hreq root GET /api/runner/sessions "" --oauth2-bearer "$access" -H 'Host: runner.example'
assert_eq "$STATUS" 200 "credentials: any Host"
CURL_EXTRA="--oauth2-bearer $access" wait_ended "$SID"
ok "with a JWT secret: cross-origin cookie POST 403, text/plain 415, refresh and untyped JWTs 401"
stop_daemon

# 9. A real agent in the sandbox (uid 65534, networkMode open): it finds
# the port and tries to answer another session's approval, to list the
# sessions, to start one on the root-only repository and to stop the
# other. Every try gets 403 (or no connection at all, once sessions have
# their own network).
mkdir -p "$T/attack"
write_conf "$(jq -nc --arg d "$FAKE_AGENT_DIR" --arg a "$T/attack" \
    '{sandbox: true, sandbox_expose: [$d, $a]}')"
start_daemon
start_session "sh git push -q $BARE HEAD:refs/heads/victim && echo pushed
print end"
V=$SID
wait_state "$V" WAITING_FOR_APPROVAL 30
for _ in $(seq 1 100); do
	AID=$(pending_of "$V")
	[ -n "$AID" ] && break
	sleep 0.1
done
[ -n "$AID" ] || fail "no pending approval in the sandbox"
session_body 'print started by an agent' "$T/secret" >"$T/attack/body.json"
cat >"$T/attack/attack.sh" <<EOF
#!/bin/sh
try() { w=\$1; shift; printf '%s %s\n' "\$w" "\$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 3 "\$@")"; }
echo "whoami \$(id -u)"
try healthz "$URL/healthz"
try list "$URL/api/runner/sessions"
try approve -H 'Content-Type: application/json' -d '{"decision":"allow"}' "$URL/api/runner/sessions/$V/approvals/$AID"
try start -H 'Content-Type: application/json' --data-binary @$T/attack/body.json "$URL/api/runner/sessions"
try stop -X POST "$URL/api/runner/sessions/$V/stop"
echo attack-done
EOF
chmod 755 "$T/attack" "$T/attack/attack.sh"
chmod 644 "$T/attack/body.json"
start_session "sh sh $T/attack/attack.sh
print end"
A=$SID
N0=$(count)
wait_output "$A" attack-done 30
out=$(output "$A" | tr -d '\r')
assert_match "$out" 'whoami 65534' "the agent runs as the sandbox uid"
for t in healthz list approve start stop; do
	assert_match "$out" "(^|[^a-z])$t (403|000)" "agent's $t"
done
assert_eq "$(pending_of "$V")" "$AID" "the agent did not answer the approval"
assert_eq "$(state_of "$V")" WAITING_FOR_APPROVAL "the victim is still held"
[ -z "$(has_ref "$BARE" refs/heads/victim)" ] || fail "the victim's push landed"
assert_eq "$(count)" "$N0" "the agent started no session"
wait_ended "$A"
api POST "/api/runner/sessions/$V/approvals/$AID" '{"decision":"deny"}'
assert_eq "$STATUS" 200 "root denies"
wait_ended "$V"
ok "an agent in the sandbox gets 403 on the API; the approval stays pending until root answers"
stop_daemon
