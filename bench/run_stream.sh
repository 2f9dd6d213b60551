#!/usr/bin/env bash
# Streaming pipelines (issue 13), each weft run on a scheduler and workers started here on
# loopback (`weft stream --scheduler`), the load sent and received on the same machine:
#
# (a) the write-up's classifier: ROWS rows of its shape (bench/gen_csv.py), BURN_US (300)
#     of CPU per row so that a row costs about 0.3 ms, in batches of BATCH_ROWS (100):
#     the serial run (`weft classify-file`), then `weft send` → `weft stream --parallel
#     example.classify_csv` → `weft receive` on 1 worker and on 2 workers (--nthreads 1
#     each). Times run from the first byte sent (the pipeline running) to the receiver's
#     exit at EOT. Prints seconds, rows/s and the speed-ups of 2 workers over 1 (target
#     >= 1.8x) and over serial; each output must be cmp-equal to the serial one (the
#     script fails otherwise).
# (b) 64-byte records through the no-op step `stream.identity` on 1 worker x 1 thread,
#     sent and received by bench/stream_latency.cc (which timestamps each record):
#     throughput, unpaced, RECORDS (500,000) records in batches of THROUGHPUT_BATCH_ROWS
#     (100): records/s wall and records per CPU-second of the worker process (source,
#     parallel step and sink together: "per core"); latency, LATENCY_RECORDS (10,000)
#     records paced at LATENCY_RATE (1,000) records/s in batches of LATENCY_BATCH_ROWS (1):
#     p50 / p99 from send to receive. Targets (printed beside, not checked): >= 200,000
#     records/s per core, p99 <= 5 ms.
#
# dask.distributed runs the same work side by side (bench/stream_dask.py; dask has no
# pipeline operator, so its client reads and batches the input, submits one task per batch
# with a bounded number in flight and writes results in input order, on a LocalCluster of
# as many worker processes x 1 thread): (a) on 1 and 2 workers, outputs cmp-equal to the
# serial run, and the ratio dask/weft of the times; (b) the same records, the latency run
# with DASK_LATENCY_RECORDS (2,000) records at the same rate, since dask's task per record
# does not keep up with it.
#
# The machine's cores are shared by the workers, the scheduler, the sender and the
# receiver: figures are noisy, and 2 workers on 2 cores compete with the load generator.
#
# Usage: bench/run_stream.sh           ROWS="1000 10000 100000" by default; FULL=1 adds
#                                      1,000,000 (about 5 minutes serial at 0.3 ms a row)
set -euo pipefail
cd "$(dirname "$0")/.."
rows_list="${ROWS:-1000 10000 100000}"
[[ "${FULL:-0}" == 1 ]] && rows_list="$rows_list 1000000"
burn_us="${BURN_US:-300}"
batch_rows="${BATCH_ROWS:-100}"
records="${RECORDS:-500000}"
throughput_batch="${THROUGHPUT_BATCH_ROWS:-100}"
latency_records="${LATENCY_RECORDS:-10000}"
latency_rate="${LATENCY_RATE:-1000}"
latency_batch="${LATENCY_BATCH_ROWS:-1}"
dask_latency_records="${DASK_LATENCY_RECORDS:-2000}"
dask_python=/usr/bin/python3
bazel build //bench:stream_latency //client:weft //scheduler:weft-scheduler \
  //worker:weft-worker >/dev/null 2>&1
bin="$(bazel info bazel-bin 2>/dev/null)"
weft="$bin/client/weft"
source bench/lib.sh
bench_scratch stream

