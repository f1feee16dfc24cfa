/*
 * storm.c: signal storms at a thread that locks, with handlers that take
 * locks or not, run on a sigaltstack, or leave by siglongjmp.
 *
 *   storm SCENARIO
 *
 * The main thread sends SIG_STORM (a real-time signal, so that signals
 * queue instead of merging) to the worker thread with pthread_sigqueue in
 * a tight loop (150,000 signals or 1.5 s, whichever comes first, and in
 * the jump scenarios on, for at most 10 s, until 5 jumps have left the
 * validator's code; the rate is printed on stderr, not checked), while
 * the worker locks and unlocks m_loop and a heap mutex, and takes s_irq
 * with SIG_STORM blocked.
 * storm.sh checks which reports each scenario makes (exactly those).
 *
 *   nolock        the handler takes no lock
 *   safe          the handler takes s_irq, which the worker takes only
 *                 with SIG_STORM blocked: irq-safe, silent
 *   unsafe        the same, but the main thread took s_irq once with
 *                 SIG_STORM deliverable, before the storm: one
 *                 inconsistent_irq_state (found in a handler, tens of
 *                 thousands of times over, reported once)
 *   altstack      safe, with SA_ONSTACK on a sigaltstack
 *   jump          first 100 jumps out of the handler with s_irq held,
 *                 which the worker then releases; then the storm: the
 *                 handler takes s_irq and leaves by siglongjmp (two
 *                 times in three; one in three with s_irq still held),
 *                 or returns.  It jumps from the validator's own code
 *                 (libulockdep.so, or libc's syscall() that it calls to
 *                 block and unblock signals) while the worker is in a
 *                 lock, init, destroy or free call, and from the worker's
 *                 own code where that loses nothing.  Signals are sent one
 *                 at a time here, so that each lands where the worker is.
 *                 After the storm the worker takes m_x then m_y, then m_y
 *                 then m_x: exactly one circular_dependency, so the
 *                 validator still runs on that thread; then the main
 *                 thread takes m_p then m_q (a new dependency: no
 *                 validator lock was left held, or this hangs)
 *   jump_silent   the same without the worker's AB-BA: no report, so no
 *                 stale held entry either (it would show when the
 *                 worker destroys and frees the objects the jumps left)
 *   self          no worker, no sender: for 1 s the main thread queues
 *                 SIG_STORM to itself while it holds m_loop, so each
 *                 signal is delivered as the call returns (the highest
 *                 rate one thread can take, not limited by a sender on
 *                 another core); every other handler takes s_irq, which
 *                 the thread also takes with SIG_STORM blocked.  Every
 *                 signal sent must have been handled; silent
 */
#include <errno.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "sigtest.h"

/* A real-time signal: queued, so (nearly) every one sent is delivered,
 * where a second SIGUSR1 pending would merge with the first. */
#define SIG_STORM (SIGRTMIN + 2)
/* How long the storm lasts, in seconds, and at most if it must go on
 * (a worker that has not iterated, or too few jumps from the validator). */
#define STORM_S 1.5
#define STORM_MAX_S 10.0
#define JUMPS_CORE_MIN 5

static pthread_mutex_t m_loop = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t s_irq;
static pthread_mutex_t m_x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_y = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_p = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_q = PTHREAD_MUTEX_INITIALIZER;

static const char *scenario;
static int self_mode; /* "self": the thread signals itself */
static int use_altstack, jumping;
static volatile int stop, worker_done;
static pthread_t worker_thread;

/* ---- the handler ---- */

/*
 * What the worker is doing, for the handler: it jumps out of the
 * validator's code only where the real call has not run yet, or has run
 * and left the lock unlocked, so that the worker knows its state after the
 * jump without asking (see reconcile):
 *   PH_INIT      the validator learns of an initialised mutex
 *   PH_LOCK      the validator checks a lock before the real lock
 *   PH_DESTROY   the validator forgets a mutex before the real destroy
 *   PH_FREE      the validator looks at memory before the real free
 * Elsewhere (PH_NONE: unlock, trylock, the handler's own calls) a jump
 * would leave the program not knowing what it holds; no jump then.
 */
enum { PH_NONE, PH_INIT, PH_LOCK, PH_DESTROY, PH_FREE };
static volatile sig_atomic_t phase;


