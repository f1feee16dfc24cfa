/*
 * merge.c: `ulockdep merge`: what only the union of many runs' graphs
 * shows, as reports like those a process writes.
 *
 * Each finding of lockorder.c that no single run saw whole becomes one
 * JSON record of the report format (contract.md), with the signature a
 * process would compute for the same bug, so that `ulockdep report`
 * deduplicates a merged report against a process's own.  Each stack is
 * the one its run saved, titled with that run.  The records go into the
 * report set of reports.h and are printed by it, so merged reports look
 * like `ulockdep report`'s.
 *
 * Exit status: 0 nothing new, 1 something reported, 2 a usage error or
 * any input that could not be read whole (what could be read is still
 * merged and printed).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graphfile.h"
#include "json.h"
#include "lockorder.h"
#include "merge.h"
#include "reports.h"
#include "tool.h"

struct ctx {
	struct uldt_reports *set;
	unsigned long added;
	char now[40];
};

static void
iso_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* "in run FILE (pid N, host H)" */
static void
run_words(FILE *f, const struct uldt_union *u, uint32_t run)
{
	const struct uldt_run *r = &u->runs[run];

	fprintf(f, "in run %s (pid %lld, host %s)", r->path, r->pid, r->host);
}

/* "WHAT, in run FILE (pid N, host H)" */
static char *
run_title(const struct uldt_union *u, uint32_t run, const char *what)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	fputs(what, f);
	fputs(", ", f);
	run_words(f, u, run);
	fclose(f);
	return s;
}

/* "B taken while holding A, in run FILE (pid N, host H)", the
 * validator's title of an edge's stack and the run that saw it. */
static char *
edge_title(const struct uldt_union *u, const struct uldt_edge *e)
{
	char *what = NULL, *t;
	size_t n = 0;
	FILE *f = open_memstream(&what, &n);

	fprintf(f, "%s taken while holding %s", u->classes[e->to].name,
	    u->classes[e->from].name);
	fclose(f);
	t = run_title(u, e->ex.run, what);
	free(what);
	return t;
}

static void
put_stack(FILE *f, const struct uldt_union *u, const char *role,
    const char *title, const struct uldt_example *ex, int *first)
{
	fputs(*first ? "{\"role\":" : ",{\"role\":", f);
	*first = 0;
	uldt_json_put_str(f, role);
	fputs(",\"title\":", f);
	uldt_json_put_str(f, title);
	fputs(",\"thread\":", f);
	uldt_json_put_str(f, ex ? ex->thread : "?");
	fprintf(f, ",\"tid\":%d,\"run\":", ex ? ex->tid : 0);
	uldt_json_put_str(f, ex ? u->runs[ex->run].path : "?");
	fputs(",\"frames\":", f);
	uldt_gf_put_frames(u, ex, f);
	fputc('}', f);
}

/* The report mode of class c taken (or held) through deps. */
static const char *
mode_of(const struct uldt_class *c, uint8_t deps, int taker)
{
	if (strcmp(c->type, "spin") == 0 || strcmp(c->type, "kspin") == 0)
		return "spin";
	if (strcmp(c->type, "mutex") == 0)
		return "mutex";
	uint8_t rd = taker ? ULD_DEP_ER | ULD_DEP_SR
			   : ULD_DEP_SN | ULD_DEP_SR;
	return (deps & ~rd) ? "rwlock-write" : "rwlock-read";
}

static void
put_lock(FILE *f, const struct uldt_class *c, const char *mode, int first)
{
	fputs(first ? "{\"class\":" : ",{\"class\":", f);
	uldt_json_put_str(f, c->name);
	fprintf(f, ",\"address\":\"0x0\",\"mode\":\"%s\"}", mode);
}

/* The runs named in a record: "runs":[{file, pid, exe, host, time}]. */
static void
put_runs(FILE *f, const struct uldt_union *u, const uint32_t *runs,
    uint32_t n)
{
	fputs(",\"merged\":true,\"runs\":[", f);
	for (uint32_t i = 0; i < n; i++) {
		const struct uldt_run *r = &u->runs[runs[i]];
		int dup = 0;
		for (uint32_t j = 0; j < i; j++)
			dup |= runs[j] == runs[i];
		if (dup)
			continue;
		fputs(i ? ",{\"file\":" : "{\"file\":", f);
		uldt_json_put_str(f, r->path);
		fprintf(f, ",\"pid\":%lld,\"exe\":", r->pid);
		uldt_json_put_str(f, r->exe);
		fputs(",\"host\":", f);
		uldt_json_put_str(f, r->host);
		fputs(",\"time\":", f);
		uldt_json_put_str(f, r->time);
		fputc('}', f);
	}
	fputc(']', f);
}

