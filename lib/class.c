/*
 * class.c: the class registry and class names.
 */
#include "class.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "demangle.h"
#include "initwrap.h"
#include "lfht.h"
#include "mutex.h"
#include "options.h"
#include "out.h"
#include "symbols.h"
#include "util.h"
#include "ulockdep/spinlock.h"

static struct uld__lfht class_ht;
static uint32_t next_id = 1;
/* Every class in id order (uld__class_first), under uld__graph_lock. */
static struct uld__class *first, **last = &first;

void
uld__class_init(void)
{
	uld__lfht_create(&class_ht, ULD_LFHT_INIT_BUCKETS, 1UL << 24);
}

uint32_t
uld__class_count(void)
{
	return __atomic_load_n(&next_id, __ATOMIC_RELAXED) - 1;
}

struct uld__class *
uld__class_first(void)
{
	return first;
}

struct class_match {
	enum uld__class_kind kind;
	const void *key;
	const char *name;
	const void *var;
};

static int
match(struct cds_lfht_node *node, const void *arg)
{
	const struct uld__class *c = uld__container_of(node, struct uld__class,
	    node);
	const struct class_match *m = arg;

	if (c->kind != m->kind || c->key != m->key || c->var != m->var ||
	    c->subclass != 0)
		return 0;
	/* A NAME class was given its name at creation. */
	return m->kind != ULD_CLASS_NAME || strcmp(c->name_, m->name) == 0;
}

static unsigned long
class_hash(enum uld__class_kind kind, const void *key, const void *var)
{
	return uld__mix64(((uintptr_t)key ^ (uintptr_t)var << 17) * 8 + kind);
}

static size_t
lock_size(enum uld_lock_type type)
{
	switch (type) {
	case ULD_LOCK_SPIN:
		return sizeof(pthread_spinlock_t);
	case ULD_LOCK_SPIN_KERNEL:
		return sizeof(uld_spinlock_t);
	case ULD_LOCK_MUTEX:
		return sizeof(pthread_mutex_t);
	case ULD_LOCK_RWLOCK:
		return sizeof(pthread_rwlock_t);
	case ULD_LOCK_RWLOCK_KERNEL:
		return sizeof(uld_rwlock_t);
	}
	return 1;
}

void
uld__name_code(const void *ip, char *buf, size_t len)
{
	struct uld__symbol s;
	struct uld__buf b;

	uld__buf_init(&b, buf, len);
	if (uld__sym_function(ip, &s) == 0) {
		/* As the frames of a report read: a class named
		 * _ZN2os15PlatformMonitorC1Ev+0x18 was not. */
		uld__buf_printf(&b, "%s+0x%lx", uld__demangle(s.name),
		    (unsigned long)s.offset);
	} else if (s.module != NULL) {
		/* Module-relative, so the name (and the signatures made of
		 * it) survive address-space randomisation. */
		const char *base = strrchr(s.module, '/');
		uld__buf_printf(&b, "%s+0x%lx", base ? base + 1 : s.module,
		    (unsigned long)((uintptr_t)ip - s.module_base));
	} else {
		uld__buf_printf(&b, "%p", ip);
	}
	uld__buf_str(&b);
}

/* "%lu" without the formatter: names are made for every new class. */
static void
put_uint(struct uld__buf *b, unsigned long v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	uld__buf_putn(b, d + i, sizeof(d) - i);
}

/* "file.c:12": the basename, the same whatever the build directory or
 * layout, on every machine (signatures hash class names). */
static void
put_position(struct uld__buf *b, const char *file, unsigned line)
{
	const char *base = strrchr(file, '/');

	uld__buf_puts(b, base ? base + 1 : file);
	uld__buf_putc(b, ':');
	put_uint(b, line);
}

