// cxx_threads.cc: a C++ program with std::thread, for the soak (soak.sh).
//
// A work queue under a std::mutex and std::condition_variable feeds
// workers that update shards of a table, each shard under its own
// std::mutex; transfers between two shards take both with std::lock
// (which locks one and try_locks the other, in either order: legal, no
// report is due) or std::scoped_lock; a std::shared_mutex guards a
// lookup table read by all and written now and then; a
// std::recursive_mutex is re-entered; workers wait with a timeout
// (condition_variable::wait_for).  Every one of them is a pthread
// call in libstdc++, seen by the preload.
//
// The output depends only on the scale (argv[1]), never on how the
// threads interleave.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace {

constexpr int kShards = 16;
constexpr int kWorkers = 4;

struct Shard {
	std::mutex m;
	int64_t balance = 1000;
	uint64_t ops = 0;
};

Shard shards[kShards];
std::shared_mutex table_lock;
std::vector<int> table(256);
std::recursive_mutex rmutex;
uint64_t reentered;

std::mutex queue_lock;
std::condition_variable queue_cv;
std::deque<uint64_t> work;
bool closed;

uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

void
count_reentry(int depth)
{
	std::lock_guard<std::recursive_mutex> g(rmutex);
	if (depth > 0)
		count_reentry(depth - 1);
	else
		reentered++;
}

void
transfer(uint64_t job)
{
	uint64_t h = mix(job);
	int a = static_cast<int>(h % kShards);
	int b = static_cast<int>((h >> 8) % kShards);
	int amount;
	{
		std::shared_lock<std::shared_mutex> r(table_lock);
		amount = table[(h >> 16) % table.size()];
	}
	if (a == b) {
		std::lock_guard<std::mutex> g(shards[a].m);
		shards[a].ops++;
	} else if (job % 2) {
		std::unique_lock<std::mutex> la(shards[a].m, std::defer_lock);
		std::unique_lock<std::mutex> lb(shards[b].m, std::defer_lock);
		std::lock(la, lb);
		shards[a].balance -= amount;
		shards[b].balance += amount;
		shards[a].ops++;
		shards[b].ops++;
	} else {
		std::scoped_lock both(shards[a].m, shards[b].m);
		shards[a].balance -= amount;
		shards[b].balance += amount;
		shards[a].ops++;
		shards[b].ops++;
	}
	if (job % 64 == 0) {
		// Written under the write lock; the value depends only on the
		// index, so readers see the same amounts in any interleaving.
		std::unique_lock<std::shared_mutex> w(table_lock);
		size_t i = (h >> 24) % table.size();
		table[i] = static_cast<int>(i % 7 + 1);
	}
	if (job % 16 == 0)
		count_reentry(3);
}

void
worker()
{
	for (;;) {
		uint64_t job;
		{
			std::unique_lock<std::mutex> g(queue_lock);
			// A timed wait, as servers poll: pthread_cond_clockwait.
			while (!queue_cv.wait_for(g, std::chrono::milliseconds(50),
			    [] { return closed || !work.empty(); }))
				;
			if (work.empty())
				return;
			job = work.front();
			work.pop_front();
		}
		queue_cv.notify_all();
		transfer(job);
	}
}

} // namespace

int
main(int argc, char **argv)
{
	long scale = argc > 1 ? std::atol(argv[1]) : 1;
	uint64_t jobs = 50000 * static_cast<uint64_t>(scale);

	for (size_t i = 0; i < table.size(); i++)
		table[i] = static_cast<int>(i % 7 + 1);
	std::vector<std::thread> ts;
	for (int i = 0; i < kWorkers; i++)
		ts.emplace_back(worker);
	for (uint64_t j = 0; j < jobs; j++) {
		std::unique_lock<std::mutex> g(queue_lock);
		queue_cv.wait(g, [] { return work.size() < 256; });
		work.push_back(j);
		g.unlock();
		queue_cv.notify_one();
	}
	{
		std::lock_guard<std::mutex> g(queue_lock);
		closed = true;
	}
	queue_cv.notify_all();
	for (auto &t : ts)
		t.join();

	int64_t total = 0;
	uint64_t ops = 0, digest = 0;
	for (int i = 0; i < kShards; i++) {
		total += shards[i].balance;
		ops += shards[i].ops;
		digest = mix(digest ^ static_cast<uint64_t>(shards[i].balance));
	}
	std::printf("jobs=%llu ops=%llu total=%lld digest=%016llx reentered=%llu\n",
	    static_cast<unsigned long long>(jobs),
	    static_cast<unsigned long long>(ops), static_cast<long long>(total),
	    static_cast<unsigned long long>(digest),
	    static_cast<unsigned long long>(reentered));
	return 0;
}
