/*
 * report_text.c: the human-readable report, in the layout of the Linux
 * lockdep splats that kernel developers already know how to read.
 */
#include <string.h>
#include <unistd.h>

#include "class.h"
#include "report.h"
#include "symbols.h"

static const char *
basename_of(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : (path ? path : "?");
}

/* " (file:line)" when DWARF knows it. */
static void
src_pos(struct uld__buf *b, const char *file, unsigned line)
{
	if (file != NULL && line != 0)
		uld__buf_printf(b, " (%s:%u)", file, line);
}

/* "helper (abba.c:20) [inline]": a function inlined at this frame. */
static void
inline_label(struct uld__buf *b, const struct uld__frame_inline *in)
{
	uld__buf_puts(b, in->function ? in->function : "?");
	src_pos(b, in->file, in->line);
	uld__buf_puts(b, " [inline]");
}

/* "func+0x1c/0x80 (file.c:12) [module]" for a return address, in the
 * kernel's decoded layout; "module+0x891f5" when no symbol names it. */
static void
frame_label(struct uld__buf *b, const struct uld__frame *f)
{
	if (f->ip == NULL) {
		uld__buf_puts(b, "?");
	} else if (f->function != NULL) {
		uld__buf_printf(b, "%s+0x%lx/0x%lx", f->function,
		    (unsigned long)f->offset, (unsigned long)f->size);
		src_pos(b, f->file, f->line);
		uld__buf_printf(b, " [%s]", basename_of(f->module));
	} else if (f->module != NULL) {
		uld__buf_printf(b, "%s+0x%lx", basename_of(f->module),
		    (unsigned long)f->offset);
		src_pos(b, f->file, f->line);
	} else {
		uld__buf_printf(b, "%p", uld__sym_addr(f->ip));
	}
}

/* One location on one line (a lock's "at:"): the innermost inlined
 * function first, "in" the frame that holds it. */
static void
code_label(struct uld__buf *b, const void *ip)
{
	struct uld__frame f;

	uld__sym_frame(ip, &f);
	if (f.ninline > 0) {
		inline_label(b, &f.inl[0]);
		uld__buf_puts(b, " in ");
	}
	frame_label(b, &f);
}

void
uld__report_at(struct uld__buf *b, const void *ip)
{
	if (ip == NULL)
		uld__buf_puts(b, "(no stack)");
	else
		code_label(b, ip);
	uld__buf_putc(b, '\n');
}

void
uld__report_frames(struct uld__buf *b, void *const *ips, uint32_t n,
    int indent)
{
	if (n == 0) {
		uld__buf_printf(b, "%*s(no stack)\n", indent, "");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct uld__frame f;
		uld__sym_frame(ips[i], &f);
		/* Inlined functions first, as their own frames (the
		 * kernel's decoded stack traces). */
		for (unsigned k = 0; k < f.ninline; k++) {
			uld__buf_printf(b, "%*s", indent, "");
			inline_label(b, &f.inl[k]);
			uld__buf_putc(b, '\n');
		}
		uld__buf_printf(b, "%*s", indent, "");
		frame_label(b, &f);
		uld__buf_putc(b, '\n');
	}
}

void
uld__report_edge_title(struct uld__buf *b, const struct uld__path *p,
    uint32_t k)
{
	uld__buf_printf(b, "%s taken while holding %s",
	    uld__class_name(p->c[k + 1]), uld__class_name(p->c[k]));
}

void
uld__report_lock_label(struct uld__buf *b, const struct uld__rlock *l)
{
	char var[256];
	const char *name = uld__class_name(l->class);

	uld__buf_printf(b, "%p (%s)", l->addr, name);
	uld__name_variable(l->addr, l->type, 0, var, sizeof(var), NULL);
	/* The variable, unless the class name already leads with it. */
	size_t vl = strlen(var);
	if (vl && !(strncmp(var, name, vl) == 0 &&
		      (name[vl] == '\0' || name[vl] == ' ')))
		uld__buf_printf(b, " %s", var);
	if (l->type == ULD_LOCK_RWLOCK || l->type == ULD_LOCK_RWLOCK_KERNEL)
		uld__buf_puts(b, l->read ? " [read]" : " [write]");
}

static void
lock_line(struct uld__buf *b, const struct uld__rlock *l)
{
	uld__report_lock_label(b, l);
	uld__buf_puts(b, ", at: ");
	code_label(b, l->ip);
	uld__buf_putc(b, '\n');
}

