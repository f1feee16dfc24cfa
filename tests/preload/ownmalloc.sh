#!/bin/sh
# ownmalloc.sh: a program whose executable defines malloc, over a mutex of
# its own (ownmalloc.c).  Every allocation of the process goes through
# it, the loader's and libdw's included; the validator must not call it
# while the allocator holds its mutex (naming a class on first sight did,
# and the program hung).  An AB-BA between two of the program's mutexes is
# one report naming both, made while the allocator is idle; AB twice is
# silent.  A hang is killed by the timeout and fails.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/ownmalloc

# ASan's runtime, preloaded, crashes at start-up in a program whose
# executable defines malloc, with no validator loaded at all.
if [ "${ULD_ASAN:-no}" = yes ]; then
	for t in "A then B twice: silent" "A then B twice: ran to its end" \
	    "AB-BA: circular_dependency:a,b" "AB-BA: ran to its end"; do
		ok "the program's own malloc, $t # SKIP ASan cannot run this program"
	done
	finish
	exit
fi

run_case ab - "" 60
expect_one "the program's own malloc, A then B twice" silent
grep -qx done "$dir/out"
check $? "the program's own malloc, A then B twice: ran to its end"

run_case abba - "" 60
expect_one "the program's own malloc, AB-BA" "circular_dependency:a,b"
grep -qx done "$dir/out"
check $? "the program's own malloc, AB-BA: ran to its end"

finish
