/*
 * irq.c: interrupt context from signal handlers, and the thread's mask.
 *
 * The context half: which handlers a thread is running (a small stack of
 * frames, so that nested handlers and SA_NODEFER work), which signals it
 * has blocked, and the public uld_signal_* entries through which the
 * interposer reports both.  The rules half is in irq_rules.c.
 *
 * Everything here runs in signal handlers: no allocation, no locks but the
 * graph lock with every signal blocked, raw syscalls only.
 */
#include "irq.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "chain.h"
#include "mutex.h"
#include "options.h"
#include "stack.h"
#include "validate.h"
#include "watchdog.h"
#include "ulockdep/signal.h"

uint64_t
uld__irq_signals(void)
{
	static uint64_t sigs;
	uint64_t s = __atomic_load_n(&sigs, __ATOMIC_RELAXED);

	if (s == 0) {
		/* glibc keeps 32 and 33 (SIGCANCEL, SIGSETXID) to itself. */
		s = ~(uld__sigbit(SIGKILL) | uld__sigbit(SIGSTOP) |
		    uld__sigbit(32) | uld__sigbit(33) |
		    uld__sigbit(ULD_SAMPLE_SIGNAL));
		__atomic_store_n(&sigs, s, __ATOMIC_RELAXED);
	}
	return s;
}

int
uld__irq_is_soft(int sig)
{
	return sig >= 1 && sig <= 64 &&
	    (uld__opts.softirq_signals & uld__sigbit(sig));
}

static void
set_blocked(struct uld__thread *t, uint64_t blocked)
{
	t->sig_blocked = blocked;
	t->irq_enabled = uld__irq_signals() & ~blocked;
}

void
uld__irq_thread_setup(struct uld__thread *t)
{
	sigset_t cur;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, _NSIG / 8);
	set_blocked(t, uld__sigset_bits(&cur));
}

/*
 * The chain key of the current context: the held locks taken in it since
 * its last boundary (lockdep starts a chain afresh in each irq context).
 */
static void
rekey(struct uld__thread *t)
{
	uint8_t ctx = uld__irq_ctx(t);

	/* Locks taken in handlers that were left by a jump now belong to
	 * the context that goes on. */
	for (uint32_t i = 0; i < t->depth; i++)
		if (t->held[i].irq_ctx > ctx)
			t->held[i].irq_ctx = ctx;
	uld__held_rekey(t, 0);
}

/*
 * Is interrupt frame f still running, seen from stack address sp?  A
 * handler's frame is live while the stack is below it: on its sigaltstack
 * if it ran there, else within a sane distance on the same stack.
 */
static int
frame_live(const struct uld__irq_frame *f, uintptr_t sp)
{
	uintptr_t fp = (uintptr_t)f->frame;

	if (f->alt_hi)
		return sp >= f->alt_lo && sp < fp;
	return sp < fp && fp - sp < (256u << 20);
}

void
uld__irq_unwind(struct uld__thread *t, const void *sp)
{
	uint32_t d = t->irq_depth;

	while (d > 0 && !frame_live(&t->irq_frames[d - 1], (uintptr_t)sp))
		d--;
	if (d == t->irq_depth)
		return;
	/*
	 * The outermost handler left interrupted a wait: an acquisition
	 * whose entry was pushed, the lock not yet granted (the handler was
	 * delivered as the validator left, or during the real call).  The
	 * jump lands in a caller of that acquisition, which never finishes:
	 * the program does not hold the lock.
	 */
	void *waited = t->irq_frames[d].wait_lock;
	int at = waited != NULL ? uld__held_find(t, waited) : -1;
	if (at >= 0 && !t->held[at].trylock) {
		uld__held_remove(t, (uint32_t)at);
		t->spins_held = 0;
		for (uint32_t i = 0; i < t->depth; i++)
			t->spins_held += uld__is_spin(t->held[i].type);
	}
	t->irq_depth = d;
	rekey(t);
}

/* ---- a handler that interrupted the validator itself ---- */