static void
banner(struct uld__buf *b, const struct uld__report *r)
{
	const char *h = r->headline[0] ? r->headline
				       : uld__report_headline(r->kind);
	size_t w = strlen(h);

	uld__buf_putc(b, '\n');
	for (size_t i = 0; i < w; i++)
		uld__buf_putc(b, '=');
	uld__buf_printf(b, "\n%s\nulockdep " PACKAGE_VERSION ": pid %d\n", h,
	    (int)getpid());
	for (size_t i = 0; i < w; i++)
		uld__buf_putc(b, '-');
	uld__buf_putc(b, '\n');
}

static void
held_locks(struct uld__buf *b, const struct uld__report *r)
{
	const struct uld__thread *t = r->self;
	uint32_t n = t ? t->depth : 0;

	if (n == 0) {
		uld__buf_printf(b, "no locks held by %s/%d.\n", r->thread,
		    (int)r->tid);
		return;
	}
	uld__buf_printf(b, "%u lock%s held by %s/%d:\n", n, n > 1 ? "s" : "",
	    r->thread, (int)r->tid);
	for (uint32_t i = 0; i < n; i++) {
		const struct uld__held *h = &t->held[i];
		struct uld__rlock l = { h->class, h->lock, h->type, h->read,
			h->ip };
		uld__buf_printf(b, " #%u: ", i);
		lock_line(b, &l);
	}
}

static const char *
op(const struct uld__class *c, int read)
{
	(void)c;
	return read ? "rlock" : "lock";
}

/* The lock being taken (locks[0]) and the one already held (locks[1]). */
static void
taker_and_holder(struct uld__buf *b, const struct uld__report *r)
{
	uld__buf_printf(b, "%s/%d is trying to acquire lock:\n", r->thread,
	    (int)r->tid);
	lock_line(b, &r->locks[0]);
	uld__buf_puts(b, "\nbut task is already holding lock:\n");
	lock_line(b, &r->locks[1]);
}

static void
circular_body(struct uld__buf *b, const struct uld__report *r)
{
	const struct uld__path *p = r->cycle;
	const struct uld__rlock *taker = &r->locks[0], *holder = &r->locks[1];

	taker_and_holder(b, r);
	uld__buf_puts(b, "\nwhich lock already depends on the new lock.\n\n"
			 "\nthe existing dependency chain (in reverse order) "
			 "is:\n");
	/* Edge k (c[k] -> c[k+1]) keeps the stack that first made it. */
	for (int k = (int)p->n - 1; k >= 0; k--) {
		const struct uld__edge *e = p->e[k];
		uld__buf_printf(b, "\n-> #%d (%s):\n", k + 1,
		    uld__class_name(p->c[k + 1]));
		uld__buf_printf(b, "       taken while holding %s, by %s/%d,"
				   " at:\n",
		    uld__class_name(p->c[k]), e->thread, (int)e->tid);
		uld__report_frames(b, e->stack ? e->stack->ips : NULL,
		    e->stack ? e->stack->n : 0, 7);
	}
	uld__buf_printf(b, "\n-> #0 (%s):\n", uld__class_name(taker->class));
	uld__buf_printf(b, "       being taken now while holding %s, at:\n",
	    uld__class_name(holder->class));
	uld__report_frames(b, r->stacks[0].ips, r->stacks[0].n, 7);

	uld__buf_puts(b, "\nother info that might help us debug this:\n\n");
	if (p->n > 1) {
		uld__buf_puts(b, "Chain exists of:\n  ");
		for (uint32_t k = 0; k <= p->n; k++)
			uld__buf_printf(b, "%s --> ", uld__class_name(p->c[k]));
		uld__buf_printf(b, "%s\n\n", uld__class_name(p->c[0]));
	}
	const struct uld__class *parent = p->c[p->n - 1];
	int parent_read = 0; /* how the other thread holds the parent */
	/* Two instances of one class (same_class=order): the class names
	 * alone would not say which is which. */
	int inst = p->n == 1 && taker->class == holder->class;
	char ta[32] = "", ho[32] = "";
	if (inst) {
		struct uld__buf ab;
		uld__buf_init(&ab, ta, sizeof(ta));
		uld__buf_printf(&ab, " %p", taker->addr);
		uld__buf_str(&ab);
		uld__buf_init(&ab, ho, sizeof(ho));
		uld__buf_printf(&ab, " %p", holder->addr);
		uld__buf_str(&ab);
	}
	uld__buf_puts(b, " Possible unsafe locking scenario:\n\n"
			 "       CPU0                    CPU1\n"
			 "       ----                    ----\n");
	uld__buf_printf(b, "  %s(%s%s);\n", op(holder->class, holder->read),
	    uld__class_name(holder->class), ho);
	uld__buf_printf(b, "                               %s(%s%s);\n",
	    op(parent, parent_read), uld__class_name(parent), ta);
	uld__buf_printf(b, "                               %s(%s%s);\n",
	    op(holder->class, holder->read), uld__class_name(holder->class),
	    ho);
	uld__buf_printf(b, "  %s(%s%s);\n", op(taker->class, taker->read),
	    uld__class_name(taker->class), ta);
	uld__buf_puts(b, "\n *** DEADLOCK ***\n\n");
}

