/*
 * reports.c: the set of reports, deduplicated by signature (reports.h,
 * reports_priv.h).
 *
 * Each record is parsed whole, which also checks it; only the first-seen
 * record of a signature is kept, as text.  Later records of the same
 * signature only add to its count, its time range and its processes, so
 * reading 100k records of a few bugs costs a parse each and a few hash
 * lookups.  A record that `report --format json` wrote (with `count`,
 * `first_seen`, `processes`...) adds what it already summed, so sets can
 * be built per machine, then merged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports_priv.h"

/* Errors shown per file: a file that is not a report file at all should
 * not print an error per line; its good lines are still read. */
#define MAX_BAD_LINES 20

static const char *const added_fields[] = { ULDT_ADDED_FIELDS };

int
uldt_is_added_field(const char *key)
{
	for (size_t i = 0; i < sizeof(added_fields) / sizeof(added_fields[0]);
	     i++)
		if (strcmp(key, added_fields[i]) == 0)
			return 1;
	return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm, as
 * lib/report_json.c uses the other way round). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int
digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

/*
 * ISO 8601 `YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]` (no zone: UTC)
 * to milliseconds since the epoch.  Records from machines in different
 * zones then still sort by when they were made.
 */
static int
parse_time(const char *s, long long *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, zh = 0, zm = 0, sign = 0;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d) || (*s != 'T' && *s != ' '))
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &sec))
		return -1;
	if (*s == '.' || *s == ',') {
		int scale = 100;
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			frac += (*s - '0') * scale;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &zh))
			return -1;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &zm))
			return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	long long t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (zh * 3600 + zm * 60);
	*ms = t * 1000 + frac;
	return 0;
}

struct uldt_reports *
uldt_reports_new(void)
{
	struct uldt_reports *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	uldt_htab_init(&set->sigs);
	uldt_htab_init(&set->strs);
	uldt_htab_init(&set->procs);
	uldt_htab_init(&set->files);
	return set;
}

void
uldt_reports_free(struct uldt_reports *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i]->rec);
		free(set->v[i]->procs);
		free(set->v[i]);
	}
	free(set->v);
	uldt_htab_fini(&set->sigs);
	uldt_htab_fini(&set->strs);
	uldt_htab_fini(&set->procs);
	uldt_htab_fini(&set->files);
	free(set);
}

