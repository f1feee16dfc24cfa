/*
 * deepstack.h: running a call on a stack of the validator's own.
 */
#ifndef ULD_DEEPSTACK_H
#define ULD_DEEPSTACK_H

/*
 * Run fn(arg) on the deep stack, mapped at the first call; in place if it
 * cannot be.  One thread at a time (deep_lock, rank 1b: taken under the
 * graph lock at most, signals blocked or held); a call from fn runs
 * where it is, on the deep stack already.
 */
void uld__deep_call(void (*fn)(void *), void *arg);

/* The calling thread's own stack is deep enough: its calls run in place,
 * never waiting for deep_lock (the watchdog: a handler's report holds the
 * lock while it waits for the watchdog to look up a frame). */
void uld__deep_exempt(void);

/* fork(): deep_lock held across it (init.c's fork hooks). */
void uld__deep_prefork(void);
void uld__deep_postfork(int child);

#endif
