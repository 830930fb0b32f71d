#!/bin/bash
# Overlay workspaces: two sessions on one commit share one cached checkout
# and never see each other's edits; a fresh workspace is a clean git
# repository whose index git does not need to rewrite; git commit and
# task.branchName work through the overlay; DIFF_SUMMARY is right; DELETE
# unmounts; a restart unmounts what no session owns; the cache cap prunes
# an unused mirror and checkout; workspace_mode clone, and auto where
# overlays cannot mount (a workspace dir on overlayfs), fall back to a
# libgit2 clone and say so in /healthz; a sandboxed agent's uid owns its
# cached checkout and upper dir. (Shallow mirrors: t-remote.sh.)
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "overlay mounts need root (CAP_SYS_ADMIN)"
grep -qw overlay /proc/filesystems || skip "the kernel has no overlay filesystem"

GIT="git -c safe.directory=*"
make_repo "$T/repo"
start=$(git -C "$T/repo" rev-parse main)
CO=$T/cache/checkouts

# mount_of DIR: DIR's line in mountinfo, or nothing.
mount_of() { awk -v m="$1" '$5 == m' /proc/self/mountinfo; }
# lower_of DIR: the checkout under DIR's overlay, by its private record
# (the mount's options name its layers by descriptor, not by path).
lower_of() { cat "$(dirname "$1")/.overlay/$(basename "$1")/lower" 2>/dev/null; }
checkouts() { find "$CO" -mindepth 1 -maxdepth 1 -type d -regextype egrep \
    -regex '.*/[0-9a-f]{64}' 2>/dev/null | sort; }
input() { api POST "/api/runner/sessions/$1/input" "{\"data\":\"$2\\n\"}"; \
    assert_eq "$STATUS" 202 "input to $1"; }

start_daemon
api GET /healthz
assert_eq "$STATUS" 200 "healthz"
avail=$(jq -r .workspace.overlayAvailable <<<"$BODY")
[ "$avail" = true ] || skip "overlay mounts do not work here: $(jq -r .workspace.reason <<<"$BODY")"
assert_eq "$(jq -r .workspace.mode <<<"$BODY")" overlay "healthz workspace.mode"
assert_eq "$(jq -r .workspace.configured <<<"$BODY")" auto "healthz configured mode"
ok "start-up probe: overlay mounts work, /healthz says so"

# Two sessions on one commit, each editing the same file differently.
start_session 'write a.txt from A\n;write README.md A was here\n;print A-ready;read;cat README.md;try-read b.txt;print A-done'
A=$SID
wait_output "$A" A-ready
start_session 'write b.txt from B\n;write README.md B was here\n;print B-ready;read;cat README.md;try-read a.txt;print B-done'
B=$SID
wait_output "$B" B-ready

[ -n "$(mount_of "$WS/$A")" ] || fail "workspace A is not a mount"
mount_of "$WS/$A" | grep -q ' - overlay ' || fail "workspace A is not an overlay: $(mount_of "$WS/$A")"
mount_of "$WS/$A" | grep -q 'lowerdir=/proc/self/fd/[0-9]*,upperdir=/proc/self/fd/' ||
    fail "A's overlay names its layers by path: $(mount_of "$WS/$A")"
! mount_of "$WS/$A" | sed 's/.* - //' | grep -Eq "$T/cache|\.overlay|$A" ||
    fail "A's mount options name the cache or its private dir: $(mount_of "$WS/$A")"
assert_eq "$(cat "$WS/$A/README.md")" "A was here" "A's README from outside"
assert_eq "$(cat "$WS/$B/README.md")" "B was here" "B's README from outside"
[ ! -e "$WS/$A/b.txt" ] || fail "A sees B's new file"
[ ! -e "$WS/$B/a.txt" ] || fail "B sees A's new file"
# One cached checkout, untouched, under both.
assert_eq "$(checkouts | wc -l)" 1 "one cached checkout for one commit"
lower=$(checkouts)
assert_eq "$(lower_of "$WS/$A")" "$lower" "A's lowerdir"
assert_eq "$(lower_of "$WS/$B")" "$lower" "B's lowerdir (reused)"
assert_eq "$(cat "$WS/.overlay/$A/lower")" "$lower" "A's record"
assert_eq "$(cat "$WS/.overlay/$B/lower")" "$lower" "B's record"
assert_eq "$(cat "$lower/README.md")" "$(printf 'hello\nsecond')" "cached checkout untouched"
assert_eq "$(grep -c 'overlay over checkout .*(built it in' "$T/runnerd.log")" 1 "built once"
grep -q 'overlay over cached checkout' "$T/runnerd.log" || fail "no reuse in the log"
ok "A and B: one cached checkout ($(basename "$lower" | cut -c1-12)…) built once, reused; edits private"

