/*
 * spinlock.h: the kernel-style spinlock API of ulockdep, for daemons.
 *
 *	static DEFINE_SPINLOCK(stats_lock);
 *	unsigned long flags;
 *
 *	spin_lock_irqsave(&stats_lock, flags);
 *	...
 *	spin_unlock_irqrestore(&stats_lock, flags);
 *
 * A spinlock_t is a real lock: a fair ticket lock (FIFO, as on ARM), with
 * the CONFIG_DEBUG_SPINLOCK fields (magic word, owner thread, owner CPU).
 * Every operation is validated like a pthread lock (order, recursion,
 * unlock balance, spin timeouts, sleeping while holding it) and the lock's
 * magic is checked (bad_magic: never initialised, destroyed, corrupt).
 *
 * A signal handler is this API's interrupt: the _irq forms block every
 * asynchronous signal in the calling thread while the lock is held, the
 * _bh forms the softirq signals (ULOCKDEP_OPTIONS softirq_signals),
 * _irqsave keeps the previous mask in `flags`.  Sleeping with them blocked
 * is sleep_in_atomic, as in the kernel.
 *
 * The kernel names are macros over exported uld_* functions, never symbols
 * of their own; define ULOCKDEP_NO_KERNEL_NAMES to keep only the uld_*
 * names.  Define ULOCKDEP_DISABLE to compile the bare ticket lock with no
 * validator at all (no link with libulockdep needed).
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

#define spin_lock_bh(l) do { uld_bh_disable(); spin_lock(l); } while (0)
#define spin_unlock_bh(l) do { spin_unlock(l); uld_bh_enable(); } while (0)
#define spin_lock_irq(l) do { uld_irq_disable(); spin_lock(l); } while (0)
#define spin_unlock_irq(l) do { spin_unlock(l); uld_irq_enable(); } while (0)
#define spin_lock_irqsave(l, flags)                                          \
	do {                                                                 \
		(flags) = uld_irq_save();                                    \
		spin_lock(l);                                                \
	} while (0)
#define spin_unlock_irqrestore(l, flags)                                     \
	do {                                                                 \
		spin_unlock(l);                                              \
		uld_irq_restore(flags);                                      \
	} while (0)
/* The _bh/_irq trylocks re-enable when the lock was not taken. */
#define spin_trylock_bh(l)                                                   \
	({ uld_bh_disable(); int r_ = spin_trylock(l);                       \
	   if (!r_) uld_bh_enable(); r_; })
#define spin_trylock_irq(l)                                                  \
	({ uld_irq_disable(); int r_ = spin_trylock(l);                      \
	   if (!r_) uld_irq_enable(); r_; })
#define spin_trylock_irqsave(l, flags)                                       \
	({ (flags) = uld_irq_save(); int r_ = spin_trylock(l);               \
	   if (!r_) uld_irq_restore(flags); r_; })

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
#endif /* ULOCKDEP_NO_KERNEL_NAMES */

#ifdef __cplusplus
}
#endif

#endif /* ULOCKDEP_SPINLOCK_H */
