/*
 * thread.c: pthread_create, with room for the validator's thread-local
 * state on a stack the program sized.
 *
 * glibc puts every module's static TLS at the top of a new thread's
 * stack, and pthread_create fails with EINVAL when the stack asked for
 * cannot hold it and 16 KB more.  The preload's libraries add some 7 KB
 * of TLS (the held stack, jemalloc's, the deferred signals'; the 40 KB of
 * caches are mapped per thread, lib/thread.c).  So a program that asks
 * for PTHREAD_STACK_MIN, which works bare, could start no thread, and one
 * that sizes its stacks tightly would get that much less of each.  The
 * stack size the attributes ask for gets it added, in a copy of them.
 *
 * Not for a stack the program provides (pthread_attr_setstack): its size
 * is the memory it has, and the 7 KB come out of it; nor without a size
 * set, where glibc's default (8 MB from RLIMIT_STACK) has room.
 */
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "real.h"
#include "ulockdep/ulockdep.h"

/* The static TLS of the validator's own modules (libulockdep*), rounded
 * to their alignment, and a page more; computed once (0: not yet). */
static size_t own_tls;

static int
add_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *base = strrchr(info->dlpi_name, '/');
	size_t *sum = data;

	(void)size;
	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, "libulockdep", 11) != 0)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_TLS)
			continue;
		size_t align = ph->p_align ? ph->p_align : 1;
		*sum += (ph->p_memsz + align - 1) / align * align;
	}
	return 0;
}

static size_t
tls_room(void)
{
	size_t room = __atomic_load_n(&own_tls, __ATOMIC_RELAXED);

	if (room == 0) {
		dl_iterate_phdr(add_tls, &room);
		/* A page more: glibc rounds the block and the stack to pages.
		 * Two threads may both count: they store the same. */
		room += 4096;
		__atomic_store_n(&own_tls, room, __ATOMIC_RELAXED);
	}
	return room;
}

ULD_INTERCEPTOR int
pthread_create(pthread_t *thread, const pthread_attr_t *attr,
    void *(*start)(void *), void *arg)
{
	void *stackaddr = NULL;
	size_t stacksize = 0;

	/* Without a stack of the program's, glibc gives the top as NULL,
	 * and so its low end as NULL less the size; a size of 0 is one
	 * never set, the default's. */
	if (attr == NULL || pthread_attr_getstack(attr, &stackaddr,
	    &stacksize) != 0 || stacksize == 0 ||
	    (stackaddr != NULL && (uintptr_t)stackaddr + stacksize != 0))
		return REAL(pthread_create)(thread, attr, start, arg);
	/*
	 * A shallow copy: glibc's setstacksize writes the size field and
	 * nothing else, and the copy shares the attributes' extension (CPU
	 * set, signal mask), so it is not destroyed.
	 */
	pthread_attr_t bigger;
	memcpy(&bigger, attr, sizeof(bigger));
	if (pthread_attr_setstacksize(&bigger, stacksize + tls_room()) != 0)
		return REAL(pthread_create)(thread, attr, start, arg);
	return REAL(pthread_create)(thread, &bigger, start, arg);
}
