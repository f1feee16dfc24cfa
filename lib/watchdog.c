/*
 * watchdog.c: the thread that finds waits that last too long.
 */
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "deepstack.h"
#include "mutex.h"
#include "options.h"
#include "out.h"
#include "report.h"
#include "stack.h"
#include "symbols.h"
#include "thread.h"

int uld__watchdog_running;
/* The watchdog thread runs its own code: its start is over. */
static int watchdog_up;

/* ---- sampling another thread's stack ---- */

/* One sample at a time: the watchdog is the only sampler. */
static volatile pid_t sample_tid;
static void *sample_ips[ULD_STACK_MAX + 8];
static volatile int sample_n;
static volatile int sample_done;

static void
sample_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)sig;
	(void)si;
	(void)uc;
	if (uld__gettid() == sample_tid && !sample_done) {
		/* libunwind takes pthread locks: not the program's. */
		uld__self.in_uld++;
		sample_n = uld__stack_unwind(sample_ips,
		    (int)(sizeof(sample_ips) / sizeof(sample_ips[0])));
		uld__self.in_uld--;
		__atomic_store_n(&sample_done, 1, __ATOMIC_RELEASE);
	}
	errno = saved;
}

/* Is `sig` blocked in thread `tid`?  From /proc: SigBlk is a hex mask. */
static int
signal_blocked(pid_t tid, int sig)
{
	char buf[2048];

	if (uld__thread_read_proc(tid, "status", buf, sizeof(buf)) <= 0)
		return 0;
	const char *p = strstr(buf, "SigBlk:");
	if (p == NULL)
		return 0;
	unsigned long long mask = strtoull(p + 7, NULL, 16);
	return (mask >> (sig - 1)) & 1;
}

/*
 * A thread blocked in a system call: its user PC and SP from
 * /proc/self/task/TID/syscall ("nr args... sp pc"); 0 if it is running
 * (or the file cannot be read).
 */
static int
syscall_regs(pid_t tid, uintptr_t *sp, uintptr_t *pc)
{
	char buf[512];

	if (uld__thread_read_proc(tid, "syscall", buf, sizeof(buf)) <= 0 ||
	    buf[0] < '0' || buf[0] > '9')
		return 0; /* "running", or "-1 sp pc" (blocked, no syscall) */
	/* The last two fields are sp and pc. */
	char *last = strrchr(buf, ' ');
	if (last == NULL)
		return 0;
	*pc = strtoull(last + 1, NULL, 16);
	*last = '\0';
	char *prev = strrchr(buf, ' ');
	if (prev == NULL)
		return 0;
	*sp = strtoull(prev + 1, NULL, 16);
	return *pc != 0 && *sp != 0;
}

/* Does a call instruction end right before `ra`?  (x86-64 encodings.) */
static int
after_call(uintptr_t ra)
{
	unsigned char code[8];
	struct iovec local = { code, sizeof(code) };
	struct iovec remote = { (void *)(ra - sizeof(code)), sizeof(code) };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) !=
	    (ssize_t)sizeof(code))
		return 0;
	return code[3] == 0xe8 ||				/* call rel32 */
	    (code[6] == 0xff && (code[7] & 0x38) == 0x10) ||	/* call *reg */
	    (code[5] == 0xff && (code[6] & 0x38) == 0x10) ||	/* call *(reg) */
	    (code[2] == 0xff && (code[3] & 0x38) == 0x10);	/* call *d32 */
}

/*
 * Where a thread blocked in a system call is, without interrupting it: its
 * PC, then the return addresses found scanning its stack upward from SP
 * (words that point just after a call instruction in a loaded module).
 * The stack is read with process_vm_readv, which fails cleanly instead of
 * faulting.  A scan can show a stale frame or two; lockup reports say so.
 */
static int
scan_stack(uintptr_t sp, uintptr_t pc, void **ips, int max)
{
	uintptr_t words[1024];
	struct iovec local = { words, sizeof(words) };
	struct iovec remote = { (void *)sp, sizeof(words) };
	ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	int k = 0;

	static const char *const self[] = { "libulockdep", NULL };

	ips[k++] = (void *)pc;
	for (size_t i = 0; got > 0 && i < (size_t)got / sizeof(words[0]) &&
	    k < max; i++) {
		struct uld__symbol s;
		uintptr_t w = words[i];
		/* In code, not in a module's data, where the bytes before
		 * a pointer can look like a call too (watchdog.sh once
		 * showed cases' _fini+15092 from one). */
		if (w < 4096 || uld__sym_function((void *)(w - 1), &s) != 0 ||
		    !uld__sym_is_code((void *)(w - 1)) || !after_call(w) ||
		    uld__sym_in_module((void *)w, self))
			continue;
		ips[k++] = (void *)w;
	}
	return k;
}

