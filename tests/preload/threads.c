/*
 * threads.c: thread life under the preload: churn, crowds, detached
 * threads, cancellation and pthread_exit with and without locks held.
 *
 *   threads SCENARIO
 *
 * threads.sh runs each scenario under the preload and checks the reports
 * it must make (exactly those) or that it makes none.  A scenario checks
 * what the program itself can see and prints "FAIL: ..." and exits 1 when
 * a promise is broken, bare too.
 *
 *   churn          10,000 threads created and joined one after the other,
 *                  each taking 20 locks in one order (more than the held
 *                  stack keeps inline) and a lock of its own; the process
 *                  RSS after 1,000 and after 10,000 threads is printed
 *   crowd          200 threads alive at once, 10 times over, each taking
 *                  the same locks; RSS after the 2nd and the 10th crowd
 *   detached       2,000 detached threads that lock, unlock and end
 *   cancel_sleep_cleanup  a thread cancelled while it sleeps holding
 *                  m_cancel, with a cleanup handler that unlocks it
 *   cancel_sleep   the same without the cleanup handler
 *   cancel_cond_cleanup   cancelled in pthread_cond_wait on m_cancel
 *                  (glibc takes the mutex back before the cleanup runs)
 *   cancel_cond    the same without the cleanup handler
 *   exit_nested    pthread_exit three calls deep, holding m_outer and
 *                  m_inner
 *   exit_nested_clean  the same calls, every lock released first
 *   small_stack    a thread on a PTHREAD_STACK_MIN stack, and one on a
 *                  256 KB stack that uses 232 KB of it: bare, both fit
 *                  (glibc puts the static TLS on the stack too: the
 *                  validator keeps its 40 KB of caches out of it;
 *                  matrix.sh's *_small_stacks rows give a thread a stack
 *                  of its own)
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../utils/check.h"

#define NLOCKS 20

/* Twenty classes taken in one order (elements of one array would share a
 * class, and nesting them would be recursive locking). */
#define M(n) static pthread_mutex_t m_order##n = PTHREAD_MUTEX_INITIALIZER;
M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9)
M(10) M(11) M(12) M(13) M(14) M(15) M(16) M(17) M(18) M(19)
#undef M
static pthread_mutex_t *const m_order[NLOCKS] = {
	&m_order0, &m_order1, &m_order2, &m_order3, &m_order4, &m_order5,
	&m_order6, &m_order7, &m_order8, &m_order9, &m_order10, &m_order11,
	&m_order12, &m_order13, &m_order14, &m_order15, &m_order16,
	&m_order17, &m_order18, &m_order19,
};
static pthread_spinlock_t s_count;
static pthread_rwlock_t rw_table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t m_cancel = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_never = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t m_outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_inner = PTHREAD_MUTEX_INITIALIZER;
static long counter;

/* Resident set size in kB, from /proc/self/statm (pages). */
static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	CHECK(f != NULL);
	CHECK(fscanf(f, "%ld %ld", &size, &res) == 2);
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The locking every worker does: all of m_order in order (the held stack
 * outgrows its inline part), a rwlock for read, a spinlock, and a mutex of
 * its own (a new instance each time, on the stack). */
static void
work(void)
{
	pthread_mutex_t own;

	for (int i = 0; i < NLOCKS; i++)
		pthread_mutex_lock(m_order[i]);
	pthread_rwlock_rdlock(&rw_table);
	pthread_spin_lock(&s_count);
	counter++;
	pthread_spin_unlock(&s_count);
	pthread_rwlock_unlock(&rw_table);
	pthread_mutex_init(&own, NULL);
	pthread_mutex_lock(&own);
	pthread_mutex_unlock(&own);
	pthread_mutex_destroy(&own);
	for (int i = NLOCKS; i-- > 0;)
		pthread_mutex_unlock(m_order[i]);
}

static void *
worker(void *arg)
{
	(void)arg;
	work();
	return NULL;
}