input "$A" go
input "$B" go
wait_ended "$A"
wait_ended "$B"
oa=$(output "$A")
ob=$(output "$B")
assert_match "$oa" 'A was here' "A's agent reads its own README"
assert_match "$oa" 'try-read b.txt: denied \(No such file' "A's agent sees no b.txt"
assert_match "$ob" 'B was here' "B's agent reads its own README"
assert_match "$ob" 'try-read a.txt: denied \(No such file' "B's agent sees no a.txt"
! grep -q 'B was here' <<<"$oa" || fail "A's agent saw B's edit"
ok "each agent sees only its own edits"

st=$($GIT -C "$WS/$A" status --porcelain | sort | paste -sd,)
assert_eq "$st" " M README.md,?? a.txt" "git status after A's edits"
ev=$(events "$A")
d=$(jq -c '[.[] | select(.type=="DIFF_SUMMARY")][-1]' <<<"$ev")
readme=$($GIT -C "$WS/$A" diff --numstat "$start" -- README.md | awk '{ print $1 " " $2 }')
assert_eq "$(jq -r '.files[] | select(.path=="README.md") | "\(.additions) \(.deletions)"' <<<"$d")" "$readme" "DIFF_SUMMARY README = git numstat"
assert_eq "$(jq -r '.files[] | select(.path=="a.txt") | "\(.status) \(.additions)"' <<<"$d")" "added $(wc -l <"$WS/$A/a.txt")" "DIFF_SUMMARY a.txt"
assert_eq "$(jq -c '[.filesChanged, .linesAdded, .linesRemoved]' <<<"$d")" "[2,$(( ${readme% *} + 1 )),${readme#* }]" "DIFF_SUMMARY totals"
ok "git status and DIFF_SUMMARY in an overlay: $(jq -c '{filesChanged, linesAdded, linesRemoved}' <<<"$d")"

# A fresh workspace: clean, and git reads its index without rewriting it
# (no copy of .git/index in the upper dir), which is what keeps it fast.
start_session "print C-ready;read;write c.txt c\\n;sh $GIT -c user.name=t -c user.email=t@localhost add -A && $GIT -c user.name=t -c user.email=t@localhost commit -qm from-agent && echo committed-ok;print C-done" \
    "$T/repo" '.task.branchName = "runner/c"'
C=$SID
wait_output "$C" C-ready
assert_eq "$($GIT -C "$WS/$C" status --porcelain)" "" "git status in a fresh overlay"
[ ! -e "$WS/.overlay/$C/upper/.git/index" ] || fail "git status rewrote the index (copied up)"
assert_eq "$($GIT -C "$WS/$C" rev-parse --abbrev-ref HEAD)" runner/c "branchName in the merged view"
assert_eq "$($GIT -C "$WS/$C" rev-parse HEAD)" "$start" "HEAD at the start commit"
assert_eq "$(checkouts | wc -l)" 1 "still one cached checkout"
ok "fresh overlay: git status clean, index not rewritten, on branch runner/c"

input "$C" go
wait_ended "$C"
assert_match "$(output "$C")" committed-ok "git commit by the agent"
assert_eq "$($GIT -C "$WS/$C" log -1 --format=%s runner/c)" from-agent "commit on runner/c"
assert_eq "$($GIT -C "$WS/$C" status --porcelain)" "" "clean after the commit"
assert_eq "$($GIT -C "$lower" rev-parse HEAD)" "$start" "cached checkout's HEAD unmoved"
$GIT -C "$lower" rev-parse -q --verify refs/heads/runner/c >/dev/null &&
    fail "the session's branch leaked into the cached checkout"
ok "git commit and branch stay in the session's overlay"

api DELETE "/api/runner/sessions/$A"
assert_eq "$STATUS" 204 "DELETE A"
[ -z "$(mount_of "$WS/$A")" ] || fail "A still mounted after DELETE"
[ ! -e "$WS/$A" ] || fail "A's workspace still there"
[ ! -e "$WS/.overlay/$A" ] || fail "A's upper/work dirs still there"
assert_eq "$(cat "$WS/$B/README.md")" "B was here" "B untouched by A's DELETE"
[ -d "$lower" ] || fail "cached checkout removed while B and C use it"
ok "DELETE unmounts and removes the workspace and its upper and work dirs"

