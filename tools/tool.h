/*
 * tool.h: the `ulockdep` command (run, report, merge, graph).
 *
 * The command reads what processes left behind (JSON Lines reports, saved
 * lock graphs) and never links the validator core: it must run on a
 * triage machine that never ran the program, and it must survive any
 * input, so every reader here checks what it reads and names the file and
 * line of what it cannot use.
 */
#ifndef ULDT_TOOL_H
#define ULDT_TOOL_H

#include <stdio.h>

/* Output formats of `report`, `merge` and `graph`. */
enum uldt_format {
	ULDT_FMT_TEXT,
	ULDT_FMT_JSON,	/* JSON Lines, one report per line */
	ULDT_FMT_SARIF,	/* SARIF 2.1.0 */
	ULDT_FMT_DOT,	/* Graphviz (graph only) */
};

/* "text", "json", "sarif", "dot" -> format; -1 when unknown. */
int uldt_format_parse(const char *s);

/* Subcommands: argv[0] is the subcommand name; return the exit status. */
int uldt_cmd_run(int argc, char **argv);
int uldt_cmd_report(int argc, char **argv);
int uldt_cmd_merge(int argc, char **argv);
int uldt_cmd_graph(int argc, char **argv);

/*
 * "ulockdep: FILE:LINE: message" on stderr (FILE NULL: no location;
 * LINE 0: no line).  Counted: uldt_errors() is how many were printed.
 */
void uldt_error(const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
unsigned long uldt_errors(void);

/* The directory holding the running `ulockdep` executable ("" if unknown). */
const char *uldt_self_dir(void);

#endif /* ULDT_TOOL_H */
