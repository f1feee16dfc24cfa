/*
 * iorder.c: the order of instances within one class (iorder.h).
 *
 * Each ordered pair is a node in two chained hash tables: by the pair
 * (is a-then-b known?) and by its first instance (what was taken while a
 * was held?), the second one for the cycle search.  A program that nests
 * same-class locks has few pairs alive at a time (a merge tree's nodes, a
 * list's neighbours); the pairs of dead instances are freed whenever the
 * tables grow.
 */
#include "iorder.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "class.h"
#include "graph.h"
#include "lockmap.h"
#include "options.h"
#include "report.h"
#include "util.h"

/* A lock as one instance of its life: NO_SEQ when the lock map has no
 * entry for it (then the address alone names it). */
struct ident {
	const void *p;
	uint32_t seq;
};
#define NO_SEQ UINT32_MAX

/* `a` was held while `b` was taken; `e` is that dependency as a report
 * shows one (b's class, where b was taken, by whom). */
struct order {
	struct ident a, b;
	struct uld__edge e;
	struct order *pair_next, *from_next;
};

/*
 * The cycle search queues at most this many pairs: a bound, as lockdep's
 * BFS has one, so that a class with very many instances costs a known
 * amount per new pair, and small, since the search may run on a signal
 * handler's stack.  A cycle it cannot reach is missed (iorder.h).
 */
#define SEARCH_MAX 64

static struct order **by_pair, **by_from; /* NULL until the first pair */
static uint32_t cap, used;

int
uld__iorder_enabled(void)
{
	return uld__opts.same_class[0] == 'o';
}

static struct ident
ident_of(struct uld__thread *t, const struct uld__held *h)
{
	struct uld__instance *inst = uld__lockmap_find(t, h->lock, NULL);

	if (inst == NULL)
		return (struct ident){ h->lock, NO_SEQ };
	return (struct ident){ inst,
		__atomic_load_n(&inst->seq, __ATOMIC_ACQUIRE) };
}

/* Is this instance's lock still the one recorded?  Instances are never
 * freed (lockmap.h), so reading a retired one is safe. */
static int
alive(struct ident x)
{
	if (x.seq == NO_SEQ)
		return 1;
	const struct uld__instance *inst = x.p;
	return __atomic_load_n(&inst->seq, __ATOMIC_ACQUIRE) == x.seq;
}

/* The lock's address (the instance's, while it is alive). */
static const void *
lock_of(struct ident x)
{
	if (x.seq == NO_SEQ)
		return x.p;
	return __atomic_load_n(&((const struct uld__instance *)x.p)->addr,
	    __ATOMIC_RELAXED);
}

static int
same(struct ident x, struct ident y)
{
	return x.p == y.p && x.seq == y.seq;
}

static uint64_t
ident_hash(struct ident x)
{
	return uld__mix64((uintptr_t)x.p ^ ((uint64_t)x.seq << 40));
}

static uint32_t
pair_slot(struct ident a, struct ident b, uint32_t n)
{
	return (uint32_t)uld__mix64(ident_hash(a) ^ (ident_hash(b) >> 1)) &
	    (n - 1);
}

static uint32_t
from_slot(struct ident a, uint32_t n)
{
	return (uint32_t)ident_hash(a) & (n - 1);
}

static struct order *
find(struct ident a, struct ident b)
{
	if (by_pair == NULL)
		return NULL;
	for (struct order *o = by_pair[pair_slot(a, b, cap)]; o;
	    o = o->pair_next)
		if (same(o->a, a) && same(o->b, b))
			return o;
	return NULL;
}

static void
link_order(struct order *o)
{
	uint32_t i = pair_slot(o->a, o->b, cap), j = from_slot(o->a, cap);

	o->pair_next = by_pair[i];
	by_pair[i] = o;
	o->from_next = by_from[j];
	by_from[j] = o;
}

/* Larger tables, holding only the live pairs; the dead are freed. */
static int
grow(void)
{
	uint32_t ncap = cap ? cap * 2 : 64;
	struct order **np = uld__calloc(ncap, sizeof(*np));
	struct order **nf = uld__calloc(ncap, sizeof(*nf));

	if (np == NULL || nf == NULL) {
		uld__free(np);
		uld__free(nf);
		return -1;
	}
	struct order **op = by_pair;
	uint32_t ocap = cap;
	uld__free(by_from);
	by_pair = np;
	by_from = nf;
	cap = ncap;
	used = 0;
	for (uint32_t i = 0; i < ocap; i++) {
		struct order *o = op[i], *next;
		for (; o; o = next) {
			next = o->pair_next;
			if (alive(o->a) && alive(o->b)) {
				link_order(o);
				used++;
			} else {
				uld__free(o);
			}
		}
	}
	uld__free(op);
	return 0;
}

/*
 * A path of recorded pairs from `from` to `to` (breadth first, at most
 * SEARCH_MAX pairs looked at): its pairs into path[], first to last, and
 * their number; 0 when none was found.
 */
