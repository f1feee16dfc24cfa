/*
 * lockmap.c: the address -> instance map: instances made, killed by a
 * destroy, revived by the next lock at their address, swept out when no
 * lock comes back, and recycled after a grace period.
 */
#include "lockmap.h"

#include <string.h>

#include "alloc.h"
#include "lfht.h"
#include "mutex.h"
#include "pageidx.h"
#include "symbols.h"
#include "util.h"

static struct uld__lfht inst_ht;

/*
 * Retired instances wait for a grace period before reuse.  Protected by
 * retire_lock (rank 2, mutex.h; never held across synchronize_rcu()).
 * One grace period per RETIRE_BATCH: urcu-bp's synchronize_rcu() is four
 * system calls (two membarrier, two sigprocmask), which at one per 256
 * destroys were a tenth of a lock's life in the churn benchmark; 2,048
 * instances waiting are some 120 KB.
 */
static uld__mutex_t retire_lock = ULD_MUTEX_INIT(ULD_RANK_RETIRE);
static struct uld__instance *retired, *free_list;
static unsigned nretired;
#define RETIRE_BATCH 2048

/*
 * Each thread takes free instances from free_list and gives retired ones
 * to `retired` MINE_BATCH at a time, through lists of its own: a program
 * that creates and destroys locks all the time took retire_lock twice
 * per lock (two atomic pairs on one shared line, a tenth of the time of
 * a lock's life).  Its retired ones wait in its list before they join
 * `retired`, which only delays their grace period; they join at thread
 * exit (uld__lockmap_thread_exit), and so do its free ones.  A fork
 * child loses other threads' lists: MINE_BATCH instances each, at most.
 */
#define MINE_BATCH 32
static ULD_TLS struct {
	struct uld__instance *free, *retired, *retired_last;
	unsigned nretired;
} mine;

void
uld__lockmap_init(void)
{
	uld__lfht_create(&inst_ht, ULD_LFHT_INIT_BUCKETS, 1UL << 26);
}

/*
 * The table's node count (lfht.h: it decides when to grow) moves by
 * INST_BATCH at a time: each init and destroy of every thread wrote that
 * one shared word.  A thread's own count runs ahead by less than
 * INST_BATCH either way; a thread that destroys what others made brings
 * the shared one down, never below 0 (a wrapped count would grow the
 * table to its maximum).  Called outside any RCU read-side section, as
 * uld__lfht_added.
 */
#define INST_BATCH 64
static ULD_TLS long mine_added;

/* *c += d, never below 0: a wrapped count would grow the table to its
 * maximum, or sweep for ever.  Returns the new count. */
static unsigned long
count_add(unsigned long *c, long d)
{
	unsigned long v = __atomic_load_n(c, __ATOMIC_RELAXED), n;

	do
		n = d >= 0 || v > (unsigned long)-d ? v + d : 0;
	while (!__atomic_compare_exchange_n(c, &v, n, 0, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED));
	return n;
}

static void
inst_added(long delta)
{
	long d = mine_added += delta;

	if (d > -INST_BATCH && d < INST_BATCH)
		return;
	mine_added = 0;
	if (d > 0)
		uld__lfht_added(&inst_ht, d);
	else
		count_add(&inst_ht.count, d);
}

static inline unsigned long
addr_hash(const void *addr)
{
	return uld__mix64((uintptr_t)addr);
}

static int
match(struct cds_lfht_node *node, const void *key)
{
	return uld__container_of(node, struct uld__instance, node)->addr == key;
}

/* Remember inst (at addr, with sequence seq) in t's instance cache. */
static inline void
icache_fill(struct uld__thread *t, void *addr, struct uld__instance *inst,
    uint32_t seq)
{
	struct uld__icache_entry *e = uld__icache_slot(t, addr);

	e->addr = addr;
	e->inst = inst;
	e->seq = seq;
}

/* The table's instance at addr, live or not.  In a read-side section. */
static struct uld__instance *
lookup(void *addr)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	cds_lfht_lookup(inst_ht.ht, addr_hash(addr), match, addr, &iter);
	node = cds_lfht_iter_get_node(&iter);
	return node ? uld__container_of(node, struct uld__instance, node)
		    : NULL;
}

