/*
 * bench.c: cost of a lock+unlock pair, bare or under the validator.
 *
 *   bench_locks [-s SCALE] [-n PAIRS] [-l] [WORKLOAD...]
 *
 * A plain pthread program, not linked to ulockdep: run.sh runs it bare,
 * with LD_PRELOAD=libulockdep-preload.so, under valgrind's Helgrind, and
 * as a second build with -fsanitize=thread, and compares.  Each workload
 * but first4096 first runs a warm-up, so the validator has already
 * learned every lock order it will see: what is measured is the steady
 * state, the path every acquisition takes once the order is known.
 * first4096 is the opposite: every pair it measures is a chain never seen
 * before, measured once, cold (the slow path, and what a short test pays).
 *
 * The warm-up also calibrates: it doubles a batch until it takes an
 * eighth of the budget (0.2 s times SCALE), then the measured run does as
 * many iterations as fit in the budget at that rate.  Timing the budget
 * rather than fixing a count keeps a slow validator from making the
 * benchmark slow too.  -n instead measures about PAIRS lock+unlock pairs
 * after a single warm-up batch of the same size (for Helgrind, where
 * even the calibration would take too long); first4096 ignores -s and -n.
 *
 * Output, one line per workload:  workload=NAME ns_per_pair=FLOAT
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUDGET_NS	200000000.0	/* measured run, at scale 1 */
#define WARMUP_PAIRS	1024		/* first warm-up batch, in pairs */

struct workload {
	const char *name;
	void (*setup)(void);
	/* n iterations; returns the lock+unlock pairs done (per thread). */
	uint64_t (*run)(uint64_t n);
	void (*teardown)(void);
	unsigned per_iter;	/* about this many pairs per iteration */
	unsigned warm_min;	/* a warm-up batch has at least this many */
	int once;		/* no warm-up: one run(0), cold */
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what, int err)
{
	fprintf(stderr, "bench_locks: %s: %s\n", what, strerror(err));
	exit(2);
}

/* ---- (1) one spinlock ---- */

static pthread_spinlock_t spin;

static void
spin_setup(void)
{
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
}

static uint64_t
spin_run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pthread_spin_lock(&spin);
		pthread_spin_unlock(&spin);
	}
	return n;
}

static void
spin_teardown(void)
{
	pthread_spin_destroy(&spin);
}

/* ---- (2) one mutex, (3) three nested mutexes ---- */

static pthread_mutex_t mA, mB, mC;

/*
 * Each mutex is initialised at its own call site: the validator, like
 * lockdep, puts all locks initialised at one site in one class, and A, B
 * and C must be three classes for A -> B -> C to be an ordinary nesting.
 */
static void
mutex_setup(void)
{
	pthread_mutex_init(&mA, NULL);
	pthread_mutex_init(&mB, NULL);
	pthread_mutex_init(&mC, NULL);
}

static void
mutex_teardown(void)
{
	pthread_mutex_destroy(&mA);
	pthread_mutex_destroy(&mB);
	pthread_mutex_destroy(&mC);
}

static uint64_t
mutex_run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&mA);
		pthread_mutex_unlock(&mA);
	}
	return n;
}

static uint64_t
nested3_run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&mA);
		pthread_mutex_lock(&mB);
		pthread_mutex_lock(&mC);
		pthread_mutex_unlock(&mC);
		pthread_mutex_unlock(&mB);
		pthread_mutex_unlock(&mA);
	}
	return 3 * n;
}

/* ---- (4) random chains over 64 mutexes ---- */

#define NPOOL	64
#define NCHAINS	256
#define MAXLEN	4

static pthread_mutex_t pool[NPOOL];
static struct chain {
	int len;
	pthread_mutex_t *m[MAXLEN];
} chains[NCHAINS];

/* 64 init call sites, so 64 classes (see mutex_setup). */
#define INIT1(p, i)	pthread_mutex_init(&p[i], NULL)
#define INIT4(p, i)	INIT1(p, i); INIT1(p, i + 1); INIT1(p, i + 2); \
			INIT1(p, i + 3)
