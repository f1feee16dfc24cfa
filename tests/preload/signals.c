/*
 * signals.c: programs that use signals as they are meant to be used, to
 * show that the preload changes nothing in them.
 *
 *   signals SCENARIO
 *
 * signals.sh runs each scenario bare and under the preload: the output
 * and exit status must be the same, and ulockdep must report nothing.
 * A scenario prints what a program can observe (actions read back, masks,
 * errno, siginfo fields, handler counts) and checks what glibc and Linux
 * promise: a broken promise prints "FAIL: ..." and exits 1, bare too, so
 * a test that no longer means what it says is seen.
 *
 * Locks: mutex_A, mutex_B (pthread mutexes) and spin_S (a spinlock that
 * handlers take, so it is "irq-safe" and must be taken with the signal
 * blocked elsewhere; except in jit, where the signal is a fault).
 *
 *   readback      sigaction reads back the user's handler, flags (no added
 *                 SA_SIGINFO) and mask; SIG_IGN, SIG_DFL; glibc's errors
 *   handler_mask  the mask inside a handler: sa_mask, the signal, SA_NODEFER
 *   signal_chain  signal/bsd_signal/ssignal return values, BSD flags,
 *                 siginterrupt
 *   sysv          sysv_signal and SA_RESETHAND: one delivery, then SIG_DFL
 *                 (a child dies of the second), flags read back after reset
 *   nodefer       SA_NODEFER nesting depth, and without it
 *   siginfo       si_code, si_value (sigqueue), queued real-time signals
 *   errno         errno across handlers and every wrapper
 *   jumps         siglongjmp/longjmp/_longjmp/__longjmp_chk out of
 *                 handlers (nested too), then mutexes taken normally
 *   waits         sigsuspend, ppoll, pselect, epoll_pwait, sigpause
 *   masks         pthread_sigmask, sigprocmask, sighold/sigrelse,
 *                 sigblock/sigsetmask, sigset(SIG_HOLD): read back, and
 *                 spin_S taken with the signal blocked by each
 *   jit           SIGSEGV on PROT_NONE pages, fixed by mprotect in the
 *                 handler, which takes spin_S (a fault is no interrupt)
 *   signalfd      signals blocked and read from a signalfd, threads locking
 *   flag_only     a handler that sets a flag while the thread locks
 *   altstack      SA_ONSTACK on a sigaltstack, left by siglongjmp too
 *   restart       SA_RESTART restarts an interrupted read, or not
 *   deferred      5,000 queued real-time signals at a thread that locks,
 *                 makes and destroys mutexes and frees memory, so many land
 *                 while the validator is busy and are deferred: each runs
 *                 exactly once, with its own siginfo
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* The System V and BSD calls are what is tested here. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* In the C library, gone from signal.h since POSIX 2008. */
extern __sighandler_t bsd_signal(int, __sighandler_t);
/* longjmp under _FORTIFY_SOURCE, called by its name. */
extern void __longjmp_chk(struct __jmp_buf_tag[1], int)
    __attribute__((noreturn));

static pthread_mutex_t mutex_A = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_B = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t spin_S;

static int failed;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("FAIL: %s:%d: %s\n", __func__, __LINE__,      \
			    #cond);                                          \
			failed = 1;                                          \
		}                                                            \
	} while (0)

static volatile sig_atomic_t calls, depth, max_depth;

static void
h_count(int sig)
{
	(void)sig;
	calls++;
}

static void
h_other(int sig)
{
	(void)sig;
}

static void
h_info(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	(void)sig;
	calls++;
}

/* Takes spin_S, as an interrupt handler takes an irq-safe lock. */
static void
h_lock(int sig)
{
	(void)sig;
	pthread_spin_lock(&spin_S);
	calls++;
	pthread_spin_unlock(&spin_S);
}

static void h_alt(int sig);

static const char *
hname(void *h)
{
	if (h == (void *)SIG_DFL)
		return "SIG_DFL";
	if (h == (void *)SIG_IGN)
		return "SIG_IGN";
	if (h == (void *)SIG_ERR)
		return "SIG_ERR";
	if (h == (void *)SIG_HOLD)
		return "SIG_HOLD";
	if (h == (void *)h_count)
		return "h_count";
	if (h == (void *)h_other)
		return "h_other";
	if (h == (void *)h_info)
		return "h_info";
	if (h == (void *)h_lock)
		return "h_lock";
	if (h == (void *)h_alt)
		return "h_alt";
	return "(unknown handler)";
}

