/*
 * validate.h: the checks run on each lock event (lockdep's __lock_acquire,
 * __lock_release): the held-lock stack, the chain cache, and on a chain
 * seen for the first time, recursion and dependency checks.
 *
 * Called with the re-entry guard set.  The fast path (a known lock, a
 * known chain) touches only the thread's own state; the slow path blocks
 * signals and takes uld__graph_lock.
 */
#ifndef ULD_VALIDATE_H
#define ULD_VALIDATE_H

#include <stdint.h>

#include "thread.h"
#include "ulockdep/ulockdep.h"

void uld__acquire(struct uld__thread *t, void *lock, enum uld_lock_type type,
    unsigned flags, unsigned subclass, const void *ip);
/* --enable-debug: abort unless the chain key agrees with the held stack. */
void uld__debug_check_chain(const struct uld__thread *t);
void uld__acquire_failed(struct uld__thread *t, void *lock);
void uld__release(struct uld__thread *t, void *lock, const void *ip);
/* The index of `lock` in t's held stack (topmost), or -1. */
int uld__held_find(const struct uld__thread *t, const void *lock);
/* Recompute the chain keys of entries from..depth-1 and the thread's. */
void uld__held_rekey(struct uld__thread *t, uint32_t from);
/* Remove entry i; entries above it move down and get their keys again. */
void uld__held_remove(struct uld__thread *t, uint32_t i);

/* How an acquisition with these uld_lock_acquire flags holds the lock. */
static inline uint8_t
uld__read_mode(unsigned flags)
{
	if (!(flags & ULD_ACQ_READ))
		return ULD_READ_NONE;
	return (flags & ULD_ACQ_READ_NONRECURSIVE) ? ULD_READ_SHARED
						    : ULD_READ_RECURSIVE;
}

/* Pop h, the top entry of t's held stack, taken in the current context. */
static inline void
uld__held_pop(struct uld__thread *t, const struct uld__held *h)
{
	t->chain_key = h->prev_chain_key;
	t->spins_held -= (uint32_t)uld__is_spin(h->type);
	__atomic_store_n(&t->depth, t->depth - 1, __ATOMIC_RELEASE);
	if (uld__config_debug) /* no call on the fast path otherwise */
		uld__debug_check_chain(t);
}

#endif /* ULD_VALIDATE_H */
