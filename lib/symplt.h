/*
 * symplt.h: names for the PLT stubs of a module, as objdump gives them
 * (pthread_mutex_lock@plt; the lazy-binding stub at the head of .plt is
 * named after its section, .plt).
 *
 * No symbol table lists the stubs, so the nearest symbol below one is
 * whatever precedes .plt (_init): a stack sampled while its thread was in
 * a stub (the watchdog's "where the owner is now") showed "_init+144".
 * The stubs are read from the module's file: each one's jump through the
 * GOT names its slot, and the dynamic relocation of that slot names the
 * function.  x86-64 stubs are decoded; elsewhere a stub is named by its
 * section.
 *
 * Called by symbols.c under its lock, with the module's file mapped.
 */
#ifndef ULD_SYMPLT_H
#define ULD_SYMPLT_H

#include <stddef.h>
#include <stdint.h>

/* One stub, or (head != 0) a section's whole range, named after the
 * section: link-time address, size, name (lives as long as the mapping,
 * or in the validator's arena). */
typedef void uld__plt_fn(void *arg, uintptr_t value, size_t size,
    const char *name, int head);

/* Call fn for each PLT stub of the ELF file mapped at map (size bytes,
 * section headers checked to lie inside it); the number of calls. */
size_t uld__plt_symbols(const char *map, size_t size, uld__plt_fn *fn,
    void *arg);

#endif
