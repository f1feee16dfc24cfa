/*
 * initwrap.h: lock constructors (the init_wrappers option).
 *
 * A library that makes every lock through one function of its own
 * (OpenSSL's CRYPTO_THREAD_lock_new calls pthread_rwlock_init for all of
 * them) puts all its locks at one init site, hence in one class, and any
 * two it nests look like recursive locking.  The kernel avoids this with a
 * macro, spin_lock_init, that gives each call site its own key; here, a
 * lock whose init site lies in a known constructor is classed by the site
 * that called the constructor instead.
 *
 * Whether a site lies in a constructor is decided once, when its class is
 * made (class.c keeps the answer on the class); only inits at such sites
 * unwind, a few frames.  Neither function takes a validator lock.
 */
#ifndef ULD_INITWRAP_H
#define ULD_INITWRAP_H

#include <stddef.h>

/* How many frames above a constructor's init site are looked at: enough
 * for a constructor that calls another (NSPR, APR pools). */
#define ULD_INITWRAP_DEPTH 4

/*
 * Does code address `site` lie in a function that init_wrappers names?
 * 1, with the function's name in fn[len], if so; else 0.
 */
int uld__initwrap_match(const void *site, char *fn, size_t len);
/*
 * The return addresses above `site` on the current stack: up[0] is the
 * call into the function that contains `site`, up[1] the call into its
 * caller, and so on.  Returns how many were found (0: `site` is not on
 * the stack, e.g. it was passed by hand).
 */
int uld__initwrap_callers(const void *site, void **up, int max);

#endif /* ULD_INITWRAP_H */
