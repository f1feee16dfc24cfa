/*
 * ownmalloc.c: a program whose executable defines malloc, as rustc (its
 * jemalloc), Redis and others do, and whose allocator takes a pthread
 * mutex of its own: trylock, then lock if that failed, as jemalloc's
 * malloc_mutex_lock does.  The mutex lives in mapped memory, never
 * initialised (an acquisition-site class, named by its source line).
 *
 * Everything the program and its libraries allocate comes here, the
 * loader's and libdw's too: had the validator called malloc while the
 * allocator held its mutex (naming the class on first sight, through
 * libdw, did), the allocator would wait for itself for ever.
 *
 *   ownmalloc abba|ab: an AB-BA between two mutexes of the program's own
 *   (reported), or A then B twice (silent), with the allocator in use
 *   throughout: reports are made while the allocator is idle.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/mman.h>

#define ARENA (64u << 20)

static char *arena;
static size_t used;
static pthread_mutex_t *heap_lock; /* in the arena's first page */

static void
heap_init(void)
{
	arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		abort();
	heap_lock = (pthread_mutex_t *)arena; /* zero: a default mutex */
	used = 4096;
}

static void *
bump(size_t n)
{
	void *p;

	if (arena == NULL)
		heap_init();
	if (pthread_mutex_trylock(heap_lock) != 0) /* heap trylock */
		pthread_mutex_lock(heap_lock);
	n = (n + 15) & ~(size_t)15;
	if (used + n + 16 > ARENA) {
		pthread_mutex_unlock(heap_lock);
		errno = ENOMEM;
		return NULL;
	}
	p = arena + used + 16;
	memcpy(arena + used, &n, sizeof(n)); /* the size, for realloc */
	used += n + 16;
	pthread_mutex_unlock(heap_lock);
	return p;
}

void *
malloc(size_t n)
{
	return bump(n);
}

void *
calloc(size_t k, size_t n)
{
	if (n != 0 && k > SIZE_MAX / n)
		return NULL;
	return bump(k * n); /* mapped memory is zero, and never reused */
}

void *
realloc(void *old, size_t n)
{
	void *p = bump(n);
	size_t had;

	if (p != NULL && old != NULL) {
		memcpy(&had, (char *)old - 16, sizeof(had));
		memcpy(p, old, had < n ? had : n);
	}
	return p;
}

void
free(void *p)
{
	(void)p; /* a bump allocator */
}

void *
memalign(size_t align, size_t n)
{
	char *p = bump(n + align);

	return p ? (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1))
		 : NULL;
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	void *p = memalign(align, n);

	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

void *
aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void
nest(pthread_mutex_t *x, pthread_mutex_t *y)
{
	pthread_mutex_lock(x);
	free(malloc(100));
	pthread_mutex_lock(y);
	free(malloc(100));
	pthread_mutex_unlock(y);
	pthread_mutex_unlock(x);
}

static void *
thread_main(void *arg)
{
	for (int i = 0; i < 100; i++)
		free(malloc(32));
	return arg;
}

int
main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "ab";
	pthread_t t;

	/* A thread: its stack and TLS come through here too. */
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 1;
	nest(&a, &b);
	if (strcmp(how, "abba") == 0)
		nest(&b, &a);
	else
		nest(&a, &b);
	printf("done\n");
	return 0;
}
