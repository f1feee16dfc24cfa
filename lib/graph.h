/*
 * graph.h: the lock-order graph over classes, and cycle search.
 *
 * An edge A -> B means "B was taken while A was held".  Each edge keeps the
 * first stack that made it (lockdep's one trace per dependency) and which
 * of the four lockdep dependency types were seen (exclusive/shared holder
 * x recursive/non-recursive taker), so that reader-writer cycles are only
 * reported where readers really can block (lockdep-design.rst, "strong"
 * paths).  Everything here is under uld__graph_lock.
 */
#ifndef ULD_GRAPH_H
#define ULD_GRAPH_H

#include <stdint.h>
#include <sys/types.h>

#include "class.h"
#include "lockrules.h"
#include "stack.h"


struct uld__edge {
	struct uld__class *to;
	const struct uld__stack *stack; /* where `to` was taken */
	const void *from_ip;		/* where the holder was taken */
	pid_t tid;
	char thread[16];
	uint8_t deps;
};

/* A dependency type from how the holder and the taker hold their locks. */
static inline uint8_t
uld__dep_type(int holder_read, int taker_read)
{
	int r = taker_read == 2;

	return holder_read ? (r ? ULD_DEP_SR : ULD_DEP_SN)
			   : (r ? ULD_DEP_ER : ULD_DEP_EN);
}

struct uld__edge *uld__graph_find(struct uld__class *from,
    struct uld__class *to);
/* Add (or widen) from -> to; NULL when out of memory. */
struct uld__edge *uld__graph_add(struct uld__class *from, struct uld__class *to,
    uint8_t dep);

/* A path found by uld__graph_cycle: classes c[0..n] and the edges between. */
struct uld__path {
	uint32_t n;			/* edges */
	struct uld__class **c;		/* n + 1 classes */
	struct uld__edge **e;		/* n edges: c[i] -> c[i+1] */
};

/*
 * Might any path lead from `from` to `to`?  0 means certainly none: the
 * topological order the graph keeps puts `to` before `from`, so the cycle
 * search can be skipped (most new dependencies follow the order already
 * seen).  Under uld__graph_lock.
 */
int uld__graph_may_reach(const struct uld__class *from,
    const struct uld__class *to);

/*
 * The order compares ranks: topo with its top bit flipped, so that there
 * is room below the ids new classes start with (class.c: topo = id) for
 * classes moved before all others (graph.c).  Every edge goes from a
 * lower rank to a higher one while the order holds.
 */
#define ULD_TOPO_FLIP 0x80000000u

static inline uint32_t
uld__topo_rank(const struct uld__class *c)
{
	return c->topo ^ ULD_TOPO_FLIP;
}

/*
 * Would adding holder -> taker (type `dep`) close a cycle that can
 * deadlock?  Searches taker -> ... -> holder breadth-first, so the shortest
 * such path is found.  Returns 1 and fills `path` (its arrays are valid
 * until the next call) when one exists, 0 when none, -1 when memory ran out.
 */
int uld__graph_cycle(struct uld__class *holder, struct uld__class *taker,
    uint8_t dep, struct uld__path *path);
/*
 * Breadth-first search over strong paths from `start` (reached in
 * `start_state`), along the edges or (backward) against them, for the
 * nearest class for which match(class, state, arg) holds; the start itself
 * is tried only with include_start.  State 1: forwards, every path to the
 * class ends in a recursive reader (xR); backwards, every path from it
 * starts with a shared holder (S*): lockdep's only_xr.  Returns the class
 * and, if `path` is not NULL, the path in the direction of the edges (free
 * it with uld__path_free); NULL when none matches or memory ran out.
 */
typedef int (*uld__graph_match_fn)(const struct uld__class *c, int state,
    void *arg);
struct uld__class *uld__graph_search(struct uld__class *start,
    int start_state, int backward, int include_start,
    uld__graph_match_fn match, void *arg, struct uld__path *path);
void uld__path_free(struct uld__path *path);

/* Edge count, for tests and the exit summary. */
uint64_t uld__graph_edges(void);

#endif /* ULD_GRAPH_H */
