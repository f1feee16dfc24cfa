#!/bin/sh
# wrappers.sh: errno, interrupted calls and the program's own malloc are
# what the program sees bare (scenarios in wrappers.c).
#
# Each scenario runs bare, then under the preload: the same output lines
# and exit status.  errno and eintr make no report; malloc makes exactly
# its two reports from a handler, and its count of the program's malloc
# calls from handlers is 0.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/wrappers

for s in errno eintr malloc; do
	timeout -s KILL 30 "$CASES" "$s" >"$workdir/$s.bare" 2>&1
	bare_status=$?
	run_case "$s" - "" 30
	want=0
	[ "$s" = malloc ] && want=66
	why="status $status (bare $bare_status); $(diff "$workdir/$s.bare" "$dir/out" | head -10 | tr '\n' '|')"
	[ "$bare_status" -eq 0 ] && [ "$status" -eq "$want" ] &&
	    [ -s "$dir/out" ] && cmp -s "$workdir/$s.bare" "$dir/out"
	check $? "$s: the same output as bare"
	got=$(printf '%s\n' "$json" | grep . | "$JQ" -r '.kind + ":" + ([.locks[].class] | join(","))' | sort | tr '\n' ' ')
	why="reports: $got"
	case $s in
	malloc)
		case $got in
		inconsistent_irq_state:s_unsafe*' sleep_in_atomic: ') r=0 ;;
		*) r=1 ;;
		esac ;;
	*) [ -z "$got" ]; r=$? ;;
	esac
	check $r "$s: reports: ${got:-none}"
done
grep -q '^program malloc calls from handlers: 0$' "$dir/out"
check $? "malloc: the validator never called the program's malloc from a handler"
finish
