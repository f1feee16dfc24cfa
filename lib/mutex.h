/*
 * mutex.h: the validator's own lock.
 *
 * A three-state futex mutex (Drepper, "Futexes are tricky") on raw
 * syscalls.  It is not a pthread mutex on purpose: the interposer wraps
 * pthread_mutex_lock, and the validator must never validate, or wait in,
 * its own locking.  Callers block signals around it, or count a section
 * that the trampoline keeps signals out of (see uld__sig_block), so that
 * a signal handler on the same thread never finds it held.
 *
 * Lock ranks: a thread holding one may only take higher-numbered ones.
 * None is taken inside an RCU read-side critical section, so RCU readers
 * never wait for them; a grace period may therefore be waited for with
 * the graph lock held (a hash table resize, lfht.h) without deadlock.
 *	1. uld__graph_lock	classes, edges, chains, stacks, reports and
 *				the report files (graph.c)
 *	1b. deep_lock		the deep stack (deepstack.c), held while a
 *				report, a libdw lookup or a demangling runs
 *				on it
 *	2. retire_lock		instances waiting for reuse (lockmap.c)
 *	2b. pageidx_lock	the page -> instances index (pageidx.c);
 *				never held with retire_lock but at fork
 *	3. registry_lock	the list of live threads (thread.c)
 *	4. uld__sym_lock	the module and symbol cache (symbols.c)
 *	5a. req_lock		a signal handler's request to the watchdog
 *				to symbolize a frame (symframe.c)
 *	5b. slot_lock		that request's fields, held alone, briefly
 *	5c. frame_lock		the cache of symbolized frames (symframe.c);
 *				held briefly, never across libdw
 *	6. srcline_lock		the Dwfl of each module (srcline.c), held
 *				across libdw calls, with none of 2..5
 * fork() takes all ten in this order, then urcu-bp's (init.c).
 *
 * Each mutex carries its rank (ULD_MUTEX_INIT) and, in a debug build
 * (configure --enable-debug), every lock checks that this thread holds no
 * lock of equal or higher rank and every unlock that it holds this one,
 * from a per-thread mask of the ranks held (mutex.c): a violation prints
 * one line naming both locks and aborts.  In a release build the checks
 * are behind a constant and compile to nothing.
 */
#ifndef ULD_MUTEX_H
#define ULD_MUTEX_H

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The ranks above, in order; 0 (tests only) is never checked. */
enum uld__mutex_rank {
	ULD_RANK_NONE,
	ULD_RANK_GRAPH,		/* 1 */
	ULD_RANK_DEEP,		/* 1b */
	ULD_RANK_RETIRE,	/* 2 */
	ULD_RANK_PAGEIDX,	/* 2b */
	ULD_RANK_REGISTRY,	/* 3 */
	ULD_RANK_SYM,		/* 4 */
	ULD_RANK_REQ,		/* 5a */
	ULD_RANK_SLOT,		/* 5b */
	ULD_RANK_FRAME,		/* 5c */
	ULD_RANK_SRCLINE,	/* 6 */
	ULD_RANK_COUNT
};

typedef struct {
	int state; /* 0 unlocked, 1 locked, 2 locked with waiters */
	int rank;  /* enum uld__mutex_rank */
} uld__mutex_t;

#define ULD_MUTEX_INIT(rank) { 0, (rank) }

/*
 * The rank checks (mutex.c), compiled in every build so that a unit test
 * can call them; uld__mutex_lock and unlock call them only when
 * uld__config_debug.  order_lock aborts if this thread holds a lock of
 * rank >= m's, else notes m held; order_unlock aborts if m is not held,
 * else forgets it; order_forget forgets it unchecked (a lock not taken
 * after all, or reset in a fork child).
 */
void uld__mutex_order_lock(const uld__mutex_t *m);
void uld__mutex_order_unlock(const uld__mutex_t *m);
void uld__mutex_order_forget(const uld__mutex_t *m);

static inline void
uld__mutex_lock(uld__mutex_t *m)
{
	int c = 0;

	if (uld__config_debug)
		uld__mutex_order_lock(m);
	if (__atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE,
	    __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		syscall(SYS_futex, &m->state, FUTEX_WAIT_PRIVATE, 2, NULL,
		    NULL, 0);
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	}
}

static inline void
uld__mutex_unlock(uld__mutex_t *m)
{
	if (uld__config_debug)
		uld__mutex_order_unlock(m);
	if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
		syscall(SYS_futex, &m->state, FUTEX_WAKE_PRIVATE, 1, NULL,
		    NULL, 0);
}

/*
 * uld__mutex_lock that gives up after `ms` milliseconds: 0 when taken, -1
 * when not.  For exit (graph_save.c), which must not hang on a lock that
 * another thread keeps, say while its report waits on a full pipe.
 */
