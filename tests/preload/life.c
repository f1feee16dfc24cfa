/*
 * life.c: process life under the preload: fork, exec and its relatives,
 * dlopen/dlclose, and the ways a process ends (tests/preload/life.sh).
 *
 *   life SCENARIO [ARG]
 *
 * Each scenario prints what the script must check (pids, statuses) on
 * stdout, one "key=value" a line.  Children that must not hang set an
 * alarm first: a hang becomes a death by SIGALRM that the parent prints,
 * never a stuck test.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "meet.h"
#include "ulockdep/ulockdep.h"

extern char **environ;

static pthread_mutex_t mutex_A = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_B = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t child_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t main_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t other_spin;
static const char *self_exe;

/* How a child that reports, ends: its status as the parent saw it. */
static void
print_status(const char *what, pid_t pid, int st)
{
	if (WIFEXITED(st))
		printf("%s=%d exit=%d\n", what, (int)pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s=%d signal=%d\n", what, (int)pid, WTERMSIG(st));
	fflush(stdout);
}

static pid_t
wait_child(pid_t pid, const char *what)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	print_status(what, pid, st);
	return pid;
}

/*
 * One report of its own, with a class named `name`: the unlock of a
 * mutex that nobody holds (bad_unlock).  A new name is a new signature,
 * so each call is a new report.
 */
static void
report_named(const char *name)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	pthread_mutex_init(m, NULL);
	uld_lock_set_class(m, NULL, name);
	pthread_mutex_unlock(m);
	/* Not destroyed, not freed: glibc counts users, and the instance
	 * must not be forgotten while the report names it. */
}

static void
ABBA(void)
{
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_unlock(&mutex_B);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_unlock(&mutex_B);
}

/* ---- fork ---- */

/*
 * Threads that keep every validator lock busy while the main thread
 * forks: lock pairs in one order (the chain cache and graph), new classes
 * and reports (graph lock, symbols, files), threads created and joined
 * (the registry).
 */
#define STORM_THREADS 4
#define STORM_REPORTS 20
static volatile int storm_stop;
static pthread_mutex_t storm_locks[STORM_THREADS][2];

static void *
t_noop(void *arg)
{
	return arg;
}

static void *
t_storm(void *arg)
{
	int id = (int)(long)arg;
	int made = 0;
	char name[32];

	/* Until told to stop and every report is made: on a loaded machine
	 * the forks may all be over before a thread has run 20 rounds. */
	while (!__atomic_load_n(&storm_stop, __ATOMIC_RELAXED) ||
	    made < STORM_REPORTS) {
		pthread_mutex_lock(&storm_locks[id][0]);
		pthread_mutex_lock(&storm_locks[id][1]);
		pthread_mutex_unlock(&storm_locks[id][1]);
		pthread_mutex_unlock(&storm_locks[id][0]);
		if (made < STORM_REPORTS) {
			snprintf(name, sizeof(name), "storm_%d_%d", id, made++);
			report_named(name);
		}
		if (id == 0) {
			pthread_t t;
			if (pthread_create(&t, NULL, t_noop, NULL) == 0)
				pthread_join(t, NULL);
		}
	}
	return NULL;
}

static pthread_t storm_threads[STORM_THREADS];

static void
storm_start(void)
{
	for (int i = 0; i < STORM_THREADS; i++) {
		pthread_mutex_init(&storm_locks[i][0], NULL);
		pthread_mutex_init(&storm_locks[i][1], NULL);
		pthread_create(&storm_threads[i], NULL, t_storm, (void *)(long)i);
	}
}

static void
storm_stop_join(void)
{
	__atomic_store_n(&storm_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < STORM_THREADS; i++)
		pthread_join(storm_threads[i], NULL);
}

/* Fork `n` times while the storm runs; each child locks, makes one
 * report of its own (class child_report) and exits. */
static void
fork_storm(int n)
{
	printf("parent=%d\n", (int)getpid());
	fflush(stdout);
	storm_start();
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(10);
			pthread_mutex_lock(&child_lock);
			pthread_mutex_unlock(&child_lock);
			report_named("child_report");
			exit(0);
		}
		wait_child(pid, "child");
	}
	storm_stop_join();
}

/*
 * A lock held by the forking thread is still held in the child: releasing
 * it there is no bad_unlock (silent).  `relock`: the child takes it again
 * instead, which is recursive_locking (a timed lock, so that the child
 * does not really deadlock).
 */
