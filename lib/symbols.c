/*
 * symbols.c: a cache of loaded modules and their ELF symbol tables.
 *
 * A stripped module (Debian's libc.so.6) keeps only .dynsym, which lacks
 * the static functions a stack goes through (start_thread, clone3); their
 * names are in the separate debug file (libc6-dbg), found the way gdb and
 * libdw find it: by build ID (/usr/lib/debug/.build-id/xx/yyyy.debug, the
 * ID read from the module's loaded PT_NOTE), else by .gnu_debuglink (next
 * to the module, in its .debug/, or under /usr/lib/debug).  That file has
 * the same link-time addresses as the module, so its .symtab is read
 * instead.  Only open, mmap and the validator's arena: no libdw, no
 * program heap (what a report made in a signal handler may use).
 */
#include "symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "keysort.h"
#include "mutex.h"
#include "out.h"
#include "srcline.h"
#include "symplt.h"
#include "util.h"

/* Where separate debug files are installed (gdb's and libdw's default). */
#define ULD_DEBUG_DIR "/usr/lib/debug"

struct sym {
	uint64_t value; /* link-time address (st_value); the sort key */
	size_t size;
	const char *name;
	int rank; /* among aliases, the lowest is shown (alias_rank) */
	int plt; /* a PLT stub or section (symplt.c) */
};

struct seg {
	uintptr_t lo, hi; /* run-time addresses */
	int writable;
	int exec;
};

struct module {
	struct module *next;
	char *path;
	uintptr_t base; /* dlpi_addr: run-time minus link-time address */
	struct seg *segs;
	int nsegs;
	int loaded; /* symbols read (or tried) */
	struct sym *funcs, *objs;
	size_t nfuncs, nobjs;
	unsigned char build_id[64];
	size_t build_id_len;
	char *debug_path; /* separate debug file, or NULL */
	int gone; /* unloaded (dlclose): kept, its names may be in use */
};

static uld__mutex_t uld__sym_lock = ULD_MUTEX_INIT(ULD_RANK_SYM);
static struct module *modules;

/*
 * Which of several names of one address to show: the one with a size,
 * then an exported one (GLOBAL or WEAK: __libc_start_main, not
 * __libc_start_main_impl), then the fewest leading underscores (nanosleep,
 * not __nanosleep; clone3, not __GI___clone3).  Ties go to strcmp, so the
 * choice never depends on the table's order: names made of it (classes)
 * stay the same.
 */
static int
alias_rank(const Elf64_Sym *s, const char *name)
{
	int bind = ELF64_ST_BIND(s->st_info);
	int r = s->st_size ? 0 : 1000;
	int u = 0;

	r += bind == STB_GLOBAL || bind == STB_WEAK ? 0 : 100;
	while (name[u] == '_')
		u++;
	return r + u;
}

/* Collect FUNC and OBJECT symbols of one symbol table section. */
static void
read_symtab(struct module *m, const char *map, size_t mapsz,
    const Elf64_Shdr *sh, const Elf64_Shdr *strsh)
{
	if (sh->sh_offset + sh->sh_size > mapsz ||
	    strsh->sh_offset + strsh->sh_size > mapsz || sh->sh_entsize == 0)
		return;
	const Elf64_Sym *syms = (const void *)(map + sh->sh_offset);
	size_t n = sh->sh_size / sh->sh_entsize;
	const char *strtab = map + strsh->sh_offset;

	for (size_t pass = 0; pass < 2; pass++) {
		int want = pass == 0 ? STT_FUNC : STT_OBJECT;
		size_t count = 0;
		for (size_t i = 0; i < n; i++)
			if (ELF64_ST_TYPE(syms[i].st_info) == want &&
			    syms[i].st_shndx != SHN_UNDEF &&
			    syms[i].st_value != 0)
				count++;
		if (count == 0)
			continue;
		struct sym *arr = uld__malloc(count * sizeof(*arr));
		if (arr == NULL)
			return;
		size_t k = 0;
		for (size_t i = 0; i < n && k < count; i++) {
			const Elf64_Sym *s = &syms[i];
			if (ELF64_ST_TYPE(s->st_info) != want ||
			    s->st_shndx == SHN_UNDEF || s->st_value == 0 ||
			    s->st_name >= strsh->sh_size)
				continue;
			arr[k].value = s->st_value;
			arr[k].size = s->st_size;
			arr[k].name = strtab + s->st_name;
			/* A debug file's .symtab spells versions into names
			 * (__libc_start_main@@GLIBC_2.34): show the name. */
			const char *at = strchr(arr[k].name, '@');
			char *bare = at ? uld__malloc(at - arr[k].name + 1)
					: NULL;
			if (bare != NULL) {
				memcpy(bare, arr[k].name, at - arr[k].name);
				bare[at - arr[k].name] = '\0';
				arr[k].name = bare;
			}
			arr[k].rank = alias_rank(s, arr[k].name);
			arr[k].plt = 0;
			k++;
		}
		uld__keysort(arr, k, sizeof(*arr));
		if (pass == 0) {
			m->funcs = arr;
			m->nfuncs = k;
		} else {
			m->objs = arr;
			m->nobjs = k;
		}
	}
}