static void
put_head(FILE *f, struct ctx *x, const struct uldt_union *u,
    const char *kind, const struct uldt_example *ex, uint64_t sig)
{
	fprintf(f, "{\"kind\":\"%s\",\"pid\":%lld,\"tid\":%d,\"thread\":", kind,
	    ex ? u->runs[ex->run].pid : 0LL, ex ? ex->tid : 0);
	uldt_json_put_str(f, ex ? ex->thread : "?");
	fprintf(f, ",\"time\":\"%s\",\"signature\":\"%016llx\"", x->now,
	    (unsigned long long)sig);
	if (ex != NULL) {
		fputs(",\"exe\":", f);
		uldt_json_put_str(f, u->runs[ex->run].exe);
		fputs(",\"host\":", f);
		uldt_json_put_str(f, u->runs[ex->run].host);
	}
}

/* The validator's headline and advice for the kind (lib/validate.c,
 * lib/irq_rules.c), so a merged report reads like a process's. */
static void
put_words(FILE *f, const char *headline, const char *advice)
{
	fputs(",\"headline\":", f);
	uldt_json_put_str(f, headline);
	fputs(",\"advice\":", f);
	uldt_json_put_str(f, advice);
}

static void
add_record(struct ctx *x, char *rec, size_t len)
{
	/* No file: a record made here (reports.h). */
	if (uldt_reports_add(x->set, rec, len, NULL, 0) == 0)
		x->added++;
	free(rec);
}

static void
on_cycle(const struct uldt_union *u, const struct uldt_cycle *c, void *arg)
{
	struct ctx *x = arg;
	char *rec = NULL, *msg = NULL, *t;
	size_t len = 0, mlen = 0;

	if (c->single_run >= 0)
		return;	/* that run reported it itself */
	const struct uldt_edge *close = &u->edges[c->edges[c->n - 1]];
	const struct uldt_class *taker = &u->classes[c->cls[0]];
	const struct uldt_class *holder = &u->classes[c->cls[c->n - 1]];
	uint32_t *runs = calloc(2 * c->n, sizeof(*runs));
	if (runs == NULL)
		return;
	for (uint32_t k = 0; k < c->n; k++)
		runs[k] = u->edges[c->edges[(k + c->n - 1) % c->n]].ex.run;

	FILE *m = open_memstream(&msg, &mlen);
	fprintf(m, "possible circular locking dependency across runs: %s/%d "
	    "takes %s while holding %s ", close->ex.thread, close->ex.tid,
	    taker->name, holder->name);
	run_words(m, u, close->ex.run);
	fprintf(m, ", but %s", taker->name);
	for (uint32_t k = 1; k < c->n; k++)
		fprintf(m, " -> %s", u->classes[c->cls[k]].name);
	/* Where the chain was seen: its runs, the first few by file. */
	uint32_t nd = 0;
	for (uint32_t k = 1; k < c->n; k++) {
		int dup = 0;
		for (uint32_t j = 1; j < k; j++)
			dup |= runs[j] == runs[k];
		if (!dup)
			runs[c->n + nd++] = runs[k];
	}
	fprintf(m, " was seen in run%s", nd > 1 ? "s" : "");
	for (uint32_t k = 0; k < nd && k < 3; k++)
		fprintf(m, "%s %s", k ? "," : "", u->runs[runs[c->n + k]].path);
	if (nd > 3)
		fprintf(m, " and %u more", nd - 3);
	fclose(m);

	FILE *f = open_memstream(&rec, &len);
	put_head(f, x, u, "circular_dependency", &close->ex, c->signature);
	fputs(",\"message\":", f);
	uldt_json_put_str(f, msg);
	fputs(",\"locks\":[", f);
	put_lock(f, taker, mode_of(taker, close->deps, 1), 1);
	put_lock(f, holder, mode_of(holder, close->deps, 0), 0);
	fputs("],\"stacks\":[", f);
	int first = 1;
	/* The closing edge, then the path taker -> ... -> holder, as a
	 * process lists its current acquisition and then the chain. */
	t = edge_title(u, close);
	put_stack(f, u, "dependency", t, &close->ex, &first);
	free(t);
	for (uint32_t k = 0; k + 1 < c->n; k++) {
		const struct uldt_edge *e = &u->edges[c->edges[k]];
		t = edge_title(u, e);
		put_stack(f, u, "dependency", t, &e->ex, &first);
		free(t);
	}
	fputs("],\"cycle\":[", f);
	for (uint32_t k = 0; k < c->n; k++) {
		if (k)
			fputc(',', f);
		uldt_json_put_str(f, u->classes[c->cls[k]].name);
	}
	fputc(']', f);
	put_runs(f, u, runs, c->n);
	put_words(f, "WARNING: possible circular locking dependency detected",
	    "take these locks in one order everywhere. If these are "
	    "different locks of one class that nest in a fixed order, "
	    "annotate the inner acquisition with a subclass.");
	fputs("}", f);
	fclose(f);
	add_record(x, rec, len);
	free(msg);
	free(runs);
}

