/*
 * cases.c: the irq families of lib/locking-selftest.c, with signal
 * handlers as interrupts, run under the preload (whose sigaction wrapper
 * makes handlers interrupt context).
 *
 *	cases FAMILY VARIANT ORDER TYPE
 *
 * VARIANT is hard (the interrupt is SIGUSR1) or soft (SIGALRM, a softirq
 * signal); ORDER the order in which the family's events run, e.g. "312";
 * TYPE spin, mutex (pthread), kspin, krlock, kwlock (<ulockdep/spinlock.h>).
 * Each event runs to completion before the next, so nothing deadlocks:
 * the validator must see that something could.  "Interrupts on/off" is
 * the signal unblocked/blocked with pthread_sigmask, or local_irq_* and
 * local_bh_* for the kernel-style types.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ulockdep/spinlock.h"

enum type { SPIN, MUTEX, KSPIN, KRLOCK, KWLOCK };
static enum type type;
static int sig;		/* the interrupt */

/* No static initialiser for these (glibc's unlocked value is 1): set up
 * in main() and named like the others. */
static pthread_spinlock_t spin_A, spin_B, spin_C;
static pthread_mutex_t mutex_A = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_B = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_C = PTHREAD_MUTEX_INITIALIZER;
static DEFINE_SPINLOCK(kspin_A);
static DEFINE_SPINLOCK(kspin_B);
static DEFINE_SPINLOCK(kspin_C);
#ifdef DEFINE_RWLOCK
static DEFINE_RWLOCK(krw_A);
static DEFINE_RWLOCK(krw_B);
static DEFINE_RWLOCK(krw_C);
#endif

static pthread_spinlock_t *const spins[] = { &spin_A, &spin_B, &spin_C };
static pthread_mutex_t *const mutexes[] = { &mutex_A, &mutex_B, &mutex_C };
static spinlock_t *const kspins[] = { &kspin_A, &kspin_B, &kspin_C };
#ifdef DEFINE_RWLOCK
static rwlock_t *const krws[] = { &krw_A, &krw_B, &krw_C };
#endif

static void
L(char name)
{
	int i = name - 'A';

	switch (type) {
	case SPIN:
		pthread_spin_lock(spins[i]);
		break;
	case MUTEX:
		pthread_mutex_lock(mutexes[i]);
		break;
	case KSPIN:
		spin_lock(kspins[i]);
		break;
#ifdef DEFINE_RWLOCK
	case KRLOCK:
		read_lock(krws[i]);
		break;
	case KWLOCK:
		write_lock(krws[i]);
		break;
#endif
	default:
		abort();
	}
}

static void
U(char name)
{
	int i = name - 'A';

	switch (type) {
	case SPIN:
		pthread_spin_unlock(spins[i]);
		break;
	case MUTEX:
		pthread_mutex_unlock(mutexes[i]);
		break;
	case KSPIN:
		spin_unlock(kspins[i]);
		break;
#ifdef DEFINE_RWLOCK
	case KRLOCK:
		read_unlock(krws[i]);
		break;
	case KWLOCK:
		write_unlock(krws[i]);
		break;
#endif
	default:
		abort();
	}
}

static int kernel_type(void) { return type >= KSPIN; }

