#!/usr/bin/env bash
# Shuffles in weft and dask.distributed side by side, each on 2 workers x 1 thread, one
# after the other:
#  (b) events per actor over the 20 real 2016 GitHub Archive hours, gathered to the
#      client: weft to_pairs + reduce_by_key vs dask.bag foldby, and weft groupby vs
#      dask.bag groupby (both + count), up to 3 rounds each (the best counts);
#  (a) a sort of the sort benchmark's 100-byte records (as JSON lines, made by
#      bench/gen_sort_records.py) of 1, 2 and 4 GB, disk to disk: weft read_text +
#      parse_json + sort_by + to_textfiles (bench/shuffle_bench.cc), dask read_json +
#      sort_values + to_json (bench/shuffle_dask.py), workers with --memory-limit 1GiB; each
#      output checked (count, every record once, keys ordered within and across files).
# Prints a table of times, MB/s per worker, worker CPU seconds and peak RSS per worker
# (the kernel's VmHWM, reset at the start of each step; the 10 Hz VmRSS maximum for a
# process that did not live through it).
#
# Usage: bench/run_shuffle.sh [SIZES_GB...]          (default: 1 2 4)
# Environment: MEMORY_LIMIT   the sort's workers, both sides (default 1GiB)
#              ACTORS_MEMORY_LIMIT  for (b) (default 8GiB, as bench/dask_gharchive.py)
#              CAP            seconds for one run of either side (default 900)
#              BUDGET         seconds for the whole script (default 2550); a run that
#                             would start past it is reported as not run
#              KEEP_DATA=1    keep the generated inputs (/tmp/weft-sort-<size>) for later
# Every size runs on weft first, then on dask; a side that fails or times out at one size
# is not run at larger ones.
# Processes and scratch data are removed on exit; the logs stay in /tmp/weft-shuffle-logs.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 2 4)
memory_limit="${MEMORY_LIMIT:-1GiB}"
actors_memory_limit="${ACTORS_MEMORY_LIMIT:-8GiB}"
cap="${CAP:-900}"
budget="${BUDGET:-2550}"
gharchive=(/work/shared/data/gharchive/2016/*.json.gz)
[ -e "${gharchive[0]}" ] || gharchive=(../shared/data/gharchive/2016/*.json.gz)
[ -e "${gharchive[0]}" ] || { echo "no GitHub Archive hours in ../shared/data/gharchive/2016"; exit 1; }
mapfile -t gharchive < <(realpath "${gharchive[@]}")

start_time=$SECONDS
scratch="$(mktemp -d /tmp/weft-shuffle-XXXXXX)"
logs=/tmp/weft-shuffle-logs
results="$scratch/results.txt"
generated=()    # inputs this run made (removed at exit unless KEEP_DATA=1)
weft_pids=()    # scheduler and workers of the running weft cluster
nanny_pids=()    # the weft-worker processes started here: nannies, each running one worker
worker_pids=()   # their children, the workers themselves (memory and CPU are measured here)
group_pid=""    # process group of the running dask driver or shuffle_bench

stop_weft() {
  [ ${#weft_pids[@]} -gt 0 ] || return 0
  kill -TERM "${weft_pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "${weft_pids[@]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "${weft_pids[@]}" 2>/dev/null || true
  wait "${weft_pids[@]}" 2>/dev/null || true
  weft_pids=()
  nanny_pids=()
  worker_pids=()
}

cleanup() {
  [ -z "$group_pid" ] || kill -KILL -- "-$group_pid" 2>/dev/null || true
  stop_weft
  if [ -f "$results" ]; then
    mkdir -p "$logs"
    cp "$results" "$logs/results.txt"
  fi
  rm -rf "$scratch"
  [ "${KEEP_DATA:-0}" = 1 ] || [ ${#generated[@]} -eq 0 ] || rm -rf "${generated[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Seconds left for one run: CAP, or less when the budget runs out (0: don't start).
run_cap() {
  local left=$((budget - (SECONDS - start_time)))
  if [ "$left" -lt 60 ]; then echo 0; elif [ "$left" -lt "$cap" ]; then echo "$left"; else echo "$cap"; fi
}

# record CASE SIDE LINES...: appends "SIDE CASE <line>" to the results.
record() {
  local case=$1 side=$2
  shift 2
  for line in "$@"; do echo "$side $case $line" >>"$results"; done
}

# Runs a command in its own process group under a time limit, so that everything it
# starts (dask's worker processes) goes when it ends or is stopped.
run_group() {
  local limit=$1 out=$2 err=$3
  shift 3
  setsid timeout -k 10 "$limit" "$@" >"$out" 2>"$err" &
  group_pid=$!
  local status=0
  wait "$group_pid" || status=$?
  kill -KILL -- "-$group_pid" 2>/dev/null || true
  group_pid=""
  return "$status"
}

start_weft() {
  local limit=$1 dir="$scratch/weft"
  rm -rf "$dir"
  mkdir -p "$dir"
  "$scratch/bin/weft-scheduler" --host 127.0.0.1 --port 0 --no-dashboard \
    --scheduler-file "$dir/scheduler.json" >"$dir/scheduler.log" 2>&1 &
  weft_pids+=($!)
  for _ in $(seq 100); do [ -s "$dir/scheduler.json" ] && break; sleep 0.1; done
  address=$(sed -n 's/.*"address": *"\([^"]*\)".*/\1/p' "$dir/scheduler.json")
  [ -n "$address" ] || { echo "weft-scheduler did not start:"; cat "$dir/scheduler.log"; exit 1; }
  for i in 0 1; do
    "$scratch/bin/weft-worker" "$address" --nthreads 1 --memory-limit "$limit" \
      --host 127.0.0.1 --name "worker-$i" --local-directory "$dir/worker-$i" \
      >"$dir/worker-$i.log" 2>&1 &
    weft_pids+=($!)
    nanny_pids+=($!)
  done
  for _ in $(seq 100); do
    if [ "$(cat "$dir"/worker-*.log 2>/dev/null | grep -c 'registered to')" -ge 2 ]; then
      # Memory and CPU are the workers' own: each weft-worker runs as its nanny's child
      # (the nanny itself holds ~25 MB and does no work).
      local nanny
      for nanny in "${nanny_pids[@]}"; do worker_pids+=($(pgrep -P "$nanny")); done
      [ ${#worker_pids[@]} -eq 2 ] && return 0
      echo "expected one worker process under each nanny, found: ${worker_pids[*]}"
      exit 1
    fi
    sleep 0.1
  done
  echo "weft workers did not register:"
  cat "$dir"/worker-*.log
  exit 1
}

# Keeps a run's logs (small) in $logs/<name>.
keep_logs() {
  local name=$1
  shift
  mkdir -p "$logs/$name"
  cp "$@" "$logs/$name/" 2>/dev/null || true
}

load() { cut -d' ' -f1 /proc/loadavg; }

# weft_run CASE MEMORY_LIMIT ARGS...: shuffle_bench on a fresh cluster.
weft_run() {
  local case=$1 limit=$2
  shift 2
  local limit_s status=0
  limit_s=$(run_cap)
  if [ "$limit_s" -eq 0 ]; then record "$case" weft "status not run: time budget"; return 1; fi
  start_weft "$limit"
  record "$case" weft "load_start $(load)"
  run_group "$limit_s" "$scratch/weft-$case.out" "$scratch/weft-$case.err" \
    "$scratch/bin/shuffle_bench" "$address" "$(IFS=,; echo "${worker_pids[*]}")" "$@" || status=$?
  record "$case" weft "load_end $(load)"
  mapfile -t lines <"$scratch/weft-$case.out"
  record "$case" weft "${lines[@]}"
  stop_weft
  keep_logs "weft-$case" "$scratch/weft-$case.err" "$scratch"/weft/*.log
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    record "$case" weft "status timeout after ${limit_s} s"
  elif [ "$status" -ne 0 ]; then
    record "$case" weft "status failed (exit $status): $(tail -1 "$scratch/weft-$case.err")"
  else
    record "$case" weft "status ok"
  fi
  return "$status"
}

# dask_run CASE ARGS...: bench/shuffle_dask.py (which starts its own LocalCluster).
dask_run() {
  local case=$1
  shift
  local limit_s status=0
  limit_s=$(run_cap)
  if [ "$limit_s" -eq 0 ]; then record "$case" dask "status not run: time budget"; return 1; fi
  record "$case" dask "load_start $(load)"
  run_group $((limit_s + 60)) "$scratch/dask-$case.out" "$scratch/dask-$case.err" \
    /usr/bin/python3 bench/shuffle_dask.py "$@" --cap "$limit_s" || status=$?
  record "$case" dask "load_end $(load)"
  mapfile -t lines <"$scratch/dask-$case.out"
  record "$case" dask "${lines[@]}"
  keep_logs "dask-$case" "$scratch/dask-$case.err"
  if [ "$status" -ne 0 ]; then
    record "$case" dask "status failed (exit $status): $(tail -1 "$scratch/dask-$case.err")"
    return 1
  fi
  # shuffle_dask.py reports each step's status itself (and exits 0 after a timeout).
  [[ $case != sort* ]] || grep -q '^sort_status ok' "$scratch/dask-$case.out"
}

# check_sort CASE SIDE DIR RECORDS
check_sort() {
  local line
  line=$(/usr/bin/python3 bench/gen_sort_records.py --check "$3" "$4" 2>&1 | tail -1)
  record "$1" "$2" "$line"
  rm -rf "$3"
}

rm -rf "$logs"
mkdir -p "$logs"
echo "building..."
bazel build //bench:shuffle_bench //scheduler:weft-scheduler //worker:weft-worker >/dev/null 2>&1
# Copies: other builds may replace bazel-bin's files while the bench runs.
mkdir -p "$scratch/bin"
cp bazel-bin/bench/shuffle_bench bazel-bin/scheduler/weft-scheduler \
  bazel-bin/worker/weft-worker "$scratch/bin/"
raw=$(for f in "${gharchive[@]}"; do zcat "$f"; done | wc -c)
{
  echo "meta gharchive_files ${#gharchive[@]}"
  echo "meta gharchive_bytes $raw"
  echo "meta memory_limit $memory_limit"
  echo "meta actors_memory_limit $actors_memory_limit"
} >>"$results"

echo "(b) events per actor, ${#gharchive[@]} GitHub Archive hours..."
weft_run actors "$actors_memory_limit" actors "${gharchive[@]}" || true
dask_run actors actors "${gharchive[@]}" --memory-limit "$actors_memory_limit" || true

# The inputs first (kept until the end: 7 GB for 1 2 4, in the page cache for both sides).
for size in "${sizes[@]}"; do
  input="/tmp/weft-sort-$size"
  records=$(python3 -c "print(int($size * 10**9) // 100)")
  bytes=$( (find "$input" -name '*.json' -printf '%s\n' 2>/dev/null || true) | awk '{s += $1} END {print s + 0}')
  if [ "$bytes" != $((records * 100)) ]; then
    echo "(a) generating $size GB of records in $input..."
    rm -rf "$input"
    generated+=("$input")
    /usr/bin/python3 bench/gen_sort_records.py "$input" "$size" >/dev/null
  fi
  echo "meta sort$size records $records" >>"$results"
done

# Every size on weft, then on dask: the budget, if it runs out, cuts dask's last runs
# rather than weft's (dask's time is capped and reported as such either way).
for side in weft dask; do
  ok=1
  for size in "${sizes[@]}"; do
    input="/tmp/weft-sort-$size"
    records=$(python3 -c "print(int($size * 10**9) // 100)")
    nout=$(find "$input" -name '*.json' | wc -l)
    out="$scratch/$side-sorted"
    rm -rf "$out"
    mkdir -p "$out"
    if [ "$ok" != 1 ]; then
      record "sort$size" "$side" "status not run: failed at a smaller size"
      continue
    fi
    echo "(a) sort of $size GB on $side..."
    if [ "$side" = weft ]; then
      weft_run "sort$size" "$memory_limit" sort "$input/*.json" "$out/part-*.json" "$nout" || ok=0
    else
      dask_run "sort$size" sort "$input" "$out" "$nout" --memory-limit "$memory_limit" || ok=0
    fi
    if [ "$ok" = 1 ]; then check_sort "sort$size" "$side" "$out" "$records"; fi
    rm -rf "$out"
  done
done

/usr/bin/python3 bench/shuffle_summary.py "$results"
echo "(logs and raw figures: $logs)"
