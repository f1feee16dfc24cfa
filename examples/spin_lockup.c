/*
 * spin_lockup.c: a thread takes a spinlock and then waits, still holding
 * it, for something that only happens after another thread gets the lock.
 * The other thread spins.  Without a validator this hangs (here the owner
 * gives up after 3 s); ulockdep reports the spin after spin_timeout_ms,
 * naming the owner, where it took the lock and where it is now, and a
 * soft lockup after lockup_s.
 *
 *   ULOCKDEP_OPTIONS=spin_timeout_ms=500:lockup_s=2 \
 *       LD_PRELOAD=libulockdep-preload.so ./spin_lockup
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_spinlock_t queue_lock;
static volatile int flushed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits for the flusher with the queue lock held: the bug. */
static void
wait_for_flush(void)
{
	double start = now();

	while (!flushed && now() - start < 3.0)
		;
}

static void *
producer(void *arg)
{
	pthread_setname_np(pthread_self(), "producer");
	pthread_spin_lock(&queue_lock);
	wait_for_flush();
	pthread_spin_unlock(&queue_lock);
	return arg;
}

static void *
flusher(void *arg)
{
	pthread_setname_np(pthread_self(), "flusher");
	pthread_spin_lock(&queue_lock); /* spins while the producer waits */
	flushed = 1;
	pthread_spin_unlock(&queue_lock);
	return arg;
}

int
main(void)
{
	pthread_t p, f;
	struct timespec pause = { 0, 50000000 };

	pthread_spin_init(&queue_lock, PTHREAD_PROCESS_PRIVATE);
	pthread_create(&p, NULL, producer, NULL);
	nanosleep(&pause, NULL);
	pthread_create(&f, NULL, flusher, NULL);
	pthread_join(p, NULL);
	pthread_join(f, NULL);
	printf("flushed=%d\n", flushed);
	return 0;
}