static uint64_t
word(const sigset_t *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

static uint64_t
mask_now(void)
{
	sigset_t s;

	pthread_sigmask(SIG_BLOCK, NULL, &s);
	return word(&s);
}

static uint64_t
bit(int sig)
{
	return 1ULL << (sig - 1);
}

static void
set1(sigset_t *s, int sig)
{
	sigemptyset(s);
	sigaddset(s, sig);
}

/* An action as the program can see it; glibc's own SA_RESTORER is left
 * out (it is there bare and under the preload alike). */
static void
show(const char *what, int sig)
{
	struct sigaction o;
	int rc = sigaction(sig, NULL, &o);

	printf("%s: rc %d handler %s flags %#x mask %#llx\n", what, rc,
	    hname((void *)o.sa_sigaction), o.sa_flags & ~0x04000000,
	    (unsigned long long)word(&o.sa_mask));
}

static void
install(int sig, void *h, int flags, uint64_t mask)
{
	struct sigaction a;

	memset(&a, 0, sizeof(a));
	a.sa_sigaction = (void (*)(int, siginfo_t *, void *))h;
	a.sa_flags = flags;
	memcpy(&a.sa_mask, &mask, sizeof(mask));
	CHECK(sigaction(sig, &a, NULL) == 0);
}

static void
unblock(int sig)
{
	sigset_t s;

	set1(&s, sig);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void
block(int sig)
{
	sigset_t s;

	set1(&s, sig);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

/*
 * Until thread `tid` sleeps in system call `nr` (/proc's syscall file), or
 * just sleeps (its stat) where that file cannot be read.
 */
static void
wait_in_syscall(pid_t tid, long nr)
{
	char path[64], buf[256];

	for (;;) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall",
		    (int)tid);
		FILE *f = fopen(path, "r");
		if (f != NULL) {
			long cur = -2;
			int n = fscanf(f, "%ld", &cur);
			fclose(f);
			if (n == 1 && cur == nr)
				return;
		} else {
			snprintf(path, sizeof(path), "/proc/self/task/%d/stat",
			    (int)tid);
			f = fopen(path, "r");
			if (f == NULL)
				return;
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = 0;
			char *p = strrchr(buf, ')');
			if (p != NULL && p[1] == ' ' && p[2] == 'S')
				return;
		}
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
}

/* ---- sigaction: what is installed is what is read back ---- */

static void
readback(void)
{
	struct sigaction a, o;
	int rc;

	show("initial USR1", SIGUSR1);

	errno = 777;
	memset(&a, 0, sizeof(a));
	a.sa_handler = h_count;
	a.sa_flags = SA_RESTART;
	set1(&a.sa_mask, SIGUSR2);
	rc = sigaction(SIGUSR1, &a, &o);
	printf("install h_count: rc %d errno %d old %s\n", rc, errno,
	    hname((void *)o.sa_handler));
	show("plain", SIGUSR1);

	memset(&a, 0, sizeof(a));
	a.sa_sigaction = h_info;
	a.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaddset(&a.sa_mask, SIGHUP);
	sigaddset(&a.sa_mask, SIGRTMIN + 3);
	rc = sigaction(SIGUSR1, &a, &o);
	printf("install h_info: rc %d old %s flags %#x\n", rc,
	    hname((void *)o.sa_handler), o.sa_flags & ~0x04000000);
	CHECK(o.sa_handler == h_count && o.sa_flags == (SA_RESTART | 0x04000000));
	show("siginfo", SIGUSR1);

	a.sa_handler = h_other;
	a.sa_flags = SA_NODEFER | SA_RESETHAND;
	rc = sigaction(SIGUSR1, &a, &o);
	printf("install h_other: rc %d old %s flags %#x\n", rc,
	    hname((void *)o.sa_handler), o.sa_flags & ~0x04000000);
	CHECK(o.sa_sigaction == h_info);
	show("nodefer|resethand", SIGUSR1);

	memset(&a, 0, sizeof(a));
	a.sa_handler = SIG_IGN;
	rc = sigaction(SIGUSR1, &a, &o);
	printf("install SIG_IGN: rc %d old %s\n", rc, hname((void *)o.sa_handler));
	show("ignored", SIGUSR1);
	a.sa_handler = SIG_IGN;
	a.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &a, NULL);
	show("ignored, SA_SIGINFO", SIGUSR1);
	a.sa_handler = SIG_DFL;
	a.sa_flags = 0;
	rc = sigaction(SIGUSR1, &a, &o);
	printf("install SIG_DFL: rc %d old %s flags %#x\n", rc,
	    hname((void *)o.sa_handler), o.sa_flags & ~0x04000000);
	show("default", SIGUSR1);

	/* Handlers still run, with their own arguments. */
	install(SIGUSR2, h_count, 0, 0);
	install(SIGHUP, h_info, SA_SIGINFO, 0);
	calls = 0;
	raise(SIGUSR2);
	raise(SIGHUP);
	printf("delivered: %d\n", (int)calls);
	CHECK(calls == 2);

	/* The C library's errors, and its errno. */
	static const int bad[] = { SIGKILL, SIGSTOP, 0, -1, 65, 32, 33 };
	a.sa_handler = h_count;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		rc = sigaction(bad[i], &a, &o);
		printf("sigaction(%d, h_count): rc %d errno %d\n", bad[i], rc,
		    errno);
		CHECK(rc == -1 && errno == EINVAL);
	}
	errno = 0;
	rc = sigaction(SIGKILL, NULL, &o);
	printf("read back SIGKILL: rc %d errno %d handler %s\n", rc, errno,
	    hname((void *)o.sa_handler));

	/* Every signal the program may use starts as the kernel has it
	 * (SIGRTMAX-1 is the validator's: see README). */
	for (int s = 1; s <= 64; s++) {
		if (s == SIGRTMAX - 1 || s == 32 || s == 33)
			continue;
		if (sigaction(s, NULL, &o) == 0 &&
		    o.sa_handler != SIG_DFL && o.sa_handler != SIG_IGN)
			printf("signal %d: %s\n", s, hname((void *)o.sa_handler));
	}
}

