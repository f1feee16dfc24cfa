/*
 * irq_rules.c: lockdep's irq usage rules, per signal.
 *
 * A class gains usage bits (irq.h) when it is taken in a handler or with a
 * signal deliverable, and when a thread unblocks a signal while holding
 * it.  Only a new bit is checked (lockdep's mark_lock): against the
 * class's own bits (inconsistent_irq_state), then along the graph
 * (irq_safe_unsafe_order), forwards from a new USED_IN bit and backwards
 * from a new ENABLED one.  A new edge is checked in uld__irq_check_edge.
 * Everything below runs under uld__graph_lock with signals blocked.
 */
#include "irq.h"

#include <string.h>

#include "alloc.h"
#include "graph.h"
#include "mutex.h"
#include "options.h"
#include "report.h"

uint64_t uld__irq_used;

static inline int
lowest(uint64_t sigs)
{
	return __builtin_ctzll(sigs) + 1;
}

static inline int
usage_kind(int in, int read)
{
	return (in ? ULD_USED_IN_W : ULD_ENABLED_W) + (read ? 1 : 0);
}

const char *
uld__usage_name(int kind, int sig, char *buf, size_t len)
{
	struct uld__buf b;
	const char *state = uld__irq_is_soft(sig) ? "SOFTIRQ" : "HARDIRQ";
	const char *rw = (kind == ULD_USED_IN_R || kind == ULD_ENABLED_R) ? "R"
									  : "W";

	uld__buf_init(&b, buf, len);
	if (kind <= ULD_USED_IN_R)
		uld__buf_printf(&b, "IN-%s-%s", state, rw);
	else
		uld__buf_printf(&b, "%s-ON-%s", state, rw);
	return uld__buf_str(&b);
}

/* lockdep's get_usage_char: '.' neither, '-' in irq, '+' irqs on, '?' both
 * for one signal (a conflict; different signals are not).  A lock taken
 * with only the fault signals deliverable is not shown as irqs-on. */
static char
usage_char(const struct uld__class *c, int read, uint64_t sigs)
{
	uint64_t in = c->usage[ULD_USED_IN_W + read] & sigs;
	uint64_t en = c->usage[ULD_ENABLED_W + read] & sigs & ~ULD_FAULT_SIGNALS;

	return (in & en) ? '?' : in ? '-' : en ? '+' : '.';
}

void
uld__usage_chars(const struct uld__class *c, char out[5])
{
	uint64_t soft = uld__opts.softirq_signals & uld__irq_signals();
	uint64_t hard = uld__irq_signals() & ~soft;

	out[0] = usage_char(c, 0, hard);
	out[1] = usage_char(c, 1, hard);
	out[2] = usage_char(c, 0, soft);
	out[3] = usage_char(c, 1, soft);
	out[4] = '\0';
}

const struct uld__usage_trace *
uld__usage_trace(const struct uld__class *c, int kind, int sig)
{
	for (const struct uld__usage_trace *u = c->traces; u; u = u->next)
		if (u->kind == kind && (u->sigs & uld__sigbit(sig)))
			return u;
	return NULL;
}

/* The usage bits a new bit of `kind` conflicts with (lockdep's
 * exclusive_bit, with its read relaxation: a read use conflicts with the
 * other side's write uses only).  *with: the other side's write kind. */
static uint64_t
conflicting(const struct uld__class *c, int kind, int *with)
{
	*with = kind <= ULD_USED_IN_R ? ULD_ENABLED_W : ULD_USED_IN_W;
	return c->usage[*with] | ((kind & 1) ? 0 : c->usage[*with + 1]);
}

/* ---- searches ---- */

/* What a search looks for: classes with these usage bits.  In state 1
 * (lockdep's only_xr) read usage does not count. */
struct want {
	uint64_t w, r;		/* signals wanted in usage[kind_w], [kind_w+1] */
	int kind_w;		/* ULD_USED_IN_W or ULD_ENABLED_W */
	uint64_t acc_w, acc_r;	/* accumulate mode: what was seen */
	int accumulate;
};

