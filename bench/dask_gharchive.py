"""The dask side of bench/run_gharchive.sh: the GitHub Archive session on the given shards,
with dask.bag on a LocalCluster of 2 worker processes x 1 thread. Prints one line per step,
`step <seconds>`, then `memory <bytes held by the workers for the persisted records>`.

Run with Debian's python3 (/usr/bin/python3), which has python3-distributed.
"""
import json
import sys
import time

import dask.bag as db
from distributed import Client, LocalCluster, wait


def timed(name, fn):
    start = time.perf_counter()
    result = fn()
    print("%s %.4f" % (name, time.perf_counter() - start), flush=True)
    return result


def timed_warm(name, fn, runs=5):
    """The median of `runs` more runs (as gharchive_bench's warm figures)."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    print("%s %.4f" % (name, sorted(seconds)[runs // 2]), flush=True)


def main():
    paths = sys.argv[1:]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit="8GiB") as cluster, \
            Client(cluster) as client:
        client.run(lambda: 0)
        records = db.read_text(paths).map(json.loads)
        timed("stream_filter_count", lambda: records.filter(
            lambda r: r["type"] == "PushEvent").count().compute())
        persisted = client.persist(records)
        timed("persist", lambda: wait(persisted))
        timed("take1", lambda: persisted.take(1))
        timed_warm("take1_warm", lambda: persisted.take(1))
        timed("count", lambda: persisted.count().compute())
        timed_warm("count_warm", lambda: persisted.count().compute())
        timed("frequencies", lambda: persisted.pluck("type").frequencies().compute())
        timed_warm("frequencies_warm", lambda: persisted.pluck("type").frequencies().compute())
        jupyter = timed("filter_repartition_persist", lambda: wait(client.persist(
            persisted.filter(lambda r: r["repo"]["name"].startswith("jupyter/"))
            .repartition(10))))
        sub = client.persist(persisted.filter(
            lambda r: r["repo"]["name"].startswith("jupyter/")).repartition(10))
        wait(sub)
        timed("distinct", lambda: sub.pluck("repo").pluck("name").distinct().compute())
        timed("topk", lambda: sub.pluck("actor").pluck("login").frequencies()
              .topk(10, key=1).compute())
        mem = sum(w["metrics"]["managed_bytes"] if "managed_bytes" in w["metrics"]
                  else w["metrics"].get("memory", 0)
                  for w in client.scheduler_info()["workers"].values())
        procmem = sum(w["metrics"].get("memory", 0)
                      for w in client.scheduler_info()["workers"].values())
        print("memory_managed %d" % mem)
        print("memory_process %d" % procmem)


if __name__ == "__main__":
    main()
