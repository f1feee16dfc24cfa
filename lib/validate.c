/*
 * validate.c: lock acquisition and release checks.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "class.h"
#include "graph.h"
#include "init.h"
#include "iorder.h"
#include "irq.h"
#include "lifetime.h"
#include "lockmap.h"
#include "mutex.h"
#include "out.h"
#include "report.h"
#include "stack.h"
#include "symbols.h"
#include "watchdog.h"

static const char *
class_name(const struct uld__held *h)
{
	return uld__class_name(h->class);
}

/*
 * Start a report about `next` being taken while `prev` is held: the two
 * locks, in that order, and the current stack.
 */
static struct uld__rstack *
begin_pair(struct uld__report *r, enum uld__report_kind kind,
    struct uld__thread *t, const struct uld__held *next,
    const struct uld__held *prev, struct uld__cur_stack *cs)
{
	uld__cur_stack_get(cs);
	uld__report_begin(r, kind, t);
	uld__report_add_lock(r, next->class, next->lock, next->type,
	    next->read, next->ip);
	uld__report_add_lock(r, prev->class, prev->lock, prev->type,
	    prev->read, prev->ip);
	return uld__report_add_stack(r, "current", cs->ips, cs->n);
}

/* Two locks of one class, or one lock twice (lockdep's check_deadlock). */
static void
report_recursive(struct uld__thread *t, struct uld__held *next,
    struct uld__held *prev, struct uld__cur_stack *cs)
{
	struct uld__report r;
	struct uld__buf m;

	begin_pair(&r, ULD_REPORT_RECURSIVE, t, next, prev, cs);
	r.same_instance = next->lock == prev->lock;
	uld__report_sig_add(&r, class_name(next));
	uld__buf_init(&m, r.message, sizeof(r.message));
	if (r.same_instance) {
		uld__buf_printf(&m, "possible recursive locking: %s/%d takes %s "
				    "which it already holds",
		    r.thread, (int)r.tid, class_name(next));
		r.advice = "this thread already holds this lock, and it is "
			   "not recursive: the second acquisition deadlocks. "
			   "Release it first, or make it a recursive mutex if "
			   "re-entry is intended.";
	} else {
		uld__buf_printf(&m, "possible recursive locking: %s/%d takes a "
				    "second lock of class %s",
		    r.thread, (int)r.tid, class_name(next));
		r.advice = "two locks of one class nest here. If they are "
			   "always taken in a fixed order, annotate the inner "
			   "one with a subclass (uld_lock_acquire's subclass, "
			   "spin_lock_nested) or give them different classes "
			   "(uld_lock_set_class). A program you cannot change "
			   "can run with same_class=order, which checks the "
			   "order of the instances instead.";
	}
	uld__report_emit(&r);
}

static void
report_circular(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, const struct uld__path *p, struct uld__cur_stack *cs)
{
	struct uld__report r;
	struct uld__buf m;

	struct uld__rstack *s = begin_pair(&r, ULD_REPORT_CIRCULAR, t, next,
	    prev, cs);
	uld__buf_init(&m, s->title, sizeof(s->title));
	uld__buf_printf(&m, "%s taken while holding %s", class_name(next),
	    class_name(prev));
	r.cycle = p;

	/* Signature: the cycle's names, rotated to start at the smallest,
	 * so that the same cycle found from another edge is the same bug. */
	uint32_t n = p->n + 1, first = 0;
	for (uint32_t k = 1; k < n; k++)
		if (strcmp(uld__class_name(p->c[k]),
		    uld__class_name(p->c[first])) < 0)
			first = k;
	for (uint32_t k = 0; k < n; k++)
		uld__report_sig_add(&r, uld__class_name(p->c[(first + k) % n]));

	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "possible circular locking dependency: %s/%d takes "
			    "%s while holding %s, but %s",
	    r.thread, (int)r.tid, class_name(next), class_name(prev),
	    class_name(next));
	for (uint32_t k = 1; k <= p->n; k++)
		uld__buf_printf(&m, " -> %s", uld__class_name(p->c[k]));
	uld__buf_puts(&m, " was seen before");
	r.advice = "take these locks in one order everywhere. If these are "
		   "different locks of one class that nest in a fixed order, "
		   "annotate the inner acquisition with a subclass.";
	uld__report_emit(&r);
}