/*
 * The validator's code runs with the guard (in_uld) set and, outside its
 * own locks, with signals deliverable.  A handler that interrupts it has
 * its events passed through, and if it leaves by siglongjmp the
 * interrupted code never clears the guard: the thread would go
 * unvalidated for good.  So the outermost such handler is remembered in
 * t->intr, a jump out of it marks it, and the next entry from outside its
 * frame puts the guard back.  No validator lock can be held there (they
 * are taken with every signal blocked); the event being recorded is lost,
 * as the program's own call is (POSIX leaves the state of a call left by
 * a jump from a handler undefined).
 */
#define ULD_COOKIE_INTR (~0UL)

static void
frame_set(struct uld__irq_frame *f, int sig, const void *frame,
    const stack_t *altstack)
{
	uintptr_t fp = (uintptr_t)frame;

	f->sig = sig;
	f->frame = frame;
	f->alt_lo = f->alt_hi = 0;
	if (altstack != NULL && !(altstack->ss_flags & SS_DISABLE) &&
	    fp >= (uintptr_t)altstack->ss_sp &&
	    fp < (uintptr_t)altstack->ss_sp + altstack->ss_size) {
		f->alt_lo = (uintptr_t)altstack->ss_sp;
		f->alt_hi = f->alt_lo + altstack->ss_size;
	}
}

int
uld__irq_intr_left(struct uld__thread *t, const void *sp)
{
	if (frame_live(&t->intr, (uintptr_t)sp))
		return 0;
	t->intr.frame = NULL;
	t->intr_jumped = 0;
	/* An acquisition that had pushed its entry and published its wait
	 * never reached the real lock call: the program does not hold it.
	 * From a deferred handler, that is the wait it ran after, and the
	 * handler's own locks may lie above the entry. */
	void *waited = t->drun_wait ? t->drun_wait : t->wait_lock;
	int deferred = t->drun_wait != NULL;
	t->drun_wait = NULL;
	int at = waited != NULL ? uld__held_find(t, waited) : -1;
	/* Interrupted, the acquisition's entry is the topmost: the wait is
	 * published just before it is pushed (validate.c), when the same
	 * lock may be held lower down, read twice. */
	if (at >= 0 && (deferred || (uint32_t)at + 1 == t->depth) &&
	    !t->held[at].trylock)
		uld__held_remove(t, (uint32_t)at);
	/* Not waiting any more: the jump left the wait, if there was one. */
	__atomic_store_n(&t->wait_lock, NULL, __ATOMIC_RELEASE);
	/* The interrupted code may have been between two of its stores:
	 * derive what follows from the held entries. */
	t->spins_held = 0;
	for (uint32_t i = 0; i < t->depth; i++)
		t->spins_held += uld__is_spin(t->held[i].type);
	uld__held_rekey(t, 0);
	/* The mask the jump restored; signals it unblocks make held locks
	 * irq-unsafe, as they would on any other path. */
	t->in_uld = 1;
	uld__irq_set_mask(t, t->intr_mask, ULD_RET_IP());
	/* Left at 0 by the caller's increment, which runs any handler
	 * deferred meanwhile at its own leave. */
	t->in_uld = 0;
	return 1;
}

/*
 * Its lock calls pass through, unrecorded; if it jumps out still holding
 * a lock, the program releases it later, which would be a false
 * bad_unlock.  So its acquisitions are remembered by address, a few per
 * thread (the oldest forgotten first), until released.
 */
void
uld__irq_unrecorded(void *lock, int taken)
{
	struct uld__thread *t = &uld__self;

	if (!t->in_uld || t->intr.frame == NULL)
		return;
	if (!taken) {
		uld__irq_unrecorded_drop(t, lock);
		return;
	}
	if (t->nunrec == ULD_UNREC) {
		memmove(&t->unrec[0], &t->unrec[1],
		    (ULD_UNREC - 1) * sizeof(t->unrec[0]));
		t->nunrec--;
	}
	t->unrec[t->nunrec++] = lock;
}

