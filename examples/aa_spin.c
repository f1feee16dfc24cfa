/*
 * aa_spin.c: a function that takes a spinlock calls a helper that takes it
 * again.  Without a validator this spins forever; ulockdep reports the
 * recursive acquisition before the thread starts spinning, and with
 * halt_on_error=1 aborts instead of hanging.
 *
 *   ULOCKDEP_OPTIONS=halt_on_error=1 LD_PRELOAD=libulockdep-preload.so ./aa_spin
 */
#include <pthread.h>
#include <stdio.h>

static pthread_spinlock_t stats_lock;
static long hits;

static void
bump(void)
{
	pthread_spin_lock(&stats_lock); /* already held by record() */
	hits++;
	pthread_spin_unlock(&stats_lock);
}

static void
record(void)
{
	pthread_spin_lock(&stats_lock);
	bump();
	pthread_spin_unlock(&stats_lock);
}

int
main(void)
{
	pthread_spin_init(&stats_lock, PTHREAD_PROCESS_PRIVATE);
	record();
	printf("hits %ld\n", hits);
	return 0;
}
