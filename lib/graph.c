/*
 * graph.c: dependency edges and the breadth-first cycle search.
 */
#include "graph.h"

#include <string.h>

#include "alloc.h"
#include "mutex.h"

uld__mutex_t uld__graph_lock = ULD_MUTEX_INIT(ULD_RANK_GRAPH);

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

/* Classes with more edges than this get an index (class.h, edge_idx). */
#define EDGE_SCAN_MAX 8

static uint32_t
edge_slot(const struct uld__class *to, uint32_t mask)
{
	/* The id is dense and unique: a multiplicative hash spreads it. */
	return (to->id * 2654435761u) & mask;
}

static void
edge_idx_put(struct uld__class *from, uint32_t i)
{
	uint32_t mask = from->edge_idx_cap - 1;
	uint32_t s = edge_slot(from->edges[i].to, mask);

	while (from->edge_idx[s] != 0)
		s = (s + 1) & mask;
	from->edge_idx[s] = i + 1;
}

/*
 * Keep the index at most half full, rebuilt at twice the size when it
 * would pass that.  -1 when memory ran out: the index is then dropped
 * and lookups scan, still correct.
 */
static int
edge_idx_grow(struct uld__class *from)
{
	uint32_t n = from->nedges + 1;

	if (n <= EDGE_SCAN_MAX || 2 * n <= from->edge_idx_cap)
		return 0;
	uint32_t cap = from->edge_idx_cap ? from->edge_idx_cap * 2 : 32;
	while (2 * n > cap)
		cap *= 2;
	uint32_t *idx = uld__pool_realloc(NULL, 0, cap * sizeof(*idx));
	if (idx != NULL)
		memset(idx, 0, cap * sizeof(*idx));
	uld__pool_free(from->edge_idx, from->edge_idx_cap * sizeof(*idx));
	from->edge_idx = idx;
	from->edge_idx_cap = idx ? cap : 0;
	if (idx == NULL)
		return -1;
	for (uint32_t i = 0; i < from->nedges; i++)
		edge_idx_put(from, i);
	return 0;
}

struct uld__edge *
uld__graph_find(struct uld__class *from, struct uld__class *to)
{
	if (from->edge_idx != NULL) {
		uint32_t mask = from->edge_idx_cap - 1;
		for (uint32_t s = edge_slot(to, mask); from->edge_idx[s] != 0;
		     s = (s + 1) & mask) {
			struct uld__edge *e = &from->edges[from->edge_idx[s] - 1];
			if (e->to == to)
				return e;
		}
		return NULL;
	}
	for (uint32_t i = 0; i < from->nedges; i++)
		if (from->edges[i].to == to)
			return &from->edges[i];
	return NULL;
}

/* ---- the topological order (Pearce and Kelly, 2006) ---- */

/*
 * Every class has a distinct `topo`, and while `topo_broken` is 0 every
 * edge goes from a lower rank (graph.h) to a higher: then a path from a
 * to b needs rank(a) < rank(b), and a new dependency that agrees with the order
 * needs no cycle search at all.  One that does not is searched as before
 * and, once added, the order is repaired over the classes between the
 * two ends only: those reachable from its head with a lower rank than its
 * tail, which move after those reaching its tail with a higher rank than
 * its head, each keeping its own relative order.
 *
 * The graph of a lock order is acyclic, but not always as a plain graph:
 * the cycle search ignores cycles that cannot deadlock (readers of
 * recursive rwlocks, lockrules.h), and the edges of one stay.  No order
 * exists then; topo_broken is set for good and every new dependency is
 * searched, as without the order.  So is it when memory runs out.
 */
static int topo_broken;
static uint32_t topo_gen;
static struct uld__class **topo_work, **topo_fwd, **topo_back;
static uint32_t *topo_pool;
static size_t topo_cap;

static inline void
set_rank(struct uld__class *c, uint32_t r)
{
	c->topo = r ^ ULD_TOPO_FLIP;
}

/*
 * A class in no edge yet has no place in the order to keep.  When its
 * first edge disagrees with the order, it moves above every class if it
 * is the edge's taker, below every class if it is the holder, rather
 * than having the order repaired around it: without this, a program that
 * first meets its classes against its lock order (B alone, then A alone,
 * then A -> B, for many) repaired the order at each new edge over all
 * the classes before the holder, O(classes) per edge.  Ids are below
 * 2^30, so ranks [2^31, 2^31 + 2^30) are theirs, the moves go from there
 * outwards; when a side runs out, the order is given up, as when memory
 * runs out.  Placing every class at its first edge would be simpler, but
 * would throw away the order in which classes were made, which programs
 * that initialise their locks in their lock order make the right one.
 */
static uint32_t topo_top = ULD_TOPO_FLIP + (1u << 30);
static uint32_t topo_bottom = ULD_TOPO_FLIP - 1;

static int
topo_unplaced(const struct uld__class *c)
{
	return c->nedges == 0 && c->npreds == 0;
}

