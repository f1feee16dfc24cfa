/*
 * symbols.h: addresses to names, from the modules' full ELF symbol tables.
 *
 * dladdr() only sees the dynamic symbol table, which lacks static
 * functions and nearly every variable of an executable; lock classes of
 * statically initialised locks are named by their variable, so we read
 * .symtab ourselves: the module's, else its separate debug file's (found
 * by build ID or .gnu_debuglink, as libc6-dbg installs them), else .dynsym.
 *
 * Owns the module cache, under uld__sym_lock (rank 4, mutex.h).  Not
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
	const char *debug_file;	/* its separate debug file, or NULL */
	const char *name;	/* symbol name, or NULL */
	uintptr_t start;	/* run-time address of the symbol */
	size_t size;
	uintptr_t offset;	/* queried address - start */
	int plt;		/* a PLT stub (name@plt) or its section */
};

/*
 * One frame of a stack, symbolized: what reports and the saved graph show
 * (contract.md: {ip, function, offset, module, file, line}).  `ip` is a
 * return address, as stacks hold them: it is looked up at ip - 1, so a call
 * at the very end of a function is not named after the next one; or an
 * exact ip (uld__sym_exact, below), looked up where it is.
 *
 * When the call was inlined, inl[0..ninline) are the inlined functions,
 * innermost first, each shown as an extra frame (same ip) before the real
 * one: inl[0] is where ip lies; inl[i + 1] is where inl[i] was called from;
 * file:line of the frame itself is where the outermost inlined function was
 * called from (eu-addr2line -i, the kernel's decoded stack traces).
 *
 * Every string lives as long as the process.
 */
#define ULD_SYM_MAX_INLINE 8

struct uld__frame_inline {
	const char *function;	/* the inlined function, or NULL */
	const char *file;	/* source file, or NULL */
	unsigned line;		/* 0: unknown */
};

struct uld__frame {
	const void *ip;		/* as given (uld__sym_addr: the address) */
	const char *function;	/* ELF symbol containing ip - 1 (or ip,
				 * exact), or NULL */
	uintptr_t offset;	/* ip - function start; ip - module base
				 * when function is NULL */
	size_t size;		/* the function's size (0: unknown) */
	const char *module;	/* path of the module, or NULL */
	uintptr_t module_base;	/* its load address (dlpi_addr) */
	const char *file;	/* source file of the call (DWARF), or NULL:
				 * relative to the compilation directory */
	unsigned line;		/* 0: unknown */
	unsigned ninline;
	struct uld__frame_inline inl[ULD_SYM_MAX_INLINE];
};

/*
 * Fill *out for the return address ip: function, offset, module always
 * (as far as known); file, line and inlined frames from DWARF when the
 * module has debug info and we are not in a signal handler (see
 * symframe.c).  Returns 0 when the function is named, -1 otherwise.
 * Not for the fast path: the first lookup of a module reads its files.
 */
int uld__sym_frame(const void *ip, struct uld__frame *out);

/*
 * The innermost source position of the return address ip (inl[0] of its
 * frame when inlined, else the frame's own file:line): what
 * uld__sym_frame gives, for a fraction of its cost, since it skips the
 * inlined scopes (a class name needs only this, symframe.c).  Only the
 * basename of *file is the frame's; *file NULL and *line 0 when unknown.
 *
 * And where the program made the lock when that position was inlined
 * from another file (a constructor in a header, inlined wherever an
 * object is made): the outermost inlined call's file:line in the function
 * that contains it, in *outer_file and *outer_line; NULL and 0 otherwise.
 * Only then does it pay for the inlined scopes (some 60 times the line:
 * the function's first line, a cheap lookup, tells).
 */
void uld__sym_site(const void *ip, const char **file, unsigned *line,
    const char **outer_file, unsigned *outer_line);

/*
 * dlclose: a stack saved while a module was loaded keeps the names it had
 * then.  When the module goes (uld_module_unload), each stored ip in it is
 * symbolized at once and replaced by a "frozen" ip: bit 63 set (no user
 * address has it) over the address of that frame's record.  uld__sym_frame
 * and uld__sym_function give a frozen ip the record's names, whatever is
 * mapped at the old address later; the record keeps the original ip.
 * uld__sym_freeze is called with uld__graph_lock held (it is what keeps
 * the records' table); records are never freed and never change, so
 * reading one needs no lock (a signal handler's report may).
 */
