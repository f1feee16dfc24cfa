/*
 * process.c: vfork() becomes fork().
 *
 * A vfork child runs in its parent's memory, on its parent's stack, with
 * its parent's thread-local state, until it execs or exits.  Whatever the
 * child does through the preload (sigprocmask to reset its mask, a lock,
 * a close of every descriptor) would change the parent's validator state:
 * a mask unblocked in the child would be believed unblocked in the
 * parent, and false irq reports follow.  As TSan does, vfork is turned
 * into fork: the child gets its own copy, and the fork hooks (init.c)
 * run.  The cost is a fork's page-table copy; the behaviour a correct
 * vfork user relies on (the child only execs or _exits) is the same.
 * posix_spawn, system and popen clone inside glibc, where the child calls
 * nothing we wrap, and need nothing here.
 */
#include <unistd.h>

#include "real.h"

ULD_INTERCEPTOR pid_t
vfork(void)
{
	return fork();
}