now() { date +%s.%N; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits (up to 30 s) until the command succeeds.
wait_for() {
  for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
  echo "run_stream.sh: timed out waiting for: $*" >&2
  return 1
}
log_has() { grep -q "$2" "$1" 2>/dev/null; }

# A scheduler and $1 workers x 1 thread; sets $address and $worker_pid.
start_cluster() {
  rm -f "$scratch/sched.json"
  "$bin/scheduler/weft-scheduler" --host 127.0.0.1 --port 0 --no-dashboard \
    --scheduler-file "$scratch/sched.json" >"$scratch/scheduler.log" 2>&1 &
  pids+=($!)
  wait_for test -s "$scratch/sched.json"
  address=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['address'])" \
    "$scratch/sched.json")
  "$bin/worker/weft-worker" --scheduler-file "$scratch/sched.json" --host 127.0.0.1 \
    --nworkers "$1" --nthreads 1 --name bench --local-directory "$scratch/w" \
    >"$scratch/workers.log" 2>&1 &
  worker_pid=$!
  pids+=($worker_pid)
  wait_for workers_are "$1"
}
workers_are() { [[ "$("$weft" info "$address" 2>/dev/null)" == *"workers=$1 "* ]]; }
# CPU ticks used so far by the worker processes (the launcher's children).
worker_ticks() {
  local total=0 pid
  for pid in $(pgrep -P "$worker_pid"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# weft_classify ROWS_FILE OUTPUT: the pipeline over the file; prints its seconds.
weft_classify() {
  local source_port sink_port receiver stream t0
  source_port=$(free_port)
  sink_port=$(free_port)
  "$weft" receive --listen "127.0.0.1:$sink_port" --framed --output "$2" \
    2>"$scratch/receive.log" &
  receiver=$!
  "$weft" stream --scheduler "$address" --source "tcp://127.0.0.1:$source_port" \
    --batch-rows "$batch_rows" --header --parallel example.classify_csv --arg threshold=0 \
    --arg "burn_us=$burn_us" --sink "tcp://127.0.0.1:$sink_port" 2>"$scratch/stream.log" &
  stream=$!
  wait_for log_has "$scratch/stream.log" ": running"
  t0=$(now)
  "$weft" send "$1" --to "127.0.0.1:$source_port"
  wait "$receiver"
  awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}'
  wait "$stream" || { cat "$scratch/stream.log" >&2; return 1; }
}

# ---- (a) the classifier
declare -A serial_s one_s two_s
for rows in $rows_list; do
  python3 bench/gen_csv.py --rows "$rows" --output "$scratch/rows$rows.csv"
  t0=$(now)
  "$weft" classify-file "$scratch/rows$rows.csv" --burn-us "$burn_us" \
    --output "$scratch/serial$rows.out"
  serial_s[$rows]=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}')
done
for workers in 1 2; do
  start_cluster "$workers"
  for rows in $rows_list; do
    out="$scratch/weft${workers}_$rows.out"
    seconds=$(weft_classify "$scratch/rows$rows.csv" "$out")
    cmp "$out" "$scratch/serial$rows.out"
    if [[ "$workers" == 1 ]]; then one_s[$rows]=$seconds; else two_s[$rows]=$seconds; fi
  done
  stop_bench_processes
done
declare -A dask_one_s dask_two_s
for workers in 1 2; do
  for rows in $rows_list; do
    out="$scratch/dask${workers}_$rows.out"
    seconds=$("$dask_python" bench/stream_dask.py classify "$scratch/rows$rows.csv" "$out" \
      "$workers" "$burn_us" "$batch_rows" 2>>"$scratch/dask.log" | awk '{print $2}')
    cmp "$out" "$scratch/serial$rows.out"
    if [[ "$workers" == 1 ]]; then dask_one_s[$rows]=$seconds; else dask_two_s[$rows]=$seconds; fi
  done
done

echo "(a) classifier: $burn_us us of CPU a row, batches of $batch_rows rows; workers x 1 thread;"
echo "    outputs cmp-equal to the serial run; $(nproc) cores shared with sender and receiver"
printf '%9s %9s %9s %9s %11s %11s %11s %9s %10s\n' rows serial_s 1wkr_s 2wkr_s \
  serial_r/s 1wkr_r/s 2wkr_r/s 2wkr/1wkr 2wkr/serial
for rows in $rows_list; do
  awk -v n="$rows" -v s="${serial_s[$rows]}" -v a="${one_s[$rows]}" -v b="${two_s[$rows]}" \
    'BEGIN {printf "%9d %9.3f %9.3f %9.3f %11.0f %11.0f %11.0f %8.2fx %9.2fx\n",
            n, s, a, b, n / s, n / a, n / b, a / b, s / b}'
done
echo "    target: 2 workers >= 1.8x one worker"
echo "    dask.distributed, the same batches (one task each), outputs cmp-equal:"
printf '%9s %9s %9s %11s %11s %9s\n' rows 1wkr_s 2wkr_s dask/weft1 dask/weft2 2wkr/1wkr
for rows in $rows_list; do
  awk -v n="$rows" -v a="${dask_one_s[$rows]}" -v b="${dask_two_s[$rows]}" \
    -v wa="${one_s[$rows]}" -v wb="${two_s[$rows]}" \
    'BEGIN {printf "%9d %9.3f %9.3f %10.2fx %10.2fx %8.2fx\n", n, a, b, a / wa, b / wb, a / b}'
done

