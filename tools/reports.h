/*
 * reports.h: a set of JSON Lines reports, deduplicated by signature.
 *
 * `report` loads files into a set; `merge` adds the reports that only the
 * union of graphs shows.  Both print through uldt_reports_print, so a
 * merged report looks exactly like one a process wrote.
 */
#ifndef ULDT_REPORTS_H
#define ULDT_REPORTS_H

#include <stddef.h>
#include <stdio.h>

#include "tool.h"

struct uldt_reports;

/* Exit status bits of `report` (and of `merge`, which prints the same
 * way): ulockdep(1), ULOCKDEP REPORT. */
#define ULDT_EXIT_REPORTS 1	/* at least one report */
#define ULDT_EXIT_BAD 2		/* some input unusable, or a usage error */

struct uldt_reports *uldt_reports_new(void);
void uldt_reports_free(struct uldt_reports *set);
/*
 * Add one report record (one JSON object, no newline needed), in the
 * validator's format (contract.md): `kind`, `signature` and `message`
 * are required, every other field is optional and kept as it is.  `file`
 * and `lineno` say where it came from, for error messages and the
 * "origin" of the first-seen record; file may be NULL (a record made by
 * the command itself, as merge's), lineno 0.  Records of one kind and
 * signature are one report: the one with the earliest `time` is shown.
 * Returns 0, or -1 when the record is malformed (the error is printed).
 */
int uldt_reports_add(struct uldt_reports *set, const char *rec, size_t len,
    const char *file, long lineno);
/* Add every line of a JSON Lines file.  Returns the number of bad lines
 * (or 1 when the file cannot be read); the good lines are kept. */
unsigned long uldt_reports_load(struct uldt_reports *set, const char *path);
/* Distinct signatures so far. */
size_t uldt_reports_count(const struct uldt_reports *set);
/* Whether a report of this kind and signature was added. */
int uldt_reports_has(const struct uldt_reports *set, const char *kind,
    const char *signature);
/*
 * The reports were made by `merge` from `ngraphs` graph files, not read
 * from report files: the text summary says so.
 */
void uldt_reports_from_graphs(struct uldt_reports *set, size_t ngraphs);
/* Print the summary and one full report per signature. */
void uldt_reports_print(const struct uldt_reports *set, enum uldt_format fmt,
    FILE *out);

#endif /* ULDT_REPORTS_H */
