"""The table of bench/run_shuffle.sh from its raw figures: lines `SIDE CASE NAME VALUE...`
(SIDE weft or dask, CASE actors or sort<GB>, the lines of shuffle_bench and
shuffle_dask.py) and `meta NAME VALUE...`.

    shuffle_summary.py RESULTS
"""
import collections
import sys

MB = 1e6


def load(path):
    meta = {}
    runs = collections.defaultdict(lambda: collections.defaultdict(list))
    for line in open(path):
        words = line.split()
        if len(words) < 3:
            continue
        if words[0] == "meta":
            meta[" ".join(words[1:-1])] = words[-1]
        else:
            runs[(words[0], words[1])][words[2]].append(words[3:])
    return meta, runs


class Step:
    """One step of one side: its rounds' figures."""

    def __init__(self, lines, step):
        self.seconds = [float(v[0]) for v in lines.get(step + "_seconds", [])]
        # The step's own status lines, then the run's (the process: exit code, timeout).
        statuses = [" ".join(v) for v in lines.get(step + "_status", []) + lines.get("status", [])]
        self.status = next((s for s in statuses if s != "ok"),
                           "ok" if self.seconds else "no figures")
        self.peak = {}  # pid -> bytes: VmHWM, or the polled VmRSS when the process is gone
        for pid, hwm, polled in lines.get(step + "_peak_rss", []):
            value = int(hwm) if int(hwm) > 0 else int(polled)
            self.peak[pid] = max(self.peak.get(pid, 0), value)
        cpu = collections.defaultdict(float)
        round_ = collections.Counter()
        for pid, seconds in lines.get(step + "_cpu_seconds", []):
            cpu[round_[pid]] += float(seconds)
            round_[pid] += 1
        self.cpu = min(cpu.values()) if cpu else None
        last = lambda name: lines[step + "_" + name][-1][0] if lines.get(step + "_" + name) else None
        self.keys, self.total, self.checksum = last("keys"), last("total"), last("checksum")
        self.ok = self.status == "ok" and bool(self.seconds)
        self.best = min(self.seconds) if self.seconds else None
        self.restarts = max(0, len(self.peak) - 2)

    def peak_text(self):
        if not self.peak:
            return "-"
        values = sorted(self.peak.values(), reverse=True)
        text = "/".join("%d" % (v / 2**20) for v in values[:2])
        if self.restarts:
            text += " (+%d restarted, max %d)" % (self.restarts, max(values) / 2**20)
        return text


def time_text(step):
    if step is None:
        return "-"
    if step.ok:
        return "%.2f" % step.best
    if step.seconds:
        return "(%.0f)" % max(step.seconds)
    return "-"


def ratio_text(dask, weft):
    if dask is None or weft is None or not weft.ok:
        return "-"
    if dask.ok:
        return "%.1fx" % (dask.best / weft.best)
    if dask.seconds and dask.status.startswith("timeout"):
        return ">%.1fx" % (max(dask.seconds) / weft.best)
    return "-"


def load_text(lines):
    start, end = lines.get("load_start"), lines.get("load_end")
    return "%s>%s" % (start[-1][0], end[-1][0]) if start and end else "-"


def actors(meta, runs):
    weft, dask = runs.get(("weft", "actors"), {}), runs.get(("dask", "actors"), {})
    print("(b) events per actor.login, %s GitHub Archive hours (%.0f MB of JSON), gathered to "
          "the client; workers' memory limit %s; best of up to 3 rounds" % (
              meta.get("gharchive_files"), int(meta.get("gharchive_bytes", 0)) / MB,
              meta.get("actors_memory_limit")))
    rows = [("weft reduce_by_key", Step(weft, "reduce_by_key")),
            ("dask foldby", Step(dask, "foldby")),
            ("weft groupby + count", Step(weft, "groupby")),
            ("dask groupby + count", Step(dask, "groupby"))]
    print("  %-22s %9s %9s %20s %8s %20s  %s" % ("", "seconds", "CPU s", "peak RSS/worker MB",
                                               "keys", "total", "status"))
    for name, step in rows:
        print("  %-22s %9s %9s %20s %8s %20s  %s" % (
            name, time_text(step), "%.1f" % step.cpu if step.cpu is not None else "-",
            step.peak_text(), step.keys or "-", step.total or "-", step.status))
    by = dict(rows)
    print("  ratio dask/weft time: foldby / reduce_by_key %s, groupby / groupby %s, "
          "dask groupby / weft reduce_by_key %s" % (
              ratio_text(by["dask foldby"], by["weft reduce_by_key"]),
              ratio_text(by["dask groupby + count"], by["weft groupby + count"]),
              ratio_text(by["dask groupby + count"], by["weft reduce_by_key"])))
    answers = {(s.keys, s.total, s.checksum) for s in by.values() if s.ok}
    if len(answers) == 1:
        keys, total, _ = answers.pop()
        print("  answers agree: %s keys, %s events, equal checksums" % (keys, total))
    elif answers:
        print("  ANSWERS DIFFER: %s" % sorted(answers))
    print("  load (1-min average, start>end): weft %s, dask %s" % (load_text(weft),
                                                                    load_text(dask)))


def sorts(meta, runs):
    cases = sorted({case for _, case in runs if case.startswith("sort")},
                   key=lambda c: float(c[4:]))
    if not cases:
        return
    shuffle = next((" ".join(v) for (side, case), lines in runs.items() if side == "dask"
                    for v in lines.get("sort_shuffle", [])), "?")
    version = next((" ".join(v) for (side, case), lines in runs.items() if side == "dask"
                    for v in lines.get("dask_version", [])), "?")
    print()
    print("(a) sort of 100-byte JSON records by a 10-byte random key, disk to disk, "
          "workers' memory limit %s" % meta.get("memory_limit"))
    print("    weft: read_text + parse_json + sort_by(\"k\") + to_textfiles")
    print("    dask %s: read_json + sort_values(\"k\") + to_json, shuffle: %s" % (version, shuffle))
    print("  %-5s %-5s %9s %11s %9s %30s %8s %11s  %s" % (
        "GB", "side", "seconds", "MB/s/worker", "CPU s", "peak RSS/worker MB", "check", "load",
        "status"))
    for case in cases:
        size = float(case[4:])
        steps = {}
        for side in ("weft", "dask"):
            lines = runs.get((side, case), {})
            step = Step(lines, "sort")
            steps[side] = step
            check = next((" ".join(v) for v in lines.get("check", [])), "-")
            rate = "%.1f" % (size * 1000 / step.best / 2) if step.ok else "-"
            print("  %-5s %-5s %9s %11s %9s %30s %8s %11s  %s" % (
                case[4:], side, time_text(step), rate,
                "%.1f" % step.cpu if step.cpu is not None else "-", step.peak_text(),
                check.split()[0] if check != "-" else "-", load_text(lines), step.status))
            if check not in ("-",) and not check.startswith("ok"):
                print("        %s" % check)
        print("  %-5s ratio dask/weft time: %s" % ("", ratio_text(steps["dask"], steps["weft"])))


def main():
    meta, runs = load(sys.argv[1])
    actors(meta, runs)
    sorts(meta, runs)
    print()
    print("seconds: wall clock, (N) = stopped after N s; CPU s: user+system of both workers; "
          "peak RSS: each worker's VmHWM (for a process that did not live through the step, "
          "its largest VmRSS sampled at 10 Hz); load: the machine's, others' jobs included")


if __name__ == "__main__":
    main()
