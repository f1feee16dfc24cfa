/*
 * alloc.h: the validator's own memory (see alloc.c for why jemalloc).
 * Not async-signal-safe: jemalloc takes locks.
 */
#ifndef ULD_ALLOC_H
#define ULD_ALLOC_H

#include <stddef.h>

void *uld__malloc(size_t size);
void *uld__calloc(size_t n, size_t size);
void *uld__realloc(void *p, size_t size);
void uld__free(void *p);
/* Start jemalloc and our arena now (see init.c's fork handlers). */
void uld__alloc_init(void);
char *uld__strdup(const char *s);

#endif /* ULD_ALLOC_H */
