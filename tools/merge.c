/* merge.c: `ulockdep merge` (not written yet). */
#include "tool.h"

int
uldt_cmd_merge(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uldt_error(NULL, 0, "merge: not implemented yet");
	return 2;
}
