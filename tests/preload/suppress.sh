#!/bin/sh
# suppress.sh: the suppressions file (option suppressions=FILE).
#
# Each check asserts the exact kinds and classes still reported, the exit
# status and the whole of stderr: a suppression silences exactly what it
# matches, counted once per signature, and nothing else.  Each one has a
# twin where the rule does not match and the report must still appear.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

# supp NAME LINE...: write a suppressions file; its path in $supp.
supp() {
	supp=$workdir/$1.supp
	shift
	printf '%s\n' "$@" >"$supp"
}

# What was reported: "kind:classes" per record, one per line, sorted.
reported() {
	[ -z "$json" ] && return
	printf '%s\n' "$json" | while IFS= read -r rec; do
		echo "$(printf '%s' "$rec" | "$JQ" -r .kind):$(classes_of "$rec")"
	done | sort
}

# expect STATUS REPORTED STDERR NAME: one TAP line for the last run_case.
expect() {
	local got
	got=$(reported)
	why="status $status (want $1); reported '$got' (want '$2'); stderr '$(cat "$dir/err")' (want '$3')"
	[ "$status" -eq "$1" ] && [ "$got" = "$2" ] && [ "$(cat "$dir/err")" = "$3" ]
	check $? "$4"
}

one_suppressed="ulockdep: 1 report suppressed"

# ---- by class name ----

# Two bugs in one run (the first repeated on other threads): the rule
# silences the A/B cycle only, once; the C/D cycle still prints and the
# status is still 66.  Blanks and a trailing comment are allowed.
supp class '# the A/B inversion is known' '' \
    '  circular_dependency : mutex_A   # bug 123'
run_case two_bugs_repeated mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_C,mutex_D" "$one_suppressed" \
    "class: one of two bugs silenced, counted once, the other reported"

# The only bug silenced: status 0, no JSON, no log file at all.
run_case ABBA mutex "suppressions=$supp"
expect 0 "" "$one_suppressed" "class: the only report silenced, exit 0"
why="files: $(ls "$dir")"
! ls "$dir"/log.* "$dir"/r.* >/dev/null 2>&1
check $? "class: no report file created for a suppressed report"

# Twin: a rule naming another class, or this class under another kind,
# or part of a name (a glob matches the whole name) leaves the report.
supp class_twin 'circular_dependency:mutex_C' 'recursive_locking:mutex_A' \
    'circular_dependency:mutex_' '*:utex_A'
run_case ABBA mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_A,mutex_B" "" \
    "class twin: other class, other kind, partial name: still reported"

# A glob, and the kind '*'.
supp class_glob '*:mutex_[AB]'
run_case two_bugs_repeated mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_C,mutex_D" "$one_suppressed" \
    "class glob with kind '*'"

# Another kind: recursive locking (an error-checking mutex relocked, which
# pthread refuses with EDEADLK instead of deadlocking).
supp recursive 'recursive_locking:err_mutex'
run_case errorcheck_relock mutex "suppressions=$supp"
expect 0 "" "$one_suppressed" "recursive_locking silenced by class"
supp recursive_twin 'circular_dependency:err_mutex'
run_case errorcheck_relock mutex "suppressions=$supp"
expect 66 "recursive_locking:err_mutex" "" \
    "recursive_locking twin: a circular_dependency rule leaves it"

# ---- by function ----

# t_dc takes D then C: only the C/D report has it in a stack.
supp func 'circular_dependency:t_dc'
run_case two_bugs_repeated mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_A,mutex_B" "$one_suppressed" \
    "function in the current stack: that report only"

# t_cd is only in the C/D report's dependency stack (the edge C -> D).
supp func_dep '*:t_c?'
run_case two_bugs_repeated mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_A,mutex_B" "$one_suppressed" \
    "function in a dependency stack: that report only"

supp func_twin 'circular_dependency:t_xy' 'circular_dependency:t_d'
run_case two_bugs_repeated mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_A,mutex_B
circular_dependency:mutex_C,mutex_D" "" \
    "function twin: no such function, both reported"

# ---- by module ----

