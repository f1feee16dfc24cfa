/*
 * api.h: the guard around every public entry, shared by the files of lib/
 * that define public API (api.c, spinlock.c).
 *
 * Every entry has lockdep's lock_acquire() shape: return at once when the
 * validator is already running on this thread (the re-entry guard: our own
 * allocations, unwinding and hash tables take pthread locks, which come
 * back here through the interposer) or is not set up; otherwise set the
 * guard, do the work, clear it.  errno is kept: the program may be between
 * a failing call and reading errno.  Inline: this is the fast path.
 */
#ifndef ULD_API_H
#define ULD_API_H

#include <errno.h>

#include "init.h"
#include "thread.h"
#include "util.h"

/* errno back as the program left it; stored only if we changed it, as a
 * store just before the program's lock instruction slows that down. */
static inline void
uld__keep_errno(int saved)
{
	if (uld__unlikely(errno != saved))
		errno = saved;
}

/*
 * First use of the process or the thread: set up, errno kept (the hot
 * entries read errno only once entered).  0 when the validator is not
 * ready yet.  Out of line, to keep the entries' fast path lean.
 */
int uld__api_first_use(struct uld__thread *t);

/*
 * A handler interrupted validator code on this thread and jumped (irq.c):
 * if `sp` is outside that handler, the interrupted code is gone; put the
 * guard back (1), else leave it (0).
 */
int uld__irq_intr_left(struct uld__thread *t, const void *sp);

/* Enter the validator; NULL means "pass the event through unvalidated". */
static inline struct uld__thread *
uld__api_enter(void)
{
	struct uld__thread *t = &uld__self;

	if (uld__unlikely(t->in_uld) &&
	    (uld__likely(!t->intr_jumped) ||
		!uld__irq_intr_left(t, __builtin_frame_address(0))))
		return NULL;
	if (uld__unlikely(!uld__is_ready() || !t->ready) &&
	    !uld__api_first_use(t))
		return NULL;
	t->in_uld++;
	return t;
}

/*
 * errno for the hot entries (lock, unlock): through the thread's pointer
 * to it, as from outside the C library errno is a call each time.  Only
 * once entered (the setup above keeps errno itself).
 */
static inline int
uld__errno_get(const struct uld__thread *t)
{
	return *t->errno_loc;
}

static inline void
uld__errno_keep(const struct uld__thread *t, int saved)
{
	if (uld__unlikely(*t->errno_loc != saved))
		*t->errno_loc = saved;
}

/* Run the handlers deferred while the guard was set (irq.c). */
void uld__run_deferred(struct uld__thread *t);

static inline void
uld__api_leave(struct uld__thread *t)
{
	if (--t->in_uld == 0 && uld__unlikely(t->defer_pending))
		uld__run_deferred(t);
}

#endif /* ULD_API_H */
