/*
 * lockmap.h: lock instances, found by address.
 *
 * An instance is what the validator knows of one lock object: its class,
 * its type and its default subclass.  The map is a
 * cds_lfht keyed by address; each thread keeps a small direct-mapped cache
 * in front of it (thread.h), so an acquisition of a known lock reads no
 * shared table at all.
 *
 * A destroyed lock's instance stays in the table, dead, its `seq`
 * bumped: the next lock made at that address (malloc reuses freed blocks
 * soon) revives it in place, and dead ones no lock comes back to are
 * swept out in bulk (lockmap.c).  Instance memory is type-stable: an
 * instance taken out of the table is recycled for another lock after an
 * RCU grace period, never given back to the allocator.  A stale cache
 * entry therefore points at a valid instance whose addr/seq no longer
 * match, and is ignored.
 */
#ifndef ULD_LOCKMAP_H
#define ULD_LOCKMAP_H

#include <stdint.h>
#include <sys/types.h>
#include <urcu-bp.h>
#include <urcu/rculfhash.h>

#include "class.h"
#include "thread.h"

struct uld__instance {
	struct cds_lfht_node node;
	void *addr;
	struct uld__class *class;
	uint32_t seq;		/* bumped when the instance is retired */
	uint8_t type;
	uint8_t ignored;	/* a lock of the validator's own libraries */
	uint8_t subclass;	/* default subclass (uld_lock_set_subclass) */
	/*
	 * Taken by a thread other than `tid`, the one that created the
	 * instance: set once, by that thread's first acquisition, so that
	 * the fast path only reads it after.  A lock its creator destroys
	 * that no other thread has taken is held by no other thread, and
	 * destroy need not look through every thread's held locks (with
	 * 1,000 threads that scan cost 33 us per destroy).
	 */
	uint8_t shared;
	uint8_t state;		/* ULD_INST_*, below */
	pid_t tid;
	struct uld__instance *next_free;
};

/* Instance states.  Live; dead (destroyed, still in the table for a new
 * lock at its address); swept (being taken out of the table). */
enum { ULD_INST_LIVE, ULD_INST_DEAD, ULD_INST_SWEPT };

/* Is this t's first acquisition of another thread's lock (shared not
 * set yet)?  The fast path leaves it to the full path. */
static inline int
uld__instance_new_taker(const struct uld__thread *t,
    const struct uld__instance *inst)
{
	return uld__unlikely(inst->tid != t->tid) &&
	    uld__unlikely(!__atomic_load_n(&inst->shared, __ATOMIC_RELAXED));
}

/* Note that thread t takes inst (the full path). */
static inline void
uld__instance_taken(const struct uld__thread *t, struct uld__instance *inst)
{
	if (uld__instance_new_taker(t, inst))
		__atomic_store_n(&inst->shared, 1, __ATOMIC_RELAXED);
}

/* Could a thread other than t hold the lock of inst? */
static inline int
uld__instance_maybe_shared(const struct uld__thread *t,
    const struct uld__instance *inst)
{
	return inst->tid != t->tid ||
	    __atomic_load_n(&inst->shared, __ATOMIC_RELAXED);
}

void uld__lockmap_init(void);

static inline struct uld__icache_entry *
uld__icache_slot(struct uld__thread *t, const void *addr)
{
	/* Multiplicative hash: locks laid out in arrays (40 bytes apart for
	 * mutexes) spread over every slot. */
	return &t->icache[((uintptr_t)addr * 0x9e3779b97f4a7c15ULL) >>
	    (64 - ULD_ICACHE_BITS)];
}

/* The instance at addr if this thread's cache still holds it, else NULL:
 * the fast path's whole lookup, inline. */
static inline struct uld__instance *
uld__lockmap_cached(struct uld__thread *t, const void *addr)
{
	struct uld__icache_entry *e = uld__icache_slot(t, addr);
	struct uld__instance *inst = e->inst;

	if (uld__likely(e->addr == addr && inst != NULL &&
	    __atomic_load_n(&inst->seq, __ATOMIC_ACQUIRE) == e->seq &&
	    __atomic_load_n(&inst->addr, __ATOMIC_RELAXED) == addr))
		return inst;
	return NULL;
}

/*
 * The instance at addr, or NULL if none is known or the lock belongs to
 * the validator's own libraries (by its address or the caller's `ip`).
 */
struct uld__instance *uld__lockmap_find(struct uld__thread *t, void *addr,
    const void *ip);

/*
 * The instance at addr, created on first sight of a lock that no init call
 * announced: a static lock is classed by its variable, any other by the
 * acquisition site `ip`.
 */
struct uld__instance *uld__lockmap_get(struct uld__thread *t, void *addr,
    enum uld_lock_type type, const void *ip);

/* A lock is (re)initialised by thread t: a fresh instance replaces the
 * old, and goes into t's cache. */
void uld__lockmap_init_lock(struct uld__thread *t, void *addr,
    enum uld_lock_type type, struct uld__class *class, int ignored);

/*
 * The lock at addr is gone (destroy, or memory freed by thread t): its
 * instance dies.  Returned, NULL if there was none, for the caller to
 * read (its fields stay until a new lock at addr revives it): one lookup
 * for destroy's questions and the death both.
 */
struct uld__instance *uld__lockmap_forget(struct uld__thread *t, void *addr);

/* For the exit summary: the instances in the table (live and dead) and
 * the dead among them, each to within the batch other threads have not
 * counted in yet (under 64 each), and the sweeps made.  Lock-free. */
void uld__lockmap_stats(unsigned long *known, unsigned long *dead,
    unsigned long *sweeps);

/* The thread is ending: its own lists of free and retired instances go
 * back to the shared ones, and its counts not batched in yet go in.  With the re-entry guard set. */
void uld__lockmap_thread_exit(void);

/* fork(): hold retire_lock across it; release (parent) or reset (child). */
void uld__lockmap_prefork(void);
void uld__lockmap_postfork(int child);

/* Put the lock into another class (uld_lock_set_class). */
void uld__lockmap_set_class(struct uld__thread *t, void *addr,
    struct uld__class *class);

#endif /* ULD_LOCKMAP_H */