/* A mapped ELF file, its section headers checked to lie inside it. */
struct elf_map {
	const char *map;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
};

static int
map_elf(const char *path, struct elf_map *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return -1;
	}
	e->size = (size_t)st.st_size;
	e->map = mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (e->map == MAP_FAILED)
		return -1;
	e->eh = (const void *)e->map;
	if (memcmp(e->eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    e->eh->e_shoff + (size_t)e->eh->e_shnum * sizeof(Elf64_Shdr) >
		e->size) {
		munmap((void *)e->map, e->size);
		return -1;
	}
	e->sh = (const void *)(e->map + e->eh->e_shoff);
	return 0;
}

/*
 * The vDSO (linux-vdso.so.1) has no file: its whole ELF image, section
 * headers and .dynsym included, is mapped where AT_SYSINFO_EHDR says.
 */
static int
vdso_elf(const struct module *m, struct elf_map *e)
{
	uintptr_t eh = (uintptr_t)getauxval(AT_SYSINFO_EHDR);

	for (int i = 0; eh != 0 && i < m->nsegs; i++) {
		if (eh < m->segs[i].lo || eh >= m->segs[i].hi)
			continue;
		/* The section headers lie past p_memsz, in its last page. */
		uintptr_t page = (uintptr_t)getpagesize();
		e->map = (const char *)eh;
		e->size = ((m->segs[i].hi + page - 1) & ~(page - 1)) - eh;
		e->eh = (const void *)e->map;
		if (e->size < sizeof(Elf64_Ehdr) ||
		    memcmp(e->eh->e_ident, ELFMAG, SELFMAG) != 0 ||
		    e->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
		    e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
		    e->eh->e_shoff + (size_t)e->eh->e_shnum *
			    sizeof(Elf64_Shdr) > e->size)
			return -1;
		e->sh = (const void *)(e->map + e->eh->e_shoff);
		return 0;
	}
	return -1;
}

/* The section of that type (the named one when name is not NULL). */
static const Elf64_Shdr *
find_section(const struct elf_map *e, unsigned type, const char *name)
{
	const Elf64_Shdr *shstr = e->eh->e_shstrndx < e->eh->e_shnum
	    ? &e->sh[e->eh->e_shstrndx] : NULL;

	for (int i = 0; i < e->eh->e_shnum; i++) {
		if (e->sh[i].sh_type != type)
			continue;
		if (name == NULL)
			return &e->sh[i];
		if (shstr == NULL || shstr->sh_offset + shstr->sh_size > e->size ||
		    e->sh[i].sh_name >= shstr->sh_size)
			continue;
		const char *n = e->map + shstr->sh_offset + e->sh[i].sh_name;
		size_t room = shstr->sh_size - e->sh[i].sh_name;
		if (strnlen(n, room) < room && strcmp(n, name) == 0)
			return &e->sh[i];
	}
	return NULL;
}

