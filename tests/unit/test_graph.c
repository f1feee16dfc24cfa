/*
 * test_graph.c: dependency edges and the cycle search (lib/graph.c).
 *
 * Classes are built by hand (zeroed, named, numbered) so that each case is
 * exactly the graph it describes.  The reader-writer cases follow the
 * "strong path" rule of lockdep-design.rst (a path may not go
 * -(xR)-> X -(Sx)->: a recursive reader never waits for another reader)
 * and lockdep's own self-tests (lib/locking-selftest.c).
 *
 * The graph functions expect uld__graph_lock held; this test is
 * single-threaded, so nothing else can touch the graph.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class.h"
#include "graph.h"
#include "util.h"

#include "tap.h"

#define N 1
#define R 2 /* recursive reader: uld__dep_type's taker_read == 2 */

static uint32_t next_id = 1;

static struct uld__class *
cls(const char *name)
{
	struct uld__class *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		perror("calloc");
		exit(99);
	}
	c->name_ = strdup(name);
	c->id = next_id++;
	c->topo = c->id; /* as new_class() numbers it */
	c->key = c;
	return c;
}

/* Add from -> to and say so when it fails (out of memory). */
static void
edge(struct uld__class *from, struct uld__class *to, uint8_t dep)
{
	if (uld__graph_add(from, to, dep) == NULL)
		diag("uld__graph_add(%s, %s) failed", uld__class_name(from), uld__class_name(to));
}

/* A path as "A -> B -> C", for diagnostics. */
static const char *
path_str(const struct uld__path *p)
{
	static char s[512];
	size_t n = 0;

	s[0] = '\0';
	for (uint32_t i = 0; i <= p->n && n + 40 < sizeof(s); i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s",
		    i ? " -> " : "", uld__class_name(p->c[i]));
	return s;
}

/*
 * The path is a real walk in the graph: it starts at the taker, ends at
 * the holder, and each e[i] is the stored edge c[i] -> c[i+1].
 */
static int
path_consistent(const struct uld__path *p, struct uld__class *holder,
    struct uld__class *taker)
{
	if (p->c[0] != taker || p->c[p->n] != holder)
		return 0;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->e[i] != uld__graph_find(p->c[i], p->c[i + 1]) ||
		    p->e[i]->to != p->c[i + 1])
			return 0;
	return 1;
}

/*
 * Would holder -> taker, taken as `dep`, close a cycle?  Checks the
 * answer and, for a cycle, the path's shape and length.
 */
static void
expect_cycle(struct uld__class *holder, struct uld__class *taker,
    uint8_t dep, int want, uint32_t len, const char *what)
{
	struct uld__path p;
	int r;

	memset(&p, 0, sizeof(p));
	r = uld__graph_cycle(holder, taker, dep, &p);
	if (!is_int(r, want, "%s: %s", what, want ? "cycle" : "no cycle") &&
	    r == 1)
		diag("path %s", path_str(&p));
	if (r != 1 || want != 1)
		return;
	if (!ok(path_consistent(&p, holder, taker),
	    "%s: path runs taker .. holder over stored edges", what))
		diag("path %s", path_str(&p));
	if (!is_int(p.n, len, "%s: path has %u edges", what, len))
		diag("path %s", path_str(&p));
}

