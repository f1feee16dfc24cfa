/*
 * kspin.c: the kernel-style spinlock API (<ulockdep/spinlock.h>), as a
 * daemon uses it.  Built twice: validated (linked with libulockdep), and
 * with -DULOCKDEP_DISABLE (the bare ticket lock, no library).
 *
 *   kspin SCENARIO
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static pthread_barrier_t bar;
static void *
t_hold_b(void *arg)
{
	spin_lock(&b_lock);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	spin_unlock(&b_lock);
	return arg;
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
		pthread_barrier_init(&bar, NULL, 2);
		pthread_create(&t, NULL, t_hold_b, NULL);
		pthread_barrier_wait(&bar);
		printf("owner=%d\n", b_lock.owner);
		fflush(stdout);
		spin_unlock(&b_lock); /* not ours */
		pthread_barrier_wait(&bar);
		pthread_join(t, NULL);
	} else if (strcmp(s, "trylock") == 0) {
		if (spin_trylock(&a_lock)) {
			int again = spin_trylock(&a_lock);
			spin_unlock(&a_lock);
			printf("again=%d locked=%d\n", again,
			    spin_is_locked(&a_lock));
		}
	} else {
		fprintf(stderr, "kspin: unknown scenario %s\n", s);
		return 2;
	}
	printf("done\n");
	return 0;
}
