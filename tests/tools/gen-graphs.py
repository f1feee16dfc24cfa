#!/usr/bin/env python3
"""gen-graphs.py: synthetic saved lock graphs (doc/graph-format.md v1).

    gen-graphs.py DIR [--files N] [--classes N] [--edges N] [--stacks N]
                      [--frames N] [--split-abba K] [--seed S]

Writes DIR/graph.<pid> for N runs of one program: the same classes in
every file (names like "cls_123 [file.c:45]"), and in each a random
subset of a pool of ordered edges (always from a lower class number to a
higher one, so no run sees a cycle).  --split-abba K adds K inversions
that only the union shows: pair k's forward edge is in the first file,
its backward edge in the second.  For measuring `ulockdep merge`.
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--classes", type=int, default=10000)
    ap.add_argument("--edges", type=int, default=20000)
    ap.add_argument("--stacks", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--split-abba", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)

    stacks = []
    for s in range(1, a.stacks + 1):
        frames = ",".join(
            '{"ip":"0x%x","function":"fn_%d","offset":%d,'
            '"module":"/usr/bin/prog","file":"src/f%d.c","line":%d}'
            % (0x400000 + s * 64 + f, (s * 7 + f) % 5000, f * 8 + 3,
               s % 300, f + 10)
            for f in range(a.frames))
        stacks.append('{"stack":%d,"frames":[%s]}\n' % (s, frames))
    stacks = "".join(stacks)
    classes = "".join(
        '{"class":%d,"name":"cls_%d [src/f%d.c:%d]","kind":"init_site",'
        '"type":"mutex"}\n' % (c, c, c % 300, c % 997)
        for c in range(1, a.classes + 1))
    # The pool: ordered edges from c to a class a little later.
    pool = set()
    while len(pool) < 2 * a.edges:
        c = rnd.randrange(1, a.classes)
        d = min(a.classes, c + rnd.randrange(1, 50))
        if d > c:
            pool.add((c, d))
    pool = sorted(pool)
    lines = ['{"edge":[%d,%d],"deps":["EN"],"thread":"worker","tid":%d,'
             '"stack":%d}\n' % (c, d, 1000 + c % 64, 1 + (c * 31 + d) %
                                a.stacks) for c, d in pool]
    # Split inversions: distinct class pairs far from the pool's edges.
    inv = [(1 + 2 * k, a.classes - 2 * k) for k in range(a.split_abba)]

    for i in range(a.files):
        pid = 10000 + i
        pick = sorted(rnd.sample(range(len(pool)), a.edges))
        edges = [lines[j] for j in pick]
        for x, y in inv:
            if i == 0:
                edges.append('{"edge":[%d,%d],"deps":["EN"],"thread":"t0",'
                             '"tid":1,"stack":1}\n' % (x, y))
            elif i == 1:
                edges.append('{"edge":[%d,%d],"deps":["EN"],"thread":"t1",'
                             '"tid":2,"stack":2}\n' % (y, x))
        head = ('{"format":"ulockdep-graph","version":1,"pid":%d,'
                '"exe":"/usr/bin/prog","host":"node-%02d","time":'
                '"2026-12-01T18:00:00.000Z","ulockdep":"0.1.0",'
                '"softirq_signals":["SIGALRM","SIGVTALRM","SIGPROF"]}\n'
                % (pid, i % 50))
        tail = ('{"end":true,"classes":%d,"edges":%d,"stacks":%d,'
                '"usage":0}\n' % (a.classes, len(edges), a.stacks))
        with open(os.path.join(a.dir, "graph.%d" % pid), "w") as f:
            f.write(head)
            f.write(stacks)
            f.write(classes)
            f.write("".join(edges))
            f.write(tail)


if __name__ == "__main__":
    main()
