#!/bin/sh
# threads.sh: thread life under the preload (scenarios in threads.c).
#
# Churn and crowds make no report and give their memory back: the RSS
# grows by less than 8 MB between the two checkpoints, so what the
# validator keeps per thread (held stacks, registry entry) is freed when
# the thread ends.  A cancelled or pthread_exit()ed thread that holds
# locks gets exactly one locks_held_at_exit naming them; with a cleanup
# handler, or with nothing held, there is no report.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/threads

# expect SCENARIO silent|KIND:CLASSES: one run under the preload.
expect() {
	run_case "$1" - "" 60
	expect_one "$1" "$2"
	# The program's own checks passed (it prints FAIL and exits 1).
	! grep -q FAIL "$dir/out" && [ -s "$dir/out" ]
	check $? "$1: the program saw what it sees bare"
}

# rss SCENARIO: the growth between the checkpoints the last run printed.
rss() {
	local what=$1
	set -- $(grep '^rss_kb ' "$dir/err")
	why="RSS $2 kB then $3 kB"
	if [ "${ULD_ASAN:-no}" = yes ]; then
		# ASan's quarantine keeps up to 256 MB of freed memory out of
		# reuse: RSS measures ASan there, not the validator.
		ok "$what: RSS grows < 8 MB # SKIP ASan's quarantine holds freed memory"
		return
	fi
	[ -n "$3" ] && [ $(($3 - $2)) -lt 8192 ]
	check $? "$what: RSS grows < 8 MB between checkpoints ($2 -> $3 kB)"
}

expect churn silent
rss churn
expect crowd silent
rss crowd
expect detached silent
expect cancel_sleep_cleanup silent
expect cancel_sleep locks_held_at_exit:m_cancel
expect cancel_cond_cleanup silent
expect cancel_cond locks_held_at_exit:m_cancel
expect exit_nested_clean silent
expect exit_nested locks_held_at_exit:m_inner,m_outer
expect small_stack silent
finish