/* Record prev -> next, unless it would close a cycle (then report). */
static void
add_dependency(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, struct uld__cur_stack *cs)
{
	uint8_t dep = uld__dep_type(prev->read, next->read);
	struct uld__edge *e = uld__graph_find(prev->class, next->class);
	struct uld__path path;

	if (e != NULL && (e->deps & dep) == dep)
		return;
	int cyc = uld__graph_may_reach(next->class, prev->class)
	    ? uld__graph_cycle(prev->class, next->class, dep, &path)
	    : 0;
	if (cyc == 1) {
		/* Not added: the graph stays acyclic, so each later search
		 * reports only what is new. */
		report_circular(t, prev, next, &path, cs);
		return;
	}
	/* Nothing is irq-safe until some class was taken in a handler. */
	if (__atomic_load_n(&uld__irq_used, __ATOMIC_RELAXED) &&
	    uld__irq_check_edge(t, prev, next, cs))
		return;
	e = uld__graph_add(prev->class, next->class, dep);
	if (e == NULL || e->stack != NULL)
		return;
	uld__cur_stack_get(cs);
	e->stack = uld__stack_intern(cs->ips, cs->n);
	e->from_ip = prev->ip;
	e->tid = t->tid;
	uld__thread_name(e->thread, sizeof(e->thread));
}

/*
 * Does `next` join a held lock of its own class (lockdep's check_deadlock)?
 * The index of the first such holder to report, or -1; *by_instance is set
 * when a nearer one is another instance under same_class=order, which the
 * instances decide.  Looks only, so that it may run before the chain is
 * recorded.
 */
static int
find_recursive(const struct uld__thread *t, const struct uld__held *next,
    int *by_instance)
{
	/* Only the locks of this context: an interrupted context's locks
	 * are the irq rules' business (lockdep: no dependencies across irq
	 * context boundaries). */
	for (int i = (int)t->depth - 1; i >= 0; i--) {
		const struct uld__held *prev = &t->held[i];
		if (prev->irq_ctx != next->irq_ctx)
			break;
		if (prev->class != next->class)
			continue;
		/* A recursive reader may join any reader of its class. */
		if (next->read == ULD_READ_RECURSIVE && prev->read)
			continue;
		if (prev->lock != next->lock && uld__iorder_enabled()) {
			/* Another instance: the second loop's business, once
			 * no held lock turns out to be this very one. */
			*by_instance = 1;
			continue;
		}
		return i;
	}
	return -1;
}

/*
 * A chain seen for the first time: the new entry `next` sits at
 * t->held[t->depth], not yet counted in depth.
 */
static void
validate_chain(struct uld__thread *t, struct uld__held *next, uint64_t key)
{
	struct uld__cur_stack cs;
	sigset_t old;
	int by_instance = 0; /* same_class=order nesting: not cached */

	uld__cur_stack_init(&cs, next->ip);

	uld__graph_enter(&old);
	int rec = find_recursive(t, next, &by_instance);
	/*
	 * Another thread may have validated this chain since the lookup
	 * that sent us here.  Recording it now asks the table that question
	 * and records the answer in one step (one lookup less per new
	 * chain).  Other threads may then pass this chain before its edges
	 * are in: they would add the same ones, which this thread adds
	 * before any other can validate anything (the graph lock).
	 */
	if (by_instance ? uld__chain_lookup(t, key) : !uld__chain_add(t, key))
		goto out;
	if (rec >= 0) {
		report_recursive(t, next, &t->held[rec], &cs);
		goto out;
	}
	/*
	 * same_class=order: the instances decide.  The chain key (classes
	 * only) cannot tell A-then-B from B-then-A, so this chain is never
	 * cached: each such nesting comes back here.
	 */
	for (int i = (int)t->depth - 1; by_instance && i >= 0; i--) {
		struct uld__held *prev = &t->held[i];
		if (prev->irq_ctx != next->irq_ctx)
			break;
		if (prev->class != next->class ||
		    (next->read == ULD_READ_RECURSIVE && prev->read))
			continue;
		if (uld__iorder_check(t, prev, next, &cs))
			goto out;
	}
	/* Edges from the nearest blocking holder, and from every trylock
	 * taken after it (lockdep's check_prevs_add); older holders are
	 * ordered before `next` through them. */
	for (int i = (int)t->depth - 1; i >= 0; i--) {
		struct uld__held *prev = &t->held[i];
		if (prev->irq_ctx != next->irq_ctx)
			break;
		if (prev->class != next->class)
			add_dependency(t, prev, next, &cs);
		if (!prev->trylock)
			break;
	}
out:
	uld__graph_leave(&old);
}

/*
 * --enable-debug: the chain key must always be the hash of the held stack
 * (lockdep's DEBUG_LOCKDEP "hm#1").  A mismatch means the fast path and the
 * stack disagree, and every later cache lookup would be wrong.
 */
