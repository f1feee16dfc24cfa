/*
 * sleep.c: calls that sleep or block -> uld_might_sleep().
 *
 * Sleeping while holding a spinlock leaves every thread that wants it
 * spinning for as long as the sleep lasts (the kernel's "sleeping function
 * called from invalid context").  Each wrapper only announces the sleep
 * and calls the real function; a call that cannot block (a zero timeout)
 * is not a sleep.  Mutex and rwlock acquisitions are checked in the core,
 * on their own lock event.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "real.h"
#include "ulockdep/ulockdep.h"

ULD_INTERCEPTOR int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	MIGHT_SLEEP(nanosleep);
	return REAL(nanosleep)(req, rem);
}

/* C11's: glibc's calls its own nanosleep, not through ours. */
ULD_INTERCEPTOR int
thrd_sleep(const struct timespec *req, struct timespec *rem)
{
	MIGHT_SLEEP(thrd_sleep);
	return REAL(thrd_sleep)(req, rem);
}

ULD_INTERCEPTOR int
clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
    struct timespec *rem)
{
	MIGHT_SLEEP(clock_nanosleep);
	return REAL(clock_nanosleep)(clk, flags, req, rem);
}

ULD_INTERCEPTOR int
usleep(useconds_t usec)
{
	MIGHT_SLEEP(usleep);
	return REAL(usleep)(usec);
}

ULD_INTERCEPTOR unsigned
sleep(unsigned sec)
{
	MIGHT_SLEEP(sleep);
	return REAL(sleep)(sec);
}

ULD_INTERCEPTOR int
pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	MIGHT_SLEEP(pthread_cond_wait);
	return REAL(pthread_cond_wait)(c, m);
}

ULD_INTERCEPTOR int
pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
    const struct timespec *abstime)
{
	MIGHT_SLEEP(pthread_cond_timedwait);
	return REAL(pthread_cond_timedwait)(c, m, abstime);
}

/* C++'s condition_variable::wait_for and wait_until wait here (libstdc++
 * on glibc 2.30 and later, steady_clock), not in pthread_cond_timedwait. */
ULD_INTERCEPTOR int
pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
    const struct timespec *abstime)
{
	MIGHT_SLEEP(pthread_cond_clockwait);
	return REAL(pthread_cond_clockwait)(c, m, clk, abstime);
}

/* C11's waits: glibc's call its pthread functions directly, past ours. */
ULD_INTERCEPTOR int
cnd_wait(cnd_t *c, mtx_t *m)
{
	MIGHT_SLEEP(cnd_wait);
	return REAL(cnd_wait)(c, m);
}

ULD_INTERCEPTOR int
cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
    const struct timespec *restrict abstime)
{
	MIGHT_SLEEP(cnd_timedwait);
	return REAL(cnd_timedwait)(c, m, abstime);
}

ULD_INTERCEPTOR int
sem_wait(sem_t *s)
{
	MIGHT_SLEEP(sem_wait);
	return REAL(sem_wait)(s);
}

ULD_INTERCEPTOR int
sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	MIGHT_SLEEP(sem_timedwait);
	return REAL(sem_timedwait)(s, abstime);
}

ULD_INTERCEPTOR int
sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abstime)
{
	MIGHT_SLEEP(sem_clockwait);
	return REAL(sem_clockwait)(s, clk, abstime);
}

ULD_INTERCEPTOR int
pthread_join(pthread_t t, void **ret)
{
	MIGHT_SLEEP(pthread_join);
	return REAL(pthread_join)(t, ret);
}

ULD_INTERCEPTOR int
thrd_join(thrd_t t, int *res)
{
	MIGHT_SLEEP(thrd_join);
	return REAL(thrd_join)(t, res);
}

/* An absolute deadline, like the timed condition waits: a sleep whatever
 * the deadline, as those are and as a plain join is (telling a past one
 * would take reading its clock on every call). */
ULD_INTERCEPTOR int
pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	MIGHT_SLEEP(pthread_timedjoin_np);
	return REAL(pthread_timedjoin_np)(t, ret, abstime);
}

ULD_INTERCEPTOR int
pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
    const struct timespec *abstime)
{
	MIGHT_SLEEP(pthread_clockjoin_np);
	return REAL(pthread_clockjoin_np)(t, ret, clk, abstime);
}

/* Waiting for a child: WNOHANG only asks, and never blocks. */
ULD_INTERCEPTOR pid_t
wait(int *status)
{
	MIGHT_SLEEP(wait);
	return REAL(wait)(status);
}

ULD_INTERCEPTOR pid_t
waitpid(pid_t pid, int *status, int options)
{
	if (!(options & WNOHANG))
		MIGHT_SLEEP(waitpid);
	return REAL(waitpid)(pid, status, options);
}