static uint64_t
found_sigs(const struct uld__class *c, int state, const struct want *q)
{
	uint64_t s = c->usage[q->kind_w] & q->w;

	if (!state)
		s |= c->usage[q->kind_w + 1] & q->r;
	/* A class already reported inconsistent for a signal is not
	 * reported again in a chain for it: one fix mends both. */
	return s & ~c->irq_bad;
}

static int
match(const struct uld__class *c, int state, void *arg)
{
	struct want *q = arg;

	if (q->accumulate) {
		q->acc_w |= c->usage[q->kind_w] & ~c->irq_bad;
		if (!state)
			q->acc_r |= c->usage[q->kind_w + 1] & ~c->irq_bad;
		return 0;
	}
	return found_sigs(c, state, q) != 0;
}

/*
 * The signal and usage kind by which a search's class x matched q: its
 * write bits first (reached only through recursive readers, they alone
 * matched), the lowest signal, never one x was reported inconsistent
 * for (as in found_sigs, which decided the match).
 */
static int
matched(const struct uld__class *x, const struct want *q, int *sig)
{
	uint64_t w = x->usage[q->kind_w] & q->w & ~x->irq_bad;
	uint64_t r = x->usage[q->kind_w + 1] & q->r & ~x->irq_bad;

	*sig = lowest(w ? w : r);
	return w & uld__sigbit(*sig) ? q->kind_w : q->kind_w + 1;
}

/* Signals whose ENABLED_W / ENABLED_R bits conflict with USED_IN bits w, r
 * (and the other way round: the relation is symmetric). */
static void
exclusive(uint64_t w, uint64_t r, struct want *q, int kind_w)
{
	memset(q, 0, sizeof(*q));
	q->kind_w = kind_w;
	q->w = w | r;	/* a write use conflicts with any use */
	q->r = w;	/* a read use only with a write use */
}

/* ---- reports ---- */

static void
usage_stack(struct uld__report *r, const struct uld__class *c, int kind,
    int sig)
{
	const struct uld__usage_trace *u = uld__usage_trace(c, kind, sig);
	char state[32], sname[24];
	struct uld__buf m;

	if (u == NULL || r->nstacks >= ULD_REPORT_MAX_STACKS)
		return;
	struct uld__rstack *s = uld__report_add_stack(r,
	    kind <= ULD_USED_IN_R ? "irq-safe" : "irq-unsafe",
	    u->stack ? u->stack->ips : NULL, u->stack ? u->stack->n : 0);
	uld__signal_name(sig, sname, sizeof(sname));
	uld__buf_init(&m, s->title, sizeof(s->title));
	uld__buf_printf(&m, "{%s} state of %s was registered at (%s%s):",
	    uld__usage_name(kind, sig, state, sizeof(state)),
	    uld__class_name(c), sname,
	    kind <= ULD_USED_IN_R ? " handler" : " deliverable");
	memcpy(s->thread, u->thread, sizeof(s->thread));
	s->tid = u->tid;
}

static void
sig_add_signal(struct uld__report *r, int sig)
{
	char sname[24];

	uld__signal_name(sig, sname, sizeof(sname));
	uld__report_sig_add(r, sname);
}

/* The thread's irq state, kernel style: [HC0[0]:SC0[0]:HE1:SE1]. */
static void
irq_state(struct uld__report *r, const struct uld__thread *t)
{
	int sig = uld__irq_sig(t);
	uint64_t soft = uld__opts.softirq_signals;

	r->irq_hc = sig && !uld__irq_is_soft(sig);
	r->irq_sc = sig && uld__irq_is_soft(sig);
	r->irq_he = (t->irq_enabled & ~soft & ~ULD_FAULT_SIGNALS) != 0;
	r->irq_se = (t->irq_enabled & soft) != 0;
	r->irq_in = sig;
}

