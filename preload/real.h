/*
 * real.h: the functions we wrap, as the C library defines them.
 *
 * REAL(name) is the next definition of `name` after this library in the
 * lookup order (dlsym(RTLD_NEXT)), resolved eagerly by the constructor and
 * lazily on first use, because another library's constructor may lock
 * before ours runs.
 */
#ifndef ULD_PRELOAD_REAL_H
#define ULD_PRELOAD_REAL_H

#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define ULD_REAL_FUNCS(X)                                                    \
	X(int, pthread_mutex_init, (pthread_mutex_t *, const pthread_mutexattr_t *)) \
	X(int, pthread_mutex_destroy, (pthread_mutex_t *))                   \
	X(int, pthread_mutex_lock, (pthread_mutex_t *))                      \
	X(int, pthread_mutex_trylock, (pthread_mutex_t *))                   \
	X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *)) \
	X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *)) \
	X(int, pthread_mutex_unlock, (pthread_mutex_t *))                    \
	X(int, mtx_init, (mtx_t *, int))                                     \
	X(void, mtx_destroy, (mtx_t *))                                      \
	X(int, mtx_lock, (mtx_t *))                                          \
	X(int, mtx_timedlock, (mtx_t *restrict, const struct timespec *restrict)) \
	X(int, mtx_trylock, (mtx_t *))                                       \
	X(int, mtx_unlock, (mtx_t *))                                        \
	X(int, pthread_spin_init, (pthread_spinlock_t *, int))               \
	X(int, pthread_spin_destroy, (pthread_spinlock_t *))                 \
	X(int, pthread_spin_lock, (pthread_spinlock_t *))                    \
	X(int, pthread_spin_trylock, (pthread_spinlock_t *))                 \
	X(int, pthread_spin_unlock, (pthread_spinlock_t *))                  \
	X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *)) \
	X(int, pthread_rwlock_init, (pthread_rwlock_t *, const pthread_rwlockattr_t *)) \
	X(int, pthread_rwlock_destroy, (pthread_rwlock_t *))                 \
	X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                  \
	X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))               \
	X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *)) \
	X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
	X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                  \
	X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))               \
	X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *)) \
	X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
	X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))                  \
	X(int, nanosleep, (const struct timespec *, struct timespec *))      \
	X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *)) \
	X(int, usleep, (useconds_t))                                         \
	X(unsigned, sleep, (unsigned))                                       \
	X(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))     \
	X(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *)) \
	X(int, pthread_cond_clockwait, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *)) \
	X(int, cnd_wait, (cnd_t *, mtx_t *))                                 \
	X(int, cnd_timedwait, (cnd_t *restrict, mtx_t *restrict, const struct timespec *restrict)) \
	X(int, thrd_sleep, (const struct timespec *, struct timespec *))     \
	X(int, thrd_join, (thrd_t, int *))                                   \
	X(int, sem_wait, (sem_t *))                                          \
	X(int, sem_timedwait, (sem_t *, const struct timespec *))            \
	X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *)) \
	X(int, pthread_join, (pthread_t, void **))                           \
	X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *)) \
	X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *)) \
	X(pid_t, wait, (int *))                                              \
	X(pid_t, wait3, (int *, int, struct rusage *))                       \
	X(pid_t, wait4, (pid_t, int *, int, struct rusage *))                \
	X(int, system, (const char *))                                       \
	X(int, pclose, (FILE *))                                             \
	X(int, pthread_barrier_wait, (pthread_barrier_t *))                  \
	X(int, flock, (int, int))                                            \
	X(int, lockf, (int, int, off_t))                                     \
	X(int, lockf64, (int, int, off64_t))                                 \
	X(int, fcntl, (int, int, ...))                                       \
	X(int, fcntl64, (int, int, ...))                                     \
	X(pid_t, waitpid, (pid_t, int *, int))                               \
	X(int, waitid, (idtype_t, id_t, siginfo_t *, int))                   \
	X(int, pause, (void))                                                \
	X(int, sigwait, (const sigset_t *, int *))                           \
	X(int, sigwaitinfo, (const sigset_t *, siginfo_t *))                 \
	X(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *)) \
	X(int, poll, (struct pollfd *, nfds_t, int))                         \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *)) \
	X(int, epoll_wait, (int, struct epoll_event *, int, int))           \
	X(ssize_t, read, (int, void *, size_t))                              \
	X(int, munmap, (void *, size_t))                                     \
	X(int, dlclose, (void *))                                            \
	X(void, _exit, (int))                                                \
	X(void, quick_exit, (int))                                           \
	X(void, exit, (int))                                                 \
	X(long, syscall, (long, ...))                                        \
	X(int, prctl, (int, ...))                                            \
	X(int, pthread_setname_np, (pthread_t, const char *))                \
	X(ssize_t, readv, (int, const struct iovec *, int))                  \
	X(ssize_t, recv, (int, void *, size_t, int))                         \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *)) \
	X(ssize_t, recvmsg, (int, struct msghdr *, int))                     \
	X(int, accept, (int, struct sockaddr *, socklen_t *))                \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int))          \
	X(int, sigaction, (int, const struct sigaction *, struct sigaction *)) \
	X(int, siginterrupt, (int, int))                                     \
	X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))         \
	X(int, sigprocmask, (int, const sigset_t *, sigset_t *))             \
	X(int, sighold, (int))                                               \
	X(int, sigrelse, (int))                                              \
	X(int, sigblock, (int))                                              \
	X(int, sigsetmask, (int))                                            \
	X(int, sigsuspend, (const sigset_t *))                               \
	X(int, __sigpause, (int, int))                                       \
	X(int, __xpg_sigpause, (int))                                        \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)) \
	X(int, __ppoll_chk, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t)) \
	X(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)) \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *)) \
	X(void, siglongjmp, (struct __jmp_buf_tag *, int))                   \
	X(void, longjmp, (struct __jmp_buf_tag *, int))                      \
	X(void, _longjmp, (struct __jmp_buf_tag *, int))                     \
	X(void, __longjmp_chk, (struct __jmp_buf_tag *, int))

