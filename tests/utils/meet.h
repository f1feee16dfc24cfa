/*
 * meet.h: two threads meet, as at a pthread barrier of two, but without
 * sleeping.  Test threads meet while holding spinlocks, and a barrier
 * wait there is a sleep under a spinlock, which the validator reports
 * (pthread_barrier_wait is a sleeping call).
 */
#ifndef ULD_TESTS_MEET_H
#define ULD_TESTS_MEET_H

#include <sched.h>

static unsigned meet_count;

static inline void
meet_init(void)
{
	__atomic_store_n(&meet_count, 0, __ATOMIC_SEQ_CST);
}

/* Returns when the other thread has called meet() as often as this one. */
static inline void
meet(void)
{
	unsigned n = __atomic_add_fetch(&meet_count, 1, __ATOMIC_SEQ_CST);

	while (__atomic_load_n(&meet_count, __ATOMIC_SEQ_CST) < ((n + 1) & ~1u))
		sched_yield();
}

#endif /* ULD_TESTS_MEET_H */
