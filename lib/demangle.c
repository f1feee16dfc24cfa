/*
 * demangle.c: C++ names demangled with libiberty's callback demangler,
 * and a cache of the names demangled, by the address of the mangled name.
 *
 * cplus_demangle_v3_callback, not __cxa_demangle: the latter returns its
 * result in memory from the program's malloc (and needs libstdc++, which
 * a C program does not load); the former writes through a callback and
 * allocates nothing, so the text goes to a buffer on our stack, then to
 * the validator's arena; it runs on the deep stack (deepstack.c).  The
 * cache is a lock-free list per bucket: entries are only ever added (at
 * the head, by compare-and-swap), so a reader in a signal handler, or a
 * fork at any moment, finds every list whole.  Two threads demangling one name at once both add it: harmless.
 */
#include "demangle.h"

#include <string.h>

#include "alloc.h"
#include "deepstack.h"
#include "stack.h"
#include "util.h"

#if ULD_HAVE_LIBIBERTY
#include <libiberty/demangle.h>

/* Longer demangled names are left mangled: no report line needs more. */
#define ULD_DEMANGLED_MAX 1024

struct entry {
	struct entry *next;
	const char *mangled;
	const char *plain;
};

#define DEMANGLE_BUCKETS 1024
static struct entry *buckets[DEMANGLE_BUCKETS];

struct out {
	const char *name;
	char buf[ULD_DEMANGLED_MAX];
	size_t len;
	int overflow;
	int ok;
};

static void
append(const char *s, size_t n, void *arg)
{
	struct out *o = arg;

	if (o->len + n >= sizeof(o->buf)) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* On the deep stack: libiberty keeps arrays of twice the mangled name's
 * length in components on its stack (deepstack.c). */
static void
demangle_there(void *arg)
{
	struct out *o = arg;

	o->ok = cplus_demangle_v3_callback(o->name, DMGL_PARAMS | DMGL_ANSI,
	    append, o);
}

static const char *
find(struct entry *const *b, const char *name)
{
	for (const struct entry *e = __atomic_load_n(b, __ATOMIC_ACQUIRE);
	     e != NULL; e = e->next)
		if (e->mangled == name)
			return e->plain;
	return NULL;
}

const char *
uld__demangle(const char *name)
{
	/* Itanium C++ ABI names begin _Z; C names, and most, do not. */
	if (name == NULL || name[0] != '_' || name[1] != 'Z')
		return name;
	struct entry **b =
	    &buckets[uld__mix64((uintptr_t)name) % DEMANGLE_BUCKETS];
	const char *plain = find(b, name);
	if (plain != NULL || uld__stack_in_handler())
		return plain != NULL ? plain : name;

	struct out o = { .name = name, .len = 0, .overflow = 0 };
	plain = name;
	uld__deep_call(demangle_there, &o);
	if (o.ok && !o.overflow && o.len > 0) {
		char *p = uld__malloc(o.len + 1);
		if (p != NULL) {
			memcpy(p, o.buf, o.len);
			p[o.len] = '\0';
			plain = p;
		}
	}
	/* Remembered even when it stays mangled: not tried again. */
	struct entry *e = uld__malloc(sizeof(*e));
	if (e == NULL)
		return plain;
	e->mangled = name;
	e->plain = plain;
	e->next = __atomic_load_n(b, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(b, &e->next, e, 1,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	return plain;
}

#else /* !ULD_HAVE_LIBIBERTY */

const char *
uld__demangle(const char *name)
{
	return name;
}

#endif
