/*
 * dwload.c: dlopen() libdw at the first source line wanted (dwload.h).
 */
#include "dwload.h"

#include <dlfcn.h>
#include <stddef.h>

/* The soname libdw has had since elfutils 0.1xx; what libdw-dev links. */
#define ULD_LIBDW_SONAME "libdw.so.1"

static struct uld__dw dw;
static int state; /* 0 not tried, 1 loaded, -1 not available */

const struct uld__dw *
uld__dw_load(void)
{
	if (state == 0) {
		/* RTLD_LOCAL: libdw's symbols stay out of the program's
		 * global scope, as if it were not there. */
		void *h = dlopen(ULD_LIBDW_SONAME, RTLD_NOW | RTLD_LOCAL);
		state = h != NULL ? 1 : -1;
#define ULD_DW_SYM(name)                                                     \
		if (state == 1 &&                                            \
		    (dw.name = (__typeof__(dw.name))dlsym(h, #name)) == NULL) \
			state = -1;
		ULD_DW_FUNCS(ULD_DW_SYM)
#undef ULD_DW_SYM
		dw.free = (void (*)(void *))dlsym(RTLD_DEFAULT, "free");
		if (dw.free == NULL)
			state = -1;
		/* The handle stays open for the life of the process: the
		 * Dwfl handles of srcline.c live as long. */
	}
	return state == 1 ? &dw : NULL;
}
