/*
 * pageidx.c: the page -> lock instances index (pageidx.h).
 *
 * Two levels, as a page table: a root of ROOT_N slots, each a leaf of
 * LEAF_N page slots, each NULL or the record of that page.  Root and
 * leaves are anonymous mappings (zero, and only the parts touched become
 * memory), and page records are never freed either (some 150 bytes per
 * page that ever held a lock): free() reads them without the lock, as a
 * filter.  Addresses above 2^47 (five-level page tables) are not indexed.
 *
 * A page record is a bitmap with one bit per 4-byte granule, set when an
 * instance starts exactly there: every lock type a program has (int,
 * pthread_mutex_t, ...) is at least 4-aligned, so adding, removing and
 * asking are a few bit operations, whatever the number of locks on the
 * page (a page of malloc'd mutexes holds a hundred).  They are atomic and
 * take no lock.  An annotated lock at an address that is not 4-aligned
 * goes to the page's `odd` list instead, under the lock, and sets the
 * bit of its 64-byte chunk in `oddmap`, which the filter reads.
 *
 * pageidx_lock: rank 2b, beside retire_lock and never held with it
 * (mutex.h); taken with signals blocked.  It makes page records and
 * guards the odd lists; collecting a range takes it too.
 */
#include "pageidx.h"

#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "mutex.h"
#include "util.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define LEAF_BITS 18
#define LEAF_N (1UL << LEAF_BITS)
#define ROOT_N (1UL << (47 - PAGE_SHIFT - LEAF_BITS))
#define GRAIN_SHIFT 2 /* 4-byte granules */
#define GRAINS (PAGE_SIZE >> GRAIN_SHIFT)
#define CHUNK_SHIFT 6 /* oddmap: 64 chunks of 64 bytes */

struct page {
	uint64_t at[GRAINS / 64];	/* an instance starts at granule i */
	uint64_t oddmap;		/* odd[] has one in chunk i */
	uint32_t nodd, cap;		/* under pageidx_lock */
	uintptr_t *odd;			/* not 4-aligned: under the lock */
};

int uld__pageidx_used;
static struct page ***root;
static uld__mutex_t pageidx_lock = ULD_MUTEX_INIT(ULD_RANK_PAGEIDX);

static void *
map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The slot of the page holding addr, its root and leaf made if need be;
 * NULL if none could be made.  With the lock held (page_of reads). */
static struct page **
slot(uintptr_t addr)
{
	uintptr_t pn = addr >> PAGE_SHIFT;
	struct page ***r = __atomic_load_n(&root, __ATOMIC_ACQUIRE);

	if (pn >> LEAF_BITS >= ROOT_N)
		return NULL;
	if (r == NULL) {
		if ((r = map(ROOT_N * sizeof(*r))) == NULL)
			return NULL;
		__atomic_store_n(&root, r, __ATOMIC_RELEASE);
	}
	struct page **leaf = __atomic_load_n(&r[pn >> LEAF_BITS],
	    __ATOMIC_ACQUIRE);
	if (leaf == NULL) {
		if ((leaf = map(LEAF_N * sizeof(*leaf))) == NULL)
			return NULL;
		__atomic_store_n(&r[pn >> LEAF_BITS], leaf, __ATOMIC_RELEASE);
	}
	return &leaf[pn & (LEAF_N - 1)];
}

/* The record of addr's page, if it has one: slot()'s reading half,
 * inline (every add, del and free asks). */
static inline struct page *
page_of(uintptr_t addr)
{
	uintptr_t pn = addr >> PAGE_SHIFT;
	struct page ***r = __atomic_load_n(&root, __ATOMIC_ACQUIRE);

	if (r == NULL || pn >> LEAF_BITS >= ROOT_N)
		return NULL;
	struct page **leaf = __atomic_load_n(&r[pn >> LEAF_BITS],
	    __ATOMIC_ACQUIRE);
	return leaf ? __atomic_load_n(&leaf[pn & (LEAF_N - 1)],
			  __ATOMIC_ACQUIRE)
		    : NULL;
}

/* The record of addr's page, made if need be; NULL when out of memory. */
static struct page *
page_make(uintptr_t addr)
{
	struct page **s = slot(addr);
	struct page *p = s ? *s : NULL;

	if (s != NULL && p == NULL) {
		p = uld__calloc(1, sizeof(*p));
		if (p != NULL) {
			/* Before any bit is set on it: uld_mem_tracked(). */
			__atomic_store_n(&uld__pageidx_used, 1,
			    __ATOMIC_RELEASE);
			__atomic_store_n(s, p, __ATOMIC_RELEASE);
		}
	}
	return p;
}

static inline int
aligned(uintptr_t a)
{
	return (a & ((1UL << GRAIN_SHIFT) - 1)) == 0;
}

