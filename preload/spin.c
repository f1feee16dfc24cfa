/*
 * spin.c: pthread_spin_* -> the annotation API.
 */
#include "real.h"
#include "ulockdep/ulockdep.h"

ULD_INTERCEPTOR int
pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
	int rc = REAL(pthread_spin_init)(s, pshared);

	if (rc == 0)
		uld_lock_init((void *)s, ULD_LOCK_SPIN, ULD_RET_IP());
	return rc;
}

ULD_INTERCEPTOR int
pthread_spin_destroy(pthread_spinlock_t *s)
{
	uld_lock_destroy((void *)s, ULD_RET_IP());
	return REAL(pthread_spin_destroy)(s);
}

ULD_INTERCEPTOR int
pthread_spin_lock(pthread_spinlock_t *s)
{
	ULD_LOCK_BLOCKING((void *)s, ULD_LOCK_SPIN, 0,
	    REAL(pthread_spin_lock)(s), uld__rc_zero);
}

ULD_INTERCEPTOR int
pthread_spin_trylock(pthread_spinlock_t *s)
{
	ULD_LOCK_TRY((void *)s, ULD_LOCK_SPIN, 0, REAL(pthread_spin_trylock)(s),
	    uld__rc_zero);
}

ULD_INTERCEPTOR int
pthread_spin_unlock(pthread_spinlock_t *s)
{
	uld_lock_release((void *)s, ULD_RET_IP());
	return REAL(pthread_spin_unlock)(s);
}
