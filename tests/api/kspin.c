/*
 * kspin.c: the kernel-style spinlock API (<ulockdep/spinlock.h>):
 * spinlock_t, rwlock_t and the interrupt calls, as a daemon uses them.  Built twice: validated (linked with libulockdep), and
 * with -DULOCKDEP_DISABLE (the bare ticket lock, no library).
 *
 *   kspin SCENARIO
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meet.h"
#include "ulockdep/spinlock.h"

static DEFINE_SPINLOCK(a_lock);
static DEFINE_SPINLOCK(b_lock);
static spinlock_t junk; /* never initialised: magic 0 */
static spinlock_t dyn;
static long counter;

static void *
t_ab(void *arg)
{
	spin_lock(&a_lock);
	spin_lock(&b_lock);
	counter++;
	spin_unlock(&b_lock);
	spin_unlock(&a_lock);
	return arg;
}

static void *
t_ba(void *arg)
{
	spin_lock(&b_lock);
	spin_lock(&a_lock);
	counter++;
	spin_unlock(&a_lock);
	spin_unlock(&b_lock);
	return arg;
}

static void
run(void *(*fn)(void *))
{
	pthread_t t;

	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, NULL);
}

/* Is SIGUSR1 blocked in this thread right now? */
static int
usr1_blocked(void)
{
	sigset_t s;

	pthread_sigmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, SIGUSR1);
}

/* Two locks of one class (one init site), the inner one annotated. */
static spinlock_t nodes[2];
static __attribute__((noinline)) void
node_init(spinlock_t *l)
{
	spin_lock_init(l);
	__asm__ volatile("" ::: "memory");
}

static void *
t_hold_b(void *arg)
{
	spin_lock(&b_lock);
	meet();
	meet();
	spin_unlock(&b_lock);
	return arg;
}

/* ---- rwlock_t ---- */

static DEFINE_RWLOCK(rw_lock);
static rwlock_t junk_rw; /* never initialised: magic 0 */
static rwlock_t dyn_rw;

static void *
t_rw_a(void *arg)
{
	write_lock(&rw_lock);
	spin_lock(&a_lock);
	counter++;
	spin_unlock(&a_lock);
	write_unlock(&rw_lock);
	return arg;
}

static void *
t_a_rw(void *arg)
{
	spin_lock(&a_lock);
	write_lock(&rw_lock);
	counter++;
	write_unlock(&rw_lock);
	spin_unlock(&a_lock);
	return arg;
}

/* Spin without sleeping: sleeping under an rwlock_t is sleep_in_atomic. */
static void
busy_ms(long ms)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - t0.tv_sec) * 1000L +
	    (now.tv_nsec - t0.tv_nsec) / 1000000L < ms);
}

static long hold_ms;
static int holder_tid;

/*
 * Holds rw_lock for write for hold_ms (0: until the validator has written
 * a report, bounded), then releases it.  A long wait ends with its report,
 * not after a fixed time: on a loaded machine the watchdog gets the CPU
 * late and writes slowly, and a fixed hold can end, and the process exit,
 * before the report is out.
 */
static void *
t_hold_rw(void *arg)
{
	write_lock(&rw_lock);
	holder_tid = rw_lock.owner;
	meet();
	if (hold_ms > 0) {
		busy_ms(hold_ms);
	} else {
		struct timespec t0, now;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &now);
		while (
#ifndef ULOCKDEP_DISABLE
		    uld_report_count() == 0 &&
#endif
		    now.tv_sec - t0.tv_sec < 20);
	}
	write_unlock(&rw_lock);
	return arg;
}

/* Holds rw_lock for write until main has tried to unlock it. */
static void *
t_hold_rw_unlocked(void *arg)
{
	write_lock(&rw_lock);
	meet();
	meet();
	write_unlock(&rw_lock);
	return arg;
}

