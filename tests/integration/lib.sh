# Integration test helpers: a real runnerd on a free loopback port with a
# private state dir, socket and workspace dir, driven by curl. Sourced by
# each tests/integration/t-*.sh. Logs are kept only when a test fails.
set -u

: "${RUNNERD:?RUNNERD must name the runnerd binary}"
: "${FAKE_AGENT_DIR:?FAKE_AGENT_DIR must name the directory of the fake agent}"

T=$(mktemp -d "${TMPDIR:-/tmp}/runnerd-test.XXXXXX")
STATE=$T/state
WS=$T/workspaces
SOCK=$T/runnerd.sock
URL=
DPID=
MODEL_PIDS=
TEST_NAME=$(basename "$0" .sh)
export PATH="$FAKE_AGENT_DIR:$PATH"

# Print a failure with the daemon's log tail, keep $T, exit 1.
fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	if [ -f "$T/runnerd.log" ]; then
		echo "--- runnerd log (last 60 lines):" >&2
		tail -60 "$T/runnerd.log" >&2
	fi
	echo "(test files kept in $T)" >&2
	KEEP=1
	exit 1
}

# loops_under DIR: the loop devices whose image lies under DIR.
loops_under() {
	for f in /sys/block/loop*/loop/backing_file; do
		[ -r "$f" ] || continue
		case $(cat "$f" 2>/dev/null) in
		"$1"/*) d=${f#/sys/block/}; echo "/dev/${d%%/*}" ;;
		esac
	done
}

cleanup() {
	rc=$?
	for p in $MODEL_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	# Workers and agents of a killed daemon end when their channel closes.
	# Overlay workspaces (host/overlay.c) stay mounted until DELETE.
	awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo |
	    sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	# Workspace quotas (host/quota.c): their loop devices clear
	# themselves once unmounted; one still held by a dying agent's mount
	# namespace is told to clear when it lets go.
	for dev in $(loops_under "$T"); do
		losetup -d "$dev" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
		[ $rc -ne 0 ] && [ "${KEEP:-0}" != 1 ] && [ -f "$T/runnerd.log" ] &&
		    tail -40 "$T/runnerd.log" >&2
		echo "(test files kept in $T)" >&2
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT

ok() { echo "ok - $*"; }

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# assert_match TEXT REGEX MESSAGE
assert_match() {
	printf '%s' "$1" | grep -Eq -- "$2" || fail "$3: '$1' does not match /$2/"
}

# write_conf [JSON merged into the base config]. Test repositories live
# in $T: allowed_roots says so (the default, /srv and /home, would refuse
# them; runnerd refuses its own workspace, state and cache dirs anyway).
write_conf() {
	jq -n --arg t "$T" --argjson extra "${1:-{\}}" \
	    '{pool_size: 2, sandbox: false, allowed_roots: [$t]} * $extra' \
	    >"$T/runnerd.conf"
}

# listening_on FILE PID NAME: the address in the "listening on ADDR" line
# the process PID (called NAME) prints to FILE, once it is there.
listening_on() {
	for _ in $(seq 1 100); do
		grep -q '^listening on' "$1" && break
		kill -0 "$2" 2>/dev/null || fail "$3 exited at start"
		sleep 0.05
	done
	addr=$(sed -n 's/^listening on //p' "$1" | head -1)
	[ -n "$addr" ] || fail "$3 did not say where it listens"
	echo "$addr"
}

# start_daemon [JSON merged into the config]: start and wait for it.
start_daemon() {
	[ -f "$T/runnerd.conf" ] && [ $# -eq 0 ] || write_conf "${1:-{\}}"
	: >"$T/runnerd.out"
	RUNNER_WORKSPACE_DIR=$WS RUNNER_CACHE_DIR=$T/cache \
	    "$RUNNERD" -c "$T/runnerd.conf" -l 127.0.0.1:0 -d "$STATE" \
	    -s "$SOCK" ${RUNNERD_FLAGS:-} >"$T/runnerd.out" 2>>"$T/runnerd.log" &
	DPID=$!
	URL=http://$(listening_on "$T/runnerd.out" "$DPID" runnerd)
}

# stop_daemon: SIGTERM, which must end in exit 0 within the bound.
stop_daemon() {
	kill -TERM "$DPID"
	for _ in $(seq 1 300); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$DPID" 2>/dev/null && fail "runnerd still running 30 s after SIGTERM"
	wait "$DPID"
	rc=$?
	DPID=
	[ $rc -eq 0 ] || fail "runnerd exited $rc after SIGTERM"
}

# api METHOD PATH [BODY]: sets STATUS and BODY (the response).
api() {
	if [ $# -ge 3 ]; then
		STATUS=$(curl -sS -o "$T/resp" -w '%{http_code}' -X "$1" \
		    -H 'Content-Type: application/json' --data-binary "$3" \
		    ${CURL_EXTRA:-} "$URL$2") || fail "curl $1 $2 failed"
	else
		STATUS=$(curl -sS -o "$T/resp" -w '%{http_code}' -X "$1" \
		    ${CURL_EXTRA:-} "$URL$2") || fail "curl $1 $2 failed"
	fi
	BODY=$(cat "$T/resp")
}

# make_repo DIR: a repository with branch main (2 commits), tag v1 on the
# first, and a branch feature.
make_repo() {
	d=$1
	mkdir -p "$d/src"
	g() { git -C "$d" -c user.name=t -c user.email=t@localhost "$@"; }
	g init -q -b main
	printf 'hello\n' >"$d/README.md"
	printf 'int main(void) { return 0; }\n' >"$d/src/main.c"
	g add -A && g commit -q -m first
	g tag v1
	printf 'second\n' >>"$d/README.md"
	g commit -q -am second
	g branch feature
}

# session_body SCRIPT [REPO] [JQ-FILTER]: a start body for the fake agent.
session_body() {
	jq -n --arg goal "$1" --arg path "${2:-$T/repo}" "{
	  providerId: \"fake\", villageId: \"test\",
	  repoRef: {provider: \"local\", path: \$path},
	  task: {title: \"test\", goal: \$goal}
	} ${3:+| $3}"
}

# start_session SCRIPT [REPO] [JQ-FILTER]: sets SID.
start_session() {
	api POST /api/runner/sessions "$(session_body "$@")"
	[ "$STATUS" = 201 ] || fail "start: $STATUS $BODY"
	SID=$(printf '%s' "$BODY" | jq -r .sessionId)
}

state_of() {
	api GET "/api/runner/sessions/$1"
	printf '%s' "$BODY" | jq -r .state
}

# wait_state ID STATE [SECONDS]
wait_state() {
	n=$(( ${3:-20} * 10 ))
	for _ in $(seq 1 $n); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "session $1 not $2 after ${3:-20}s (is $(state_of "$1"))"
}

# wait_ended ID [SECONDS]: until SESSION_ENDED is recorded.
wait_ended() {
	n=$(( ${2:-30} * 10 ))
	for _ in $(seq 1 $n); do
		api GET "/api/runner/sessions/$1/events?after=0&limit=10000"
		printf '%s' "$BODY" | jq -e '.events[] | select(.type=="SESSION_ENDED")' \
		    >/dev/null && return 0
		sleep 0.1
	done
	fail "session $1 did not end within ${2:-30}s"
}

# events ID: all of a session's events as a JSON array on stdout.
events() {
	api GET "/api/runner/sessions/$1/events?after=0&limit=10000"
	printf '%s' "$BODY" | jq -c .events
}

# output ID: the session's terminal output so far.
output() {
	events "$1" | jq -r '[.[] | select(.type=="TERMINAL_CHUNK") | .data] | join("")'
}

# wait_output ID REGEX [SECONDS]
wait_output() {
	n=$(( ${3:-20} * 10 ))
	for _ in $(seq 1 $n); do
		output "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	fail "session $1: output never matched /$2/; got: $(output "$1" | tail -c 300)"
}

# assert_seq_contiguous ID: seq is 1..N with no gap and no duplicate.
assert_seq_contiguous() {
	events "$1" | jq -e '[.[].seq] == [range(1; length + 1)]' >/dev/null ||
	    fail "session $1: seq not contiguous: $(events "$1" | jq -c '[.[].seq]')"
}

# skip REASON: exit 77 (a prerequisite cannot exist here), saying why.
skip() {
	echo "SKIP: $TEST_NAME: $*" >&2
	trap - EXIT
	rm -rf "$T"
	exit 77
}

# npm_ci_once SRC DEST PATH...: npm ci of SRC's package.json and lockfile
# into DEST, once per lockfile (a checksum in DEST/.installed) unless one
# of the PATHs (under DEST) is missing; under DEST/.lock, as two tests may
# install at once. An in-tree DEST (the source directory itself, as SRC is
# only read in make distcheck) gets no copy. Skips (77) when npm is
# missing or its registry cannot be reached. Leaves DEST/.lock held
# (fd 9) for the caller to finish under; exec 9>&- releases it.
npm_ci_once() {
	command -v node >/dev/null 2>&1 || skip "node is not installed"
	command -v npm >/dev/null 2>&1 || skip "npm is not installed"
	mkdir -p "$2" || fail "cannot create $2"
	same=0
	[ "$(cd "$1" && pwd -P)" = "$(cd "$2" && pwd -P)" ] && same=1
	exec 9>"$2/.lock"
	flock -w 900 9 || fail "cannot lock $2/.lock"
	stamp=$(cat "$1/package.json" "$1/package-lock.json" | sha256sum | cut -d' ' -f1)
	fresh=1
	[ "$(cat "$2/.installed" 2>/dev/null)" = "$stamp" ] || fresh=0
	from=$1 d=$2
	shift 2
	for f in "$@"; do
		[ -e "$d/$f" ] || fresh=0
	done
	[ "$fresh" = 1 ] && return 0
	rm -f "$d/.installed"
	[ "$same" = 1 ] ||
	    install -m 644 "$from/package.json" "$from/package-lock.json" "$d/"
	if ! npm ci --prefix "$d" --no-audit --no-fund >"$T/npm.log" 2>&1; then
		npm ping >/dev/null 2>&1 ||
		    skip "the npm registry is unreachable (npm ci failed: $(tail -3 "$T/npm.log" | tr '\n' ' '))"
		fail "npm ci failed: $(tail -30 "$T/npm.log")"
	fi
	echo "$stamp" >"$d/.installed"
}

# node_setup: the pinned clients of tests/node, installed into
# $TESTS_BUILDDIR/node by npm_ci_once, the scripts copied beside them.
# Sets NODE_DIR.
node_setup() {
	: "${TESTS_BUILDDIR:?TESTS_BUILDDIR must name the tests directory of the build}"
	src=$TESTS_SRCDIR/node
	NODE_DIR=$TESTS_BUILDDIR/node
	npm_ci_once "$src" "$NODE_DIR" node_modules/socket.io-client
	[ "$same" = 1 ] || install -m 644 "$src"/*.js "$NODE_DIR/" ||
	    fail "cannot copy the node scripts to $NODE_DIR"
	exec 9>&-
}

# install_clis: the real agent CLIs pinned in tests/clis, installed into
# $TESTS_BUILDDIR/clis by npm_ci_once. Sets CLIS, BIN (their .bin),
# CODEX_V and CLAUDE_V (the pinned versions).
install_clis() {
	: "${TESTS_BUILDDIR:?TESTS_BUILDDIR must name the tests directory of the build}"
	src=$TESTS_SRCDIR/clis
	CLIS=$TESTS_BUILDDIR/clis
	BIN=$CLIS/node_modules/.bin
	CODEX_V=$(jq -r '.dependencies["@openai/codex"]' "$src/package.json")
	CLAUDE_V=$(jq -r '.dependencies["@anthropic-ai/claude-code"]' "$src/package.json")
	assert_match "$CODEX_V" '^[0-9]+\.[0-9]+\.[0-9]+$' "codex is pinned to an exact version"
	assert_match "$CLAUDE_V" '^[0-9]+\.[0-9]+\.[0-9]+$' "claude-code is pinned to an exact version"
	npm_ci_once "$src" "$CLIS" node_modules/.bin/codex node_modules/.bin/claude
	exec 9>&-
	for v in "codex:$CODEX_V:@openai/codex" "claude:$CLAUDE_V:@anthropic-ai/claude-code"; do
		IFS=: read -r cmd want pkg <<<"$v"
		[ -x "$BIN/$cmd" ] || fail "$BIN/$cmd is missing after the install"
		assert_eq "$(jq -r .version "$CLIS/node_modules/$pkg/package.json")" "$want" "installed $pkg"
	done
	ok "codex $CODEX_V and claude $CLAUDE_V installed in $CLIS"
}

# start_model responses|messages SCRIPTFILE: a model stand-in of
# tests/models (README.md there) answering with SCRIPTFILE. Sets MODEL_URL
# (http://127.0.0.1:PORT, no path), MODEL_PID and MODEL_LOG (one JSON line
# per request it got). Stopped by stop_model or the test's cleanup.
start_model() {
	command -v node >/dev/null 2>&1 || skip "node is not installed"
	[ -f "$TESTS_SRCDIR/models/$1.js" ] || fail "start_model: no stand-in $1"
	MODEL_LOG=$T/model-$1.log
	: >"$MODEL_LOG"
	node "$TESTS_SRCDIR/models/$1.js" --script "$2" --log "$MODEL_LOG" \
	    >"$T/model-$1.out" 2>>"$T/model-$1.err" &
	MODEL_PID=$!
	MODEL_PIDS="$MODEL_PIDS $MODEL_PID"
	MODEL_URL=http://$(listening_on "$T/model-$1.out" "$MODEL_PID" "stand-in $1")
}

# stop_model [PID]: stop a stand-in (the last started by default).
stop_model() {
	p=${1:-$MODEL_PID}
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	MODEL_PIDS=$(printf '%s' "$MODEL_PIDS" | tr ' ' '\n' | grep -vx "$p" | tr '\n' ' ')
}
