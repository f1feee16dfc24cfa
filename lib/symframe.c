/*
 * symframe.c: one stack frame symbolized (uld__sym_frame), and the cache
 * of frames already symbolized, by ip.
 *
 * Where it runs.  Reports are rendered under the graph lock with every
 * signal blocked, and some are made inside a signal handler (sleeping in
 * a handler, the irq rules); class names are made on first sight of a
 * site, which may be in a handler too.  Two levels of work:
 *
 *  - the ELF symbol tables (symbols.c: function, offset, module, also for
 *    stripped libraries via their debug files) use open, mmap and the
 *    validator's private jemalloc arena only.  A handler that reaches the
 *    validator interrupted code outside it (else the re-entry guard would
 *    have passed its events through), so neither our locks nor our arena
 *    are held under it, and signals are blocked while we work: that is
 *    safe in a handler, and used there.
 *
 *  - DWARF (srcline.c: file, line, inlined frames) goes through libdw,
 *    which mallocs from the program's heap: never in a handler, where the
 *    interrupted code may hold malloc's lock.  "In a handler" is a signal
 *    handler tracked as an interrupt (irq_depth) or any signal frame on
 *    the current stack (libunwind), so an untracked handler (a fault
 *    signal, a program linked without the preload) counts too.
 *
 * Each frame fully symbolized outside a handler is cached, so a handler
 * shows file:line for every ip seen before.  For a new ip, a handler asks
 * the watchdog thread (watchdog.c), which never runs a handler and holds
 * no lock a handler's report needs, to run libdw and fill the cache, and
 * waits for it at most ULD_SYM_SERVE_MS: if libdw there waits for a
 * malloc lock held by the code the handler interrupted, the handler goes
 * on with function+offset [module] and asks nothing more until the
 * watchdog is done (it finishes once the handler returns).  Without the
 * watchdog (it starts at the first lock wait of the process), a frame
 * first seen in a handler has no file:line.  The cache is in the arena,
 * under frame_lock (rank 5c, held briefly and never across libdw), and
 * never shrinks: reports name few distinct ips.
 *
 * Outside handlers libdw's allocations are the one exception to "nothing
 * from the program's heap" besides urcu's hash tables: made once per
 * module (its Dwfl, kept) and per new CU, only when a report is rendered
 * or a class is named, never on the lock fast path.
 */
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "demangle.h"
#include "mutex.h"
#include "srcline.h"
#include "stack.h"
#include "symbols.h"
#include "thread.h"
#include "util.h"
#include "watchdog.h"

/* How long a handler waits for the watchdog to symbolize one frame. */
#define ULD_SYM_SERVE_MS 1000

struct cached {
	struct cached *next;
	struct uld__frame f;
	unsigned epoch; /* uld__sym_epoch() when it was symbolized */
};

#define FRAME_BUCKETS 1024
static struct cached *buckets[FRAME_BUCKETS];
static uld__mutex_t frame_lock = ULD_MUTEX_INIT(ULD_RANK_FRAME);

static struct cached **
bucket(const void *ip)
{
	return &buckets[uld__mix64((uintptr_t)ip) % FRAME_BUCKETS];
}

/* An entry from before a dlclose may name the closed module: a miss. */
static int
cache_get(const void *ip, struct uld__frame *out)
{
	unsigned epoch = uld__sym_epoch();
	sigset_t old;
	int hit = 0;

	uld__sig_block(&old);
	uld__mutex_lock(&frame_lock);
	for (struct cached *c = *bucket(ip); c; c = c->next)
		if (c->f.ip == ip && c->epoch == epoch) {
			*out = c->f;
			hit = 1;
			break;
		}
	uld__mutex_unlock(&frame_lock);
	uld__sig_restore(&old);
	return hit;
}

static void
cache_put(const struct uld__frame *f)
{
	struct cached *c = uld__malloc(sizeof(*c));
	sigset_t old;

	if (c == NULL)
		return;
	c->f = *f;
	/* Named in a handler, the function may still be mangled; here, in
	 * no handler, it is demangled for every later lookup. */
	c->f.function = uld__demangle(f->function);
	c->epoch = uld__sym_epoch();
	uld__sig_block(&old);
	uld__mutex_lock(&frame_lock);
	struct cached **b = bucket(f->ip);
	for (struct cached *o = *b; o; o = o->next)
		if (o->f.ip == f->ip && o->epoch == c->epoch) {
			/* another thread was first */
			uld__mutex_unlock(&frame_lock);
			uld__sig_restore(&old);
			uld__free(c);
			return;
		}
	c->next = *b;
	*b = c;
	uld__mutex_unlock(&frame_lock);
	uld__sig_restore(&old);
}

