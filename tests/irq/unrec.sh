#!/bin/sh
# unrec.sh: a lock taken, unseen, by a handler that interrupted the
# validator and jumped out holding it (scenarios in unrec.c): its later
# release is no bad_unlock; a real bad_unlock still is one.  The handler
# must have jumped so at least once, or this tests nothing.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
PROG=$ULD_BUILDDIR/tests/irq/unrec

# unrec SCENARIO silent|KIND:CLASSES
unrec() {
	dir=$workdir/unrec.$1.$tap_n
	mkdir -p "$dir"
	ULOCKDEP_OPTIONS="json_path=$dir/r:log_path=$dir/log" \
	    timeout -s KILL 30 "$PROG" "$1" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	expect_one "$1" "$2"
	grep '^sent ' "$dir/err" | sed 's/^/# /'
	j=$(sed -n 's/^sent [0-9]*, \([0-9]*\) jumps.*/\1/p' "$dir/err")
	why="jumps: ${j:-none}; $(grep FAIL "$dir/out")"
	grep -q ': done' "$dir/out" && [ "${j:-0}" -gt 0 ]
	check $? "$1: jumped out of the validator holding L ($j times)"
}

unrec silent silent
unrec bad 'bad_unlock:lock_m'
finish
