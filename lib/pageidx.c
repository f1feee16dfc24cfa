/*
 * pageidx.c: the page -> lock instances index (pageidx.h).
 *
 * Two levels, as a page table: a root of ROOT_N slots, each a leaf of
 * LEAF_N page slots, each NULL or a small array of the instance addresses
 * on that page.  Root and leaves are anonymous mappings (zero, and only
 * the parts touched become memory), and page arrays are never freed
 * either (a few words per page that ever held a lock): free() reads them
 * without the lock, as a filter, and takes it only when a lock lies in
 * the range it frees.  Addresses above 2^47 (five-level page tables) are not
 * indexed.
 *
 * pageidx_lock: rank 2b, beside retire_lock and never held with it
 * (mutex.h); taken with signals blocked.
 */
#include "pageidx.h"

#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "mutex.h"
#include "util.h"

#define PAGE_SHIFT 12
#define LEAF_BITS 18
#define LEAF_N (1UL << LEAF_BITS)
#define ROOT_N (1UL << (47 - PAGE_SHIFT - LEAF_BITS))

struct page {
	uint32_t n, cap;
	void *addr[];
};

unsigned long uld__pageidx_count;
static struct page ***root;
static uld__mutex_t pageidx_lock = ULD_MUTEX_INIT(ULD_RANK_PAGEIDX);

static void *
map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The slot of the page holding addr; NULL if there is none (and, with
 * `make`, none could be made). */
static struct page **
slot(uintptr_t addr, int make)
{
	uintptr_t pn = addr >> PAGE_SHIFT;
	struct page ***r = __atomic_load_n(&root, __ATOMIC_ACQUIRE);

	if (pn >> LEAF_BITS >= ROOT_N)
		return NULL;
	if (r == NULL) {
		if (!make || (r = map(ROOT_N * sizeof(*r))) == NULL)
			return NULL;
		__atomic_store_n(&root, r, __ATOMIC_RELEASE);
	}
	struct page **leaf = __atomic_load_n(&r[pn >> LEAF_BITS],
	    __ATOMIC_ACQUIRE);
	if (leaf == NULL) {
		if (!make || (leaf = map(LEAF_N * sizeof(*leaf))) == NULL)
			return NULL;
		__atomic_store_n(&r[pn >> LEAF_BITS], leaf, __ATOMIC_RELEASE);
	}
	return &leaf[pn & (LEAF_N - 1)];
}

void
uld__pageidx_add(void *addr)
{
	sigset_t old;

	uld__sig_block(&old);
	uld__mutex_lock(&pageidx_lock);
	struct page **s = slot((uintptr_t)addr, 1);
	struct page *p = s ? *s : NULL;
	for (uint32_t i = 0; p && i < p->n; i++)
		if (p->addr[i] == addr)
			goto out;
	if (s != NULL && (p == NULL || p->n == p->cap)) {
		uint32_t cap = p ? p->cap * 2 : 4;
		struct page *np = uld__malloc(sizeof(*np) + cap * sizeof(void *));
		if (np == NULL)
			goto out; /* not indexed: never forgotten on free */
		np->n = p ? p->n : 0;
		np->cap = cap;
		if (p)
			memcpy(np->addr, p->addr, p->n * sizeof(void *));
		__atomic_store_n(s, np, __ATOMIC_RELEASE);
		/* The outgrown array is not freed: a free() may be reading
		 * it without the lock (see page_hits). */
		p = np;
	}
	if (p != NULL) {
		__atomic_store_n(&p->addr[p->n], addr, __ATOMIC_RELAXED);
		__atomic_store_n(&p->n, p->n + 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&uld__pageidx_count, 1, __ATOMIC_RELAXED);
	}
out:
	uld__mutex_unlock(&pageidx_lock);
	uld__sig_restore(&old);
}

void
uld__pageidx_del(void *addr)
{
	sigset_t old;
	struct page **s = slot((uintptr_t)addr, 0);

	if (s == NULL || __atomic_load_n(s, __ATOMIC_ACQUIRE) == NULL)
		return;
	uld__sig_block(&old);
	uld__mutex_lock(&pageidx_lock);
	struct page *p = *s;
	for (uint32_t i = 0; p && i < p->n; i++) {
		if (p->addr[i] != addr)
			continue;
		__atomic_store_n(&p->addr[i], p->addr[p->n - 1],
		    __ATOMIC_RELAXED);
		__atomic_store_n(&p->n, p->n - 1, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&uld__pageidx_count, 1, __ATOMIC_RELAXED);
		break;
	}
	uld__mutex_unlock(&pageidx_lock);
	uld__sig_restore(&old);
}

/*
 * Is any instance in [lo, hi) on the page of slot s?  Without the lock:
 * page arrays are never freed (an emptied page keeps its array, an
 * outgrown one is left), so this reads valid memory whatever a writer
 * does.  A lock being created or destroyed in memory that is being freed
 * at the same moment is the program's race, not ours to see.
 */
static int
page_hits(struct page **s, uintptr_t lo, uintptr_t hi)
{
	const struct page *p = __atomic_load_n(s, __ATOMIC_ACQUIRE);
	uint32_t n = p ? __atomic_load_n(&p->n, __ATOMIC_ACQUIRE) : 0;

	if (p != NULL && n > p->cap)
		n = p->cap;
	for (uint32_t i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)__atomic_load_n(&p->addr[i],
		    __ATOMIC_RELAXED);
		if (a >= lo && a < hi)
			return 1;
	}
	return 0;
}

/* Call fn(slot) for each page slot of [lo, hi) that has an array; stops
 * early when fn returns non-zero, and returns that. */
static int
each_page(uintptr_t lo, uintptr_t hi, int (*fn)(struct page **, void *),
    void *arg)
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
		struct page **s = &leaf[pn++ & (LEAF_N - 1)];
		int rc;
		if (__atomic_load_n(s, __ATOMIC_ACQUIRE) != NULL &&
		    (rc = fn(s, arg)) != 0)
			return rc;
	}
	return 0;
}

struct range {
	uintptr_t lo, hi;
	void **out;
	size_t max, found;
};

static int
hits(struct page **s, void *arg)
{
	const struct range *q = arg;

	return page_hits(s, q->lo, q->hi);
}

static int
collect(struct page **s, void *arg)
{
	struct range *q = arg;
	const struct page *p = *s;

	for (uint32_t i = 0; i < p->n; i++) {
		uintptr_t a = (uintptr_t)p->addr[i];
		if (a >= q->lo && a < q->hi && q->found++ < q->max)
			q->out[q->found - 1] = p->addr[i];
	}
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

	return len != 0 && each_page(q.lo, q.hi, hits, &q);
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