static void
report_inconsistent(struct uld__thread *t, const struct uld__held *h,
    int held, int kind, int with, int sig, struct uld__cur_stack *cs)
{
	struct uld__report r;
	struct uld__buf m;
	char now[32], was[32], sname[24];
	struct uld__class *c = h->class;
	const char *name = uld__class_name(c);

	uld__cur_stack_get(cs);
	uld__report_begin(&r, ULD_REPORT_IRQ_INCONSISTENT, t);
	irq_state(&r, t);
	r.irq_sig = sig;
	r.usage_new = (uint8_t)kind;
	r.usage_old = (uint8_t)with;
	r.irq_held = held;
	uld__report_add_lock(&r, c, h->lock, h->type, h->read, h->ip);
	uld__report_add_stack(&r, "current", cs->ips, cs->n);
	usage_stack(&r, c, with, sig);
	uld__report_sig_add(&r, name);
	sig_add_signal(&r, sig);

	uld__signal_name(sig, sname, sizeof(sname));
	uld__usage_name(kind, sig, now, sizeof(now));
	uld__usage_name(with, sig, was, sizeof(was));
	uld__buf_init(&m, r.message, sizeof(r.message));
	if (kind <= ULD_USED_IN_R)
		uld__buf_printf(&m, "inconsistent lock state: %s/%d takes %s in "
				    "the %s handler {%s}, but %s was taken with "
				    "%s deliverable {%s}",
		    r.thread, (int)r.tid, name, sname, now, name, sname, was);
	else
		uld__buf_printf(&m, "inconsistent lock state: %s/%d %s %s with "
				    "%s deliverable {%s}, but %s is also taken "
				    "in the %s handler {%s}",
		    r.thread, (int)r.tid, held ? "holds" : "takes", name,
		    sname, now, name, sname, was);
	r.advice = "a handler that takes a lock interrupts, on the same "
		   "thread, code that may hold it. Block the signal around "
		   "every acquisition outside the handler (pthread_sigmask, "
		   "spin_lock_irqsave, spin_lock_bh for softirq signals), or "
		   "keep the lock out of the handler: set a sig_atomic_t flag, "
		   "or read the signal from a signalfd.";
	uld__report_emit(&r);
}

/*
 * A safe -> ... -> unsafe connection for `sig`.  `p1` runs from the safe
 * class; with a new edge (prev, next), p1 ends at prev and p2 runs from
 * next to the unsafe class, else p1 ends at the unsafe class.
 */
struct order {
	struct uld__class *safe, *unsafe;
	int safe_kind, unsafe_kind, sig;
	struct uld__path *p1, *p2;
	const struct uld__held *prev, *next; /* a new edge, or NULL */
	const struct uld__held *changed;     /* a changed class, or NULL */
	int changed_safe;		     /* it became safe (not unsafe) */
	int held;			     /* via mark_held_locks */
};

static void
report_order(struct uld__thread *t, const struct order *o,
    struct uld__cur_stack *cs)
{
	struct uld__report r;
	struct uld__buf m;
	char sname[24];
	const char *state = uld__irq_is_soft(o->sig) ? "SOFTIRQ" : "HARDIRQ";

	uld__cur_stack_get(cs);
	uld__report_begin(&r, ULD_REPORT_IRQ_ORDER, t);
	irq_state(&r, t);
	r.irq_sig = o->sig;
	r.irq_held = o->held;
	r.irq_safe = o->safe;
	r.irq_unsafe = o->unsafe;
	r.irq_changed_safe = o->changed_safe;
	r.irq_paths[0] = o->p1;
	r.irq_paths[1] = o->p2;
	uld__signal_name(o->sig, sname, sizeof(sname));
	if (o->next != NULL) {
		uld__report_add_lock(&r, o->next->class, o->next->lock,
		    o->next->type, o->next->read, o->next->ip);
		uld__report_add_lock(&r, o->prev->class, o->prev->lock,
		    o->prev->type, o->prev->read, o->prev->ip);
		uld__buf_init(&m, r.headline, sizeof(r.headline));
		uld__buf_printf(&m, "WARNING: %s-safe -> %s-unsafe lock order "
				    "detected",
		    state, state);
	} else {
		uld__report_add_lock(&r, o->changed->class, o->changed->lock,
		    o->changed->type, o->changed->read, o->changed->ip);
		uld__buf_init(&m, r.headline, sizeof(r.headline));
		uld__buf_puts(&m, "WARNING: possible irq lock inversion "
				  "dependency detected");
	}
	uld__report_add_stack(&r, "current", cs->ips, cs->n);
	usage_stack(&r, o->safe, o->safe_kind, o->sig);
	usage_stack(&r, o->unsafe, o->unsafe_kind, o->sig);
	/* The same pair and signal is the same bug, whichever event found
	 * it: no held/taken names in the signature. */
	uld__report_sig_add(&r, uld__class_name(o->safe));
	uld__report_sig_add(&r, uld__class_name(o->unsafe));
	sig_add_signal(&r, o->sig);

	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "irq lock inversion: %s is taken in the %s handler "
			    "(%s-safe) and, through a chain of locks, before "
			    "%s, which is taken with %s deliverable "
			    "(%s-unsafe)",
	    uld__class_name(o->safe), sname, state,
	    uld__class_name(o->unsafe), sname, state);
	r.advice = "the irq-unsafe lock can be held when the signal arrives, "
		   "and the handler then waits for the irq-safe lock, whose "
		   "holder waits for the irq-unsafe one. Block the signal "
		   "around every acquisition of the irq-unsafe lock (or of "
		   "every lock on the chain), or stop taking the irq-safe "
		   "lock in the handler.";
	uld__report_emit(&r);
}

