/*
 * deepstack.c: a stack of our own for libdw.
 *
 * libdw decodes a line table with stack arrays in proportion to it: one
 * lookup in tests/preload/cases took 155 KB.  The validator names a class
 * or renders a report on whatever stack the lock call came on, and a
 * thread on a small stack the program provides (pthread_attr_setstack, a
 * coroutine's) overflowed into the memory below it, where no guard page
 * is.  libdw's calls run here instead: 8 MB reserved (a thread's default),
 * pages touched only as used, a guard page at the bottom.
 *
 * The switch is swapcontext(): two system calls for the mask, nothing
 * next to a lookup, and known to ASan (which intercepts it); valgrind is
 * told of the stack.  Not async-signal-safe, and need not be: its callers
 * hold srcline_lock with signals blocked or held, and a fork waits for
 * that lock (uld__srcline_prefork), so the child finds the stack unused.
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

#define DEEP_SIZE (8u << 20)

static char *deep;	/* the mapping; MAP_FAILED: none to be had */
static ucontext_t back, there;
static void (*deep_fn)(void *);
static void *deep_arg;

static void
deep_main(void)
{
	deep_fn(deep_arg);
	/* Returns through uc_link to `back`. */
}

static int
deep_map(void)
{
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

void
uld__deep_call(void (*fn)(void *), void *arg)
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
