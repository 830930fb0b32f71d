#!/bin/bash
# FILE_TOUCHED and DIFF_SUMMARY: an agent that reads, modifies, adds,
# deletes and renames files (one binary) in a workspace with roomPath src.
# The checkout itself and .git are never reported; the final DIFF_SUMMARY
# matches git's own numstat of the same tree.
. "$TESTS_SRCDIR/integration/lib.sh"

make_repo "$T/repo"
g() { git -C "$T/repo" -c user.name=t -c user.email=t@localhost "$@"; }
mkdir -p "$T/repo/docs" "$T/repo/lib"
seq 1 10 >"$T/repo/docs/guide.txt"
seq 100 119 >"$T/repo/lib/keep.txt"
printf 'a\nb\nc\n' >"$T/repo/gone.txt"
g add -A && g commit -q -m files
start=$(g rev-parse main)

start_daemon
script='cat README.md
append README.md more\n
write src/new.c int x\;\nint y\;\n
delete gone.txt
mkdir newdir/sub
write newdir/sub/f.txt one\ntwo\nthree\n
rename lib/keep.txt lib2/kept.txt
write bin.dat \x00\x01\x02binary\x00
write notes.md.tmp.4242 atomic\n
rename notes.md.tmp.4242 notes.md
write .git/agent-note not reported
sleep 1800
append docs/guide.txt 11\n12\n
write docs/guide.txt 1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n
print done'
start_session "$script" "$T/repo" '.task.roomPath = "src"'
wait_ended "$SID"
ev=$(events "$SID")
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" COMPLETED "final state"
ws=$WS/$SID
assert_seq_contiguous "$SID"

ft() { jq -r '[.[] | select(.type=="FILE_TOUCHED") | "\(.reason) \(.path)"] | unique | join(",")' <<<"$ev"; }
touched=$(ft)
for want in "read README.md" "write README.md" "write src/new.c" \
    "delete gone.txt" "write newdir/sub/f.txt" "delete lib/keep.txt" \
    "write lib2/kept.txt" "write bin.dat" "write docs/guide.txt" \
    "write notes.md"; do
	case ",$touched," in
	*",$want,"*) ;;
	*) fail "no FILE_TOUCHED '$want' in: $touched" ;;
	esac
done
assert_eq "$(jq '[.[] | select(.type=="FILE_TOUCHED") | select(.path | test("(^|/)\\.git(/|$)"))] | length' <<<"$ev")" 0 ".git never reported"
assert_eq "$(jq '[.[] | select(.type=="FILE_TOUCHED") | select(.path=="src/main.c")] | length' <<<"$ev")" 0 "checkout not reported"
# An atomic write (temp file renamed at once): only the file it became.
assert_eq "$(jq '[.[] | select(.type=="FILE_TOUCHED") | select(.path | test("tmp"))] | length' <<<"$ev")" 0 \
    "the atomic write's temp file not reported"
