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
 * Deferred handlers.  A handler that interrupts the validator on its
 * thread must not run there and then: its lock events would go
 * unvalidated, and a handler that leaves by siglongjmp() would abandon
 * the validator half-way (its own locks held, its state half-written).
 * A trampoline therefore asks uld_signal_defer() first.  Nonzero: keep the
 * signal (its siginfo, the handler to run) and return at once; the
 * validator calls the function given to uld_signal_set_deferred() on that
 * thread, outside any handler, as soon as it is done there, and that
 * function runs what was kept, as the kernel would have (the handler's
 * mask in force).  Zero: run the handler now.
 *
 * Registering the function also promises that every handler of the
 * process passes through such a trampoline: the validator then stops
 * blocking signals around its own critical sections, two system calls
 * per slow path (microseconds on a virtual machine).  Without one the
 * validator blocks them, and a handler never finds it busy.
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
