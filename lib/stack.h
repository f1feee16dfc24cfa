/*
 * stack.h: capturing call stacks (libunwind) and keeping them, deduplicated.
 *
 * A stack is captured only on first sight of something (a new dependency,
 * a report), as lockdep saves one trace per edge, and stored once however
 * many edges share it.  Stored stacks are immutable and never freed.
 * uld__stack_intern() runs under uld__graph_lock.
 */
#ifndef ULD_STACK_H
#define ULD_STACK_H

#include <stdint.h>

#define ULD_STACK_MAX 48

struct uld__stack {
	struct uld__stack *next; /* hash chain */
	uint64_t hash;
	uint32_t n;
	void *ips[];
};

/*
 * Capture the caller's stack into ips[0..max), starting at the frame whose
 * return address is `from` (the program's call into the lock API), so the
 * validator's own frames never show.  Returns the number of frames.
 */
int uld__stack_capture(void **ips, int max, const void *from);
/* Store (or find) a stack; NULL when out of memory. */
const struct uld__stack *uld__stack_intern(void *const *ips, int n);

#endif /* ULD_STACK_H */
