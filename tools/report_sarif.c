/*
 * report_sarif.c: `report --format sarif`: one SARIF 2.1.0 log, one run,
 * so that code-scanning services (and IDE viewers) show lock bugs next to
 * the code and track them across nightly runs.
 *
 * - tool.driver.rules: every kind of kinds.c (and any unknown kind seen),
 *   id = the kind, with its description, help and level;
 * - one result per signature, in the order of uldt_reports_sorted:
 *   ruleId = kind, level from the kind, message = the record's message,
 *   occurrenceCount = how many records, partialFingerprints carry the
 *   kind/signature (stable across runs and machines: what lets a
 *   service recognise the same bug in tomorrow's log);
 * - locations: the first frame with a file and line of the current stack
 *   (or of the first stack); frames without one (no debug info) give a
 *   logical location, the function, instead;
 * - relatedLocations: the same for each other stack (the other side of a
 *   cycle, the irq-safe usage...), titled by the stack's title;
 * - stacks: every stack with every frame (SARIF `stack` objects).
 */
#include <stdlib.h>
#include <string.h>

#include "reports_priv.h"

#define MAX_CLASSES 64

static void
put_text(FILE *out, const char *key, const char *text)
{
	fprintf(out, "\"%s\":{\"text\":", key);
	uldt_json_put_str(out, text);
	putc('}', out);
}

/* A path as a URI: absolute paths become file:// URIs; every byte but
 * the unreserved ones and '/' is percent-encoded. */
static void
put_uri(FILE *out, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	putc('"', out);
	if (path[0] == '/')
		fputs("file://", out);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
			putc(*p, out);
		else
			fprintf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	putc('"', out);
}

static const char *
frame_file(const struct uldt_json *fr, long long *line)
{
	const char *file = uldt_json_str(uldt_json_get(fr, "file"));

	if (file == NULL || file[0] == '\0' ||
	    uldt_json_int(uldt_json_get(fr, "line"), line) < 0 || *line < 1)
		*line = 0;
	return file != NULL && file[0] != '\0' ? file : NULL;
}

/* A location object for a frame: physical when it has a file, logical
 * when it names a function, and `msg` as its message. */
static void
put_location(FILE *out, const struct uldt_json *fr, const char *msg, int id)
{
	const char *fn = uldt_json_str(uldt_json_get(fr, "function"));
	long long line;
	const char *file = frame_file(fr, &line);
	const char *sep = "";

	putc('{', out);
	if (id > 0) {
		fprintf(out, "\"id\":%d", id);
		sep = ",";
	}
	if (file != NULL) {
		fprintf(out, "%s\"physicalLocation\":{\"artifactLocation\":"
		    "{\"uri\":", sep);
		put_uri(out, file);
		putc('}', out);
		if (line > 0)
			fprintf(out, ",\"region\":{\"startLine\":%lld}", line);
		putc('}', out);
		sep = ",";
	}
	if (fn != NULL) {
		fprintf(out, "%s\"logicalLocations\":[{\"name\":", sep);
		uldt_json_put_str(out, fn);
		fputs(",\"kind\":\"function\"}]", out);
		sep = ",";
	}
	if (msg != NULL) {
		fputs(sep, out);
		put_text(out, "message", msg);
	}
	putc('}', out);
}

static const struct uldt_json *
frames_of(const struct uldt_json *stack)
{
	const struct uldt_json *f = uldt_json_get(stack, "frames");

	return f != NULL && f->type == ULDT_J_ARR && f->u.arr.n ? f : NULL;
}

/* The frame a stack is shown at: its first with a file and line, else
 * its first naming a function; NULL when it has neither. */
static const struct uldt_json *
anchor(const struct uldt_json *stack)
{
	const struct uldt_json *f = frames_of(stack);
	long long line;

	for (size_t i = 0; f != NULL && i < f->u.arr.n; i++)
		if (frame_file(&f->u.arr.v[i], &line) != NULL && line > 0)
			return &f->u.arr.v[i];
	for (size_t i = 0; f != NULL && i < f->u.arr.n; i++)
		if (uldt_json_str(uldt_json_get(&f->u.arr.v[i], "function")))
			return &f->u.arr.v[i];
	return NULL;
}

