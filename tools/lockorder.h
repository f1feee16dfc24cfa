/*
 * lockorder.h: lockdep's rules over the union of saved graphs.
 *
 * The same rules as the validator (lib/graph.c, lib/irq_rules.c), run
 * once over the whole union instead of at each new edge:
 *
 * - Cycles: strong paths only (a recursive reader never waits for another
 *   reader, so "-(xR)-> X -(Sx)->" does not chain).  The union is
 *   replayed as one process that saw every run's edges in input order: an
 *   edge that would close a strong cycle is reported (the shortest such
 *   cycle, breadth-first, as the validator searches) and not added, so
 *   there is one report per closing edge however many cycles the union
 *   holds.  Only edges inside a strongly connected component are
 *   searched, and a dynamic topological order spares those that agree
 *   with it; a work budget (ULDT_LO_BUDGET edge visits) bounds the rest.
 * - irq: a class used in a signal's handler in one run and taken with it
 *   deliverable in another (inconsistent_irq_state); and from each
 *   irq-safe class the nearest irq-unsafe class for the same signal over
 *   a strong path, and from each irq-unsafe class the nearest irq-safe
 *   one behind it (irq_safe_unsafe_order), once per pair and signal.
 *
 * Each finding says whether one run alone saw all of it (then that run
 * reported it itself and `merge` does not).
 */
#ifndef ULDT_LOCKORDER_H
#define ULDT_LOCKORDER_H

#include <stdint.h>

#include "graphfile.h"

#define ULDT_LO_BUDGET 200000000ULL

/* Add a name with its NUL, as lib/report.c's uld__report_sig_add. */
uint64_t uldt_sig_add(uint64_t h, const char *name);

/*
 * A cycle, as the validator would have found it when the closing edge
 * holder -> taker came last: cls[0] is the taker, cls[n-1] the holder;
 * edges[k] runs cls[k] -> cls[k+1] for k < n-1, edges[n-1] is the closing
 * edge.  single_run: a run whose own edges hold the whole cycle as a
 * strong one (it reported it itself), or -1.
 */
struct uldt_cycle {
	uint32_t n;
	const uint32_t *cls, *edges;
	int single_run;
	uint64_t signature;
};

typedef void (*uldt_cycle_fn)(const struct uldt_union *u,
    const struct uldt_cycle *c, void *arg);
/* Every cycle found, once per signature.  Returns 1 when the budget ran
 * out (some cycles may be missing), else 0. */
int uldt_lo_cycles(const struct uldt_union *u, uldt_cycle_fn fn, void *arg);

/* A class used in the handler of signal bit `sig` (used_kind) and taken
 * with it deliverable (en_kind) in the union, in no single run. */
struct uldt_irq_conflict {
	uint32_t cls;
	unsigned sig;
	int used_kind, en_kind;
	int single_run;
	uint64_t signature;
};
typedef void (*uldt_conflict_fn)(const struct uldt_union *u,
    const struct uldt_irq_conflict *c, void *arg);

/* irq-safe `safe` reaches irq-unsafe `unsafe` for `sig`: path cls[0] =
 * safe ... cls[n] = unsafe, edges[k] = cls[k] -> cls[k+1]. */
struct uldt_irq_order {
	uint32_t safe, unsafe;
	unsigned sig;
	int safe_kind, unsafe_kind;
	uint32_t n;
	const uint32_t *cls, *edges;
	int single_run;
	uint64_t signature;
};
typedef void (*uldt_order_fn)(const struct uldt_union *u,
    const struct uldt_irq_order *o, void *arg);

/* Returns 1 when the order search ran out of budget, else 0. */
int uldt_lo_irq(const struct uldt_union *u, uldt_conflict_fn cfn,
    uldt_order_fn ofn, void *arg);

#endif /* ULDT_LOCKORDER_H */
