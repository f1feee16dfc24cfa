/*
 * cases.c: the lock scenarios of the preload self-test matrix.
 *
 *   cases SCENARIO TYPE
 *
 * TYPE is spin, mutex, rlock (rwlock taken for read), wlock (for write)
 * or mtx (C11's mtx_t, <threads.h>).
 * Each scenario is a plain pthread program: it is run under LD_PRELOAD by
 * matrix.sh, which checks the JSON reports (kind, class names, count).
 * Modelled on lib/locking-selftest.c and liblockdep's tests: threads run
 * one after the other, so nothing really deadlocks unless the scenario
 * says so; the validator must report what *could* deadlock.
 *
 * Mutexes and rwlocks A..D are static, never initialised, so their
 * classes are their variable names: mutex_A, rw_A...  A pthread spinlock
 * has no static initialiser (glibc's unlocked value is 1), nor has a C11
 * mtx_t, so spin_A..D and mtx_A..D are initialised in main() and named
 * with uld_lock_set_class().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "meet.h"
#include "ulockdep/ulockdep.h"

enum type { SPIN, MUTEX, RLOCK, WLOCK, MTX };
static enum type type;

static pthread_spinlock_t spin_A, spin_B, spin_C, spin_D;
static pthread_mutex_t mutex_A = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_B = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_C = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_D = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw_A = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_B = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_C = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_D = PTHREAD_RWLOCK_INITIALIZER;
static mtx_t mtx_A, mtx_B, mtx_C, mtx_D;

/* A static array: every element shares the class table[]. */
static pthread_mutex_t table[4] = { PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER };

static void *
lock_of(char name)
{
	int i = name - 'A';

	switch (type) {
	case SPIN:
		return (void *)(pthread_spinlock_t *[]){ &spin_A, &spin_B, &spin_C,
			&spin_D }[i];
	case MUTEX:
		return (pthread_mutex_t *[]){ &mutex_A, &mutex_B, &mutex_C,
			&mutex_D }[i];
	case MTX:
		return (mtx_t *[]){ &mtx_A, &mtx_B, &mtx_C, &mtx_D }[i];
	default:
		return (pthread_rwlock_t *[]){ &rw_A, &rw_B, &rw_C, &rw_D }[i];
	}
}

static void
lock_p(void *l)
{
	switch (type) {
	case SPIN:
		pthread_spin_lock(l);
		break;
	case MUTEX:
		pthread_mutex_lock(l);
		break;
	case RLOCK:
		pthread_rwlock_rdlock(l);
		break;
	case WLOCK:
		pthread_rwlock_wrlock(l);
		break;
	case MTX:
		mtx_lock(l);
		break;
	}
}

static int
trylock_p(void *l)
{
	switch (type) {
	case SPIN:
		return pthread_spin_trylock(l);
	case MUTEX:
		return pthread_mutex_trylock(l);
	case RLOCK:
		return pthread_rwlock_tryrdlock(l);
	case MTX:
		return mtx_trylock(l) == thrd_success ? 0 : EBUSY;
	default:
		return pthread_rwlock_trywrlock(l);
	}
}

static void
unlock_p(void *l)
{
	switch (type) {
	case SPIN:
		pthread_spin_unlock(l);
		break;
	case MUTEX:
		pthread_mutex_unlock(l);
		break;
	case MTX:
		mtx_unlock(l);
		break;
	default:
		pthread_rwlock_unlock(l);
		break;
	}
}

#define L(x) lock_p(lock_of(#x[0]))
#define U(x) unlock_p(lock_of(#x[0]))
#define T(x) trylock_p(lock_of(#x[0]))
/* "x then y", both released: one dependency x -> y. */
#define LL(x, y) do { L(x); L(y); U(y); U(x); } while (0)

static void
run_thread(void *(*fn)(void *))
{
	pthread_t t;

	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, NULL);
}

/*
 * A thread on a stack the program provides (pthread_attr_setstack), 32 KB,
 * of which the thread itself uses 8 KB: glibc carves every library's
 * static TLS out of such a stack, and the validator's per-thread caches
 * once took 40 KB of it (pthread_create failed with EINVAL).
 */
enum { SMALL_STACK = 32768 };
static void *(*small_fn)(void *);
static void *
t_small(void *arg)
{
	volatile char use[8192];

	memset((char *)use, 1, sizeof(use));
	return small_fn(arg);
}
static void
run_small_stack(void *(*fn)(void *))
{
	pthread_attr_t a;
	pthread_t t;
	void *mem = aligned_alloc(4096, SMALL_STACK);
	int rc = mem == NULL ? ENOMEM : pthread_attr_init(&a);

	if (rc == 0 && (rc = pthread_attr_setstack(&a, mem, SMALL_STACK)) == 0) {
		small_fn = fn;
		rc = pthread_create(&t, &a, t_small, NULL);
		pthread_attr_destroy(&a);
	}
	if (rc != 0) {
		fprintf(stderr, "pthread_create on a %d-byte stack: %s\n",
		    SMALL_STACK, strerror(rc));
		exit(3);
	}
	pthread_join(t, NULL);
	free(mem);
}

/* The same on a coroutine's stack (makecontext), 32 KB: no TLS comes out
 * of it, but the validator's own work on it (libdw's line tables, once
 * 155 KB deep) ran there too. */
static ucontext_t co_main, co_ctx;
static void co_start(void) { small_fn(NULL); }
static void
run_coroutine(void *(*fn)(void *))
{
	void *mem = malloc(SMALL_STACK);

	if (mem == NULL || getcontext(&co_ctx) != 0)
		abort();
	co_ctx.uc_stack.ss_sp = mem;
	co_ctx.uc_stack.ss_size = SMALL_STACK;
	co_ctx.uc_link = &co_main;
	small_fn = fn;
	makecontext(&co_ctx, co_start, 0);
	if (swapcontext(&co_main, &co_ctx) != 0)
		abort();
	free(mem);
}

/* ---- deadlock-graph families (locking-selftest: 6R) ---- */

static void AA(void) { L(A); L(A); U(A); U(A); }
static void AA_try(void) { L(A); if (T(A) == 0) U(A); U(A); }
static void ABBA(void) { LL(A, B); LL(B, A); }
static void ABAB(void) { LL(A, B); LL(A, B); }
static void *t_ab(void *a) { LL(A, B); return a; }
static void *t_ba(void *a) { LL(B, A); return a; }
static void ABBA_threads(void) { run_thread(t_ab); run_thread(t_ba); }
static void ABAB_threads(void) { run_thread(t_ab); run_thread(t_ab); }
static void ABBA_small_stacks(void) { run_small_stack(t_ab); run_small_stack(t_ba); }
static void ABAB_small_stacks(void) { run_small_stack(t_ab); run_small_stack(t_ab); }
static void ABBA_coroutines(void) { run_coroutine(t_ab); run_coroutine(t_ba); }
static void ABAB_coroutines(void) { run_coroutine(t_ab); run_coroutine(t_ab); }
/* A lock made on the coroutine's stack: its class is named by its init
 * site, file:line from libdw, at its first acquisition.  Silent. */