void
uld__name_site(const void *ip, char *buf, size_t len)
{
	struct uld__buf b;
	const char *file, *outer;
	unsigned line, outer_line;

	/*
	 * The innermost position: the lock call itself, even inside an
	 * inlined helper.  But a helper inlined from another file (a C++
	 * constructor in a header) is the same line for every class made
	 * through it: "queue.cc:40 (via mutex.h:12)", where the program
	 * made the lock, then the helper's line.
	 */
	uld__sym_site(ip, &file, &line, &outer, &outer_line);
	if (file == NULL || line == 0) {
		uld__name_code(ip, buf, len);
		return;
	}
	uld__buf_init(&b, buf, len);
	if (outer != NULL) {
		put_position(&b, outer, outer_line);
		uld__buf_puts(&b, " (via ");
		put_position(&b, file, line);
		uld__buf_putc(&b, ')');
	} else {
		put_position(&b, file, line);
	}
	uld__buf_str(&b);
}

void
uld__name_variable(const void *addr, enum uld_lock_type type, int element,
    char *buf, size_t len, const void **class_key)
{
	struct uld__symbol s;
	struct uld__buf b;
	size_t lsz = lock_size(type);

	uld__buf_init(&b, buf, len);
	if (class_key)
		*class_key = addr;
	if (uld__sym_object(addr, &s) != 0) {
		uld__buf_str(&b);
		return;
	}
	s.name = uld__demangle(s.name);
	if (s.size > lsz && s.size % lsz == 0 && s.offset % lsz == 0) {
		/* An array of locks: one class for all its elements. */
		uld__buf_puts(&b, s.name);
		uld__buf_putc(&b, '[');
		if (element) {
			if (class_key)
				*class_key = (const void *)s.start;
		} else {
			put_uint(&b, s.offset / lsz);
		}
		uld__buf_putc(&b, ']');
	} else if (s.offset != 0) {
		/* A lock inside a static structure. */
		uld__buf_printf(&b, "%s+0x%lx", s.name,
		    (unsigned long)s.offset);
	} else {
		uld__buf_puts(&b, s.name);
	}
	uld__buf_str(&b);
}

static char *
make_name(enum uld__class_kind kind, const void *key, enum uld_lock_type type,
    const void *lock, const char *via, const void *obj)
{
	char buf[512];

	switch (kind) {
	case ULD_CLASS_INIT_SITE:
	case ULD_CLASS_ACQUIRE_SITE: {
		/*
		 * "stats_lock [stats.c:12]": the site is the class, but people
		 * know a lock by its variable; when the first lock of the
		 * class lives in one, lead with its name (lockdep names a
		 * class after the lock expression at its init site).
		 */
		char site[256], var[256];
		struct uld__buf b;
		uld__name_site(key, site, sizeof(site));
		if (via != NULL) {
			/* A constructor's caller: where a person made the
			 * lock, and through what. */
			size_t n = strlen(site);
			uld__buf_init(&b, site + n, sizeof(site) - n);
			uld__buf_puts(&b, " (via ");
			uld__buf_puts(&b, via);
			uld__buf_putc(&b, ')');
			uld__buf_str(&b);
		}
		var[0] = '\0';
		/* A class of a whole static array of locks reads
		 * `table[]`; else the first lock's element, `table[3]`.
		 * `lock` is given only when it was static (create). */
		if (lock != NULL)
			uld__name_variable(lock, type, obj != NULL, var,
			    sizeof(var), NULL);
		uld__buf_init(&b, buf, sizeof(buf));
		if (var[0]) {
			uld__buf_puts(&b, var);
			uld__buf_puts(&b, " [");
			uld__buf_puts(&b, site);
			uld__buf_putc(&b, ']');
		} else
			uld__buf_puts(&b, site);
		uld__buf_str(&b);
		break;
	}
	case ULD_CLASS_STATIC:
		uld__name_variable(key, type, 1, buf, sizeof(buf), NULL);
		if (buf[0] == '\0') /* no symbol: name its place */
			uld__name_code(key, buf, sizeof(buf));
		break;
	default: {
		struct uld__buf b;
		uld__buf_init(&b, buf, sizeof(buf));
		uld__buf_printf(&b, "class@%p", key);
		uld__buf_str(&b);
		break;
	}
	}
	return uld__strdup(buf);
}

