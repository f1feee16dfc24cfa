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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	char *paths[1] = { path };
	struct uldt_union u;

	if (fd < 0) {
		fd = memfd_create("uld-fuzz-graph", MFD_CLOEXEC);
		if (fd < 0)
			return 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	uldt_gf_init(&u);
	uldt_gf_read_all(&u, paths, 1);
	uldt_gf_free(&u);
	return 0;
}
