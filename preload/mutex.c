/*
 * mutex.c: pthread_mutex_* and C11's mtx_* -> the annotation API.
 *
 * The mutex type comes from the mutex itself (glibc's __data.__kind), not
 * from the attributes at init: statically initialised recursive mutexes
 * (PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP) never pass through init.
 *
 * glibc's mtx_* call its pthread mutex functions directly, not through
 * the symbols we interpose, so a C11 program's locks would go unseen
 * without wrappers of their own.  An mtx_t is a pthread_mutex_t there (one
 * size, mtx_init sets the same __kind), so the same type test serves.
 */
#include <errno.h>

#include "real.h"
#include "ulockdep/ulockdep.h"

/*
 * A robust mutex whose owner died is acquired all the same: EOWNERDEAD
 * hands it over (inconsistent) to the caller, who must unlock it.
 */
static inline int
acquired(int rc)
{
	return rc == 0 || rc == EOWNERDEAD;
}

/* glibc: the low bits of __kind are the PTHREAD_MUTEX_* type. */
static inline unsigned
mutex_flags(const pthread_mutex_t *m)
{
	return (m->__data.__kind & 3) == PTHREAD_MUTEX_RECURSIVE
	    ? ULD_ACQ_RECURSIVE
	    : 0;
}

ULD_INTERCEPTOR int
pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	int rc = REAL(pthread_mutex_init)(m, attr);

	if (rc == 0)
		uld_lock_init(m, ULD_LOCK_MUTEX, ULD_RET_IP());
	return rc;
}

ULD_INTERCEPTOR int
pthread_mutex_destroy(pthread_mutex_t *m)
{
	uld_lock_destroy(m, ULD_RET_IP());
	return REAL(pthread_mutex_destroy)(m);
}

ULD_INTERCEPTOR int
pthread_mutex_lock(pthread_mutex_t *m)
{
	ULD_LOCK_BLOCKING(m, ULD_LOCK_MUTEX, mutex_flags(m),
	    REAL(pthread_mutex_lock)(m), acquired);
}

ULD_INTERCEPTOR int
pthread_mutex_trylock(pthread_mutex_t *m)
{
	ULD_LOCK_TRY(m, ULD_LOCK_MUTEX, mutex_flags(m),
	    REAL(pthread_mutex_trylock)(m), acquired);
}

ULD_INTERCEPTOR int
pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	ULD_LOCK_BLOCKING(m, ULD_LOCK_MUTEX, mutex_flags(m),
	    REAL(pthread_mutex_timedlock)(m, abstime), acquired);
}

ULD_INTERCEPTOR int
pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
    const struct timespec *abstime)
{
	ULD_LOCK_BLOCKING(m, ULD_LOCK_MUTEX, mutex_flags(m),
	    REAL(pthread_mutex_clocklock)(m, clk, abstime), acquired);
}

ULD_INTERCEPTOR int
pthread_mutex_unlock(pthread_mutex_t *m)
{
	uld_lock_release(m, ULD_RET_IP());
	return REAL(pthread_mutex_unlock)(m);
}

/* C11: thrd_success is the only success; no mutex of C11's is robust. */
static inline int
mtx_acquired(int rc)
{
	return rc == thrd_success;
}

static inline unsigned
mtx_flags(mtx_t *m)
{
	_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t),
	    "glibc's mtx_t is a pthread_mutex_t");
	return mutex_flags((const pthread_mutex_t *)(void *)m);
}

ULD_INTERCEPTOR int
mtx_init(mtx_t *m, int type)
{
	int rc = REAL(mtx_init)(m, type);

	if (mtx_acquired(rc))
		uld_lock_init(m, ULD_LOCK_MUTEX, ULD_RET_IP());
	return rc;
}

ULD_INTERCEPTOR void
mtx_destroy(mtx_t *m)
{
	uld_lock_destroy(m, ULD_RET_IP());
	REAL(mtx_destroy)(m);
}

ULD_INTERCEPTOR int
mtx_lock(mtx_t *m)
{
	ULD_LOCK_BLOCKING(m, ULD_LOCK_MUTEX, mtx_flags(m),
	    REAL(mtx_lock)(m), mtx_acquired);
}

ULD_INTERCEPTOR int
mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict abstime)
{
	ULD_LOCK_BLOCKING(m, ULD_LOCK_MUTEX, mtx_flags(m),
	    REAL(mtx_timedlock)(m, abstime), mtx_acquired);
}

ULD_INTERCEPTOR int
mtx_trylock(mtx_t *m)
{
	ULD_LOCK_TRY(m, ULD_LOCK_MUTEX, mtx_flags(m), REAL(mtx_trylock)(m),
	    mtx_acquired);
}

ULD_INTERCEPTOR int
mtx_unlock(mtx_t *m)
{
	uld_lock_release(m, ULD_RET_IP());
	return REAL(mtx_unlock)(m);
}
