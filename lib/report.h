/*
 * report.h: one report model, rendered as text (report_text.c) and as a
 * JSON Lines record (report_json.c).
 *
 * A check fills a struct uld__report (kind, locks, stacks, kind-specific
 * details) and calls uld__report_emit(), which deduplicates by signature,
 * writes each rendering with one write(2) before the caller goes on to
 * block, counts it for the exit status, and aborts under halt_on_error;
 * a report a suppression matches is only counted, as suppressed.
 * Emission runs under uld__graph_lock with signals blocked.
 */
#ifndef ULD_REPORT_H
#define ULD_REPORT_H

#include <stdint.h>
#include <sys/types.h>

#include "graph.h"
#include "out.h"
#include "stack.h"
#include "thread.h"

/* Stable kind names (contract.md) and kernel headlines. */
#define ULD_REPORT_KINDS(X)                                                   \
	X(CIRCULAR, "circular_dependency",                                    \
	    "WARNING: possible circular locking dependency detected")         \
	X(RECURSIVE, "recursive_locking",                                     \
	    "WARNING: possible recursive locking detected")                   \
	X(BAD_UNLOCK, "bad_unlock", "WARNING: bad unlock balance detected!")  \
	X(HELD_FREED, "held_lock_freed", "WARNING: held lock freed!")         \
	X(HELD_AT_EXIT, "locks_held_at_exit",                                 \
	    "WARNING: thread still has locks held!")                          \
	X(SLEEP_IN_ATOMIC, "sleep_in_atomic",                                 \
	    "BUG: sleeping function called from invalid context")            \
	X(SPIN_TIMEOUT, "spin_timeout", "BUG: spinlock lockup suspected")     \
	X(SOFT_LOCKUP, "soft_lockup", "BUG: soft lockup")                     \
	X(BAD_MAGIC, "bad_magic", "BUG: spinlock bad magic")                 \
	X(IRQ_INCONSISTENT, "inconsistent_irq_state",                         \
	    "WARNING: inconsistent lock state")                               \
	X(IRQ_ORDER, "irq_safe_unsafe_order",                                 \
	    "WARNING: irq-safe -> irq-unsafe lock order detected")

enum uld__report_kind {
#define X(id, name, headline) ULD_REPORT_##id,
	ULD_REPORT_KINDS(X)
#undef X
};

/* A lock named in a report. */
struct uld__rlock {
	struct uld__class *class;
	void *addr;
	uint8_t type;
	uint8_t read;
	const void *ip; /* where it was (or is being) taken */
};

/* A stack shown in a report. */
struct uld__rstack {
	const char *role;	/* "current", "dependency", ... */
	char title[256];	/* text-report heading for this stack */
	char thread[16];
	pid_t tid;
	void *const *ips;
	uint32_t n;
};

#define ULD_REPORT_MAX_LOCKS 16
#define ULD_REPORT_MAX_STACKS 16

struct uld__report {
	enum uld__report_kind kind;
	char message[512];		/* the headline for people */
	char thread[16];
	pid_t tid;
	struct uld__thread *self;	/* its held locks are listed */

	struct uld__rlock locks[ULD_REPORT_MAX_LOCKS];
	uint32_t nlocks;
	struct uld__rstack stacks[ULD_REPORT_MAX_STACKS];
	uint32_t nstacks;

	/* Kind-specific details for the text body. */
	/* CIRCULAR: taker -> ... -> holder.  Each edge's stack is shown as a
	 * "dependency" stack after stacks[] (no limit on the cycle length). */
	const struct uld__path *cycle;
	pid_t other_owner;		/* BAD_UNLOCK: who holds it, if known */
	char other_thread[16];
	int same_instance;		/* RECURSIVE: the very same lock */
	const char *sleeper;		/* SLEEP_IN_ATOMIC: the call */
	/* SPIN_TIMEOUT, SOFT_LOCKUP (with other_owner, other_thread). */
	const void *owner_ip;		/* where the owner took the lock */
	long waited_ms;
	int waiter_blocked, owner_blocked; /* could not be sampled: signals */
	int waiter_scanned, owner_scanned; /* frames from a stack scan */
	uint32_t spins_held;		/* SLEEP_IN_ATOMIC: in_atomic() */
	uint32_t irqs_off;		/* SLEEP_IN_ATOMIC: irqs_disabled() */
	/* BAD_MAGIC: what was found, and in which operation. */
	uint32_t magic;
	const char *why, *op;
	const char *advice;		/* "what to do" line */
	char headline[96];		/* "": the kind's headline */