static void
topo_place(struct uld__class *from, struct uld__class *to)
{
	const uint32_t ids = 1u << 30;

	if (topo_broken)
		return;
	if ((topo_unplaced(from) && from->id >= ids) ||
	    (topo_unplaced(to) && to->id >= ids)) {
		topo_broken = 1; /* its rank would be a moved class's */
		return;
	}
	if (uld__topo_rank(from) < uld__topo_rank(to))
		return;
	if (topo_unplaced(to)) {
		if (topo_top == UINT32_MAX)
			topo_broken = 1;
		else
			set_rank(to, topo_top++);
	} else if (topo_unplaced(from)) {
		if (topo_bottom == 0)
			topo_broken = 1;
		else
			set_rank(from, topo_bottom--);
	}
}

int
uld__graph_may_reach(const struct uld__class *from,
    const struct uld__class *to)
{
	return topo_broken || uld__topo_rank(from) < uld__topo_rank(to);
}

static int
topo_room(size_t n)
{
	if (n <= topo_cap)
		return 0;
	size_t ncap = topo_cap ? topo_cap : 256;
	while (ncap < n)
		ncap *= 2;
	struct uld__class **w = uld__realloc(topo_work, ncap * sizeof(*w));
	if (w != NULL)
		topo_work = w;
	struct uld__class **f = uld__realloc(topo_fwd, ncap * sizeof(*f));
	if (f != NULL)
		topo_fwd = f;
	struct uld__class **b = uld__realloc(topo_back, ncap * sizeof(*b));
	if (b != NULL)
		topo_back = b;
	uint32_t *p = uld__realloc(topo_pool, 2 * ncap * sizeof(*p));
	if (p != NULL)
		topo_pool = p;
	if (w == NULL || f == NULL || b == NULL || p == NULL)
		return -1;
	topo_cap = ncap;
	return 0;
}

static int
by_topo(const void *a, const void *b)
{
	uint32_t x = uld__topo_rank(*(struct uld__class *const *)a);
	uint32_t y = uld__topo_rank(*(struct uld__class *const *)b);

	return x < y ? -1 : x > y;
}

static int
by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Visit the region from `start`, forwards (edges) or backwards (preds),
 * into out[]; returns how many, or -1 (no memory, or x reached forwards:
 * a cycle the search allowed). */
static long
topo_visit(struct uld__class *start, int forwards, uint32_t bound,
    const struct uld__class *stop, uint32_t gen)
{
	size_t sp = 0, n = 0;

	if (topo_room(1) != 0)
		return -1;
	start->topo_gen = gen;
	topo_work[sp++] = start;
	while (sp > 0) {
		struct uld__class *c = topo_work[--sp];
		uint32_t deg = forwards ? c->nedges : c->npreds;
		if (topo_room(n + sp + deg + 1) != 0)
			return -1;
		struct uld__class **out = forwards ? topo_fwd : topo_back;
		out[n++] = c;
		for (uint32_t i = 0; i < deg; i++) {
			struct uld__class *w = forwards ? c->edges[i].to
							: c->preds[i].from;
			if (w == stop)
				return -1;
			if (w->topo_gen == gen ||
			    (forwards ? uld__topo_rank(w) >= bound
				      : uld__topo_rank(w) <= bound))
				continue;
			w->topo_gen = gen;
			topo_work[sp++] = w;
		}
	}
	return (long)n;
}

