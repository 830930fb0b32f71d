# Sourced by the bench scripts.

# Unmount everything mounted below dir (ended sessions keep their overlay
# workspaces and quota images mounted), deepest first, then remove dir.
bench_remove() {
	awk -v t="$1/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo |
	    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$1"
}
