/*
 * spinlock.c: the kernel-style spinlock API (<ulockdep/spinlock.h>).
 *
 * A fair ticket lock with CONFIG_DEBUG_SPINLOCK's fields, validated
 * through the same core as the pthread interposer: this file is another
 * client of the annotation API, plus the magic-word check only it can do.
 * The magic check and the init-time classing are shared with rwlock_t
 * (krwlock.c, klock.h); so are the "interrupts" below.
 * "Interrupts" are the calling thread's asynchronous signals: _irq forms
 * block them all, _bh forms block the softirq_signals set.  The mask is
 * changed with raw rt_sigprocmask, which the interposer does not see.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "class.h"
#include "irq.h"
#include "klock.h"
#include "lifetime.h"
#include "lockmap.h"
#include "options.h"
#include "out.h"
#include "thread.h"
#include "ulockdep/signal.h"
#include "ulockdep/spinlock.h"
#include "validate.h"
#include "watchdog.h"

/* ---- shared with rwlock_t (krwlock.c): klock.h ---- */

void
uld__klock_bad_magic(void *lock, enum uld_lock_type type, uint32_t magic,
    const char *op, const void *ip)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t != NULL) {
		uld__bad_magic(t, lock, type, magic, op, ip);
		uld__api_leave(t);
	}
	uld__keep_errno(saved);
}

void
uld__klock_init(void *lock, enum uld_lock_type type, const char *name,
    const void *site)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	/* Named like lockdep: the lock expression, then the init site. */
	char buf[512], where[256];
	struct uld__buf b;
	const char *cname = NULL;
	if (name != NULL) {
		uld__name_site(site, where, sizeof(where));
		uld__buf_init(&b, buf, sizeof(buf));
		uld__buf_printf(&b, "%s [%s]", name, where);
		cname = uld__buf_str(&b);
	}
	struct uld__class *c = uld__class_get(ULD_CLASS_INIT_SITE, site, type,
	    cname, lock);
	if (c != NULL)
		uld__lockmap_init_lock(t, lock, type, c, c->own);
	uld__api_leave(t);
	uld__keep_errno(saved);
}

/* ---- spinlock_t ---- */

static inline int
check_magic(uld_spinlock_t *l, const char *op, const void *ip)
{
	return uld__klock_check_magic(l, &l->magic, ULD_SPINLOCK_MAGIC,
	    ULD_LOCK_SPIN_KERNEL, op, ip);
}

ULD_API void
uld_spin_init(uld_spinlock_t *l, const char *name, const void *site)
{
	if (site == NULL)
		site = ULD_RET_IP();
	*l = (uld_spinlock_t)ULD_SPINLOCK_INITIALIZER;
	uld__klock_init(l, ULD_LOCK_SPIN_KERNEL, name, site);
}

ULD_API void
uld_spin_destroy(uld_spinlock_t *l)
{
	if (check_magic(l, "spin destroy", ULD_RET_IP()))
		uld_lock_destroy(l, ULD_RET_IP());
	__atomic_store_n(&l->magic, ULD_SPINLOCK_DESTROYED, __ATOMIC_RELAXED);
}

ULD_API void
uld_spin_lock(uld_spinlock_t *l, unsigned subclass, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "spin_lock", ip);
	uld_lock_acquire(l, ULD_LOCK_SPIN_KERNEL, 0, subclass, ip);
	uld_ticket_lock(l);
	uld_lock_acquired(l);
	uld__klock_set_owner(&l->owner, &l->owner_cpu);
}

ULD_API int
uld_spin_trylock(uld_spinlock_t *l, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "spin_trylock", ip);
	if (!uld_ticket_trylock(l))
		return 0;
	uld_lock_acquire(l, ULD_LOCK_SPIN_KERNEL, ULD_ACQ_TRY, 0, ip);
	uld__klock_set_owner(&l->owner, &l->owner_cpu);
	return 1;
}

ULD_API void
uld_spin_unlock(uld_spinlock_t *l, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	check_magic(l, "spin_unlock", ip);
	uld_lock_release(l, ip);
	uld__klock_clear_owner(&l->owner, &l->owner_cpu);
	uld_ticket_unlock(l);
}

/* ---- interrupts: the thread's asynchronous signals ---- */

/* Every signal a handler can run for asynchronously: all but the ones
 * raised by faults (not irqs) and the ones that cannot be blocked. */
