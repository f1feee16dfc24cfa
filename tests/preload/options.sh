#!/bin/sh
# options.sh: ULOCKDEP_OPTIONS handling, exit status, output unchanged.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

bare() {
	"$CASES" "$@" >"$workdir/bare.out" 2>"$workdir/bare.err"
	bare_status=$?
}

# A silent program's output and status are what they are without us.
bare consistent_program mutex
run_case consistent_program mutex
why="status $status vs $bare_status; stdout $(cat "$dir/out") vs $(cat "$workdir/bare.out")"
cmp -s "$dir/out" "$workdir/bare.out" && [ "$status" -eq "$bare_status" ] &&
    [ ! -s "$dir/err" ] && [ -z "$json" ]
check $? "consistent program: same output, same status, no report"

# An unknown key: exactly one line naming it, the program runs unchanged.
run_case consistent_program mutex "bogus=1"
why="stderr: $(cat "$dir/err")"
[ "$(cat "$dir/err")" = "ulockdep: ULOCKDEP_OPTIONS: bogus: unknown option (help=1 lists them)" ] &&
    cmp -s "$dir/out" "$workdir/bare.out" && [ "$status" -eq 0 ]
check $? "unknown key: one line naming it"

# A bad value: one line naming the key, the default (66) stays in force.
run_case ABBA mutex "exitcode=abc"
why="status $status; stderr: $(cat "$dir/err")"
[ "$(grep -c . "$dir/err")" -eq 1 ] &&
    grep -q "^ulockdep: ULOCKDEP_OPTIONS: exitcode: 'abc' is not an integer" "$dir/err" &&
    [ "$status" -eq 66 ]
check $? "bad value: one line naming the key, default kept"

run_case ABBA mutex "exitcode=300"
why="status $status; stderr: $(cat "$dir/err")"
grep -q "^ulockdep: ULOCKDEP_OPTIONS: exitcode: '300' is out of range 0..255" "$dir/err" &&
    [ "$status" -eq 66 ]
check $? "out-of-range value: named, default kept"

run_case ABBA mutex "halt_on_error=maybe"
grep -q "^ulockdep: ULOCKDEP_OPTIONS: halt_on_error: 'maybe' is not a boolean" "$dir/err" &&
    [ "$status" -eq 66 ]
check $? "bad boolean: named, default kept"

run_case ABBA mutex "softirq_signals=SIGALRM,SIGNOPE"
grep -q "^ulockdep: ULOCKDEP_OPTIONS: softirq_signals: 'SIGALRM,SIGNOPE' is not a list of signal names" "$dir/err"
check $? "bad signal list: named"

run_case ABBA mutex "noequals"
grep -q "^ulockdep: ULOCKDEP_OPTIONS: noequals: expected key=value" "$dir/err"
check $? "pair without '=': named"

# exitcode chooses the status of a process that reported.
run_case ABBA mutex "exitcode=7"
why="status $status"
[ "$status" -eq 7 ] && [ -n "$json" ]
check $? "exitcode=7 after a report"

# The program's own failure status wins.
run_case ABBA_exit3 mutex
why="status $status"
[ "$status" -eq 3 ]
check $? "program's own exit status 3 kept"

# help=1 lists every key and runs the program.
run_case consistent_program mutex "help=1"
why="stderr: $(head -3 "$dir/err")"
ok_keys=0
for k in log_path json_path exitcode halt_on_error spin_timeout_ms lockup_s \
    softirq_signals suppressions graph_path help; do
	grep -q "^  $k " "$dir/err" || ok_keys=1
done
[ $ok_keys -eq 0 ] && cmp -s "$dir/out" "$workdir/bare.out"
check $? "help=1 lists every key, program still runs"

# halt_on_error aborts right after the report, instead of deadlocking.
run_case ABBA_real_deadlock mutex "halt_on_error=1" 20
why="status $status, $(printf '%s' "$json" | grep -c .) report(s)"
[ "$status" -eq 134 ] && [ "$(printf '%s' "$json" | "$JQ" -r .kind)" = circular_dependency ]
check $? "real deadlock + halt_on_error: report, then abort"

# Report before block: the report is in the file although the program
# really deadlocks (killed by the timeout).
run_case ABBA_real_deadlock mutex "" 3
why="status $status, json: $json"
[ "$status" -eq 137 ] && [ "$(printf '%s' "$json" | "$JQ" -r .kind)" = circular_dependency ] &&
    printf '%s' "$text" | grep -q 'WARNING: possible circular locking dependency detected'
check $? "real deadlock: report written before blocking"

# With spinlocks, the watchdog then reports both threads spinning, each
# naming the other as the owner.
run_case ABBA_real_deadlock spin "" 3
why="status $status, kinds: $(printf '%s\n' "$json" | "$JQ" -r .kind | tr '\n' ' ')"
[ "$status" -eq 137 ] &&
    [ "$(printf '%s\n' "$json" | head -1 | "$JQ" -r .kind)" = circular_dependency ] &&
    [ "$(printf '%s\n' "$json" | "$JQ" -r 'select(.kind=="spin_timeout") | .owner_tid' | sort -u | grep -c .)" -eq 2 ]
check $? "real spinlock deadlock: circular report before spinning, then two spin timeouts"

# log_path=PATH writes PATH.<pid>; stderr stays clean.
run_case ABBA mutex
why="log files: $(ls "$dir")"
[ "$(ls "$dir"/log.* | wc -l)" -eq 1 ] && [ ! -s "$dir/err" ] &&
    [ "$(ls "$dir"/log.*)" = "$dir/log.$(printf '%s' "$json" | "$JQ" -r .pid)" ]
check $? "log_path and json_path get .<pid>"

# The program's MALLOC_CONF is for its own jemalloc, not for the
# validator's private copy (lib/jemalloc_env.c): no statistics, no
# complaint about a key; ULOCKDEP_MALLOC_CONF is the validator's.
if grep -q '^#define ULD_JEMALLOC_STATIC 1' "$ULD_BUILDDIR/config.h"; then
	MALLOC_CONF=stats_print:true,no_such_key:1; export MALLOC_CONF
	run_case consistent_program mutex
	unset MALLOC_CONF
	why="status $status"
	[ ! -s "$dir/err" ] && cmp -s "$dir/out" "$workdir/bare.out" &&
	    [ "$status" -eq "$bare_status" ] && [ -z "$json" ]
	check $? "the program's MALLOC_CONF leaves the validator's heap alone"

	ULOCKDEP_MALLOC_CONF=stats_print:true; export ULOCKDEP_MALLOC_CONF
	run_case consistent_program mutex
	unset ULOCKDEP_MALLOC_CONF
	why="status $status"
	grep -q '^___ Begin jemalloc statistics ___$' "$dir/err" &&
	    cmp -s "$dir/out" "$workdir/bare.out" && [ -z "$json" ]
	check $? "ULOCKDEP_MALLOC_CONF configures the validator's heap"
else
	ok "MALLOC_CONF # SKIP jemalloc is not linked in (--without-static-jemalloc)"
	ok "ULOCKDEP_MALLOC_CONF # SKIP jemalloc is not linked in"
fi

check_all_frames "every report above"

finish