static void
recursive_body(struct uld__buf *b, const struct uld__report *r)
{
	const struct uld__rlock *taker = &r->locks[0], *holder = &r->locks[1];

	taker_and_holder(b, r);
	uld__buf_puts(b, "\nother info that might help us debug this:\n"
			 " Possible unsafe locking scenario:\n\n"
			 "       CPU0\n"
			 "       ----\n");
	uld__buf_printf(b, "  %s(%s);\n", op(holder->class, holder->read),
	    uld__class_name(holder->class));
	uld__buf_printf(b, "  %s(%s);\n", op(taker->class, taker->read),
	    uld__class_name(taker->class));
	uld__buf_puts(b, "\n *** DEADLOCK ***\n\n");
	if (!r->same_instance)
		uld__buf_puts(b, " May be due to missing lock nesting "
				 "notation\n\n");
}

static void
bad_unlock_body(struct uld__buf *b, const struct uld__report *r)
{
	const struct uld__rlock *l = &r->locks[0];

	uld__buf_printf(b, "%s/%d is trying to release lock ", r->thread,
	    (int)r->tid);
	uld__report_lock_label(b, l);
	uld__buf_puts(b, " at:\n");
	uld__report_at(b, r->stacks[0].n > 0 ? r->stacks[0].ips[0] : NULL);
	if (r->other_owner)
		uld__buf_printf(b, "but this thread does not hold it: it is "
				   "held by %s/%d.\n\n",
		    r->other_thread, (int)r->other_owner);
	else if (r->self && r->self->depth == 0)
		uld__buf_puts(b, "but there are no more locks to release!\n\n");
	else
		uld__buf_puts(b, "but this thread does not hold it.\n\n");
	uld__buf_puts(b, "other info that might help us debug this:\n");
}

static void
held_freed_body(struct uld__buf *b, const struct uld__report *r)
{
	uld__buf_printf(b, "%s/%d is %s a lock that is still held:\n",
	    r->thread, (int)r->tid, r->op ? r->op : "destroying");
	uld__report_lock_label(b, &r->locks[0]);
	uld__buf_putc(b, '\n');
	if (r->other_owner)
		uld__buf_printf(b, "\nheld by %s/%d, which took it at:\n",
		    r->other_thread, (int)r->other_owner);
	else
		uld__buf_puts(b, "\nheld by this thread, which took it at:\n");
	void *at = (void *)r->locks[0].ip;
	uld__report_frames(b, &at, at ? 1 : 0, 7);
	uld__buf_puts(b, "\nA held lock whose memory is destroyed or freed is "
			 "still released later, or\nwaited for forever: the "
			 "owner's unlock then touches dead memory.\n\n");
}

static void
held_at_exit_body(struct uld__buf *b, const struct uld__report *r)
{
	uld__buf_printf(b, "%s/%d is exiting with locks still held!\n\n",
	    r->thread, (int)r->tid);
	uld__buf_puts(b, "Any thread that takes one of them next waits "
			 "forever.\n\n");
}

static void
sleep_body(struct uld__buf *b, const struct uld__report *r)
{
	uld__buf_printf(b, "%s called at ", r->sleeper);
	uld__report_at(b, r->stacks[0].n > 0 ? r->stacks[0].ips[0] : NULL);
	uld__buf_printf(b, "in_atomic(): %u, irqs_disabled(): %d, in_irq: %d, "
			   "pid: %d, name: %s\n\n",
	    r->spins_held + (r->irq_in != 0), r->irqs_off > 0,
	    r->irq_in != 0, (int)r->tid, r->thread);
	if (r->irq_in)
		uld__buf_puts(b, "A signal handler runs in place of the code "
				 "it interrupted: if it waits for\nsomething "
				 "that code holds, neither goes on.\n\n");
	if (r->spins_held)
		uld__buf_puts(b, "A thread that sleeps while holding a spinlock "
				 "keeps every other thread that\nwants it "
				 "spinning for as long as it sleeps.\n\n");
}

