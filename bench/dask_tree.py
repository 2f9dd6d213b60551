"""The dask side of bench/run_tree.sh: the same tree reduction (N inc leaves, pairwise adds)
as a dict graph run with client.get on a LocalCluster of 2 processes x 1 thread.
Prints `dask <seconds> <tasks/s> <tasks>`. Run with /usr/bin/python3."""
import sys
import time
from operator import add

from distributed import Client, LocalCluster


def inc(x):
    return x + 1


def build(leaves, tag):
    graph, level = {}, []
    for i in range(leaves):
        key = "%sinc-%d" % (tag, i)
        graph[key] = (inc, i)
        level.append(key)
    depth = 0
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 == len(level):
                nxt.append(level[i])
                continue
            key = "%sadd-%d-%d" % (tag, depth, i // 2)
            graph[key] = (add, level[i], level[i + 1])
            nxt.append(key)
        level, depth = nxt, depth + 1
    return graph, level[0]


def main():
    leaves = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        graph, root = build(100, "warm-")
        client.get(graph, root)
        best = 1e9
        for r in range(2):
            graph, root = build(leaves, "r%d-" % r)
            start = time.perf_counter()
            result = client.get(graph, root)
            best = min(best, time.perf_counter() - start)
            assert result == leaves * (leaves + 1) // 2
        print("dask %.4f %.0f %d" % (best, len(graph) / best, len(graph)))


if __name__ == "__main__":
    main()