/* "IN-HARDIRQ-W", "SOFTIRQ-ON-R" (lib/irq_rules.c uld__usage_name). */
static void
usage_name(char *buf, size_t len, int kind, int soft)
{
	const char *state = soft ? "SOFTIRQ" : "HARDIRQ";
	const char *rw = kind & 1 ? "R" : "W";

	if (kind <= ULDT_USED_IN_R)
		snprintf(buf, len, "IN-%s-%s", state, rw);
	else
		snprintf(buf, len, "%s-ON-%s", state, rw);
}

/* The first run whose class c had usage `kind` for signal bit s. */
static uint32_t
run_with(const struct uldt_class *c, int kind, unsigned s)
{
	for (uint32_t i = 0; i < c->nru; i++)
		if (c->ru[i].u[kind] >> s & 1)
			return c->ru[i].run;
	return 0;
}

/* A usage trace as a stack: "{IN-SOFTIRQ-W} state of X was registered
 * at (SIGALRM handler), in run ...". */
static void
usage_stack(FILE *f, const struct uldt_union *u, const struct uldt_class *c,
    int kind, unsigned s, int *first, struct uldt_example *fallback)
{
	const struct uldt_usage_ex *ux = uldt_gf_usage_ex(c, kind, s);
	uint32_t run = ux ? ux->ex.run : run_with(c, kind, s);
	char un[32], what[64];
	char *t;

	usage_name(un, sizeof(un), kind, uldt_gf_is_soft(u, (int)run, s));
	snprintf(what, sizeof(what), "%s%s", u->sig[s],
	    kind <= ULDT_USED_IN_R ? " handler" : " deliverable");
	char *head = NULL;
	size_t hn = 0;
	FILE *hf = open_memstream(&head, &hn);
	fprintf(hf, "{%s} state of %s was registered at (%s)", un, c->name,
	    what);
	fclose(hf);
	t = run_title(u, run, head);
	free(head);
	if (ux != NULL) {
		put_stack(f, u, kind <= ULDT_USED_IN_R ? "irq-safe"
						       : "irq-unsafe",
		    t, &ux->ex, first);
	} else {
		fallback->run = run;
		put_stack(f, u, kind <= ULDT_USED_IN_R ? "irq-safe"
						       : "irq-unsafe",
		    t, fallback, first);
	}
	free(t);
}

