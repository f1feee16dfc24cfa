/*
 * wrappers.c: what a program sees of the wrapped calls is what it sees
 * bare: errno, interrupted calls, and its own malloc never called from a
 * handler by the validator.
 *
 *   wrappers SCENARIO
 *
 * wrappers.sh runs each scenario bare and under the preload and compares
 * the output lines.
 *
 *   errno   errno set to a sentinel before each successful wrapped call
 *           (locks, conditions, sleeps, child waits, memory, signal
 *           calls, and the signal calls inside a handler), printed after it
 *   eintr   blocking calls interrupted by a handler, with and without
 *           SA_RESTART: read, sem_wait, nanosleep, pthread_cond_timedwait,
 *           pthread_mutex_timedlock; each one's return value and errno
 *   malloc  this program defines malloc, calloc, realloc and free (on
 *           glibc's __libc_*) and counts the calls made while one of its
 *           handlers runs on that thread; the handlers take locks and
 *           make reports (sleep_in_atomic, inconsistent_irq_state).  Bare
 *           and preloaded, the count is 0: the validator never calls the
 *           program's allocator from a handler (its reports are made
 *           with memory set aside, and symbolized by its watchdog).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

/* ---- the program's own allocator ---- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static __thread volatile int in_handler;
static volatile long malloc_in_handler;

static inline void
note(void)
{
	if (in_handler)
		__atomic_add_fetch(&malloc_in_handler, 1, __ATOMIC_RELAXED);
}

void *
malloc(size_t n)
{
	note();
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	note();
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	note();
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	note();
	__libc_free(p);
}

#define SENTINEL 4242

static pthread_mutex_t m_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_handler = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t s_a, s_unsafe;
static pthread_rwlock_t rw_a = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t c_a = PTHREAD_COND_INITIALIZER;

#define SHOW(call)                                                           \
	do {                                                                 \
		errno = SENTINEL;                                            \
		long rc_ = (long)(call);                                     \
		printf("%-40s rc %ld errno %d\n", #call, rc_ >= -1 &&        \
		    rc_ <= 200 ? rc_ : 1, errno);                            \
	} while (0)

/* ---- errno ---- */

static char hbuf[512];
static volatile int hlen;

static void
h_calls(int sig)
{
	sigset_t s;
	struct sigaction old;
	int n;

	(void)sig;
	sigemptyset(&s);
	errno = SENTINEL;
	pthread_spin_lock(&s_a);
	pthread_spin_unlock(&s_a);
	n = snprintf(hbuf, sizeof(hbuf), "handler spin: %d\n", errno);
	errno = SENTINEL;
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	n += snprintf(hbuf + n, sizeof(hbuf) - n, "handler pthread_sigmask: %d\n",
	    errno);
	errno = SENTINEL;
	sigprocmask(SIG_BLOCK, &s, NULL);
	n += snprintf(hbuf + n, sizeof(hbuf) - n, "handler sigprocmask: %d\n",
	    errno);
	errno = SENTINEL;
	sigaction(SIGUSR2, NULL, &old);
	n += snprintf(hbuf + n, sizeof(hbuf) - n, "handler sigaction: %d\n",
	    errno);
	hlen = n;
	errno = SENTINEL + 1; /* what the interrupted code must find */
}

