#!/bin/sh
# oom.sh: when the validator's memory runs out it says so once and stops
# validating, and the program finishes normally (issue 7).  The test hook
# ULOCKDEP_TEST_ALLOC_FAIL=N (lib/alloc.c) fails every validator
# allocation after the first N; the N below make it fail during start-up,
# while classes and locks are being learnt, and while a held stack grows.
# Each run (tests/bench/scale.c, its last edge inverted at the end) must
# exit 0 with its own output complete, exactly one "ulockdep: out of
# memory" line and nothing else from ulockdep, and no report: the
# inversion comes after the stop.  The twin with memory to spare reports
# that inversion.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

SCALE=$ULD_BUILDDIR/tests/bench/scale_locks

# oom BUDGET WORKLOAD N: sets $dir, $status, $json, $out.
oom() {
	dir=$workdir/$2.$3.$1
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r" ULOCKDEP_TEST_ALLOC_FAIL=$1 \
	    timeout -s KILL 60 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$SCALE" "$2" "$3" invert >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	out=$(cat "$dir/out")
	noom=$(grep -c '^ulockdep: out of memory' "$dir/err")
	nuld=$(grep -c 'ulockdep' "$dir/err")
}

for run in "0 classes 2000" "10 classes 2000" "100 classes 2000" \
    "1000 classes 2000" "0 threads 100" "100 threads 100" \
    "0 depth 1000" "100 depth 1000" "1000 depth 1000"; do
	set -- $run
	oom "$@"
	why="status $status, $noom out-of-memory lines, $nuld ulockdep lines, stdout: $out"
	[ "$status" -eq 0 ] && [ -z "$json" ] && [ "$noom" -eq 1 ] &&
	    [ "$nuld" -eq 1 ] &&
	    printf '%s' "$out" | grep -q "^workload=$2 n=$3 .*reports=0$"
	check $? "$2 $3, allocations failing after $1: finishes, says so once, reports nothing"
done

# Real exhaustion: 30 MB of address space (ulimit -v), enough for the
# program alone, not for the validator's hash tables (urcu reserves their
# largest size up front and would abort if that failed; lib/lfht.h).
dir=$workdir/rlimit
mkdir -p "$dir"
if [ "${ULD_ASAN:-no}" = yes ]; then
	# ASan reserves terabytes of shadow address space at start: nothing
	# that loads it runs in 30 MB (its failure would be a finding).
	ok "ulimit -v 30000 # SKIP ASan needs more address space than that"
elif sh -c 'ulimit -v 30000 && exec "$0" depth 1000' "$SCALE" >/dev/null 2>&1; then
	ULD_OPTS="json_path=$dir/r" timeout -s KILL 60 sh -c \
	    'ulimit -v 30000; LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$SCALE" depth 1000 invert >"$dir/out" 2>"$dir/err"
	status=$?
	noom=$(grep -c '^ulockdep: out of memory' "$dir/err")
	why="status $status, $noom out-of-memory lines, stdout: $(cat "$dir/out")"
	[ "$status" -eq 0 ] && [ "$noom" -eq 1 ] && [ ! -s "$dir/r".* ] &&
	    grep -q '^workload=depth n=1000 .*reports=0$' "$dir/out"
	check $? "ulimit -v 30000: the program finishes, the validator says out of memory once"
else
	ok "ulimit -v 30000 # SKIP the program alone does not run in 30 MB here"
fi
dir=

# The twin: the same program with memory to spare reports its inversion.
oom 100000000 depth 1000
why="status $status, $noom out-of-memory lines, reports: $json"
[ "$status" -eq 66 ] && [ "$noom" -eq 0 ] &&
    [ "$(printf '%s' "$json" | "$JQ" -r '.kind + ":" + (.cycle | join(","))')" = \
      "circular_dependency:d998,d999" ]
check $? "depth 1000 with memory to spare: its inversion is reported"

finish
