/*
 * report_text.c: `report --format text`: a summary of every signature,
 * then one full report each, in the order of uldt_reports_sorted.
 *
 * The records do not carry the validator's text, so the full report is
 * rebuilt from their fields in the validator's layout (lib/report_text.c):
 * headline, message, locks, each stack with its title, signature, advice.
 * Fields this file does not know (a kind's own, or a newer validator's)
 * are listed under "details", so nothing a record says is hidden.
 */
#include <stdlib.h>
#include <string.h>

#include "reports_priv.h"

/* Processes named in the summary before "and N more". */
#define SUMMARY_PROCS 8
#define MAX_CLASSES 64

/* Members rendered in their own place (the rest go to "details"). */
static const char *const shown[] = {
	"kind", "pid", "tid", "thread", "time", "signature", "message",
	"locks", "stacks", "cycle", "headline", "advice", "exe", "host",
	"merged", "runs",
	ULDT_ADDED_FIELDS,
};

const char *
uldt_basename(const char *path)
{
	const char *s = path != NULL ? strrchr(path, '/') : NULL;

	return s != NULL ? s + 1 : path;
}

void
uldt_frame_label(const struct uldt_json *fr, char *buf, size_t cap)
{
	const char *fn = uldt_json_str(uldt_json_get(fr, "function"));
	const char *mod = uldt_basename(
	    uldt_json_str(uldt_json_get(fr, "module")));
	const char *file = uldt_json_str(uldt_json_get(fr, "file"));
	const char *ip = uldt_json_str(uldt_json_get(fr, "ip"));
	long long off, line;
	size_t n = 0;
	int has_off = uldt_json_int(uldt_json_get(fr, "offset"), &off) == 0;

#define PUT(...)                                                        \
	do {                                                            \
		int r_ = snprintf(buf + n, cap - n, __VA_ARGS__);       \
		if (r_ > 0)                                             \
			n = (size_t)r_ < cap - n ? n + (size_t)r_ : cap - 1; \
	} while (0)
	buf[0] = '\0';
	if (fn != NULL && has_off)
		PUT("%s+0x%llx", fn, off);
	else if (fn != NULL)
		PUT("%s", fn);
	else if (mod != NULL && has_off)
		PUT("%s+0x%llx", mod, off);
	else
		PUT("%s", ip != NULL ? ip : "?");
	if (file != NULL &&
	    uldt_json_int(uldt_json_get(fr, "line"), &line) == 0 && line > 0)
		PUT(" (%s:%lld)", file, line);
	else if (file != NULL)
		PUT(" (%s)", file);
	if (fn != NULL && mod != NULL)
		PUT(" [%s]", mod);
#undef PUT
}

static int
is_shown(const char *key)
{
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (strcmp(key, shown[i]) == 0)
			return 1;
	return 0;
}

/* A value on one line: strings bare, the rest as JSON. */
static void
put_plain(FILE *out, const struct uldt_json *v)
{
	if (v->type == ULDT_J_STR) {
		fputs(v->u.str.s, out);
		return;
	}
	if (v->type == ULDT_J_ARR) {
		for (size_t i = 0; i < v->u.arr.n; i++) {
			fputs(i ? ", " : "", out);
			put_plain(out, &v->u.arr.v[i]);
		}
		return;
	}
	uldt_json_put(out, v);
}

static void
put_proc(FILE *out, const struct uldt_proc *p)
{
	fprintf(out, "pid %lld", p->pid);
	if (p->host != NULL)
		fprintf(out, " on %s", p->host);
	if (p->exe != NULL)
		fprintf(out, " (%s)", p->exe);
}

