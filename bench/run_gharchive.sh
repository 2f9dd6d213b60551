#!/usr/bin/env bash
# The GitHub Archive session on the 20 real 2016 hours (../shared/data/gharchive/2016), in
# weft (2 workers x 1 thread) and dask.distributed (2 processes x 1 thread), step by step,
# with the ratios and both memory footprints. Each side runs ROUNDS times (default 3), a
# fresh cluster each time, and each step's best time counts: on this VM a process's first
# touch of memory is slow and varies from run to run (the same weft session's stream step
# took 0.33-0.61 s), so one run measures the machine as much as the code.
# Usage: [ROUNDS=N] bench/run_gharchive.sh [FILES...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then files=("$@"); else files=(../shared/data/gharchive/2016/*.json.gz); fi
[ -e "${files[0]}" ] || { echo "no input files (looked in ../shared/data/gharchive/2016)"; exit 1; }
files=($(realpath "${files[@]}"))
bazel build //bench:gharchive_bench //scheduler:weft-scheduler //worker:weft-worker \
  //common/io:io_speed //worker/bag:bag_kernels_bench >/dev/null 2>&1
raw=$(for f in "${files[@]}"; do zcat "$f"; done | wc -c)
echo "${#files[@]} files, $((raw / 1000000)) MB of JSON"
rounds="${ROUNDS:-3}"
: > /tmp/weft-gh.txt
: > /tmp/dask-gh.txt
# One side's rounds back to back, then the other's: a round right after the other side's
# (which freed gigabytes) found the machine cold (weft's stream step 0.57 s after dask's
# run, 0.33 s after its own).
for _ in $(seq "$rounds"); do bazel-bin/bench/gharchive_bench "${files[@]}" >> /tmp/weft-gh.txt; done
for _ in $(seq "$rounds"); do
  /usr/bin/python3 bench/dask_gharchive.py "${files[@]}" 2>/dev/null >> /tmp/dask-gh.txt
done
# The raw limit on one core: ISA-L inflate from memory, then simdjson validation.
dir=$(dirname "${files[0]}")
isal=$(bazel-bin/common/io/io_speed "$dir/*.json.gz" | sed -n 's/^ISA-L.* \([0-9.]*\) MB\/s$/\1/p')
parse=$(bazel-bin/worker/bag/bag_kernels_bench "$dir" | sed -n 's/^parse_json (validate) *[0-9.]* ms *\([0-9.]*\) MB\/s$/\1/p')
python3 - "$raw" "$isal" "$parse" "$rounds" <<'PY'
import sys
raw = int(sys.argv[1])
isal, parse = float(sys.argv[2] or 0), float(sys.argv[3] or 0)
def load(p):
    # The best (least) of the rounds for times; the largest for memory.
    best = {}
    for l in open(p):
        f = l.split(maxsplit=1)
        # Figures only: the answer_* lines (JSON) are what bench/run_month.sh compares.
        if len(f) != 2 or f[0].startswith("answer_"): continue
        try:
            k, v = f[0], float(f[1])
        except ValueError:
            continue
        pick = max if k.startswith("memory") else min
        best[k] = pick(best[k], v) if k in best else v
    return best
w, d = load("/tmp/weft-gh.txt"), load("/tmp/dask-gh.txt")
print(f"best of {sys.argv[4]} rounds each")
print(f"{'step':<28}{'weft':>12}{'dask':>12}{'dask/weft':>11}")
for k in w:
    if k.startswith("memory") or k not in d: continue
    print(f"{k:<28}{w[k]*1000:>10.1f}ms{d[k]*1000:>10.1f}ms{d[k]/max(w[k],1e-9):>10.1f}x")
wm = w.get("memory_managed", 0); dm = d.get("memory_managed", 0)
print(f"{'memory held (x JSON size)':<28}{wm/raw:>11.2f}x{dm/raw:>11.2f}x")
if isal and parse:
    limit = 1 / (1 / isal + 1 / parse)  # MB/s on one core
    stream = raw / 1e6 / w["stream_filter_count"]
    print(f"raw limit, one core: ISA-L {isal:.0f} MB/s + simdjson {parse:.0f} MB/s "
          f"= {limit:.0f} MB/s; weft streams {stream:.0f} MB/s on 2 workers "
          f"= {stream / (2 * limit):.0%} of 2 cores' limit")
PY