/*
 * Declared by glibc's headers only under _FORTIFY_SOURCE (bits/poll2.h,
 * bits/setjmp2.h) or under names that old standards redirect (sigpause);
 * the same prototypes here.
 */
extern int __ppoll_chk(struct pollfd *, nfds_t, const struct timespec *,
    const sigset_t *, size_t);
extern void __longjmp_chk(struct __jmp_buf_tag[1], int)
    __attribute__((noreturn));
extern int __sigpause(int, int);
extern int __xpg_sigpause(int);

/* Resolve one function; aborts with a clear message if it cannot. */
void *uld__real_resolve(const char *name, void *self);

/* Naming sigblock, sighold... (to check dlsym's answer against our own
 * definition) is no use of a deprecated interface. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define X(ret, name, args)                                                   \
	extern ret(*uld__real_##name) args;                                  \
	static inline __typeof__(uld__real_##name) uld__get_##name(void)     \
	{                                                                    \
		__typeof__(uld__real_##name) f = uld__real_##name;           \
		if (__builtin_expect(f == NULL, 0)) {                        \
			f = (__typeof__(f))uld__real_resolve(#name,          \
			    (void *)name);                                   \
			uld__real_##name = f;                                \
		}                                                            \
		return f;                                                    \
	}
ULD_REAL_FUNCS(X)
#undef X
#pragma GCC diagnostic pop

#define REAL(name) (uld__get_##name())

/*
 * A blocking acquisition of `lock` in an interceptor, returning what the
 * lock call returned: announced before `call` blocks, so that a deadlock
 * is reported before it happens, and its wait watched until it returns.
 * ok(rc): the lock is held.
 */
#define ULD_LOCK_BLOCKING(lock, type, flags, call, ok)                       \
	do {                                                                 \
		uld_lock_acquire((lock), (type), (flags), 0, ULD_RET_IP());  \
		int rc_ = (call);                                            \
		if (ok(rc_))                                                 \
			uld_lock_acquired(lock);                             \
		else                                                         \
			uld_lock_acquire_failed(lock);                       \
		return rc_;                                                  \
	} while (0)

/* The ok() of a lock call that returns 0 on success and an error number
 * otherwise (spinlocks, rwlocks). */
static inline int
uld__rc_zero(int rc)
{
	return rc == 0;
}

/* A trylock's success is told after it: no wait, no edge into it. */
#define ULD_LOCK_TRY(lock, type, flags, call, ok)                            \
	do {                                                                 \
		int rc_ = (call);                                            \
		if (ok(rc_))                                                 \
			uld_lock_acquire((lock), (type),                     \
			    (flags) | ULD_ACQ_TRY, 0, ULD_RET_IP());         \
		return rc_;                                                  \
	} while (0)

/* A wrapped call may sleep: tell the validator, naming the call. */
#define MIGHT_SLEEP(name) uld_might_sleep(#name, ULD_RET_IP())

/* Interceptors are exported with default visibility and no version node, so
 * that they interpose glibc's versioned definitions (see Makefile.am). */
#define ULD_INTERCEPTOR __attribute__((visibility("default")))

#endif /* ULD_PRELOAD_REAL_H */