/* Interrupts off and on: the one signal, or (all=1) every irq signal. */
static void
irqs(int on, int all)
{
	sigset_t s;

	if (kernel_type()) {
		if (all || sig != SIGALRM) {
			if (on)
				local_irq_enable();
			else
				local_irq_disable();
		} else if (on) {
			local_bh_enable();
		} else {
			local_bh_disable();
		}
		return;
	}
	sigemptyset(&s);
	if (all) {
		sigaddset(&s, SIGUSR1);
		sigaddset(&s, SIGUSR2);
		sigaddset(&s, SIGALRM);
	} else {
		sigaddset(&s, sig);
	}
	pthread_sigmask(on ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
}
#define ON() irqs(1, 0)
#define OFF() irqs(0, 0)

/* An interrupt: run fn in the handler of `sig`, on this thread, now. */
static void (*volatile irq_fn)(void); /* set before raise() */
static void
handler(int s)
{
	(void)s;
	irq_fn();
}

static void
IRQ(void (*fn)(void))
{
	irq_fn = fn;
	raise(sig);
}

static void irq_A(void) { L('A'); U('A'); }

/* ---- families: E1..E3, run in the order given ---- */

/* irqsafe1: A in irq; A with irqs on. */
static void s1_e1(void) { IRQ(irq_A); }
static void s1_e2(void) { ON(); L('A'); U('A'); }
/* twin: A with irqs off. */
static void s1t_e2(void) { OFF(); L('A'); U('A'); ON(); }

/* irqsafe2A (softirq): A in softirq; A under hardirqs off, then all
 * interrupts enabled while holding it. */
static void s2a_e2(void) { irqs(0, 1); L('A'); irqs(1, 1); U('A'); }
/* irqsafe2B: A in irq; A with irqs off, then irqs on while holding. */
static void s2b_e2(void) { OFF(); L('A'); ON(); U('A'); }
/* twin: irqs on only after the unlock. */
static void s2bt_e2(void) { OFF(); L('A'); U('A'); ON(); }

/* irqsafe3: A->B irqs on; B irqs on; A in irq. */
static void s3_e1(void) { ON(); L('A'); L('B'); U('B'); U('A'); }
static void s3_e2(void) { ON(); L('B'); U('B'); }
/* irqsafe4: A->B irqs off; B irqs on; A in irq. */
static void s4_e1(void) { OFF(); L('A'); L('B'); U('B'); U('A'); ON(); }
/* twin: B with irqs off too. */
static void s4t_e2(void) { OFF(); L('B'); U('B'); ON(); }
/* irqsafe4 over a chain: A->B, B->C irqs off; C irqs on; A in irq. */
static void
c4_e1(void)
{
	OFF();
	L('A'); L('B'); U('B'); U('A');
	L('B'); L('C'); U('C'); U('B');
	ON();
}
static void c4_e2(void) { ON(); L('C'); U('C'); }

#ifdef DEFINE_RWLOCK
/* rwlock_t only: A explicitly for read or write, B in the type's mode. */
static void RA(void) { read_lock(&krw_A); }
static void RU(void) { read_unlock(&krw_A); }
static void WA(void) { write_lock(&krw_A); }
static void WU(void) { write_unlock(&krw_A); }

/* irq_inversion: irqs off W(A)->B; B irqs on; irq R(A). */
static void inv_e1(void) { OFF(); WA(); L('B'); U('B'); WU(); ON(); }
static void inv_irq(void) { RA(); RU(); }
static void inv_e3(void) { IRQ(inv_irq); }
/* irq_read_recursion: irqs off W(A); R(A) irqs on; irq takes A (in the
 * type's mode), then B. */
static void rr_e1(void) { OFF(); WA(); WU(); ON(); }
static void rr_e2(void) { ON(); RA(); RU(); }
static void rr_irq(void) { L('A'); L('B'); U('B'); U('A'); }
static void rr_e3(void) { IRQ(rr_irq); }
#endif

struct family {
	const char *name;
	void (*e[3])(void);
};

static const struct family families[] = {
	{ "irqsafe1", { s1_e1, s1_e2 } },
	{ "irqsafe1_twin", { s1_e1, s1t_e2 } },
	{ "irqsafe2A", { s1_e1, s2a_e2 } },
	{ "irqsafe2B", { s1_e1, s2b_e2 } },
	{ "irqsafe2B_twin", { s1_e1, s2bt_e2 } },
	{ "irqsafe3", { s3_e1, s3_e2, s1_e1 } },
	{ "irqsafe4", { s4_e1, s3_e2, s1_e1 } },
	{ "irqsafe4_twin", { s4_e1, s4t_e2, s1_e1 } },
	{ "irqsafe4_chain", { c4_e1, c4_e2, s1_e1 } },
#ifdef DEFINE_RWLOCK
	{ "irq_inversion", { inv_e1, s3_e2, inv_e3 } },
	{ "irq_read_recursion", { rr_e1, rr_e2, rr_e3 } },
#endif
};

/* ---- single scenarios (ORDER ignored) ---- */

/* Two signals, each blocked around the lock its own handler takes:
 * no false alarm, because usage is tracked per signal. */
static void irq_usr1_A(void) { L('A'); U('A'); }
static void irq_usr2_B(void) { L('B'); U('B'); }
static void
two_signals(int bad)
{
	sigset_t s1, s2;

	sigemptyset(&s1);
	sigaddset(&s1, SIGUSR1);
	sigemptyset(&s2);
	sigaddset(&s2, SIGUSR2);
	signal(SIGUSR2, handler);
	irq_fn = irq_usr1_A;
	raise(SIGUSR1);
	irq_fn = irq_usr2_B;
	raise(SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s1, NULL);	/* USR2 deliverable */
	L('A');
	U('A');
	pthread_sigmask(SIG_UNBLOCK, &s1, NULL);
	if (!bad)
		pthread_sigmask(SIG_BLOCK, &s2, NULL);
	L('B');
	U('B');
	pthread_sigmask(SIG_UNBLOCK, &s2, NULL);
}

/* A handler that sleeps: sleep_in_atomic (its twin is flag_only). */
static volatile int slept;
static void irq_sleep(void) { usleep(1000); slept = 1; /* no tail call */ }
static void handler_sleep(void) { IRQ(irq_sleep); }

/*
 * A blocking pipe read in a handler.  With its byte there it waits for
 * nothing (libuv's signal lock: a pipe that holds one byte while the lock
 * is free, read by its handler and written back): silent.  Empty, it
 * waits for a thread that writes 50 ms later: sleep_in_atomic.
 */
static int pipe_fd[2];
static void irq_read_byte(void)
{
	char c;

	if (read(pipe_fd[0], &c, 1) != 1 || write(pipe_fd[1], &c, 1) != 1)
		abort();
}
static void *t_write_late(void *arg)
{
	usleep(50000);
	if (write(pipe_fd[1], "x", 1) != 1)
		abort();
	return arg;
}
static void handler_read(int ready)
{
	pthread_t t;

	if (pipe(pipe_fd) != 0)
		abort();
	if (ready && write(pipe_fd[1], "x", 1) != 1)
		abort();
	else if (!ready)
		pthread_create(&t, NULL, t_write_late, NULL);
	IRQ(irq_read_byte);
	if (!ready)
		pthread_join(t, NULL);
}

/* free() from a handler (not async-signal-safe, but common) while the
 * thread holds a lock on the heap: the validator must not deadlock on
 * itself, nor report. */
static void
irq_free(void)
{
	free(malloc(64));
}
static void
handler_free(void)
{
	pthread_mutex_t *m = calloc(1, sizeof(*m));

	pthread_mutex_lock(m);
	for (int i = 0; i < 100; i++) {
		IRQ(irq_free);
		free(malloc(64));
	}
	pthread_mutex_unlock(m);
	free(m);
}

/* A handler that only sets a flag: nothing is irq-safe. */
static volatile sig_atomic_t flag;
static void flag_handler(int s) { (void)s; flag = 1; }
static void
flag_only(void)
{
	signal(SIGUSR1, flag_handler);
	L('A');
	raise(SIGUSR1);
	U('A');
	L('A');
	U('A');
	if (!flag)
		abort();
}

/* Nested: the SIGUSR1 handler takes A with SIGALRM deliverable, and a
 * SIGALRM handler nested in it takes A too (not while A is held: this
 * run does not deadlock, the next one might). */
static void alrm_A(int s) { (void)s; L('A'); U('A'); }
static void
usr1_nested(void)
{
	L('A');
	U('A');
	raise(SIGALRM);	/* nested in this handler */
}
static void
nested(int bad)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alrm_A;
	sigaction(SIGALRM, &sa, NULL);
	if (bad) {
		irq_fn = usr1_nested;
		raise(SIGUSR1);
		return;
	}
	/* Twin: SIGALRM blocked during the SIGUSR1 handler (sa_mask). */
	sa.sa_handler = handler;
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaction(SIGUSR1, &sa, NULL);
	irq_fn = irq_A;
	raise(SIGUSR1);	/* A in USR1, ALRM blocked */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	raise(SIGALRM);	/* pending */
	L('A');
	U('A');
	sigdelset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* ALRM runs: A in ALRM */
}

