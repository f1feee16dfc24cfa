/*
 * siglock_ipi.c: waiting for an IPI with a spinlock held and interrupts
 * off, while the other CPU spins on that lock with interrupts off.
 *
 * The two-CPU siglock case.  CPU0 queues a signal for a task: it takes
 * the task's siglock with spin_lock_irqsave(), sends an IPI to CPU1, where
 * the task runs, and waits for CPU1 to handle it (as
 * smp_call_function_single(..., wait=1) does).  CPU1 meanwhile takes the
 * same siglock with spin_lock_irqsave() and spins, interrupts off, so the
 * IPI stays pending: CPU0 waits for CPU1, CPU1 for CPU0, forever.  No lock
 * order is involved (one lock), so lockdep's graph cannot see it; the
 * kernel refuses to wait for an IPI with interrupts disabled for this
 * reason, and its spinlock debugging reports the spin.
 *
 * Here threads "cpu0" and "cpu1" are the CPUs, and SIGUSR1, sent with
 * pthread_kill(), is the IPI; spin_lock_irqsave() blocks it.  cpu0 sends
 * it once cpu1 is queued on the lock (so every run is the same), and
 * gives up after 3 s so that the example ends.  ulockdep's watchdog
 * reports cpu1's spin after spin_timeout_ms (spinlock lockup suspected),
 * naming cpu0 as the owner and where it took siglock, and showing where
 * cpu0 is now: in send_ipi_and_wait().  (Interrupts off leave the
 * watchdog's sampling signal deliverable, as an NMI still reaches a CPU
 * with interrupts off.)  Exit status 66.
 *
 * The fix: drop the lock (and so unblock the signals) before waiting for
 * the other CPU; the IPI then runs as soon as cpu1 has the lock and
 * restores its mask ("fixed": silent, ends at once, exit 0).
 *
 *   ULOCKDEP_OPTIONS=spin_timeout_ms=300 \
 *       LD_PRELOAD=libulockdep-preload.so ./siglock_ipi [fixed]
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <ulockdep/spinlock.h>

static DEFINE_SPINLOCK(siglock);
static int nr_queued; /* signals queued for the task, under siglock */
static volatile sig_atomic_t ipi_done;
static volatile int cpu0_locked;
static pthread_t cpu1_thread; /* set before cpu0 starts */
static int fixed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is another thread queued on siglock, as the kernel's
 * spin_is_contended()?  A spinlock_t is a ticket lock: the high half of
 * .tickets is the next ticket, the low half the one being served. */
static int
siglock_contended(void)
{
	uint32_t v = __atomic_load_n(&siglock.tickets, __ATOMIC_ACQUIRE);

	return (((v >> 16) - v) & 0xffff) > 1;
}

/* The IPI, handled on cpu1. */
static void
ipi_handler(int sig)
{
	(void)sig;
	ipi_done = 1;
}

/* Kicks cpu1 and waits for its handler; gives up after 3 s. */
static int
send_ipi_and_wait(void)
{
	double start = now();

	pthread_kill(cpu1_thread, SIGUSR1);
	while (!ipi_done && now() - start < 3.0)
		;
	return ipi_done;
}

static void *
cpu0(void *arg)
{
	unsigned long flags;
	int handled = 0;

	pthread_setname_np(pthread_self(), "cpu0");
	spin_lock_irqsave(&siglock, flags);
	nr_queued++;
	cpu0_locked = 1;
	/* Go on once cpu1 spins on the lock, its signals blocked. */
	while (!siglock_contended())
		;
	if (!fixed)
		handled = send_ipi_and_wait(); /* the bug: siglock held */
	spin_unlock_irqrestore(&siglock, flags);
	if (fixed)
		handled = send_ipi_and_wait();
	printf("cpu0: IPI %s\n",
	    handled ? "handled" : "not handled, gave up after 3 s");
	return arg;
}

static void *
cpu1(void *arg)
{
	unsigned long flags;

	pthread_setname_np(pthread_self(), "cpu1");
	while (!cpu0_locked)
		;
	spin_lock_irqsave(&siglock, flags); /* spins, SIGUSR1 blocked */
	nr_queued--;
	spin_unlock_irqrestore(&siglock, flags); /* a pending IPI runs here */
	/* The CPU goes on running: an IPI sent later is handled too. */
	double start = now();
	while (!ipi_done && now() - start < 3.0)
		;
	return arg;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t t0, t1;

	fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ipi_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	pthread_create(&t1, NULL, cpu1, NULL);
	cpu1_thread = t1;
	pthread_create(&t0, NULL, cpu0, NULL);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);
	printf("%d signals queued, IPI handled: %s\n", nr_queued,
	    ipi_done ? "yes" : "no");
	return 0;
}
