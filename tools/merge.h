/*
 * merge.h: what `merge` and `graph` share besides the union itself.
 */
#ifndef ULDT_MERGE_H
#define ULDT_MERGE_H

#include "tool.h"

/*
 * Options of `merge` and `graph`: [--format F] [--] FILE...; `formats`
 * is the set (1 << format) this command accepts.  Returns -1 with *fmt
 * and *first_file (argv index of the first file) set, or the exit status
 * to return now (0 after --help, 2 on a usage error, already said).
 */
int uldt_merge_args(int argc, char **argv, const char *usage,
    unsigned formats, enum uldt_format *fmt, int *first_file);

#endif /* ULDT_MERGE_H */
