/*
 * ulockdep.c: the `ulockdep` command's entry point and shared helpers.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static unsigned long nerrors;

void
uldt_error(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	fputs("ulockdep: ", stderr);
	if (file != NULL && line > 0)
		fprintf(stderr, "%s:%ld: ", file, line);
	else if (file != NULL)
		fprintf(stderr, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	nerrors++;
}

unsigned long
uldt_errors(void)
{
	return nerrors;
}

int
uldt_format_parse(const char *s)
{
	static const char *const names[] = {
		[ULDT_FMT_TEXT] = "text",
		[ULDT_FMT_JSON] = "json",
		[ULDT_FMT_SARIF] = "sarif",
		[ULDT_FMT_DOT] = "dot",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
uldt_self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;

	if (dir[0] != '\0')
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		dir[0] = '\0';
		return dir;
	}
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	return dir;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} cmds[] = {
	{ "run", uldt_cmd_run,
	  "run [--json FILE] [--log FILE] [--halt] [--suppressions FILE]\n"
	  "      [--graph FILE] [-o KEY=VAL]... -- PROG ARGS..." },
	{ "report", uldt_cmd_report,
	  "report [--format text|json|sarif] [-o OUT] FILE... (- is stdin)" },
	{ "merge", uldt_cmd_merge,
	  "merge [--format text|json|sarif] FILE..." },
	{ "graph", uldt_cmd_graph, "graph [--format text|dot] FILE..." },
};

static int
usage(FILE *f, int status)
{
	fputs("usage:\n", f);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  ulockdep %s\n", cmds[i].usage);
	fputs("See ulockdep(1).\n", f);
	return status;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return usage(stdout, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	uldt_error(NULL, 0, "unknown command '%s'", argv[1]);
	return usage(stderr, 2);
}
