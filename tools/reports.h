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

struct uldt_reports *uldt_reports_new(void);
void uldt_reports_free(struct uldt_reports *set);
/*
 * Add one report record (one JSON object, no newline needed).  `file` and
 * `lineno` say where it came from, for error messages and "first seen".
 * Returns 0, or -1 when the record is malformed (the error is printed).
 */
int uldt_reports_add(struct uldt_reports *set, const char *rec, size_t len,
    const char *file, long lineno);
/* Add every line of a JSON Lines file.  Returns the number of bad lines
 * (or 1 when the file cannot be read); the good lines are kept. */
unsigned long uldt_reports_load(struct uldt_reports *set, const char *path);
/* Distinct signatures so far. */
size_t uldt_reports_count(const struct uldt_reports *set);
/* Print the summary and one full report per signature. */
void uldt_reports_print(const struct uldt_reports *set, enum uldt_format fmt,
    FILE *out);

#endif /* ULDT_REPORTS_H */