/* uldt_error, unless the set is quiet (too many errors in one file). */
static __attribute__((format(printf, 4, 5))) void
bad_record(const struct uldt_reports *set, const char *file, long line,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (set->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	uldt_error(file, line, "%s", msg);
}

/* A required string member, non-empty; NULL after printing why not. */
static const char *
required(const struct uldt_reports *set, const struct uldt_json *rec,
    const char *key, const char *file, long lineno)
{
	const struct uldt_json *v = uldt_json_get(rec, key);

	if (v == NULL)
		bad_record(set, file, lineno, "record has no \"%s\"", key);
	else if (v->type != ULDT_J_STR)
		bad_record(set, file, lineno, "\"%s\" is not a string", key);
	else if (v->u.str.len == 0 || strlen(v->u.str.s) != v->u.str.len)
		bad_record(set, file, lineno, "\"%s\" is empty or holds a NUL",
		    key);
	else
		return v->u.str.s;
	return NULL;
}

static void
add_proc(struct uldt_reports *set, struct uldt_rep *rep, long long pid,
    const char *host, const char *exe)
{
	char key[sizeof(rep) + sizeof(pid) + sizeof(host)];
	int created;

	host = uldt_intern(&set->strs, host);
	memcpy(key, &rep, sizeof(rep));
	memcpy(key + sizeof(rep), &pid, sizeof(pid));
	memcpy(key + sizeof(rep) + sizeof(pid), &host, sizeof(host));
	if (uldt_htab_get(&set->procs, key, sizeof(key), 1, &created) == NULL ||
	    !created)
		return;
	if (rep->nprocs == rep->procs_cap) {
		size_t ncap = rep->procs_cap ? rep->procs_cap * 2 : 4;
		struct uldt_proc *np = realloc(rep->procs, ncap * sizeof(*np));
		if (np == NULL)
			return;
		rep->procs = np;
		rep->procs_cap = ncap;
	}
	rep->procs[rep->nprocs++] = (struct uldt_proc){
		.pid = pid, .host = host, .exe = uldt_intern(&set->strs, exe),
	};
}

/* The processes a record stands for: its `processes` (a re-emitted
 * record), else its `pids`, else its `pid`. */
static void
add_procs(struct uldt_reports *set, struct uldt_rep *rep,
    const struct uldt_json *rec)
{
	const struct uldt_json *procs = uldt_json_get(rec, "processes");
	const struct uldt_json *pids = uldt_json_get(rec, "pids");
	const char *host = uldt_json_str(uldt_json_get(rec, "host"));
	const char *exe = uldt_json_str(uldt_json_get(rec, "exe"));
	long long pid;

	if (procs != NULL && procs->type == ULDT_J_ARR) {
		for (size_t i = 0; i < procs->u.arr.n; i++) {
			const struct uldt_json *p = &procs->u.arr.v[i];
			if (uldt_json_int(uldt_json_get(p, "pid"), &pid) == 0)
				add_proc(set, rep, pid,
				    uldt_json_str(uldt_json_get(p, "host")),
				    uldt_json_str(uldt_json_get(p, "exe")));
		}
	} else if (pids != NULL && pids->type == ULDT_J_ARR) {
		for (size_t i = 0; i < pids->u.arr.n; i++)
			if (uldt_json_int(&pids->u.arr.v[i], &pid) == 0)
				add_proc(set, rep, pid, host, exe);
	} else if (uldt_json_int(uldt_json_get(rec, "pid"), &pid) == 0) {
		add_proc(set, rep, pid, host, exe);
	}
}

/* A time member: 1 and *ms when it is a string in ISO 8601. */
static int
time_of(const struct uldt_json *rec, const char *key, const char **s,
    long long *ms)
{
	*s = uldt_json_str(uldt_json_get(rec, key));
	return *s != NULL && strlen(*s) < 40 && parse_time(*s, ms) == 0;
}

static struct uldt_rep *
new_rep(struct uldt_reports *set, const char *kind, const char *sig)
{
	struct uldt_rep *rep = calloc(1, sizeof(*rep));

	if (rep == NULL)
		return NULL;
	if (set->n == set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 64;
		struct uldt_rep **nv = realloc(set->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			free(rep);
			return NULL;
		}
		set->v = nv;
		set->cap = ncap;
	}
	rep->kind = uldt_intern(&set->strs, kind);
	rep->sig = uldt_intern(&set->strs, sig);
	rep->k = uldt_kind_find(kind);
	rep->order = set->n;
	set->v[set->n++] = rep;
	return rep;
}

/* Keep this record's text as the signature's first-seen one. */
static int
keep_text(struct uldt_reports *set, struct uldt_rep *rep, const char *rec,
    size_t len, const char *file, long lineno)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return -1;
	memcpy(copy, rec, len);
	copy[len] = '\0';
	free(rep->rec);
	rep->rec = copy;
	rep->len = len;
	rep->file = uldt_intern(&set->strs, file);
	rep->line = lineno;
	return 0;
}

