"""The dask.distributed side of bench/tasks: N trivial tasks (map, then gather) on a
LocalCluster of 2 worker processes x 1 thread. Prints `dask <seconds> <tasks/s>`, then one
task's round trip as tasks_bench measures it: `one_task_ms submit_to_done <ms> fetch <ms>`
(median of 300: submit, wait until done, then fetch the result).

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

        from distributed import wait
        waits, fetches = [], []
        for i in range(300):
            start = time.perf_counter()
            future = client.submit(inc, 1000000000 + i, pure=False)
            wait(future)
            done = time.perf_counter()
            assert future.result() == 1000000001 + i, "wrong single result"
            fetched = time.perf_counter()
            waits.append((done - start) * 1e3)
            fetches.append((fetched - done) * 1e3)
        waits.sort()
        fetches.sort()
        print(f"one_task_ms submit_to_done {waits[150]:.3f} fetch {fetches[150]:.3f}")


if __name__ == "__main__":
    main()