static volatile sig_atomic_t handled, jumps, jumps_held, jumps_core, in_handler;
static sigjmp_buf jb;
static volatile sig_atomic_t jb_armed;
/* Set by the worker where a jump into its own code is safe. */
static volatile sig_atomic_t jump_ok, force_hold;
static volatile sig_atomic_t handler_holds, jumps_done;

/* uld_lock_acquired(), which runs after the real lock call: a jump from
 * it would leave the lock held. */
static uintptr_t acquired_lo, acquired_hi;

static void
find_acquired(void)
{
	if (!sym_range(dlsym(RTLD_DEFAULT, "uld_lock_acquired"), &acquired_lo,
	    &acquired_hi) && ncore > 0) {
		/* Not knowing where it is, jump from no validator code. */
		ncore = 0;
	}
}

static int
in_acquired(uintptr_t pc)
{
	return pc >= acquired_lo && pc < acquired_hi;
}

/*
 * In the validator's code (sigtest.h), where a jump is tried, or in libc's
 * syscall(), which the validator calls (the worker never does) to unblock
 * signals: one that arrived meanwhile is delivered as that call returns,
 * and the handler then runs on top of the validator's code.
 */
static int
in_core(uintptr_t pc)
{
	for (int i = 0; i < ncore; i++)
		if (pc >= core_lo[i] && pc < core_hi[i])
			return 1;
	return ncore > 0 && pc >= syscall_lo && pc < syscall_hi;
}

static uintptr_t
interrupted_pc(const ucontext_t *uc)
{
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0; /* jumps from the worker's own code only */
#endif
}

static void
handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int saved = errno;

	(void)sig;
	(void)si;
	in_handler = 1;
	handled++;
	if (strcmp(scenario, "nolock") == 0 || (self_mode && (handled & 1)))
		goto out;
	pthread_spin_lock(&s_irq);
	if (jumping && jb_armed) {
		uintptr_t pc = interrupted_pc(uc);
		int how = force_hold ? 2 : handled % 3;
		int core = !jump_ok && phase != PH_NONE && in_core(pc) &&
		    !in_acquired(pc);
		/* Not with s_irq held out of the validator's code: the
		 * handler's own calls passed through unseen there (see
		 * doc/design.md, "Jumps out of handlers"). */
		if (how == 2 && core)
			how = 1;
		if (how != 0 && (jump_ok || core)) {
			jb_armed = 0;
			jumps++;
			jumps_core += core;
			if (how == 2) {
				/* Leave with s_irq held: the worker unlocks it
				 * with SIG_STORM still blocked (sigsetjmp saved
				 * no mask; the handler's stays). */
				handler_holds = 1;
				jumps_held++;
			} else {
				pthread_spin_unlock(&s_irq);
			}
			in_handler = 0;
			siglongjmp(jb, 1);
		}
	}
	pthread_spin_unlock(&s_irq);
out:
	in_handler = 0;
	errno = saved;
}

static void
block_storm(int how)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIG_STORM);
	CHECK(pthread_sigmask(how, &s, NULL) == 0);
}

/* ---- the worker ---- */

struct obj {
	pthread_mutex_t m;
	long v;
};

static struct obj *volatile cur;

static void
take_irq_lock(void)
{
	block_storm(SIG_BLOCK);
	pthread_spin_lock(&s_irq);
	pthread_spin_unlock(&s_irq);
	block_storm(SIG_UNBLOCK);
}

/* After a jump: every lock of the worker is unlocked (the phases say so);
 * finish the object the jump left. */
static void
reconcile(void)
{
	int ph = phase;
	struct obj *o = cur;

	phase = PH_NONE;
	cur = NULL;
	jump_ok = 0; /* it may be where the jump left */
	if (handler_holds) {
		/* The signal is still blocked, as in the handler. */
		handler_holds = 0;
		pthread_spin_unlock(&s_irq);
	}
	block_storm(SIG_UNBLOCK);
	if (o != NULL && ph != PH_FREE)
		pthread_mutex_destroy(&o->m);
	if (o != NULL) {
		free(o);
		jumps_done++;
	}
}

static long iterations;

#define CALL(ph, call)                                                       \
	do {                                                                 \
		phase = (ph);                                                \
		call;                                                        \
		phase = PH_NONE;                                             \
	} while (0)

