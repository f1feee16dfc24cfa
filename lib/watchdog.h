/*
 * watchdog.h: spin timeouts and soft lockups.
 *
 * A thread that waits on a lock publishes the wait in its own state
 * (thread.h: wait_lock, wait_seq); nothing else happens on the fast path.
 * A watchdog thread, started lazily at the first wait that needs it
 * (uld__watchdog_missing; again in a fork child), wakes a few times per
 * threshold, copies out the waits in progress, and reports a wait seen
 * for longer than spin_timeout_ms (spinlocks) or lockup_s (any lock),
 * once per wait.  It names the owner, where the owner took the lock, and
 * where the owner is now, sampled by a real-time signal
 * (ULD_SAMPLE_SIGNAL) unless the owner has that signal blocked, which the
 * report then says.
 *
 * It also symbolizes frames for reports made in signal handlers, where
 * libdw may not run (symframe.c): its timer is a futex wait that such a
 * request ends early.
 */
#ifndef ULD_WATCHDOG_H
#define ULD_WATCHDOG_H

#if HAVE_DECL___LIBC_SINGLE_THREADED
#include <sys/single_threaded.h>
#endif

/* SIGRTMAX - 1: high, away from glibc's own and programs' usual choices. */
#define ULD_SAMPLE_SIGNAL (SIGRTMAX - 1)

extern int uld__watchdog_running;

void uld__watchdog_start_slow(void);

/*
 * Whether a wait on a lock of this kind (spin: a busy-waiting one) needs
 * the watchdog, and it is not running.  Cheap once it runs: one load.
 *
 * A process that never had a second thread waits on a sleeping lock of
 * its own only for a holder that is itself, which recursion reports
 * before the wait: it has no wait for the watchdog to time, and starting
 * one would turn it multi-threaded.  That changes the program: glibc
 * then takes its mutexes and stdio locks with atomic instructions, and
 * libstdc++ its shared_ptr counts, where a single-threaded process uses
 * plain stores (a bare mutex pair: 4.5 ns, against 13 ns once a second
 * thread exists, on the bench's machine).
 * The watchdog starts at the first wait after the program's first
 * pthread_create, when the C library clears its flag; a fork child of a
 * multi-threaded parent keeps it clear, and may wait for a lock that a
 * thread which did not follow it holds.  Spinlocks always start it: a
 * pshared spinlock's holder may be another process, and a spin that does
 * not end is the first thing a spinlock user wants to hear about.
 * (A sleeping lock shared with an unrelated single-threaded process is
 * the case this leaves untimed.)
 */
static inline int
uld__watchdog_missing(int spin)
{
	if (__builtin_expect(__atomic_load_n(&uld__watchdog_running,
	    __ATOMIC_RELAXED), 1))
		return 0;
#if HAVE_DECL___LIBC_SINGLE_THREADED
	return spin || !__libc_single_threaded;
#else
	(void)spin;
	return 1;
#endif
}

static inline void
uld__watchdog_start(int spin)
{
	if (__builtin_expect(uld__watchdog_missing(spin), 0))
		uld__watchdog_start_slow();
}

/*
 * Before fork, first of all: a watchdog thread still starting is let
 * finish.  Its start (the C library's, a sanitizer's) allocates, and a
 * child that inherits an allocator lock held mid-start waits on it for
 * ever: ASan's allocator (GCC 12) has no fork handler, and reports.sh's
 * fork check hung 4 runs in 150 of the ASan build, a fork right after the
 * first lock wait.
 */
void uld__watchdog_prefork(void);

/* In a fork child: the watchdog thread is gone; start again when needed. */
void uld__watchdog_atfork_child(void);

/*
 * At exit: wait (bounded) for a report the watchdog is writing.  exit
 * would end the watchdog mid-report, and a wait it found too long, often
 * the one that just ended, would go unreported: on a loaded machine a
 * report (sampling, symbolizing) can take longer than the rest of the run.
 */
void uld__watchdog_quiesce(void);

#endif /* ULD_WATCHDOG_H */
