/*
 * stress.c: a long randomized run under the preload (make stress, and a
 * short one in make check through stress.sh).
 *
 * usage: stress [--seconds S] [--seed N] [--threads T] [--inject]
 *
 * A pool of 64 locks (mutexes, spinlocks and rwlocks, each its own class
 * named stress_lock_NN) has a hidden global order: a permutation drawn
 * from the seed.  Each worker thread loops over sections: it takes a
 * random subset of the pool in increasing order, sometimes try-locks one
 * more lock that comes *earlier* in the order (legal: a trylock cannot
 * deadlock), sometimes takes the irq lock innermost, does a little work
 * and releases everything in some order.  After a spinlock, a sleeping
 * lock is only ever try-locked (a blocking one would be sleep_in_atomic).
 *
 * Meanwhile a signaller thread sends SIGUSR1 to random workers; its
 * handler takes the irq lock, a spinlock that normal context takes only
 * with SIGUSR1 blocked (so no irq report is due).  A forker thread now and
 * then forks; the child takes a few sections itself and exits.  Sections
 * hold a gate rwlock for read; the forker takes it for write around
 * fork(), so no thread holds a pool lock the child could need.
 *
 * So the run must stay silent.  With --inject one worker, once, takes two
 * locks adjacent in the order against it (B, then A) while it holds the
 * gate for write (no real deadlock): exactly one circular_dependency
 * naming those two classes is due.  Without it the same worker takes them
 * in order instead: the twins differ in that one acquisition.
 *
 * The seed is printed first; --seed N repeats the order, the types and
 * every thread's choices (not the interleaving).  The figures are printed
 * last, one "stress: key=value ..." line.  Exit 0, or 3 if the program
 * itself went wrong (a fork child that failed, bad arguments: 2).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ulockdep/ulockdep.h>

#define NLOCKS 64
#define MAX_THREADS 64
#define MAX_SUBSET 4

enum { T_MUTEX, T_SPIN, T_RWLOCK };

struct lk {
	int type;
	union {
		pthread_mutex_t m;
		pthread_spinlock_t s;
		pthread_rwlock_t rw;
	} u;
	char name[24];
};

static struct lk pool[NLOCKS];
static int order[NLOCKS];		/* order[rank] = pool index */
static pthread_rwlock_t gate;
static pthread_spinlock_t irq_lock;
static volatile int stop;
static int nthreads = 16;
static double seconds = 60;
static uint64_t seed;
static int inject;
static int is_child;

static pthread_t workers[MAX_THREADS];
static uint64_t signals_sent, signals_handled, irq_normal;
static uint64_t forks, fork_failures;
static int injected_a = -1, injected_b = -1;

struct counts {
	uint64_t acquisitions, trylocks, try_failed, reverse, sections;
};
static struct counts totals;
static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
next(uint64_t *s)
{
	/* splitmix64: every thread's stream from the seed and its index. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_usr1(int sig)
{
	(void)sig;
	/* Interrupt context: the one lock taken here. */
	pthread_spin_lock(&irq_lock);
	signals_handled++;
	pthread_spin_unlock(&irq_lock);
}

