/*
 * keysort.h: heapsort of an array of records that each begin with a
 * uint64_t key (an address: symbols by value, GOT slots by offset).
 *
 * Not qsort(): glibc's allocates its merge buffer from the program's
 * heap, and the symbol tables are sorted under validator locks, possibly
 * in a signal handler.  In place, no allocation, no recursion.
 */
#ifndef ULD_KEYSORT_H
#define ULD_KEYSORT_H

#include <stddef.h>

/* Sort n records of `size` bytes (at most 64) at base by their leading
 * uint64_t, ascending; equal keys in no particular order. */
void uld__keysort(void *base, size_t n, size_t size);

#endif
