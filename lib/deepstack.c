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
 * On x86-64 the switch is a call with the stack pointer moved (below,
 * with the unwind information that takes a debugger or libunwind back
 * to the lock call's stack); ASan is told of it as of a fiber switch, so
 * an ASan build runs here too.  Elsewhere it is swapcontext(): two system
 * calls for the mask, nothing next to a lookup, and not in an ASan build,
 * which warns of every swapcontext() in its log, as unsupported.
 * valgrind is told of the stack.  One thread at a time, under deep_lock
 * with signals blocked or held, and a fork waits for the lock, so the
 * child finds the stack unused.  A report runs here whole (rendering it
 * takes 7.5 KB of our own frames, three times that under ASan), and the
 * lookups and demangling it makes are nested calls, made in place.  A
 * handler cannot come in between on this thread (held or blocked), but a
 * fault's could: it runs where the fault was, and its report is a nested
 * call too.
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
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include "mutex.h"

#define DEEP_SIZE (8u << 20)

/* Switching by the stack pointer: x86-64.  Elsewhere, swapcontext(). */
#if defined(__x86_64__)
#define DEEP_SWITCH 1
#endif

static uld__mutex_t deep_lock = ULD_MUTEX_INIT(ULD_RANK_DEEP);
/* The rest under deep_lock. */
static char *deep;	/* the mapping; MAP_FAILED: none to be had */
static void (*deep_fn)(void *);
static void *deep_arg;
/* This thread is running on the deep stack (holds deep_lock), or is
 * exempt from it. */
static __thread int on_deep __attribute__((tls_model("initial-exec")));

static int
deep_map(void)
{
#if defined(__SANITIZE_ADDRESS__) && !defined(DEEP_SWITCH)
	/* ASan warns of every swapcontext() (makecontext is not supported,
	 * its log says): such a build runs in place. */
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

#ifdef DEEP_SWITCH
/*
 * deep_switch(top, fn, arg): fn(arg) with the stack pointer at top (16-
 * byte aligned), then back.  The caller's frame pointer keeps where it
 * came from, and the CFI says so: an unwinder in fn's callees goes on
 * into the lock call's stack, as through any call.
 */
__attribute__((visibility("hidden"))) void deep_switch(void *top,
    void (*fn)(void *), void *arg);
__asm__(".text\n"
	".p2align 4\n"
	".globl deep_switch\n"
	".hidden deep_switch\n"
	".type deep_switch, @function\n"
	"deep_switch:\n"
	".cfi_startproc\n"
	"pushq %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"movq %rsp, %rbp\n"
	".cfi_def_cfa_register %rbp\n"
	"movq %rdi, %rsp\n"
	"movq %rdx, %rdi\n"
	"callq *%rsi\n"
	"movq %rbp, %rsp\n"
	"popq %rbp\n"
	".cfi_def_cfa %rsp, 8\n"
	"ret\n"
	".cfi_endproc\n"
	".size deep_switch, .-deep_switch\n");

#if defined(__SANITIZE_ADDRESS__)
/* The stack left, for ASan's switch back to it. */
static const void *back_bottom;
static size_t back_size;
#endif

/* On the deep stack: ASan's side of the switch, then the call. */
static void
deep_main(void *unused)
{
	(void)unused;
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_finish_switch_fiber(NULL, &back_bottom, &back_size);
#endif
	deep_fn(deep_arg);
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_start_switch_fiber(NULL, back_bottom, back_size);
#endif
}

static void
call_there(void (*fn)(void *), void *arg)
{
	if (deep_map() != 0) {
		fn(arg);
		return;
	}
	deep_fn = fn;
	deep_arg = arg;
#if defined(__SANITIZE_ADDRESS__)
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, deep, DEEP_SIZE);
#endif
	deep_switch(deep + DEEP_SIZE, deep_main, NULL);
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}
#else
static ucontext_t back, there;

static void
deep_main(void)
{
	deep_fn(deep_arg);
	/* Returns through uc_link to `back`. */
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
#endif

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
