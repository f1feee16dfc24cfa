/*
 * pageidx.h: which memory pages hold known lock instances.
 *
 * free(), realloc() and munmap() must forget the locks in the memory they
 * give back (a new lock at the same address is a new instance, with no
 * class inherited from the dead one) and report the ones still held.  The
 * lock map is keyed by address and cannot answer "which locks lie in
 * [p, p+len)"; this index can.  A radix table maps each page to a bitmap
 * of where instances start on it, so adding or removing one is a bit
 * operation without a lock, a free of memory with no lock in it costs a
 * page-table walk of two loads and a bitmap test per page, and a process
 * with no instance at all one load.
 */
#ifndef ULD_PAGEIDX_H
#define ULD_PAGEIDX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Some instance has been indexed (0: free() has nothing to look at).  It
 * stays 1: a count would be one cache line that every init and destroy
 * of every thread writes, and a program's static locks keep it above 0
 * anyway; the filter (uld__pageidx_hits) answers the rest.
 */
extern int uld__pageidx_used;

/* An instance now lives at addr / no longer does.  Lock-free for a
 * 4-aligned addr (every lock type); any other takes the index lock. */
void uld__pageidx_add(void *addr);
void uld__pageidx_del(void *addr);
/* Might an instance lie within [p, p + len)?  Lock-free, no syscall: the
 * filter in front of uld__pageidx_range. */
int uld__pageidx_hits(const void *p, size_t len);
/*
 * Up to `max` instance addresses within [p, p + len) into out[]; returns
 * how many there are in all (more than max: call again after forgetting
 * those).  Takes the index lock: ask uld__pageidx_hits() first.
 */
size_t uld__pageidx_range(const void *p, size_t len, void **out, size_t max);
/* fork(): hold the index lock across it. */
void uld__pageidx_prefork(void);
void uld__pageidx_postfork(int child);

#endif /* ULD_PAGEIDX_H */