static void
test_add_find(void)
{
	struct uld__class *a = cls("A"), *b = cls("B"), *c = cls("C");
	struct uld__class *many[40];
	uint64_t before = uld__graph_edges();
	struct uld__edge *e1, *e2;
	int bad = 0;

	ok(uld__graph_find(a, b) == NULL, "no edge in an empty graph");
	e1 = uld__graph_add(a, b, ULD_DEP_EN);
	ok(e1 != NULL && e1->to == b, "add A -> B");
	ok(e1 != NULL && e1->deps == ULD_DEP_EN, "A -> B has its type");
	ok(uld__graph_find(a, b) == e1, "find A -> B");
	ok(uld__graph_find(b, a) == NULL, "edges are directed: no B -> A");
	ok(uld__graph_find(a, c) == NULL, "no A -> C");
	is_uint(uld__graph_edges() - before, 1, "edge count +1");

	/* The same pair again widens the type set, adds no edge. */
	e2 = uld__graph_add(a, b, ULD_DEP_SR);
	ok(e2 == e1, "re-adding A -> B returns the same edge");
	is_uint(e1->deps, ULD_DEP_EN | ULD_DEP_SR, "A -> B types widened");
	is_int(a->nedges, 1, "still one edge out of A");
	is_uint(uld__graph_edges() - before, 1, "edge count unchanged");

	/* Many edges out of one class: its array grows, nothing is lost. */
	for (size_t i = 0; i < ULD_ARRAY_SIZE(many); i++) {
		char name[16];
		snprintf(name, sizeof(name), "M%zu", i);
		many[i] = cls(name);
		edge(c, many[i], (uint8_t)(1u << (i % 4)));
	}
	for (size_t i = 0; i < ULD_ARRAY_SIZE(many); i++) {
		struct uld__edge *e = uld__graph_find(c, many[i]);
		bad += e == NULL || e->to != many[i] ||
		       e->deps != (1u << (i % 4));
	}
	is_int(bad, 0, "40 edges out of C all found with their types");
	is_int(c->nedges, ULD_ARRAY_SIZE(many), "C has 40 edges");
	ok(c->edges_cap >= c->nedges, "C's edge array holds them (cap %u)",
	    c->edges_cap);
	is_uint(uld__graph_edges() - before, 1 + ULD_ARRAY_SIZE(many),
	    "edge count +41 in all");
}

static void
test_dep_type(void)
{
	is_uint(uld__dep_type(0, 0), ULD_DEP_EN, "exclusive -> lock: EN");
	is_uint(uld__dep_type(0, N), ULD_DEP_EN,
	    "exclusive -> non-recursive read: EN");
	is_uint(uld__dep_type(0, R), ULD_DEP_ER,
	    "exclusive -> recursive read: ER");
	is_uint(uld__dep_type(N, 0), ULD_DEP_SN, "shared -> lock: SN");
	is_uint(uld__dep_type(R, 0), ULD_DEP_SN,
	    "recursive shared -> lock: SN");
	is_uint(uld__dep_type(N, R), ULD_DEP_SR,
	    "shared -> recursive read: SR");
	is_uint(uld__dep_type(R, N), ULD_DEP_SN,
	    "shared -> non-recursive read: SN");
}