/* The mask a handler runs with: the interrupted mask, sa_mask, and the
 * signal itself unless SA_NODEFER. */
static uint64_t in_handler_mask;

static void
h_mask(int sig)
{
	(void)sig;
	in_handler_mask = mask_now();
}

static void
handler_mask(void)
{
	install(SIGUSR1, h_mask, 0, bit(SIGUSR2) | bit(SIGRTMIN));
	raise(SIGUSR1);
	printf("in handler: USR1 %d USR2 %d RTMIN %d HUP %d\n",
	    !!(in_handler_mask & bit(SIGUSR1)),
	    !!(in_handler_mask & bit(SIGUSR2)),
	    !!(in_handler_mask & bit(SIGRTMIN)), !!(in_handler_mask & bit(SIGHUP)));
	CHECK(in_handler_mask & bit(SIGUSR1));
	install(SIGUSR1, h_mask, SA_NODEFER, bit(SIGUSR2));
	block(SIGHUP);
	raise(SIGUSR1);
	unblock(SIGHUP);
	printf("SA_NODEFER: USR1 %d USR2 %d HUP %d\n",
	    !!(in_handler_mask & bit(SIGUSR1)),
	    !!(in_handler_mask & bit(SIGUSR2)), !!(in_handler_mask & bit(SIGHUP)));
	CHECK(!(in_handler_mask & bit(SIGUSR1)));
	printf("after: USR1 %d HUP %d\n", !!(mask_now() & bit(SIGUSR1)),
	    !!(mask_now() & bit(SIGHUP)));
}

/* ---- signal(), bsd_signal(), ssignal(): BSD semantics ---- */

static void
signal_chain(void)
{
	__sighandler_t r;

	r = signal(SIGUSR1, h_count);
	printf("signal(h_count) -> %s\n", hname((void *)r));
	r = signal(SIGUSR1, h_other);
	printf("signal(h_other) -> %s\n", hname((void *)r));
	CHECK(r == h_count);
	show("signal", SIGUSR1);
	r = signal(SIGUSR1, SIG_IGN);
	printf("signal(SIG_IGN) -> %s\n", hname((void *)r));
	r = signal(SIGUSR1, SIG_DFL);
	printf("signal(SIG_DFL) -> %s\n", hname((void *)r));
	r = bsd_signal(SIGUSR1, h_count);
	printf("bsd_signal(h_count) -> %s\n", hname((void *)r));
	r = ssignal(SIGUSR1, h_other);
	printf("ssignal(h_other) -> %s\n", hname((void *)r));
	show("ssignal", SIGUSR1);

	/* siginterrupt: no more SA_RESTART, for this action and for the
	 * next signal(). */
	errno = 777;
	printf("siginterrupt(1): %d errno %d\n", siginterrupt(SIGUSR1, 1), errno);
	show("interrupting", SIGUSR1);
	r = signal(SIGUSR1, h_count);
	printf("signal(h_count) -> %s\n", hname((void *)r));
	show("signal, interrupting", SIGUSR1);
	calls = 0;
	raise(SIGUSR1);
	printf("delivered: %d\n", (int)calls);
	CHECK(calls == 1);
	printf("siginterrupt(0): %d\n", siginterrupt(SIGUSR1, 0));
	show("restarting", SIGUSR1);
	r = signal(SIGUSR1, h_count);
	show("signal, restarting", SIGUSR1);
	printf("siginterrupt(SIGKILL): %d errno %d\n", siginterrupt(SIGKILL, 1),
	    errno);

	/* Errors. */
	static const int bad[] = { SIGKILL, 0, 65, 32, 33 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		r = signal(bad[i], h_count);
		printf("signal(%d) -> %s errno %d\n", bad[i], hname((void *)r),
		    errno);
		CHECK(r == SIG_ERR && errno == EINVAL);
	}
	errno = 0;
	r = signal(SIGUSR1, SIG_ERR);
	printf("signal(SIG_ERR) -> %s errno %d\n", hname((void *)r), errno);
	show("unchanged", SIGUSR1);
}

/* ---- sysv_signal and SA_RESETHAND: the handler runs once ---- */

/* Raises `sig` in a child: how does the child end? */
static void
second_delivery(int sig)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		raise(sig);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("second delivery: %s %d\n",
	    WIFSIGNALED(st) ? "killed by" : "exit", WIFSIGNALED(st) ? WTERMSIG(st)
								   : WEXITSTATUS(st));
}

