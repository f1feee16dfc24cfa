/*
 * krwlock.c: the kernel-style rwlock_t of <ulockdep/spinlock.h>.
 *
 * A spinning reader-writer lock, reader-preferring like the kernel's
 * classic rwlock_t: a reader waits only while a writer holds the lock,
 * never for a waiting writer, so read_lock() nests in the same thread (and
 * in a signal handler that interrupts a reader); writers spin until there
 * is no holder at all, and can starve under a steady stream of readers.
 * The lock word itself is in the header (uld_arch_*), shared with the
 * ULOCKDEP_DISABLE build; this file adds the validation around it, in
 * the same order as uld_spin_lock: check the magic, announce the
 * acquisition (readers as recursive readers, ULD_ACQ_READ), spin, say the
 * wait is over; release before the unlock.  The debug fields (magic,
 * writer tid and CPU) and the init-time classing are spinlock.c's
 * (klock.h).
 */
#include "api.h"
#include "klock.h"
#include "ulockdep/spinlock.h"

static inline int
check_magic(uld_rwlock_t *l, const char *op, const void *ip)
{
	return uld__klock_check_magic(l, &l->magic, ULD_RWLOCK_MAGIC,
	    ULD_LOCK_RWLOCK_KERNEL, op, ip);
}

ULD_API void
uld_rwlock_init(uld_rwlock_t *l, const char *name, const void *site)
{
	if (site == NULL)
		site = ULD_RET_IP();
	*l = (uld_rwlock_t)ULD_RWLOCK_INITIALIZER;
	uld__klock_init(l, ULD_LOCK_RWLOCK_KERNEL, name, site);
}

ULD_API void
uld_rwlock_destroy(uld_rwlock_t *l)
{
	if (check_magic(l, "rwlock destroy", ULD_RET_IP()))
		uld_lock_destroy(l, ULD_RET_IP());
	__atomic_store_n(&l->magic, ULD_RWLOCK_DESTROYED, __ATOMIC_RELAXED);
}

ULD_API void
uld_read_lock(uld_rwlock_t *l, unsigned subclass, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "read_lock", ip);
	uld_lock_acquire(l, ULD_LOCK_RWLOCK_KERNEL, ULD_ACQ_READ, subclass, ip);
	uld_arch_read_lock(l);
	uld_lock_acquired(l);
}

ULD_API int
uld_read_trylock(uld_rwlock_t *l, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "read_trylock", ip);
	if (!uld_arch_read_trylock(l))
		return 0;
	uld_lock_acquire(l, ULD_LOCK_RWLOCK_KERNEL, ULD_ACQ_READ | ULD_ACQ_TRY,
	    0, ip);
	return 1;
}

ULD_API void
uld_read_unlock(uld_rwlock_t *l, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "read_unlock", ip);
	uld_lock_release(l, ip);
	uld_arch_read_unlock(l);
}

ULD_API void
uld_write_lock(uld_rwlock_t *l, unsigned subclass, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "write_lock", ip);
	uld_lock_acquire(l, ULD_LOCK_RWLOCK_KERNEL, 0, subclass, ip);
	uld_arch_write_lock(l);
	uld_lock_acquired(l);
	uld__klock_set_owner(&l->owner, &l->owner_cpu);
}

ULD_API int
uld_write_trylock(uld_rwlock_t *l, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "write_trylock", ip);
	if (!uld_arch_write_trylock(l))
		return 0;
	uld_lock_acquire(l, ULD_LOCK_RWLOCK_KERNEL, ULD_ACQ_TRY, 0, ip);
	uld__klock_set_owner(&l->owner, &l->owner_cpu);
	return 1;
}

ULD_API void
uld_write_unlock(uld_rwlock_t *l, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "write_unlock", ip);
	uld_lock_release(l, ip);
	uld__klock_clear_owner(&l->owner, &l->owner_cpu);
	uld_arch_write_unlock(l);
}
