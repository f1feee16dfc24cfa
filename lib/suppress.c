/*
 * suppress.c: the suppressions file (not written yet).
 */
#include "suppress.h"
