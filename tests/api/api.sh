#!/bin/sh
# api.sh: the annotation API linked directly (no preload), on a lock type
# of the program's own.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
PROG=$ULD_BUILDDIR/tests/api/custom_lock

run_api() {
	dir=$workdir/api.$1.$tap_n
	mkdir -p "$dir"
	ULOCKDEP_OPTIONS="json_path=$dir/r:log_path=$dir/log" "$PROG" "$1" \
	    >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	text=$(cat "$dir"/log.* 2>/dev/null)
}

# expect SCENARIO KIND CLASSES STATUS (KIND "silent": no report at all)
expect() {
	run_api "$1"
	n=$(printf '%s' "$json" | grep -c .)
	if [ "$2" = silent ]; then
		why="got $n report(s), exit $status"
		[ "$n" -eq 0 ] && [ "$status" -eq 0 ] && [ "$(cat "$dir/out")" = done ]
	else
		got="$(printf '%s' "$json" | "$JQ" -r .kind) $(classes_of "$json")"
		why="want $2 $3 exit $4; got $n: $got exit $status"
		[ "$n" -eq 1 ] && [ "$got" = "$2 $3" ] && [ "$status" -eq "$4" ]
	fi
	check $? "custom lock, $1: $2 $3"
}

expect abba circular_dependency queue_lock,stats_lock 66
expect ordered silent
expect unbalanced bad_unlock queue_lock 66
expect nested_annotated silent
# Two static variables made at that one site are two locks, two classes.
expect nested_vars silent

# Two locks of one init site and one array nest: recursion, the class
# named by the array and the site (node_init's call of tas_init, by
# file:line).
run_api nested
want="tree[] [$(site tests/api/custom_lock.c '	tas_init(l);')]"
why="want $want; $(printf '%s' "$json" | "$JQ" -c '[.kind, [.locks[].class]]')"
class=$(printf '%s' "$json" | "$JQ" -r '.locks[0].class')
[ "$class" = "$want" ] &&
printf '%s' "$json" | "$JQ" -e '.kind=="recursive_locking" and
    .locks[0].mode=="spin" and .locks[0].variable=="tree[1]"' >/dev/null &&
    [ "$status" -eq 66 ]
check $? "custom lock, nested: recursive_locking, class tree[] [custom_lock.c:LINE]"

# The current stack starts where the program called its lock function.
run_api abba
why="$(printf '%s' "$json" | "$JQ" -c '[.stacks[0].frames[0:2][].function]')"
printf '%s' "$json" | "$JQ" -e '.stacks[0].frames[0].function=="report_stats"' >/dev/null
check $? "custom lock: stack starts in the program's caller"

# Before the fault's report: trap.h's functions are assembly, no lines.
check_all_frames "every report above"

# A handler no preload told the validator of, after a fault at the first
# byte of trap_first: its stack names trap_first+0x0, where the thread
# stopped, not before_trap (the byte before), as a return address would be.
if [ "$(uname -m)" = x86_64 ]; then
	expect fault sleep_in_atomic queue_lock 66
	f='[.stacks[0].frames[] | [.function, .offset]]'
	why="got $(printf '%s' "$json" | "$JQ" -c "$f")"
	printf '%s' "$json" | "$JQ" -e "$f"' as $f | ($f|map(.[0])) as $n |
	    $f[0][0]=="on_ill" and
	    ($n|index("__restore_rt")) + 1 == ($n|index("trap_first")) and
	    $f[$n|index("trap_first")][1] == 0 and
	    ($n|index("main")) > ($n|index("trap_first")) and
	    ($n|index("before_trap")) == null' >/dev/null &&
	    printf '%s' "$text" | grep -q '^       trap_first+0x0/0x3 \[custom_lock\]$'
	check $? "custom lock, fault: on_ill < __restore_rt < trap_first+0x0 < main; no before_trap"
	expect fault_unlocked silent
else
	ok "fault # SKIP trap.h's ud2 is x86-64 code"
fi


finish