static void *
t_init_heap(void *a)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	if (m == NULL || pthread_mutex_init(m, NULL) != 0)
		abort();
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
	pthread_mutex_destroy(m);
	free(m);
	return a;
}
static void init_coroutine(void) { run_coroutine(t_init_heap); }
static void ABBCCA(void) { LL(A, B); LL(B, C); LL(C, A); }
static void ABBCAC(void) { LL(A, B); LL(B, C); LL(A, C); }
static void ABCABC(void) { LL(A, B); LL(C, A); LL(B, C); }
static void ABBCCDDA(void) { LL(A, B); LL(B, C); LL(C, D); LL(D, A); }
static void ABBCCDAD(void) { LL(A, B); LL(B, C); LL(C, D); LL(A, D); }
static void ABCDBDDA(void) { LL(A, B); LL(C, D); LL(B, D); LL(D, A); }
static void ABCDBCDA(void) { LL(A, B); LL(C, D); LL(B, C); LL(D, A); }
/* The cycle closes through three held locks in one nesting. */
static void ABC_nested_CA(void)
{
	L(A); L(B); L(C); U(C); U(B); U(A);
	LL(C, A);
}

/* ---- bookkeeping ---- */

static void double_unlock(void) { L(A); U(A); U(A); }
static void unlock_once(void) { L(A); U(A); }

static void *
t_hold_a(void *arg)
{
	L(A);
	meet(); /* main unlocks A now (or not) */
	meet();
	U(A); /* the owner releases its own lock (again) */
	(void)arg;
	return NULL;
}
/* Another thread releases a lock this thread holds. */
static void unlock_unowned(void)
{
	pthread_t t;

	meet_init();
	pthread_create(&t, NULL, t_hold_a, NULL);
	meet();
	U(A);
	meet();
	pthread_join(t, NULL);
}
static void unlock_owned(void)
{
	pthread_t t;

	meet_init();
	pthread_create(&t, NULL, t_hold_a, (void *)1);
	meet();
	meet();
	pthread_join(t, NULL);
}

/* ---- trylock ---- */

/* A trylock cannot deadlock: B-then-trylock-A adds no edge B -> A. */
static void trylock_reverse(void)
{
	LL(A, B);
	L(B);
	if (T(A) == 0)
		U(A);
	U(B);
}
/* A lock taken while a trylocked lock is held depends on it. */
static void trylock_then_lock(void)
{
	if (T(A) == 0) {
		L(B);
		U(B);
		U(A);
	}
	LL(B, A);
}

/* ---- timed and clock variants are checked like blocking locks ---- */

static struct timespec
soon(clockid_t clk, long ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

/* Take x with the timed variant (clock variant when `clk`), must succeed. */
static void
timed_lock(char x, int clk)
{
	void *l = lock_of(x);
	struct timespec rt = soon(CLOCK_REALTIME, 5000);
	struct timespec mo = soon(CLOCK_MONOTONIC, 5000);
	int rc = -1;

	switch (type) {
	case MUTEX:
		rc = clk ? pthread_mutex_clocklock(l, CLOCK_MONOTONIC, &mo)
			 : pthread_mutex_timedlock(l, &rt);
		break;
	case RLOCK:
		rc = clk ? pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, &mo)
			 : pthread_rwlock_timedrdlock(l, &rt);
		break;
	case WLOCK:
		rc = clk ? pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &mo)
			 : pthread_rwlock_timedwrlock(l, &rt);
		break;
	case MTX: /* C11 has no clock variant: TIME_UTC is CLOCK_REALTIME */
		rc = mtx_timedlock(l, &rt) == thrd_success ? 0 : -1;
		break;
	default:
		lock_p(l);
		rc = 0;
	}
	if (rc != 0)
		abort();
}
static void timed_ABBA(void)
{
	timed_lock('A', 0); timed_lock('B', 1); U(B); U(A);
	timed_lock('B', 0); timed_lock('A', 1); U(A); U(B);
}
static void timed_ABAB(void)
{
	timed_lock('A', 0); timed_lock('B', 1); U(B); U(A);
	timed_lock('A', 1); timed_lock('B', 0); U(B); U(A);
}
/*
 * A timed lock that times out is not held: the validator must forget it.
 * Were A still on the held stack, B -> A below would look like the reverse
 * of a recorded A -> B.
 */
static void *
t_hold_a_long(void *arg)
{
	L(A);
	meet();
	meet();
	U(A);
	return arg;
}
static void timedlock_timeout(void)
{
	pthread_t t;
	struct timespec rt = soon(CLOCK_REALTIME, 50);

	meet_init();
	pthread_create(&t, NULL, t_hold_a_long, NULL);
	meet();
	int rc = type == MUTEX ? pthread_mutex_timedlock(lock_of('A'), &rt)
	    : type == MTX ? (mtx_timedlock(lock_of('A'), &rt) == thrd_timedout
				? ETIMEDOUT : 0)
			  : pthread_rwlock_timedwrlock(lock_of('A'), &rt);
	if (rc == 0)
		abort(); /* A is held by the thread: must time out */
	L(B);
	U(B);
	meet();
	pthread_join(t, NULL);
	LL(B, A);
}

/* ---- rwlock reader/writer mixing (only meaningful for rwlocks) ---- */

static void rw_read_write_ABBA(void)
{
	pthread_rwlock_rdlock(&rw_A);
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_unlock(&mutex_B);
	pthread_rwlock_unlock(&rw_A);
	pthread_mutex_lock(&mutex_B);
	pthread_rwlock_wrlock(&rw_A);
	pthread_rwlock_unlock(&rw_A);
	pthread_mutex_unlock(&mutex_B);
}
static void rw_read_read_ABBA(void)
{
	pthread_rwlock_rdlock(&rw_A);
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_unlock(&mutex_B);
	pthread_rwlock_unlock(&rw_A);
	pthread_mutex_lock(&mutex_B);
	pthread_rwlock_rdlock(&rw_A);
	pthread_rwlock_unlock(&rw_A);
	pthread_mutex_unlock(&mutex_B);
}
static pthread_rwlock_t rw_fair; /* writer-preferring: readers queue */
static __attribute__((noinline)) void init_fair(void)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&rw_fair, &a); /* @init_fair */
}
static void rw_fair_read_read_ABBA(void)
{
	init_fair();
	pthread_rwlock_rdlock(&rw_fair);
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_unlock(&mutex_B);
	pthread_rwlock_unlock(&rw_fair);
	pthread_mutex_lock(&mutex_B);
	pthread_rwlock_rdlock(&rw_fair);
	pthread_rwlock_unlock(&rw_fair);
	pthread_mutex_unlock(&mutex_B);
}
static void rw_read_twice(void)
{
	pthread_rwlock_rdlock(&rw_A);
	pthread_rwlock_rdlock(&rw_A);
	pthread_rwlock_unlock(&rw_A);
	pthread_rwlock_unlock(&rw_A);
}
static void rw_fair_read_twice(void)
{
	init_fair();
	pthread_rwlock_rdlock(&rw_fair);
	pthread_rwlock_rdlock(&rw_fair);
	pthread_rwlock_unlock(&rw_fair);
	pthread_rwlock_unlock(&rw_fair);
}
static void rw_write_then_read(void)
{
	pthread_rwlock_wrlock(&rw_A);
	if (pthread_rwlock_rdlock(&rw_A) == 0) /* glibc: EDEADLK */
		pthread_rwlock_unlock(&rw_A);
	pthread_rwlock_unlock(&rw_A);
}

