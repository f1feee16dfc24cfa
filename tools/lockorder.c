/*
 * lockorder.c: cycles and irq inversions in the union graph (lockorder.h).
 */
#include "lockorder.h"

#include <stdlib.h>
#include <string.h>

uint64_t
uldt_sig_add(uint64_t h, const char *name)
{
	return uld__fnv1a(h, name, strlen(name) + 1);
}

static void *
xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL) {
		fputs("ulockdep: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

/* ---- a set of signatures ---- */

struct sigset64 {
	uint64_t *v;
	size_t cap, n;
};

/* 1 if added, 0 if it was there. */
static int
sigset_add(struct sigset64 *s, uint64_t x)
{
	if (x == 0)
		x = 1;
	if (2 * (s->n + 1) > s->cap) {
		struct sigset64 o = *s;
		s->cap = o.cap ? o.cap * 2 : 256;
		s->v = xmalloc(s->cap * sizeof(*s->v));
		s->n = 0;
		for (size_t i = 0; i < o.cap; i++)
			if (o.v[i])
				sigset_add(s, o.v[i]);
		free(o.v);
	}
	size_t i = (x * 0x9e3779b97f4a7c15ULL >> 7) & (s->cap - 1);
	for (; s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == x)
			return 0;
	s->v[i] = x;
	s->n++;
	return 1;
}

/* ---- breadth-first search over strong paths ---- */

struct bfs {
	const struct uldt_union *u;
	int back;		/* against the edges (lib/graph.c's backward) */
	uint32_t *gen;		/* [class * 2 + state] */
	uint32_t *via;		/* edge that reached it */
	uint8_t *via_state;	/* the state it came from */
	uint32_t *queue;	/* class * 2 + state */
	uint32_t g;
	uint64_t steps;
	uint32_t *path_c, *path_e;
};

static void
bfs_init(struct bfs *b, const struct uldt_union *u)
{
	size_t n = (size_t)u->nclasses * 2 + 2;

	memset(b, 0, sizeof(*b));
	b->u = u;
	b->gen = xmalloc(n * sizeof(*b->gen));
	b->via = xmalloc(n * sizeof(*b->via));
	b->via_state = xmalloc(n);
	b->queue = xmalloc(n * sizeof(*b->queue));
	b->path_c = xmalloc((u->nclasses + 2) * sizeof(*b->path_c));
	b->path_e = xmalloc((u->nclasses + 2) * sizeof(*b->path_e));
}

static void
bfs_free(struct bfs *b)
{
	free(b->gen);
	free(b->via);
	free(b->via_state);
	free(b->queue);
	free(b->path_c);
	free(b->path_e);
}

/* What a search looks for at (class, state); returns 1 to stop there. */
typedef int (*match_fn)(const struct uldt_union *u, uint32_t c, int state,
    void *arg);

/*
 * From `start` in state s0, along edges (only those with use[edge] set
 * when use is not NULL; only those run `run` saw, with its deps, when
 * run >= 0) to the nearest (class, state) that matches.
 * Returns class * 2 + state, or -1.
 */
static long
bfs_run(struct bfs *b, uint32_t start, int s0, const uint8_t *use, int run,
    match_fn match, void *arg)
{
	const struct uldt_union *u = b->u;
	size_t head = 0, tail = 0;

	if (++b->g == 0) {
		memset(b->gen, 0, ((size_t)u->nclasses * 2 + 2) *
		    sizeof(*b->gen));
		b->g = 1;
	}
	b->gen[start * 2 + s0] = b->g;
	b->via[start * 2 + s0] = UINT32_MAX;
	b->queue[tail++] = start * 2 + (uint32_t)s0;
	while (head < tail) {
		uint32_t q = b->queue[head++], c = q / 2;
		int st = (int)(q & 1);
		const struct uldt_class *cl = &u->classes[c];
		uint32_t n = b->back ? cl->nin : cl->nout;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t ei = b->back ? u->adj_in[cl->in + k]
					      : u->adj_out[cl->out + k];
			const struct uldt_edge *e = &u->edges[ei];
			b->steps++;
			if (use != NULL && !use[ei])
				continue;
			uint8_t d = run >= 0 ? uldt_gf_run_deps(e, (uint32_t)run)
					     : e->deps;
			uint8_t a = b->back ? uld__dep_allowed_back(d, st) : uld__dep_allowed(d, st);
			if (a == 0)
				continue;
			int ns = b->back ? uld__dep_prev_state(a) : uld__dep_next_state(a);
			uint32_t w = b->back ? e->from : e->to;
			uint32_t t = w * 2 + (uint32_t)ns;
			if (b->gen[t] == b->g)
				continue;
			b->gen[t] = b->g;
			b->via[t] = ei;
			b->via_state[t] = (uint8_t)st;
			if (match(u, w, ns, arg))
				return (long)t;
			b->queue[tail++] = t;
		}
	}
	return -1;
}

/* The path to a found (class, state), into path_c[0..n], path_e[0..n-1].
 * Returns n (edges). */
static uint32_t
bfs_path(struct bfs *b, long found)
{
	uint32_t n = 0, t = (uint32_t)found;

	for (uint32_t x = t; b->via[x] != UINT32_MAX; n++) {
		const struct uldt_edge *e = &b->u->edges[b->via[x]];
		x = e->from * 2 + b->via_state[x];
	}
	uint32_t k = n;
	b->path_c[k] = t / 2;
	for (uint32_t x = t; b->via[x] != UINT32_MAX;) {
		const struct uldt_edge *e = &b->u->edges[b->via[x]];
		b->path_e[--k] = b->via[x];
		x = e->from * 2 + b->via_state[x];
		b->path_c[k] = x / 2;
	}
	return n;
}

/* The path of a backward search, from the found class to the start, in
 * the direction of the edges.  Returns n (edges). */
static uint32_t
bfs_path_back(struct bfs *b, long found)
{
	uint32_t n = 0, x = (uint32_t)found;

	b->path_c[0] = x / 2;
	while (b->via[x] != UINT32_MAX) {
		const struct uldt_edge *e = &b->u->edges[b->via[x]];
		b->path_e[n] = b->via[x];
		x = e->to * 2 + b->via_state[x];
		b->path_c[++n] = x / 2;
	}
	return n;
}

/* ---- cycles ---- */

/* Is the cycle of these edges (in order, the last closing it) strong with
 * the deps deps[k]?  One state per arrival, as the search keeps. */
static int
strong_cycle(const uint8_t *deps, uint32_t n)
{
	for (int b0 = 0; b0 < 4; b0++) {
		if (!(deps[0] >> b0 & 1))
			continue;
		unsigned set = 1u << (b0 & 1);
		for (uint32_t k = 1; k < n && set; k++) {
			unsigned ns = 0;
			for (int s = 0; s < 2; s++) {
				if (!(set >> s & 1))
					continue;
				uint8_t a = uld__dep_allowed(deps[k], s);
				for (int b = 0; b < 4; b++)
					if (a >> b & 1)
						ns |= 1u << (b & 1);
			}
			set = ns;
		}
		if ((set & 1) || ((set & 2) && b0 < 2))
			return 1;
	}
	return 0;
}

/* A run whose own edges hold this cycle as a strong one, or -1. */
static int
cycle_single_run(const struct uldt_union *u, const uint32_t *edges,
    uint32_t n, uint8_t *deps)
{
	uint32_t best = 0;

	for (uint32_t k = 1; k < n; k++)
		if (u->edges[edges[k]].nseen < u->edges[edges[best]].nseen)
			best = k;
	const struct uldt_edge *eb = &u->edges[edges[best]];
	for (uint32_t i = 0; i < eb->nseen; i++) {
		uint32_t run = ULDT_SEEN_RUN(eb->seen[i]);
		uint32_t k;
		for (k = 0; k < n; k++) {
			deps[k] = uldt_gf_run_deps(&u->edges[edges[k]], run);
			if (deps[k] == 0)
				break;
		}
		if (k == n && strong_cycle(deps, n))
			return (int)run;
	}
	return -1;
}

struct cyc_target {
	uint32_t holder;
	int close1;	/* may the closing edge follow an arrival in state 1? */
};

static int
match_holder(const struct uldt_union *u, uint32_t c, int state, void *arg)
{
	const struct cyc_target *t = arg;

	(void)u;
	return c == t->holder && (state == 0 || t->close1);
}

/* Strongly connected components (Tarjan, iterative).  comp[v]; returns
 * the sizes in *size (per component). */
static uint32_t
components(const struct uldt_union *u, uint32_t *comp, uint32_t **size)
{
	uint32_t n = u->nclasses, next = 0, ncomp = 0, sp = 0, cs = 0;
	uint32_t *idx = xmalloc((n + 1) * sizeof(*idx));
	uint32_t *low = xmalloc((n + 1) * sizeof(*low));
	uint32_t *stk = xmalloc((n + 1) * sizeof(*stk));
	uint32_t *cv = xmalloc((n + 1) * sizeof(*cv));
	uint32_t *ck = xmalloc((n + 1) * sizeof(*ck));
	uint8_t *on = xmalloc(n + 1);
	uint32_t *sz = xmalloc((n + 1) * sizeof(*sz));

	for (uint32_t v = 0; v < n; v++)
		idx[v] = UINT32_MAX;
	for (uint32_t r = 0; r < n; r++) {
		if (idx[r] != UINT32_MAX)
			continue;
		cv[cs] = r;
		ck[cs++] = 0;
		idx[r] = low[r] = next++;
		stk[sp++] = r;
		on[r] = 1;
		while (cs) {
			uint32_t v = cv[cs - 1];
			const struct uldt_class *c = &u->classes[v];
			if (ck[cs - 1] < c->nout) {
				uint32_t w = u->edges[u->adj_out[c->out +
				    ck[cs - 1]++]].to;
				if (idx[w] == UINT32_MAX) {
					idx[w] = low[w] = next++;
					stk[sp++] = w;
					on[w] = 1;
					cv[cs] = w;
					ck[cs++] = 0;
				} else if (on[w] && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			if (low[v] == idx[v]) {
				uint32_t w;
				sz[ncomp] = 0;
				do {
					w = stk[--sp];
					on[w] = 0;
					comp[w] = ncomp;
					sz[ncomp]++;
				} while (w != v);
				ncomp++;
			}
			cs--;
			if (cs && low[v] < low[cv[cs - 1]])
				low[cv[cs - 1]] = low[v];
		}
	}
	free(idx);
	free(low);
	free(stk);
	free(cv);
	free(ck);
	free(on);
	*size = sz;
	return ncomp;
}

/*
 * An order of the classes that every edge added so far respects
 * (Pearce and Kelly's dynamic topological order): an edge that agrees
 * with it cannot close a cycle and costs nothing; one that does not is
 * searched only within the classes between its ends, and the order is
 * repaired when it closes none.
 */
struct pk {
	const struct uldt_union *u;
	const uint8_t *use;
	uint32_t *ord, *mark, g;
	uint32_t *stk, *df, *db, *pool;
	uint32_t ndf, ndb;
	uint64_t steps;
};

static int
pk_by_ord(const void *a, const void *b, void *arg)
{
	const uint32_t *ord = arg;
	uint32_t x = ord[*(const uint32_t *)a], y = ord[*(const uint32_t *)b];

	return x < y ? -1 : x > y;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Depth-first from `from` over used edges (backwards with `back`) to
 * classes within the bound; into out[].  Returns 1 when it met `stop`. */
static int
pk_search(struct pk *p, uint32_t from, int back, uint32_t bound,
    uint32_t stop, uint32_t *out, uint32_t *nout)
{
	const struct uldt_union *u = p->u;
	uint32_t sp = 0;

	p->mark[from] = p->g;
	p->stk[sp++] = from;
	*nout = 0;
	while (sp) {
		uint32_t v = p->stk[--sp];
		const struct uldt_class *c = &u->classes[v];
		out[(*nout)++] = v;
		uint32_t n = back ? c->nin : c->nout;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t ei = back ? u->adj_in[c->in + k]
					   : u->adj_out[c->out + k];
			p->steps++;
			if (!p->use[ei])
				continue;
			uint32_t w = back ? u->edges[ei].from : u->edges[ei].to;
			if (w == stop)
				return 1;
			if (p->mark[w] == p->g ||
			    (back ? p->ord[w] <= bound : p->ord[w] >= bound))
				continue;
			p->mark[w] = p->g;
			p->stk[sp++] = w;
		}
	}
	return 0;
}

/* Before adding from -> to, which disagrees with the order: 1 if `to`
 * reaches `from` (a cycle, at least a plain one), else 0 and the order
 * repaired to hold the new edge. */
static int
pk_add(struct pk *p, uint32_t from, uint32_t to)
{
	uint32_t ub = p->ord[from], lb = p->ord[to];

	p->g++;
	if (pk_search(p, to, 0, ub, from, p->df, &p->ndf))
		return 1;
	p->g++;
	pk_search(p, from, 1, lb, UINT32_MAX, p->db, &p->ndb);
	qsort_r(p->df, p->ndf, sizeof(*p->df), pk_by_ord, p->ord);
	qsort_r(p->db, p->ndb, sizeof(*p->db), pk_by_ord, p->ord);
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->ndb; i++)
		p->pool[n++] = p->ord[p->db[i]];
	for (uint32_t i = 0; i < p->ndf; i++)
		p->pool[n++] = p->ord[p->df[i]];
	qsort(p->pool, n, sizeof(*p->pool), cmp_u32);
	n = 0;
	for (uint32_t i = 0; i < p->ndb; i++)
		p->ord[p->db[i]] = p->pool[n++];
	for (uint32_t i = 0; i < p->ndf; i++)
		p->ord[p->df[i]] = p->pool[n++];
	return 0;
}

/*
 * The union replayed as one process that saw every run's edges, in input
 * order: an edge that would close a strong cycle is reported and not
 * added (as lib/validate.c does), so each later check finds only what is
 * new, and there is one report per closing edge, however many cycles the
 * union holds.  Only edges inside a strongly connected component can
 * close a cycle; among those, the dynamic order above spares the search
 * for every edge that agrees with it.  A component where a plain cycle
 * that is not strong had to be added (readers only) loses the order: its
 * edges are then all searched.
 */
int
uldt_lo_cycles(const struct uldt_union *u, uldt_cycle_fn fn, void *arg)
{
	uint32_t n = u->nclasses;
	uint32_t *comp = xmalloc((n + 1) * sizeof(*comp)), *size;
	uint8_t *use = xmalloc(u->nedges + 1);
	struct sigset64 seen = { 0 };
	struct bfs b;
	struct pk p = { .u = u, .use = use };
	int out_of_budget = 0;
	uint32_t *cls = xmalloc((n + 2) * sizeof(*cls));
	uint32_t *edges = xmalloc((n + 2) * sizeof(*edges));
	uint8_t *deps = xmalloc(u->nedges + n + 2);
	uint32_t ncomp = components(u, comp, &size);
	uint8_t *unordered = xmalloc(ncomp + 1);

	p.ord = xmalloc((n + 1) * sizeof(*p.ord));
	p.mark = xmalloc((n + 1) * sizeof(*p.mark));
	p.stk = xmalloc((u->nedges + n + 1) * sizeof(*p.stk));
	p.df = xmalloc((n + 1) * sizeof(*p.df));
	p.db = xmalloc((n + 1) * sizeof(*p.db));
	p.pool = xmalloc((2 * n + 1) * sizeof(*p.pool));
	for (uint32_t v = 0; v < n; v++)
		p.ord[v] = v;	/* first seen first: outer locks, mostly */
	bfs_init(&b, u);
	for (uint32_t ei = 0; ei < u->nedges && !out_of_budget; ei++) {
		const struct uldt_edge *e = &u->edges[ei];
		uint32_t cc = comp[e->from];
		if (e->from == e->to || cc != comp[e->to])
			continue;
		if (!unordered[cc] && (p.ord[e->from] < p.ord[e->to] ||
		    pk_add(&p, e->from, e->to) == 0)) {
			use[ei] = 1;
			continue;
		}
		/* The closing edge's types: each gives a start state and
		 * whether it may follow a recursive reader (close1); keep
		 * those no other dominates. */
		struct { int start, close1; } combo[3];
		int nc = 0, found = 0;
		if (e->deps & ULD_DEP_EN) {
			combo[nc++] = (typeof(combo[0])){ 0, 1 };
		} else {
			if (e->deps & ULD_DEP_ER)
				combo[nc++] = (typeof(combo[0])){ 1, 1 };
			if (e->deps & ULD_DEP_SN)
				combo[nc++] = (typeof(combo[0])){ 0, 0 };
			if (nc == 0 && (e->deps & ULD_DEP_SR))
				combo[nc++] = (typeof(combo[0])){ 1, 0 };
		}
		for (int i = 0; i < nc && !found; i++) {
			struct cyc_target t = { e->from, combo[i].close1 };
			long f = bfs_run(&b, e->to, combo[i].start, use, -1,
			    match_holder, &t);
			if (f < 0)
				continue;
			found = 1;
			uint32_t len = bfs_path(&b, f) + 1;
			memcpy(cls, b.path_c, len * sizeof(*cls));
			memcpy(edges, b.path_e, (len - 1) * sizeof(*edges));
			edges[len - 1] = ei;
			/* The validator's signature: the names rotated to
			 * start at the smallest. */
			uint32_t first = 0;
			for (uint32_t k = 1; k < len; k++)
				if (strcmp(u->classes[cls[k]].name,
				    u->classes[cls[first]].name) < 0)
					first = k;
			uint64_t sig = uldt_sig_add(ULD_FNV_INIT,
			    "circular_dependency");
			for (uint32_t k = 0; k < len; k++)
				sig = uldt_sig_add(sig,
				    u->classes[cls[(first + k) % len]].name);
			if (!sigset_add(&seen, sig))
				continue;
			struct uldt_cycle c = { len, cls, edges,
				cycle_single_run(u, edges, len, deps), sig };
			fn(u, &c, arg);
		}
		if (b.steps + p.steps > ULDT_LO_BUDGET)
			out_of_budget = 1;
		/* Not closing a strong cycle: it joins the graph, and the
		 * plain cycle it closes ends the order's use here. */
		if (!found) {
			use[ei] = 1;
			unordered[cc] = 1;
		}
	}
	bfs_free(&b);
	free(p.ord);
	free(p.mark);
	free(p.stk);
	free(p.df);
	free(p.db);
	free(p.pool);
	free(unordered);
	free(comp);
	free(size);
	free(use);
	free(cls);
	free(edges);
	free(deps);
	free(seen.v);
	return out_of_budget;
}

/* ---- irq ---- */

static uint64_t
conflicts(const uint64_t *us)
{
	return (us[ULDT_USED_IN_W] & (us[ULDT_ENABLED_W] | us[ULDT_ENABLED_R])) |
	    (us[ULDT_USED_IN_R] & us[ULDT_ENABLED_W]);
}

static const uint64_t *
usage_of(const struct uldt_union *u, uint32_t c, int run)
{
	static const uint64_t none[4];

	if (run < 0)
		return u->classes[c].usage;
	const struct uldt_run_usage *ru = uldt_gf_run_usage(&u->classes[c],
	    (uint32_t)run);
	return ru ? ru->u : none;
}

/* The nearest irq-unsafe class for a safe one (irq-safe for a back
 * search from an unsafe one), for signal bit sg, as irq_rules.c's
 * exclusive(): a write use conflicts with any use, a read use only with
 * a write use; in state 1 read usage does not count. */
struct pair_q {
	uint64_t bit;
	int back;		/* looking for irq-safe */
	int read_counts;	/* the other side's read usage conflicts */
	const uint64_t *bad;
	int run;		/* -1: the union's usage */
	uint32_t target;	/* UINT32_MAX: any class */
};

static int
match_pair(const struct uldt_union *u, uint32_t c, int state, void *arg)
{
	const struct pair_q *q = arg;
	const uint64_t *us = usage_of(u, c, q->run);
	int w = q->back ? ULDT_USED_IN_W : ULDT_ENABLED_W;

	if ((q->bad[c] & q->bit) || (q->target != UINT32_MAX && c != q->target))
		return 0;
	return (us[w] & q->bit) ||
	    (q->read_counts && !state && (us[w + 1] & q->bit));
}

/* Did one run have both ends' usage and a strong path itself? */
static int
order_single_run(const struct uldt_union *u, uint32_t safe, uint32_t unsafe,
    uint64_t bit, const uint64_t *bad)
{
	const struct uldt_class *c = &u->classes[safe];

	for (uint32_t i = 0; i < c->nru; i++) {
		int run = (int)c->ru[i].run;
		const uint64_t *su = c->ru[i].u;
		const uint64_t *xu = usage_of(u, unsafe, run);
		if (!((su[ULDT_USED_IN_W] | su[ULDT_USED_IN_R]) & bit) ||
		    !((xu[ULDT_ENABLED_W] | xu[ULDT_ENABLED_R]) & bit))
			continue;
		struct pair_q rq = { bit, 0, (su[ULDT_USED_IN_W] & bit) != 0,
			bad, run, unsafe };
		struct bfs rb;
		bfs_init(&rb, u);
		long rf = bfs_run(&rb, safe, 0, NULL, run, match_pair, &rq);
		bfs_free(&rb);
		if (rf >= 0)
			return run;
	}
	return -1;
}

static void
order_from(const struct uldt_union *u, struct bfs *b, uint32_t ci,
    unsigned sg, const uint64_t *bad, struct sigset64 *pairs,
    uldt_order_fn ofn, void *arg)
{
	const struct uldt_class *c = &u->classes[ci];
	uint64_t bit = 1ULL << sg;
	/* Forwards from a safe class: its write use makes the other side's
	 * read usage count.  Backwards from an unsafe one: its write
	 * enabling makes the other side's read use count. */
	int mine_w = b->back ? (c->usage[ULDT_ENABLED_W] & bit) != 0
			     : (c->usage[ULDT_USED_IN_W] & bit) != 0;
	struct pair_q q = { bit, b->back, mine_w, bad, -1, UINT32_MAX };
	long f = bfs_run(b, ci, 0, NULL, -1, match_pair, &q);

	if (f < 0)
		return;
	uint32_t x = (uint32_t)f / 2;
	struct uldt_irq_order o = { .sig = sg, .single_run = -1 };
	o.safe = b->back ? x : ci;
	o.unsafe = b->back ? ci : x;
	const struct uldt_class *sc = &u->classes[o.safe];
	const struct uldt_class *uc = &u->classes[o.unsafe];
	uint64_t h = uldt_sig_add(ULD_FNV_INIT, "irq_safe_unsafe_order");
	h = uldt_sig_add(h, sc->name);
	h = uldt_sig_add(h, uc->name);
	o.signature = uldt_sig_add(h, u->sig[sg]);
	if (!sigset_add(pairs, o.signature))
		return;
	/* Name the usages that conflict: a write one on either side. */
	o.unsafe_kind = uc->usage[ULDT_ENABLED_W] & bit ? ULDT_ENABLED_W
							: ULDT_ENABLED_R;
	o.safe_kind = o.unsafe_kind == ULDT_ENABLED_R ||
	    (sc->usage[ULDT_USED_IN_W] & bit) ? ULDT_USED_IN_W : ULDT_USED_IN_R;
	o.n = b->back ? bfs_path_back(b, f) : bfs_path(b, f);
	uint32_t *pc = xmalloc((o.n + 1) * sizeof(*pc));
	uint32_t *pe = xmalloc((o.n + 1) * sizeof(*pe));
	memcpy(pc, b->path_c, (o.n + 1) * sizeof(*pc));
	memcpy(pe, b->path_e, o.n * sizeof(*pe));
	o.cls = pc;
	o.edges = pe;
	o.single_run = order_single_run(u, o.safe, o.unsafe, bit, bad);
	ofn(u, &o, arg);
	free(pc);
	free(pe);
}

int
uldt_lo_irq(const struct uldt_union *u, uldt_conflict_fn cfn,
    uldt_order_fn ofn, void *arg)
{
	int out_of_budget = 0;
	uint64_t *bad = xmalloc((u->nclasses + 1) * sizeof(*bad));
	struct bfs b;

	/* inconsistent_irq_state: a conflict of the union no run had. */
	for (uint32_t ci = 0; ci < u->nclasses; ci++) {
		const struct uldt_class *c = &u->classes[ci];
		uint64_t cf = conflicts(c->usage);
		bad[ci] = cf;
		for (unsigned s = 0; s < 64 && cf; s++) {
			if (!(cf >> s & 1))
				continue;
			uint64_t bit = 1ULL << s;
			int single = -1;
			for (uint32_t i = 0; i < c->nru && single < 0; i++)
				if (conflicts(c->ru[i].u) & bit)
					single = (int)c->ru[i].run;
			struct uldt_irq_conflict x = { .cls = ci, .sig = s,
				.single_run = single };
			x.used_kind = c->usage[ULDT_USED_IN_W] & bit
			    ? ULDT_USED_IN_W : ULDT_USED_IN_R;
			x.en_kind = x.used_kind == ULDT_USED_IN_W &&
			    !(c->usage[ULDT_ENABLED_W] & bit)
			    ? ULDT_ENABLED_R : ULDT_ENABLED_W;
			uint64_t h = uldt_sig_add(ULD_FNV_INIT,
			    "inconsistent_irq_state");
			h = uldt_sig_add(h, c->name);
			x.signature = uldt_sig_add(h, u->sig[s]);
			cfn(u, &x, arg);
		}
	}

	/* irq_safe_unsafe_order: from each irq-safe class, the nearest
	 * irq-unsafe one for the same signal (lib/irq_rules.c's search
	 * when a class becomes irq-safe); then from each irq-unsafe class,
	 * the nearest irq-safe one behind it (when one becomes unsafe). */
	struct sigset64 pairs = { 0 };
	uint64_t handled = 0;
	for (uint32_t ci = 0; ci < u->nclasses; ci++)
		handled |= (u->classes[ci].usage[ULDT_USED_IN_W] |
		    u->classes[ci].usage[ULDT_USED_IN_R]) & ~bad[ci];
	bfs_init(&b, u);
	for (int back = 0; back < 2 && handled; back++) {
		b.back = back;
		for (uint32_t ci = 0; ci < u->nclasses && !out_of_budget;
		     ci++) {
			const struct uldt_class *c = &u->classes[ci];
			uint64_t mine = back
			    ? c->usage[ULDT_ENABLED_W] | c->usage[ULDT_ENABLED_R]
			    : c->usage[ULDT_USED_IN_W] | c->usage[ULDT_USED_IN_R];
			mine &= handled & ~bad[ci];
			for (unsigned sg = 0; sg < 64 && mine; sg++) {
				if (!(mine >> sg & 1))
					continue;
				order_from(u, &b, ci, sg, bad, &pairs, ofn, arg);
				if (b.steps > ULDT_LO_BUDGET)
					out_of_budget = 1;
			}
		}
	}
	free(pairs.v);
	bfs_free(&b);
	free(bad);
	return out_of_budget;
}
