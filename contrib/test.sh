#!/bin/sh
# The whole test suite: install what is missing, build, run every unit and
# integration test, then again under ASan + UBSan. Ends with one summary
# line "N passed, N failed, N skipped". Usage: contrib/test.sh [--quick]
# (--quick: no sanitizer build, no libgit2 1.8 build)
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
	# CHECK_TESTS: only those tests.
	( cd "$top/$name" && if [ -n "${CHECK_TESTS:-}" ]; then
		make -s -j"$(nproc)" check TESTS="$CHECK_TESTS"
	else
		make -s -j"$(nproc)" check
	fi ) || rc=1
	for f in "$top/$name"/tests/unit/*.trs "$top/$name"/tests/fuzz/*.trs \
	    "$top/$name"/tests/integration/*.trs "$top/$name"/tests/tools/*.trs; do
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
# Shallow mirrors need libgit2 >= 1.7: on Debian 12 that is the one in
# bookworm-backports, unpacked into the build dir (the system's stays).
# The repository and workspace tests run once more against it.
if [ $quick -eq 0 ]; then
	lg=$("$top/contrib/libgit2-backports.sh" "$top/build-libgit2/libgit2")
	case $? in
	0)	cflags=$(echo "$lg" | sed -n 's/^LIBGIT2_CFLAGS=//p')
		libs=$(echo "$lg" | sed -n 's/^LIBGIT2_LIBS=//p')
		CHECK_TESTS="tests/unit/check_workspace tests/unit/check_diff \
tests/integration/t-remote.sh tests/integration/t-overlay.sh \
tests/integration/t-files.sh tests/integration/t-retention.sh" \
		    suite build-libgit2 LIBGIT2_CFLAGS="$cflags" \
		    LIBGIT2_LIBS="$libs" ;;
	77)	skip=$((skip + 1))
		echo "skipped: build-libgit2: not Debian 12 (bookworm)" ;;
	*)	fail=$((fail + 1)); rc=1
		echo "FAILED: build-libgit2: cannot fetch libgit2 from bookworm-backports" ;;
	esac
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && exit $rc
exit 1
