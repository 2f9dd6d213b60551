"""dask.distributed's side of bench/run_stream.sh: the same streaming work as weft's
pipeline, written the way a dask user streams (dask has no pipeline operator): the client
reads the input, batches it, submits one task per batch with a bounded number in flight
(backpressure), and writes the results in input order as they complete. The cluster is a
LocalCluster of WORKERS worker processes x 1 thread, as weft's workers.

    stream_dask.py classify CSV OUTPUT WORKERS BURN_US BATCH_ROWS
        The write-up's classifier (weft's example.classify_csv, same output bytes): each
        batch is the CSV header and BATCH_ROWS rows; each row burns BURN_US of CPU (a busy
        loop on the clock, as weft's) and gets ",high" or ",low". Prints "seconds S" from
        the first batch submitted to the last row written.
    stream_dask.py records RECORDS RATE BATCH_ROWS
        64-byte records through a no-op step on 1 worker: RATE records/s (0: unpaced), in
        batches of BATCH_ROWS. Prints "records N seconds S records_per_s R cpu_s C p50_ms A
        p99_ms B max_ms M": latency from a record's creation to its in-order write; cpu_s is
        the CPU time of the worker process and of the client process (which holds dask's
        scheduler and plays the source and the sink, as weft's worker does).
"""
import collections
import os
import resource
import sys
import time

from distributed import Client, LocalCluster

# Tasks in flight: enough to keep every worker thread busy while results come back
# (weft's source keeps as many batches in flight per thread); the records runs, whose tasks
# do nothing, keep more so that dask's per-task round trip throttles them less (16 was
# the best of 4, 16 and 64 here).
IN_FLIGHT_PER_THREAD = 4
IN_FLIGHT_RECORDS = 16


def classify_batch(batch, burn_us):
    """weft's ClassifyCsvBatch with a header: the labelled data rows, header left out."""
    rows = batch.split("\n")
    out = []
    for row in rows[1:]:
        if not row:
            continue
        until = time.perf_counter() + burn_us / 1e6
        while time.perf_counter() < until:
            pass
        total = 0.0
        for field in row.split(",")[1:]:
            try:
                total += float(field)
            except ValueError:
                pass
        out.append(row + (",high\n" if total > 0 else ",low\n"))
    return "".join(out)


def identity(batch):
    return batch


def run_ordered(client, batches, function, args, on_result, window):
    """Submits function(batch, *args) for each batch with at most `window` in flight, and
    calls on_result(result) in input order."""
    pending = collections.deque()
    for i, batch in enumerate(batches):
        pending.append(client.submit(function, batch, *args, pure=False))
        while len(pending) >= window:
            on_result(pending.popleft().result())
    while pending:
        on_result(pending.popleft().result())


def classify(csv_path, output, workers, burn_us, batch_rows):
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        client.submit(classify_batch, "h\n0,1\n", 0, pure=False).result()  # warm up

        def batches():
            with open(csv_path) as f:
                header = f.readline()
                chunk = []
                for line in f:
                    chunk.append(line)
                    if len(chunk) == batch_rows:
                        yield header + "".join(chunk)
                        chunk = []
                if chunk:
                    yield header + "".join(chunk)

        start = time.perf_counter()
        with open(output, "w", newline="\n") as out:
            run_ordered(client, batches(), classify_batch, (burn_us,), out.write,
                        IN_FLIGHT_PER_THREAD * workers)
        print("seconds %.3f" % (time.perf_counter() - start), flush=True)


def records(count, rate, batch_rows):
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(1)
        client.submit(identity, [], pure=False).result()  # warm up
        worker_cpu0 = sum(client.run(time.process_time).values())
        self_cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        latencies = []
        start = time.perf_counter()

        def batches():
            batch = []
            for i in range(count):
                if rate > 0:
                    due = start + i / rate
                    while time.perf_counter() < due:
                        time.sleep(max(0.0, min(due - time.perf_counter(), 0.001)))
                record = ("%d %d" % (i, time.perf_counter_ns())).ljust(64, ".")
                batch.append(record)
                if len(batch) == batch_rows:
                    yield batch
                    batch = []
            if batch:
                yield batch

        expected = [0]

        def sink(batch):
            now = time.perf_counter_ns()
            for record in batch:
                index, sent = record.rstrip(".").split(" ")
                if int(index) != expected[0]:
                    raise SystemExit("record %s out of order (expected %d)" % (index, expected[0]))
                expected[0] += 1
                latencies.append((now - int(sent)) / 1e6)

        run_ordered(client, batches(), identity, (), sink, IN_FLIGHT_RECORDS)
        seconds = time.perf_counter() - start
        worker_cpu = sum(client.run(time.process_time).values()) - worker_cpu0
        self_cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        self_cpu = (self_cpu1.ru_utime - self_cpu0.ru_utime) + (self_cpu1.ru_stime - self_cpu0.ru_stime)
        if expected[0] != count:
            raise SystemExit("%d of %d records came back" % (expected[0], count))
        latencies.sort()

        def pct(p):
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

        print("records %d seconds %.3f records_per_s %.0f cpu_s %.3f p50_ms %.3f p99_ms %.3f "
              "max_ms %.3f" % (count, seconds, count / seconds, worker_cpu + self_cpu, pct(0.50),
                               pct(0.99), latencies[-1]), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "classify":
        classify(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == "records":
        records(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit("usage: stream_dask.py classify|records ...")
