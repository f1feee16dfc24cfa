/*
 * init.c: the constructor, fork hooks, and exit: the saved graph and the
 * exit status.
 *
 * The validator starts from its ELF constructor, and lazily from the first
 * lock event if another library's constructor locks before ours ran.
 * While it starts, lock events are passed through unvalidated.
 */
#include "init.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "alloc.h"
#include "api.h"
#include "chain.h"
#include "deepstack.h"
#include "environ.h"
#include "class.h"
#include "graph.h"
#include "graph_save.h"
#include "lockmap.h"
#include "pageidx.h"
#include "mutex.h"
#include "irq.h"
#include "options.h"
#include "out.h"
#include "report.h"
#include "suppress.h"
#include "symbols.h"
#include "thread.h"
#include "lifetime.h"
#include "watchdog.h"

int uld__init_state;

/*
 * The exit status: a process that reported keeps a non-zero status of its
 * own, else exits with `exitcode` (uld_exit_status, exit.c).  on_exit()
 * because it is told the status.  Registered from the constructor, so it
 * runs after the program's own exit handlers (which may still report).  stdio is flushed first:
 * _exit() would drop the program's buffered output.
 */
/* This thread called exit() (uld_exit_called). */
static ULD_TLS int exit_called;

ULD_API void
uld_exit_called(void)
{
	exit_called = 1;
}

static void
exit_status(int status, void *arg)
{
	struct uld__thread *t = &uld__self;

	/* main() returning ends the main thread: it must not hold locks,
	 * as a thread function that returns must not.  A thread that calls
	 * exit() ends the process from where it stands, as `lock(); if
	 * (fatal) exit(1);` means to, and other threads still running at
	 * exit are not ending by their own doing: neither is reported. */
	if (t->ready && !t->in_uld && t->tid == getpid() && !exit_called) {
		t->in_uld++;
		uld__thread_exiting(t);
		uld__api_leave(t);
	}

	/* After that check, which may still report; before the summary.
	 * A fork child saves its own PATH.<pid>; _exit(), quick_exit()
	 * and a fatal signal save nothing. */
	uld__graph_save_exit();

	(void)arg;
	/* The summary and the status: exit.c, shared with the preload's
	 * _exit and quick_exit. */
	int s = uld_exit_status(status);
	if (s != status) {
		fflush(NULL);
		_exit(s);
	}
}

/*
 * fork(): the child must not inherit a validator lock held by a thread
 * that does not exist there, nor data half-updated under one.  The forking
 * thread takes every validator lock in rank order (mutex.h) with signals
 * blocked; urcu-bp's own locks are handled by its documented fork hooks.
 */
static __thread sigset_t fork_mask;

static void
fork_prepare(void)
{
	uld__watchdog_prefork(); /* before any lock: it may need them */
	uld__self.in_uld++;
	uld__sig_block_hard(&fork_mask);
	uld__mutex_lock(&uld__graph_lock);
	uld__deep_prefork();
	uld__lockmap_prefork();
	uld__pageidx_prefork();
	uld__thread_prefork();
	uld__sym_prefork();
	/* Last: a thread holding the graph lock may still register with
	 * urcu (its first rcu_read_lock), which takes urcu's locks. */
	urcu_bp_before_fork();
}

static void
fork_parent(void)
{
	urcu_bp_after_fork_parent();
	uld__sym_postfork(0);
	uld__thread_postfork_parent();
	uld__pageidx_postfork(0);
	uld__lockmap_postfork(0);
	uld__deep_postfork(0);
	uld__mutex_unlock(&uld__graph_lock);
	uld__sig_restore(&fork_mask);
	uld__self.in_uld--;
}

static void
fork_child(void)
{
	urcu_bp_after_fork_child();
	uld__sym_postfork(1);
	uld__thread_atfork_child();
	uld__pageidx_postfork(1);
	uld__lockmap_postfork(1);
	uld__deep_postfork(1);
	uld__mutex_reset(&uld__graph_lock);
	uld__report_atfork_child();
	/* The watchdog thread did not survive the fork: start it again at
	 * the child's first wait. */
	uld__watchdog_atfork_child();
	uld__sig_restore(&fork_mask);
	uld__self.in_uld--;
}

int
uld__api_first_use(struct uld__thread *t)
{
	int saved = errno;

	if (!uld__is_ready())
		uld__init();
	if (uld__is_ready())
		uld__thread_get();
	errno = saved;
	return t->ready;
}

void
uld__init(void)
{
	int expected = 0;

	if (!__atomic_compare_exchange_n(&uld__init_state, &expected, 1, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	uld__self.in_uld++;
	uld__alloc_hook_init();
	uld__sym_init_own();
	uld__options_init();
	uld__irq_options_read();
	uld__environ_init();
	/* Here, not at the first report: reading a file is no work for a
	 * signal handler or for a thread holding the graph lock. */
	uld__suppress_load(uld__opts.suppressions);
	uld__class_init();
	uld__lockmap_init();
	uld__chain_init();
	on_exit(exit_status, NULL);
	if (uld__opts.verbosity >= 1) {
		static const char msg[] = "ulockdep: validator started\n";
		uld__write_all(2, msg, sizeof(msg) - 1);
	}
	/* Not if memory already ran out while setting up: stopped stays. */
	expected = 1;
	__atomic_compare_exchange_n(&uld__init_state, &expected, 2, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	/* A handler deferred meanwhile runs now, validated. */
	uld__api_leave(&uld__self);
}

void
uld__out_of_memory(void)
{
	if (__atomic_exchange_n(&uld__init_state, 3, __ATOMIC_ACQ_REL) != 3) {
		static const char msg[] = "ulockdep: out of memory: validator "
					  "stopped, later lock events are not "
					  "checked\n";
		uld__write_all(2, msg, sizeof(msg) - 1);
	}
}

/*
 * The fork handlers are registered here, not in uld__init(): jemalloc's
 * must be registered before ours (alloc.c), and jemalloc registers them
 * when it starts: in its own constructor with a shared libjemalloc (which
 * runs before ours, we depend on it), in uld__alloc_init() with the static
 * one (both constructors are ours, and this one runs first).  uld__init()
 * may run earlier, lazily, from a constructor's first mutex (jemalloc's
 * own, urcu-bp's), when jemalloc cannot be called yet.
 */
__attribute__((constructor)) static void
uld__constructor(void)
{
	uld__init();
	uld__self.in_uld++;
	uld__alloc_init();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	uld__self.in_uld--;
}