static struct uld__class *
lookup(enum uld__class_kind kind, const void *key, const char *name,
    const void *var)
{
	struct class_match m = { kind, key, name, var };
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	rcu_read_lock();
	cds_lfht_lookup(class_ht.ht, class_hash(kind, key, var), match, &m,
	    &iter);
	node = cds_lfht_iter_get_node(&iter);
	rcu_read_unlock();
	/* Classes are never freed: the pointer outlives the read section. */
	return node ? uld__container_of(node, struct uld__class, node) : NULL;
}

static struct uld__class *
new_class(enum uld__class_kind kind, const void *key, enum uld_lock_type type,
    char *name, unsigned subclass)
{
	struct uld__class *c = uld__calloc(1, sizeof(*c));

	if (c == NULL) {
		uld__free(name);
		return NULL;
	}
	c->kind = kind;
	c->key = key;
	c->type = type;
	c->name_ = name;
	c->subclass = subclass;
	c->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	c->topo = c->id; /* last in the order: it has no edge yet */
	/* Called under uld__graph_lock: ids and the list agree in order. */
	*last = c;
	last = &c->next;
	return c;
}

/* Make the class for (kind, key, var) unless another thread just did. */
static struct uld__class *
create(enum uld__class_kind kind, const void *key, enum uld_lock_type type,
    const char *name, const void *lock, const char *via, const void *var)
{
	struct uld__class *c;
	sigset_t old;

	int own = (kind == ULD_CLASS_INIT_SITE || kind == ULD_CLASS_STATIC ||
		      kind == ULD_CLASS_ACQUIRE_SITE) &&
	    uld__sym_is_own(key);
	/* Decided once per site, here: a program-given name (the
	 * kernel-style API's lock expression) is the program's choice. */
	char fn[256];
	int site = kind == ULD_CLASS_INIT_SITE && var == NULL && !own;
	int wrapper = site && name == NULL &&
	    uld__initwrap_match(key, fn, sizeof(fn));
	char *vn = wrapper ? uld__strdup(fn) : NULL;
	/* Only a site's class is named after its first lock's variable. */
	int is_static = (kind == ULD_CLASS_INIT_SITE ||
			    kind == ULD_CLASS_ACQUIRE_SITE) &&
	    lock != NULL && uld__sym_is_static(lock);
	int statics = site && name == NULL && is_static;
	char *n = name != NULL ? uld__strdup(name) : NULL;
	char *nv = via != NULL ? uld__strdup(via) : NULL;

	uld__graph_enter(&old);
	c = lookup(kind, key, name, var);
	if (c == NULL) {
		c = new_class(kind, key, type, n, 0);
		n = NULL;
		if (c != NULL) {
			c->own = own;
			c->via = vn;
			vn = NULL;
			c->name_via = nv;
			nv = NULL;
			/* The site's own class of a site of statics holds no
			 * static lock: not named after one. */
			c->name_lock = is_static && !statics ? lock : NULL;
			c->var = var;
			/* Set before the class is published: a reader that
			 * finds it sees the flags. */
			c->wrapper = wrapper;
			c->statics = statics;
			c->base = c;
			c->sub[0] = c;
			rcu_read_lock();
			cds_lfht_add(class_ht.ht, class_hash(kind, key, var),
			    &c->node);
			rcu_read_unlock();
			uld__lfht_added(&class_ht, 1);
		}
	}
	uld__graph_leave(&old);
	uld__free(n);
	uld__free(vn);
	uld__free(nv);
	/* Named here, at once: verbosity=2 is for looking at the validator
	 * itself. */
	if (c != NULL && uld__opts.verbosity >= 2) {
		char line[600];
		struct uld__buf b;
		uld__buf_init(&b, line, sizeof(line));
		uld__buf_printf(&b, "ulockdep: new lock class %s\n",
		    uld__class_name(c));
		uld__write_all(2, b.p, b.len);
	}
	return c;
}

