/*
 * graph.c: `ulockdep graph`: the union of saved graphs, as text or as
 * Graphviz DOT.  Edges on a strong cycle (lockorder.c, whether one run or
 * only the union saw it) are red; irq-safe and irq-unsafe classes are
 * marked.  Exit status 0, or 2 on a usage error or input that could not
 * be read whole (what could be read is still shown).
 */
#include <stdlib.h>
#include <string.h>

#include "graphfile.h"
#include "lockorder.h"
#include "merge.h"
#include "tool.h"

#define SHOW_RUNS 4

static void
mark_cycle(const struct uldt_union *u, const struct uldt_cycle *c, void *arg)
{
	uint8_t *on = arg;

	(void)u;
	for (uint32_t k = 0; k < c->n; k++)
		on[c->edges[k]] = 1;
}

#define SHOW_SIGS 6

/* Signals of a mask, comma-separated; past SHOW_SIGS, how many more (a
 * lock taken outside handlers is deliverable for dozens). */
static void
put_sigs(FILE *f, const struct uldt_union *u, uint64_t m)
{
	int shown = 0, more = 0;

	for (unsigned s = 0; s < u->nsig; s++) {
		if (!(m >> s & 1))
			continue;
		if (shown == SHOW_SIGS) {
			more++;
			continue;
		}
		fprintf(f, "%s%s", shown ? "," : "", u->sig[s]);
		shown++;
	}
	if (more)
		fprintf(f, " and %d more", more);
}

/* Signals some class was used in the handler of: only for those does
 * being taken deliverable make a class irq-unsafe (lockdep too ignores
 * irq-unsafe classes until some class is irq-safe). */
static uint64_t
handled(const struct uldt_union *u)
{
	uint64_t m = 0;

	for (uint32_t i = 0; i < u->nclasses; i++)
		m |= u->classes[i].usage[ULDT_USED_IN_W] |
		    u->classes[i].usage[ULDT_USED_IN_R];
	return m;
}

/* lockdep's {+.-.}: hardirq write, read, softirq write, read; '-' used
 * in the handler, '+' taken deliverable, '?' both. */
static void
usage_chars(const struct uldt_union *u, const struct uldt_class *c,
    char out[5])
{
	uint64_t soft = u->nruns ? u->runs[0].softirq : 0;

	for (int i = 0; i < 4; i++) {
		uint64_t sel = i < 2 ? ~soft : soft;
		int read = i & 1;
		uint64_t in = c->usage[ULDT_USED_IN_W + read] & sel;
		uint64_t en = c->usage[ULDT_ENABLED_W + read] & sel;
		out[i] = (in & en) ? '?' : in ? '-' : en ? '+' : '.';
	}
	out[4] = '\0';
}

static uint64_t
safe_of(const struct uldt_class *c)
{
	return c->usage[ULDT_USED_IN_W] | c->usage[ULDT_USED_IN_R];
}

static uint64_t
unsafe_of(uint64_t handled_sigs, const struct uldt_class *c)
{
	return (c->usage[ULDT_ENABLED_W] | c->usage[ULDT_ENABLED_R]) &
	    handled_sigs;
}

static void
text(FILE *f, const struct uldt_union *u, const uint8_t *on)
{
	uint32_t ncyc = 0;
	char deps[16], uc[5];
	uint64_t hs = handled(u);

	for (uint32_t i = 0; i < u->nedges; i++)
		ncyc += on[i];
	fprintf(f, "union of %u run%s: %u classes, %u edges, %u on a cycle\n",
	    u->nruns, u->nruns == 1 ? "" : "s", u->nclasses, u->nedges, ncyc);
	fputs("\nruns:\n", f);
	for (uint32_t i = 0; i < u->nruns; i++) {
		const struct uldt_run *r = &u->runs[i];
		fprintf(f, "  #%u %s: pid %lld, host %s, exe %s, saved %s%s\n",
		    i + 1, r->path, r->pid, r->host, r->exe, r->time,
		    r->complete ? "" : " (incomplete)");
	}
	fputs("\nclasses:\n", f);
	for (uint32_t i = 0; i < u->nclasses; i++) {
		const struct uldt_class *c = &u->classes[i];
		usage_chars(u, c, uc);
		fprintf(f, "  %s (%s, %s) {%s}", c->name, c->kind, c->type, uc);
		for (int k = 0; k < 4; k++)
			if (c->usage[k]) {
				fprintf(f, " %s:", uldt_usage_keys[k]);
				put_sigs(f, u, c->usage[k]);
			}
		if (safe_of(c)) {
			fputs(" irq-safe:", f);
			put_sigs(f, u, safe_of(c));
		}
		if (unsafe_of(hs, c)) {
			fputs(" irq-unsafe:", f);
			put_sigs(f, u, unsafe_of(hs, c));
		}
		fputc('\n', f);
	}
	fputs("\nedges (B taken while holding A: A -> B):\n", f);
	for (uint32_t i = 0; i < u->nedges; i++) {
		const struct uldt_edge *e = &u->edges[i];
		fprintf(f, "  %s -> %s [%s]%s, seen in %u run%s:",
		    u->classes[e->from].name, u->classes[e->to].name,
		    uldt_gf_deps_str(e->deps, deps, sizeof(deps)),
		    on[i] ? " ON A CYCLE" : "", e->nseen,
		    e->nseen == 1 ? "" : "s");
		for (uint32_t k = 0; k < e->nseen && k < SHOW_RUNS; k++)
			fprintf(f, " #%u", ULDT_SEEN_RUN(e->seen[k]) + 1);
		if (e->nseen > SHOW_RUNS)
			fprintf(f, " and %u more", e->nseen - SHOW_RUNS);
		fprintf(f, " (first by %s/%d in #%u)\n", e->ex.thread, e->ex.tid,
		    e->ex.run + 1);
	}
}