#define INIT16(p, i)	INIT4(p, i); INIT4(p, i + 4); INIT4(p, i + 8); \
			INIT4(p, i + 12)

/*
 * xorshift64*, fixed seed per workload: every run takes the same chains,
 * whichever workloads ran before in the process.
 */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

/*
 * Indices ascend within every chain: one global order, so the graph the
 * validator learns has no cycle and nothing is reported.
 */
static void
chains_setup(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	INIT16(pool, 0); INIT16(pool, 16); INIT16(pool, 32); INIT16(pool, 48);
	for (int c = 0; c < NCHAINS; c++) {
		int idx[MAXLEN], len = 1 + (int)(rnd(&seed) % MAXLEN);

		for (int k = 0; k < len; k++) {
			int v, dup;

			do {	/* distinct: a class is never nested in itself */
				v = (int)(rnd(&seed) % NPOOL);
				dup = 0;
				for (int j = 0; j < k; j++)
					dup |= idx[j] == v;
			} while (dup);
			int j = k;
			for (; j > 0 && idx[j - 1] > v; j--)
				idx[j] = idx[j - 1];
			idx[j] = v;
		}
		chains[c].len = len;
		for (int k = 0; k < len; k++)
			chains[c].m[k] = &pool[idx[k]];
	}
}

static uint64_t
chains_run(uint64_t n)
{
	uint64_t pairs = 0;

	for (uint64_t i = 0; i < n; i++) {
		const struct chain *c = &chains[i % NCHAINS];

		for (int k = 0; k < c->len; k++)
			pthread_mutex_lock(c->m[k]);
		for (int k = c->len - 1; k >= 0; k--)
			pthread_mutex_unlock(c->m[k]);
		pairs += (uint64_t)c->len;
	}
	return pairs;
}

static void
chains_teardown(void)
{
	for (int i = 0; i < NPOOL; i++)
		pthread_mutex_destroy(&pool[i]);
}

/* ---- (5) two threads: own mutex, then a shared one ---- */

/*
 * The threads live for the whole workload, warm-up included, so the
 * measured run sees threads the validator already knows.  Each run is a
 * start barrier, n iterations per thread, a done barrier: the time main
 * measures around it is the wall time of both threads.
 */
static pthread_mutex_t own[2], shared;
static pthread_barrier_t start, done;
static pthread_t thr[2];
static uint64_t thr_n;
static int thr_stop;

static void *
thr_main(void *arg)
{
	pthread_mutex_t *mine = arg;

	for (;;) {
		pthread_barrier_wait(&start);
		if (thr_stop)
			return NULL;
		for (uint64_t i = 0; i < thr_n; i++) {
			pthread_mutex_lock(mine);
			pthread_mutex_lock(&shared);
			pthread_mutex_unlock(&shared);
			pthread_mutex_unlock(mine);
		}
		pthread_barrier_wait(&done);
	}
}

static void
threads_setup(void)
{
	int err;

	pthread_mutex_init(&shared, NULL);
	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	for (int i = 0; i < 2; i++) {
		/* One site: per-thread locks of one kind share a class. */
		pthread_mutex_init(&own[i], NULL);
		err = pthread_create(&thr[i], NULL, thr_main, &own[i]);
		if (err)
			die("pthread_create", err);
	}
}

static uint64_t
threads_run(uint64_t n)
{
	thr_n = n;
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&done);
	return 2 * n;	/* per thread: the table reports wall time */
}

static void
threads_teardown(void)
{
	thr_stop = 1;
	pthread_barrier_wait(&start);
	for (int i = 0; i < 2; i++) {
		pthread_join(thr[i], NULL);
		pthread_mutex_destroy(&own[i]);
	}
	pthread_mutex_destroy(&shared);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
}

/* ---- (6) rwlock taken for read ---- */

static pthread_rwlock_t rw;

