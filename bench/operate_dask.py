"""dask.distributed's side of bench/run_operate.sh: upload_file, run and restart on a
LocalCluster of 2 worker processes (each under a nanny) x 1 thread, ROUNDS times each.
Prints one line per operation: its name, then each time in milliseconds."""
import os
import sys
import time

from distributed import Client, LocalCluster


def main(rounds, scratch):
    module = os.path.join(scratch, "bench_plugin.py")
    with open(module, "w") as f:
        f.write("def square(x):\n    return x * x\n")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        for op in ("upload", "run", "restart"):
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                if op == "upload":
                    client.upload_file(module)
                elif op == "run":
                    client.run(os.getpid)
                else:
                    client.restart()
                times.append((time.perf_counter() - start) * 1000)
            print(op, " ".join(str(int(t)) for t in times), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
