/*
 * irq_rules.c: lockdep's irq usage rules over per-signal usage bits.
 */
#include "irq.h"

uint64_t uld__irq_used;

void
uld__irq_acquire(struct uld__thread *t, struct uld__held *h)
{
	(void)t;
	(void)h;
}

void
uld__irq_mark_held(struct uld__thread *t, uint64_t sigs, const void *ip)
{
	(void)t;
	(void)sigs;
	(void)ip;
}

int
uld__irq_check_edge(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, struct uld__cur_stack *cs)
{
	(void)t;
	(void)prev;
	(void)next;
	(void)cs;
	return 0;
}
