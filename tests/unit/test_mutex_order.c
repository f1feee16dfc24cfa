/*
 * test_mutex_order.c: the rank checks of the validator's own locks
 * (lib/mutex.c, mutex.h).
 *
 * Locks taken in rank order are silent; taken out of order, twice, or
 * released unheld, the process prints one line naming both locks and
 * aborts.  Each case runs in a forked child whose stderr and end are
 * compared.  A release build never calls the checks from uld__mutex_lock
 * (a constant keeps them out), so here take() calls them itself; in a
 * debug build (configure --enable-debug, make check-debug) uld__mutex_lock
 * calls them, and take() must not, which tests the wiring too.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mutex.h"

#include "tap.h"

static uld__mutex_t graph = ULD_MUTEX_INIT(ULD_RANK_GRAPH);
static uld__mutex_t sym = ULD_MUTEX_INIT(ULD_RANK_SYM);
static uld__mutex_t frame = ULD_MUTEX_INIT(ULD_RANK_FRAME);
static uld__mutex_t srcline = ULD_MUTEX_INIT(ULD_RANK_SRCLINE);

static void
take(uld__mutex_t *m)
{
	if (!uld__config_debug)
		uld__mutex_order_lock(m);
	uld__mutex_lock(m);
}

static void
drop(uld__mutex_t *m)
{
	if (!uld__config_debug)
		uld__mutex_order_unlock(m);
	uld__mutex_unlock(m);
}

/* The timeout variant, checked only where uld__mutex_lock checks. */
static void
take_timeout(uld__mutex_t *m)
{
	if (!uld__config_debug)
		uld__mutex_order_lock(m);
	if (uld__mutex_lock_timeout(m, 1000) != 0)
		_exit(3);
}

/* Run fn in a child: its status and everything it wrote to stderr. */
static int
in_child(void (*fn)(void), char *err, size_t len)
{
	int p[2], status;
	size_t n = 0;
	ssize_t r;

	if (pipe(p) != 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		dup2(p[1], 2);
		close(p[0]);
		alarm(10); /* a deadlock instead of an abort must not hang */
		fn();
		_exit(0);
	}
	close(p[1]);
	while (n + 1 < len && (r = read(p[0], err + n, len - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void
in_order(void)
{
	take(&graph);
	take(&sym);
	take(&frame);
	drop(&frame);
	take(&srcline);
	drop(&srcline);
	drop(&sym);
	drop(&graph);
	/* Everything released: any order again. */
	take(&srcline);
	drop(&srcline);
	take(&sym);
	drop(&sym);
}

static void
reverse(void)
{
	take(&srcline);
	take(&sym);
}

static void
twice(void)
{
	take(&graph);
	take(&graph);
}

static void
unheld(void)
{
	drop(&frame);
}

static void
reverse_timeout(void)
{
	take(&srcline);
	take_timeout(&sym);
}

static void *
hold_srcline(void *arg)
{
	take(&srcline);
	return arg;
}

/* Ranks are per thread: another thread's srcline_lock is no reason. */
static void
other_thread(void)
{
	pthread_t t;

	pthread_create(&t, NULL, hold_srcline, NULL);
	pthread_join(t, NULL);
	take(&graph);
	drop(&graph);
}

/* A fork child's reset forgets the lock as held. */
static void
reset(void)
{
	take(&srcline);
	uld__mutex_reset(&srcline);
	if (!uld__config_debug)
		uld__mutex_order_forget(&srcline);
	take(&sym);
	drop(&sym);
}

static int
aborted(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

int
main(void)
{
	char err[1024];
	int st;

	plan(12);
	diag("debug build: %d", uld__config_debug);

	st = in_child(in_order, err, sizeof(err));
	is_int(st, 0, "in rank order: exits 0");
	is_str(err, "", "in rank order: nothing said");

	st = in_child(reverse, err, sizeof(err));
	ok(aborted(st), "srcline_lock then uld__sym_lock: aborts (status %#x)",
	    st);
	is_str(err, "ulockdep: internal error: lock order: taking "
		    "uld__sym_lock (rank 4) while holding srcline_lock "
		    "(rank 6)\n", "names both locks");

	st = in_child(twice, err, sizeof(err));
	ok(aborted(st), "uld__graph_lock twice: aborts (status %#x)", st);
	is_str(err, "ulockdep: internal error: lock order: taking "
		    "uld__graph_lock (rank 1) while holding uld__graph_lock "
		    "(rank 1)\n", "the same lock again");

	st = in_child(unheld, err, sizeof(err));
	ok(aborted(st), "releasing a lock not held: aborts (status %#x)", st);
	is_str(err, "ulockdep: internal error: lock order: releasing "
		    "frame_lock (rank 5c) that this thread does not hold\n",
	    "says which");

	st = in_child(reverse_timeout, err, sizeof(err));
	ok(aborted(st), "the timeout variant out of order: aborts (status "
			"%#x)", st);
	is_str(err, "ulockdep: internal error: lock order: taking "
		    "uld__sym_lock (rank 4) while holding srcline_lock "
		    "(rank 6)\n", "names both locks");

	st = in_child(other_thread, err, sizeof(err));
	ok(st == 0 && err[0] == '\0', "another thread's lock: no error "
				      "(status %#x, '%s')", st, err);

	st = in_child(reset, err, sizeof(err));
	ok(st == 0 && err[0] == '\0', "a reset lock is no longer held "
				      "(status %#x, '%s')", st, err);
	return done_testing();
}
