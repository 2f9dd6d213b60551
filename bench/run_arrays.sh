#!/usr/bin/env bash
# Chunked arrays, weft and dask.array side by side, each a scheduler and 2 workers x 1
# thread on loopback, the same chunks, one after the other:
#   pi                 4 * mean(x**2 + y**2 < 1) over SAMPLES (2e9) uniform pairs
#   xyz_sum            (x * y + z).sum() over ELEMENTS (1e9) float64, x, z ones, y arange
#   normal_mean / _std mean and std of ELEMENTS normal numbers
#   persisted_xyz_sum  the same sum over three PERSISTED-element arrays held in memory (their
#                      chunks are placed independently, so some move between the workers)
#   persisted_y_sum    the sum of one of them: each chunk read where it lies
# and one core's STREAM triad on this machine. Prints the times, the ratio dask/weft, and
# GB/s: for xyz_sum the 24 bytes per element an unfused evaluation would read (weft fuses
# the creation into the sum, so it reads nothing), for persisted_xyz_sum the 24 bytes per
# element really read from memory, per worker (8 for persisted_y_sum), beside one core's
# triad.
#
# Usage: bench/run_arrays.sh     (SAMPLES, ELEMENTS, PERSISTED, CHUNK override the sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${SAMPLES:-2000000000}"
elements="${ELEMENTS:-1000000000}"
persisted="${PERSISTED:-100000000}"
chunk="${CHUNK:-25000000}"
bazel build //bench:array_bench //scheduler:weft-scheduler //worker:weft-worker >/dev/null 2>&1
bin="$(bazel info bazel-bin 2>/dev/null)"
source bench/lib.sh
bench_scratch arrays

triad=$("$bin/bench/array_bench" --triad 67108864 | awk '{print $3}')

# ---- weft
"$bin/scheduler/weft-scheduler" --host 127.0.0.1 --port 0 --no-dashboard \
  --scheduler-file "$scratch/sched.json" >"$scratch/scheduler.log" 2>&1 &
pids+=($!)
"$bin/worker/weft-worker" --scheduler-file "$scratch/sched.json" --host 127.0.0.1 \
  --nworkers 2 --nthreads 1 --name bench --local-directory "$scratch/w" \
  >"$scratch/workers.log" 2>&1 &
pids+=($!)
weft_out=$("$bin/bench/array_bench" "$scratch/sched.json" "$samples" "$elements" "$persisted" \
  "$chunk")
stop_bench_processes

# ---- dask
dask_out=$(/usr/bin/python3 bench/array_dask.py "$samples" "$elements" "$persisted" "$chunk" \
  2>"$scratch/dask.log") || { cat "$scratch/dask.log" >&2; exit 1; }

echo "2 workers x 1 thread each; chunks of $chunk; one core's STREAM triad: $triad GB/s"
printf '%-18s %9s %9s %7s %10s  %-22s %-22s\n' work weft_s dask_s ratio weft_GB/s \
  weft_answer dask_answer
for op in pi xyz_sum normal_mean normal_std persisted_xyz_sum persisted_y_sum; do
  read -r ws wa < <(echo "$weft_out" | awk -v op="$op" '$1 == op {print $2, $3}')
  read -r ds da < <(echo "$dask_out" | awk -v op="$op" '$1 == op {print $2, $3}')
  case "$op" in
    xyz_sum) bytes=$((24 * elements)) ;;
    persisted_xyz_sum) bytes=$((24 * persisted)) ;;
    persisted_y_sum) bytes=$((8 * persisted)) ;;
    *) bytes=0 ;;
  esac
  gbs=$(awk -v b="$bytes" -v s="$ws" 'BEGIN {if (b > 0) printf "%.1f/wkr", b / s / 2e9; else print "-"}')
  ratio=$(awk -v d="$ds" -v w="$ws" 'BEGIN {printf "%.1fx", (w > 0 ? d / w : 0)}')
  printf '%-18s %9s %9s %7s %10s  %-22s %-22s\n' "$op" "$ws" "$ds" "$ratio" "$gbs" "$wa" "$da"
done