/* ---- mutex types ---- */

static pthread_mutex_t rec_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static void recursive_mutex(void)
{
	pthread_mutex_lock(&rec_mutex);
	pthread_mutex_lock(&rec_mutex);
	pthread_mutex_unlock(&rec_mutex);
	pthread_mutex_unlock(&rec_mutex);
}
static pthread_mutex_t err_mutex = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static void errorcheck_relock(void)
{
	pthread_mutex_lock(&err_mutex);
	if (pthread_mutex_lock(&err_mutex) == 0) /* glibc: EDEADLK */
		pthread_mutex_unlock(&err_mutex);
	pthread_mutex_unlock(&err_mutex);
}
static void errorcheck_once(void)
{
	pthread_mutex_lock(&err_mutex);
	pthread_mutex_unlock(&err_mutex);
}

/* A robust mutex whose owner died is handed over: held, not failed. */
static pthread_mutex_t robust;
static void *
t_die_holding(void *arg)
{
	pthread_mutex_lock(&robust);
	return arg; /* exits holding it */
}
static void robust_owner_died(void)
{
	pthread_mutexattr_t a;
	pthread_t t;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a); /* @init_robust */
	pthread_create(&t, NULL, t_die_holding, NULL);
	pthread_join(t, NULL);
	if (pthread_mutex_lock(&robust) != EOWNERDEAD)
		abort();
	pthread_mutex_consistent(&robust);
	pthread_mutex_unlock(&robust);
}

/* ---- fork: the child inherits what the parent learnt ---- */

/* The parent takes A then B and forks; the child takes B then A (against
 * the inherited A -> B), and exits with the validator's status.  The
 * parent itself made no report. */
