#!/bin/sh
# matrix.sh: the locking-selftest-style matrix under the preload.
#
# Each row: scenario, lock types, expected result, extra options, expected
# exit status.  The result is `silent` (no report at all), `KIND:CLASSES`,
# or `KIND(CALL):CLASSES`, whose report must also name the sleeping CALL.
# CLASSES is the sorted, comma-separated set of class names the
# report names (a circular dependency names its whole cycle); `%` stands
# for the type's lock prefix (spin_, mutex_, rw_), `?` for the space in a
# class name, and `@NAME` for the number of the line of cases.c marked
# `/* @NAME */` (run-time classes are named by their init or first
# acquisition site, `cases.c:LINE`).  A detection must be the only report
# the process made; every detection row has a silent twin.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"

rows='
AA		spin,mutex,mtx,wlock	recursive_locking:%A	halt_on_error=1	134
AA		rlock			silent
AA_try		spin,mutex,mtx,rlock,wlock	silent
ABBA		spin,mutex,mtx,wlock	circular_dependency:%A,%B
ABBA		rlock			silent
ABAB		spin,mutex,mtx,rlock,wlock	silent
ABBA_threads	spin,mutex,mtx,wlock	circular_dependency:%A,%B
ABBA_threads	rlock			silent
ABAB_threads	spin,mutex,mtx,rlock,wlock	silent
ABBA_small_stacks spin,mutex,wlock	circular_dependency:%A,%B
ABBA_small_stacks rlock			silent
ABAB_small_stacks spin,mutex,rlock,wlock	silent
ABBA_coroutines	spin,mutex,wlock	circular_dependency:%A,%B
ABBA_coroutines	rlock			silent
ABAB_coroutines	spin,mutex,rlock,wlock	silent
init_coroutine	mutex			silent
ABBCCA		spin,mutex,mtx,wlock	circular_dependency:%A,%B,%C
ABBCCA		rlock			silent
ABBCAC		spin,mutex,mtx,rlock,wlock	silent
ABCABC		spin,mutex,mtx,wlock	circular_dependency:%A,%B,%C
ABCABC		rlock			silent
ABBCCDDA	spin,mutex,mtx,wlock	circular_dependency:%A,%B,%C,%D
ABBCCDDA	rlock			silent
ABBCCDAD	spin,mutex,mtx,rlock,wlock	silent
ABCDBDDA	spin,mutex,mtx,wlock	circular_dependency:%A,%B,%D
ABCDBDDA	rlock			silent
ABCDBCDA	spin,mutex,mtx,wlock	circular_dependency:%A,%B,%C,%D
ABCDBCDA	rlock			silent
ABC_nested_CA	spin,mutex,mtx,wlock	circular_dependency:%A,%B,%C
ABC_nested_CA	rlock			silent
double_unlock	spin,mutex,mtx,rlock,wlock	bad_unlock:%A
unlock_once	spin,mutex,mtx,rlock,wlock	silent
unlock_unowned	spin,mutex,mtx		bad_unlock:%A
unlock_owned	spin,mutex,mtx,rlock,wlock	silent
trylock_then_lock spin,mutex,mtx,wlock	circular_dependency:%A,%B
trylock_then_lock rlock			silent
trylock_reverse	spin,mutex,mtx,rlock,wlock	silent
timed_ABBA	mutex,mtx,wlock		circular_dependency:%A,%B
timed_ABBA	rlock			silent
timed_ABAB	mutex,mtx,rlock,wlock	silent
timedlock_timeout mutex,mtx,wlock		silent
rw_read_write_ABBA rlock		circular_dependency:mutex_B,rw_A
rw_read_read_ABBA rlock			silent
rw_fair_read_read_ABBA rlock		circular_dependency:mutex_B,rw_fair?[cases.c:@init_fair]
rw_fair_read_twice rlock		recursive_locking:rw_fair?[cases.c:@init_fair]
rw_read_twice	rlock			silent
rw_write_then_read rlock		recursive_locking:rw_A
errorcheck_relock mutex			recursive_locking:err_mutex
errorcheck_once	mutex			silent
recursive_mutex	mutex			silent
robust_owner_died mutex			locks_held_at_exit:robust?[cases.c:@init_robust]
destroy_held	spin,mutex,mtx,rlock,wlock	held_lock_freed:cases.c:@init_one_%
destroy_unheld	spin,mutex,mtx,rlock,wlock	silent
destroy_held_by_other spin,mutex,mtx,wlock	held_lock_freed:cases.c:@init_one_%
destroy_held_by_creator spin,mutex,mtx,wlock held_lock_freed:cases.c:@init_one_%
destroy_own_others_alive spin,mutex,mtx,rlock,wlock silent
exit_holding	spin,mutex,mtx,rlock,wlock	locks_held_at_exit:%A
pthread_exit_holding spin,mutex,mtx,rlock,wlock locks_held_at_exit:%A
exit_clean	spin,mutex,mtx,rlock,wlock	silent
main_returns_holding spin,mutex,mtx,rlock,wlock locks_held_at_exit:%A
main_exits_holding spin,mutex,mtx,rlock,wlock silent
spin_usleep	spin			sleep_in_atomic:spin_A
mutex_usleep	mutex			silent
spin_then_mutex	spin			sleep_in_atomic:spin_A
spin_then_trylock_mutex spin		silent
spin_cond_timedwait spin		sleep_in_atomic:spin_A
spin_poll_zero	spin			silent
spin_cond_clockwait spin		sleep_in_atomic:spin_A
mutex_cond_clockwait mutex		silent
spin_sem_clockwait spin			sleep_in_atomic:spin_A
spin_sem_trywait spin			silent
spin_timedjoin	spin			sleep_in_atomic:spin_A
spin_clockjoin	spin			sleep_in_atomic:spin_A
spin_tryjoin	spin			silent
spin_waitpid	spin			sleep_in_atomic:spin_A
spin_waitid	spin			sleep_in_atomic:spin_A
spin_wait_any	spin			sleep_in_atomic:spin_A
spin_waitpid_nohang spin		silent
spin_wait4	spin			sleep_in_atomic:spin_A
spin_wait3	spin			sleep_in_atomic:spin_A
wait_system	spin			sleep_in_atomic(system):spin_A
wait_system	mutex			silent
wait_pclose	spin			sleep_in_atomic(pclose):spin_A
wait_pclose	mutex			silent
wait_barrier	spin			sleep_in_atomic(pthread_barrier_wait):spin_A
wait_barrier	mutex			silent
wait_flock	spin			sleep_in_atomic(flock):spin_A
wait_flock	mutex			silent
wait_lockf	spin			sleep_in_atomic(lockf):spin_A
wait_lockf	mutex			silent
wait_lockf64	spin			sleep_in_atomic(lockf64):spin_A
wait_lockf64	mutex			silent
wait_fcntl	spin			sleep_in_atomic(fcntl):spin_A
wait_fcntl	mutex			silent
wait_fcntl64	spin			sleep_in_atomic(fcntl64):spin_A
wait_fcntl64	mutex			silent
wait_fcntl_ofd	spin			sleep_in_atomic(fcntl):spin_A
wait_fcntl_ofd	mutex			silent
wait_system_null spin			silent
wait_flock_nb	spin			silent
wait_lockf_tlock spin			silent
wait_fcntl_setlk spin			silent
spin_sigwait	spin			sleep_in_atomic:spin_A
spin_sigwaitinfo spin			sleep_in_atomic:spin_A
spin_sigtimedwait spin			sleep_in_atomic:spin_A
spin_sigtimedwait_zero spin		silent
spin_pause	spin			sleep_in_atomic:spin_A
spin_nap_timer	spin			sleep_in_atomic:spin_A
mutex_nap_timer	mutex			silent
spin_read_pipe	spin			sleep_in_atomic:spin_A
spin_read_nonblock spin			silent
spin_read_file	spin			silent
spin_futex_wait	spin			sleep_in_atomic:spin_A
spin_futex_wake	spin			silent
spin_nested_sleep spin			sleep_in_atomic:spin_A,spin_B
same_class_nested spin,mutex,mtx,wlock	recursive_locking:cases.c:@init_one_%
same_class_nested rlock			silent
same_class_nested_annotated spin,mutex,mtx,rlock,wlock silent
same_class_nested_named spin,mutex,mtx,rlock,wlock silent
static_array_nested mutex		recursive_locking:table[]
static_array_single mutex		silent
address_same_lock mutex			circular_dependency:cases.c:@address_same_lock,mutex_A
address_reuse	mutex			silent
heap_reuse	mutex			silent
heap_same_lock	mutex			circular_dependency:cases.c:@lock_inside_A,mutex_A
free_held	mutex			held_lock_freed:cases.c:@free_held
free_unheld	mutex			silent
free_held_by_other mutex		held_lock_freed:cases.c:@hold_then_wait
realloc_held	mutex			held_lock_freed:cases.c:@realloc_held
realloc_unheld	mutex			silent
munmap_held	mutex			held_lock_freed:cases.c:@munmap_held
many_threads_one_inverts spin,mutex,mtx,wlock circular_dependency:%A,%B,%C
many_threads	spin,mutex,mtx,rlock,wlock	silent
condvar_pingpong mutex			silent
thrd_exit_holding spin,mtx		locks_held_at_exit:%A
thrd_exit_clean	spin,mtx		silent
recursive_mtx	mtx			silent
c11_thrd_sleep	spin			sleep_in_atomic:spin_A
c11_thrd_sleep	mtx			silent
c11_cnd_timedwait spin			sleep_in_atomic:spin_A
c11_cnd_timedwait mtx			silent
c11_thrd_join	spin			sleep_in_atomic:spin_A
c11_thrd_join	mtx			silent
deep_cycle	mutex			circular_dependency:deep_*
deep_nesting	mutex			silent
ABBA_exit3	mutex			circular_dependency:%A,%B	-	3
'