	/* IRQ_INCONSISTENT, IRQ_ORDER (irq_rules.c). */
	int irq_sig;			/* the signal (interrupt) */
	int irq_in;			/* the handler running now, or 0 */
	uint8_t irq_hc, irq_sc, irq_he, irq_se; /* [HC:SC:HE:SE] */
	uint8_t usage_new, usage_old;	/* INCONSISTENT: enum uld__usage */
	uint8_t irq_held;		/* found when unblocking, lock held */
	uint8_t irq_changed_safe;	/* ORDER: locks[0] became irq-safe */
	struct uld__class *irq_safe, *irq_unsafe; /* ORDER */
	/* ORDER: safe -> ... (-> prev; next ->) ... -> unsafe. */
	const struct uld__path *irq_paths[2];

	/* Hash of the kind and the names added by uld__report_sig_add. */
	uint64_t signature;
};

/* Start a report about the calling thread. */
void uld__report_begin(struct uld__report *r, enum uld__report_kind kind,
    struct uld__thread *self);
struct uld__rlock *uld__report_add_lock(struct uld__report *r,
    struct uld__class *c, void *addr, int type, int read, const void *ip);
/*
 * Add a name to the signature, in a canonical order (class names only:
 * never addresses, so the same bug has the same signature on every run).
 */
void uld__report_sig_add(struct uld__report *r, const char *name);
/* Add a stack; `ips` must stay valid until uld__report_emit returns. */
struct uld__rstack *uld__report_add_stack(struct uld__report *r,
    const char *role, void *const *ips, uint32_t n);
/*
 * Deduplicate, drop if suppressed (suppress.h), write, count, maybe abort.
 * 1 if written, 0 if a repeat or suppressed.
 */
int uld__report_emit(struct uld__report *r);

const char *uld__report_kind_name(enum uld__report_kind kind);
const char *uld__report_headline(enum uld__report_kind kind);
/* "spin", "mutex", "rwlock-read", "rwlock-write" */
const char *uld__report_mode(int type, int read);
unsigned long uld__report_total(void);
/* Reports silenced by a suppression (each signature once). */
unsigned long uld__report_suppressed(void);

/* Renderers (report_text.c, report_json.c). */
void uld__report_text(struct uld__buf *b, const struct uld__report *r);
void uld__report_json(struct uld__buf *b, const struct uld__report *r);
/* The pieces of a JSON record that the graph file shares (report_json.c):
 * a "frames" array exactly as reports write it, and the time, quoted
 * ISO 8601 UTC. */
void uld__json_frames(struct uld__buf *b, void *const *ips, uint32_t n);
void uld__json_time(struct uld__buf *b);
/* ,"exe":..,"host":..: which program on which machine. */
void uld__json_process(struct uld__buf *b);
/* A lock as the text report shows it: "0x.. lock_a" or "0x.. (class)". */
void uld__report_lock_label(struct uld__buf *b, const struct uld__rlock *l);
/* The body of the irq kinds (report_irq.c). */
void uld__report_text_irq(struct uld__buf *b, const struct uld__report *r);
/* "B taken while holding A" for edge k of the cycle. */
void uld__report_edge_title(struct uld__buf *b, const struct uld__path *p,
    uint32_t k);
/* One stack frame per line, each indented by `indent` spaces. */
void uld__report_frames(struct uld__buf *b, void *const *ips, uint32_t n,
    int indent);

/* Reset the report files after fork: the child writes its own PATH.<pid>. */
void uld__report_atfork_child(void);

#endif /* ULD_REPORT_H */
