/*
 * lifetime.h: context and lifetime checks (see lifetime.c).  Called with
 * the re-entry guard set; each reports under uld__graph_lock.
 */
#ifndef ULD_LIFETIME_H
#define ULD_LIFETIME_H

#include <stddef.h>
#include <stdint.h>

#include "thread.h"

/* A sleeping call (`what`) is made: wrong while a spinlock is held. */
void uld__might_sleep(struct uld__thread *t, const char *what,
    const void *ip);
/* A lock is destroyed: report it if held anywhere, then forget it. */
void uld__destroy(struct uld__thread *t, void *lock, const void *ip);
/* Memory [p, p+len) is freed: its locks are destroyed (reported if held
 * by any thread) and forgotten. */
void uld__mem_free(struct uld__thread *t, void *p, size_t len,
    const void *ip);
/* The thread is ending (or main is returning): report locks still held,
 * and give back its lists of instances (lockmap.h). */
void uld__thread_exiting(struct uld__thread *t);

/* A kernel-style lock's magic is wrong in operation `op`; `type` is
 * ULD_LOCK_SPIN_KERNEL (spinlock_t) or ULD_LOCK_RWLOCK_KERNEL (rwlock_t). */
void uld__bad_magic(struct uld__thread *t, void *lock,
    enum uld_lock_type type, uint32_t magic, const char *op, const void *ip);

#endif /* ULD_LIFETIME_H */
