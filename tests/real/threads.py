"""threads.py: a python3 program with threads, for the soak (soak.sh).

Producers feed a queue.Queue, consumers drain it into totals kept under a
Lock; a Condition hands batches from one stage to the next; an RLock is
re-entered; sqlite3 is used from several threads through one connection
(check_same_thread=False: the module's serialized mode) and through one
connection per thread.  Each of these is the interpreter taking its GIL and
libsqlite3 taking its mutexes: the pthread calls the preload watches.

The output depends only on SCALE (argv[1]), never on how the threads
interleave, so a bare run and a preloaded run must print the same bytes.
"""
import hashlib
import os
import queue
import sqlite3
import sys
import tempfile
import threading

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 1
N_ITEMS = 20000 * SCALE
N_PRODUCERS = 4
N_CONSUMERS = 4


def queue_stage():
    """Producers and consumers around one bounded queue."""
    q = queue.Queue(maxsize=64)
    totals = {"sum": 0, "count": 0, "digest": 0}
    lock = threading.Lock()

    def produce(k):
        for i in range(k, N_ITEMS, N_PRODUCERS):
            q.put(i)

    def consume():
        while True:
            i = q.get()
            if i is None:
                q.task_done()
                return
            h = int.from_bytes(hashlib.blake2b(str(i).encode(),
                                               digest_size=4).digest(), "big")
            with lock:
                totals["sum"] += i
                totals["count"] += 1
                totals["digest"] ^= h
            q.task_done()

    cons = [threading.Thread(target=consume) for _ in range(N_CONSUMERS)]
    prods = [threading.Thread(target=produce, args=(k,))
             for k in range(N_PRODUCERS)]
    for t in cons + prods:
        t.start()
    for t in prods:
        t.join()
    for _ in cons:
        q.put(None)
    q.join()
    for t in cons:
        t.join()
    return "queue: count=%d sum=%d digest=%08x" % (
        totals["count"], totals["sum"], totals["digest"])


def condition_stage():
    """A ring of participants, each waiting on one Condition for its turn:
    slot 0 (this thread) feeds the ring, slots 1..n_stages transform it."""
    n_stages = 4
    slots = n_stages + 1
    rounds = 500 * SCALE
    cond = threading.Condition()
    value = [0] * slots
    turn = [0]
    rlock = threading.RLock()
    reentered = [0]

    def take_turn(p, r, step):
        with cond:
            while turn[0] != r * slots + p:
                cond.wait()
            step()
            turn[0] += 1
            cond.notify_all()

    def stage(p):
        def step():
            value[p] = (value[p - 1] * 31 + p) % 1000003
        for r in range(rounds):
            take_turn(p, r, step)
            with rlock:
                with rlock:
                    reentered[0] += 1

    ts = [threading.Thread(target=stage, args=(p,)) for p in range(1, slots)]
    for t in ts:
        t.start()
    for r in range(rounds):
        def feed(r=r):
            value[0] = (value[n_stages] + r) % 1000003
        take_turn(0, r, feed)
    for t in ts:
        t.join()
    return "condition: rounds=%d last=%d reentered=%d" % (
        rounds, value[n_stages], reentered[0])


def sqlite_stage(path):
    """sqlite3 from threads: one shared connection, one per thread."""
    n_threads = 4
    rows = 500 * SCALE
    shared = sqlite3.connect(path, check_same_thread=False, timeout=30)
    # No fsync per commit: the soak measures locking, not the disk.
    shared.execute("pragma journal_mode=wal")
    shared.execute("pragma synchronous=off")
    shared.execute("create table t (k integer primary key, th integer, v text)")
    shared.commit()
    shared_lock = threading.Lock()

    def writer(th):
        # Half the rows through the shared connection (the module and
        # libsqlite3 serialize it), half through a connection of its own.
        own = sqlite3.connect(path, timeout=30)
        own.execute("pragma synchronous=off")
        for i in range(rows):
            k = th * rows + i
            v = "%d-%d" % (th, i * i)
            if i % 2:
                with own:
                    own.execute("insert into t values (?, ?, ?)", (k, th, v))
            else:
                with shared_lock:
                    shared.execute("insert into t values (?, ?, ?)", (k, th, v))
                    shared.commit()
        own.close()

    ts = [threading.Thread(target=writer, args=(th,)) for th in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    h = hashlib.sha256()
    for row in shared.execute("select k, th, v from t order by k"):
        h.update(repr(row).encode())
    n = shared.execute("select count(*) from t").fetchone()[0]
    shared.close()
    return "sqlite: rows=%d sha256=%s" % (n, h.hexdigest()[:16])


def main():
    print(queue_stage())
    print(condition_stage())
    d = tempfile.mkdtemp(prefix="uld-soak-py.")
    try:
        print(sqlite_stage(os.path.join(d, "db")))
    finally:
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
