#!/bin/bash
# Remote repositories through the bare-mirror cache, against a loopback git
# server (git http-backend behind a small python3 WSGI server): a session on
# {provider: github, owner, name} clones and runs; a second one reuses the
# fresh mirror without an upload-pack request; cache_max_age_ms 0 fetches
# again; a token (request env, or the daemon's GITHUB_TOKEN) goes through
# libgit2's credential callback and never shows; no token → "authentication
# failed"; server down → "cannot fetch"; five concurrent sessions on one
# repository all complete; shallow mirrors (where libgit2 can) hold one
# commit and still give a working workspace.
. "$TESTS_SRCDIR/integration/lib.sh"

unset GITHUB_TOKEN GITLAB_TOKEN BITBUCKET_TOKEN
TOKEN=tok-9f3e1c7a55d2b8e0
SRV=$T/srv
SLOG=$T/server.log
SPID=

cat >"$T/gitsrv.py" <<'EOF'
# gitsrv.py ROOT LOG PORTFILE PORT [TOKEN]: git http-backend over HTTP.
import base64, os, socketserver, subprocess, sys
from wsgiref.simple_server import WSGIServer, WSGIRequestHandler, make_server

root, logf, portfile, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
token = sys.argv[5] if len(sys.argv) > 5 else None

def log(line):
    with open(logf, "a") as f:
        f.write(line + "\n")

def body(environ):
    inp = environ["wsgi.input"]
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        out = b""
        while True:
            n = int(inp.readline().strip().split(b";")[0], 16)
            if n == 0:
                inp.readline()
                return out
            out += inp.read(n)
            inp.readline()
    n = int(environ.get("CONTENT_LENGTH") or 0)
    return inp.read(n) if n > 0 else b""

def app(environ, start):
    log("%s %s?%s" % (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", "")))
    user = ""
    if token is not None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        ok = False
        if auth.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                ok, user = p == token, u
            except Exception:
                ok = False
        if not ok:
            log("401")
            start("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'),
                ("Content-Type", "text/plain")])
            return [b"auth required\n"]
    data = body(environ)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": environ.get("PATH_INFO", ""),
        "QUERY_STRING": environ.get("QUERY_STRING", ""),
        "REQUEST_METHOD": environ["REQUEST_METHOD"],
        "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
        "CONTENT_LENGTH": str(len(data)),
        "REMOTE_USER": user, "REMOTE_ADDR": "127.0.0.1",
        "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", ""),
    }
    p = subprocess.run(["git", "http-backend"], input=data, env=env,
        stdout=subprocess.PIPE)
    out = p.stdout
    sep = out.find(b"\r\n\r\n")
    skip = 4
    if sep < 0 or (out.find(b"\n\n") >= 0 and out.find(b"\n\n") < sep):
        sep, skip = out.find(b"\n\n"), 2
    status, headers = "200 OK", []
    for line in out[:sep].decode().splitlines():
        k, _, v = line.partition(":")
        if k.lower() == "status":
            status = v.strip()
        else:
            headers.append((k.strip(), v.strip()))
    start(status, headers)
    return [out[sep + skip:]]

class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

class Quiet(WSGIRequestHandler):
    def log_message(self, *a):
        pass

srv = make_server("127.0.0.1", port, app, server_class=Server,
    handler_class=Quiet)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_port))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF

# start_server [TOKEN]: on PORT (0 the first time), wait until it listens.
PORT=0
start_server() {
	rm -f "$T/port"
	python3 "$T/gitsrv.py" "$SRV" "$SLOG" "$T/port" "$PORT" "$@" \
	    2>>"$T/server.err" &
	SPID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/port" ] && break
		kill -0 "$SPID" 2>/dev/null || fail "git server exited at start"
		sleep 0.05
	done
	[ -s "$T/port" ] || fail "git server did not start"
	PORT=$(cat "$T/port")
}
stop_server() {
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
}
trap 'rc0=$?; stop_server; (exit $rc0); cleanup' EXIT

# remote_session SCRIPT [NAME] [JQ-FILTER]: sets SID.
remote_session() {
	start_session "$1" "$T/repo" ".repoRef = {provider: \"github\",
	    owner: \"acme\", name: \"${2:-app}\"}${3:+ | $3}"
}

