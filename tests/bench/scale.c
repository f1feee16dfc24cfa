/*
 * scale.c: the validator at the sizes of issue 7's "no fixed limits"
 * (make bench-scale; a small version runs in make check as
 * tests/preload/scale.sh).
 *
 *   scale_locks WORKLOAD N [invert]
 *
 * WORKLOAD is one of
 *   classes N  N mutexes, each in a class of its own (named "c<i>" with
 *              uld_lock_set_class: a program with 100,000 classes has them
 *              from annotations or from many init sites, and names are the
 *              only way to make that many from one loop), each taken once
 *              under one outer mutex: N classes, N edges out of one class.
 *   edges N    a DAG of N edges over N/100 classes ("e<i>"): lock i, then
 *              lock j, for each j in i+1..i+100, i ascending: every pair
 *              a first-sight chain and a new edge.
 *   threads N  N threads alive at once, each holding two mutexes of its
 *              own (two classes, one order) while all N meet at a barrier.
 *   depth N    one thread takes N mutexes nested ("d<i>", in order), then
 *              releases them, twice (the second time every chain is known).
 *   destroy N  N threads alive and idle while the main thread creates,
 *              takes, releases and destroys 100,000 heap mutexes: a lock's
 *              whole life, with many threads whose held locks a destroy
 *              might have to look through (ns per lifetime; the time
 *              is the loop's, without starting and ending the threads).
 *
 * With "invert", the program then takes the last edge's two locks the
 * other way round, which must be reported as a circular dependency of
 * exactly those two classes (the check that the validator is still on).
 * With "invert-far", it takes the last lock and then the first: for depth
 * N a cycle through all N classes, for edges one across the whole DAG.
 *
 * Run bare too (no preload): the class names are then skipped (the
 * annotation functions are looked up with dlsym, found only under the
 * preload) and the rest is the same work.  Prints one line of key=value:
 * the time of the workload, ns per operation (a first-sight edge for
 * classes and edges, a thread for threads, a lock for depth), VmHWM (peak
 * RSS) and the number of reports.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ulockdep/ulockdep.h"

static __typeof__(uld_lock_set_class) *set_class;
static __typeof__(uld_report_count) *report_count;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
vm_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static pthread_mutex_t *
make_locks(long n, const char *prefix)
{
	pthread_mutex_t *m = calloc(n, sizeof(*m));
	char name[32];

	if (m == NULL) {
		perror("scale: calloc");
		exit(2);
	}
	for (long i = 0; i < n; i++) {
		pthread_mutex_init(&m[i], NULL);
		snprintf(name, sizeof(name), "%s%ld", prefix, i);
		if (set_class != NULL)
			set_class(&m[i], NULL, name);
	}
	return m;
}

static void
pair(pthread_mutex_t *a, pthread_mutex_t *b)
{
	pthread_mutex_lock(a);
	pthread_mutex_lock(b);
	pthread_mutex_unlock(b);
	pthread_mutex_unlock(a);
}

/* The two locks of the last new edge, for "invert"; the first lock of
 * the graph, for "invert-far". */
static pthread_mutex_t *last_from, *last_to, *first;

/* File scope: its class is named after it, "classes_outer". */
static pthread_mutex_t classes_outer = PTHREAD_MUTEX_INITIALIZER;

static long
classes(long n)
{
	pthread_mutex_t *m = make_locks(n, "c");

	for (long i = 0; i < n; i++)
		pair(&classes_outer, &m[i]);
	last_from = first = &classes_outer;
	last_to = &m[n - 1];
	return n;
}

#define FANOUT 100

static long
edges(long n)
{
	long k = n / FANOUT + 1, e = 0;
	pthread_mutex_t *m = make_locks(k + FANOUT, "e");

	/* Ascending: when i -> j is added, nothing leaves j yet, so each
	 * cycle search is short; the graph still ends with n edges. */
	for (long i = 0; i < k && e < n; i++)
		for (long j = i + 1; j <= i + FANOUT && e < n; j++, e++) {
			pair(&m[i], &m[j]);
			last_from = &m[i];
			last_to = &m[j];
		}
	first = &m[0];
	return e;
}

struct worker {
	pthread_t th;
	pthread_mutex_t a, b;
};
static pthread_barrier_t all_in;