static void
on_conflict(const struct uldt_union *u, const struct uldt_irq_conflict *cf,
    void *arg)
{
	struct ctx *x = arg;
	const struct uldt_class *c = &u->classes[cf->cls];
	char *rec = NULL;
	size_t len = 0;
	char un[32], en[32], msg[1024];
	struct uldt_example none = { 0, 0, "?", -1, 0 };

	if (cf->single_run >= 0)
		return;
	uint32_t urun = run_with(c, cf->used_kind, cf->sig);
	uint32_t erun = run_with(c, cf->en_kind, cf->sig);
	int soft = uldt_gf_is_soft(u, (int)urun, cf->sig);
	const struct uldt_usage_ex *eux = uldt_gf_usage_ex(c, cf->en_kind,
	    cf->sig);
	struct uldt_example head = { erun, 0, "?", -1, 0 };
	usage_name(un, sizeof(un), cf->used_kind, soft);
	usage_name(en, sizeof(en), cf->en_kind, soft);
	snprintf(msg, sizeof(msg), "inconsistent lock state across runs: %s is "
	    "taken in the %s handler {%s} in run %s, but with %s deliverable "
	    "{%s} in run %s", c->name, u->sig[cf->sig], un,
	    u->runs[urun].path, u->sig[cf->sig], en, u->runs[erun].path);

	FILE *f = open_memstream(&rec, &len);
	put_head(f, x, u, "inconsistent_irq_state", eux ? &eux->ex : &head,
	    cf->signature);
	fputs(",\"message\":", f);
	uldt_json_put_str(f, msg);
	fputs(",\"locks\":[", f);
	put_lock(f, c, mode_of(c, cf->en_kind == ULDT_ENABLED_R
	    ? ULD_DEP_SR : ULD_DEP_EN, 1), 1);
	fputs("],\"stacks\":[", f);
	int first = 1;
	usage_stack(f, u, c, cf->en_kind, cf->sig, &first, &none);
	usage_stack(f, u, c, cf->used_kind, cf->sig, &first, &none);
	fputs("],\"signal\":", f);
	uldt_json_put_str(f, u->sig[cf->sig]);
	fprintf(f, ",\"irq\":\"%s\",\"usage\":\"%s\",\"conflicts_with\":"
	    "\"%s\"", soft ? "softirq" : "hardirq", en, un);
	uint32_t runs[2] = { urun, erun };
	put_runs(f, u, runs, 2);
	put_words(f, "WARNING: inconsistent lock state",
	    "a handler that takes a lock interrupts, on the same thread, code "
	    "that may hold it. Block the signal around every acquisition "
	    "outside the handler (pthread_sigmask, spin_lock_irqsave, "
	    "spin_lock_bh for softirq signals), or keep the lock out of the "
	    "handler: set a sig_atomic_t flag, or read the signal from a "
	    "signalfd.");
	fputs("}", f);
	fclose(f);
	add_record(x, rec, len);
}

static void
on_order(const struct uldt_union *u, const struct uldt_irq_order *o,
    void *arg)
{
	struct ctx *x = arg;
	const struct uldt_class *s = &u->classes[o->safe];
	const struct uldt_class *us = &u->classes[o->unsafe];
	char *rec = NULL, *t;
	size_t len = 0;
	char msg[1024];
	struct uldt_example none = { 0, 0, "?", -1, 0 };

	if (o->single_run >= 0)
		return;
	uint32_t srun = run_with(s, o->safe_kind, o->sig);
	int soft = uldt_gf_is_soft(u, (int)srun, o->sig);
	const char *state = soft ? "SOFTIRQ" : "HARDIRQ";
	snprintf(msg, sizeof(msg), "irq lock inversion across runs: %s is taken "
	    "in the %s handler (%s-safe) and, through a chain of locks, before "
	    "%s, which is taken with %s deliverable (%s-unsafe)", s->name,
	    u->sig[o->sig], state, us->name, u->sig[o->sig], state);
	const struct uldt_edge *first_e = &u->edges[o->edges[0]];

	FILE *f = open_memstream(&rec, &len);
	put_head(f, x, u, "irq_safe_unsafe_order", &first_e->ex, o->signature);
	fputs(",\"message\":", f);
	uldt_json_put_str(f, msg);
	fputs(",\"locks\":[", f);
	put_lock(f, s, mode_of(s, first_e->deps, 0), 1);
	put_lock(f, us, mode_of(us, u->edges[o->edges[o->n - 1]].deps, 1), 0);
	fputs("],\"stacks\":[", f);
	int first = 1;
	usage_stack(f, u, s, o->safe_kind, o->sig, &first, &none);
	usage_stack(f, u, us, o->unsafe_kind, o->sig, &first, &none);
	uint32_t *runs = calloc(o->n + 2, sizeof(*runs));
	if (runs == NULL) {
		fclose(f);
		free(rec);
		return;
	}
	for (uint32_t k = 0; k < o->n; k++) {
		const struct uldt_edge *e = &u->edges[o->edges[k]];
		runs[k] = e->ex.run;
		t = edge_title(u, e);
		put_stack(f, u, "dependency", t, &e->ex, &first);
		free(t);
	}
	runs[o->n] = srun;
	runs[o->n + 1] = run_with(us, o->unsafe_kind, o->sig);
	fputs("],\"signal\":", f);
	uldt_json_put_str(f, u->sig[o->sig]);
	fprintf(f, ",\"irq\":\"%s\",\"irq_safe\":", soft ? "softirq"
							   : "hardirq");
	uldt_json_put_str(f, s->name);
	fputs(",\"irq_unsafe\":", f);
	uldt_json_put_str(f, us->name);
	fputs(",\"chain\":[", f);
	for (uint32_t k = 0; k <= o->n; k++) {
		if (k)
			fputc(',', f);
		uldt_json_put_str(f, u->classes[o->cls[k]].name);
	}
	fputc(']', f);
	put_runs(f, u, runs, o->n + 2);
	put_words(f, "WARNING: possible irq lock inversion dependency detected",
	    "the irq-unsafe lock can be held when the signal arrives, and the "
	    "handler then waits for the irq-safe lock, whose holder waits for "
	    "the irq-unsafe one. Block the signal around every acquisition of "
	    "the irq-unsafe lock (or of every lock on the chain), or stop "
	    "taking the irq-safe lock in the handler.");
	fputs("}", f);
	fclose(f);
	add_record(x, rec, len);
	free(runs);
}

