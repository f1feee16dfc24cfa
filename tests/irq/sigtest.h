/*
 * sigtest.h: what the signal test programs (storm.c, held.c, unrec.c)
 * share: CHECK (check.h), a clock, and where the validator's
 * code and libc's syscall() lie, to tell from an interrupted pc whether a
 * handler landed in them.
 */
#ifndef ULD_TESTS_SIGTEST_H
#define ULD_TESTS_SIGTEST_H

#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../utils/check.h"

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The function f's code, [*lo, *hi): 0 when its size is not known. */
static inline int
sym_range(void *f, uintptr_t *lo, uintptr_t *hi)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;

	if (f == NULL || !dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) ||
	    sym == NULL)
		return 0;
	*lo = (uintptr_t)f;
	*hi = *lo + sym->st_size;
	return 1;
}

/* libc's syscall(), which the validator calls to block and unblock. */
static __attribute__((unused)) uintptr_t syscall_lo, syscall_hi;

static inline void
find_syscall(void)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);

	if (libc != NULL)
		sym_range(dlsym(libc, "syscall"), &syscall_lo, &syscall_hi);
}

/* The validator's code (libulockdep.so): dl_iterate_phdr(find_core, NULL). */
static __attribute__((unused)) uintptr_t core_lo[4], core_hi[4];
static __attribute__((unused)) int ncore;

static inline int
find_core(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	const char *base = strrchr(info->dlpi_name, '/');
	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, "libulockdep.so", 14) != 0)
		return 0;
	for (int i = 0; i < info->dlpi_phnum && ncore < 4; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			core_lo[ncore] = info->dlpi_addr + ph->p_vaddr;
			core_hi[ncore] = core_lo[ncore] + ph->p_memsz;
			ncore++;
		}
	}
	return 0;
}

#endif /* ULD_TESTS_SIGTEST_H */