ULD_INTERCEPTOR int
waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	if (!(options & WNOHANG))
		MIGHT_SLEEP(waitid);
	return REAL(waitid)(idtype, id, info, options);
}

/* BSD's waits: glibc's waitpid calls its own wait4, not through ours. */
ULD_INTERCEPTOR pid_t
wait3(int *status, int options, struct rusage *ru)
{
	if (!(options & WNOHANG))
		MIGHT_SLEEP(wait3);
	return REAL(wait3)(status, options, ru);
}

ULD_INTERCEPTOR pid_t
wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	if (!(options & WNOHANG))
		MIGHT_SLEEP(wait4);
	return REAL(wait4)(pid, status, options, ru);
}

/* Both wait for a child, by glibc's internal waitpid. */
ULD_INTERCEPTOR int
system(const char *command)
{
	/* system(NULL) only asks whether there is a shell. */
	if (command != NULL)
		MIGHT_SLEEP(system);
	return REAL(system)(command);
}

ULD_INTERCEPTOR int
pclose(FILE *f)
{
	MIGHT_SLEEP(pclose);
	return REAL(pclose)(f);
}

/* A sleep even for the last thread to arrive, which does not wait: the
 * next run's last may be another (might_sleep asks what could happen). */
ULD_INTERCEPTOR int
pthread_barrier_wait(pthread_barrier_t *b)
{
	MIGHT_SLEEP(pthread_barrier_wait);
	return REAL(pthread_barrier_wait)(b);
}

/* File locks wait for another process; LOCK_NB, F_TLOCK, F_TEST and
 * F_ULOCK never wait. */
ULD_INTERCEPTOR int
flock(int fd, int op)
{
	if (!(op & LOCK_NB) && (op & (LOCK_SH | LOCK_EX)))
		MIGHT_SLEEP(flock);
	return REAL(flock)(fd, op);
}

ULD_INTERCEPTOR int
lockf(int fd, int cmd, off_t len)
{
	if (cmd == F_LOCK)
		MIGHT_SLEEP(lockf);
	return REAL(lockf)(fd, cmd, len);
}

/* What a program built with _FILE_OFFSET_BITS=64 calls for lockf and
 * fcntl: other symbols, past the plain wrappers. */
ULD_INTERCEPTOR int
lockf64(int fd, int cmd, off64_t len)
{
	if (cmd == F_LOCK)
		MIGHT_SLEEP(lockf64);
	return REAL(lockf64)(fd, cmd, len);
}

/* Record locks: F_SETLKW and F_OFD_SETLKW wait for the lock's owner,
 * every other command returns at once. */
static inline int
fcntl_waits(int cmd)
{
	return cmd == F_SETLKW || cmd == F_SETLKW64 || cmd == F_OFD_SETLKW;
}

/* fcntl is variadic with at most one argument, which the C library's own
 * reads as a pointer whatever the command (an int travels in the same
 * register): forwarded the same way. */
#define FCNTL_INTERCEPTOR(name)                                              \
	ULD_INTERCEPTOR int                                                  \
	name(int fd, int cmd, ...)                                           \
	{                                                                    \
		va_list ap;                                                  \
		void *arg;                                                   \
                                                                             \
		va_start(ap, cmd);                                           \
		arg = va_arg(ap, void *);                                    \
		va_end(ap);                                                  \
		if (fcntl_waits(cmd))                                        \
			MIGHT_SLEEP(name);                                   \
		return REAL(name)(fd, cmd, arg);                             \
	}
FCNTL_INTERCEPTOR(fcntl)
FCNTL_INTERCEPTOR(fcntl64)

/*
 * Waiting for a signal.  A handler that runs during pause() is interrupt
 * context as anywhere else (signal.c); sigwait and its kin take a blocked
 * signal without running a handler, so they are only sleeps.  A zero
 * timeout only asks whether a signal is pending.
 */
ULD_INTERCEPTOR int
pause(void)
{
	MIGHT_SLEEP(pause);
	return REAL(pause)();
}

ULD_INTERCEPTOR int
sigwait(const sigset_t *set, int *sig)
{
	MIGHT_SLEEP(sigwait);
	return REAL(sigwait)(set, sig);
}

ULD_INTERCEPTOR int
sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	MIGHT_SLEEP(sigwaitinfo);
	return REAL(sigwaitinfo)(set, info);
}

ULD_INTERCEPTOR int
sigtimedwait(const sigset_t *set, siginfo_t *info,
    const struct timespec *timeout)
{
	if (timeout == NULL || timeout->tv_sec != 0 || timeout->tv_nsec != 0)
		MIGHT_SLEEP(sigtimedwait);
	return REAL(sigtimedwait)(set, info, timeout);
}

