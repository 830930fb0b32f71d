#!/bin/bash
# Hostile agents and the filesystem (issue 11, items 7 and 5's quota). The
# agent is a config-defined provider whose CLI is a shell script:
# (a) with two other sessions running, its /proc/self/mountinfo and
#     /proc/1/mountinfo name no other session, no upper or work dir and
#     no cache key;
# (b) under workspace_max_bytes 64 MiB it writes 300 MiB: the writes stop
#     at the limit (ENOSPC), an ALERT at 90 %, the session FAILED "disk
#     quota exceeded (limit 64 MiB)", the host's disk charged no more than
#     the limit, the daemon and the other sessions unharmed; a session may
#     lower the limit, never raise it;
# (c) DELETE frees the mount, the loop device and the image; so does the
#     start-up sweep for a session the daemon no longer knows.
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "the sandbox and loop devices need root (runs as uid $(id -u))"
[ -w /dev/loop-control ] || skip "no /dev/loop-control here"
command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4 (e2fsprogs) here"
MiB=$((1024 * 1024))

# The workspaces on a filesystem of their own, so that what the sessions
# cost the disk is measured without the rest of the host's traffic.
truncate -s 768M "$T/ws.img"
mkfs.ext4 -q -F -m 0 -O ^has_journal -E nodiscard "$T/ws.img" ||
    fail "mkfs.ext4 for the test's workspace filesystem"
mkdir -p "$WS"
mount -o loop "$T/ws.img" "$WS" || skip "cannot loop-mount a filesystem here"

make_repo "$T/repo"
make_repo "$T/repo2"
printf 'other\n' >"$T/repo2/other.txt"
git -C "$T/repo2" -c user.name=t -c user.email=t@localhost add -A
git -C "$T/repo2" -c user.name=t -c user.email=t@localhost commit -q -m other

# The hostile CLI: its goal names the scenario.
mkdir -p "$T/agent"
cat >"$T/agent/hostile-fs.sh" <<'EOF'
#!/bin/sh
case "$1" in
neighbour)
	echo "neighbour up"
	while read -r line; do
		echo "$line" >note.txt && echo "neighbour wrote $line"
	done ;;
mountinfo)
	cat /proc/self/mountinfo >mi-self.txt
	cat /proc/1/mountinfo >mi-1.txt
	ls -a "$(dirname "$PWD")" >ls-parent.txt 2>&1
	echo "mountinfo copied"
	sleep 300 ;;
fill)
	echo "filling"
	dd if=/dev/zero of=big bs=1M count="${2:-300}" 2>&1
	echo "dd exit $?"
	sleep 300 ;;
esac
EOF
chmod 755 "$T" "$T/agent" "$T/agent/hostile-fs.sh"
conf=$(jq -n --arg cmd "$T/agent/hostile-fs.sh" --arg fa "$FAKE_AGENT_DIR" \
    --arg ag "$T/agent" --argjson q $((64 * MiB)) '{
	sandbox: true, sandbox_expose: [$fa, $ag], workspace_max_bytes: $q,
	providers: {hostile: {command: $cmd, args: ["{goal}"]}}}')
start_daemon "$conf"

api GET /healthz
assert_eq "$STATUS" 200 "healthz"
q=$(jq -c .workspace.quota <<<"$BODY")
[ "$(jq .enforced <<<"$q")" = true ] ||
    skip "workspace quotas unavailable here: $(jq -r .reason <<<"$q")"
assert_eq "$(jq .limitBytes <<<"$q")" $((64 * MiB)) "healthz quota limit"
grep -q 'workspace quota: 64 MiB per session' "$T/runnerd.log" ||
    fail "no start-up line for the quota"
sb=$(jq -c .sandbox <<<"$BODY")
[ "$(jq .layers.namespaces.available <<<"$sb")" = true ] ||
    skip "no mount namespaces here: $(jq -r .layers.namespaces.detail <<<"$sb")"
ok "/healthz: workspace.quota $q"