/* The irq lock in normal context: only ever with its signal blocked. */
static void
irq_section(void)
{
	sigset_t usr1, old;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	pthread_spin_lock(&irq_lock);
	irq_normal++;
	pthread_spin_unlock(&irq_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct held {
	struct lk *l;
};

/* Take one lock, blocking or not; 1 if it is now held. */
static int
take(struct lk *l, int try, uint64_t *rng, struct counts *c)
{
	int rc = 0;
	int write = next(rng) % 3 == 0;

	c->trylocks += try;
	switch (l->type) {
	case T_MUTEX:
		rc = try ? pthread_mutex_trylock(&l->u.m)
			 : pthread_mutex_lock(&l->u.m);
		break;
	case T_SPIN:
		rc = try ? pthread_spin_trylock(&l->u.s)
			 : pthread_spin_lock(&l->u.s);
		break;
	case T_RWLOCK:
		if (write)
			rc = try ? pthread_rwlock_trywrlock(&l->u.rw)
				 : pthread_rwlock_wrlock(&l->u.rw);
		else
			rc = try ? pthread_rwlock_tryrdlock(&l->u.rw)
				 : pthread_rwlock_rdlock(&l->u.rw);
		break;
	}
	if (rc != 0) {
		c->try_failed++;
		return 0;
	}
	c->acquisitions++;
	return 1;
}

static void
release(struct lk *l)
{
	switch (l->type) {
	case T_MUTEX: pthread_mutex_unlock(&l->u.m); break;
	case T_SPIN: pthread_spin_unlock(&l->u.s); break;
	case T_RWLOCK: pthread_rwlock_unlock(&l->u.rw); break;
	}
}

/* One section: a random increasing subset of the pool, and more. */
static void
section(uint64_t *rng, struct counts *c)
{
	struct lk *held[MAX_SUBSET + 1];
	int ranks[MAX_SUBSET], k = 1 + (int)(next(rng) % MAX_SUBSET), n = 0;
	int nheld = 0, spin_held = 0, top = -1;
	volatile unsigned work = 0;

	/* k distinct ranks, ascending. */
	while (n < k) {
		int r = (int)(next(rng) % NLOCKS), i, dup = 0;
		for (i = 0; i < n; i++)
			dup |= ranks[i] == r;
		if (dup)
			continue;
		for (i = n; i > 0 && ranks[i - 1] > r; i--)
			ranks[i] = ranks[i - 1];
		ranks[i] = r;
		n++;
	}
	if (!is_child)
		pthread_rwlock_rdlock(&gate);
	for (int i = 0; i < k; i++) {
		struct lk *l = &pool[order[ranks[i]]];
		int try = spin_held || next(rng) % 8 == 0;
		if (take(l, try, rng, c)) {
			held[nheld++] = l;
			spin_held |= l->type == T_SPIN;
			top = ranks[i];
		}
	}
	/* A trylock against the order, as the last acquisition: legal, and
	 * nothing is taken after it that would make an edge out of it. */
	if (top > 0 && next(rng) % 4 == 0) {
		int r = (int)(next(rng) % (uint64_t)top), dup = 0;
		for (int i = 0; i < k; i++)
			dup |= ranks[i] == r;
		if (!dup && take(&pool[order[r]], 1, rng, c)) {
			held[nheld++] = &pool[order[r]];
			c->reverse++;
		}
	}
	/* Not in a fork child: a thread of the parent may have been in the
	 * handler, holding the irq lock, at the fork. */
	if (next(rng) % 8 == 0 && !is_child)
		irq_section();
	for (unsigned i = 0; i < (unsigned)(next(rng) % 64); i++)
		work += i;
	/* Release in reverse order, or in the order taken: any order is
	 * legal. */
	if (next(rng) % 2)
		for (int i = nheld - 1; i >= 0; i--)
			release(held[i]);
	else
		for (int i = 0; i < nheld; i++)
			release(held[i]);
	if (!is_child)
		pthread_rwlock_unlock(&gate);
	c->sections++;
}

/* An exclusive lock of a sleeping kind, for the injected pair. */
static void
take_excl(struct lk *l)
{
	if (l->type == T_MUTEX)
		pthread_mutex_lock(&l->u.m);
	else
		pthread_rwlock_wrlock(&l->u.rw);
}

/* Once: two locks adjacent in the order, first in order (the edge A->B),
 * then, with --inject, B then A: the one inversion.  Adjacent, so every
 * path from A to B in the graph is that one edge and the cycle is exactly
 * {A, B}.  Under the gate held for write: no other thread holds a pool
 * lock, so nothing deadlocks for real. */
static void
inversion(void)
{
	/* From the seed alone, not the worker's stream (how far that has
	 * gone depends on the timing): both twins choose the same pair. */
	uint64_t rng = seed ^ 0x1a7e55eedULL;
	int start = (int)(next(&rng) % (NLOCKS - 1)), p = -1;

	for (int i = 0; i < NLOCKS - 1; i++) {
		int q = (start + i) % (NLOCKS - 1);
		if (pool[order[q]].type != T_SPIN &&
		    pool[order[q + 1]].type != T_SPIN) {
			p = q;
			break;
		}
	}
	if (p < 0)
		return;		/* no such pair: main says so */
	struct lk *a = &pool[order[p]], *b = &pool[order[p + 1]];
	pthread_rwlock_wrlock(&gate);
	take_excl(a);
	take_excl(b);
	release(b);
	release(a);
	if (inject) {
		take_excl(b);
		take_excl(a);
		release(a);
		release(b);
	} else {
		take_excl(a);
		take_excl(b);
		release(b);
		release(a);
	}
	pthread_rwlock_unlock(&gate);
	injected_a = order[p];
	injected_b = order[p + 1];
}

static void *
worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t rng = seed ^ (0x1000003ULL * (uint64_t)(id + 1));
	struct counts c = { 0 };
	double t0 = now();
	int inverted = 0;

	while (!stop) {
		section(&rng, &c);
		/* Worker 0, a third of the way in. */
		if (id == 0 && !inverted && now() - t0 > seconds / 3) {
			inversion();
			inverted = 1;
		}
	}
	pthread_mutex_lock(&totals_lock);
	totals.acquisitions += c.acquisitions;
	totals.trylocks += c.trylocks;
	totals.try_failed += c.try_failed;
	totals.reverse += c.reverse;
	totals.sections += c.sections;
	pthread_mutex_unlock(&totals_lock);
	return NULL;
}

static void
block_usr1(void)
{
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
}

static void *
signaller(void *arg)
{
	uint64_t rng = seed ^ 0x5157a11e5ULL;
	struct timespec gap = { 0, 50000 };

	(void)arg;
	block_usr1();
	/* Bursts: a sleep on a busy machine lasts a millisecond or more,
	 * whatever it asks for. */
	while (!stop) {
		for (int i = 0; i < 8; i++) {
			pthread_kill(workers[next(&rng) % (uint64_t)nthreads],
			    SIGUSR1);
			signals_sent++;
		}
		nanosleep(&gap, NULL);
	}
	return NULL;
}

/* The child: the forking thread only, holding the gate for write (its
 * held locks stay held in the child); a few sections, then exit.  It
 * releases the gate but never takes it again: other threads of the
 * parent were queued on it, and their traces in the rwlock's state make
 * it unusable here (only the pool locks, which no thread held or awaited
 * at the fork, are). */
static void
child(uint64_t rng)
{
	struct counts c = { 0 };

	is_child = 1;
	pthread_rwlock_unlock(&gate);
	for (int i = 0; i < 20; i++)
		section(&rng, &c);
	exit(0);
}

static void *
forker(void *arg)
{
	uint64_t rng = seed ^ 0xf0f0f0f0ULL;
	struct timespec gap = { 0, 100 * 1000 * 1000 };

	(void)arg;
	block_usr1();
	while (!stop) {
		nanosleep(&gap, NULL);
		if (stop)
			break;
		pthread_rwlock_wrlock(&gate);
		fflush(stdout);
		uint64_t crng = next(&rng);
		pid_t pid = fork();
		if (pid == 0)
			child(crng);
		pthread_rwlock_unlock(&gate);
		if (pid < 0) {
			fork_failures++;
			continue;
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		forks++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "stress: fork child %d: status 0x%x\n",
			    (int)pid, st);
			fork_failures++;
		}
	}
	return NULL;
}

