/*
 * demangle.h: C++ symbol names as a C++ programmer reads them.
 *
 * The ELF symbol tables name C++ functions and variables by their mangled
 * names (_ZN12_GLOBAL__N_14spinE); reports show them demangled
 * ((anonymous namespace)::spin), as gdb, TSan and Helgrind do.
 */
#ifndef ULD_DEMANGLE_H
#define ULD_DEMANGLE_H

/*
 * The demangled form of `name` (a symbol name that lives as long as the
 * process), or `name` itself when it is not a mangled C++ name, cannot be
 * demangled, or this build has no demangler (configure without
 * libiberty).  The result lives as long as the process.
 *
 * Demangling a new name takes stack in proportion to its length (tens of
 * kilobytes for a long template name), too much for a signal handler's
 * stack: in a handler (uld__stack_in_handler) only names demangled before
 * are given, and others stay mangled.  No lock, no program heap.
 */
const char *uld__demangle(const char *name);

#endif /* ULD_DEMANGLE_H */