/*
 * A new usage bit `kind` for `sigs` on h's class c.  USED_IN: is a class
 * reachable from c irq-unsafe for one of them?  ENABLED: is a class that
 * reaches c irq-safe for one?  Searches forwards or backwards (lockdep's
 * check_usage_forwards/backwards); reports the nearest.
 */
static int
check_chain(struct uld__thread *t, const struct uld__held *h, int kind,
    uint64_t sigs, int held, struct uld__cur_stack *cs)
{
	int in = kind <= ULD_USED_IN_R;
	int other = in ? ULD_ENABLED_W : ULD_USED_IN_W;
	struct want q;
	struct uld__path p;
	struct uld__class *c = h->class;

	exclusive((kind & 1) ? 0 : sigs, (kind & 1) ? sigs : 0, &q, other);
	/* Forwards, only_xr if c is taken as a recursive reader; backwards,
	 * if it is held shared. */
	struct uld__class *x = uld__graph_search(c,
	    in ? h->read == ULD_READ_RECURSIVE : h->read != ULD_READ_NONE, !in,
	    0, match, &q, &p);
	if (x == NULL)
		return 0;
	int sig, xkind = matched(x, &q, &sig);
	struct order o = { .safe = in ? c : x, .unsafe = in ? x : c,
		.sig = sig, .p1 = &p, .changed = h, .changed_safe = in,
		.held = held, .safe_kind = in ? kind : xkind,
		.unsafe_kind = in ? xkind : kind };
	report_order(t, &o, cs);
	uld__path_free(&p);
	return 1;
}

/*
 * Give h's class the usage `kind` for `sigs`; check what is new.  Returns
 * 1 if it reported.
 */
static int
mark(struct uld__thread *t, const struct uld__held *h, int kind,
    uint64_t sigs, int held, struct uld__cur_stack *cs)
{
	struct uld__class *c = h->class;
	uint64_t fresh = sigs & ~c->usage[kind];

	if (fresh == 0)
		return 0;
	struct uld__usage_trace *u = uld__malloc(sizeof(*u));
	if (u != NULL) {
		uld__cur_stack_get(cs);
		u->sigs = fresh;
		u->kind = (uint8_t)kind;
		u->stack = uld__stack_intern(cs->ips, cs->n);
		u->tid = t->tid;
		uld__thread_name(u->thread, sizeof(u->thread));
		u->next = NULL;
		struct uld__usage_trace **tail = &c->traces;
		while (*tail)
			tail = &(*tail)->next;
		*tail = u;
	}
	__atomic_store_n(&c->usage[kind], c->usage[kind] | fresh,
	    __ATOMIC_RELAXED);
	if (kind <= ULD_USED_IN_R)
		__atomic_store_n(&uld__irq_used, uld__irq_used | fresh,
		    __ATOMIC_RELAXED);

	int with;
	uint64_t bad = fresh & conflicting(c, kind, &with);
	if (bad) {
		int sig = lowest(bad);
		/* Name the conflicting bit this signal really has. */
		if (!(c->usage[with] & uld__sigbit(sig)))
			with ^= 1;
		c->irq_bad |= bad;
		report_inconsistent(t, h, held, kind, with, sig, cs);
		return 1;
	}
	/* An irq-unsafe class matters only once some class is irq-safe. */
	if (kind > ULD_USED_IN_R)
		fresh &= uld__irq_used;
	return fresh ? check_chain(t, h, kind, fresh, held, cs) : 0;
}

