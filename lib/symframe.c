/*
 * symframe.c: one stack frame symbolized (uld__sym_frame).
 */
#include <string.h>

#include "symbols.h"

int
uld__sym_frame(const void *ip, struct uld__frame *out)
{
	struct uld__symbol s;
	int found = uld__sym_function((const char *)ip - 1, &s);

	memset(out, 0, sizeof(*out));
	out->ip = ip;
	out->module = s.module;
	out->module_base = s.module_base;
	if (found == 0) {
		out->function = s.name;
		out->offset = (uintptr_t)ip - s.start;
		out->size = s.size;
		return 0;
	}
	out->offset = (uintptr_t)ip - s.module_base;
	return -1;
}
