#!/bin/bash
# Exec-policy dodges that need no cleverness (issue 11, item 6), in the
# sandbox, by a hostile agent: a config-defined provider whose CLI is a
# shell script. git's global options before push (-c, -C, --git-dir), an
# alias given with -c, a copy, a symlink and a hard link of git under
# other names: each push is held for approval (merge), denied, and never
# reaches the bare remote. A copy of a denylisted rm is denied (ALERT,
# the file stays). A neighbour session, the daemon and the host's own
# git and rm are unharmed. An allowed push is asked for once, even though
# git re-executes an alias; a hook it runs gets no free pass.
. "$TESTS_SRCDIR/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "the sandbox's uid switch needs root (runs as uid $(id -u))"
make_repo "$T/repo"
GIT=$(command -v git)
RM=$(command -v rm)
host_sums=$(sha256sum "$GIT" "$RM")

# The agent lives in a directory of its own (the sandbox exposes it).
mkdir "$T/agent"
cat >"$T/agent/hostile.sh" <<'EOF'
#!/bin/sh
# Each way around the exec policy in turn; "result NAME RC" after each.
try() { n=$1; shift; "$@"; echo "result $n $?"; }
git init -q --bare remote.git || echo "setup failed"
echo started
try opt-c git -c a=b push -q remote.git HEAD:refs/heads/opt-c
try opt-C git -C . push -q remote.git HEAD:refs/heads/opt-C
try git-dir git --git-dir=.git push -q remote.git HEAD:refs/heads/git-dir
try alias git -c alias.p=push p -q remote.git HEAD:refs/heads/alias
g=$(command -v git)
cp "$g" ./g && try copy ./g push -q remote.git HEAD:refs/heads/copy
ln -s "$g" ./h && try symlink ./h push -q remote.git HEAD:refs/heads/symlink
if ln "$g" ./hl 2>/dev/null; then
	try hardlink ./hl push -q remote.git HEAD:refs/heads/hardlink
else
	echo "result hardlink none"
fi
echo keep >victim.txt
cp "$(command -v rm)" ./zap && try rm-copy ./zap victim.txt
ln -s "$(command -v rm)" ./del && try rm-symlink ./del victim.txt
# Allowed once: git runs the alias as "git push", not asked again.
try alias-allowed git -c alias.p=push p -q remote.git HEAD:refs/heads/allowed
# An allowed push runs a hook the agent wrote: its own push is asked for.
hooks=$(git rev-parse --git-path hooks) && mkdir -p "$hooks" &&
    printf '#!/bin/sh\ngit push -q remote.git HEAD:refs/heads/sneaky\n' \
    >"$hooks/pre-push" && chmod +x "$hooks/pre-push"
try hooked git push -q remote.git HEAD:refs/heads/hooked
echo "all tried"
EOF
chmod 755 "$T/agent" "$T/agent/hostile.sh"

# wait_merge SID: sets AP, its first pending merge approval.
wait_merge() {
	for _ in $(seq 1 200); do
		api GET "/api/runner/sessions/$1"
		AP=$(jq -c '[.pendingApprovals[] | select(.category == "merge")][0] // empty' <<<"$BODY")
		[ -n "$AP" ] && return 0
		sleep 0.1
	done
	fail "session $1: no pending merge approval (state $(state_of "$1")); output: $(output "$1" | tail -c 400)"
}

expose=$(jq -n --arg d "$FAKE_AGENT_DIR" '[$d]')
start_daemon "$(jq -n --argjson e "$expose" --arg cmd "$T/agent/hostile.sh" '{
  sandbox: true, sandbox_expose: $e, approval_deny_continues: true,
  providers: {hostile: {command: $cmd, args: ["{goal}"]}}}')"
api GET /healthz
[ "$(jq .sandbox.layers.exec_policy.available <<<"$BODY")" = true ] ||
    skip "no exec policy here: $(jq -r .sandbox.layers.exec_policy.detail <<<"$BODY")"

# A neighbour, to be found unharmed at the end.
start_session 'print neighbour up
read
print bye'
SN=$SID
wait_output "$SN" 'neighbour up'

start_session 'dodge the exec policy' "$T/repo" \
    '.providerId = "hostile" | .policy = {shellDenylist: ["rm"]}'
