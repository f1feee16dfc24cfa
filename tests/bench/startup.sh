#!/bin/sh
# startup.sh STARTUP RUNS PRELOAD PROG [ARGS...]: make bench-startup.
# Runs STARTUP (startup.c: wall and CPU ms, page faults, bare and under
# PRELOAD, RUNS runs each, alternating), then, where valgrind is
# installed, counts the user-space instructions of one run of PROG bare
# and one preloaded (callgrind; valgrind's own preload is in both, so the
# difference is ulockdep's).  Times depend on the machine's load, the
# instructions and the page faults do not: they say what a change saved
# on a busy machine.  Nothing here asserts a figure.
set -u
startup=$1 runs=$2 preload=$3
shift 3
"$startup" "$runs" "$preload" "$@" || exit
command -v valgrind >/dev/null 2>&1 || {
	echo "instructions: valgrind not installed, not counted"
	exit 0
}
# "Collected : N" is callgrind's total of instructions executed.  The
# preload is given to valgrind's launcher, which hands it to PROG (and
# runs under it itself, uncounted).
count() {
	timeout -s KILL 120 valgrind --tool=callgrind \
	    --callgrind-out-file=/dev/null "$@" 2>&1 |
	    sed -n 's/^==[0-9]*== Collected : //p'
}
bare=$(unset LD_PRELOAD; count "$@")
uld=$(LD_PRELOAD="$preload" count "$@")
if [ -z "$bare" ] || [ -z "$uld" ]; then
	echo "instructions: valgrind did not run $1"
	exit 0
fi
printf 'instructions (valgrind, one run each): bare %s, ulockdep %s, added %s\n' \
    "$bare" "$uld" "$((uld - bare))"
