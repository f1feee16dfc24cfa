/*
 * reports_priv.h: inside the report set, for its renderers
 * (report_text.c, report_json.c, report_sarif.c).
 *
 * A set keeps, per signature, the JSON text of one record (the first
 * seen: earliest `time`, then earliest read) and what the other records
 * of that signature add: how many there were, when the first and last
 * were made, and by which processes.  It keeps the text, not the parsed
 * tree, because a parsed record costs tens of times its text and a set
 * may hold thousands of signatures; renderers parse it again, once.
 */
#ifndef ULDT_REPORTS_PRIV_H
#define ULDT_REPORTS_PRIV_H

#include "htab.h"
#include "json.h"
#include "kinds.h"
#include "reports.h"

/* One process that made a report: a pid is only unique on its host. */
struct uldt_proc {
	long long pid;
	const char *host, *exe;	/* interned; NULL when the record lacks them */
};

struct uldt_rep {
	char *rec;			/* the first-seen record, JSON text */
	size_t len;
	const char *kind, *sig;		/* interned */
	const struct uldt_kind *k;
	const char *file;		/* where rec was read (interned), or NULL */
	long line;			/* its line there, 0 if none */
	unsigned long count;		/* records of this signature */
	/* Earliest and latest `time` (as written, and in ms for sorting). */
	int has_first, has_last;
	long long first_ms, last_ms;
	char first[40], last[40];
	struct uldt_proc *procs;	/* distinct, in order of first sight */
	size_t nprocs, procs_cap;
	size_t order;			/* when the signature was first added */
};

struct uldt_reports {
	struct uldt_htab sigs;		/* "kind/signature" -> struct uldt_rep */
	struct uldt_htab strs;		/* interned strings */
	struct uldt_htab procs;		/* (rep, pid, host) already counted */
	struct uldt_rep **v;		/* in order of first addition */
	size_t n, cap;
	unsigned long records;		/* good records added */
	unsigned long bad;		/* records or files that could not be used */
	int quiet;			/* count bad records, do not print them */
	struct uldt_htab files;		/* files read by uldt_reports_load */
	size_t graphs;			/* merge: graph files the union read */
};

/* The reports in output order: kind rank, first seen, signature.  An
 * array of n pointers to free(), or NULL when out of memory. */
struct uldt_rep **uldt_reports_sorted(const struct uldt_reports *set);

/* The classes a record names, in order, each once: the cycle or the irq
 * chain when it has one, then its locks' classes, then the irq-safe and
 * irq-unsafe classes.  Returns how many (at most max) went into out. */
size_t uldt_report_classes(const struct uldt_json *rec, const char **out,
    size_t max);

/* Parse rep->rec into doc (it parsed when it was added, so this only
 * fails when memory runs out; the error is printed). */
int uldt_rep_parse(const struct uldt_rep *rep, struct uldt_jdoc *doc);

/* Fields the set adds to a re-emitted record (report_json.c) and reads
 * back when a re-emitted record is loaded again. */
#define ULDT_ADDED_FIELDS "count", "first_seen", "last_seen", "pids", \
	"processes", "origin"
int uldt_is_added_field(const char *key);

/* "function+0x1c (file.c:12) [module]" for a frame object: what the
 * validator's text shows, with the file and line when the record has
 * them; "module+0x1c" when the function is unknown. */
void uldt_frame_label(const struct uldt_json *frame, char *buf, size_t cap);
/* The last component of a path. */
const char *uldt_basename(const char *path);

void uldt_report_print_text(const struct uldt_reports *set, FILE *out);
void uldt_report_print_json(const struct uldt_reports *set, FILE *out);
void uldt_report_print_sarif(const struct uldt_reports *set, FILE *out);

#endif /* ULDT_REPORTS_PRIV_H */
