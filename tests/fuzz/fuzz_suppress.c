/*
 * fuzz_suppress.c: libFuzzer target for the suppressions file parser
 * (lib/suppress.c), built by `make fuzz` from suppress.c, glob.c,
 * options.c and out.c, without the rest of the core.
 *
 * The parser reads a file by name (read(2), so a pipe works too): the
 * input is written to a memfd, loaded through /proc/self/fd/N, and the
 * rules are matched against a report naming two classes, which runs
 * every accepted pattern through glob.c.  Frames are not matched: the
 * report has no stacks, and the symbol lookup and class naming are
 * stubbed out.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "class.h"
#include "memfile.h"
#include "demangle.h"
#include "report.h"
#include "suppress.h"
#include "symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define X(id, name, headline) +1
enum { NKINDS = 0 ULD_REPORT_KINDS(X) };
#undef X

/* No stack in the report below ever reaches it. */
int
uld__sym_function(const void *ip, struct uld__symbol *out)
{
	(void)ip;
	memset(out, 0, sizeof(*out));
	return -1;
}

const char *
uld__demangle(const char *name)
{
	return name;
}

/* The report's two classes are named below. */
const char *
uld__class_name(const struct uld__class *c)
{
	return c->name_;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_memfile(data, size);
	static struct uld__class classes[2];
	static struct uld__report rep;
	const char *what;

	if (path == NULL)
		return 0;
	uld__suppress_load(path);

	memset(&rep, 0, sizeof(rep));
	rep.signature = 0x14aed2c2fe60f0b7ULL;
	classes[0].name_ = (char *)"stats_lock";
	classes[1].name_ = (char *)"libvendor.so:queue[3]";
	rep.locks[0].class = &classes[0];
	rep.locks[1].class = &classes[1];
	rep.nlocks = 2;
	for (int k = 0; k < NKINDS; k++) {
		rep.kind = (enum uld__report_kind)k;
		uld__suppress_match(&rep, &what);
	}
	uld__suppress_reset();
	return 0;
}
