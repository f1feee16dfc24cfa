/*
 * suppress.c: reading the suppressions file, and matching reports to it.
 *
 * Reading happens once, from uld__init(), with the re-entry guard set: the
 * file's bytes and the rule array are anonymous mappings (see map() for
 * why not alloc.c), and each rule's pattern points into those bytes.  After that
 * nothing here is written again, so matching needs no lock and allocates
 * nothing of its own: it runs inside report emission, which may be in a
 * signal handler.  Patterns are matched by glob.c, not fnmatch(3), for that
 * reason.
 */
#include "suppress.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#include "demangle.h"
#include "glob.h"
#include "options.h"
#include "out.h"
#include "report.h"
#include "symbols.h"
#include "util.h"

/* A suppressions file is a short hand-written list: anything bigger was
 * named by mistake (a log, /dev/zero) and is refused, not read for ever. */
#define SUPP_FILE_MAX (1 << 20)
/* Bad lines named one by one; past this, one line counts the rest. */
#define SUPP_ERRORS_SHOWN 10

static const char *const kinds[] = {
#define X(id, name, headline) name,
	ULD_REPORT_KINDS(X)
#undef X
};
_Static_assert(ULD_ARRAY_SIZE(kinds) <= 32, "kinds_used is 32 bits");

static struct uld__supp *rules;
static unsigned nrules;
static char *text;			/* the file; patterns point into it */
static size_t text_cap, rules_cap;	/* mapped sizes, for munmap */
static char file[ULD_OPT_STR_MAX];
static unsigned kinds_used;		/* bit k: some rule is of kind k */
static int any_kind;			/* some glob rule is of kind '*' */
static int have_sigs;			/* some rule is a signature */
static unsigned nerrors;

const char *
uld__suppress_file(void)
{
	return file;
}

void
uld__suppress_reset(void)
{
	if (rules != NULL)
		munmap(rules, rules_cap);
	if (text != NULL)
		munmap(text, text_cap);
	rules = NULL;
	text = NULL;
	nrules = 0;
	file[0] = '\0';
	kinds_used = 0;
	any_kind = 0;
	have_sigs = 0;
	nerrors = 0;
}

/* "ulockdep: suppressions: FILE[:LINE]: ..." on stderr, one line. */
static __attribute__((format(printf, 2, 3))) void
error(unsigned line, const char *fmt, ...)
{
	char mem[ULD_OPT_STR_MAX + 512];
	struct uld__buf b;
	va_list ap;

	if (line != 0 && ++nerrors > SUPP_ERRORS_SHOWN)
		return;
	uld__buf_init(&b, mem, sizeof(mem));
	uld__buf_printf(&b, "ulockdep: suppressions: %s", file);
	if (line != 0)
		uld__buf_printf(&b, ":%u", line);
	uld__buf_puts(&b, ": ");
	va_start(ap, fmt);
	uld__buf_vprintf(&b, fmt, ap);
	va_end(ap);
	uld__buf_putc(&b, '\n');
	uld__write_all(STDERR_FILENO, b.p, b.len);
}

/* At most this much of a bad line is quoted back. */
#define QUOTE(s, n) (int)((n) > 200 ? 200 : (n)), (s)

/*
 * Memory straight from mmap(2), not from alloc.c: uld__init() may run from
 * inside jemalloc's own constructor (its first lock is our first event),
 * where a jemalloc call would wait for ever on jemalloc's init lock.
 */
