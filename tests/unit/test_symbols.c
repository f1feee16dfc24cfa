/*
 * test_symbols.c: the PLT stubs of this program are named as objdump names
 * them (lib/symplt.c), and the functions around them keep their own names.
 *
 * objdump -d labels each stub of .plt, .plt.sec and .plt.got <name@plt>;
 * each must be what uld__sym_function gives for the stub's first byte and
 * for a byte inside it, and the head of .plt must be .plt.  (The core is
 * built -fno-plt, so this program has few stubs: one in .plt, one in
 * .plt.got; a program's many are named by the same code.)  Without the
 * stub names, all of them came out as _init (the symbol below .plt).
 */
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols.h"

#include "tap.h"

struct module {
	char path[256];
	uintptr_t base;
};

static struct module mods[64];
static int nmods;

static int
add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (nmods < 64) {
		const char *p = info->dlpi_name;
		/* The program itself comes first, without a name. */
		if (nmods == 0 && p[0] == '\0') {
			ssize_t n = readlink("/proc/self/exe", mods[0].path,
			    sizeof(mods[0].path) - 1);
			mods[0].path[n > 0 ? n : 0] = '\0';
		} else {
			snprintf(mods[nmods].path, sizeof(mods[0].path), "%s", p);
		}
		mods[nmods++].base = info->dlpi_addr;
	}
	return 0;
}

/*
 * objdump names a stub of an IRELATIVE slot by the ifunc resolver's
 * address (<*ABS*+0x9f250@plt>); ours is the ifunc there
 * (strncasecmp@plt): 1 if `got` is "NAME@plt" for an ifunc nm -D lists
 * at that address.  (Without one, both names are objdump's.)
 */
static struct ifunc {
	unsigned long long at;
	char name[120];
} ifuncs[4096];
static int nifuncs;
static char ifuncs_of[256];

static int
is_ifunc_stub(const char *path, unsigned long long at, const char *got)
{
	char cmd[400], line[512], type;

	/* nm once per module: libc has 40 such stubs. */
	if (strcmp(ifuncs_of, path) != 0) {
		snprintf(ifuncs_of, sizeof(ifuncs_of), "%s", path);
		nifuncs = 0;
		snprintf(cmd, sizeof(cmd),
		    "nm -D --defined-only '%s' 2>/dev/null", path);
		FILE *nm = popen(cmd, "r");
		while (nm != NULL && nifuncs < 4096 &&
		    fgets(line, sizeof(line), nm) != NULL) {
			struct ifunc *f = &ifuncs[nifuncs];
			if (sscanf(line, "%llx %c %119[^@\n]", &f->at, &type,
			    f->name) == 3 && type == 'i')
				nifuncs++;
		}
		if (nm != NULL)
			pclose(nm);
	}
	for (int i = 0; got != NULL && i < nifuncs; i++) {
		size_t n = strlen(ifuncs[i].name);
		if (ifuncs[i].at == at && strncmp(got, ifuncs[i].name, n) == 0 &&
		    strcmp(got + n, "@plt") == 0)
			return 1;
	}
	return 0;
}

/* Every PLT label objdump gives in one module, named so by us: one test
 * per module, the first mismatches shown.  The stubs seen. */
static int
check_module(const struct module *m, int *heads)
{
	char line[512], label[400], cmd[400];
	unsigned long long addr, ifunc;
	struct uld__symbol s;
	int stubs = 0, bad = 0, h = 0;

	/* The file by name: /proc/self/exe in the command would be the
	 * shell's and then objdump's own. */
	snprintf(cmd, sizeof(cmd), "objdump -d -j .plt -j .plt.sec "
	    "-j .plt.got '%s' 2>/dev/null", m->path);
	FILE *od = popen(cmd, "r");
	if (od == NULL)
		return 0;
	while (fgets(line, sizeof(line), od) != NULL) {
		if (sscanf(line, "%llx <%399[^>]>:", &addr, label) != 2)
			continue;
		/* The head of .plt: <.plt>, or named after the first stub
		 * (<__cxa_finalize@plt-0x10>), as objdump finds symbols. */
		int head = label[0] == '.' || strstr(label, "@plt-0x") != NULL;
		int abs = !head && sscanf(label, "*ABS*+%llx@plt", &ifunc) == 1;
		h += head;
		stubs += !head;
		/* A stub is at least 8 bytes, so +4 is inside it. */
		for (int off = 0; off <= 4; off += 4) {
			int found = uld__sym_function(
			    (void *)(m->base + (uintptr_t)addr + off), &s);
			const char *got = found == 0 ? s.name : NULL;
			int good = abs
			    ? is_ifunc_stub(m->path, ifunc, got) ||
				(got && strcmp(got, label) == 0)
			    : got && strcmp(got, head ? ".plt" : label) == 0;
			if (!good && bad++ < 5)
				diag("  %s+%d: named %s", label, off,
				    got ? got : "NULL");
		}
		/* As a frame: no return address is a stub's first byte, so
		 * that ip is where the watchdog found a thread, in this stub
		 * (not at the end of the one before). */
		struct uld__frame f;
		const char *want = head ? ".plt" : label;
		uld__sym_frame((void *)(m->base + (uintptr_t)addr), &f);
		if (!abs && (f.function == NULL || f.offset != 0 ||
		    strcmp(f.function, want) != 0) && bad++ < 5)
			diag("  %s as a frame: %s+%lu", label,
			    f.function ? f.function : "NULL",
			    (unsigned long)f.offset);
	}
	pclose(od);
	*heads += h;
	if (stubs + h > 0)
		ok(bad == 0, "%s: its %d PLT stubs and %d head%s named as "
		    "objdump names them", m->path, stubs, h, h == 1 ? "" : "s");
	return stubs;
}

int
main(void)
{
	struct uld__symbol s;
	int stubs, heads = 0, all = 0;

	if (system("objdump --version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP no objdump\n");
		return 0;
	}
	dl_iterate_phdr(add_module, NULL);
	stubs = check_module(&mods[0], &heads);
	ok(stubs >= 2, "objdump listed %d stubs of this program", stubs);
	is_int(heads, 1, "and one head of .plt");
	/* The libraries it loaded (libc, libunwind, liburcu, libdw...). */
	for (int i = 1; i < nmods; i++)
		if (mods[i].path[0] == '/')
			all += check_module(&mods[i], &heads);
	ok(all >= 20, "and %d stubs of %d libraries", all, nmods - 1);

	/* The silent twin: real functions keep their own names. */
	ok(uld__sym_function((void *)((uintptr_t)main + 1), &s) == 0 &&
	    strcmp(s.name, "main") == 0, "main is still main");
	ok(uld__sym_function((void *)((uintptr_t)add_module + 1), &s) == 0 &&
	    strcmp(s.name, "add_module") == 0,
	    "a static function is still itself");
	return done_testing();
}
