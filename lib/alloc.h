/*
 * alloc.h: the validator's own memory (see alloc.c for why jemalloc).
 * Not async-signal-safe: jemalloc takes locks.
 */
#ifndef ULD_ALLOC_H
#define ULD_ALLOC_H

#include <stddef.h>

/* Read the test hook (alloc.c); first thing at start-up. */
void uld__alloc_hook_init(void);

/* NULL when memory ran out; the validator has then stopped (init.h). */
void *uld__malloc(size_t size);
void *uld__calloc(size_t n, size_t size);
void *uld__realloc(void *p, size_t size);
void uld__free(void *p);
/* Start jemalloc and our arena now (see init.c's fork handlers). */
void uld__alloc_init(void);
char *uld__strdup(const char *s);
/*
 * Memory for a record kept until the process ends (a validated chain, a
 * stored stack): never freed, 8-byte aligned, carved from large blocks.
 * Under uld__graph_lock.  NULL when memory ran out, as uld__malloc.
 */
void *uld__perm_alloc(size_t size);
/*
 * Arrays that grow under uld__graph_lock (a class's edges): the caller
 * passes the size it asked for before, as free() would not know it.
 * uld__pool_realloc(NULL, 0, n) allocates; contents are not zeroed; on
 * failure NULL, and the old block stays.  Under uld__graph_lock.
 */
void *uld__pool_realloc(void *p, size_t old_size, size_t size);
void uld__pool_free(void *p, size_t size);
/*
 * Map in the whole pages of [p, p + len) now, that the caller is about to
 * fill anyway: one system call for them all instead of a fault per page.
 * Best effort (a kernel older than 5.14 faults them in as before).
 */
void uld__prefault(void *p, size_t len);

#endif /* ULD_ALLOC_H */
