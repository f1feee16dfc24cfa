#!/bin/sh
# examples.sh: each example prints the report its README promises.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
EX=$ULD_BUILDDIR/examples

# run_example NAME [OPTIONS [ARGS...]]: sets $dir, $status, $json, $kinds,
# and $secs (whole seconds the run took).
run_example() {
	name=$1 opts=${2:-}
	shift $(($# < 2 ? $# : 2))
	dir=$workdir/ex.$name${1:+.$1}
	mkdir -p "$dir"
	start=$(date +%s)
	ULD_OPTS="json_path=$dir/r${opts:+:$opts}" timeout -s KILL 30 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$@"' \
	    "$EX/$name" "$@" >"$dir/out" 2>"$dir/err"
	status=$?
	secs=$(($(date +%s) - start))
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

run_example sles_softirq
why="$kinds exit $status"
[ "$kinds" = "inconsistent_irq_state " ] && [ "$status" -eq 66 ] &&
    printf '%s' "$json" | "$JQ" -e '.thread=="kswapd" and
	[.locks[].class]==["dcache_lru_lock"] and .signal=="SIGALRM" and
	.irq=="softirq" and .usage=="SOFTIRQ-ON-W" and
	.conflicts_with=="IN-SOFTIRQ-W" and
	.stacks[0].frames[0].function=="kswapd" and
	.stacks[1].frames[0].function=="net_rx_action"' >/dev/null &&
    grep -q 'WARNING: inconsistent lock state' "$dir/err" &&
    grep -q '^3 packets, 3 dentries reclaimed, 0 unused$' "$dir/out"
check $? "sles_softirq: inconsistent_irq_state on dcache_lru_lock, SIGALRM"

run_example sles_softirq "" fixed
why="$kinds exit $status"
[ -z "$json" ] && [ "$status" -eq 0 ] && [ ! -s "$dir/err" ] &&
    grep -q '^3 packets, 3 dentries reclaimed, 0 unused$' "$dir/out"
check $? "sles_softirq fixed (spin_lock_bh): silent"

# (The vDSO's frames and the inlined now() come before send_ipi_and_wait.)
run_example siglock_ipi spin_timeout_ms=300
why="$kinds exit $status"
[ "$kinds" = "spin_timeout " ] && [ "$status" -eq 66 ] &&
    printf '%s' "$json" | "$JQ" -e '.thread=="cpu1" and
	.owner_thread=="cpu0" and [.locks[].class]==["siglock"]' >/dev/null &&
    grep -q '^owner: cpu0/[0-9]*, which took it at:' "$dir/err" &&
    grep -A8 '^owner cpu0/[0-9]* is now at:' "$dir/err" |
	grep -q 'send_ipi_and_wait+' &&
    grep -q '^cpu0: IPI not handled, gave up after 3 s$' "$dir/out"
check $? "siglock_ipi: cpu1 spins, cpu0 named as owner, seen waiting for the IPI"

run_example siglock_ipi spin_timeout_ms=300 fixed
why="$kinds exit $status, $secs s"
[ -z "$json" ] && [ "$status" -eq 0 ] && [ "$secs" -lt 3 ] &&
    grep -q '^cpu0: IPI handled$' "$dir/out"
check $? "siglock_ipi fixed (IPI after the unlock): silent, quick"

check_all_frames "every report above"

finish
