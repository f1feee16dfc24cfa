/*
 * sitename.c: class names made on first sight of a site, each kind of
 * site at once, checked against the source lines by sitename.sh.
 *
 *   sitename cycle|silent MODULE_DIR
 *
 * Four classes:
 *   A  a heap lock initialised inside an always_inline helper: named by
 *      the innermost position, the helper's line (what the first frame of
 *      a stack through it shows, inl[0]);
 *   V  a static lock initialised at run time: "sitename_var [site]";
 *   H  a heap lock never initialised (calloc), first taken inside an
 *      always_inline helper: named by that first acquisition;
 *   M  a heap lock initialised in liblifemod1.so (life_mod.c), which is
 *      closed before the report: named while its module was there.
 * Taken M -> A -> H -> V (M held by the module's mod_lock_then), the
 * module closed, then "cycle": V -> M, a cycle through all four;
 * "silent": M -> V, one order.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t sitename_var;
static pthread_mutex_t *a, *h;

static inline __attribute__((always_inline)) void
init_inl(pthread_mutex_t *m)
{
	pthread_mutex_init(m, NULL); /* inlined init of A */
}

static inline __attribute__((always_inline)) void
lock_inl(pthread_mutex_t *m)
{
	pthread_mutex_lock(m); /* inlined first lock of H */
}

__attribute__((noinline)) static void
make_locks(void)
{
	a = malloc(sizeof(*a));
	h = calloc(1, sizeof(*h)); /* all zero: PTHREAD_MUTEX_INITIALIZER */
	init_inl(a);
	pthread_mutex_init(&sitename_var, NULL); /* init of V */
	__asm__ volatile("" ::: "memory");
}

/* Under M: A -> H -> V. */
static void
a_h_v(void)
{
	pthread_mutex_lock(a);
	lock_inl(h);
	pthread_mutex_lock(&sitename_var);
	pthread_mutex_unlock(&sitename_var);
	pthread_mutex_unlock(h);
	pthread_mutex_unlock(a);
}

static void
nest(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
	pthread_mutex_lock(outer);
	pthread_mutex_lock(inner);
	pthread_mutex_unlock(inner);
	pthread_mutex_unlock(outer);
}

int
main(int argc, char **argv)
{
	char path[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: sitename cycle|silent MODULE_DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/liblifemod1.so", argv[2]);
	void *mod = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (mod == NULL) {
		printf("dlopen failed: %s\n", dlerror());
		return 3;
	}
	pthread_mutex_t *(*new_lock)(void) =
	    (pthread_mutex_t * (*)(void)) dlsym(mod, "mod_new_lock");
	void (*lock_then)(pthread_mutex_t *, void (*)(void)) =
	    (void (*)(pthread_mutex_t *, void (*)(void)))dlsym(mod,
		"mod_lock_then");
	if (new_lock == NULL || lock_then == NULL)
		return 3;

	make_locks();
	pthread_mutex_t *m = new_lock();
	lock_then(m, a_h_v);
	dlclose(mod);
	if (argv[1][0] == 'c')
		nest(&sitename_var, m);
	else
		nest(m, &sitename_var);
	return 0;
}