started=$(jq '[.[] | select(.type=="SESSION_STARTED") | .seq][0]' <<<"$ev")
assert_eq "$(jq "[.[] | select(.type==\"FILE_TOUCHED\" and .seq < $started)] | length" <<<"$ev")" 0 "nothing before the CLI started"
assert_eq "$(jq -r '[.[] | select(.type=="FILE_TOUCHED" and .path=="src/new.c")][0].roomPath' <<<"$ev")" src "roomPath under src"
assert_eq "$(jq -r '[.[] | select(.type=="FILE_TOUCHED" and .path=="README.md")][0] | has("roomPath")' <<<"$ev")" false "no roomPath outside src"
# One write of README.md per 100 ms at most: the append is one event.
assert_eq "$(jq '[.[] | select(.type=="FILE_TOUCHED" and .path=="README.md" and .reason=="write")] | length' <<<"$ev")" 1 "burst coalesced"
distinct=$(jq '[.[] | select(.type=="FILE_TOUCHED") | .path] | unique | length' <<<"$ev")
assert_eq "$(jq '.[-1].totalUsage.filesTouched' <<<"$ev")" "$distinct" "filesTouched = distinct paths"
assert_eq "$distinct" 9 "distinct paths touched"
ok "FILE_TOUCHED: reasons, roomPath, .git and checkout excluded, filesTouched $distinct"

ndiff=$(jq '[.[] | select(.type=="DIFF_SUMMARY")] | length' <<<"$ev")
[ "$ndiff" -ge 2 ] || fail "expected a quiet-time and a final DIFF_SUMMARY, got $ndiff"
last_diff=$(jq '[.[] | select(.type=="DIFF_SUMMARY")][-1]' <<<"$ev")
final_seq=$(jq '[.[] | select(.type=="SESSION_STATE_CHANGED" and .newState=="COMPLETED")][0].seq' <<<"$ev")
[ "$(jq .seq <<<"$last_diff")" -lt "$final_seq" ] || fail "final DIFF_SUMMARY after the final state"
# The quiet-time one came while the agent slept: before docs/guide.txt changed.
first_diff=$(jq '[.[] | select(.type=="DIFF_SUMMARY")][0]' <<<"$ev")
assert_eq "$(jq '[.files[] | select(.path=="docs/guide.txt")] | length' <<<"$first_diff")" 0 "quiet DIFF_SUMMARY before the later change"
ok "DIFF_SUMMARY when quiet ($ndiff in all) and before the final state"

# Oracle: git itself on a copy of the same tree, untracked files added with
# intent-to-add so that git diff counts their lines (and sees renames).
cp -a "$ws" "$T/oracle"
git -C "$T/oracle" add -A -N
git -C "$T/oracle" diff -M --numstat "$start" >"$T/numstat"
git -C "$T/oracle" diff -M --name-status "$start" >"$T/namestatus"
exp_added=$(awk '$1 != "-" { s += $1 } END { print s + 0 }' "$T/numstat")
exp_removed=$(awk '$2 != "-" { s += $2 } END { print s + 0 }' "$T/numstat")
exp_files=$(wc -l <"$T/numstat")
assert_eq "$(jq .linesAdded <<<"$last_diff")" "$exp_added" "linesAdded = git numstat"
assert_eq "$(jq .linesRemoved <<<"$last_diff")" "$exp_removed" "linesRemoved = git numstat"
assert_eq "$(jq .filesChanged <<<"$last_diff")" "$exp_files" "filesChanged = git numstat"
exp_ns=$(awk -F'\t' '{ s = substr($1, 1, 1); st = s == "A" ? "added" : s == "M" ? "modified" : s == "D" ? "deleted" : s == "R" ? "renamed" : s; print st " " (s == "R" ? $3 : $2) }' "$T/namestatus" | sort | paste -sd,)
got_ns=$(jq -r '.files[] | "\(.status) \(.path)"' <<<"$last_diff" | sort | paste -sd,)
assert_eq "$got_ns" "$exp_ns" "per-file status = git name-status"
# Per file, the line counts too (numstat with -z names renames plainly).
exp_pf=$(git -C "$T/oracle" diff -M --numstat -z "$start" | python3 -c '
import sys
f = sys.stdin.buffer.read().split(b"\0"); i = 0; out = []
while i < len(f) and f[i]:
    a, d, p = f[i].split(b"\t", 2)
    if p == b"": p = f[i + 2]; i += 3
    else: i += 1
    a = 0 if a == b"-" else int(a); d = 0 if d == b"-" else int(d)
    out.append("%s %d %d" % (p.decode(), a, d))
print(",".join(sorted(out)))')
got_pf=$(jq -r '.files[] | "\(.path) \(.additions) \(.deletions)"' <<<"$last_diff" | sort | paste -sd,)
assert_eq "$got_pf" "$exp_pf" "per-file lines = git numstat"
assert_eq "$(jq -r '.files[] | select(.path=="bin.dat") | "\(.status) \(.additions) \(.binary)"' <<<"$last_diff")" "added 0 true" "binary counted without lines"
assert_eq "$(jq -r '.files[] | select(.path=="lib2/kept.txt") | "\(.status) \(.oldPath)"' <<<"$last_diff")" "renamed lib/keep.txt" "rename found"
# And the brief's literal oracle, for the files that were not renamed:
# git diff --numstat on the workspace plus the lines of untracked files.
lit_added=$(( $(git -C "$ws" diff --numstat "$start" | awk '$1 != "-" { s += $1 } END { print s + 0 }') + \
    $(git -C "$ws" ls-files -o --exclude-standard -z | xargs -0 -I{} sh -c 'grep -Iq . "$1" && wc -l <"$1" || echo 0' _ "$ws/{}" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }') ))
ren=$(jq '[.files[] | select(.status=="renamed")] | length' <<<"$last_diff")
assert_eq "$ren" 1 "one rename"
# The renamed file's 20 lines count as removed and re-added there.
assert_eq "$lit_added" "$(( $(jq .linesAdded <<<"$last_diff") + 20 ))" "literal oracle (rename as delete + untracked)"
ok "final DIFF_SUMMARY = git: $(jq -c '{filesChanged, linesAdded, linesRemoved}' <<<"$last_diff")"

stop_daemon
ok "SIGTERM → exit 0"