/* A DOT string's contents: quotes and backslashes escaped, control
 * characters as spaces, bytes that are not UTF-8 as '?'. */
static void
dot_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fputc(' ', f);
			p++;
			continue;
		}
		if (c < 0x80) {
			fputc((int)c, f);
			p++;
			continue;
		}
		size_t n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3
		    : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		size_t k = 1;
		while (n && k < n && (p[k] & 0xc0) == 0x80)
			k++;
		if (n == 0 || k < n) {
			fputc('?', f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

static void
dot(FILE *f, const struct uldt_union *u, const uint8_t *on)
{
	char deps[16];
	uint64_t hs = handled(u);

	fputs("digraph ulockdep {\n\tnode [shape=box];\n", f);
	for (uint32_t i = 0; i < u->nclasses; i++) {
		const struct uldt_class *c = &u->classes[i];
		uint64_t s = safe_of(c), un = unsafe_of(hs, c);
		fprintf(f, "\tn%u [label=\"", i);
		dot_str(f, c->name);
		fputs("\\n", f);
		dot_str(f, c->type);
		fputs(", ", f);
		dot_str(f, c->kind);
		if (s) {
			fputs("\\nirq-safe: ", f);
			put_sigs(f, u, s);
		}
		if (un) {
			fputs("\\nirq-unsafe: ", f);
			put_sigs(f, u, un);
		}
		fputc('"', f);
		if (s && un)
			fputs(", style=filled, fillcolor=\"#ffb3b3\"", f);
		else if (s)
			fputs(", style=filled, fillcolor=\"#b3d1ff\"", f);
		else if (un)
			fputs(", style=filled, fillcolor=\"#ffe6a3\"", f);
		fputs("];\n", f);
	}
	for (uint32_t i = 0; i < u->nedges; i++) {
		const struct uldt_edge *e = &u->edges[i];
		fprintf(f, "\tn%u -> n%u [label=\"%s (%u run%s)\"%s];\n",
		    e->from, e->to, uldt_gf_deps_str(e->deps, deps,
			sizeof(deps)), e->nseen, e->nseen == 1 ? "" : "s",
		    on[i] ? ", color=red, penwidth=2" : "");
	}
	fputs("}\n", f);
}

int
uldt_cmd_graph(int argc, char **argv)
{
	static const char usage[] = "graph [--format text|dot] FILE...";
	enum uldt_format fmt;
	struct uldt_union u;
	int first, rc;

	if ((rc = uldt_merge_args(argc, argv, usage,
	    1u << ULDT_FMT_TEXT | 1u << ULDT_FMT_DOT, &fmt, &first)) >= 0)
		return rc;
	uldt_gf_init(&u);
	unsigned long bad = uldt_gf_read_all(&u, argv + first, argc - first);
	uint8_t *on = calloc(u.nedges + 1, 1);
	if (on == NULL) {
		uldt_error(NULL, 0, "out of memory");
		return 2;
	}
	if (uldt_lo_cycles(&u, mark_cycle, on))
		fprintf(stderr, "ulockdep: graph: the cycle search stopped at "
		    "its budget: some cycle edges may not be marked\n");
	if (fmt == ULDT_FMT_DOT)
		dot(stdout, &u, on);
	else
		text(stdout, &u, on);
	fflush(stdout);
	free(on);
	uldt_gf_free(&u);
	return bad ? 2 : 0;
}
