#!/bin/sh
# examples.sh: each example prints the report its README promises.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
EX=$ULD_BUILDDIR/examples

run_example() {
	name=$1 opts=$2
	dir=$workdir/ex.$name
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r${opts:+:$opts}" timeout -s KILL 30 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0"' \
	    "$EX/$name" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	kinds=$(printf '%s\n' "$json" | "$JQ" -r .kind 2>/dev/null | sort | tr '\n' ' ')
}

run_example abba
why="$kinds exit $status"
[ "$kinds" = "circular_dependency " ] && [ "$status" -eq 66 ] &&
    grep -q 'WARNING: possible circular locking dependency detected' "$dir/err" &&
    grep -q '^balance 10, audited 10$' "$dir/out"
check $? "abba: circular_dependency, output unchanged, exit 66"

run_example aa_spin halt_on_error=1
why="$kinds exit $status"
[ "$kinds" = "recursive_locking " ] && [ "$status" -eq 134 ]
check $? "aa_spin: recursive_locking, then abort"

run_example sleep_under_spin
why="$kinds exit $status"
[ "$kinds" = "sleep_in_atomic " ] && [ "$status" -eq 66 ] &&
    printf '%s' "$json" | "$JQ" -e '.call=="usleep" and (.locks[0].class|startswith("dev_lock"))' >/dev/null
check $? "sleep_under_spin: sleep_in_atomic in usleep under dev_lock"

run_example spin_lockup spin_timeout_ms=300:lockup_s=1
why="$kinds exit $status"
[ "$kinds" = "soft_lockup spin_timeout " ] && [ "$status" -eq 66 ] &&
    [ "$(printf '%s\n' "$json" | "$JQ" -r .owner_thread | sort -u)" = producer ] &&
    [ "$(printf '%s\n' "$json" | "$JQ" -r .thread | sort -u)" = flusher ]
check $? "spin_lockup: flusher spins, producer named as owner"

finish