# Restart: B's record vanishes (no such session), C stays an ended session.
stop_daemon
rm -rf "${STATE:?}/sessions/$B"
start_daemon '{"cache_max_bytes": 1}'
[ -z "$(mount_of "$WS/$B")" ] || fail "stale mount of a gone session kept"
[ ! -e "$WS/$B" ] && [ ! -e "$WS/.overlay/$B" ] || fail "stale workspace B left behind"
[ -n "$(mount_of "$WS/$C")" ] || fail "ended session C lost its mount at restart"
assert_eq "$($GIT -C "$WS/$C" log -1 --format=%s)" from-agent "C's workspace after restart"
ok "restart: the gone session's overlay unmounted, the ended one kept"

# Cache cap (1 byte): after the next session, every unused entry goes.
api DELETE "/api/runner/sessions/$C"
assert_eq "$STATUS" 204 "DELETE C"
M=$T/cache/mirrors/example.invalid/o
git init -q --bare "$M/old.git"
git init -q --bare "$M/busy.git"
echo 1000 >"$M/old.git.stamp"
echo 1000 >"$M/busy.git.stamp"
touch -d '2 days ago' "$M/old.git.stamp" "$M/busy.git.stamp"
flock "$M/busy.git.lock" sleep 60 &
LPID=$!
for _ in $(seq 1 50); do
	flock -n "$M/busy.git.lock" true || break
	sleep 0.1
done
make_repo "$T/repo2"
printf 'other\n' >"$T/repo2/other.txt"
git -C "$T/repo2" add -A && git -C "$T/repo2" -c user.name=t -c user.email=t@localhost commit -qm other
start_session 'print D' "$T/repo2"
D=$SID
wait_ended "$D"
kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
[ ! -e "$M/old.git" ] && [ ! -e "$M/old.git.stamp" ] || fail "unused mirror not pruned"
[ -d "$M/busy.git" ] || fail "locked (in use) mirror pruned"
[ ! -e "$lower" ] || fail "unreferenced checkout not pruned"
assert_eq "$(checkouts | wc -l)" 1 "D's checkout kept (in use)"
assert_eq "$(lower_of "$WS/$D")" "$(checkouts)" "D's lowerdir is the one left"
grep -q 'cache: pruned mirror .*old.git' "$T/runnerd.log" || fail "no prune in the log"
ok "cache cap: unused mirror and checkout pruned, locked mirror and used checkout kept"

# With the sandbox, the agent's uid owns its cached checkout (another key)
# and its upper dir: git works for it as for anyone in their own clone.
stop_daemon
start_daemon "{\"sandbox\": true, \"sandbox_expose\": [\"$FAKE_AGENT_DIR\"]}"
api GET /healthz
if [ "$(jq -r .sandbox.layers.identity.available <<<"$BODY")" = true ]; then
	n0=$(checkouts | wc -l)
	start_session 'whoami;sh test -z "$(git status --porcelain)" && echo STATUS-CLEAN;write s.txt s\n;sh git add s.txt && git -c user.name=t -c user.email=t@localhost commit -qm sb && echo SB-COMMIT;print SB-DONE'
	S=$SID
	wait_ended "$S"
	os=$(output "$S")
	assert_match "$os" 'whoami: uid=65534' "agent's uid"
	assert_match "$os" STATUS-CLEAN "git status clean for the agent"
	assert_match "$os" SB-COMMIT "git commit by the agent"
	assert_eq "$(checkouts | wc -l)" $((n0 + 1)) "a checkout of its own for uid 65534"
	assert_eq "$(stat -c %u "$(lower_of "$WS/$S")")" 65534 "cached checkout's owner"
	assert_eq "$(stat -c %u "$WS/$S")" 65534 "workspace root's owner"
	assert_eq "$($GIT -C "$WS/$S" log -1 --format=%s)" sb "the agent's commit"
	assert_eq "$(events "$S" | jq -r '[.[] | select(.type=="DIFF_SUMMARY")][-1].files | map(.path) | join(",")')" s.txt "DIFF_SUMMARY of the agent's workspace"
	ok "sandboxed agent (uid 65534): own cached checkout and upper dir, git status clean, commit works"
