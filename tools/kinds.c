/*
 * kinds.c: the report kinds' table (kinds.h).
 *
 * Levels: "error" for what can deadlock or did hang (a lock cycle, a
 * lock taken twice, an irq inversion, a spin or a wait that did not end);
 * "warning" for a broken locking rule that does not by itself hang the
 * program (sleeping in atomic context, an unbalanced unlock, a freed or
 * corrupt lock, a thread that exits holding locks).  ulockdep(1) lists
 * the same split; change both together.
 */
#include "kinds.h"

#include <string.h>

const struct uldt_kind uldt_kinds[] = {
	{ "circular_dependency", "CircularDependency",
	  "WARNING: possible circular locking dependency detected", "error",
	  "Two or more lock classes are taken in orders that form a cycle: "
	  "threads taking them concurrently can deadlock.",
	  "Take these locks in one order everywhere. If they are different "
	  "locks of one class that nest in a fixed order, annotate the inner "
	  "acquisition with a subclass (uld_lock_set_subclass).", 0 },
	{ "recursive_locking", "RecursiveLocking",
	  "WARNING: possible recursive locking detected", "error",
	  "A thread takes a non-recursive lock, or another lock of the same "
	  "class, that it already holds: it can deadlock on itself.",
	  "Release the lock before taking it again, use a recursive mutex if "
	  "re-entry is intended, or, for two locks of one class that nest, "
	  "annotate the inner one with a subclass.", 1 },
	{ "inconsistent_irq_state", "InconsistentIrqState",
	  "WARNING: inconsistent lock state", "error",
	  "A lock class is taken in a signal handler and, elsewhere, with that "
	  "signal deliverable: the handler can interrupt the holder and "
	  "deadlock its own thread.",
	  "Block the signal while the lock is held outside the handler "
	  "(spin_lock_irqsave, spin_lock_bh, pthread_sigmask), or do not take "
	  "the lock in the handler.", 2 },
	{ "irq_safe_unsafe_order", "IrqSafeUnsafeOrder",
	  "WARNING: irq-safe -> irq-unsafe lock order detected", "error",
	  "An irq-safe lock and an irq-unsafe lock are ordered so that a "
	  "signal handler can close a deadlock cycle.",
	  "Make the irq-unsafe lock irq-safe (block the signal wherever it is "
	  "held) or break the dependency between the two locks.", 3 },
	{ "spin_timeout", "SpinTimeout", "BUG: spinlock lockup suspected",
	  "error",
	  "A thread spun on one lock longer than spin_timeout_ms.",
	  "Look at where the owner took the lock and where it is now: it "
	  "holds a spinlock across a long or blocking operation, or never "
	  "releases it.", 4 },
	{ "soft_lockup", "SoftLockup", "BUG: soft lockup", "error",
	  "A thread was stuck on one lock longer than lockup_s.",
	  "Look at the owner's stacks: it waits for something the stuck "
	  "thread provides (a deadlock), or holds the lock too long.", 5 },
	{ "sleep_in_atomic", "SleepInAtomic",
	  "BUG: sleeping function called from invalid context", "warning",
	  "A sleeping call was made while holding a spinlock or inside a "
	  "signal handler.",
	  "Release the spinlock before sleeping, use a mutex for a section "
	  "that sleeps, or move the work out of the signal handler.", 6 },
	{ "held_lock_freed", "HeldLockFreed", "WARNING: held lock freed!",
	  "warning",
	  "Memory holding a held lock was freed, or a held lock was destroyed.",
	  "Release a lock before destroying it or freeing the memory that "
	  "holds it; make sure no other thread still holds it.", 7 },
	{ "bad_magic", "BadMagic", "BUG: spinlock bad magic", "warning",
	  "An operation on a lock that was never initialised, was destroyed, "
	  "or is corrupt.",
	  "Initialise the lock before use (spin_lock_init, DEFINE_SPINLOCK), "
	  "do not use it after destroying it, and look for memory corruption "
	  "around it.", 8 },
	{ "bad_unlock", "BadUnlock", "WARNING: bad unlock balance detected!",
	  "warning",
	  "A thread released a lock it does not hold.",
	  "A lock must be released once, by the thread that took it; look "
	  "for a double unlock or an unlock on an error path that did not "
	  "lock.", 9 },
	{ "locks_held_at_exit", "LocksHeldAtExit",
	  "WARNING: thread still has locks held!", "warning",
	  "A thread ended while holding locks.",
	  "Every path out of a thread (return, pthread_exit, cancellation) "
	  "must release the locks it took.", 10 },
};
const size_t uldt_nkinds = sizeof(uldt_kinds) / sizeof(uldt_kinds[0]);

static const struct uldt_kind unknown = {
	NULL, "Unknown", NULL, "warning",
	"A report of a kind this version of ulockdep does not know.",
	"See the report's message; a newer ulockdep(1) describes this kind.",
	100,
};

const struct uldt_kind *
uldt_kind_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < uldt_nkinds; i++)
		if (strcmp(uldt_kinds[i].name, name) == 0)
			return &uldt_kinds[i];
	return &unknown;
}