prefix_of() {
	case $1 in
	spin) echo spin_ ;;
	mutex) echo mutex_ ;;
	mtx) echo mtx_ ;;
	*) echo rw_ ;;
	esac
}

# matches PATTERN ACTUAL: glob match of the comma-joined class lists;
# brackets are literal (table[]).
matches() {
	pat=$(printf '%s' "$1" | sed 's/\[/\\[/g; s/\]/\\]/g')
	case $2 in
	$pat) return 0 ;;
	esac
	return 1
}

# at_lines TEXT: each @NAME replaced by the line of cases.c marked
# /* @NAME */ (exactly one, or NOLINE, which matches no class); built
# without libdw, "cases.c:@NAME" stands for any function+offset.
at_lines() {
	t=$1
	[ "${ULD_LIBDW:-yes}" = yes ] ||
	    t=$(printf '%s' "$t" | sed 's/cases\.c:@[A-Za-z0-9_]*/*+0x*/g')
	while :; do
		tag=$(printf '%s' "$t" | sed -n 's/.*@\([A-Za-z0-9_]*\).*/\1/p')
		[ -z "$tag" ] && break
		n=$(grep -nF "/* @$tag */" "$ULD_SRCDIR/tests/preload/cases.c" | cut -d: -f1)
		[ "$(printf '%s\n' "$n" | grep -c .)" -eq 1 ] || n=NOLINE
		t=$(printf '%s' "$t" | sed "s/@$tag/$n/")
	done
	printf '%s' "$t"
}