static void
sysv(void)
{
	__sighandler_t r;

	r = sysv_signal(SIGUSR1, h_count);
	printf("sysv_signal(h_count) -> %s\n", hname((void *)r));
	show("sysv", SIGUSR1);
	calls = 0;
	raise(SIGUSR1);
	printf("delivered: %d\n", (int)calls);
	show("after delivery", SIGUSR1);
	CHECK(calls == 1);
	second_delivery(SIGUSR1);

	r = __sysv_signal(SIGUSR2, h_other);
	printf("__sysv_signal(h_other) -> %s\n", hname((void *)r));
	r = __sysv_signal(SIGUSR2, h_count);
	printf("__sysv_signal(h_count) -> %s\n", hname((void *)r));
	errno = 0;
	r = sysv_signal(65, h_count);
	printf("sysv_signal(65) -> %s errno %d\n", hname((void *)r), errno);
	errno = 0;
	r = sysv_signal(32, h_count);
	printf("sysv_signal(32) -> %s errno %d\n", hname((void *)r), errno);

	/* SA_RESETHAND through sigaction, with and without SA_SIGINFO: the
	 * kernel keeps the flags when it resets the handler. */
	install(SIGHUP, h_info, SA_SIGINFO | SA_RESETHAND, 0);
	raise(SIGHUP);
	show("SA_SIGINFO|SA_RESETHAND, after", SIGHUP);
	install(SIGHUP, h_count, SA_RESETHAND | SA_RESTART, bit(SIGUSR2));
	raise(SIGHUP);
	show("SA_RESETHAND, after", SIGHUP);
	second_delivery(SIGHUP);
	printf("calls: %d\n", (int)calls);
}

/* ---- SA_NODEFER: the handler interrupts itself ---- */

static void
h_nest(int sig)
{
	calls++;
	if (++depth > max_depth)
		max_depth = depth;
	/* No lock here: with SA_NODEFER a lock taken in the handler could
	 * be wanted again by the handler interrupting it. */
	if (calls < 3)
		raise(sig);
	depth--;
}

static void
nodefer(void)
{
	install(SIGUSR1, h_nest, SA_NODEFER, 0);
	calls = depth = max_depth = 0;
	raise(SIGUSR1);
	printf("SA_NODEFER: calls %d deepest %d\n", (int)calls, (int)max_depth);
	CHECK(calls == 3 && max_depth == 3);
	install(SIGUSR1, h_nest, 0, 0);
	calls = depth = max_depth = 0;
	raise(SIGUSR1);
	printf("deferred: calls %d deepest %d\n", (int)calls, (int)max_depth);
	CHECK(calls == 3 && max_depth == 1);
}

/* ---- SA_SIGINFO: the siginfo the kernel filled ---- */

static struct {
	int signo, code, value, pid_ok, uid_ok, uc_ok;
} seen[8];
static volatile sig_atomic_t nseen;

static void
h_siginfo(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	if (nseen >= 8)
		return;
	seen[nseen].signo = si->si_signo == sig ? sig : -1;
	seen[nseen].code = si->si_code;
	seen[nseen].value = si->si_code == SI_QUEUE ? si->si_value.sival_int : 0;
	seen[nseen].pid_ok = si->si_pid == getpid();
	seen[nseen].uid_ok = si->si_uid == getuid();
	/* The interrupted mask, as it was: USR2 blocked by main. */
	seen[nseen].uc_ok = uc != NULL && sigismember(&uc->uc_sigmask, SIGUSR2);
	nseen++;
}

static const char *
code_name(int code)
{
	switch (code) {
	case SI_USER: return "SI_USER";
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TKILL: return "SI_TKILL";
	default: return "other";
	}
}

static void
siginfo(void)
{
	install(SIGUSR1, h_siginfo, SA_SIGINFO, 0);
	install(SIGRTMIN, h_siginfo, SA_SIGINFO, 0);
	block(SIGUSR2);
	sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 42 });
	kill(getpid(), SIGUSR1);
	raise(SIGUSR1);
	/* Queued real-time signals arrive in order, each with its value. */
	block(SIGRTMIN);
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = i });
	unblock(SIGRTMIN);
	unblock(SIGUSR2);
	for (int i = 0; i < nseen; i++)
		printf("signo %s code %s value %d pid %d uid %d uc %d\n",
		    seen[i].signo == SIGUSR1 ? "USR1" :
		    seen[i].signo == SIGRTMIN ? "RTMIN" : "?",
		    code_name(seen[i].code), seen[i].value, seen[i].pid_ok,
		    seen[i].uid_ok, seen[i].uc_ok);
	CHECK(nseen == 6 && seen[0].value == 42 && seen[5].value == 3);
}

/* ---- errno across handlers and wrappers ---- */

static void
h_quiet(int sig)
{
	/* Goes through the validator, leaves errno alone. */
	(void)sig;
	pthread_spin_lock(&spin_S);
	pthread_spin_unlock(&spin_S);
}

static void
h_sets_errno(int sig)
{
	(void)sig;
	errno = EIO; /* bad manners, seen by the interrupted code */
}

static void
errno_kept(void)
{
	sigset_t s, old;

	install(SIGUSR1, h_quiet, 0, 0);
	install(SIGUSR2, h_sets_errno, 0, 0);
	errno = ERANGE;
	raise(SIGUSR1);
	printf("after a quiet handler: %d\n", errno);
	CHECK(errno == ERANGE);
	errno = ERANGE;
	raise(SIGUSR2);
	printf("after a handler that sets errno: %d\n", errno);
	CHECK(errno == EIO);

	set1(&s, SIGHUP);
	errno = 777;
	pthread_sigmask(SIG_BLOCK, &s, &old);
	printf("pthread_sigmask: %d\n", errno);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	printf("pthread_sigmask: %d\n", errno);
	sigprocmask(SIG_BLOCK, &s, NULL);
	printf("sigprocmask: %d\n", errno);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	printf("sigprocmask: %d\n", errno);
	install(SIGHUP, h_quiet, 0, 0);
	printf("sigaction: %d\n", errno);
	signal(SIGHUP, h_quiet);
	printf("signal: %d\n", errno);
	pthread_mutex_lock(&mutex_A);
	pthread_mutex_unlock(&mutex_A);
	printf("mutex: %d\n", errno);
	CHECK(errno == 777);
	int rc = pthread_sigmask(99, &s, NULL);
	printf("pthread_sigmask(99): %d errno %d\n", rc, errno);
	rc = sigprocmask(99, &s, NULL);
	printf("sigprocmask(99): %d errno %d\n", rc, errno);
}

