/*
 * report_irq.c: the text body of the irq reports (inconsistent_irq_state,
 * irq_safe_unsafe_order), in the layout of lockdep's print_usage_bug,
 * print_irq_inversion_bug and print_bad_irq_dependency.
 */
#include "irq.h"
#include "options.h"
#include "report.h"

/* " (name){+.-.}" */
static void
class_usage(struct uld__buf *b, const struct uld__class *c)
{
	char u[5];

	uld__usage_chars(c, u);
	uld__buf_printf(b, " (%s){%s}\n", uld__class_name(c), u);
}

/* "0x.. (name){+.-.}, at: func+0x1c/0x80 [module]" */
static void
lock_line(struct uld__buf *b, const struct uld__rlock *l)
{
	char u[5];
	void *at = (void *)l->ip;

	uld__usage_chars(l->class, u);
	uld__report_lock_label(b, l);
	uld__buf_printf(b, "{%s}, at: ", u);
	uld__report_at(b, at);
}

/* The thread and its irq state, kernel style. */
static void
who(struct uld__buf *b, const struct uld__report *r, const char *what)
{
	uld__buf_printf(b, "%s/%d [HC%u[%u]:SC%u[%u]:HE%u:SE%u] %s\n",
	    r->thread, (int)r->tid, r->irq_hc, r->irq_hc, r->irq_sc,
	    r->irq_sc, r->irq_he, r->irq_se, what);
}

static void
context_note(struct uld__buf *b, const struct uld__report *r)
{
	char sig[24], in[24];

	uld__signal_name(r->irq_sig, sig, sizeof(sig));
	uld__buf_printf(b, "\n(%s counts as a %s: softirq_signals%s list it. ",
	    sig, uld__irq_is_soft(r->irq_sig) ? "softirq" : "hardirq",
	    uld__irq_is_soft(r->irq_sig) ? " does" : " does not");
	if (r->irq_in) {
		uld__signal_name(r->irq_in, in, sizeof(in));
		uld__buf_printf(b, "This thread is running the %s handler.)\n",
		    in);
	} else {
		uld__buf_puts(b, "This thread is not in a signal handler.)\n");
	}
}

static const char *
op(int kind)
{
	return kind == ULD_USED_IN_R || kind == ULD_ENABLED_R ? "rlock"
							      : "lock";
}

/* The stack titled by usage_stack() in irq_rules.c, if present. */
static void
usage_stacks(struct uld__buf *b, const struct uld__report *r)
{
	for (uint32_t i = 1; i < r->nstacks; i++) {
		const struct uld__rstack *s = &r->stacks[i];
		uld__buf_printf(b, "%s by %s/%d\n", s->title, s->thread,
		    (int)s->tid);
		uld__report_frames(b, s->ips, s->n, 7);
	}
}

static void
inconsistent_body(struct uld__buf *b, const struct uld__report *r)
{
	const struct uld__rlock *l = &r->locks[0];
	char now[32], was[32], sig[24];
	int in_now = r->usage_new <= ULD_USED_IN_R;

	uld__signal_name(r->irq_sig, sig, sizeof(sig));
	uld__usage_name(r->usage_new, r->irq_sig, now, sizeof(now));
	uld__usage_name(r->usage_old, r->irq_sig, was, sizeof(was));
	uld__buf_printf(b, "inconsistent {%s} -> {%s} usage.\n", was, now);
	if (r->irq_held) {
		char what[64];
		struct uld__buf w;
		uld__buf_init(&w, what, sizeof(what));
		uld__buf_printf(&w, "unblocks %s while holding:", sig);
		who(b, r, what);
	} else {
		who(b, r, "takes:");
	}
	lock_line(b, l);
	usage_stacks(b, r);
	context_note(b, r);

	uld__buf_puts(b, "\nother info that might help us debug this:\n"
			 " Possible unsafe locking scenario:\n\n"
			 "       CPU0\n"
			 "       ----\n");
	/* The thread holds it with the signal deliverable; the handler
	 * comes in on the same thread and takes it again. */
	uld__buf_printf(b, "  %s(%s);\n", op(in_now ? r->usage_old
						    : r->usage_new),
	    uld__class_name(l->class));
	uld__buf_puts(b, "  <Interrupt>\n");
	uld__buf_printf(b, "    %s(%s);\n", op(in_now ? r->usage_new
						      : r->usage_old),
	    uld__class_name(l->class));
	uld__buf_puts(b, "\n *** DEADLOCK ***\n\n");
	uld__buf_printf(b, " (CPU0 is one thread; <Interrupt> is the %s "
			   "handler running on it.)\n\n",
	    sig);
}

/* The classes of the whole connection, safe first: p1, then p2. */
static void
chain(struct uld__buf *b, const struct uld__report *r)
{
	const struct uld__path *p1 = r->irq_paths[0], *p2 = r->irq_paths[1];

	uld__buf_puts(b, "Chain exists of:\n  ");
	for (uint32_t k = 0; p1 && k <= p1->n; k++)
		uld__buf_printf(b, "%s --> ", uld__class_name(p1->c[k]));
	for (uint32_t k = 0; p2 && k <= p2->n; k++)
		uld__buf_printf(b, "%s --> ", uld__class_name(p2->c[k]));
	b->len -= 5; /* the last " --> " */
	uld__buf_puts(b, "\n\n");
}

