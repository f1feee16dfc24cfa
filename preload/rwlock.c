/*
 * rwlock.c: pthread_rwlock_* -> the annotation API.
 *
 * glibc readers are recursive (never queue behind a waiting writer) unless
 * the lock is PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, read from the
 * lock itself (__data.__flags) since static initialisers skip init.
 */
#include "real.h"
#include "ulockdep/ulockdep.h"

static inline unsigned
read_flags(const pthread_rwlock_t *l)
{
	return ULD_ACQ_READ |
	    (l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
		    ? ULD_ACQ_READ_NONRECURSIVE
		    : 0);
}

ULD_INTERCEPTOR int
pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
	int rc = REAL(pthread_rwlock_init)(l, attr);

	if (rc == 0)
		uld_lock_init(l, ULD_LOCK_RWLOCK, ULD_RET_IP());
	return rc;
}

ULD_INTERCEPTOR int
pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	uld_lock_destroy(l, ULD_RET_IP());
	return REAL(pthread_rwlock_destroy)(l);
}

/* The shapes of real.h, on `l`. */
#define BLOCKING(name, flags, call)                                         \
	ULD_LOCK_BLOCKING(l, ULD_LOCK_RWLOCK, flags, REAL(name) call,       \
	    uld__rc_zero)
#define TRY(name, flags)                                                     \
	ULD_LOCK_TRY(l, ULD_LOCK_RWLOCK, flags, REAL(name)(l), uld__rc_zero)

ULD_INTERCEPTOR int
pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	BLOCKING(pthread_rwlock_rdlock, read_flags(l), (l));
}

ULD_INTERCEPTOR int
pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	TRY(pthread_rwlock_tryrdlock, read_flags(l));
}

ULD_INTERCEPTOR int
pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t)
{
	BLOCKING(pthread_rwlock_timedrdlock, read_flags(l), (l, t));
}

ULD_INTERCEPTOR int
pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c,
    const struct timespec *t)
{
	BLOCKING(pthread_rwlock_clockrdlock, read_flags(l), (l, c, t));
}

ULD_INTERCEPTOR int
pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	BLOCKING(pthread_rwlock_wrlock, 0, (l));
}

ULD_INTERCEPTOR int
pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	TRY(pthread_rwlock_trywrlock, 0);
}

ULD_INTERCEPTOR int
pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t)
{
	BLOCKING(pthread_rwlock_timedwrlock, 0, (l, t));
}

ULD_INTERCEPTOR int
pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c,
    const struct timespec *t)
{
	BLOCKING(pthread_rwlock_clockwrlock, 0, (l, c, t));
}

ULD_INTERCEPTOR int
pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	uld_lock_release(l, ULD_RET_IP());
	return REAL(pthread_rwlock_unlock)(l);
}