void
uld__irq_acquire(struct uld__thread *t, struct uld__held *h)
{
	int read = h->read != ULD_READ_NONE;
	uint64_t in = 0, en;

	/* A trylock in a handler cannot deadlock: no USED_IN (lockdep). */
	if (t->irq_depth && !h->trylock)
		in = uld__sigbit(uld__irq_sig(t));
	en = t->irq_enabled;
	struct uld__class *c = h->class;
	if ((c->usage[usage_kind(1, read)] & in) == in &&
	    (c->usage[usage_kind(0, read)] & en) == en)
		return;

	struct uld__cur_stack cs;
	uld__cur_stack_init(&cs, h->ip);
	sigset_t old;
	uld__graph_enter(&old);
	if (!mark(t, h, usage_kind(1, read), in, 0, &cs))
		mark(t, h, usage_kind(0, read), en, 0, &cs);
	uld__graph_leave(&old);
}

void
uld__irq_mark_held(struct uld__thread *t, uint64_t sigs, const void *ip)
{
	struct uld__cur_stack cs;
	uld__cur_stack_init(&cs, ip);
	sigset_t old;

	uld__graph_enter(&old);
	for (uint32_t i = 0; i < t->depth; i++) {
		const struct uld__held *h = &t->held[i];
		mark(t, h, usage_kind(0, h->read != ULD_READ_NONE), sigs, 1,
		    &cs);
	}
	uld__graph_leave(&old);
}

int
uld__irq_check_edge(struct uld__thread *t, struct uld__held *prev,
    struct uld__held *next, struct uld__cur_stack *cs)
{
	struct want acc, q;

	/* Every USED_IN bit behind prev (prev included)... */
	memset(&acc, 0, sizeof(acc));
	acc.accumulate = 1;
	acc.kind_w = ULD_USED_IN_W;
	int bstate = prev->read != ULD_READ_NONE;
	match(prev->class, bstate, &acc);
	uld__graph_search(prev->class, bstate, 1, 0, match, &acc, NULL);
	if ((acc.acc_w | acc.acc_r) == 0)
		return 0;
	/* ...against every ENABLED bit ahead of next (next included). */
	exclusive(acc.acc_w, acc.acc_r, &q, ULD_ENABLED_W);
	struct uld__path p2;
	int fstate = next->read == ULD_READ_RECURSIVE;
	struct uld__class *u = uld__graph_search(next->class, fstate, 0, 1,
	    match, &q, &p2);
	if (u == NULL)
		return 0;
	int sig, unsafe_kind = matched(u, &q, &sig);

	/* Narrow back to one irq-safe class for that signal. */
	struct want b;
	struct uld__path p1;
	exclusive(unsafe_kind == ULD_ENABLED_W ? uld__sigbit(sig) : 0,
	    unsafe_kind == ULD_ENABLED_R ? uld__sigbit(sig) : 0, &b, ULD_USED_IN_W);
	struct uld__class *s = uld__graph_search(prev->class, bstate, 1, 1,
	    match, &b, &p1);
	if (s == NULL) {
		uld__path_free(&p2);
		return 0;
	}
	struct order o = { .safe = s, .unsafe = u, .sig = sig, .p1 = &p1,
		.p2 = &p2, .prev = prev, .next = next,
		.safe_kind = s->usage[ULD_USED_IN_W] & uld__sigbit(sig) ? ULD_USED_IN_W
								: ULD_USED_IN_R,
		.unsafe_kind = unsafe_kind };
	report_order(t, &o, cs);
	uld__path_free(&p1);
	uld__path_free(&p2);
	return 1;
}
