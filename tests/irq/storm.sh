#!/bin/sh
# storm.sh: signal storms at a locking thread (scenarios in storm.c).
#
# Each scenario runs once under the preload: exactly the reports it must
# make, and the program's own checks pass.  The jump scenarios must have
# jumped out of the validator's code at least once, or they test nothing.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/irq/storm

# storm SCENARIO silent|KIND:CLASSES (CLASSES a glob)
storm() {
	run_case "$1" - "" 60
	expect_one "$1" "$2" glob
	grep '^sent ' "$dir/err" | sed 's/^/# /'
	! grep -q FAIL "$dir/out" && grep -q ': done' "$dir/out"
	check $? "$1: the program's own checks pass"
}

storm nolock silent
storm safe silent
storm unsafe 'inconsistent_irq_state:s_irq*'
storm altstack silent
storm self silent
for s in jump jump_silent; do
	if [ "$s" = jump ]; then
		storm jump 'circular_dependency:m_x,m_y'
	else
		storm jump_silent silent
	fi
	j=$(sed -n 's/.* \([0-9]*\) from the validator.*/\1/p' "$dir/err")
	why="jumps from the validator: ${j:-none}"
	[ "${j:-0}" -gt 0 ]
	check $? "$s: jumped out of the validator's code ($j times)"
done
finish
