#!/bin/bash
# Hostile agents against the root worker's diff and watch (issue 11, items
# 2, 3, 5 and 9), with the sandbox on. The agent is a config-defined
# provider whose CLI is a shell script running one attack per session:
# (a) git indirection (core.worktree, a gitdir: file, alternates, includes,
#     a symlink) towards a root-only canary: nothing names it, and the
#     workspace's real changes are still reported right;
# (b) 4,500 long file names: DIFF_SUMMARY still arrives, totals exact,
#     files[] cut with truncated and filesOmitted;
# (c) a FILE_TOUCHED flood under a 1 MiB max_log_bytes: the log stays
#     within the cap plus a small constant, the final diff is kept;
# (d) more directories than max_watches: one resources alert, the session
#     goes on;
# (e) no inotify instance (injected in test builds): an alert naming
#     fs.inotify.max_user_instances, /healthz degraded, /metrics counts it;
# (f) unreadable files and directories of the agent's own (chmod 000):
#     DIFF_SUMMARY still counts every change in them, exactly;
# (g) every object, pack and the index of the workspace's .git overwritten
#     with garbage: in overlay mode DIFF_SUMMARY still arrives with exact
#     totals (read from the cached checkout); in clone mode, where nothing
#     pristine is left, a DIFF_SUMMARY with error and no totals, and an
#     alert.
# (h) ignore rules of the agent's (loot/.gitignore '*', a new top
#     .gitignore naming the tracked src/, '*' in .git/info/exclude) that
#     hide everything from git status: DIFF_SUMMARY counts every file
#     exactly, in overlay and in clone mode.
# Each time the daemon, a neighbour session and the host are unharmed.
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "the sandbox's uid switch needs root (runs as uid $(id -u))"
make_repo "$T/repo"

# The canary: root-only, outside every workspace.
CANARY=id_rsa_canary_$$
CONTENT=canary-content-$$-$RANDOM
mkdir -p "$T/secret/.ssh"
for i in 1 2 3 4 5; do echo "$CONTENT $i"; done >"$T/secret/.ssh/$CANARY"
cp "$T/secret/.ssh/$CANARY" "$T/secret/$CANARY"
# A repository of the canary's, sharing the start commit's history.
git clone -q "$T/repo" "$T/secret/repo"
cp "$T/secret/.ssh/$CANARY" "$T/secret/repo/$CANARY"
git -C "$T/secret/repo" add -A
git -C "$T/secret/repo" -c user.name=t -c user.email=t@localhost commit -q -m canary
chmod -R go-rwx "$T/secret"
canary_sum=$(find "$T/secret" -type f | sort | xargs sha256sum | sha256sum)

# The hostile CLI: runs the attack its goal names, in the workspace.
mkdir -p "$T/cli"
cat >"$T/cli/hostile.sh" <<EOF
#!/bin/sh
git() { /usr/bin/git -c user.name=a -c user.email=a@localhost "\$@"; }
case "\$1" in
indirection)
	echo more >>README.md
	printf 'a\nb\nc\n' >added.txt
	git config core.worktree "$T/secret"
	git config include.path "$T/secret/repo/.git/config"
	git config core.excludesfile "$T/secret/$CANARY"
	git config core.attributesfile "$T/secret/$CANARY"
	echo "$T/secret/repo/.git/objects" >.git/objects/info/alternates
	ln -s "$T/secret/.ssh/$CANARY" link
	;;
gitdir)
	echo more >>README.md
	rm -rf .git
	echo "gitdir: $T/secret/repo/.git" >.git
	;;
many)
	echo more >>README.md
	printf 'x\n' >"\$(printf 'bad\377name')"
	mkdir pad && cd pad || exit 1
	i=0
	while [ \$i -lt 4500 ]; do
		printf 'x\ny\n' >"\$(printf 'f%05d_%0200d' \$i 0)"
		i=\$((i + 1))
	done
	;;
