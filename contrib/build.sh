#!/bin/sh
# Build runnerd out of tree in $BUILD (default ./build), configuring once.
# Extra arguments go to configure (e.g. --enable-sanitizers). A build made
# here honours the RUNNERD_TEST_* failure injection the tests use; release
# builds configure without --enable-test-hooks.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
[ -x "$top/configure" ] || "$top/bootstrap" >/dev/null 2>&1
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
	"$top/configure" -q --enable-werror --enable-test-hooks "$@"
fi
make -s -j"$(nproc)" >/dev/null
