/*
 * revive.c: locks made where a destroyed one was (tests/preload/revive.sh).
 *
 * A destroyed lock's instance stays in the table, dead, until a new lock
 * at its address revives it or a sweep takes it out (lib/lockmap.c).
 * Either way the new lock is a new instance: its own class, no order
 * inherited from the dead one.
 *
 * revive reinit_other: slot is initialised at one site, taken inside
 * lock_a, destroyed, initialised at another site and taken outside
 * lock_a: two classes, no cycle, silent.
 * revive reinit_same: the same with one init site both times: one class,
 * and lock_a -> slot -> lock_a is a circular_dependency.
 * revive churn [abba]: 1,000 rounds of 100 heap mutexes made, taken,
 * destroyed and freed (malloc hands the blocks back: revivals); with
 * abba, then two new heap mutexes of two init sites taken in both orders.
 * revive sweep [abba]: 100,000 mutexes at distinct addresses made, taken
 * and destroyed, none made again there: sweeps take the dead out; with
 * abba, then new locks of two init sites at two of those addresses, taken
 * in both orders.
 * revive threads: four threads at once, each making heap mutexes (and
 * reviving the ones the others freed) and using a quarter of many[]
 * once, which sweeps clear while the others run.  Silent.
 *
 * The lines revive.sh checks are marked with comments it greps for.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t slot;

#define NMANY 100000
static pthread_mutex_t many[NMANY];

static void
take_inside_a(pthread_mutex_t *m)
{
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
	pthread_mutex_unlock(&lock_a);
}

static void
take_outside_a(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(m);
}

/* x then y, then y then x: one circular_dependency. */
static void
abba_of(pthread_mutex_t *x, pthread_mutex_t *y)
{
	pthread_mutex_lock(x);
	pthread_mutex_lock(y);
	pthread_mutex_unlock(y);
	pthread_mutex_unlock(x);
	pthread_mutex_lock(y);
	pthread_mutex_lock(x);
	pthread_mutex_unlock(x);
	pthread_mutex_unlock(y);
}

/* Not inlined nor folded into one: each is one init site, wherever it
 * is called from. */
static __attribute__((noipa)) void
init_first(pthread_mutex_t *m)
{
	pthread_mutex_init(m, NULL); /* @init_first */
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

static __attribute__((noipa)) void
init_second(pthread_mutex_t *m)
{
	pthread_mutex_init(m, NULL); /* @init_second */
	__asm__ volatile("" ::: "memory");
}

static pthread_mutex_t *
heap_mutex(int second)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	if (m == NULL)
		abort();
	if (second)
		init_second(m);
	else
		init_first(m);
	return m;
}

static void
reinit(int same)
{
	init_first(&slot);
	take_inside_a(&slot);
	pthread_mutex_destroy(&slot);
	if (same)
		init_first(&slot);
	else
		init_second(&slot);
	take_outside_a(&slot);
	pthread_mutex_destroy(&slot);
}

static void
churn(int abba)
{
	pthread_mutex_t *m[100];

	for (int r = 0; r < 1000; r++) {
		for (int i = 0; i < 100; i++)
			m[i] = heap_mutex(0);
		for (int i = 0; i < 100; i++) {
			pthread_mutex_lock(m[i]);
			pthread_mutex_unlock(m[i]);
		}
		for (int i = 0; i < 100; i++) {
			pthread_mutex_destroy(m[i]);
			free(m[i]);
		}
	}
	if (abba) {
		pthread_mutex_t *x = heap_mutex(0), *y = heap_mutex(1);
		abba_of(x, y);
		pthread_mutex_destroy(x);
		pthread_mutex_destroy(y);
		free(x);
		free(y);
	}
}

static void
sweep(int abba)
{
	for (int i = 0; i < NMANY; i++) {
		init_first(&many[i]);
		pthread_mutex_lock(&many[i]);
		pthread_mutex_unlock(&many[i]);
		pthread_mutex_destroy(&many[i]);
	}
	if (abba) {
		/* The first is long swept; the last may still be dead. */
		pthread_mutex_t *x = &many[0], *y = &many[NMANY - 1];
		init_first(x);
		init_second(y);
		abba_of(x, y);
		pthread_mutex_destroy(x);
		pthread_mutex_destroy(y);
	}
}

/* Four threads at once: each makes and frees heap mutexes (blocks other
 * threads freed come back: revivals of their dead) and uses its quarter
 * of many[] once (deaths that sweeps take out, while the others run). */
static void *
thread_body(void *arg)
{
	int q = (int)(intptr_t)arg;

	for (int i = 0; i < NMANY / 4; i++) {
		pthread_mutex_t *m = heap_mutex(1);
		pthread_mutex_t *s = &many[q * (NMANY / 4) + i];
		init_first(s);
		pthread_mutex_lock(m);
		pthread_mutex_lock(s);
		pthread_mutex_unlock(s);
		pthread_mutex_unlock(m);
		pthread_mutex_destroy(s);
		pthread_mutex_destroy(m);
		free(m);
	}
	return NULL;
}

static void
threads(void)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thread_body, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

int
main(int argc, char **argv)
{
	int abba = argc > 2 && strcmp(argv[2], "abba") == 0;

	if (argc > 1 && strcmp(argv[1], "reinit_other") == 0)
		reinit(0);
	else if (argc > 1 && strcmp(argv[1], "reinit_same") == 0)
		reinit(1);
	else if (argc > 1 && strcmp(argv[1], "churn") == 0)
		churn(abba);
	else if (argc > 1 && strcmp(argv[1], "sweep") == 0)
		sweep(abba);
	else if (argc > 1 && strcmp(argv[1], "threads") == 0)
		threads();
	else {
		fprintf(stderr, "usage: revive reinit_other|reinit_same|"
				"churn [abba]|sweep [abba]|threads\n");
		return 2;
	}
	puts("done");
	return 0;
}
