# Sourced by the bench/run_*.sh scripts: a scratch folder and the background processes
# they start, both cleaned up when the script exits.
#   bench_scratch NAME     sets $scratch (/tmp/weft-NAME-XXXXXX) and the EXIT trap
#   pids+=($!)             a process to kill at exit (or at stop_bench_processes)
pids=()

stop_bench_processes() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

bench_scratch() {
  scratch="$(mktemp -d "/tmp/weft-$1-XXXXXX")"
  trap 'stop_bench_processes; rm -rf "$scratch"' EXIT
}