/* Read .symtab, else .dynsym; 1 if it was .symtab. */
static int
read_best_symtab(struct module *m, const struct elf_map *e)
{
	const Elf64_Shdr *use = find_section(e, SHT_SYMTAB, NULL);
	int full = use != NULL;

	if (use == NULL)
		use = find_section(e, SHT_DYNSYM, NULL);
	if (use && use->sh_link < e->eh->e_shnum)
		read_symtab(m, e->map, e->size, use, &e->sh[use->sh_link]);
	return full;
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The separate debug file of m, by build ID then by .gnu_debuglink. */
static char *
find_debug_file(const struct module *m, const struct elf_map *e)
{
	static const char hex[] = "0123456789abcdef";
	char path[4096];
	struct uld__buf b;

	if (m->build_id_len >= 2) {
		uld__buf_init(&b, path, sizeof(path));
		uld__buf_printf(&b, "%s/.build-id/%c%c/", ULD_DEBUG_DIR,
		    hex[m->build_id[0] >> 4], hex[m->build_id[0] & 15]);
		for (size_t i = 1; i < m->build_id_len; i++)
			uld__buf_printf(&b, "%c%c", hex[m->build_id[i] >> 4],
			    hex[m->build_id[i] & 15]);
		uld__buf_puts(&b, ".debug");
		if (!b.truncated && file_exists(uld__buf_str(&b)))
			return uld__strdup(path);
	}
	const Elf64_Shdr *dl = find_section(e, SHT_PROGBITS, ".gnu_debuglink");
	if (dl == NULL || dl->sh_offset + dl->sh_size > e->size ||
	    dl->sh_size < 2)
		return NULL;
	const char *name = e->map + dl->sh_offset;
	if (strnlen(name, dl->sh_size) >= dl->sh_size || strchr(name, '/'))
		return NULL;
	const char *slash = strrchr(m->path, '/');
	int dirlen = slash ? (int)(slash - m->path) : 0;
	/* The CRC is not checked: the build ID, when there is one, was. */
	for (int i = 0; i < 3; i++) {
		uld__buf_init(&b, path, sizeof(path));
		if (i == 2)
			uld__buf_puts(&b, ULD_DEBUG_DIR);
		uld__buf_printf(&b, "%.*s/%s%s", dirlen, m->path,
		    i == 1 ? ".debug/" : "", name);
		if (!b.truncated && strcmp(uld__buf_str(&b), m->path) != 0 &&
		    file_exists(path))
			return uld__strdup(path);
	}
	return NULL;
}

struct plt_add {
	struct module *m;
	size_t cap;
};

static void
plt_add(void *arg, uintptr_t value, size_t size, const char *name,
    int head)
{
	struct plt_add *a = arg;
	struct module *m = a->m;

	if (m->nfuncs == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct sym *f = uld__realloc(m->funcs, cap * sizeof(*f));
		if (f == NULL)
			return;
		m->funcs = f;
		a->cap = cap;
	}
	/* A section's range ranks below every stub at its address. */
	m->funcs[m->nfuncs++] = (struct sym){ value, size, name,
		head ? 1000 : 0, 1 };
}

/* The PLT stubs of the module's own file (a debug file has no code):
 * added to its functions, which are sorted again. */
static void
add_plt_symbols(struct module *m, const struct elf_map *e)
{
	struct plt_add a = { m, m->nfuncs };

	if (uld__plt_symbols(e->map, e->size, plt_add, &a) != 0)
		uld__keysort(m->funcs, m->nfuncs, sizeof(*m->funcs));
}

/*
 * Map the module's file and read .symtab; a stripped module's from its
 * debug file, else its .dynsym.  The mappings are kept: symbol names
 * point into them.
 */
static void
load_symbols(struct module *m)
{
	struct elf_map e, d;

	m->loaded = 1;
	if (map_elf(m->path, &e) != 0) {
		if (vdso_elf(m, &e) == 0)
			read_best_symtab(m, &e);
		return;
	}
	int has_symtab = find_section(&e, SHT_SYMTAB, NULL) != NULL;
	int has_dwarf = find_section(&e, SHT_PROGBITS, ".debug_info") != NULL;
	if (!has_symtab || !has_dwarf)
		m->debug_path = find_debug_file(m, &e);
	if (!has_symtab && m->debug_path && map_elf(m->debug_path, &d) == 0) {
		if (read_best_symtab(m, &d)) {
			add_plt_symbols(m, &e);
			return;
		}
		munmap((void *)d.map, d.size);
	}
	read_best_symtab(m, &e);
	add_plt_symbols(m, &e);
}

/* The GNU build ID, from the module's loaded notes. */
static void
read_build_id(struct module *m, const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const void *)p;
			const char *name = p + sizeof(*n);
			const char *desc = name + ((n->n_namesz + 3) & ~3U);
			const char *next = desc + ((n->n_descsz + 3) & ~3U);
			if (next > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 &&
			    n->n_descsz <= sizeof(m->build_id)) {
				memcpy(m->build_id, desc, n->n_descsz);
				m->build_id_len = n->n_descsz;
				return;
			}
			p = next;
		}
	}
}