# hostile_body GOAL [REPO] [JQ-FILTER]: a start body for the script.
hostile_body() {
	jq -n --arg goal "$1" --arg path "${2:-$T/repo}" "{
	  providerId: \"hostile\", villageId: \"test\",
	  repoRef: {provider: \"local\", path: \$path},
	  task: {title: \"hostile\", goal: \$goal}
	} ${3:+| $3}"
}
hostile() {
	api POST /api/runner/sessions "$(hostile_body "$@")"
	[ "$STATUS" = 201 ] || fail "start: $STATUS $BODY"
	SID=$(jq -r .sessionId <<<"$BODY")
}
mount_of() { awk -v m="$1" '$5 == m' /proc/self/mountinfo; }
avail() { df -B1 --output=avail "$WS" | tail -1 | tr -d ' '; }

# Two neighbours on another repository (other cache keys), then the spy.
hostile neighbour "$T/repo2"
N1=$SID
hostile neighbour "$T/repo2"
N2=$SID
wait_output "$N1" 'neighbour up'
wait_output "$N2" 'neighbour up'
hostile mountinfo
S=$SID
wait_output "$S" 'mountinfo copied'

# (a) What the spy saw of the mounts.
for f in mi-self.txt mi-1.txt; do
	mi=$WS/$S/$f
	[ -s "$mi" ] || fail "$f: not copied"
	# Not vacuous: its own workspace is there.
	grep -q " $WS/$S " "$mi" || fail "$f lists no own workspace: $(head -3 "$mi")"
	for nb in "$N1" "$N2"; do
		! grep -q "$nb" "$mi" || fail "$f names neighbour $nb: $(grep "$nb" "$mi" | head -2)"
	done
	! grep -Eq 'upperdir=/[^p]|workdir=/[^p]|lowerdir=/[^p]' "$mi" ||
	    fail "$f names layer paths: $(grep -E 'upperdir=' "$mi" | head -2)"
	! grep -q '\.overlay' "$mi" || fail "$f names private dirs: $(grep '\.overlay' "$mi" | head -2)"
	for key in $(ls "$T/cache/checkouts" | grep -E '^[0-9a-f]{64}$'); do
		! grep -q "$key" "$mi" || fail "$f names cache key $key"
	done
	! grep -q " $T/cache" "$mi" || fail "$f lists mounts in the cache dir"
done
[ "$(ls "$T/cache/checkouts" | grep -cE '^[0-9a-f]{64}$')" -ge 2 ] ||
    fail "expected two cache keys on the host"
! grep -Eq "$N1|$N2|\\.overlay" "$WS/$S/ls-parent.txt" ||
    fail "the workspace dir lists others: $(cat "$WS/$S/ls-parent.txt")"
ok "(a) mountinfo in the sandbox: own workspace only; no neighbour id, layer path or cache key"

# (b) 300 MiB into a 64 MiB quota.
before=$(avail)
hostile fill
F=$SID
wait_ended "$F" 60
after=$(avail)
api GET "/api/runner/sessions/$F"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "filler state"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" "disk quota exceeded (limit 64 MiB)" "filler errorMessage"
size=$(stat -c %s "$WS/$F/big")
[ "$size" -le $((64 * MiB)) ] || fail "the agent wrote $size bytes past a 64 MiB quota"
[ "$size" -ge $((48 * MiB)) ] || fail "the agent could write only $size bytes of 64 MiB"
used=$((before - after))
[ "$used" -le $((70 * MiB)) ] || fail "the host's disk lost $used bytes to a 64 MiB quota"
ev=$(events "$F")
alerts=$(jq -c '[.[] | select(.type=="ALERT_RAISED" and .category=="resources" and (.title | test("quota")))]' <<<"$ev")
assert_eq "$(jq length <<<"$alerts")" 1 "one quota ALERT_RAISED"
assert_eq "$(jq -r '.[0].severity' <<<"$alerts")" warn "alert severity"
[ "$(jq '.[0].context.percent' <<<"$alerts")" -ge 90 ] || fail "alert below 90 %: $alerts"
a_seq=$(jq '.[0].seq' <<<"$alerts")
f_seq=$(jq '[.[] | select(.type=="SESSION_STATE_CHANGED" and .newState=="FAILED")][0].seq' <<<"$ev")
[ "$a_seq" -lt "$f_seq" ] || fail "the alert came after FAILED"
# The writes failed, not just stopped: the filesystem is full for root too.
dd if=/dev/zero of="$WS/$F/more" bs=1M count=8 conv=fsync 2>"$T/dd.err" &&
    fail "the full quota took 8 MiB more"
grep -q 'No space left on device' "$T/dd.err" || fail "no ENOSPC: $(cat "$T/dd.err")"
! output "$F" | grep -q 'dd exit 0' || fail "the agent's dd wrote its 300 MiB"
ok "(b) 300 MiB into 64 MiB: file ${size} bytes, host charged $((used / MiB)) MiB, ALERT at $(jq '.[0].context.percent' <<<"$alerts") %, FAILED"

# The daemon and the neighbours are unharmed, and can still write.
api GET /healthz
assert_eq "$STATUS" 200 "healthz after the fill"
# (lib.sh's helpers use $n: another name for the loop.)
for nb in "$N1" "$N2"; do
	assert_eq "$(state_of "$nb")" RUNNING "neighbour $nb state"
	api POST "/api/runner/sessions/$nb/input" '{"data":"still here\n"}'
	wait_output "$nb" 'neighbour wrote still here'
	assert_eq "$(cat "$WS/$nb/note.txt")" "still here" "neighbour $nb wrote"
done
ok "(b) daemon and neighbours unharmed, their workspaces writable"

# A session may lower the quota, never raise it.
api POST /api/runner/sessions "$(hostile_body fill "$T/repo" '.policy = {limits: {workspaceMaxBytes: 134217728}}')"
assert_eq "$STATUS" 400 "quota above the config's"
assert_match "$BODY" 'policy\.limits\.workspaceMaxBytes' "400 names the field"
api POST /api/runner/sessions "$(hostile_body fill "$T/repo" '.policy = {limits: {workspaceMaxBytes: 1024}}')"
assert_eq "$STATUS" 400 "quota below the minimum"
hostile fill "$T/repo" '.policy = {limits: {workspaceMaxBytes: 33554432}}'
L=$SID
wait_ended "$L" 60
api GET "/api/runner/sessions/$L"
assert_eq "$(jq -r .errorMessage <<<"$BODY")" "disk quota exceeded (limit 32 MiB)" "lowered quota"
[ "$(stat -c %s "$WS/$L/big")" -le $((32 * MiB)) ] || fail "wrote past a lowered quota"
ok "policy.limits.workspaceMaxBytes: lower honoured, higher refused (400)"

# (c) DELETE frees mount, loop device and image.
for id in "$F" "$L"; do
	[ -n "$(mount_of "$WS/$id")" ] || fail "$id: no workspace mount before DELETE"
	[ -n "$(mount_of "$WS/.overlay/$id")" ] || fail "$id: no quota mount before DELETE"
done
loops=$(loops_under "$WS" | wc -l)
[ "$loops" -ge 5 ] || fail "expected a loop device per session, found $loops"
held=$(avail)
for id in "$F" "$L"; do
	api DELETE "/api/runner/sessions/$id"
	assert_eq "$STATUS" 204 "DELETE $id"
	[ -z "$(mount_of "$WS/$id")" ] || fail "$id: workspace still mounted"
	[ -z "$(mount_of "$WS/.overlay/$id")" ] || fail "$id: quota still mounted"
	[ ! -e "$WS/$id" ] && [ ! -e "$WS/.overlay/$id" ] || fail "$id: workspace left"
done
for _ in $(seq 1 50); do
	[ "$(loops_under "$WS" | wc -l)" -eq $((loops - 2)) ] && break
	sleep 0.1
done
assert_eq "$(loops_under "$WS" | wc -l)" $((loops - 2)) "loop devices after DELETE"
freed=$(( $(avail) - held ))
[ "$freed" -ge $((80 * MiB)) ] || fail "DELETE gave back only $freed bytes of 96 MiB of images"
ok "(c) DELETE: mounts, loop devices and images gone ($((freed / MiB)) MiB back)"

for id in "$N1" "$N2" "$S"; do
	api POST "/api/runner/sessions/$id/stop" '{"graceful": false}'
done
for id in "$N1" "$N2" "$S"; do wait_ended "$id"; done
stop_daemon
ok "stopped cleanly"

# The start-up sweep: a session the daemon no longer knows loses its quota
# filesystem and loop device; an ended one it knows keeps its workspace.
loops=$(loops_under "$WS" | wc -l)
[ -n "$(mount_of "$WS/.overlay/$N1")" ] || fail "N1: no quota mount before the restart"
rm -rf "${STATE:?}/sessions/$N1"
start_daemon
[ -z "$(mount_of "$WS/$N1")" ] && [ -z "$(mount_of "$WS/.overlay/$N1")" ] ||
    fail "N1: still mounted after the sweep"
[ ! -e "$WS/$N1" ] && [ ! -e "$WS/.overlay/$N1" ] || fail "N1: workspace left by the sweep"
for _ in $(seq 1 50); do
	[ "$(loops_under "$WS" | wc -l)" -eq $((loops - 1)) ] && break
	sleep 0.1
done
assert_eq "$(loops_under "$WS" | wc -l)" $((loops - 1)) "loop devices after the sweep"
assert_eq "$(cat "$WS/$N2/note.txt")" "still here" "N2's workspace kept"
stop_daemon
ok "start-up sweep: the unknown session's mount and loop device freed, the known one kept"
