#!/usr/bin/env bash
# Moving a 1 GiB value from worker A to worker B, two processes on loopback (a task on B
# needs A's value): weft and dask.distributed (processes=True) in the same run, with the
# ratio. Also weft's bare FetchValues, and a client gathering a value from a real
# weft-worker process (bench/transfer_bench.cc says what each measures). weft runs with a
# shared token on every call (WEFT_AUTH_TOKEN), as a secured cluster would; its GetData
# stream alone (WEFT_SAME_HOST_TRANSFERS=0: the path between hosts) is shown too.
# Figures are the best of the rounds.
# Usage: bench/run_transfer.sh [bytes] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
bytes="${1:-1073741824}"
rounds="${2:-5}"
bazel build //bench:transfer_bench //scheduler:weft-scheduler //worker:weft-worker >/dev/null 2>&1
export WEFT_AUTH_TOKEN="transfer-bench-$RANDOM$RANDOM"
# One at a time: each side holds a few copies of the value (24 GiB of RAM is plenty, but
# the benches must not compete for the 2 cores).
same_host_out="$(bazel-bin/bench/transfer_bench "$bytes" "$rounds")"
stream_out="$(WEFT_SAME_HOST_TRANSFERS=0 bazel-bin/bench/transfer_bench "$bytes" "$rounds")"
unset WEFT_AUTH_TOKEN
dask_out="$(/usr/bin/python3 bench/dask_transfer.py "$bytes" "$rounds" 2>/dev/null)"
read -r _ task_s task_rate < <(grep '^weft [0-9]' <<<"$same_host_out")
read -r _ fetch_s fetch_rate < <(grep '^fetch [0-9]' <<<"$same_host_out")
read -r _ gather_s gather_rate < <(grep '^gather [0-9]' <<<"$same_host_out")
read -r _ stream_task_s stream_task_rate < <(grep '^weft [0-9]' <<<"$stream_out")
read -r _ stream_fetch_s stream_fetch_rate < <(grep '^fetch [0-9]' <<<"$stream_out")
read -r _ stream_gather_s stream_gather_rate < <(grep '^gather [0-9]' <<<"$stream_out")
read -r _ dask_s dask_rate < <(grep '^dask [0-9]' <<<"$dask_out")
row() { printf '%-50s %10.3f %10.2f\n' "$1" "$2" "$3"; }
printf '%-50s %10s %10s\n' "$bytes bytes, worker A -> B, two processes" "seconds" "GB/s"
row "weft: task on B needing A's value" "$task_s" "$task_rate"
row "weft: bare FetchValues" "$fetch_s" "$fetch_rate"
row "weft: client gather from a weft-worker process" "$gather_s" "$gather_rate"
row "weft, GetData stream only: task on B" "$stream_task_s" "$stream_task_rate"
row "weft, GetData stream only: bare FetchValues" "$stream_fetch_s" "$stream_fetch_rate"
row "weft, GetData stream only: client gather" "$stream_gather_s" "$stream_gather_rate"
row "dask.distributed: task on B needing A's value" "$dask_s" "$dask_rate"
python3 -c "print(f'{\"ratio (weft / dask speed, task on B)\":<50} {$dask_s/$task_s:>10.1f}x')"
# weft's task rounds run back to back, so B's new buffer reuses memory just freed; dask
# (and weft's gather) make the value anew before each round, so that memory has gone cold
# (on a VM that hands freed memory back to its host, faulting it in again is slow).
python3 -c "print(f'{\"ratio (weft gather / dask: both cold memory)\":<50} {$dask_s/$gather_s:>10.1f}x')"