supp module_base 'circular_dependency:cases'
run_case ABBA mutex "suppressions=$supp"
expect 0 "" "$one_suppressed" "module by basename"

supp module_path 'circular_dependency:*/tests/preload/cases'
run_case ABBA mutex "suppressions=$supp"
expect 0 "" "$one_suppressed" "module by path glob"

supp module_twin 'circular_dependency:libnothing.so*' \
    'circular_dependency:/tests/preload/cases'
run_case ABBA mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_A,mutex_B" "" \
    "module twin: other module, path not matched as a whole"

# ---- by signature ----

run_case ABBA mutex
sig=$(printf '%s' "$json" | "$JQ" -r .signature)
supp sig "signature:$sig"
run_case two_bugs_repeated mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_C,mutex_D" "$one_suppressed" \
    "signature: that bug only"
supp sig_twin "signature:0x0123456789abcdef"
run_case ABBA mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_A,mutex_B" "" \
    "signature twin: another signature, still reported"

# ---- no effect on anything else ----

# halt_on_error aborts after a written report, never after a suppressed one.
supp halt 'circular_dependency:mutex_A'
run_case ABBA mutex "suppressions=$supp:halt_on_error=1"
expect 0 "" "$one_suppressed" "halt_on_error: no abort for a suppressed report"

# verbosity=1 says which rule matched what.
run_case ABBA mutex "suppressions=$supp:verbosity=1"
why="stderr: $(cat "$dir/err")"
grep -qx "ulockdep: suppressed circular_dependency $sig (matched 'mutex_A'), by $supp:1" "$dir/err" &&
    grep -qx "$one_suppressed" "$dir/err" && [ "$status" -eq 0 ]
check $? "verbosity=1: the rule and what it matched"

# ---- bad files ----

# Each bad line is named with file:line; the good line still works.
supp bad 'circular:mutex_A' 'mutex_A' 'circular_dependency:' \
    ':mutex_A' 'signature:xyz' 'circular_dependency:mutex_[A' \
    'circular_dependency:mutex_A'
run_case two_bugs_repeated mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_C,mutex_D" \
"ulockdep: suppressions: $supp:1: unknown report kind 'circular'
ulockdep: suppressions: $supp:2: expected KIND:PATTERN, not 'mutex_A'
ulockdep: suppressions: $supp:3: empty pattern after 'circular_dependency:'
ulockdep: suppressions: $supp:4: no report kind before ':' in ':mutex_A'
ulockdep: suppressions: $supp:5: 'xyz' is not a signature (1 to 16 hex digits)
ulockdep: suppressions: $supp:6: pattern 'mutex_[A' has a '[' without its ']'
$one_suppressed" "bad lines named by file:line, the good one applies"

# A file of nothing but garbage: ten lines named, the rest counted.
awk 'BEGIN { for (i = 0; i < 50; i++) print "garbage" i }' >"$workdir/junk.supp"
run_case ABBA mutex "suppressions=$workdir/junk.supp"
why="status $status; $(grep -c . "$dir/err") stderr lines"
[ "$status" -eq 66 ] && [ "$(grep -c . "$dir/err")" -eq 11 ] &&
    [ "$(tail -1 "$dir/err")" = "ulockdep: suppressions: $workdir/junk.supp: 40 more bad lines not shown" ]
check $? "many bad lines: ten named, then one count"

# A file that cannot be read: one line naming it; reports as usual.
run_case ABBA mutex "suppressions=$workdir/no-such.supp"
expect 66 "circular_dependency:mutex_A,mutex_B" \
    "ulockdep: suppressions: $workdir/no-such.supp: cannot open: No such file or directory" \
    "missing file named, reports unchanged"
run_case ABBA mutex "suppressions=$workdir"
expect 66 "circular_dependency:mutex_A,mutex_B" \
    "ulockdep: suppressions: $workdir: cannot read: Is a directory" \
    "directory named, reports unchanged"

# An empty file, and a file of comments only: nothing happens.
supp empty '# nothing' '' '   '
run_case ABBA mutex "suppressions=$supp"
expect 66 "circular_dependency:mutex_A,mutex_B" "" "comments only: no effect"

check_all_frames "every report above"

finish