struct uld__instance *
uld__lockmap_find(struct uld__thread *t, void *addr, const void *ip)
{
	struct uld__instance *inst = uld__lockmap_cached(t, addr);

	if (inst != NULL)
		return inst;

	uint32_t seq = 0;

	/*
	 * The validator's own libraries lock for themselves (jemalloc's
	 * constructor, urcu's thread registration and exit): those are not
	 * the program's locks, and even looking them up could take the very
	 * lock they hold (rcu_read_lock registers the thread under urcu's
	 * registry mutex).  Known without allocating or locking.
	 */
	if (uld__sym_is_own(ip) || uld__sym_is_own(addr))
		return NULL;
	rcu_read_lock();
	inst = lookup(addr);
	/* seq before state: the seq of a live instance, which its death
	 * bumps (forget), so that a cache entry filled here goes stale. */
	if (inst != NULL) {
		seq = __atomic_load_n(&inst->seq, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&inst->state, __ATOMIC_ACQUIRE) !=
		    ULD_INST_LIVE)
			inst = NULL;
	}
	rcu_read_unlock();
	if (inst != NULL)
		icache_fill(t, addr, inst, seq);
	return inst;
}

static struct uld__instance *
alloc_instance(void)
{
	struct uld__instance *inst = mine.free;

	if (inst == NULL) {
		/* Up to MINE_BATCH of the free ones, in one hold. */
		uld__mutex_lock(&retire_lock);
		inst = free_list;
		struct uld__instance *last = inst;
		for (unsigned n = 1; last && n < MINE_BATCH && last->next_free;
		    n++)
			last = last->next_free;
		if (last != NULL) {
			free_list = last->next_free;
			last->next_free = NULL;
		}
		uld__mutex_unlock(&retire_lock);
		if (inst == NULL)
			return uld__calloc(1, sizeof(*inst));
	}
	mine.free = inst->next_free;
	return inst;
}

/* This thread's retired instances join the shared list.  Under
 * retire_lock. */
static void
give_retired(void)
{
	mine.retired_last->next_free = retired;
	retired = mine.retired;
	nretired += mine.nretired;
	mine.retired = NULL;
	mine.nretired = 0;
}

/* Queue `old` (unhashed, its seq already bumped) for reuse after a
 * grace period. */
static void
queue_retired(struct uld__instance *old)
{
	struct uld__instance *batch = NULL;

	old->next_free = mine.retired;
	if (mine.retired == NULL)
		mine.retired_last = old;
	mine.retired = old;
	if (++mine.nretired < MINE_BATCH)
		return;
	uld__mutex_lock(&retire_lock);
	give_retired();
	if (nretired >= RETIRE_BATCH) {
		batch = retired;
		retired = NULL;
		nretired = 0;
	}
	uld__mutex_unlock(&retire_lock);
	if (batch == NULL)
		return;
	/* Readers that found these before they were unhashed are done after
	 * this; then the memory may hold another lock. */
	synchronize_rcu();
	struct uld__instance *last = batch;
	while (last->next_free)
		last = last->next_free;
	uld__mutex_lock(&retire_lock);
	last->next_free = free_list;
	free_list = batch;
	uld__mutex_unlock(&retire_lock);
}

/* Queue `old`, a live instance just unhashed, for reuse: its cache
 * entries go stale first.  Only the thread that unhashed it retires it:
 * no locked add. */
static void
retire(struct uld__instance *old)
{
	__atomic_store_n(&old->seq, old->seq + 1, __ATOMIC_RELEASE);
	queue_retired(old);
}

static void flush_counts(void);

void
uld__lockmap_thread_exit(void)
{
	sigset_t old;

	uld__sig_block(&old); /* as insert() */
	flush_counts();
	uld__mutex_lock(&retire_lock);
	if (mine.retired != NULL)
		give_retired();
	if (mine.free != NULL) {
		struct uld__instance *last = mine.free;
		while (last->next_free)
			last = last->next_free;
		last->next_free = free_list;
		free_list = mine.free;
	}
	uld__mutex_unlock(&retire_lock);
	uld__sig_restore(&old);
	mine.free = NULL;
}

/*
 * Dead instances (forget) stay in the table for the next lock at their
 * address: malloc hands a freed block back soon, and a revival is a
 * store or two where a removal and an insertion were two table updates.
 * The ones no lock comes back to are swept out once there are
 * SWEEP_MIN of them and they are half the table or more: a sweep walks
 * the whole table, so it comes at most once per that many deaths.
 * dead_count moves by DEAD_BATCH at a time, as the table's count does
 * (inst_added); it is an estimate, never below 0.
 */
