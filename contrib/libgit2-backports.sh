#!/bin/sh
# Unpack the libgit2 of Debian 12's bookworm-backports (1.8, which can fetch
# shallow; bookworm itself has 1.5.1, which cannot) into DIR, leaving the
# system's apt configuration and libgit2 untouched, and print the configure
# arguments that build runnerd against it. Exit 77 on anything but Debian 12.
# Used by contrib/test.sh. Usage: contrib/libgit2-backports.sh DIR
set -eu
dir=$1
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || exit 77
arch=$(dpkg --print-architecture)
lib=$dir/root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
    gcc -print-multiarch)
if [ ! -e "$lib/libgit2.so" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs"
	echo "deb http://deb.debian.org/debian bookworm-backports main" \
	    >"$dir/apt/sources.list"
	# A private apt state: only the backports index, nothing system-wide.
	set -- -o Dir::Etc::SourceList="$dir/apt/sources.list" \
	    -o Dir::Etc::SourceParts=/dev/null \
	    -o Dir::State::Lists="$dir/apt/lists" \
	    -o Dir::Cache="$dir/apt/cache" -o APT::Architecture="$arch" \
	    -o APT::Sandbox::User=root -o Debug::NoLocking=1
	apt-get "$@" -qq update >/dev/null
	ver=$(apt-cache "$@" show libgit2-dev | sed -n 's/^Version: //p' |
	    sort -V | tail -1)
	case $ver in
	1.[7-9]*|[2-9].*) ;;
	*) echo "libgit2-backports: bookworm-backports has libgit2-dev '$ver'" >&2
	   exit 1 ;;
	esac
	rt=$(apt-cache "$@" show "libgit2-dev=$ver" |
	    sed -n 's/^Depends:.*\(libgit2-1\.[0-9]*\) (= [^)]*).*/\1/p' | head -1)
	(cd "$dir/debs" && apt-get "$@" -qq download "libgit2-dev=$ver" \
	    "$rt=$ver" >/dev/null)
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
	[ -e "$lib/libgit2.so" ] || { echo "libgit2-backports: no $lib/libgit2.so" >&2; exit 1; }
fi
printf '%s\n' "LIBGIT2_CFLAGS=-I$dir/root/usr/include" \
    "LIBGIT2_LIBS=-L$lib -Wl,-rpath,$lib -lgit2"
