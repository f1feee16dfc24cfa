/*
 * spinlock.h: the kernel-style spinlock and rwlock API of ulockdep, for
 * daemons.
 *
 *	static DEFINE_SPINLOCK(stats_lock);
 *	unsigned long flags;
 *
 *	spin_lock_irqsave(&stats_lock, flags);
 *	...
 *	spin_unlock_irqrestore(&stats_lock, flags);
 *
 *	static DEFINE_RWLOCK(table_lock);
 *
 *	read_lock(&table_lock);		   readers share it, and nest
 *	...
 *	read_unlock(&table_lock);
 *	write_lock_bh(&table_lock);	   a writer has it alone
 *	...
 *	write_unlock_bh(&table_lock);
 *
 * A spinlock_t is a real lock: a fair ticket lock (FIFO, as on ARM), with
 * the CONFIG_DEBUG_SPINLOCK fields (magic word, owner thread, owner CPU).
 * An rwlock_t is a real spinning reader-writer lock, reader-preferring as
 * the kernel's: a reader waits only while a writer holds it, never for a
 * waiting writer, so read_lock() is recursive (also from a signal handler
 * that interrupts a reader); writers spin until nobody holds it, and a
 * steady stream of readers starves them.  It has the same debug fields
 * (owner: the writer).  Every operation is validated like a pthread lock
 * (order, recursion, unlock balance, spin timeouts, sleeping while holding
 * either: both are busy-waiting locks) and the lock's magic is checked
 * (bad_magic: never initialised, destroyed, corrupt).
 *
 * A signal handler is this API's interrupt: the _irq forms block every
 * asynchronous signal in the calling thread while the lock is held, the
 * _bh forms the softirq signals (ULOCKDEP_OPTIONS softirq_signals),
 * _irqsave keeps the previous mask in `flags`.  Sleeping with them blocked
 * is sleep_in_atomic, as in the kernel.  in_irq() is true in the handler
 * of a hardirq signal (any caught asynchronous signal not in
 * softirq_signals), in_serving_softirq() in the handler of a softirq one,
 * in_softirq() there or with bottom halves off (local_bh_disable, the _bh
 * forms), in_interrupt() in either; the innermost handler decides.
 * Handlers are seen through the LD_PRELOAD interposer's sigaction
 * trampoline, or uld_signal_enter() of <ulockdep/signal.h>.
 *
 * The kernel names are macros over exported uld_* functions, never symbols
 * of their own; define ULOCKDEP_NO_KERNEL_NAMES to keep only the uld_*
 * names.  Define ULOCKDEP_DISABLE to compile the bare ticket lock and
 * rwlock with no validator at all (no link with libulockdep needed; the
 * interrupt calls do nothing, in_irq() and the like are 0).
 */
#ifndef ULOCKDEP_SPINLOCK_H
#define ULOCKDEP_SPINLOCK_H

#include <stdint.h>

#include "ulockdep/ulockdep.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ULD_SPINLOCK_MAGIC 0xdead4eadU
#define ULD_SPINLOCK_DESTROYED 0xdeaddeadU

typedef struct uld_spinlock {
	uint32_t magic;
	/* Ticket lock: high half the next ticket, low half the one served. */
	uint32_t tickets;
	int32_t owner;		/* tid of the holder, -1 when free */
	int32_t owner_cpu;	/* CPU it was taken on, -1 when free */
} uld_spinlock_t;

#define ULD_SPINLOCK_INITIALIZER { ULD_SPINLOCK_MAGIC, 0, -1, -1 }

#if defined(__x86_64__) || defined(__i386__)
#define uld_cpu_relax() __builtin_ia32_pause()
#else
#define uld_cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

/* The ticket lock itself (also the whole lock under ULOCKDEP_DISABLE). */
static inline void
uld_ticket_lock(uld_spinlock_t *l)
{
	uint32_t t = __atomic_fetch_add(&l->tickets, 1u << 16,
	    __ATOMIC_ACQUIRE) >> 16;

	while ((__atomic_load_n(&l->tickets, __ATOMIC_ACQUIRE) & 0xffff) !=
	    (t & 0xffff))
		uld_cpu_relax();
}