static void
rwlock_setup(void)
{
	pthread_rwlock_init(&rw, NULL);
}

static uint64_t
rwlock_run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&rw);
		pthread_rwlock_unlock(&rw);
	}
	return n;
}

static void
rwlock_teardown(void)
{
	pthread_rwlock_destroy(&rw);
}

/* ---- (7) first sight of 4,096 chains: 4,096 new nested pairs ---- */

/*
 * 96 mutexes, 96 init sites, so 96 classes: 4,560 ordered pairs i < j,
 * of which the first 4,096 of a fixed shuffle are taken, A then B, once
 * each.  Every B acquisition is a chain (A, B) and a dependency A -> B
 * the validator has never seen: it takes the slow path, cycle search
 * and stack capture included, on a graph that grows to 4,096 edges.  One
 * global order again, so nothing is reported.
 */
#define NFIRST_POOL	96
#define NFIRST		4096

static pthread_mutex_t first_pool[NFIRST_POOL], first_prime;
static struct { uint8_t a, b; } first_pairs[NFIRST_POOL * (NFIRST_POOL - 1) / 2];

static void
first_setup(void)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	size_t n = 0;

	INIT16(first_pool, 0); INIT16(first_pool, 16); INIT16(first_pool, 32);
	INIT16(first_pool, 48); INIT16(first_pool, 64); INIT16(first_pool, 80);
	for (int a = 0; a < NFIRST_POOL; a++)
		for (int b = a + 1; b < NFIRST_POOL; b++) {
			first_pairs[n].a = (uint8_t)a;
			first_pairs[n].b = (uint8_t)b;
			n++;
		}
	for (size_t i = n - 1; i > 0; i--) {	/* Fisher-Yates */
		size_t j = (size_t)(rnd(&seed) % (i + 1));
		__typeof__(first_pairs[0]) t = first_pairs[i];

		first_pairs[i] = first_pairs[j];
		first_pairs[j] = t;
	}
	/*
	 * What a process pays once, at its first lock (the validator's own
	 * start, its watchdog thread), is not a chain's cost: pay it here.
	 */
	pthread_mutex_init(&first_prime, NULL);
	pthread_mutex_lock(&first_prime);
	pthread_mutex_unlock(&first_prime);
}

static uint64_t
first_run(uint64_t n)
{
	(void)n;
	for (int i = 0; i < NFIRST; i++) {
		pthread_mutex_t *a = &first_pool[first_pairs[i].a];
		pthread_mutex_t *b = &first_pool[first_pairs[i].b];

		pthread_mutex_lock(a);
		pthread_mutex_lock(b);
		pthread_mutex_unlock(b);
		pthread_mutex_unlock(a);
	}
	return 2 * NFIRST;
}

static void
first_teardown(void)
{
	for (int i = 0; i < NFIRST_POOL; i++)
		pthread_mutex_destroy(&first_pool[i]);
	pthread_mutex_destroy(&first_prime);
}

/* ---- (8) init/destroy churn: 1,000 heap mutexes per iteration ---- */

/*
 * Each iteration mallocs and initialises 1,000 mutexes (one init site,
 * one class), takes and releases each once, then destroys and frees them
 * all: the validator creates and forgets 1,000 instances per iteration,
 * and malloc hands the same addresses back the next time.  The time per
 * pair includes malloc, init, destroy and free, for every tool alike.
 */
#define NCHURN	1000

static pthread_mutex_t *churn[NCHURN];

static void
churn_setup(void)
{
}

static uint64_t
churn_run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		for (int k = 0; k < NCHURN; k++) {
			churn[k] = malloc(sizeof(*churn[k]));
			if (churn[k] == NULL)
				die("malloc", ENOMEM);
			pthread_mutex_init(churn[k], NULL);
		}
		for (int k = 0; k < NCHURN; k++) {
			pthread_mutex_lock(churn[k]);
			pthread_mutex_unlock(churn[k]);
		}
		for (int k = 0; k < NCHURN; k++) {
			pthread_mutex_destroy(churn[k]);
			free(churn[k]);
		}
	}
	return NCHURN * n;
}

