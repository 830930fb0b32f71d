#!/bin/sh
# Process lines match folders: each folder includes and calls only the
# folders below it.
#
#	common/		common/
#	host/		host/ common/
#	ctl/		ctl/ common/
#	supervisor/	supervisor/ host/ common/
#	worker/		worker/ host/ common/
#
# So supervisor/ never includes a worker/ header or calls a worker/
# function, and common/ and host/ never call up into supervisor/ or
# worker/. Calls are the file-to-file edges callgraph.sh -e finds with nm
# in the built libraries; includes are each source's #include "...",
# which must name its folder ("common/util.h"; config.h, made by configure,
# is the one exception) and are resolved as the compiler does (the file's
# own folder, then the top, AM_CPPFLAGS's one -I).
# Usage: layers.sh [-v] [library.a ...]; the libraries as for callgraph.sh.
set -u
verbose=0
[ "${1:-}" = "-v" ] && { verbose=1; shift; }
here=$(cd "$(dirname "$0")" && pwd)
src=${TESTS_SRCDIR:+$TESTS_SRCDIR/..}
src=${src:-$here/../..}

# The folders a folder may use, itself included.
allowed() {
	case $1 in
	common)		echo "common" ;;
	host)		echo "host common" ;;
	ctl)		echo "ctl common" ;;
	supervisor)	echo "supervisor host common" ;;
	worker)		echo "worker host common" ;;
	*)		echo "" ;;
	esac
}

# Whether folder $1 may use folder $2.
may_use() {
	for f in $(allowed "$1"); do
		[ "$f" = "$2" ] && return 0
	done
	return 1
}

bad=0

# Calls.
edges=$("$here/callgraph.sh" -e "$@") || {
	echo "layers: callgraph.sh -e failed" >&2
	exit 99
}
# "edge: from.o to.o (symbol)"
while read -r _ from to sym; do
	[ -n "$from" ] || continue
	ff=${from%%/*}
	tf=${to%%/*}
	[ "$verbose" = 1 ] && echo "call: $from -> $to $sym"
	if ! may_use "$ff" "$tf"; then
		echo "layers: $from calls into $tf/: $to $sym"
		bad=$((bad + 1))
	fi
done <<EOF
$(printf '%s\n' "$edges" | grep '^edge: ')
EOF

# Includes: the folder a quoted include resolves to.
resolve() {
	for d in "$(dirname "$1")" "$src"; do
		if [ -f "$d/$2" ]; then
			d=$(cd "$(dirname "$d/$2")" && pwd)
			echo "${d##*/}"
			return
		fi
	done
}
for dir in common host ctl supervisor worker; do
	for file in "$src/$dir"/*.c "$src/$dir"/*.h; do
		[ -f "$file" ] || continue
		for inc in $(sed -n 's/^#[ 	]*include[ 	]*"\([^"]*\)".*/\1/p' \
		    "$file"); do
			case $inc in
			config.h) continue ;;	# made by configure
			*/*) ;;
			*)	echo "layers: $dir/${file##*/} includes \"$inc\"," \
				    "which names no folder"
				bad=$((bad + 1))
				continue ;;
			esac
			to=$(resolve "$file" "$inc")
			[ -n "$to" ] || continue
			[ "$verbose" = 1 ] &&
			    echo "include: $dir/${file##*/} -> $to/${inc##*/}"
			if ! may_use "$dir" "$to"; then
				echo "layers: $dir/${file##*/} includes $to/:" \
				    "\"$inc\""
				bad=$((bad + 1))
			fi
		done
	done
done

if [ "$bad" -ne 0 ]; then
	echo "layers: $bad use(s) across a process line"
	exit 1
fi
exit 0
