/*
 * memfile.h: a fuzz input as a file path, for readers that take a path.
 *
 * The suppressions and graph readers open files; giving them the input
 * through a memfd keeps their real open/read path under the fuzzer with
 * no disk I/O.  One memfd per process, rewritten for each input.
 */
#ifndef ULD_FUZZ_MEMFILE_H
#define ULD_FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a file holding data[0..size), or NULL when that failed. */
static inline const char *
fuzz_memfile(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("uld-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		return NULL;
	return path;
}

#endif /* ULD_FUZZ_MEMFILE_H */