static void fork_child_inverts(void)
{
	LL(A, B);
	printf("parent=%d\n", (int)getpid());
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		LL(B, A);
		exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child_status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* The parent's watchdog does not survive fork(): the child, which spins
 * on a lock its own thread holds, still gets its spin_timeout. */
static void spin_wait(unsigned long reports, int blocked);
static void fork_child_spins(void)
{
	L(A); /* the parent waits once: its watchdog runs */
	U(A);
	pid_t pid = fork();
	if (pid == 0) {
		spin_wait(1, 0); /* until the child's watchdog reports it */
		exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child_status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- lifetime: destroying held locks, ending threads that hold locks ---- */

static void *x_of(int i);
static void init_pair(void);
static void destroy_p(void *l)
{
	switch (type) {
	case SPIN:
		pthread_spin_destroy(l);
		break;
	case MUTEX:
		pthread_mutex_destroy(l);
		break;
	case MTX:
		mtx_destroy(l);
		break;
	default:
		pthread_rwlock_destroy(l);
		break;
	}
}
static void destroy_held(void)
{
	init_pair();
	lock_p(x_of(0));
	destroy_p(x_of(0)); /* still held */
}
static void destroy_unheld(void)
{
	init_pair();
	lock_p(x_of(0));
	unlock_p(x_of(0));
	destroy_p(x_of(0));
}
/* Takes x (creating it first if `init` is not NULL), holds it while
 * main destroys it, then lets it go. */
static void *
t_hold_x(void *init)
{
	if (init != NULL)
		init_pair();
	lock_p(x_of(0));
	meet(); /* main destroys it now */
	meet();
	unlock_p(x_of(0));
	return NULL;
}
static void
destroy_while_held(int init_in_holder)
{
	pthread_t t;

	if (!init_in_holder)
		init_pair();
	meet_init();
	pthread_create(&t, NULL, t_hold_x, init_in_holder ? &meet_count : NULL);
	meet();
	destroy_p(x_of(0)); /* glibc may refuse (EBUSY): the bug is ours */
	meet();
	pthread_join(t, NULL);
}
static void destroy_held_by_other(void) { destroy_while_held(0); }
/*
 * The same, the lock created by the thread that holds it: the destroyer
 * is not its creator, so it is looked for in other threads' held locks
 * (lockmap.h, `shared`).  And the twin: created, taken and released by
 * main while another thread lives, then destroyed by main: nothing to
 * look for, and nothing held.
 */
static void destroy_held_by_creator(void) { destroy_while_held(1); }
static void *
t_idle(void *arg)
{
	meet();
	meet();
	return arg;
}
static void destroy_own_others_alive(void)
{
	pthread_t t;

	meet_init();
	pthread_create(&t, NULL, t_idle, NULL);
	meet();
	init_pair();
	lock_p(x_of(0));
	unlock_p(x_of(0));
	destroy_p(x_of(0));
	meet();
	pthread_join(t, NULL);
}

static void *t_exit_holding(void *a) { L(A); return a; }
static void *t_exit_clean(void *a) { L(A); U(A); return a; }
static void *t_pthread_exit_holding(void *a)
{
	L(A);
	pthread_exit(a);
}
static void exit_holding(void) { run_thread(t_exit_holding); }
static void exit_clean(void) { run_thread(t_exit_clean); }
static void pthread_exit_holding(void) { run_thread(t_pthread_exit_holding); }
static void main_returns_holding(void) { L(A); }
/* exit() in a critical section (`if (fatal) exit(0);`): the process ends
 * there, which is no thread ending with a lock. */
static void main_exits_holding(void) { L(A); exit(0); }

/* ---- C11 <threads.h>: its threads and waits, under the type's A ---- */

static int t_thrd_exit(void *a)
{
	L(A);
	if (a == NULL)
		U(A);
	thrd_exit(0);
}
static void
run_thrd(void *hold)
{
	thrd_t t;

	thrd_create(&t, t_thrd_exit, hold);
	thrd_join(t, NULL);
}
static void thrd_exit_holding(void) { run_thrd(&type); }
static void thrd_exit_clean(void) { run_thrd(NULL); }
/* A C11 recursive mutex taken twice is no recursion (AA/mtx is). */
static void recursive_mtx(void)
{
	mtx_t r;

	mtx_init(&r, mtx_plain | mtx_recursive);
	mtx_lock(&r);
	mtx_lock(&r);
	mtx_unlock(&r);
	mtx_unlock(&r);
	mtx_destroy(&r);
}
static void c11_thrd_sleep(void)
{
	L(A);
	thrd_sleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	U(A);
}
/* A deadline already past: it returns at once, a wait all the same. */
static void c11_cnd_timedwait(void)
{
	mtx_t m;
	cnd_t cv;
	struct timespec ts;

	mtx_init(&m, mtx_timed);
	cnd_init(&cv);
	timespec_get(&ts, TIME_UTC);
	mtx_lock(&m);
	L(A);
	cnd_timedwait(&cv, &m, &ts);
	U(A);
	mtx_unlock(&m);
	cnd_destroy(&cv);
	mtx_destroy(&m);
}
static int t_c11_return(void *a) { return a != NULL; }
static void c11_thrd_join(void)
{
	thrd_t t;

	thrd_create(&t, t_c11_return, NULL);
	L(A);
	thrd_join(t, NULL);
	U(A);
}

/* ---- sleeping while holding a spinlock ---- */

static void spin_usleep(void)
{
	pthread_spin_lock(&spin_A);
	usleep(1000);
	pthread_spin_unlock(&spin_A);
}
static void mutex_usleep(void)
{
	pthread_mutex_lock(&mutex_A);
	usleep(1000);
	pthread_mutex_unlock(&mutex_A);
}
static void spin_then_mutex(void)
{
	pthread_spin_lock(&spin_A);
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_unlock(&mutex_B);
	pthread_spin_unlock(&spin_A);
}
static void spin_then_trylock_mutex(void)
{
	pthread_spin_lock(&spin_A);
	if (pthread_mutex_trylock(&mutex_B) == 0)
		pthread_mutex_unlock(&mutex_B);
	pthread_spin_unlock(&spin_A);
}
static void spin_cond_timedwait(void)
{
	static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&mutex_B);
	pthread_spin_lock(&spin_A);
	pthread_cond_timedwait(&cv, &mutex_B, &ts);
	pthread_spin_unlock(&spin_A);
	pthread_mutex_unlock(&mutex_B);
}
/* The clock variants of the timed waits (C++'s condition_variable and
 * semaphores use them), each with a deadline already past: it returns at
 * once, but a wait under a spinlock all the same. */
static void
cond_clockwait(int spin)
{
	static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	pthread_mutex_t *m = spin ? &mutex_B : &mutex_A;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&mutex_B);
	if (spin)
		pthread_spin_lock(&spin_A);
	else
		pthread_mutex_lock(&mutex_A);
	pthread_cond_clockwait(&cv, m, CLOCK_MONOTONIC, &ts);
	if (spin)
		pthread_spin_unlock(&spin_A);
	else
		pthread_mutex_unlock(&mutex_A);
	pthread_mutex_unlock(&mutex_B);
}
static void spin_cond_clockwait(void) { cond_clockwait(1); }
static void mutex_cond_clockwait(void) { cond_clockwait(0); }
static void spin_sem_clockwait(void)
{
	sem_t sem;
	struct timespec ts;

	sem_init(&sem, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_spin_lock(&spin_A);
	sem_clockwait(&sem, CLOCK_MONOTONIC, &ts);
	pthread_spin_unlock(&spin_A);
	sem_destroy(&sem);
}
static void spin_sem_trywait(void)
{
	sem_t sem;

	sem_init(&sem, 0, 0);
	pthread_spin_lock(&spin_A);
	sem_trywait(&sem); /* EAGAIN: does not block */
	pthread_spin_unlock(&spin_A);
	sem_destroy(&sem);
}
static void *t_nothing(void *arg) { return arg; }
static void
spin_join(int how)
{
	pthread_t t;
	struct timespec ts;
	int joined = 1;

	pthread_create(&t, NULL, t_nothing, NULL);
	clock_gettime(how == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 10;
	pthread_spin_lock(&spin_A);
	if (how == 0)
		pthread_timedjoin_np(t, NULL, &ts);
	else if (how == 1)
		pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &ts);
	else /* never blocks: EBUSY if t has not ended yet */
		joined = pthread_tryjoin_np(t, NULL) == 0;
	pthread_spin_unlock(&spin_A);
	if (!joined)
		pthread_join(t, NULL);
}
static void spin_timedjoin(void) { spin_join(0); }
static void spin_clockjoin(void) { spin_join(1); }
static void spin_tryjoin(void) { spin_join(2); }
/* Waiting for a child (that exits at once) sleeps; WNOHANG only asks. */
static void
spin_waitchild(int how)
{
	pid_t pid = fork();
	siginfo_t si;

	if (pid == 0)
		_exit(0);
	pthread_spin_lock(&spin_A);
	if (how == 0)
		waitpid(pid, NULL, 0);
	else if (how == 1)
		waitid(P_PID, (id_t)pid, &si, WEXITED);
	else if (how == 2)
		wait(NULL);
	else if (how == 4)
		wait4(pid, NULL, 0, NULL);
	else if (how == 5)
		wait3(NULL, 0, NULL);
	else
		waitpid(pid, NULL, WNOHANG);
	pthread_spin_unlock(&spin_A);
	if (how == 3)
		waitpid(pid, NULL, 0);
}
static void spin_waitpid(void) { spin_waitchild(0); }
static void spin_waitid(void) { spin_waitchild(1); }
static void spin_wait_any(void) { spin_waitchild(2); }
static void spin_waitpid_nohang(void) { spin_waitchild(3); }
static void spin_wait4(void) { spin_waitchild(4); }
static void spin_wait3(void) { spin_waitchild(5); }
/*
 * Calls that wait inside the C library, past the interposed waits: for a
 * child (system, pclose), for other threads (a barrier, of one thread
 * here, so it returns at once), for another process's file lock (flock,
 * lockf, fcntl's record locks and their 64-bit names; a file of our own,
 * so they return at once).  Each is made under the type's A: a sleep
 * under a spinlock, nothing under a mutex.  The forms that never wait
 * (system(NULL), LOCK_NB, F_TLOCK, F_SETLK) are no sleep.
 */
enum libc_wait { W_SYSTEM, W_PCLOSE, W_BARRIER, W_FLOCK, W_LOCKF,
	W_LOCKF64, W_FCNTL, W_FCNTL64, W_FCNTL_OFD, W_SYSTEM_NULL, W_FLOCK_NB,
	W_LOCKF_TLOCK, W_FCNTL_SETLK };
static void
wait_in_libc(enum libc_wait how)
{
	pthread_barrier_t b;
	char path[] = "/tmp/uld-cases.XXXXXX";
	int fd = mkstemp(path);
	FILE *p = popen("true", "r");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct flock64 fl64 = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	pthread_barrier_init(&b, NULL, 1);
	L(A);
	switch (how) {
	case W_SYSTEM: system("true"); break;
	case W_PCLOSE: pclose(p); p = NULL; break;
	case W_BARRIER: pthread_barrier_wait(&b); break;
	case W_FLOCK: flock(fd, LOCK_EX); break;
	case W_LOCKF: lockf(fd, F_LOCK, 0); break;
	case W_LOCKF64: lockf64(fd, F_LOCK, 0); break;
	case W_FCNTL: fcntl(fd, F_SETLKW, &fl); break;
	case W_FCNTL64: fcntl64(fd, F_SETLKW64, &fl64); break;
	case W_FCNTL_OFD: fcntl(fd, F_OFD_SETLKW, &fl); break;
	case W_SYSTEM_NULL: system(NULL); break;
	case W_FLOCK_NB: flock(fd, LOCK_EX | LOCK_NB); break;
	case W_LOCKF_TLOCK: lockf(fd, F_TLOCK, 0); break;
	case W_FCNTL_SETLK: fcntl(fd, F_SETLK, &fl); break;
	}
	U(A);
	if (p != NULL)
		pclose(p);
	pthread_barrier_destroy(&b);
	close(fd);
	unlink(path);
}
static void wait_system(void) { wait_in_libc(W_SYSTEM); }
static void wait_pclose(void) { wait_in_libc(W_PCLOSE); }
static void wait_barrier(void) { wait_in_libc(W_BARRIER); }
static void wait_flock(void) { wait_in_libc(W_FLOCK); }
static void wait_lockf(void) { wait_in_libc(W_LOCKF); }
static void wait_lockf64(void) { wait_in_libc(W_LOCKF64); }
static void wait_fcntl(void) { wait_in_libc(W_FCNTL); }
static void wait_fcntl64(void) { wait_in_libc(W_FCNTL64); }
static void wait_fcntl_ofd(void) { wait_in_libc(W_FCNTL_OFD); }
static void wait_system_null(void) { wait_in_libc(W_SYSTEM_NULL); }
static void wait_flock_nb(void) { wait_in_libc(W_FLOCK_NB); }
static void wait_lockf_tlock(void) { wait_in_libc(W_LOCKF_TLOCK); }
static void wait_fcntl_setlk(void) { wait_in_libc(W_FCNTL_SETLK); }
/* Waiting for a signal (SIGUSR2, blocked and already pending, so each
 * returns at once); a zero timeout only asks. */
static void
spin_sigwaits(int how)
{
	sigset_t set;
	siginfo_t si;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	pthread_spin_lock(&spin_A);
	if (how == 0)
		sigwait(&set, &sig);
	else if (how == 1)
		sigwaitinfo(&set, &si);
	else if (how == 2)
		sigtimedwait(&set, &si, &(struct timespec){ 1, 0 });
	else
		sigtimedwait(&set, &si, &(struct timespec){ 0, 0 });
	pthread_spin_unlock(&spin_A);
}
static void spin_sigwait(void) { spin_sigwaits(0); }
static void spin_sigwaitinfo(void) { spin_sigwaits(1); }
static void spin_sigtimedwait(void) { spin_sigwaits(2); }
static void spin_sigtimedwait_zero(void) { spin_sigwaits(3); }
/* pause() ends when SIGUSR1's handler (which takes no lock) has run.  A
 * helper sends it once the report is out (it is written before pause() is
 * entered), and again every 50 ms until pause() has returned. */
static void on_usr1(int sig) { (void)sig; }
static volatile int paused_out;
static void *
t_wake_pause(void *main_thread)
{
	while (uld_report_count() == 0)
		usleep(1000);
	while (!paused_out) {
		pthread_kill(*(pthread_t *)main_thread, SIGUSR1);
		usleep(50000);
	}
	return NULL;
}
static void spin_pause(void)
{
	pthread_t self = pthread_self(), t;

	signal(SIGUSR1, on_usr1);
	pthread_create(&t, NULL, t_wake_pause, &self);
	pthread_spin_lock(&spin_A);
	pause();
	pthread_spin_unlock(&spin_A);
	paused_out = 1;
	pthread_join(t, NULL);
}
/*
 * A nap under the lock while an interval timer fires every millisecond,
 * its handler taking no lock: under a spinlock the report is written with
 * the timer firing all the while, into the validator's critical sections,
 * which hold each signal back until they end.  Under valgrind, whose
 * sigreturn does not keep a signal the handler left blocked, a held one
 * came straight back for ever and the report was never finished.
 */
static volatile sig_atomic_t ticks;
static void on_tick(int sig) { (void)sig; ticks++; }
static void
nap_timer(int spin)
{
	struct itimerval on = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };

	signal(SIGALRM, on_tick);
	if (spin)
		pthread_spin_lock(&spin_A);
	else
		pthread_mutex_lock(&mutex_A);
	setitimer(ITIMER_REAL, &on, NULL);
	/* The nap is cut short by each tick: enough of them, whatever the
	 * report took. */
	while (ticks < 20)
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	if (spin)
		pthread_spin_unlock(&spin_A);
	else
		pthread_mutex_unlock(&mutex_A);
}
static void spin_nap_timer(void) { nap_timer(1); }
static void mutex_nap_timer(void) { nap_timer(0); }
/* Reading a pipe with data in it returns at once, but a read of a
 * blocking pipe could wait for ever: a sleep under a spinlock all the same. */
static void
spin_read(int nonblock)
{
	int fd[2];
	char c = 'x';

	if (pipe2(fd, nonblock ? O_NONBLOCK : 0) != 0 || write(fd[1], &c, 1) != 1)
		abort();
	pthread_spin_lock(&spin_A);
	if (read(fd[0], &c, 1) != 1)
		abort();
	pthread_spin_unlock(&spin_A);
	close(fd[0]);
	close(fd[1]);
}
static void spin_read_pipe(void) { spin_read(0); }
static void spin_read_nonblock(void) { spin_read(1); }
static void
spin_read_file(void)
{
	char c;
	int fd = open("/proc/self/stat", O_RDONLY);

	pthread_spin_lock(&spin_A);
	if (read(fd, &c, 1) != 1)
		abort();
	pthread_spin_unlock(&spin_A);
	close(fd);
}
/* A futex wait (here one that returns at once: the word differs) is a
 * sleep; a wake is not. */
static void
spin_futex(int op)
{
	int word = 0;

	pthread_spin_lock(&spin_A);
	syscall(SYS_futex, &word, op, 1, NULL, NULL, 0);
	pthread_spin_unlock(&spin_A);
}
static void spin_futex_wait(void) { spin_futex(FUTEX_WAIT_PRIVATE); }
static void spin_futex_wake(void) { spin_futex(FUTEX_WAKE_PRIVATE); }
static void spin_poll_zero(void)
{
	pthread_spin_lock(&spin_A);
	poll(NULL, 0, 0); /* does not block */
	pthread_spin_unlock(&spin_A);
}
static void spin_nested_sleep(void)
{
	pthread_spin_lock(&spin_A);
	pthread_spin_lock(&spin_B);
	nanosleep(&(struct timespec){ 0, 1000 }, NULL);
	pthread_spin_unlock(&spin_B);
	pthread_spin_unlock(&spin_A);
}

/* ---- waits that last: spin_timeout, soft_lockup ---- */

/*
 * How long an owner holds its lock: hold_ms, for the waits that must stay
 * shorter than the threshold (a fixed, short hold), or, when hold_reports
 * is set, until the validator has written that many reports.  The long
 * waits end when the report is out, not after a fixed time: on a loaded
 * machine the watchdog may get the CPU late, and a report takes long to
 * write (symbolizing with libdw at a fraction of a CPU), so any fixed hold
 * can end (and the process exit) before the watchdog has reported.
 * Bounded: a validator that never reports fails the test, never hangs it.
 */
static long hold_ms;
static unsigned long hold_reports;
static int hold_signals_blocked;
#define HOLD_MAX_MS 20000L

static long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000L +
	    (b->tv_nsec - a->tv_nsec) / 1000000L;
}

