/*
 * thread.c: per-thread state set-up, growth, the registry of live threads,
 * and teardown at thread exit.
 *
 * The registry (a list under registry_lock) lets a report name the thread
 * that holds a lock, and later lets the watchdog and fork handling walk the
 * threads.  Held-lock arrays that a thread outgrew stay allocated until it
 * exits, so another thread reading them for a report never reads freed
 * memory.
 */
#include "thread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "api.h"
#include "init.h"
#include "irq.h"
#include "mutex.h"
#include "out.h"
#include "lifetime.h"

ULD_TLS struct uld__thread uld__self;

static uld__mutex_t registry_lock = ULD_MUTEX_INIT(ULD_RANK_REGISTRY);
static struct uld__thread *registry;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

pid_t
uld__gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Bumped by every rename: a thread's kept name is good while its
 * name_gen matches (0 never does). */
static unsigned name_gen = 1;

ULD_API void
uld_thread_renamed(void)
{
	__atomic_fetch_add(&name_gen, 1, __ATOMIC_RELEASE);
}

void
uld__thread_name(char *buf, size_t len)
{
	struct uld__thread *t = &uld__self;
	/* Read before the name: a rename after this read bumps it again. */
	unsigned gen = __atomic_load_n(&name_gen, __ATOMIC_ACQUIRE);

	if (t->name_gen != gen) {
		char comm[17] = { 0 };
		/* prctl, not pthread_getname_np: no file I/O, signal-safe.
		 * Once per thread and rename: each new lock order names its
		 * thread, and a system call there costs microseconds. */
		if (prctl(PR_GET_NAME, comm, 0, 0, 0) != 0)
			strcpy(comm, "?");
		memcpy(t->name, comm, sizeof(t->name));
		t->name[sizeof(t->name) - 1] = '\0';
		t->name_gen = gen;
	}
	strncpy(buf, t->name, len - 1);
	buf[len - 1] = '\0';
}

