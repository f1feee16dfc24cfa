/*
 * signal.c: signal handlers and signal masks -> <ulockdep/signal.h>.
 *
 * ulockdep treats a signal handler as interrupt context and a blocked
 * signal as an interrupt disabled; the core decides, this file only tells
 * it what happens:
 *
 *  - every handler installed through sigaction, signal, bsd_signal,
 *    sysv_signal or sigset runs through one trampoline, which the kernel
 *    holds in its place (with the user's flags plus SA_SIGINFO, and the
 *    user's sa_mask); the trampoline brackets the user's handler with
 *    uld_signal_enter() and uld_signal_exit();
 *  - the mask calls (pthread_sigmask, sigprocmask, sighold...) report the
 *    thread's new mask, the waits with a temporary mask (sigsuspend,
 *    ppoll, pselect, epoll_pwait) that mask, and the non-local jumps
 *    (siglongjmp, longjmp...) the mask they restore.
 *
 * The program must see no difference: reading an action back gives the
 * user's handler and flags, never the trampoline; errors come from the C
 * library's own calls; errno is kept everywhere.  The trampoline and every
 * wrapper are async-signal-safe (sigaction and sigprocmask are, and may be
 * called from handlers): the handler table is read with atomics only.
 *
 * Not ours: glibc's __sigaction (the watchdog installs its sampling
 * handler with it, past this file), handlers installed by raw syscall, and
 * the C library's own calls to its internal sigaction, which do not pass
 * here: siginterrupt() reads our trampoline and writes it back with
 * SA_RESTART changed, sigignore() replaces it with SIG_IGN.  Both are
 * harmless, as every read-back below starts from what the kernel holds.
 */
/* Under _FORTIFY_SOURCE glibc's headers turn longjmp and ppoll into
 * inline wrappers and redirections, which we could not define. */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__has_include) && __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

#include "real.h"
#include "ulockdep/signal.h"
#include "ulockdep/ulockdep.h"

#define NSIGS 64 /* Linux: signals 1..64, the first word of a sigset_t */

static inline uint64_t
bit(int sig)
{
	return 1ULL << (sig - 1);
}

/* glibc's sigset_t holds signals 1..64 in its first word (the kernel's
 * whole sigset); the rest is never looked at. */
