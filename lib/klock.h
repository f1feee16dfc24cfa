/*
 * klock.h: what the kernel-style locks of <ulockdep/spinlock.h> share.
 *
 * spinlock_t (spinlock.c) and rwlock_t (krwlock.c) carry the same
 * CONFIG_DEBUG_SPINLOCK fields: a magic word checked on every operation,
 * and the tid and CPU of the (exclusive) holder.  They are classed the same
 * way at init, and both are busy-waiting lock types (uld__is_spin).  The
 * helpers are defined in spinlock.c.
 */
#ifndef ULD_KLOCK_H
#define ULD_KLOCK_H

#include <sched.h>
#include <stdint.h>

#include "thread.h"
#include "util.h"
#include "ulockdep/ulockdep.h"

/* The magic of `lock` is `magic`, not the one of its type: report it
 * (bad_magic) unless the validator is busy on this thread.  Keeps errno. */
void uld__klock_bad_magic(void *lock, enum uld_lock_type type,
    uint32_t magic, const char *op, const void *ip);

/* Is the magic word at `magicp` (in `lock`) `want`?  Reports if not. */
static inline int
uld__klock_check_magic(void *lock, const uint32_t *magicp, uint32_t want,
    enum uld_lock_type type, const char *op, const void *ip)
{
	uint32_t magic = __atomic_load_n(magicp, __ATOMIC_RELAXED);

	if (uld__likely(magic == want))
		return 1;
	uld__klock_bad_magic(lock, type, magic, op, ip);
	return 0;
}

/*
 * A lock of `type` is initialised at `site` (its magic already set):
 * class it by the site, named like lockdep after the lock expression
 * `name` (may be NULL) and the site: "&dev->lock [dev_setup+0x1c]".
 */
void uld__klock_init(void *lock, enum uld_lock_type type, const char *name,
    const void *site);

/* The debug fields of the exclusive holder: who, and on which CPU. */
static inline void
uld__klock_set_owner(int32_t *owner, int32_t *owner_cpu)
{
	*owner = uld__self.tid ? uld__self.tid : uld__gettid();
	*owner_cpu = sched_getcpu();
}

static inline void
uld__klock_clear_owner(int32_t *owner, int32_t *owner_cpu)
{
	*owner = -1;
	*owner_cpu = -1;
}

#endif /* ULD_KLOCK_H */