static inline uint64_t
grain_bit(uintptr_t a, uint64_t **word, struct page *p)
{
	unsigned g = (unsigned)((a & (PAGE_SIZE - 1)) >> GRAIN_SHIFT);

	*word = &p->at[g / 64];
	return 1ULL << (g % 64);
}

/* The odd list's chunk bit of `a`, recomputed after a removal. */
static void
odd_rechunk(struct page *p, uintptr_t a)
{
	uintptr_t c = (a & (PAGE_SIZE - 1)) >> CHUNK_SHIFT;

	for (uint32_t i = 0; i < p->nodd; i++)
		if (((p->odd[i] & (PAGE_SIZE - 1)) >> CHUNK_SHIFT) == c)
			return;
	__atomic_and_fetch(&p->oddmap, ~(1ULL << c), __ATOMIC_RELEASE);
}

static void
odd_add(uintptr_t a)
{
	sigset_t old;

	uld__sig_block(&old);
	uld__mutex_lock(&pageidx_lock);
	struct page *p = page_make(a);
	uint32_t i = 0;
	while (p && i < p->nodd && p->odd[i] != a)
		i++;
	if (p == NULL || i < p->nodd)
		goto out; /* out of memory (never forgotten on free), or known */
	if (p->nodd == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 4;
		uintptr_t *n = uld__realloc(p->odd, cap * sizeof(*n));
		if (n == NULL)
			goto out;
		p->odd = n;
		p->cap = cap;
	}
	p->odd[p->nodd++] = a;
	__atomic_or_fetch(&p->oddmap,
	    1ULL << ((a & (PAGE_SIZE - 1)) >> CHUNK_SHIFT), __ATOMIC_RELEASE);
out:
	uld__mutex_unlock(&pageidx_lock);
	uld__sig_restore(&old);
}

static void
odd_del(struct page *p, uintptr_t a)
{
	sigset_t old;

	uld__sig_block(&old);
	uld__mutex_lock(&pageidx_lock);
	for (uint32_t i = 0; i < p->nodd; i++) {
		if (p->odd[i] != a)
			continue;
		p->odd[i] = p->odd[--p->nodd];
		odd_rechunk(p, a);
		break;
	}
	uld__mutex_unlock(&pageidx_lock);
	uld__sig_restore(&old);
}

void
uld__pageidx_add(void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	struct page *p = page_of(a);

	if (uld__unlikely(!aligned(a))) {
		odd_add(a);
		return;
	}
	if (uld__unlikely(p == NULL)) {
		sigset_t old;
		uld__sig_block(&old);
		uld__mutex_lock(&pageidx_lock);
		p = page_make(a);
		uld__mutex_unlock(&pageidx_lock);
		uld__sig_restore(&old);
		if (p == NULL)
			return; /* not indexed: never forgotten on free */
	}
	uint64_t *w, bit = grain_bit(a, &w, p);
	__atomic_or_fetch(w, bit, __ATOMIC_RELEASE);
}

void
uld__pageidx_del(void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	struct page *p = page_of(a);

	if (p == NULL)
		return;
	if (uld__unlikely(!aligned(a))) {
		if (__atomic_load_n(&p->oddmap, __ATOMIC_ACQUIRE) != 0)
			odd_del(p, a);
		return;
	}
	uint64_t *w, bit = grain_bit(a, &w, p);
	__atomic_and_fetch(w, ~bit, __ATOMIC_RELEASE);
}

/* Bits [from, to) of a bitmap of n words: any set? */
static inline int
any_bits(const uint64_t *map, unsigned from, unsigned to)
{
	while (from < to) {
		unsigned w = from / 64, b = from % 64;
		unsigned n = to - from < 64 - b ? to - from : 64 - b;
		uint64_t mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << b;
		if (__atomic_load_n(&map[w], __ATOMIC_ACQUIRE) & mask)
			return 1;
		from += n;
	}
	return 0;
}

/*
 * The part of [lo, hi) on page `base`: granules [*g0, *g1) (an instance
 * at a granule's start lies within exactly when the granule is counted)
 * and the 64-byte chunks [*c0, *c1) it touches.
 */
static inline void
page_part(uintptr_t base, uintptr_t lo, uintptr_t hi, unsigned *g0,
    unsigned *g1, unsigned *c0, unsigned *c1)
{
	uintptr_t from = lo > base ? lo - base : 0;
	uintptr_t to = hi - base < PAGE_SIZE ? hi - base : PAGE_SIZE;

	*g0 = (unsigned)((from + (1UL << GRAIN_SHIFT) - 1) >> GRAIN_SHIFT);
	*g1 = (unsigned)((to + (1UL << GRAIN_SHIFT) - 1) >> GRAIN_SHIFT);
	*c0 = (unsigned)(from >> CHUNK_SHIFT);
	*c1 = (unsigned)((to + (1UL << CHUNK_SHIFT) - 1) >> CHUNK_SHIFT);
}