static uint32_t
search(struct ident from, struct ident to, struct order **path)
{
	struct order *queue[SEARCH_MAX];
	uint32_t parent[SEARCH_MAX];
	uint32_t head = 0, n = 0;
	struct ident at = from;
	uint32_t at_idx = UINT32_MAX; /* the pair that reached `at` */

	if (by_from == NULL)
		return 0;
	for (;;) {
		for (struct order *o = by_from[from_slot(at, cap)]; o;
		    o = o->from_next) {
			if (!same(o->a, at) || !alive(o->b))
				continue;
			int seen = same(o->b, from);
			for (uint32_t k = 0; k < n && !seen; k++)
				seen = same(queue[k]->b, o->b);
			if (seen)
				continue;
			if (n == SEARCH_MAX)
				return 0;
			queue[n] = o;
			parent[n] = at_idx;
			if (same(o->b, to)) {
				uint32_t len = 0;
				for (uint32_t k = n; k != UINT32_MAX;
				    k = parent[k])
					len++;
				uint32_t i = len;
				for (uint32_t k = n; k != UINT32_MAX;
				    k = parent[k])
					path[--i] = queue[k];
				return len;
			}
			n++;
		}
		if (head == n)
			return 0;
		at_idx = head;
		at = queue[head++]->b;
	}
}

/*
 * next is taken while holding prev, and path[0..n) leads from next to
 * prev (next was held while ... was taken, ..., while prev was taken).
 * Shown as a cycle of one class through the instances.
 */
static void
report(struct uld__thread *t, struct uld__held *prev, struct uld__held *next,
    struct order **path, uint32_t n, struct uld__cur_stack *cs)
{
	struct uld__report r;
	struct uld__buf m;
	struct uld__class *c[SEARCH_MAX + 1];
	struct uld__edge *e[SEARCH_MAX];

	uld__cur_stack_get(cs);
	uld__report_begin(&r, ULD_REPORT_CIRCULAR, t);
	uld__report_add_lock(&r, next->class, next->lock, next->type,
	    next->read, next->ip);
	uld__report_add_lock(&r, prev->class, prev->lock, prev->type,
	    prev->read, prev->ip);
	struct uld__rstack *s = uld__report_add_stack(&r, "current", cs->ips,
	    cs->n);
	uld__buf_init(&m, s->title, sizeof(s->title));
	uld__buf_printf(&m, "%s %p taken while holding %s %p",
	    uld__class_name(next->class), next->lock,
	    uld__class_name(prev->class), prev->lock);

	c[0] = next->class;
	for (uint32_t k = 0; k < n; k++) {
		c[k + 1] = next->class;
		e[k] = &path[k]->e;
	}
	struct uld__path p = { n, c, e };
	r.cycle = &p;
	/* Class names only (contract): one report per class. */
	uld__report_sig_add(&r, uld__class_name(next->class));
	uld__report_sig_add(&r, uld__class_name(prev->class));

	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "possible circular locking dependency: %s/%d takes "
			    "%s %p while holding %p of the same class, but ",
	    r.thread, (int)r.tid, uld__class_name(next->class), next->lock,
	    prev->lock);
	if (n == 1)
		uld__buf_printf(&m, "%p was held while %p was taken before",
		    next->lock, prev->lock);
	else {
		uld__buf_printf(&m, "the order %p", next->lock);
		for (uint32_t k = 0; k < n; k++)
			uld__buf_printf(&m, " -> %p", lock_of(path[k]->b));
		uld__buf_puts(&m, " was seen before");
	}
	r.advice = "same_class=order: these locks of one class were nested in "
		   "orders that form a cycle. Take locks of one class in one "
		   "order everywhere (by their place in a tree or a list, or "
		   "by address).";
	uld__report_emit(&r);
}

int
uld__iorder_check(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, struct uld__cur_stack *cs)
{
	struct ident a = ident_of(t, prev), b = ident_of(t, next);
	struct order *path[SEARCH_MAX];

	if (find(a, b) != NULL)
		return 0; /* known, and checked when it was learnt */
	uint32_t n = search(b, a, path);
	if (n > 0) {
		/* Not recorded: the order seen first stays the only one
		 * known, and a repeat is the same signature, written once. */
		report(t, prev, next, path, n, cs);
		return 1;
	}
	if (used + 1 > cap && grow() != 0)
		return 0; /* out of memory: the order is not learned */
	struct order *o = uld__calloc(1, sizeof(*o));
	if (o == NULL)
		return 0;
	o->a = a;
	o->b = b;
	uld__cur_stack_get(cs);
	o->e.to = next->class;
	o->e.stack = uld__stack_intern(cs->ips, cs->n);
	o->e.from_ip = prev->ip;
	o->e.tid = t->tid;
	o->e.deps = uld__dep_type(prev->read, next->read);
	uld__thread_name(o->e.thread, sizeof(o->e.thread));
	link_order(o);
	used++;
	return 0;
}