/* Hold, busy (sleep: 0) or sleeping 10 ms at a time (sleep: 1). */
static void
hold(int sleep)
{
	struct timespec t0, now;
	long limit = hold_reports ? HOLD_MAX_MS : hold_ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (hold_reports && uld_report_count() >= hold_reports)
			break;
		if (sleep)
			usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (ms_between(&t0, &now) < limit);
}

/* Holds spin_A (busy: sleeping under a spinlock is a bug of its own). */
static void *
t_hold_spin(void *arg)
{
	if (hold_signals_blocked) {
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	pthread_spin_lock(&spin_A);
	meet();
	hold(0);
	pthread_spin_unlock(&spin_A);
	return arg;
}
/* spin_A held by another thread for `ms`, or (ms 0) until `reports`
 * reports are out; this thread spins on it meanwhile. */
static void
spin_wait_for(long ms, unsigned long reports, int blocked)
{
	/* Static spinlocks need their init (glibc: unlocked is 1). */
	if (type != SPIN)
		pthread_spin_init(&spin_A, 0);
	pthread_t t;

	hold_ms = ms;
	hold_reports = reports;
	hold_signals_blocked = blocked;
	meet_init();
	pthread_create(&t, NULL, t_hold_spin, NULL);
	meet();
	pthread_spin_lock(&spin_A); /* spins while the thread holds it */
	pthread_spin_unlock(&spin_A);
	pthread_join(t, NULL);
}
static void
spin_wait(unsigned long reports, int blocked)
{
	spin_wait_for(0, reports, blocked);
}
/* spin_timeout: one report. */
static void spin_wait_long(void) { spin_wait(1, 0); }
/* spin_timeout, then soft_lockup: two reports of one wait. */
static void spin_wait_lockup(void) { spin_wait(2, 0); }
static void spin_wait_short(void) { spin_wait_for(50, 0, 0); }
static void spin_wait_owner_blocked(void) { spin_wait(1, 1); }

/*
 * The process exits while the watchdog is writing its report: the report
 * must still come out.  Run with log_path=stdout on a pipe the test does
 * not read yet: this fills the pipe, so the watchdog's write of the text
 * report blocks; the owner releases spin_A once the watchdog is seen in
 * that write (its /proc syscall line), main says "released" on stderr and
 * exits.  The test drains the pipe only then.
 */
static int
wdog_writing_stdout(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d)) != NULL) {
		char path[300], buf[128];
		int fd;
		ssize_t n;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0 || strncmp(buf, "ulockdep-wdog", 13) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/syscall",
		    e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		/* "1 0x1 ...": write(2) (x86-64 number 1) to fd 1. */
		found = strncmp(buf, "1 0x1 ", 6) == 0;
	}
	if (d)
		closedir(d);
	return found;
}
static void *
t_hold_spin_until_writing(void *arg)
{
	struct timespec t0, now;

	pthread_spin_lock(&spin_A);
	meet();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while (!wdog_writing_stdout() && ms_between(&t0, &now) < HOLD_MAX_MS);
	pthread_spin_unlock(&spin_A);
	return arg;
}
static void exit_mid_report(void)
{
	static char fill[1 << 16];
	int size = fcntl(STDOUT_FILENO, F_GETPIPE_SZ);
	pthread_t t;

	if (size <= 0 || size > (int)sizeof(fill)) {
		fprintf(stderr, "stdout is not a pipe of at most 64 KiB\n");
		exit(3);
	}
	memset(fill, '#', sizeof(fill));
	fill[size - 1] = '\n';
	if (write(STDOUT_FILENO, fill, size) != size)
		exit(3);
	if (type != SPIN)
		pthread_spin_init(&spin_A, 0);
	meet_init();
	pthread_create(&t, NULL, t_hold_spin_until_writing, NULL);
	meet();
	pthread_spin_lock(&spin_A);
	pthread_spin_unlock(&spin_A);
	pthread_join(t, NULL);
	if (write(STDERR_FILENO, "released\n", 9) != 9)
		exit(3);
	exit(0);
}