ULD_INTERCEPTOR int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (timeout != 0)
		MIGHT_SLEEP(poll);
	return REAL(poll)(fds, n, timeout);
}

ULD_INTERCEPTOR int
select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
	if (timeout == NULL || timeout->tv_sec != 0 || timeout->tv_usec != 0)
		MIGHT_SLEEP(select);
	return REAL(select)(n, r, w, e, timeout);
}

ULD_INTERCEPTOR int
epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	if (timeout != 0)
		MIGHT_SLEEP(epoll_wait);
	return REAL(epoll_wait)(epfd, ev, max, timeout);
}

/*
 * Reads and accepts sleep when the descriptor blocks: a pipe, socket or
 * terminal without O_NONBLOCK (a regular file is served from the page
 * cache, and has no "nothing yet" to wait for).  Two system calls to tell,
 * so only asked in atomic context, which uld_in_atomic() reads without
 * entering the validator: a program's reads cost one check.
 *
 * Under a spinlock such a read may sleep, and that is the report.  In a
 * signal handler, with no spinlock held, it is one only if it would wait
 * now, nothing to read yet: reading a descriptor is async-signal-safe,
 * and a pipe read by handlers is a known correct lock when everyone else
 * takes it with the signal blocked, as libuv's signal handler does (its
 * uv__signal_lock), in every node process that runs a child.  A handler
 * that waits for input still is reported, when its input is not there.
 */
static int
may_block(int fd, int flags, int atomic)
{
	struct stat st;
	int fl;

	if (flags & MSG_DONTWAIT)
		return 0;
	fl = REAL(fcntl)(fd, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK) || fstat(fd, &st) != 0)
		return 0;
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) &&
	    !S_ISCHR(st.st_mode))
		return 0;
	if (atomic != ULD_ATOMIC_IRQ)
		return 1;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return REAL(poll)(&p, 1, 0) == 0;
}

#define MIGHT_SLEEP_FD(name, fd, flags)                                      \
	do {                                                                 \
		int atomic_ = uld_in_atomic();                               \
		if (__builtin_expect(atomic_, 0)) {                          \
			int saved_ = errno;                                  \
			if (may_block((fd), (flags), atomic_))               \
				MIGHT_SLEEP(name);                           \
			errno = saved_;                                      \
		}                                                            \
	} while (0)

ULD_INTERCEPTOR ssize_t
read(int fd, void *buf, size_t n)
{
	MIGHT_SLEEP_FD(read, fd, 0);
	return REAL(read)(fd, buf, n);
}

ULD_INTERCEPTOR ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	MIGHT_SLEEP_FD(readv, fd, 0);
	return REAL(readv)(fd, iov, n);
}

ULD_INTERCEPTOR ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	MIGHT_SLEEP_FD(recv, fd, flags);
	return REAL(recv)(fd, buf, n, flags);
}

ULD_INTERCEPTOR ssize_t
recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
    socklen_t *alen)
{
	MIGHT_SLEEP_FD(recvfrom, fd, flags);
	return REAL(recvfrom)(fd, buf, n, flags, a, alen);
}

ULD_INTERCEPTOR ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	MIGHT_SLEEP_FD(recvmsg, fd, flags);
	return REAL(recvmsg)(fd, msg, flags);
}

ULD_INTERCEPTOR int
accept(int fd, struct sockaddr *a, socklen_t *alen)
{
	MIGHT_SLEEP_FD(accept, fd, 0);
	return REAL(accept)(fd, a, alen);
}

ULD_INTERCEPTOR int
accept4(int fd, struct sockaddr *a, socklen_t *alen, int flags)
{
	MIGHT_SLEEP_FD(accept4, fd, 0);
	return REAL(accept4)(fd, a, alen, flags);
}

/*
 * futex(2) through syscall(): the waits of hand-made locks and of
 * libraries that use futexes directly.  syscall() is variadic: its six
 * arguments are forwarded as longs, as the C library's own does.
 */
static int
futex_sleeps(long op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_LOCK_PI:
	case FUTEX_WAIT_REQUEUE_PI:
		return 1;
	default:
		return 0;
	}
}

/* Six longs are read whatever the call passed, as the C library's
 * syscall() reads six registers; past the fifth, va_arg reads the
 * caller's stack, where a short call has no argument (and an ASan build
 * a redzone): harmless, not a use of that memory, so not instrumented. */
__attribute__((no_sanitize_address)) ULD_INTERCEPTOR long
syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (__builtin_expect(nr == SYS_futex, 0) && futex_sleeps(a[1]) &&
	    __builtin_expect(uld_in_atomic(), 0))
		MIGHT_SLEEP(futex);
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
