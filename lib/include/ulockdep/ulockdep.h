/*
 * ulockdep.h: the annotation API of the ulockdep lock validator.
 *
 * A lock implementation (the LD_PRELOAD interposer for pthread locks, the
 * kernel-style spinlock API, or a program's own lock) tells the validator
 * about each lock event through these calls, the way kernel locks call
 * lock_acquire()/lock_release().  The validator learns lock classes, the
 * order in which classes are taken, and reports a possible deadlock the
 * first time a pattern could deadlock.
 *
 * The order of calls around a blocking lock matters:
 *
 *	uld_lock_acquire(lock, ...);	   validate, report, then mark held
 *	rc = real_lock(lock);		   may block forever: already reported
 *	if (rc == 0)
 *		uld_lock_acquired(lock);   the wait is over
 *	else
 *		uld_lock_acquire_failed(lock);
 *	...
 *	uld_lock_release(lock, ...);
 *	real_unlock(lock);
 *
 * A trylock calls uld_lock_acquire(..., ULD_ACQ_TRY, ...) only after it
 * succeeded: a trylock cannot deadlock, so it adds no order edge into the
 * lock it takes.
 *
 * Every call is cheap when the lock order was seen before, never blocks on
 * the program's locks, and may be called before main() or at exit.
 *
 * Copyright the ulockdep authors.  MIT licence.
 */
#ifndef ULOCKDEP_ULOCKDEP_H
#define ULOCKDEP_ULOCKDEP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ULD_API __attribute__((visibility("default")))
#else
#define ULD_API
#endif

/*
 * The caller's return address: what ulockdep names a call site by.  A lock
 * function that passes ULD_RET_IP() (so that its *caller* is the site, as
 * the pthread interposer does) must not be inlined, or the site becomes
 * its caller's caller; mark it __attribute__((noinline)) (and beware of a
 * caller that ends in a tail call to it: the site is then one level up,
 * as any return-address-based site is).  A static inline
 * wrapper passes NULL instead: the site is then where the wrapper was
 * expanded, i.e. its caller.
 */
#define ULD_RET_IP() (__builtin_return_address(0))

/* What kind of lock an event is about; shown as the JSON "mode". */
enum uld_lock_type {
	ULD_LOCK_SPIN = 0,	/* busy-waiting lock: pthread_spinlock_t */
	ULD_LOCK_MUTEX = 1,	/* sleeping lock: pthread_mutex_t */
	ULD_LOCK_RWLOCK = 2,	/* reader-writer lock: pthread_rwlock_t */
	ULD_LOCK_SPIN_KERNEL = 3, /* spinlock_t of <ulockdep/spinlock.h> */
	ULD_LOCK_RWLOCK_KERNEL = 4, /* rwlock_t of <ulockdep/spinlock.h>: spins */
};

/* Flags of uld_lock_acquire(). */
enum uld_acquire_flags {
	/* Shared (reader) acquisition of a reader-writer lock. */
	ULD_ACQ_READ = 1u << 0,
	/* A trylock that succeeded: marks the lock held, adds no edge into it. */
	ULD_ACQ_TRY = 1u << 1,
	/* The owner may take the lock again (PTHREAD_MUTEX_RECURSIVE). */
	ULD_ACQ_RECURSIVE = 1u << 2,
	/*
	 * Readers queue behind a waiting writer (a write-preferring rwlock,
	 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP): a thread that takes
	 * the same lock for read twice can deadlock, as lockdep's
	 * non-recursive readers.
	 */
	ULD_ACQ_READ_NONRECURSIVE = 1u << 3,
};

/*
 * A lock class key, like the kernel's struct lock_class_key: its address
 * identifies a class.  Define one per kind of lock (static storage).
 */
struct uld_class_key {
	char subkeys[8];
};

/* Deepest subclass a nested acquisition may name (0 .. ULD_MAX_SUBCLASS). */
#define ULD_MAX_SUBCLASS 7

/*
 * A lock is being initialised at run time.  All locks initialised at the
 * same `site` (a code address, normally ULD_RET_IP() of the init function;
 * NULL means the caller of uld_lock_init) share one class.  Initialising a
 * lock again forgets what was known about the old one at that address.
 */
ULD_API void uld_lock_init(void *lock, enum uld_lock_type type,
    const void *site);

/*
 * A lock is destroyed (or its memory freed): reported as held_lock_freed if
 * any thread holds it; then the instance is forgotten (its class stays).
 */
ULD_API void uld_lock_destroy(void *lock, const void *ip);

/*
 * Put `lock` in the class identified by `key` (or, when key is NULL, in the
 * class named `name`: all locks given the same name share one class), as
 * lockdep_set_class_and_name().  `name` is copied; it is what reports show.
 */
ULD_API void uld_lock_set_class(void *lock, const struct uld_class_key *key,
    const char *name);