/* from -> to was just added against the order: repair it. */
static void
topo_repair(struct uld__class *from, struct uld__class *to)
{
	uint32_t gen = ++topo_gen;

	if (gen == 0) /* wrapped: 0 is what a new class carries */
		gen = ++topo_gen;
	long nf = topo_visit(to, 1, uld__topo_rank(from), from, gen);
	long nb = nf < 0 ? -1
			 : topo_visit(from, 0, uld__topo_rank(to), NULL, gen);
	if (nf < 0 || nb < 0) {
		topo_broken = 1;
		return;
	}
	/* The classes reaching `from` first, then those `to` reaches,
	 * onto the same set of positions. */
	qsort(topo_back, (size_t)nb, sizeof(*topo_back), by_topo);
	qsort(topo_fwd, (size_t)nf, sizeof(*topo_fwd), by_topo);
	size_t n = 0;
	for (long i = 0; i < nb; i++)
		topo_pool[n++] = uld__topo_rank(topo_back[i]);
	for (long i = 0; i < nf; i++)
		topo_pool[n++] = uld__topo_rank(topo_fwd[i]);
	qsort(topo_pool, n, sizeof(*topo_pool), by_value);
	n = 0;
	for (long i = 0; i < nb; i++)
		set_rank(topo_back[i], topo_pool[n++]);
	for (long i = 0; i < nf; i++)
		set_rank(topo_fwd[i], topo_pool[n++]);
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
		struct uld__edge *n = uld__pool_realloc(from->edges,
		    from->edges_cap * sizeof(*n), ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		from->edges = n;
		from->edges_cap = ncap;
	}
	if (to->npreds == to->preds_cap) {
		uint32_t ncap = to->preds_cap ? to->preds_cap * 2 : 4;
		struct uld__pred *n = uld__pool_realloc(to->preds,
		    to->preds_cap * sizeof(*n), ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		to->preds = n;
		to->preds_cap = ncap;
	}
	/* Before the edge counts: a failed index is simply not used. */
	(void)edge_idx_grow(from);
	topo_place(from, to);
	to->preds[to->npreds++] = (struct uld__pred){ from, from->nedges };
	e = &from->edges[from->nedges++];
	memset(e, 0, sizeof(*e));
	e->to = to;
	e->deps = dep;
	if (from->edge_idx != NULL)
		edge_idx_put(from, from->nedges - 1);
	nedges_total++;
	if (!topo_broken && uld__topo_rank(from) > uld__topo_rank(to))
		topo_repair(from, to);
	return e;
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
	int close_ok[2] = { 1, uld__dep_allowed(dep, 1) != 0 };
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
			uint8_t a = uld__dep_allowed(e->deps, q.state);
			if (a == 0)
				continue;
			int ns = uld__dep_next_state(a);
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

/*
 * The generic search of the irq rules (irq.c): like the cycle search, over
 * strong paths only, forwards or backwards (lockrules.h).
 */
static int
visit(struct uld__class *to, int ns, struct uld__class *from,
    struct uld__edge *e, int state, uint32_t gen, size_t *tail)
{
	if (to->bfs_gen[ns] == gen)
		return 0;
	to->bfs_gen[ns] = gen;
	to->bfs_from[ns] = from;
	to->bfs_edge[ns] = e;
	to->bfs_from_state[ns] = (uint8_t)state;
	return push(tail, to, (uint8_t)ns) != 0 ? -1 : 1;
}

/* Room for the path from the search's start to `found` (reached in
 * `state`): arrays from uld__malloc, filled by the caller. */
static int
search_path(struct uld__class *found, int state, struct uld__path *path)
{
	uint32_t n = 0;

	for (struct uld__class *c = found; c->bfs_from[state] != NULL; n++) {
		int ps = c->bfs_from_state[state];
		c = c->bfs_from[state];
		state = ps;
	}
	path->n = n;
	path->c = uld__malloc((n + 1) * sizeof(*path->c));
	path->e = uld__malloc((n + 1) * sizeof(*path->e));
	if (path->c == NULL || path->e == NULL) {
		uld__path_free(path);
		return -1;
	}
	return 0;
}

struct uld__class *
uld__graph_search(struct uld__class *start, int start_state, int backward,
    int include_start, uld__graph_match_fn match, void *arg,
    struct uld__path *path)
{
	size_t head = 0, tail = 0;
	uint32_t gen = ++bfs_gen;

	if (gen == 0)
		gen = ++bfs_gen;
	if (path != NULL)
		*path = (struct uld__path){ 0, NULL, NULL };
	start->bfs_gen[start_state] = gen;
	start->bfs_from[start_state] = NULL;
	if (include_start && match(start, start_state, arg))
		goto found_start;
	if (push(&tail, start, (uint8_t)start_state) != 0)
		return NULL;

	while (head < tail) {
		struct qent q = queue[head++];
		struct uld__class *c = q.c;
		uint32_t n = backward ? c->npreds : c->nedges;

		for (uint32_t i = 0; i < n; i++) {
			struct uld__class *to;
			struct uld__edge *e;
			int ns, v;
			if (backward) {
				to = c->preds[i].from;
				e = &to->edges[c->preds[i].idx];
				uint8_t a = uld__dep_allowed_back(e->deps, q.state);
				if (a == 0)
					continue;
				ns = uld__dep_prev_state(a);
			} else {
				e = &c->edges[i];
				to = e->to;
				uint8_t a = uld__dep_allowed(e->deps, q.state);
				if (a == 0)
					continue;
				ns = uld__dep_next_state(a);
			}
			v = visit(to, ns, c, e, q.state, gen, &tail);
			if (v < 0)
				return NULL;
			if (v == 0 || !match(to, ns, arg))
				continue;
			if (path == NULL)
				return to;
			if (search_path(to, ns, path) != 0)
				return NULL;
			/* Fill: walking from `to` back to the start. */
			struct uld__class *x = to;
			int st = ns;
			for (uint32_t k = 0; k < path->n; k++) {
				uint32_t pos = backward ? k : path->n - k;
				path->c[pos] = x;
				struct uld__edge *xe = x->bfs_edge[st];
				int pst = x->bfs_from_state[st];
				x = x->bfs_from[st];
				st = pst;
				path->e[backward ? k : path->n - k - 1] = xe;
			}
			path->c[backward ? path->n : 0] = start;
			return to;
		}
	}
	return NULL;

found_start:
	if (path != NULL && search_path(start, start_state, path) == 0)
		path->c[0] = start;
	return start;
}

void
uld__path_free(struct uld__path *path)
{
	uld__free(path->c);
	uld__free(path->e);
	path->c = NULL;
	path->e = NULL;
}
