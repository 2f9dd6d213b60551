"""The dask side of bench/run_shuffle.sh, on a LocalCluster of 2 worker processes x 1 thread.

    shuffle_dask.py sort INPUT_DIR OUTPUT_DIR NOUT [--memory-limit 1GiB] [--cap 900]
        dask.dataframe.read_json(INPUT_DIR/*.json, lines=True, one partition per file)
        .sort_values("k", npartitions=NOUT) written with to_json(lines=True): the shuffle
        p2p if this version can run it (tried first on a small frame), else "tasks".
    shuffle_dask.py actors FILE... [--memory-limit 8GiB] [--rounds 3] [--cap 900]
        events per actor.login over gzip'd GitHub Archive hours with dask.bag: foldby
        (combined per partition) and groupby + len (every record shuffled, the default
        shuffle), up to --rounds times each, none started after 60 s (one set of lines
        per round).

Prints `name value` lines as bench/shuffle_bench does: `<step>_seconds`, `<step>_status`
(ok, timeout, or the error, e.g. KilledWorker), `<step>_peak_rss <pid> <VmHWM> <polled max
VmRSS>` per worker process (a worker restarted by its nanny shows up as another pid),
`<step>_cpu_seconds <pid> <user+system>`, and for actors `<step>_keys`, `_total`,
`_checksum` (sum of FNV-1a64(key) * count mod 2^64, as shuffle_bench computes it).
Each step is capped at --cap seconds; after a failed or timed-out sort the process exits at
once (os._exit: a stuck cluster may not close; run_shuffle.sh kills its process group).

Run with Debian's python3 (/usr/bin/python3): python3-distributed, and python3-pandas for
the sort (without pandas the sort is reported as skipped).
"""
import argparse
import glob
import importlib.util
import json
import operator
import os
import signal
import sys
import threading
import time

import dask
import dask.bag as db
import distributed
from distributed import Client, LocalCluster

MASK64 = (1 << 64) - 1
ROUNDS_SECONDS = 60  # no new round of a step after this long (as shuffle_bench)


def fnv1a64(s):
    h = 14695981039346656037
    for c in s.encode():
        h = ((h ^ c) * 1099511628211) & MASK64
    return h


def out(name, *values):
    print(name, *values, flush=True)


def proc_status_bytes(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def worker_pids():
    """The worker processes under this one (the nannies live in this process and spawn
    them with multiprocessing's spawn_main)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read()
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == os.getpid() and b"spawn_main" in cmdline:
            pids.append(int(entry))
    return sorted(pids)


class WorkerWatch:
    """Peak RSS and CPU time of the worker processes during one step: resets their peak
    (clear_refs 5) at the start, samples VmRSS 10 times a second, and reports VmHWM, the
    polled maximum and CPU seconds for every worker pid seen (restarts included)."""

    def __init__(self):
        self.polled = {}
        self.cpu_start = {}
        self.cpu_last = {}
        for pid in worker_pids():
            self._adopt(pid)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _adopt(self, pid):
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")
        except OSError:
            pass
        self.polled[pid] = 0
        self.cpu_start[pid] = cpu_seconds(pid) or 0.0

    def _sample(self):
        for pid in worker_pids():
            if pid not in self.polled:
                self.polled[pid] = 0
                self.cpu_start[pid] = 0.0  # a restarted worker: all of its CPU counts
            self.polled[pid] = max(self.polled[pid], proc_status_bytes(pid, "VmRSS"))
            cpu = cpu_seconds(pid)
            if cpu is not None:
                self.cpu_last[pid] = cpu

    def _run(self):
        while not self.stop.wait(0.1):
            self._sample()

    def report(self, step):
        self.stop.set()
        self.thread.join()
        self._sample()
        for pid in sorted(self.polled):
            out(step + "_peak_rss", pid, proc_status_bytes(pid, "VmHWM"), self.polled[pid])
            cpu = self.cpu_last.get(pid, self.cpu_start[pid]) - self.cpu_start[pid]
            out(step + "_cpu_seconds", pid, "%.2f" % cpu)


class StepTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise StepTimeout()


def run_step(step, fn, cap):
    """Runs fn() under a cap of `cap` seconds, printing seconds, status and memory.
    Returns fn's result, or None after a failure."""
    watch = WorkerWatch()
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(cap)
    result, status = None, "ok"
    try:
        result = fn()
    except StepTimeout:
        status = "timeout after %d s" % cap
    except Exception as e:  # KilledWorker, MemoryError, ... are results to report here
        status = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")[:300]
    finally:
        signal.alarm(0)
    out(step + "_seconds", "%.4f" % (time.perf_counter() - start))
    out(step + "_status", status)
    watch.report(step)
    return result if status == "ok" else None


def start_cluster(memory_limit):
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, memory_limit=memory_limit)
    client = Client(cluster)
    client.run(lambda: 0)
    return cluster, client


