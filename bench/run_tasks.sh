#!/usr/bin/env bash
# 10,000 trivial tasks (map then gather) on 2 workers x 1 thread: weft and dask.distributed
# in the same run, with the ratio. Usage: bench/run_tasks.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
bazel build //bench:tasks_bench //scheduler:weft-scheduler //worker:weft-worker >/dev/null 2>&1
read -r _ weft_s weft_rate < <(bazel-bin/bench/tasks_bench "$n")
read -r _ dask_s dask_rate < <(/usr/bin/python3 bench/dask_tasks.py "$n" 2>/dev/null)
printf '%-28s %10s %12s\n' "$n trivial tasks, 2x1" "seconds" "tasks/s"
printf '%-28s %10.4f %12.0f\n' "weft" "$weft_s" "$weft_rate"
printf '%-28s %10.4f %12.0f\n' "dask.distributed" "$dask_s" "$dask_rate"
python3 -c "print(f'{\"ratio (weft / dask speed)\":<28} {$dask_s/$weft_s:>10.1f}x')"
