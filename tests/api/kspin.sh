#!/bin/sh
# kspin.sh: the kernel-style spinlock API, validated and disabled.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
PROG=$ULD_BUILDDIR/tests/api/kspin

# Under the preload too, so that usleep() is seen (a daemon in QA may
# link the library and run under the preload; one validator serves both).
run_k() {
	dir=$workdir/k.$1.$tap_n
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log" timeout -s KILL 30 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$1"' \
	    "$PROG" "$1" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	text=$(cat "$dir"/log.* 2>/dev/null)
}

# expect SCENARIO KIND CLASSES STATUS (KIND "silent": no report at all)
expect() {
	run_k "$1"
	n=$(printf '%s' "$json" | grep -c .)
	if [ "$2" = silent ]; then
		why="got $n report(s): $(printf '%s' "$json" | "$JQ" -r .kind 2>/dev/null), exit $status"
		[ "$n" -eq 0 ] && [ "$status" -eq 0 ]
	else
		got="$(printf '%s' "$json" | "$JQ" -r .kind) $(classes_of "$json")"
		why="want $2 $3 exit $4; got $n: $got exit $status"
		[ "$n" -eq 1 ] && case "$got" in "$2 "$3) true ;; *) false ;; esac &&
		    [ "$status" -eq "$4" ]
	fi
	check $? "spinlock.h, $1: $2 $3"
}

expect abba circular_dependency a_lock,b_lock 66
expect ordered silent
expect uninit bad_magic junk 66
expect destroyed bad_magic dyn 66
expect init_ok silent
expect irqsave_sleep sleep_in_atomic a_lock 66
expect irq_disabled_sleep sleep_in_atomic '' 66
expect irq_restored_sleep silent
expect nested recursive_locking 'l \[node_init+0x*\]' 66
expect nested_annotated silent
expect trylock silent

# The masks: _irqsave blocks SIGUSR1 and restores it; _bh blocks SIGALRM only.
run_k irq_restored_sleep
why=$(cat "$dir/out")
grep -q '^before=0 inside=1 after=0 bh=1 disabled=0$' "$dir/out"
check $? "spinlock.h: _irqsave/_bh change the signal mask and restore it"

run_k trylock
why=$(cat "$dir/out")
grep -q '^again=0 locked=0$' "$dir/out"
check $? "spinlock.h: trylock of a held ticket lock fails; unlock frees it"

# bad_unlock names the real owner; bad_magic says what was wrong.
run_k unlock_other
owner=$(sed -n 's/^owner=//p' "$dir/out")
why="owner $owner; $(printf '%s' "$json" | "$JQ" -c '{kind, owner_tid}' | tr '\n' ' ')"
printf '%s\n' "$json" | "$JQ" -e "select(.kind==\"bad_unlock\") | .owner_tid == $owner" >/dev/null
check $? "spinlock.h: bad_unlock names the owner thread"

run_k destroyed
printf '%s' "$text" | grep -q 'BUG: spinlock bad magic' &&
    printf '%s' "$text" | grep -q 'spin_lock of a lock that was destroyed' &&
    printf '%s' "$json" | "$JQ" -e '.magic=="deaddead" and .operation=="spin_lock"' >/dev/null
check $? "bad_magic text and JSON: destroyed, in spin_lock"

# -DULOCKDEP_DISABLE: the bare ticket lock, no library, same results.
out=$("$ULD_BUILDDIR/tests/api/kspin_disabled" abba 2>&1)
why="$out"
[ "$out" = done ] && ! ldd "$ULD_BUILDDIR/tests/api/kspin_disabled" | grep -q ulockdep
check $? "ULOCKDEP_DISABLE: plain ticket lock, not linked to ulockdep"

finish
