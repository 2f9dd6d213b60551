"""The dask.distributed side of bench/tasks: N trivial tasks (map, then gather) on a
LocalCluster of 2 worker processes x 1 thread. Prints one line: `dask <seconds> <tasks/s>`.

Run with Debian's python3 (/usr/bin/python3), which has python3-distributed.
"""
import sys
import time

from distributed import Client, LocalCluster


def inc(x):
    return x + 1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.gather(client.map(inc, range(100)))  # warm up: workers connected, code imported
        start = time.perf_counter()
        futures = client.map(inc, range(n))
        results = client.gather(futures)
        elapsed = time.perf_counter() - start
        assert sum(results) == n * (n + 1) // 2, "wrong result"
        print(f"dask {elapsed:.4f} {n / elapsed:.0f}")


if __name__ == "__main__":
    main()
