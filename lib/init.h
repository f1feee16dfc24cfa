/*
 * init.h: start-up, fork hooks and exit status.
 */
#ifndef ULD_INIT_H
#define ULD_INIT_H

/* 2 once the validator is set up; 0 before, 1 while setting up. */
extern int uld__init_state;

/* Set up the validator (once; later callers return at once). */
void uld__init(void);

static inline int
uld__is_ready(void)
{
	return __atomic_load_n(&uld__init_state, __ATOMIC_ACQUIRE) == 2;
}

#endif /* ULD_INIT_H */
