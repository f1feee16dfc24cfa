/*
 * signal.h: signals as interrupts, the annotation API.
 *
 * ulockdep treats a signal handler as interrupt context and a blocked
 * signal as an interrupt disabled (ulockdep-irq(7)).  The LD_PRELOAD
 * interposer makes these calls from its sigaction trampoline and its
 * sigmask wrappers; a program that dispatches signals itself (its own
 * trampoline, a runtime linked with libulockdep) makes them too.
 *
 *	static void trampoline(int sig, siginfo_t *si, void *ucv)
 *	{
 *		ucontext_t *uc = ucv;
 *		sigset_t during = uc->uc_sigmask;   plus sa_mask and sig
 *		unsigned long c = uld_signal_enter(sig, si->si_code, &during,
 *		    __builtin_frame_address(0), &uc->uc_stack);
 *		user_handler(sig, si, ucv);
 *		uld_signal_exit(c, &uc->uc_sigmask);
 *	}
 *
 * Signals are numbered 1..64 (Linux).  Every call is async-signal-safe.
 *
 * Copyright the ulockdep authors.  MIT licence.
 */
#ifndef ULOCKDEP_SIGNAL_H
#define ULOCKDEP_SIGNAL_H

#include <signal.h>

#include "ulockdep/ulockdep.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A handler for `sig` starts running on the calling thread.  `code` is the
 * siginfo's si_code: a SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP raised by
 * a fault (si_code > 0) is not an interrupt, and neither is any signal in
 * a handler that ulockdep cannot see into.  `blocked` is the mask the
 * handler runs with (the interrupted mask, plus sa_mask, plus `sig` unless
 * SA_NODEFER).  `frame` is an address in the caller's stack frame and
 * `altstack` the sigaltstack in force (the ucontext's uc_stack) or NULL:
 * with them ulockdep notices a handler left by siglongjmp().  Returns a
 * cookie for uld_signal_exit().
 */
ULD_API unsigned long uld_signal_enter(int sig, int code,
    const sigset_t *blocked, const void *frame, const stack_t *altstack);

/* The handler entered with `cookie` returns; the thread's mask becomes
 * `restored` (the ucontext's uc_sigmask, which sigreturn restores). */
ULD_API void uld_signal_exit(unsigned long cookie, const sigset_t *restored);

/*
 * The calling thread's signal mask is now `blocked` (after
 * pthread_sigmask, sigprocmask...).  Signals it unblocks while locks are
 * held count as enabled for those locks, as lockdep's mark_held_locks().
 */
ULD_API void uld_signal_mask(const sigset_t *blocked);

/*
 * The thread is about to wait with the temporary mask `during`
 * (sigsuspend, ppoll, pselect): the locks it holds count as held with
 * those signals deliverable.  Its own mask is unchanged afterwards.
 */
ULD_API void uld_signal_wait(const sigset_t *during);

/*
 * The thread is about to make a non-local jump (siglongjmp, longjmp) that
 * may leave signal handlers; `mask` is the mask the jump restores, or NULL
 * if it restores none.  Handlers whose frames the jump leaves stop being
 * interrupt context.
 */
ULD_API void uld_signal_jump(const sigset_t *mask);

/*
 * A handler for `sig` was installed (sigaction).  Reports made inside a
 * handler need DWARF read for their file:line, which cannot be done in a
 * handler; the validator starts the thread that does it now, outside one.
 * Async-signal-safe: called from a handler, it does nothing.
 */
ULD_API void uld_signal_installed(int sig);

/*
 * Held signals.  The validator's critical sections (its own locks, its
 * allocations, its tables: short, but microseconds on first sight of a
 * lock order or at lock creation) must not be interrupted by a handler:
 * one that left by siglongjmp() would abandon a validator lock for good.
 * By default the validator blocks every signal around them, two system
 * calls each time.  A trampoline that asks uld_signal_hold(sig) first, for
 * every signal but a fault raised by the current instruction (which must
 * run at once), lets it count them instead.  Nonzero: the thread is in
 * such a section, and the trampoline must return without running the
 * handler, with the signal left pending and blocked in the interrupted
 * context (rt_tgsigqueueinfo() it to the calling thread with its own
 * siginfo, add it to the ucontext's uc_sigmask); the validator unblocks it
 * as the section ends, and the kernel delivers it then, as after a real
 * block.  Zero: run the handler.
 *
 * uld_signal_set_holding() promises that every handler of the process
 * passes through such a trampoline, from then on: the validator stops
 * blocking.  Without the promise uld_signal_hold() always returns 0.
 */
ULD_API int uld_signal_hold(int sig);
ULD_API void uld_signal_set_holding(void);

/*
 * Deferred handlers (experimental, the defer_signals option).  A handler
 * that interrupts the validator anywhere on its thread, not only in a
 * critical section, would have its lock events go unvalidated.  A
 * trampoline may therefore ask uld_signal_defer() first.  Nonzero: keep
 * the signal (its siginfo, the handler to run) and return at once; the
 * validator calls the function given to uld_signal_set_deferred() on that
 * thread, outside any handler, as soon as it is done there, and that
 * function runs what was kept, as the kernel would have (the handler's
 * mask in force), though not on the handler's sigaltstack.  Zero: ask
 * uld_signal_hold(), or run the handler now.  Registering the function
 * also promises that every handler passes through such a trampoline.
 */
ULD_API int uld_signal_defer(void);
ULD_API void uld_signal_set_deferred(void (*run)(void));

/* The innermost signal whose handler the calling thread is running as
 * interrupt context, or 0 (for in_irq(), in_softirq()). */
ULD_API int uld_signal_context(void);

#ifdef __cplusplus
}
#endif

#endif /* ULOCKDEP_SIGNAL_H */