static const struct uld__class *
middle(const struct uld__report *r)
{
	const struct uld__path *p1 = r->irq_paths[0], *p2 = r->irq_paths[1];

	if (p1 && p1->n > 0)
		return p1->c[1];
	if (p2)
		return p2->c[0];
	return r->irq_unsafe;
}

static void
scenario(struct uld__buf *b, const struct uld__report *r)
{
	char sig[24];

	uld__signal_name(r->irq_sig, sig, sizeof(sig));
	uld__buf_puts(b, " Possible interrupt unsafe locking scenario:\n\n"
			 "       CPU0                    CPU1\n"
			 "       ----                    ----\n");
	uld__buf_printf(b, "  lock(%s);\n", uld__class_name(r->irq_unsafe));
	uld__buf_printf(b, "                               "
			   "local_irq_disable();\n");
	uld__buf_printf(b, "                               lock(%s);\n",
	    uld__class_name(r->irq_safe));
	uld__buf_printf(b, "                               lock(%s);\n",
	    uld__class_name(middle(r)));
	uld__buf_puts(b, "  <Interrupt>\n");
	uld__buf_printf(b, "    lock(%s);\n", uld__class_name(r->irq_safe));
	uld__buf_puts(b, "\n *** DEADLOCK ***\n\n");
	uld__buf_printf(b, " (CPU0 and CPU1 are threads; <Interrupt> is the "
			   "%s handler, local_irq_disable()\n  is %s blocked.)"
			   "\n\n",
	    sig, sig);
}

static void
path_edges(struct uld__buf *b, const struct uld__path *p)
{
	for (uint32_t k = 0; p && k < p->n; k++) {
		const struct uld__edge *e = p->e[k];
		uld__buf_printf(b, "\n-> (%s) taken while holding (%s), by "
				   "%s/%d, at:\n",
		    uld__class_name(p->c[k + 1]), uld__class_name(p->c[k]),
		    e->thread, (int)e->tid);
		uld__report_frames(b, e->stack ? e->stack->ips : NULL,
		    e->stack ? e->stack->n : 0, 7);
	}
}

static void
order_body(struct uld__buf *b, const struct uld__report *r)
{
	const char *state = uld__irq_is_soft(r->irq_sig) ? "SOFTIRQ"
							 : "HARDIRQ";

	if (r->nlocks == 2) {
		who(b, r, "is trying to acquire:");
		lock_line(b, &r->locks[0]);
		uld__buf_puts(b, "\nand this task is already holding:\n");
		lock_line(b, &r->locks[1]);
		uld__buf_puts(b, "which would create a new lock dependency:\n");
		char u[5];
		uld__usage_chars(r->locks[1].class, u);
		uld__buf_printf(b, " (%s){%s} ->",
		    uld__class_name(r->locks[1].class), u);
		class_usage(b, r->locks[0].class);
		uld__buf_printf(b, "\nbut this new dependency connects a "
				   "%s-irq-safe lock:\n",
		    state);
	} else {
		who(b, r, r->irq_held ? "unblocked a signal, and so changed "
					"the state of lock:"
				      : "just changed the state of lock:");
		lock_line(b, &r->locks[0]);
		uld__buf_printf(b, "but this lock %s another, %s-%s lock in "
				   "the past:\n",
		    r->irq_changed_safe ? "took" : "was taken by", state,
		    r->irq_changed_safe ? "unsafe" : "safe");
		class_usage(b, r->irq_changed_safe ? r->irq_unsafe
						   : r->irq_safe);
		uld__buf_puts(b, "\nand interrupts could create inverse lock "
				 "ordering between them.\n\nthe irq-safe lock:"
				 "\n");
	}
	class_usage(b, r->irq_safe);
	uld__buf_printf(b, "\nto a %s-irq-unsafe lock:\n", state);
	class_usage(b, r->irq_unsafe);
	uld__buf_putc(b, '\n');
	usage_stacks(b, r);
	context_note(b, r);

	uld__buf_puts(b, "\nother info that might help us debug this:\n\n");
	chain(b, r);
	scenario(b, r);
	uld__buf_puts(b, "the dependencies from the irq-safe lock to the "
			 "irq-unsafe lock:\n");
	path_edges(b, r->irq_paths[0]);
	if (r->nlocks == 2)
		uld__buf_printf(b, "\n-> (%s) being taken now while holding "
				   "(%s): the stack backtrace below\n",
		    uld__class_name(r->locks[0].class),
		    uld__class_name(r->locks[1].class));
	path_edges(b, r->irq_paths[1]);
	uld__buf_putc(b, '\n');
}

void
uld__report_text_irq(struct uld__buf *b, const struct uld__report *r)
{
	if (r->kind == ULD_REPORT_IRQ_INCONSISTENT)
		inconsistent_body(b, r);
	else
		order_body(b, r);
}
