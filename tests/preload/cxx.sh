#!/bin/sh
# cxx.sh: C++ programs (cxx_waits.cc).  The waits of C++'s
# std::condition_variable, std::timed_mutex and std::thread are sleeps:
# each is reported once under a spinlock and is silent under a std::mutex.
# Reports give C++ names, demangled, to the lock classes (a variable in
# an anonymous namespace) and to the functions of the stacks, in the
# text and the JSON, and a suppression can name a function so.
. "${ULD_SRCDIR:?}/tests/preload/lib.sh"
CASES=$ULD_BUILDDIR/tests/preload/cxx_waits

if [ ! -x "$CASES" ]; then
	ok "# SKIP no C++ compiler: cxx_waits not built"
	finish
	exit
fi
if [ "${ULD_LIBIBERTY:-yes}" = yes ]; then
	SPIN="(anonymous namespace)::spin"
	WAIT_FOR="(anonymous namespace)::wait_for(bool)"
else
	SPIN=_ZN12_GLOBAL__N_14spinE
	WAIT_FOR=_ZN12_GLOBAL__N_18wait_forEb
fi
SPIN="$SPIN [$(site tests/preload/cxx_waits.cc "init of the spinlock")]"
for s in wait_for wait_until try_lock_for join; do
	run_case "$s" spin
	expect_one "$s under a spinlock" "sleep_in_atomic:$SPIN"
	run_case "$s" mutex
	expect_one "$s under a std::mutex" silent
done

run_case wait_for spin
fns=$(printf '%s\n' "$json" | "$JQ" -r '.stacks[].frames[].function')
why="functions: $(printf '%s' "$fns" | tr '\n' ' ')"
printf '%s\n' "$fns" | grep -qxF "$WAIT_FOR" &&
    ! printf '%s\n' "$fns" | grep -q '^_Z' &&
    case $text in *" in $WAIT_FOR+0x"*"($SPIN)"*) true ;; *) false ;; esac
check $? "the stack's functions and the class by their C++ names, JSON and text"

# On a coroutine's 32 KB stack, in a function whose mangled name is some
# 800 characters long: demangled (on the validator's own stack: libiberty
# needs more than the coroutine has), and the process ends as bare.
if [ "${ULD_ASAN:-no}" != yes ] || [ "$(uname -m)" = x86_64 ]; then
	run_case_coroutines coroutine spin
	expect_one "a sleep on a coroutine's stack" "sleep_in_atomic:$SPIN"
	if [ "${ULD_LIBIBERTY:-yes}" = yes ]; then
		fns=$(printf '%s\n' "$json" | "$JQ" -r '.stacks[].frames[].function')
		why="exit $status; functions: $(printf '%s' "$fns" | cut -c1-60 | tr '\n' ' ')"
		printf '%s\n' "$fns" | grep -qxF "void (anonymous namespace)::long_name<$(seq -f 'K<%g>' -s ', ' 0 99) >(bool)" &&
		    ! printf '%s\n' "$fns" | grep -q '^_Z'
		check $? "the long name demangled on a coroutine's stack"
	fi
	run_case_coroutines coroutine mutex
	expect_one "the same under a std::mutex" silent
else
	ok "a sleep on a coroutine's stack # SKIP under ASan the deep stack is a swapcontext but on x86-64"
fi

supp=$workdir/cxx.supp
printf '%s\n' "sleep_in_atomic:$WAIT_FOR" >"$supp"
run_case wait_for spin "suppressions=$supp"
expect_one "a suppression naming the C++ function" silent
run_case wait_until spin "suppressions=$supp"
expect_one "which suppresses nothing else" "sleep_in_atomic:$SPIN"
# A lock constructor named by its C++ name: each object classed by the
# line that constructs it, "(via" the constructor.
if [ "${ULD_LIBIBERTY:-yes}" = yes ]; then
	CTOR="(anonymous namespace)::Lock::Lock()"
	# ':' separates options: '?' stands for each ':' of a C++ name.
	opt="init_wrappers=*??Lock??Lock()"
else
	CTOR=_ZN12_GLOBAL__N_14LockC2Ev
	opt="init_wrappers=_ZN12_GLOBAL__N_14LockC?Ev"
fi
A="$(site tests/preload/cxx_waits.cc "construction of a") (via $CTOR)"
B="$(site tests/preload/cxx_waits.cc "construction of b") (via $CTOR)"
want=$(printf '%s\n' "$A" "$B" | LC_ALL=C sort | paste -sd, -)
run_case ctor_order spin "$opt"
expect_one "ABBA between objects of a C++ lock class" "circular_dependency:$want"
run_case ctor_order mutex "$opt"
expect_one "the same order twice" silent
# A class named *Lock (or *Mutex, *lock, *mutex, *Monitor) is a lock
# constructor by default; init_wrappers= turns that off, and every Lock
# is its constructor's one class.
run_case ctor_order spin
expect_one "ABBA between objects of a C++ lock class, built-in list" "circular_dependency:$want"
run_case ctor_order mutex
expect_one "the same order twice, built-in list" silent
run_case ctor_order spin init_wrappers=
expect_one "init_wrappers= (empty): one class for every Lock" "recursive_locking:$(site tests/preload/cxx_waits.cc "pthread_mutex_init(&m_, nullptr)")"
finish
