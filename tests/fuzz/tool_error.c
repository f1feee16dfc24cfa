/*
 * tool_error.c: uldt_error() for the fuzz targets of tools/, which link
 * the readers without tools/ulockdep.c (its main and subcommands).  The
 * message is still formatted, so a bad argument to it is found too, but
 * kept quiet: fuzzing makes millions of them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tool.h"

static unsigned long nerrors;

void
uldt_error(const char *file, long line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)file;
	(void)line;
	nerrors++;
}

unsigned long
uldt_errors(void)
{
	return nerrors;
}