static void
errno_kept(void)
{
	pthread_mutex_t m;
	pthread_spinlock_t s;
	pthread_rwlock_t rw;
	pthread_cond_t c;
	mtx_t x;
	cnd_t xc;
	sem_t sem;
	sigset_t set, old;
	struct sigaction sa, osa;
	struct timespec ts = { 0, 1000 }, abs;

	SHOW(pthread_mutex_init(&m, NULL));
	SHOW(pthread_mutex_lock(&m));
	SHOW(pthread_mutex_trylock(&m_a));
	SHOW(pthread_mutex_unlock(&m_a));
	SHOW(pthread_mutex_unlock(&m));
	SHOW(pthread_mutex_trylock(&m));
	SHOW(pthread_mutex_unlock(&m));
	SHOW(pthread_mutex_destroy(&m));
	SHOW(pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE));
	SHOW(pthread_spin_lock(&s));
	SHOW(pthread_spin_unlock(&s));
	SHOW(pthread_spin_trylock(&s));
	SHOW(pthread_spin_unlock(&s));
	SHOW(pthread_spin_destroy(&s));
	SHOW(pthread_rwlock_init(&rw, NULL));
	SHOW(pthread_rwlock_rdlock(&rw));
	SHOW(pthread_rwlock_unlock(&rw));
	SHOW(pthread_rwlock_wrlock(&rw));
	SHOW(pthread_rwlock_unlock(&rw));
	SHOW(pthread_rwlock_tryrdlock(&rw_a));
	SHOW(pthread_rwlock_unlock(&rw_a));
	SHOW(pthread_rwlock_trywrlock(&rw_a));
	SHOW(pthread_rwlock_unlock(&rw_a));
	SHOW(pthread_rwlock_destroy(&rw));
	SHOW(pthread_cond_init(&c, NULL));
	SHOW(pthread_cond_signal(&c));
	SHOW(pthread_cond_broadcast(&c));
	clock_gettime(CLOCK_REALTIME, &abs);
	pthread_mutex_lock(&m_a);
	SHOW(pthread_cond_timedwait(&c_a, &m_a, &abs)); /* ETIMEDOUT */
	pthread_mutex_unlock(&m_a);
	clock_gettime(CLOCK_MONOTONIC, &abs);
	pthread_mutex_lock(&m_a);
	SHOW(pthread_cond_clockwait(&c_a, &m_a, CLOCK_MONOTONIC, &abs));
	pthread_mutex_unlock(&m_a);
	SHOW(pthread_cond_destroy(&c));
	SHOW(mtx_init(&x, mtx_timed));
	SHOW(mtx_lock(&x));
	SHOW(mtx_unlock(&x));
	SHOW(mtx_trylock(&x));
	SHOW(mtx_unlock(&x));
	timespec_get(&abs, TIME_UTC);
	SHOW(mtx_timedlock(&x, &abs));
	SHOW(cnd_init(&xc));
	SHOW(cnd_timedwait(&xc, &x, &abs)); /* thrd_timedout */
	SHOW(mtx_unlock(&x));
	SHOW((cnd_destroy(&xc), 0));
	SHOW((mtx_destroy(&x), 0));
	SHOW(thrd_sleep(&ts, NULL));
	SHOW(nanosleep(&ts, NULL));
	SHOW(usleep(1));
	SHOW(sleep(0));
	SHOW(sem_init(&sem, 0, 1));
	SHOW(sem_wait(&sem));
	SHOW(sem_post(&sem));
	clock_gettime(CLOCK_MONOTONIC, &abs);
	SHOW(sem_clockwait(&sem, CLOCK_MONOTONIC, &abs));
	SHOW(sem_destroy(&sem));
	/* The child waits for the pipe to close: WNOHANG finds it running
	 * (0), whatever the timing, and the blocking wait reaps it. */
	int gate[2];
	if (pipe(gate) != 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		char byte;
		close(gate[1]);
		(void)!read(gate[0], &byte, 1);
		_exit(3);
	}
	close(gate[0]);
	SHOW(waitpid(child, NULL, WNOHANG));
	close(gate[1]);
	SHOW(waitpid(child, NULL, 0) == child);
	SHOW(waitpid(child, NULL, 0)); /* ECHILD */
	child = fork();
	if (child == 0)
		_exit(4);
	SHOW(wait4(child, NULL, 0, NULL) == child);
	SHOW(wait3(NULL, WNOHANG, NULL)); /* ECHILD */
	SHOW(system("exit 5"));
	SHOW(pclose(popen("exit 6", "r")));
	pthread_barrier_t bar;
	SHOW(pthread_barrier_init(&bar, NULL, 1));
	SHOW(pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD);
	SHOW(pthread_barrier_destroy(&bar));
	char lpath[] = "/tmp/uld-wrappers.XXXXXX";
	int lfd = mkstemp(lpath);
	SHOW(flock(lfd, LOCK_EX));
	SHOW(flock(lfd, LOCK_UN));
	SHOW(lockf(lfd, F_LOCK, 0));
	SHOW(lockf(lfd, F_ULOCK, 0));
	SHOW(flock(-1, LOCK_EX | LOCK_NB)); /* EBADF */
	SHOW(lockf64(lfd, F_LOCK, 0));
	SHOW(lockf64(lfd, F_ULOCK, 0));
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	SHOW(fcntl(lfd, F_SETLKW, &fl));
	SHOW(fcntl(lfd, F_GETFD));
	SHOW(fcntl(lfd, F_SETFD, FD_CLOEXEC));
	SHOW(fcntl(lfd, F_GETFD));
	SHOW(fcntl(-1, F_SETLKW, &fl)); /* EBADF */
	struct flock64 fl64 = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	SHOW(fcntl64(lfd, F_SETLKW64, &fl64));
	SHOW(fcntl64(lfd, F_GETFL) & O_ACCMODE);
	/* After the unlock: an OFD lock waits for the process's own. */
	SHOW(fcntl(lfd, F_OFD_SETLKW, &fl));
	close(lfd);
	unlink(lpath);
	void *p = __libc_malloc(64);
	SHOW((free(p), 0));
	SHOW((free(NULL), 0));
	p = __libc_malloc(64);
	p = realloc(p, 4096);
	SHOW(p != NULL);
	SHOW((free(p), 0));
	void *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SHOW(munmap(map, 8192));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	SHOW(pthread_sigmask(SIG_BLOCK, &set, &old));
	SHOW(pthread_sigmask(SIG_SETMASK, &old, NULL));
	SHOW(sigprocmask(SIG_BLOCK, &set, NULL));
	SHOW(sigprocmask(SIG_UNBLOCK, &set, NULL));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_calls;
	SHOW(sigaction(SIGUSR1, &sa, &osa));
	SHOW(sigaction(SIGUSR1, NULL, &osa));
	SHOW(signal(SIGUSR1, h_calls) == h_calls);
	errno = SENTINEL;
	raise(SIGUSR1);
	printf("after the handler: errno %d\n", errno);
	fwrite(hbuf, 1, hlen, stdout);
}