static inline uint64_t
word_of(const sigset_t *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

static inline void
set_of(sigset_t *s, uint64_t w)
{
	memset(s, 0, sizeof(*s));
	memcpy(s, &w, sizeof(w));
}

/* Signals a mask never holds: the kernel drops SIGKILL and SIGSTOP,
 * glibc its own SIGCANCEL (32) and SIGSETXID (33). */
static const uint64_t unblockable = (1ULL << (SIGKILL - 1)) |
    (1ULL << (SIGSTOP - 1)) | (1ULL << 31) | (1ULL << 32);

/* ---- the handler table ---- */

/* What the user asked for, which the trampoline carries out. */
struct handler {
	void *fn;	/* sa_handler or sa_sigaction: a real handler */
	int flags;	/* the user's sa_flags */
	uint64_t mask;	/* the user's sa_mask */
};

/*
 * One entry per signal.  The trampoline reads the published slot,
 * slot[seq & 1], and reads seq again: a writer fills the other slot and
 * only then bumps seq, so a slot being filled is never the published one,
 * and a reader that overlapped two updates sees seq move and reads again.
 * Writers are serialised by table_lock, with every signal blocked, so a
 * handler never runs on a thread in the middle of a write.
 *
 * A slot only ever holds a real handler: installing SIG_DFL or SIG_IGN
 * leaves the last one published, since a signal delivered to the
 * trampoline just before the kernel forgets it must still find a handler.
 */
static struct entry {
	unsigned seq;
	struct handler slot[2];
	/* Under table_lock: the last action set through us was a handler,
	 * that is, the kernel holds the trampoline or the SIG_DFL that
	 * SA_RESETHAND left in its place. */
	int ours;
} table[NSIGS + 1];

static int table_busy;		/* table_lock */
static sigset_t fork_mask;	/* the forking thread's mask, under the lock */

/* Takes the writers' lock with every signal blocked, by raw syscall: a
 * change of mask this short is not the program's. */
static void
table_lock(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, _NSIG / 8);
	while (__atomic_exchange_n(&table_busy, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void
table_unlock(const sigset_t *old)
{
	__atomic_store_n(&table_busy, 0, __ATOMIC_RELEASE);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

/* fork with the lock free, or the child could never take it again. */
static void
fork_prepare(void)
{
	sigset_t old;

	table_lock(&old);
	fork_mask = old;
}

static void
fork_done(void)
{
	sigset_t old = fork_mask;

	table_unlock(&old);
}

/* This thread's ids, for re-queueing a held signal to it (hold()): glibc
 * caches neither, and a system call each is what holding saves.  0 until
 * first needed; the fork child, another process, reads them again. */
static __thread pid_t my_pid, my_tid __attribute__((tls_model("initial-exec")));

static void
fork_child_done(void)
{
	my_pid = my_tid = 0;
	fork_done();
}

static void run_deferred(void);

/*
 * Holding (hold()) relies on sigreturn restoring the mask the handler left
 * in its ucontext, as the kernel's does.  Valgrind restores the mask it
 * saved itself: there a held signal came straight back, for ever, and a
 * report being written when an interval timer fired was never finished.
 * Valgrind is asked by its client request, a no-op sequence of
 * instructions elsewhere (not by sending ourselves a signal to see, which
 * would stop a program run under gdb at start-up).
 */
static int
sigreturn_keeps_mask(void)
{
#if defined(__has_include) && __has_include(<valgrind/valgrind.h>)
	return !RUNNING_ON_VALGRIND;
#else
	return 1;
#endif
}

__attribute__((constructor)) static void
signal_init(void)
{
	pthread_atfork(fork_prepare, fork_done, fork_child_done);
	/* Every handler passes through the trampoline, which holds it back
	 * while the validator is in a critical section (hold()): the core
	 * need not block signals around them, where sigreturn lets a handler
	 * leave one blocked.  And it defers it while the validator is busy,
	 * if defer_signals=1 says so. */
	if (sigreturn_keeps_mask())
		uld_signal_set_holding();
	uld_signal_set_deferred(run_deferred);
}

static void
read_handler(int sig, struct handler *h)
{
	const struct entry *e = &table[sig];
	unsigned seq;

	do {
		seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		const struct handler *s = &e->slot[seq & 1];
		h->fn = __atomic_load_n(&s->fn, __ATOMIC_RELAXED);
		h->flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
		h->mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq);
}

/* Under table_lock. */
static void
publish(int sig, const struct handler *h)
{
	struct entry *e = &table[sig];
	unsigned seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
	struct handler *s = &e->slot[(seq + 1) & 1];

	/* A reader that sees these stores must also see the seq it started
	 * from replaced (the last writer's bump comes before them). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->fn, h->fn, __ATOMIC_RELAXED);
	__atomic_store_n(&s->flags, h->flags, __ATOMIC_RELAXED);
	__atomic_store_n(&s->mask, h->mask, __ATOMIC_RELAXED);
	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELEASE);
}

/* ---- the trampoline ---- */

static void trampoline(int sig, siginfo_t *si, void *ucv);

/* The mask a handler runs with, as the kernel sets it: the interrupted
 * one, plus sa_mask, plus the signal itself unless SA_NODEFER. */
static uint64_t
handler_mask(int sig, const struct handler *h, uint64_t interrupted)
{
	uint64_t d = interrupted | h->mask;

	if (!(h->flags & SA_NODEFER))
		d |= bit(sig);
	return d & ~unblockable;
}

/* The user's handler, bracketed for the core.  Not inlined: its frame is
 * the one the core watches for a siglongjmp() out of the handler. */
static __attribute__((noinline)) void
run_handler(int sig, siginfo_t *si, ucontext_t *uc, const struct handler *h,
    const stack_t *altstack, int saved)
{
	sigset_t during;

	set_of(&during, handler_mask(sig, h, word_of(&uc->uc_sigmask)));
	unsigned long cookie = uld_signal_enter(sig, si->si_code, &during,
	    __builtin_frame_address(0), altstack);
	errno = saved;
	if (h->flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h->fn)(sig, si, uc);
	else
		((void (*)(int))h->fn)(sig);
	/* What the handler left in errno is what the interrupted code
	 * finds, as without us. */
	saved = errno;
	uld_signal_exit(cookie, &uc->uc_sigmask);
	errno = saved;
}

/*
 * Handlers that arrived while the validator was busy on their thread
 * (uld_signal_defer), kept until it is done.  Slots are claimed by
 * compare-and-swap, as a second signal may arrive while a first one is
 * being kept; a standard signal already kept is not kept twice, as the
 * kernel keeps one pending.  When all are full, the handler runs at once,
 * unvalidated, as it would without deferral (a storm of queued signals
 * while the validator holds a lock: a handler that then left by
 * siglongjmp() would abandon the lock; 32 slots make that unlikely).
 * The ucontext is not kept (a kilobyte): a deferred handler is given one
 * of where it runs, which is also where the signal was held.
 */
#define NDEFER 32

/*
 * What a siginfo_t carries: the kernel's own is 48 bytes on 64-bit Linux
 * (kernel_siginfo_t: three ints and the largest union member, a fault's
 * address and bounds), and the 128 bytes a handler is given are those
 * and zeros; sigqueueinfo refuses a siginfo with more (E2BIG).  Kept at
 * that size, the 32 slots are 2.8 KB of every thread's static TLS, not
 * 5.4: TLS that a stack of the program's own must make room for.
 */
#define SI_KEPT 48
_Static_assert(SI_KEPT <= sizeof(siginfo_t), "siginfo_t is larger");

enum { SLOT_FREE, SLOT_FILLING, SLOT_KEPT, SLOT_TAKEN };

struct deferred {
	int state;
	int sig;
	unsigned long seq;	/* arrival order */
	struct handler h;
	unsigned char si[SI_KEPT];
};

static __thread struct deferred deferred[NDEFER]
    __attribute__((tls_model("initial-exec")));
static __thread unsigned long deferred_seq
    __attribute__((tls_model("initial-exec")));
/* What the kernel would block while a kept handler runs (run_deferred). */
static __thread uint64_t emu_blocked
    __attribute__((tls_model("initial-exec")));

/* A signal raised by the instruction that faulted must be handled now:
 * returning would only fault again. */
static int
is_fault(int sig, const siginfo_t *si)
{
	return si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS ||
	    sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS);
}

/* Keep the signal for later; 0 if there is no room. */
static int
keep(int sig, const siginfo_t *si, const struct handler *h)
{
	struct deferred *d = NULL;

	/* Only against slots kept whole: one being filled, by the keep()
	 * this signal interrupted, may not hold its signal number yet. */
	for (int i = 0; i < NDEFER; i++) {
		int st = __atomic_load_n(&deferred[i].state, __ATOMIC_RELAXED);
		if (sig < SIGRTMIN && st == SLOT_KEPT && deferred[i].sig == sig)
			return 1;
	}
	for (int i = 0; i < NDEFER && d == NULL; i++) {
		int free_state = SLOT_FREE;
		if (__atomic_compare_exchange_n(&deferred[i].state, &free_state,
		    SLOT_FILLING, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			d = &deferred[i];
	}
	if (d == NULL)
		return 0;
	d->sig = sig;
	d->seq = deferred_seq++;
	d->h = *h;
	memcpy(d->si, si, sizeof(d->si));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&d->state, SLOT_KEPT, __ATOMIC_RELAXED);
	return 1;
}

/* The validator is done on this thread (uld_signal_set_deferred): run
 * what was kept, oldest first, each with its handler's mask in force. */
static void
run_deferred(void)
{
	for (;;) {
		struct deferred *d = NULL;
		for (int i = 0; i < NDEFER; i++) {
			struct deferred *c = &deferred[i];
			if (__atomic_load_n(&c->state, __ATOMIC_RELAXED) ==
				SLOT_KEPT && (d == NULL || c->seq < d->seq))
				d = c;
		}
		if (d == NULL)
			return;
		int kept = SLOT_KEPT;
		if (!__atomic_compare_exchange_n(&d->state, &kept, SLOT_TAKEN,
		    0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue; /* a nested run took it */

		int sig = d->sig;
		struct handler h = d->h;
		siginfo_t si;
		ucontext_t uc;
		memset(&si, 0, sizeof(si));
		memcpy(&si, d->si, sizeof(d->si));
		__atomic_store_n(&d->state, SLOT_FREE, __ATOMIC_RELAXED);

		/*
		 * As the kernel would, the handler's mask in force while it
		 * runs; but not by system calls, two per signal, which a
		 * storm cannot afford: a signal that mask holds arriving now
		 * is kept (trampoline), and run by this loop after it.  The
		 * mask it leaves in uc_sigmask is set, as sigreturn does.
		 */
		memset(&uc, 0, sizeof(uc));
#if defined(__x86_64__)
		uc.uc_mcontext.fpregs = &uc.__fpregs_mem;
#endif
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &uc.uc_sigmask,
		    _NSIG / 8);
		uint64_t was = emu_blocked, before = word_of(&uc.uc_sigmask);
		emu_blocked |= handler_mask(sig, &h, 0);
		run_handler(sig, &si, &uc, &h, NULL, errno);
		emu_blocked = was;
		if (word_of(&uc.uc_sigmask) != before)
			syscall(SYS_rt_sigprocmask, SIG_SETMASK, &uc.uc_sigmask,
			    NULL, _NSIG / 8);
	}
}

/*
 * A handler whose disposition the kernel reset as it delivered the signal
 * to us (SA_RESETHAND) would meet SIG_DFL when delivered again: put the
 * trampoline back, which the kernel resets again on the real delivery.
 * Unless the program installed something else meanwhile.
 */
static void
rearm(int sig, const struct handler *h)
{
	struct sigaction cur, act;
	sigset_t old;

	table_lock(&old);
	if (REAL(sigaction)(sig, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL &&
	    table[sig].ours) {
		memset(&act, 0, sizeof(act));
		act.sa_sigaction = trampoline;
		act.sa_flags = h->flags | SA_SIGINFO;
		set_of(&act.sa_mask, h->mask);
		REAL(sigaction)(sig, &act, NULL);
	}
	table_unlock(&old);
}

/*
 * The validator is in a critical section on this thread (uld_signal_hold):
 * leave the signal to the kernel, pending and blocked where it arrived,
 * for the section's end to unblock.  Sent again to this thread with its
 * own siginfo (to ourselves any si_code is allowed): a standard signal
 * already pending merges with it, as it would have while blocked; a
 * real-time one queues, behind those of its number sent meanwhile.  0 if
 * it cannot be (the queue of real-time signals full for long): the handler
 * then runs now, unvalidated, as one installed past us would.
 */
static int
hold(int sig, siginfo_t *si, ucontext_t *uc, const struct handler *h)
{
	/* Not blocked while we run (SA_NODEFER): it would come straight
	 * back, and back again.  The mask sigreturn restores is set below. */
	if (!(handler_mask(sig, h, 0) & bit(sig))) {
		sigset_t one;
		set_of(&one, bit(sig));
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, &one, NULL, _NSIG / 8);
	}
	if (h->flags & SA_RESETHAND)
		rearm(sig, h);
	if (my_tid == 0) {
		my_pid = (pid_t)syscall(SYS_getpid);
		my_tid = (pid_t)syscall(SYS_gettid);
	}
	for (int i = 0;; i++) {
		if (syscall(SYS_rt_tgsigqueueinfo, my_pid, my_tid, sig, si) == 0)
			break;
		/* The queue is full: ours was just taken off it, another
		 * thread's sender took the room.  Let the others run. */
		if (errno != EAGAIN || i == 16)
			return 0;
		sched_yield();
	}
	sigaddset(&uc->uc_sigmask, sig);
	return 1;
}

static void
trampoline(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	ucontext_t *uc = ucv;
	struct handler h;

	read_handler(sig, &h);
	/* A fault runs now: returning would only fault again. */
	if (!is_fault(sig, si)) {
		/* Busy validator, defer_signals=1: the handler runs when it is
		 * done (signal.h). */
		if (((emu_blocked & bit(sig)) || uld_signal_defer()) &&
		    keep(sig, si, &h)) {
			errno = saved;
			return;
		}
		/* In one of its critical sections: when that ends. */
		if (uld_signal_hold(sig) && hold(sig, si, uc, &h)) {
			errno = saved;
			return;
		}
	}
	run_handler(sig, si, uc, &h, &uc->uc_stack, saved);
}

/* ---- installing and reading back actions ---- */

/* SIG_DFL, SIG_IGN, SIG_ERR and other small values are not handlers: they
 * go to the kernel as they are, and so does what it makes of them. */
static inline int
is_handler(void *fn)
{
	return (uintptr_t)fn >= 4096 && fn != (void *)SIG_ERR;
}

/* Also the body of signal(), sysv_signal() and sigset(). */
static int
do_sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	if (sig < 1 || sig > NSIGS)
		return REAL(sigaction)(sig, act, oldact);

	struct sigaction kact, kold;
	struct handler mine, was;
	int wrap = act != NULL && is_handler((void *)act->sa_sigaction);
	sigset_t old;

	/* Copied first: a caller may pass one struct as both (restrict
	 * forbids it; glibc and the kernel cope). */
	if (wrap) {
		kact = *act;
		kact.sa_sigaction = trampoline;
		kact.sa_flags |= SA_SIGINFO;
		mine.fn = (void *)act->sa_sigaction;
		mine.flags = act->sa_flags;
		mine.mask = word_of(&act->sa_mask);
		act = &kact;
	}
	table_lock(&old);
	struct entry *e = &table[sig];
	int was_ours = e->ours;
	read_handler(sig, &was);
	/* Published before the kernel points at the trampoline. */
	if (wrap)
		publish(sig, &mine);
	int rc = REAL(sigaction)(sig, act, oldact != NULL ? &kold : NULL);
	int err = errno;
	if (rc != 0) {
		if (wrap)
			publish(sig, &was);
	} else if (act != NULL) {
		e->ours = wrap;
	}
	table_unlock(&old);
	if (rc == 0 && wrap)
		uld_signal_installed(sig);
	if (rc == 0 && oldact != NULL) {
		if (kold.sa_sigaction == trampoline) {
			kold.sa_sigaction = (void (*)(int, siginfo_t *, void *))
			    was.fn;
			kold.sa_flags = (kold.sa_flags & ~SA_SIGINFO) |
			    (was.flags & SA_SIGINFO);
		} else if (was_ours && kold.sa_handler == SIG_DFL &&
		    (was.flags & SA_RESETHAND)) {
			/* The kernel reset our trampoline on delivery and kept
			 * its flags, our SA_SIGINFO among them. */
			kold.sa_flags = (kold.sa_flags & ~SA_SIGINFO) |
			    (was.flags & SA_SIGINFO);
		}
		*oldact = kold;
	}
	errno = err;
	return rc;
}

ULD_INTERCEPTOR int
sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	return do_sigaction(sig, act, oldact);
}

/*
 * glibc's signal() keeps a set of signals that siginterrupt() made
 * interrupting (no SA_RESTART), private to it; this is our copy, since
 * our signal() replaces its.
 */
static uint64_t interrupting;

ULD_INTERCEPTOR int
siginterrupt(int sig, int flag)
{
	int rc = REAL(siginterrupt)(sig, flag);

	if (rc == 0 && sig >= 1 && sig <= NSIGS) {
		if (flag)
			__atomic_fetch_or(&interrupting, bit(sig),
			    __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&interrupting, ~bit(sig),
			    __ATOMIC_RELAXED);
	}
	return rc;
}

/* An action with `handler`, an sa_mask of `mask` and `flags`, as
 * glibc's signal functions build it; returns the previous handler. */
static __sighandler_t
set_handler(int sig, __sighandler_t handler, uint64_t mask, int flags)
{
	struct sigaction act, oact;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	set_of(&act.sa_mask, mask);
	act.sa_flags = flags;
	if (do_sigaction(sig, &act, &oact) < 0)
		return SIG_ERR;
	return oact.sa_handler;
}

/* BSD semantics, as glibc 2.36: the signal blocked while its handler runs,
 * system calls restarted unless siginterrupt() said otherwise. */
static __sighandler_t
bsd_handler(int sig, __sighandler_t handler)
{
	if (handler == SIG_ERR || sig < 1 || sig > NSIGS || sig == 32 ||
	    sig == 33) {
		errno = EINVAL;
		return SIG_ERR;
	}
	int intr = (__atomic_load_n(&interrupting, __ATOMIC_RELAXED) &
	    bit(sig)) != 0;
	return set_handler(sig, handler, bit(sig), intr ? 0 : SA_RESTART);
}

ULD_INTERCEPTOR __sighandler_t
signal(int sig, __sighandler_t handler)
{
	return bsd_handler(sig, handler);
}

/* Gone from signal.h since POSIX 2008; still in the C library. */
extern __sighandler_t bsd_signal(int, __sighandler_t);

ULD_INTERCEPTOR __sighandler_t
bsd_signal(int sig, __sighandler_t handler)
{
	return bsd_handler(sig, handler);
}

ULD_INTERCEPTOR __sighandler_t
ssignal(int sig, __sighandler_t handler)
{
	return bsd_handler(sig, handler);
}

/* System V semantics: the handler runs once (SA_RESETHAND), with the
 * signal not blocked (SA_NODEFER), and interrupts system calls. */
static __sighandler_t
sysv_handler(int sig, __sighandler_t handler)
{
	if (handler == SIG_ERR || sig < 1 || sig > NSIGS) {
		errno = EINVAL;
		return SIG_ERR;
	}
	return set_handler(sig, handler, 0,
	    SA_RESETHAND | SA_NODEFER | SA_INTERRUPT);
}

ULD_INTERCEPTOR __sighandler_t
sysv_signal(int sig, __sighandler_t handler)
{
	return sysv_handler(sig, handler);
}

/* What signal() is under strict X/Open (signal.h redirects it). */
ULD_INTERCEPTOR __sighandler_t
__sysv_signal(int sig, __sighandler_t handler)
{
	return sysv_handler(sig, handler);
}

/* ---- masks ---- */

/*
 * The thread's mask went from `old` to what `how` makes of `set`.
 * Inlined, as mask_reread: the core's report of where a signal was
 * enabled then starts at the wrapper named after the program's call.
 */
static inline __attribute__((always_inline)) void
mask_changed(int how, uint64_t set, const sigset_t *old)
{
	uint64_t now = word_of(old);
	sigset_t s;

	switch (how) {
	case SIG_BLOCK:
		now |= set;
		break;
	case SIG_UNBLOCK:
		now &= ~set;
		break;
	case SIG_SETMASK:
		now = set;
		break;
	default:
		return;
	}
	set_of(&s, now & ~unblockable);
	uld_signal_mask(&s);
}

/* After a call that changed the mask in a way not worth computing. */
static inline __attribute__((always_inline)) void
mask_reread(void)
{
	sigset_t s;

	if (REAL(pthread_sigmask)(SIG_BLOCK, NULL, &s) == 0)
		uld_signal_mask(&s);
}

/*
 * pthread_sigmask and sigprocmask (their error conventions differ, their
 * work not): read `set` first, in case oldset is the same (as for
 * sigaction); the old mask is needed even when the caller does not want
 * it.
 */
static inline __attribute__((always_inline)) int
mask_call(int (*real)(int, const sigset_t *, sigset_t *), int how,
    const sigset_t *set, sigset_t *oldset)
{
	if (set == NULL)
		return real(how, set, oldset);

	uint64_t want = word_of(set);
	sigset_t mine;
	sigset_t *old = oldset != NULL ? oldset : &mine;
	int rc = real(how, set, old);
	if (rc == 0)
		mask_changed(how, want, old);
	return rc;
}

ULD_INTERCEPTOR int
pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)
{
	return mask_call(REAL(pthread_sigmask), how, set, oldset);
}

/* Also the body of sigset(). */
static int
do_sigprocmask(int how, const sigset_t *set, sigset_t *oldset)
{
	return mask_call(REAL(sigprocmask), how, set, oldset);
}

ULD_INTERCEPTOR int
sigprocmask(int how, const sigset_t *set, sigset_t *oldset)
{
	return do_sigprocmask(how, set, oldset);
}

/* The System V and BSD forms change the mask inside the C library, out
 * of our sight: the new mask is read back. */
ULD_INTERCEPTOR int
sighold(int sig)
{
	int rc = REAL(sighold)(sig);

	if (rc == 0)
		mask_reread();
	return rc;
}

ULD_INTERCEPTOR int
sigrelse(int sig)
{
	int rc = REAL(sigrelse)(sig);

	if (rc == 0)
		mask_reread();
	return rc;
}

ULD_INTERCEPTOR int
sigblock(int mask)
{
	int was = REAL(sigblock)(mask);

	mask_reread();
	return was;
}

ULD_INTERCEPTOR int
sigsetmask(int mask)
{
	int was = REAL(sigsetmask)(mask);

	mask_reread();
	return was;
}

/*
 * System V sigset(), as glibc 2.36 does it, over our sigaction and
 * sigprocmask: SIG_HOLD blocks the signal and leaves its action; any
 * other disposition is installed (no sa_mask, no flags) and unblocks it.
 * Returns SIG_HOLD if the signal was blocked, else the previous handler.
 */
ULD_INTERCEPTOR __sighandler_t
sigset(int sig, __sighandler_t disp)
{
	sigset_t set, oset;
	struct sigaction oact;

	sigemptyset(&set);
	if (sigaddset(&set, sig) < 0)
		return SIG_ERR;
	if (disp == SIG_HOLD) {
		if (do_sigprocmask(SIG_BLOCK, &set, &oset) < 0)
			return SIG_ERR;
		if (sigismember(&oset, sig))
			return SIG_HOLD;
		if (do_sigaction(sig, NULL, &oact) < 0)
			return SIG_ERR;
		return oact.sa_handler;
	}
	__sighandler_t was = set_handler(sig, disp, 0, 0);
	if (was == SIG_ERR)
		return SIG_ERR;
	if (do_sigprocmask(SIG_UNBLOCK, &set, &oset) < 0)
		return SIG_ERR;
	return sigismember(&oset, sig) ? SIG_HOLD : was;
}

/* ---- waits with a temporary mask ---- */

ULD_INTERCEPTOR int
sigsuspend(const sigset_t *mask)
{
	MIGHT_SLEEP(sigsuspend);
	uld_signal_wait(mask);
	return REAL(sigsuspend)(mask);
}

/* sigpause(sig) with X/Open's meaning (the default with GCC), or the
 * BSD one when is_sig is 0: mask is then the whole mask (32 signals). */
ULD_INTERCEPTOR int
__sigpause(int sig_or_mask, int is_sig)
{
	sigset_t during;

	MIGHT_SLEEP(sigpause);
	if (is_sig) {
		if (REAL(pthread_sigmask)(SIG_BLOCK, NULL, &during) == 0 &&
		    sig_or_mask >= 1 && sig_or_mask <= NSIGS) {
			sigdelset(&during, sig_or_mask);
			uld_signal_wait(&during);
		}
	} else {
		set_of(&during, (unsigned)sig_or_mask);
		uld_signal_wait(&during);
	}
	return REAL(__sigpause)(sig_or_mask, is_sig);
}

ULD_INTERCEPTOR int
__xpg_sigpause(int sig)
{
	sigset_t during;

	MIGHT_SLEEP(sigpause);
	if (REAL(pthread_sigmask)(SIG_BLOCK, NULL, &during) == 0 &&
	    sig >= 1 && sig <= NSIGS) {
		sigdelset(&during, sig);
		uld_signal_wait(&during);
	}
	return REAL(__xpg_sigpause)(sig);
}

static inline int
ts_zero(const struct timespec *t)
{
	return t != NULL && t->tv_sec == 0 && t->tv_nsec == 0;
}

ULD_INTERCEPTOR int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
    const sigset_t *mask)
{
	if (!ts_zero(timeout))
		MIGHT_SLEEP(ppoll);
	if (mask != NULL)
		uld_signal_wait(mask);
	return REAL(ppoll)(fds, n, timeout, mask);
}

/* ppoll under _FORTIFY_SOURCE. */
ULD_INTERCEPTOR int
__ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
    const sigset_t *mask, size_t fdslen)
{
	if (!ts_zero(timeout))
		MIGHT_SLEEP(ppoll);
	if (mask != NULL)
		uld_signal_wait(mask);
	return REAL(__ppoll_chk)(fds, n, timeout, mask, fdslen);
}

ULD_INTERCEPTOR int
pselect(int n, fd_set *r, fd_set *w, fd_set *x,
    const struct timespec *timeout, const sigset_t *mask)
{
	if (!ts_zero(timeout))
		MIGHT_SLEEP(pselect);
	if (mask != NULL)
		uld_signal_wait(mask);
	return REAL(pselect)(n, r, w, x, timeout, mask);
}

ULD_INTERCEPTOR int
epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
    const sigset_t *mask)
{
	if (timeout != 0)
		MIGHT_SLEEP(epoll_pwait);
	if (mask != NULL)
		uld_signal_wait(mask);
	return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
}