static void
test_exclusive_cycles(void)
{
	struct uld__class *a = cls("A"), *b = cls("B"), *c = cls("C");
	struct uld__class *d = cls("D"), *e = cls("E");
	struct uld__path p;

	/* AB-BA: A -> B exists; B held, A taken. */
	edge(a, b, ULD_DEP_EN);
	memset(&p, 0, sizeof(p));
	is_int(uld__graph_cycle(b, a, ULD_DEP_EN, &p), 1, "AB-BA: cycle");
	is_int(p.n, 1, "AB-BA: one edge back");
	ok(p.c != NULL && p.c[0] == a, "AB-BA: path starts at the taker A");
	ok(p.c != NULL && p.c[1] == b, "AB-BA: path ends at the holder B");
	ok(p.e != NULL && p.e[0] == uld__graph_find(a, b),
	    "AB-BA: path edge is the stored A -> B");
	/* Asking does not add the closing edge. */
	ok(uld__graph_find(b, a) == NULL, "cycle search adds no edge");
	/* The other way round is fine: it is the existing order. */
	expect_cycle(a, b, ULD_DEP_EN, 0, 0, "A -> B again");

	/* ABC-CA: A -> B -> C; C held, A taken. */
	edge(b, c, ULD_DEP_EN);
	expect_cycle(c, a, ULD_DEP_EN, 1, 2, "ABC-CA");
	expect_cycle(c, b, ULD_DEP_EN, 1, 1, "BC-CB");
	expect_cycle(a, c, ULD_DEP_EN, 0, 0, "A -> C follows the order");

	/*
	 * Two ways back, X -> W -> V -> Z and X -> Y -> Z, with the long one
	 * first in edge order, then last: breadth-first returns the short
	 * one either way (a depth-first or LIFO search would not).
	 */
	for (int longfirst = 1; longfirst >= 0; longfirst--) {
		struct uld__class *x = cls("X"), *y = cls("Y"), *z = cls("Z");
		struct uld__class *w = cls("W"), *v = cls("V");
		const char *order = longfirst ? "long first" : "long last";
		if (longfirst)
			edge(x, w, ULD_DEP_EN);
		edge(x, y, ULD_DEP_EN);
		if (!longfirst)
			edge(x, w, ULD_DEP_EN);
		edge(w, v, ULD_DEP_EN);
		edge(v, z, ULD_DEP_EN);
		edge(y, z, ULD_DEP_EN);
		memset(&p, 0, sizeof(p));
		if (is_int(uld__graph_cycle(z, x, ULD_DEP_EN, &p), 1,
		    "two ways back, %s: cycle", order))
			ok(p.n == 2 && p.c[1] == y && path_consistent(&p, z, x),
			    "two ways back, %s: the short one, %s", order,
			    path_str(&p));
	}

	/* A DAG has no cycle for any edge that follows its order. */
	edge(a, d, ULD_DEP_EN);
	edge(d, e, ULD_DEP_EN);
	edge(b, e, ULD_DEP_EN);
	expect_cycle(a, e, ULD_DEP_EN, 0, 0, "DAG: A -> E");
	expect_cycle(d, c, ULD_DEP_EN, 0, 0, "DAG: D -> C (no way C .. D)");
	expect_cycle(c, e, ULD_DEP_EN, 0, 0, "DAG: C -> E");
	expect_cycle(e, d, ULD_DEP_EN, 1, 1, "DAG: E -> D closes D -> E");
	expect_cycle(e, a, ULD_DEP_EN, 1, 2, "DAG: E -> A");
}

/*
 * lockdep's ABCDBDDA: A -> B, C -> D, then B -> D, D -> A is the one that
 * closes A -> B -> D -> A; distractor edges must not hide or fake it.
 */
static void
test_abcdbdda(void)
{
	struct uld__class *a = cls("A"), *b = cls("B"), *c = cls("C");
	struct uld__class *d = cls("D");

	edge(a, b, ULD_DEP_EN);
	edge(c, d, ULD_DEP_EN);
	expect_cycle(b, d, ULD_DEP_EN, 0, 0, "ABCDBDDA: B -> D is fine");
	edge(b, d, ULD_DEP_EN);
	expect_cycle(d, a, ULD_DEP_EN, 1, 2, "ABCDBDDA: D -> A");

	/* ABCDBCDA: A -> B, C -> D, B -> C; D -> A closes a 3-edge path. */
	{
		struct uld__class *p = cls("P"), *q = cls("Q"), *r = cls("R");
		struct uld__class *s = cls("S");
		edge(p, q, ULD_DEP_EN);
		edge(r, s, ULD_DEP_EN);
		expect_cycle(q, r, ULD_DEP_EN, 0, 0, "ABCDBCDA: B -> C fine");
		edge(q, r, ULD_DEP_EN);
		expect_cycle(s, p, ULD_DEP_EN, 1, 3, "ABCDBCDA: D -> A");
	}
}