/* Holds mutex_A, sleeping (legal under a mutex). */
static void *
t_hold_mutex(void *arg)
{
	pthread_mutex_lock(&mutex_A);
	meet();
	hold(1);
	pthread_mutex_unlock(&mutex_A);
	return arg;
}
static void
mutex_wait(long ms, unsigned long reports)
{
	pthread_t t;

	hold_ms = ms;
	hold_reports = reports;
	meet_init();
	pthread_create(&t, NULL, t_hold_mutex, NULL);
	meet();
	pthread_mutex_lock(&mutex_A); /* blocks while the thread holds it */
	pthread_mutex_unlock(&mutex_A);
	pthread_join(t, NULL);
}
static void mutex_wait_long(void) { mutex_wait(0, 1); }
static void mutex_wait_short(void) { mutex_wait(100, 0); }

/* How many threads the process has: the watchdog starts only when needed. */
static void
count_threads(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	printf("threads=%d\n", n);
}
static void no_locks_threads(void) { count_threads(); }
static void one_lock_threads(void)
{
	L(A);
	U(A);
	usleep(20000);
	count_threads();
}
static void thread_then_lock_threads(void)
{
	pthread_t t;

	pthread_create(&t, NULL, t_nothing, NULL);
	pthread_join(t, NULL);
	L(A);
	U(A);
	usleep(20000);
	count_threads();
}

/* ---- classes ---- */

static pthread_spinlock_t *x1s, *x2s;
static pthread_mutex_t *x1m, *x2m;
static pthread_rwlock_t *x1r, *x2r;
static mtx_t *x1c, *x2c;

/*
 * Both locks are initialised here: one init site, one class.  One call per
 * lock, like an object constructor (an unrolled init loop would have one
 * call site per copy).
 */
static __attribute__((noinline)) void
init_one(int i)
{
	pthread_spinlock_t *s = malloc(sizeof(*s));
	pthread_mutex_t *m = malloc(sizeof(*m));
	pthread_rwlock_t *r = malloc(sizeof(*r));
	mtx_t *c = malloc(sizeof(*c));

	pthread_spin_init(s, 0); /* @init_one_spin_ */
	pthread_mutex_init(m, NULL); /* @init_one_mutex_ */
	pthread_rwlock_init(r, NULL); /* @init_one_rw_ */
	mtx_init(c, mtx_plain); /* @init_one_mtx_ */
	*(i ? &x2s : &x1s) = s;
	*(i ? &x2m : &x1m) = m;
	*(i ? &x2r : &x1r) = r;
	*(i ? &x2c : &x1c) = c;
}
static void
init_pair(void)
{
	init_one(0);
	init_one(1);
}
static void *
x_of(int i)
{
	return type == SPIN ? (void *)(i ? x2s : x1s)
	    : type == MUTEX ? (void *)(i ? x2m : x1m)
	    : type == MTX   ? (void *)(i ? x2c : x1c)
			    : (void *)(i ? x2r : x1r);
}
/* Two locks of one class nested without annotation. */
static void same_class_nested(void)
{
	init_pair();
	lock_p(x_of(0));
	lock_p(x_of(1));
	unlock_p(x_of(1));
	unlock_p(x_of(0));
}
/* The same, with the inner lock annotated as subclass 1. */
static void same_class_nested_annotated(void)
{
	init_pair();
	uld_lock_set_subclass(x_of(1), 1);
	lock_p(x_of(0));
	lock_p(x_of(1));
	unlock_p(x_of(1));
	unlock_p(x_of(0));
}
/* The same, with the inner lock moved to a named class. */
static void same_class_nested_named(void)
{
	init_pair();
	uld_lock_set_class(x_of(1), NULL, "inner_lock");
	lock_p(x_of(0));
	lock_p(x_of(1));
	unlock_p(x_of(1));
	unlock_p(x_of(0));
}
/* Elements of a static array share one class: nesting two is recursion. */
static void static_array_nested(void)
{
	pthread_mutex_lock(&table[1]);
	pthread_mutex_lock(&table[3]);
	pthread_mutex_unlock(&table[3]);
	pthread_mutex_unlock(&table[1]);
}
static void static_array_single(void)
{
	for (int i = 0; i < 4; i++) {
		pthread_mutex_lock(&table[i]);
		pthread_mutex_unlock(&table[i]);
	}
}

/*
 * A lock at an address where another lock lived: the first is destroyed,
 * a new one initialised at another site in the same memory.  The new lock
 * is a new instance of a new class: its reverse order is no inversion.
 */