else
	echo "# sandbox identity layer unavailable: owner check not run"
fi

# workspace_mode clone.
stop_daemon
start_daemon '{"workspace_mode": "clone"}'
api GET /healthz
assert_eq "$(jq -r .workspace.mode <<<"$BODY")" clone "healthz mode (clone)"
assert_eq "$(jq -r .workspace.reason <<<"$BODY")" "workspace_mode is clone" "healthz reason (clone)"
start_session 'print E'
E=$SID
wait_ended "$E"
# With the default disk quota the clone lives on the session's quota
# filesystem, which the workspace dir binds: a mount, never an overlay.
! mount_of "$WS/$E" | grep -q ' - overlay ' || fail "clone mode made an overlay"
[ "$(jq -r .workspace.quota.enforced <<<"$BODY")" != true ] ||
    mount_of "$WS/$E" | grep -q ' - ext4 ' || fail "clone mode: no quota filesystem: $(mount_of "$WS/$E")"
assert_eq "$($GIT -C "$WS/$E" status --porcelain)" "" "clone mode: clean checkout"
assert_eq "$(head -1 "$WS/$E/README.md")" hello "clone mode: checked out"
ok "workspace_mode clone: a plain libgit2 checkout, healthz says why"

# auto where overlays cannot mount: the workspace dir on overlayfs, which
# overlayfs refuses as an upper layer.
stop_daemon
mkdir -p "$T/ofs/l" "$T/ofs/u" "$T/ofs/w" "$T/ofs/m"
mount -t overlay overlay -o "lowerdir=$T/ofs/l,upperdir=$T/ofs/u,workdir=$T/ofs/w" "$T/ofs/m" ||
    fail "cannot mount the test's own overlay"
WS=$T/ofs/m/workspaces
: >"$T/runnerd.log"
start_daemon '{}'
api GET /healthz
assert_eq "$(jq -r .workspace.mode <<<"$BODY")" clone "healthz mode (auto, no overlay)"
assert_eq "$(jq -r .workspace.overlayAvailable <<<"$BODY")" false "overlayAvailable"
why=$(jq -r .workspace.reason <<<"$BODY")
assert_match "$why" 'overlay mount .* failed' "healthz reason (auto, no overlay)"
start_session 'print F'
F=$SID
wait_ended "$F"
api GET "/api/runner/sessions/$F"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "auto fallback session"
! mount_of "$WS/$F" | grep -q ' - overlay ' || fail "fallback made an overlay"
assert_eq "$(head -1 "$WS/$F/README.md")" hello "fallback checkout"
assert_eq "$(grep -c 'falling back to a libgit2 clone' "$T/runnerd.log")" 1 "fallback said once in the log"
ok "auto without working overlays: clone, said once ($why)"

# Without a disk quota: a quota filesystem would give the overlay an ext4
# upper dir, which mounts.
stop_daemon
start_daemon '{"workspace_mode": "overlay", "workspace_max_bytes": 0}'
api GET /healthz
assert_eq "$(jq -r '[.workspace.mode, .workspace.overlayAvailable] | join(" ")' <<<"$BODY")" "overlay false" "healthz (overlay required, unavailable)"
start_session 'print G'
G=$SID
wait_ended "$G"
api GET "/api/runner/sessions/$G"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "overlay required, cannot mount"
assert_match "$(jq -r .errorMessage <<<"$BODY")" 'cannot mount an overlay.*\(workspace_mode is overlay\)' "errorMessage"
ok "workspace_mode overlay without overlays: FAILED, $(jq -r .errorMessage <<<"$BODY")"

# Bad values of the keys.
jq -n '{workspace_mode: "fast"}' >"$T/bad.conf"
out=$("$RUNNERD" --check-config -c "$T/bad.conf" 2>&1) && fail "workspace_mode fast accepted"
assert_match "$out" 'workspace_mode: must be auto, overlay or clone' "bad workspace_mode"
jq -n '{cache_max_bytes: -1}' >"$T/bad.conf"
out=$("$RUNNERD" --check-config -c "$T/bad.conf" 2>&1) && fail "cache_max_bytes -1 accepted"
assert_match "$out" 'cache_max_bytes: -1 is out of range' "bad cache_max_bytes"
ok "bad workspace_mode and cache_max_bytes refused"

api GET /healthz
assert_eq "$STATUS" 200 "healthz at the end"
stop_daemon
ok "SIGTERM → exit 0"