int
uldt_reports_add(struct uldt_reports *set, const char *rec, size_t len,
    const char *file, long lineno)
{
	struct uldt_jdoc doc;
	char err[128], key[512];
	const char *kind, *sig, *t;
	long long ms, count = 1;
	int rc = -1, created;

	if (uldt_json_parse(&doc, rec, len, err, sizeof(err)) < 0) {
		bad_record(set, file, lineno, "not JSON: %s", err);
		goto out;
	}
	if (doc.root.type != ULDT_J_OBJ) {
		bad_record(set, file, lineno, "not a JSON object");
		goto out;
	}
	if ((kind = required(set, &doc.root, "kind", file, lineno)) == NULL ||
	    (sig = required(set, &doc.root, "signature", file, lineno)) ==
		NULL ||
	    required(set, &doc.root, "message", file, lineno) == NULL)
		goto out;
	/* The kind is part of the key: a signature hashes kind and classes,
	 * and the validator prints it as kind/signature. */
	int klen = snprintf(key, sizeof(key), "%s/%s", kind, sig);
	if (klen < 0 || (size_t)klen >= sizeof(key)) {
		bad_record(set, file, lineno, "\"signature\" is too long");
		goto out;
	}
	struct uldt_hent *e = uldt_htab_get(&set->sigs, key, (size_t)klen, 1,
	    &created);
	if (e == NULL)
		goto oom;
	if (created && (e->val = new_rep(set, kind, sig)) == NULL)
		goto oom;
	struct uldt_rep *rep = e->val;
	if (rep->rec == NULL &&
	    keep_text(set, rep, rec, len, file, lineno) < 0)
		goto oom;

	/* A re-emitted record stands for `count` records. */
	if (uldt_json_int(uldt_json_get(&doc.root, "count"), &count) < 0 ||
	    count < 1)
		count = 1;
	rep->count += (unsigned long)count;
	set->records += (unsigned long)count;
	if (time_of(&doc.root, "first_seen", &t, &ms) ||
	    time_of(&doc.root, "time", &t, &ms)) {
		if (!rep->has_first || ms < rep->first_ms) {
			/* Earlier than what was kept: this is now the
			 * first-seen record. */
			if (!created &&
			    keep_text(set, rep, rec, len, file, lineno) < 0)
				goto oom;
			rep->has_first = 1;
			rep->first_ms = ms;
			strcpy(rep->first, t);
		}
	}
	if (time_of(&doc.root, "last_seen", &t, &ms) ||
	    time_of(&doc.root, "time", &t, &ms)) {
		if (!rep->has_last || ms > rep->last_ms) {
			rep->has_last = 1;
			rep->last_ms = ms;
			strcpy(rep->last, t);
		}
	}
	add_procs(set, rep, &doc.root);
	rc = 0;
	goto out;
oom:
	uldt_error(file, lineno, "out of memory");
out:
	if (rc < 0)
		set->bad++;
	uldt_json_free(&doc);
	return rc;
}

unsigned long
uldt_reports_load(struct uldt_reports *set, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	unsigned long bad = 0;
	long n, lineno = 0;
	int truncated;

	struct stat st;

	if (f == NULL) {
		uldt_error(name, 0, "cannot open: %s", strerror(errno));
		set->bad++;
		return 1;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		uldt_error(name, 0, "is a directory");
		set->bad++;
		if (!is_stdin)
			fclose(f);
		return 1;
	}
	/* A file with no record still counts as read. */
	uldt_htab_get(&set->files, name, strlen(name), 1, NULL);
	while ((n = uldt_getline(f, &buf, &cap, &truncated)) >= 0) {
		lineno++;
		if (strspn(buf, " \t\r") == (size_t)n)
			continue; /* blank lines are not records */
		if (truncated) {
			/* Parses as a whole record: only the newline is
			 * missing (an edited file).  Otherwise the process
			 * died while writing it. */
			struct uldt_jdoc doc;
			char err[128];
			int whole = uldt_json_parse(&doc, buf, (size_t)n, err,
			    sizeof(err)) == 0;
			uldt_json_free(&doc);
			if (!whole) {
				bad_record(set, name, lineno, "truncated record "
				    "(the file ends inside it: did the "
				    "process die while writing it?)");
				set->bad++;
				bad++;
				break;
			}
		}
		if (uldt_reports_add(set, buf, (size_t)n, name, lineno) < 0 &&
		    ++bad == MAX_BAD_LINES)
			set->quiet = 1;
	}
	set->quiet = 0;
	if (bad > MAX_BAD_LINES)
		uldt_error(name, 0, "%lu more bad lines not shown (is this a "
		    "JSON Lines report file?)", bad - MAX_BAD_LINES);
	if (ferror(f)) {
		uldt_error(name, lineno ? lineno + 1 : 0, "read error: %s",
		    strerror(errno));
		set->bad++;
		bad++;
	}
	free(buf);
	if (!is_stdin)
		fclose(f);
	return bad;
}

