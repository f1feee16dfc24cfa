/*
 * classing.c: classes made through a lock constructor (init_wrappers), and
 * two locks of one class nested (same_class).  classing.sh runs each
 * scenario under the preload with and without the option.
 *
 *   classing SCENARIO
 *
 * Constructor scenarios: my_lock_new() initialises every lock of this
 * "library", like OpenSSL's CRYPTO_THREAD_lock_new.
 *   wrap_nest  a lock made by make_a() held while one made by make_b() is
 *              taken, always in that order, in two threads
 *   wrap_abba  the same two locks taken a-then-b, then b-then-a
 *   builtin_nest  as wrap_nest, through a function named like libuv's
 *              uv_mutex_init, which the built-in list names
 *   plain      two locks from one ordinary pthread_mutex_init (in a loop)
 *              nested: their init site is their class, whatever the
 *              constructors
 *
 * Instance-order scenarios: the nodes of a small tree, all initialised
 * at one site (init_node, like GNU sort's merge tree).
 *   tree_fixed    four threads each lock a leaf, then its parent, then the
 *                 root: child before parent, always
 *   tree_reverse1 one thread locks node 1 then node 2, three times (the
 *                 chain is cached by then), later node 2 then node 1
 *   tree_reverse2 as tree_reverse1, but a second thread takes the
 *                 reverse order
 *   tree_reuse    node 1 then node 2; node 2 is destroyed and
 *                 re-initialised (a new lock at the same address); then
 *                 that new lock then node 1: no inversion
 *   tree_same     an error-checking node lock taken twice by its owner
 *
 * Inlined constructor scenarios: obj_init (classing_inl.h) inlined into
 * make_queue and make_stats, two classes.
 *   inline_abba   queue then stats, then stats then queue
 *   inline_abab   queue then stats, twice
 *   tree_cycle3   node 1 then 2, 2 then 3, then 3 then 1: a cycle through
 *                 three instances, no pair taken both ways
 *   tree_chain3   node 1 then 2, 2 then 3, then 1 then 3: no cycle
 *
 * Each scenario prints the addresses of the locks it names ("a=0x..": for
 * the tree, a, b and c are nodes 1, 2 and 3).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classing_inl.h"

/* ---- a library with a lock constructor ---- */

__attribute__((noinline)) static pthread_mutex_t *
my_lock_new(void)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	if (m != NULL)
		pthread_mutex_init(m, NULL); /* constructor init */
	return m;
}

/* Named like libuv's constructor (the same signature), to check the
 * built-in list; this program does not use libuv. */
int uv_mutex_init(pthread_mutex_t *m);

__attribute__((noinline)) int
uv_mutex_init(pthread_mutex_t *m)
{
	return pthread_mutex_init(m, NULL) ? -1 : 0; /* builtin init */
}

static pthread_mutex_t *a, *b;

__attribute__((noinline)) static void
make_a(void)
{
	a = my_lock_new(); /* caller a */
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

__attribute__((noinline)) static void
make_b(void)
{
	b = my_lock_new(); /* caller b */
	__asm__ volatile("" ::: "memory");
}

static void
nest(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
	pthread_mutex_lock(outer);
	pthread_mutex_lock(inner);
	pthread_mutex_unlock(inner);
	pthread_mutex_unlock(outer);
}

static void *
ab_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		nest(a, b);
	return NULL;
}

static int
wrap(int abba)
{
	pthread_t th[2];

	make_a();
	make_b();
	printf("a=%p b=%p\n", (void *)a, (void *)b);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, ab_thread, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (abba)
		nest(b, a);
	return 0;
}

static int
builtin(void)
{
	pthread_mutex_t *x = malloc(sizeof(*x)), *y = malloc(sizeof(*y));

	if (uv_mutex_init(x) != 0) /* builtin caller x */
		return 1;
	if (uv_mutex_init(y) != 0) /* builtin caller y */
		return 1;
	printf("a=%p b=%p\n", (void *)x, (void *)y);
	nest(x, y);
	return 0;
}

static int
plain(void)
{
	pthread_mutex_t *m[2];
	volatile int n = 2; /* a loop, not two unrolled init sites */

	for (int i = 0; i < n; i++) {
		m[i] = malloc(sizeof(*m[i]));
		pthread_mutex_init(m[i], NULL); /* plain init */
	}
	printf("a=%p b=%p\n", (void *)m[0], (void *)m[1]);
	nest(m[0], m[1]);
	return 0;
}

/* ---- a tree whose nodes share one init site ---- */

/* Heap order: node 0 the root, node i's parent (i - 1) / 2. */
#define NODES 7
static pthread_mutex_t *node;

static void
init_node(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t at;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, type);
	pthread_mutex_init(m, &at); /* node init */
	pthread_mutexattr_destroy(&at);
}

static void *
leaf_thread(void *arg)
{
	int leaf = (int)(long)arg;

	for (int r = 0; r < 50; r++) {
		/* Child, then each ancestor up to the root, all held. */
		int path[3], n = 0;
		for (int i = leaf; ; i = (i - 1) / 2) {
			pthread_mutex_lock(&node[i]);
			path[n++] = i;
			if (i == 0)
				break;
		}
		while (n > 0)
			pthread_mutex_unlock(&node[path[--n]]);
	}
	return NULL;
}