void
uld__debug_check_chain(const struct uld__thread *t)
{
	uint64_t key = ULD_INITIAL_CHAIN_KEY;
	int bad = 0;

	if (!uld__config_debug)
		return;
	for (uint32_t i = 0; i < t->depth && !bad; i++) {
		if (i > 0 && t->held[i].irq_ctx != t->held[i - 1].irq_ctx)
			key = ULD_INITIAL_CHAIN_KEY;
		bad = t->held[i].prev_chain_key != key;
		key = uld__chain_next(key, t->held[i].class->id,
		    t->held[i].read);
	}
	if (t->depth == 0 || t->held[t->depth - 1].irq_ctx != uld__irq_ctx(t))
		key = ULD_INITIAL_CHAIN_KEY;
	if (bad || key != t->chain_key) {
		static const char msg[] = "ulockdep: internal error: chain key "
					  "does not match the held locks\n";
		uld__write_all(2, msg, sizeof(msg) - 1);
		abort();
	}
}

void
uld__acquire(struct uld__thread *t, void *lock, enum uld_lock_type type,
    unsigned flags, unsigned subclass, const void *ip)
{
	struct uld__instance *inst = uld__lockmap_cached(t, lock);

	if (uld__unlikely(inst == NULL) &&
	    (inst = uld__lockmap_get(t, lock, type, ip)) == NULL)
		return;
	if (inst->ignored)
		return;
	uld__instance_taken(t, inst);
	/* In a handler: drop the ones a jump has left, and a mutex or rwlock
	 * may sleep, which it must not there, nor under a spinlock. */
	ULD_IRQ_UNWIND(t);
	if (uld__unlikely(t->spins_held | t->irq_depth) && !uld__is_spin(type) &&
	    !(flags & ULD_ACQ_TRY))
		uld__might_sleep(t, type == ULD_LOCK_MUTEX ? "pthread_mutex_lock"
							 : "pthread_rwlock_lock",
		    ip);
	struct uld__class *class = __atomic_load_n(&inst->class,
	    __ATOMIC_ACQUIRE);
	if (subclass == 0)
		subclass = inst->subclass;
	if (subclass)
		class = uld__class_sub(class, subclass);
	uld__class_name_early(class, t->depth, (flags & ULD_ACQ_TRY) != 0);
	uint8_t read = uld__read_mode(flags);

	if (flags & ULD_ACQ_RECURSIVE) {
		/* The owner re-taking a recursive mutex: count, no checks. */
		for (int i = (int)t->depth - 1; i >= 0; i--)
			if (t->held[i].lock == lock) {
				t->held[i].references++;
				return;
			}
	}
	if (uld__unlikely(t->depth == t->cap) && uld__thread_grow(t) != 0) {
		uld__out_of_memory(); /* says so once, stops validating */
		return;
	}
	struct uld__held *h = &t->held[t->depth];
	h->lock = lock;
	h->class = class;
	h->ip = ip;
	h->references = 0;
	h->read = read;
	h->trylock = !!(flags & ULD_ACQ_TRY);
	h->type = (uint8_t)type;
	h->irq_ctx = uld__irq_ctx(t);

	if (uld__unlikely(t->irq_depth != 0 || uld__irq_pending(t, class, read)))
		uld__irq_acquire(t, h);
	h->prev_chain_key = t->chain_key;
	uint64_t key = uld__chain_next(t->chain_key, class->id, read);
	/* A trylock cannot deadlock: no checks, no edge into it. */
	if (!h->trylock && !uld__chain_cached(t, key))
		validate_chain(t, h, key);
	t->chain_key = key;
	t->spins_held += uld__is_spin(type);
	/* The wait is published before the entry is counted: a handler
	 * that interrupts us and jumps out finds the pushed entry by it
	 * (uld__irq_intr_left), however close to the push it lands.  The
	 * watchdog that reads the wait a moment before the entry names it
	 * at its next sample. */
	if (!h->trylock) {
		t->wait_seq++;
		__atomic_store_n(&t->wait_lock, lock, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&t->depth, t->depth + 1, __ATOMIC_RELEASE);
	if (!h->trylock)
		uld__watchdog_start(uld__is_spin(type));
	uld__debug_check_chain(t);
}

/* The chain key after held entry h (with those below it in its context). */
static inline uint64_t
key_after(const struct uld__held *h)
{
	return uld__chain_next(h->prev_chain_key, h->class->id, h->read);
}

void
uld__held_rekey(struct uld__thread *t, uint32_t from)
{
	/* Each context's chain starts afresh at its first held lock. */
	for (uint32_t j = from; j < t->depth; j++) {
		struct uld__held *h = &t->held[j], *below = h - 1;
		h->prev_chain_key = j > 0 && below->irq_ctx == h->irq_ctx
		    ? key_after(below)
		    : ULD_INITIAL_CHAIN_KEY;
	}
	const struct uld__held *top = t->depth ? &t->held[t->depth - 1] : NULL;
	t->chain_key = top && top->irq_ctx == uld__irq_ctx(t)
	    ? key_after(top)
	    : ULD_INITIAL_CHAIN_KEY;
	uld__debug_check_chain(t);
}

void
uld__held_remove(struct uld__thread *t, uint32_t i)
{
	t->spins_held -= uld__is_spin(t->held[i].type);
	memmove(&t->held[i], &t->held[i + 1],
	    (t->depth - i - 1) * sizeof(t->held[0]));
	t->depth--;
	uld__held_rekey(t, i);
}

int
uld__held_find(const struct uld__thread *t, const void *lock)
{
	for (int i = (int)t->depth - 1; i >= 0; i--)
		if (t->held[i].lock == lock)
			return i;
	return -1;
}

void
uld__acquire_failed(struct uld__thread *t, void *lock)
{
	int i = uld__held_find(t, lock);

	if (t->wait_lock == lock)
		__atomic_store_n(&t->wait_lock, NULL, __ATOMIC_RELEASE);
	if (i < 0)
		return;
	if (t->held[i].references)
		t->held[i].references--;
	else
		uld__held_remove(t, (uint32_t)i);
}

static void
report_bad_unlock(struct uld__thread *t, void *lock, const void *ip)
{
	if (uld__sym_is_own(ip) || uld__sym_is_own(lock))
		return;
	struct uld__instance *inst = uld__lockmap_find(t, lock, ip);
	struct uld__class *c;
	int type = inst ? inst->type : ULD_LOCK_MUTEX;

	if (inst != NULL && inst->ignored)
		return;
	if (inst == NULL)
		inst = uld__lockmap_get(t, lock, ULD_LOCK_MUTEX, ip);
	if (inst == NULL)
		return;
	c = inst->class;

	struct uld__cur_stack cs;
	uld__cur_stack_init(&cs, ip);
	struct uld__report r;
	struct uld__buf m;
	sigset_t old;

	uld__report_begin(&r, ULD_REPORT_BAD_UNLOCK, t);
	r.other_owner = uld__thread_find_holder(lock, r.other_thread,
	    sizeof(r.other_thread), NULL);
	uld__graph_enter(&old);
	uld__cur_stack_get(&cs);
	uld__report_add_lock(&r, c, lock, type, 0, ip);
	uld__report_add_stack(&r, "current", cs.ips, cs.n);
	uld__report_sig_add(&r, uld__class_name(c));
	uld__buf_init(&m, r.message, sizeof(r.message));
	if (r.other_owner) {
		uld__buf_printf(&m, "bad unlock: %s/%d releases %s, which is "
				    "held by %s/%d",
		    r.thread, (int)r.tid, uld__class_name(c), r.other_thread,
		    (int)r.other_owner);
		r.advice = "a lock must be released by the thread that took "
			   "it. Hand the work back to the owner, or use a "
			   "semaphore if ownership really moves.";
	} else {
		uld__buf_printf(&m, "bad unlock: %s/%d releases %s, which no "
				    "thread holds",
		    r.thread, (int)r.tid, uld__class_name(c));
		r.advice = "this lock is released more often than it is "
			   "taken: look for a double unlock on an error path.";
	}
	uld__report_emit(&r);
	uld__graph_leave(&old);
}

void
uld__release(struct uld__thread *t, void *lock, const void *ip)
{
	int i = uld__held_find(t, lock);

	/* A caller that never said uld_lock_acquired() (an older user of
	 * the API) has certainly stopped waiting by now. */
	if (uld__unlikely(t->wait_lock == lock))
		__atomic_store_n(&t->wait_lock, NULL, __ATOMIC_RELEASE);

	if (uld__unlikely(i < 0)) {
		/* Unless a handler took it unseen and jumped out (irq.c). */
		if (!(t->nunrec && uld__irq_unrecorded_drop(t, lock)))
			report_bad_unlock(t, lock, ip);
		return;
	}
	struct uld__held *h = &t->held[i];
	if (h->references) {
		h->references--;
		return;
	}
	if (uld__likely((uint32_t)i == t->depth - 1 &&
		h->irq_ctx == uld__irq_ctx(t))) {
		uld__held_pop(t, h);
		return;
	}
	uld__held_remove(t, (uint32_t)i);
}