struct iter_ctx {
	struct module *head;
};

static int
add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct iter_ctx *ctx = arg;
	struct module *m = uld__calloc(1, sizeof(*m));
	char exe[4096];

	if (m == NULL)
		return 1;
	const char *name = info->dlpi_name;
	if (name == NULL || name[0] == '\0') {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		name = exe;
	}
	m->path = uld__strdup(name);
	if (m->path == NULL) { /* out of memory: no nameless modules */
		uld__free(m);
		return 1;
	}
	m->base = info->dlpi_addr;
	read_build_id(m, info);
	m->segs = uld__calloc(info->dlpi_phnum, sizeof(*m->segs));
	for (int i = 0; m->segs && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		struct seg *s = &m->segs[m->nsegs++];
		s->lo = info->dlpi_addr + ph->p_vaddr;
		s->hi = s->lo + ph->p_memsz;
		s->writable = !!(ph->p_flags & PF_W);
		s->exec = !!(ph->p_flags & PF_X);
	}
	m->next = ctx->head;
	ctx->head = m;
	(void)size;
	return 0;
}

/*
 * The module containing a.  A live module first: after dlclose another
 * module may be mapped where a closed one was, and its code must not be
 * named from the old symbol table.  A closed one (gone) only when no live
 * module covers a: an ip saved before the dlclose is still named.
 */
static struct module *
find_loaded(uintptr_t a)
{
	struct module *old = NULL;

	for (struct module *m = modules; m; m = m->next)
		for (int i = 0; i < m->nsegs; i++)
			if (a >= m->segs[i].lo && a < m->segs[i].hi) {
				if (!m->gone)
					return m;
				if (old == NULL)
					old = m;
			}
	return old;
}

/* Does the list at `head` hold module m (same path at the same base)? */
static int
listed(const struct module *head, const struct module *m)
{
	for (const struct module *o = head; o; o = o->next)
		if (!o->gone && o->base == m->base && strcmp(o->path, m->path) == 0)
			return 1;
	return 0;
}

/*
 * Rescan the loaded modules: those no longer there are marked gone (not
 * freed: their path and names are in frames and classes), new ones are
 * prepended.  The old list's symbols are kept.
 */
static void
rescan(void)
{
	struct iter_ctx ctx = { NULL };
	struct module *next;

	dl_iterate_phdr(add_module, &ctx);
	for (struct module *m = modules; m; m = m->next)
		if (!m->gone && !listed(ctx.head, m))
			m->gone = 1;
	for (struct module *n = ctx.head; n; n = next) {
		next = n->next;
		if (listed(modules, n)) {
			uld__free(n->segs);
			uld__free(n->path);
			uld__free(n);
		} else {
			n->next = modules;
			modules = n;
		}
	}
}

/*
 * dlopen and dlclose are seen through the loader's counts of loads and
 * unloads (dlpi_adds, dlpi_subs): one dl_iterate_phdr that stops at the
 * first module, per lookup.  Either bumps the epoch, which empties the
 * frame cache (symframe.c): after an unload a cached frame may name the
 * closed module, and after a load another module may be mapped where a
 * closed one was while frames of the closed one were cached (a dlclose's
 * frozen frames are symbolized then).  Under uld__sym_lock.
 */
static unsigned long long seen_changes;
static unsigned unload_epoch; /* atomic: bumped at each change seen */

static int
read_changes(struct dl_phdr_info *info, size_t size, void *arg)
{
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) +
	    sizeof(info->dlpi_subs))
		*(unsigned long long *)arg = info->dlpi_adds + info->dlpi_subs;
	return 1;
}

