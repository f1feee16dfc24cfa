#!/bin/sh
# signals.sh: a program's signal handling is the same under the preload.
#
# Each scenario of tests/preload/signals runs bare, then under the
# preload: the same output, exit status 0 both times, and no report
# (nothing on stderr, no JSON record).  The scenarios are described in
# signals.c.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/signals

for s in readback handler_mask signal_chain sysv nodefer siginfo errno \
    jumps waits masks jit signalfd flag_only altstack restart deferred; do
	# Under make check-valgrind the bare run is under valgrind too, whose
	# signal emulation differs from the kernel's in details.  valgrind
	# flags the JIT's stores to its PROT_NONE page, bare or not.
	if [ -n "${ULD_VALGRIND:-}" ] && [ "$s" = jit ]; then
		ok "$s # SKIP valgrind reports the faulting stores"
		continue
	fi
	tmo=30
	[ -n "${ULD_VALGRIND:-}" ] && tmo=600
	timeout -s KILL "$tmo" $ULD_VALGRIND "$CASES" "$s" \
	    >"$workdir/$s.bare" 2>"$workdir/$s.bare.err"
	bare_status=$?
	# Handlers that land in the validator's own code are run by it
	# when it is done (defer_signals=1); by default they are held for
	# the kernel to deliver then.
	opts=
	[ "$s" = deferred ] && opts=defer_signals=1
	run_case "$s" - "$opts"
	why="status $status (bare $bare_status); $(diff "$workdir/$s.bare" "$dir/out" | head -20 | tr '\n' '|')"
	# Bare, the scenario's own checks pass; valgrind's warnings about
	# the program ("--PID-- sigprocmask: unknown 'how'") are not reports.
	[ -n "${ULD_VALGRIND:-}" ] || [ "$bare_status" -eq 0 ]
	bare_ok=$?
	[ "$bare_ok" -eq 0 ] && [ "$status" -eq "$bare_status" ] &&
	    [ -s "$dir/out" ] && cmp -s "$workdir/$s.bare" "$dir/out" &&
	    ! grep -qv '^--[0-9]*-- ' "$dir/err" && [ -z "$json" ]
	check $? "$s: same output and status as bare, no report"
done
finish