/* Where a sampled thread is now, or why it could not be sampled. */
static void
now_stack(struct uld__buf *b, const struct uld__rstack *s, int blocked,
    int scanned)
{
	if (s->n > 0 && scanned)
		uld__buf_puts(b, "       (a thread asleep in the kernel is read "
				 "from its stack, not woken: a frame\n"
				 "        may be stale)\n");
	if (s->n > 0)
		uld__report_frames(b, s->ips, s->n, 7);
	else if (blocked)
		uld__buf_puts(b, "       (not sampled: it blocks the sampling "
				 "signal, SIGRTMAX-1; it may itself be\n"
				 "        waiting with signals blocked, like a "
				 "CPU spinning with irqs off)\n");
	else
		uld__buf_puts(b, "       (not sampled: no answer to the "
				 "sampling signal)\n");
}

static void
bad_magic_body(struct uld__buf *b, const struct uld__report *r)
{
	uld__buf_printf(b, "%s/%d: %s of a lock that %s:\n", r->thread,
	    (int)r->tid, r->op, r->why);
	uld__report_lock_label(b, &r->locks[0]);
	uld__buf_printf(b, ", .magic: %08x (expected %08x)\n\n", r->magic,
	    r->locks[0].type == ULD_LOCK_RWLOCK_KERNEL ? 0xdeaf1eedU
						      : 0xdead4eadU);
}

static void
stuck_body(struct uld__buf *b, const struct uld__report *r)
{
	uld__buf_printf(b, "%s/%d %s for %ld ms on lock:\n", r->thread,
	    (int)r->tid,
	    r->kind == ULD_REPORT_SPIN_TIMEOUT ? "has spun" : "has been stuck",
	    r->waited_ms);
	uld__report_lock_label(b, &r->locks[0]);
	uld__buf_puts(b, ", waiting at: ");
	uld__report_at(b, r->locks[0].ip);
	if (r->other_owner) {
		uld__buf_printf(b, "\nowner: %s/%d, which took it at:\n",
		    r->other_thread, (int)r->other_owner);
		void *oip = (void *)r->owner_ip;
		uld__report_frames(b, &oip, oip ? 1 : 0, 7);
		uld__buf_printf(b, "\nowner %s/%d is now at:\n",
		    r->other_thread, (int)r->other_owner);
		now_stack(b, &r->stacks[1], r->owner_blocked,
		    r->owner_scanned);
	} else {
		uld__buf_puts(b, "\nowner: no live thread holds it (it ended "
				 "holding it, or this thread took it before)\n");
	}
	uld__buf_printf(b, "\nwaiter %s/%d is now at:\n", r->thread,
	    (int)r->tid);
	now_stack(b, &r->stacks[0], r->waiter_blocked, r->waiter_scanned);
	uld__buf_putc(b, '\n');
}

void
uld__report_text(struct uld__buf *b, const struct uld__report *r)
{
	banner(b, r);
	switch (r->kind) {
	case ULD_REPORT_CIRCULAR:
		circular_body(b, r);
		break;
	case ULD_REPORT_RECURSIVE:
		recursive_body(b, r);
		break;
	case ULD_REPORT_BAD_UNLOCK:
		bad_unlock_body(b, r);
		break;
	case ULD_REPORT_HELD_FREED:
		held_freed_body(b, r);
		break;
	case ULD_REPORT_HELD_AT_EXIT:
		held_at_exit_body(b, r);
		break;
	case ULD_REPORT_SLEEP_IN_ATOMIC:
		sleep_body(b, r);
		break;
	case ULD_REPORT_SPIN_TIMEOUT:
	case ULD_REPORT_SOFT_LOCKUP:
		stuck_body(b, r);
		break;
	case ULD_REPORT_BAD_MAGIC:
		bad_magic_body(b, r);
		break;
	case ULD_REPORT_IRQ_INCONSISTENT:
	case ULD_REPORT_IRQ_ORDER:
		uld__report_text_irq(b, r);
		break;
	}
	held_locks(b, r);
	if (r->kind != ULD_REPORT_SPIN_TIMEOUT &&
	    r->kind != ULD_REPORT_SOFT_LOCKUP) {
		uld__buf_puts(b, "\nstack backtrace:\n");
		uld__report_frames(b, r->stacks[0].ips, r->stacks[0].n, 7);
	}
	uld__buf_printf(b, "\nsignature: %s/%016lx\n",
	    uld__report_kind_name(r->kind), (unsigned long)r->signature);
	if (r->advice)
		uld__buf_printf(b, "what to do: %s\n", r->advice);
	uld__buf_putc(b, '\n');
	uld__buf_note_truncation(b, "\n[report truncated]\n\n");
}