# ---- sort

def probe_p2p(dd, pd):
    """None when p2p runs here, else why not."""
    try:
        # Enough distinct keys that the sort really shuffles (with a few, dask sorts
        # one partition and never reaches p2p).
        frame = pd.DataFrame({"k": ["%05d" % ((i * 7919) % 4000) for i in range(4000)],
                              "v": ["x"] * 4000})
        with dask.config.set(shuffle="p2p"):
            result = dd.from_pandas(frame, npartitions=4).sort_values("k", npartitions=4)
            assert any(name.startswith("shuffle-p2p") for name in result.dask.layers)
            assert result["k"].compute().is_monotonic_increasing
        return None
    except Exception as e:
        why = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")[:200]
        if importlib.util.find_spec("pyarrow") is None:
            why += " (no pyarrow here, which p2p needs)"
        return why


def run_sort(args):
    out("dask_version", dask.__version__, "distributed", distributed.__version__)
    try:
        import pandas as pd
        import dask.dataframe as dd
    except ImportError as e:
        out("sort_status", "skipped: dask.dataframe needs pandas (%s)" % e)
        return
    files = sorted(glob.glob(os.path.join(args.input, "*.json")))
    cluster, client = start_cluster(args.memory_limit)
    why_not = probe_p2p(dd, pd)
    method = "p2p" if why_not is None else "tasks"
    out("sort_shuffle", method if why_not is None else "tasks (p2p failed: %s)" % why_not)
    os.makedirs(args.output, exist_ok=True)
    meta = pd.DataFrame({"k": pd.Series(dtype=object), "v": pd.Series(dtype=object)})

    def sort():
        with dask.config.set(shuffle=method):
            df = dd.read_json(files, lines=True, blocksize=None, meta=meta, dtype=False,
                              convert_dates=False)
            # sort_values computes the divisions (quantiles of k) here, then the shuffle.
            ordered = df.sort_values("k", npartitions=args.nout)
            dd.to_json(ordered, os.path.join(args.output, "part-*.json"), orient="records",
                       lines=True)
        return True

    ok = run_step("sort", sort, args.cap)
    sys.stdout.flush()
    if ok is None:
        os._exit(0)  # a stuck or dying cluster may not close: the caller kills the group
    client.close()
    cluster.close()


# ---- actors

def report_counts(step, pairs):
    total = sum(v for _, v in pairs)
    checksum = sum(fnv1a64(k) * v for k, v in pairs) & MASK64
    out(step + "_keys", len(pairs))
    out(step + "_total", total)
    out(step + "_checksum", checksum)


def run_actors(args):
    out("dask_version", dask.__version__, "distributed", distributed.__version__)
    # bag.groupby partitions by the builtin hash(), which differs between processes for
    # strings unless the seed is fixed (dask/distributed#4141): without this, its groupby
    # returns a key several times, with its count split between the copies. The spawned
    # workers inherit the variable.
    os.environ.setdefault("PYTHONHASHSEED", "0")
    cluster, client = start_cluster(args.memory_limit)
    records = db.read_text(args.files).map(json.loads)
    login = lambda e: e["actor"]["login"]
    steps = {
        "foldby": lambda: records.foldby(login, lambda acc, _: acc + 1, 0,
                                         operator.add, 0).compute(),
        "groupby": lambda: records.groupby(login).map(lambda g: (g[0], len(g[1]))).compute(),
    }
    for step, fn in steps.items():
        first = time.perf_counter()
        for _ in range(args.rounds):
            if time.perf_counter() - first >= ROUNDS_SECONDS:
                break
            result = run_step(step, fn, args.cap)
            if result is None:
                break
            report_counts(step, result)
    client.close()
    cluster.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    sort = sub.add_parser("sort")
    sort.add_argument("input")
    sort.add_argument("output")
    sort.add_argument("nout", type=int)
    sort.add_argument("--memory-limit", default="1GiB")
    sort.add_argument("--cap", type=int, default=900)
    actors = sub.add_parser("actors")
    actors.add_argument("files", nargs="+")
    actors.add_argument("--memory-limit", default="8GiB")
    actors.add_argument("--rounds", type=int, default=3)
    actors.add_argument("--cap", type=int, default=900)
    args = parser.parse_args()
    (run_sort if args.mode == "sort" else run_actors)(args)


if __name__ == "__main__":
    main()
