"""The dask.distributed side of bench/transfer: a 1 GiB bytes value made on worker A,
then a task on worker B that needs it (len), timed from submit to result — the time is
B fetching the value from A over loopback. LocalCluster of 2 worker processes x 1
thread. Prints one line per round, then `dask <seconds> <GB/s>` (best round).

Run with Debian's python3 (/usr/bin/python3), which has python3-distributed.
Usage: dask_transfer.py [bytes] [rounds]
"""
import sys
import time

from distributed import Client, LocalCluster, wait


def make(n, round_):
    return b"x" * n


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2**30
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        a, b = sorted(client.scheduler_info()["workers"])
        best = float("inf")
        for round_ in range(rounds):
            value = client.submit(make, n, round_, workers=[a], pure=False)
            wait(value)
            start = time.perf_counter()
            length = client.submit(len, value, workers=[b], pure=False).result()
            elapsed = time.perf_counter() - start
            assert length == n, "wrong length"
            print(f"task   round {round_}: {elapsed:.3f} s  {n / 1e9 / elapsed:.2f} GB/s")
            best = min(best, elapsed)
            del value  # frees it on both workers before the next round
            time.sleep(0.5)
        print(f"dask {best:.4f} {n / 1e9 / best:.3f}")


if __name__ == "__main__":
    main()
