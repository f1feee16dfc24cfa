/*
 * deepstack.h: running a call on a stack of the validator's own.
 */
#ifndef ULD_DEEPSTACK_H
#define ULD_DEEPSTACK_H

/*
 * Run fn(arg) on the deep stack, mapped at the first call; in place if it
 * cannot be.  One caller at a time: the caller holds the lock that
 * serializes its users (srcline_lock), with signals blocked or held.
 */
void uld__deep_call(void (*fn)(void *), void *arg);

#endif
