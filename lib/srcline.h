/*
 * srcline.h: file:line and inlined calls of a code address, from the
 * module's DWARF (elfutils libdw).  Built --without-libdw, it finds
 * nothing and frames keep function+offset.
 *
 * Owns one Dwfl per module, opened at its first lookup and kept for the
 * life of the process, under srcline_lock (rank 6, mutex.h), which is held
 * across libdw calls and with no other validator lock but the graph lock.
 *
 * NOT async-signal-safe, and not free of the program's heap: libdw and
 * libelf allocate with the program's malloc (they have no allocator hook).
 * symframe.c never calls it from a signal handler; this file blocks every
 * signal while libdw runs, so no handler interrupts its malloc.
 */
#ifndef ULD_SRCLINE_H
#define ULD_SRCLINE_H

#include <stdint.h>

#include "symbols.h"

/*
 * For the code address pc (already ip - 1) in out->module, loaded at
 * out->module_base, with its separate debug file debug_file (or NULL):
 * set out->file, out->line and out->inl[]/ninline; and the function from
 * DWARF when out->function is NULL (a module without any symbol table).
 * 0 if the line was found.
 */
int uld__srcline(uintptr_t pc, const char *debug_file, struct uld__frame *out);

/*
 * Only the line table's position for pc (the innermost one, inside an
 * inlined function too): *file, as the line table spells it (absolute
 * or relative to some directory: use its basename), and *line.  No scopes: after the first lookup in a CU (its line table
 * is parsed once and kept by libdw) a binary search, against the
 * hundreds of thousands of instructions of walking the CU's DIEs for
 * the inlined calls.  0 if found.
 */
int uld__srcline_pos(uintptr_t pc, const char *module, uintptr_t base,
    const char *debug_file, const char **file, unsigned *line);

/* fork(): hold srcline_lock across it; release (parent) or reset. */
void uld__srcline_prefork(void);
void uld__srcline_postfork(int child);

#endif /* ULD_SRCLINE_H */