static void
check_unloads(void)
{
	unsigned long long changes = seen_changes;

	dl_iterate_phdr(read_changes, &changes);
	if (changes == seen_changes)
		return;
	seen_changes = changes;
	rescan();
	__atomic_fetch_add(&unload_epoch, 1, __ATOMIC_RELEASE);
}

unsigned
uld__sym_epoch(void)
{
	sigset_t old;

	uld__sig_block(&old);
	uld__mutex_lock(&uld__sym_lock);
	check_unloads();
	uld__mutex_unlock(&uld__sym_lock);
	uld__sig_restore(&old);
	return __atomic_load_n(&unload_epoch, __ATOMIC_ACQUIRE);
}

/* The module containing a, rescanning once for modules loaded since. */
static struct module *
find_module(uintptr_t a, struct seg **segp)
{
	check_unloads();
	struct module *m = find_loaded(a);

	if (m == NULL || m->gone) {
		rescan();
		m = find_loaded(a);
	}
	if (m && segp) {
		*segp = NULL;
		for (int i = 0; i < m->nsegs; i++)
			if (a >= m->segs[i].lo && a < m->segs[i].hi)
				*segp = &m->segs[i];
	}
	return m;
}

static const struct sym *
lookup(const struct sym *arr, size_t n, uintptr_t v, int contain)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (arr[mid].value <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct sym *s = &arr[lo - 1];
	/* Aliases share an address: show the best name (alias_rank). */
	for (const struct sym *a = s; a > arr && a[-1].value == s->value;) {
		a--;
		if (a->rank < s->rank ||
		    (a->rank == s->rank && strcmp(a->name, s->name) < 0))
			s = a;
	}
	/* Data must lie inside the object.  Code may follow a size-less
	 * (assembler) symbol; past the end of a sized one it belongs to a
	 * function the table does not list (a stripped library's static
	 * function), and naming the previous export would mislead. */
	if (v >= s->value + s->size && (contain || s->size != 0))
		return NULL;
	return s;
}

static int
resolve(const void *p, int want_obj, struct uld__symbol *out)
{
	uintptr_t a = (uintptr_t)uld__sym_addr(p);
	int found = -1;

	if (uld__sym_frozen(p))
		return want_obj ? (memset(out, 0, sizeof(*out)), -1)
				: uld__sym_frozen_symbol(p, out);
	memset(out, 0, sizeof(*out));
	uld__mutex_lock(&uld__sym_lock);
	struct module *m = find_module(a, NULL);
	if (m != NULL) {
		if (!m->loaded)
			load_symbols(m);
		out->module = m->path;
		out->module_base = m->base;
		out->debug_file = m->debug_path;
		uintptr_t v = a - m->base;
		const struct sym *s = want_obj
		    ? lookup(m->objs, m->nobjs, v, 1)
		    : lookup(m->funcs, m->nfuncs, v, 0);
		if (s != NULL) {
			out->name = s->name;
			out->start = s->value + m->base;
			out->size = s->size;
			out->offset = a - out->start;
			out->plt = s->plt;
			found = 0;
		}
	}
	uld__mutex_unlock(&uld__sym_lock);
	return found;
}

int
uld__sym_function(const void *ip, struct uld__symbol *out)
{
	return resolve(ip, 0, out);
}

int
uld__sym_object(const void *addr, struct uld__symbol *out)
{
	return resolve(addr, 1, out);
}

/* Is addr in a loaded module's segment, writable (data) or executable
 * (code)? */
static int
in_segment(const void *addr, int exec)
{
	struct seg *s = NULL;
	int r;

	uld__mutex_lock(&uld__sym_lock);
	r = find_module((uintptr_t)addr, &s) != NULL && s &&
	    (exec ? s->exec : s->writable);
	uld__mutex_unlock(&uld__sym_lock);
	return r;
}

int
uld__sym_is_static(const void *addr)
{
	return in_segment(addr, 0);
}

int
uld__sym_is_code(const void *addr)
{
	return in_segment(addr, 1);
}