/* "role: title (thread/tid)" */
static void
heading(const struct uldt_json *s, char *buf, size_t cap)
{
	const char *role = uldt_json_str(uldt_json_get(s, "role"));
	const char *title = uldt_json_str(uldt_json_get(s, "title"));
	const char *thread = uldt_json_str(uldt_json_get(s, "thread"));
	long long tid;
	int n;

	if (title == NULL || title[0] == '\0')
		title = role != NULL && strcmp(role, "current") == 0
		    ? "stack backtrace" : "stack";
	n = snprintf(buf, cap, "%s: %s", role ? role : "stack", title);
	if (thread != NULL && n >= 0 && (size_t)n < cap) {
		if (uldt_json_int(uldt_json_get(s, "tid"), &tid) == 0)
			snprintf(buf + n, cap - (size_t)n, " (%s/%lld)", thread,
			    tid);
		else
			snprintf(buf + n, cap - (size_t)n, " (%s)", thread);
	}
}

/* One stack object, as text (SARIF wants a result's stacks distinct, so
 * put_stacks compares them). */
static void
put_stack(FILE *out, const struct uldt_json *st)
{
	const struct uldt_json *f = frames_of(st);
	char label[1024];
	long long tid;
	int has_tid = uldt_json_int(uldt_json_get(st, "tid"), &tid) == 0;

	heading(st, label, sizeof(label));
	putc('{', out);
	put_text(out, "message", label);
	fputs(",\"frames\":[", out);
	for (size_t i = 0; f != NULL && i < f->u.arr.n; i++) {
		const struct uldt_json *fr = &f->u.arr.v[i];
		const char *mod = uldt_json_str(uldt_json_get(fr, "module"));
		uldt_frame_label(fr, label, sizeof(label));
		fputs(i ? ",{\"location\":" : "{\"location\":", out);
		put_location(out, fr, label, 0);
		if (mod != NULL) {
			fputs(",\"module\":", out);
			uldt_json_put_str(out, mod);
		}
		if (has_tid)
			fprintf(out, ",\"threadId\":%lld", tid);
		putc('}', out);
	}
	fputs("]}", out);
}

static void
put_stacks(FILE *out, const struct uldt_json *stacks)
{
	size_t n = stacks->u.arr.n, nout = 0;
	char **text = calloc(n, sizeof(*text));
	size_t *len = calloc(n, sizeof(*len));

	fputs(",\"stacks\":[", out);
	for (size_t s = 0; text != NULL && len != NULL && s < n; s++) {
		FILE *m = open_memstream(&text[s], &len[s]);
		if (m == NULL)
			break;
		put_stack(m, &stacks->u.arr.v[s]);
		if (fclose(m) != 0)
			break;
		size_t k;
		for (k = 0; k < s; k++)
			if (len[k] == len[s] && text[k] != NULL &&
			    memcmp(text[k], text[s], len[s]) == 0)
				break;
		if (k < s)
			continue; /* the same stack twice: once is enough */
		fputs(nout++ ? "," : "", out);
		fwrite(text[s], 1, len[s], out);
	}
	putc(']', out);
	for (size_t s = 0; text != NULL && s < n; s++)
		free(text[s]);
	free(text);
	free(len);
}

static void
put_properties(FILE *out, const struct uldt_rep *r,
    const struct uldt_json *rec)
{
	const char *c[MAX_CLASSES];
	size_t n = uldt_report_classes(rec, c, MAX_CLASSES);

	fprintf(out, ",\"properties\":{\"signature\":\"%s/%s\",\"count\":%lu",
	    r->kind, r->sig, r->count);
	if (r->has_first) {
		fputs(",\"firstSeen\":", out);
		uldt_json_put_str(out, r->first);
	}
	if (r->has_last) {
		fputs(",\"lastSeen\":", out);
		uldt_json_put_str(out, r->last);
	}
	fputs(",\"pids\":[", out);
	for (size_t p = 0; p < r->nprocs; p++)
		fprintf(out, "%s%lld", p ? "," : "", r->procs[p].pid);
	fputs("],\"classes\":[", out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "," : "", out);
		uldt_json_put_str(out, c[i]);
	}
	putc(']', out);
	if (r->file != NULL) {
		fputs(",\"origin\":", out);
		uldt_json_put_str(out, r->file);
		if (r->line > 0)
			fprintf(out, ",\"originLine\":%ld", r->line);
	}
	putc('}', out);
}

