#!/bin/sh
# No two source files call into each other, directly or around a loop.
#
# From the objects in the build's convenience libraries (common/, host/,
# ctl/, supervisor/, worker/), list every file-to-file edge: a.o -> b.o
# when a.o has an undefined symbol that b.o defines as a function (a call:
# shared globals such as server_cfg are not edges). Then fail if the edges
# hold a cycle, or if two files define the same function (runnerd links
# every library, so a call could bind to the other process's function).
# Usage: callgraph.sh [-v | -e] [library.a ...]; with no library, the five
# of the build directory ($TESTS_BUILDDIR/.. or the current directory). -v
# prints every edge; -e prints only the edges and checks nothing (for
# layers.sh).
set -u
verbose=0
case "${1:-}" in
-v)	verbose=1; shift ;;
-e)	verbose=2; shift ;;
esac
if [ $# -eq 0 ]; then
	top=${TESTS_BUILDDIR:+$TESTS_BUILDDIR/..}
	top=${top:-.}
	set -- "$top/common/libcommon.a" "$top/host/libhost.a" \
	    "$top/ctl/libctl.a" "$top/supervisor/libsupervisor.a" \
	    "$top/worker/libworker.a"
fi
for lib in "$@"; do
	[ -f "$lib" ] || { echo "callgraph: no $lib (build first)" >&2; exit 99; }
done

# "folder/file.o SYMBOL-KIND SYMBOL" for every member of every library.
syms=$(for lib in "$@"; do
	dir=$(basename "$(dirname "$lib")")
	nm -A "$lib" 2>/dev/null | awk -v d="$dir" '
	{
		# libx.a:member.o:  U sym   or   libx.a:member.o:0000 T sym
		split($1, f, ":"); obj = d "/" f[2]
		if (NF == 3 && $2 == "U") print obj, "U", $3
		else if (NF == 3 && $2 ~ /^[TW]$/) print obj, "D", $3
	}'
done)

printf '%s\n' "$syms" | awk -v verbose="$verbose" '
$2 == "D" {
	if (($3 in def) && def[$3] != $1)
		dup[++nd] = $3 " in " def[$3] " and " $1
	def[$3] = $1
}
$2 == "U" { n++; uo[n] = $1; us[n] = $3 }
END {
	for (i = 1; i <= n; i++) {
		if (!(us[i] in def) || def[us[i]] == uo[i])
			continue
		e = uo[i] " " def[us[i]]
		if (e in edge)
			continue
		edge[e] = us[i]
		out[uo[i]] = out[uo[i]] " " def[us[i]]
		nodes[uo[i]] = 1; nodes[def[us[i]]] = 1
	}
	if (verbose)
		for (e in edge)
			print "edge: " e " (" edge[e] ")"
	if (verbose == 2)
		exit 0
	bad = 0
	for (i = 1; i <= nd; i++) {
		print "defined twice: " dup[i]
		bad++
	}
	# Depth-first search with colours: a grey node reached again is a cycle.
	for (v in nodes) {
		if (colour[v] != "")
			continue
		sp = 1; stack[1] = v; colour[v] = "grey"; it[1] = out[v]
		while (sp > 0) {
			u = stack[sp]
			m = split(it[sp], a, " ")
			if (m == 0) { colour[u] = "black"; sp--; continue }
			w = a[1]
			rest = ""
			for (k = 2; k <= m; k++) rest = rest " " a[k]
			it[sp] = rest
			if (colour[w] == "grey") {
				path = w
				for (k = sp; k >= 1 && stack[k] != w; k--)
					path = stack[k] " -> " path
				path = w " -> " path
				print "cycle: " path
				bad++
			} else if (colour[w] == "") {
				colour[w] = "grey"
				sp++; stack[sp] = w; it[sp] = out[w]
			}
		}
	}
	if (bad)
		print "callgraph: " bad " cycle(s) or twice-defined function(s)"
	exit bad != 0
}'