/* ---- a handler left by siglongjmp; the thread goes on locking ---- */

static sigjmp_buf jb;
static jmp_buf jb_plain;

static void
h_jump(int sig)
{
	(void)sig;
	pthread_spin_lock(&spin_S);
	pthread_spin_unlock(&spin_S);
	siglongjmp(jb, 1);
}

static void
h_raise_usr2(int sig)
{
	(void)sig;
	raise(SIGUSR2);
}

/* No lock: spin_S is USR1's (taken with USR2 deliverable in h_jump). */
static void
h_jump_only(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static void
h_longjmp(int sig)
{
	(void)sig;
	longjmp(jb_plain, 1);
}

static void
h__longjmp(int sig)
{
	(void)sig;
	_longjmp(jb_plain, 1);
}

static void
h_longjmp_chk(int sig)
{
	(void)sig;
	__longjmp_chk(jb, 1);
}

static void
lock_mutexes(void)
{
	for (int i = 0; i < 3; i++) {
		pthread_mutex_lock(&mutex_A);
		pthread_mutex_lock(&mutex_B);
		pthread_mutex_unlock(&mutex_B);
		pthread_mutex_unlock(&mutex_A);
	}
}

static void
jumps(void)
{
	volatile int jumped = 0;

	install(SIGUSR1, h_jump, 0, 0);
	/* More jumps than the core keeps nested handler frames. */
	for (int i = 0; i < 40; i++) {
		if (sigsetjmp(jb, 1) == 0)
			raise(SIGUSR1);
		else
			jumped++;
	}
	printf("siglongjmp: %d jumps, USR1 blocked %d\n", jumped,
	    !!(mask_now() & bit(SIGUSR1)));
	lock_mutexes();

	/* A jump out of two nested handlers. */
	install(SIGUSR2, h_jump_only, 0, 0);
	install(SIGUSR1, h_raise_usr2, 0, 0);
	if (sigsetjmp(jb, 1) == 0)
		raise(SIGUSR1);
	printf("nested: USR1 blocked %d USR2 blocked %d\n",
	    !!(mask_now() & bit(SIGUSR1)), !!(mask_now() & bit(SIGUSR2)));
	lock_mutexes();

	/* glibc's setjmp() is _setjmp(): neither saves the mask, and the
	 * handler's stays. */
	install(SIGUSR1, h_longjmp, 0, 0);
	if (setjmp(jb_plain) == 0)
		raise(SIGUSR1);
	printf("setjmp/longjmp: USR1 blocked %d\n", !!(mask_now() & bit(SIGUSR1)));
	unblock(SIGUSR1);
	lock_mutexes();
	install(SIGUSR1, h__longjmp, 0, 0);
	if (_setjmp(jb_plain) == 0)
		raise(SIGUSR1);
	printf("_setjmp/_longjmp: USR1 blocked %d\n", !!(mask_now() & bit(SIGUSR1)));
	unblock(SIGUSR1);
	lock_mutexes();
	install(SIGUSR1, h_longjmp_chk, 0, 0);
	if (sigsetjmp(jb, 1) == 0)
		raise(SIGUSR1);
	printf("__longjmp_chk: USR1 blocked %d\n", !!(mask_now() & bit(SIGUSR1)));
	lock_mutexes();

	/* Taking spin_S with USR1 blocked, as an irq-safe lock must be. */
	block(SIGUSR1);
	pthread_spin_lock(&spin_S);
	pthread_spin_unlock(&spin_S);
	unblock(SIGUSR1);
	printf("done\n");
}

/* ---- waits with a temporary mask ---- */

static pthread_t main_thread;
static pid_t main_tid;

static void *
kick(void *arg)
{
	(void)arg;
	/* Sent early, it stays pending: the wait ends just the same. */
	wait_in_syscall(main_tid, SYS_rt_sigsuspend);
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

static void
waits(void)
{
	sigset_t during;
	struct timespec ts = { 5, 0 };
	int rc, epfd = epoll_create1(0);
	struct epoll_event ev;

	install(SIGUSR1, h_lock, 0, 0);
	block(SIGUSR1);
	pthread_sigmask(SIG_BLOCK, NULL, &during);
	sigdelset(&during, SIGUSR1);
	calls = 0;

	/* Pending before the wait: each call returns at once. */
	pthread_mutex_lock(&mutex_A);
	raise(SIGUSR1);
	rc = sigsuspend(&during);
	printf("sigsuspend: %d errno %d calls %d\n", rc, errno, (int)calls);
	raise(SIGUSR1);
	rc = ppoll(NULL, 0, &ts, &during);
	printf("ppoll: %d errno %d calls %d\n", rc, errno, (int)calls);
	raise(SIGUSR1);
	rc = pselect(0, NULL, NULL, NULL, &ts, &during);
	printf("pselect: %d errno %d calls %d\n", rc, errno, (int)calls);
	raise(SIGUSR1);
	rc = epoll_pwait(epfd, &ev, 1, 5000, &during);
	printf("epoll_pwait: %d errno %d calls %d\n", rc, errno, (int)calls);
	raise(SIGUSR1);
	rc = sigpause(SIGUSR1);
	printf("sigpause: %d errno %d calls %d\n", rc, errno, (int)calls);
	pthread_mutex_unlock(&mutex_A);

	/* Woken by another thread. */
	pthread_t t;
	main_thread = pthread_self();
	main_tid = (pid_t)syscall(SYS_gettid);
	pthread_create(&t, NULL, kick, NULL);
	rc = sigsuspend(&during);
	pthread_join(t, NULL);
	printf("sigsuspend woken: %d errno %d calls %d\n", rc, errno, (int)calls);
	CHECK(calls == 6);
	printf("USR1 still blocked %d\n", !!(mask_now() & bit(SIGUSR1)));

	/* A zero timeout with nothing pending. */
	ts.tv_sec = 0;
	rc = ppoll(NULL, 0, &ts, &during);
	printf("ppoll, no wait: %d\n", rc);
	pthread_spin_lock(&spin_S);
	pthread_spin_unlock(&spin_S);
	unblock(SIGUSR1);
	close(epfd);
}

/* ---- masks: what is set is what is read back ---- */

static void
print_mask(const char *what)
{
	printf("%s: %#llx\n", what, (unsigned long long)mask_now());
}

/* spin_S taken with USR1 blocked by some means; then the handler takes
 * it.  If the core missed the block, it would see the lock taken with
 * the interrupt on. */
static void
locked_blocked(void)
{
	pthread_spin_lock(&spin_S);
	pthread_spin_unlock(&spin_S);
}

static void
masks(void)
{
	sigset_t s, o;
	int rc;

	install(SIGUSR1, h_lock, 0, 0);
	print_mask("initial");
	set1(&s, SIGUSR1);
	rc = pthread_sigmask(SIG_BLOCK, &s, &o);
	printf("block USR1: %d old %#llx\n", rc, (unsigned long long)word(&o));
	locked_blocked();
	print_mask("blocked USR1");
	set1(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, &o);
	printf("block USR2, old: %#llx\n", (unsigned long long)word(&o));
	print_mask("blocked USR1 USR2");
	set1(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	print_mask("unblocked USR1");
	set1(&s, SIGHUP);
	sigaddset(&s, SIGKILL);
	sigaddset(&s, SIGSTOP);
	sigprocmask(SIG_SETMASK, &s, &o);
	printf("setmask HUP KILL STOP, old %#llx\n", (unsigned long long)word(&o));
	print_mask("now");
	sigfillset(&s);
	pthread_sigmask(SIG_SETMASK, &s, NULL);
	print_mask("all");
	sigemptyset(&s);
	sigprocmask(SIG_SETMASK, &s, NULL);
	print_mask("none");
	calls = 0;
	raise(SIGUSR1);

	/* The System V and BSD ways. */
	sighold(SIGUSR1);
	print_mask("sighold");
	locked_blocked();
	sigrelse(SIGUSR1);
	print_mask("sigrelse");
	raise(SIGUSR1);
	printf("sigblock: old %#x\n", sigblock(1 << (SIGUSR1 - 1)));
	print_mask("sigblock");
	locked_blocked();
	printf("sigsetmask: old %#x\n", sigsetmask(0));
	print_mask("sigsetmask");
	raise(SIGUSR1);

	/* sigset: SIG_HOLD blocks and returns the handler, or SIG_HOLD if
	 * the signal was blocked; installing unblocks. */
	__sighandler_t r = sigset(SIGUSR1, SIG_HOLD);
	printf("sigset(SIG_HOLD) -> %s\n", hname((void *)r));
	r = sigset(SIGUSR1, SIG_HOLD);
	printf("sigset(SIG_HOLD) again -> %s\n", hname((void *)r));
	print_mask("held");
	locked_blocked();
	r = sigset(SIGUSR1, h_lock);
	printf("sigset(h_lock) -> %s\n", hname((void *)r));
	print_mask("released");
	show("sigset", SIGUSR1);
	r = sigset(SIGUSR1, h_lock);
	printf("sigset(h_lock) again -> %s\n", hname((void *)r));
	raise(SIGUSR1);
	r = sigset(SIGUSR2, SIG_IGN);
	printf("sigset(USR2, SIG_IGN) -> %s\n", hname((void *)r));
	errno = 0;
	r = sigset(0, h_lock);
	printf("sigset(0) -> %s errno %d\n", hname((void *)r), errno);
	errno = 0;
	r = sigset(SIGKILL, SIG_HOLD);
	printf("sigset(SIGKILL, SIG_HOLD) -> %s errno %d\n", hname((void *)r),
	    errno);
	print_mask("end");
	printf("calls %d\n", (int)calls);
	CHECK(calls == 4);
}

/* ---- a JIT: faults on a PROT_NONE page, fixed up by the handler ---- */

static char *region;
static size_t page;
static volatile sig_atomic_t faults;

static void
h_segv(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;

	(void)uc;
	if (si->si_code <= 0 || a < region || a >= region + 4 * page) {
		signal(sig, SIG_DFL); /* a real crash */
		return;
	}
	/* A fault is not an interrupt: the lock is not irq-safe. */
	pthread_spin_lock(&spin_S);
	mprotect(region + (size_t)(a - region) / page * page, page,
	    PROT_READ | PROT_WRITE);
	faults++;
	pthread_spin_unlock(&spin_S);
}

static void
jit(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	region = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	install(SIGSEGV, h_segv, SA_SIGINFO, 0);
	int sum = 0;
	for (int i = 0; i < 4; i++) {
		/* The lock, with SIGSEGV deliverable. */
		pthread_spin_lock(&spin_S);
		pthread_spin_unlock(&spin_S);
		region[i * page] = (char)(i + 1);
		sum += region[i * page + 1] + region[i * page];
	}
	printf("faults %d sum %d\n", (int)faults, sum);
	CHECK(faults == 4 && sum == 10);
}

/* ---- signalfd: signals blocked, read from a descriptor ---- */

static int counter;

static void *
sfd_worker(void *arg)
{
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&mutex_A);
		pthread_spin_lock(&spin_S);
		counter++;
		pthread_spin_unlock(&spin_S);
		pthread_mutex_unlock(&mutex_A);
	}
	sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = (int)(intptr_t)arg });
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