#define ULD_SYM_FROZEN_BIT ((uintptr_t)1 << 63)

static inline int
uld__sym_frozen(const void *ip)
{
	return ((uintptr_t)ip & ULD_SYM_FROZEN_BIT) != 0;
}

/*
 * A stack's ips are return addresses: the code they stand for is the call
 * just before (a call that ends a function returns to the first byte of
 * the next one).  Not the frame a signal interrupted: its ip is the
 * instruction it was about to run, which can be a function's first byte
 * or a line's first instruction, and ip - 1 would name the function or
 * line before.  Capture marks such an ip "exact" with bit 62 (no user
 * address has it, nor a frozen ip); it stays marked in stored stacks and
 * frames, so that it never shares a cache entry with a return address of
 * the same value, and is shown without the mark (uld__sym_addr).  gdb
 * treats a signal frame's caller the same way.
 */
#define ULD_SYM_EXACT_BIT ((uintptr_t)1 << 62)

static inline void *
uld__sym_exact(const void *ip)
{
	return (void *)((uintptr_t)ip | ULD_SYM_EXACT_BIT);
}

static inline int
uld__sym_is_exact(const void *ip)
{
	return ((uintptr_t)ip & (ULD_SYM_FROZEN_BIT | ULD_SYM_EXACT_BIT)) ==
	    ULD_SYM_EXACT_BIT;
}

/* The address an ip stands for: without the exact mark. */
static inline const void *
uld__sym_addr(const void *ip)
{
	return uld__sym_is_exact(ip)
	    ? (const void *)((uintptr_t)ip & ~ULD_SYM_EXACT_BIT) : ip;
}

/* The code address to name ip by: the call before a return address, an
 * exact ip itself.  A frozen ip less one still finds its record. */
static inline const void *
uld__sym_code(const void *ip)
{
	return uld__sym_is_exact(ip) ? uld__sym_addr(ip)
				     : (const void *)((const char *)ip - 1);
}

/* The frozen ip for ip, symbolized now; ip itself when out of memory. */
void *uld__sym_freeze(const void *ip);
/* uld__sym_function for a frozen ip (or one less a few bytes); -1 for
 * any other value with bit 63 set. */
int uld__sym_frozen_symbol(const void *ip, struct uld__symbol *out);

/*
 * How many loads and unloads (dlopen, dlclose) the module cache has seen:
 * a frame cached under an older count may name a module that was closed,
 * where another is mapped now.  Takes uld__sym_lock.
 */
unsigned uld__sym_epoch(void);

/* The function containing code address ip.  0 when found. */
int uld__sym_function(const void *ip, struct uld__symbol *out);
/* The data object containing addr.  0 when found. */
int uld__sym_object(const void *addr, struct uld__symbol *out);
/* addr lies in a module's writable segment (.data/.bss): a static. */
int uld__sym_is_static(const void *addr);
/* Is addr in a loaded module's executable segment (code)? */
int uld__sym_is_code(const void *addr);
/* ip lies in a module whose path contains one of the given substrings. */
int uld__sym_in_module(const void *ip, const char *const *needles);
/*
 * Record where the validator's own modules (libulockdep, jemalloc, urcu,
 * libunwind) are mapped.  Allocates nothing; call once at start-up.
 */
void uld__sym_init_own(void);
/* addr (code or data) lies in one of those modules.  Allocates nothing. */
int uld__sym_is_own(const void *addr);
/*
 * The watchdog thread symbolizes for signal handlers (symframe.c): it
 * waits on the futex word uld__symframe_posted() as well as its timer,
 * and calls uld__symframe_serve() when it wakes.
 */
int *uld__symframe_posted(void);
void uld__symframe_serve(void);
/* The frame cache's locks (symframe.c), for the fork hooks below. */
void uld__symframe_prefork(void);
void uld__symframe_postfork(int child);
/* fork(): hold the symbol, frame and srcline locks across it; release
 * (parent) or reset. */
void uld__sym_prefork(void);
void uld__sym_postfork(int child);

#endif /* ULD_SYMBOLS_H */
