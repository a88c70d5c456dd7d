#!/usr/bin/python3
"""The peer side of `scripts/bench --peers`: troupe's bench work on Dask distributed.

    dask_bench.py noop_tasks N    one batch of N no-op tasks:  tasks=N seconds=S tasks_per_second=R
    dask_bench.py round_trip K    K sequential one-task jobs:  jobs=K median_us=M p90_us=P
    dask_bench.py word_count FILE word count, troupe's words and output: the top 20
                                  "word<TAB>count", "distinct=D total=T", then seconds=S

Each command runs on its own LocalCluster of 2 worker processes with 1 thread
each (processes=True), as troupe's local-cluster does. The times exclude
starting and stopping the cluster (a favour to Dask: troupe's rows include
starting its executors).

The word count is idiomatic Dask futures: the file is cut into byte ranges, a
task per range reads the lines that start in it (a line is never split, and
'\\n' is whitespace, so no word is either) and counts bytes.split() with
collections.Counter; a task on a worker merges the counters, and only the
summary comes back to the client. bytes.split() splits on exactly troupe's six
ASCII whitespace bytes.
"""

import collections
import logging
import math
import os
import sys
import time

from dask.distributed import Client, LocalCluster, wait

BLOCK_BYTES = 16 << 20  # per word-count task


def noop(x):
    return x


def count_range(path, start, end):
    """Counter of the words of the lines of `path` that start in [start, end)."""
    with open(path, "rb") as f:
        if start > 0:
            f.seek(start - 1)
            f.readline()  # the line that began before `start` belongs to the previous range
        pos = f.tell()
        if pos >= end:
            return collections.Counter()
        data = f.read(end - pos)
        if data and not data.endswith(b"\n"):
            data += f.readline()  # the line that crosses `end` is ours
    return collections.Counter(data.split())


def merge_summary(counters, k):
    """(top k (word, count), distinct, total) of the sum of `counters`."""
    total = collections.Counter()
    for c in counters:
        total.update(c)
    top = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return top, len(total), sum(total.values())


def quantile(xs, q):
    """The q-quantile by the nearest-rank method, as troupe's round_trip."""
    xs = sorted(xs)
    rank = math.ceil(q * len(xs))
    return xs[min(max(rank, 1), len(xs)) - 1]


def run_noop_tasks(client, n):
    start = time.perf_counter()
    futures = client.map(noop, range(n), pure=False)
    wait(futures)
    seconds = time.perf_counter() - start
    if len(futures) != n or any(f.status != "finished" for f in futures):
        raise RuntimeError("noop_tasks: not every task finished")
    print(f"tasks={n} seconds={seconds:.6f} tasks_per_second={n / seconds:.1f}")


def run_round_trip(client, k):
    def one():
        start = time.perf_counter()
        if client.submit(noop, 1, pure=False).result() != 1:
            raise RuntimeError("round_trip: a one-task job returned the wrong value")
        return (time.perf_counter() - start) * 1e6

    for _ in range(3):
        one()
    us = [one() for _ in range(k)]
    print(f"jobs={k} median_us={quantile(us, 0.5):.1f} p90_us={quantile(us, 0.9):.1f}")


def run_word_count(client, path):
    path = os.path.abspath(path)
    size = os.path.getsize(path)
    start = time.perf_counter()
    ranges = [(b, min(b + BLOCK_BYTES, size)) for b in range(0, size, BLOCK_BYTES)]
    counters = [client.submit(count_range, path, b, e, pure=False) for b, e in ranges]
    top, distinct, total = client.submit(merge_summary, counters, 20, pure=False).result()
    seconds = time.perf_counter() - start
    out = sys.stdout.buffer
    for word, n in top:
        out.write(word + b"\t" + str(n).encode() + b"\n")
    out.write(f"distinct={distinct} total={total}\nseconds={seconds:.4f}\n".encode())
    out.flush()


def main(argv):
    commands = {"noop_tasks": (run_noop_tasks, int), "round_trip": (run_round_trip, int), "word_count": (run_word_count, str)}
    if len(argv) != 3 or argv[1] not in commands:
        print("usage: dask_bench.py noop_tasks N | round_trip K | word_count FILE", file=sys.stderr)
        return 2
    run, parse = commands[argv[1]]
    try:
        arg = parse(argv[2])
    except ValueError:
        print(f"dask_bench.py: {argv[1]}: '{argv[2]}' is not a number", file=sys.stderr)
        return 2
    if parse is int and arg <= 0:
        print(f"dask_bench.py: {argv[1]}: N must be positive, got {arg}", file=sys.stderr)
        return 2
    if parse is str and not os.path.isfile(arg):
        print(f"dask_bench.py: word_count: '{arg}' is not a file", file=sys.stderr)
        return 2
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        run(client, arg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