static void
sfd(void)
{
	sigset_t s;
	pthread_t t[2];

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, SFD_CLOEXEC);
	main_thread = pthread_self();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, sfd_worker, (void *)(intptr_t)(i + 1));
	int sum = 0, rt = 0, usr1 = 0;
	while (rt < 2 || usr1 < 1) {
		struct signalfd_siginfo si;
		if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			break;
		pthread_mutex_lock(&mutex_A);
		if ((int)si.ssi_signo == SIGRTMIN) {
			rt++;
			sum += si.ssi_int;
		} else if (si.ssi_signo == SIGUSR1) {
			usr1++;
		}
		pthread_mutex_unlock(&mutex_A);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("signalfd: %d queued, values %d, USR1 seen %d, counter %d\n",
	    rt, sum, usr1 > 0, counter);
	CHECK(rt == 2 && sum == 3 && counter == 400);
	close(fd);
}

/* ---- a handler that only sets a flag, while the program locks ---- */

static volatile sig_atomic_t flag;
static int stop;

static void
h_flag(int sig)
{
	(void)sig;
	flag = 1;
}

static void *
pester(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		pthread_kill(main_thread, SIGUSR1);
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
flag_only(void)
{
	pthread_t t;
	long n = 0;
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

	install(SIGUSR1, h_flag, SA_RESTART, 0);
	main_thread = pthread_self();
	pthread_create(&t, NULL, pester, NULL);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE) || n < 1000) {
		pthread_mutex_lock(&mutex_A);
		pthread_rwlock_rdlock(&rw);
		pthread_spin_lock(&spin_S);
		n++;
		pthread_spin_unlock(&spin_S);
		pthread_rwlock_unlock(&rw);
		pthread_mutex_unlock(&mutex_A);
	}
	pthread_join(t, NULL);
	printf("flag set %d\n", (int)flag);
	CHECK(flag == 1);
}

