/*
 * graph.c: dependency edges and the breadth-first cycle search.
 */
#include "graph.h"

#include <string.h>

#include "alloc.h"
#include "mutex.h"

uld__mutex_t uld__graph_lock = ULD_MUTEX_INITIALIZER;

static uint64_t nedges_total;
static uint32_t bfs_gen;

/* The BFS queue and the path it returns; grown as needed, never shrunk. */
struct qent {
	struct uld__class *c;
	uint8_t state;
};
static struct qent *queue;
static size_t queue_cap;
static struct uld__class **path_c;
static struct uld__edge **path_e;
static size_t path_cap;

uint64_t
uld__graph_edges(void)
{
	return nedges_total;
}

struct uld__edge *
uld__graph_find(struct uld__class *from, struct uld__class *to)
{
	for (uint32_t i = 0; i < from->nedges; i++)
		if (from->edges[i].to == to)
			return &from->edges[i];
	return NULL;
}

struct uld__edge *
uld__graph_add(struct uld__class *from, struct uld__class *to, uint8_t dep)
{
	struct uld__edge *e = uld__graph_find(from, to);

	if (e != NULL) {
		e->deps |= dep;
		return e;
	}
	if (from->nedges == from->edges_cap) {
		uint32_t ncap = from->edges_cap ? from->edges_cap * 2 : 4;
		struct uld__edge *n = uld__realloc(from->edges,
		    ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		from->edges = n;
		from->edges_cap = ncap;
	}
	e = &from->edges[from->nedges++];
	memset(e, 0, sizeof(*e));
	e->to = to;
	e->deps = dep;
	nedges_total++;
	return e;
}

/*
 * Which edge types may follow an arrival in `state` (1: the previous edge
 * ended in a recursive reader)?  A recursive reader never waits for another
 * reader, so "-(xR)-> X -(Sx)->" cannot block: such a path is not strong
 * (lockdep-design.rst, "Recursive read locks").
 */
static inline uint8_t
allowed(uint8_t deps, int state)
{
	return state ? deps & (ULD_DEP_EN | ULD_DEP_ER) : deps;
}

/* State after taking an edge with the allowed types `a`: prefer N. */
static inline int
next_state(uint8_t a)
{
	return (a & (ULD_DEP_EN | ULD_DEP_SN)) ? 0 : 1;
}

static int
push(size_t *tail, struct uld__class *c, uint8_t state)
{
	if (*tail == queue_cap) {
		size_t ncap = queue_cap ? queue_cap * 2 : 1024;
		struct qent *n = uld__realloc(queue, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		queue = n;
		queue_cap = ncap;
	}
	queue[(*tail)++] = (struct qent){ c, state };
	return 0;
}

/* Length of the BFS path back from `holder` (reached in `state`), with
 * room made for it in path_c/path_e. */
static int
build_path(struct uld__class *holder, int state)
{
	size_t n = 0;

	for (struct uld__class *c = holder; c->bfs_from[state] != NULL; n++) {
		int ps = c->bfs_from_state[state];
		c = c->bfs_from[state];
		state = ps;
	}
	if (n + 1 > path_cap) {
		size_t ncap = n + 16;
		struct uld__class **nc = uld__realloc(path_c,
		    ncap * sizeof(*nc));
		if (nc != NULL)
			path_c = nc;
		struct uld__edge **ne = uld__realloc(path_e,
		    ncap * sizeof(*ne));
		if (ne != NULL)
			path_e = ne;
		if (nc == NULL || ne == NULL)
			return -1;
		path_cap = ncap;
	}
	return (int)n;
}

int
uld__graph_cycle(struct uld__class *holder, struct uld__class *taker,
    uint8_t dep, struct uld__path *path)
{
	size_t head = 0, tail = 0;
	int start = (dep & (ULD_DEP_ER | ULD_DEP_SR)) ? 1 : 0;
	/* The closing edge holder -> taker: may it follow an arrival at the
	 * holder in state s? */
	int close_ok[2] = { 1, allowed(dep, 1) != 0 };
	uint32_t gen = ++bfs_gen;

	if (gen == 0) /* wrapped: 0 is what a new class carries */
		gen = ++bfs_gen;
	taker->bfs_gen[start] = gen;
	taker->bfs_from[start] = NULL;
	if (push(&tail, taker, start) != 0)
		return -1;

	while (head < tail) {
		struct qent q = queue[head++];
		struct uld__class *c = q.c;

		for (uint32_t i = 0; i < c->nedges; i++) {
			struct uld__edge *e = &c->edges[i];
			uint8_t a = allowed(e->deps, q.state);
			if (a == 0)
				continue;
			int ns = next_state(a);
			struct uld__class *to = e->to;
			if (to->bfs_gen[ns] == gen)
				continue;
			to->bfs_gen[ns] = gen;
			to->bfs_from[ns] = c;
			to->bfs_edge[ns] = e;
			to->bfs_from_state[ns] = q.state;
			if (to == holder && close_ok[ns]) {
				int n = build_path(holder, ns);
				if (n < 0)
					return -1;
				/* Fill from the holder back to the taker. */
				struct uld__class *x = holder;
				int st = ns;
				path->n = (uint32_t)n;
				path->c = path_c;
				path->e = path_e;
				path_c[n] = holder;
				for (int k = n - 1; k >= 0; k--) {
					path_e[k] = x->bfs_edge[st];
					int pst = x->bfs_from_state[st];
					x = x->bfs_from[st];
					st = pst;
					path_c[k] = x;
				}
				return 1;
			}
			if (push(&tail, to, (uint8_t)ns) != 0)
				return -1;
		}
	}
	return 0;
}