/*
 * Where thread `tid` is now, into ips; returns the number of frames, 0 if
 * it could not be found (*blocked: the sampling signal is blocked in it;
 * *scanned: the frames come from a stack scan).
 * A thread in a system call is read from /proc and its stack (a signal
 * would interrupt its sleep with EINTR and change the program); a thread
 * running in user space (spinning) is asked with ULD_SAMPLE_SIGNAL.
 */
static int
sample(pid_t tid, void **ips, int max, int *blocked, int *scanned)
{
	uintptr_t sp, pc;

	*blocked = 0;
	*scanned = syscall_regs(tid, &sp, &pc);
	if (*scanned)
		return scan_stack(sp, pc, ips, max);
	*blocked = signal_blocked(tid, ULD_SAMPLE_SIGNAL);
	if (*blocked)
		return 0;
	sample_done = 0;
	sample_n = 0;
	sample_tid = tid;
	if (syscall(SYS_tgkill, getpid(), tid, ULD_SAMPLE_SIGNAL) != 0)
		return 0;
	for (int i = 0; i < 100 && !__atomic_load_n(&sample_done,
	    __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = { 0, 1000000 };
		syscall(SYS_nanosleep, &ts, NULL);
	}
	sample_tid = 0;
	if (!sample_done) {
		/* Blocked meanwhile, or stuck with signals held off. */
		*blocked = signal_blocked(tid, ULD_SAMPLE_SIGNAL);
		return 0;
	}
	static const char *const self[] = { "libulockdep", NULL };
	int i = 0, n = sample_n, k = 0;
	while (i < n && uld__sym_in_module(sample_ips[i], self))
		i++;
	i++; /* the signal trampoline (__restore_rt) */
	/* Frames that the validator itself called (its spin loop reads the
	 * clock through the vDSO) are not the program's: skip to our frame. */
	static const char *const callees[] = { "linux-vdso", "libc.so", NULL };
	int j = i;
	while (j < n && uld__sym_in_module(sample_ips[j], callees))
		j++;
	if (j > i && j < n && uld__sym_in_module(sample_ips[j], self))
		i = j;
	/* The program's frames only: not our interceptors on its stack.  A
	 * thread caught inside the vDSO shows the entry it called
	 * (clock_gettime): the vDSO's inner helpers have no symbols to name
	 * them by (the kernel maps it without .symtab). */
	static const char *const vdso[] = { "linux-vdso", NULL };
	for (; i < n && k < max; i++) {
		if (uld__sym_in_module(sample_ips[i], self))
			continue;
		if (i + 1 < n && uld__sym_in_module(sample_ips[i], vdso) &&
		    uld__sym_in_module(sample_ips[i + 1], vdso))
			continue;
		ips[k++] = sample_ips[i];
	}
	return k;
}

/* ---- tracking waits ---- */

struct tracked {
	pid_t tid;
	uint32_t seq;
	struct timespec since;
	int spin_reported, lockup_reported, seen;
};

static struct tracked *tracked;
static size_t ntracked, tracked_cap;

static long
ms_since(const struct timespec *a, const struct timespec *now)
{
	return (now->tv_sec - a->tv_sec) * 1000L +
	    (now->tv_nsec - a->tv_nsec) / 1000000L;
}

static struct tracked *
track(const struct uld__wait *w, const struct timespec *now)
{
	for (size_t i = 0; i < ntracked; i++)
		if (tracked[i].tid == w->tid && tracked[i].seq == w->seq) {
			tracked[i].seen = 1;
			return &tracked[i];
		}
	if (ntracked == tracked_cap) {
		size_t ncap = tracked_cap ? tracked_cap * 2 : 16;
		struct tracked *n = uld__realloc(tracked, ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		tracked = n;
		tracked_cap = ncap;
	}
	struct tracked *t = &tracked[ntracked++];
	memset(t, 0, sizeof(*t));
	t->tid = w->tid;
	t->seq = w->seq;
	t->since = *now;
	t->seen = 1;
	return t;
}

/* Forget waits that ended. */
static void
sweep(void)
{
	size_t k = 0;

	for (size_t i = 0; i < ntracked; i++)
		if (tracked[i].seen) {
			tracked[i].seen = 0;
			tracked[k++] = tracked[i];
		}
	ntracked = k;
}

/* ---- the report ---- */

/* A report is being written: exit waits for it (uld__watchdog_quiesce). */
static int reporting;

static void report_wait(enum uld__report_kind kind, const struct uld__wait *w,
    long waited_ms);

static void
report(enum uld__report_kind kind, const struct uld__wait *w, long waited_ms)
{
	__atomic_store_n(&reporting, 1, __ATOMIC_RELEASE);
	report_wait(kind, w, waited_ms);
	__atomic_store_n(&reporting, 0, __ATOMIC_RELEASE);
}

static void
report_wait(enum uld__report_kind kind, const struct uld__wait *w,
    long waited_ms)
{
	struct uld__thread shadow;
	void *waiter_ips[ULD_STACK_MAX], *owner_ips[ULD_STACK_MAX];
	int waiter_blocked = 0, owner_blocked = 0;
	int waiter_scanned = 0, owner_scanned = 0;
	int nw = sample(w->tid, waiter_ips, ULD_STACK_MAX, &waiter_blocked,
	    &waiter_scanned);
	int no = w->owner ? sample(w->owner, owner_ips, ULD_STACK_MAX,
				  &owner_blocked, &owner_scanned)
			  : 0;
	struct uld__report r;
	struct uld__buf m;
	sigset_t old;

	/* The report is about the waiter: its held locks, its name. */
	memset(&shadow, 0, sizeof(shadow));
	shadow.held = (struct uld__held *)w->held;
	shadow.depth = w->depth;
	shadow.tid = w->tid;

	uld__graph_enter(&old);
	uld__report_begin(&r, kind, &shadow);
	r.tid = w->tid;
	memcpy(r.thread, w->thread, sizeof(r.thread));
	/* The lock waited for is the waiter's top held entry. */
	for (uint32_t i = w->depth; i-- > 0;)
		if (w->held[i].lock == w->lock) {
			const struct uld__held *h = &w->held[i];
			uld__report_add_lock(&r, h->class, w->lock, h->type,
			    h->read, h->ip);
			uld__report_sig_add(&r, uld__class_name(h->class));
			shadow.depth = i; /* held list: what it already had */
			break;
		}
	struct uld__rstack *s = uld__report_add_stack(&r, "waiter", waiter_ips,
	    (uint32_t)nw);
	r.other_owner = w->owner;
	memcpy(r.other_thread, w->owner_thread, sizeof(r.other_thread));
	r.owner_ip = w->owner_ip;
	r.waited_ms = waited_ms;
	r.waiter_blocked = waiter_blocked;
	r.owner_blocked = owner_blocked;
	r.waiter_scanned = waiter_scanned;
	r.owner_scanned = owner_scanned;
	if (w->owner) {
		s = uld__report_add_stack(&r, "owner", owner_ips, (uint32_t)no);
		s->tid = w->owner;
		memcpy(s->thread, w->owner_thread, sizeof(s->thread));
	}
	uld__buf_init(&m, r.message, sizeof(r.message));
	uld__buf_printf(&m, "%s/%d %s for %ld ms on %s", r.thread, (int)r.tid,
	    kind == ULD_REPORT_SPIN_TIMEOUT ? "has spun" : "has been stuck",
	    waited_ms, r.nlocks ? uld__class_name(r.locks[0].class) : "a lock");
	if (w->owner)
		uld__buf_printf(&m, ", held by %s/%d", w->owner_thread,
		    (int)w->owner);
	r.advice = w->owner
	    ? "the owner does not release the lock: see where it is now. A "
	      "thread that waits with the lock held (for another lock, a "
	      "signal, I/O) stalls every waiter."
	    : "no live thread holds this lock: it was left locked by a thread "
	      "that ended, or locked twice by the waiter itself.";
	if (r.nlocks > 0)
		uld__report_emit(&r);
	uld__graph_leave(&old);
}

/* ---- the thread ---- */

static void
scan(void)
{
	static struct uld__wait waits[64];
	struct timespec now;
	size_t n = uld__thread_waits(waits, 64);

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < n; i++) {
		const struct uld__wait *w = &waits[i];
		struct tracked *t = track(w, &now);
		if (t == NULL)
			continue;
		long ms = ms_since(&t->since, &now);
		if (uld__is_spin(w->type) && !t->spin_reported &&
		    ms >= uld__opts.spin_timeout_ms) {
			t->spin_reported = 1;
			report(ULD_REPORT_SPIN_TIMEOUT, w, ms);
		}
		if (!t->lockup_reported && ms >= uld__opts.lockup_s * 1000L) {
			t->lockup_reported = 1;
			report(ULD_REPORT_SOFT_LOCKUP, w, ms);
		}
	}
	sweep();
}

static void *
watchdog_main(void *arg)
{
	sigset_t all;

	(void)arg;
	__atomic_store_n(&watchdog_up, 1, __ATOMIC_RELEASE);
	/* Never validated; every signal blocked since it was created
	 * (uld__watchdog_start_slow), this only says so once more. */
	uld__self.in_uld = 1;
	/* Its own stack is a thread's default, deep enough for libdw; and
	 * it must not wait for the deep stack, which a handler's report
	 * holds while it waits for us (symframe.c). */
	uld__deep_exempt();
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	prctl(PR_SET_NAME, "ulockdep-wdog", 0, 0, 0);

	/* A few looks per threshold: a wait is reported at most a quarter
	 * threshold late. */
	long period = uld__opts.spin_timeout_ms / 4;
	if (period > uld__opts.lockup_s * 250L)
		period = uld__opts.lockup_s * 250L;
	if (period < 10)
		period = 10;
	if (period > 250)
		period = 250;
	/* The timer is a futex wait: a signal handler that needs a frame
	 * symbolized (libdw may not run in a handler) wakes us at once. */
	int *posted = uld__symframe_posted();
	for (;;) {
		struct timespec ts = { period / 1000, period % 1000 * 1000000L };
		int seen = __atomic_load_n(posted, __ATOMIC_ACQUIRE);
		syscall(SYS_futex, posted, FUTEX_WAIT_PRIVATE, seen, &ts, NULL,
		    0);
		uld__symframe_serve();
		scan();
	}
	return NULL;
}

extern int __sigaction(int, const struct sigaction *, struct sigaction *);

void
uld__watchdog_start_slow(void)
{
	int expected = 0;
	struct sigaction sa;
	pthread_attr_t attr;
	pthread_t t;

	if (!__atomic_compare_exchange_n(&uld__watchdog_running, &expected, 1,
	    0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sample_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	/* glibc's other name for sigaction: an interposer that wraps
	 * sigaction (ours does, to see handlers) must not wrap this one. */
	__sigaction(ULD_SAMPLE_SIGNAL, &sa, NULL);

	/*
	 * Created with every signal blocked, as it must stay: a thread
	 * starts with its creator's mask, and until it blocked them itself
	 * a process-directed signal could be given to it.  The program's
	 * handler then ran on our thread, and a main thread waiting for it
	 * in sigsuspend() waited for ever (examples/sles_softirq, once, on a
	 * loaded machine).  The raw system call: the creator's mask changes
	 * for an instant that its validated irq state need not see.
	 */
	sigset_t all, old;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	/* Detached, and it never holds the process up: exit ends it. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, watchdog_main, NULL) != 0)
		__atomic_store_n(&uld__watchdog_running, 0, __ATOMIC_RELAXED);
	pthread_attr_destroy(&attr);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

void
uld__watchdog_prefork(void)
{
	/* Bounded (some seconds at worst): a start that never comes must
	 * not hold the fork up for good. */
	for (int i = 0; i < 200000 &&
	    __atomic_load_n(&uld__watchdog_running, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&watchdog_up, __ATOMIC_ACQUIRE); i++)
		sched_yield();
}

void
uld__watchdog_atfork_child(void)
{
	watchdog_up = 0;
	uld__watchdog_running = 0;
	ntracked = 0;
	reporting = 0; /* the parent's, if it forked mid-report */
}

void
uld__watchdog_quiesce(void)
{
	/* Not from inside the validator: the watchdog may need a lock this
	 * thread holds.  (The watchdog itself runs inside it.) */
	if (uld__self.in_uld)
		return;
	/* Bounded: ten seconds at most, then exit goes on without it. */
	for (int i = 0; i < 10000 &&
	    __atomic_load_n(&reporting, __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = { 0, 1000000 };
		syscall(SYS_nanosleep, &ts, NULL);
	}
}
