#!/bin/sh
# Install what building and testing runnerd needs from Debian's packages,
# only what is missing. Used by contrib/demo.sh and contrib/test.sh.
set -e
pkgs="gcc make autoconf automake pkg-config git curl jq ca-certificates python3
libevent-dev libjson-c-dev libgit2-dev libssl-dev libwslay-dev libseccomp-dev
check iproute2 e2fsprogs"
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