static inline int
uld_ticket_trylock(uld_spinlock_t *l)
{
	uint32_t v = __atomic_load_n(&l->tickets, __ATOMIC_RELAXED);

	if ((v >> 16) != (v & 0xffff))
		return 0;
	return __atomic_compare_exchange_n(&l->tickets, &v, v + (1u << 16), 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void
uld_ticket_unlock(uld_spinlock_t *l)
{
	/* Only the holder writes the served half: add 1 within it. */
	uint32_t v = __atomic_load_n(&l->tickets, __ATOMIC_RELAXED);
	uint32_t next;

	do
		next = (v & 0xffff0000u) | ((v + 1) & 0xffff);
	while (!__atomic_compare_exchange_n(&l->tickets, &v, next, 0,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static inline int
uld_ticket_is_locked(const uld_spinlock_t *l)
{
	uint32_t v = __atomic_load_n(&l->tickets, __ATOMIC_RELAXED);

	return (v >> 16) != (v & 0xffff);
}

#define ULD_RWLOCK_MAGIC 0xdeaf1eedU
#define ULD_RWLOCK_DESTROYED ULD_SPINLOCK_DESTROYED

typedef struct uld_rwlock {
	uint32_t magic;
	/* ULD_RW_WRITER: a writer holds it; below it: how many readers. */
	uint32_t cnt;
	int32_t owner;		/* tid of the writer, -1 when none */
	int32_t owner_cpu;	/* CPU the writer took it on, -1 when none */
} uld_rwlock_t;

#define ULD_RWLOCK_INITIALIZER { ULD_RWLOCK_MAGIC, 0, -1, -1 }
#define ULD_RW_WRITER 0x80000000U

/*
 * The rwlock itself (also the whole lock under ULOCKDEP_DISABLE): one word,
 * reader-preferring like the kernel's classic arch_rwlock_t.  A reader
 * waits only while a writer holds the lock (or, in theory, while 2^31 - 1
 * readers do), never behind a writer that waits, so read_lock() is
 * recursive; a writer spins until the word is 0 (no fairness among
 * writers, and steady readers starve them).
 */
static inline int
uld_arch_read_trylock(uld_rwlock_t *l)
{
	uint32_t v = __atomic_load_n(&l->cnt, __ATOMIC_RELAXED);

	/* Fails only while a writer holds it, not when readers race. */
	while (v < ULD_RW_WRITER - 1)
		if (__atomic_compare_exchange_n(&l->cnt, &v, v + 1, 1,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

static inline void
uld_arch_read_lock(uld_rwlock_t *l)
{
	while (!uld_arch_read_trylock(l))
		while (__atomic_load_n(&l->cnt, __ATOMIC_RELAXED) >=
		    ULD_RW_WRITER - 1)
			uld_cpu_relax();
}

static inline void
uld_arch_read_unlock(uld_rwlock_t *l)
{
	uint32_t v = __atomic_load_n(&l->cnt, __ATOMIC_RELAXED);

	/* Never below zero: an unbalanced read_unlock changes nothing. */
	while ((v & ~ULD_RW_WRITER) != 0 &&
	    !__atomic_compare_exchange_n(&l->cnt, &v, v - 1, 1,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

static inline int
uld_arch_write_trylock(uld_rwlock_t *l)
{
	uint32_t v = 0;

	return __atomic_compare_exchange_n(&l->cnt, &v, ULD_RW_WRITER, 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void
uld_arch_write_lock(uld_rwlock_t *l)
{
	while (!uld_arch_write_trylock(l))
		while (__atomic_load_n(&l->cnt, __ATOMIC_RELAXED) != 0)
			uld_cpu_relax();
}

static inline void
uld_arch_write_unlock(uld_rwlock_t *l)
{
	/* Clears the writer bit only: readers' counts are never lost. */
	__atomic_fetch_and(&l->cnt, ~ULD_RW_WRITER, __ATOMIC_RELEASE);
}

#ifndef ULOCKDEP_DISABLE
/* `name` may be NULL; `site` NULL means the caller.  See ulockdep(3). */
ULD_API void uld_spin_init(uld_spinlock_t *l, const char *name,
    const void *site);
ULD_API void uld_spin_destroy(uld_spinlock_t *l);
ULD_API void uld_spin_lock(uld_spinlock_t *l, unsigned subclass,
    const void *ip);
ULD_API int uld_spin_trylock(uld_spinlock_t *l, const void *ip);
ULD_API void uld_spin_unlock(uld_spinlock_t *l, const void *ip);
/* "Interrupts" of the calling thread: the asynchronous signals. */
ULD_API unsigned long uld_irq_save(void);
ULD_API void uld_irq_restore(unsigned long flags);
ULD_API void uld_irq_disable(void);
ULD_API void uld_irq_enable(void);
ULD_API void uld_bh_disable(void);
ULD_API void uld_bh_enable(void);
ULD_API int uld_irqs_disabled(void);
/* in_irq() & co.: the innermost signal handler the thread runs as
 * interrupt context (ulockdep-irq(7)), and local_bh_disable(). */
ULD_API int uld_in_irq(void);
ULD_API int uld_in_serving_softirq(void);
ULD_API int uld_in_softirq(void);
ULD_API int uld_in_interrupt(void);

/* rwlock_t: as uld_spin_*; readers are recursive (see uld_arch_*). */
ULD_API void uld_rwlock_init(uld_rwlock_t *l, const char *name,
    const void *site);
ULD_API void uld_rwlock_destroy(uld_rwlock_t *l);
ULD_API void uld_read_lock(uld_rwlock_t *l, unsigned subclass,
    const void *ip);
ULD_API int uld_read_trylock(uld_rwlock_t *l, const void *ip);
ULD_API void uld_read_unlock(uld_rwlock_t *l, const void *ip);
ULD_API void uld_write_lock(uld_rwlock_t *l, unsigned subclass,
    const void *ip);
ULD_API int uld_write_trylock(uld_rwlock_t *l, const void *ip);
ULD_API void uld_write_unlock(uld_rwlock_t *l, const void *ip);
#else
static inline void uld_spin_init(uld_spinlock_t *l, const char *n,
    const void *s) { *l = (uld_spinlock_t)ULD_SPINLOCK_INITIALIZER; (void)n; (void)s; }
static inline void uld_spin_destroy(uld_spinlock_t *l) { (void)l; }
static inline void uld_spin_lock(uld_spinlock_t *l, unsigned s,
    const void *ip) { uld_ticket_lock(l); (void)s; (void)ip; }
static inline int uld_spin_trylock(uld_spinlock_t *l, const void *ip)
{ (void)ip; return uld_ticket_trylock(l); }
static inline void uld_spin_unlock(uld_spinlock_t *l, const void *ip)
{ uld_ticket_unlock(l); (void)ip; }
static inline unsigned long uld_irq_save(void) { return 0; }
static inline void uld_irq_restore(unsigned long f) { (void)f; }
static inline void uld_irq_disable(void) {}
static inline void uld_irq_enable(void) {}
static inline void uld_bh_disable(void) {}
static inline void uld_bh_enable(void) {}
static inline int uld_irqs_disabled(void) { return 0; }
static inline int uld_in_irq(void) { return 0; }
static inline int uld_in_serving_softirq(void) { return 0; }
static inline int uld_in_softirq(void) { return 0; }
static inline int uld_in_interrupt(void) { return 0; }

static inline void uld_rwlock_init(uld_rwlock_t *l, const char *n,
    const void *s)
{ *l = (uld_rwlock_t)ULD_RWLOCK_INITIALIZER; (void)n; (void)s; }
static inline void uld_rwlock_destroy(uld_rwlock_t *l) { (void)l; }
static inline void uld_read_lock(uld_rwlock_t *l, unsigned s,
    const void *ip) { uld_arch_read_lock(l); (void)s; (void)ip; }
static inline int uld_read_trylock(uld_rwlock_t *l, const void *ip)
{ (void)ip; return uld_arch_read_trylock(l); }
static inline void uld_read_unlock(uld_rwlock_t *l, const void *ip)
{ uld_arch_read_unlock(l); (void)ip; }
static inline void uld_write_lock(uld_rwlock_t *l, unsigned s,
    const void *ip) { uld_arch_write_lock(l); (void)s; (void)ip; }
static inline int uld_write_trylock(uld_rwlock_t *l, const void *ip)
{ (void)ip; return uld_arch_write_trylock(l); }
static inline void uld_write_unlock(uld_rwlock_t *l, const void *ip)
{ uld_arch_write_unlock(l); (void)ip; }
#endif

#ifndef ULOCKDEP_NO_KERNEL_NAMES
typedef uld_spinlock_t spinlock_t;
typedef uld_spinlock_t raw_spinlock_t;

#define DEFINE_SPINLOCK(x) spinlock_t x = ULD_SPINLOCK_INITIALIZER
#define DEFINE_RAW_SPINLOCK(x) raw_spinlock_t x = ULD_SPINLOCK_INITIALIZER
#define __SPIN_LOCK_UNLOCKED(x) ((spinlock_t)ULD_SPINLOCK_INITIALIZER)
#define SINGLE_DEPTH_NESTING 1

/* NULL sites and ips: the uld_* function's caller is the macro's user. */
#define spin_lock_init(l) uld_spin_init((l), #l, NULL)
#define spin_lock(l) uld_spin_lock((l), 0, NULL)
#define spin_lock_nested(l, sub) uld_spin_lock((l), (sub), NULL)
#define spin_trylock(l) uld_spin_trylock((l), NULL)
#define spin_unlock(l) uld_spin_unlock((l), NULL)
#define spin_is_locked(l) uld_ticket_is_locked(l)

/*
 * The _bh, _irq and _irqsave forms of a lock operation `op`: interrupts
 * off before taking, back on after releasing; a trylock that fails turns
 * them back on at once.
 */
#define ULD__LOCK_BH(op, l) do { uld_bh_disable(); op(l); } while (0)
#define ULD__UNLOCK_BH(op, l) do { op(l); uld_bh_enable(); } while (0)
#define ULD__LOCK_IRQ(op, l) do { uld_irq_disable(); op(l); } while (0)
#define ULD__UNLOCK_IRQ(op, l) do { op(l); uld_irq_enable(); } while (0)
#define ULD__LOCK_IRQSAVE(op, l, flags)                                      \
	do {                                                                 \
		(flags) = uld_irq_save();                                    \
		op(l);                                                       \
	} while (0)
#define ULD__UNLOCK_IRQRESTORE(op, l, flags)                                 \
	do {                                                                 \
		op(l);                                                       \
		uld_irq_restore(flags);                                      \
	} while (0)
#define ULD__TRYLOCK_BH(op, l)                                               \
	({ uld_bh_disable(); int r_ = op(l);                                 \
	   if (!r_) { uld_bh_enable(); } r_; })
#define ULD__TRYLOCK_IRQ(op, l)                                              \
	({ uld_irq_disable(); int r_ = op(l);                                \
	   if (!r_) { uld_irq_enable(); } r_; })
#define ULD__TRYLOCK_IRQSAVE(op, l, flags)                                   \
	({ (flags) = uld_irq_save(); int r_ = op(l);                         \
	   if (!r_) { uld_irq_restore(flags); } r_; })

#define spin_lock_bh(l) ULD__LOCK_BH(spin_lock, l)
#define spin_unlock_bh(l) ULD__UNLOCK_BH(spin_unlock, l)
#define spin_lock_irq(l) ULD__LOCK_IRQ(spin_lock, l)
#define spin_unlock_irq(l) ULD__UNLOCK_IRQ(spin_unlock, l)
#define spin_lock_irqsave(l, flags) ULD__LOCK_IRQSAVE(spin_lock, l, flags)
#define spin_unlock_irqrestore(l, flags)                                     \
	ULD__UNLOCK_IRQRESTORE(spin_unlock, l, flags)
#define spin_trylock_bh(l) ULD__TRYLOCK_BH(spin_trylock, l)
#define spin_trylock_irq(l) ULD__TRYLOCK_IRQ(spin_trylock, l)
#define spin_trylock_irqsave(l, flags)                                       \
	ULD__TRYLOCK_IRQSAVE(spin_trylock, l, flags)

#define raw_spin_lock_init spin_lock_init
#define raw_spin_lock spin_lock
#define raw_spin_trylock spin_trylock
#define raw_spin_unlock spin_unlock
#define raw_spin_lock_irq spin_lock_irq
#define raw_spin_unlock_irq spin_unlock_irq
#define raw_spin_lock_irqsave spin_lock_irqsave
#define raw_spin_unlock_irqrestore spin_unlock_irqrestore

#define local_irq_save(flags) ((flags) = uld_irq_save())
#define local_irq_restore(flags) uld_irq_restore(flags)
#define local_irq_disable() uld_irq_disable()
#define local_irq_enable() uld_irq_enable()
#define local_bh_disable() uld_bh_disable()
#define local_bh_enable() uld_bh_enable()
#define irqs_disabled() uld_irqs_disabled()
#define in_irq() uld_in_irq()
#define in_serving_softirq() uld_in_serving_softirq()
#define in_softirq() uld_in_softirq()
#define in_interrupt() uld_in_interrupt()

typedef uld_rwlock_t rwlock_t;

#define DEFINE_RWLOCK(x) rwlock_t x = ULD_RWLOCK_INITIALIZER
#define __RW_LOCK_UNLOCKED(x) ((rwlock_t)ULD_RWLOCK_INITIALIZER)

#define rwlock_init(l) uld_rwlock_init((l), #l, NULL)
#define read_lock(l) uld_read_lock((l), 0, NULL)
#define read_trylock(l) uld_read_trylock((l), NULL)
#define read_unlock(l) uld_read_unlock((l), NULL)
#define write_lock(l) uld_write_lock((l), 0, NULL)
#define write_trylock(l) uld_write_trylock((l), NULL)
#define write_unlock(l) uld_write_unlock((l), NULL)

#define read_lock_bh(l) ULD__LOCK_BH(read_lock, l)
#define read_unlock_bh(l) ULD__UNLOCK_BH(read_unlock, l)
#define read_lock_irq(l) ULD__LOCK_IRQ(read_lock, l)
#define read_unlock_irq(l) ULD__UNLOCK_IRQ(read_unlock, l)
#define read_lock_irqsave(l, flags) ULD__LOCK_IRQSAVE(read_lock, l, flags)
#define read_unlock_irqrestore(l, flags)                                     \
	ULD__UNLOCK_IRQRESTORE(read_unlock, l, flags)
#define write_lock_bh(l) ULD__LOCK_BH(write_lock, l)
#define write_unlock_bh(l) ULD__UNLOCK_BH(write_unlock, l)
#define write_lock_irq(l) ULD__LOCK_IRQ(write_lock, l)
#define write_unlock_irq(l) ULD__UNLOCK_IRQ(write_unlock, l)
#define write_lock_irqsave(l, flags) ULD__LOCK_IRQSAVE(write_lock, l, flags)
#define write_unlock_irqrestore(l, flags)                                    \
	ULD__UNLOCK_IRQRESTORE(write_unlock, l, flags)
#define write_trylock_irqsave(l, flags)                                      \
	ULD__TRYLOCK_IRQSAVE(write_trylock, l, flags)
#endif /* ULOCKDEP_NO_KERNEL_NAMES */

#ifdef __cplusplus
}
#endif

#endif /* ULOCKDEP_SPINLOCK_H */
