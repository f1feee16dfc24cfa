/*
 * real.c: finding the wrapped functions in the C library.
 */
#include "real.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define X(ret, name, args) ret(*uld__real_##name) args;
ULD_REAL_FUNCS(X)
#undef X

void *
uld__real_resolve(const char *name, void *self)
{
	void *p = dlsym(RTLD_NEXT, name);

	/* RTLD_NEXT finds nothing when this library comes after libc in the
	 * search order (linked, not preloaded); the default scope then may
	 * return our own definition, which would recurse forever. */
	if (p == NULL || p == self) {
		p = dlsym(RTLD_DEFAULT, name);
		if (p == self)
			p = NULL;
	}
	if (p == NULL) {
		static const char pre[] = "ulockdep: cannot find the real ";
		static const char post[] = " in the C library; aborting\n";
		write(2, pre, sizeof(pre) - 1);
		write(2, name, strlen(name));
		write(2, post, sizeof(post) - 1);
		abort();
	}
	return p;
}

__attribute__((constructor)) static void
resolve_all(void)
{
#define X(ret, name, args) (void)REAL(name);
	ULD_REAL_FUNCS(X)
#undef X
}