static inline int
uld__mutex_lock_timeout(uld__mutex_t *m, long ms)
{
	struct timespec end, now, left;
	int c = 0;

	/* Checked before trying: an order that can deadlock is wrong even
	 * where the wait would give up. */
	if (uld__config_debug)
		uld__mutex_order_lock(m);
	if (__atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE,
	    __ATOMIC_RELAXED))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += ms % 1000 * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	if (c != 2)
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000;
		}
		/* Giving up leaves the state at 2: the owner's unlock then
		 * makes one needless wake-up, nothing worse. */
		if (left.tv_sec < 0) {
			if (uld__config_debug)
				uld__mutex_order_forget(m);
			return -1;
		}
		syscall(SYS_futex, &m->state, FUTEX_WAIT_PRIVATE, 2, &left,
		    NULL, 0);
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	}
	return 0;
}

/* After fork() the child has one thread: whatever was held is free. */
static inline void
uld__mutex_reset(uld__mutex_t *m)
{
	if (uld__config_debug)
		uld__mutex_order_forget(m);
	m->state = 0;
}



#include <signal.h>

/* Rank 1: classes, edges, chains, stacks and report emission. */
extern uld__mutex_t uld__graph_lock;

/*
 * Set when every handler of the process runs through a trampoline that
 * asks uld_signal_hold() first (irq.c): the preload's.  Then "irqs off"
 * is a thread-local count, and the trampoline keeps a signal that finds
 * it non-zero pending for the kernel (re-queued, blocked in the context
 * it interrupted) until the outermost uld__sig_restore unblocks it.  A
 * signal that never comes costs nothing; one that does, three system
 * calls, where blocking costs two every time.
 */
extern int uld__sig_soft;

/* Per thread (initial-exec TLS, signal-safe): the depth of "irqs off"
 * sections counted for the trampoline, the signals it kept pending during
 * them (bit sig-1), and whether an outer uld__sig_block blocked for real. */
extern __thread unsigned uld__sig_depth __attribute__((tls_model("initial-exec")));
extern __thread unsigned long long uld__sig_held
    __attribute__((tls_model("initial-exec")));
extern __thread int uld__sig_nested __attribute__((tls_model("initial-exec")));

/* How the mask was saved, in the last word of glibc's sigset_t, which the
 * kernel (64 signals) never reads or writes: counted (uld__sig_depth),
 * inside an outer real block (nothing to undo), blocked for real by
 * uld__sig_block (uld__sig_nested to clear); 0, blocked by
 * uld__sig_block_hard. */
#define ULD_SIG_SOFT_MARK 0x756c64736f6674UL /* "uldsoft" */
#define ULD_SIG_NEST_MARK 0x756c646e657374UL /* "uldnest" */
#define ULD_SIG_REAL_MARK 0x756c647265616cUL /* "uldreal" */
#define ULD_SIGSET_LAST(s) ((s)->__val[sizeof((s)->__val) /                 \
	    sizeof((s)->__val[0]) - 1])

/* Block every signal in this thread, whatever the mode: fork(), thread
 * exit, where the guard stays set past the section and nothing would
 * unblock what the trampoline kept.  A raw syscall: the interposer may
 * wrap sigprocmask. */
static inline void
uld__sig_block_hard(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	ULD_SIGSET_LAST(old) = 0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, _NSIG / 8);
}

/*
 * Our "irqs off" around the validator's slow paths, so that no handler
 * runs on this thread while it holds a validator lock or is half-way
 * through an allocation or a table change: counted where the trampoline
 * holds such signals back (uld__sig_soft), else blocked for real.  Only
 * with the re-entry guard set; sections nest.
 */
static inline void
uld__sig_block(sigset_t *old)
{
	if (__atomic_load_n(&uld__sig_soft, __ATOMIC_RELAXED)) {
		ULD_SIGSET_LAST(old) = ULD_SIG_SOFT_MARK;
		uld__sig_depth++;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		return;
	}
	if (uld__sig_nested) {
		ULD_SIGSET_LAST(old) = ULD_SIG_NEST_MARK;
		return;
	}
	uld__sig_block_hard(old);
	ULD_SIGSET_LAST(old) = ULD_SIG_REAL_MARK;
	uld__sig_nested = 1;
}

/* The outermost counted section ends with signals kept: unblock them, and
 * the kernel delivers them now, as it would after a real block (irq.c). */
void uld__sig_release(void);

static inline void
uld__sig_restore(const sigset_t *old)
{
	unsigned long mark = ULD_SIGSET_LAST(old);

	if (mark == ULD_SIG_SOFT_MARK) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		/* Zero first: what is delivered then must run, not be kept
		 * again. */
		if (--uld__sig_depth == 0 &&
		    __builtin_expect(__atomic_load_n(&uld__sig_held,
			__ATOMIC_RELAXED) != 0, 0))
			uld__sig_release();
		return;
	}
	if (mark == ULD_SIG_NEST_MARK)
		return;
	if (mark == ULD_SIG_REAL_MARK)
		uld__sig_nested = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}
/* Enter and leave the validator's graph lock with signals blocked: the
 * shape of every slow path and report. */
static inline void
uld__graph_enter(sigset_t *old)
{
	uld__sig_block(old);
	uld__mutex_lock(&uld__graph_lock);
}

static inline void
uld__graph_leave(const sigset_t *old)
{
	uld__mutex_unlock(&uld__graph_lock);
	uld__sig_restore(old);
}

#endif /* ULD_MUTEX_H */