# upload_packs: how many upload-pack POSTs the server has seen.
upload_packs() {
	grep -c '^POST .*git-upload-pack' "$SLOG" 2>/dev/null || true
}

# ended ID STATE: wait for the end, check the state, leave the session in BODY.
ended() {
	wait_ended "$1" 30
	api GET "/api/runner/sessions/$1"
	assert_eq "$(jq -r .state <<<"$BODY")" "$2" "session $1 state ($(jq -r .errorMessage <<<"$BODY"))"
}

make_repo "$T/repo"
mkdir -p "$SRV/acme"
git clone -q --bare "$T/repo" "$SRV/acme/app.git"
git clone -q --bare "$T/repo" "$SRV/acme/lib.git"
start_server
start_daemon "{\"github_url\": \"http://127.0.0.1:$PORT/\"}"
REMOTE=http://127.0.0.1:$PORT/acme/app.git

# First session: the mirror is made, the workspace cloned from it.
remote_session 'cat README.md'
ended "$SID" COMPLETED
out=$(output "$SID" | tr -d '\r')
assert_match "$out" 'hello' "first session: README.md"
assert_match "$out" 'second' "first session: main's tip"
assert_eq "$(git -C "$WS/$SID" remote get-url origin)" "$REMOTE" "workspace origin"
[ -d "$T/cache/mirrors/127.0.0.1_$PORT/acme/app.git/refs" ] ||
    fail "no bare mirror in the cache"
n1=$(upload_packs)
[ "$n1" -ge 1 ] || fail "first session made no upload-pack request"
ok "first session clones $REMOTE through the mirror"

# Second session: the mirror is fresh, no network fetch.
remote_session 'cat README.md'
ended "$SID" COMPLETED
assert_match "$(output "$SID")" 'second' "second session: README.md"
assert_eq "$(upload_packs)" "$n1" "second session: upload-pack requests"
ok "second session reuses the fresh mirror (no upload-pack)"

# cache_max_age_ms 0: every session fetches, and sees new commits.
stop_daemon
git clone -q "$SRV/acme/app.git" "$T/work"
printf 'third\n' >>"$T/work/README.md"
git -C "$T/work" -c user.name=t -c user.email=t@localhost commit -q -am third
git -C "$T/work" push -q origin main
start_daemon "{\"github_url\": \"http://127.0.0.1:$PORT\", \"cache_max_age_ms\": 0}"
remote_session 'cat README.md'
ended "$SID" COMPLETED
assert_match "$(output "$SID")" 'third' "stale mirror: fetched the new commit"
n2=$(upload_packs)
[ "$n2" -gt "$n1" ] || fail "cache_max_age_ms 0: no upload-pack request"
ok "cache_max_age_ms 0 fetches again"

# A server that wants a token.
stop_server
start_server "$TOKEN"
remote_session 'cat README.md'
ended "$SID" FAILED
msg=$(jq -r .errorMessage <<<"$BODY")
assert_match "$msg" "authentication failed for http://127\.0\.0\.1:$PORT/acme/app\.git" "no token"
ok "no token → FAILED: $msg"

remote_session 'cat README.md' app ".env = {GITHUB_TOKEN: \"$TOKEN\"}"
ended "$SID" COMPLETED
assert_match "$(output "$SID")" 'third' "token in env: README.md"
grep -q '^401' "$SLOG" || fail "the server never asked for credentials"
ok "token from the request env"

stop_daemon
printf 'fourth\n' >>"$T/work/README.md"
git -C "$T/work" -c user.name=t -c user.email=t@localhost commit -q -am fourth
git -C "$T/work" push -q origin main
export GITHUB_TOKEN=$TOKEN
start_daemon
unset GITHUB_TOKEN
n3=$(upload_packs)
remote_session 'cat README.md
sh echo "agent-token=${GITHUB_TOKEN:-none}"'
ended "$SID" COMPLETED
assert_match "$(output "$SID")" 'fourth' "daemon token: fetched the new commit"
assert_match "$(output "$SID")" 'agent-token=none' "the agent never gets the daemon's token"
[ "$(upload_packs)" -gt "$n3" ] || fail "daemon token: no upload-pack request"
ev=$(events "$SID")
case $ev in *"$TOKEN"*) fail "token in the events" ;; esac
ok "token from the daemon's GITHUB_TOKEN, for the fetch only (not in the agent's env)"

