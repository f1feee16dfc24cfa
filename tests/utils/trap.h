/*
 * trap.h: a fault at the first byte of a function, for the tests of the
 * frame a signal interrupted (frames.c, custom_lock.c).
 *
 * before_trap and trap_first are back to back: the byte before
 * trap_first's first instruction (a ud2, SIGILL) is before_trap's last.
 * A stack that looked the interrupted frame up as a return address, one
 * byte back, would name before_trap; the right name is trap_first+0x0.
 * The SIGILL handler calls trap_skip() to resume past the ud2.
 */
#ifndef ULD_TESTS_TRAP_H
#define ULD_TESTS_TRAP_H

#if defined(__x86_64__)
#define HAVE_TRAP 1
#include <ucontext.h>

void before_trap(void);
void trap_first(void);
__asm__(".text\n"
	".p2align 4\n"
	".globl before_trap\n"
	".type before_trap, @function\n"
	"before_trap:\n"
	".cfi_startproc\n"
	"ret\n"
	".cfi_endproc\n"
	".size before_trap, .-before_trap\n"
	".globl trap_first\n"
	".type trap_first, @function\n"
	"trap_first:\n"
	".cfi_startproc\n"
	"ud2\n"
	"ret\n"
	".cfi_endproc\n"
	".size trap_first, .-trap_first\n");

/* From a SA_SIGINFO handler's third argument: go on after the ud2. */
static inline void
trap_skip(void *ucv)
{
	((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP] += 2;
}
#endif

#endif /* ULD_TESTS_TRAP_H */
