#!/bin/sh
# kspin.sh: the kernel-style spinlock and rwlock API, validated and disabled.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
PROG=$ULD_BUILDDIR/tests/api/kspin

# Under the preload too, so that usleep() is seen (a daemon in QA may
# link the library and run under the preload; one validator serves both).
# run_k SCENARIO [OPTIONS]
run_k() {
	dir=$workdir/k.$1.$tap_n
	mkdir -p "$dir"
	ULD_OPTS="json_path=$dir/r:log_path=$dir/log${2:+:$2}" timeout -s KILL 30 sh -c \
	    'LD_PRELOAD="$ULD_PRELOAD" ULOCKDEP_OPTIONS="$ULD_OPTS" exec "$0" "$1"' \
	    "$PROG" "$1" >"$dir/out" 2>"$dir/err"
	status=$?
	json=$(cat "$dir"/r.* 2>/dev/null)
	text=$(cat "$dir"/log.* 2>/dev/null)
}

# check_out CASE LINE NAME: run CASE; its output has the line LINE, exactly.
check_out() {
	run_k "$1"
	why=$(cat "$dir/out")
	grep -qxF -- "$2" "$dir/out"
	check $? "$3"
}

# expect SCENARIO KIND CLASSES STATUS [OPTIONS] (KIND "silent": no report
# at all)
expect() {
	run_k "$1" "$5"
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
# The init site, named by its file:line (the one spin_lock_init call of
# node_init); the pattern is a glob, hence the escaped brackets.
expect nested recursive_locking "l \\[$(site tests/api/kspin.c '	spin_lock_init(l);')\\]" 66
expect nested_annotated silent
expect trylock silent

# rwlock_t: readers are recursive, writers exclusive; a busy-waiting lock.
expect rw_abba circular_dependency a_lock,rw_lock 66
expect rw_ordered silent
expect rw_read_twice silent
expect rw_write_twice recursive_locking rw_lock 134 halt_on_error=1
expect rw_read_write recursive_locking rw_lock 134 halt_on_error=1
expect rw_read_then_write silent
expect rw_read_past_writer silent
expect rw_uninit bad_magic junk_rw 66
expect rw_destroyed bad_magic dyn_rw 66
expect rw_init_ok silent
expect rw_unlock_other bad_unlock rw_lock 66
expect rw_unlock_own silent
expect rw_wait_long spin_timeout rw_lock 66 spin_timeout_ms=300
expect rw_read_wait_long spin_timeout rw_lock 66 spin_timeout_ms=300
expect rw_wait_short silent '' 0 spin_timeout_ms=300
expect rw_sleep sleep_in_atomic rw_lock 66
expect rw_masks silent
expect rw_trylock silent
expect rw_stress silent
expect ctx silent

# The modes: the write lock and the waits, as rwlock-read/-write.
run_k rw_abba
why=$(printf '%s' "$json" | "$JQ" -c '[.locks[] | {class, mode}]')
printf '%s' "$json" | "$JQ" -e '[.locks[] | select(.class=="rw_lock") | .mode] | unique == ["rwlock-write"]' >/dev/null
check $? "rwlock_t: write_lock is mode rwlock-write"

run_k rw_read_write halt_on_error=1
why=$(printf '%s' "$json" | "$JQ" -c '[.locks[] | {class, mode}]')
printf '%s' "$json" | "$JQ" -e '[.locks[].mode] | sort == ["rwlock-read", "rwlock-write"]' >/dev/null
check $? "rwlock_t: read_lock then write_lock names both modes"

# The waiter spins (a spin wait, not only soft_lockup), on the writer.
# (jq -s and length: jq -e on no input at all exits 0.)
run_k rw_read_wait_long spin_timeout_ms=300
holder=$(sed -n 's/^holder=//p' "$dir/out")
why="holder $holder; $(printf '%s' "$json" | "$JQ" -c '{kind, owner_tid, modes: [.locks[].mode]}' | tr '\n' ' ')"
printf '%s' "$json" | "$JQ" -e -s "length == 1 and .[0].kind == \"spin_timeout\" and .[0].owner_tid == $holder and .[0].locks[0].mode == \"rwlock-read\"" >/dev/null
check $? "rwlock_t: a reader spinning on a writer: spin_timeout names the writer"

run_k rw_unlock_other
owner=$(sed -n 's/^owner=//p' "$dir/out")
why="owner $owner; $(printf '%s' "$json" | "$JQ" -c '{kind, owner_tid}' | tr '\n' ' ')"
printf '%s' "$json" | "$JQ" -e -s "length == 1 and .[0].kind == \"bad_unlock\" and .[0].owner_tid == $owner" >/dev/null
check $? "rwlock_t: bad_unlock names the writer"

check_out rw_unlock_own 'owner_set=1 owner_after=-1 cpu_after=-1 cnt=0' \
    "rwlock_t: the writer's tid and CPU are kept while it holds the lock"

run_k rw_destroyed
why=$(printf '%s' "$text" | head -8)
printf '%s' "$text" | grep -q 'BUG: rwlock bad magic' &&
    printf '%s' "$text" | grep -q 'read_lock of a lock that was destroyed' &&
    printf '%s' "$json" | "$JQ" -e '.magic=="deaddead" and .operation=="read_lock"' >/dev/null
check $? "rwlock_t bad_magic text and JSON: destroyed, in read_lock"

check_out rw_read_past_writer 'writer_waited=1 written=1' \
    "rwlock_t: a reader nests while a writer waits (reader-preferring)"

check_out rw_masks 'before=0 read_irqsave=1 after=0 write_irqsave=1 after=0 read_irq=1 write_irq=1 after=0 read_bh=1 write_bh=1 after=0 kept=1' \
    "rwlock_t: _irqsave/_irq/_bh change the signal mask and restore it"

check_out rw_trylock 'trylock=001011 off=1 cnt=0' \
    "rwlock_t: trylocks fail on a writer, readers share, the word ends at 0"

check_out rw_stress 'torn=0 writes=10000 cnt=0' \
    "rwlock_t: 4 threads, readers never see a writer half done"

# in_irq() & co. outside handlers: task context, softirq while bottom
# halves are off (local_bh_disable, spin_lock_bh), not when irqs are off.
check_out ctx 'task=0,0,0,0 bh_off=0,0,1,1 bh_nested=0,0,1,1 bh_on=0,0,0,0 spin_bh=0,0,1,1 irq_off=0,0,0,0 after=0,0,0,0 ' \
    "in_irq, in_serving_softirq, in_softirq, in_interrupt outside handlers"

# Inside handlers, as a program's own trampoline reports them with
# uld_signal_enter(): SIGUSR1 is a hardirq, SIGALRM a softirq; nested, the
# innermost decides.
expect ctx_handler silent
check_out ctx_handler 'usr1=1,0,0,1 usr1_alrm=0,1,1,1 alrm=0,1,1,1 after=0,0,0,0 ' \
    "in_irq & co. inside a hardirq and a softirq handler (uld_signal_enter)"

# uld_in_atomic(): which of ULD_ATOMIC_SPIN (1), _IRQS_OFF (2), _IRQ (4).
expect atomic silent
check_out atomic 'task=0 spin=1 irqs_off=2 irqs_off_spin=3 irq=4 irq_spin=5 after=0' \
    "uld_in_atomic: a spinlock, interrupts off and a handler, each its own bit"

# The masks: _irqsave blocks SIGUSR1 and restores it; _bh blocks SIGALRM only.
check_out irq_restored_sleep 'before=0 inside=1 after=0 bh=1 disabled=0' \
    "spinlock.h: _irqsave/_bh change the signal mask and restore it"

check_out trylock 'again=0 locked=0' \
    "spinlock.h: trylock of a held ticket lock fails; unlock frees it"

# bad_unlock names the real owner; bad_magic says what was wrong.
run_k unlock_other
owner=$(sed -n 's/^owner=//p' "$dir/out")
why="owner $owner; $(printf '%s' "$json" | "$JQ" -c '{kind, owner_tid}' | tr '\n' ' ')"
printf '%s' "$json" | "$JQ" -e -s "length == 1 and .[0].kind == \"bad_unlock\" and .[0].owner_tid == $owner" >/dev/null
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

out=$("$ULD_BUILDDIR/tests/api/kspin_disabled" rw_stress 2>&1)
why="$out"
[ "$out" = "torn=0 writes=10000 cnt=0
done" ]
check $? "ULOCKDEP_DISABLE: the bare rwlock_t excludes writers from readers"

out=$("$ULD_BUILDDIR/tests/api/kspin_disabled" rw_abba 2>&1)
why="$out"
[ "$out" = done ]
check $? "ULOCKDEP_DISABLE: rwlock_t AB-BA runs unvalidated"

# Under ULOCKDEP_DISABLE nothing is validated or masked: the context calls
# say task context everywhere.
out=$("$ULD_BUILDDIR/tests/api/kspin_disabled" ctx 2>&1)
why="$out"
[ "$out" = "task=0,0,0,0 bh_off=0,0,0,0 bh_nested=0,0,0,0 bh_on=0,0,0,0 spin_bh=0,0,0,0 irq_off=0,0,0,0 after=0,0,0,0 
done" ]
check $? "ULOCKDEP_DISABLE: in_irq() and friends are 0"

check_all_frames "every report above"

finish