static void *
reverse_thread(void *arg)
{
	(void)arg;
	nest(&node[2], &node[1]);
	return NULL;
}

static int
tree(const char *how)
{
	node = calloc(NODES, sizeof(*node));
	for (int i = 0; i < NODES; i++)
		init_node(&node[i], strcmp(how, "same") == 0
			? PTHREAD_MUTEX_ERRORCHECK : PTHREAD_MUTEX_NORMAL);
	printf("a=%p b=%p c=%p\n", (void *)&node[1], (void *)&node[2],
	    (void *)&node[3]);

	if (strcmp(how, "fixed") == 0) {
		pthread_t th[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, leaf_thread,
			    (void *)(long)(3 + i));
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
	} else if (strcmp(how, "reverse1") == 0 ||
	    strcmp(how, "reverse2") == 0) {
		for (int i = 0; i < 3; i++)
			nest(&node[1], &node[2]);
		if (how[7] == '1') {
			nest(&node[2], &node[1]);
		} else {
			pthread_t th;
			pthread_create(&th, NULL, reverse_thread, NULL);
			pthread_join(th, NULL);
		}
	} else if (strcmp(how, "reuse") == 0) {
		nest(&node[1], &node[2]);
		pthread_mutex_destroy(&node[2]);
		init_node(&node[2], PTHREAD_MUTEX_NORMAL);
		nest(&node[2], &node[1]);
	} else if (strcmp(how, "cycle3") == 0 || strcmp(how, "chain3") == 0) {
		nest(&node[1], &node[2]);
		nest(&node[2], &node[3]);
		if (how[0] == 'c' && how[1] == 'y')
			nest(&node[3], &node[1]);
		else
			nest(&node[1], &node[3]);
	} else if (strcmp(how, "same") == 0) {
		pthread_mutex_lock(&node[1]);
		int e = pthread_mutex_lock(&node[1]); /* EDEADLK */
		pthread_mutex_unlock(&node[1]);
		printf("relock: %s\n", e ? "refused" : "taken");
	} else {
		return 2;
	}
	return 0;
}

static __attribute__((noinline)) struct obj *
make_queue(void)
{
	struct obj *o = malloc(sizeof(*o));

	obj_init(o); /* make queue */
	return o;
}

static __attribute__((noinline)) struct obj *
make_stats(void)
{
	/* calloc: not make_queue's code, which GCC would fold into one. */
	struct obj *o = calloc(1, sizeof(*o));

	obj_init(o); /* make stats */
	return o;
}

static void
lock_two(struct obj *x, struct obj *y)
{
	pthread_mutex_lock(&x->lock);
	pthread_mutex_lock(&y->lock);
	pthread_mutex_unlock(&y->lock);
	pthread_mutex_unlock(&x->lock);
}

static int
inlined(int abba)
{
	struct obj *q = make_queue(), *s = make_stats();

	lock_two(q, s);
	if (abba)
		lock_two(s, q);
	else
		lock_two(q, s);
	return 0;
}

/* ---- static locks made by one helper ---- */

/* Two variables and a two-element array, all initialised by one helper
 * (one init site): the variables are two locks, two classes; the array's
 * elements share one, as the locks of one init site do. */
static pthread_mutex_t stat_a, stat_b, stat_arr[2];

static __attribute__((noipa)) void
init_static(pthread_mutex_t *m)
{
	pthread_mutex_init(m, NULL); /* static init */
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

static int
statics(const char *how)
{
	init_static(&stat_a);
	init_static(&stat_b);
	init_static(&stat_arr[0]);
	init_static(&stat_arr[1]);
	printf("a=%p b=%p c=%p d=%p\n", (void *)&stat_a, (void *)&stat_b,
	    (void *)&stat_arr[0], (void *)&stat_arr[1]);
	if (strcmp(how, "abba") == 0 || strcmp(how, "nest") == 0)
		nest(&stat_a, &stat_b);
	if (strcmp(how, "abba") == 0)
		nest(&stat_b, &stat_a);
	if (strcmp(how, "array") == 0)
		nest(&stat_arr[0], &stat_arr[1]);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(s, "wrap_nest") == 0)
		return wrap(0);
	if (strcmp(s, "wrap_abba") == 0)
		return wrap(1);
	if (strcmp(s, "builtin_nest") == 0)
		return builtin();
	if (strcmp(s, "plain") == 0)
		return plain();
	if (strcmp(s, "inline_abba") == 0 || strcmp(s, "inline_abab") == 0)
		return inlined(strcmp(s, "inline_abba") == 0);
	if (strncmp(s, "static_", 7) == 0)
		return statics(s + 7);
	if (strncmp(s, "tree_", 5) == 0)
		return tree(s + 5);
	fprintf(stderr, "usage: classing SCENARIO\n");
	return 2;
}