/* CLOCK_REALTIME ms from now, for a timedlock. */
static struct timespec
deadline_in(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += ms % 1000 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static void
fork_held(int relock)
{
	pthread_mutex_lock(&mutex_A);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		if (relock) {
			struct timespec ts = deadline_in(100);
			int rc = pthread_mutex_timedlock(&mutex_A, &ts);
			printf("timedlock=%s\n", rc == ETIMEDOUT ? "ETIMEDOUT"
			    : rc == 0 ? "0" : "other");
		}
		pthread_mutex_unlock(&mutex_A);
		pthread_mutex_lock(&mutex_A);
		pthread_mutex_unlock(&mutex_A);
		exit(0);
	}
	pthread_mutex_unlock(&mutex_A);
	wait_child(pid, "child");
}

/*
 * Locks held by another thread of the parent at fork(): that thread does
 * not exist in the child, but the locks' memory says "locked".  The
 * child's trylock of the mutex fails and records nothing; its spin on the
 * spinlock never ends, and its own watchdog reports it (spin_timeout, "no
 * live thread holds this lock"); SIGALRM ends it.
 */

static void *
t_hold_other(void *arg)
{
	pthread_mutex_lock(&mutex_B);
	pthread_spin_lock(&other_spin);
	meet(); /* held */
	meet(); /* forked */
	pthread_spin_unlock(&other_spin);
	pthread_mutex_unlock(&mutex_B);
	return arg;
}

static void
fork_other_held(void)
{
	pthread_t t;

	pthread_spin_init(&other_spin, 0);
	uld_lock_set_class((void *)&other_spin, NULL, "other_spin");
	meet_init();
	pthread_create(&t, NULL, t_hold_other, NULL);
	meet();
	pid_t pid = fork();
	if (pid == 0) {
		alarm(2);
		int rc = pthread_mutex_trylock(&mutex_B);
		printf("trylock=%s\n", rc == EBUSY ? "EBUSY" : "other");
		fflush(stdout);
		pthread_spin_lock(&other_spin); /* forever */
		exit(0);
	}
	meet();
	pthread_join(t, NULL);
	wait_child(pid, "child");
}

/*
 * The same with the mutex: the child is single-threaded, but its parent
 * was not, so a wait of the child's on a sleeping lock may be for a thread
 * that did not follow it, and its watchdog starts (watchdog.h).  A 2.5 s
 * timedlock of mutex_B outlasts lockup_s=1: soft_lockup, then ETIMEDOUT.
 */
static void
fork_other_held_mutex(void)
{
	pthread_t t;

	pthread_spin_init(&other_spin, 0);
	meet_init();
	pthread_create(&t, NULL, t_hold_other, NULL);
	meet();
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = deadline_in(2500);
		int rc = pthread_mutex_timedlock(&mutex_B, &ts);
		printf("timedlock=%s\n", rc == ETIMEDOUT ? "ETIMEDOUT"
		    : rc == 0 ? "0" : "other");
		fflush(stdout);
		exit(0);
	}
	meet();
	pthread_join(t, NULL);
	wait_child(pid, "child");
}

/* ---- exec and its relatives: each runs "life abba" ---- */

/* The exec'd program: an AB-BA of its own, reported in its own file. */
static void
abba(void)
{
	printf("abba=%d\n", (int)getpid());
	fflush(stdout);
	ABBA();
}

static char *abba_argv[] = { NULL, "abba", NULL };

static void
spawn(const char *how)
{
	pid_t pid = -1;
	int st = 0;

	abba_argv[0] = (char *)self_exe;
	printf("parent=%d\n", (int)getpid());
	fflush(stdout);
	/* State for the child to inherit, or corrupt: the parent learns
	 * A -> B, and holds A while it starts the child. */
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_unlock(&mutex_B);
	if (strcmp(how, "fork_exec") == 0) {
		pid = fork();
		if (pid == 0) {
			execv(self_exe, abba_argv);
			_exit(127);
		}
		wait_child(pid, "child");
	} else if (strcmp(how, "vfork") == 0) {
		pid = vfork();
		if (pid == 0) {
			execv(self_exe, abba_argv);
			_exit(127);
		}
		wait_child(pid, "child");
	} else if (strcmp(how, "posix_spawn") == 0) {
		if (posix_spawn(&pid, self_exe, NULL, NULL, abba_argv,
		    environ) != 0)
			printf("posix_spawn failed\n");
		wait_child(pid, "child");
	} else if (strcmp(how, "system") == 0) {
		char cmd[4200];
		snprintf(cmd, sizeof(cmd), "'%s' abba", self_exe);
		st = system(cmd);
		print_status("child", 0, st);
	} else if (strcmp(how, "popen") == 0) {
		char cmd[4200], line[64];
		snprintf(cmd, sizeof(cmd), "'%s' abba", self_exe);
		FILE *p = popen(cmd, "r");
		while (p && fgets(line, sizeof(line), p))
			fputs(line, stdout);
		st = p ? pclose(p) : -1;
		print_status("child", 0, st);
	}
	pthread_mutex_unlock(&mutex_A);
	/* The parent's own state is intact: it still knows A -> B, and
	 * reports B -> A once. */
	pthread_mutex_lock(&mutex_B);
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_unlock(&mutex_A);
	pthread_mutex_unlock(&mutex_B);
}

