/*
 * symbols.h: addresses to names, from the modules' full ELF symbol tables.
 *
 * dladdr() only sees the dynamic symbol table, which lacks static
 * functions and nearly every variable of an executable; lock classes of
 * statically initialised locks are named by their variable, so we read
 * .symtab ourselves (falling back to .dynsym when the file is stripped).
 *
 * Owns the module cache, under uld__sym_lock (rank 2, mutex.h).  Not
 * async-signal-safe (it may open and map files); never called from a
 * signal handler.  Returned strings live as long as the process.
 */
#ifndef ULD_SYMBOLS_H
#define ULD_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct uld__symbol {
	const char *module;	/* path of the module, or NULL */
	uintptr_t module_base;	/* its load address (dlpi_addr) */
	const char *name;	/* symbol name, or NULL */
	uintptr_t start;	/* run-time address of the symbol */
	size_t size;
	uintptr_t offset;	/* queried address - start */
};

/* The function containing code address ip.  0 when found. */
int uld__sym_function(const void *ip, struct uld__symbol *out);
/* The data object containing addr.  0 when found. */
int uld__sym_object(const void *addr, struct uld__symbol *out);
/* addr lies in a module's writable segment (.data/.bss): a static. */
int uld__sym_is_static(const void *addr);
/* ip lies in a module whose path contains one of the given substrings. */
int uld__sym_in_module(const void *ip, const char *const *needles);
/*
 * Record where the validator's own modules (libulockdep, jemalloc, urcu,
 * libunwind) are mapped.  Allocates nothing; call once at start-up.
 */
void uld__sym_init_own(void);
/* addr (code or data) lies in one of those modules.  Allocates nothing. */
int uld__sym_is_own(const void *addr);
/* fork(): hold the symbol lock across it; release (parent) or reset. */
void uld__sym_prefork(void);
void uld__sym_postfork(int child);

#endif /* ULD_SYMBOLS_H */
