/*
 * fuzz_options.c: libFuzzer target for the ULOCKDEP_OPTIONS parser
 * (lib/options.c), built by `make fuzz` from options.c and out.c alone.
 *
 * The input is one options string (a NUL ends it early, as in the
 * environment).  Each input is parsed over the defaults; every set
 * signal is then named back, as help and the reports do.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct uld__options o;
	static char errmem[4096];
	struct uld__buf err;
	char name[32];
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	uld__buf_init(&err, errmem, sizeof(errmem));
	uld__options_defaults(&o);
	uld__options_parse(&o, s, "ULOCKDEP_OPTIONS", &err);
	uld__buf_str(&err);
	for (int sig = 1; sig <= 64; sig++)
		if (o.softirq_signals & (1ULL << (sig - 1)))
			uld__signal_name(sig, name, sizeof(name));
	free(s);
	return 0;
}
