/*
 * optdoc.c: the OPTIONS section of ulockdep-options(7), from options.def.
 *
 * The parser (lib/options.c), help=1 and this page are generated from one
 * table, so the man page cannot disagree with what the library accepts.
 *
 *	optdoc			print the OPTIONS section (roff) on stdout
 *	optdoc TEMPLATE		copy TEMPLATE to stdout, replacing a line
 *				"@OPTIONS@" by that section and every
 *				"@VERSION@" by the package version
 *
 * A build tool: it runs on the build machine, never inside a program.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL, OPT_SIGS };

static const struct {
	const char *name;
	enum opt_type type;
	const char *def;
	long min, max;
	const char *desc;
} opts[] = {
#define ULD_OPT(type, name, def, min, max, desc)                        \
	{ #name, OPT_##type, def, min, max, desc },
#include "options.def"
#undef ULD_OPT
};

/* The prefix options.def gives a key that is parsed but not active yet. */
#define LATER "(later) "

/* Text as roff: no escapes, no request at the start of a line. */
static void
roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
}

static void
value_syntax(size_t i)
{
	switch (opts[i].type) {
	case OPT_STR:
		printf("\\fIstring\\fR");
		break;
	case OPT_INT:
		printf("\\fIN\\fR");
		break;
	case OPT_BOOL:
		printf("\\fB0\\fR|\\fB1\\fR");
		break;
	case OPT_SIGS:
		printf("\\fISIG\\fR[\\fB,\\fR\\fISIG\\fR]...");
		break;
	}
}

static void
value_rule(size_t i)
{
	switch (opts[i].type) {
	case OPT_STR:
		printf("A string of at most %d bytes.\n", ULD_OPT_STR_MAX - 1);
		break;
	case OPT_INT:
		printf("A decimal integer from %ld to %ld.\n", opts[i].min,
		    opts[i].max);
		break;
	case OPT_BOOL:
		printf("\\fB0\\fR or \\fB1\\fR (also \\fBfalse\\fR/\\fBtrue\\fR, "
		       "\\fBno\\fR/\\fByes\\fR).\n");
		break;
	case OPT_SIGS:
		printf("Signal names (\\fBSIGALRM\\fR or \\fBALRM\\fR, "
		       "\\fBSIGRTMIN+\\fIn\\fR, \\fBSIGRTMAX\\-\\fIn\\fR) or "
		       "numbers, separated by \\(aq,\\(aq.\n");
		break;
	}
}

static void
options_section(void)
{
	size_t later = strlen(LATER);

	printf(".SH OPTIONS\n"
	       "Generated from \\fIlib/options.def\\fR, the table the parser "
	       "is built from.\n"
	       "Keys marked \\fBNot yet active\\fR are accepted and their "
	       "values are checked,\n"
	       "but they have no effect in this version of ulockdep.\n");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *desc = opts[i].desc;
		int is_later = strncmp(desc, LATER, later) == 0;

		if (is_later)
			desc += later;
		printf(".TP\n\\fB%s\\fR=", opts[i].name);
		value_syntax(i);
		printf("\n");
		if (is_later)
			printf("\\fBNot yet active:\\fR accepted and checked, "
			       "no effect yet.\n");
		roff(desc);
		printf("\n");
		value_rule(i);
		if (opts[i].def[0] != '\0') {
			printf("Default: \\fB");
			roff(opts[i].def);
			printf("\\fR.\n");
		} else {
			printf("Default: unset.\n");
		}
	}
}

/* One template line, with @VERSION@ replaced. */
static void
put_line(const char *p)
{
	static const char mark[] = "@VERSION@";
	const char *v;

	while ((v = strstr(p, mark)) != NULL) {
		fwrite(p, 1, (size_t)(v - p), stdout);
		fputs(PACKAGE_VERSION, stdout);
		p = v + sizeof(mark) - 1;
	}
	fputs(p, stdout);
}

static int
fill_template(const char *path)
{
	char line[4096];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strcmp(line, "@OPTIONS@\n") == 0)
			options_section();
		else
			put_line(line);
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: %s [TEMPLATE]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		if (fill_template(argv[1]) != 0)
			return 1;
	} else {
		options_section();
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
