/*
 * lifetime.c: checks on a lock's context and life rather than its order:
 * sleeping while holding a spinlock (sleep_in_atomic), destroying a held
 * lock (held_lock_freed), and a thread ending with locks held
 * (locks_held_at_exit).
 */
#include "lifetime.h"

#include <stdint.h>
#include <string.h>

#include "irq.h"
#include "lockmap.h"
#include "mutex.h"
#include "pageidx.h"
#include "options.h"
#include "out.h"
#include "report.h"
#include "stack.h"
#include "validate.h"

/*
 * Open a report of `kind` about thread t: take the graph lock with signals
 * blocked and capture the current stack.  Close with uld__graph_leave().
 */
static void
open_report(struct uld__report *r, enum uld__report_kind kind,
    struct uld__thread *t, struct uld__cur_stack *cs, sigset_t *old)
{
	uld__graph_enter(old);
	uld__cur_stack_get(cs);
	uld__report_begin(r, kind, t);
}

/* The held locks as report locks, in the order taken. */
static void
add_held_locks(struct uld__report *r, const struct uld__thread *t, int spins)
{
	for (uint32_t i = 0; i < t->depth; i++) {
		const struct uld__held *h = &t->held[i];
		if (spins && !uld__is_spin(h->type))
			continue;
		uld__report_add_lock(r, h->class, h->lock, h->type, h->read,
		    h->ip);
		uld__report_sig_add(r, uld__class_name(h->class));
	}
}

void
uld__might_sleep(struct uld__thread *t, const char *what, const void *ip)
{
	ULD_IRQ_UNWIND(t);
	if (t->spins_held == 0 && t->irqs_off == 0 && t->irq_depth == 0)
		return;

	struct uld__cur_stack cs;
	uld__cur_stack_init(&cs, ip);
	struct uld__report r;
	struct uld__buf m;
	sigset_t old;

	open_report(&r, ULD_REPORT_SLEEP_IN_ATOMIC, t, &cs, &old);
	r.sleeper = what;
	r.spins_held = t->spins_held;
	r.irqs_off = t->irqs_off;
	r.irq_in = uld__irq_sig(t);
	uld__report_sig_add(&r, what);
	add_held_locks(&r, t, 1);
	uld__report_add_stack(&r, "current", cs.ips, cs.n);
	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "sleeping function %s called by %s/%d", what,
	    r.thread, (int)r.tid);
	if (r.nlocks > 0)
		uld__buf_printf(&m, " while holding spinlock %s",
		    uld__class_name(r.locks[0].class));
	if (r.irq_in) {
		char sig[24];
		uld__signal_name(r.irq_in, sig, sizeof(sig));
		uld__buf_printf(&m, "%s inside the %s handler",
		    r.nlocks ? "," : "", sig);
		uld__report_sig_add(&r, sig);
	} else if (r.nlocks == 0) {
		uld__buf_puts(&m, " with interrupts (signals) disabled");
		uld__report_sig_add(&r, "irqs_disabled");
	}
	r.advice = r.nlocks || !r.irq_in
	    ? "do not sleep, block or wait while holding a spinlock: "
	      "release it first, or make it a mutex if the critical "
	      "section must sleep."
	    : "a signal handler interrupts its thread anywhere, maybe while "
	      "it holds the very lock or resource waited for here: a handler "
	      "must not wait for anything its thread may hold or produce. Set "
	      "a sig_atomic_t flag and do the work outside, or read the "
	      "signal from a signalfd.";
	uld__report_emit(&r);
	uld__graph_leave(&old);
}

static void
destroy(struct uld__thread *t, void *lock, const void *ip, int freeing)
{
	/* Drop first what a jump out of a handler has left: an acquisition
	 * it abandoned is not held (irq.c). */
	ULD_IRQ_UNWIND(t);
	int i = uld__held_find(t, lock);
	pid_t holder = 0;
	const void *holder_ip = NULL;
	char holder_name[16] = "";

	/* Forgotten first: the lookup that finds it answers whether
	 * another thread may hold it.  Only a lock some other thread has
	 * taken can be held by one: no scan of every thread's held locks for
	 * the rest. */
	struct uld__instance *inst = uld__lockmap_forget(t, lock);
	if (i < 0 && inst != NULL && !inst->ignored &&
	    uld__instance_maybe_shared(t, inst))
		holder = uld__thread_find_holder(lock, holder_name,
		    sizeof(holder_name), &holder_ip);
	if (i >= 0 || holder != 0) {
		/* inst: looked up above, the one case it is shown (i < 0) */
		struct uld__cur_stack cs;
		uld__cur_stack_init(&cs, ip);
		struct uld__report r;
		struct uld__buf m;
		sigset_t old;

		open_report(&r, ULD_REPORT_HELD_FREED, t, &cs, &old);
		r.op = freeing ? "freeing memory that holds" : "destroying";
		if (i >= 0) {
			const struct uld__held *h = &t->held[i];
			uld__report_add_lock(&r, h->class, lock, h->type,
			    h->read, h->ip);
		} else if (inst != NULL) {
			uld__report_add_lock(&r, inst->class, lock, inst->type,
			    0, holder_ip);
		}
		r.other_owner = holder;
		memcpy(r.other_thread, holder_name, sizeof(r.other_thread));
		uld__report_add_stack(&r, "current", cs.ips, cs.n);
		if (r.nlocks > 0) {
			uld__report_sig_add(&r,
			    uld__class_name(r.locks[0].class));
			uld__buf_init(&m, r.message, sizeof(r.message));
			uld__buf_printf(&m, "held lock freed: %s/%d %s %s "
					    "while %s/%d holds it",
			    r.thread, (int)r.tid,
			    freeing ? "frees the memory of" : "destroys",
			    uld__class_name(r.locks[0].class),
			    holder ? holder_name : r.thread,
			    (int)(holder ? holder : r.tid));
			r.advice = "release a lock before destroying it or "
				   "freeing its memory, in every thread that "
				   "may hold it.";
			uld__report_emit(&r);
		}
		uld__graph_leave(&old);
		/* The lock is gone: this thread no longer holds it. */
		if (i >= 0)
			uld__held_remove(t, (uint32_t)i);
	}
}

