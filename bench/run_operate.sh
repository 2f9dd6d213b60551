#!/usr/bin/env bash
# Operating a cluster, weft and dask.distributed side by side, each a scheduler and a
# nanny of 2 workers x 1 thread on loopback, one after the other:
#   upload   ship a plugin to every worker and have it loaded (weft: `weft upload` of
#            libexample_plugin.so; dask: Client.upload_file of a small .py module)
#   run      call a function once on every worker (getpid / os.getpid)
#   restart  cancel everything, fresh worker processes, all back (Client.restart)
# Each is timed ROUNDS times (default 5) on a connected client (bench/operate_bench.cc,
# bench/operate_dask.py); the best and the median are printed with the ratio dask/weft of
# the medians.
#
# Usage: bench/run_operate.sh            (builds what it needs with bazel)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-5}"
bazel build //bench:operate_bench //scheduler:weft-scheduler //worker:weft-worker \
  //worker:libexample_plugin.so >/dev/null 2>&1
bin="$(bazel info bazel-bin 2>/dev/null)"
source bench/lib.sh
bench_scratch operate

# ---- weft
"$bin/scheduler/weft-scheduler" --host 127.0.0.1 --port 0 --no-dashboard \
  --scheduler-file "$scratch/sched.json" >"$scratch/scheduler.log" 2>&1 &
pids+=($!)
"$bin/worker/weft-worker" --scheduler-file "$scratch/sched.json" --host 127.0.0.1 \
  --nworkers 2 --name bench --local-directory "$scratch/w" >"$scratch/workers.log" 2>&1 &
pids+=($!)
weft_out=$("$bin/bench/operate_bench" "$scratch/sched.json" "$bin/worker/libexample_plugin.so" \
  "$rounds")
stop_bench_processes

# ---- dask
dask_out=$(/usr/bin/python3 bench/operate_dask.py "$rounds" "$scratch" 2>"$scratch/dask.log")

stats() {  # "best median" of a list of milliseconds
  tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)]}'
}
printf '%-8s %10s %10s %10s %10s %8s\n' op weft_best weft_med dask_best dask_med ratio
for op in upload run restart; do
  read -r wb wm < <(echo "$weft_out" | awk -v op="$op" '$1 == op {$1 = ""; print}' | stats)
  read -r db dm < <(echo "$dask_out" | awk -v op="$op" '$1 == op {$1 = ""; print}' | stats)
  ratio=$(awk -v d="$dm" -v w="$wm" 'BEGIN {printf "%.1fx", (w > 0 ? d / w : 0)}')
  printf '%-8s %8s ms %8s ms %8s ms %8s ms %8s\n' "$op" "$wb" "$wm" "$db" "$dm" "$ratio"
done
