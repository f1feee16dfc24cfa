/*
 * srcline.c: DWARF line tables and inlined-call scopes with libdw.
 *
 * For an address the line table gives the innermost source position: in
 * the inlined function when the code was inlined.  The scopes containing
 * that position (dwarf_getscopes, then dwarf_getscopes_die for the chain
 * of DIEs the code is physically in) are, innermost first, inlined
 * subroutines, lexical blocks and finally the real function; each inlined
 * subroutine's DW_AT_call_file/DW_AT_call_line is where its caller called
 * it, the position of the next frame out.  That is how eu-addr2line -i
 * and the kernel's decoded stack traces list inlined frames.
 *
 * File names are shown relative to the compilation directory
 * (examples/abba.c, not /home/me/src/ulockdep/examples/abba.c): the same
 * on every machine, and what people type.
 */
#include "srcline.h"

#include "mutex.h"

#if ULD_HAVE_LIBDW

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "deepstack.h"
#include "dwload.h"

struct dwmod {
	struct dwmod *next;
	const char *path;	/* the module's (symbols.c keeps it) */
	uintptr_t base;
	const char *debug_file;
	Dwfl *dwfl;		/* NULL: no DWARF here, never retried */
	Dwfl_Module *mod;
};

static uld__mutex_t srcline_lock = ULD_MUTEX_INIT(ULD_RANK_SRCLINE);
/* libdw, loaded at the first lookup (under srcline_lock). */
static const struct uld__dw *dw;
static struct dwmod *dwmods;
/* The module being opened, for find_debuginfo (under srcline_lock). */
static const struct dwmod *opening;

/* Every module is reported with its file: nothing to find. */
static int
find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	return -1;
}

/*
 * The separate debug file is the one symbols.c found (build ID, then
 * .gnu_debuglink).  Not dwfl_standard_find_debuginfo: it may ask a
 * debuginfod server over the network when DEBUGINFOD_URLS is set.
 */
static int
find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
    Dwarf_Addr base, const char *file_name, const char *debuglink_file,
    GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	if (opening == NULL || opening->debug_file == NULL)
		return -1;
	int fd = open(opening->debug_file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* libdw frees it with free(). */
		*debuginfo_file_name = strdup(opening->debug_file);
	}
	return fd;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = find_debuginfo,
};

static struct dwmod *
get_dwmod(const char *path, uintptr_t base, const char *debug_file)
{
	struct dwmod *d;

	for (d = dwmods; d; d = d->next)
		if (d->base == base && strcmp(d->path, path) == 0)
			return d;
	d = uld__calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->path = path;
	d->base = base;
	d->debug_file = debug_file;
	d->next = dwmods;
	dwmods = d;
	d->dwfl = dw->dwfl_begin(&callbacks);
	if (d->dwfl == NULL)
		return d;
	const char *name = strrchr(path, '/');
	/* Opened here, close-on-exec: given -1, libdw opens the file itself
	 * without O_CLOEXEC, and every program the process execs would
	 * inherit a descriptor of each module a report symbolized.  On
	 * success libdw owns the descriptor. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	/* true: base is dlpi_addr, the bias added to link-time addresses. */
	d->mod = fd < 0 ? NULL : dw->dwfl_report_elf(d->dwfl,
	    name ? name + 1 : path, path, fd, base, true);
	if (d->mod == NULL && fd >= 0)
		close(fd);
	dw->dwfl_report_end(d->dwfl, NULL, NULL);
	if (d->mod == NULL) {
		dw->dwfl_end(d->dwfl);
		d->dwfl = NULL;
	}
	return d;
}

/* path relative to the compilation directory, without a leading "./". */
static const char *
relative(const char *path, const char *comp_dir)
{
	size_t n = comp_dir ? strlen(comp_dir) : 0;

	if (path == NULL)
		return NULL;
	if (n > 1 && strncmp(path, comp_dir, n) == 0 && path[n] == '/')
		path += n + 1;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return path;
}