static void
one_round(void)
{
	for (int i = 0; i < 8; i++) {
		CALL(PH_LOCK, pthread_mutex_lock(&m_loop));
		iterations++;
		pthread_mutex_unlock(&m_loop);
	}

	struct obj *o = malloc(sizeof(*o));
	CHECK(o != NULL);
	pthread_mutex_init(&o->m, NULL); /* cur not yet set: no jump */
	cur = o;
	CALL(PH_INIT, pthread_mutex_init(&o->m, NULL)); /* again: allowed */
	CALL(PH_LOCK, pthread_mutex_lock(&o->m));
	o->v = iterations;
	pthread_mutex_unlock(&o->m);
	if (pthread_mutex_trylock(&o->m) == 0)
		pthread_mutex_unlock(&o->m);
	CALL(PH_DESTROY, pthread_mutex_destroy(&o->m));
	CALL(PH_FREE, free(o));
	cur = NULL;

	if (iterations % 64 == 0)
		take_irq_lock();
	/* The worker's own code, where a jump loses nothing. */
	jump_ok = 1;
	for (volatile int i = 0; i < 200; i++)
		;
	jump_ok = 0;
}

static void *
worker(void *arg)
{
	(void)arg;
	stack_t ss = { 0 };
	if (use_altstack) {
		ss.ss_size = 64 * 1024;
		ss.ss_sp = malloc(ss.ss_size);
		CHECK(ss.ss_sp != NULL && sigaltstack(&ss, NULL) == 0);
	}
	block_storm(SIG_UNBLOCK);
	if (jumping) {
		/* First, jumps that certainly leave the handler holding
		 * s_irq: the worker sends itself the signal. */
		for (volatile int i = 0; i < 100; i++) {
			if (sigsetjmp(jb, 0) == 0) {
				jb_armed = 1;
				force_hold = 1;
				jump_ok = 1;
				pthread_kill(pthread_self(), SIG_STORM);
				CHECK(!"the handler jumps");
			}
			force_hold = 0;
			reconcile();
		}
		CHECK(jumps_held == 100);
	}
	while (!stop) {
		if (jumping) {
			if (sigsetjmp(jb, 0) != 0)
				reconcile();
			jb_armed = 1;
		}
		one_round();
	}
	jb_armed = 0;
	block_storm(SIG_BLOCK);
	if (strcmp(scenario, "jump") == 0) {
		/* AB-BA on this thread: the validator must still see it. */
		pthread_mutex_lock(&m_x);
		pthread_mutex_lock(&m_y);
		pthread_mutex_unlock(&m_y);
		pthread_mutex_unlock(&m_x);
		pthread_mutex_lock(&m_y);
		pthread_mutex_lock(&m_x);
		pthread_mutex_unlock(&m_x);
		pthread_mutex_unlock(&m_y);
	}
	worker_done = 1;
	if (use_altstack) {
		ss.ss_flags = SS_DISABLE;
		CHECK(sigaltstack(&ss, NULL) == 0);
		free(ss.ss_sp);
	}
	return NULL;
}

/* The "self" scenario (above). */
static int
self_storm(void)
{
	pthread_t me = pthread_self();
	long sent = 0, rounds = 0;
	double t0 = now(), t;

	block_storm(SIG_UNBLOCK);
	do {
		for (int i = 0; i < 1000; i++) {
			pthread_mutex_lock(&m_loop);
			int rc = pthread_sigqueue(me, SIG_STORM,
			    (union sigval){ .sival_int = i });
			CHECK(rc == 0);
			sent++;
			pthread_mutex_unlock(&m_loop);
			if ((i & 63) == 0) {
				block_storm(SIG_BLOCK);
				pthread_spin_lock(&s_irq);
				pthread_spin_unlock(&s_irq);
				block_storm(SIG_UNBLOCK);
			}
		}
		rounds++;
		t = now();
	} while (t - t0 < 1.0);
	/* Delivered as each call returned: none may be left pending. */
	long got = handled;
	block_storm(SIG_BLOCK);
	printf("%s: done, sent %ld, handled %ld\n", scenario, sent, got);
	CHECK(got == sent);
	fprintf(stderr, "sent %ld in %.2f s (%.0f/s), handled %ld, %ld rounds, "
	    "0 jumps (a thread signalling itself)\n", sent, t - t0,
	    sent / (t - t0), got, rounds * 1000);
	return 0;
}