static void
put_result(FILE *out, const struct uldt_rep *r, size_t rule_index)
{
	struct uldt_jdoc doc;
	char label[1024];

	if (uldt_rep_parse(r, &doc) < 0)
		return;
	const struct uldt_json *rec = &doc.root;
	const struct uldt_json *stacks = uldt_json_get(rec, "stacks");
	if (stacks != NULL && (stacks->type != ULDT_J_ARR || !stacks->u.arr.n))
		stacks = NULL;

	fputs("{\"ruleId\":", out);
	uldt_json_put_str(out, r->kind);
	fprintf(out, ",\"ruleIndex\":%zu,\"level\":\"%s\",", rule_index,
	    r->k->level);
	put_text(out, "message", uldt_json_str(uldt_json_get(rec, "message")));

	/* The current stack shows where; the others are related. */
	size_t primary = 0;
	for (size_t s = 0; stacks != NULL && s < stacks->u.arr.n; s++) {
		const char *role = uldt_json_str(
		    uldt_json_get(&stacks->u.arr.v[s], "role"));
		if (role != NULL && strcmp(role, "current") == 0) {
			primary = s;
			break;
		}
	}
	const struct uldt_json *at =
	    stacks != NULL ? anchor(&stacks->u.arr.v[primary]) : NULL;
	if (at != NULL) {
		fputs(",\"locations\":[", out);
		put_location(out, at, NULL, 0);
		putc(']', out);
	}
	int id = 0;
	for (size_t s = 0; stacks != NULL && s < stacks->u.arr.n; s++) {
		const struct uldt_json *a = anchor(&stacks->u.arr.v[s]);
		if (s == primary || a == NULL)
			continue;
		heading(&stacks->u.arr.v[s], label, sizeof(label));
		fputs(id ? "," : ",\"relatedLocations\":[", out);
		put_location(out, a, label, ++id);
	}
	if (id)
		putc(']', out);
	if (stacks != NULL)
		put_stacks(out, stacks);
	fprintf(out, ",\"partialFingerprints\":{\"ulockdepSignature/v1\":"
	    "\"%s/%s\"},\"occurrenceCount\":%lu", r->kind, r->sig, r->count);
	put_properties(out, r, rec);
	putc('}', out);
	uldt_json_free(&doc);
}

static void
put_rule(FILE *out, const struct uldt_kind *k, const char *id)
{
	fputs("{\"id\":", out);
	uldt_json_put_str(out, id);
	if (k->name != NULL) {
		fputs(",\"name\":", out);
		uldt_json_put_str(out, k->rule);
	}
	putc(',', out);
	put_text(out, "shortDescription", k->headline ? k->headline : id);
	putc(',', out);
	put_text(out, "fullDescription", k->summary);
	putc(',', out);
	put_text(out, "help", k->help);
	fprintf(out, ",\"defaultConfiguration\":{\"level\":\"%s\"},"
	    "\"properties\":{\"tags\":[\"concurrency\",\"locking\"]}}",
	    k->level);
}

void
uldt_report_print_sarif(const struct uldt_reports *set, FILE *out)
{
	struct uldt_rep **v = uldt_reports_sorted(set);
	const char **extra = calloc(set->n ? set->n : 1, sizeof(*extra));
	size_t nextra = 0;

	if (v == NULL || extra == NULL) {
		uldt_error(NULL, 0, "out of memory");
		free(v);
		free(extra);
		return;
	}
	fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
	      "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
	      "\"name\":\"ulockdep\",\"version\":\"" PACKAGE_VERSION "\","
	      "\"rules\":[\n", out);
	for (size_t i = 0; i < uldt_nkinds; i++) {
		fputs(i ? ",\n" : "", out);
		put_rule(out, &uldt_kinds[i], uldt_kinds[i].name);
	}
	/* Kinds of a newer validator: a rule each, after the known ones. */
	for (size_t i = 0; i < set->n; i++) {
		size_t j;
		if (v[i]->k->name != NULL)
			continue;
		for (j = 0; j < nextra && extra[j] != v[i]->kind; j++)
			;
		if (j == nextra) {
			extra[nextra++] = v[i]->kind;
			fputs(",\n", out);
			put_rule(out, v[i]->k, v[i]->kind);
		}
	}
	fputs("]}},\n\"results\":[", out);
	for (size_t i = 0; i < set->n; i++) {
		size_t idx = 0;
		if (v[i]->k->name != NULL) {
			idx = (size_t)(v[i]->k - uldt_kinds);
		} else {
			while (extra[idx] != v[i]->kind)
				idx++;
			idx += uldt_nkinds;
		}
		fputs(i ? ",\n" : "\n", out);
		put_result(out, v[i], idx);
	}
	fputs("]}]}\n", out);
	free(extra);
	free(v);
}
