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

#include "thread.h"
#include "ulockdep/ulockdep.h"

void uld__acquire(struct uld__thread *t, void *lock, enum uld_lock_type type,
    unsigned flags, unsigned subclass, const void *ip);
void uld__acquire_failed(struct uld__thread *t, void *lock);
void uld__release(struct uld__thread *t, void *lock, const void *ip);
/* A sleeping call (`what`) is made: wrong while a spinlock is held. */
void uld__might_sleep(struct uld__thread *t, const char *what,
    const void *ip);
/* A lock is destroyed: report it if held anywhere, then forget it. */
void uld__destroy(struct uld__thread *t, void *lock, const void *ip);
/* The thread is ending (or main is returning): report locks still held. */
void uld__thread_exiting(struct uld__thread *t);

#endif /* ULD_VALIDATE_H */
