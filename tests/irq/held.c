/*
 * held.c: signals that arrive while the validator runs on their thread.
 *
 *   held SCENARIO
 *
 * The main thread sends SIG_HELD (real-time) to the worker with
 * pthread_sigqueue, one at a time, each carrying its number in si_value,
 * for 1 s or 20,000 signals; the worker creates, locks, unlocks and
 * destroys heap mutexes, so that it is in the validator's critical
 * sections (lock init and destroy) much of the time.  The handler runs
 * on a sigaltstack.  It checks that each signal comes exactly once, in
 * order, with its siginfo as sent (si_code, si_pid, si_value), and on the
 * sigaltstack.  It counts the deliveries whose interrupted code is libc's
 * syscall(): the validator unblocking a signal it held (the worker never
 * calls syscall() itself).  held.sh checks that there were some.
 *
 *   once          no jump: silent
 *   jump          from those deliveries, before the real call of an init,
 *                 lock or destroy, the handler leaves by siglongjmp (one
 *                 in two); after the storm the worker takes m_x then m_y,
 *                 then m_y then m_x: exactly one circular_dependency, so
 *                 the validator still runs on that thread
 *   jump_silent   the same without the AB-BA: no report (no stale held
 *                 entry: it would show as held_lock_freed)
 */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
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

#define SIG_HELD (SIGRTMIN + 3)
#define MAX_SIGNALS 20000
#define STORM_S 1.0

static pthread_mutex_t m_x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_y = PTHREAD_MUTEX_INITIALIZER;

static const char *scenario;
static int jumping;
static pid_t pid;
static volatile int stop;
static pthread_t worker_thread;

static char *alt_lo, *alt_hi;

/* Per signal number: deliveries (must end at exactly 1 each). */
static volatile unsigned char seen[MAX_SIGNALS];
static volatile sig_atomic_t handled, expected, bad, from_validator, jumps;

enum { PH_NONE, PH_INIT, PH_LOCK, PH_DESTROY };
static volatile sig_atomic_t phase;
static sigjmp_buf jb;
static volatile sig_atomic_t armed;

static uintptr_t
interrupted_pc(const ucontext_t *uc)
{
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}

static void
handler(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	char here;
	int n = si->si_value.sival_int;

	if (sig != SIG_HELD || si->si_code != SI_QUEUE || si->si_pid != pid ||
	    n < 0 || n >= MAX_SIGNALS || n != expected)
		bad |= 1;
	else if (seen[n]++ != 0)
		bad |= 2;
	if (&here < alt_lo || &here >= alt_hi)
		bad |= 4;
	expected = n + 1;
	uintptr_t pc = interrupted_pc(ucv);
	int held = pc >= syscall_lo && pc < syscall_hi;
	from_validator += held;
	handled++;
	if (jumping && armed && held && phase != PH_NONE && (n & 1)) {
		armed = 0;
		jumps++;
		siglongjmp(jb, 1);
	}
	errno = saved;
}

struct obj {
	pthread_mutex_t m;
};

static struct obj *volatile cur;

#define CALL(ph, call)                                                       \
	do {                                                                 \
		phase = (ph);                                                \
		call;                                                        \
		phase = PH_NONE;                                             \
	} while (0)

/* After a jump: the real call had not run (lock, destroy) or had
 * (init): either way the mutex is unlocked; destroy it and free it. */
static void
reconcile(void)
{
	struct obj *o = cur;

	phase = PH_NONE;
	cur = NULL;
	if (o != NULL) {
		pthread_mutex_destroy(&o->m);
		free(o);
	}
}

static void *
worker(void *arg)
{
	stack_t ss = { 0 };
	sigset_t s;

	(void)arg;
	ss.ss_size = 64 * 1024;
	ss.ss_sp = malloc(ss.ss_size);
	CHECK(ss.ss_sp != NULL && sigaltstack(&ss, NULL) == 0);
	alt_lo = ss.ss_sp;
	alt_hi = alt_lo + ss.ss_size;
	sigemptyset(&s);
	sigaddset(&s, SIG_HELD);
	if (sigsetjmp(jb, 1) != 0)
		reconcile();
	CHECK(pthread_sigmask(SIG_UNBLOCK, &s, NULL) == 0);
	while (!stop) {
		armed = jumping;
		struct obj *o = malloc(sizeof(*o));
		CHECK(o != NULL);
		cur = o;
		CALL(PH_INIT, pthread_mutex_init(&o->m, NULL));
		CALL(PH_LOCK, pthread_mutex_lock(&o->m));
		pthread_mutex_unlock(&o->m);
		CALL(PH_DESTROY, pthread_mutex_destroy(&o->m));
		cur = NULL;
		free(o);
	}
	armed = 0;
	CHECK(pthread_sigmask(SIG_BLOCK, &s, NULL) == 0);
	if (strcmp(scenario, "jump") == 0) {
		pthread_mutex_lock(&m_x);
		pthread_mutex_lock(&m_y);
		pthread_mutex_unlock(&m_y);
		pthread_mutex_unlock(&m_x);
		pthread_mutex_lock(&m_y);
		pthread_mutex_lock(&m_x);
		pthread_mutex_unlock(&m_x);
		pthread_mutex_unlock(&m_y);
	}
	ss.ss_flags = SS_DISABLE;
	CHECK(sigaltstack(&ss, NULL) == 0);
	free(ss.ss_sp);
	return NULL;
}

int
main(int argc, char **argv)
{
	scenario = argc > 1 ? argv[1] : "";
	if (strcmp(scenario, "once") && strcmp(scenario, "jump") &&
	    strcmp(scenario, "jump_silent")) {
		fprintf(stderr, "usage: held once|jump|jump_silent\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	jumping = strncmp(scenario, "jump", 4) == 0;
	pid = getpid();
	find_syscall();
	CHECK(syscall_hi != 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIG_HELD, &sa, NULL) == 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIG_HELD);
	CHECK(pthread_sigmask(SIG_BLOCK, &s, NULL) == 0);

	CHECK(pthread_create(&worker_thread, NULL, worker, NULL) == 0);
	double t0 = now();
	int sent = 0;
	while (sent < MAX_SIGNALS && now() - t0 < STORM_S) {
		int rc = pthread_sigqueue(worker_thread, SIG_HELD,
		    (union sigval){ .sival_int = sent });
		CHECK(rc == 0);
		sent++;
		/* One at a time: each lands where the worker happens to be,
		 * and the order they come in is the order sent. */
		while (handled < sent && now() - t0 < 10.0)
			sched_yield();
		CHECK(handled == sent);
	}
	stop = 1;
	CHECK(pthread_join(worker_thread, NULL) == 0);
	CHECK(bad == 0);
	for (int i = 0; i < sent; i++)
		CHECK(seen[i] == 1);
	printf("%s: done\n", scenario);
	fprintf(stderr, "sent %d, each delivered once; %d from the validator, "
	    "%d jumps\n", sent, (int)from_validator, (int)jumps);
	return 0;
}
