/*
 * lfht.h: the validator's cds_lfht tables, grown by hand.
 *
 * CDS_LFHT_AUTO_RESIZE would start urcu's resize worker thread in every
 * process at start-up, a thread the program never asked for (and that
 * its thread counts would see).  Instead each table counts its nodes and,
 * past two per bucket, is resized by the thread that noticed, with
 * cds_lfht_resize(), which waits for a grace period: call uld__lfht_added()
 * outside any RCU read-side section.
 */
#ifndef ULD_LFHT_H
#define ULD_LFHT_H

#include <urcu-bp.h>
#include <urcu/rculfhash.h>

struct uld__lfht {
	struct cds_lfht *ht;
	unsigned long count;
	unsigned long buckets;
	unsigned long max_buckets;
};

static inline void
uld__lfht_create(struct uld__lfht *t, unsigned long buckets,
    unsigned long max_buckets)
{
	t->ht = cds_lfht_new(buckets, buckets, max_buckets, 0, NULL);
	t->count = 0;
	t->buckets = buckets;
	t->max_buckets = max_buckets;
}

/* A node was added (delta 1) or removed (-1). */
static inline void
uld__lfht_added(struct uld__lfht *t, long delta)
{
	unsigned long n = __atomic_add_fetch(&t->count, delta,
	    __ATOMIC_RELAXED);
	unsigned long b = __atomic_load_n(&t->buckets, __ATOMIC_RELAXED);

	if (delta > 0 && n > 2 * b && b < t->max_buckets &&
	    __atomic_compare_exchange_n(&t->buckets, &b, b * 4, 0,
		__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		cds_lfht_resize(t->ht, b * 4);
}

#endif /* ULD_LFHT_H */