static int
attr_udata(Dwarf_Die *die, int name, Dwarf_Word *val)
{
	Dwarf_Attribute a;

	return dw->dwarf_formudata(dw->dwarf_attr(die, name, &a), val);
}

/* The inlined frames around pc, and the real function's position. */
static void
inlined(Dwfl_Module *mod, Dwarf_Die *cu, Dwarf_Addr bias, Dwarf_Addr pc,
    const char *comp_dir, struct uld__frame *out)
{
	Dwarf_Die *scopes = NULL;
	int n = dw->dwarf_getscopes(cu, pc - bias, &scopes);

	if (n <= 0) {
		dw->free(scopes);
		return;
	}
	Dwarf_Die inner = scopes[0];
	dw->free(scopes);
	scopes = NULL;
	n = dw->dwarf_getscopes_die(&inner, &scopes);
	Dwarf_Files *files = NULL;
	if (dw->dwarf_getsrcfiles(cu, &files, NULL) != 0)
		files = NULL;
	const char *file = out->file;
	unsigned line = out->line;
	for (int i = 0; i < n; i++) {
		Dwarf_Die *s = &scopes[i];
		int tag = dw->dwarf_tag(s);
		if (tag == DW_TAG_inlined_subroutine) {
			if (out->ninline < ULD_SYM_MAX_INLINE) {
				struct uld__frame_inline *f =
				    &out->inl[out->ninline++];
				f->function = dw->dwarf_diename(s);
				f->file = file;
				f->line = line;
			}
			Dwarf_Word v;
			file = files && attr_udata(s, DW_AT_call_file, &v) == 0
			    ? relative(dw->dwarf_filesrc(files, v, NULL, NULL),
				  comp_dir)
			    : NULL;
			line = attr_udata(s, DW_AT_call_line, &v) == 0
			    ? (unsigned)v : 0;
		} else if (tag == DW_TAG_subprogram) {
			Dwarf_Addr lo, hi;
			if (out->function == NULL &&
			    (out->function = dw->dwarf_diename(s)) != NULL &&
			    dw->dwarf_lowpc(s, &lo) == 0) {
				out->offset = (uintptr_t)out->ip - (lo + bias);
				if (dw->dwarf_highpc(s, &hi) == 0)
					out->size = hi - lo;
			}
			break;
		}
	}
	dw->free(scopes);
	out->file = file;
	out->line = line;
}

/* The module's Dwfl, opened at its first lookup; NULL without DWARF.
 * Under srcline_lock. */
static struct dwmod *
module_of(const char *module, uintptr_t base, const char *debug_file)
{
	dw = uld__dw_load();
	struct dwmod *d = dw ? get_dwmod(module, base, debug_file) : NULL;
	return d != NULL && d->dwfl != NULL ? d : NULL;
}

/* The line table's row for pc: the innermost position, relative to
 * *comp_dir (the line's own when NULL: then set to it).  Under
 * srcline_lock. */
static const char *
line_of(struct dwmod *d, Dwarf_Addr pc, const char **comp_dir, int *line)
{
	Dwfl_Line *l = dw->dwfl_module_getsrc(d->mod, pc);
	const char *file = l ? dw->dwfl_lineinfo(l, NULL, line, NULL, NULL,
					NULL)
			     : NULL;

	if (file == NULL || *line <= 0)
		return NULL;
	if (*comp_dir == NULL)
		*comp_dir = dw->dwfl_line_comp_dir(l);
	return relative(file, *comp_dir);
}

/* One lookup's arguments and answer, for its run on the deep stack. */
struct lookup {
	uintptr_t pc;
	const char *module;
	uintptr_t base;
	const char *debug_file;
	struct uld__frame *out;	/* uld__srcline's */
	const char *file;	/* uld__srcline_pos's */
	unsigned line;
	int found;
	void (*fn)(void *);	/* frame_lookup or pos_lookup */
};

