/*
 * iorder.h: the order of instances within one class (same_class=order).
 *
 * By default two locks of one class nested are recursive_locking, as in
 * lockdep: the class graph cannot tell "child then parent, always" from
 * "either way round".  With same_class=order, such a nesting is allowed
 * and the pair of *instances* is recorded instead (a was held when b was
 * taken); taking b then a later, in any thread, is a circular_dependency
 * naming the class and both instances; so is a cycle through more
 * instances of the class (1 -> 2 -> 3, then 3 -> 1), found by a bounded
 * search over the recorded pairs (iorder.c, SEARCH_MAX).
 *
 * An instance is a lockmap entry and the sequence number it had (both
 * change when the lock is destroyed, freed or re-initialised), so the
 * records of a lock that is gone never match its successor at the same
 * address; they are dropped when the table next grows.  Everything here
 * runs under uld__graph_lock.
 */
#ifndef ULD_IORDER_H
#define ULD_IORDER_H

#include "stack.h"
#include "thread.h"

/* same_class=order is in force (options.h). */
int uld__iorder_enabled(void);
/*
 * `next` is being taken while `prev`, another lock of its class, is held:
 * record the pair, or report it (and return 1) if the reverse was seen.
 */
int uld__iorder_check(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, struct uld__cur_stack *cs);

#endif /* ULD_IORDER_H */