/* A writer that waits while main reads. */
static int writer_trying, writer_done;
static void *
t_writer(void *arg)
{
	__atomic_store_n(&writer_trying, 1, __ATOMIC_RELEASE);
	write_lock(&rw_lock);
	counter++;
	write_unlock(&rw_lock);
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	return arg;
}

/* Readers check that a writer's two stores are never seen half done. */
static long pair[2];
static int torn;
static void *
t_stress(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < 20000; i++) {
		if ((i + id) % 8 == 0) {
			write_lock(&rw_lock);
			long v = pair[0] + 1;
			pair[0] = v;
			__asm__ volatile("" ::: "memory");
			pair[1] = v;
			write_unlock(&rw_lock);
		} else {
			read_lock(&rw_lock);
			if (pair[0] != pair[1])
				__atomic_store_n(&torn, 1, __ATOMIC_RELAXED);
			read_unlock(&rw_lock);
		}
	}
	return arg;
}

static void
print_ctx(const char *what)
{
	printf("%s=%d,%d,%d,%d ", what, in_irq(), in_serving_softirq(),
	    in_softirq(), in_interrupt());
}

/* Is sig blocked in this thread right now? */
static int
blocked(int sig)
{
	sigset_t m;

	pthread_sigmask(SIG_BLOCK, NULL, &m);
	return sigismember(&m, sig);
}

#ifndef ULOCKDEP_DISABLE
#include "ulockdep/signal.h"

/*
 * A handler as a program that dispatches signals itself reports it
 * (<ulockdep/signal.h>), without a real signal: the context calls inside,
 * then a handler of `inner` nested in it.
 */
/* Enter a handler of sig (its mask is the thread's and sig); *old gets
 * the mask to leave with.  Inline: the frame is the caller's. */
static inline __attribute__((always_inline)) unsigned long
enter_handler(int sig, sigset_t *old)
{
	sigset_t during;

	pthread_sigmask(SIG_BLOCK, NULL, old);
	during = *old;
	sigaddset(&during, sig);
	return uld_signal_enter(sig, SI_USER, &during,
	    __builtin_frame_address(0), NULL);
}

static __attribute__((noinline)) void
fake_handler(int sig, const char *name, int inner, const char *inner_name)
{
	sigset_t old;
	unsigned long c = enter_handler(sig, &old);

	print_ctx(name);
	if (inner)
		fake_handler(inner, inner_name, 0, NULL);
	uld_signal_exit(c, &old);
}

/* uld_in_atomic() in a handler of sig, alone and under a spinlock that
 * only handlers take (a_lock, taken with interrupts on, would be an irq
 * inversion). */
static DEFINE_SPINLOCK(handler_lock);
static __attribute__((noinline)) void
atomic_in_handler(int sig)
{
	sigset_t old;
	unsigned long c = enter_handler(sig, &old);

	printf("irq=%d ", uld_in_atomic());
	spin_lock(&handler_lock);
	printf("irq_spin=%d ", uld_in_atomic());
	spin_unlock(&handler_lock);
	uld_signal_exit(c, &old);
}
#endif