/* ---- SA_ONSTACK: handlers on a sigaltstack ---- */

static char *alt;
static size_t alt_size = 64 * 1024;
static volatile sig_atomic_t on_alt, ss_onstack;

/* Where does the handler run? */
static __attribute__((noinline)) void
where(void)
{
	char here;
	stack_t cur;

	on_alt = &here >= alt && &here < alt + alt_size;
	ss_onstack = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK);
	calls++;
}

static void
h_alt(int sig)
{
	(void)sig;
	where();
	pthread_spin_lock(&spin_S);
	pthread_spin_unlock(&spin_S);
}

/* No lock: spin_S is USR1's. */
static void
h_alt_jump(int sig)
{
	(void)sig;
	where();
	siglongjmp(jb, 1);
}

static void
altstack(void)
{
	stack_t ss = { .ss_sp = NULL, .ss_flags = 0, .ss_size = 0 };

	alt = mmap(NULL, alt_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ss.ss_sp = alt;
	ss.ss_size = alt_size;
	CHECK(sigaltstack(&ss, NULL) == 0);
	install(SIGUSR1, h_alt, SA_ONSTACK, 0);
	show("onstack", SIGUSR1);
	block(SIGUSR1);
	locked_blocked();
	unblock(SIGUSR1);
	calls = 0;
	raise(SIGUSR1);
	printf("on the altstack %d, SS_ONSTACK %d\n", (int)on_alt, (int)ss_onstack);
	CHECK(on_alt && ss_onstack);

	/* Left by a jump, twice: the second handler starts afresh at the
	 * top of the altstack. */
	install(SIGUSR2, h_alt_jump, SA_ONSTACK, 0);
	for (int i = 0; i < 2; i++)
		if (sigsetjmp(jb, 1) == 0)
			raise(SIGUSR2);
	printf("after the jumps: on the altstack %d\n", (int)on_alt);
	lock_mutexes();
	raise(SIGUSR1);

	/* Without SA_ONSTACK: the thread's stack. */
	install(SIGUSR1, h_alt, 0, 0);
	raise(SIGUSR1);
	printf("without SA_ONSTACK: on the altstack %d\n", (int)on_alt);
	printf("calls %d\n", (int)calls);
	CHECK(calls == 5);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

/* ---- SA_RESTART: a read interrupted by a handler ---- */

static int pipefd[2];

static void *
interrupt_read(void *arg)
{
	(void)arg;
	wait_in_syscall(main_tid, SYS_read);
	pthread_kill(main_thread, SIGUSR1);
	/* Let the handler run, and read() return or restart. */
	while (calls == 0)
		sched_yield();
	wait_in_syscall(main_tid, SYS_read);
	if (write(pipefd[1], "x", 1) != 1)
		abort();
	return NULL;
}

static void
restart(void)
{
	main_thread = pthread_self();
	main_tid = (pid_t)syscall(SYS_gettid);
	for (int r = 0; r < 2; r++) {
		pthread_t t;
		char c;

		if (pipe(pipefd) != 0)
			abort();
		install(SIGUSR1, h_count, r ? SA_RESTART : 0, 0);
		calls = 0;
		pthread_create(&t, NULL, interrupt_read, NULL);
		ssize_t n = read(pipefd[0], &c, 1);
		int e = errno;
		if (n < 0) {
			/* Interrupted: the writer still writes. */
			n = read(pipefd[0], &c, 1);
		}
		pthread_join(t, NULL);
		printf("%s: first read %s, calls %d\n",
		    r ? "SA_RESTART" : "no SA_RESTART",
		    e == EINTR ? "EINTR" : "data", (int)calls);
		close(pipefd[0]);
		close(pipefd[1]);
		errno = 0;
	}
}


/* ---- queued signals at a thread busy in lock calls ---- */

#define STORM 5000

static volatile uint8_t storm_seen[STORM];
static volatile sig_atomic_t storm_bad, storm_calls, storm_stop;

static void
h_storm(int sig, siginfo_t *si, void *uc)
{
	int v = si->si_value.sival_int;

	(void)sig;
	(void)uc;
	if (si->si_code != SI_QUEUE || si->si_pid != getpid() || v < 0 ||
	    v >= STORM || storm_seen[v])
		storm_bad++;
	else
		storm_seen[v] = 1;
	pthread_spin_lock(&spin_S);
	storm_calls++;
	pthread_spin_unlock(&spin_S);
}

static void *
storm_worker(void *arg)
{
	(void)arg;
	while (!storm_stop) {
		pthread_mutex_t *m = malloc(sizeof(*m));
		if (m == NULL)
			abort();
		pthread_mutex_lock(&mutex_A);
		pthread_mutex_lock(&mutex_B);
		pthread_mutex_unlock(&mutex_B);
		pthread_mutex_unlock(&mutex_A);
		pthread_mutex_init(m, NULL);
		pthread_mutex_lock(m);
		pthread_mutex_unlock(m);
		pthread_mutex_destroy(m);
		free(m);
	}
	return NULL;
}

static void
deferred(void)
{
	int sig = SIGRTMIN + 2;
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h_storm;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(sig, &sa, NULL);
	/* Sent to the worker thread only (pthread_sigqueue). */
	pthread_create(&t, NULL, storm_worker, NULL);
	for (int i = 0; i < STORM; i++) {
		union sigval v = { .sival_int = i };
		/* A few at a time: signals queued together are all delivered
		 * at one point of the worker; these land at many. */
		while (storm_calls < i - 4)
			sched_yield();
		while (pthread_sigqueue(t, sig, v) != 0)
			sched_yield();
	}
	for (int ms = 0; storm_calls < STORM && ms < 20000; ms++)
		usleep(1000);
	storm_stop = 1;
	pthread_join(t, NULL);
	printf("deferred: %d signals queued, %d handled, %d twice or with "
	       "a wrong siginfo\n", STORM, (int)storm_calls, (int)storm_bad);
	CHECK(storm_calls == STORM && storm_bad == 0);
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "readback", readback },
	{ "handler_mask", handler_mask },
	{ "signal_chain", signal_chain },
	{ "sysv", sysv },
	{ "nodefer", nodefer },
	{ "siginfo", siginfo },
	{ "errno", errno_kept },
	{ "jumps", jumps },
	{ "waits", waits },
	{ "masks", masks },
	{ "jit", jit },
	{ "signalfd", sfd },
	{ "flag_only", flag_only },
	{ "altstack", altstack },
	{ "restart", restart },
	{ "deferred", deferred },
};

int
main(int argc, char **argv)
{
	pthread_spin_init(&spin_S, PTHREAD_PROCESS_PRIVATE);
	for (size_t i = 0; argc > 1 && i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].fn();
			return failed;
		}
	fprintf(stderr, "usage: %s SCENARIO\nscenarios:", argv[0]);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(stderr, " %s", scenarios[i].name);
	fprintf(stderr, "\n");
	return 2;
}
