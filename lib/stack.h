/*
 * stack.h: capturing call stacks (libunwind) and keeping them, deduplicated.
 *
 * A stack is captured only on first sight of something (a new dependency,
 * a report), as lockdep saves one trace per edge, and stored once however
 * many edges share it.  Stored stacks are never freed, and immutable but
 * for uld__stack_freeze_range.
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
	/* The one mutable field, in what was padding: the stack's id while
	 * the graph is being saved, 0 otherwise (graph_save.c, under
	 * uld__graph_lock). */
	uint32_t save_id;
	void *ips[];
};

/*
 * Capture the caller's stack into ips[0..max), starting at the frame whose
 * return address is `from` (the program's call into the lock API), so the
 * validator's own frames never show.  Returns the number of frames.
 */
int uld__stack_capture(void **ips, int max, const void *from);
/*
 * The stack from the caller up, as unw_backtrace() gives it, but with the
 * frame a signal interrupted marked exact (symbols.h): the one after each
 * signal trampoline.  Async-signal-safe, as libunwind's local unwinding is.
 */
int uld__stack_unwind(void **ips, int max);

/*
 * The current stack of a slow path, captured at most once, when first
 * needed: uld__cur_stack_init() then uld__cur_stack_get().
 */
struct uld__cur_stack {
	const void *from;
	int n; /* -1: not captured yet */
	void *ips[ULD_STACK_MAX];
};
static inline void
uld__cur_stack_init(struct uld__cur_stack *cs, const void *from)
{
	/* Not an initialiser: that would zero the 48 frames, on every slow
	 * path, and they are written before any read (n < 0 until then). */
	cs->from = from;
	cs->n = -1;
}

static inline void
uld__cur_stack_get(struct uld__cur_stack *cs)
{
	if (cs->n < 0)
		cs->n = uld__stack_capture(cs->ips, ULD_STACK_MAX, cs->from);
}

/*
 * Is this thread running a signal handler?  A handler tracked as an
 * interrupt (irq_depth), or any signal frame on the current stack: a
 * handler the validator does not track (a fault signal, a program linked
 * without the preload).  Unwinds the whole stack: for rare paths only.
 * Async-signal-safe.
 */
int uld__stack_in_handler(void);

/* Store (or find) a stack; NULL when out of memory. */
const struct uld__stack *uld__stack_intern(void *const *ips, int n);

/*
 * dlclose: every stored ip in [lo, hi) becomes a frozen ip (symbols.h),
 * named now, so that reports made later name the closed module's
 * functions, not those of whatever is mapped there by then.  The one
 * change made to stored stacks; under uld__graph_lock, as are their
 * readers.  A frozen stack no longer matches a new capture with the same
 * ips (those are the new module's).
 */
void uld__stack_freeze_range(uintptr_t lo, uintptr_t hi);

#endif /* ULD_STACK_H */
