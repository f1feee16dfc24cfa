#!/bin/sh
# revive.sh: new locks where destroyed ones were.  A destroyed lock's
# instance stays in the table until a new lock at its address revives it
# or a sweep takes it out; either way the new lock has its own class and
# none of the dead one's order, and the dead do not pile up.  The counts
# come from the verbosity=1 summary ("N locks (D destroyed), S sweeps").
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/revive
SRC=tests/preload/revive.c
first=$(site "$SRC" '/* @init_first */')
second=$(site "$SRC" '/* @init_second */')

# run_one SCENARIO [abba]: run_case with the summary on; also sets $sum.
run_one() {
	run_case "$1" "${2:-}" verbosity=1 60
	sum=$(grep '^ulockdep: [0-9]* reports\?, ' "$dir/err")
}
# count WORD: the number before WORD in the summary ("locks", "sweeps",
# "destroyed" inside its parenthesis).
count() {
	printf '%s' "$sum" | sed -n "s/.* (*\([0-9][0-9]*\) $1.*/\1/p"
}
# one_cycle A B: exactly one report, a circular_dependency between A and
# B, exit 66.
one_cycle() {
	n=$(printf '%s' "$json" | grep -c .)
	why="want 1 circular_dependency [$1, $2] exit 66; got $n: $(printf '%s' "$json" | "$JQ" -c '[.kind, .cycle]' 2>&1 | tr '\n' ' ') exit $status"
	# Built without libdw, a site is function+offset: the kind and the
	# two classes only.
	[ "${ULD_LIBDW:-yes}" = yes ] || set -- "" ""
	[ "$n" -eq 1 ] && [ "$status" -eq 66 ] && [ "$(cat "$dir/out")" = done ] &&
	    printf '%s' "$json" | "$JQ" -e --arg a "$1" --arg b "$2" \
		'.kind == "circular_dependency" and (.cycle|length) == 2 and
		 ($a == "" or (.cycle|sort) == ([$a, $b]|sort))' >/dev/null
}
silent() {
	n=$(printf '%s' "$json" | grep -c .)
	why="want no report, exit 0; got $n: $(printf '%s' "$json" | "$JQ" -c '[.kind, .cycle]' 2>&1 | tr '\n' ' ') exit $status"
	[ "$n" -eq 0 ] && [ "$status" -eq 0 ] && [ "$(cat "$dir/out")" = done ]
}

# ---- a lock made again at the same address ----
# Made at another site: a class of its own, so lock_a -> slot then
# slot -> lock_a closes no cycle (it would if the revived instance kept
# the dead one's class).
run_one reinit_other
silent
check $? "reinit at another site: silent (the new lock has its own class)"
# The twin: the same init site both times is one class, and a cycle.
run_one reinit_same
one_cycle lock_a "slot [$first]"
check $? "reinit at the same site: one circular_dependency lock_a, slot [$first]"

# ---- churn: 1,000 rounds of 100 heap mutexes, the blocks reused ----
run_one churn
silent
check $? "churn: 100,000 lock lives, silent"
d=$(count destroyed) s=$(count sweeps)
why="summary: $sum"
# Each new lock takes a dead one's place: no more dead than one round
# makes, nothing to sweep.
if [ "${ULD_ASAN:-no}" = yes ]; then
	ok "churn: destroyed instances reused # SKIP ASan's quarantine never reuses a freed block"
elif [ -n "${ULD_VALGRIND:-}" ]; then
	ok "churn: destroyed instances reused # SKIP valgrind's malloc keeps freed blocks back"
else
	[ -n "$d" ] && [ "$d" -le 100 ] && [ "$s" = 0 ]
	check $? "churn: at most 100 destroyed instances kept, no sweep ($d, $s)"
fi
run_one churn abba
one_cycle "$first" "$second"
check $? "churn then ABBA: one circular_dependency $first, $second"

# ---- sweep: 100,000 addresses, each used once ----
run_one sweep
silent
check $? "sweep: 100,000 locks at distinct addresses, silent"
d=$(count destroyed) s=$(count sweeps) k=$(count locks)
why="summary: $sum"
# Swept once 4,096 are dead: fewer than that remain, after some 24 sweeps
# (without sweeping, all 100,000 would).
[ -n "$d" ] && [ "$d" -lt 4096 ] && [ "$k" -lt 4200 ] && [ "$s" -ge 20 ]
check $? "sweep: under 4,096 destroyed kept, 20 sweeps or more ($d of $k, $s)"
# Locks made at swept (and not yet swept) addresses: new classes, and
# their ABBA is found.
run_one sweep abba
one_cycle "many[] [$first]" "many[] [$second]"
check $? "sweep then ABBA at two of its addresses: one circular_dependency"

# ---- four threads at once: revivals of each other's dead, and sweeps ----
run_one threads
silent
check $? "threads: four threads making, freeing and sweeping at once, silent"
s=$(count sweeps)
why="summary: $sum"
[ -n "$s" ] && [ "$s" -ge 1 ]
check $? "threads: swept while the threads ran ($s sweeps)"

finish