/*
 * vfork: a child that changes its signal mask before it execs must not
 * change what the parent's validator believes of the parent's mask.  The
 * parent takes a spinlock, irq_lock, in a SIGUSR1 handler and, with SIGUSR1 blocked
 * (irq off, legal), in thread context; the child unblocks everything
 * first.  Silent unless the child's mask leaked into the parent's state.
 */
static pthread_spinlock_t irq_lock;

static void
on_usr1(int sig)
{
	(void)sig;
	pthread_spin_lock(&irq_lock);
	pthread_spin_unlock(&irq_lock);
}

static void
vfork_mask(void)
{
	sigset_t usr1, none;
	struct sigaction sa;

	pthread_spin_init(&irq_lock, 0);
	uld_lock_set_class((void *)&irq_lock, NULL, "irq_lock");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1); /* irq_lock: taken in irq context */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	abba_argv[0] = (char *)self_exe;
	pid_t pid = vfork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv("/bin/true", (char *[]){ "true", NULL });
		_exit(127);
	}
	wait_child(pid, "child");
	pthread_spin_lock(&irq_lock); /* SIGUSR1 blocked: irq off */
	pthread_spin_unlock(&irq_lock);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
}

/* ---- dlopen/dlclose ---- */

struct mod_api {
	const char *(*name)(void);
	void (*static_then)(void (*)(void));
	pthread_mutex_t *(*new_lock)(void);
	void (*lock_then)(pthread_mutex_t *, void (*)(void));
};

static void
take_main_lock(void)
{
	pthread_mutex_lock(&main_lock);
	pthread_mutex_unlock(&main_lock);
}

static void *
mod_open(const char *path, struct mod_api *api)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		printf("dlopen failed: %s\n", dlerror());
		exit(3);
	}
	api->name = (const char *(*)(void))dlsym(h, "mod_name");
	api->static_then = (void (*)(void (*)(void)))dlsym(h, "mod_static_then");
	api->new_lock = (pthread_mutex_t * (*)(void)) dlsym(h, "mod_new_lock");
	api->lock_then = (void (*)(pthread_mutex_t *, void (*)(void)))dlsym(h,
	    "mod_lock_then");
	return h;
}

/*
 * The first module's locks go before main_lock (its static lock, and a
 * heap lock initialised in it: a class named by an init site in it); the
 * module is closed and a second one opened, at the same address if the
 * loader reuses it.  `mode` "invert": main_lock, then the first module's
 * heap lock (which outlives its module), a cycle that names the unloaded
 * module's classes.  "second": the second module's static lock before
 * main_lock, then main_lock before it: a cycle in the second module,
 * whose frames must be named from it, not from the first.  "silent": the
 * same loads in one order only.
 */
static void
dl(const char *dir, const char *mode)
{
	char p1[4096], p2[4096];
	struct mod_api m1, m2;

	snprintf(p1, sizeof(p1), "%s/liblifemod1.so", dir);
	snprintf(p2, sizeof(p2), "%s/liblifemod2.so", dir);
	void *h1 = mod_open(p1, &m1);
	struct link_map *lm = NULL;
	dlinfo(h1, RTLD_DI_LINKMAP, &lm);
	uintptr_t base1 = lm ? lm->l_addr : 0;
	pthread_mutex_t *heap = m1.new_lock();
	m1.static_then(take_main_lock);
	m1.lock_then(heap, take_main_lock);
	printf("mod1=%s\n", m1.name());
	dlclose(h1);
	void *h2 = mod_open(p2, &m2);
	lm = NULL;
	dlinfo(h2, RTLD_DI_LINKMAP, &lm);
	printf("mod2=%s same_address=%d\n", m2.name(),
	    lm != NULL && lm->l_addr == base1);
	m2.static_then(take_main_lock);
	if (strcmp(mode, "invert") == 0) {
		pthread_mutex_lock(&main_lock);
		pthread_mutex_lock(heap);
		pthread_mutex_unlock(heap);
		pthread_mutex_unlock(&main_lock);
	} else if (strcmp(mode, "second") == 0) {
		pthread_mutex_lock(&main_lock);
		m2.static_then(NULL);
		pthread_mutex_unlock(&main_lock);
	}
	dlclose(h2);
}