/* ---- interrupted calls ---- */

static pthread_t main_thread;
static sem_t sem0;
static volatile int done;
static int pipefd[2];
static void h_nothing(int sig) { (void)sig; }

/* Interrupt the main thread every 20 ms until it is done; after `wake`
 * signals, also write a byte to the pipe and post sem0 (what a restarted
 * read or sem_wait waits for). */
static void *
pester(void *arg)
{
	int wake = *(int *)arg;

	for (int n = 1; !done; n++) {
		usleep(20000);
		pthread_kill(main_thread, SIGUSR1);
		if (n == wake && (write(pipefd[1], "x", 1) != 1 ||
		    sem_post(&sem0) != 0))
			abort();
	}
	return NULL;
}

static void
handle(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_nothing;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
}

static void
interrupted(const char *what, int restart, int wake, long (*fn)(void))
{
	pthread_t t;

	handle(restart);
	done = 0;
	pthread_create(&t, NULL, pester, &wake);
	errno = SENTINEL;
	long rc = fn();
	int e = errno;
	done = 1;
	pthread_join(t, NULL);
	printf("%s%s: rc %ld errno %d\n", what, restart ? " (SA_RESTART)" : "",
	    rc, rc < 0 || rc > 100 ? e : 0);
}

static long
do_read(void)
{
	char c;
	return read(pipefd[0], &c, 1);
}

static long
do_sem_wait(void)
{
	return sem_wait(&sem0);
}

static long
do_nanosleep(void)
{
	struct timespec ts = { 30, 0 }, rem = { 0, 0 };
	int rc = nanosleep(&ts, &rem);
	return rc == 0 ? 0 : rem.tv_sec > 0 ? -1 : -2;
}

static long
do_cond_timedwait(void)
{
	struct timespec abs;

	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 150 * 1000000L;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m_a);
	int rc = pthread_cond_timedwait(&c_a, &m_a, &abs);
	pthread_mutex_unlock(&m_a);
	return rc; /* ETIMEDOUT: glibc waits on through the handlers */
}

static pthread_mutex_t m_held = PTHREAD_MUTEX_INITIALIZER;
static volatile int holding;

static void *
holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m_held);
	holding = 1;
	while (!done)
		usleep(10000);
	pthread_mutex_unlock(&m_held);
	return NULL;
}

static long
do_timedlock(void)
{
	struct timespec abs;

	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 150 * 1000000L;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	int rc = pthread_mutex_timedlock(&m_held, &abs);
	if (rc == 0)
		pthread_mutex_unlock(&m_held);
	return rc;
}

static void
eintr(void)
{
	if (pipe(pipefd) != 0)
		abort();
	sem_init(&sem0, 0, 0);
	interrupted("read", 0, 1000, do_read);
	interrupted("read", 1, 5, do_read);
	sem_wait(&sem0); /* the post that came with the byte */
	interrupted("sem_wait", 0, 1000, do_sem_wait);
	interrupted("sem_wait", 1, 5, do_sem_wait);
	do_read(); /* the byte that came with the post */
	interrupted("nanosleep", 0, 1000, do_nanosleep);
	interrupted("nanosleep", 1, 1000, do_nanosleep);
	interrupted("pthread_cond_timedwait", 0, 1000, do_cond_timedwait);
	interrupted("pthread_cond_timedwait", 1, 1000, do_cond_timedwait);
	pthread_t h;
	done = 0;
	pthread_create(&h, NULL, holder, NULL);
	while (!holding)
		usleep(1000);
	interrupted("pthread_mutex_timedlock", 0, 1000, do_timedlock);
	pthread_join(h, NULL);
}

/* ---- the program's malloc and the validator's handlers ---- */

static void
h_reports(int sig)
{
	(void)sig;
	in_handler = 1;
	/* irq-safe here, irq-unsafe in main: inconsistent_irq_state. */
	pthread_spin_lock(&s_unsafe);
	pthread_spin_unlock(&s_unsafe);
	/* A mutex in a handler: sleep_in_atomic. */
	pthread_mutex_lock(&m_handler);
	pthread_mutex_unlock(&m_handler);
	in_handler = 0;
}

static void
malloc_kept(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_reports;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_spin_lock(&s_unsafe); /* SIGUSR1 deliverable */
	pthread_spin_unlock(&s_unsafe);
	for (int i = 0; i < 50; i++)
		raise(SIGUSR1);
	printf("program malloc calls from handlers: %ld\n", malloc_in_handler);
}

int
main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	main_thread = pthread_self();
	pthread_spin_init(&s_a, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&s_unsafe, PTHREAD_PROCESS_PRIVATE);
	if (strcmp(s, "errno") == 0)
		errno_kept();
	else if (strcmp(s, "eintr") == 0)
		eintr();
	else if (strcmp(s, "malloc") == 0)
		malloc_kept();
	else {
		fprintf(stderr, "usage: wrappers SCENARIO\n");
		return 2;
	}
	return 0;
}