#define SWEEP_MIN 4096
#define DEAD_BATCH 64
static unsigned long dead_count;
static int sweeping;
static unsigned long sweeps; /* for the summary (uld__lockmap_stats) */
static ULD_TLS long mine_dead;

static void sweep(void);

static void
dead_added(long delta)
{
	long d = mine_dead += delta;

	if (d > -DEAD_BATCH && d < DEAD_BATCH)
		return;
	mine_dead = 0;
	unsigned long n = count_add(&dead_count, d);
	if (d > 0 && n >= SWEEP_MIN &&
	    n * 2 >= __atomic_load_n(&inst_ht.count, __ATOMIC_RELAXED))
		sweep();
}

/* A thread's counts not batched in yet, at its exit: in as they are (no
 * resize, no sweep; a living thread's next batch sees them). */
static void
flush_counts(void)
{
	count_add(&inst_ht.count, mine_added);
	count_add(&dead_count, mine_dead);
	mine_added = mine_dead = 0;
}

/*
 * Take the dead instances out of the table and retire them.  One thread
 * at a time; called outside any read-side section, with signals blocked.
 * Whoever takes a node out of the table retires it: a sweep that loses
 * the node to an insertion's add_replace leaves it to that.
 */
static void
sweep(void)
{
	int idle = 0;

	if (!__atomic_compare_exchange_n(&sweeping, &idle, 1, 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	struct uld__instance *list = NULL, *inst;
	struct cds_lfht_iter iter;
	long n = 0;

	rcu_read_lock();
	cds_lfht_for_each_entry(inst_ht.ht, &iter, inst, node) {
		uint8_t dead = ULD_INST_DEAD;
		if (__atomic_load_n(&inst->state, __ATOMIC_RELAXED) ==
			ULD_INST_DEAD &&
		    __atomic_compare_exchange_n(&inst->state, &dead,
			ULD_INST_SWEPT, 0, __ATOMIC_ACQ_REL,
			__ATOMIC_RELAXED) &&
		    cds_lfht_del(inst_ht.ht, &inst->node) == 0) {
			inst->next_free = list;
			list = inst;
			n++;
		}
	}
	rcu_read_unlock();
	/* Their seq was bumped when they died, and none has lived since. */
	while (list != NULL) {
		struct uld__instance *next = list->next_free;
		queue_retired(list);
		list = next;
	}
	count_add(&dead_count, -n);
	inst_added(-n);
	__atomic_add_fetch(&sweeps, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sweeping, 0, __ATOMIC_RELEASE);
}

void
uld__lockmap_stats(unsigned long *known, unsigned long *dead,
    unsigned long *nsweeps)
{
	/* The batched counts, this thread's part added: no walk, no lock
	 * (_exit may end the process from a signal handler). */
	long k = (long)__atomic_load_n(&inst_ht.count, __ATOMIC_RELAXED) +
	    mine_added;
	long d = (long)__atomic_load_n(&dead_count, __ATOMIC_RELAXED) +
	    mine_dead;

	*known = k > 0 ? (unsigned long)k : 0;
	*dead = d < 0 ? 0 : d > k ? *known : (unsigned long)d;
	*nsweeps = __atomic_load_n(&sweeps, __ATOMIC_RELAXED);
}
struct uld__instance *
uld__lockmap_forget(struct uld__thread *t, void *addr)
{
	sigset_t mask;

	uld__sig_block(&mask); /* as insert() */
	rcu_read_lock();
	/*
	 * The thread that destroys a lock has nearly always just used it:
	 * its cache has the node, and a lookup would find the same.  Checked
	 * inside the read-side section: an instance still at addr with the
	 * cached seq is not retired yet, so not recycled before we leave.
	 */
	struct uld__instance *inst = uld__lockmap_cached(t, addr);
	if (inst == NULL)
		inst = lookup(addr);
	uint8_t live = ULD_INST_LIVE;
	if (inst != NULL && __atomic_compare_exchange_n(&inst->state, &live,
	    ULD_INST_DEAD, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		/*
		 * After the state, and before leaving the read-side section
		 * (a sweep may retire it once we are out): every cache entry
		 * of it goes stale, and a lookup that reads the new seq
		 * reads the state after it.  Not a locked add: a sweep's
		 * retire does not bump it again.
		 */
		__atomic_store_n(&inst->seq, inst->seq + 1, __ATOMIC_RELEASE);
	} else {
		inst = NULL; /* none, or destroyed already */
	}
	rcu_read_unlock();
	if (inst != NULL) {
		uld__pageidx_del(addr);
		dead_added(1);
	}
	uld__sig_restore(&mask);
	return inst;
}

/*
 * Bring the dead instance at addr back for a new lock there (init, or
 * first sight after a destroy), in place: 1 if this thread did.  Fields
 * first, then the state; of two threads reviving one lock at once (the
 * program's race), one wins and the fields are someone's.  In a
 * read-side section: a sweep cannot recycle it under us.
 */
static int
revive(struct uld__instance *inst, enum uld_lock_type type,
    struct uld__class *class, int ignored)
{
	uint8_t dead = ULD_INST_DEAD;

	if (__atomic_load_n(&inst->state, __ATOMIC_RELAXED) != ULD_INST_DEAD)
		return 0;
	__atomic_store_n(&inst->class, class, __ATOMIC_RELAXED);
	inst->type = type;
	inst->ignored = ignored;
	inst->subclass = 0;
	inst->shared = 0;
	inst->tid = uld__self.tid;
	return __atomic_compare_exchange_n(&inst->state, &dead, ULD_INST_LIVE,
	    0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static struct uld__instance *
insert_locked(void *addr, enum uld_lock_type type, struct uld__class *class,
    int ignored, int replace);

/*
 * The slow paths run with every signal blocked: they take retire_lock,
 * allocate (jemalloc's mutexes), add to the hash table (urcu's) and may
 * wait for a grace period.  A handler that interrupted them and left by
 * siglongjmp would leave those locks held for good (irq.c, "a handler
 * that interrupted the validator itself").
 */
static struct uld__instance *
insert(void *addr, enum uld_lock_type type, struct uld__class *class,
    int ignored, int replace)
{
	sigset_t old;

	uld__sig_block(&old);
	struct uld__instance *inst = insert_locked(addr, type, class, ignored,
	    replace);
	uld__sig_restore(&old);
	return inst;
}

/*
 * Did this thread's last few new locks land where a dead one was?  A
 * two-bit counter: 2 or more, and insert_locked looks the address up
 * first, a revival for the price of a lookup; else it adds at once, a
 * new address for the price of an add.  Revivals count up, new
 * addresses down.  (add_unique finds a dead node too, but at half as
 * much again as a lookup.)
 */
static ULD_TLS uint8_t mine_reuse;

/* old, at addr, was revived: indexed again, one dead fewer. */
static struct uld__instance *
revived(struct uld__instance *old, void *addr)
{
	dead_added(-1);
	uld__pageidx_add(addr);
	return old;
}

/* An instance made for insert_locked and not put in the table: no reader
 * saw it, so it is free again at once, without a grace period. */
static void
unused(struct uld__instance *inst)
{
	inst->addr = NULL;
	inst->next_free = mine.free;
	mine.free = inst;
}

static struct uld__instance *
insert_locked(void *addr, enum uld_lock_type type, struct uld__class *class,
    int ignored, int replace)
{
	struct uld__instance *inst, *old;
	struct cds_lfht_node *got;

	if (mine_reuse >= 2) {
		rcu_read_lock();
		old = lookup(addr);
		if (old != NULL && revive(old, type, class, ignored)) {
			rcu_read_unlock();
			mine_reuse = 3;
			return revived(old, addr);
		}
		rcu_read_unlock();
	}
	inst = alloc_instance();
	if (inst == NULL)
		return NULL;
	inst->class = class;
	inst->type = type;
	inst->ignored = ignored;
	inst->subclass = 0;
	inst->shared = 0;
	inst->tid = uld__self.tid; /* the thread creating it (thread.h) */
	inst->state = ULD_INST_LIVE;
	inst->next_free = NULL;
	cds_lfht_node_init(&inst->node);
	__atomic_store_n(&inst->addr, addr, __ATOMIC_RELEASE);

	/*
	 * A new address gets the new node at once; one the table has
	 * already is revived if it is dead, kept if it is live and this is
	 * a first sight, replaced otherwise (a lock initialised again).
	 */
	rcu_read_lock();
	got = cds_lfht_add_unique(inst_ht.ht, addr_hash(addr), match, addr,
	    &inst->node);
	if (got == &inst->node) {
		rcu_read_unlock();
		mine_reuse -= mine_reuse > 0;
		inst_added(1);
		uld__pageidx_add(addr);
		return inst;
	}
	old = uld__container_of(got, struct uld__instance, node);
	if (revive(old, type, class, ignored)) {
		rcu_read_unlock();
		mine_reuse += mine_reuse < 3;
		unused(inst);
		return revived(old, addr);
	}
	if (!replace &&
	    __atomic_load_n(&old->state, __ATOMIC_ACQUIRE) == ULD_INST_LIVE) {
		/* Another thread saw this lock first; use its instance. */
		rcu_read_unlock();
		unused(inst);
		return old;
	}
	got = cds_lfht_add_replace(inst_ht.ht, addr_hash(addr), match, addr,
	    &inst->node);
	old = got ? uld__container_of(got, struct uld__instance, node) : NULL;
	int was_live = old != NULL &&
	    __atomic_load_n(&old->state, __ATOMIC_ACQUIRE) == ULD_INST_LIVE;
	rcu_read_unlock();
	if (old == NULL)
		inst_added(1);
	else if (was_live)
		retire(old);
	else
		queue_retired(old); /* dead or being swept: bumped already */
	if (!was_live)
		uld__pageidx_add(addr);
	if (old != NULL && !was_live)
		dead_added(-1);
	return inst;
}

static struct uld__instance *first_sight(struct uld__thread *t, void *addr,
    enum uld_lock_type type, const void *ip);

struct uld__instance *
uld__lockmap_get(struct uld__thread *t, void *addr, enum uld_lock_type type,
    const void *ip)
{
	struct uld__instance *inst = uld__lockmap_find(t, addr, ip);

	if (uld__likely(inst != NULL))
		return inst;

	sigset_t old;
	uld__sig_block(&old); /* as insert(): the symbol lock, allocation */
	inst = first_sight(t, addr, type, ip);
	uld__sig_restore(&old);
	return inst;
}

static struct uld__instance *
first_sight(struct uld__thread *t, void *addr, enum uld_lock_type type,
    const void *ip)
{
	struct uld__class *c;
	if (uld__sym_is_own(ip) || uld__sym_is_own(addr))
		return NULL;
	if (uld__sym_is_static(addr)) {
		const void *key;
		char unused[8];
		/* All elements of a static array of locks share a class. */
		uld__name_variable(addr, type, 1, unused, sizeof(unused), &key);
		c = uld__class_get(ULD_CLASS_STATIC, key, type, NULL, addr);
	} else {
		c = uld__class_get(ULD_CLASS_ACQUIRE_SITE, ip, type, NULL,
		    addr);
	}
	if (c == NULL)
		return NULL;
	insert(addr, type, c, c->own, 0);
	return uld__lockmap_find(t, addr, ip);
}

void
uld__lockmap_init_lock(struct uld__thread *t, void *addr,
    enum uld_lock_type type, struct uld__class *class, int ignored)
{
	struct uld__instance *inst = insert(addr, type, class, ignored, 1);

	/* The first acquisition comes next, nearly always on this thread:
	 * it finds the instance here instead of in the table. */
	if (inst != NULL)
		icache_fill(t, addr, inst,
		    __atomic_load_n(&inst->seq, __ATOMIC_ACQUIRE));
}

void
uld__lockmap_prefork(void)
{
	uld__mutex_lock(&retire_lock);
}

void
uld__lockmap_postfork(int child)
{
	if (child) {
		uld__mutex_reset(&retire_lock);
		/* A sweep another thread was making is not the child's: its
		 * half-swept nodes are replaced when a lock comes back there
		 * (insert_locked). */
		sweeping = 0;
	} else
		uld__mutex_unlock(&retire_lock);
}

void
uld__lockmap_set_class(struct uld__thread *t, void *addr,
    struct uld__class *class)
{
	struct uld__instance *inst = uld__lockmap_find(t, addr, NULL);

	if (inst != NULL)
		__atomic_store_n(&inst->class, class, __ATOMIC_RELEASE);
	else
		insert(addr, class->type, class, 0, 1);
}
