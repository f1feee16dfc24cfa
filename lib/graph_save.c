/*
 * graph_save.c: saving the learned lock graph (not written yet).
 */
#include "graph_save.h"
