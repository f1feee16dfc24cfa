/*
 * memory.c: free, realloc and munmap -> uld_mem_free().
 *
 * Memory given back may hold locks: held ones are reported, and all are
 * forgotten, so that a lock later built at the same address (a C++
 * std::mutex never passes through pthread_mutex_init) is a new lock, not
 * the dead one's class.  The common case costs one load: uld_mem_tracked()
 * is false until some lock instance exists, and the length is only asked
 * of the allocator after that.
 *
 * free is found with dlsym, which may itself free memory before it has
 * found it: such a free is dropped (a few bytes, once), not recursed on.
 */
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>

#include "real.h"
#include "ulockdep/ulockdep.h"

/*
 * make check-asan: ASan's start-up calls free (through dlsym) before it
 * has mapped the shadow memory that instrumented code reads, and this
 * library, preloaded ahead of ASan (tests/Makefile.inc says why), gets
 * that call.  So under ASan, until this file's constructor has run, free,
 * realloc and munmap go straight on without calling the validator, and
 * the code that runs before is not instrumented.
 */
#ifdef __SANITIZE_ADDRESS__
static int started;
#define STARTED() (started)
#define NO_ASAN __attribute__((no_sanitize_address))
#else
#define STARTED() 1
#define NO_ASAN
#endif

static void (*real_free)(void *);
static void *(*real_realloc)(void *, size_t);
/* Initial-exec: free can be called before any constructor of ours has
 * run (from ASan's own start-up under make check-asan, or another
 * preload's), and a general-dynamic TLS access calls __tls_get_addr,
 * which an interposer ahead of ld.so may not have resolved yet. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

NO_ASAN static int
resolve(void)
{
	if (real_free != NULL)
		return 1;
	if (resolving)
		return 0;
	resolving = 1;
	real_realloc = (void *(*)(void *, size_t))uld__real_resolve("realloc",
	    (void *)realloc);
	__atomic_store_n(&real_free, (void (*)(void *))uld__real_resolve(
	    "free", (void *)free), __ATOMIC_RELEASE);
	resolving = 0;
	return 1;
}

__attribute__((constructor)) static void
memory_init(void)
{
	resolve();
#ifdef __SANITIZE_ADDRESS__
	started = 1;
#endif
}

NO_ASAN ULD_INTERCEPTOR void
free(void *p)
{
	if (__builtin_expect(!resolve(), 0))
		return;
	if (p != NULL && STARTED() && uld_mem_tracked())
		uld_mem_free(p, malloc_usable_size(p), ULD_RET_IP());
	real_free(p);
}

NO_ASAN ULD_INTERCEPTOR void *
realloc(void *p, size_t n)
{
	size_t old = 0;

	if (__builtin_expect(!resolve(), 0))
		return NULL;
	if (p == NULL || !STARTED() || !uld_mem_tracked())
		return real_realloc(p, n);
	old = malloc_usable_size(p);
	void *q = real_realloc(p, n);
	/* The old block is gone if it moved (or n was 0); its tail if it
	 * shrank in place.  Nothing if realloc failed. */
	if (q != p && (q != NULL || n == 0))
		uld_mem_free(p, old, ULD_RET_IP());
	else if (q == p && n < old)
		uld_mem_free((char *)p + n, old - n, ULD_RET_IP());
	return q;
}

NO_ASAN ULD_INTERCEPTOR int
munmap(void *addr, size_t len)
{
	if (STARTED() && uld_mem_tracked())
		uld_mem_free(addr, len, ULD_RET_IP());
	return REAL(munmap)(addr, len);
}