# ---- (b) 64-byte records, no-op step, 1 worker x 1 thread
# latency_run RECORDS RATE BATCH_ROWS: prints stream_latency's line and the worker's CPU ticks.
latency_run() {
  local source_port port_file tool stream ticks0
  source_port=$(free_port)
  port_file="$scratch/sink.port"
  rm -f "$port_file"
  "$bin/bench/stream_latency" "127.0.0.1:$source_port" "$port_file" "$1" "$2" \
    >"$scratch/latency.out" &
  tool=$!
  wait_for test -s "$port_file"
  ticks0=$(worker_ticks)
  "$weft" stream --scheduler "$address" --source "tcp://127.0.0.1:$source_port" \
    --batch-rows "$3" --parallel stream.identity --sink "tcp://127.0.0.1:$(cat "$port_file")" \
    2>"$scratch/stream.log" &
  stream=$!
  wait "$tool"
  wait "$stream" || { cat "$scratch/stream.log" >&2; return 1; }
  echo "$(cat "$scratch/latency.out") ticks $(($(worker_ticks) - ticks0))"
}
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' <<<"$2"; }

start_cluster 1
throughput=$(latency_run "$records" 0 "$throughput_batch")
latency=$(latency_run "$latency_records" "$latency_rate" "$latency_batch")
stop_bench_processes
dask_throughput=$("$dask_python" bench/stream_dask.py records "$records" 0 "$throughput_batch" \
  2>>"$scratch/dask.log")
dask_latency=$("$dask_python" bench/stream_dask.py records "$dask_latency_records" \
  "$latency_rate" "$latency_batch" 2>>"$scratch/dask.log")
hz=$(getconf CLK_TCK)

echo
echo "(b) 64-byte records, no-op parallel step (stream.identity), 1 worker x 1 thread"
awk -v n="$(field records "$throughput")" -v s="$(field seconds "$throughput")" \
  -v r="$(field records_per_s "$throughput")" -v t="$(field ticks "$throughput")" -v hz="$hz" \
  -v b="$throughput_batch" -v p50="$(field p50_ms "$throughput")" \
  -v p99="$(field p99_ms "$throughput")" 'BEGIN {
    cpu = t / hz
    printf "    throughput: %d records unpaced, batches of %d: %.3f s, %.0f records/s wall,\n", n, b, s, r
    printf "                worker CPU %.2f s: %.0f records per worker CPU-second", cpu, (cpu > 0 ? n / cpu : 0)
    printf "  (target >= 200,000 per core)\n"
    printf "                latency under that load: p50 %.2f ms, p99 %.2f ms\n", p50, p99
  }'
awk -v n="$(field records "$latency")" -v rate="$latency_rate" -v b="$latency_batch" \
  -v p50="$(field p50_ms "$latency")" -v p99="$(field p99_ms "$latency")" \
  -v mx="$(field max_ms "$latency")" 'BEGIN {
    printf "    latency: %d records at %d/s, batches of %d: p50 %.3f ms, p99 %.3f ms, max %.3f ms", n, rate, b, p50, p99, mx
    printf "  (target p99 <= 5 ms)\n"
  }'
awk -v n="$(field records "$dask_throughput")" -v r="$(field records_per_s "$dask_throughput")" \
  -v cpu="$(field cpu_s "$dask_throughput")" -v wr="$(field records_per_s "$throughput")" \
  -v wt="$(field ticks "$throughput")" -v hz="$hz" -v wn="$(field records "$throughput")" \
  -v ln="$(field records "$dask_latency")" -v lr="$(field records_per_s "$dask_latency")" \
  -v p50="$(field p50_ms "$dask_latency")" -v p99="$(field p99_ms "$dask_latency")" \
  -v wp99="$(field p99_ms "$latency")" -v rate="$latency_rate" 'BEGIN {
    wcpu = (wt > 0 ? wn / (wt / hz) : 0)
    dcpu = (cpu > 0 ? n / cpu : 0)
    printf "    dask.distributed: %d records unpaced: %.0f records/s wall (weft %.1fx),", n, r, wr / r
    printf " %.0f per CPU-second of its worker and client/scheduler (weft %.1fx)\n", dcpu, (dcpu > 0 ? wcpu / dcpu : 0)
    printf "    dask.distributed: %d records at %d/s, one task each: kept up %.0f/s,", ln, rate, lr
    printf " p50 %.1f ms, p99 %.1f ms (weft p99 %.1fx lower)\n", p50, p99, (wp99 > 0 ? p99 / wp99 : 0)
  }'
