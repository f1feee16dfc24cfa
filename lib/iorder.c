/*
 * iorder.c: the order of instances within one class (iorder.h).
 *
 * An open-addressing table of ordered pairs, keyed by both instances.  It
 * only grows: a program that nests same-class locks has few pairs alive
 * at a time (a merge tree's nodes, a list's neighbours), and the pairs of
 * dead instances are left out at each growth.
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
};

static struct order *tab; /* NULL until the first pair */
static uint32_t cap, used;

int
uld__iorder_enabled(void)
{
	return uld__opts.same_class[0] == 'o';
}

unsigned long
uld__iorder_count(void)
{
	return used;
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

static int
same(struct ident x, struct ident y)
{
	return x.p == y.p && x.seq == y.seq;
}

static uint32_t
slot_of(struct ident a, struct ident b, uint32_t n)
{
	uint64_t h = uld__mix64((uintptr_t)a.p ^ ((uint64_t)a.seq << 40));
	h = uld__mix64(h ^ (uintptr_t)b.p ^ ((uint64_t)b.seq << 20));
	return (uint32_t)h & (n - 1);
}

static struct order *
find(struct ident a, struct ident b)
{
	if (tab == NULL)
		return NULL;
	for (uint32_t i = slot_of(a, b, cap);; i = (i + 1) & (cap - 1)) {
		struct order *o = &tab[i];
		if (o->a.p == NULL)
			return NULL;
		if (same(o->a, a) && same(o->b, b))
			return o;
	}
}

/* Rehash the live pairs into a table with room for more. */
static int
grow(void)
{
	uint32_t live = 0, ncap = 64;

	for (uint32_t i = 0; i < cap; i++)
		live += tab[i].a.p && alive(tab[i].a) && alive(tab[i].b);
	while (ncap < 4 * (live + 1))
		ncap *= 2;
	struct order *nt = uld__calloc(ncap, sizeof(*nt));
	if (nt == NULL)
		return -1;
	for (uint32_t i = 0; i < cap; i++) {
		struct order *o = &tab[i];
		if (!o->a.p || !alive(o->a) || !alive(o->b))
			continue;
		uint32_t j = slot_of(o->a, o->b, ncap);
		while (nt[j].a.p)
			j = (j + 1) & (ncap - 1);
		nt[j] = *o;
	}
	uld__free(tab);
	tab = nt;
	cap = ncap;
	used = live;
	return 0;
}

static struct order *
insert(struct ident a, struct ident b)
{
	if ((used + 1) * 2 > cap && grow() != 0)
		return NULL;
	uint32_t i = slot_of(a, b, cap);
	while (tab[i].a.p)
		i = (i + 1) & (cap - 1);
	used++;
	tab[i].a = a;
	tab[i].b = b;
	return &tab[i];
}

/* next is taken while holding prev; `rev` says next was held while prev
 * was taken.  Shown as a cycle of one class through two instances. */
static void
report(struct uld__thread *t, struct uld__held *prev, struct uld__held *next,
    struct order *rev, struct uld__cur_stack *cs)
{
	struct uld__report r;
	struct uld__buf m;

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
	    next->class->name, next->lock, prev->class->name, prev->lock);

	struct uld__class *c[2] = { next->class, prev->class };
	struct uld__edge *e[1] = { &rev->e };
	struct uld__path p = { 1, c, e };
	r.cycle = &p;
	/* Class names only (contract): one report per class. */
	uld__report_sig_add(&r, next->class->name);
	uld__report_sig_add(&r, prev->class->name);

	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "possible circular locking dependency: %s/%d takes "
			    "%s %p while holding %p of the same class, but "
			    "%p was held while %p was taken before",
	    r.thread, (int)r.tid, next->class->name, next->lock, prev->lock,
	    next->lock, prev->lock);
	r.advice = "same_class=order: these two locks of one class were "
		   "nested in both orders. Take locks of one class in one "
		   "order everywhere (by their place in a tree or a list, or "
		   "by address).";
	uld__report_emit(&r);
}

int
uld__iorder_check(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, struct uld__cur_stack *cs)
{
	struct ident a = ident_of(t, prev), b = ident_of(t, next);
	struct order *rev = find(b, a);

	if (rev != NULL && alive(rev->a) && alive(rev->b)) {
		/* Not recorded: the reverse stays the only order known, and
		 * a repeat is the same signature, written once. */
		report(t, prev, next, rev, cs);
		return 1;
	}
	if (find(a, b) != NULL)
		return 0;
	struct order *o = insert(a, b);
	if (o == NULL)
		return 0; /* out of memory: the order is not learned */
	uld__cur_stack_get(cs);
	o->e.to = next->class;
	o->e.stack = uld__stack_intern(cs->ips, cs->n);
	o->e.from_ip = prev->ip;
	o->e.tid = t->tid;
	o->e.deps = uld__dep_type(prev->read, next->read);
	uld__thread_name(o->e.thread, sizeof(o->e.thread));
	return 0;
}
