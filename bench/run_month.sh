#!/usr/bin/env bash
# A month of the GitHub Archive in memory on one machine (issue 12). The 20 real 2016 hours
# (../shared/data/gharchive/2016) linked COPIES times (default 36: 720 files, ≈18 GB of
# JSON) make the month. weft (2 workers x 1 thread, a local cluster) runs the session on
# the 20 hours, then on the month: stream filter + count, persist (zstd blocks), take(1),
# count, frequencies of type cold and warm, the jupyter filter + repartition(10) + persist,
# its distinct and topk; the month's answers must be exactly COPIES times the 20 hours'.
# Then dask (2 processes x 1 thread, half the machine's memory each) persists growing
# numbers of files (DASK_FILES, default "40 80 120 160 240") until it no longer holds them
# (a worker dies, or it spills to disk): the largest number it holds, against weft's, is
# the capacity ratio.
# Usage: [COPIES=36] [DASK_FILES="40 80"] bench/run_month.sh
set -euo pipefail
cd "$(dirname "$0")/.."
src=(../shared/data/gharchive/2016/*.json.gz)
[ -e "${src[0]}" ] || { echo "no input files (looked in ../shared/data/gharchive/2016)"; exit 1; }
copies="${COPIES:-36}"
dask_files="${DASK_FILES:-40 80 120 160 240}"
dir=$(mktemp -d /tmp/weft-month.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/month"
for c in $(seq -w 1 "$copies"); do
  for f in "${src[@]}"; do ln -s "$(realpath "$f")" "$dir/month/c$c-$(basename "$f")"; done
done
month=("$dir"/month/*.json.gz)
bazel build //bench:gharchive_bench //scheduler:weft-scheduler //worker:weft-worker >/dev/null 2>&1
hour_bytes=$(for f in "${src[@]}"; do zcat "$f"; done | wc -c)
echo "the month: ${#month[@]} files (${#src[@]} hours x $copies), $((hour_bytes * copies / 1000000)) MB of JSON"

bazel-bin/bench/gharchive_bench "${src[@]}" > "$dir/weft-hours.txt"
bazel-bin/bench/gharchive_bench "${month[@]}" > "$dir/weft-month.txt"

dask_held=0
for n in $dask_files; do
  [ "$n" -le "${#month[@]}" ] || break
  echo "dask: persisting $n files ..."
  rc=0
  timeout 1200 /usr/bin/python3 bench/dask_month.py "${month[@]:0:$n}" \
    > "$dir/dask-$n.txt" 2>"$dir/dask-$n.err" || rc=$?
  if [ "$rc" -eq 0 ] && grep -q '^fits 1$' "$dir/dask-$n.txt"; then
    dask_held=$n
    cp "$dir/dask-$n.txt" "$dir/dask-held.txt"
    continue
  fi
  if [ "$rc" -eq 124 ]; then
    echo "dask: $n files do not fit: not persisted after 20 minutes"
  elif [ "$rc" -ne 0 ]; then
    echo "dask: $n files do not fit: it failed ($(grep -E 'Error|Killed' "$dir/dask-$n.err" | tail -1 | cut -c1-160))"
  else
    echo "dask: $n files do not fit: $(grep -E '^(spilled|memory_process) ' "$dir/dask-$n.txt" | tr '\n' ' ')"
  fi
  break
done
[ -f "$dir/dask-held.txt" ] || : > "$dir/dask-held.txt"

python3 - "$dir" "$copies" "$hour_bytes" "${#month[@]}" "$dask_held" <<'PY'
import json, sys
d, copies, hour_bytes, nfiles, dask_held = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
file_bytes = hour_bytes * copies / nfiles  # JSON bytes of an average file
def load(p):
    out = {}
    for l in open(p):
        k, _, v = l.rstrip("\n").partition(" ")
        out[k] = v
    return out
h, m, dk = load(f"{d}/weft-hours.txt"), load(f"{d}/weft-month.txt"), load(f"{d}/dask-held.txt")
raw = hour_bytes * copies
ok = True
def check(name, cond):
    global ok
    ok &= cond
    print(f"  {name}: {'exact' if cond else 'WRONG'}")
print(f"answers, the month against {copies} x the 20 hours:")
check("count", int(m["answer_count"]) == copies * int(h["answer_count"]))
check("push events", int(m["answer_push"]) == copies * int(h["answer_push"]))
fh, fm = dict(map(tuple, json.loads(h["answer_frequencies"]))), dict(map(tuple, json.loads(m["answer_frequencies"])))
check("frequencies of type", fm == {k: copies * v for k, v in fh.items()})
check("distinct jupyter repos", sorted(json.loads(m["answer_distinct"])) == sorted(json.loads(h["answer_distinct"])))
check("topk actors", [c for _, c in json.loads(m["answer_topk"])] == [copies * c for _, c in json.loads(h["answer_topk"])])
t = lambda k: float(m[k])
stream_rate = raw / t("stream_filter_count") / 1e6
persist_rate = raw / t("persist") / 1e6
rss = int(m["memory_process"])
print(f"\nweft, the month ({raw / 1e9:.1f} GB of JSON, 2 workers x 1 thread)   target")
print(f"  stream filter + count      {t('stream_filter_count'):8.2f} s   {stream_rate:6.0f} MB/s")
print(f"  persist (zstd)             {t('persist'):8.2f} s   {persist_rate:6.0f} MB/s = {persist_rate / stream_rate:.0%} of the stream rate   >= 80%")
print(f"  workers' RSS               {rss / 1e9:8.2f} GB  = {rss / raw:.3f} x the JSON   <= 0.25 x")
print(f"  held (compressed)          {int(m['memory_managed']) / 1e9:8.2f} GB  = {int(m['memory_managed']) / raw:.3f} x the JSON")
for k, target in [("take1", "<= 1 ms"), ("count", ""), ("count_warm", "<= 1 ms"),
                  ("frequencies", "<= 3 s cold"), ("frequencies_warm", "<= 20 ms"),
                  ("filter_repartition_persist", "<= 5 s"), ("distinct", "<= 5 ms"), ("topk", "<= 5 ms")]:
    v = t(k)
    print(f"  {k:<26}{v * 1000:9.1f} ms   {target}")
print(f"\ndask: holds {dask_held} of {nfiles} files" + (
    f" (managed {int(dk['memory_managed']) / 1e9:.1f} GB, process {int(dk['memory_process']) / 1e9:.1f} GB"
    f" = {int(dk['memory_process']) / (file_bytes * dask_held):.2f} x its JSON; persist {float(dk['persist']):.1f} s)" if dask_held else ""))
weft_held = nfiles if ok and int(m.get("spilled", "0")) == 0 else 0
print(f"capacity: weft holds {weft_held} files, dask {dask_held}: "
      + (f"{weft_held / dask_held:.1f}x" if dask_held else "dask held none of the steps tried"))
sys.exit(0 if ok else 1)
PY
