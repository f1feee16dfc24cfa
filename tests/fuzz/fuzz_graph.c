/*
 * fuzz_graph.c: libFuzzer target for the saved lock graph reader
 * (tools/graphfile.c, tools/graphline.c; doc/graph-format.md), built by
 * `make fuzz` from the command's sources.
 *
 * The reader takes file names (it re-reads stacks from them later), so
 * the input is written to a memfd and read as /proc/self/fd/N into a
 * fresh union: header, records, the checks against earlier lines, the
 * trailer, then the run lists and adjacency built after reading.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "graphfile.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_memfile(data, size);
	char *paths[1] = { (char *)path };
	struct uldt_union u;

	if (path == NULL)
		return 0;
	uldt_gf_init(&u);
	uldt_gf_read_all(&u, paths, 1);
	uldt_gf_free(&u);
	return 0;
}