/* uld__srcline's work, on the deep stack.  Under srcline_lock. */
static void
frame_lookup(void *arg)
{
	struct lookup *q = arg;
	struct uld__frame *out = q->out;
	struct dwmod *d = module_of(out->module, out->module_base,
	    q->debug_file);

	opening = d;
	if (d != NULL) {
		Dwarf_Addr bias = 0;
		Dwarf_Die *cu = dw->dwfl_module_addrdie(d->mod, q->pc, &bias);
		Dwarf_Attribute a;
		const char *comp_dir = cu
		    ? dw->dwarf_formstring(dw->dwarf_attr(cu, DW_AT_comp_dir, &a)) : NULL;
		int line = 0;
		const char *file = line_of(d, q->pc, &comp_dir, &line);
		if (file != NULL) {
			out->file = file;
			out->line = (unsigned)line;
			q->found = 1;
		}
		if (cu != NULL)
			inlined(d->mod, cu, bias, q->pc, comp_dir, out);
	}
	opening = NULL;
}

/* uld__srcline_pos's work, on the deep stack.  Under srcline_lock.  No
 * CU lookup, no compilation directory: what the name keeps is the
 * basename, and the two cost more than the line itself. */
static void
pos_lookup(void *arg)
{
	struct lookup *q = arg;
	struct dwmod *d = module_of(q->module, q->base, q->debug_file);
	int l = 0;

	opening = d;
	Dwfl_Line *dl = d ? dw->dwfl_module_getsrc(d->mod, q->pc) : NULL;
	q->file = dl ? dw->dwfl_lineinfo(dl, NULL, &l, NULL, NULL, NULL) : NULL;
	if (l > 0 && q->file != NULL) {
		q->line = (unsigned)l;
		q->found = 1;
	}
	opening = NULL;
}

/* On the deep stack: the lookup under srcline_lock. */
static void
locked_lookup(void *arg)
{
	struct lookup *q = arg;
	sigset_t old;

	uld__sig_block(&old);
	uld__mutex_lock(&srcline_lock);
	q->fn(q);
	uld__mutex_unlock(&srcline_lock);
	uld__sig_restore(&old);
}

/* The lookup on the deep stack (deepstack.c: libdw's stack arrays
 * overflowed small thread stacks); deep_lock before srcline_lock. */
static void
run_lookup(void (*fn)(void *), struct lookup *q)
{
	q->fn = fn;
	uld__deep_call(locked_lookup, q);
}

int
uld__srcline(uintptr_t pc, const char *debug_file, struct uld__frame *out)
{
	struct lookup q = { .pc = pc, .debug_file = debug_file, .out = out };

	if (out->module == NULL)
		return -1;
	run_lookup(frame_lookup, &q);
	return q.found ? 0 : -1;
}

int
uld__srcline_pos(uintptr_t pc, const char *module, uintptr_t base,
    const char *debug_file, const char **file, unsigned *line)
{
	struct lookup q = { .pc = pc, .module = module, .base = base,
		.debug_file = debug_file };

	*file = NULL;
	*line = 0;
	if (module == NULL)
		return -1;
	run_lookup(pos_lookup, &q);
	if (q.found) {
		*file = q.file;
		*line = q.line;
	}
	return q.found ? 0 : -1;
}

void
uld__srcline_prefork(void)
{
	uld__mutex_lock(&srcline_lock);
}

void
uld__srcline_postfork(int child)
{
	if (child)
		uld__mutex_reset(&srcline_lock);
	else
		uld__mutex_unlock(&srcline_lock);
}

#else /* !ULD_HAVE_LIBDW */

int
uld__srcline(uintptr_t pc, const char *debug_file, struct uld__frame *out)
{
	return -1;
}

int
uld__srcline_pos(uintptr_t pc, const char *module, uintptr_t base,
    const char *debug_file, const char **file, unsigned *line)
{
	*file = NULL;
	*line = 0;
	return -1;
}

void
uld__srcline_prefork(void)
{
}

void
uld__srcline_postfork(int child)
{
}

#endif
