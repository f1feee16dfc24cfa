/*
 * jemalloc_libm.c: exp(), log() and round() for the static jemalloc, from
 * libm loaded at the first call instead of at every start.
 *
 * libjemalloc_pic.a (--with-static-jemalloc) calls these three from its
 * heap profiler only (prof.c, prof_data.c), which runs only when asked for
 * (MALLOC_CONF=prof:true).  Linking -lm for them loaded libm.so.6 into
 * every process the preload starts, a library most C programs never load
 * (make bench-startup).  These definitions are hidden (and not in
 * libulockdep.sym): the link resolves jemalloc's calls here, and the
 * program's own exp/log/round stay libm's.  libm's are the ones that run,
 * so the results are libm's; if libm cannot be loaded the answer is a NaN,
 * which only makes a profile asked for wrong, never the validator.
 */
#include <dlfcn.h>
#include <stddef.h>

#define ULD_LIBM_SONAME "libm.so.6"

typedef double (*uld__math_fn)(double);

/* dlopen() once; the handle stays open for the life of the process. */
static uld__math_fn
libm_fn(const char *name)
{
	static void *h;
	void *lh = __atomic_load_n(&h, __ATOMIC_ACQUIRE);

	if (lh == NULL) {
		/* RTLD_LOCAL: the program's scope stays as it was. */
		lh = dlopen(ULD_LIBM_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (lh == NULL)
			return NULL;
		__atomic_store_n(&h, lh, __ATOMIC_RELEASE);
	}
	return (uld__math_fn)dlsym(lh, name);
}

#define ULD_LIBM_FN(name)                                                    \
	__attribute__((visibility("hidden"))) double name(double x);        \
	double name(double x)                                               \
	{                                                                   \
		static uld__math_fn f;                                      \
		uld__math_fn g = __atomic_load_n(&f, __ATOMIC_ACQUIRE);     \
		if (g == NULL) {                                            \
			if ((g = libm_fn(#name)) == NULL)                   \
				return __builtin_nan("");                   \
			__atomic_store_n(&f, g, __ATOMIC_RELEASE);          \
		}                                                           \
		return g(x);                                                \
	}

ULD_LIBM_FN(exp)
ULD_LIBM_FN(log)
ULD_LIBM_FN(round)
