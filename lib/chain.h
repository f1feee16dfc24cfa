/*
 * chain.h: the cache of validated lock chains (lockdep's chain hash).
 *
 * A chain key is a 64-bit hash of the classes a thread holds, in order,
 * with how each is held.  A chain that was validated once (its dependencies
 * added, its cycles and recursion checked) is only looked up afterwards:
 * first in the thread's own direct-mapped cache (no shared cache line),
 * then in a global cds_lfht read under RCU.  Adding is under
 * uld__graph_lock.  Correctness assumes the 64-bit key does not collide,
 * as lockdep does.
 */
#ifndef ULD_CHAIN_H
#define ULD_CHAIN_H

#include <stdint.h>

#include "thread.h"

void uld__chain_init(void);

static inline uint64_t
uld__chain_next(uint64_t key, uint32_t class_id, unsigned read)
{
	return uld__mix64(key ^ ((uint64_t)class_id << 2 | read));
}

/* Was this chain validated?  Fills the thread cache on a global hit. */
int uld__chain_lookup(struct uld__thread *t, uint64_t key);

static inline int
uld__chain_cached(struct uld__thread *t, uint64_t key)
{
	if (uld__likely(t->ccache[key & (ULD_CCACHE_SIZE - 1)] == key))
		return 1;
	return uld__chain_lookup(t, key);
}

/* Record a chain as validated (under uld__graph_lock): 0 if it already
 * was, 1 if it is new (or could not be recorded, memory having run out). */
int uld__chain_add(struct uld__thread *t, uint64_t key);
uint64_t uld__chain_count(void);

#endif /* ULD_CHAIN_H */
