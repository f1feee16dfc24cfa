/*
 * sles_softirq.c: a lock that a softirq takes, taken elsewhere with
 * softirqs on.
 *
 * The SLES case, reduced.  Memory reclaim (kswapd shrinking the dentry
 * cache) took dcache_lru_lock with a plain spin_lock(), and the network
 * softirq took the same lock when a packet made a dentry unused.  When
 * the softirq came in on the CPU where kswapd held the lock, it spun on a
 * lock that only the code it had interrupted could release: that CPU
 * hung, and only under memory pressure and network load at once.
 *
 * Here a thread is the CPU and the SIGALRM handler is the softirq
 * (SIGALRM is in the option softirq_signals by default).  A timer fires
 * three times, each tick a packet; its handler runs in main, before the
 * kswapd thread exists.  kswapd then takes the lock with SIGALRM
 * deliverable.  Nothing deadlocks in this run; ulockdep reports the
 * inconsistent lock state as kswapd takes the lock (the stack to fix) and
 * shows where the handler took it, and the process exits 66.
 *
 * The fix, as in the kernel: spin_lock_bh() in the reclaim path, which
 * keeps the softirq signals blocked while the lock is held, so no handler
 * can come in on top of it ("fixed": silent, exit 0).  Keeping the lock
 * out of the handler (a sig_atomic_t flag, a signalfd) fixes it too.
 *
 *   LD_PRELOAD=libulockdep-preload.so ./sles_softirq [fixed]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <ulockdep/spinlock.h>

struct dentry {
	struct dentry *lru_next;
	int ino;
};

static DEFINE_SPINLOCK(dcache_lru_lock);
static struct dentry *dentry_lru; /* unused dentries, under the lock */
static int nr_unused;		  /* under the lock */
static struct dentry dentries[8];
static volatile sig_atomic_t packets;
static int fixed;

/* The network softirq: a packet's socket dentry has become unused. */
static void
net_rx_action(int sig)
{
	struct dentry *d = &dentries[packets % 8];

	(void)sig;
	d->ino = 1000 + packets;
	spin_lock(&dcache_lru_lock);
	d->lru_next = dentry_lru;
	dentry_lru = d;
	nr_unused++;
	spin_unlock(&dcache_lru_lock);
	packets++;
}

/* Memory reclaim: frees unused dentries from the LRU. */
static void *
kswapd(void *arg)
{
	int *freed = arg;

	pthread_setname_np(pthread_self(), "kswapd");
	if (fixed)
		spin_lock_bh(&dcache_lru_lock);
	else
		spin_lock(&dcache_lru_lock); /* the bug: softirqs still on */
	while (dentry_lru != NULL) {
		dentry_lru = dentry_lru->lru_next;
		nr_unused--;
		(*freed)++;
	}
	if (fixed)
		spin_unlock_bh(&dcache_lru_lock);
	else
		spin_unlock(&dcache_lru_lock);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t alrm, old;
	pthread_t t;
	int freed = 0;

	fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = net_rx_action;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	/* Three packets: one-shot timer ticks, each waited for with
	 * sigsuspend, so that the handler runs between them, in main. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	for (int i = 1; i <= 3; i++) {
		struct itimerval tick = { { 0, 0 }, { 0, 5000 } };
		setitimer(ITIMER_REAL, &tick, NULL);
		while (packets < i)
			sigsuspend(&old);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* Memory pressure: kswapd starts with SIGALRM deliverable. */
	pthread_create(&t, NULL, kswapd, &freed);
	pthread_join(t, NULL);
	printf("%d packets, %d dentries reclaimed, %d unused\n", (int)packets,
	    freed, nr_unused);
	return 0;
}
