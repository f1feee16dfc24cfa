/*
 * api.c: the public annotation API (<ulockdep/ulockdep.h>).
 *
 * Every entry has lockdep's lock_acquire() shape: return at once when the
 * validator is already running on this thread (the re-entry guard: our own
 * allocations, unwinding and hash tables take pthread locks, which come
 * back here through the interposer) or is not set up; otherwise set the
 * guard, do the work, clear it.  errno is kept: the program may be between
 * a failing call and reading errno (api.h has the guard).
 */
#include "api.h"
#include "class.h"
#include "fastpath.h"
#include "irq.h"
#include "lifetime.h"
#include "lockmap.h"
#include "mutex.h"
#include "pageidx.h"
#include "report.h"
#include "stack.h"
#include "symbols.h"
#include "thread.h"
#include "validate.h"
#include "ulockdep/ulockdep.h"

/*
 * The class of the init site this thread last initialised a lock at: a
 * program creates its locks by the thousand at one site (a constructor,
 * a loop), and each class lookup is an RCU read-side section and a hash
 * table walk.  Classes are never freed; a retired one (its module was
 * closed) is looked up again, and so is a lock constructor's (classed
 * by its caller, initwrap.h) and a static lock's.
 */
static ULD_TLS struct {
	const void *site;
	struct uld__class *class;
} init_last;

static struct uld__class *
init_class(void *lock, enum uld_lock_type type, const void *site)
{
	struct uld__class *c = init_last.class;

	if (c != NULL && init_last.site == site &&
	    !__atomic_load_n(&c->retired, __ATOMIC_RELAXED))
		return c;
	c = uld__class_get(ULD_CLASS_INIT_SITE, site, type, NULL, lock);
	/* Not a class decided per lock: a constructor's (by its caller) or
	 * a site of static locks' (by their variable, class.c). */
	if (c != NULL && c->kind == ULD_CLASS_INIT_SITE && c->key == site &&
	    !c->wrapper && !c->statics && c->var == NULL) {
		init_last.site = site;
		init_last.class = c;
	}
	return c;
}

ULD_API void
uld_lock_init(void *lock, enum uld_lock_type type, const void *site)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	if (site == NULL)
		site = ULD_RET_IP();
	/* The symbol lock with signals blocked, as every validator lock
	 * (mutex.h): a handler's siglongjmp must not leave it held. */
	sigset_t old;
	uld__sig_block(&old);
	if (!uld__sym_is_own(site)) { /* jemalloc, urcu: not ours to check */
		struct uld__class *c = init_class(lock, type, site);
		if (c != NULL) {
			uld__class_name_early(c, t->depth, 0);
			uld__lockmap_init_lock(t, lock, type, c, c->own);
		}
	}
	uld__sig_restore(&old);
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API void
uld_lock_destroy(void *lock, const void *ip)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	/* Once for the owner search, the map and the page index, each of
	 * which would block signals (two system calls) by itself. */
	sigset_t old;
	uld__sig_block(&old);
	uld__destroy(t, lock, ip ? ip : ULD_RET_IP());
	uld__sig_restore(&old);
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API void
uld_lock_set_class(void *lock, const struct uld_class_key *key,
    const char *name)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	struct uld__instance *inst = uld__lockmap_find(t, lock, NULL);
	enum uld_lock_type type = inst ? inst->type : ULD_LOCK_MUTEX;
	struct uld__class *c = NULL;
	if (key != NULL)
		c = uld__class_get(ULD_CLASS_KEY, key, type,
		    name ? name : "(unnamed class)", lock);
	else if (name != NULL)
		c = uld__class_get(ULD_CLASS_NAME, NULL, type, name, lock);
	if (c != NULL)
		uld__lockmap_set_class(t, lock, c);
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API void
uld_lock_set_subclass(void *lock, unsigned subclass)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	struct uld__instance *inst = uld__lockmap_find(t, lock, NULL);
	if (inst != NULL)
		inst->subclass = subclass > ULD_MAX_SUBCLASS ? ULD_MAX_SUBCLASS
							     : subclass;
	uld__api_leave(t);
	uld__keep_errno(saved);
}

/*
 * The full paths of acquire and release, out of line so that the fast
 * paths (fastpath.h) save no registers and set up no frame for them.
 */
static __attribute__((noinline)) void
acquire_full(void *lock, enum uld_lock_type type, unsigned flags,
    unsigned subclass, const void *ip)
{
	struct uld__thread *t = uld__api_enter();

	if (t == NULL) {
		/* In a handler that interrupted the validator (irq.c). */
		if (uld__unlikely(uld__self.intr.frame != NULL))
			uld__irq_unrecorded(lock, 1);
		return;
	}
	int saved = uld__errno_get(t);
	uld__acquire(t, lock, type, flags, subclass, ip);
	uld__api_leave(t);
	uld__errno_keep(t, saved);
}