int
uld__irq_unrecorded_drop(struct uld__thread *t, const void *lock)
{
	for (uint32_t i = t->nunrec; i-- > 0;)
		if (t->unrec[i] == lock) {
			memmove(&t->unrec[i], &t->unrec[i + 1],
			    (t->nunrec - i - 1) * sizeof(t->unrec[0]));
			t->nunrec--;
			return 1;
		}
	return 0;
}

/* ---- the public entries (<ulockdep/signal.h>) ---- */

/*
 * Cookies: 0, nothing was done (the validator was running, or is not set
 * up): exit does nothing either.  1: a handler that is not an interrupt;
 * exit only restores the mask.  2 + depth: an interrupt frame.
 * ULD_COOKIE_INTR: the handler interrupted validator code (t->intr).
 */
ULD_API unsigned long
uld_signal_enter(int sig, int code, const sigset_t *blocked, const void *frame,
    const stack_t *altstack)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();
	unsigned long cookie = 1;

	if (frame == NULL)
		frame = __builtin_frame_address(0);
	if (t == NULL) {
		t = &uld__self;
		if (!t->ready || !t->in_uld || t->intr.frame != NULL)
			return 0;
		frame_set(&t->intr, sig, frame, altstack);
		t->intr_jumped = 0;
		t->intr_mask = blocked ? uld__sigset_bits(blocked) : t->sig_blocked;
		return ULD_COOKIE_INTR;
	}
	uld__irq_unwind(t, frame);
	t->handler_depth++;
	if (blocked != NULL)
		set_blocked(t, uld__sigset_bits(blocked));
	if (sig >= 1 && sig <= 64 && (uld__irq_signals() & uld__sigbit(sig)) &&
	    !(code > 0 && (ULD_FAULT_SIGNALS & uld__sigbit(sig))) &&
	    t->irq_depth < ULD_IRQ_NEST) {
		struct uld__irq_frame *f = &t->irq_frames[t->irq_depth];
		frame_set(f, sig, frame, altstack);
		/* The interrupted code may be waiting on a lock; the handler
		 * is not, and the wait goes on after it. */
		f->wait_lock = t->wait_lock;
		f->wait_seq = t->wait_seq;
		__atomic_store_n(&t->wait_lock, NULL, __ATOMIC_RELAXED);
		t->irq_depth++;
		t->chain_key = ULD_INITIAL_CHAIN_KEY;
		cookie = 1 + t->irq_depth;
	}
	uld__api_leave(t);
	uld__keep_errno(saved);
	return cookie;
}

