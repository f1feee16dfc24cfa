#!/bin/sh
# held.sh: signals the validator held while it ran (scenarios in held.c).
#
# Each scenario runs once under the preload: exactly the reports it must
# make, and the program's own checks pass (every signal delivered once,
# in order, its siginfo intact, on its sigaltstack).  Some deliveries
# must have come from the validator unblocking what it held, and in the
# jump scenarios some handlers must have jumped out of those, or they
# test nothing.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/irq/held

# held SCENARIO silent|KIND:CLASSES
held() {
	run_case "$1" - "" 60
	expect_one "$1" "$2"
	grep '^sent ' "$dir/err" | sed 's/^/# /'
	why=$(grep FAIL "$dir/out")
	! grep -q FAIL "$dir/out" && grep -q ': done' "$dir/out"
	check $? "$1: each signal once, intact, on its sigaltstack"
	h=$(sed -n 's/.*; \([0-9]*\) from the validator.*/\1/p' "$dir/err")
	why="from the validator: ${h:-none}"
	[ "${h:-0}" -gt 0 ]
	check $? "$1: some delivered as the validator unblocked them ($h)"
	if [ "$1" != once ]; then
		j=$(sed -n 's/.*, \([0-9]*\) jumps$/\1/p' "$dir/err")
		why="jumps: ${j:-none}"
		[ "${j:-0}" -gt 0 ]
		check $? "$1: handlers jumped out of those ($j times)"
	fi
}

held once silent
held jump 'circular_dependency:m_x,m_y'
held jump_silent silent
finish