static void *
map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The whole file, NUL-terminated, in text; its length, or -1 (named). */
static long
read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 64 * 1024;
	char *p;

	if (fd < 0) {
		error(0, "cannot open: %s", strerror(errno));
		return -1;
	}
	/* read(2), not one mmap of the file: a pipe (<(...)) works too. */
	p = map(cap);
	for (;;) {
		if (p == NULL) {
			error(0, "out of memory reading it; not used");
			close(fd);
			return -1;
		}
		if (len + 1 == cap) {
			if (cap >= SUPP_FILE_MAX) {
				error(0, "larger than 1 MiB; not used");
				break;
			}
			char *np = mremap(p, cap, cap * 2, MREMAP_MAYMOVE);
			if (np == MAP_FAILED) {
				munmap(p, cap);
				p = NULL;
				continue;
			}
			p = np;
			cap *= 2;
		}
		ssize_t n = read(fd, p + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error(0, "cannot read: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			close(fd);
			p[len] = '\0';
			text = p;
			text_cap = cap;
			return (long)len;
		}
		len += (size_t)n;
	}
	close(fd);
	munmap(p, cap);
	return -1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim [*s, *e) of blanks at both ends. */
static void
trim(char **s, char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

static int
parse_sig(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, n++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
		    : *s >= 'a' && *s <= 'f'   ? *s - 'a' + 10
		    : *s >= 'A' && *s <= 'F'   ? *s - 'A' + 10
					       : -1;
		if (d < 0 || n == 16)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
}

/* One line, [s, e), without its '\n'; a rule in *rule: 1, none: 0. */
static int
parse_line(char *s, char *e, unsigned line, struct uld__supp *rule)
{
	/* '#' starts a comment, unless escaped ("\#" is a literal '#' to
	 * the glob as well). */
	for (char *c = s; c < e; c++) {
		if (*c == '\\' && c + 1 < e)
			c++;
		else if (*c == '#') {
			e = c;
			break;
		}
	}
	trim(&s, &e);
	if (s == e)
		return 0;

	char *colon = memchr(s, ':', (size_t)(e - s));
	if (colon == NULL) {
		error(line, "expected KIND:PATTERN, not '%.*s'",
		    QUOTE(s, e - s));
		return 0;
	}
	char *ks = s, *ke = colon, *ps = colon + 1, *pe = e;
	trim(&ks, &ke);
	trim(&ps, &pe);
	size_t klen = (size_t)(ke - ks);

	if (klen == 0) {
		error(line, "no report kind before ':' in '%.*s'",
		    QUOTE(s, e - s));
		return 0;
	}
	if (ps == pe) {
		error(line, "empty pattern after '%.*s:'", QUOTE(ks, klen));
		return 0;
	}
	*ke = '\0';
	*pe = '\0';
	memset(rule, 0, sizeof(*rule));
	rule->line = line;
	rule->pattern = ps;
	if (strcmp(ks, "signature") == 0) {
		if (parse_sig(ps, &rule->sig) != 0) {
			error(line, "'%.*s' is not a signature (1 to 16 hex "
			    "digits)", QUOTE(ps, pe - ps));
			return 0;
		}
		rule->is_sig = 1;
		rule->kind = -1;
		return 1;
	}
	if (strcmp(ks, "*") == 0) {
		rule->kind = -1;
	} else {
		rule->kind = -2;
		for (size_t k = 0; k < ULD_ARRAY_SIZE(kinds); k++)
			if (strcmp(ks, kinds[k]) == 0)
				rule->kind = (int)k;
		if (rule->kind == -2) {
			error(line, "unknown report kind '%.*s'",
			    QUOTE(ks, klen));
			return 0;
		}
	}
	const char *why = uld__glob_check(ps);
	if (why != NULL) {
		error(line, "pattern '%.*s' %s", QUOTE(ps, pe - ps), why);
		return 0;
	}
	return 1;
}

unsigned
uld__suppress_load(const char *path)
{
	long len;
	unsigned lines = 1;

	uld__suppress_reset();
	if (path == NULL || path[0] == '\0')
		return 0;
	size_t plen = strlen(path);
	if (plen >= sizeof(file))
		plen = sizeof(file) - 1;
	memcpy(file, path, plen);
	file[plen] = '\0';

	len = read_file(file);
	if (len < 0)
		return 0;
	for (long i = 0; i < len; i++)
		lines += text[i] == '\n';
	rules_cap = lines * sizeof(*rules);
	rules = map(rules_cap);
	if (rules == NULL) {
		error(0, "out of memory; not used");
		return 0;
	}

	char *s = text, *end = text + len;
	for (unsigned line = 1; s < end; line++) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		char *e = nl ? nl : end;
		struct uld__supp *r = &rules[nrules];
		if (parse_line(s, e, line, r)) {
			nrules++;
			if (r->is_sig)
				have_sigs = 1;
			else if (r->kind < 0)
				any_kind = 1;
			else
				kinds_used |= 1u << r->kind;
		}
		s = e + 1;
	}
	if (nerrors > SUPP_ERRORS_SHOWN)
		error(0, "%u more bad lines not shown",
		    nerrors - SUPP_ERRORS_SHOWN);
	return nrules;
}

/* ---- matching: no lock of ours; no allocation but a C++ name's first
 * demangling, never in a handler (demangle.h) ---- */

static int
applies(const struct uld__supp *s, int kind)
{
	return s->kind == -1 || s->kind == kind;
}

/* The first glob rule of this kind that matches `name`. */
static const struct uld__supp *
match_name(int kind, const char *name, const char **what)
{
	if (name == NULL || name[0] == '\0')
		return NULL;
	for (unsigned i = 0; i < nrules; i++) {
		const struct uld__supp *s = &rules[i];
		if (!s->is_sig && applies(s, kind) &&
		    uld__glob_match(s->pattern, name)) {
			*what = name;
			return s;
		}
	}
	return NULL;
}

static const struct uld__supp *
match_path_classes(int kind, const struct uld__path *p, const char **what)
{
	const struct uld__supp *s = NULL;

	for (uint32_t k = 0; p != NULL && k <= p->n && s == NULL; k++)
		s = match_name(kind, uld__class_name(p->c[k]), what);
	return s;
}

/* A frame matches by its function, its module's path or basename. */
static const struct uld__supp *
match_frames(int kind, void *const *ips, uint32_t n, const char **what)
{
	const struct uld__supp *s = NULL;

	for (uint32_t i = 0; i < n && s == NULL; i++) {
		struct uld__symbol sym;
		/* A return address: the call is the byte before it, as the
		 * renderers look it up (an exact ip: itself). */
		/* A C++ function by its C++ name, as reports show it
		 * (demangle.h: in a handler, names seen outside one), or by
		 * its mangled one. */
		if (uld__sym_function(uld__sym_code(ips[i]), &sym) == 0) {
			const char *plain = uld__demangle(sym.name);
			s = match_name(kind, plain, what);
			if (s == NULL && plain != sym.name)
				s = match_name(kind, sym.name, what);
		}
		if (s == NULL && sym.module != NULL) {
			const char *base = strrchr(sym.module, '/');
			s = match_name(kind, sym.module, what);
			if (s == NULL && base != NULL)
				s = match_name(kind, base + 1, what);
		}
	}
	return s;
}

static const struct uld__supp *
match_path_frames(int kind, const struct uld__path *p, const char **what)
{
	const struct uld__supp *s = NULL;

	for (uint32_t k = 0; p != NULL && k < p->n && s == NULL; k++)
		if (p->e[k]->stack != NULL)
			s = match_frames(kind, p->e[k]->stack->ips,
			    p->e[k]->stack->n, what);
	return s;
}

const struct uld__supp *
uld__suppress_match(const struct uld__report *r, const char **what)
{
	const struct uld__supp *s = NULL;
	const char *dummy;
	int kind = (int)r->kind;

	if (what == NULL)
		what = &dummy;
	for (unsigned i = 0; have_sigs && i < nrules; i++)
		if (rules[i].is_sig && rules[i].sig == r->signature) {
			*what = rules[i].pattern;
			return &rules[i];
		}
	/* Most reports meet no rule of their kind: no symbol lookups. */
	if (!any_kind && !(kinds_used & (1u << kind)))
		return NULL;

	/* Names first: no symbol lookup needed. */
	for (uint32_t i = 0; i < r->nlocks && s == NULL; i++)
		if (r->locks[i].class != NULL)
			s = match_name(kind,
			    uld__class_name(r->locks[i].class), what);
	if (s == NULL)
		s = match_path_classes(kind, r->cycle, what);
	for (int i = 0; i < 2 && s == NULL; i++)
		s = match_path_classes(kind, r->irq_paths[i], what);
	if (s == NULL && r->irq_safe != NULL)
		s = match_name(kind, uld__class_name(r->irq_safe), what);
	if (s == NULL && r->irq_unsafe != NULL)
		s = match_name(kind, uld__class_name(r->irq_unsafe), what);

	/* Then every frame of every stack the report shows. */
	for (uint32_t i = 0; i < r->nstacks && s == NULL; i++)
		s = match_frames(kind, r->stacks[i].ips, r->stacks[i].n, what);
	if (s == NULL)
		s = match_path_frames(kind, r->cycle, what);
	for (int i = 0; i < 2 && s == NULL; i++)
		s = match_path_frames(kind, r->irq_paths[i], what);
	return s;
}
