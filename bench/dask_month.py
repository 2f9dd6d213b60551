"""The dask side of bench/run_month.sh: how much of the month dask holds in memory on this
machine. Persists the given shards with dask.bag (json.loads records, as dask's GitHub
Archive write-up) on a LocalCluster of 2 worker processes x 1 thread, each with half of
MEMORY_LIMIT (default: the machine's memory), and reports whether they fit: every
partition in memory, nothing spilled to disk, both workers alive. Then the session's
queries, so the answers can be compared. Prints `key value` lines:

  files N, persist <s>, count <records>, push <push events>, memory_managed <bytes>,
  memory_process <bytes>, spilled <bytes on disk>, fits 0|1

Run with Debian's python3 (/usr/bin/python3), which has python3-distributed.
"""
import json
import os
import sys
import time

import dask.bag as db
from distributed import Client, LocalCluster, wait


def worker_metrics(client):
    return list(client.scheduler_info()["workers"].values())


def spilled_bytes(client):
    # Bytes the workers wrote to their local directories (metrics' spilled_bytes.disk).
    return sum(w["metrics"].get("spilled_bytes", {}).get("disk", 0)
               for w in worker_metrics(client))


def main():
    paths = sys.argv[1:]
    limit = int(os.environ.get("MEMORY_LIMIT", os.sysconf("SC_PAGE_SIZE") *
                               os.sysconf("SC_PHYS_PAGES")))
    print("files %d" % len(paths), flush=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=limit // 2) as cluster, \
            Client(cluster) as client:
        client.run(lambda: 0)
        records = db.read_text(paths).map(json.loads)
        start = time.perf_counter()
        persisted = client.persist(records)
        wait(persisted)
        print("persist %.4f" % (time.perf_counter() - start), flush=True)
        count = persisted.count().compute()
        push = persisted.filter(lambda r: r["type"] == "PushEvent").count().compute()
        print("count %d" % count)
        print("push %d" % push)
        workers = worker_metrics(client)
        managed = sum(w["metrics"].get("managed_bytes", 0) for w in workers)
        process = sum(w["metrics"].get("memory", 0) for w in workers)
        spilled = spilled_bytes(client)
        print("memory_managed %d" % managed)
        print("memory_process %d" % process)
        print("spilled %d" % spilled)
        alive = len(workers) == 2
        print("fits %d" % (1 if alive and spilled == 0 else 0), flush=True)


if __name__ == "__main__":
    main()
