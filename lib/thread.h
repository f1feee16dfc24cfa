/*
 * thread.h: per-thread validator state, in initial-exec TLS.
 *
 * Owns: the held-lock stack, the current chain key, the re-entry guard and
 * the per-thread caches in front of the global tables.  Only its own thread
 * writes it, so nothing here is locked; a signal handler that arrives while
 * the guard is set is deferred until the guard drops (api.h), or, when it
 * cannot be, sees `in_uld` and leaves the state alone.
 *
 * Initial-exec TLS because the general-dynamic model may call malloc (and
 * so, possibly, the program's locks) on first access from a new thread.
 */
#ifndef ULD_THREAD_H
#define ULD_THREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"
#include "ulockdep/ulockdep.h"

/* Busy-waiting lock types: holding one is atomic context. */
#define uld__is_spin(type) ((ULD_SPIN_TYPES >> (type)) & 1u)
/* One bit per type, a shift on the fast path instead of three compares. */
#define ULD_SPIN_TYPES                                                       \
	(1u << ULD_LOCK_SPIN | 1u << ULD_LOCK_SPIN_KERNEL |                  \
	    1u << ULD_LOCK_RWLOCK_KERNEL)

struct uld__class;
struct uld__instance;

/* How a held lock was taken (lockdep's `read`). */
enum uld__read {
	ULD_READ_NONE = 0,	/* exclusive */
	ULD_READ_SHARED = 1,	/* shared, blocks behind a waiting writer */
	ULD_READ_RECURSIVE = 2, /* shared, never blocks behind a writer */
};

struct uld__held {
	void *lock;
	struct uld__class *class;	/* the class incl. subclass */
	const void *ip;			/* where it was taken */
	uint64_t prev_chain_key;	/* chain key before this entry */
	uint32_t references;		/* re-takes of a recursive mutex */
	uint8_t read;			/* enum uld__read */
	uint8_t trylock;
	uint8_t type;			/* enum uld_lock_type */
	uint8_t irq_ctx;		/* irq nesting it was taken at */
};

/*
 * A held entry's last 8 bytes (references 0, read, trylock, type,
 * irq_ctx 0) as one word, for the fast path to store at once: the release
 * that follows soon after loads them as one word, and a load is forwarded
 * from one wider store, while from several narrower ones it waits until
 * they all reach the cache (a store-forwarding stall, ~15 cycles).
 */
_Static_assert(offsetof(struct uld__held, read) ==
	    offsetof(struct uld__held, references) + 4 &&
	offsetof(struct uld__held, trylock) ==
	    offsetof(struct uld__held, read) + 1 &&
	offsetof(struct uld__held, type) ==
	    offsetof(struct uld__held, read) + 2 &&
	offsetof(struct uld__held, irq_ctx) ==
	    offsetof(struct uld__held, read) + 3 &&
	sizeof(struct uld__held) == offsetof(struct uld__held, references) + 8,
    "uld__held_tail: the entry's tail must be references, then 4 bytes");

static inline uint64_t
uld__held_tail(unsigned read, unsigned trylock, unsigned type)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint64_t)read << 32 | (uint64_t)trylock << 40 |
	    (uint64_t)type << 48;
#else
	return (uint64_t)read << 24 | (uint64_t)trylock << 16 |
	    (uint64_t)type << 8;
#endif
}

#define ULD_HELD_INLINE 16
/* Per-thread caches (powers of two): a lock or chain seen recently by this
 * thread is found without touching shared memory.  Sized for programs that
 * cycle through a few hundred locks and chains (make bench: chains64); the
 * instance cache for a thousand live locks, as in churn1000, where 512
 * slots missed on most first acquisitions and destroys (a fifth of the
 * time of a lock's life), for 12 KB more per thread. */
#define ULD_ICACHE_BITS 10
#define ULD_ICACHE_SIZE (1 << ULD_ICACHE_BITS)
#define ULD_CCACHE_SIZE 2048
#define ULD_INITIAL_CHAIN_KEY 0x9e3779b97f4a7c15ULL

/* Nested signal handlers tracked as interrupts (irq.c). */
#define ULD_IRQ_NEST 16

/* Unrecorded acquisitions remembered per thread (uld__irq_unrecorded). */
#define ULD_UNREC 8

/* One handler running as interrupt context. */
struct uld__irq_frame {
	int sig;
	const void *frame;		/* an address in the trampoline */
	uintptr_t alt_lo, alt_hi;	/* on the sigaltstack: its range */
	void *wait_lock;		/* the interrupted wait (watchdog) */
	uint32_t wait_seq;
};

struct uld__icache_entry {
	void *addr;
	struct uld__instance *inst;
	uint32_t seq;
};

/*
 * The per-thread caches, 40 KB: on the heap, not in the thread's static
 * TLS, which glibc carves out of a stack the program provides itself
 * (pthread_attr_setstack): in TLS they made a 16 KB stack too small for
 * pthread_create (EINVAL), and a 64 KB one 13 KB deep.
 */
struct uld__caches {
	struct uld__icache_entry icache[ULD_ICACHE_SIZE];
	uint64_t ccache[ULD_CCACHE_SIZE];
};