int
main(int argc, char **argv)
{
	scenario = argc > 1 ? argv[1] : "";
	if (strcmp(scenario, "nolock") && strcmp(scenario, "safe") &&
	    strcmp(scenario, "unsafe") && strcmp(scenario, "altstack") &&
	    strcmp(scenario, "jump") && strcmp(scenario, "jump_silent") &&
	    strcmp(scenario, "self")) {
		fprintf(stderr, "usage: storm SCENARIO\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	use_altstack = strcmp(scenario, "altstack") == 0;
	jumping = strncmp(scenario, "jump", 4) == 0;
	self_mode = strcmp(scenario, "self") == 0;
	dl_iterate_phdr(find_core, NULL);
	find_acquired();
	find_syscall();
	pthread_spin_init(&s_irq, PTHREAD_PROCESS_PRIVATE);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | (use_altstack ? SA_ONSTACK : 0);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIG_STORM, &sa, NULL) == 0);
	/* Only the worker takes the storm. */
	block_storm(SIG_BLOCK);

	if (strcmp(scenario, "unsafe") == 0) {
		/* s_irq taken with SIG_STORM deliverable: irq-unsafe. */
		block_storm(SIG_UNBLOCK);
		pthread_spin_lock(&s_irq);
		pthread_spin_unlock(&s_irq);
		block_storm(SIG_BLOCK);
	}

	if (self_mode)
		return self_storm();
	CHECK(pthread_create(&worker_thread, NULL, worker, NULL) == 0);
	double t0 = now(), t;
	long sent = 0;
	do {
		for (int i = 0; i < 1000; i++) {
			/* For the jumps, one signal in flight at a time, so
			 * that each lands where the worker happens to be,
			 * not where the last one returned to. */
			while (jumping && handled < sent && !worker_done &&
			    now() - t0 < STORM_MAX_S)
				;
			int rc = pthread_sigqueue(worker_thread, SIG_STORM,
			    (union sigval){ .sival_int = i });
			/* The queue is full (RLIMIT_SIGPENDING): let the
			 * worker catch up. */
			if (rc == EAGAIN)
				sched_yield();
			else
				CHECK(rc == 0);
			sent += rc == 0;
		}
		/* Between batches, let the worker get round its loop once
		 * (for at most 20 ms): a flood it cannot get out of tests
		 * nothing, and the validator's work in each handler (a few
		 * microseconds) makes that flood come sooner than bare. */
		long it0 = __atomic_load_n(&iterations, __ATOMIC_RELAXED);
		double tw = now();
		while (__atomic_load_n(&iterations, __ATOMIC_RELAXED) == it0 &&
		    !worker_done && now() - tw < 0.02)
			sched_yield();
		t = now();
		/* A report made in a handler may hold the worker up for a
		 * while (its frames are symbolized by the watchdog): keep on
		 * until it has done some rounds, for at most 10 s; and, for
		 * the jumps, until some have left the validator's code: where
		 * a signal lands is chance, and in 1.5 s as few as 4 may. */
	} while ((sent < 150000 && t - t0 < STORM_S) ||
	    ((iterations == 0 || (jumping && jumps_core < JUMPS_CORE_MIN)) &&
		t - t0 < STORM_MAX_S));
	stop = 1;
	CHECK(pthread_join(worker_thread, NULL) == 0);

	/* A new dependency, from another thread: the graph lock is free. */
	pthread_mutex_lock(&m_p);
	pthread_mutex_lock(&m_q);
	pthread_mutex_unlock(&m_q);
	pthread_mutex_unlock(&m_p);

	printf("%s: done, handler ran: %s, worker iterated: %s\n", scenario,
	    handled > 0 ? "yes" : "no", iterations > 0 ? "yes" : "no");
	CHECK(handled > 0 && iterations > 0);
	if (jumping)
		CHECK(jumps > 0);
	fprintf(stderr, "sent %ld in %.2f s (%.0f/s), handled %ld, %ld rounds, "
	    "%ld jumps (%ld holding s_irq, %ld from the validator)\n", sent,
	    t - t0, sent / (t - t0), (long)handled, iterations, (long)jumps,
	    (long)jumps_held, (long)jumps_core);
	return 0;
}
