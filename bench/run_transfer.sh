#!/usr/bin/env bash
# Moving a 1 GiB value between two workers on loopback (a task on worker B needs a value
# on worker A): weft and dask.distributed in the same run, with the ratio.
# Usage: bench/run_transfer.sh [bytes] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
bytes="${1:-1073741824}"
rounds="${2:-3}"
bazel build //bench:transfer_bench >/dev/null 2>&1
# One at a time: each side holds a few copies of the value (24 GiB of RAM is plenty, but
# the two benches must not compete for the 2 cores).
weft_out="$(bazel-bin/bench/transfer_bench "$bytes" "$rounds")"
dask_out="$(/usr/bin/python3 bench/dask_transfer.py "$bytes" "$rounds" 2>/dev/null)"
read -r _ weft_s weft_rate < <(grep '^weft [0-9]' <<<"$weft_out")
read -r _ fetch_s fetch_rate < <(grep '^fetch [0-9]' <<<"$weft_out")
read -r _ dask_s dask_rate < <(grep '^dask [0-9]' <<<"$dask_out")
printf '%-34s %10s %10s\n' "$bytes bytes, worker A -> B" "seconds" "GB/s"
printf '%-34s %10.3f %10.2f\n' "weft (task on B needing A's value)" "$weft_s" "$weft_rate"
printf '%-34s %10.3f %10.2f\n' "weft (bare GetData fetch)" "$fetch_s" "$fetch_rate"
printf '%-34s %10.3f %10.2f\n' "dask.distributed (same task)" "$dask_s" "$dask_rate"
python3 -c "print(f'{\"ratio (weft / dask speed)\":<34} {$dask_s/$weft_s:>10.1f}x')"