/*
 * Every later acquisition of `lock` that names no subclass uses `subclass`
 * (lockdep_set_subclass): a way to annotate nesting for locks taken through
 * an API that has no subclass argument, such as pthread_mutex_lock().
 * The lock must be known already: initialised, or taken once.
 */
ULD_API void uld_lock_set_subclass(void *lock, unsigned subclass);

/*
 * The calling thread is about to take `lock` (or, with ULD_ACQ_TRY, has
 * just taken it).  `subclass` annotates a nested acquisition of a lock of a
 * class already held, like spin_lock_nested(); 0 otherwise.  `ip` is the
 * acquisition site (NULL: the caller of this function).
 *
 * Any report is written, and its file flushed, before this returns.
 */
ULD_API void uld_lock_acquire(void *lock, enum uld_lock_type type,
    unsigned flags, unsigned subclass, const void *ip);

/*
 * The lock call announced by uld_lock_acquire() returned with the lock:
 * the wait is over (the watchdog's spin_timeout and soft_lockup watch it
 * until then).  Cheap: one thread-local store.
 */
ULD_API void uld_lock_acquired(void *lock);

/* The lock call announced by uld_lock_acquire() failed or timed out. */
ULD_API void uld_lock_acquire_failed(void *lock);

/* The calling thread is about to release `lock`. */
ULD_API void uld_lock_release(void *lock, const void *ip);

/*
 * The calling thread is about to sleep or block in `what` (a function
 * name, e.g. "nanosleep"), like the kernel's might_sleep(): reported as
 * sleep_in_atomic if it holds a spinlock.  `ip` as for uld_lock_acquire.
 */
ULD_API void uld_might_sleep(const char *what, const void *ip);

/*
 * Memory [p, p + len) is being given back (free, realloc, munmap): every
 * lock in it that a thread holds is reported (held_lock_freed), and every
 * lock in it is forgotten, so that a new lock at the same address starts
 * afresh.  Call it before the memory goes.  Cheap when no lock lives in
 * the range; uld_mem_tracked() says whether any lock may live anywhere
 * (0 until the first is known, then 1), before the caller pays for
 * finding the length.
 */
ULD_API void uld_mem_free(void *p, size_t len, const void *ip);

/*
 * A module's segment [p, p + len) has been unmapped by dlclose: its locks
 * are forgotten as by uld_mem_free, and the classes keyed by an address
 * in it (its static locks, its init and acquisition sites) are retired,
 * so that a module loaded at the same addresses later gets classes of
 * its own.  Retired classes keep their names in reports; a lock on the
 * heap initialised in the module keeps its class.
 */
ULD_API void uld_module_unload(void *p, size_t len, const void *ip);
ULD_API int uld_mem_tracked(void);

/*
 * Is the calling thread in atomic context: holding a spinlock, in a signal
 * handler (an interrupt), or with interrupts disabled through the
 * kernel-style API?  0 if not, else an OR of the ULD_ATOMIC_* below that
 * hold.  One thread-local read, for an interposer that must do work to
 * tell whether a call would sleep (is this fd blocking?).  May err
 * towards non-zero just after a siglongjmp out of a handler;
 * uld_might_sleep() decides exactly.
 */
ULD_API int uld_in_atomic(void);

enum {
	ULD_ATOMIC_SPIN = 1 << 0,	/* holds a spinlock */
	ULD_ATOMIC_IRQS_OFF = 1 << 1,	/* local_irq_save() and friends */
	ULD_ATOMIC_IRQ = 1 << 2		/* runs a signal handler */
};

/* Number of reports this process has written so far (for tests, tools). */
ULD_API unsigned long uld_report_count(void);

/*
 * The status a process ending with `status` should exit with: `exitcode`
 * (66 by default) when it made a report and `status` is 0, else `status`.
 * Says the summary (suppressed reports; with verbosity, the counts) the
 * first time.  exit() applies it by itself, and under the preload so do
 * _exit, _Exit and quick_exit; a program linked with libulockdep that ends
 * by _exit calls _exit(uld_exit_status(s)).
 */
ULD_API int uld_exit_status(int status);

/*
 * The calling thread is about to call exit(): it ends the process from
 * where it stands, and the locks it holds are not reported as a thread
 * ending with them (main returning with locks held is).  The preload's
 * exit() calls it; glibc's return from main reaches its own exit, past
 * the preload.  A program linked with libulockdep may call it too.
 */
ULD_API void uld_exit_called(void);

/*
 * Some thread was renamed (pthread_setname_np, prctl PR_SET_NAME).  Reports
 * name threads, and each thread's name is kept rather than asked of the
 * kernel (a system call) at every new lock order: this makes them ask
 * again.  The preload calls it; a program linked with libulockdep that
 * renames threads after their first lock calls it too.
 */
ULD_API void uld_thread_renamed(void);

#ifdef __cplusplus
}
#endif

#endif /* ULOCKDEP_ULOCKDEP_H */