# ULD_MATRIX_SHARD=K/N runs only every Nth case from the Kth (counting
# from 0): make check-valgrind splits the matrix, minutes under memcheck,
# over two tests so both cores share it (matrix-vg0.sh, matrix-vg1.sh).
shard=${ULD_MATRIX_SHARD:-0/1}
shard_k=${shard%/*} shard_n=${shard#*/}
case_i=-1
echo "$rows" | while read -r scen types expect opts want_status; do
	[ -z "$scen" ] && continue
	[ "$opts" = "-" ] && opts=
	for type in $(echo "$types" | tr , ' '); do
		case_i=$((case_i + 1))
		[ $((case_i % shard_n)) -eq "$shard_k" ] || continue
		# valgrind puts its own malloc, free and realloc in place of
		# every other, ours included: nothing to see there.
		case ${ULD_VALGRIND:+vg}$scen in
		vgheap_reuse|vgfree_held|vgfree_held_by_other|vgrealloc_held)
			ok "$scen/$type # SKIP valgrind replaces free and realloc"
			continue ;;
		esac
		# make check-asan: ASan's quarantine keeps a freed block
		# from being handed back, and the scenario needs exactly that.
		if [ "${ULD_ASAN:-no}$scen" = yesheap_reuse ]; then
			ok "$scen/$type # SKIP ASan's quarantine never reuses the freed block"
			continue
		fi
		# ... and the validator's deep stack is a swapcontext() but on
		# x86-64 (lib/deepstack.c), which ASan does not follow.
		case ${ULD_ASAN:-no}$(uname -m)$scen in
		yes[!x]*_small_stacks)
			ok "$scen/$type # SKIP under ASan: swapcontext"
			continue ;;
		esac
		case $scen in
		*_coroutines|*_coroutine) run_case_coroutines "$scen" "$type" "$opts" ;;
		*) run_case "$scen" "$type" "$opts" ;;
		esac
		n=$(printf '%s' "$json" | grep -c .)
		name="$scen/$type: $expect"
		if [ "$expect" = silent ]; then
			why="expected no report, got $n: $(printf '%s' "$json" | "$JQ" -r '.kind + " " + ((.cycle // [.locks[].class])|join(","))' 2>/dev/null | tr '\n' ';')"
			[ "$n" -eq 0 ] && [ "$status" -eq "${want_status:-0}" ]
			check $? "$name (exit $status)"
			continue
		fi
		kind=${expect%%:*}
		call=
		case $kind in
		*'('*')') call=${kind#*(}; call=${call%)}; kind=${kind%%(*} ;;
		esac
		want=$(at_lines "$(echo "${expect#*:}" | sed "s/%/$(prefix_of "$type")/g")")
		got_kind=$(printf '%s' "$json" | "$JQ" -r .kind 2>/dev/null | head -1)
		got_call=$(printf '%s' "$json" | "$JQ" -r '.call // ""' 2>/dev/null | head -1)
		got=$(classes_of "$json" 2>/dev/null | head -1)
		why="want 1 x $kind${call:+($call)} [$want] exit ${want_status:-66}; got $n report(s): $got_kind${got_call:+($got_call)} [$got] exit $status"
		[ "$n" -eq 1 ] && [ "$got_kind" = "$kind" ] &&
		    { [ -z "$call" ] || [ "$got_call" = "$call" ]; } &&
		    matches "$want" "$got" && [ "$status" -eq "${want_status:-66}" ]
		check $? "$name (exit $status)"
	done
done > "$workdir/tap"
# The checks above ran in a pipeline: number on from its last.
tap_n=$(grep -c '^\(not \)\?ok' "$workdir/tap")
check_all_frames "every report of the matrix" >> "$workdir/tap"
finish_file "$workdir/tap"