size_t
uldt_reports_count(const struct uldt_reports *set)
{
	return set->n;
}

int
uldt_reports_has(const struct uldt_reports *set, const char *kind,
    const char *signature)
{
	char key[512];
	int n = snprintf(key, sizeof(key), "%s/%s", kind, signature);

	return n > 0 && (size_t)n < sizeof(key) &&
	    uldt_htab_find(&set->sigs, key, (size_t)n) != NULL;
}

static int
cmp_rep(const void *a, const void *b)
{
	const struct uldt_rep *x = *(struct uldt_rep *const *)a;
	const struct uldt_rep *y = *(struct uldt_rep *const *)b;

	if (x->k->rank != y->k->rank)
		return x->k->rank < y->k->rank ? -1 : 1;
	if (x->has_first != y->has_first)
		return x->has_first ? -1 : 1;
	if (x->has_first && x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms ? -1 : 1;
	int c = strcmp(x->kind, y->kind);
	if (c == 0)
		c = strcmp(x->sig, y->sig);
	return c;
}

struct uldt_rep **
uldt_reports_sorted(const struct uldt_reports *set)
{
	struct uldt_rep **v = malloc((set->n ? set->n : 1) * sizeof(*v));

	if (v == NULL)
		return NULL;
	if (set->n)
		memcpy(v, set->v, set->n * sizeof(*v));
	qsort(v, set->n, sizeof(*v), cmp_rep);
	return v;
}

static size_t
add_class(const char **out, size_t n, size_t max, const char *c)
{
	if (c == NULL || n >= max)
		return n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i], c) == 0)
			return n;
	out[n] = c;
	return n + 1;
}

size_t
uldt_report_classes(const struct uldt_json *rec, const char **out,
    size_t max)
{
	static const char *const lists[] = { "cycle", "chain" };
	const struct uldt_json *a, *locks = uldt_json_get(rec, "locks");
	size_t n = 0;

	for (size_t l = 0; l < 2; l++) {
		a = uldt_json_get(rec, lists[l]);
		for (size_t i = 0; a && a->type == ULDT_J_ARR && i < a->u.arr.n;
		     i++)
			n = add_class(out, n, max, uldt_json_str(&a->u.arr.v[i]));
	}
	for (size_t i = 0;
	     locks && locks->type == ULDT_J_ARR && i < locks->u.arr.n; i++)
		n = add_class(out, n, max,
		    uldt_json_str(uldt_json_get(&locks->u.arr.v[i], "class")));
	n = add_class(out, n, max, uldt_json_str(uldt_json_get(rec, "irq_safe")));
	n = add_class(out, n, max,
	    uldt_json_str(uldt_json_get(rec, "irq_unsafe")));
	return n;
}

int
uldt_rep_parse(const struct uldt_rep *rep, struct uldt_jdoc *doc)
{
	char err[128];

	if (uldt_json_parse(doc, rep->rec, rep->len, err, sizeof(err)) == 0)
		return 0;
	uldt_error(rep->file, rep->line, "%s", err);
	return -1;
}

void
uldt_reports_from_graphs(struct uldt_reports *set, size_t ngraphs)
{
	set->graphs = ngraphs;
}

void
uldt_reports_print(const struct uldt_reports *set, enum uldt_format fmt,
    FILE *out)
{
	switch (fmt) {
	case ULDT_FMT_JSON:
		uldt_report_print_json(set, out);
		break;
	case ULDT_FMT_SARIF:
		uldt_report_print_sarif(set, out);
		break;
	case ULDT_FMT_TEXT:
	default:
		uldt_report_print_text(set, out);
		break;
	}
}