static void
start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);

	if (rc != 0) {
		printf("FAIL: pthread_create: %s\n", strerror(rc));
		exit(1);
	}
}

static void
churn(void)
{
	long at1000 = 0;

	for (int i = 1; i <= 10000; i++) {
		pthread_t t;
		start(&t, worker, NULL);
		CHECK(pthread_join(t, NULL) == 0);
		if (i == 1000)
			at1000 = rss_kb();
	}
	long at10000 = rss_kb();
	CHECK(counter == 10000);
	printf("churn: %ld threads\n", counter);
	/* To stderr: the figures differ bare and preloaded. */
	fprintf(stderr, "rss_kb %ld %ld\n", at1000, at10000);
}

static pthread_barrier_t crowd_barrier;

static void *
crowd_worker(void *arg)
{
	(void)arg;
	/* All 200 are alive here at once. */
	pthread_barrier_wait(&crowd_barrier);
	work();
	return NULL;
}

static void
crowd(void)
{
	enum { N = 200, ROUNDS = 10 };
	pthread_t t[N];
	long at2 = 0;

	CHECK(pthread_barrier_init(&crowd_barrier, NULL, N) == 0);
	for (int r = 1; r <= ROUNDS; r++) {
		for (int i = 0; i < N; i++)
			start(&t[i], crowd_worker, NULL);
		for (int i = 0; i < N; i++)
			CHECK(pthread_join(t[i], NULL) == 0);
		if (r == 2)
			at2 = rss_kb();
	}
	long at10 = rss_kb();
	pthread_barrier_destroy(&crowd_barrier);
	CHECK(counter == N * ROUNDS);
	printf("crowd: %ld threads\n", counter);
	fprintf(stderr, "rss_kb %ld %ld\n", at2, at10);
}

static long finished;

static void *
detached_worker(void *arg)
{
	(void)arg;
	work();
	__atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
detached(void)
{
	enum { N = 2000 };
	pthread_attr_t a;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < N; i++) {
		pthread_t t;
		int rc;
		/* A detached thread's resources come back when it ends: wait
		 * for some to end when too many are alive. */
		while ((rc = pthread_create(&t, &a, detached_worker, NULL)) ==
		    EAGAIN)
			usleep(1000);
		CHECK(rc == 0);
	}
	while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < N)
		usleep(1000);
	pthread_attr_destroy(&a);
	CHECK(counter == N);
	printf("detached: %ld threads\n", counter);
}

/* ---- cancellation ---- */

static volatile int ready;

static void
unlock_cancel(void *arg)
{
	pthread_mutex_unlock(arg);
}

static void *
sleeper(void *arg)
{
	int cleanup = *(int *)arg;

	pthread_mutex_lock(&m_cancel);
	if (cleanup) {
		pthread_cleanup_push(unlock_cancel, &m_cancel);
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
		for (;;)
			sleep(100); /* a cancellation point */
		pthread_cleanup_pop(1);
	} else {
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
		for (;;)
			sleep(100);
	}
	return NULL;
}

static void *
waiter(void *arg)
{
	int cleanup = *(int *)arg;

	pthread_mutex_lock(&m_cancel);
	if (cleanup) {
		pthread_cleanup_push(unlock_cancel, &m_cancel);
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
		for (;;)
			pthread_cond_wait(&c_never, &m_cancel);
		pthread_cleanup_pop(1);
	} else {
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
		for (;;)
			pthread_cond_wait(&c_never, &m_cancel);
	}
	return NULL;
}

static void
cancel(void *(*fn)(void *), int cleanup)
{
	pthread_t t;
	void *ret;

	start(&t, fn, &cleanup);
	while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		usleep(1000);
	/* Deferred: acted on at the thread's next cancellation point, the
	 * sleep or the wait, if it is not already in it. */
	CHECK(pthread_cancel(t) == 0);
	CHECK(pthread_join(t, &ret) == 0);
	CHECK(ret == PTHREAD_CANCELED);
	int rc = pthread_mutex_trylock(&m_cancel);
	printf("cancelled; m_cancel %s\n", rc == 0 ? "free" : "still held");
	/* Held by the dead thread without the handler: that is the bug
	 * the report is about; leave the mutex alone then. */
	CHECK(cleanup ? rc == 0 : rc == EBUSY);
	if (rc == 0)
		pthread_mutex_unlock(&m_cancel);
}

