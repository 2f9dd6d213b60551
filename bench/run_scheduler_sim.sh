#!/usr/bin/env bash
# The scheduler alone, no network, on a simulated cluster: weft's SchedulerState with
# 1,000 workers x 2 threads through ~1,000,000 tasks (bench/scheduler_sim.cc), and
# dask.distributed's Scheduler through the same graph shape at 20,000 tasks on 50
# workers (bench/dask_scheduler_sim.py); prints both per-task times and the ratio.
# Usage: bench/run_scheduler_sim.sh [WEFT_TASKS] [DASK_TASKS]
set -euo pipefail
cd "$(dirname "$0")/.."
weft_tasks="${1:-1000000}"
dask_tasks="${2:-20000}"
bazel build //bench:scheduler_sim >/dev/null 2>&1
bazel-bin/bench/scheduler_sim --tasks "$weft_tasks" --workers 1000 --threads 2 | tee /tmp/weft_sim.$$
weft_us=$(awk '$1 == "sim" {print $2}' /tmp/weft_sim.$$)
rm -f /tmp/weft_sim.$$
if dask_line=$(/usr/bin/python3 bench/dask_scheduler_sim.py "$dask_tasks" 50 2 2>/dev/null); then
  read -r _ dask_s dask_n dask_us <<<"$dask_line"
else
  echo "dask: could not drive distributed.Scheduler without network (see the script)"
  exit 1
fi
printf '\n%-40s %12s\n' "scheduler cost per task" "microseconds"
printf '%-40s %12.2f\n' "weft  ($weft_tasks tasks, 1000x2 workers)" "$weft_us"
printf '%-40s %12.2f\n' "dask  ($dask_n tasks, 50x2 workers)" "$dask_us"
python3 -c "print(f'{\"ratio (dask / weft time per task)\":<40} {$dask_us/$weft_us:>11.1f}x')"
