/* report.c: `ulockdep report` (not written yet). */
#include "tool.h"

int
uldt_cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uldt_error(NULL, 0, "report: not implemented yet");
	return 2;
}
