/*
 * class.h: lock classes.
 *
 * A class is what the validator reasons about (lockdep's lock_class): all
 * locks initialised at one call site (a static lock: at one site and in
 * one variable), one statically initialised variable
 * (all elements of a static array of locks share it), one heap lock first
 * seen without init (classed by its first acquisition site), or the class a
 * program named (uld_lock_set_class).  A subclass (nested acquisition,
 * spin_lock_nested) is a class of its own, named "base/N".
 *
 * Classes are never freed: held-lock entries, edges and caches point at
 * them without references.  Lookup is lock-free (cds_lfht under RCU);
 * creation and every graph field are under uld__graph_lock.
 */
#ifndef ULD_CLASS_H
#define ULD_CLASS_H

#include <stdint.h>
#include <urcu-bp.h>
#include <urcu/rculfhash.h>

#include "ulockdep/ulockdep.h"

enum uld__class_kind {
	ULD_CLASS_INIT_SITE,	/* key: the init call site */
	ULD_CLASS_STATIC,	/* key: the variable (array) address */
	ULD_CLASS_ACQUIRE_SITE, /* key: first acquisition site */
	ULD_CLASS_KEY,		/* key: a struct uld_class_key */
	ULD_CLASS_NAME,		/* key: hash of the name */
};

struct uld__edge;
struct uld__usage_trace;

/* A dependency into a class: from->edges[idx] (graph.c). */
struct uld__pred {
	struct uld__class *from;
	uint32_t idx;
};

struct uld__class {
	struct cds_lfht_node node;
	const void *key;
	uint8_t kind;		/* enum uld__class_kind */
	uint8_t subclass;
	uint8_t type;		/* enum uld_lock_type of the first lock */
	uint8_t own;		/* the validator's own (jemalloc, urcu...) */
	uint8_t retired;	/* left the table: its module was closed */
	/* INIT_SITE in a lock constructor (initwrap.h): its locks are
	 * classed by the constructor's caller; `via` names it. */
	uint8_t wrapper;
	/* INIT_SITE whose first lock was in static storage: its static
	 * locks are classed by (site, variable), `var` below. */
	uint8_t statics;
	uint32_t id;		/* dense, from 1; part of chain keys */
	/*
	 * Irq usage (irq_rules.c): per enum uld__usage, the signals (bit
	 * sig-1) this class was taken in the handler of, or with
	 * deliverable.  Written under uld__graph_lock; read without it on
	 * every acquisition, so it shares a cache line with `id`.
	 */
	uint64_t usage[4];
	/*
	 * The name: read it with uld__class_name(), which makes it at the
	 * first need.  Naming reads the DWARF line tables through libdw,
	 * which allocates with the program's malloc: a class first seen
	 * inside the program's own allocator (jemalloc's mutexes in rustc)
	 * named there called that allocator back while it held its lock,
	 * and the program hung.  So it is made on first sight only where
	 * that cannot happen (uld__class_name_early), else at the first
	 * report or at exit.  Set at creation for a name the program gave.
	 */
	char *name_;
	const void *name_lock;	/* the first lock, if static: its variable */
	char *name_via;		/* made through this constructor */
	char *via;		/* wrapper: the constructor's name */
	/* INIT_SITE: NULL, or the start of the static object (variable,
	 * array) that holds this class's locks, part of the key. */
	const void *var;
	struct uld__class *base; /* subclass 0 of this class */
	struct uld__class *sub[ULD_MAX_SUBCLASS + 1]; /* base only */

	/* Graph (graph.c), under uld__graph_lock. */
	struct uld__edge *edges; /* dependencies: this class -> edges[i].to */
	uint32_t nedges, edges_cap;
	/* Past a few edges, an open-addressing index into edges[] by `to`
	 * (slots hold i + 1; 0 is empty), so that a class with 100,000
	 * edges is not scanned for each new one.  NULL until then. */
	uint32_t *edge_idx;
	uint32_t edge_idx_cap;	/* a power of two, or 0 */
	uint32_t bfs_gen[2];
	struct uld__class *bfs_from[2];
	struct uld__edge *bfs_edge[2];
	uint8_t bfs_from_state[2];
	struct uld__pred *preds;	/* dependencies into this class */
	uint32_t npreds, preds_cap;
	/* A topological order of the whole graph (graph.c): every edge
	 * goes from a lower `topo` to a higher one. */
	uint32_t topo, topo_gen;

	uint64_t irq_bad;	/* signals reported inconsistent for it */
	struct uld__usage_trace *traces; /* where each bit was first set */

	/* Every class, subclasses too, in creation (id) order: how the
	 * graph is walked whole (graph_save.c).  Under uld__graph_lock. */
	struct uld__class *next;
};

void uld__class_init(void);
/*
 * The class for (kind, key), created on first use.  `name` is its name
 * (NULL: derived, when first asked, from the key and from `lock`, the
 * lock that brings the class into being).  NULL when out of memory.
 * Takes uld__graph_lock when creating: never call it with the graph lock
 * held.  An INIT_SITE inside a lock constructor (init_wrappers)
 * gives the class of the constructor's caller instead: call it from the
 * init call itself, whose stack holds that caller.
 */
struct uld__class *uld__class_get(enum uld__class_kind kind, const void *key,
    enum uld_lock_type type, const char *name, const void *lock);
/* The subclass `sub` of `base` (0: base itself). Lock-free after first use. */
/* dlclose: classes keyed in [lo, hi) leave the table (class.c). */
void uld__class_retire_range(uintptr_t lo, uintptr_t hi);
struct uld__class *uld__class_sub(struct uld__class *base, unsigned sub);
/* Number of classes. */
uint32_t uld__class_count(void);
/* The first class created; the others follow through ->next.  Under
 * uld__graph_lock (the hash table does not hold subclasses). */
struct uld__class *uld__class_first(void);
/* The class's name, made at the first call (class.h, name_).  Takes the
 * symbol and source-line locks, never the graph lock: call it with the
 * graph lock held or not. */
const char *uld__class_name(const struct uld__class *c);
/*
 * Name a new class now, while its site is on the stack and not in a
 * signal handler later (where DWARF is off limits), unless that could call
 * the program's own allocator while this thread holds one of its locks:
 * `depth` locks held, `try` past a successful trylock.  Lock events call
 * it on first sight.
 */
void uld__class_name_early(const struct uld__class *c, unsigned depth,
    int try);
/* A name for a function address: "func+0x1c", or "module+0x1234". */
void uld__name_code(const void *ip, char *buf, size_t len);
/*
 * A name for a call site (a return address): "stats.c:12" when DWARF
 * knows the line (the innermost one, inside an inlined helper too), else
 * as uld__name_code.  In a signal handler, DWARF is used only for sites
 * already symbolized outside one (symframe.c).
 */
void uld__name_site(const void *ip, char *buf, size_t len);
/*
 * A name for a lock variable: "lock_a", "table[3]", "obj+0x10"; "" when
 * addr is not in a static variable.  With `element`, an array element is
 * named "table[]" (the class of all its elements).
 */
void uld__name_variable(const void *addr, enum uld_lock_type type, int element,
    char *buf, size_t len, const void **class_key);

#endif /* ULD_CLASS_H */
