/*
 * frames.c: stacks as reports show them (tests/preload/frames.sh).
 *
 * frames inline: lock_a then lock_r in a_then_r, where lock_r is taken
 * by an always_inline helper, then lock_r then lock_a in r_then_a: one
 * circular_dependency, whose dependency stack has the inlined take_r as
 * its own frame.  lock_r is initialised at run time: its class is named
 * by the init call's file:line.
 *
 * frames handler: a SIGUSR1 handler sleeps (usleep): one sleep_in_atomic,
 * made and symbolized inside the handler; its stack goes on past the
 * signal trampoline into the code the signal interrupted.  A lock taken
 * first starts the watchdog thread, which runs libdw for the handler.
 *
 * frames fault: trap_first's first instruction faults (ud2, SIGILL) while
 * a spinlock is held, and the handler sleeps: one sleep_in_atomic, whose stack names the
 * interrupted frame trap_first+0x0, where the thread stopped, not
 * before_trap, the function that ends at the byte before it (the byte a
 * return address would be looked up at).
 *
 * The lines frames.sh checks are marked with comments it greps for.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "trap.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_r;

static inline __attribute__((always_inline)) void
take_r(void)
{
	pthread_mutex_lock(&lock_r); /* @take_r */
}

static __attribute__((noinline)) void
a_then_r(void)
{
	pthread_mutex_lock(&lock_a);
	take_r(); /* @a_then_r */
	pthread_mutex_unlock(&lock_r);
	pthread_mutex_unlock(&lock_a);
}

static __attribute__((noinline)) void
r_then_a(void)
{
	pthread_mutex_lock(&lock_r);
	pthread_mutex_lock(&lock_a); /* @r_then_a */
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_r);
}

static void
on_usr1(int sig)
{
	usleep(1); /* @on_usr1 */
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

static __attribute__((noinline)) void
interrupted(void)
{
	raise(SIGUSR1); /* @interrupted */
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

#ifdef HAVE_TRAP
static void
on_ill(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	usleep(1);
	trap_skip(ucv);
}
#endif

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "inline") == 0) {
		pthread_mutex_init(&lock_r, NULL); /* @init_r */
		a_then_r(); /* @main_a_then_r */
		r_then_a(); /* @main_r_then_a */
	} else if (argc > 1 && strcmp(argv[1], "handler") == 0) {
		struct sigaction sa;
		pthread_mutex_lock(&lock_a);
		pthread_mutex_unlock(&lock_a);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		interrupted(); /* @main_interrupted */
#ifdef HAVE_TRAP
	} else if (argc > 1 && strcmp(argv[1], "fault") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_ill;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGILL, &sa, NULL);
		pthread_spinlock_t spin;
		pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
		before_trap();
		pthread_spin_lock(&spin);
		trap_first(); /* @main_trap_first */
		pthread_spin_unlock(&spin);
		pthread_spin_destroy(&spin);
#endif
	} else {
		fprintf(stderr, "usage: frames inline|handler|fault\n");
		return 2;
	}
	puts("done");
	return 0;
}
