#!/bin/sh
# scale.sh: no fixed limit switches the validator off (issue 7), at sizes
# small enough for make check (make bench-scale runs the full ones): many
# classes under one lock, a DAG of many edges, many threads alive at once
# holding locks, a deep held stack.  Each run must be silent: no report,
# no "ulockdep:" line (a limit reached, out of memory); then the same run
# inverts its last edge, which must be one circular_dependency naming
# exactly those two classes: the validator is still validating.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

SCALE=$ULD_BUILDDIR/tests/bench/scale_locks

# scale WORKLOAD N [invert]: sets $dir, $status, $json, $out.
scale() {
	dir=$workdir/$1.$2.${3:-silent}
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log" timeout -s KILL 120 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$SCALE" "$@" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	out=$(cat "$dir/out")
}

# case WORKLOAD N CLASSES: the silent run, then the inverted one.
case_() {
	scale "$1" "$2"
	why="status $status, stdout: $out, reports: $(printf '%s' "$json" | grep -c .)"
	[ "$status" -eq 0 ] && [ -z "$json" ] && [ ! -s "$dir/err" ] &&
	    printf '%s' "$out" | grep -q "workload=$1 n=$2 .* reports=0$"
	check $? "$1 $2: silent, nothing on stderr"

	scale "$1" "$2" invert
	n=$(printf '%s' "$json" | grep -c .)
	got=$( [ "$n" -eq 1 ] && printf '%s' "$json" | "$JQ" -r '.kind + ":" + (.cycle | join(","))')
	why="status $status, $n reports, got '$got'"
	[ "$status" -eq 66 ] && [ "$n" -eq 1 ] &&
	    [ "$got" = "circular_dependency:$3" ] &&
	    printf '%s' "$out" | grep -q ' reports=0$' &&
	    [ "$(grep -c '^ulockdep:' "$dir/err")" -eq 0 ]
	check $? "$1 $2, then its last edge inverted: one circular_dependency of $3"
}

# 2,000 classes, each with an edge from classes_outer.
case_ classes 2000 "classes_outer,c1999"
# 20,000 edges, lock i before i+1..i+100: the last is e199 -> e299.
case_ edges 20000 "e199,e299"
# 200 threads holding two locks each (classes: their init sites).
a=$(site tests/bench/scale.c 'pthread_mutex_init(&w[i].a')
b=$(site tests/bench/scale.c 'pthread_mutex_init(&w[i].b')
case_ threads 200 "$a,$b"
# 1,000 locks nested in one thread.
case_ depth 1000 "d998,d999"

# The last of those 1,000 locks, then the first: a cycle through all of
# them, found by one search 999 edges deep and reported whole.
scale depth 1000 invert-far
n=$(printf '%s' "$json" | grep -c .)
got=$( [ "$n" -eq 1 ] && printf '%s' "$json" | "$JQ" -r '[.kind, (.cycle | length), .cycle[0], .cycle[999]] | map(tostring) | join(":")')
why="status $status, $n reports, got '$got'"
[ "$status" -eq 66 ] && [ "$got" = "circular_dependency:1000:d0:d999" ] &&
    [ "$(grep -c '^ulockdep:' "$dir/err")" -eq 0 ]
check $? "depth 1000, last lock then first: one circular_dependency through all 1000 classes"

finish