int
uld__sym_in_module(const void *ip, const char *const *needles)
{
	int r = 0;

	uld__mutex_lock(&uld__sym_lock);
	struct module *m = find_module((uintptr_t)uld__sym_addr(ip), NULL);
	if (m != NULL) {
		const char *base = strrchr(m->path, '/');
		base = base ? base + 1 : m->path;
		for (; *needles && !r; needles++)
			r = strncmp(base, *needles, strlen(*needles)) == 0;
	}
	uld__mutex_unlock(&uld__sym_lock);
	return r;
}

/*
 * The address ranges of the validator's own modules, recorded once without
 * allocating: the first lock events can come from jemalloc's constructor
 * while it holds its init lock, and anything that allocates then (our
 * module cache does) would deadlock on it.
 *
 * One range per module, from its first PT_LOAD segment to the end of its
 * last, sorted and merged: uld__sym_is_own is asked on every lock init,
 * destroy and first sight, and per stack frame.  The holes between a
 * module's segments stay part of its reservation (ld.so maps the whole
 * span, then makes the gaps PROT_NONE), so no lock or code of anyone
 * else can lie there.  [own_lo, own_hi) spans them all: most addresses
 * asked about (the heap, the program) are rejected by it alone.
 */
#define OWN_MAX 32
static struct own_range {
	uintptr_t lo, hi;
} own[OWN_MAX];
static int nown;
static uintptr_t own_lo = UINTPTR_MAX, own_hi;

/* Insert [lo, hi) into the sorted own[], merging what overlaps. */
static void
own_insert(uintptr_t lo, uintptr_t hi)
{
	int i = 0, j;

	while (i < nown && own[i].hi < lo)
		i++;
	if (i < nown && own[i].lo <= hi) { /* overlaps or touches own[i] */
		if (lo < own[i].lo)
			own[i].lo = lo;
		if (hi > own[i].hi)
			own[i].hi = hi;
		/* It may now reach the ones after it. */
		for (j = i + 1; j < nown && own[j].lo <= own[i].hi; j++)
			if (own[j].hi > own[i].hi)
				own[i].hi = own[j].hi;
		memmove(&own[i + 1], &own[j], (size_t)(nown - j) *
		    sizeof(own[0]));
		nown -= j - i - 1;
	} else {
		if (nown == OWN_MAX)
			return;
		memmove(&own[i + 1], &own[i], (size_t)(nown - i) *
		    sizeof(own[0]));
		own[i].lo = lo;
		own[i].hi = hi;
		nown++;
	}
	own_lo = own[0].lo;
	own_hi = own[nown - 1].hi;
}

static int
add_own(struct dl_phdr_info *info, size_t size, void *arg)
{
	static const char *const names[] = { "libulockdep", "libjemalloc",
		"liburcu", "libunwind" };
	const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/')
					   : NULL;
	int match = 0;
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	base = base ? base + 1 : info->dlpi_name;
	for (size_t i = 0; base && i < ULD_ARRAY_SIZE(names); i++)
		match |= strncmp(base, names[i], strlen(names[i])) == 0;
	for (int i = 0; match && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (s < lo)
			lo = s;
		if (s + ph->p_memsz > hi)
			hi = s + ph->p_memsz;
	}
	if (lo < hi)
		own_insert(lo, hi);
	(void)size;
	(void)arg;
	return 0;
}

void
uld__sym_init_own(void)
{
	nown = 0;
	own_lo = UINTPTR_MAX;
	own_hi = 0;
	dl_iterate_phdr(add_own, NULL);
}

int
uld__sym_is_own(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	if (uld__likely(a < own_lo || a >= own_hi))
		return 0;
	/* The last range starting at or below a, by bisection. */
	int lo = 0, hi = nown;
	while (hi - lo > 1) {
		int mid = (lo + hi) / 2;
		if (own[mid].lo <= a)
			lo = mid;
		else
			hi = mid;
	}
	return a >= own[lo].lo && a < own[lo].hi;
}

void
uld__sym_prefork(void)
{
	uld__mutex_lock(&uld__sym_lock);
	uld__symframe_prefork();
	uld__srcline_prefork();
}

void
uld__sym_postfork(int child)
{
	uld__srcline_postfork(child);
	uld__symframe_postfork(child);
	if (child)
		uld__mutex_reset(&uld__sym_lock);
	else
		uld__mutex_unlock(&uld__sym_lock);
}