void
uld__destroy(struct uld__thread *t, void *lock, const void *ip)
{
	destroy(t, lock, ip, 0);
}

void
uld__mem_free(struct uld__thread *t, void *p, size_t len, const void *ip)
{
	void *locks[64];
	size_t n;

	/* Each lock found is forgotten, and so leaves the index: ask again
	 * until none is left. */
	do {
		n = uld__pageidx_range(p, len, locks, ULD_ARRAY_SIZE(locks));
		for (size_t i = 0; i < n && i < ULD_ARRAY_SIZE(locks); i++) {
			destroy(t, locks[i], ip, 1);
			uld__pageidx_del(locks[i]); /* even if the map had none */
		}
	} while (n > ULD_ARRAY_SIZE(locks));
}

void
uld__thread_exiting(struct uld__thread *t)
{
	uld__lockmap_thread_exit();
	if (t->depth == 0)
		return;

	struct uld__cur_stack cs;
	uld__cur_stack_init(&cs, NULL);
	struct uld__report r;
	struct uld__buf m;
	sigset_t old;

	open_report(&r, ULD_REPORT_HELD_AT_EXIT, t, &cs, &old);
	add_held_locks(&r, t, 0);
	uld__report_add_stack(&r, "exit", cs.ips, cs.n);
	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "%s/%d exits holding %u lock%s, first %s", r.thread,
	    (int)r.tid, t->depth, t->depth > 1 ? "s" : "",
	    uld__class_name(t->held[0].class));
	r.advice = "every path out of a thread (return, pthread_exit, "
		   "cancellation) must release what it took; a cleanup "
		   "handler (pthread_cleanup_push) can do it.";
	uld__report_emit(&r);
	uld__graph_leave(&old);
}

void
uld__bad_magic(struct uld__thread *t, void *lock, enum uld_lock_type type,
    uint32_t magic, const char *op, const void *ip)
{
	struct uld__instance *inst = uld__lockmap_get(t, lock, type, ip);
	struct uld__cur_stack cs;
	uld__cur_stack_init(&cs, ip);
	struct uld__report r;
	struct uld__buf m;
	sigset_t old;
	int rw = type == ULD_LOCK_RWLOCK_KERNEL;

	if (inst == NULL || inst->ignored)
		return;
	open_report(&r, ULD_REPORT_BAD_MAGIC, t, &cs, &old);
	if (rw) /* the kernel's rwlock_bug(lock, "bad magic") */
		strcpy(r.headline, "BUG: rwlock bad magic");
	uld__report_add_lock(&r, inst->class, lock, type, 0, ip);
	uld__report_add_stack(&r, "current", cs.ips, cs.n);
	r.magic = magic;
	r.op = op;
	r.why = magic == 0xdeaddeadU ? "was destroyed"
				     : "was never initialised, or is corrupt";
	uld__report_sig_add(&r, uld__class_name(inst->class));
	uld__report_sig_add(&r, r.why);
	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "bad magic: %s/%d calls %s on %s, which %s",
	    r.thread, (int)r.tid, op, uld__class_name(inst->class), r.why);
	r.advice = rw ? "initialise an rwlock (rwlock_init, DEFINE_RWLOCK) "
			"before its first use, and do not use it after "
			"uld_rwlock_destroy; a corrupt magic means something "
			"wrote over the lock."
		      : "initialise a spinlock (spin_lock_init, "
			"DEFINE_SPINLOCK) before its first use, and do not "
			"use it after uld_spin_destroy; a corrupt magic means "
			"something wrote over the lock.";
	uld__report_emit(&r);
	uld__graph_leave(&old);
}