static pthread_mutex_t *
region_mutex(void)
{
	static void *mem;

	if (mem == NULL)
		mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mem;
}
static void address_reuse(void)
{
	pthread_mutex_t *m = region_mutex();

	pthread_mutex_init(m, NULL); /* first lock's init site */
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_destroy(m);

	pthread_mutex_init(m, NULL); /* second lock: another site */
	pthread_mutex_lock(m);
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_unlock(m);
	pthread_mutex_destroy(m);
}
/*
 * Heap locks never initialised (zeroed memory is an unlocked mutex, as a
 * C++ std::mutex is): the first, taken inside mutex_A, is freed; the
 * allocator hands the same address out again, and the new lock there is
 * taken outside mutex_A.  Forgotten on free: a new lock, no inversion.
 * Twin (heap_same_lock): one lock, both orders, an inversion.
 */
static __attribute__((noinline)) pthread_mutex_t *
heap_mutex(void)
{
	/* malloc, not calloc: glibc's calloc skips the per-thread cache
	 * that hands a freed block straight back (and the compiler turns
	 * malloc + memset into calloc, unless memset is out of its sight). */
	static void *(*volatile clear)(void *, int, size_t) = memset;
	pthread_mutex_t *m = malloc(sizeof(*m));

	clear(m, 0, sizeof(*m));
	return m;
}
static __attribute__((noinline)) void
lock_inside_A(pthread_mutex_t *m)
{
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_lock(m); /* @lock_inside_A */
	pthread_mutex_unlock(m);
	pthread_mutex_unlock(&mutex_A);
}
static __attribute__((noinline)) void
lock_outside_A(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_unlock(m);
}
static void heap_reuse(void)
{
	pthread_mutex_t *m = heap_mutex();
	/* Through a volatile: the compiler may assume a new block never
	 * equals a freed pointer. */
	volatile uintptr_t first = (uintptr_t)m;

	lock_inside_A(m);
	free(m);
	/* Allocate until the allocator hands that block back (its caches
	 * may hold others of the size first). */
	pthread_mutex_t *m2 = NULL, *other[64];
	int n = 0;
	while (n < 64 && (uintptr_t)(m2 = heap_mutex()) != first)
		other[n++] = m2;
	if (n == 64) /* only meaningful at the same address */
		abort();
	lock_outside_A(m2);
	free(m2);
	while (n > 0)
		free(other[--n]);
}
static void heap_same_lock(void)
{
	pthread_mutex_t *m = heap_mutex();

	lock_inside_A(m);
	lock_outside_A(m);
	free(m);
}
/* Freeing (or moving, or unmapping) memory that holds a held lock. */
static void free_held(void)
{
	pthread_mutex_t *m = heap_mutex();

	pthread_mutex_lock(m); /* @free_held */
	free(m);
}
static void free_unheld(void)
{
	pthread_mutex_t *m = heap_mutex();

	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
	free(m);
}
/* The holder unlocks after the free, so that it does not also end
 * holding the lock.  Its block is not reused meanwhile, and glibc's free
 * writes only the first 16 bytes of it: the lock, further in, still
 * works (a use after free, tolerable in a test of exactly that). */
struct padded {
	char pad[64];
	pthread_mutex_t lock;
};
static void *
hold_then_wait(void *arg)
{
	struct padded *p = arg;

	pthread_mutex_lock(&p->lock); /* @hold_then_wait */
	meet();
	meet();
	pthread_mutex_unlock(&p->lock);
	return NULL;
}
static void free_held_by_other(void)
{
	struct padded *p = malloc(sizeof(*p));
	pthread_t t;

	memset(p, 0, sizeof(*p));
	meet_init();
	pthread_create(&t, NULL, hold_then_wait, p);
	meet();
	free(p);
	meet();
	pthread_join(t, NULL);
}
struct obj {
	char pad[40];
	pthread_mutex_t lock;
};
static void realloc_held(void)
{
	struct obj *o = calloc(1, sizeof(*o));

	pthread_mutex_lock(&o->lock); /* @realloc_held */
	/* Grow it far: the block moves, and the held lock with it. */
	o = realloc(o, 1 << 20);
	free(o);
}
static void realloc_unheld(void)
{
	struct obj *o = calloc(1, sizeof(*o));

	pthread_mutex_lock(&o->lock);
	pthread_mutex_unlock(&o->lock);
	o = realloc(o, 1 << 20);
	free(o);
}
static void munmap_held(void)
{
	pthread_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	pthread_mutex_lock(m); /* @munmap_held */
	munmap(m, 4096);
}
/* The same memory used as the same lock in both orders: an inversion. */
static void address_same_lock(void)
{
	pthread_mutex_t *m = region_mutex();

	pthread_mutex_init(m, NULL); /* @address_same_lock */
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_lock(m);
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_unlock(m);
}

/* ---- no fixed limits: deep nesting, a long cycle ---- */

#define DEEP 200
static pthread_mutex_t deep[DEEP];

/* DEEP locks of DEEP classes, all held at once, in order. */
static void
deep_setup(void)
{
	char name[32];

	for (int i = 0; i < DEEP; i++) {
		pthread_mutex_init(&deep[i], NULL);
		snprintf(name, sizeof(name), "deep_%03d", i);
		uld_lock_set_class(&deep[i], NULL, name);
	}
	for (int i = 0; i < DEEP; i++)
		pthread_mutex_lock(&deep[i]);
	for (int i = DEEP - 1; i >= 0; i--)
		pthread_mutex_unlock(&deep[i]);
}
static void deep_nesting(void) { deep_setup(); }
/* All but the first held, then the first: a cycle through all DEEP
 * classes, reported with DEEP - 1 locks held. */
static void deep_cycle(void)
{
	deep_setup();
	for (int i = 1; i < DEEP; i++)
		pthread_mutex_lock(&deep[i]);
	pthread_mutex_lock(&deep[0]);
	for (int i = 0; i < DEEP; i++)
		pthread_mutex_unlock(&deep[i]);
}

/* ---- keep validating: later bugs are found, repeats are not ---- */

static void *t_cd(void *a) { LL(C, D); return a; }
static void *t_dc(void *a) { LL(D, C); return a; }
static void two_bugs_repeated(void)
{
	ABBA();
	LL(B, A);
	run_thread(t_ba); /* the same bug again, on another thread */
	run_thread(t_cd);
	run_thread(t_dc); /* a second bug */
	run_thread(t_dc);
}

/* ---- many threads, condvars ---- */

#define NTHREADS 8
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int ndone;
static void *
t_ordered(void *arg)
{
	for (int i = 0; i < 200; i++) {
		L(A); L(B); L(C); U(C); U(B); U(A);
	}
	pthread_mutex_lock(&done_lock);
	ndone++;
	pthread_cond_broadcast(&done_cond);
	if (arg) {
		/* Invert only when the others are done: a possible
		 * deadlock, not a real one. */
		while (ndone < NTHREADS)
			pthread_cond_wait(&done_cond, &done_lock);
	}
	pthread_mutex_unlock(&done_lock);
	if (arg)
		LL(C, A);
	return NULL;
}
static void
many(int bad)
{
	pthread_t t[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, t_ordered,
		    (void *)(long)(bad && i == NTHREADS - 1));
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
}
static void many_threads(void) { many(0); }
static void many_threads_one_inverts(void) { many(1); }

