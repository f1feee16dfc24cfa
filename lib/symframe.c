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
 * shows file:line for every ip seen before; a frame first seen in a
 * handler shows function+offset [module], and is not cached.  The cache
 * is in the arena, under frame_lock (rank 5, held briefly and never
 * across libdw), and never shrinks: reports name few distinct ips.
 *
 * Outside handlers libdw's allocations are the one exception to "nothing
 * from the program's heap" besides urcu's hash tables: made once per
 * module (its Dwfl, kept) and per new CU, only when a report is rendered
 * or a class is named, never on the lock fast path.
 */
#include <string.h>

#include "alloc.h"
#include "mutex.h"
#include "srcline.h"
#include "stack.h"
#include "symbols.h"
#include "util.h"

struct cached {
	struct cached *next;
	struct uld__frame f;
};

#define FRAME_BUCKETS 1024
static struct cached *buckets[FRAME_BUCKETS];
static uld__mutex_t frame_lock = ULD_MUTEX_INITIALIZER;

static struct cached **
bucket(const void *ip)
{
	return &buckets[uld__mix64((uintptr_t)ip) % FRAME_BUCKETS];
}

static int
cache_get(const void *ip, struct uld__frame *out)
{
	sigset_t old;
	int hit = 0;

	uld__sig_block(&old);
	uld__mutex_lock(&frame_lock);
	for (struct cached *c = *bucket(ip); c; c = c->next)
		if (c->f.ip == ip) {
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
	uld__sig_block(&old);
	uld__mutex_lock(&frame_lock);
	struct cached **b = bucket(f->ip);
	for (struct cached *o = *b; o; o = o->next)
		if (o->f.ip == f->ip) { /* another thread was first */
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

int
uld__sym_frame(const void *ip, struct uld__frame *out)
{
	struct uld__symbol s;
	const char *pc = (const char *)ip - (ip ? 1 : 0);

	if (ip != NULL && cache_get(ip, out))
		return out->function ? 0 : -1;
	memset(out, 0, sizeof(*out));
	out->ip = ip;
	if (ip == NULL)
		return -1;
	/* Not found at ip - 1: ip may be no return address but the start of
	 * a signal trampoline (__restore_rt), where a handler "returns". */
	if (uld__sym_function(pc, &s) == 0 ||
	    (uld__sym_function(ip, &s) == 0 && s.offset == 0 && (pc = ip))) {
		out->function = s.name;
		out->offset = (uintptr_t)ip - s.start;
		out->size = s.size;
	} else {
		out->offset = (uintptr_t)ip - s.module_base;
	}
	out->module = s.module;
	out->module_base = s.module_base;
	if (s.module != NULL && !uld__stack_in_handler()) {
		uld__srcline((uintptr_t)pc, s.debug_file, out);
		cache_put(out);
	}
	return out->function ? 0 : -1;
}

void
uld__symframe_prefork(void)
{
	uld__mutex_lock(&frame_lock);
}

void
uld__symframe_postfork(int child)
{
	if (child)
		uld__mutex_reset(&frame_lock);
	else
		uld__mutex_unlock(&frame_lock);
}
