/*
 * dwload.h: elfutils' libdw, loaded at its first use rather than with the
 * validator.
 *
 * Linking libdw would make every process under the preload load libdw,
 * libelf, libz, libbz2 and liblzma (and relocate them) before main(), a
 * few milliseconds of start-up for the file:line of a report that most
 * runs never print.  Instead srcline.c calls libdw through these
 * pointers, filled by uld__dw_load() the first time a frame or a class
 * name needs a source line.
 *
 * uld__dw_load() calls dlopen(), which takes the dynamic linker's lock
 * and allocates with the program's malloc: never call it from a signal
 * handler (symframe.c has a handler's frames symbolized by another
 * thread).  srcline.c calls it under srcline_lock with signals blocked.
 */
#ifndef ULD_DWLOAD_H
#define ULD_DWLOAD_H

#include <dwarf.h>
#include <elfutils/libdwfl.h>

/* X(name) for every libdw function srcline.c uses. */
#define ULD_DW_FUNCS(X)                                                      \
	X(dwfl_begin) X(dwfl_end) X(dwfl_report_elf) X(dwfl_report_end)      \
	X(dwfl_module_addrdie) X(dwfl_module_getsrc) X(dwfl_lineinfo)        \
	X(dwfl_line_comp_dir) X(dwarf_attr) X(dwarf_formudata)               \
	X(dwarf_formstring) X(dwarf_getscopes) X(dwarf_getscopes_die)        \
	X(dwarf_getsrcfiles) X(dwarf_filesrc) X(dwarf_tag) X(dwarf_diename) \
	X(dwarf_lowpc) X(dwarf_highpc)

struct uld__dw {
#define ULD_DW_PTR(name) __typeof__(name) *name;
	ULD_DW_FUNCS(ULD_DW_PTR)
#undef ULD_DW_PTR
	/* The free() that libdw's malloc() pairs with: the program's, from
	 * the global scope.  A plain free() here may be the hidden jemalloc
	 * linked into this library (--with-static-jemalloc). */
	void (*free)(void *);
};

/*
 * The functions, or NULL when libdw cannot be loaded (not installed, or
 * lacking one of them): frames then keep function+offset.  Loads once;
 * later calls return what the first found.  Not thread-safe: the caller
 * serialises (srcline_lock).
 */
const struct uld__dw *uld__dw_load(void);

#endif /* ULD_DWLOAD_H */