ULD_API void
uld_signal_exit(unsigned long cookie, const sigset_t *restored)
{
	int saved = errno;
	struct uld__thread *t;

	if (cookie == ULD_COOKIE_INTR) {
		/* Returned normally: the interrupted code goes on. */
		uld__self.intr.frame = NULL;
		uld__self.intr_jumped = 0;
		return;
	}
	if (cookie == 0 || (t = uld__api_enter()) == NULL)
		return;
	if (t->handler_depth)
		t->handler_depth--;
	if (cookie >= 2 && t->irq_depth >= cookie - 1) {
		const struct uld__irq_frame *f = &t->irq_frames[cookie - 2];
		t->wait_seq = f->wait_seq;
		__atomic_store_n(&t->wait_lock, f->wait_lock, __ATOMIC_RELEASE);
		t->irq_depth = (uint32_t)cookie - 2;
		rekey(t);
	}
	/* sigreturn puts this mask back; nothing is unblocked in the
	 * interrupted context that was not unblocked there before. */
	if (restored != NULL)
		set_blocked(t, uld__sigset_bits(restored));
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API void
uld_signal_mask(const sigset_t *blocked)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	/* Often the first call after a jump out of a handler (to unblock
	 * what the jump left blocked): drop the frames it left. */
	ULD_IRQ_UNWIND(t);
	uld__irq_set_mask(t, uld__sigset_bits(blocked), ULD_RET_IP());
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API void
uld_signal_wait(const sigset_t *during)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	if (t->depth)
		uld__irq_mark_held(t, uld__irq_signals() & ~uld__sigset_bits(during),
		    ULD_RET_IP());
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API void
uld_signal_jump(const sigset_t *mask)
{
	int saved = errno;
	struct uld__thread *t = &uld__self;

	if (t->in_uld && t->intr.frame != NULL) {
		/* From a handler that interrupted the validator: where the
		 * jump lands is seen at the next entry (uld__irq_intr_left). */
		t->intr_jumped = 1;
		if (mask != NULL)
			t->intr_mask = uld__sigset_bits(mask);
	} else if (t->drun && t->intr.frame != NULL) {
		/* From a deferred handler (uld__run_deferred): the guard set
		 * until the next entry sees where the jump landed. */
		t->intr_jumped = 1;
		t->intr_mask = mask ? uld__sigset_bits(mask) : t->sig_blocked;
		t->drun = 0;
		t->in_uld = 1;
		errno = saved;
		return;
	}
	if ((t = uld__api_enter()) == NULL)
		return;
	/* The frames the jump leaves are found dead at the next event. */
	if (mask != NULL)
		uld__irq_set_mask(t, uld__sigset_bits(mask), ULD_RET_IP());
	uld__api_leave(t);
	uld__keep_errno(saved);
}

/* ---- held and deferred handlers (<ulockdep/signal.h>) ---- */

int uld__sig_soft;
__thread unsigned uld__sig_depth __attribute__((tls_model("initial-exec")));
__thread unsigned long long uld__sig_held
    __attribute__((tls_model("initial-exec")));
__thread int uld__sig_nested __attribute__((tls_model("initial-exec")));
static void (*deferred_run)(void);
/* defer_signals=1 and a runner set (the runner comes from a constructor,
 * before options are read). */
static int defer_on;

int
uld__irq_handlers_tracked(void)
{
	return __atomic_load_n(&deferred_run, __ATOMIC_ACQUIRE) != NULL ||
	    __atomic_load_n(&uld__sig_soft, __ATOMIC_RELAXED);
}

static void
update_defer(void)
{
	__atomic_store_n(&defer_on,
	    __atomic_load_n(&deferred_run, __ATOMIC_ACQUIRE) != NULL &&
		uld__opts.defer_signals,
	    __ATOMIC_RELEASE);
}

void
uld__irq_options_read(void)
{
	update_defer();
}

ULD_API void
uld_signal_set_holding(void)
{
	__atomic_store_n(&uld__sig_soft, 1, __ATOMIC_RELEASE);
}

/*
 * Held while the validator runs on this thread at all, not only in its
 * critical sections: its fast path is not made to be left half-way by a
 * jump either (an RCU read-side section, an entry pushed and its wait not
 * yet published), and a handler that runs after it is validated like any
 * other.  Not while the guard is left set by a jump until the next entry
 * (intr_jumped: the program runs, maybe never to enter again), nor for
 * good at thread exit: nothing would unblock the signal.
 */
ULD_API int
uld_signal_hold(int sig)
{
	struct uld__thread *t = &uld__self;

	if (sig < 1 || sig > 64 ||
	    !__atomic_load_n(&uld__sig_soft, __ATOMIC_RELAXED))
		return 0;
	if (t->in_uld && !t->intr_jumped && !t->exiting) {
		/* Unblocked as the guard drops (uld__api_leave). */
		t->defer_pending = 1;
	} else if (uld__sig_depth == 0) {
		return 0;
	}
	__atomic_fetch_or(&uld__sig_held, uld__sigbit(sig), __ATOMIC_RELAXED);
	return 1;
}

void
uld__sig_release(void)
{
	struct uld__thread *t = &uld__self;
	sigset_t s;

	/* Under the guard: when it drops (uld__run_deferred). */
	if (t->in_uld && !t->intr_jumped && !t->exiting) {
		t->defer_pending = 1;
		return;
	}
	uint64_t set = __atomic_exchange_n(&uld__sig_held, 0,
	    __ATOMIC_RELAXED);
	if (set == 0)
		return;
	/* The kept signals are pending and blocked (the trampoline added
	 * them to the mask sigreturn restored); they were deliverable where
	 * they arrived, so unblocking them gives back that mask, and the
	 * kernel delivers them before this call returns: on the handler's
	 * sigaltstack, with its flags and sa_mask, as after a real block.
	 * A raw syscall: the interposer wraps sigprocmask. */
	memset(&s, 0, sizeof(s));
	memcpy(&s, &set, sizeof(set));
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &s, NULL, _NSIG / 8);
}