static void
registry_remove(struct uld__thread *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else if (registry == t)
		registry = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

/* Memory ran out as a thread started (the validator stops:
 * uld__out_of_memory), or the thread has exited: its cache pointers stay
 * valid. */
static struct uld__caches oom_caches;

/*
 * A thread's caches: mapped for it and unmapped at its exit.  Its pages
 * cost only as they are touched, as in the TLS of a fresh stack, and go
 * back whole: from jemalloc, zeroed for each thread, a crowd of 200 live
 * threads kept 8 MB more resident, and its space, given back, went to
 * small blocks (2.5 MB more per crowd after another).
 */
static struct uld__caches *
caches_get(void)
{
	void *p = mmap(NULL, sizeof(struct uld__caches), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		return p;
	uld__out_of_memory();
	return &oom_caches;
}

static void
caches_put(struct uld__thread *t)
{
	struct uld__caches *c = (struct uld__caches *)t->icache;

	/* Nothing uses them after exit (the guard stays set); if something
	 * did, it would find memory, not a hole. */
	t->icache = oom_caches.icache;
	t->ccache = oom_caches.ccache;
	if (c != NULL && c != &oom_caches)
		munmap(c, sizeof(*c));
}

static void
free_arrays(struct uld__thread *t)
{
	struct uld__held *o = t->old_held;

	/* Each outgrown array keeps a link to the one before it in its
	 * first slot's `lock` field (see uld__thread_grow). */
	while (o != NULL) {
		struct uld__held *prev = o[0].lock;
		uld__free(o);
		o = prev;
	}
	t->old_held = NULL;
	if (t->held != t->inline_held)
		uld__free(t->held);
	t->held = t->inline_held;
	t->cap = ULD_HELD_INLINE;
}

/*
 * At thread exit (TSD destructor): leave the registry, give memory back.
 * The guard stays set for good: other libraries' destructors that run
 * after ours (urcu-bp's takes a mutex) must not register the dying thread
 * again, or the registry would keep a pointer into freed TLS.  A new
 * thread gets fresh TLS, guard clear.
 */
static void
thread_exit(void *arg)
{
	struct uld__thread *t = &uld__self;
	sigset_t old;

	t->in_uld++;
	/* Never to drop again: a signal held till it does would be lost
	 * (irq.c, uld_signal_hold). */
	t->exiting = 1;
	/* A jump out of a handler that interrupted the validator must not
	 * clear this guard for good (irq.c, uld__irq_intr_left). */
	t->intr.frame = NULL;
	t->intr_jumped = 0;
	uld__thread_exiting(t);
	uld__sig_block_hard(&old);
	uld__mutex_lock(&registry_lock);
	registry_remove(t);
	uld__mutex_unlock(&registry_lock);
	uld__sig_restore(&old);
	free_arrays(t);
	caches_put(t);
	t->depth = 0;
	(void)arg;
}

static void
make_exit_key(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

void
uld__thread_setup(struct uld__thread *t)
{
	sigset_t old;

	t->in_uld++;
	t->errno_loc = &errno;
	t->tid = uld__gettid();
	t->held = t->inline_held;
	t->cap = ULD_HELD_INLINE;
	t->depth = 0;
	t->chain_key = ULD_INITIAL_CHAIN_KEY;
	struct uld__caches *c = caches_get();
	t->icache = c->icache;
	t->ccache = c->ccache;
	uld__irq_thread_setup(t);
	uld__sig_block(&old);
	uld__mutex_lock(&registry_lock);
	t->prev = NULL;
	t->next = registry;
	if (registry)
		registry->prev = t;
	registry = t;
	uld__mutex_unlock(&registry_lock);
	uld__sig_restore(&old);
	pthread_once(&exit_key_once, make_exit_key);
	pthread_setspecific(exit_key, t);
	t->ready = 1;
	uld__api_leave(t);
}

int
uld__thread_grow(struct uld__thread *t)
{
	uint32_t ncap = t->cap * 2;
	sigset_t old;

	/* jemalloc's mutexes, with signals blocked (mutex.h). */
	uld__sig_block(&old);
	struct uld__held *n = uld__malloc(ncap * sizeof(*n));
	uld__sig_restore(&old);

	if (n == NULL)
		return -1;
	memcpy(n, t->held, t->depth * sizeof(*n));
	if (t->held != t->inline_held) {
		/* Keep the outgrown array for readers; chain it for exit. */
		t->held[0].lock = t->old_held;
		t->old_held = t->held;
	}
	__atomic_store_n(&t->held, n, __ATOMIC_RELEASE);
	t->cap = ncap;
	return 0;
}

ssize_t
uld__thread_read_proc(pid_t tid, const char *file, char *buf, size_t len)
{
	char path[64];
	struct uld__buf b;
	ssize_t n = -1;

	uld__buf_init(&b, path, sizeof(path));
	uld__buf_printf(&b, "/proc/self/task/%d/%s", (int)tid, file);
	int fd = open(uld__buf_str(&b), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void
read_comm(pid_t tid, char *name, size_t len)
{
	ssize_t n = uld__thread_read_proc(tid, "comm", name, len);

	if (n <= 0)
		strncpy(name, "?", len);
	else if (name[n - 1] == '\n')
		name[n - 1] = '\0';
}

/*
 * A live thread other than `except` with `lock` on its held stack: its
 * tid (0 if none) and where it took the lock.  Under registry_lock.
 */
static pid_t
holder_of(const void *lock, const struct uld__thread *except,
    const void **ip)
{
	for (struct uld__thread *t = registry; t; t = t->next) {
		if (t == except)
			continue;
		struct uld__held *h = __atomic_load_n(&t->held,
		    __ATOMIC_ACQUIRE);
		uint32_t d = __atomic_load_n(&t->depth, __ATOMIC_RELAXED);
		for (uint32_t i = 0; i < d && i < t->cap; i++)
			if (h[i].lock == lock) {
				if (ip != NULL)
					*ip = h[i].ip;
				return t->tid;
			}
	}
	return 0;
}

size_t
uld__thread_waits(struct uld__wait *out, size_t max)
{
	size_t n = 0;
	sigset_t old;

	uld__sig_block(&old);
	uld__mutex_lock(&registry_lock);
	for (struct uld__thread *t = registry; t && n < max; t = t->next) {
		void *lock = __atomic_load_n(&t->wait_lock, __ATOMIC_ACQUIRE);
		if (lock == NULL)
			continue;
		struct uld__wait *w = &out[n++];
		memset(w, 0, sizeof(*w));
		w->tid = t->tid;
		w->lock = lock;
		w->seq = t->wait_seq;
		struct uld__held *h = __atomic_load_n(&t->held,
		    __ATOMIC_ACQUIRE);
		uint32_t d = __atomic_load_n(&t->depth, __ATOMIC_RELAXED);
		/* The topmost entries: the wait's own is the last pushed. */
		w->depth = d < 16 ? d : 16;
		memcpy(w->held, h + (d - w->depth), w->depth * sizeof(*h));
		/* The wait's own entry: the topmost one for this lock. */
		for (uint32_t i = d; i-- > 0 && i < t->cap;)
			if (h[i].lock == lock) {
				w->ip = h[i].ip;
				w->type = h[i].type;
				break;
			}
		/* The owner: another thread with the lock on its stack. */
		w->owner = holder_of(lock, t, &w->owner_ip);
	}
	uld__mutex_unlock(&registry_lock);
	uld__sig_restore(&old);
	for (size_t i = 0; i < n; i++) {
		read_comm(out[i].tid, out[i].thread, sizeof(out[i].thread));
		if (out[i].owner)
			read_comm(out[i].owner, out[i].owner_thread,
			    sizeof(out[i].owner_thread));
	}
	return n;
}

pid_t
uld__thread_find_holder(const void *lock, char *name, size_t len,
    const void **ip)
{
	pid_t found;
	sigset_t old;

	uld__sig_block(&old);
	uld__mutex_lock(&registry_lock);
	found = holder_of(lock, &uld__self, ip);
	uld__mutex_unlock(&registry_lock);
	uld__sig_restore(&old);
	if (found)
		read_comm(found, name, len);
	return found;
}

void
uld__thread_prefork(void)
{
	uld__mutex_lock(&registry_lock);
}

void
uld__thread_postfork_parent(void)
{
	uld__mutex_unlock(&registry_lock);
}

void
uld__thread_atfork_child(void)
{
	struct uld__thread *self = &uld__self;

	/* Other threads do not exist in the child; their TLS is gone. */
	uld__mutex_reset(&registry_lock);
	registry = NULL;
	if (self->ready) {
		self->tid = uld__gettid();
		self->next = self->prev = NULL;
		registry = self;
	}
}