/* ---- the ways a process ends ---- */

/*
 * The process ends (`how`: exit, _exit, _Exit, quick_exit, abort) from a thread
 * that is not the main one, after ten reports, while the main thread
 * holds mutex_A (waiting for it), another thread holds mutex_B, and, for
 * exit, the ending thread holds child_lock.  None of them is ending by
 * its own doing: no locks_held_at_exit; all ten reports are in the file.
 */
static void *
t_hold_forever(void *arg)
{
	pthread_mutex_lock(&mutex_B);
	meet();
	for (;;)
		pause();
	return arg;
}

static void *
t_report_and_end(void *arg)
{
	const char *how = arg;
	char name[32];

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "end_%d", i);
		report_named(name);
	}
	if (strcmp(how, "exit") == 0) {
		pthread_mutex_lock(&child_lock);
		exit(0);
	}
	if (strcmp(how, "_exit") == 0)
		_exit(0);
	if (strcmp(how, "_Exit") == 0)
		_Exit(0);
	if (strcmp(how, "quick_exit") == 0)
		quick_exit(0);
	abort();
	return NULL;
}

static void
end(const char *how)
{
	pthread_t holder, ender;

	pthread_mutex_lock(&mutex_A);
	meet_init();
	pthread_create(&holder, NULL, t_hold_forever, NULL);
	meet();
	pthread_create(&ender, NULL, t_report_and_end, (void *)how);
	pthread_join(ender, NULL); /* never returns */
}

/*
 * The exit status of each normal end: `n` reports (0 or 1), then the
 * process ends by `how` (exit, _exit, _Exit, quick_exit) with `status`.
 * "quick_exit_late" makes its report in the program's own at_quick_exit
 * handler instead, which runs before the validator's.
 */
static void
late_report(void)
{
	report_named("late");
}

static void
end_with(const char *how, int status, int n)
{
	int late = strcmp(how, "quick_exit_late") == 0;

	if (n > 0 && !late)
		report_named("end_with");
	if (strcmp(how, "exit") == 0)
		exit(status);
	if (strcmp(how, "_exit") == 0)
		_exit(status);
	if (strcmp(how, "_Exit") == 0)
		_Exit(status);
	if (n > 0 && late)
		at_quick_exit(late_report);
	quick_exit(status);
}

/* exit() while four threads make reports and lock: no hang, every
 * report whole (with graph_path, the graph is saved too). */
static void
end_storm(void)
{
	storm_start();
	usleep(30 * 1000);
	exit(0);
}

int
main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "";

	self_exe = argv[0];
	if (strcmp(s, "fork_storm") == 0)
		fork_storm(atoi(arg));
	else if (strcmp(s, "fork_held") == 0)
		fork_held(0);
	else if (strcmp(s, "fork_held_relock") == 0)
		fork_held(1);
	else if (strcmp(s, "fork_other_held") == 0)
		fork_other_held();
	else if (strcmp(s, "fork_other_held_mutex") == 0)
		fork_other_held_mutex();
	else if (strcmp(s, "abba") == 0)
		abba();
	else if (strcmp(s, "spawn") == 0)
		spawn(arg);
	else if (strcmp(s, "vfork_mask") == 0)
		vfork_mask();
	else if (strcmp(s, "dl") == 0)
		dl(arg, argc > 3 ? argv[3] : "silent");
	else if (strcmp(s, "end") == 0)
		end(arg);
	else if (strcmp(s, "end_with") == 0 && argc > 4)
		end_with(arg, atoi(argv[3]), atoi(argv[4]));
	else if (strcmp(s, "end_storm") == 0)
		end_storm();
	else {
		fprintf(stderr, "usage: life SCENARIO [ARG]\n");
		return 2;
	}
	return 0;
}
