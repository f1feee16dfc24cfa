/*
 * classing_inl.h: a lock constructor in a header, inlined wherever an
 * object is made, as a C++ constructor defined in its class is
 * (classing.c's inline_* scenarios).  Every lock it makes has its own
 * init site (the code is copied into each caller), but the same line of
 * this file: the class name must say where each was made.
 */
#ifndef CLASSING_INL_H
#define CLASSING_INL_H

#include <pthread.h>

struct obj {
	pthread_mutex_t lock;
};

static inline __attribute__((always_inline)) void
obj_init(struct obj *o)
{
	pthread_mutex_init(&o->lock, NULL); /* header init */
}

#endif
