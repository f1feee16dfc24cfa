/*
 * stack.c: libunwind capture and the stack store.
 */
#define UNW_LOCAL_ONLY
#include "stack.h"

#include <libunwind.h>
#include <string.h>

#include "alloc.h"
#include "irq.h"
#include "symbols.h"
#include "thread.h"
#include "util.h"

int
uld__stack_unwind(void **ips, int max)
{
	unw_context_t uc;
	unw_cursor_t c;
	int n = 0;

	if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0)
		return 0;
	do {
		unw_word_t ip;
		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		/* libunwind flags the frame whose registers it took from the
		 * signal context (the one after __restore_rt), not the
		 * trampoline: frames.sh's "fault" case holds it to that. */
		ips[n++] = unw_is_signal_frame(&c) > 0
		    ? uld__sym_exact((void *)ip) : (void *)ip;
	} while (n < max && unw_step(&c) > 0);
	return n;
}

/*
 * Is ip the first instruction of the kernel's way back from a signal
 * handler (glibc's __restore_rt, valgrind's copy of it): the code libunwind
 * recognises a signal frame by.  Only asked of an ip libunwind stepped
 * from, which it found unwind information for: code that is mapped.
 */
static int
is_sigreturn(const void *ip)
{
#if defined(__x86_64__)
	/* mov $__NR_rt_sigreturn, %rax; syscall */
	static const unsigned char code[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00,
		0x00, 0x00, 0x0f, 0x05 };
	return memcmp(ip, code, sizeof(code)) == 0;
#elif defined(__aarch64__)
	/* mov x8, #__NR_rt_sigreturn; svc #0 */
	static const uint32_t code[] = { 0xd2801168, 0xd4000001 };
	return memcmp(ip, code, sizeof(code)) == 0;
#else
	(void)ip; /* frames after a handler stay return addresses */
	return 0;
#endif
}

int
uld__stack_capture(void **ips, int max, const void *from)
{
	void *raw[ULD_STACK_MAX + 16];
	int n = unw_backtrace(raw, (int)ULD_ARRAY_SIZE(raw));

	/* The frame after a signal trampoline is where the signal stopped
	 * the thread, not a return address (symbols.h): a fault's first
	 * byte of a function must not be named by the byte before it.  By
	 * the trampoline's code, not by what the validator knows of
	 * handlers: one it does not track (no preload, a fault) is the same. */
	for (int i = 0; i + 1 < n; i++)
		if (is_sigreturn(raw[i])) {
			raw[i + 1] = uld__sym_exact(raw[i + 1]);
			i++; /* marked: no longer an address to read */
		}
	int start = -1;

	for (int i = 0; i < n; i++)
		if (raw[i] == from) {
			start = i;
			break;
		}
	if (start < 0) {
		/* No exact match (a tail call, or no `from`): drop our own
		 * frames by module instead. */
		static const char *const self[] = { "libulockdep", NULL };
		start = 0;
		while (start < n && uld__sym_in_module(raw[start], self))
			start++;
	}
	/* Our frames below the start are the signal trampoline's (the
	 * program's handler was called by the kernel, as far as it knows)
	 * or an interposed call's (pthread_sigmask): the program's own call
	 * is the frame to show. */
	int k = 0;
	for (int i = start; i < n && k < max; i++)
		if (!uld__sym_is_own(uld__sym_addr(raw[i])))
			ips[k++] = raw[i];
	return k;
}

int
uld__stack_in_handler(void)
{
	unw_context_t uc;
	unw_cursor_t c;

	if (uld__self.irq_depth != 0)
		return 1;
	/*
	 * Where every handler passes through a trampoline (the preload's,
	 * whether it defers or not), the count of handlers entered says no
	 * at once.  Not yes: a
	 * handler left by siglongjmp() never said it returned, so a count
	 * is checked against the stack (30 system calls for libunwind's
	 * masks), and a wrong one forgotten.
	 */
	if (uld__irq_handlers_tracked() && uld__self.handler_depth == 0)
		return 0;
	/* Cannot tell: say yes, the safe answer. */
	if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0)
		return 1;
	for (int i = 0; i < 1024; i++) {
		if (unw_is_signal_frame(&c) > 0)
			return 1;
		if (unw_step(&c) <= 0)
			break;
	}
	uld__self.handler_depth = 0;
	return 0;
}

#define STACK_BUCKETS 4096
static struct uld__stack *buckets[STACK_BUCKETS];

const struct uld__stack *
uld__stack_intern(void *const *ips, int n)
{
	/* A word at a time: FNV-1a over the bytes was 350 instructions for
	 * a 10-frame stack, at every new dependency.  The hash only picks a
	 * bucket (nothing saved or compared across runs uses it). */
	uint64_t h = (uint64_t)n;
	for (int i = 0; i < n; i++)
		h = uld__mix64(h ^ (uintptr_t)ips[i]);
	struct uld__stack **b = &buckets[h % STACK_BUCKETS];

	for (struct uld__stack *s = *b; s; s = s->next)
		if (s->hash == h && s->n == (uint32_t)n &&
		    memcmp(s->ips, ips, n * sizeof(void *)) == 0)
			return s;
	struct uld__stack *s = uld__perm_alloc(sizeof(*s) + n * sizeof(void *));
	if (s == NULL)
		return NULL;
	s->hash = h;
	s->n = n;
	s->save_id = 0;
	memcpy(s->ips, ips, n * sizeof(void *));
	s->next = *b;
	*b = s;
	return s;
}

void
uld__stack_freeze_range(uintptr_t lo, uintptr_t hi)
{
	for (size_t b = 0; b < STACK_BUCKETS; b++)
		for (struct uld__stack *s = buckets[b]; s; s = s->next)
			for (uint32_t i = 0; i < s->n; i++) {
				uintptr_t a = (uintptr_t)uld__sym_addr(s->ips[i]);
				if (a >= lo && a < hi)
					s->ips[i] = uld__sym_freeze(s->ips[i]);
			}
}
