// cxx_waits.cc: the C++ standard library's waits under the preload.
//
//   cxx_waits SCENARIO
//
// libstdc++ makes std::condition_variable's timed waits with
// pthread_cond_clockwait (steady_clock), std::timed_mutex's with
// pthread_mutex_clocklock and std::thread::join with pthread_join: each
// is a sleep, reported under a spinlock (here a pthread spinlock, the
// only one C++ code has) and silent under a std::mutex.  cxx.sh checks
// the reports.  "coroutine" sleeps so in a function with a long C++
// name, on a coroutine's small stack.
#include <pthread.h>
#include <ucontext.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

// Outside the anonymous namespace: each K<n> in a mangled name is short,
// and a hundred of them still demangle to under 1,024 characters.
template <int> struct K {
};

namespace {

pthread_spinlock_t spin;
std::mutex outer;
std::mutex m;
std::condition_variable cv;
std::timed_mutex tm;

// Holds the spinlock (or, with spin false, the std::mutex outer) around fn.
template <typename F>
void
held(bool spin_held, F fn)
{
	if (spin_held)
		pthread_spin_lock(&spin);
	else
		outer.lock();
	fn();
	if (spin_held)
		pthread_spin_unlock(&spin);
	else
		outer.unlock();
}

void
wait_for(bool s)
{
	std::unique_lock<std::mutex> g(m);
	held(s, [&] { cv.wait_for(g, std::chrono::milliseconds(1)); });
}

void
wait_until(bool s)
{
	std::unique_lock<std::mutex> g(m);
	auto t = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
	held(s, [&] { cv.wait_until(g, t); });
}

void
try_lock_for(bool s)
{
	held(s, [] {
		if (tm.try_lock_for(std::chrono::milliseconds(1)))
			tm.unlock();
	});
}

void
join(bool s)
{
	std::thread t([] {});
	held(s, [&] { t.join(); });
}

// A lock class of the program's own, whose constructor initialises the
// pthread mutex: with init_wrappers naming the constructor by its C++
// name, each object is classed by the line that constructs it.  Out of
// line, as a library's constructor is: init_wrappers names the function
// that holds the init call, and an inlined one has none of its own (nor
// a tail call a return address in it: the result is checked).
class Lock {
public:
	__attribute__((noinline)) Lock()
	{
		if (pthread_mutex_init(&m_, nullptr) != 0)
			std::abort();
	}
	~Lock() { pthread_mutex_destroy(&m_); }
	void lock() { pthread_mutex_lock(&m_); }
	void unlock() { pthread_mutex_unlock(&m_); }

private:
	pthread_mutex_t m_;
};

void
nested(Lock &x, Lock &y)
{
	x.lock();
	y.lock();
	y.unlock();
	x.unlock();
}

// ABBA between two objects (reverse) or AB twice; the spinlock is unused.
void
ctor_order(bool reverse)
{
	Lock *a = new Lock; // construction of a
	Lock *b = new Lock; // construction of b
	nested(*a, *b);
	if (reverse)
		nested(*b, *a);
	else
		nested(*a, *b);
	delete b;
	delete a;
}

// A sleep in a function whose mangled name is some 800 characters long,
// on a coroutine's 32 KB stack: libiberty's demangler keeps arrays of
// twice that length on its stack, and the report is rendered here.
template <typename... Ts>
__attribute__((noinline)) void
long_name(bool s)
{
	held(s, [] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
	__asm__ volatile(""); // not a tail call: the frame stays
}

template <int... I>
void
call_long_name(bool s, std::integer_sequence<int, I...>)
{
	long_name<K<I>...>(s);
}

ucontext_t co_main, co_ctx;
bool co_spin;

void
co_start()
{
	call_long_name(co_spin, std::make_integer_sequence<int, 100>{});
}

void
coroutine(bool s)
{
	static char stack[32768];

	if (getcontext(&co_ctx) != 0)
		std::abort();
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = sizeof(stack);
	co_ctx.uc_link = &co_main;
	co_spin = s;
	makecontext(&co_ctx, co_start, 0);
	if (swapcontext(&co_main, &co_ctx) != 0)
		std::abort();
}

struct scenario {
	const char *name;
	void (*fn)(bool);
};
const scenario scenarios[] = {
	{ "wait_for", wait_for },
	{ "wait_until", wait_until },
	{ "try_lock_for", try_lock_for },
	{ "join", join },
	{ "ctor_order", ctor_order },
	{ "coroutine", coroutine },
};

} // namespace

int
main(int argc, char **argv)
{
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE); // init of the spinlock
	if (argc >= 3) {
		for (const scenario &s : scenarios) {
			if (std::strcmp(argv[1], s.name) == 0) {
				s.fn(std::strcmp(argv[2], "spin") == 0);
				return 0;
			}
		}
	}
	std::fprintf(stderr, "usage: cxx_waits wait_for|wait_until|"
	    "try_lock_for|join|coroutine spin|mutex, "
	    "cxx_waits ctor_order spin|mutex\n");
	return 2;
}