/*
 * `c` is a constructor's init site: the class of the site that called the
 * constructor (or its caller's, for a constructor called by another one),
 * keyed by that call's return address like any init site.  The wrapper's
 * own class stays as the fallback when the stack does not show the site.
 */
static struct uld__class *
wrapped(struct uld__class *c, enum uld_lock_type type, const void *lock)
{
	void *up[ULD_INITWRAP_DEPTH];
	int n = uld__initwrap_callers(c->key, up, (int)ULD_ARRAY_SIZE(up));

	for (int i = 0; i < n && c->wrapper; i++) {
		struct uld__class *cc = lookup(ULD_CLASS_INIT_SITE, up[i], NULL,
		    NULL);
		if (cc == NULL)
			cc = create(ULD_CLASS_INIT_SITE, up[i], type, NULL, lock,
			    c->via, NULL);
		if (cc == NULL)
			break;
		c = cc;
	}
	return c;
}

/*
 * `c` is an init site whose first lock was in static storage: a static
 * lock initialised there is classed by the site and the object that holds
 * it.  A program's statics made through one helper (V8's lazily made
 * mutexes are all made by one CallOnceImpl) are different locks, and
 * nesting two of them is no recursion; all the locks of one static array
 * or structure made there still share a class, as at any init site.  A
 * lock not in static storage, or in one without a symbol, keeps `c`.
 */
static struct uld__class *
static_var(struct uld__class *c, enum uld_lock_type type, const void *lock)
{
	struct uld__symbol s;

	if (lock == NULL || !uld__sym_is_static(lock) ||
	    uld__sym_object(lock, &s) != 0 || s.start == 0)
		return c;
	const void *var = (const void *)s.start;
	struct uld__class *cc = lookup(ULD_CLASS_INIT_SITE, c->key, NULL, var);
	if (cc == NULL)
		cc = create(ULD_CLASS_INIT_SITE, c->key, type, NULL, lock,
		    c->name_via, var);
	return cc != NULL ? cc : c;
}

struct uld__class *
uld__class_get(enum uld__class_kind kind, const void *key,
    enum uld_lock_type type, const char *name, const void *lock)
{
	struct uld__class *c;

	if (kind == ULD_CLASS_NAME)
		key = (const void *)(uintptr_t)uld__fnv1a(ULD_FNV_INIT, name,
		    strlen(name));
	c = lookup(kind, key, name, NULL);
	if (c == NULL)
		c = create(kind, key, type, name, lock, NULL, NULL);
	/* The one cost for an ordinary init site: these tests. */
	if (uld__unlikely(c != NULL && c->wrapper))
		c = wrapped(c, type, lock);
	/* Not for the kernel-style API's named inits: spin_lock_init gives
	 * its call site one class there, as in the kernel. */
	if (uld__unlikely(c != NULL && c->statics) && name == NULL)
		c = static_var(c, type, lock);
	return c;
}

/*
 * A module's code and data [lo, hi) are gone (dlclose): the classes keyed
 * by an address in it (static locks, init and acquisition sites) leave the
 * table, so that a module mapped there later gets classes of its own.
 * They are not freed: their names (copies) and edges stay for reports,
 * and locks on the heap whose class is an init site in the module keep
 * it.  Under uld__graph_lock, like every change of the table.
 */
