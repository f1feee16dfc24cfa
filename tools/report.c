/*
 * report.c: `ulockdep report [--format text|json|sarif] [-o FILE] FILE...`
 *
 * Reads JSON Lines report files from any number of processes, runs and
 * machines ("-" is stdin), keeps one report per signature and prints them
 * (reports.h).  Bad input is named (FILE:LINE: why) and skipped: the good
 * records of a file still count.  The exit status is for nightly scripts,
 * as bits: 0 nothing reported, 1 reports found, 2 some input could not be
 * used (or a usage error), 3 both.  ulockdep(1) documents it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"

#define ST_REPORTS ULDT_EXIT_REPORTS
#define ST_BAD ULDT_EXIT_BAD

static int
usage(void)
{
	fputs("usage: ulockdep report [--format text|json|sarif] [-o FILE] "
	      "FILE...\n       (FILE - is stdin; see ulockdep(1))\n", stderr);
	return ST_BAD;
}

int
uldt_cmd_report(int argc, char **argv)
{
	const char *fmt_name = "text", *output = NULL;
	int i, fmt;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage();
			return 0;
		}
		if (strncmp(a, "--format=", 9) == 0) {
			fmt_name = a + 9;
		} else if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
			if (++i == argc) {
				uldt_error(NULL, 0, "report: %s needs a value", a);
				return usage();
			}
			fmt_name = argv[i];
		} else if (strncmp(a, "--output=", 9) == 0) {
			output = a + 9;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (++i == argc) {
				uldt_error(NULL, 0, "report: %s needs a file", a);
				return usage();
			}
			output = argv[i];
		} else if (a[0] == '-' && a[1] != '\0') {
			uldt_error(NULL, 0, "report: unknown option '%s'", a);
			return usage();
		} else {
			break;
		}
	}
	fmt = uldt_format_parse(fmt_name);
	if (fmt < 0 || fmt == ULDT_FMT_DOT) {
		uldt_error(NULL, 0, "report: unknown format '%s' (text, json "
		    "or sarif)", fmt_name);
		return usage();
	}
	if (i == argc) {
		uldt_error(NULL, 0, "report: no input file (use - for stdin)");
		return usage();
	}

	struct uldt_reports *set = uldt_reports_new();
	if (set == NULL) {
		uldt_error(NULL, 0, "out of memory");
		return ST_BAD;
	}
	unsigned long bad = 0;
	for (; i < argc; i++)
		bad += uldt_reports_load(set, argv[i]);

	FILE *out = stdout;
	if (output != NULL && strcmp(output, "-") != 0 &&
	    (out = fopen(output, "w")) == NULL) {
		uldt_error(output, 0, "cannot write: %s", strerror(errno));
		uldt_reports_free(set);
		return ST_BAD | (bad ? ST_BAD : 0);
	}
	uldt_reports_print(set, (enum uldt_format)fmt, out);
	int status = (uldt_reports_count(set) ? ST_REPORTS : 0) |
	    (bad || uldt_errors() ? ST_BAD : 0);
	if (fflush(out) != 0 || ferror(out)) {
		uldt_error(output ? output : "<stdout>", 0, "write error: %s",
		    strerror(errno));
		status |= ST_BAD;
	}
	if (out != stdout)
		fclose(out);
	uldt_reports_free(set);
	return status;
}
