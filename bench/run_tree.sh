#!/usr/bin/env bash
# A tree reduction of ~10,000 tasks on 2 workers x 1 thread: weft and dask.distributed in the
# same run, with the ratio. Usage: bench/run_tree.sh [LEAVES]
set -euo pipefail
cd "$(dirname "$0")/.."
leaves="${1:-5000}"
bazel build //bench:tree_bench //scheduler:weft-scheduler //worker:weft-worker >/dev/null 2>&1
read -r _ weft_s weft_rate tasks < <(bazel-bin/bench/tree_bench "$leaves")
read -r _ dask_s dask_rate _ < <(/usr/bin/python3 bench/dask_tree.py "$leaves" 2>/dev/null)
printf '%-30s %10s %12s\n' "tree reduction, $tasks tasks" "seconds" "tasks/s"
printf '%-30s %10.4f %12.0f\n' "weft" "$weft_s" "$weft_rate"
printf '%-30s %10.4f %12.0f\n' "dask.distributed" "$dask_s" "$dask_rate"
python3 -c "print(f'{\"ratio (weft / dask speed)\":<30} {$dask_s/$weft_s:>10.1f}x')"
