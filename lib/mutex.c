/*
 * mutex.c: the rank checks of the validator's own locks (mutex.h).
 *
 * The validator must never deadlock on itself: each of its nine mutexes
 * has a rank, and a thread may only take a lock of higher rank than every
 * one it holds.  A debug build checks that at every lock and unlock; a
 * release build never calls these (a unit test does, tests/unit/).
 *
 * The held ranks are one word per thread, touched only with the lock's
 * signals blocked or deferred (mutex.h), so no handler on the same thread
 * runs between the check and the update.
 */
#include "mutex.h"

#include <stdlib.h>

#include "out.h"

static ULD_TLS unsigned held;

static const struct {
	const char *name, *rank;
} ranks[ULD_RANK_COUNT] = {
		[ULD_RANK_GRAPH] = { "uld__graph_lock", "1" },
	[ULD_RANK_DEEP] = { "deep_lock", "1b" },
	[ULD_RANK_RETIRE] = { "retire_lock", "2" },
	[ULD_RANK_PAGEIDX] = { "pageidx_lock", "2b" },
	[ULD_RANK_REGISTRY] = { "registry_lock", "3" },
	[ULD_RANK_SYM] = { "uld__sym_lock", "4" },
	[ULD_RANK_REQ] = { "req_lock", "5a" },
	[ULD_RANK_SLOT] = { "slot_lock", "5b" },
	[ULD_RANK_FRAME] = { "frame_lock", "5c" },
	[ULD_RANK_SRCLINE] = { "srcline_lock", "6" },
};

static int
valid(int r)
{
	return r > ULD_RANK_NONE && r < ULD_RANK_COUNT;
}

/* One line, written at once (no stdio, no allocation: we may be deep in
 * the validator, in a signal handler), then abort. */
static void __attribute__((noreturn))
die(const char *what, int r, const char *how, int h)
{
	char line[256];
	struct uld__buf b;

	uld__buf_init(&b, line, sizeof(line));
	uld__buf_printf(&b, "ulockdep: internal error: lock order: %s %s "
			    "(rank %s)", what, ranks[r].name, ranks[r].rank);
	if (h >= 0)
		uld__buf_printf(&b, " %s %s (rank %s)", how, ranks[h].name,
		    ranks[h].rank);
	else
		uld__buf_printf(&b, " %s", how);
	uld__buf_putc(&b, '\n');
	uld__write_all(2, b.p, b.len);
	abort();
}

void
uld__mutex_order_lock(const uld__mutex_t *m)
{
	int r = m->rank;

	if (!valid(r))
		return;
	/* Ranks r and above: a lock of equal rank is the same lock (each
	 * rank has one), taken again. */
	unsigned worse = held & ~((1u << r) - 1);
	if (worse != 0)
		die("taking", r, "while holding", 31 - __builtin_clz(worse));
	held |= 1u << r;
}

void
uld__mutex_order_unlock(const uld__mutex_t *m)
{
	int r = m->rank;

	if (!valid(r))
		return;
	if (!(held & (1u << r)))
		die("releasing", r, "that this thread does not hold", -1);
	held &= ~(1u << r);
}

void
uld__mutex_order_forget(const uld__mutex_t *m)
{
	if (valid(m->rank))
		held &= ~(1u << m->rank);
}
