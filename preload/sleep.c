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
#include "real.h"
#include "ulockdep/ulockdep.h"

#define MIGHT_SLEEP(name) uld_might_sleep(#name, ULD_RET_IP())

ULD_INTERCEPTOR int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	MIGHT_SLEEP(nanosleep);
	return REAL(nanosleep)(req, rem);
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
pthread_join(pthread_t t, void **ret)
{
	MIGHT_SLEEP(pthread_join);
	return REAL(pthread_join)(t, ret);
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
