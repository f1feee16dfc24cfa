/*
 * check.h: the check of a test program that a script runs: on failure it
 * prints "FAIL: <condition> (line N)", which the script looks for, and
 * exits 1.
 */
#ifndef ULD_TESTS_CHECK_H
#define ULD_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("FAIL: %s (line %d)\n", #cond, __LINE__);     \
			exit(1);                                             \
		}                                                            \
	} while (0)

#endif /* ULD_TESTS_CHECK_H */
