#!/usr/bin/env bash
# 10,000 trivial tasks (map then gather) on 2 workers x 1 thread: weft and dask.distributed
# in the same run, with the ratio; then one task's round trip on each side (submit, wait
# until done, fetch the result: median of 300). Usage: bench/run_tasks.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
bazel build //bench:tasks_bench //scheduler:weft-scheduler //worker:weft-worker >/dev/null 2>&1
weft_out=$(bazel-bin/bench/tasks_bench "$n")
dask_out=$(/usr/bin/python3 bench/dask_tasks.py "$n" 2>/dev/null)
read -r _ weft_s weft_rate <<<"$(grep '^weft ' <<<"$weft_out")"
read -r _ dask_s dask_rate <<<"$(grep '^dask ' <<<"$dask_out")"
read -r _ _ weft_done _ weft_fetch <<<"$(grep '^one_task_ms ' <<<"$weft_out")"
read -r _ _ dask_done _ dask_fetch <<<"$(grep '^one_task_ms ' <<<"$dask_out")"
printf '%-28s %10s %12s\n' "$n trivial tasks, 2x1" "seconds" "tasks/s"
printf '%-28s %10.4f %12.0f\n' "weft" "$weft_s" "$weft_rate"
printf '%-28s %10.4f %12.0f\n' "dask.distributed" "$dask_s" "$dask_rate"
python3 -c "print(f'{\"ratio (weft / dask speed)\":<28} {$dask_s/$weft_s:>10.1f}x')"
printf '%-28s %10s %12s\n' "one task's round trip" "to done" "fetch"
printf '%-28s %8.3fms %10.3fms\n' "weft" "$weft_done" "$weft_fetch"
printf '%-28s %8.3fms %10.3fms\n' "dask.distributed" "$dask_done" "$dask_fetch"
python3 -c "print(f'{\"ratio (dask / weft)\":<28} {($dask_done+$dask_fetch)/($weft_done+$weft_fetch):>10.1f}x')"