static __attribute__((noinline)) void
release_full(void *lock, const void *ip)
{
	struct uld__thread *t = uld__api_enter();

	if (t == NULL) {
		if (uld__unlikely(uld__self.intr.frame != NULL))
			uld__irq_unrecorded(lock, 0);
		return;
	}
	int saved = uld__errno_get(t);
	uld__release(t, lock, ip);
	uld__api_leave(t);
	uld__errno_keep(t, saved);
}

/* Not inlined into the entries: called last there, it is a jump. */
__attribute__((noinline)) void
uld__fast_deferred(struct uld__thread *t)
{
	int saved = *t->errno_loc; /* the program's, as the fast path keeps */

	uld__run_deferred(t);
	*t->errno_loc = saved;
}

ULD_API void
uld_lock_acquire(void *lock, enum uld_lock_type type, unsigned flags,
    unsigned subclass, const void *ip)
{
	if (ip == NULL)
		ip = ULD_RET_IP();
	/* Checked first, so that past it the fast path and its fallback need
	 * no subclass kept: one register fewer, none saved. */
	if (uld__unlikely((subclass | (flags & ~ULD_FAST_FLAGS)) != 0)) {
		acquire_full(lock, type, flags, subclass, ip);
		return;
	}
	int r = uld__acquire_fast(&uld__self, lock, type, flags, ip);
	if (uld__likely(r == ULD_FAST_DONE))
		return;
	if (r == ULD_FAST_DEFERRED)
		uld__fast_deferred(&uld__self);
	else
		acquire_full(lock, type, flags, 0, ip);
}

ULD_API void
uld_lock_acquired(void *lock)
{
	/*
	 * The wait for `lock` is over.  Only that wait: a lock taken and
	 * granted meanwhile on this thread (libunwind's, in the watchdog's
	 * sampling handler) must not end the wait it interrupted.
	 */
	if (uld__self.wait_lock == lock)
		__atomic_store_n(&uld__self.wait_lock, NULL, __ATOMIC_RELEASE);
}

ULD_API void
uld_lock_acquire_failed(void *lock)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	uld__acquire_failed(t, lock);
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API void
uld_lock_release(void *lock, const void *ip)
{
	int r = uld__release_fast(&uld__self, lock);
	if (uld__likely(r == ULD_FAST_DONE))
		return;
	if (r == ULD_FAST_DEFERRED)
		uld__fast_deferred(&uld__self);
	else
		release_full(lock, ip ? ip : ULD_RET_IP());
}

ULD_API void
uld_might_sleep(const char *what, const void *ip)
{
	int saved = errno;
	struct uld__thread *t = uld__api_enter();

	if (t == NULL)
		return;
	uld__might_sleep(t, what ? what : "a sleeping function",
	    ip ? ip : ULD_RET_IP());
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API unsigned long
uld_report_count(void)
{
	return uld__report_total();
}

ULD_API int
uld_in_atomic(void)
{
	const struct uld__thread *t = &uld__self;

	return (t->spins_held != 0 ? ULD_ATOMIC_SPIN : 0) |
	    (t->irqs_off != 0 ? ULD_ATOMIC_IRQS_OFF : 0) |
	    (t->irq_depth != 0 ? ULD_ATOMIC_IRQ : 0);
}

ULD_API void
uld_module_unload(void *p, size_t len, const void *ip)
{
	struct uld__thread *t;
	sigset_t old;

	int saved = errno;
	if ((t = uld__api_enter()) == NULL)
		return;
	if (uld__pageidx_hits(p, len))
		uld__mem_free(t, p, len, ip ? ip : ULD_RET_IP());
	uld__graph_enter(&old);
	uld__class_retire_range((uintptr_t)p, (uintptr_t)p + len);
	uld__stack_freeze_range((uintptr_t)p, (uintptr_t)p + len);
	uld__graph_leave(&old);
	uld__api_leave(t);
	uld__keep_errno(saved);
}

ULD_API int
uld_mem_tracked(void)
{
	return __atomic_load_n(&uld__pageidx_used, __ATOMIC_RELAXED);
}

ULD_API void
uld_mem_free(void *p, size_t len, const void *ip)
{
	struct uld__thread *t;

	/* Most frees hold no lock: answered before entering the validator. */
	if (p == NULL || !uld__pageidx_hits(p, len))
		return;
	int saved = errno;
	if ((t = uld__api_enter()) == NULL)
		return;
	uld__mem_free(t, p, len, ip ? ip : ULD_RET_IP());
	uld__api_leave(t);
	uld__keep_errno(saved);
}
