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

#include <sys/mman.h>
#include <urcu-bp.h>
#include <urcu/rculfhash.h>

#include "init.h"

/*
 * The most buckets a table grows to.  On 64-bit, urcu backs a table with
 * one PROT_NONE reservation of max_buckets * 16 bytes, made at creation
 * (cds_lfht_mm_mmap), and aborts the process if that mmap fails: three
 * tables at the 2^26 buckets asked for before reserved 2.25 GB and killed
 * any program run under `ulimit -v 2000000`.  2^20 buckets reserve 16 MB
 * and keep lookups short up to ~2 million entries (two per bucket);
 * past that a table keeps working, its chains just get longer.
 */
#define ULD_LFHT_MAX_BUCKETS (1UL << 20)

/*
 * The buckets a table starts with.  cds_lfht_new() initialises every
 * bucket node of the initial size (and the pages under them): 4,096 +
 * 4,096 + 1,024 buckets were 0.66 M instructions and 36 zeroed pages in
 * every process, 40% of what the preload added to the start of
 * /bin/true (make bench-startup).  A table grows by 4x past two nodes a
 * bucket (uld__lfht_added), so a program with many locks pays five
 * resizes more, once each, and one that takes few pays nothing.
 */
#define ULD_LFHT_INIT_BUCKETS 64UL

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
	if (max_buckets > ULD_LFHT_MAX_BUCKETS)
		max_buckets = ULD_LFHT_MAX_BUCKETS;
	/* Can urcu reserve it?  If not, it would abort: stop instead (the
	 * tables are made at start-up, before anything looks them up). */
	size_t len = max_buckets * sizeof(struct cds_lfht_node);
	void *probe = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	t->ht = NULL;
	if (probe != MAP_FAILED) {
		munmap(probe, len);
		t->ht = cds_lfht_new(buckets, buckets, max_buckets, 0, NULL);
	}
	if (t->ht == NULL)
		uld__out_of_memory();
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