void
uld__class_retire_range(uintptr_t lo, uintptr_t hi)
{
	long n = 0;

	rcu_read_lock();
	for (struct uld__class *c = first; c; c = c->next) {
		uintptr_t k = (uintptr_t)c->key, v = (uintptr_t)c->var;
		/* A static lock's class goes with its variable's module
		 * too. */
		if (v >= lo && v < hi)
			k = v;
		if (c->base != c || c->retired || k < lo || k >= hi ||
		    (c->kind != ULD_CLASS_STATIC &&
			c->kind != ULD_CLASS_INIT_SITE &&
			c->kind != ULD_CLASS_ACQUIRE_SITE))
			continue;
		/* Named while the module's symbols are still known (they
		 * are kept past the unload, symbols.c) and its file there. */
		(void)uld__class_name(c);
		if (cds_lfht_del(class_ht.ht, &c->node) == 0) {
			c->retired = 1;
			n++;
		}
	}
	rcu_read_unlock();
	if (n)
		uld__lfht_added(&class_ht, -n);
}

struct uld__class *
uld__class_sub(struct uld__class *base, unsigned sub)
{
	struct uld__class *c;
	sigset_t old;

	if (sub > ULD_MAX_SUBCLASS)
		sub = ULD_MAX_SUBCLASS;
	c = __atomic_load_n(&base->sub[sub], __ATOMIC_ACQUIRE);
	if (uld__likely(c != NULL))
		return c;

	uld__graph_enter(&old);
	c = base->sub[sub];
	if (c == NULL) {
		/* Named "base/N" when first asked (uld__class_name). */
		c = new_class(base->kind, base->key, base->type, NULL, sub);
		if (c != NULL) {
			c->own = base->own;
			c->base = base;
			__atomic_store_n(&base->sub[sub], c, __ATOMIC_RELEASE);
		}
	}
	uld__graph_leave(&old);
	return c ? c : base;
}

/*
 * Does the program allocate with a malloc that takes no lock the validator
 * sees (the C library's, ASan's, valgrind's)?  Then naming, which reaches
 * that malloc through libdw, is safe on any acquisition.  A malloc of the
 * program's own (rustc's jemalloc, in the executable) may take pthread
 * mutexes, and one of them may be the lock being taken.  -1: not asked.
 */
static int malloc_quiet = -1;

static int
quiet_malloc(void)
{
	int q = __atomic_load_n(&malloc_quiet, __ATOMIC_RELAXED);

	if (q < 0) {
		static const char *const quiet[] = { "libc.so", "libasan",
			"vgpreload", NULL };
		void *m = dlsym(RTLD_DEFAULT, "malloc");
		q = m != NULL && uld__sym_in_module(m, quiet);
		__atomic_store_n(&malloc_quiet, q, __ATOMIC_RELAXED);
	}
	return q;
}

void
uld__class_name_early(const struct uld__class *c, unsigned depth, int try)
{
	if (uld__likely(__atomic_load_n(&c->name_, __ATOMIC_RELAXED) != NULL))
		return;
	/* A static variable is named from the symbol tables alone.  Else,
	 * with the program's own malloc: only when this thread holds no lock
	 * and is not past a trylock, so holds none of its allocator's. */
	if (c->kind == ULD_CLASS_STATIC || quiet_malloc() ||
	    (depth == 0 && !try))
		(void)uld__class_name(c);
}

const char *
uld__class_name(const struct uld__class *cc)
{
	struct uld__class *c = (struct uld__class *)cc; /* a cache */
	char *n = __atomic_load_n(&c->name_, __ATOMIC_ACQUIRE);

	if (uld__likely(n != NULL))
		return n;
	if (c->base != NULL && c->base != c) {
		char buf[600];
		struct uld__buf b;
		uld__buf_init(&b, buf, sizeof(buf));
		uld__buf_printf(&b, "%s/%u", uld__class_name(c->base),
		    (unsigned)c->subclass);
		n = uld__strdup(uld__buf_str(&b));
	} else {
		n = make_name(c->kind, c->key, c->type, c->name_lock,
		    c->name_via, c->var);
	}
	if (n == NULL)
		return "(out of memory)";
	/* Two threads may name it at once: the same name; one is kept. */
	char *none = NULL;
	if (!__atomic_compare_exchange_n(&c->name_, &none, n, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		uld__free(n);
		n = none;
	}
	return n;
}
