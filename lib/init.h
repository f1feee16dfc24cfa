/*
 * init.h: start-up, fork hooks and exit status.
 */
#ifndef ULD_INIT_H
#define ULD_INIT_H

/* 2 once the validator is set up; 0 before, 1 while setting up; 3 once
 * it has stopped for good (out of memory). */
extern int uld__init_state;

/* Set up the validator (once; later callers return at once). */
void uld__init(void);

static inline int
uld__is_ready(void)
{
	return __atomic_load_n(&uld__init_state, __ATOMIC_ACQUIRE) == 2;
}

/*
 * Memory ran out: say so once on stderr and stop validating.  Every later
 * lock event passes through unchecked and nothing more is reported (a
 * held stack that missed an entry would only give false reports); the
 * exit status still counts the reports made before.  Async-signal-safe.
 */
void uld__out_of_memory(void);

static inline int
uld__stopped(void)
{
	return __atomic_load_n(&uld__init_state, __ATOMIC_RELAXED) == 3;
}

#endif /* ULD_INIT_H */