static void
churn_teardown(void)
{
}

static const struct workload workloads[] = {
	{ "spin", spin_setup, spin_run, spin_teardown, 1, 1, 0 },
	{ "mutex", mutex_setup, mutex_run, mutex_teardown, 1, 1, 0 },
	{ "nested3", mutex_setup, nested3_run, mutex_teardown, 3, 1, 0 },
	/* warm_min: a warm-up batch goes through every chain */
	{ "chains64", chains_setup, chains_run, chains_teardown, 2, NCHAINS, 0 },
	{ "threads2", threads_setup, threads_run, threads_teardown, 2, 1, 0 },
	{ "rwlock_read", rwlock_setup, rwlock_run, rwlock_teardown, 1, 1, 0 },
	{ "first4096", first_setup, first_run, first_teardown, 2 * NFIRST, 1, 1 },
	{ "churn1000", churn_setup, churn_run, churn_teardown, NCHURN, 1, 0 },
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

/* Iterations of w that make about `pairs` pairs, and at least warm_min. */
static uint64_t
iters(const struct workload *w, uint64_t pairs)
{
	uint64_t n = pairs / w->per_iter;

	return n > w->warm_min ? n : w->warm_min;
}

static double
measure(const struct workload *w, double scale, uint64_t fixed_pairs)
{
	double budget = BUDGET_NS * scale, dt;
	uint64_t n, t0, pairs;

	w->setup();
	if (w->once) {
		t0 = now_ns();
		pairs = w->run(0);
		dt = (double)(now_ns() - t0);
		w->teardown();
		return dt / (double)pairs;
	}
	/*
	 * At least two warm-up batches: the first pays for learning the
	 * lock orders, so the rate is taken from one that did not.  With
	 * -n, one batch of the measured size: only the learning is needed.
	 */
	n = iters(w, fixed_pairs ? fixed_pairs : WARMUP_PAIRS);
	for (int round = 0;; round++) {
		t0 = now_ns();
		w->run(n);
		dt = (double)(now_ns() - t0);
		if (fixed_pairs || (round >= 1 && dt >= budget / 8))
			break;
		n *= 2;
	}
	if (!fixed_pairs)
		n = (uint64_t)((double)n * budget / dt) + 1;
	t0 = now_ns();
	pairs = w->run(n);
	dt = (double)(now_ns() - t0);
	w->teardown();
	return dt / (double)pairs;
}

static void
report(const struct workload *w, double scale, uint64_t fixed_pairs)
{
	printf("workload=%s ns_per_pair=%.2f\n", w->name,
	    measure(w, scale, fixed_pairs));
	fflush(stdout);	/* a crash in the next workload keeps this line */
}

static const struct workload *
find(const char *name)
{
	for (size_t i = 0; i < NWORKLOADS; i++)
		if (strcmp(workloads[i].name, name) == 0)
			return &workloads[i];
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_locks [-s SCALE] [-n PAIRS] [-l] "
	    "[WORKLOAD...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	double scale = 1.0;
	uint64_t fixed_pairs = 0;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:l")) != -1) {
		switch (opt) {
		case 's':
			scale = strtod(optarg, NULL);
			if (!(scale > 0))
				usage();
			break;
		case 'n':
			fixed_pairs = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			for (size_t i = 0; i < NWORKLOADS; i++)
				puts(workloads[i].name);
			return 0;
		default:
			usage();
		}
	}
	for (int a = optind; a < argc; a++)
		if (find(argv[a]) == NULL)
			usage();
	if (optind == argc)	/* no names: every workload */
		for (size_t i = 0; i < NWORKLOADS; i++)
			report(&workloads[i], scale, fixed_pairs);
	for (int a = optind; a < argc; a++)
		report(find(argv[a]), scale, fixed_pairs);
	return 0;
}