static int
rw_scenario(const char *s)
{
	unsigned long flags;
	pthread_t t;

	if (strcmp(s, "rw_abba") == 0) {
		run(t_rw_a);
		run(t_a_rw);
	} else if (strcmp(s, "rw_ordered") == 0) {
		run(t_rw_a);
		run(t_rw_a);
	} else if (strcmp(s, "rw_read_twice") == 0) {
		read_lock(&rw_lock);
		read_lock(&rw_lock);
		read_unlock(&rw_lock);
		read_unlock(&rw_lock);
	} else if (strcmp(s, "rw_write_twice") == 0) {
		write_lock(&rw_lock);
		write_lock(&rw_lock); /* spins forever: halt_on_error */
	} else if (strcmp(s, "rw_read_write") == 0) {
		read_lock(&rw_lock);
		write_lock(&rw_lock); /* spins forever: halt_on_error */
	} else if (strcmp(s, "rw_read_then_write") == 0) {
		/* Its silent twin: one after the other, not nested. */
		read_lock(&rw_lock);
		read_unlock(&rw_lock);
		write_lock(&rw_lock);
		write_unlock(&rw_lock);
	} else if (strcmp(s, "rw_read_past_writer") == 0) {
		/* A waiting writer does not stop a reader nesting: the
		 * lock prefers readers, as the kernel's rwlock_t. */
		read_lock(&rw_lock);
		pthread_create(&t, NULL, t_writer, NULL);
		while (!__atomic_load_n(&writer_trying, __ATOMIC_ACQUIRE))
			;
		busy_ms(50);
		read_lock(&rw_lock);
		int waited = !__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE);
		read_unlock(&rw_lock);
		read_unlock(&rw_lock);
		pthread_join(t, NULL);
		printf("writer_waited=%d written=%ld\n", waited, counter);
	} else if (strcmp(s, "rw_uninit") == 0) {
		read_lock(&junk_rw);
		read_unlock(&junk_rw);
	} else if (strcmp(s, "rw_destroyed") == 0) {
		rwlock_init(&dyn_rw);
		uld_rwlock_destroy(&dyn_rw);
		read_lock(&dyn_rw);
		read_unlock(&dyn_rw);
	} else if (strcmp(s, "rw_init_ok") == 0) {
		rwlock_init(&dyn_rw);
		read_lock(&dyn_rw);
		read_unlock(&dyn_rw);
		write_lock(&dyn_rw);
		write_unlock(&dyn_rw);
		uld_rwlock_destroy(&dyn_rw);
	} else if (strcmp(s, "rw_unlock_other") == 0) {
		meet_init();
		pthread_create(&t, NULL, t_hold_rw_unlocked, NULL);
		meet();
		printf("owner=%d\n", rw_lock.owner);
		fflush(stdout);
		write_unlock(&rw_lock); /* not ours */
		meet();
		pthread_join(t, NULL);
	} else if (strcmp(s, "rw_unlock_own") == 0) {
		meet_init();
		pthread_create(&t, NULL, t_hold_rw_unlocked, NULL);
		meet();
		int owner = rw_lock.owner;
		meet();
		pthread_join(t, NULL);
		printf("owner_set=%d owner_after=%d cpu_after=%d cnt=%u\n",
		    owner > 0, rw_lock.owner, rw_lock.owner_cpu, rw_lock.cnt);
	} else if (strcmp(s, "rw_wait_long") == 0 ||
	    strcmp(s, "rw_read_wait_long") == 0 ||
	    strcmp(s, "rw_wait_short") == 0) {
		hold_ms = strcmp(s, "rw_wait_short") == 0 ? 50 : 0;
		meet_init();
		pthread_create(&t, NULL, t_hold_rw, NULL);
		meet();
		if (strcmp(s, "rw_read_wait_long") == 0) {
			read_lock(&rw_lock); /* spins until the writer ends */
			read_unlock(&rw_lock);
		} else {
			write_lock(&rw_lock);
			write_unlock(&rw_lock);
		}
		pthread_join(t, NULL);
		printf("holder=%d\n", holder_tid);
	} else if (strcmp(s, "rw_sleep") == 0) {
		read_lock(&rw_lock);
		usleep(1000);
		read_unlock(&rw_lock);
	} else if (strcmp(s, "rw_masks") == 0) {
		/* The mask is really changed, and really restored. */
		printf("before=%d ", blocked(SIGUSR1));
		read_lock_irqsave(&rw_lock, flags);
		printf("read_irqsave=%d ", blocked(SIGUSR1) && irqs_disabled());
		read_unlock_irqrestore(&rw_lock, flags);
		printf("after=%d ", blocked(SIGUSR1) || irqs_disabled());
		write_lock_irqsave(&rw_lock, flags);
		printf("write_irqsave=%d ", blocked(SIGUSR1) && irqs_disabled());
		write_unlock_irqrestore(&rw_lock, flags);
		printf("after=%d ", blocked(SIGUSR1) || irqs_disabled());
		read_lock_irq(&rw_lock);
		printf("read_irq=%d ", blocked(SIGUSR1) && irqs_disabled());
		read_unlock_irq(&rw_lock);
		write_lock_irq(&rw_lock);
		printf("write_irq=%d ", blocked(SIGUSR1) && irqs_disabled());
		write_unlock_irq(&rw_lock);
		printf("after=%d ", blocked(SIGUSR1) || irqs_disabled());
		read_lock_bh(&rw_lock);
		printf("read_bh=%d ", blocked(SIGALRM) && !blocked(SIGUSR1));
		read_unlock_bh(&rw_lock);
		write_lock_bh(&rw_lock);
		printf("write_bh=%d ", blocked(SIGALRM) && !blocked(SIGUSR1));
		write_unlock_bh(&rw_lock);
		printf("after=%d ", blocked(SIGALRM));
		/* A mask already blocked before irqsave stays blocked. */
		sigset_t usr2;
		sigemptyset(&usr2);
		sigaddset(&usr2, SIGUSR2);
		pthread_sigmask(SIG_BLOCK, &usr2, NULL);
		write_lock_irqsave(&rw_lock, flags);
		write_unlock_irqrestore(&rw_lock, flags);
		printf("kept=%d\n", blocked(SIGUSR2) && !blocked(SIGUSR1));
		pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
		usleep(1000); /* no lock held, signals enabled: fine */
	} else if (strcmp(s, "rw_trylock") == 0) {
		int r[6];
		write_lock(&rw_lock);
		r[0] = read_trylock(&rw_lock);
		r[1] = write_trylock(&rw_lock);
		write_unlock(&rw_lock);
		read_lock(&rw_lock);
		r[2] = read_trylock(&rw_lock); /* readers share it */
		r[3] = write_trylock(&rw_lock);
		if (r[2])
			read_unlock(&rw_lock);
		read_unlock(&rw_lock);
		r[4] = write_trylock(&rw_lock);
		if (r[4])
			write_unlock(&rw_lock);
		r[5] = write_trylock_irqsave(&rw_lock, flags);
		int off = irqs_disabled();
		if (r[5])
			write_unlock_irqrestore(&rw_lock, flags);
		printf("trylock=%d%d%d%d%d%d off=%d cnt=%u\n", r[0], r[1], r[2],
		    r[3], r[4], r[5], off, rw_lock.cnt);
	} else if (strcmp(s, "rw_stress") == 0) {
		pthread_t ts[4];
		for (long i = 0; i < 4; i++)
			pthread_create(&ts[i], NULL, t_stress, (void *)i);
		for (int i = 0; i < 4; i++)
			pthread_join(ts[i], NULL);
		printf("torn=%d writes=%ld cnt=%u\n", torn, pair[0],
		    rw_lock.cnt);
	} else if (strcmp(s, "ctx") == 0) {
		print_ctx("task");
		local_bh_disable();
		print_ctx("bh_off");
		local_bh_disable();
		local_bh_enable();
		print_ctx("bh_nested");
		local_bh_enable();
		print_ctx("bh_on");
		spin_lock_bh(&a_lock);
		print_ctx("spin_bh");
		spin_unlock_bh(&a_lock);
		local_irq_disable();
		print_ctx("irq_off");
		local_irq_enable();
		print_ctx("after");
		printf("\n");
#ifndef ULOCKDEP_DISABLE
	} else if (strcmp(s, "atomic") == 0) {
		printf("task=%d ", uld_in_atomic());
		spin_lock(&a_lock);
		printf("spin=%d ", uld_in_atomic());
		spin_unlock(&a_lock);
		local_irq_save(flags);
		printf("irqs_off=%d ", uld_in_atomic());
		spin_lock(&a_lock);
		printf("irqs_off_spin=%d ", uld_in_atomic());
		spin_unlock(&a_lock);
		local_irq_restore(flags);
		atomic_in_handler(SIGUSR1);
		printf("after=%d\n", uld_in_atomic());
	} else if (strcmp(s, "ctx_handler") == 0) {
		fake_handler(SIGUSR1, "usr1", SIGALRM, "usr1_alrm");
		fake_handler(SIGALRM, "alrm", 0, NULL);
		print_ctx("after");
		printf("\n");
#endif
	} else {
		return 0;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "ordered";
	unsigned long flags;

	if (strcmp(s, "abba") == 0) {
		run(t_ab);
		run(t_ba);
	} else if (strcmp(s, "ordered") == 0) {
		run(t_ab);
		run(t_ab);
	} else if (strcmp(s, "uninit") == 0) {
		spin_lock(&junk);
		spin_unlock(&junk);
	} else if (strcmp(s, "destroyed") == 0) {
		spin_lock_init(&dyn);
		uld_spin_destroy(&dyn);
		spin_lock(&dyn);
		spin_unlock(&dyn);
	} else if (strcmp(s, "init_ok") == 0) {
		spin_lock_init(&dyn);
		spin_lock(&dyn);
		spin_unlock(&dyn);
		uld_spin_destroy(&dyn);
	} else if (strcmp(s, "irqsave_sleep") == 0) {
		spin_lock_irqsave(&a_lock, flags);
		usleep(1000);
		spin_unlock_irqrestore(&a_lock, flags);
	} else if (strcmp(s, "irq_disabled_sleep") == 0) {
		local_irq_disable();
		usleep(1000);
		local_irq_enable();
	} else if (strcmp(s, "irq_restored_sleep") == 0) {
		/* The mask is really changed, and really restored. */
		int before = usr1_blocked();
		spin_lock_irqsave(&a_lock, flags);
		int inside = usr1_blocked() && irqs_disabled();
		spin_unlock_irqrestore(&a_lock, flags);
		spin_lock_bh(&b_lock);
		int bh_alrm;
		{
			sigset_t m;
			pthread_sigmask(SIG_BLOCK, NULL, &m);
			bh_alrm = sigismember(&m, SIGALRM) &&
			    !sigismember(&m, SIGUSR1);
		}
		spin_unlock_bh(&b_lock);
		usleep(1000); /* no lock held, signals enabled: fine */
		printf("before=%d inside=%d after=%d bh=%d disabled=%d\n",
		    before, inside, usr1_blocked(), bh_alrm, irqs_disabled());
	} else if (strcmp(s, "nested") == 0) {
		node_init(&nodes[0]);
		node_init(&nodes[1]);
		spin_lock(&nodes[0]);
		spin_lock(&nodes[1]);
		spin_unlock(&nodes[1]);
		spin_unlock(&nodes[0]);
	} else if (strcmp(s, "nested_annotated") == 0) {
		node_init(&nodes[0]);
		node_init(&nodes[1]);
		spin_lock(&nodes[0]);
		spin_lock_nested(&nodes[1], SINGLE_DEPTH_NESTING);
		spin_unlock(&nodes[1]);
		spin_unlock(&nodes[0]);
	} else if (strcmp(s, "unlock_other") == 0) {
		pthread_t t;
		meet_init();
		pthread_create(&t, NULL, t_hold_b, NULL);
		meet();
		printf("owner=%d\n", b_lock.owner);
		fflush(stdout);
		spin_unlock(&b_lock); /* not ours */
		meet();
		pthread_join(t, NULL);
	} else if (strcmp(s, "trylock") == 0) {
		if (spin_trylock(&a_lock)) {
			int again = spin_trylock(&a_lock);
			spin_unlock(&a_lock);
			printf("again=%d locked=%d\n", again,
			    spin_is_locked(&a_lock));
		}
	} else if (!rw_scenario(s)) {
		fprintf(stderr, "kspin: unknown scenario %s\n", s);
		return 2;
	}
	printf("done\n");
	return 0;
}