flood)
	mkdir flood && cd flood || exit 1
	seq -f 'touched-%06g-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' 1 6000 | xargs touch
	sleep 1.5
	;;
dirs)
	i=0
	while [ \$i -lt 60 ]; do mkdir -p "d\$i/sub"; i=\$((i + 1)); done
	sleep 1.5
	echo "still running"
	echo late >d59/sub/late.txt
	;;
plain)
	echo more >>README.md
	;;
unreadable)
	echo more >>README.md
	mkdir -p locked/deep
	printf '1\n2\n' >locked/f.txt
	printf 'a\nb\nc\n' >locked/deep/g.txt
	printf 'x\ny\n' >private.txt
	chmod 000 locked/deep locked private.txt
	cat private.txt >/dev/null 2>&1 || echo "own files unreadable"
	;;
corrupt)
	echo more >>README.md
	printf 'a\nb\nc\n' >added.txt
	for f in .git/objects/??/* .git/objects/pack/* .git/index; do
		[ -f "\$f" ] || continue
		chmod u+w "\$f" && echo garbage >"\$f"
	done
	git status >/dev/null 2>&1 || echo "git broken"
	;;
ignore)
	mkdir -p loot/deep .git/info
	echo '*' >loot/.gitignore
	printf 'a\nb\n' >loot/secret.txt
	seq 1 5 >loot/deep/x.txt
	printf 'src/\n' >.gitignore
	printf '1\n2\n3\n' >src/new.c
	printf 'x\ny\n' >top.txt
	echo '*' >>.git/info/exclude
	[ -z "\$(git status --porcelain --untracked-files=all)" ] && echo "git sees nothing"
	;;
esac
sleep 1.5
echo "attack \$1 done"
EOF
chmod 755 "$T/cli" "$T/cli/hostile.sh"

# conf [JSON]: the sandbox, the hostile provider, and more.
conf() {
	jq -nc --arg d "$T/cli" --arg c "$T/cli/hostile.sh" --argjson x "${1:-{\}}" \
	    '{sandbox: true, sandbox_expose: [$d, env.FAKE_AGENT_DIR],
	      providers: {hostile: {command: $c, args: ["{goal}"]}}} * $x'
}

# attack NAME: start a hostile session; sets SID.
attack() {
	start_session "$1" "$T/repo" '.providerId = "hostile"'
}

# The last DIFF_SUMMARY of a session, or null.
last_diff() {
	events "$1" | jq -c '[.[] | select(.type == "DIFF_SUMMARY")] | last'
}

# unharmed: the daemon answers, the neighbour runs, the canary is intact.
unharmed() {
	api GET /healthz
	assert_eq "$STATUS" 200 "$1: healthz"
	assert_eq "$(state_of "$NB")" RUNNING "$1: the neighbour session"
	assert_eq "$(find "$T/secret" -type f | sort | xargs sha256sum | sha256sum)" \
	    "$canary_sum" "$1: the canary is untouched"
}

# no_canary ID: neither the events nor the log of the session name it.
no_canary() {
	ev=$(events "$1")
	case "$ev" in
	*"$CANARY"*|*"$CONTENT"*|*canary*)
		fail "$2: the canary leaked: $(printf '%s' "$ev" | grep -o '.\{80\}canary.\{80\}' | head -3)";;
	esac
	grep -q "$CANARY\|$CONTENT" "$STATE/sessions/$1/events.jsonl" &&
	    fail "$2: the canary is in the event log"
	return 0
}

start_daemon "$(conf '{"max_watches": 40}')"
start_session 'print neighbour up
read
print bye'
NB=$SID
wait_output "$NB" 'neighbour up'
api GET /healthz
for l in identity namespaces; do
	[ "$(jq ".sandbox.layers.$l.available" <<<"$BODY")" = true ] ||
	    skip "sandbox layer $l is unavailable here"
done

# (a) Indirection: core.worktree, includes, alternates, attributes and
# excludes files, a symlink, all towards the canary.
attack indirection
wait_ended "$SID" 60
assert_eq "$(state_of "$SID")" COMPLETED "indirection: state"
d=$(last_diff "$SID")
[ "$d" != null ] || fail "indirection: no DIFF_SUMMARY ($(grep 'diff' "$T/runnerd.log" | tail -3))"
no_canary "$SID" indirection
assert_eq "$(jq -c '[.files[] | [.path, .status, .additions, .deletions]] | sort' <<<"$d")" \
    '[["README.md","modified",1,0],["added.txt","added",3,0],["link","added",1,0]]' \
    "indirection: the real changes"
assert_eq "$(jq -c '[.filesChanged, .linesAdded, .linesRemoved]' <<<"$d")" '[3,5,0]' \
    "indirection: totals"
unharmed indirection
ok "core.worktree, include, alternates, attributes/excludes files, a symlink: the canary stays out, the diff is right"

# Overlay workspaces (the default where they work) have a pristine .git
# below the agent's.
api GET /healthz
MODE=$(jq -r .workspace.mode <<<"$BODY")

# (a) A gitdir: file naming the canary's repository: no summary of it.
# Over an overlay the diff reads the cached checkout's .git and the real
# change is reported; in a clone, an error summary and an alert.
attack gitdir
wait_ended "$SID" 60
no_canary "$SID" gitdir
if [ "$MODE" = overlay ]; then
	assert_eq "$(last_diff "$SID" | jq -c '[.filesChanged, .linesAdded, .linesRemoved, [.files[].path]]')" \
	    '[1,1,0,["README.md"]]' "gitdir: the real change, from the cached checkout"
else
	assert_eq "$(last_diff "$SID" | jq -c '[.filesChanged, (.error | length > 0)]')" \
	    '[null,true]' "gitdir: an error summary"
	assert_eq "$(events "$SID" | jq -c '[.[] | select(.type == "ALERT_RAISED" and .title == "diff unavailable") | .context.reason] | unique')" \
	    '["diff_unavailable"]' "gitdir: a diff unavailable alert"
fi
unharmed gitdir
ok "a gitdir: file: no summary of the other repository ($MODE)"

# (f) The agent's own files and directories made unreadable (mode 000):
# every change in them is counted, exactly.
attack unreadable
wait_ended "$SID" 60
assert_match "$(output "$SID")" 'own files unreadable' "unreadable: the agent cannot read them itself"
d=$(last_diff "$SID")
assert_eq "$(jq -c '[.files[] | [.path, .status, .additions, .deletions]] | sort' <<<"$d")" \
    '[["README.md","modified",1,0],["locked/deep/g.txt","added",3,0],["locked/f.txt","added",2,0],["private.txt","added",2,0]]' \
    "unreadable: every change, inside the mode 000 dirs too"
assert_eq "$(jq -c '[.filesChanged, .linesAdded, .linesRemoved, .error]' <<<"$d")" '[4,8,0,null]' \
    "unreadable: exact totals"
assert_eq "$(events "$SID" | jq '[.[] | select(.type == "ALERT_RAISED" and .title == "diff unavailable")] | length')" 0 \
    "unreadable: no diff alert"
unharmed unreadable
ok "chmod 000 on the agent's dirs and files: DIFF_SUMMARY exact, $(jq -c '[.filesChanged, .linesAdded]' <<<"$d")"

# (g) Every object, pack and the index of the agent's .git overwritten.
if [ "$MODE" = overlay ]; then
	attack corrupt
	wait_ended "$SID" 60
	assert_match "$(output "$SID")" 'git broken' "corrupt: the agent's .git is broken"
	d=$(last_diff "$SID")
	assert_eq "$(jq -c '[.files[] | [.path, .status, .additions, .deletions]] | sort' <<<"$d")" \
	    '[["README.md","modified",1,0],["added.txt","added",3,0]]' "corrupt: the real changes"
	assert_eq "$(jq -c '[.filesChanged, .linesAdded, .linesRemoved, .error]' <<<"$d")" '[2,4,0,null]' \
	    "corrupt: exact totals"
	assert_eq "$(events "$SID" | jq '[.[] | select(.type == "ALERT_RAISED" and .title == "diff unavailable")] | length')" 0 \
	    "corrupt: no diff alert"
	unharmed corrupt
	ok "the agent's .git overwritten with garbage: DIFF_SUMMARY exact from the cached checkout"
else
	echo "# (g) in overlay mode skipped: workspaces are $MODE here"
fi

# (h) Ignore rules the agent wrote hide nothing from the diff.
IGNORE_FILES='[[".gitignore","added",1,0],["loot/.gitignore","added",1,0],["loot/deep/x.txt","added",5,0],["loot/secret.txt","added",2,0],["src/new.c","added",3,0],["top.txt","added",2,0]]'
# ignore_case LABEL: the ignore attack, its diff exact.
ignore_case() {
	attack ignore
	wait_ended "$SID" 60
	assert_match "$(output "$SID")" 'git sees nothing' "$1: git status hides it all"
	d=$(last_diff "$SID")
	assert_eq "$(jq -c '[.files[] | [.path, .status, .additions, .deletions]] | sort' <<<"$d")" \
	    "$IGNORE_FILES" "$1: every hidden file"
	assert_eq "$(jq -c '[.filesChanged, .linesAdded, .linesRemoved, .error]' <<<"$d")" '[6,14,0,null]' \
	    "$1: exact totals"
	unharmed "$1"
}
ignore_case "ignore ($MODE)"
ok "loot/.gitignore '*', .gitignore 'src/', info/exclude '*': DIFF_SUMMARY counts them all ($MODE)"

# (b) 4,500 long names: the summary arrives, cut, with exact totals.
attack many
wait_ended "$SID" 120
d=$(last_diff "$SID")
[ "$d" != null ] || fail "many: no DIFF_SUMMARY ($(grep 'dropped\|diff' "$T/runnerd.log" | tail -3))"
grep -q 'event dropped' "$T/runnerd.log" && fail "many: an event was dropped"
assert_eq "$(jq -c '[.filesChanged, .linesAdded, .linesRemoved, .truncated]' <<<"$d")" \
    '[4502,9002,0,true]' "many: exact totals, truncated"
assert_eq "$(jq '.filesOmitted + (.files | length)' <<<"$d")" 4502 "many: filesOmitted + files"
# A name that is not UTF-8 reaches the events, made valid.
assert_eq "$(jq '[.files[].path | select(startswith("bad"))] == ["bad\ufffdname"]' <<<"$d")" true \
    "many: a non-UTF-8 name in the diff"
assert_eq "$(events "$SID" | jq '[.[] | select(.type == "FILE_TOUCHED" and (.path | startswith("bad"))) | .path] | unique == ["bad\ufffdname"]')" \
    true "many: a non-UTF-8 name touched"
[ "$(jq -c .files <<<"$d" | wc -c)" -le 262144 ] || fail "many: files[] over 256 KiB"
[ "$(jq '.files | length' <<<"$d")" -gt 100 ] || fail "many: files[] nearly empty"
unharmed many
ok "4,500 long file names: DIFF_SUMMARY arrives, $(jq .filesOmitted <<<"$d") entries omitted, totals exact"

# (d) More directories than max_watches (40): one resources alert, the
# session goes on to the end.
attack dirs
wait_ended "$SID" 60
assert_eq "$(state_of "$SID")" COMPLETED "dirs: state"
al=$(events "$SID" | jq -c '[.[] | select(.type == "ALERT_RAISED" and .title == "workspace only partly watched")]')
assert_eq "$(jq -c '[length, .[0].category]' <<<"$al")" '[1,"resources"]' "dirs: one resources alert"
assert_match "$(jq -r '.[0].description' <<<"$al")" 'cap of 40 inotify watches \(max_watches\)' "dirs: names the cap"
assert_match "$(output "$SID")" 'attack dirs done' "dirs: the session went on"
assert_eq "$(last_diff "$SID" | jq .filesChanged)" 1 "dirs: the diff still covers the change"
unharmed dirs
ok "max_watches reached: one alert, FILE_TOUCHED partial, the session goes on"

api POST "/api/runner/sessions/$NB/input" '{"data":"x\n"}'
wait_ended "$NB"
stop_daemon

# (c) A FILE_TOUCHED flood under a 1 MiB cap.
cap=1048576
start_daemon "$(conf "{\"max_log_bytes\": $cap}")"
start_session 'print neighbour up
read
print bye'
NB=$SID
wait_output "$NB" 'neighbour up'
attack flood
wait_ended "$SID" 120
size=$(stat -c %s "$STATE/sessions/$SID/events.jsonl")
[ "$size" -le $((cap + 32768)) ] ||
    fail "flood: the log grew to $size bytes, past the cap $cap + 32 KiB"
[ "$size" -ge $((cap - 65536)) ] || fail "flood: the log ($size) never reached the cap: no flood?"
ev=$(events "$SID")
assert_eq "$(jq -c '[.[] | select(.type == "ALERT_RAISED" and .category == "storage")] | length' <<<"$ev")" 1 \
    "flood: one storage alert"
assert_match "$(jq -r '.[] | select(.type == "ALERT_RAISED" and .category == "storage") | .description' <<<"$ev")" \
    'FILE_TOUCHED events are counted, not stored' "flood: the alert names FILE_TOUCHED"
assert_eq "$(jq -c '[.[].type] | .[-1]' <<<"$ev")" '"SESSION_ENDED"' "flood: SESSION_ENDED kept"
d=$(jq -c '[.[] | select(.type == "DIFF_SUMMARY")] | last' <<<"$ev")
assert_eq "$(jq -c '[.filesChanged, .truncated]' <<<"$d")" '[6000,true]' "flood: the final diff, exact"
[ "$(jq -c .files <<<"$d" | wc -c)" -le 8192 ] || fail "flood: the final diff's files[] is not cut"
assert_eq "$(jq -c '[.[].type] | .[-2]' <<<"$ev")" '"DIFF_SUMMARY"' "flood: the final diff just before SESSION_ENDED"
assert_seq_contiguous "$SID"
unharmed flood
api GET /metrics
assert_match "$BODY" 'runnerd_events_dropped_total\{type="FILE_TOUCHED"\} [1-9]' "flood: metrics count the dropped"
ok "FILE_TOUCHED flood under a 1 MiB cap: log $size bytes, final diff kept"
api POST "/api/runner/sessions/$NB/input" '{"data":"x\n"}'
wait_ended "$NB"
stop_daemon

# (g) In clone mode nothing pristine is left: the summary still comes,
# saying why it has no totals, with one alert.
start_daemon "$(conf '{"workspace_mode": "clone"}')"
start_session 'print neighbour up
read
print bye'
NB=$SID
wait_output "$NB" 'neighbour up'
attack corrupt
wait_ended "$SID" 60
assert_match "$(output "$SID")" 'git broken' "clone corrupt: the agent's .git is broken"
ev=$(events "$SID")
d=$(jq -c '[.[] | select(.type == "DIFF_SUMMARY")] | last' <<<"$ev")
[ "$d" != null ] || fail "clone corrupt: no DIFF_SUMMARY"
assert_eq "$(jq -c '[.filesChanged, .linesAdded, .linesRemoved, .files]' <<<"$d")" '[null,null,null,[]]' \
    "clone corrupt: no totals guessed"
assert_match "$(jq -r .error <<<"$d")" 'start commit|inflat|index|object' "clone corrupt: the error says why"
assert_eq "$(jq -c '[.[] | select(.type == "DIFF_SUMMARY" or .newState == "COMPLETED") | .type] | .[-2:]' <<<"$ev")" \
    '["DIFF_SUMMARY","SESSION_STATE_CHANGED"]' "clone corrupt: the final summary, before the session ends"
assert_eq "$(jq -c '[.[] | select(.type == "DIFF_SUMMARY") | [has("error"), has("filesChanged")]] | unique' <<<"$ev")" \
    '[[true,false]]' "clone corrupt: every summary with an error, none with totals"
assert_eq "$(jq -c '[.[] | select(.type == "ALERT_RAISED" and .title == "diff unavailable")] | length' <<<"$ev")" 1 \
    "clone corrupt: one alert"
unharmed "clone corrupt"
ignore_case "ignore (clone)"
ok "loot/.gitignore '*', .gitignore 'src/', info/exclude '*': DIFF_SUMMARY counts them all (clone)"
api POST "/api/runner/sessions/$NB/input" '{"data":"x\n"}'
wait_ended "$NB"
stop_daemon
ok "clone mode, the agent's .git overwritten: DIFF_SUMMARY with error and no totals, one alert"

# (e) No inotify instance: RUNNERD_TEST_INOTIFY_FAIL makes inotify_init1
# fail with EMFILE in test builds (--enable-test-hooks) only.
if grep -q '^#define RUNNERD_TEST_HOOKS 1' "$TESTS_BUILDDIR/../config.h" 2>/dev/null; then
	export RUNNERD_TEST_INOTIFY_FAIL=1
	start_daemon "$(conf)"
	unset RUNNERD_TEST_INOTIFY_FAIL
	api GET /healthz
	assert_eq "$(jq -r .status <<<"$BODY")" ok "no inotify: healthy before"
	start_session 'print up
read
print bye'
	S1=$SID
	wait_output "$S1" 'up'
	al=$(events "$S1" | jq -c '[.[] | select(.type == "ALERT_RAISED" and .title == "file changes not watched")]')
	assert_eq "$(jq -c '[length, .[0].category]' <<<"$al")" '[1,"resources"]' "no inotify: one alert"
	assert_eq "$(jq -r '.[0].severity' <<<"$al")" warn "no inotify: severity"
	assert_match "$(jq -r '.[0].description' <<<"$al")" 'fs\.inotify\.max_user_instances' "no inotify: names the sysctl"
	max=$(cat /proc/sys/fs/inotify/max_user_instances)
	assert_eq "$(jq -r '.[0].context.maxUserInstances' <<<"$al")" "$max" "no inotify: names the limit"
	api GET /healthz
	assert_eq "$(jq -c '[.status, .inotify.sessionsWithoutWatch, .inotify.maxUserInstances]' <<<"$BODY")" \
	    "[\"degraded\",1,$max]" "no inotify: /healthz degraded"
	api GET /metrics
	assert_match "$BODY" 'runnerd_sessions_without_watch_total 1' "no inotify: /metrics"
	attack plain
	wait_ended "$SID" 60
	assert_eq "$(last_diff "$SID" | jq .filesChanged)" 1 "no inotify: the diff still comes"
	api POST "/api/runner/sessions/$S1/input" '{"data":"x\n"}'
	wait_ended "$S1"
	api GET /healthz
	assert_eq "$(jq -c '[.status, .inotify.sessionsWithoutWatch]' <<<"$BODY")" '["ok",0]' \
	    "no inotify: healthy once those sessions ended"
	stop_daemon
	ok "no inotify instance: alert, /healthz degraded, /metrics, the diff still comes"
else
	echo "# (e) skipped: not a test build (configure --enable-test-hooks)"
fi
ok "SIGTERM → exit 0"