static void
put_classes(FILE *out, const char *prefix, const struct uldt_json *rec)
{
	const char *c[MAX_CLASSES];
	size_t n = uldt_report_classes(rec, c, MAX_CLASSES);

	if (n == 0)
		return;
	fputs(prefix, out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", c[i]);
	fputc('\n', out);
}

static void
summary(const struct uldt_reports *set, struct uldt_rep **v, FILE *out)
{
	if (set->graphs)
		fprintf(out, "ulockdep merge: %zu report%s that only the union "
		    "of %zu graph file%s shows", set->n, set->n == 1 ? "" : "s",
		    set->graphs, set->graphs == 1 ? "" : "s");
	else
		fprintf(out, "ulockdep report: %zu distinct report%s from %lu "
		    "record%s in %zu file%s", set->n, set->n == 1 ? "" : "s",
		    set->records, set->records == 1 ? "" : "s", set->files.n,
		    set->files.n == 1 ? "" : "s");
	if (set->bad)
		fprintf(out, "; %lu unusable line%s or file%s (see the errors)",
		    set->bad, set->bad == 1 ? "" : "s", set->bad == 1 ? "" : "s");
	fputc('\n', out);
	for (size_t i = 0; i < set->n; i++) {
		const struct uldt_rep *r = v[i];
		struct uldt_jdoc doc;

		fprintf(out, "\n%3zu. %s/%s: %lu time%s, first seen %s\n", i + 1,
		    r->kind, r->sig, r->count, r->count == 1 ? "" : "s",
		    r->has_first ? r->first : "(no time)");
		if (uldt_rep_parse(r, &doc) == 0)
			put_classes(out, "     classes: ", &doc.root);
		uldt_json_free(&doc);
		if (r->nprocs == 0)
			continue;
		fprintf(out, "     %zu process%s: ", r->nprocs,
		    r->nprocs == 1 ? "" : "es");
		for (size_t p = 0; p < r->nprocs && p < SUMMARY_PROCS; p++) {
			fputs(p ? ", " : "", out);
			put_proc(out, &r->procs[p]);
		}
		if (r->nprocs > SUMMARY_PROCS)
			fprintf(out, " and %zu more", r->nprocs - SUMMARY_PROCS);
		fputc('\n', out);
	}
}

static void
rule(FILE *out, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc(c, out);
	fputc('\n', out);
}

static void
put_locks(FILE *out, const struct uldt_json *locks)
{
	if (locks == NULL || locks->type != ULDT_J_ARR || locks->u.arr.n == 0)
		return;
	fputs("\nlocks:\n", out);
	for (size_t i = 0; i < locks->u.arr.n; i++) {
		const struct uldt_json *l = &locks->u.arr.v[i];
		const char *cls = uldt_json_str(uldt_json_get(l, "class"));
		const char *addr = uldt_json_str(uldt_json_get(l, "address"));
		const char *mode = uldt_json_str(uldt_json_get(l, "mode"));
		const char *var = uldt_json_str(uldt_json_get(l, "variable"));
		/* Merged reports have no address: no process held the lock. */
		if (addr != NULL && strcmp(addr, "0x0") != 0)
			fprintf(out, " #%zu: %s (%s)", i, addr, cls ? cls : "?");
		else
			fprintf(out, " #%zu: (%s)", i, cls ? cls : "?");
		/* The variable, unless the class name leads with it. */
		size_t vl = var ? strlen(var) : 0;
		if (vl && !(cls && strncmp(var, cls, vl) == 0 &&
			      (cls[vl] == '\0' || cls[vl] == ' ')))
			fprintf(out, " %s", var);
		if (mode != NULL)
			fprintf(out, " %s", mode);
		fputc('\n', out);
	}
}

/* A merged report's runs: the graph files whose edges it joins. */
static void
put_runs(FILE *out, const struct uldt_json *runs)
{
	if (runs == NULL || runs->type != ULDT_J_ARR || runs->u.arr.n == 0)
		return;
	fputs("\nruns (each saw part of it; none saw all):\n", out);
	for (size_t i = 0; i < runs->u.arr.n; i++) {
		const struct uldt_json *r = &runs->u.arr.v[i];
		const char *file = uldt_json_str(uldt_json_get(r, "file"));
		const char *host = uldt_json_str(uldt_json_get(r, "host"));
		const char *exe = uldt_json_str(uldt_json_get(r, "exe"));
		const char *t = uldt_json_str(uldt_json_get(r, "time"));
		long long pid;

		fprintf(out, " %s", file ? file : "?");
		if (uldt_json_int(uldt_json_get(r, "pid"), &pid) == 0)
			fprintf(out, ": pid %lld", pid);
		if (host != NULL)
			fprintf(out, " on %s", host);
		if (exe != NULL)
			fprintf(out, " (%s)", exe);
		if (t != NULL)
			fprintf(out, ", saved %s", t);
		fputc('\n', out);
	}
}

static void
put_stack(FILE *out, const struct uldt_json *s)
{
	const char *role = uldt_json_str(uldt_json_get(s, "role"));
	const char *title = uldt_json_str(uldt_json_get(s, "title"));
	const char *thread = uldt_json_str(uldt_json_get(s, "thread"));
	const struct uldt_json *frames = uldt_json_get(s, "frames");
	long long tid;
	char label[1024];

	if (title == NULL || title[0] == '\0')
		title = role != NULL && strcmp(role, "current") == 0
		    ? "stack backtrace" : "stack";
	/* A title that ends in ':' (it introduced the frames) gets the
	 * thread first. */
	int tl = (int)strlen(title);
	if (tl > 0 && title[tl - 1] == ':')
		tl--;
	fprintf(out, "\n[%s] %.*s", role ? role : "stack", tl, title);
	if (thread != NULL) {
		fprintf(out, ", by %s", thread);
		if (uldt_json_int(uldt_json_get(s, "tid"), &tid) == 0)
			fprintf(out, "/%lld", tid);
	}
	fputs(":\n", out);
	if (frames == NULL || frames->type != ULDT_J_ARR ||
	    frames->u.arr.n == 0) {
		fputs("       (no stack)\n", out);
		return;
	}
	for (size_t i = 0; i < frames->u.arr.n; i++) {
		uldt_frame_label(&frames->u.arr.v[i], label, sizeof(label));
		fprintf(out, "       %s\n", label);
	}
}

static void
full_report(const struct uldt_rep *r, size_t i, size_t n, FILE *out)
{
	struct uldt_jdoc doc;
	const struct uldt_json *rec = &doc.root;

	if (uldt_rep_parse(r, &doc) < 0)
		return;
	const char *headline = uldt_json_str(uldt_json_get(rec, "headline"));
	const char *advice = uldt_json_str(uldt_json_get(rec, "advice"));
	const char *thread = uldt_json_str(uldt_json_get(rec, "thread"));
	const char *exe = uldt_json_str(uldt_json_get(rec, "exe"));
	const char *host = uldt_json_str(uldt_json_get(rec, "host"));
	const char *t = uldt_json_str(uldt_json_get(rec, "time"));
	long long pid, tid;

	if (headline == NULL)
		headline = r->k->headline;
	fprintf(out, "\n\n[%zu/%zu] %s/%s\n", i + 1, n, r->kind, r->sig);
	size_t width = headline ? strlen(headline) : strlen(r->kind) + 10;
	rule(out, '=', width);
	if (headline != NULL)
		fprintf(out, "%s\n", headline);
	else
		fprintf(out, "ulockdep: %s\n", r->kind);
	rule(out, '-', width);
	fprintf(out, "%s\n\n", uldt_json_str(uldt_json_get(rec, "message")));

	fprintf(out, "first seen: %s", r->has_first ? r->first : "(no time)");
	if (uldt_json_int(uldt_json_get(rec, "pid"), &pid) == 0)
		fprintf(out, ", pid %lld", pid);
	if (host != NULL)
		fprintf(out, " on %s", host);
	if (exe != NULL)
		fprintf(out, " (%s)", exe);
	if (thread != NULL) {
		fprintf(out, ", thread %s", thread);
		if (uldt_json_int(uldt_json_get(rec, "tid"), &tid) == 0)
			fprintf(out, "/%lld", tid);
	}
	if (t != NULL && r->has_first && strcmp(t, r->first) != 0)
		fprintf(out, " (record of %s)", t);
	if (r->file != NULL && r->line > 0)
		fprintf(out, ", %s:%ld", r->file, r->line);
	else if (r->file != NULL)
		fprintf(out, ", %s", r->file);
	fputc('\n', out);
	fprintf(out, "seen %lu time%s in %zu process%s", r->count,
	    r->count == 1 ? "" : "s", r->nprocs, r->nprocs == 1 ? "" : "es");
	if (r->has_last && r->count > 1)
		fprintf(out, ", last %s", r->last);
	fputc('\n', out);
	put_classes(out, "classes: ", rec);

	put_locks(out, uldt_json_get(rec, "locks"));
	put_runs(out, uldt_json_get(rec, "runs"));
	int details = 0;
	for (size_t m = 0; m < rec->u.obj.n; m++) {
		const struct uldt_jmember *mb = &rec->u.obj.m[m];
		if (is_shown(mb->key))
			continue;
		fputs(details++ ? "" : "\ndetails:\n", out);
		fprintf(out, " %s: ", mb->key);
		put_plain(out, &mb->val);
		fputc('\n', out);
	}
	const struct uldt_json *stacks = uldt_json_get(rec, "stacks");
	for (size_t s = 0; stacks && stacks->type == ULDT_J_ARR &&
	     s < stacks->u.arr.n; s++)
		put_stack(out, &stacks->u.arr.v[s]);

	fprintf(out, "\nsignature: %s/%s\n", r->kind, r->sig);
	fprintf(out, "what to do: %s\n", advice ? advice : r->k->help);
	uldt_json_free(&doc);
}

void
uldt_report_print_text(const struct uldt_reports *set, FILE *out)
{
	struct uldt_rep **v = uldt_reports_sorted(set);

	if (v == NULL) {
		uldt_error(NULL, 0, "out of memory");
		return;
	}
	summary(set, v, out);
	for (size_t i = 0; i < set->n; i++)
		full_report(v[i], i, set->n, out);
	free(v);
}