static void
test_read_write(void)
{
	struct uld__class *x, *y, *z, *w;

	/* read_lock(X); lock(Y) || lock(Y); read_lock(X), X recursive:
	 * the recursive reader gets X while the other holds it for read,
	 * so nobody waits in a circle. */
	x = cls("X");
	y = cls("Y");
	edge(x, y, uld__dep_type(N, 0));
	is_uint(uld__graph_find(x, y)->deps, ULD_DEP_SN, "R(X) -> L(Y) is SN");
	expect_cycle(y, x, uld__dep_type(0, R), 0, 0,
	    "R(X)L(Y) then L(Y)RR(X): no deadlock");
	expect_cycle(y, x, uld__dep_type(0, 0), 1, 1,
	    "R(X)L(Y) then L(Y)W(X): deadlock");
	expect_cycle(y, x, uld__dep_type(0, N), 1, 1,
	    "R(X)L(Y) then L(Y)R(X) non-recursive: deadlock (a waiting "
	    "writer blocks it)");
	/* Both holders shared: read_lock(Y); read_lock(X) recursive is
	 * SR; Y's reader cannot block X -(SN)-> Y's taker either way. */
	expect_cycle(y, x, uld__dep_type(R, R), 0, 0,
	    "R(X)L(Y) then R(Y)RR(X): no deadlock");

	/* X -(ER)-> Y -(ER)-> Z, then Z -(ER)-> X: deadlock. */
	x = cls("X2");
	y = cls("Y2");
	z = cls("Z2");
	edge(x, y, ULD_DEP_ER);
	edge(y, z, ULD_DEP_ER);
	expect_cycle(z, x, ULD_DEP_ER, 1, 2, "ER ER ER: deadlock");

	/* X -(EN)-> Y -(SR)-> Z, then Z -(SN)-> X: -(SR)-> Z -(SN)-> is not
	 * strong, so no deadlock. */
	x = cls("X3");
	y = cls("Y3");
	z = cls("Z3");
	edge(x, y, ULD_DEP_EN);
	edge(y, z, ULD_DEP_SR);
	expect_cycle(z, x, ULD_DEP_SN, 0, 0, "EN SR SN: no deadlock");
	/* ... but closing with an exclusive holder is one. */
	expect_cycle(z, x, ULD_DEP_EN, 1, 2, "EN SR EN: deadlock");

	/* X -(ER)-> Y -(SR)-> Z, then Z -(EN)-> X: -(ER)-> Y -(SR)-> is not
	 * strong. */
	x = cls("X4");
	y = cls("Y4");
	z = cls("Z4");
	edge(x, y, ULD_DEP_ER);
	edge(y, z, ULD_DEP_SR);
	expect_cycle(z, x, ULD_DEP_EN, 0, 0, "ER SR EN: no deadlock");

	/* The closing edge counts too, where the cycle wraps round:
	 * X -(SN)-> Y, then Y -(ER)-> X: -(ER)-> X -(SN)-> is not strong. */
	x = cls("X5");
	y = cls("Y5");
	edge(x, y, ULD_DEP_SN);
	expect_cycle(y, x, ULD_DEP_ER, 0, 0, "SN then ER: wrap not strong");
	/* X -(EN)-> Y, then Y -(SR)-> X: -(SR)-> X -(EN)-> is strong. */
	x = cls("X6");
	y = cls("Y6");
	edge(x, y, ULD_DEP_EN);
	expect_cycle(y, x, ULD_DEP_SR, 1, 1, "EN then SR: deadlock");
	/* X -(ER)-> Y, then Y -(SN)-> X: -(ER)-> Y -(SN)-> is not strong. */
	x = cls("X7");
	y = cls("Y7");
	edge(x, y, ULD_DEP_ER);
	expect_cycle(y, x, ULD_DEP_SN, 0, 0, "ER then SN: not strong");

	/* An edge seen both ways (ER and EN) may be used as EN. */
	x = cls("X8");
	y = cls("Y8");
	z = cls("Z8");
	edge(x, y, ULD_DEP_ER);
	edge(y, z, ULD_DEP_SN);
	expect_cycle(z, x, ULD_DEP_EN, 0, 0, "ER SN: not yet");
	edge(x, y, ULD_DEP_EN);
	expect_cycle(z, x, ULD_DEP_EN, 1, 2, "ER|EN SN: deadlock via EN");

	/*
	 * One class reached two ways: first (breadth-first) only through a
	 * recursive reader, from which its SN edge may not be taken, later
	 * through an exclusive edge, from which it may.  A search that
	 * marked classes visited once, whatever the way in, would miss it.
	 *	X -(ER)-> Y, X -(EN)-> W -(EN)-> Y, Y -(SN)-> Z; Z -> X?
	 */
	x = cls("X9");
	y = cls("Y9");
	z = cls("Z9");
	w = cls("W9");
	edge(x, y, ULD_DEP_ER);
	edge(x, w, ULD_DEP_EN);
	edge(w, y, ULD_DEP_EN);
	edge(y, z, ULD_DEP_SN);
	expect_cycle(z, x, ULD_DEP_EN, 1, 3,
	    "class reached as reader first, then exclusively");
}

