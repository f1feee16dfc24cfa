/*
 * deepstack.c: a stack of our own for reports, libdw and demangling.
 *
 * libdw decodes a line table with stack arrays in proportion to it: one
 * lookup in tests/preload/cases took 155 KB.  libiberty's demangler keeps
 * arrays of twice the mangled name's length in components: some 20 KB
 * for a 300-character template name.  The validator names a class or
 * renders a report on whatever stack the lock call came on, and a thread
 * on a small stack the program provides (pthread_attr_setstack, a
 * coroutine's) overflowed into the memory below it, where no guard page
 * is.  Those calls run here instead: 8 MB reserved (a thread's default),
 * pages touched only as used, a guard page at the bottom.
 *
 * The switch is swapcontext(): two system calls for the mask, nothing
 * next to a lookup; valgrind is told of the stack.  Not in an ASan build,
 * which warns of every swapcontext() in its log, as unsupported.  One
 * thread at a time, under deep_lock with signals blocked or held, and a
 * fork waits for the lock, so the child finds the stack unused.  A report runs here whole (rendering it takes 7.5 KB of
 * our own frames, three times that under ASan), and the lookups and
 * demangling it makes are nested calls, made in place.  A handler cannot
 * come in between on this thread (held or blocked), but a fault's could:
 * it runs where the fault was, and its report is a nested call too.
 */
#include "deepstack.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__has_include) && __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

#include "mutex.h"

#define DEEP_SIZE (8u << 20)

static uld__mutex_t deep_lock = ULD_MUTEX_INIT(ULD_RANK_DEEP);
/* The rest under deep_lock. */
static char *deep;	/* the mapping; MAP_FAILED: none to be had */
static ucontext_t back, there;
static void (*deep_fn)(void *);
static void *deep_arg;
/* This thread is running on the deep stack (holds deep_lock), or is
 * exempt from it. */
static __thread int on_deep __attribute__((tls_model("initial-exec")));

static void
deep_main(void)
{
	deep_fn(deep_arg);
	/* Returns through uc_link to `back`. */
}

static int
deep_map(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan warns of every swapcontext() (makecontext is not supported,
	 * its log says): an ASan build runs in place. */
	return -1;
#endif
	if (deep == MAP_FAILED)
		return -1;
	if (deep != NULL)
		return 0;
	deep = mmap(NULL, DEEP_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (deep == MAP_FAILED)
		return -1;
	/* A guard page: an overflow here faults, never writes past. */
	mprotect(deep, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE);
#ifdef VALGRIND_STACK_REGISTER
	VALGRIND_STACK_REGISTER(deep, deep + DEEP_SIZE);
#endif
	return 0;
}

static void
call_there(void (*fn)(void *), void *arg)
{
	if (deep_map() != 0 || getcontext(&there) != 0) {
		fn(arg);
		return;
	}
	there.uc_stack.ss_sp = deep;
	there.uc_stack.ss_size = DEEP_SIZE;
	there.uc_link = &back;
	deep_fn = fn;
	deep_arg = arg;
	makecontext(&there, deep_main, 0);
	if (swapcontext(&back, &there) != 0)
		fn(arg);
}

void
uld__deep_call(void (*fn)(void *), void *arg)
{
	sigset_t old;

	if (on_deep) {
		fn(arg);
		return;
	}
	uld__sig_block(&old);
	uld__mutex_lock(&deep_lock);
	on_deep = 1;
	call_there(fn, arg);
	on_deep = 0;
	uld__mutex_unlock(&deep_lock);
	uld__sig_restore(&old);
}

void
uld__deep_exempt(void)
{
	on_deep = 1;
}

void
uld__deep_prefork(void)
{
	uld__mutex_lock(&deep_lock);
}

void
uld__deep_postfork(int child)
{
	if (child)
		uld__mutex_reset(&deep_lock);
	else
		uld__mutex_unlock(&deep_lock);
}