/*
 * The request slot between a handler and the watchdog.  req_lock: one
 * requester at a time (taken with signals blocked, after the graph lock).
 * slot_lock guards the slot's fields, held briefly by either side.
 * posted and done are futex words: the watchdog waits on posted, a
 * requester on done; done != posted means the watchdog is still at it.
 */
static uld__mutex_t req_lock = ULD_MUTEX_INIT(ULD_RANK_REQ);
static uld__mutex_t slot_lock = ULD_MUTEX_INIT(ULD_RANK_SLOT);
static int posted, done;
static struct {
	int seq; /* 0: empty */
	struct uld__frame f;
	uintptr_t pc;
	const char *debug_file;
} slot;

static void
futex(int *word, int op, int val, const struct timespec *ts)
{
	syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* 1 if the watchdog symbolized out->ip into the cache in time. */
static int
ask_watchdog(const struct uld__frame *f, uintptr_t pc, const char *debug_file)
{
	struct timespec t0, now;
	sigset_t old;
	int ok = 0;

	if (!__atomic_load_n(&uld__watchdog_running, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&done, __ATOMIC_ACQUIRE) !=
		__atomic_load_n(&posted, __ATOMIC_ACQUIRE))
		return 0;
	uld__sig_block(&old);
	uld__mutex_lock(&req_lock);
	int seq = (int)((unsigned)__atomic_load_n(&posted, __ATOMIC_RELAXED) +
	    1);
	if (seq == 0) /* 0 means empty */
		seq = 1;
	uld__mutex_lock(&slot_lock);
	slot.seq = seq;
	slot.f = *f;
	slot.pc = pc;
	slot.debug_file = debug_file;
	uld__mutex_unlock(&slot_lock);
	__atomic_store_n(&posted, seq, __ATOMIC_RELEASE);
	futex(&posted, FUTEX_WAKE_PRIVATE, 1, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int d = __atomic_load_n(&done, __ATOMIC_ACQUIRE);
		if (d == seq) {
			ok = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= ULD_SYM_SERVE_MS)
			break;
		long left = ULD_SYM_SERVE_MS - ms;
		struct timespec ts = { left / 1000, left % 1000 * 1000000L };
		futex(&done, FUTEX_WAIT_PRIVATE, d, &ts);
	}
	uld__mutex_lock(&slot_lock);
	slot.seq = 0; /* a late watchdog finds nothing to do */
	uld__mutex_unlock(&slot_lock);
	uld__mutex_unlock(&req_lock);
	uld__sig_restore(&old);
	return ok;
}

int *
uld__symframe_posted(void)
{
	return &posted;
}

void
uld__symframe_serve(void)
{
	int p = __atomic_load_n(&posted, __ATOMIC_ACQUIRE);

	if (p == __atomic_load_n(&done, __ATOMIC_RELAXED))
		return;
	uld__mutex_lock(&slot_lock);
	int seq = slot.seq;
	struct uld__frame f = slot.f;
	uintptr_t pc = slot.pc;
	const char *debug_file = slot.debug_file;
	uld__mutex_unlock(&slot_lock);
	/* seq != p: the requester gave up and emptied the slot. */
	struct uld__frame cached;
	if (seq == p && !cache_get(f.ip, &cached)) {
		uld__srcline(pc, debug_file, &f);
		cache_put(&f);
	}
	/* Caught up: handlers may ask again. */
	__atomic_store_n(&done, p, __ATOMIC_RELEASE);
	futex(&done, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/*
 * Frozen frames (symbols.h): one record per ip and unload epoch, so that
 * the ip of many stored stacks gets one record.  Records are found two
 * ways: by original ip, for uld__sym_freeze (under uld__graph_lock), and
 * by their own address, to tell a frozen ip from any other word with bit
 * 63 set before reading it (the watchdog's stack scan tries every word of
 * a stack as a return address).  The second list is read without a lock:
 * records are published with a release store and never change or go.
 */
struct frozen {
	struct frozen *next;	/* same ip bucket */
	struct frozen *next_at;	/* same address bucket */
	unsigned epoch;
	struct uld__frame f;	/* f.ip: the original ip */
} __attribute__((aligned(16)));

#define FROZEN_BUCKETS 256
static struct frozen *frozen_by_ip[FROZEN_BUCKETS];
static struct frozen *frozen_at[FROZEN_BUCKETS];

static struct frozen **
at_bucket(const void *z)
{
	return &frozen_at[uld__mix64((uintptr_t)z) % FROZEN_BUCKETS];
}

/*
 * The record of a frozen ip, or NULL if it is none.  A caller may look up
 * the byte before a return address (ip - 1, suppress.c): records are
 * 16-byte aligned, so rounding up finds the record of a frozen ip less up
 * to 15.
 */
static const struct frozen *
frozen_find(const void *ip)
{
	uintptr_t a = (uintptr_t)ip & ~ULD_SYM_FROZEN_BIT;
	const void *want = (const void *)((a + 15) & ~(uintptr_t)15);

	if (!uld__sym_frozen(ip))
		return NULL;
	for (const struct frozen *z = __atomic_load_n(at_bucket(want),
		 __ATOMIC_ACQUIRE);
	    z; z = z->next_at)
		if (z == want)
			return z;
	return NULL;
}

void *
uld__sym_freeze(const void *ip)
{
	unsigned epoch = uld__sym_epoch();
	struct frozen **b = &frozen_by_ip[uld__mix64((uintptr_t)ip) %
	    FROZEN_BUCKETS];

	if (ip == NULL || uld__sym_frozen(ip))
		return (void *)ip;
	for (struct frozen *z = *b; z; z = z->next)
		if (z->f.ip == ip && z->epoch == epoch)
			return (void *)((uintptr_t)z | ULD_SYM_FROZEN_BIT);
	struct frozen *z = uld__malloc(sizeof(*z));
	if (z == NULL || ((uintptr_t)z & 15) != 0) {
		uld__free(z);
		return (void *)ip;
	}
	/* Named now, while the closed module is the only one there: after
	 * a dlopen, another module may be mapped at ip. */
	uld__sym_frame(ip, &z->f);
	z->epoch = epoch;
	z->next = *b;
	*b = z;
	struct frozen **at = at_bucket(z);
	z->next_at = *at;
	__atomic_store_n(at, z, __ATOMIC_RELEASE);
	return (void *)((uintptr_t)z | ULD_SYM_FROZEN_BIT);
}

int
uld__sym_frozen_symbol(const void *ip, struct uld__symbol *out)
{
	const struct frozen *z = frozen_find(ip);

	memset(out, 0, sizeof(*out));
	if (z == NULL)
		return -1;
	out->module = z->f.module;
	out->module_base = z->f.module_base;
	if (z->f.function == NULL)
		return -1;
	out->name = z->f.function;
	out->start = (uintptr_t)z->f.ip - z->f.offset;
	out->size = z->f.size;
	out->offset = (uintptr_t)z->f.ip - out->start;
	return 0;
}

/*
 * The symbol of the return address ip (ip != NULL), and the code address
 * to look its line up at: ip - 1, or ip itself when exact (symbols.h), at
 * the start of a signal trampoline (__restore_rt), where a handler
 * "returns", or of a PLT stub.  1 if a function was found; s->module is set as far as known
 * either way.
 */
static int
symbol_of(const void *ip, struct uld__symbol *s, const char **pc)
{
	struct uld__symbol at;

	if (uld__sym_is_exact(ip)) { /* where a signal stopped it */
		*pc = uld__sym_addr(ip);
		return uld__sym_function(*pc, s) == 0;
	}
	*pc = (const char *)ip - 1;
	if (uld__sym_function(*pc, s) == 0) {
		/* No stub calls anything, so no return address is the first
		 * byte of a stub: such an ip is where a thread was stopped
		 * (the watchdog's sample), on the stub's jump, which ip - 1
		 * would give to the stub before it (or, for the head of .plt,
		 * to the size-less _init before that). */
		if ((s->size == 0 || s->plt) &&
		    uld__sym_function(ip, &at) == 0 &&
		    at.offset == 0 && at.plt) {
			*s = at;
			*pc = ip;
		}
		return 1;
	}
	if (uld__sym_function(ip, s) == 0 && s->offset == 0) {
		*pc = ip;
		return 1;
	}
	return 0;
}

void
uld__sym_site(const void *ip, const char **file, unsigned *line,
    const char **outer_file, unsigned *outer_line)
{
	struct uld__symbol s;
	const char *pc, *entry_file;
	unsigned entry_line;
	struct uld__frame f;

	*file = NULL;
	*line = 0;
	*outer_file = NULL;
	*outer_line = 0;
	if (ip == NULL)
		return;
	/* Where uld__sym_frame does no DWARF of its own or has the frame
	 * already (frozen), its answer: the same rules, the same name. */
	if (uld__sym_frozen(ip) || uld__stack_in_handler()) {
		uld__sym_frame(ip, &f);
		*file = f.ninline ? f.inl[0].file : f.file;
		*line = f.ninline ? f.inl[0].line : f.line;
		return;
	}
	int named = symbol_of(ip, &s, &pc);
	if (s.module == NULL)
		return;
	/* uld__srcline's line table row, which is inl[0] of an inlined
	 * frame and the frame's own position otherwise. */
	uld__srcline_pos((uintptr_t)pc, s.module, s.module_base, s.debug_file,
	    file, line);
	/* The function's own file is its first line's: the same as the
	 * site's, and nothing was inlined from elsewhere. */
	if (*file == NULL || !named ||
	    uld__srcline_pos(s.start, s.module, s.module_base, s.debug_file,
		&entry_file, &entry_line) != 0 ||
	    entry_file == NULL || strcmp(entry_file, *file) == 0)
		return;
	if (uld__sym_frame(ip, &f) != 0 || f.ninline == 0 || f.file == NULL ||
	    f.line == 0)
		return;
	*outer_file = f.file;
	*outer_line = f.line;
}

int
uld__sym_frame(const void *ip, struct uld__frame *out)
{
	struct uld__symbol s;
	const char *pc;

	if (uld__sym_frozen(ip)) {
		const struct frozen *z = frozen_find(ip);
		if (z != NULL) {
			*out = z->f;
			return out->function ? 0 : -1;
		}
		memset(out, 0, sizeof(*out)); /* no address of ours */
		out->ip = ip;
		return -1;
	}
	if (ip != NULL && cache_get(ip, out))
		return out->function ? 0 : -1;
	memset(out, 0, sizeof(*out));
	out->ip = ip;
	if (ip == NULL)
		return -1;
	if (symbol_of(ip, &s, &pc)) {
		out->function = uld__demangle(s.name);
		out->offset = (uintptr_t)uld__sym_addr(ip) - s.start;
		out->size = s.size;
	} else {
		out->offset = (uintptr_t)uld__sym_addr(ip) - s.module_base;
	}
	out->module = s.module;
	out->module_base = s.module_base;
	if (s.module == NULL)
		return out->function ? 0 : -1;
	if (!uld__stack_in_handler()) {
		uld__srcline((uintptr_t)pc, s.debug_file, out);
		cache_put(out);
	} else if (ask_watchdog(out, (uintptr_t)pc, s.debug_file)) {
		cache_get(ip, out);
	}
	return out->function ? 0 : -1;
}

/* req_lock before frame_lock: a requester holds it while the watchdog
 * fills the cache.  slot_lock is only ever held alone. */
void
uld__symframe_prefork(void)
{
	uld__mutex_lock(&req_lock);
	uld__mutex_lock(&slot_lock);
	uld__mutex_lock(&frame_lock);
}

void
uld__symframe_postfork(int child)
{
	if (child) {
		uld__mutex_reset(&frame_lock);
		uld__mutex_reset(&slot_lock);
		uld__mutex_reset(&req_lock);
		slot.seq = 0;
		posted = done = 0;
	} else {
		uld__mutex_unlock(&frame_lock);
		uld__mutex_unlock(&slot_lock);
		uld__mutex_unlock(&req_lock);
	}
}