static void
irq_set(sigset_t *s)
{
	static const int sync_signals[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,
		SIGFPE, SIGILL, SIGTRAP, SIGSYS };

	sigfillset(s);
	for (size_t i = 0; i < sizeof(sync_signals) / sizeof(int); i++)
		sigdelset(s, sync_signals[i]);
	/* Not interrupts: glibc's own (setuid() in another thread waits for
	 * every thread to take SIGSETXID), and the watchdog's sampling
	 * signal, which is to a thread with irqs off what an NMI is to a
	 * CPU: how a report shows where it spins. */
	sigdelset(s, 32);
	sigdelset(s, 33);
	sigdelset(s, ULD_SAMPLE_SIGNAL);
}

static void
bh_set(sigset_t *s)
{
	sigemptyset(s);
	for (int sig = 1; sig <= 64; sig++)
		if (uld__opts.softirq_signals & (1ULL << (sig - 1)))
			sigaddset(s, sig);
}

/*
 * Change the mask and tell the irq tracking (irq.c) what it is now:
 * signals unblocked while locks are held make those locks irq-unsafe.
 */
static void
mask(int how, const sigset_t *set, sigset_t *old, const void *ip)
{
	sigset_t was;
	uint64_t o, s, now;
	int saved = errno;

	syscall(SYS_rt_sigprocmask, how, set, &was, _NSIG / 8);
	if (old != NULL)
		*old = was;
	o = uld__sigset_bits(&was);
	s = uld__sigset_bits(set);
	now = how == SIG_BLOCK ? o | s : how == SIG_UNBLOCK ? o & ~s : s;
	struct uld__thread *t = uld__api_enter();
	if (t != NULL) {
		uld__irq_set_mask(t, now, ip);
		uld__api_leave(t);
	}
	uld__keep_errno(saved);
}

ULD_API unsigned long
uld_irq_save(void)
{
	sigset_t set, old;
	unsigned long flags = 0;

	irq_set(&set);
	mask(SIG_BLOCK, &set, &old, ULD_RET_IP());
	/* flags: the previous mask of signals 1..64, bit sig-1. */
	for (int sig = 1; sig <= 64; sig++)
		if (sigismember(&old, sig) == 1)
			flags |= 1UL << (sig - 1);
	uld__self.irqs_off++;
	return flags;
}

ULD_API void
uld_irq_restore(unsigned long flags)
{
	sigset_t set;

	sigemptyset(&set);
	for (int sig = 1; sig <= 64; sig++)
		if (flags & (1UL << (sig - 1)))
			sigaddset(&set, sig);
	mask(SIG_SETMASK, &set, NULL, ULD_RET_IP());
	if (uld__self.irqs_off)
		uld__self.irqs_off--;
}

ULD_API void
uld_irq_disable(void)
{
	sigset_t set;

	irq_set(&set);
	mask(SIG_BLOCK, &set, NULL, ULD_RET_IP());
	uld__self.irqs_off++;
}

ULD_API void
uld_irq_enable(void)
{
	sigset_t set;

	irq_set(&set);
	mask(SIG_UNBLOCK, &set, NULL, ULD_RET_IP());
	if (uld__self.irqs_off)
		uld__self.irqs_off--;
}

ULD_API void
uld_bh_disable(void)
{
	sigset_t set;

	bh_set(&set);
	mask(SIG_BLOCK, &set, NULL, ULD_RET_IP());
	uld__self.bh_off++;
}

ULD_API void
uld_bh_enable(void)
{
	sigset_t set;

	bh_set(&set);
	mask(SIG_UNBLOCK, &set, NULL, ULD_RET_IP());
	if (uld__self.bh_off)
		uld__self.bh_off--;
}

ULD_API int
uld_irqs_disabled(void)
{
	return uld__self.irqs_off > 0;
}

/* ---- in_irq() & co.: which context the thread runs in ---- */

/* The innermost handler decides: a softirq signal's handler nested in a
 * hardirq one is softirq context. */
ULD_API int
uld_in_irq(void)
{
	int sig = uld_signal_context();

	return sig != 0 && !uld__irq_is_soft(sig);
}

ULD_API int
uld_in_serving_softirq(void)
{
	int sig = uld_signal_context();

	return sig != 0 && uld__irq_is_soft(sig);
}

/* The kernel's softirq_count(): serving one, or bottom halves off. */
ULD_API int
uld_in_softirq(void)
{
	return uld__self.bh_off > 0 || uld_in_serving_softirq();
}

ULD_API int
uld_in_interrupt(void)
{
	return uld_signal_context() != 0 || uld__self.bh_off > 0;
}