int
uldt_merge_args(int argc, char **argv, const char *usage, unsigned formats,
    enum uldt_format *fmt, int *first_file)
{
	int i;

	*fmt = ULDT_FMT_TEXT;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("usage: ulockdep %s\n", usage);
			return 0;
		}
		if (strcmp(a, "--format") == 0 && i + 1 < argc)
			v = argv[++i];
		else if (strncmp(a, "--format=", 9) == 0)
			v = a + 9;
		else if (a[0] == '-' && a[1] != '\0') {
			uldt_error(NULL, 0, "%s: unknown option '%s'", argv[0],
			    a);
			fprintf(stderr, "usage: ulockdep %s\n", usage);
			return 2;
		} else
			break;
		int f = uldt_format_parse(v);
		if (f < 0 || !(formats >> f & 1)) {
			uldt_error(NULL, 0, "%s: unknown format '%s'", argv[0],
			    v);
			fprintf(stderr, "usage: ulockdep %s\n", usage);
			return 2;
		}
		*fmt = (enum uldt_format)f;
	}
	if (i >= argc) {
		uldt_error(NULL, 0, "%s: no graph files", argv[0]);
		fprintf(stderr, "usage: ulockdep %s\n", usage);
		return 2;
	}
	*first_file = i;
	return -1;
}

int
uldt_cmd_merge(int argc, char **argv)
{
	static const char usage[] = "merge [--format text|json|sarif] FILE...";
	enum uldt_format fmt;
	struct uldt_union u;
	struct ctx x = { 0 };
	int first, rc;

	if ((rc = uldt_merge_args(argc, argv, usage,
	    1u << ULDT_FMT_TEXT | 1u << ULDT_FMT_JSON | 1u << ULDT_FMT_SARIF,
	    &fmt, &first)) >= 0)
		return rc;
	uldt_gf_init(&u);
	unsigned long bad = uldt_gf_read_all(&u, argv + first, argc - first);
	x.set = uldt_reports_new();
	iso_now(x.now, sizeof(x.now));
	if (uldt_lo_cycles(&u, on_cycle, &x))
		fprintf(stderr, "ulockdep: merge: the cycle search stopped at "
		    "its budget of %llu edge visits: some cycles may be "
		    "missing\n", (unsigned long long)ULDT_LO_BUDGET);
	if (uldt_lo_irq(&u, on_conflict, on_order, &x))
		fprintf(stderr, "ulockdep: merge: the irq order search stopped "
		    "at its budget of %llu edge visits: some inversions may "
		    "be missing\n", (unsigned long long)ULDT_LO_BUDGET);
	uldt_reports_from_graphs(x.set, (size_t)(argc - first));
	uldt_reports_print(x.set, fmt, stdout);
	fflush(stdout);
	rc = (bad ? ULDT_EXIT_BAD : 0) |
	    (uldt_reports_count(x.set) ? ULDT_EXIT_REPORTS : 0);
	uldt_reports_free(x.set);
	uldt_gf_free(&u);
	return rc;
}
