/*
 * symplt.c: PLT stubs named after the functions they jump to.
 */
#include "symplt.h"

#include <elf.h>
#include <string.h>

#include "alloc.h"
#include "keysort.h"

struct slot {
	uint64_t got;	/* r_offset: the GOT slot's link-time address;
			 * the sort key */
	uint32_t sym;	/* its .dynsym index; 0: an IRELATIVE slot whose */
	uint64_t ifunc;	/* ifunc resolver, here, has no dynamic symbol */
};

struct elf {
	const char *map;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const Elf64_Sym *dynsym;
	size_t ndynsym;
	const char *dynstr;
	size_t dynstr_size;
	struct slot *slots;	/* sorted by got */
	size_t nslots;
	const Elf64_Rela *jmprel;	/* .rela.plt, for IBT's lazy stubs */
	size_t njmprel;
};

static int
in_file(const struct elf *e, const Elf64_Shdr *s)
{
	return s->sh_type == SHT_NOBITS ||
	    (s->sh_offset <= e->size && s->sh_size <= e->size - s->sh_offset);
}

static const char *
section_name(const struct elf *e, const Elf64_Shdr *s)
{
	if (e->eh->e_shstrndx >= e->eh->e_shnum)
		return NULL;
	const Elf64_Shdr *str = &e->sh[e->eh->e_shstrndx];
	if (!in_file(e, str) || str->sh_type == SHT_NOBITS ||
	    s->sh_name >= str->sh_size)
		return NULL;
	const char *n = e->map + str->sh_offset + s->sh_name;
	size_t room = str->sh_size - s->sh_name;
	return strnlen(n, room) < room ? n : NULL;
}

static const char *
sym_name(const struct elf *e, uint32_t sym)
{
	if (sym >= e->ndynsym || e->dynsym[sym].st_name >= e->dynstr_size)
		return NULL;
	uint32_t at = e->dynsym[sym].st_name;
	const char *n = e->dynstr + at;
	size_t room = e->dynstr_size - at;
	return strnlen(n, room) < room && n[0] ? n : NULL;
}

static size_t
underscores(const char *n)
{
	size_t u = 0;

	while (n[u] == '_')
		u++;
	return u;
}

/*
 * An IRELATIVE slot (libc's strlen: the stub jumps to what an ifunc
 * resolver chose) names no symbol, only the resolver's address: the
 * ifunc there, by its plainest name (strncasecmp, not __strncasecmp), so
 * the choice does not depend on the table's order.  0 if none.
 */
static uint32_t
ifunc_at(const struct elf *e, int64_t addend)
{
	uint32_t best = 0;

	for (uint32_t i = 1; i < e->ndynsym; i++) {
		const Elf64_Sym *y = &e->dynsym[i];
		if (y->st_value != (uint64_t)addend || y->st_shndx == SHN_UNDEF ||
		    ELF64_ST_TYPE(y->st_info) != STT_GNU_IFUNC)
			continue;
		const char *n = sym_name(e, i);
		const char *b = best ? sym_name(e, best) : NULL;
		if (n != NULL && (b == NULL || underscores(n) < underscores(b) ||
		    (underscores(n) == underscores(b) && strcmp(n, b) < 0)))
			best = i;
	}
	return best;
}

/* .dynsym and the relocations that fill GOT slots with its functions. */
static int
read_dynamic(struct elf *e)
{
	size_t dyn = 0, n = 0;

	for (size_t i = 0; i < e->eh->e_shnum && !dyn; i++)
		if (e->sh[i].sh_type == SHT_DYNSYM)
			dyn = i;
	const Elf64_Shdr *ds = &e->sh[dyn];
	if (dyn == 0 || !in_file(e, ds) || ds->sh_type == SHT_NOBITS ||
	    ds->sh_entsize != sizeof(Elf64_Sym) || ds->sh_link >= e->eh->e_shnum)
		return -1;
	const Elf64_Shdr *str = &e->sh[ds->sh_link];
	if (!in_file(e, str) || str->sh_type == SHT_NOBITS)
		return -1;
	e->dynsym = (const void *)(e->map + ds->sh_offset);
	e->ndynsym = ds->sh_size / sizeof(Elf64_Sym);
	e->dynstr = e->map + str->sh_offset;
	e->dynstr_size = str->sh_size;

	/* Two passes over the RELA sections of .dynsym: count, then fill. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->eh->e_shnum; i++) {
			const Elf64_Shdr *s = &e->sh[i];
			if (s->sh_type != SHT_RELA || s->sh_link != dyn ||
			    !in_file(e, s) || s->sh_entsize != sizeof(Elf64_Rela))
				continue;
			const Elf64_Rela *r = (const void *)(e->map + s->sh_offset);
			size_t nr = s->sh_size / sizeof(*r);
			const char *name = section_name(e, s);
			if (pass == 0 && name && strcmp(name, ".rela.plt") == 0) {
				e->jmprel = r;
				e->njmprel = nr;
			}
			for (size_t k = 0; k < nr; k++) {
				uint32_t type = ELF64_R_TYPE(r[k].r_info);
				uint32_t sym = ELF64_R_SYM(r[k].r_info);
				int irel = type == R_X86_64_IRELATIVE;
				if (!irel && ((type != R_X86_64_JUMP_SLOT &&
				    type != R_X86_64_GLOB_DAT) || sym == 0 ||
				    sym >= e->ndynsym))
					continue;
				if (pass == 1 && n < e->nslots)
					e->slots[n] = (struct slot){ r[k].r_offset,
						irel ? ifunc_at(e, r[k].r_addend) : sym,
						(uint64_t)r[k].r_addend };
				n++;
			}
		}
		if (pass == 0) {
			if (n == 0)
				return -1;
			e->slots = uld__malloc(n * sizeof(*e->slots));
			if (e->slots == NULL)
				return -1;
			e->nslots = n;
			n = 0;
		}
	}
	uld__keysort(e->slots, e->nslots, sizeof(*e->slots));
	return 0;
}

/* The slot's function; buf (32 bytes) holds objdump's name for an
 * ifunc without a dynamic symbol (*ABS*+0x2e730: its resolver). */
static const char *
slot_name(const struct elf *e, uint64_t got, char *buf)
{
	size_t lo = 0, hi = e->nslots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->slots[mid].got < got)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == e->nslots || e->slots[lo].got != got)
		return NULL;
	if (e->slots[lo].sym != 0)
		return sym_name(e, e->slots[lo].sym);
	static const char hex[] = "0123456789abcdef";
	char *p = buf + 31;
	uint64_t v = e->slots[lo].ifunc;
	*p = '\0';
	do
		*--p = hex[v & 15];
	while ((v >>= 4) != 0);
	p -= sizeof("*ABS*+0x") - 1;
	memcpy(p, "*ABS*+0x", sizeof("*ABS*+0x") - 1);
	return p;
}