/* ---- non-local jumps ---- */

/*
 * All four are one function in glibc: it restores the mask sigsetjmp
 * saved, if it saved one, and jumps.  The core learns of the mask here;
 * the handler frames the jump leaves it finds dead by itself.
 */
static inline void
jumping(struct __jmp_buf_tag *env)
{
	uld_signal_jump(env->__mask_was_saved ? &env->__saved_mask : NULL);
}

ULD_INTERCEPTOR __attribute__((noreturn)) void
siglongjmp(sigjmp_buf env, int val)
{
	jumping(env);
	REAL(siglongjmp)(env, val);
	__builtin_unreachable();
}

ULD_INTERCEPTOR __attribute__((noreturn)) void
longjmp(jmp_buf env, int val)
{
	jumping(env);
	REAL(longjmp)(env, val);
	__builtin_unreachable();
}

ULD_INTERCEPTOR __attribute__((noreturn)) void
_longjmp(jmp_buf env, int val)
{
	jumping(env);
	REAL(_longjmp)(env, val);
	__builtin_unreachable();
}

/* longjmp and siglongjmp under _FORTIFY_SOURCE. */
ULD_INTERCEPTOR __attribute__((noreturn)) void
__longjmp_chk(jmp_buf env, int val)
{
	jumping(env);
	REAL(__longjmp_chk)(env, val);
	__builtin_unreachable();
}
