/*
 * fastpath.h: the common case of an acquisition and a release, inline in
 * the public entries (api.c).
 *
 * The common case is a lock this thread has seen (instance cache hit),
 * taken in an order it has validated (chain cache hit), in thread context,
 * with nothing new to learn about its irq usage: push the held entry and
 * go.  Every other case returns 0 and the caller takes the full path
 * (validate.c), which does this work again: a few dozen instructions next
 * to what first sight costs.  Nothing here calls out, so errno cannot
 * change and needs no saving; nothing here writes memory another thread
 * writes.
 *
 * The guard is set while the held stack changes, as on the full path: a
 * handler that interrupts us between two of these stores must find
 * in_uld set and leave the stack alone (api.h).
 */
#ifndef ULD_FASTPATH_H
#define ULD_FASTPATH_H

#include <string.h>

#include "api.h"
#include "chain.h"
#include "class.h"
#include "init.h"
#include "irq.h"
#include "lockmap.h"
#include "thread.h"
#include "validate.h"
#include "watchdog.h"

/* The acquisition flags handled here: all but a recursive mutex's. */
#define ULD_FAST_FLAGS                                                       \
	(ULD_ACQ_READ | ULD_ACQ_TRY | ULD_ACQ_READ_NONRECURSIVE)

static inline void
uld__fast_enter(struct uld__thread *t)
{
	t->in_uld = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/*
 * What the fast paths return: 0, take the full path; ULD_FAST_DONE, done;
 * ULD_FAST_DEFERRED, done, and a handler deferred while we ran
 * (defer_signals=1) must run now, as uld__api_leave would run it: the
 * entry calls uld__fast_deferred() last, a tail call, so that the fast
 * path itself makes no call and needs no register saved for after one.
 */
#define ULD_FAST_DONE 1
#define ULD_FAST_DEFERRED 2
void uld__fast_deferred(struct uld__thread *t);

static inline void
uld__fast_leave(struct uld__thread *t)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->in_uld = 0;
}

/* `lock` was pushed (or is ignored): ULD_FAST_*; 0: take the full path.
 * No subclass, and only ULD_FAST_FLAGS: the caller has checked. */
static inline int
uld__acquire_fast(struct uld__thread *t, void *lock, enum uld_lock_type type,
    unsigned flags, const void *ip)
{
	if (uld__unlikely((t->in_uld | t->irq_depth) != 0 || !t->ready ||
		!uld__is_ready()))
		return 0;
	uld__fast_enter(t);

	int spin = uld__is_spin(type), try = (flags & ULD_ACQ_TRY) != 0;
	struct uld__instance *inst = uld__lockmap_cached(t, lock);
	if (uld__unlikely(inst == NULL))
		goto full;
	if (inst->ignored)
		goto done;
	/* Another thread's lock, taken here for the first time: say so on
	 * the full path (uld__instance_taken). */
	if (uld__instance_new_taker(t, inst))
		goto full;
	/* A sleeping lock under a spinlock is might_sleep's business. */
	if (uld__unlikely(inst->subclass != 0 || t->depth == t->cap ||
		(t->spins_held != 0 && !spin && !try)))
		goto full;
	struct uld__class *class = __atomic_load_n(&inst->class,
	    __ATOMIC_ACQUIRE);
	uint8_t read = uld__read_mode(flags);
	if (uld__unlikely(uld__irq_pending(t, class, read)))
		goto full;
	uint64_t key = uld__chain_next(t->chain_key, class->id, read);
	if (!try &&
	    uld__unlikely(t->ccache[key & (ULD_CCACHE_SIZE - 1)] != key ||
		uld__watchdog_missing(spin)))
		goto full;

	struct uld__held *h = &t->held[t->depth];
	uint64_t tail = uld__held_tail(read, (unsigned)try, type);
	h->lock = lock;
	h->class = class;
	h->ip = ip;
	h->prev_chain_key = t->chain_key;
	memcpy(&h->references, &tail, sizeof(tail)); /* one store */
	t->chain_key = key;
	t->spins_held += (uint32_t)spin;
	/* The wait before the count, as on the full path (validate.c): a
	 * handler that jumps out finds the pushed entry by it. */
	if (!try) {
		t->wait_seq++;
		__atomic_store_n(&t->wait_lock, lock, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&t->depth, t->depth + 1, __ATOMIC_RELEASE);
	if (uld__config_debug)
		uld__debug_check_chain(t);
done:
	uld__fast_leave(t);
	return ULD_FAST_DONE + (t->defer_pending != 0);
full:
	/* A deferred handler runs when the full path's guard drops. */
	uld__fast_leave(t);
	return 0;
}

/* `lock`, the top of the held stack, was popped: ULD_FAST_*; 0: full
 * path. */
static inline int
uld__release_fast(struct uld__thread *t, const void *lock)
{
	if (uld__unlikely((t->in_uld | t->irq_depth) != 0 || t->depth == 0 ||
		!uld__is_ready()))
		return 0;
	uld__fast_enter(t);

	uint32_t d = t->depth;
	const struct uld__held *h = &t->held[d - 1];
	if (uld__unlikely(h->lock != lock || h->references != 0 ||
		h->irq_ctx != 0 || t->wait_lock == lock)) {
		uld__fast_leave(t);
		return 0;
	}
	uld__held_pop(t, h);
	uld__fast_leave(t);
	return ULD_FAST_DONE + (t->defer_pending != 0);
}

#endif /* ULD_FASTPATH_H */