static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn, pp_rounds = 2000;
static void *
t_pong(void *arg)
{
	long me = (long)arg;

	pthread_mutex_lock(&pp_lock);
	for (int i = 0; i < pp_rounds; i++) {
		while (pp_turn != me)
			pthread_cond_wait(&pp_cond, &pp_lock);
		pp_turn = !me;
		pthread_cond_broadcast(&pp_cond);
	}
	pthread_mutex_unlock(&pp_lock);
	return NULL;
}
static void condvar_pingpong(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, t_pong, (void *)0L);
	pthread_create(&b, NULL, t_pong, (void *)1L);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
}

/* ---- report before block: a real AB-BA deadlock ---- */

static void *
t_real_ab(void *arg)
{
	L(A);
	meet();
	L(B); /* never granted */
	return arg;
}
static void ABBA_real_deadlock(void)
{
	pthread_t t;

	meet_init();
	pthread_create(&t, NULL, t_real_ab, NULL);
	L(B);
	meet();
	/* Let the thread block on B first; busy, as sleeping while holding
	 * a spinlock would be a bug of its own (sleep_in_atomic). */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - t0.tv_sec) * 1000000000L +
	    (now.tv_nsec - t0.tv_nsec) < 100000000L);
	L(A); /* deadlock: the report is written before this blocks */
	pthread_join(t, NULL);
}

/*
 * A program that uses every kind of lock, in one consistent order, and
 * prints a result that must not change under the validator.
 */
static void consistent_program(void)
{
	static pthread_mutex_t rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	static pthread_mutex_t err = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	static pthread_spinlock_t spin;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	long sum = 0;

	pthread_spin_init(&spin, 0);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&rec);
		pthread_mutex_lock(&rec);
		pthread_rwlock_rdlock(&rw);
		pthread_mutex_lock(&err);
		pthread_spin_lock(&spin);
		sum += i;
		pthread_spin_unlock(&spin);
		pthread_mutex_unlock(&err);
		pthread_rwlock_unlock(&rw);
		pthread_mutex_unlock(&rec);
		if (pthread_mutex_trylock(&err) == 0)
			pthread_mutex_unlock(&err);
		pthread_mutex_unlock(&rec);
	}
	printf("sum=%ld\n", sum);
}

/* The program's own exit status is kept even when it reported. */
static void ABBA_exit3(void) { ABBA(); exit(3); }

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
#define S(n) { #n, n }
	S(AA), S(AA_try), S(ABBA), S(ABAB), S(ABBA_threads), S(ABAB_threads),
	S(ABBA_small_stacks), S(ABAB_small_stacks),
	S(ABBA_coroutines), S(ABAB_coroutines), S(init_coroutine),
	S(ABBCCA), S(ABBCAC), S(ABCABC), S(ABBCCDDA), S(ABBCCDAD),
	S(ABCDBDDA), S(ABCDBCDA), S(ABC_nested_CA),
	S(double_unlock), S(unlock_once), S(unlock_unowned), S(unlock_owned),
	S(trylock_reverse), S(trylock_then_lock),
	S(timed_ABBA), S(timed_ABAB), S(timedlock_timeout),
	S(rw_read_write_ABBA), S(rw_read_read_ABBA), S(rw_fair_read_read_ABBA),
	S(rw_read_twice), S(rw_fair_read_twice), S(rw_write_then_read),
	S(recursive_mutex), S(errorcheck_relock), S(errorcheck_once),
	S(robust_owner_died),
	S(fork_child_inverts), S(fork_child_spins),
	S(destroy_held), S(destroy_unheld), S(destroy_held_by_other),
	S(destroy_held_by_creator), S(destroy_own_others_alive),
	S(exit_holding), S(exit_clean), S(pthread_exit_holding),
	S(main_returns_holding), S(main_exits_holding),
	S(thrd_exit_holding), S(thrd_exit_clean), S(recursive_mtx),
	S(c11_thrd_sleep), S(c11_cnd_timedwait), S(c11_thrd_join),
	S(spin_usleep), S(mutex_usleep), S(spin_then_mutex),
	S(spin_then_trylock_mutex), S(spin_cond_timedwait), S(spin_poll_zero),
	S(spin_cond_clockwait), S(mutex_cond_clockwait), S(spin_sem_clockwait),
	S(spin_sem_trywait), S(spin_timedjoin), S(spin_clockjoin),
	S(spin_tryjoin), S(spin_waitpid), S(spin_waitid), S(spin_wait_any),
	S(spin_waitpid_nohang), S(spin_wait4), S(spin_wait3),
	S(wait_system), S(wait_pclose), S(wait_barrier), S(wait_flock),
	S(wait_lockf), S(wait_lockf64), S(wait_fcntl), S(wait_fcntl64),
	S(wait_fcntl_ofd), S(wait_system_null), S(wait_flock_nb),
	S(wait_lockf_tlock), S(wait_fcntl_setlk), S(spin_sigwait), S(spin_sigwaitinfo),
	S(spin_sigtimedwait), S(spin_sigtimedwait_zero), S(spin_pause),
	S(spin_nap_timer), S(mutex_nap_timer),
	S(spin_read_pipe), S(spin_read_nonblock), S(spin_read_file),
	S(spin_futex_wait), S(spin_futex_wake),
	S(spin_nested_sleep),
	S(spin_wait_long), S(spin_wait_lockup), S(spin_wait_short),
	S(spin_wait_owner_blocked), S(exit_mid_report),
	S(mutex_wait_long), S(mutex_wait_short),
	S(no_locks_threads), S(one_lock_threads), S(thread_then_lock_threads),
	S(same_class_nested), S(same_class_nested_annotated),
	S(same_class_nested_named), S(static_array_nested),
	S(static_array_single), S(address_reuse), S(address_same_lock),
	S(heap_reuse), S(heap_same_lock), S(free_held), S(free_unheld),
	S(free_held_by_other), S(realloc_held), S(realloc_unheld), S(munmap_held),
	S(many_threads), S(many_threads_one_inverts), S(condvar_pingpong),
	S(deep_nesting), S(deep_cycle), S(two_bugs_repeated),
	S(ABBA_real_deadlock), S(consistent_program), S(ABBA_exit3),
#undef S
};

int
main(int argc, char **argv)
{
	static const char *const types[] = { "spin", "mutex", "rlock",
		"wlock", "mtx" };

	if (argc != 3)
		goto usage;
	for (type = SPIN; type <= MTX; type++)
		if (strcmp(argv[2], types[type]) == 0)
			break;
	if (type > MTX)
		goto usage;
	/* No static initialiser: initialised and named here. */
	if (type == SPIN || type == MTX) {
		for (int i = 0; i < 4; i++) {
			char name[8];
			snprintf(name, sizeof(name), "%s_%c",
			    type == SPIN ? "spin" : "mtx", 'A' + i);
			if (type == SPIN)
				pthread_spin_init(lock_of('A' + i), 0);
			else
				mtx_init(lock_of('A' + i), mtx_timed);
			uld_lock_set_class(lock_of('A' + i), NULL, name);
		}
	}
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].fn();
			return 0;
		}
usage:
	fprintf(stderr, "usage: cases SCENARIO spin|mutex|rlock|wlock|mtx\n");
	return 2;
}
