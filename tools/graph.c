/* graph.c: `ulockdep graph` (not written yet). */
#include "tool.h"

int
uldt_cmd_graph(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uldt_error(NULL, 0, "graph: not implemented yet");
	return 2;
}
