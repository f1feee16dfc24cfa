/*
 * alloc.c: memory for the validator's own data.
 *
 * Choice: jemalloc, linked as a normal dependency of libulockdep.so, used
 * only through its non-standard API (mallocx/rallocx/dallocx) on a private
 * arena with the thread cache disabled.
 *
 * Why: the program's heap must not see the validator.  Allocating from the
 * program's malloc would change its heap layout (hiding or moving the bugs
 * other tools look for), could recurse into a malloc the program replaced,
 * and would make our allocations show in its leak reports.  Linking
 * jemalloc does not replace the program's malloc: the dynamic linker's
 * global scope lists the program, the preloads and the program's own
 * libraries (libc among them) before the preload's dependencies, so
 * `malloc` stays glibc's while `mallocx` can only come from jemalloc.
 * jemalloc cannot be dlopen()ed lazily instead (its initial-exec TLS does
 * not fit the static TLS surplus), hence the link-time dependency.
 *
 * A private arena keeps our blocks off the pages of any jemalloc the
 * program itself uses (with the static jemalloc, the hidden copy's own
 * arena 0); MALLOCX_TCACHE_NONE keeps no per-thread cache, so a
 * thread that exits leaves nothing of ours behind.
 *
 * jemalloc's own mutexes are pthread mutexes: every call here runs with
 * the re-entry guard set (thread.h), so they are never validated.
 *
 * When an allocation fails, the validator says so once and stops
 * (uld__out_of_memory, init.c); every caller still handles NULL, as the
 * event in progress finishes without what it could not allocate.
 * ULOCKDEP_TEST_ALLOC_FAIL=N, for the tests only (tests/preload/oom.sh),
 * makes every allocation after the first N fail, as a real exhaustion
 * would, without exhausting the test machine.
 */
#include "alloc.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "init.h"
#include "util.h"

/* 0 until the arena is made; never 0 after (MALLOCX_TCACHE_NONE). */
static int arena_flags;

