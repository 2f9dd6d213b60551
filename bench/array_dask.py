"""dask.array's side of bench/run_arrays.sh: the same work as bench/array_bench.cc on a
LocalCluster of 2 workers x 1 thread. Prints `name seconds [answer]` lines.

    python3 bench/array_dask.py SAMPLES ELEMENTS PERSISTED CHUNK
"""
import sys
import time

import dask
import dask.array as da
from dask.distributed import Client, LocalCluster, wait


def timed(name, f):
    start = time.perf_counter()
    answer = f()
    print(f"{name} {time.perf_counter() - start:.3f} {answer}", flush=True)


def main():
    samples, elements, persisted, chunk = (int(a) for a in sys.argv[1:5])
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    rs1, rs2 = da.random.RandomState(1), da.random.RandomState(2)

    def pi():
        x = rs1.uniform(-1, 1, size=samples, chunks=chunk)
        y = rs2.uniform(-1, 1, size=samples, chunks=chunk)
        return float(4 * ((x ** 2 + y ** 2) < 1).sum().compute() / samples)

    def xyz():
        x = da.ones(elements, chunks=chunk)
        y = da.arange(elements, chunks=chunk, dtype="f8")
        z = da.ones(elements, chunks=chunk)
        return float((x * y + z).sum().compute())

    normal = rs1.normal(0, 1, size=elements, chunks=chunk)
    timed("pi", pi)
    timed("xyz_sum", xyz)
    timed("normal_mean", lambda: float(normal.mean().compute()))
    timed("normal_std", lambda: float(normal.std().compute()))
    # In memory: three persisted arrays, then the fused sum reads them.
    x = da.ones(persisted, chunks=chunk // 4).persist()
    y = da.arange(persisted, chunks=chunk // 4, dtype="f8").persist()
    z = (da.ones(persisted, chunks=chunk // 4) * 2).persist()
    wait([x, y, z])
    timed("persisted_xyz_sum", lambda: float((x * y + z).sum().compute()))
    timed("persisted_y_sum", lambda: float(y.sum().compute()))
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