/* A handler left by siglongjmp: the thread must not stay "in irq". */
static sigjmp_buf jb;
static void jump_handler(int s) { (void)s; siglongjmp(jb, 1); }
static void
longjmp_out(void)
{
	sigset_t s;

	signal(SIGUSR1, jump_handler);
	if (sigsetjmp(jb, 1) == 0)
		raise(SIGUSR1);
	/* Back in process context, SIGUSR1 deliverable again. */
	pthread_sigmask(SIG_BLOCK, NULL, &s);
	if (sigismember(&s, SIGUSR1))
		abort();
	L('A');
	U('A');
	signal(SIGUSR1, handler);
	irq_fn = irq_A;
	OFF();
	L('A');
	U('A');
	ON();
}

/* A fault handler is not an interrupt: a JIT catching SIGSEGV. */
static char *page;
static void
segv_handler(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)si;
	(void)uc;
	L('A');
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	U('A');
}
static void
fault(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	L('A');
	U('A');
	page[0] = 1;	/* faults; the handler fixes it */
	L('A');
	U('A');
}

int
main(int argc, char **argv)
{
	static const char *const types[] = { "spin", "mutex", "kspin",
		"krlock", "kwlock" };

	if (argc != 5) {
		fprintf(stderr, "usage: cases FAMILY hard|soft ORDER TYPE\n");
		return 2;
	}
	for (type = 0; type <= KWLOCK && strcmp(types[type], argv[4]); type++)
		;
	if (type > KWLOCK)
		return 2;
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = { "spin_A", "spin_B",
			"spin_C" };
		pthread_spin_init(spins[i], 0);
		uld_lock_set_class((void *)spins[i], NULL, names[i]);
	}
	sig = strcmp(argv[2], "soft") == 0 ? SIGALRM : SIGUSR1;
	signal(sig, handler);

	const char *f = argv[1];
	if (!strcmp(f, "two_signals") || !strcmp(f, "two_signals_bad"))
		two_signals(f[11] != '\0');
	else if (!strcmp(f, "flag_only"))
		flag_only();
	else if (!strcmp(f, "handler_sleep"))
		handler_sleep();
	else if (!strcmp(f, "handler_read_ready"))
		handler_read(1);
	else if (!strcmp(f, "handler_read_empty"))
		handler_read(0);
	else if (!strcmp(f, "handler_free"))
		handler_free();
	else if (!strcmp(f, "nested") || !strcmp(f, "nested_bad"))
		nested(f[6] != '\0');
	else if (!strcmp(f, "longjmp_out"))
		longjmp_out();
	else if (!strcmp(f, "fault"))
		fault();
	else {
		size_t i;
		for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
			if (!strcmp(families[i].name, f))
				break;
		if (i == sizeof(families) / sizeof(families[0]))
			return 2;
		for (const char *o = argv[3]; *o; o++)
			families[i].e[*o - '1']();
	}
	puts("done");
	return 0;
}
