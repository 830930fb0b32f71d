#!/bin/sh
# The whole test suite: install what is missing, build, run every unit and
# integration test, then again under ASan + UBSan. Ends with one summary
# line "N passed, N failed, N skipped". Usage: contrib/test.sh [--quick]
# (--quick: no sanitizer build)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh" || exit 1
quick=0
[ "${1:-}" = "--quick" ] && quick=1

pass=0 fail=0 skip=0 rc=0
# Run `make check` in a build dir; add its counts to the totals.
suite() {
	name=$1; shift
	echo "== $name"
	BUILD=$top/$name "$top/contrib/build.sh" "$@" || { fail=$((fail + 1)); rc=1; return; }
	( cd "$top/$name" && make -s -j"$(nproc)" check ) || rc=1
	for f in "$top/$name"/tests/unit/*.trs "$top/$name"/tests/fuzz/*.trs \
	    "$top/$name"/tests/integration/*.trs; do
		[ -f "$f" ] || continue
		case $(sed -n 's/^:test-result: //p' "$f") in
		PASS|XFAIL) pass=$((pass + 1)) ;;
		SKIP) skip=$((skip + 1))
		   echo "skipped: $name/${f#"$top/$name/"}: $(tail -1 "${f%.trs}.log")" ;;
		*) fail=$((fail + 1)); echo "FAILED: $name/${f#"$top/$name/"}"
		   sed 's/^/  | /' "${f%.trs}.log" | tail -40 ;;
		esac
	done
}
suite build
[ $quick -eq 1 ] || suite build-sanitizers --enable-sanitizers
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && exit $rc
exit 1