/* ---- pthread_exit from nested calls ---- */

static __attribute__((noinline)) void
level3(int holding)
{
	if (!holding)
		pthread_mutex_unlock(&m_inner);
	pthread_exit((void *)42);
}

static __attribute__((noinline)) void
level2(int holding)
{
	pthread_mutex_lock(&m_inner);
	level3(holding);
}

static __attribute__((noinline)) void
level1(int holding)
{
	pthread_mutex_lock(&m_outer);
	if (!holding)
		pthread_mutex_unlock(&m_outer);
	level2(holding);
}

static void *
exiter(void *arg)
{
	level1(*(int *)arg);
	return NULL;
}

static void
exit_nested(int holding)
{
	pthread_t t;
	void *ret;

	start(&t, exiter, &holding);
	CHECK(pthread_join(t, &ret) == 0);
	CHECK(ret == (void *)42);
	printf("pthread_exit: %ld\n", (long)ret);
}

/* depth frames of 4 KB on the stack, every page of them written. */
static __attribute__((noinline)) long
deep(int depth)
{
	volatile char buf[4096];

	buf[0] = (char)depth;
	buf[sizeof(buf) - 1] = 1;
	if (depth == 0)
		return buf[0];
	return deep(depth - 1) + buf[sizeof(buf) - 1];
}

static void *
small_worker(void *arg)
{
	pthread_mutex_lock(&m_cancel);
	long r = deep(*(int *)arg);
	pthread_mutex_unlock(&m_cancel);
	return (void *)r;
}

static void
small_stack(void)
{
	const struct { size_t size; int depth; } runs[] = {
		{ PTHREAD_STACK_MIN, 0 },
		{ 256 * 1024, 58 },	/* 58 x 4 KB and frames: 232 KB */
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		pthread_attr_t at;
		pthread_t t;
		void *ret;
		int depth = runs[i].depth;
		CHECK(pthread_attr_init(&at) == 0);
		CHECK(pthread_attr_setstacksize(&at, runs[i].size) == 0);
		int rc = pthread_create(&t, &at, small_worker, &depth);
		if (rc != 0)
			printf("FAIL: pthread_create with a %zu-byte stack: %s\n",
			    runs[i].size, strerror(rc));
		CHECK(rc == 0);
		CHECK(pthread_join(t, &ret) == 0);
		CHECK((long)ret == depth);
		pthread_attr_destroy(&at);
		printf("stack of %zu bytes: ok\n", runs[i].size);
	}
}

int
main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_spin_init(&s_count, PTHREAD_PROCESS_PRIVATE);
	if (strcmp(s, "churn") == 0)
		churn();
	else if (strcmp(s, "crowd") == 0)
		crowd();
	else if (strcmp(s, "detached") == 0)
		detached();
	else if (strcmp(s, "cancel_sleep_cleanup") == 0)
		cancel(sleeper, 1);
	else if (strcmp(s, "cancel_sleep") == 0)
		cancel(sleeper, 0);
	else if (strcmp(s, "cancel_cond_cleanup") == 0)
		cancel(waiter, 1);
	else if (strcmp(s, "cancel_cond") == 0)
		cancel(waiter, 0);
	else if (strcmp(s, "exit_nested") == 0)
		exit_nested(1);
	else if (strcmp(s, "exit_nested_clean") == 0)
		exit_nested(0);
	else if (strcmp(s, "small_stack") == 0)
		small_stack();
	else {
		fprintf(stderr, "usage: threads SCENARIO\n");
		return 2;
	}
	return 0;
}