static void *
worker(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->a);
	pthread_mutex_lock(&w->b);
	pthread_barrier_wait(&all_in); /* all N hold their two locks */
	pthread_mutex_unlock(&w->b);
	pthread_mutex_unlock(&w->a);
	return NULL;
}

static long
threads(long n)
{
	struct worker *w = calloc(n, sizeof(*w));
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_barrier_init(&all_in, NULL, (unsigned)n);
	for (long i = 0; i < n; i++) {
		pthread_mutex_init(&w[i].a, NULL);
		pthread_mutex_init(&w[i].b, NULL);
		if (pthread_create(&w[i].th, &attr, worker, &w[i]) != 0) {
			perror("scale: pthread_create");
			exit(2);
		}
	}
	for (long i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	last_from = first = &w[0].a;
	last_to = &w[0].b;
	return n;
}

static long
depth(long n)
{
	pthread_mutex_t *m = make_locks(n, "d");

	for (int round = 0; round < 2; round++) {
		for (long i = 0; i < n; i++)
			pthread_mutex_lock(&m[i]);
		for (long i = n - 1; i >= 0; i--)
			pthread_mutex_unlock(&m[i]);
	}
	last_from = &m[n - 2];
	last_to = &m[n - 1];
	first = &m[0];
	return 2 * n;
}

static pthread_barrier_t idle_start, idle_stop;

/* The workload's own time, when it must leave its set-up out (> 0). */
static double loop_s;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
idler(void *arg)
{
	/* Known to the validator, as a thread of a real program is. */
	pthread_mutex_lock(&idle_lock);
	pthread_mutex_unlock(&idle_lock);
	pthread_barrier_wait(&idle_start);
	pthread_barrier_wait(&idle_stop);
	return arg;
}

#define LIFETIMES 100000

static long
destroy(long n)
{
	pthread_t *th = calloc(n, sizeof(*th));
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_barrier_init(&idle_start, NULL, (unsigned)n + 1);
	pthread_barrier_init(&idle_stop, NULL, (unsigned)n + 1);
	for (long i = 0; i < n; i++)
		if (pthread_create(&th[i], &attr, idler, NULL) != 0) {
			perror("scale: pthread_create");
			exit(2);
		}
	pthread_barrier_wait(&idle_start);
	double t0 = now_s();
	for (long i = 0; i < LIFETIMES; i++) {
		pthread_mutex_t *m = malloc(sizeof(*m));

		pthread_mutex_init(m, NULL);
		pthread_mutex_lock(m);
		pthread_mutex_unlock(m);
		pthread_mutex_destroy(m);
		free(m);
	}
	loop_s = now_s() - t0; /* without the threads' start and end */
	pthread_barrier_wait(&idle_stop);
	for (long i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	/* One edge for "invert", outside the measured loop's classes. */
	pthread_mutex_t *m = make_locks(2, "x");
	pair(&m[0], &m[1]);
	last_from = first = &m[0];
	last_to = &m[1];
	return LIFETIMES;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		long (*fn)(long);
	} w[] = { { "classes", classes }, { "edges", edges },
		  { "threads", threads }, { "depth", depth },
		  { "destroy", destroy } };
	long n = argc > 2 ? atol(argv[2]) : 0;
	int k;

	for (k = 0; k < 5 && argc > 1 && strcmp(argv[1], w[k].name) != 0; k++)
		;
	if (k == 5 || n < 2) {
		fprintf(stderr, "usage: scale_locks classes|edges|threads|depth|destroy "
				"N [invert|invert-far]   (N >= 2)\n");
		return 2;
	}
	set_class = (__typeof__(set_class))dlsym(RTLD_DEFAULT,
	    "uld_lock_set_class");
	report_count = (__typeof__(report_count))dlsym(RTLD_DEFAULT,
	    "uld_report_count");

	double t0 = now_s();
	long ops = w[k].fn(n);
	double t = now_s() - t0;
	if (loop_s > 0)
		t = loop_s;

	printf("workload=%s n=%ld time_s=%.3f ns_per_op=%.0f vmhwm_kb=%ld "
	       "reports=%lu\n",
	    w[k].name, n, t, t * 1e9 / ops, vm_hwm_kb(),
	    report_count ? report_count() : 0UL);
	fflush(stdout);
	if (argc > 3 && strcmp(argv[3], "invert") == 0)
		pair(last_to, last_from);
	if (argc > 3 && strcmp(argv[3], "invert-far") == 0)
		pair(last_to, first);
	return 0;
}