static void
setup(void)
{
	uint64_t rng = seed;
	pthread_rwlockattr_t ra;
	int counts[3] = { 0, 0, 0 };

	for (int i = 0; i < NLOCKS; i++) {
		struct lk *l = &pool[i];
		l->type = (int)(next(&rng) % 3);
		counts[l->type]++;
		snprintf(l->name, sizeof(l->name), "stress_lock_%02d", i);
		switch (l->type) {
		case T_MUTEX: pthread_mutex_init(&l->u.m, NULL); break;
		case T_SPIN:
			pthread_spin_init(&l->u.s, PTHREAD_PROCESS_PRIVATE);
			break;
		case T_RWLOCK: pthread_rwlock_init(&l->u.rw, NULL); break;
		}
		/* Initialised at one call site: without a name of its own
		 * each would share one class. */
		uld_lock_set_class(&l->u, NULL, l->name);
		order[i] = i;
	}
	/* The hidden order: a Fisher-Yates shuffle. */
	for (int i = NLOCKS - 1; i > 0; i--) {
		int j = (int)(next(&rng) % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/* Writer-preferring: the forker gets its turn among 16 readers. */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&gate, &ra);
	pthread_rwlockattr_destroy(&ra);
	uld_lock_set_class(&gate, NULL, "stress_gate");
	pthread_spin_init(&irq_lock, PTHREAD_PROCESS_PRIVATE);
	/* pthread_spinlock_t is a volatile int. */
	uld_lock_set_class((void *)(uintptr_t)&irq_lock, NULL, "stress_irq_lock");
	printf("stress: locks=%d mutex=%d spin=%d rwlock=%d\n", NLOCKS,
	    counts[T_MUTEX], counts[T_SPIN], counts[T_RWLOCK]);
}

static int
usage(void)
{
	fprintf(stderr, "usage: stress [--seconds S] [--seed N] "
			"[--threads T] [--inject]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	pthread_t sig_thread, fork_thread;
	struct sigaction sa;
	double t0;

	seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--inject"))
			inject = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--seconds"))
			seconds = strtod(argv[++i], NULL);
		else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
			seed = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--threads"))
			nthreads = atoi(argv[++i]);
		else
			return usage();
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || !(seconds > 0))
		return usage();
	printf("stress: seed=%llu (repeat with --seed %llu) pid=%d\n",
	    (unsigned long long)seed, (unsigned long long)seed, (int)getpid());
	setup();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	t0 = now();
	for (int i = 0; i < nthreads; i++)
		pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i);
	pthread_create(&sig_thread, NULL, signaller, NULL);
	pthread_create(&fork_thread, NULL, forker, NULL);
	while (now() - t0 < seconds) {
		struct timespec gap = { 0, 20 * 1000 * 1000 };
		nanosleep(&gap, NULL);
	}
	stop = 1;
	/* The signaller first: it must not signal a thread that is gone. */
	pthread_join(sig_thread, NULL);
	pthread_join(fork_thread, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(workers[i], NULL);

	if (injected_a < 0) {
		fprintf(stderr, "stress: the inversion was not taken "
				"(no two adjacent sleeping locks, or too short)\n");
		return 3;
	}
	printf("stress: %s: took %s then %s\n",
	    inject ? "inversion" : "in order",
	    pool[inject ? injected_b : injected_a].name,
	    pool[inject ? injected_a : injected_b].name);
	printf("stress: seconds=%.1f threads=%d locks=%d sections=%llu "
	       "acquisitions=%llu trylocks=%llu try_failed=%llu reverse=%llu "
	       "signals_sent=%llu signals_handled=%llu irq_normal=%llu "
	       "forks=%llu\n",
	    now() - t0, nthreads, NLOCKS,
	    (unsigned long long)totals.sections,
	    (unsigned long long)totals.acquisitions,
	    (unsigned long long)totals.trylocks,
	    (unsigned long long)totals.try_failed,
	    (unsigned long long)totals.reverse,
	    (unsigned long long)signals_sent,
	    (unsigned long long)signals_handled,
	    (unsigned long long)irq_normal, (unsigned long long)forks);
	return fork_failures ? 3 : 0;
}
