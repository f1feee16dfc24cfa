/*
 * report_json.c: `report --format json`: JSON Lines, one record per
 * signature, in the order of uldt_reports_sorted.
 *
 * Each line is the first-seen record with every field it had, in its
 * order, followed by what the set knows across records:
 *   "count": records of this signature,
 *   "first_seen", "last_seen": earliest and latest `time` (null if none),
 *   "pids": the distinct pids, "processes": [{"pid", "host"?, "exe"?}]
 *     (a pid alone is ambiguous across machines),
 *   "origin": {"file", "line"}: where the first-seen record was read.
 * A record that already had these fields (this output, read again) has
 * them replaced, not repeated, so `report` can sum its own output.
 */
#include <stdlib.h>

#include "reports_priv.h"

static void
put_time(FILE *out, const char *key, int has, const char *t)
{
	fprintf(out, ",\"%s\":", key);
	if (has)
		uldt_json_put_str(out, t);
	else
		fputs("null", out);
}

static void
put_record(const struct uldt_rep *r, FILE *out)
{
	struct uldt_jdoc doc;

	if (uldt_rep_parse(r, &doc) < 0)
		return;
	const struct uldt_json *rec = &doc.root;
	int first = 1;
	putc('{', out);
	for (size_t i = 0; i < rec->u.obj.n; i++) {
		const struct uldt_jmember *m = &rec->u.obj.m[i];
		if (uldt_is_added_field(m->key))
			continue;
		if (!first)
			putc(',', out);
		first = 0;
		uldt_json_put_str(out, m->key);
		putc(':', out);
		uldt_json_put(out, &m->val);
	}
	/* The record has kind, signature and message: never empty. */
	fprintf(out, ",\"count\":%lu", r->count);
	put_time(out, "first_seen", r->has_first, r->first);
	put_time(out, "last_seen", r->has_last, r->last);
	fputs(",\"pids\":[", out);
	for (size_t p = 0; p < r->nprocs; p++)
		fprintf(out, "%s%lld", p ? "," : "", r->procs[p].pid);
	fputs("],\"processes\":[", out);
	for (size_t p = 0; p < r->nprocs; p++) {
		const struct uldt_proc *pr = &r->procs[p];
		fprintf(out, "%s{\"pid\":%lld", p ? "," : "", pr->pid);
		if (pr->host != NULL) {
			fputs(",\"host\":", out);
			uldt_json_put_str(out, pr->host);
		}
		if (pr->exe != NULL) {
			fputs(",\"exe\":", out);
			uldt_json_put_str(out, pr->exe);
		}
		putc('}', out);
	}
	fputs("],\"origin\":{\"file\":", out);
	if (r->file != NULL)
		uldt_json_put_str(out, r->file);
	else
		fputs("null", out);
	if (r->line > 0)
		fprintf(out, ",\"line\":%ld}}\n", r->line);
	else
		fputs(",\"line\":null}}\n", out);
	uldt_json_free(&doc);
}

void
uldt_report_print_json(const struct uldt_reports *set, FILE *out)
{
	struct uldt_rep **v = uldt_reports_sorted(set);

	if (v == NULL) {
		uldt_error(NULL, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < set->n; i++)
		put_record(v[i], out);
	free(v);
}