static int
flags(void)
{
	int f = __atomic_load_n(&arena_flags, __ATOMIC_ACQUIRE);

	if (uld__likely(f != 0))
		return f;
	int expected = 0;

	f = MALLOCX_TCACHE_NONE;
#ifdef ULD_JEMALLOC_STATIC
	/* Our jemalloc is a hidden copy that nothing else can call: its
	 * arena 0, made by its constructor anyway, is already private.
	 * Another arena would cost 0.26 M instructions and 55 page faults at
	 * the first allocation (its mallctl() builds jemalloc's control tree
	 * and statistics too). */
	f |= MALLOCX_ARENA(0);
#else
	/* A shared libjemalloc.so may be the program's malloc too: an arena
	 * of our own, made at the first allocation, by whichever thread that
	 * is.  Two threads may race here; each makes an arena, the first
	 * one stored is kept (the other stays empty). */
	unsigned ind;
	size_t sz = sizeof(ind);
	if (mallctl("arenas.create", &ind, &sz, NULL, 0) == 0)
		f |= MALLOCX_ARENA(ind);
#endif
	if (!__atomic_compare_exchange_n(&arena_flags, &expected, f, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		f = expected;
	return f;
}

/* ULOCKDEP_TEST_ALLOC_FAIL: allocations left before they fail; -1 never. */
static long fail_budget = -1;

/*
 * jemalloc registers its fork handlers (pthread_atfork) when it starts.
 * Prepare handlers run in the reverse order of registration, and ours
 * must run before jemalloc's: a thread holding the graph lock may be in
 * mallocx, waiting for a jemalloc mutex; if jemalloc's prepare handler ran
 * first, the forking thread would hold that mutex and wait for the graph
 * lock for ever.  So jemalloc is started (here, from the constructor)
 * before init.c registers ours.
 *
 * With the static jemalloc both constructors are in libulockdep.so and
 * ours runs first, so jemalloc must be started here, by an allocation:
 * nallocx() does not start it (tests/preload/life.sh's fork storm hung
 * when it was trusted to).  One byte, from whichever arena jemalloc picks
 * (not flags(): with a shared jemalloc the private arena is made at the
 * first real allocation, as its mallctl() sets up jemalloc's control tree
 * and statistics, 0.26 M instructions that a process which never takes a
 * lock of its own need not pay).
 */
void
uld__alloc_init(void)
{
	void *p = mallocx(1, MALLOCX_TCACHE_NONE);

	if (p != NULL)
		dallocx(p, MALLOCX_TCACHE_NONE);
}

void
uld__alloc_hook_init(void)
{
#ifdef HAVE_SECURE_GETENV
	const char *v = secure_getenv("ULOCKDEP_TEST_ALLOC_FAIL");
#else
	const char *v = getenv("ULOCKDEP_TEST_ALLOC_FAIL");
#endif
	if (v != NULL && *v >= '0' && *v <= '9')
		fail_budget = strtol(v, NULL, 10);
}

/* The test hook: should this allocation fail?  Counted before the
 * allocation is made, so a failing realloc never loses the block. */
static int
hook_fails(void)
{
	return uld__unlikely(fail_budget >= 0) &&
	    __atomic_fetch_sub(&fail_budget, 1, __ATOMIC_RELAXED) <= 0;
}

/* p, or NULL: then the validator stops. */
static void *
checked(void *p)
{
	if (uld__unlikely(p == NULL))
		uld__out_of_memory();
	return p;
}

void *
uld__malloc(size_t size)
{
	if (hook_fails())
		return checked(NULL);
	return checked(mallocx(size ? size : 1, flags()));
}

void *
uld__calloc(size_t n, size_t size)
{
	if ((size && n > (size_t)-1 / size) || hook_fails())
		return checked(NULL);
	size_t total = n * size;

	return checked(mallocx(total ? total : 1, flags() | MALLOCX_ZERO));
}

void *
uld__realloc(void *p, size_t size)
{
	if (p == NULL)
		return uld__malloc(size);
	if (hook_fails())
		return checked(NULL);
	return checked(rallocx(p, size ? size : 1, flags()));
}

void
uld__free(void *p)
{
	if (p != NULL)
		dallocx(p, flags());
}

/*
 * A mallocx() costs ~500 instructions here, as the arena has no thread
 * cache: each call takes jemalloc's arena mutex (through the preload's
 * pthread_mutex_trylock).  One per new chain was the largest cost of a
 * chain's first sight after the unwinder; records that are never freed
 * need none of it, so they are cut from 64 KB blocks instead.  Each
 * record still counts as one allocation for the test hook, so that
 * ULOCKDEP_TEST_ALLOC_FAIL fails where it did.
 */
#define PERM_BLOCK (64 * 1024)
static char *perm_next, *perm_end;

static void *
perm_alloc(size_t size)
{
	size = (size + 7) & ~(size_t)7;
	if (size == 0)
		size = 8;
	if (size > PERM_BLOCK / 16)
		return checked(mallocx(size, flags()));
	if ((size_t)(perm_end - perm_next) < size) {
		char *b = mallocx(PERM_BLOCK, flags());
		if (b == NULL)
			return checked(NULL);
		uld__prefault(b, PERM_BLOCK);
		perm_next = b;
		perm_end = b + PERM_BLOCK;
	}
	void *p = perm_next;
	perm_next += size;
	return p;
}

void *
uld__perm_alloc(size_t size)
{
	if (hook_fails())
		return checked(NULL);
	return perm_alloc(size);
}

/*
 * The pool: blocks of 32 bytes to 4 KB, powers of two, cut from the
 * permanent blocks and kept on a free list per size when an array moves
 * to a larger one (another class's array takes it next).  A rallocx()
 * cost ~1,400 instructions, and a class's edges and predecessors grow
 * four or five times each: a third of a new edge's cost.  Larger arrays,
 * rarer, go to jemalloc.
 */
#define POOL_MIN_SHIFT 5
#define POOL_MAX_SHIFT 12
static void *pool_head[POOL_MAX_SHIFT + 1];

static unsigned
pool_shift(size_t size)
{
	unsigned s = POOL_MIN_SHIFT;

	while (((size_t)1 << s) < size)
		s++;
	return s;
}

static void *
pool_get(size_t size)
{
	if (size > ((size_t)1 << POOL_MAX_SHIFT))
		return mallocx(size, flags());
	unsigned s = pool_shift(size);
	void *p = pool_head[s];

	if (p != NULL) {
		pool_head[s] = *(void **)p;
		return p;
	}
	return perm_alloc((size_t)1 << s);
}

void
uld__pool_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size > ((size_t)1 << POOL_MAX_SHIFT)) {
		dallocx(p, flags());
		return;
	}
	unsigned s = pool_shift(size);

	*(void **)p = pool_head[s];
	pool_head[s] = p;
}

void *
uld__pool_realloc(void *p, size_t old_size, size_t size)
{
	if (hook_fails())
		return checked(NULL);
	if (size == 0)
		size = 1;
	if (p != NULL && size <= old_size)
		return p;
	if (p != NULL && old_size > ((size_t)1 << POOL_MAX_SHIFT))
		return checked(rallocx(p, size, flags()));
	/* The same block still has room (its size is a power of two). */
	if (p != NULL && size <= ((size_t)1 << POOL_MAX_SHIFT) &&
	    pool_shift(size) == pool_shift(old_size))
		return p;
	void *n = pool_get(size);

	if (n == NULL)
		return checked(NULL);
	if (p != NULL) {
		memcpy(n, p, old_size);
		uld__pool_free(p, old_size);
	}
	return n;
}

/*
 * A first sight's records land on fresh pages: a new chain's, its edge
 * arrays, the chain table it grows.  A fault per page was a third of the
 * first4096 benchmark's time on a virtual machine whose faults cost some
 * 10 us each (232 faults for 4,096 chains).  MADV_POPULATE_WRITE maps a
 * block's pages in one call.  Only whole pages inside the block: one
 * that it shares with a neighbour is faulted, or not, as before.
 */
void
uld__prefault(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	static long page;
	static int unsupported;

	if (page == 0)
		page = sysconf(_SC_PAGESIZE);
	if (page <= 0 || __atomic_load_n(&unsupported, __ATOMIC_RELAXED))
		return;
	uintptr_t lo = ((uintptr_t)p + (uintptr_t)page - 1) &
	    ~((uintptr_t)page - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~((uintptr_t)page - 1);
	if (hi > lo && madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) != 0 &&
	    errno == EINVAL)
		__atomic_store_n(&unsupported, 1, __ATOMIC_RELAXED);
#else
	(void)p;
	(void)len;
#endif
}

char *
uld__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = uld__malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}
