#!/bin/sh
# Try runnerd: install what is missing, build, start runnerd on its embedded
# defaults (127.0.0.1:3000 and a Unix socket in its state dir; allowed_roots
# set to the demo's directory), run a demo
# session of the bundled fake agent on a small demo repository and print its
# events as they arrive. runnerd keeps running afterwards, for curl.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh"
echo "building..."
"$top/contrib/build.sh"
demo=$top/.demo
mkdir -p "$demo"

# A small repository to work on.
repo=$demo/repo
if [ ! -d "$repo/.git" ]; then
	mkdir -p "$repo/src"
	printf '# demo\nA repository for the runnerd demo.\n' > "$repo/README.md"
	printf 'int main(void) { return 0; }\n' > "$repo/src/main.c"
	git -C "$repo" init -q -b main
	git -C "$repo" -c user.name=demo -c user.email=demo@localhost add -A
	git -C "$repo" -c user.name=demo -c user.email=demo@localhost \
	    commit -q -m "demo: first commit"
fi

url=http://127.0.0.1:3000
if ! curl -sf "$url/healthz" >/dev/null 2>&1; then
	# The fake agent is the built-in provider "fake"; put it on PATH.
	# Local repositories must lie under allowed_roots (by default /srv
	# and /home): the demo's is in $demo.
	jq -n --arg d "$demo" '{allowed_roots: [$d]}' >"$demo/runnerd.conf"
	PATH=$top/build/contrib:$PATH setsid \
	    "$top/build/supervisor/runnerd" -c "$demo/runnerd.conf" \
	    >"$demo/runnerd.out" \
	    2>"$demo/runnerd.log" </dev/null &
	for _ in $(seq 1 50); do
		grep -q '^listening on' "$demo/runnerd.out" 2>/dev/null && break
		sleep 0.1
	done
	if ! grep -q '^listening on' "$demo/runnerd.out" 2>/dev/null; then
		echo "runnerd did not start; its log:" >&2
		cat "$demo/runnerd.log" >&2
		exit 1
	fi
fi
echo "runnerd: $(cat "$demo/runnerd.out" 2>/dev/null | head -1), log in $demo/runnerd.log"

body=$(jq -n --arg path "$repo" '{
  villageId: "demo", agentName: "demo-agent", providerId: "fake",
  repoRef: {provider: "local", path: $path},
  checkout: {type: "branch", ref: "main"},
  task: {title: "Demo", branchName: "demo/fake-agent",
    goal: "print hello from the fake agent;pwd;sleep 300;write NOTES.md runnerd was here\\n;print wrote NOTES.md;sleep 300;cat NOTES.md;print done"}
}')
resp=$(curl -sS -H 'Content-Type: application/json' -d "$body" \
    "$url/api/runner/sessions")
id=$(printf '%s' "$resp" | jq -r '.sessionId // empty')
if [ -z "$id" ]; then
	echo "could not start the demo session: $resp" >&2
	exit 1
fi
echo "session $id started; its events:"
after=0
while :; do
	page=$(curl -sS "$url/api/runner/sessions/$id/events?after=$after")
	printf '%s' "$page" | jq -r '.events[] | "  #\(.seq) \(.type) " +
	    (if .type == "TERMINAL_CHUNK" then (.data | @json)
	     elif .type == "SESSION_STATE_CHANGED" then "\(.previousState) -> \(.newState)" + (if .reason then " (\(.reason))" else "" end)
	     elif .type == "SESSION_ENDED" then "\(.finalState) exit \(.exitCode)"
	     elif .type == "SESSION_STARTED" then "\(.providerId) \(.providerVersion // "") in \(.workspacePath)"
	     else "" end)'
	after=$(printf '%s' "$page" | jq -r '.lastSeq')
	printf '%s' "$page" | jq -e '.events[] | select(.type == "SESSION_ENDED")' \
	    >/dev/null && break
	sleep 0.3
done
cat <<EOT

runnerd keeps running at $url. Try:
  curl -s $url/api/runner/sessions | jq
  curl -s $url/api/runner/sessions/$id | jq
  curl -s '$url/api/runner/sessions/$id/events?after=0' | jq
Stop it with: pkill -f build/supervisor/runnerd
EOT