struct uld__thread {
	struct uld__thread *next, *prev; /* registry, under registry lock */
	struct uld__held *old_held;	/* outgrown arrays, freed at exit */
	int in_uld;		/* re-entry guard: validator code is running */
	int *errno_loc;		/* this thread's errno */
	int defer_pending;	/* a handler waits for in_uld to drop */
	int ready;		/* tid and held stack set up */
	pid_t tid;
	uint32_t depth;		/* entries in held[] */
	uint32_t spins_held;	/* held spinlocks: in_atomic() */
	uint32_t irqs_off;	/* irq_save/irq_disable not yet undone */
	/*
	 * The lock this thread is blocked or spinning on (NULL: none), for the
	 * watchdog, which reads it from its own thread.  wait_lock is written
	 * last when a wait starts (release), and each wait gets a new seq.  The
	 * lock's type and site are in its held entry, pushed with the wait.
	 */
	void *wait_lock;
	uint32_t wait_seq;
	uint32_t cap;
	/*
	 * Signals as interrupts (irq.c).  sig_blocked mirrors the thread's
	 * signal mask (bit sig-1); irq_enabled is the interrupt signals it
	 * does not block, read on every acquisition.  irq_depth counts the
	 * handlers running as interrupt context, irq_frames[] the innermost
	 * ULD_IRQ_NEST of them.
	 */
	uint64_t sig_blocked;
	uint64_t irq_enabled;
	uint32_t irq_depth;
	uint32_t handler_depth;	/* handlers of any kind entered, not left */
	uint32_t bh_off;		/* local_bh_disable() not yet undone */
	struct uld__held *held;	/* inline_held, or grown in alloc.c memory */
	uint64_t chain_key;	/* hash of the held classes, in order */
	/* This thread's struct uld__caches, from the first event on. */
	struct uld__icache_entry *icache;
	uint64_t *ccache;	/* validated chain keys */
	struct uld__held inline_held[ULD_HELD_INLINE];
	/* Last: cold, and large (the hot fields above share lines). */
	char name[16];		/* comm, as read at name_gen (thread.c) */
	unsigned name_gen;
	struct uld__irq_frame irq_frames[ULD_IRQ_NEST];
	/*
	 * The outermost handler that interrupted validator code (in_uld set;
	 * frame NULL: none), and whether a jump may have left it (irq.c).
	 * Its events pass through; if it jumps out, the interrupted code never
	 * finishes, and in_uld is put back at the next entry outside it.
	 * intr_mask: the signal mask the jump left the thread with.
	 */
	struct uld__irq_frame intr;
	uint64_t intr_mask;
	int intr_jumped;
	uint32_t drun;		/* deferred handlers running (irq.c) */
	void *drun_wait;	/* the wait they run after, if any */
	int exiting;		/* guard set for good: hold no signal */
	/* Locks taken, unrecorded, by a handler that interrupted validator
	 * code, not yet released (irq.c, uld__irq_unrecorded). */
	void *unrec[ULD_UNREC];
	uint32_t nunrec;
};

extern ULD_TLS struct uld__thread uld__self;

/* First use of the validator on this thread: tid, held stack, registry. */
void uld__thread_setup(struct uld__thread *t);

/* The calling thread's state, set up on first use.  Cheap. */
static inline struct uld__thread *
uld__thread_get(void)
{
	struct uld__thread *t = &uld__self;

	if (uld__unlikely(!t->ready))
		uld__thread_setup(t);
	return t;
}

/*
 * Which other live thread holds `lock` (exclusively or not)?  Returns its
 * tid, name and (if ip is not NULL) where it took the lock, or 0.  Reads other threads' held stacks without stopping
 * them: good enough to name an owner in a report, never used to decide.
 */
pid_t uld__thread_find_holder(const void *lock, char *name, size_t len,
    const void **ip);

/* A wait in progress, as the watchdog copies it out of a thread. */
struct uld__wait {
	pid_t tid;
	void *lock;
	const void *ip;
	uint32_t seq;
	uint8_t type;
	pid_t owner;			/* another thread holding `lock` */
	const void *owner_ip;		/* where the owner took it */
	char thread[16], owner_thread[16];
	uint32_t depth;			/* the waiter's held locks */
	struct uld__held held[16];
};
/*
 * Copy out up to `max` waits of live threads, each with the thread that
 * holds its lock, if any.  Returns how many.  Takes the registry lock.
 */
size_t uld__thread_waits(struct uld__wait *out, size_t max);
/* fork(): hold the registry lock across it (prefork, parent). */
void uld__thread_prefork(void);
void uld__thread_postfork_parent(void);
/* Read /proc/self/task/TID/FILE into buf (NUL-terminated); bytes read, or
 * -1.  Open, read, close: no allocation, no stdio. */
ssize_t uld__thread_read_proc(pid_t tid, const char *file, char *buf,
    size_t len);
/* In a fork child: only the calling thread remains. */
void uld__thread_atfork_child(void);

/* Make room for one more held lock; -1 when memory ran out. */
int uld__thread_grow(struct uld__thread *t);
/* The thread's name (comm) into buf. */
void uld__thread_name(char *buf, size_t len);
/* The thread id, from the kernel. */
pid_t uld__gettid(void);

#endif /* ULD_THREAD_H */