ULD_API void
uld_signal_set_deferred(void (*run)(void))
{
	__atomic_store_n(&deferred_run, run, __ATOMIC_RELEASE);
	if (uld__is_ready())
		update_defer();
}

ULD_API int
uld_signal_defer(void)
{
	struct uld__thread *t = &uld__self;

	if (t->in_uld == 0 || !__atomic_load_n(&defer_on, __ATOMIC_ACQUIRE))
		return 0;
	t->defer_pending = 1;
	return 1;
}

void
uld__run_deferred(struct uld__thread *t)
{
	void (*run)(void) = __atomic_load_n(&deferred_run, __ATOMIC_ACQUIRE);
	int saved = errno;

	int kept = run != NULL && __atomic_load_n(&defer_on, __ATOMIC_RELAXED);

	/* Cleared first: a handler deferred while these run asks again. */
	t->defer_pending = 0;
	if (!kept && __atomic_load_n(&uld__sig_held, __ATOMIC_RELAXED) == 0)
		return;
	/*
	 * The handlers run here, inside the entry that deferred them: after
	 * its bookkeeping, before the real call (an acquisition's entry is
	 * pushed, the lock not yet taken).  Those held for the kernel first,
	 * delivered as the held signals are unblocked, then those kept
	 * (defer_signals=1).  One that leaves by siglongjmp() leaves that
	 * entry half-done, as a handler that interrupted the validator does:
	 * the same repair (uld__irq_intr_left), from this frame
	 * (uld_signal_jump).
	 */
	struct uld__irq_frame outer = t->intr;
	void *outer_wait = t->drun_wait;
	frame_set(&t->intr, 0, __builtin_frame_address(0), NULL);
	t->drun_wait = t->wait_lock;
	t->drun++;
	uld__sig_release();
	/* Unless a held one jumped, and landed in its own handler. */
	if (kept && t->drun)
		run();
	if (t->drun)
		t->drun--;
	else if (t->intr_jumped) {
		/* The jump landed inside the handler, which then returned
		 * here: nothing was left half-done. */
		t->intr_jumped = 0;
		t->in_uld = 0;
	}
	t->intr = outer;
	t->drun_wait = outer_wait;
	errno = saved;
}

ULD_API void
uld_signal_installed(int sig)
{
	int saved = errno;
	struct uld__thread *t;

	(void)sig;
	if (__atomic_load_n(&uld__watchdog_running, __ATOMIC_RELAXED) ||
	    (t = uld__api_enter()) == NULL)
		return;
	/* pthread_create is not async-signal-safe: only outside handlers. */
	if (!uld__stack_in_handler())
		uld__watchdog_start_slow(); /* the running check was made above */
	uld__api_leave(t);
	errno = saved;
}

ULD_API int
uld_signal_context(void)
{
	struct uld__thread *t = &uld__self;

	ULD_IRQ_UNWIND(t);
	return uld__irq_sig(t);
}

void
uld__irq_set_mask(struct uld__thread *t, uint64_t blocked, const void *ip)
{
	uint64_t was = t->irq_enabled;

	set_blocked(t, blocked);
	if (t->depth && (t->irq_enabled & ~was))
		uld__irq_mark_held(t, t->irq_enabled & ~was, ip);
}