hits=$(grep -rl -- "$TOKEN" "$STATE" "$T/runnerd.log" "$T/runnerd.out" 2>/dev/null)
[ -z "$hits" ] || fail "token found in: $hits"
api GET /api/runner/sessions
case $BODY in *"$TOKEN"*) fail "token in the session list" ;; esac
ok "the token is in no event, state file or log"

# The server is down.
stop_server
remote_session 'cat README.md'
ended "$SID" FAILED
msg=$(jq -r .errorMessage <<<"$BODY")
assert_match "$msg" "^cannot fetch http://127\.0\.0\.1:$PORT/acme/app\.git: " "server down"
ok "server down → FAILED: $msg"

# Five concurrent sessions on one repository never seen before.
start_server
stop_daemon
start_daemon "{\"github_url\": \"http://127.0.0.1:$PORT\", \"max_sessions\": 10}"
sids=
for _ in 1 2 3 4 5; do
	remote_session 'cat README.md' lib
	sids="$sids $SID"
done
for s in $sids; do
	ended "$s" COMPLETED
	assert_match "$(output "$s")" 'second' "concurrent $s: README.md"
done
fsck=$(git --git-dir="$T/cache/mirrors/127.0.0.1_$PORT/acme/lib.git" fsck 2>&1) ||
    fail "the mirror is corrupt: $fsck"
ok "five concurrent sessions on one repository"

# Shallow mirrors: depth 1 where libgit2 can fetch shallow (1.7 and later),
# refused at load where it cannot.
stop_daemon
jq -n --arg u "http://127.0.0.1:$PORT" '{github_url: $u, shallow: true}' >"$T/shallow.conf"
if "$RUNNERD" -V | grep -q 'shallow fetch yes'; then
	git clone -q --bare "$SRV/acme/app.git" "$SRV/acme/deep.git"
	tip=$(git --git-dir="$SRV/acme/deep.git" rev-parse main)
	deep=$(git --git-dir="$SRV/acme/deep.git" rev-list --count main)
	[ "$deep" -ge 3 ] || fail "deep.git has only $deep commits"
	start_daemon "$(cat "$T/shallow.conf")"
	remote_session 'sh n=$(git log --format=%H) && echo "log=$(echo "$n" | wc -l)"
write new.txt shallow
sh git add new.txt && git -c user.name=a -c user.email=a@localhost commit -qm one && echo commit=ok
print end' deep
	ended "$SID" COMPLETED
	M=$T/cache/mirrors/127.0.0.1_$PORT/acme/deep.git
	[ -s "$M/shallow" ] || fail "the mirror is not shallow"
	assert_eq "$(git --git-dir="$M" rev-list --count main)" 1 "mirror: one commit of $deep"
	out=$(output "$SID" | tr -d '\r')
	assert_match "$out" 'log=1' "the agent's git log: one commit, no error"
	assert_match "$out" 'commit=ok' "git commit in a shallow workspace"
	assert_eq "$(git -C "$WS/$SID" rev-parse HEAD~1)" "$tip" "the session's commit is on the tip"
	assert_eq "$(events "$SID" | jq -c '[.[] | select(.type=="DIFF_SUMMARY")][-1] | {filesChanged, linesAdded, linesRemoved}')" \
	    '{"filesChanged":1,"linesAdded":1,"linesRemoved":0}' "DIFF_SUMMARY in a shallow workspace"
	ok "shallow: the mirror holds 1 of $deep commits; the workspace works (log, commit, diff)"
	stop_daemon
else
	out=$("$RUNNERD" --check-config -c "$T/shallow.conf" 2>&1) &&
	    fail "shallow accepted: $("$RUNNERD" -V)"
	assert_match "$out" 'shallow: not supported' "shallow refused"
	ok "shallow: refused by $("$RUNNERD" -V) ($out)"
fi
stop_server
