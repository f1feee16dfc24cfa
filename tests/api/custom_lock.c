/*
 * custom_lock.c: a program with its own lock type, annotated through
 * <ulockdep/ulockdep.h> and linked with libulockdep (no LD_PRELOAD), as a
 * daemon under QA would be.
 *
 *   custom_lock abba | ordered | nested | nested_annotated | unbalanced |
 *       fault | fault_unlocked
 *
 * fault: a fault (trap.h) while queue_lock is held, and the handler says
 * it sleeps: one sleep_in_atomic, whose stack names the frame the signal
 * stopped, trap_first+0x0, though no preload told the validator about the
 * handler.  fault_unlocked: the same with no lock held, silent.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "trap.h"
#include "ulockdep/ulockdep.h"

/*
 * A test-and-set lock, the kind of lock no interposer can see.  Its
 * functions pass ULD_RET_IP(), their caller, as the site: they must not be
 * inlined (see ulockdep.h).
 */
struct tas_lock {
	int word;
};

#define TAS_API static __attribute__((noinline))

TAS_API void
tas_init(struct tas_lock *l)
{
	l->word = 0;
	uld_lock_init(l, ULD_LOCK_SPIN, ULD_RET_IP());
}

TAS_API void
tas_lock_nested(struct tas_lock *l, unsigned subclass)
{
	uld_lock_acquire(l, ULD_LOCK_SPIN, 0, subclass, ULD_RET_IP());
	while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
		;
	uld_lock_acquired(l);
}

TAS_API void
tas_lock(struct tas_lock *l)
{
	uld_lock_acquire(l, ULD_LOCK_SPIN, 0, 0, ULD_RET_IP());
	while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
		;
	uld_lock_acquired(l);
}

TAS_API void
tas_unlock(struct tas_lock *l)
{
	uld_lock_release(l, ULD_RET_IP());
	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

/* A tree node's constructor: every node's lock is initialised here, so the
 * node locks of one array (or the heap) share one class, as in lockdep;
 * two static variables made here are two classes. */
static __attribute__((noinline)) void
node_init(struct tas_lock *l)
{
	tas_init(l);
	/* Not a tail call: tas_init's caller must be node_init. */
	__asm__ volatile("" ::: "memory");
}

static struct uld_class_key queue_key, stats_key;
static struct tas_lock queue_lock, stats_lock, parent, child;
static struct tas_lock tree[2]; /* a parent node and its child */

static void
setup(void)
{
	tas_init(&queue_lock);
	uld_lock_set_class(&queue_lock, &queue_key, "queue_lock");
	tas_init(&stats_lock);
	uld_lock_set_class(&stats_lock, &stats_key, "stats_lock");
	/* Two nodes of a tree: one init site, one array, one class. */
	node_init(&tree[0]);
	node_init(&tree[1]);
	/* Two variables made at that site: two classes. */
	node_init(&parent);
	node_init(&child);
}

static void *
enqueue(void *arg)
{
	tas_lock(&queue_lock);
	tas_lock(&stats_lock);
	tas_unlock(&stats_lock);
	tas_unlock(&queue_lock);
	return arg;
}

static void *
report_stats(void *arg)
{
	tas_lock(&stats_lock);
	tas_lock(&queue_lock);
	tas_unlock(&queue_lock);
	tas_unlock(&stats_lock);
	return arg;
}

static void
run(void *(*fn)(void *))
{
	pthread_t t;

	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, NULL);
}

#ifdef HAVE_TRAP
static void
on_ill(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	uld_might_sleep("on_ill", NULL); /* @on_ill */
	trap_skip(ucv);
}

/* Out of line: GCC would inline a part of it into itself, an inline
 * frame of its own name that the checks below need not explain. */
static __attribute__((noinline)) void
fault(int locked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_ill;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	before_trap();
	if (locked)
		tas_lock(&queue_lock);
	trap_first(); /* @main_trap_first */
	if (locked)
		tas_unlock(&queue_lock);
}
#endif

int
main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "abba";

	setup();
	if (strcmp(what, "abba") == 0) {
		run(enqueue);
		run(report_stats);
	} else if (strcmp(what, "ordered") == 0) {
		run(enqueue);
		run(enqueue);
	} else if (strcmp(what, "nested") == 0) {
		tas_lock(&tree[0]);
		tas_lock(&tree[1]);
		tas_unlock(&tree[1]);
		tas_unlock(&tree[0]);
	} else if (strcmp(what, "nested_annotated") == 0) {
		tas_lock(&tree[0]);
		tas_lock_nested(&tree[1], 1);
		tas_unlock(&tree[1]);
		tas_unlock(&tree[0]);
	} else if (strcmp(what, "nested_vars") == 0) {
		tas_lock(&parent);
		tas_lock(&child);
		tas_unlock(&child);
		tas_unlock(&parent);
	} else if (strcmp(what, "unbalanced") == 0) {
		tas_lock(&queue_lock);
		tas_unlock(&queue_lock);
		tas_unlock(&queue_lock);
#ifdef HAVE_TRAP
	} else if (strcmp(what, "fault") == 0) {
		fault(1);
	} else if (strcmp(what, "fault_unlocked") == 0) {
		fault(0);
#endif
	} else {
		fprintf(stderr, "usage: custom_lock abba|ordered|nested|"
				"nested_annotated|nested_vars|unbalanced|fault|"
				"fault_unlocked\n");
		return 2;
	}
	printf("done\n");
	return 0;
}