SH=$SID
wait_output "$SH" started
for c in opt-c opt-C git-dir alias copy symlink hardlink; do
	if [ "$c" = hardlink ]; then
		# Only where the workspace and git share a filesystem.
		for _ in $(seq 1 100); do
			output "$SH" | grep -q 'result hardlink none' && break
			api GET "/api/runner/sessions/$SH"
			[ "$(jq '.pendingApprovals | length' <<<"$BODY")" -gt 0 ] && break
			sleep 0.1
		done
		if output "$SH" | grep -q 'result hardlink none'; then
			echo "ok - hard link of git: not possible here (another filesystem)"
			continue
		fi
	fi
	wait_merge "$SH"
	assert_match "$(jq -r .summary <<<"$AP")" " -q remote.git HEAD:refs/heads/$c\$" "$c: the held command"
	assert_eq "$(jq -r .context.pattern <<<"$AP")" "git push" "$c: matched as git push"
	answer_id=$(jq -r .approvalId <<<"$AP")
	api POST "/api/runner/sessions/$SH/approvals/$answer_id" '{"decision":"deny"}'
	assert_eq "$STATUS" 200 "$c: deny ($BODY)"
	wait_output "$SH" "result $c 126"
	ok "$c: $(jq -r .summary <<<"$AP") held (merge), denied, failed with EACCES"
done

# answer_merge SUMMARY-REGEX DECISION
answer_merge() {
	wait_merge "$SH"
	assert_match "$(jq -r .summary <<<"$AP")" "$1" "the held command"
	api POST "/api/runner/sessions/$SH/approvals/$(jq -r .approvalId <<<"$AP")" \
	    "{\"decision\":\"$2\"}"
	assert_eq "$STATUS" 200 "$2 ($BODY)"
}
answer_merge '^git -c alias.p=push p -q remote.git HEAD:refs/heads/allowed$' allow
wait_output "$SH" 'result alias-allowed 0'
ok "alias push allowed once: landed, not asked again when git re-executed it"
answer_merge '^git push -q remote.git HEAD:refs/heads/hooked$' allow
answer_merge '^git push -q remote.git HEAD:refs/heads/sneaky$' deny
wait_output "$SH" 'result hooked [1-9]'
ok "a push by the allowed push's hook was held on its own, denied"

wait_ended "$SH"
ev=$(events "$SH")
out=$(output "$SH")
assert_match "$out" 'all tried' "the agent ran to its end"
assert_eq "$(state_of "$SH")" COMPLETED "hostile session state"

# Nothing but the allowed push reached the remote.
refs=$(git -c safe.directory='*' -C "$WS/$SH/remote.git" for-each-ref --format='%(refname)')
assert_eq "$refs" refs/heads/allowed "the bare remote's refs"
n=$(jq '[.[] | select(.type=="APPROVAL_REQUESTED") | select(.approval.category=="merge")] | length' <<<"$ev")
[ "$n" -ge 9 ] || fail "only $n merge approvals requested"
assert_eq "$(jq '[.[] | select(.type=="APPROVAL_REQUESTED") | select(.approval.summary | test("refs/heads/allowed"))] | length' <<<"$ev")" 1 "the allowed push asked for once"
assert_eq "$(jq '[.[] | select(.type=="APPROVAL_RESOLVED" and .decision != "deny")] | length' <<<"$ev")" 2 "two approvals allowed"
ok "no dodging push reached the bare remote ($n held)"

# The copy and the symlink of rm: denied, the file kept.
[ -f "$WS/$SH/victim.txt" ] || fail "a copy of rm removed victim.txt"
assert_match "$out" 'result rm-copy 126' "the rm copy failed with EACCES"
assert_match "$out" 'result rm-symlink 126' "the rm symlink failed with EACCES"
alerts=$(jq -c '[.[] | select(.type=="ALERT_RAISED" and .category=="policy") | .description]' <<<"$ev")
assert_eq "$(jq -r '[.[] | select(startswith("./zap victim.txt:"))][0]' <<<"$alerts")" \
    "./zap victim.txt: denied by policy.shellDenylist pattern 'rm'" "the rm copy's alert"
assert_eq "$(jq -r '[.[] | select(startswith("./del victim.txt:"))][0]' <<<"$alerts")" \
    "./del victim.txt: denied by policy.shellDenylist pattern 'rm'" "the rm symlink's alert"
ok "copy and symlink of rm denied: ALERT_RAISED, victim.txt kept"

# The daemon, the neighbour and the host are unharmed.
api GET /healthz
assert_eq "$STATUS" 200 "healthz"
assert_eq "$(state_of "$SN")" RUNNING "the neighbour still runs"
api POST "/api/runner/sessions/$SN/input" '{"data":"go\n"}'
wait_ended "$SN"
assert_eq "$(state_of "$SN")" COMPLETED "the neighbour ended well"
assert_eq "$(sha256sum "$GIT" "$RM")" "$host_sums" "the host's git and rm"
ok "daemon, neighbour session and the host's git and rm unharmed"
stop_daemon
