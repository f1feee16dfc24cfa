/*
 * unrec.c: a handler that interrupts the validator, takes a lock and
 * jumps out holding it; the program releases it later.
 *
 *   unrec SCENARIO
 *
 * Linked with libulockdep, no preload, its own trampoline (the header's:
 * uld_signal_enter/exit around the handler), so the validator blocks
 * signals only around its critical sections and a handler can interrupt
 * its fast path.  The main thread sends SIG_UNREC to the worker one at a
 * time for 1 s; the worker acquires and releases lock A through the API.
 * When the handler finds it interrupted the validator's code during A's
 * acquisition (not interrupt context: uld_signal_context() is 0), it takes
 * lock L and leaves by siglongjmp with L held; the worker then releases
 * L.  The validator did not see L taken, and must not report its release.
 *
 *   silent   no report
 *   bad      after the storm the worker releases M, never taken: exactly
 *            one bad_unlock naming M (real ones are still reported)
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "sigtest.h"

#include "ulockdep/signal.h"
#include "ulockdep/ulockdep.h"

#define SIG_UNREC (SIGRTMIN + 4)

static int lock_a, lock_l, lock_m; /* the locks: their addresses */
static volatile int stop;
static volatile sig_atomic_t handled, in_acquire, armed, holds_l, jumps;
static sigjmp_buf jb;
static sigset_t jb_mask; /* the mask sigsetjmp saved */

static int
in_core(const ucontext_t *uc)
{
#if defined(__x86_64__)
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
#else
	uintptr_t pc = 0;
#endif
	for (int i = 0; i < ncore; i++)
		if (pc >= core_lo[i] && pc < core_hi[i])
			return 1;
	return 0;
}

static void
handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	handled++;
	/* Interrupt context unless it interrupted the validator. */
	if (!armed || !in_acquire || !in_core(ucv) || uld_signal_context() != 0)
		return;
	uld_lock_acquire(&lock_l, ULD_LOCK_MUTEX, 0, 0, NULL);
	uld_lock_acquired(&lock_l);
	armed = 0;
	holds_l = 1;
	jumps++;
	/* What the preload's siglongjmp would say. */
	uld_signal_jump(&jb_mask);
	siglongjmp(jb, 1);
}

/* The header's trampoline. */
static void
trampoline(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sigset_t during = uc->uc_sigmask;

	sigaddset(&during, sig);
	unsigned long c = uld_signal_enter(sig, si->si_code, &during,
	    __builtin_frame_address(0), &uc->uc_stack);
	handler(sig, si, ucv);
	uld_signal_exit(c, &uc->uc_sigmask);
}

static void *
worker(void *arg)
{
	sigset_t s;

	(void)arg;
	sigemptyset(&s);
	sigaddset(&s, SIG_UNREC);
	CHECK(pthread_sigmask(SIG_BLOCK, NULL, &jb_mask) == 0);
	if (sigsetjmp(jb, 1) != 0) {
		in_acquire = 0;
		if (holds_l) {
			holds_l = 0;
			uld_lock_release(&lock_l, NULL);
		}
	}
	CHECK(pthread_sigmask(SIG_UNBLOCK, &s, NULL) == 0);
	while (!stop) {
		armed = 1;
		/* The acquisition's bookkeeping, not its end: a jump from
		 * there leaves A not taken. */
		in_acquire = 1;
		uld_lock_acquire(&lock_a, ULD_LOCK_MUTEX, 0, 0, NULL);
		in_acquire = 0;
		uld_lock_acquired(&lock_a);
		uld_lock_release(&lock_a, NULL);
	}
	CHECK(pthread_sigmask(SIG_BLOCK, &s, NULL) == 0);
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *scenario = argc > 1 ? argv[1] : "";
	if (strcmp(scenario, "silent") && strcmp(scenario, "bad")) {
		fprintf(stderr, "usage: unrec silent|bad\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dl_iterate_phdr(find_core, NULL);
	CHECK(ncore > 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trampoline;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIG_UNREC, &sa, NULL) == 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIG_UNREC);
	CHECK(pthread_sigmask(SIG_BLOCK, &s, NULL) == 0);

	pthread_t w;
	CHECK(pthread_create(&w, NULL, worker, NULL) == 0);
	double t0 = now();
	int sent = 0;
	while (now() - t0 < 1.0) {
		CHECK(pthread_sigqueue(w, SIG_UNREC,
		    (union sigval){ .sival_int = sent }) == 0);
		sent++;
		while (handled < sent && now() - t0 < 10.0)
			sched_yield();
	}
	stop = 1;
	CHECK(pthread_join(w, NULL) == 0);
	if (strcmp(scenario, "bad") == 0)
		uld_lock_release(&lock_m, NULL);
	printf("%s: done\n", scenario);
	fprintf(stderr, "sent %d, %d jumps holding L\n", sent, (int)jumps);
	return 0;
}
