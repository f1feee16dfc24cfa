/* run.c: `ulockdep run` (not written yet). */
#include "tool.h"

int
uldt_cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uldt_error(NULL, 0, "run: not implemented yet");
	return 2;
}