static void
test_long_chain(void)
{
	enum { LEN = 2000 };
	static struct uld__class *c[LEN];
	struct uld__path p;
	int r, bad = 0;

	for (int i = 0; i < LEN; i++) {
		char name[16];
		snprintf(name, sizeof(name), "L%d", i);
		c[i] = cls(name);
		if (i > 0)
			edge(c[i - 1], c[i], ULD_DEP_EN);
	}
	expect_cycle(c[0], c[LEN - 1], ULD_DEP_EN, 0, 0,
	    "2000-class line, same direction");
	memset(&p, 0, sizeof(p));
	r = uld__graph_cycle(c[LEN - 1], c[0], ULD_DEP_EN, &p);
	is_int(r, 1, "2000-class line closed: cycle");
	if (r != 1)
		return;
	is_int(p.n, LEN - 1, "2000-class line: %d edges back", LEN - 1);
	for (uint32_t i = 0; i <= p.n && i < LEN; i++)
		bad += p.c[i] != c[i] ||
		       (i < p.n && p.e[i] != uld__graph_find(c[i], c[i + 1]));
	is_int(bad, 0, "2000-class line: every class and edge in order");

	/* The search is reusable: a short question after a long one. */
	expect_cycle(c[1], c[0], ULD_DEP_EN, 1, 1,
	    "short cycle after the long search");
	expect_cycle(c[LEN - 1], c[LEN / 2], ULD_DEP_EN, 1, LEN / 2 - 1,
	    "half-line cycle after the long search");
}


/* ---- the topological order that lets most new edges skip the search ---- */

#define TN 300

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Plain reachability, the slow way: depth-first over every edge. */
static int
reaches(struct uld__class *from, const struct uld__class *to, uint8_t *seen)
{
	if (from == to)
		return 1;
	if (seen[from->id])
		return 0;
	seen[from->id] = 1;
	for (uint32_t i = 0; i < from->nedges; i++)
		if (reaches(from->edges[i].to, to, seen))
			return 1;
	return 0;
}

/*
 * A program that meets its classes against its lock order: classes made
 * from the last of the order to the first, then edges i -> i+1..i+3 with
 * i ascending (each taker new to the graph), then edges from classes new
 * to the graph into the first (each holder new).  Each such edge must
 * move only its new end, no other class (the order was once repaired
 * over all the classes before the holder, at every edge), and the order
 * must still hold and rule out no real path.
 */
#define TM 200

static void
test_topo_new_classes(void)
{
	struct uld__class *c[TM], *h[TM];
	uint32_t before[TM];
	int moved = 0, bad_edges = 0, bad_reach = 0;

	for (int i = TM - 1; i >= 0; i--)
		c[i] = cls("met");
	for (int i = 0; i < TM; i++)
		h[i] = cls("holder");
	for (int i = 0; i < TM; i++)
		for (int j = i + 1; j < TM && j <= i + 3; j++) {
			for (int k = 0; k < TM; k++)
				before[k] = uld__topo_rank(c[k]);
			edge(c[i], c[j], ULD_DEP_EN);
			for (int k = 0; k < TM; k++)
				moved += k != j && k != i &&
				    uld__topo_rank(c[k]) != before[k];
		}
	for (int i = 0; i < TM; i++) {
		for (int k = 0; k < TM; k++)
			before[k] = uld__topo_rank(c[k]);
		edge(h[i], c[0], ULD_DEP_EN);
		for (int k = 0; k < TM; k++)
			moved += uld__topo_rank(c[k]) != before[k];
	}
	uint8_t *seen = calloc(next_id, 1);
	for (int i = 0; i < TM; i++)
		for (uint32_t k = 0; k < c[i]->nedges; k++)
			bad_edges += uld__topo_rank(c[i]) >=
			    uld__topo_rank(c[i]->edges[k].to);
	for (int i = 0; i < TM; i++)
		bad_edges += uld__topo_rank(h[i]) >= uld__topo_rank(c[0]);
	for (int x = 0; x < TM; x++)
		for (int y = 0; y < TM; y++) {
			if (x == y || seen == NULL)
				continue;
			memset(seen, 0, next_id);
			bad_reach += reaches(c[x], c[y], seen) &&
			    !uld__graph_may_reach(c[x], c[y]);
		}
	ok(seen != NULL, "topo order, classes met against it: memory");
	free(seen);
	is_int(moved, 0, "topo order, classes met against it: each new edge moves only its new end");
	is_int(bad_edges, 0, "topo order, classes met against it: every edge goes up");
	is_int(bad_reach, 0, "topo order, classes met against it: no real path ruled out");
}

