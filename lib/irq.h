/*
 * irq.h: signal handlers as interrupt context, and lockdep's irq rules.
 *
 * A handler of a caught asynchronous signal is interrupt context for as
 * long as it runs; a blocked signal is that interrupt disabled.  Usage is
 * tracked per signal (lockdep tracks it per irq state): for each class, the
 * signals it was taken in the handler of (USED_IN, "irq-safe") and the
 * signals it was taken with deliverable (ENABLED, "irq-unsafe"), each for
 * write and for read.  Signals in softirq_signals are named SOFTIRQ in
 * reports, others HARDIRQ.
 *
 * Rules (lockdep-design.rst, "Single-lock state rules", "Multi-lock
 * dependency rules"), checked only when a class gains a usage bit or the
 * graph an edge, so a known state costs two bit tests per acquisition:
 *  - one class both USED_IN and ENABLED for a signal: inconsistent_irq_state;
 *  - a strong path from a class USED_IN a signal to one ENABLED for it:
 *    irq_safe_unsafe_order.
 * Read acquisitions relax both as in lockdep: a reader in a handler only
 * conflicts with writers taken with the signal deliverable, and the other
 * way round.
 */
#ifndef ULD_IRQ_H
#define ULD_IRQ_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "class.h"
#include "stack.h"
#include "thread.h"

enum uld__usage {
	ULD_USED_IN_W,	/* taken for write in the signal's handler */
	ULD_USED_IN_R,	/* taken for read in the signal's handler */
	ULD_ENABLED_W,	/* taken for write with the signal deliverable */
	ULD_ENABLED_R,	/* taken for read with the signal deliverable */
};

/* Where a class first gained some usage bits. */
struct uld__usage_trace {
	struct uld__usage_trace *next;
	uint64_t sigs;
	const struct uld__stack *stack;
	pid_t tid;
	char thread[16];
	uint8_t kind;		/* enum uld__usage */
};

/* A signal's bit in the masks here: signals 1..64 are bits 0..63. */
static inline uint64_t
uld__sigbit(int sig)
{
	return 1ULL << (sig - 1);
}

/* glibc's sigset_t keeps signals 1..64 in its first word. */
static inline uint64_t
uld__sigset_bits(const sigset_t *s)
{
	uint64_t m;

	memcpy(&m, s, sizeof(m));
	return m;
}

/* Raised synchronously by a fault (si_code > 0), these are not interrupts;
 * sent with kill() or sigqueue(), they are. */
#define ULD_FAULT_SIGNALS                                                    \
	((1ULL << (SIGSEGV - 1)) | (1ULL << (SIGBUS - 1)) |                  \
	    (1ULL << (SIGFPE - 1)) | (1ULL << (SIGILL - 1)) |                \
	    (1ULL << (SIGTRAP - 1)) | (1ULL << (SIGSYS - 1)))

/* Signals some class was taken in the handler of (bit sig-1). */
extern uint64_t uld__irq_used;

/* The signals that can be interrupts: every catchable one but glibc's
 * internal ones and the watchdog's sampling signal. */
uint64_t uld__irq_signals(void);
/* Is sig (1..64) a softirq signal (softirq_signals)? */
int uld__irq_is_soft(int sig);

/* The irq nesting a held entry records (irq_depth <= ULD_IRQ_NEST). */
static inline uint8_t
uld__irq_ctx(const struct uld__thread *t)
{
	return (uint8_t)t->irq_depth;
}

/* The innermost signal whose handler runs as interrupt context, or 0. */
static inline int
uld__irq_sig(const struct uld__thread *t)
{
	return t->irq_depth ? t->irq_frames[t->irq_depth - 1].sig : 0;
}

/* New thread: read its signal mask. */
void uld__irq_thread_setup(struct uld__thread *t);

/*
 * Does taking class `c` now (read or not) need irq work, outside any
 * handler: does the class lack an ENABLED bit for a signal this thread
 * has deliverable?  The fast path's only irq cost.
 */
static inline int
uld__irq_pending(const struct uld__thread *t, const struct uld__class *c,
    int read)
{
	uint64_t en = t->irq_enabled;
	uint64_t have = __atomic_load_n(&c->usage[ULD_ENABLED_W + (read != 0)],
	    __ATOMIC_RELAXED);

	return (have & en) != en;
}

/*
 * Mark the usage of `h` (about to be pushed at t->held[t->depth]) and check
 * the rules; reports are written before this returns.
 */
void uld__irq_acquire(struct uld__thread *t, struct uld__held *h);
/*
 * The thread's mask is now `blocked`.  Signals it unblocks make the held
 * locks irq-unsafe for them (lockdep's mark_held_locks); `ip` is where.
 */
void uld__irq_set_mask(struct uld__thread *t, uint64_t blocked,
    const void *ip);
/* Held locks count as held with `sigs` deliverable (a sigsuspend window). */
void uld__irq_mark_held(struct uld__thread *t, uint64_t sigs, const void *ip);
/*
 * A new dependency prev -> next: would it connect an irq-safe class to an
 * irq-unsafe one?  Under uld__graph_lock.  Returns 1 after reporting
 * (the edge is then not added), else 0.
 */
int uld__irq_check_edge(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, struct uld__cur_stack *cs);
/* Does every handler pass through a trampoline that tells the core
 * (uld_signal_enter/exit)?  Said by the one that registers a runner for
 * deferred handlers, the preload's, deferral on or not. */
int uld__irq_handlers_tracked(void);
/* The options are read: switch handler deferral on if asked. */
void uld__irq_options_read(void);
/*
 * A lock call passed through unrecorded because a handler interrupted
 * validator code (t->intr): `taken` 1 for an acquisition, 0 for a
 * release.  Such a handler may jump out holding the lock, and the
 * program then releases it: uld__irq_unrecorded_drop() says that release
 * is not a bad_unlock.
 */
void uld__irq_unrecorded(void *lock, int taken);
/* 1 if `lock` was taken unrecorded so (and forget it), else 0. */
int uld__irq_unrecorded_drop(struct uld__thread *t, const void *lock);
/* Drop interrupt frames that a non-local jump has left. */
void uld__irq_unwind(struct uld__thread *t, const void *sp);
/* The same, seen from the calling function's frame, if in a handler:
 * before anything that asks whether the thread is in one. */
#define ULD_IRQ_UNWIND(t)                                                    \
	do {                                                                 \
		if (uld__unlikely((t)->irq_depth))                           \
			uld__irq_unwind((t), __builtin_frame_address(0));    \
	} while (0)

/* "IN-SOFTIRQ-W" and friends for a usage kind and signal. */
const char *uld__usage_name(int kind, int sig, char *buf, size_t len);
/* lockdep's "{+.-.}" for a class. */
void uld__usage_chars(const struct uld__class *c, char out[5]);
/* The first trace of `kind` for `sig` on class c, or NULL. */
const struct uld__usage_trace *uld__usage_trace(const struct uld__class *c,
    int kind, int sig);

#endif /* ULD_IRQ_H */