/*
 * Call fn(page, its base) for each page of [lo, hi) that has a record;
 * stops early when fn returns non-zero, and returns that.  Records are
 * never freed, so this reads valid memory whatever a writer does.
 */
static int
each_page(uintptr_t lo, uintptr_t hi,
    int (*fn)(struct page *, uintptr_t, void *), void *arg)
{
	struct page ***r = __atomic_load_n(&root, __ATOMIC_ACQUIRE);

	if (r == NULL)
		return 0;
	for (uintptr_t pn = lo >> PAGE_SHIFT; pn <= (hi - 1) >> PAGE_SHIFT;) {
		if (pn >> LEAF_BITS >= ROOT_N)
			break;
		struct page **leaf = __atomic_load_n(&r[pn >> LEAF_BITS],
		    __ATOMIC_ACQUIRE);
		if (leaf == NULL) { /* a whole leaf of pages without locks */
			pn = (pn | (LEAF_N - 1)) + 1;
			continue;
		}
		struct page *p = __atomic_load_n(&leaf[pn & (LEAF_N - 1)],
		    __ATOMIC_ACQUIRE);
		int rc;
		if (p != NULL && (rc = fn(p, pn << PAGE_SHIFT, arg)) != 0)
			return rc;
		pn++;
	}
	return 0;
}

struct range {
	uintptr_t lo, hi;
	void **out;
	size_t max, found;
};

/*
 * Is any instance in [lo, hi) on page p?  Exact for the bitmap; for the
 * odd list, a chunk that the range touches is enough (the collection
 * that follows checks each address).  A lock being created or destroyed
 * in memory that is being freed at the same moment is the program's
 * race, not ours to see.
 */
static int
hits(struct page *p, uintptr_t base, void *arg)
{
	const struct range *q = arg;
	unsigned g0, g1, c0, c1;

	page_part(base, q->lo, q->hi, &g0, &g1, &c0, &c1);
	if (any_bits(p->at, g0, g1))
		return 1;
	uint64_t odd = __atomic_load_n(&p->oddmap, __ATOMIC_ACQUIRE);
	return odd != 0 && any_bits(&odd, c0, c1);
}

static void
found(struct range *q, uintptr_t a)
{
	if (q->found++ < q->max)
		q->out[q->found - 1] = (void *)a;
}

static int
collect(struct page *p, uintptr_t base, void *arg)
{
	struct range *q = arg;
	unsigned g0, g1, c0, c1;

	page_part(base, q->lo, q->hi, &g0, &g1, &c0, &c1);
	for (unsigned w = g0 / 64; g0 < g1 && w <= (g1 - 1) / 64; w++) {
		uint64_t bits = __atomic_load_n(&p->at[w], __ATOMIC_ACQUIRE);
		while (bits != 0) {
			unsigned g = w * 64 + (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (g >= g0 && g < g1)
				found(q, base + ((uintptr_t)g << GRAIN_SHIFT));
		}
	}
	for (uint32_t i = 0; i < p->nodd; i++)
		if (p->odd[i] >= q->lo && p->odd[i] < q->hi)
			found(q, p->odd[i]);
	return 0;
}

/* [p, p + len), clamped at the top of the address space. */
static struct range
range_of(const void *p, size_t len, void **out, size_t max)
{
	struct range q = { (uintptr_t)p, (uintptr_t)p + len, out, max, 0 };

	if (q.hi < q.lo)
		q.hi = UINTPTR_MAX;
	return q;
}

int
uld__pageidx_hits(const void *p, size_t len)
{
	struct range q = range_of(p, len, NULL, 0);

	if (len == 0)
		return 0;
	/* Most frees are of a block within one page: no walk. */
	if (((q.lo ^ (q.hi - 1)) >> PAGE_SHIFT) == 0) {
		struct page *pg = page_of(q.lo);
		return pg != NULL && hits(pg, q.lo & ~(PAGE_SIZE - 1), &q);
	}
	return each_page(q.lo, q.hi, hits, &q);
}

size_t
uld__pageidx_range(const void *p, size_t len, void **out, size_t max)
{
	struct range q = range_of(p, len, out, max);
	sigset_t old;

	if (len == 0)
		return 0;
	uld__sig_block(&old);
	uld__mutex_lock(&pageidx_lock);
	each_page(q.lo, q.hi, collect, &q);
	uld__mutex_unlock(&pageidx_lock);
	uld__sig_restore(&old);
	return q.found;
}

void
uld__pageidx_prefork(void)
{
	uld__mutex_lock(&pageidx_lock);
}

void
uld__pageidx_postfork(int child)
{
	if (child)
		uld__mutex_reset(&pageidx_lock);
	else
		uld__mutex_unlock(&pageidx_lock);
}