/*
 * A hidden order over TN classes, created in a shuffled order, and edges
 * that follow it added in random order: many of them go against the
 * creation order, so the order is repaired again and again.  After every
 * addition each edge must still go up the order, and uld__graph_may_reach
 * must say yes wherever a path really exists (no means none: the search
 * is skipped on its word).
 */
static void
test_topo_order(void)
{
	struct uld__class *c[TN];
	uint32_t rank[TN];
	uint8_t seen[TN + 1]; /* by id: this test's classes come first */
	int bad_edges = 0, bad_reach = 0, skipped = 0, checks = 0;

	for (int i = 0; i < TN; i++)
		rank[i] = (uint32_t)i;
	for (int i = TN - 1; i > 0; i--) {
		int j = (int)(rnd() % (uint64_t)(i + 1));
		uint32_t t = rank[i];
		rank[i] = rank[j];
		rank[j] = t;
	}
	/* c[k] has hidden rank k; classes are made in rank[] order. */
	for (int i = 0; i < TN; i++)
		c[rank[i]] = cls("topo");
	for (int n = 0; n < 3000; n++) {
		int a = (int)(rnd() % TN), b = (int)(rnd() % TN);
		if (a == b)
			continue;
		if (a > b) {
			int t = a;
			a = b;
			b = t;
		}
		edge(c[a], c[b], ULD_DEP_EN);
		for (int i = 0; i < TN; i++)
			for (uint32_t k = 0; k < c[i]->nedges; k++)
				bad_edges += uld__topo_rank(c[i]) >=
				    uld__topo_rank(c[i]->edges[k].to);
		for (int q = 0; q < 8; q++) {
			int x = (int)(rnd() % TN), y = (int)(rnd() % TN);
			if (x == y)
				continue;
			memset(seen, 0, sizeof(seen));
			int real = reaches(c[x], c[y], seen);
			int may = uld__graph_may_reach(c[x], c[y]);
			bad_reach += real && !may;
			skipped += !may;
			checks++;
		}
	}
	is_int(bad_edges, 0, "topo order: every edge goes up, after each of 3000 additions");
	is_int(bad_reach, 0, "topo order: no real path is ever ruled out (%d checks)", checks);
	ok(skipped > checks / 4, "topo order: most searches are skipped (%d of %d)",
	    skipped, checks);

	test_topo_new_classes();

	/* A cycle the search allows (recursive readers) leaves no order:
	 * from then on every question is searched. */
	struct uld__class *r1 = cls("r1"), *r2 = cls("r2");
	edge(r1, r2, ULD_DEP_ER);
	edge(r2, r1, ULD_DEP_ER);
	ok(uld__graph_may_reach(c[TN - 1], c[0]) && uld__graph_may_reach(r1, r2) &&
	    uld__graph_may_reach(r2, r1),
	    "topo order: a plain cycle turns the shortcut off");
}

int
main(void)
{
	/* First: a graph with a cycle of readers turns the order off. */
	test_topo_order();
	test_dep_type();
	test_add_find();
	test_exclusive_cycles();
	test_abcdbdda();
	test_read_write();
	test_long_chain();
	return done_testing();
}
