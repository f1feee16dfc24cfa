/*
 * fuzz_reports.c: libFuzzer target for the JSON report reader
 * (tools/json.c through uldt_reports_add, tools/reports.c), built by
 * `make fuzz` from the command's sources.
 *
 * The input is JSON Lines, as `ulockdep report` reads them: each line is
 * added to one report set, then the set is printed (text and JSON, to
 * /dev/null), since printing parses each kept record again and walks
 * its fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "reports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	const char *s = (const char *)data, *end = s + size;
	struct uldt_reports *set;
	long lineno = 1;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		return 0;
	set = uldt_reports_new();
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		uldt_reports_add(set, s, (size_t)(e - s), "fuzz", lineno++);
		s = e + 1;
	}
	uldt_reports_print(set, ULDT_FMT_TEXT, null);
	uldt_reports_print(set, ULDT_FMT_JSON, null);
	uldt_reports_free(set);
	return 0;
}