static int32_t
le32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/*
 * The function an x86-64 stub at link-time address `at` reaches: its
 * `jmp *slot(%rip)` (after endbr64 and a bnd prefix, where -z ibtplt or
 * MPX put them) names a GOT slot; IBT's lazy .plt stub only pushes its
 * .rela.plt index.  The head of .plt pushes and jumps through GOT[1..2],
 * which no relocation names: NULL.
 */
static const char *
stub_target(const struct elf *e, const unsigned char *p, size_t n,
    uint64_t at, char *buf)
{
	size_t i = 0;

	if (n >= 4 && memcmp(p, "\xf3\x0f\x1e\xfa", 4) == 0)
		i = 4;
	if (i + 5 <= n && p[i] == 0x68) {
		uint32_t idx = (uint32_t)le32(p + i + 1);
		return e->jmprel && idx < e->njmprel
		    ? sym_name(e, ELF64_R_SYM(e->jmprel[idx].r_info)) : NULL;
	}
	if (i < n && p[i] == 0xf2)
		i++;
	if (i + 6 > n || p[i] != 0xff || p[i + 1] != 0x25)
		return NULL;
	return slot_name(e, at + i + 6 + (int64_t)le32(p + i + 2), buf);
}

static size_t
name_stubs(struct elf *e, const Elf64_Shdr *s, const char *sect,
    uld__plt_fn *fn, void *arg)
{
	size_t step = s->sh_entsize ? s->sh_entsize : 16;
	const unsigned char *code = (const void *)(e->map + s->sh_offset);
	size_t calls = 0;

	for (size_t off = 0; off + step <= s->sh_size; off += step) {
		char buf[32];
		const char *target = stub_target(e, code + off, step,
		    s->sh_addr + off, buf);
		size_t len = target ? strlen(target) : 0;
		char *name = target ? uld__malloc(len + sizeof("@plt")) : NULL;
		if (name != NULL) {
			memcpy(name, target, len);
			memcpy(name + len, "@plt", sizeof("@plt"));
		}
		/* Unnamed (the head of .plt): its section's name, so that
		 * it is not taken for the end of the stub before it. */
		fn(arg, s->sh_addr + off, step, name ? name : sect, 0);
		calls++;
	}
	return calls;
}

size_t
uld__plt_symbols(const char *map, size_t size, uld__plt_fn *fn, void *arg)
{
	struct elf e = { .map = map, .size = size, .eh = (const void *)map };
	size_t calls = 0;

	e.sh = (const void *)(map + e.eh->e_shoff);
	int decode = e.eh->e_machine == EM_X86_64 && read_dynamic(&e) == 0;
	for (size_t i = 0; i < e.eh->e_shnum; i++) {
		const Elf64_Shdr *s = &e.sh[i];
		const char *name = s->sh_type == SHT_PROGBITS &&
		    (s->sh_flags & SHF_EXECINSTR) ? section_name(&e, s) : NULL;
		if (name == NULL || strncmp(name, ".plt", 4) != 0 ||
		    (name[4] != '\0' && name[4] != '.') || !in_file(&e, s))
			continue;
		fn(arg, s->sh_addr, s->sh_size, name, 1);
		calls++;
		if (decode)
			calls += name_stubs(&e, s, name, fn, arg);
	}
	uld__free(e.slots);
	return calls;
}
