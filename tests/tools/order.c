/*
 * order.c: take static mutexes in the orders given, for merge.sh.
 *
 *   order SEQ...
 *
 * Each SEQ is letters A..D: the mutexes lock_A..lock_D taken in that
 * order, then released in reverse.  `order AB` and `order BA` are each
 * silent under the validator; `order AB BA` is the AB-BA bug in one run.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_A = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_B = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_C = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_D = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t *
lock_of(char c)
{
	switch (c) {
	case 'A': return &lock_A;
	case 'B': return &lock_B;
	case 'C': return &lock_C;
	case 'D': return &lock_D;
	default: return NULL;
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: order SEQ... (SEQ: letters A-D)\n", stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int n = 0;
		for (const char *p = argv[i]; *p; p++, n++)
			if (lock_of(*p) == NULL) {
				fprintf(stderr, "order: bad lock '%c'\n", *p);
				return 2;
			}
		for (int k = 0; k < n; k++)
			pthread_mutex_lock(lock_of(argv[i][k]));
		for (int k = n - 1; k >= 0; k--)
			pthread_mutex_unlock(lock_of(argv[i][k]));
	}
	return 0;
}
